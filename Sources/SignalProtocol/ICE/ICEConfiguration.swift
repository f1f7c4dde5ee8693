/// Timers and limits of the ICE agent, in nanoseconds. Defaults are Chromium's (libwebrtc
/// `p2p/base/p2p_transport_channel.cc`, `connection.cc`, `stun_request.cc`; see
/// docs/calibration/webrtc-facts.md T5 and T6).
public struct ICEConfiguration: Sendable, Equatable {
    /// Channel-level ping interval while no writable, receiving pair is selected (`kWeakPingInterval`).
    public var weakPingInterval: Int64 = 48_000_000
    /// Ping interval for non-selected pairs once a strong selection exists (`kStrongPingInterval`).
    public var strongPingInterval: Int64 = 480_000_000
    /// Keep-alive/consent ping interval of the selected pair when stable and strong.
    public var stablePingInterval: Int64 = 2_500_000_000
    /// Ping interval of the selected pair while it is weak (not receiving) or stabilizing.
    public var weakOrStabilizingPingInterval: Int64 = 900_000_000
    /// A pair stops "receiving" after this long without any packet (`kReceivingTimeout`).
    public var receivingTimeout: Int64 = 2_500_000_000
    /// A writable pair becomes unwritable after `unwritableMinChecks` unanswered pings spanning
    /// more than this (`ice_unwritable_timeout`).
    public var unwritableTimeout: Int64 = 5_000_000_000
    public var unwritableMinChecks: Int = 5
    /// A pair with no response for this long since its first unanswered ping is dead
    /// (`kConnectionWriteTimeout`): the transport fails when every pair is.
    public var inactiveTimeout: Int64 = 15_000_000_000
    /// A pair from which nothing at all arrived for this long is dead (`kDeadConnectionReceiveTimeout`).
    public var deadConnectionTimeout: Int64 = 30_000_000_000
    /// Initial retransmission timeout of STUN transactions towards STUN/TURN servers.
    public var stunInitialRTO: Int64 = 250_000_000
    /// Retransmissions of a STUN transaction before it fails (9 sends in all).
    public var stunMaxRetransmissions: Int = 8
    /// Upper bound of the STUN retransmission timeout (`STUN_MAX_RTO`).
    public var stunMaxRTO: Int64 = 8_000_000_000
    /// Time from the start of gathering until the host candidate is surfaced (the first,
    /// UDP, gathering phase).
    public var gatheringDelay: Int64 = 2_000_000
    /// Time between gathering phases (UDP, then RELAY, then TCP): libwebrtc's allocation step
    /// delay, which PeerConnection sets to `kMinimumStepDelay` = 50 ms (`pc/peer_connection.cc`
    /// `set_step_delay`; `p2p/base/port_allocator.h`; `p2p/client/basic_port_allocator.cc`
    /// `AllocationSequence::Process`).
    public var gatheringStepDelay: Int64 = 50_000_000

    public init() {}

    /// "Never", for a timer: 2^60 ns, 36 years. Durations are clamped to `0...never` when a
    /// connection or agent takes its configuration (`SharedConfiguration`), so that writing
    /// `Int64.max` for "never" cannot overflow the agent's time arithmetic (`now` + a sum of a
    /// few durations stays below `Int64.max` for any `now` below 2^61 ns, 73 years).
    public static let never: Int64 = 1 << 60

    /// These timers with every duration in `0...never`.
    public var clamped: ICEConfiguration {
        func c(_ t: Int64) -> Int64 { min(max(t, 0), Self.never) }
        var x = self
        x.weakPingInterval = c(weakPingInterval)
        x.strongPingInterval = c(strongPingInterval)
        x.stablePingInterval = c(stablePingInterval)
        x.weakOrStabilizingPingInterval = c(weakOrStabilizingPingInterval)
        x.receivingTimeout = c(receivingTimeout)
        x.unwritableTimeout = c(unwritableTimeout)
        x.inactiveTimeout = c(inactiveTimeout)
        x.deadConnectionTimeout = c(deadConnectionTimeout)
        x.stunInitialRTO = c(stunInitialRTO)
        x.stunMaxRTO = c(stunMaxRTO)
        x.gatheringDelay = c(gatheringDelay)
        x.gatheringStepDelay = c(gatheringStepDelay)
        return x
    }
}
