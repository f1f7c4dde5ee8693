import SignalProtocol

/// CPU time: charging browser work to a page's threads on its machine (docs/model.md, "CPU").
///
/// The rule the handlers follow: a handler changes state when it runs and what it sends leaves
/// at `cursor`, the moment the work it was charged ends. Work for the page's script that must
/// see the world as it is when its turn comes (a WebSocket message, a connection event) waits
/// for that turn as a `.pageTask` event; network-thread work (a packet, a timer) runs at once
/// and only its outputs wait, since nothing a script can observe depends on the difference.
extension Simulation {
    /// Charge `work` to `page`'s thread for it, ready from `readyAt`: returns when it ends.
    /// Inlined: a call here made the 100-peer join copy every arriving datagram (+1 %).
    @inline(__always)
    func charge(_ work: CPUWork, page: Int32, readyAt: Int64) -> Int64 {
        let p = Int(page)
        let cost = costOf(work, page: p)
        if work.cpuTenths < 10 { return chargeWaiting(work, cost: cost, page: page, readyAt: readyAt) }
        if anyDevtoolsLogging && pages[p].devtoolsLogging && DevToolsLogging.logsRecord(work) {
            return chargeLogged(work, cost: cost, page: page, readyAt: readyAt)
        }
        let end = machines.run(cost, thread: thread(work.thread, page: p), readyAt: readyAt, preempts: work.preempts)
        if drawsCPU { observeCPU(work, on: work.thread, page: page, cost: cost, end: end) }
        return end
    }

    /// An instrumented page's handler: it logs its record synchronously, then the record
    /// travels to the DevTools client (`DevToolsLogging`). Apart from `charge`, which every run
    /// inlines everywhere.
    @inline(never)
    private func chargeLogged(_ work: CPUWork, cost: Int64, page: Int32, readyAt: Int64) -> Int64 {
        let p = Int(page)
        let logged = cost + DevToolsLogging.pageCost
        let end = machines.run(logged, thread: thread(work.thread, page: p), readyAt: readyAt, preempts: work.preempts)
        if drawsCPU { observeCPU(work, on: work.thread, page: page, cost: logged, end: end) }
        forwardRecord(page: page, loggedAt: end)
        return end
    }

    /// A logged record's way to the DevTools client once the page's handler is done: the
    /// browser process forwards it, the client's driver process receives it and passes it to
    /// the listener, each a thread of the page's machine shared by all its pages
    /// (`DevToolsLogging`). None holds the page up; all take cores.
    private func forwardRecord(page: Int32, loggedAt: Int64) {
        let machine = pages[Int(page)].machine
        let m = Int(machine.raw)
        while devtoolsThreads.count <= m { devtoolsThreads.append(nil) }
        if devtoolsThreads[m] == nil {
            devtoolsThreads[m] = DevToolsThreads(browser: machines.addThread(on: machine), driver: machines.addThread(on: machine),
                                                 listener: machines.addThread(on: machine))
        }
        let threads = devtoolsThreads[m]!
        var at = loggedAt
        for (thread, cost, name, threadName) in [(threads.browser, DevToolsLogging.browserCost, "devtoolsForward", "browser (DevTools)"),
                                                 (threads.driver, DevToolsLogging.driverCost, "devtoolsDriver", "DevTools driver"),
                                                 (threads.listener, DevToolsLogging.listenerCost, "devtoolsListener", "DevTools listener")] {
            at = machines.run(cost, thread: thread, readyAt: at)
            if drawsCPU { observeCPU(name, thread: threadName, page: nil, machine: machine, cost: cost, end: at) }
        }
    }

    /// `count` runs of `work` as one task of its thread (a script calling the same API in a
    /// loop), ready from `readyAt`: when the task starts and ends.
    func chargeRepeated(_ work: CPUWork, count: Int64, page: Int32, readyAt: Int64) -> (start: Int64, end: Int64) {
        let p = Int(page)
        let cost = costOf(work, page: p) * count
        let end = machines.run(cost, thread: thread(work.thread, page: p), readyAt: readyAt, preempts: work.preempts)
        if drawsCPU { observeCPU(work, on: work.thread, page: page, cost: cost, end: end) }
        return (end - machines.duration(cost, on: pages[p].machine), end)
    }

