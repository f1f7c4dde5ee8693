import SignalProtocol

/// One `traffic` flow: application messages over the mesh's data channels (docs/scenario-format.md,
/// "traffic"). Each direction it names (sender page → receiver peer) sends on a negotiated data
/// channel of its own on every connection between the two.
struct TrafficFlow: Equatable {
    enum Pattern: String, CaseIterable {
        /// Every peer to every other peer.
        case allToAll
        /// `from` to every other peer.
        case oneToAll
        /// `from` to `to`.
        case pair
    }
    var pattern: Pattern
    var from: String?
    var to: String?
    /// Application payload bytes per message; the envelope's header is added on the wire, and a
    /// message above the channel's 256 KiB limit is sent as envelope chunks.
    var messageSize: Int = 1_024
    /// Messages per second per direction; nil with `totalBytes`: as fast as the channel takes them.
    var rate: Double?
    /// Payload bytes per direction, after which the direction stops.
    var totalBytes: Int?
    var start: SimDuration = 0
    /// nil: the end of the run.
    var stop: SimDuration?
    var ordered = true
    var maxRetransmits: Int?
    var maxPacketLifeTime: SimDuration?
    /// A media flow's tracks (bits per second); nil for a data flow.
    var audio: Int64?
    var video: Int64?
    /// Where it is in the file ("traffic[0]"), for reports.
    var path: String

    /// A media flow: tracks, not messages (the notes' `stream`).
    var isMedia: Bool { audio != nil || video != nil }
    /// Bits per second each sender sends each receiver.
    var mediaBitrate: Int64 { (audio ?? 0) + (video ?? 0) }

    /// Whether `sender` sends to `receiver` in this flow.
    func sends(from sender: String, to receiver: String) -> Bool {
        guard sender != receiver else { return false }
        switch pattern {
        case .allToAll: return true
        case .oneToAll: return sender == from
        case .pair: return sender == from && receiver == to
        }
    }

    /// Whether the flow uses a channel between these two peers (either direction).
    func involves(_ a: String, _ b: String) -> Bool { !isMedia && (sends(from: a, to: b) || sends(from: b, to: a)) }

    var channelOptions: DataChannelOptions {
        DataChannelOptions(ordered: ordered, maxRetransmits: maxRetransmits, maxPacketLifeTime: maxPacketLifeTime)
    }

    /// The interval between messages of one direction (nil: bulk, paced by `bufferedamountlow`).
    var interval: Int64? {
        guard let rate else { return totalBytes == nil ? 1_000_000_000 : nil }
        // A rate too low to send twice in the longest run (30 days) sends once: the interval is
        // capped there, so that it fits the clock (a rate of 1e-10 overflowed it).
        return max(1, Int64(min(1e9 / rate, Double(Self.longestInterval)).rounded()))
    }

    /// The longest interval between messages: the longest run's duration.
    static let longestInterval: Int64 = 30 * 86_400 * 1_000_000_000
}
