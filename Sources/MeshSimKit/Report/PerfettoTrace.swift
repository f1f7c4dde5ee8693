import Foundation

/// `--perfetto FILE`: the run in Chrome's trace event format (the JSON object form,
/// `{"traceEvents":[...],"displayTimeUnit":"ms"}`), for ui.perfetto.dev and chrome://tracing.
/// docs/cli.md, "Perfetto (`--perfetto FILE`)", says what is in it.
///
/// - One process per page (each load is its own page), named "p07 (page 2, loaded at 20.8 s)" and
///   sorted by load; its main thread ("page") has a span for the page's life, spans for the
///   WebSocket's open periods within it, and instants for what the page sent, received and
///   decided. Process 1 is the signaling server and the scenario: scenario events are global
///   instants, server downtime a span.
/// - Five threads per RTCPeerConnection, one per state machine, so that spans on a thread never
///   overlap: "→ p12 (active)" (connectionState, and instants for candidates, the selected
///   pair, the association, errors, data and the page's close), "→ p12 · ice"
///   (iceConnectionState), "→ p12 · signaling", "→ p12 · gathering", "→ p12 · channel" (a data
///   channel open). A state's span ends when the next begins, or when the page unloads or the
///   run ends.
/// - A flow (an arrow) from each signal's send to its delivery, matched by the signal's serial
///   (`Observation.signal`); a signal the server dropped has an instant but no flow.
///
/// - CPU time (docs/model.md section 5a): each page has a track per thread the model charges
///   ("main thread", "signaling thread", "network thread"), with a slice for every piece of
///   work from when it starts to when it ends (named by the work: `setRemoteOffer`,
///   `webSocketMessage`, ...); process 1 has one track per machine's browser process and one
///   for the signaling server's process when the scenario puts it on a machine. So a slow
///   set-up shows where it waited.
///
/// Timestamps are simulated microseconds, written exactly (three decimals from the nanoseconds).
/// Everything is appended to one byte buffer as it is observed, in observation order, so the
/// same run gives the same bytes. A flow start is written right after its send instant (a flow
/// binds to the slice it is in, here that instant) and cut out at the end unless the signal
/// arrived.
final class PerfettoObserver: RunObserver {
    private let out = ByteBuffer()

    /// Pids: 1 the server and scenario, `pageBase + page` each page. Tids: the process's own pid
    /// for a page's main thread, 1 and 2 the scenario's and the server's threads,
    /// `connectionBase + 5 × connection + machine` for connections (unique across processes,
    /// as some viewers want).
    private static let serverPID: Int64 = 1
    private static let scenarioTID: Int64 = 1
    private static let serverTID: Int64 = 2
    private static let pageBase: Int64 = 10
    private static let connectionBase: Int64 = 1 << 24
    /// CPU tracks: `cpuBase + 3 × page + thread` for a page's threads, `cpuBase - 1 - machine`
    /// for a machine's browser process (named by the scenario's name for it, or its index in
    /// the run), `serverCPUTID` for the server's process.
    private static let cpuBase: Int64 = 1 << 28
    private static let serverCPUTID: Int64 = 3
    private static let cpuThreads = ["main", "signaling", "network"]
    private static let cpuTrackNames: [StaticString] = ["main thread (CPU)", "signaling thread (CPU)", "network thread (CPU)"]

    /// A connection's state machines, each on its own thread; the channel has no named states.
    private static let machines = 5
    private static let stateMachines = 4
    private static let connectionMachine = 0, iceMachine = 1, signalingMachine = 2, gatheringMachine = 3,
                       channelMachine = 4
    private static let machineCategory: [StaticString] = ["connectionState", "iceConnectionState", "signalingState",
                                                          "iceGatheringState", "dataChannel"]
    private static let threadSuffix: [StaticString] = ["", " · ice", " · signaling", " · gathering", " · channel"]

    private struct PageState {
        var name: String
        var alive = true
        var loadedAt: Int64
        /// Since when the WebSocket is open, or -1.
        var wsSince: Int64 = -1
        var connections: [Int32] = []
    }

    private struct ConnectionState {
        var page: Int32
        var remote: String
        /// The sort index of its first thread among its page's threads.
        var sortBase: Int64
        /// Data channels open now, and since when one is.
        var channelsOpen = 0
        var channelSince: Int64 = 0
        var channelNamed = false
        /// False once its page unloaded, or if it was refused: nothing more is drawn.
        var live: Bool
    }

