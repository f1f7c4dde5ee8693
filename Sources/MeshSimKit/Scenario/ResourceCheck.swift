import Foundation

/// Refuses, before a run, a scenario too large for this machine, with an estimate of what it
/// would need, instead of letting the run exhaust memory (docs/scenario-format.md, "Limits").
///
/// The estimate counts the peer connections of a full mesh of every page the scenario can have
/// alive at once (initial peers, joins and duplicated tabs, as an upper bound), each page holding
/// one RTCPeerConnection per other page up to Chromium's per-page cap, at
/// `bytesPerConnection` each: measured as about 3.6 KiB per connection (peak RSS of the 100- and
/// 200-peer joins), rounded up to 4 KiB for the queues and trace buffers around them. NATs add
/// about 1 KiB (more candidates and pairs, NAT mappings) and TURN about 4 KiB more (two relay
/// candidates per connection and their pairs and permissions): peak RSS of the 100-peer NAT mix
/// was 47.7 MB host-only, 58.3 MB behind NATs, 86.6 MB with TURN, for 9,900 connections.
enum ResourceCheck {
    static let bytesPerConnection: UInt64 = 4 << 10

    /// Per-connection bytes for this scenario's features.
    static func bytesPerConnection(for scenario: Scenario) -> UInt64 {
        var kib: UInt64 = bytesPerConnection >> 10
        var peers = scenario.peers
        var turn = scenario.network.turn
        for e in scenario.events {
            switch e.action {
            case .join(let p): peers.append(p)
            case .network(let patch): turn = turn || patch.turn == true
            default: break
            }
        }
        if peers.contains(where: { $0.nat != nil }) { kib += 1 }
        if turn { kib += 4 }
        return kib << 10
    }
    /// What a run needs besides its connections (the program, the kernel's queue, buffers).
    static let baseBytes: UInt64 = 64 << 20

    /// Peer connections of the largest full mesh the scenario can reach.
    static func connections(in scenario: Scenario) -> UInt64 {
        var pages = UInt64(scenario.peers.filter { $0.behaviour.isEmpty }.count)
        // The largest cap the run ever has; 0 means no cap at all (docs/scenario-format.md),
        // the largest of all, not the smallest.
        func perPageCap(_ cap: Int) -> UInt64 { cap <= 0 ? .max : UInt64(cap) }
        var cap = perPageCap(scenario.network.ice.maxPeerConnections)
        for e in scenario.events {
            switch e.action {
            case .join(let p) where p.behaviour.isEmpty: pages += 1
            case .duplicateTab: pages += 1
            case .network(let patch): if let c = patch.ice.maxPeerConnections { cap = max(cap, perPageCap(c)) }
            default: break
            }
        }
        guard pages > 1 else { return 0 }
        return pages * min(pages - 1, cap)
    }

    /// What the run keeps per traffic message it sends (the ledger's entry and its latency in
    /// the report): 67 MB for the 545,262 messages of the 100-peer join with one message per
    /// pair per second (docs/performance.md, session 7), rounded up.
    static let bytesPerTrafficMessage: UInt64 = 128

    /// Traffic messages the data flows can send: per direction, `rate` messages a second over
    /// the flow's window, or `totalBytes` / `messageSize` for a bulk flow; directions as the
    /// pattern says, over every page the scenario can have (an upper bound).
    static func trafficMessages(in scenario: Scenario) -> UInt64 {
        var pages = UInt64(scenario.peers.filter { $0.behaviour.isEmpty }.count)
        for e in scenario.events {
            switch e.action {
            case .join(let p) where p.behaviour.isEmpty: pages += 1
            case .duplicateTab: pages += 1
            default: break
            }
        }
        guard pages > 1 else { return 0 }
        var total = 0.0
        for f in scenario.traffic where !f.isMedia {
            let window = Double(max(0, (f.stop ?? scenario.duration) - f.start)) / 1e9
            var perDirection: Double
            if let rate = f.rate ?? (f.totalBytes == nil ? 1 : nil) {
                perDirection = (rate * window).rounded(.up)
                if let bytes = f.totalBytes { perDirection = min(perDirection, (Double(bytes) / Double(f.messageSize)).rounded(.up)) }
            } else {
                perDirection = (Double(f.totalBytes ?? 0) / Double(f.messageSize)).rounded(.up)
            }
            let directions: Double
            switch f.pattern {
            case .allToAll: directions = Double(pages) * Double(pages - 1)
            case .oneToAll: directions = Double(pages - 1)
            case .pair: directions = 1
            }
            total += perDirection * directions
        }
        return total >= Double(UInt64.max / bytesPerTrafficMessage) ? UInt64.max / bytesPerTrafficMessage : UInt64(total)
    }

    static func estimatedBytes(for scenario: Scenario) -> UInt64 {
        let (product, overflow) = connections(in: scenario).multipliedReportingOverflow(by: bytesPerConnection(for: scenario))
        return overflow ? .max : product.addingReportingOverflow(baseBytes).partialValue
    }

    static func problems(in scenario: Scenario,
                         memoryBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) -> [ScenarioProblem] {
        let need = estimatedBytes(for: scenario)
        guard memoryBytes > 0 else { return [] }
        if need <= memoryBytes {
            let messages = trafficMessages(in: scenario)
            let traffic = messages * bytesPerTrafficMessage
            let (withTraffic, overflow) = need.addingReportingOverflow(traffic)
            guard overflow || withTraffic > memoryBytes else { return [] }
            return [ScenarioProblem(file: scenario.file, path: "traffic", message:
                "too large for this machine: the data flows send up to \(messages) messages, and keeping account of them "
                + "needs about \(formatBytes(overflow ? .max : withTraffic)) of memory with the mesh (about \(bytesPerTrafficMessage) bytes a message); "
                + "this machine has \(formatBytes(memoryBytes)); send fewer messages (a lower rate, a shorter window, fewer pairs)")]
        }
        let n = connections(in: scenario)
        return [ScenarioProblem(file: scenario.file, path: "peers", message:
            "too large for this machine: a full mesh of these pages needs about \(formatBytes(need)) of memory "
            + "(\(n) peer connections at about \(bytesPerConnection(for: scenario) >> 10) KiB each), and this machine has "
            + "\(formatBytes(memoryBytes)); run fewer peers")]
    }

    /// "1.5 GiB", "312 MiB": one decimal above 10 units, whole numbers otherwise.
    static func formatBytes(_ bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        return value < 10 ? "\(String(format: "%.1f", value)) \(units[unit])" : "\(Int(value.rounded())) \(units[unit])"
    }
}
