import SignalProtocol

/// Options of one run that do not come from the scenario file.
struct RunOptions {
    var seed: UInt64
    var policy: any MeshPolicy
    /// Stop at this simulated time instead of the scenario's `duration` (`--until`).
    var until: Int64?
    /// Executed events after which the run stops and says so.
    var eventBudget: Int = 200_000_000
}

/// One simulation run: the world (hosts, pages, connections, the signaling server), the network,
/// the kernel (clock, queue, generator) and the observers (trace, oracle, invariants), in one
/// place, as turmoil and TigerBeetle keep theirs.
///
/// Everything happens in `run()`: pop the earliest event, advance the clock, dispatch. Protocol
/// machines (`SignalingServer`, `MeshManager`, `PeerConnection`) never see the simulator; they
/// return actions that the handlers here carry out. Events a connection raises are delivered
/// to its page's manager after the current handler finishes (as queued tasks in a browser),
/// which also keeps the handlers free of re-entrancy.
final class Simulation {
    let scenario: Scenario
    let options: RunOptions
    let queue = EventQueue(reservingCapacity: 1 << 12)
    var rng: SimRandom
    var now: Int64 = 0
    let endTime: Int64

    var network: Network
    /// The machines' CPUs (docs/model.md, "CPU").
    var machines = MachineScheduler()
    /// Per machine (`MachineID.raw`), the threads that carry instrumented pages' records
    /// (`DevToolsLogging`), created with the first record.
    var devtoolsThreads: [DevToolsThreads?] = []
    /// Whether any peer of the run is instrumented: one test per charge in every other run.
    var anyDevtoolsLogging = false
    /// Named machines (scenario `machines`).
    var machineByName: [String: MachineID] = [:]
    /// When what the running handler sends leaves: `now`, or later by the CPU work charged
    /// for it (`Simulation+CPU.swift`).
    var cursor: Int64 = 0
    /// Main-thread tasks waiting for their turn, named by `.pageTask` events.
    var pageTasks = Slab<PageTask>()
    var hostSockets: [SocketTable] = []
    var pages: [Page] = []
    var connections: [ConnectionSlot] = []
    /// The signaling server's process (its state machine is `signaling.server`).
    var signaling: SignalingServerProcess
    /// The TURN server (reachable while `network.turn` is on).
    var turnServer: TURNServer
    /// Signals relayed over the whole run, across server restarts.
    var signalsRelayed: Int { signaling.signalsRelayed }
    /// The pages' WebSockets to the signaling server and the frames in flight on them.
    var webSockets = WebSocketTransport()
    /// Signals sent so far by honest pages: the next one's serial (`Observation.signal`).
    var signalsSent: Int32 = 0

    /// The configuration new connections share while the network settings stay the same.
    var sharedConfiguration: SharedConfiguration?
    /// Scratch room every connection of this run uses for its outputs while it is called.
    let connectionScratch = ConnectionScratch()

    let trace: TraceWriter
    /// Watchers of the run besides the trace and the oracle (the outputs), told the
    /// observations they ask for (`emit`). Set before `run()`.
    var observers: [any RunObserver] = [] {
        didSet {
            observedKinds = observers.reduce(oracleKinds) { $0.union($1.kinds) }
            drawsCPU = observedKinds.contains(.cpu)
        }
    }
    /// Whether an output wants the CPU work (`--perfetto`): one load per charge when not.
    private(set) var drawsCPU = false
    /// The kinds someone besides the trace wants: `emit` builds an observation only for these.
    private(set) var observedKinds = MeshOracle.observedKinds
    let oracleKinds = MeshOracle.observedKinds
    var oracle: MeshOracle
    var invariants = InvariantLog()
    var stats = RunStats()
    var offerLog: [OfferRecord] = []
    /// Reloads per peer name: (time, clean), for diagnosis.
    var reloads: [PeerID: [(time: Int64, clean: Bool)]] = [:]
    /// Per peer name, when it last joined again with a new page after its earlier one went
    /// (`leave` or `crash`, then `join`), for diagnosis: to the others that is a new page of a
    /// known uid, as a reload is; and when a duplicated tab (a new page of its source's uid)
    /// loaded.
    var rejoins: [PeerID: Int64] = [:]
    /// When a `network` event turned off the TURN server the run had (nil while it is on, or
    /// if it never was), for diagnosis.
    var turnOffSince: Int64?
    /// Mesh managers' timers: (page, remote, token), named by `.meshTimer` events.
    var meshTimers: [(page: Int32, remote: String, token: UInt32, at: Int64)] = []
    /// Timed ends of disruptions, named by `.deferred` events.
    var deferred: [DeferredAction] = []

