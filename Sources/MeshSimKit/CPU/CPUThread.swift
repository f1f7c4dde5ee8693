/// One thread that competes for a machine's cores: a page's main, signaling or network thread,
/// a machine's browser-process thread, or the signaling server's event loop. Its index in
/// `MachineScheduler`, which keeps its state (when it is free, the CPU it has used), so that a
/// thread that is preempted can be made to wait without its owner's help.
struct CPUThreadID: Hashable, Comparable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    static func < (a: CPUThreadID, b: CPUThreadID) -> Bool { a.raw < b.raw }
}

/// The tunables of Linux's Completely Fair Scheduler (CFS) that decide when a waking thread runs
/// ahead of a busy one, as the kernel sets them by default for a machine's number of cores
/// (docs/model.md section 5a, "Scheduling"): each base value is multiplied by
/// 1 + log2(cores), cores counted up to 8 (`SCHED_TUNABLESCALING_LOG`).
struct FairSchedulingTunables: Equatable {
    /// `sched_latency_ns`: the period in which every runnable thread runs once (6 ms base). Under
    /// CFS a thread that wakes after sleeping starts half of it behind the least-served runnable
    /// thread (`GENTLE_FAIR_SLEEPERS`); the model gives no such credit (`sleeperCredit`).
    let latency: Int64
    /// `sched_min_granularity_ns` (0.75 ms base): the shortest slice a thread gets.
    let minGranularity: Int64
    /// `sched_wakeup_granularity_ns` (1 ms base): a waking thread preempts the running one only
    /// if it has used at least this much less CPU.
    let wakeupGranularity: Int64

    init(cores: Int) {
        var log2 = 0
        var n = min(max(cores, 1), 8)
        while n > 1 { n >>= 1; log2 += 1 }
        let factor = Int64(1 + log2)
        latency = 6_000_000 * factor
        minGranularity = 750_000 * factor
        wakeupGranularity = 1_000_000 * factor
    }

    /// How far behind the least-served running thread a waking thread is placed: not at all.
    /// The recordings' kernel (Linux 6.18) schedules with EEVDF, which keeps no sleeper credit:
    /// a waking thread is placed by the lag it had when it went to sleep, and a thread that ran
    /// as soon as it woke, as the tabs' short tasks do, had none (Documentation/scheduler/
    /// sched-eevdf.rst; docs/model.md section 5a). CFS's half latency (6 ms on 2 cores) let such
    /// a thread run ahead of the busy ones so far that a storm's data-channel orders were off by
    /// up to 50 points (docs/fidelity.md, session 11).
    var sleeperCredit: Int64 { 0 }
}