    private var pages: [PageState?] = []
    private var connections: [ConnectionState?] = []
    /// Per connection and state machine (`stateMachines × connection + machine`): the state, and
    /// since when.
    private var states: [String] = []
    private var since: [Int64] = []
    /// Per signal serial: where its flow start is in `out` (start -1: none), and whether the
    /// signal arrived.
    private var flowStart: [Int] = []
    private var flowEnd: [Int] = []
    private var flowArrived: [Bool] = []
    private var serverDownSince: Int64 = -1
    private var ended = false
    /// CPU work observed so far, written at the end clipped to the run (work given near the end
    /// may end after it).
    private var cpuSpans: [(pid: Int64, tid: Int64, start: Int64, end: Int64, name: String)] = []
    /// CPU tracks named so far.
    private var cpuTracks: Set<Int64> = []

    init() {
        out.append("{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"signaling server and scenario\"}}")
        metadata("process_sort_index", pid: Self.serverPID, tid: Self.scenarioTID, sortIndex: 0)
        threadName(pid: Self.serverPID, tid: Self.scenarioTID) { $0.append("scenario") }
        metadata("thread_sort_index", pid: Self.serverPID, tid: Self.scenarioTID, sortIndex: 0)
        threadName(pid: Self.serverPID, tid: Self.serverTID) { $0.append("signaling server") }
        metadata("thread_sort_index", pid: Self.serverPID, tid: Self.serverTID, sortIndex: 1)
    }

    // MARK: - Observing

    func observe(_ o: Observation, at t: Int64) {
        guard !ended else { return }
        switch o.kind {
        case .page:
            guard let p = o.page else { return instantOnScenario(o, at: t) }
            if o.value == "load" { pageLoaded(p, name: o.peer ?? "?", at: t) } else { pageUnloaded(p, at: t) }
        case .ws:
            guard let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
            if o.value == "open" {
                if pages[Int(p)]!.wsSince < 0 { pages[Int(p)]!.wsSince = t }
            } else {
                closeWebSocket(p, at: t)
            }
        case .connection:
            if o.value == "closed" {
                connectionInstant(o, at: t)
                connectionClosed(o, at: t)
            } else {
                connectionCreated(o, at: t)
            }
        case .connectionState:
            stateChanged(o, machine: Self.connectionMachine, at: t)
        case .iceConnectionState:
            stateChanged(o, machine: Self.iceMachine, at: t)
        case .signalingState:
            stateChanged(o, machine: Self.signalingMachine, at: t)
        case .iceGatheringState:
            stateChanged(o, machine: Self.gatheringMachine, at: t)
        case .dataChannel:
            channelChanged(o, at: t)
        case .candidate, .selectedPair, .data, .error, .association:
            connectionInstant(o, at: t)
        case .signal:
            signalSent(o, at: t)
        case .signalDelivered:
            signalDelivered(o, at: t)
        case .cpu:
            cpuWork(o)
        case .server:
            if o.value == "down" {
                if serverDownSince < 0 { serverDownSince = t }
            } else {
                serverUp(at: t)
            }
        case .scenario:
            // Global: a line across every track.
            instantHead(pid: Self.serverPID, tid: Self.scenarioTID, at: t, cat: "scenario", scope: "g")
            out.appendEscaped(o.value)
            if let peer = o.peer {
                out.append(" ")
                out.appendEscaped(peer)
                if let remote = o.remote {
                    out.append("–")
                    out.appendEscaped(remote)
                }
            }
            out.append("\"")
            args(o, peer: true)
            out.append("}")
        case .decision:
            guard let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
            let pid = Self.pageBase + Int64(p)
            instantHead(pid: pid, tid: pid, at: t, cat: "decision", scope: "t")
            out.appendEscaped(o.value)
            out.append("\"")
            args(o, peer: false)
            out.append("}")
        default:
            guard let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
            let pid = Self.pageBase + Int64(p)
            genericInstant(o, pid: pid, tid: pid, at: t)
        }
    }

