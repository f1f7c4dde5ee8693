/// The CPUs of every machine of a run, scheduled as Linux's Completely Fair Scheduler (CFS)
/// schedules threads, with every task's start and end decided when it is given.
///
/// Each thread runs one task at a time in the order given (a thread is a task queue, as
/// Chromium's are) and has a virtual runtime: the CPU it has used. A task that finds a core free
/// starts at once. When every core is busy, the thread that used least CPU goes first, as in
/// CFS: a thread waking with a task is placed no further behind than half a scheduling latency
/// before the least-served thread that is running (the sleeper credit), and if it has used at
/// least the wakeup granularity less CPU than the thread holding a core, it preempts it and runs
/// now; otherwise it waits behind the work already given to a core by threads that had used no
/// more CPU than it, and ahead of the rest (`CoreQueue`; docs/model.md section 5a,
/// "Scheduling"). Without that, a task that did not preempt waited for everything booked on a
/// core, and under a storm the fair scheduler acted as a list for it.
///
/// Why decided when given: the handlers need to know when their work ends to send what it
/// produces, and one short loop over the cores per task keeps the model cheap and deterministic
/// (no wall clock; ties go to the lower core and the lower thread id). What that abstracts: a
/// task already given keeps its end when a later one preempts its thread; the preempting task's
/// time is charged instead to what comes after on that core, as a debt of the preempted
/// thread's (a thread less served than it goes ahead of the debt too), so no CPU time is
/// created.
struct MachineScheduler {
    private(set) var specs: [MachineSpec] = []
    /// Every machine's cores' next free moments, machine after machine.
    private var coreFree: [Int64] = []
    /// The thread of the last task given to each core (-1: none yet).
    private var coreOwner: [Int32] = []
    private var firstCore: [Int32] = []
    /// Nanoseconds of wall time per nanosecond of work at speed 1.
    private var slowness: [Double] = []
    private var tunables: [FairSchedulingTunables] = []
    /// Per machine: the least virtual runtime of the threads that held its cores (CFS's
    /// `min_vruntime`, never decreasing).
    private var minVruntime: [Int64] = []
    /// Per machine: its browser process's thread, which carries every WebSocket frame of the
    /// machine's pages (`ProcessWork.browserCarriesFrame`).
    private var browserThread: [CPUThreadID] = []
    /// Per core: the tasks given to it that may not have ended yet, by start (`CoreQueue`).
    private var coreQueues: [CoreQueue] = []
    /// The simulation's clock: no task is given earlier than this any more, so a core's tasks
    /// that ended by then are forgotten.
    var clock: Int64 = 0

    /// Per thread: its machine, when it has finished the work given so far, and the CPU it has
    /// used (its virtual runtime; every thread has the same weight, nice 0).
    private var threadMachine: [Int32] = []
    private var threadFree: [Int64] = []
    private var vruntime: [Int64] = []

    init() {}

    mutating func add(_ spec: MachineSpec) -> MachineID {
        let id = MachineID(Int32(specs.count))
        specs.append(spec)
        firstCore.append(Int32(coreFree.count))
        coreFree.append(contentsOf: repeatElement(0, count: spec.cores))
        coreOwner.append(contentsOf: repeatElement(-1, count: spec.cores))
        coreQueues.append(contentsOf: repeatElement(CoreQueue(), count: spec.cores))
        slowness.append(1 / spec.speed)
        tunables.append(FairSchedulingTunables(cores: spec.cores))
        minVruntime.append(0)
        browserThread.append(CPUThreadID(-1))
        browserThread[Int(id.raw)] = addThread(on: id)
        return id
    }

    /// A new thread on `machine`, idle, having used no CPU.
    mutating func addThread(on machine: MachineID) -> CPUThreadID {
        let id = CPUThreadID(Int32(threadMachine.count))
        threadMachine.append(machine.raw)
        threadFree.append(0)
        vruntime.append(0)
        return id
    }

