/// Chromium's limit on a page's STUN traffic to addresses it has not heard from.
///
/// Chromium's renderer sends every UDP packet through the browser's network service, which
/// lets a page send only STUN to an address from which its socket has not yet received a STUN
/// request or response, and at most 256 KiB of it per second: `P2PSocketUdp::DoSend`
/// (services/network/p2p/socket_udp.cc) asks the page's `P2PMessageThrottler`
/// (socket_throttler.cc: `kMaxIceMessageBandwidth = 256 * 1024`, an `rtc::DataRateLimiter`
/// over 1 s) and drops the packet when it says no, reporting it sent, so ICE learns nothing
/// and retransmits on its own schedule. One throttler serves all the sockets of a renderer
/// (`P2PSocketManager`), so a page setting up hundreds of connections at once has some of its
/// first checks dropped (docs/model.md, "The browser's STUN limit").
struct STUNThrottle {
    /// Bytes of STUN a page may send to addresses not yet heard from, per period.
    static let bytesPerPeriod = 256 * 1024
    /// The limiter's period: 1 s.
    static let period: Int64 = 1_000_000_000

    /// The current period ends after this instant (`DataRateLimiter`'s `period_end_`; it
    /// starts at the first use after the previous one ended).
    private var periodEnd = Int64.min
    /// Bytes used in the current period.
    private var used = 0

    /// Whether `bytes` more may go at `now`; if so they are counted
    /// (`DataRateLimiter::CanUse` then `Use`).
    mutating func admit(_ bytes: Int, at now: Int64) -> Bool {
        let expired = now > periodEnd
        guard (expired && bytes <= Self.bytesPerPeriod) || used + bytes <= Self.bytesPerPeriod else { return false }
        if expired {
            periodEnd = now + Self.period
            used = 0
        }
        used += bytes
        return true
    }
}