    func runEnded(at t: Int64) {
        guard !ended else { return }
        for p in pages.indices where pages[p]?.alive == true { pageUnloaded(Int32(p), at: t) }
        serverUp(at: t)
        for w in cpuSpans where w.start < t {
            span(pid: w.pid, tid: w.tid, from: w.start, to: min(w.end, t), cat: "cpu") { $0.appendEscaped(w.name) }
        }
        cpuSpans = []
        ended = true
    }

    /// The whole file: the events written, less the flow starts of signals that never arrived.
    var document: Data {
        var doc = Data()
        doc.reserveCapacity(out.count + 64)
        doc.append(contentsOf: "{\"traceEvents\":[\n".utf8)
        out.withBytes { bytes in
            var from = 0
            for serial in flowStart.indices where flowStart[serial] >= 0 && !flowArrived[serial] {
                doc.append(UnsafeBufferPointer(rebasing: bytes[from..<flowStart[serial]]))
                from = flowEnd[serial]
            }
            doc.append(UnsafeBufferPointer(rebasing: bytes[from..<bytes.count]))
        }
        doc.append(contentsOf: "\n],\n\"displayTimeUnit\":\"ms\"}\n".utf8)
        return doc
    }

    // MARK: - Pages and the server

    private func isLive(_ p: Int32) -> Bool {
        p >= 0 && Int(p) < pages.count && pages[Int(p)]?.alive == true
    }

    private func pageLoaded(_ p: Int32, name: String, at t: Int64) {
        guard p >= 0 else { return }
        while pages.count <= Int(p) { pages.append(nil) }
        pages[Int(p)] = PageState(name: name, loadedAt: t)
        let pid = Self.pageBase + Int64(p)
        event("M", pid: pid, tid: pid)
        out.append(",\"name\":\"process_name\",\"args\":{\"name\":\"")
        out.appendEscaped(name)
        out.append(" (page ")
        out.appendInt(Int64(p))
        out.append(", loaded at ")
        out.appendEscaped(formatSeconds(t))
        out.append(")\"}}")
        metadata("process_sort_index", pid: pid, tid: pid, sortIndex: Int64(p) + 1)
        threadName(pid: pid, tid: pid) { $0.append("page") }
        metadata("thread_sort_index", pid: pid, tid: pid, sortIndex: 0)
    }

    private func closeWebSocket(_ p: Int32, at t: Int64) {
        guard let since = pages[Int(p)]?.wsSince, since >= 0 else { return }
        let pid = Self.pageBase + Int64(p)
        span(pid: pid, tid: pid, from: since, to: t, cat: "ws") { $0.append("WebSocket open") }
        pages[Int(p)]!.wsSince = -1
    }

    /// Every span of the page ends: its connections' states, its WebSocket, its life.
    private func pageUnloaded(_ p: Int32, at t: Int64) {
        guard isLive(p), let page = pages[Int(p)] else { return }
        for c in page.connections { endConnection(c, at: t) }
        closeWebSocket(p, at: t)
        let pid = Self.pageBase + Int64(p)
        span(pid: pid, tid: pid, from: page.loadedAt, to: t, cat: "page") { $0.appendEscaped(page.name) }
        pages[Int(p)]!.alive = false
    }

    private func serverUp(at t: Int64) {
        guard serverDownSince >= 0 else { return }
        span(pid: Self.serverPID, tid: Self.serverTID, from: serverDownSince, to: t, cat: "server") { $0.append("down") }
        serverDownSince = -1
    }

    // MARK: - Connections

    private static func tid(_ c: Int32, _ machine: Int) -> Int64 {
        connectionBase + Int64(c) * Int64(machines) + Int64(machine)
    }

    /// The live connection `o` is about, if any.
    private func liveConnection(_ o: Observation) -> Int32? {
        guard let c = o.connection, c >= 0, Int(c) < connections.count, connections[Int(c)]?.live == true else { return nil }
        return c
    }

