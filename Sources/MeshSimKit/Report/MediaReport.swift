import SignalProtocol

/// The report's `media` section (scenario `traffic` media flows): for every host, how much of
/// its uplink and downlink the tracks asked for, whether and from when they saturated it, and
/// what the bottleneck queue cost (delay, loss).
struct MediaReport {
    struct Link {
        var capacity: Int64?
        var peakDemand: Int64
        var peakUtilisation: Double?
        var saturatedFrom: Int64?
        var saturatedFor: Int64
        var maxQueueDelay: Int64
        var lossFraction: Double

        init(_ d: MediaLinks.Direction) {
            capacity = d.capacity
            peakDemand = d.peakDemand
            peakUtilisation = d.peakUtilisation
            saturatedFrom = d.firstSaturated
            saturatedFor = d.saturatedFor
            maxQueueDelay = d.maxDelay
            lossFraction = d.bitsOffered > 0 ? d.bitsLost / d.bitsOffered : 0
        }

        var json: JSONValue {
            func millis(_ ns: Int64) -> JSONValue { .number(JSONNumber(text: formatMillis(ns))!) }
            return [
                "capacity": capacity.map { .number(JSONNumber($0)) } ?? .null,
                "peakDemand": .number(JSONNumber(peakDemand)),
                "peakUtilisation": peakUtilisation.map { JSONValue(($0 * 1000).rounded() / 1000) } ?? .null,
                "saturatedFromMs": saturatedFrom.map(millis) ?? .null,
                "saturatedMs": millis(saturatedFor),
                "maxQueueDelayMs": millis(maxQueueDelay),
                "lossFraction": JSONValue((lossFraction * 10000).rounded() / 10000),
            ]
        }
    }

    var hosts: [(name: String, up: Link, down: Link)] = []
    var datagramsDropped = 0

    init(simulation s: Simulation) {
        guard let m = s.media else { return }
        datagramsDropped = s.network.datagramsQueueDropped
        for (host, name) in m.hostNames where Int(host) < m.up.count {
            hosts.append((name, Link(m.up[Int(host)]), Link(m.down[Int(host)])))
        }
    }

    /// The highest uplink utilisation of any host with a capacity.
    var maxUplinkUtilisation: (name: String, value: Double)? {
        hosts.compactMap { h in h.up.peakUtilisation.map { (h.name, $0) } }.max { $0.1 < $1.1 }
    }

    var json: JSONValue {
        [
            "saturatedUplinks": .array(hosts.filter { $0.up.saturatedFrom != nil }.map { .string($0.name) }),
            "saturatedDownlinks": .array(hosts.filter { $0.down.saturatedFrom != nil }.map { .string($0.name) }),
            "datagramsDropped": .number(JSONNumber(datagramsDropped)),
            "hosts": .array(hosts.map { h in
                ["peer": .string(h.name), "uplink": h.up.json, "downlink": h.down.json]
            }),
        ]
    }

    var textLines: [String] {
        let saturated = hosts.filter { $0.up.saturatedFrom != nil }.sorted { $0.up.saturatedFrom! < $1.up.saturatedFrom! }
        var line = "  media: \(saturated.count) of \(counted(hosts.count, "page")) saturate their uplink"
        if let m = maxUplinkUtilisation { line += "; peak uplink demand \(formatPercent(m.value)) of capacity (\(m.name))" }
        if datagramsDropped > 0 { line += "; \(counted(datagramsDropped, "datagram")) dropped by full access-link queues" }
        var lines = [line]
        if !saturated.isEmpty {
            lines.append("    uplink saturated: " + saturated.prefix(12).map {
                "\($0.name) from \(formatSeconds($0.up.saturatedFrom!)) (queue up to \(formatSeconds($0.up.maxQueueDelay)), \(formatPercent($0.up.lossFraction)) lost)"
            }.joined(separator: "; ") + (saturated.count > 12 ? "; ... \(saturated.count - 12) more (see --json)" : ""))
        }
        let down = hosts.filter { $0.down.saturatedFrom != nil }
        if !down.isEmpty {
            lines.append("    downlink saturated: " + down.prefix(12).map { "\($0.name) from \(formatSeconds($0.down.saturatedFrom!))" }.joined(separator: "; "))
        }
        return lines
    }
}