    /// Who exists when (the rules the validator checked the file's events against).
    var roster = PeerRoster()

    /// uid → peer names that use it (two when a tab was duplicated).
    var uidSlots: [String: [PeerID]] = [:]

    /// Every peer name (scenario ids and `as` names), in order of first mention, and what the
    /// run keeps for it; `slotIndex` finds one by name.
    var peers: [PeerSlot] = []
    var slotIndex: [String: PeerID] = [:]

    /// Spare action buffers for calls into the protocol machines (`Simulation+Machines.swift`).
    var scratch = ActionScratch()
    /// Connection events raised by the running handler, on their way to the pages' scripts.
    var deliveries: [Delivery] = []

    var budgetExhausted = false
    /// Set by `scenario --check-determinism` (and `fuzz`): what each executed event did, to
    /// compare with another run of the same scenario. nil in a normal run: one test per event.
    var determinismLog: DeterminismLog?
    /// Events by kind, for `bench events` (nil: not counted).
    var eventProfile: EventProfile?
    /// Called every 65,536 events with the simulated time and the events so far (the command
    /// line's progress display); it cannot change the run.
    var progress: ((_ now: Int64, _ events: Int) -> Void)?

    /// Application traffic (scenario `traffic`); nil without flows, so the data path is off.
    var traffic: TrafficLedger?
    /// The hosts' links under media streams (`traffic` media flows); nil without them.
    var media: MediaLinks?

    /// Attacks tried, and the socket each used (socket raw value → index in `attacks`).
    var attacks: [AttackRecord] = []
    var attackSockets: [UInt32: Int] = [:]

    init(scenario: Scenario, options: RunOptions, traceSink: TraceWriter) {
        self.scenario = scenario
        self.options = options
        self.rng = SimRandom(seed: options.seed)
        self.network = Network(settings: scenario.network)
        self.turnServer = TURNServer(address: Network.turnServer, relayIP: Network.turnServer.ip,
                                     relayAddressCount: scenario.network.turnRelayAddresses)
        self.trace = traceSink
        self.endTime = min(options.until ?? scenario.duration, scenario.duration)
        self.oracle = MeshOracle(names: [], uids: [], attackers: [])
        self.signaling = SignalingServerProcess(secretSeed: Self.serverSecretSeed(options.seed))
        for m in scenario.machines { machineByName[m.name ?? ""] = machines.add(m) }
        placeServer()
        for p in scenario.peers { addSlot(p.id, uid: p.id) }
        if scenario.traffic.contains(where: { !$0.isMedia }) { traffic = TrafficLedger(flows: scenario.traffic) }
        if scenario.traffic.contains(where: \.isMedia) { media = MediaLinks() }
        for e in scenario.events {
            switch e.action {
            case .join(let p): addSlot(p.id, uid: p.id)
            case .duplicateTab(let peer, let name): addSlot(name, uid: peers[slotIndex[peer] ?? PeerID(0)].uid)
            default: break
            }
        }
        for p in scenario.peers where !p.behaviour.isEmpty { peers[slotIndex[p.id]!].behaviour = p.behaviour }
        for p in scenario.peers where p.devtoolsLogging { peers[slotIndex[p.id]!].devtoolsLogging = true }
        for e in scenario.events {
            if case .join(let p) = e.action, !p.behaviour.isEmpty { peers[slotIndex[p.id]!].behaviour = p.behaviour }
            if case .join(let p) = e.action, p.devtoolsLogging { peers[slotIndex[p.id]!].devtoolsLogging = true }
        }
        anyDevtoolsLogging = peers.contains(where: \.devtoolsLogging)
        oracle = MeshOracle(names: peers.map(\.name), uids: peers.map(\.uid), attackers: peers.map(\.isAttacker))
    }

