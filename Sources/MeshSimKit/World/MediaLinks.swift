/// Every host's access link as media streams load it (scenario `traffic` media flows, the notes'
/// `stream`): the demand of the tracks its pages send and receive, sampled every `tick`, and what
/// the link's queue (`AccessQueue`, the network's) made of it.
///
/// A fluid model: media packets are not simulated one by one. Each sample sets the tracks' rate
/// into the host's queues for the next `tick`; the queue, shared with every datagram crossing the
/// link, fills while demand and datagrams pass capacity, delays what waits in it and drops what
/// does not fit (docs/model.md, "Access links"). A class, updated in place.
final class MediaLinks {
    /// How often demand is sampled and handed to the queues.
    static let tick: Int64 = 100_000_000

    struct Direction {
        /// Bits per second; nil: unlimited (never a bottleneck).
        var capacity: Int64?
        /// Bits per second the tracks ask of it now.
        var demand: Int64 = 0
        var peakDemand: Int64 = 0
        var saturatedSince: Int64?
        var firstSaturated: Int64?
        var saturatedFor: Int64 = 0
        /// From the link's queue: the longest queueing delay and the tracks' bits it dropped.
        var maxDelay: Int64 = 0
        var bitsOffered: Double = 0
        var bitsLost: Double = 0

        var peakUtilisation: Double? { capacity.map { Double(peakDemand) / Double($0) } }

        /// Account a sample's demand for the `dt` that starts at `now`.
        mutating func sample(dt: Int64, now: Int64) {
            bitsOffered += Double(demand) * Double(dt) / 1e9
            peakDemand = max(peakDemand, demand)
            guard let capacity else { return }
            if demand > capacity {
                if saturatedSince == nil { saturatedSince = now }
                if firstSaturated == nil { firstSaturated = now }
                saturatedFor += dt
            } else {
                saturatedSince = nil
            }
        }

        /// Take the queue's figures (`queue` brought forward to the latest sample's time).
        mutating func read(_ queue: AccessQueue) {
            maxDelay = max(maxDelay, queue.delay, queue.maxWait)
            bitsLost = queue.fluidLost
        }
    }

    /// Index: host.
    var up: [Direction] = []
    var down: [Direction] = []
    /// Which host each name's current page was on, for the report (first seen order).
    var hostNames: [(host: Int32, name: String)] = []

    func addHost(_ host: Int32, name: String, uplink: Int64?, downlink: Int64?) {
        while up.count <= Int(host) {
            up.append(Direction())
            down.append(Direction())
        }
        up[Int(host)].capacity = uplink
        down[Int(host)].capacity = downlink
        if !hostNames.contains(where: { $0.host == host }) { hostNames.append((host, name)) }
    }
}