    private func connectionCreated(_ o: Observation, at t: Int64) {
        guard let c = o.connection, c >= 0, let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
        while connections.count <= Int(c) {
            connections.append(nil)
            for _ in 0..<Self.stateMachines {
                states.append("")
                since.append(0)
            }
        }
        let refused = o.value == "refused"
        let sortBase = 1 + Int64(pages[Int(p)]!.connections.count) * Int64(Self.machines)
        pages[Int(p)]!.connections.append(c)
        let remote = o.remote ?? "?"
        connections[Int(c)] = ConnectionState(page: p, remote: remote, sortBase: sortBase, live: !refused)
        let first = Int(c) * Self.stateMachines
        states[first + Self.connectionMachine] = "new"
        states[first + Self.iceMachine] = "new"
        states[first + Self.signalingMachine] = "stable"
        states[first + Self.gatheringMachine] = "new"
        for m in 0..<Self.stateMachines { since[first + m] = t }

        let pid = Self.pageBase + Int64(p)
        let main = Self.tid(c, Self.connectionMachine)
        threadName(pid: pid, tid: main) {
            $0.append("→ ")
            $0.appendEscaped(remote)
            $0.append(" (")
            $0.appendEscaped(o.value)
            $0.append(")")
        }
        metadata("thread_sort_index", pid: pid, tid: main, sortIndex: sortBase)
        if refused {
            genericInstant(o, pid: pid, tid: main, at: t)
            return
        }
        for m in 1..<Self.stateMachines { nameThread(c, machine: m) }
    }

    private func nameThread(_ c: Int32, machine m: Int) {
        guard let conn = connections[Int(c)] else { return }
        let pid = Self.pageBase + Int64(conn.page)
        let tid = Self.tid(c, m)
        threadName(pid: pid, tid: tid) {
            $0.append("→ ")
            $0.appendEscaped(conn.remote)
            $0.append(Self.threadSuffix[m])
        }
        metadata("thread_sort_index", pid: pid, tid: tid, sortIndex: conn.sortBase + Int64(m))
    }

    private func stateChanged(_ o: Observation, machine m: Int, at t: Int64) {
        guard let c = liveConnection(o) else { return }
        let i = Int(c) * Self.stateMachines + m
        guard states[i] != o.value else { return }
        stateSpan(c, machine: m, to: t)
        states[i] = o.value
        since[i] = t
    }

    private func stateSpan(_ c: Int32, machine m: Int, to t: Int64) {
        let i = Int(c) * Self.stateMachines + m
        let name = states[i]
        span(pid: Self.pageBase + Int64(connections[Int(c)]!.page), tid: Self.tid(c, m), from: since[i], to: t,
             cat: Self.machineCategory[m]) { $0.appendEscaped(name) }
    }

    private func channelChanged(_ o: Observation, at t: Int64) {
        guard let c = liveConnection(o) else { return }
        if o.value == "open" {
            if !connections[Int(c)]!.channelNamed {
                connections[Int(c)]!.channelNamed = true
                nameThread(c, machine: Self.channelMachine)
            }
            if connections[Int(c)]!.channelsOpen == 0 { connections[Int(c)]!.channelSince = t }
            connections[Int(c)]!.channelsOpen += 1
        } else if connections[Int(c)]!.channelsOpen > 0 {
            connections[Int(c)]!.channelsOpen -= 1
            if connections[Int(c)]!.channelsOpen == 0 { channelSpan(c, to: t) }
        }
    }

    private func channelSpan(_ c: Int32, to t: Int64) {
        guard let conn = connections[Int(c)] else { return }
        span(pid: Self.pageBase + Int64(conn.page), tid: Self.tid(c, Self.channelMachine), from: conn.channelSince, to: t,
             cat: "dataChannel") { $0.append("open") }
    }

    /// The page closed it (`pc.close()`, which fires no state event): its states are `closed`
    /// from now until the page unloads, and its channels are no longer open, as Chromium's
    /// `connectionState`, `iceConnectionState`, `signalingState` and `readyState` say after
    /// `close()` (a dead connection was drawn `connected` to the end of the run).
    private func connectionClosed(_ o: Observation, at t: Int64) {
        guard let c = liveConnection(o) else { return }
        for m in [Self.connectionMachine, Self.iceMachine, Self.signalingMachine] {
            let i = Int(c) * Self.stateMachines + m
            guard states[i] != "closed" else { continue }
            stateSpan(c, machine: m, to: t)
            states[i] = "closed"
            since[i] = t
        }
        if connections[Int(c)]!.channelsOpen > 0 {
            channelSpan(c, to: t)
            connections[Int(c)]!.channelsOpen = 0
        }
    }