    /// Work whose time is partly waiting (`CPUWork.cpuTenths`): its CPU part runs on the thread
    /// first, then the thread stays held, using no core, for the rest of `cost`.
    private func chargeWaiting(_ work: CPUWork, cost: Int64, page: Int32, readyAt: Int64) -> Int64 {
        let cpu = cost * work.cpuTenths / 10
        let which = thread(work.thread, page: Int(page))
        let ran = machines.run(cpu, thread: which, readyAt: readyAt, preempts: work.preempts)
        if drawsCPU { observeCPU(work, on: work.thread, page: page, cost: cpu, end: ran) }
        let end = ran + machines.duration(cost - cpu, on: pages[Int(page)].machine)
        machines.block(which, until: end)
        return end
    }

    /// A call from the page's script that blocks it until the signaling thread has done `work`
    /// (libwebrtc's proxies: `new RTCPeerConnection`, `createDataChannel`, `close`), from `cursor`
    /// on; `cursor` moves to its end.
    func blockingCall(_ work: CPUWork, page: Int32) {
        let p = Int(page)
        let main = thread(.main, page: p)
        let ready = max(cursor, machines.free(main))
        let cost = costOf(work, page: p)
        let end = machines.run(cost, thread: thread(.signaling, page: p), readyAt: ready)
        if drawsCPU { observeCPU(work, on: .signaling, page: page, cost: cost, end: end) }
        machines.block(main, until: end)
        cursor = end
    }

    /// Tells the outputs that draw CPU time (`--perfetto`) that `work` of `cost` was given to
    /// `page`'s thread `which` and ends at `end`.
    private func observeCPU(_ work: CPUWork, on which: BrowserThread, page: Int32, cost: Int64, end: Int64) {
        let machine = pages[Int(page)].machine
        let thread: String
        switch which {
        case .main: thread = "main"
        case .signaling: thread = "signaling"
        case .network: thread = "network"
        }
        observeCPU(String(describing: work), thread: thread, page: page, machine: machine, cost: cost, end: end)
    }

    /// Tells the outputs that draw CPU time that work named `name` was given to `thread` (of
    /// `page`, or of a process of `machine`) and ends at `end`.
    func observeCPU(_ name: String, thread: String, page: Int32?, machine: MachineID?, cost: Int64, end: Int64) {
        var o = Observation(kind: .cpu, peer: machine.flatMap { machines.specs[Int($0.raw)].name }, remote: nil,
                            value: name, detail: thread, page: page, connection: nil, uid: nil)
        o.cpuEnd = end
        o.cpuMachine = machine?.raw ?? -1
        o.cpuStart = end - (machine.map { machines.duration(cost, on: $0) } ?? cost)
        for observer in observers where observer.kinds.contains(.cpu) { observer.observe(o, at: now) }
    }

    /// `page`'s thread `which` on its machine's scheduler, created the first time.
    private func thread(_ which: BrowserThread, page p: Int) -> CPUThreadID {
        if let id = pages[p].threads[which] { return id }
        let id = machines.addThread(on: pages[p].machine)
        pages[p].threads[which] = id
        return id
    }

    /// What `work` costs `page` this time: its first time costs more; then the variation.
    private func costOf(_ work: CPUWork, page p: Int) -> Int64 {
        var cost = work.cost
        let bit = UInt32(1) << UInt32(work.rawValue)
        if pages[p].warmed & bit == 0 {
            pages[p].warmed |= bit
            cost += work.firstTimeCost
        }
        return work.varies ? varied(cost) : cost
    }

    /// A cost as this occurrence takes it: half of it fixed, the other half exponentially
    /// distributed (mean: the cost; long-tailed, as the recorded operation times are:
    /// docs/calibration/chromium, experiment 1, offer sent 25.0–83.7 ms, median 30.7), from the
    /// run's generator, so that work racing on different threads finishes in varying order as
    /// in Chromium (docs/model.md, "Orders that vary").
    private func varied(_ cost: Int64) -> Int64 {
        cost / 2 + rng.exponential(mean: Double(cost / 2))
    }

