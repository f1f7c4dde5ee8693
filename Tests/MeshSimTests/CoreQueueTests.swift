import Testing
@testable import MeshSimKit

/// Where a thread that waits for a core goes among the tasks already given to the cores: as
/// CFS picks the least-served runnable thread, it goes ahead of work given by threads that had
/// used more CPU and behind work of threads that had used less, not behind everything given so
/// far (docs/model.md section 5a, "Scheduling").
@Suite struct CoreQueueTests {
    let ms: Int64 = 1_000_000

    @Test func aWaitingThreadGoesAheadOfWorkOfMoreServedThreads() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))   // no sleeper credit, wakeup granularity 1 ms
        let h1 = s.addThread(on: m), h2 = s.addThread(on: m), h3 = s.addThread(on: m)
        #expect(s.run(10 * ms, thread: h1, readyAt: 0) == 10 * ms)
        #expect(s.run(10 * ms, thread: h2, readyAt: 0) == 20 * ms)
        #expect(s.run(10 * ms, thread: h3, readyAt: 0) == 30 * ms)
        // h1's second task: h1 will have used 10 ms when it starts, the others none.
        #expect(s.run(10 * ms, thread: h1, readyAt: 0) == 40 * ms)
        // A thread waking at 5 ms is placed level with h1, which is running (5 ms used): it
        // has used less than h1 will have but more than h2 and h3 had when their work was
        // given, so it runs after theirs and before h1's second task (the list scheduler:
        // after all, 41 ms).
        let w = s.addThread(on: m)
        #expect(s.run(1 * ms, thread: w, readyAt: 5 * ms) == 31 * ms)
        // The millisecond it took is owed by the work it displaced: h1's next task waits for it.
        #expect(s.run(1 * ms, thread: h1, readyAt: 0) == 42 * ms)
    }

    @Test func aMoreServedThreadWaitsForEverythingGiven() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let a = s.addThread(on: m), b = s.addThread(on: m)
        _ = s.run(30 * ms, thread: a, readyAt: 0)            // a used 30 ms, done at 30
        _ = s.run(5 * ms, thread: b, readyAt: 30 * ms)       // 30 to 35
        _ = s.run(5 * ms, thread: b, readyAt: 30 * ms)       // 35 to 40
        #expect(s.run(1 * ms, thread: a, readyAt: 31 * ms) == 41 * ms, "a has used more than b ever had: after b's work")
    }

    @Test func aQueueForgetsEndedTasksAndKeepsStartOrder() {
        var q = CoreQueue()
        q.add(CoreTask(start: 0, end: 10, usedBefore: 0))
        q.add(CoreTask(start: 20, end: 30, usedBefore: 8))
        q.add(CoreTask(start: 10, end: 20, usedBefore: 4))
        #expect(q.startAhead(ofUsedMoreThan: 5, from: 0)?.start == 20)
        #expect(q.startAhead(ofUsedMoreThan: 3, from: 0)?.start == 10)
        #expect(q.startAhead(ofUsedMoreThan: 8, from: 0) == nil, "no task of a more-served thread: wait for all")
        #expect(q.runningUsed(at: 15) == 9, "the task running at 15 had used 4, and has run 5 more")
        q.forget(endedBy: 20)
        #expect(q.runningUsed(at: 15) == nil, "ended tasks are forgotten")
        #expect(q.runningUsed(at: 25) == 13)
    }
}
