import SignalProtocol

/// The signaling server's process: the protocol state machine (`SignalingServer`) and what only
/// the process knows: whether it is running, whether its heartbeat timer is armed, and how many
/// signals the processes before a restart relayed. A restart (`serverRestart`) replaces the
/// state machine, so every uid, secret and socket is forgotten, as when a Node process dies.
struct SignalingServerProcess {
    var server: SignalingServer
    private(set) var up = true
    /// While down: since when, and when it comes back (for the stuck-pair diagnosis).
    private(set) var down: (since: Int64, until: Int64)?
    /// The last time it was down, kept after it came back (for the diagnosis too).
    private(set) var lastDown: (since: Int64, until: Int64)?
    /// A `.serverPing` event is pending.
    var pingScheduled = false
    /// Signals relayed by server instances that a restart wiped.
    private var relayedBeforeRestarts = 0
    /// The machine its process runs on (`network.server.machine`); nil: its work is not charged.
    var machine: MachineID?
    /// Its thread on that machine (the event loop that reads, handles and writes every message).
    var thread: CPUThreadID?

    init(secretSeed: UInt64) {
        server = SignalingServer(secretSeed: secretSeed)
    }

    /// Signals relayed over the whole run, across restarts.
    var signalsRelayed: Int { relayedBeforeRestarts + server.relayedSignals }

    /// The process dies. The next one starts from nothing, with a secret generator seeded by
    /// `secretSeed` (so it will not hand out the old secrets again).
    mutating func goDown(nextSecretSeed: UInt64, at now: Int64, until: Int64) {
        up = false
        down = (now, until)
        lastDown = (now, until)
        relayedBeforeRestarts += server.relayedSignals
        server = SignalingServer(secretSeed: nextSecretSeed)
    }

    mutating func comeUp() {
        up = true
        down = nil
    }
}