    /// When `thread` has finished the work given to it so far.
    func free(_ thread: CPUThreadID) -> Int64 { threadFree[Int(thread.raw)] }

    /// `thread` is blocked (waiting for another thread) until `until`: it takes no new work
    /// before then, and uses no CPU meanwhile.
    mutating func block(_ thread: CPUThreadID, until: Int64) {
        let t = Int(thread.raw)
        threadFree[t] = max(threadFree[t], until)
    }

    /// What `thread` had queued is gone (its process died): it is free from now on.
    mutating func forget(_ thread: CPUThreadID) {
        threadFree[Int(thread.raw)] = 0
    }

    /// The CPU `thread` has used (its virtual runtime).
    func used(_ thread: CPUThreadID) -> Int64 { vruntime[Int(thread.raw)] }

    /// Wall time `cost` (nanoseconds of work at speed 1) takes on `machine`.
    func duration(_ cost: Int64, on machine: MachineID) -> Int64 {
        let s = slowness[Int(machine.raw)]
        return s == 1 ? cost : Int64(min(Double(cost) * s, Double(Self.longestOperation)).rounded())
    }

    /// The longest a single piece of work takes, however slow the machine: a day. A `speed`
    /// of 1e-12 made a connection's creation take 80 years, past the clock's range.
    static let longestOperation: Int64 = 86_400 * 1_000_000_000

    /// Run `cost` on `thread`, no earlier than `readyAt` and after the thread's earlier work.
    /// Returns when it ends, which is also when the thread is free again.
    ///
    /// `preempts`: a task far shorter than a slice on a thread that is mostly asleep (a page's
    /// network thread): it starts as soon as its thread is free, as CFS runs such a waking
    /// thread at once, and takes no core from the others (its time is not charged to them).
    mutating func run(_ cost: Int64, thread: CPUThreadID, readyAt: Int64, preempts: Bool = false) -> Int64 {
        let t = Int(thread.raw)
        if preempts {
            let end = max(readyAt, threadFree[t]) + duration(cost, on: MachineID(threadMachine[t]))
            threadFree[t] = end
            return end
        }
        let m = Int(threadMachine[t])
        let machine = MachineID(Int32(m))
        let tune = tunables[m]
        let ready = max(readyAt, threadFree[t])
        if threadFree[t] <= readyAt {
            // Waking: CFS places a sleeper at most half a latency behind the least-served
            // running thread, so sleeping does not bank unbounded credit.
            vruntime[t] = max(vruntime[t], minVruntime[m] - tune.sleeperCredit)
        }
        let d = duration(cost, on: machine)
        let first = Int(firstCore[m])
        let end = first + specs[m].cores
        // A core free by then: the one that became free last (the others stay free for
        // shorter waits).
        var fit = -1
        var fitFree = Int64.min
        // Otherwise the core whose thread has used the most CPU (it is preempted if this thread
        // used at least the wakeup granularity less), or the one free soonest.
        var victim = -1
        var victimUsed = Int64.min
        var soonest = first
        var soonestFree = Int64.max
        for i in first..<end {
            let f = coreFree[i]
            if f <= ready {
                if f > fitFree { fit = i; fitFree = f }
                continue
            }
            if f < soonestFree { soonest = i; soonestFree = f }
            let o = Int(coreOwner[i])
            if o >= 0, o != t {
                let u = usedBy(o, at: ready)
                if u > victimUsed || (u == victimUsed && victim >= 0 && Int32(o) < coreOwner[victim]) {
                    victim = i
                    victimUsed = u
                }
            }
        }
        let finish: Int64
        if fit >= 0 {
            finish = ready + d
            coreFree[fit] = finish
            coreOwner[fit] = Int32(t)
        } else if victim >= 0, victimUsed - vruntime[t] > tune.wakeupGranularity {
            // Wakeup preemption: this task runs now; what is given to that core afterwards
            // waits as long as it takes.
            finish = ready + d
            coreQueues[victim].add(CoreTask(start: ready, end: finish, usedBefore: vruntime[t]))
            borrow(d, core: victim, displacedUsed: victimUsed)
        } else if victim >= 0, victimUsed > vruntime[t] {
            // Less served than the thread holding that core, but not by enough to preempt it:
            // picked at the next scheduling point, when that thread's slice ends.
            let start = min(coreFree[victim], ready + tune.minGranularity)
            finish = start + d
            coreQueues[victim].add(CoreTask(start: start, end: finish, usedBefore: vruntime[t]))
            borrow(d, core: victim, displacedUsed: victimUsed)
        } else {
            // Waits for a core: as CFS picks the least-served runnable thread next, it waits
            // for the tasks given to a core by threads that had used no more CPU than it, and
            // goes ahead of the first one given by a thread that had used more, wherever that
            // is in the core's queue (not behind all the work given to the core so far).
            var best = soonest
            var bestStart = max(ready, coreFree[soonest])
            var displaced: Int64? = nil
            for i in first..<end {
                coreQueues[i].forget(endedBy: clock)
                if let ahead = coreQueues[i].startAhead(ofUsedMoreThan: vruntime[t], from: ready) {
                    if ahead.start < bestStart { best = i; bestStart = ahead.start; displaced = ahead.used }
                } else if max(ready, coreFree[i]) < bestStart {
                    best = i; bestStart = max(ready, coreFree[i]); displaced = nil
                }
            }
            finish = bestStart + d
            coreQueues[best].add(CoreTask(start: bestStart, end: finish, usedBefore: vruntime[t]))
            if let displaced, finish <= coreFree[best] {
                borrow(d, core: best, displacedUsed: displaced)
            } else {
                coreFree[best] = max(coreFree[best], finish)
                coreOwner[best] = Int32(t)
            }
            threadFree[t] = finish
            vruntime[t] += d
            updateMinVruntime(m, first: first, end: end, readyAt: readyAt)
            return finish
        }
        if fit >= 0 {
            coreQueues[fit].forget(endedBy: clock)
            coreQueues[fit].add(CoreTask(start: ready, end: finish, usedBefore: vruntime[t]))
        }
        threadFree[t] = finish
        vruntime[t] += d
        updateMinVruntime(m, first: first, end: end, readyAt: readyAt)
        return finish
    }

