/// The CPUs of every machine of a run, as list schedules: each core is busy until some moment,
/// and a piece of work goes, when it is given, to a core and a start time that it then keeps.
///
/// Why this shape: a page's thread runs one task at a time in the order given (a thread is a
/// task queue, as Chromium's are), and the threads of all pages on a machine share its cores.
/// Deciding the start when the work is given (no preemption, no later reshuffling) makes the
/// cost of modelling a CPU one small loop over the machine's cores per task and no extra
/// events, and it is deterministic by construction. What it abstracts (docs/model.md, "CPU"):
/// an operating system's time slicing, which lets a short task overtake a long one that
/// started first; a core left idle before a task reserved on it for later stays idle.
struct MachineScheduler {
    private(set) var specs: [MachineSpec] = []
    /// Every machine's cores' next free moments, machine after machine.
    private var coreFree: [Int64] = []
    private var firstCore: [Int32] = []
    /// Nanoseconds of wall time per nanosecond of work at speed 1.
    private var slowness: [Double] = []
    /// Per machine: when its browser process's thread, which carries every WebSocket frame of
    /// the machine's pages (`ProcessWork.browserCarriesFrame`), is free.
    private var browserFree: [Int64] = []

    init() {}

    mutating func add(_ spec: MachineSpec) -> MachineID {
        let id = MachineID(Int32(specs.count))
        specs.append(spec)
        firstCore.append(Int32(coreFree.count))
        coreFree.append(contentsOf: repeatElement(0, count: spec.cores))
        slowness.append(1 / spec.speed)
        browserFree.append(0)
        return id
    }

    /// Wall time `cost` (nanoseconds of work at speed 1) takes on `machine`.
    func duration(_ cost: Int64, on machine: MachineID) -> Int64 {
        let s = slowness[Int(machine.raw)]
        return s == 1 ? cost : Int64((Double(cost) * s).rounded())
    }

    /// Run `cost` on a thread of `machine` that is free from `threadFree` on, no earlier than
    /// `readyAt`: the task starts when both the thread and a core are free, on the core that
    /// became free last before that (so the others stay free for shorter waits). Returns when
    /// it ends, which is also the thread's new `threadFree`.
    mutating func run(_ cost: Int64, on machine: MachineID, threadFree: inout Int64, readyAt: Int64,
                      preempts: Bool = false) -> Int64 {
        let m = Int(machine.raw)
        let earliest = max(readyAt, threadFree)
        if preempts {
            // A task far shorter than a time slice on a thread that has been waiting: Linux's
            // scheduler runs it at once, ahead of threads that used more CPU. Its time counts as
            // work done, but it takes no core from the longer tasks reserved there.
            let end = earliest + duration(cost, on: machine)
            threadFree = end
            return end
        }
        let first = Int(firstCore[m])
        let count = specs[m].cores
        var fit = -1
        var fitFree = Int64.min
        var soonest = first
        var soonestFree = Int64.max
        for i in first..<(first + count) {
            let f = coreFree[i]
            if f <= earliest && f > fitFree {
                fit = i
                fitFree = f
            }
            if f < soonestFree {
                soonest = i
                soonestFree = f
            }
        }
        let core = fit >= 0 ? fit : soonest
        let start = max(earliest, coreFree[core])
        let d = duration(cost, on: machine)
        let end = start + d
        coreFree[core] = end
        threadFree = end
        return end
    }

    /// Run `cost` on `machine`'s browser-process thread, no earlier than `readyAt`: one thread
    /// per machine, sharing its cores like the pages' threads. Returns when it ends.
    mutating func runBrowser(_ cost: Int64, on machine: MachineID, readyAt: Int64) -> Int64 {
        var free = browserFree[Int(machine.raw)]
        let end = run(cost, on: machine, threadFree: &free, readyAt: readyAt)
        browserFree[Int(machine.raw)] = end
        return end
    }
}
