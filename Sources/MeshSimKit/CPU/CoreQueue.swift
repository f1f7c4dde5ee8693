/// A task given to a core: when it runs, and the CPU its thread had used when it was given
/// (its virtual runtime then), which decides whether a thread waking later goes ahead of it.
struct CoreTask {
    let start: Int64
    let end: Int64
    let usedBefore: Int64
}

/// The tasks given to one core that may not have ended yet, by start. `MachineScheduler` decides
/// each task's start and end when it is given; this lets a waiting thread find its place among
/// the tasks already given as CFS would order them, by the CPU their threads had used
/// (docs/model.md section 5a, "Scheduling").
struct CoreQueue {
    private var tasks: [CoreTask] = []
    private var head = 0

    /// Forget the tasks that ended by `time` (at the front; a task placed ahead of others may
    /// outlive the ones after it, and is forgotten with them later).
    mutating func forget(endedBy time: Int64) {
        while head < tasks.count, tasks[head].end <= time { head += 1 }
        if head == tasks.count {
            // All ended (the usual case on a lightly loaded core): start again in place.
            if head > 0 { tasks.removeAll(keepingCapacity: true) }
            head = 0
        } else if head >= 64, head * 2 >= tasks.count {
            tasks.removeFirst(head)
            head = 0
        }
    }

    /// Where a task of a thread that has used `used` starts, ready at `ready`: at the start of
    /// the first task not started by `ready` whose thread had used more, or nil when there is
    /// none (it waits for everything given to the core).
    func startAhead(ofUsedMoreThan used: Int64, from ready: Int64) -> (start: Int64, used: Int64)? {
        var i = head
        while i < tasks.count {
            let task = tasks[i]
            if task.start > ready, task.usedBefore > used { return (task.start, task.usedBefore) }
            i += 1
        }
        return nil
    }

    /// The CPU used by the thread running on the core at `time`, by then (its virtual runtime
    /// then), or nil when no task given covers `time`.
    func runningUsed(at time: Int64) -> Int64? {
        var i = head
        while i < tasks.count {
            let task = tasks[i]
            if task.start > time { return nil }
            if task.end > time { return task.usedBefore + (time - task.start) }
            i += 1
        }
        return nil
    }

    /// Record a task, keeping the tasks ordered by start (a task placed ahead of others goes
    /// before them).
    mutating func add(_ task: CoreTask) {
        var i = tasks.count
        while i > head, tasks[i - 1].start > task.start { i -= 1 }
        // At the end nearly always: an append, not the general insertion.
        if i == tasks.count { tasks.append(task) } else { tasks.insert(task, at: i) }
    }
}