    /// The server's secret generator seed: derived from the run's seed without drawing from the
    /// run's generator (so adding secrets changed no other random draw).
    static func serverSecretSeed(_ seed: UInt64) -> UInt64 {
        seed ^ 0x5EC2_E7C0_FFEE_D00D
    }

    private func addSlot(_ name: String, uid: String) {
        guard slotIndex[name] == nil else { return }
        let id = PeerID(Int32(peers.count))
        slotIndex[name] = id
        peers.append(PeerSlot(name: name, uid: uid))
        uidSlots[uid, default: []].append(id)
    }

    // MARK: - The loop

    func run() {
        for (i, p) in scenario.peers.enumerated() {
            // Hosts in file order, so addresses do not depend on join times.
            _ = ensureHost(slot: slotIndex[p.id]!, peer: p)
            queue.push(.pageLoad(Int32(i)), at: p.join)
        }
        for (i, e) in scenario.events.enumerated() {
            queue.push(.scenarioAction(Int32(i)), at: e.at)
        }
        if media != nil { queue.push(.mediaTick, at: 0) }
        var executed = 0
        while let next = queue.nextTime, next <= endTime {
            guard executed < options.eventBudget else {
                budgetExhausted = true
                invariants.record(now, "eventBudget", peers: [], "event budget of \(options.eventBudget) events exhausted; the run stopped early (raise it with --max-events)")
                break
            }
            let entry = queue.pop()!
            if entry.time < now {
                invariants.record(now, "monotonicClock", peers: [], "clock went backwards: event at \(formatMillis(entry.time)) ms after \(formatMillis(now)) ms")
            }
            now = entry.time
            machines.clock = now
            cursor = now
            executed += 1
            if executed & 0xFFFF == 0, let progress { progress(now, executed) }
            if let eventProfile {
                eventProfile.count(entry.event)
                eventProfile.notePending(queue.count + 1)
                if entry.withdrawn { eventProfile.count(.pcTimerWithdrawn) }
            }
            // A connection timer a re-arm withdrew (`rearmTimer`) comes out in its place, as the
            // stale event it used to be, but without the heap and the handler: it only counts.
            if !entry.withdrawn { dispatch(entry.event) }
            if !deliveries.isEmpty { scheduleDeliveries() }
            if let determinismLog { determinismLog.record(time: now, event: entry.event, rng: rng.stateDigest, traceLines: trace.lines) }
        }
        stats.events = executed
        eventProfile?.countWithdrawnDataTimers(queue.withdrawnByTag)
        if !budgetExhausted { now = endTime }
        trace.flush()
        if traffic != nil { classifyTrafficLosses() }
        finishMedia()
        oracle.runEnded(at: now)
        for observer in observers { observer.runEnded(at: now) }
    }

