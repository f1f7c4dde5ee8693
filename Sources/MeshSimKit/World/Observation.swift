/// One thing that happened in a run, as the world reports it: once, at the moment it happens.
///
/// The world never writes a trace line or an output itself: it emits observations
/// (`Simulation.emit`), and everything that records or judges a run observes them. The trace
/// writer turns each traced observation into one JSON line (docs/contract.md, "Trace"); the
/// outputs (`--perfetto`, `--html`, `--svg`) are `RunObserver`s. A new output is one observer
/// file; a new kind of thing that happens is one `ObservationKind` case and the place that
/// emits it.
///
/// Besides the trace's fields (`peer`, `remote`, `value`, `detail`), an observation names the
/// page (each load of a peer is a new page) and the RTCPeerConnection it is about, so that an
/// observer can tell a reloaded page's connections from the old page's.
struct Observation {
    var kind: ObservationKind
    /// Whose view: the peer name (scenario id or `as` name); nil for the server.
    var peer: String?
    /// The other side's uid, for lines about a connection, a signal or a server message.
    var remote: String?
    var value: String
    var detail: String?
    /// Index of the page (one per load), when the observation is about a page.
    var page: Int32?
    /// Index of the RTCPeerConnection, when the observation is about one (the trace's `pc` is
    /// this plus one: the connection's session id).
    var connection: Int32?
    /// The uid a page loads with (`page` `load`).
    var uid: String?
    /// Serial of a signal an honest page sent: its `signal` and its `signalDelivered` (if it
    /// arrives; the server drops some) carry the same one. Not traced.
    var signal: Int32? = nil
    /// For `cpu`: when the work starts and ends. It is observed when it is given to its thread,
    /// which is when the model decides both (docs/model.md section 5a), so both may be later.
    var cpuStart: Int64 = 0
    var cpuEnd: Int64 = 0
    /// For `cpu`: the machine's index in the run.
    var cpuMachine: Int32 = -1
}

/// What an observation is about. `traceKind` is the trace's `kind`; the raw value numbers the
/// kinds for `ObservationKinds`.
enum ObservationKind: UInt8, CaseIterable {
    // The scenario and the hosts.
    case scenario, host, attack
    // Pages, the WebSocket and the signaling server.
    case page, uid, ws, server, serverTimeout, `init`, online, offline, serverError
    /// A page sent a signaling payload (`value`: offer, answer, candidate, ...).
    case signal
    /// A relayed signal reached its addressee (`peer`), from `remote`. Not traced: the trace
    /// records each signal once, when it is sent; outputs use this for the arrow of a message.
    case signalDelivered
    // The mesh manager and RTCPeerConnections.
    case decision
    /// A connection was created (`active`, `passive`, `refused`) or closed by its page (`closed`).
    case connection
    /// A connection learned which remote connection it belongs to: `value` is the remote's
    /// session id (its `pc`), from the remote description it applied.
    case association
    case signalingState, iceGatheringState, iceConnectionState, connectionState
    case candidate, selectedPair, dataChannel, data, error
    /// A host's uplink became saturated by media streams, or clear again (`traffic` media flows).
    case media
    /// A piece of work given to a thread of a machine's CPU (`value`: the work; `detail`: the
    /// thread, `main`, `signaling`, `network`, `browser` or `server`; `page` for a page's
    /// thread; `peer` the machine's scenario name, nil for a machine of a peer's own). Not
    /// traced: outputs draw it.
    case cpu

    /// Does the trace record it? (`signalDelivered` and `cpu` are not: the trace format predates
    /// them and its hash must not change.)
    var isTraced: Bool { self != .signalDelivered && self != .cpu }

    /// The kind a trace's `kind` text names, if any.
    init?(traceKind text: String) {
        guard let k = Self.allCases.first(where: { $0.traceKind.description == text }) else { return nil }
        self = k
    }

    /// The trace's `kind` text, without building a String per line.
    var traceKind: StaticString {
        switch self {
        case .scenario: return "scenario"
        case .host: return "host"
        case .attack: return "attack"
        case .page: return "page"
        case .uid: return "uid"
        case .ws: return "ws"
        case .server: return "server"
        case .serverTimeout: return "serverTimeout"
        case .`init`: return "init"
        case .online: return "online"
        case .offline: return "offline"
        case .serverError: return "serverError"
        case .signal: return "signal"
        case .signalDelivered: return "signalDelivered"
        case .decision: return "decision"
        case .connection: return "connection"
        case .association: return "association"
        case .signalingState: return "signalingState"
        case .iceGatheringState: return "iceGatheringState"
        case .iceConnectionState: return "iceConnectionState"
        case .connectionState: return "connectionState"
        case .candidate: return "candidate"
        case .selectedPair: return "selectedPair"
        case .dataChannel: return "dataChannel"
        case .data: return "data"
        case .error: return "error"
        case .media: return "media"
        case .cpu: return "cpu"
        }
    }
}

/// A set of observation kinds, as bits: what an observer wants to be told.
struct ObservationKinds: OptionSet {
    let rawValue: UInt64
    static let all = ObservationKinds(rawValue: ~0)

    init(rawValue: UInt64) { self.rawValue = rawValue }
    init(_ kinds: [ObservationKind]) { rawValue = kinds.reduce(0) { $0 | 1 << UInt64($1.rawValue) } }

    @inline(__always) func contains(_ kind: ObservationKind) -> Bool { rawValue & (1 << UInt64(kind.rawValue)) != 0 }
}

/// Something that watches a run: told every observation of the kinds it asks for, in order,
/// then the end of the run. Observers cannot change the run; they must not read the world's
/// state to decide what they record (what they need is in the observations, or in the
/// finished report).
protocol RunObserver: AnyObject {
    /// The kinds it wants (default: all). A kind no observer wants costs only the trace line.
    var kinds: ObservationKinds { get }
    func observe(_ o: Observation, at time: Int64)
    func runEnded(at time: Int64)
}

extension RunObserver {
    var kinds: ObservationKinds { .all }
}

extension Simulation {
    /// Reports one thing that happened now: to the trace (when traced) and to every observer.
    func emit(_ kind: ObservationKind, peer: String?, remote: String? = nil, value: String, detail: String? = nil,
              page: Int32? = nil, connection: Int32? = nil, uid: String? = nil, signal: Int32? = nil) {
        if kind.isTraced {
            trace.line(now, kind.traceKind, peer: peer, remote: remote, value: value, detail: detail, pc: connection, uid: uid)
        }
        guard observedKinds.contains(kind) else { return }
        let o = Observation(kind: kind, peer: peer, remote: remote, value: value, detail: detail, page: page,
                            connection: connection, uid: uid, signal: signal)
        if oracleKinds.contains(kind) { oracle.observe(o, at: now) }
        for observer in observers where observer.kinds.contains(kind) { observer.observe(o, at: now) }
    }
}