    /// Its page went: every machine's state ends now.
    private func endConnection(_ c: Int32, at t: Int64) {
        guard Int(c) < connections.count, let conn = connections[Int(c)], conn.live else { return }
        for m in 0..<Self.stateMachines { stateSpan(c, machine: m, to: t) }
        if conn.channelsOpen > 0 { channelSpan(c, to: t) }
        connections[Int(c)]!.live = false
    }

    private func connectionInstant(_ o: Observation, at t: Int64) {
        guard let c = liveConnection(o), let conn = connections[Int(c)] else { return instantOnScenario(o, at: t) }
        instantHead(pid: Self.pageBase + Int64(conn.page), tid: Self.tid(c, Self.connectionMachine), at: t,
                    cat: o.kind.traceKind, scope: "t")
        switch o.kind {
        case .selectedPair: out.append("selected ")
        case .data: out.append("message ")
        default:
            out.append(o.kind.traceKind)
            out.append(" ")
        }
        out.appendEscaped(o.value)
        if o.kind == .data { out.append(" B") }
        out.append("\"")
        if o.detail != nil { args(o, peer: false) }
        out.append("}")
    }

    // MARK: - CPU

    /// Work given to a thread: its track is named the first time; the slice is kept for the end.
    private func cpuWork(_ o: Observation) {
        let pid: Int64, tid: Int64
        if let p = o.page {
            guard p >= 0, Int(p) < pages.count, pages[Int(p)] != nil,
                  let which = Self.cpuThreads.firstIndex(of: o.detail ?? "") else { return }
            pid = Self.pageBase + Int64(p)
            tid = Self.cpuBase + 3 * Int64(p) + Int64(which)
            if cpuTracks.insert(tid).inserted {
                threadName(pid: pid, tid: tid) { $0.append(Self.cpuTrackNames[which]) }
                metadata("thread_sort_index", pid: pid, tid: tid, sortIndex: Int64(which) - 3)
            }
        } else if o.detail == "server" {
            pid = Self.serverPID
            tid = Self.serverCPUTID
            if cpuTracks.insert(tid).inserted {
                threadName(pid: pid, tid: tid) { $0.append("signaling server process (CPU)") }
                metadata("thread_sort_index", pid: pid, tid: tid, sortIndex: 2)
            }
        } else {
            pid = Self.serverPID
            tid = Self.cpuBase - 1 - Int64(max(0, o.cpuMachine))
            if cpuTracks.insert(tid).inserted {
                threadName(pid: pid, tid: tid) {
                    $0.append("browser process, machine ")
                    if let name = o.peer { $0.appendEscaped(name) } else { $0.appendInt(Int64(o.cpuMachine)) }
                    $0.append(" (CPU)")
                }
                metadata("thread_sort_index", pid: pid, tid: tid, sortIndex: 3 + Int64(max(0, o.cpuMachine)))
            }
        }
        cpuSpans.append((pid, tid, o.cpuStart, o.cpuEnd, o.value))
    }

    // MARK: - Signals

    private func signalSent(_ o: Observation, at t: Int64) {
        guard let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
        let pid = Self.pageBase + Int64(p)
        instantHead(pid: pid, tid: pid, at: t, cat: "signal", scope: "t")
        out.appendEscaped(o.value)
        out.append(" → ")
        out.appendEscaped(o.remote ?? "?")
        out.append("\"}")
        guard let serial = o.signal, serial >= 0 else { return }
        while flowStart.count <= Int(serial) {
            flowStart.append(-1)
            flowEnd.append(-1)
            flowArrived.append(false)
        }
        // Right after the instant it binds to; cut out at the end unless the signal arrives.
        flowStart[Int(serial)] = out.count
        flow("s", serial: serial, pid: pid, at: t)
        flowEnd[Int(serial)] = out.count
    }

    private func signalDelivered(_ o: Observation, at t: Int64) {
        guard let p = o.page, isLive(p) else { return instantOnScenario(o, at: t) }
        let pid = Self.pageBase + Int64(p)
        instantHead(pid: pid, tid: pid, at: t, cat: "signal", scope: "t")
        out.appendEscaped(o.value)
        out.append(" ← ")
        out.appendEscaped(o.remote ?? "?")
        out.append("\"}")
        guard let serial = o.signal, serial >= 0, Int(serial) < flowStart.count,
              flowStart[Int(serial)] >= 0, !flowArrived[Int(serial)] else { return }
        flowArrived[Int(serial)] = true
        flow("f", serial: serial, pid: pid, at: t)
    }