    /// A task ran ahead of work already given to `core`: that work ends `cost` later, so the
    /// core is busy that much longer, and the time is owed by the thread whose work was
    /// displaced (it had used `displacedUsed`): a thread less served than that goes ahead of the
    /// debt too, as CFS would run it before the displaced thread.
    private mutating func borrow(_ cost: Int64, core: Int, displacedUsed: Int64) {
        coreQueues[core].forget(endedBy: clock)
        coreQueues[core].add(CoreTask(start: coreFree[core], end: coreFree[core] + cost, usedBefore: displacedUsed))
        coreFree[core] += cost
    }

    /// min_vruntime: the least CPU used by the threads running on the cores when the work was
    /// given (the tasks given to them cover that moment), never decreasing.
    private mutating func updateMinVruntime(_ m: Int, first: Int, end: Int, readyAt: Int64) {
        var least = Int64.max
        for i in first..<end {
            if let used = coreQueues[i].runningUsed(at: readyAt) { least = min(least, used) }
        }
        if least != Int64.max { minVruntime[m] = max(minVruntime[m], least) }
    }

    /// The CPU thread `t` has used by `time`: what it was given, less what it has queued after
    /// `time` (a thread's virtual runtime grows as it runs, not when work is given to it).
    private func usedBy(_ t: Int, at time: Int64) -> Int64 {
        vruntime[t] - max(0, threadFree[t] - time)
    }

    /// Run `cost` on `machine`'s browser-process thread, no earlier than `readyAt`: one thread
    /// per machine, sharing its cores like the pages' threads. Returns when it ends.
    mutating func runBrowser(_ cost: Int64, on machine: MachineID, readyAt: Int64) -> Int64 {
        run(cost, thread: browserThread[Int(machine.raw)], readyAt: readyAt)
    }
}
