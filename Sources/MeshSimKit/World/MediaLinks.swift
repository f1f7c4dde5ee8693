/// Every host's access link as media streams load it (scenario `traffic` media flows, the notes'
/// `stream`): capacity, the demand of the tracks its pages send and receive, and the bottleneck
/// queue that forms when demand passes capacity.
///
/// A fluid model, sampled every `tick`: media packets are not simulated one by one. While demand
/// exceeds capacity the router's queue fills at the difference, and a packet leaving the host
/// waits for the queue ahead of it (delay = backlog / capacity). Once the queue holds
/// `maxQueueDelay` of traffic it is full and the excess is dropped: the loss fraction is
/// (demand − capacity) / demand. The uplink's delay and loss apply to every UDP datagram the
/// host sends (ICE checks, DTLS, SCTP, data channels), as the one queue of a home router does;
/// the downlink's are computed and reported, not applied to datagrams. A class, updated in place.
final class MediaLinks {
    /// How often demand is sampled and the queues advanced.
    static let tick: Int64 = 100_000_000
    /// A home router's buffer, in time at the link's rate: a model choice (bufferbloat
    /// measurements of consumer routers commonly show hundreds of milliseconds; 250 ms here).
    static let maxQueueDelay: Int64 = 250_000_000

    struct Direction {
        /// Bits per second; nil: unlimited (never a bottleneck).
        var capacity: Int64?
        /// Bits per second the tracks ask of it now.
        var demand: Int64 = 0
        var backlogBits: Double = 0
        /// Queueing delay and loss fraction right now.
        var delay: Int64 = 0
        var loss: Double = 0
        var peakDemand: Int64 = 0
        var saturatedSince: Int64?
        var firstSaturated: Int64?
        var saturatedFor: Int64 = 0
        var maxDelay: Int64 = 0
        var bitsOffered: Double = 0
        var bitsLost: Double = 0

        var peakUtilisation: Double? { capacity.map { Double(peakDemand) / Double($0) } }

        /// Advance the queue by `dt` at the current demand (`now` is the end of the step).
        mutating func advance(dt: Int64, now: Int64) {
            let seconds = Double(dt) / 1e9
            bitsOffered += Double(demand) * seconds
            peakDemand = max(peakDemand, demand)
            guard let capacity else { return }
            let c = Double(capacity)
            let limit = c * Double(MediaLinks.maxQueueDelay) / 1e9
            backlogBits += (Double(demand) - c) * seconds
            loss = 0
            if backlogBits > limit {
                bitsLost += backlogBits - limit
                loss = demand > 0 ? (Double(demand) - c) / Double(demand) : 0
                backlogBits = limit
            }
            backlogBits = max(0, backlogBits)
            delay = Int64(backlogBits / c * 1e9)
            maxDelay = max(maxDelay, delay)
            if demand > capacity {
                if saturatedSince == nil { saturatedSince = now - dt }
                if firstSaturated == nil { firstSaturated = now - dt }
                saturatedFor += dt
            } else {
                saturatedSince = nil
            }
        }
    }

    /// UDP datagrams a full uplink queue dropped (not counted in the network's `lost`).
    var datagramsDropped = 0
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
