import Foundation

/// ns-3's hold model on the simulator's own event queue (issue "Scale and speed"): P events
/// pending, each executed event schedules one more at now + round(Exp(mean 100)) ns; events/s
/// is T over the wall time of the run phase, initial inserts excluded.
enum KernelBench {
    struct Result {
        var pending: Int
        var events: Int
        var seconds: Double
        var eventsPerSecond: Double { Double(events) / seconds }
    }

    static func run(pending: Int, events: Int, seed: UInt64 = 1) -> Result {
        var rng = SimRandom(seed: seed)
        let queue = EventQueue(reservingCapacity: pending + 1)
        for _ in 0..<pending {
            queue.push(.bench, at: rng.exponential(mean: 100))
        }
        let clock = ContinuousClock()
        let start = clock.now
        var executed = 0
        while executed < events, let entry = queue.pop() {
            executed += 1
            queue.push(.bench, at: entry.time + rng.exponential(mean: 100))
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Result(pending: pending, events: executed, seconds: max(seconds, 1e-9))
    }
}