    /// A flow event on a page's main thread; the end binds to the enclosing slice (`"bp":"e"`).
    private func flow(_ phase: StaticString, serial: Int32, pid: Int64, at t: Int64) {
        event(phase, pid: pid, tid: pid)
        out.append(",\"ts\":")
        out.appendMicros(t)
        out.append(",\"cat\":\"signal\",\"name\":\"signal\",\"id\":")
        out.appendInt(Int64(serial))
        if phase.utf8Start.pointee == UInt8(ascii: "f") { out.append(",\"bp\":\"e\"") }
        out.append("}")
    }

    // MARK: - Other instants

    /// An observation about no live page: on the scenario thread.
    private func instantOnScenario(_ o: Observation, at t: Int64) {
        genericInstant(o, pid: Self.serverPID, tid: Self.scenarioTID, at: t)
    }

    /// "kind value" ("online uid" for online and offline), with the rest as args.
    private func genericInstant(_ o: Observation, pid: Int64, tid: Int64, at t: Int64) {
        instantHead(pid: pid, tid: tid, at: t, cat: o.kind.traceKind, scope: "t")
        out.append(o.kind.traceKind)
        out.append(" ")
        if o.kind == .online || o.kind == .offline, let remote = o.remote {
            out.appendEscaped(remote)
        } else {
            out.appendEscaped(o.value)
        }
        let onServer = pid == Self.serverPID
        if onServer, let peer = o.peer {
            out.append(" ")
            out.appendEscaped(peer)
        }
        out.append("\"")
        args(o, peer: onServer)
        out.append("}")
    }

    /// `,"args":{...}` with the peer (if asked), remote and detail there are.
    private func args(_ o: Observation, peer withPeer: Bool) {
        let peer = withPeer ? o.peer : nil
        guard peer != nil || o.remote != nil || o.detail != nil else { return }
        out.append(",\"args\":{")
        var first = true
        func arg(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            out.append(first ? "\"" : ",\"")
            first = false
            out.append(key)
            out.append("\":\"")
            out.appendEscaped(value)
            out.append("\"")
        }
        arg("peer", peer)
        arg("remote", o.remote)
        arg("detail", o.detail)
        out.append("}")
    }

    // MARK: - Events

    /// `,\n{"ph":"P","pid":N,"tid":N`: every event but the first starts so; the caller closes it.
    private func event(_ phase: StaticString, pid: Int64, tid: Int64) {
        out.append(",\n{\"ph\":\"")
        out.append(phase)
        out.append("\",\"pid\":")
        out.appendInt(pid)
        out.append(",\"tid\":")
        out.appendInt(tid)
    }

    /// An instant up to its name's opening quote; the caller writes the name and closes.
    private func instantHead(pid: Int64, tid: Int64, at t: Int64, cat: StaticString, scope: StaticString) {
        event("i", pid: pid, tid: tid)
        out.append(",\"ts\":")
        out.appendMicros(t)
        out.append(",\"s\":\"")
        out.append(scope)
        out.append("\",\"cat\":\"")
        out.append(cat)
        out.append("\",\"name\":\"")
    }

    /// A complete event from `from` to `to`; `name` writes its name (escaped).
    private func span(pid: Int64, tid: Int64, from: Int64, to: Int64, cat: StaticString, name: (ByteBuffer) -> Void) {
        event("X", pid: pid, tid: tid)
        out.append(",\"ts\":")
        out.appendMicros(from)
        out.append(",\"dur\":")
        out.appendMicros(max(0, to - from))
        out.append(",\"cat\":\"")
        out.append(cat)
        out.append("\",\"name\":\"")
        name(out)
        out.append("\"}")
    }

    private func threadName(pid: Int64, tid: Int64, name: (ByteBuffer) -> Void) {
        event("M", pid: pid, tid: tid)
        out.append(",\"name\":\"thread_name\",\"args\":{\"name\":\"")
        name(out)
        out.append("\"}}")
    }

    private func metadata(_ kind: StaticString, pid: Int64, tid: Int64, sortIndex: Int64) {
        event("M", pid: pid, tid: tid)
        out.append(",\"name\":\"")
        out.append(kind)
        out.append("\",\"args\":{\"sort_index\":")
        out.appendInt(sortIndex)
        out.append("}}")
    }
}