    // MARK: - The main thread's queue

    /// Queue `task` to run at `time` (its turn on the main thread, or the end of a hop).
    func pushPageTask(_ task: consuming PageTask, at time: Int64) {
        queue.push(.pageTask(pageTasks.insert(task)), at: time)
    }

    func runPageTask(_ slot: Int32) {
        let task = pageTasks.remove(slot)
        switch consume task {
        case .frame(let frame):
            pageReceives(frame)
        case .hop(let d):
            let page = connections[Int(d.connection)].page
            guard pages[Int(page)].alive else { return }
            pushPageTask(.delivery(d), at: charge(.eventDispatch, page: page, readyAt: now))
        case .delivery(let d):
            deliver(d)
        case .meshTimer(let i):
            let t = meshTimers[Int(i)]
            guard pages[Int(t.page)].alive else { return }
            callManager(page: t.page) { m, out in m.timerFired(remote: t.remote, token: t.token, into: &out) }
        }
    }

    // MARK: - Connection events on their way to the script

    /// Send the events connections raised during the last handler towards their pages'
    /// scripts, in the order they were raised: each is dispatched on the page's main thread
    /// once the thread it comes from is done with it. Two take a longer way: a
    /// `connectionState` change passes the signaling thread first (behind its JSEP work) and
    /// then waits to be posted, and a channel's `close` after an abort waits for the SCTP
    /// transport's teardown. So a data channel's `open` often comes before `connectionState`
    /// `connected`, and an answerer's `connecting` after its ICE `connected`, as in Chromium.
    func scheduleDeliveries() {
        for d in deliveries {
            let page = connections[Int(d.connection)].page
            guard pages[Int(page)].alive else { continue }
            switch d.event {
            case .connectionStateChange:
                // libwebrtc sets the standardized state on the signaling thread, behind the JSEP
                // work queued there; then it waits to be posted to the script.
                let set = charge(.connectionStateUpdate, page: page, readyAt: d.readyAt)
                postLate(d, page: page, at: set + rng.exponential(mean: Self.connectionStateLatency))
            case .dataChannelClosed(_, true):
                // After an abort, the channel's `error` and `close` follow its `closing` once the
                // SCTP transport is torn down.
                postLate(d, page: page, at: d.readyAt + rng.exponential(mean: Self.abortCloseLatency))
            default:
                pushPageTask(.delivery(d), at: charge(.eventDispatch, page: page, readyAt: d.readyAt))
            }
        }
        deliveries.clearKeepingCapacity()
    }

    /// Queue `d` for the script at `at`, or after the page's previous late event: late events
    /// of one page keep their order.
    private func postLate(_ d: Delivery, page: Int32, at: Int64) {
        let at = max(at, pages[Int(page)].lastStatePost)
        pages[Int(page)].lastStatePost = at
        pushPageTask(.hop(d), at: at)
    }

    /// Mean wait of a `connectionState` change on its way to the script, beyond the signaling
    /// thread's work (docs/fidelity.md, "Orders across state machines": a data channel's `open`
    /// came first in 41 to 58 of 84 offerers of an 8-tab join in Chromium, 20 of 28 here).
    static let connectionStateLatency: Double = 100_000

    /// Mean time from a channel's `closing` after an abort to its `error` and `close`
    /// (docs/fidelity.md, reloads: 2.4–6.3 ms between the medians).
    static let abortCloseLatency: Double = 4_000_000

    /// The page's script receives a connection event: the trace and the oracle see it, then
    /// the mesh manager. A connection the page closed in the meantime dispatches nothing
    /// (webrtc-pc: no events after `close()`).
    private func deliver(_ d: Delivery) {
        let slot = connections[Int(d.connection)]
        let p = Int(slot.page)
        guard pages[p].alive, !slot.closed else { return }
        observe(d.event, connection: d.connection)
        callManager(page: Int32(p)) { m, out in m.connectionEvent(slot.link, d.event, into: &out) }
    }
}
