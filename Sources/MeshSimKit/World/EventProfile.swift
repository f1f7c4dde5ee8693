import SignalProtocol

/// What a run's events were, by kind: the measurement behind docs/performance.md's "events per
/// pair" tables (`MeshSim bench events FILE`). Exists only when asked for; a plain run pays one
/// nil check per event.
///
/// Counting observes and never decides: a profiled run gives the same report and trace hash as
/// an unprofiled one (`EventProfileTests`).
final class EventProfile {
    /// Event kinds in `Event`'s order, then the finer kinds counted inside the handlers.
    enum Kind: Int, CaseIterable {
        case scenarioAction, pageLoad, wsOpened, wsArrive, datagramArrive, pcTask, pcTimer, wsReconnect,
             serverPing, serverUp, deferred, meshTimer, pageTask, bench, trafficTick, mediaTick, dataTimer
        /// `pcTimer` events whose connection re-armed its timer since (epoch moved on) or closed,
        /// popped and ignored.
        case pcTimerStale
        /// `pcTimer` events superseded by a re-arm and withdrawn from the queue before they came
        /// due (`EventQueue.withdraw`): events of the run still, in their place, but never handled.
        case pcTimerWithdrawn
        /// `dataTimer` events popped stale or early, and data timers withdrawn before they came
        /// due (not events: not counted in `dataTimer`).
        case dataTimerStale, dataTimerEarly, dataTimerWithdrawn
        /// `pcTimer` events before the connection's deadline, which an input had moved later:
        /// only a re-arm.
        case pcTimerEarly
        /// Datagrams reaching a peer connection, by what they carry.
        case stunRequest, stunResponse, dtls, sctpControl, sctpData, sctpTraffic, turnPacket
        /// Datagrams reaching the STUN or TURN server, and datagrams the network dropped.
        case toServers, dropped

        var name: String {
            switch self {
            case .scenarioAction: "scenarioAction"
            case .pageLoad: "pageLoad"
            case .wsOpened: "wsOpened"
            case .wsArrive: "wsArrive"
            case .datagramArrive: "datagramArrive"
            case .pcTask: "pcTask"
            case .pcTimer: "pcTimer"
            case .wsReconnect: "wsReconnect"
            case .serverPing: "serverPing"
            case .serverUp: "serverUp"
            case .deferred: "deferred"
            case .meshTimer: "meshTimer"
            case .pageTask: "pageTask"
            case .bench: "bench"
            case .trafficTick: "trafficTick"
            case .mediaTick: "mediaTick"
            case .dataTimer: "dataTimer"
            case .dataTimerStale: "dataTimer.stale"
            case .dataTimerEarly: "dataTimer.early"
            case .dataTimerWithdrawn: "dataTimer.withdrawn"
            case .pcTimerStale: "pcTimer.stale"
            case .pcTimerWithdrawn: "pcTimer.withdrawn"
            case .pcTimerEarly: "pcTimer.early"
            case .stunRequest: "datagram.stunRequest"
            case .stunResponse: "datagram.stunResponse"
            case .dtls: "datagram.dtls"
            case .sctpControl: "datagram.sctpControl"
            case .sctpData: "datagram.sctpData"
            case .sctpTraffic: "datagram.sctpTraffic"
            case .turnPacket: "datagram.turn"
            case .toServers: "datagram.toServers"
            case .dropped: "datagram.dropped"
            }
        }

        /// Whether the kind is an event of its own (the rest subdivide `pcTimer` and `datagramArrive`).
        var isEvent: Bool { rawValue <= Kind.dataTimer.rawValue }
    }

    private(set) var counts = [Int](repeating: 0, count: Kind.allCases.count)
    /// The most events pending in the queue at once.
    private(set) var peakPending = 0

    func notePending(_ n: Int) { if n > peakPending { peakPending = n } }

    func count(_ kind: Kind) { counts[kind.rawValue] += 1 }

    /// Data timers withdrawn from the queue over the run (`EventQueue.withdrawnByTag`): never
    /// events, so not counted in `dataTimer`.
    func countWithdrawnDataTimers(_ byTag: [Int]) {
        counts[Kind.dataTimerWithdrawn.rawValue] += byTag[Int(EventQueue.encode(.dataTimer(0, epoch: 0)).tag)]
    }

    func count(_ event: Event) {
        let kind: Kind
        switch event {
        case .scenarioAction: kind = .scenarioAction
        case .pageLoad: kind = .pageLoad
        case .wsOpened: kind = .wsOpened
        case .wsArrive: kind = .wsArrive
        case .datagramArrive: kind = .datagramArrive
        case .pcTask: kind = .pcTask
        case .pcTimer: kind = .pcTimer
        case .wsReconnect: kind = .wsReconnect
        case .serverPing: kind = .serverPing
        case .serverUp: kind = .serverUp
        case .deferred: kind = .deferred
        case .meshTimer: kind = .meshTimer
        case .pageTask: kind = .pageTask
        case .bench: kind = .bench
        case .trafficTick: kind = .trafficTick
        case .mediaTick: kind = .mediaTick
        case .dataTimer: kind = .dataTimer
        }
        count(kind)
    }

    func count(_ packet: PeerPacket) {
        switch packet {
        case .stun(let m): count(m.kind == .bindingRequest ? .stunRequest : .stunResponse)
        case .dtls: count(.dtls)
        case .sctp(let s):
            switch s {
            case .data: count(.sctpData)
            case .fragment, .selectiveAck, .forwardTSN: count(.sctpTraffic)
            case .initiate, .initAck, .cookieEcho, .cookieAck, .abort, .sack: count(.sctpControl)
            }
        case .turn: count(.turnPacket)
        }
    }

    subscript(kind: Kind) -> Int { counts[kind.rawValue] }

    /// Every event the run executed.
    var events: Int { Kind.allCases.filter(\.isEvent).reduce(0) { $0 + self[$1] } }
}