    private func dispatch(_ event: Event) {
        switch event {
        case .scenarioAction(let i):
            runScenarioEvent(scenario.events[Int(i)])
        case .pageLoad(let i):
            let p = scenario.peers[Int(i)]
            let slot = slotIndex[p.id]!
            roster.joinInitial(p.id)
            loadPage(slot: slot, uid: p.id, host: ensureHost(slot: slot, peer: p).raw, preloaded: p.preloaded)
        case .wsOpened(let page, let epoch):
            webSocketOpened(page: page, epoch: epoch)
        case .wsArrive(let slot):
            frameArrived(slot)
        case .datagramArrive(let slot):
            datagramArrived(slot)
        case .pcTask(let c):
            guard !connections[Int(c)].closed else { return }
            callConnection(c) { slot, out in slot.pc.runTask(now: now, into: &out) }
        case .pcTimer(let c, let epoch):
            let slot = connections[Int(c)]
            guard slot.timerEpoch == epoch, !slot.closed else {
                eventProfile?.count(.pcTimerStale)
                return
            }
            slot.timerAt = .max
            slot.timerTicket = 0
            // Exact before it decides: a data packet may have left it early.
            slot.inPlace { $0.refreshStaleDeadline() }
            if let d = slot.pc.nextDeadline, d > now {
                // An input moved the deadline later since this timer was set: nothing is due
                // (`nextDeadline` covers every timed step), so only re-arm, as `carryOut` would.
                eventProfile?.count(.pcTimerEarly)
                rearmTimer(c, at: d)
                return
            }
            cursor = charge(.timer, page: slot.page, readyAt: now)
            callConnection(c) { slot, out in slot.pc.timerFired(now: now, into: &out) }
        case .wsReconnect(let page, let epoch):
            reconnectWebSocket(page: page, epoch: epoch)
        case .serverPing:
            serverPing()
        case .serverUp:
            serverComesUp()
        case .deferred(let i):
            runDeferred(deferred[Int(i)])
        case .meshTimer(let i):
            // The timer's callback waits for the page's script to be free.
            let page = meshTimers[Int(i)].page
            guard pages[Int(page)].alive else { return }
            pushPageTask(.meshTimer(i), at: charge(.eventDispatch, page: page, readyAt: now))
        case .pageTask(let i):
            runPageTask(i)
        case .bench:
            return
        case .trafficTick(let page, let flow):
            trafficTick(page: page, flow: Int(flow))
        case .mediaTick:
            mediaTick()
        case .dataTimer(let c, let epoch):
            dataTimerDue(c, epoch: epoch)
        }
    }

    // MARK: - Hosts

    func ensureHost(slot: PeerID, peer: PeerSpec) -> HostID {
        if peers[slot].machine == nil {
            // A named machine, or a computer of its own with the default cores and speed.
            peers[slot].machine = peer.machine.flatMap { machineByName[$0] } ?? machines.add(MachineSpec(name: nil))
        }
        if let host = peers[slot].host { return host }
        let h = HostID(network.addHost(latency: peer.latency, nat: peer.nat, lan: peer.lan, udp: peer.udp))
        hostSockets.append(SocketTable())
        // The access link's capacities: every datagram crosses them, with or without media.
        let uplink = peer.uplink ?? network.settings.uplink, downlink = peer.downlink ?? network.settings.downlink
        if uplink != nil || downlink != nil { network.setCapacity(host: h.raw, uplink: uplink, downlink: downlink) }
        if media != nil {
            media!.addHost(h.raw, name: peers[slot].name, uplink: peer.uplink ?? network.settings.uplink,
                           downlink: peer.downlink ?? network.settings.downlink)
        }
        peers[slot].host = h
        return h
    }

    /// A free UDP port on `host` for `connection` (0 if the host has run out of ports).
    func allocatePort(host: Int32, connection: Int32) -> UInt16 {
        hostSockets[Int(host)].bind(connection) ?? 0
    }
}

/// A connection event waiting for its page's manager. A struct, not a tuple: the standard
/// library copies arrays of tuples with non-trivial members through generic runtime witnesses.
struct Delivery {
    let connection: Int32
    let event: PCEvent
    /// When the work that raised it ended (the thread it comes from is done with it).
    let readyAt: Int64
}

/// Counters a report shows.
struct RunStats {
    var events = 0
    var controlMessages = 0
    var offersCreated = 0
    var connectionsCreated = 0
    var connectionsRefused = 0
    var operationErrors = 0
    var signalsDropped = 0
    /// STUN datagrams the pages' browsers dropped at their send limit (`STUNThrottle`).
    var stunThrottled = 0
    /// `restartIce()` calls by mesh managers.
    var iceRestarts = 0
}
