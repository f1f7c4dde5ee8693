import Foundation

/// Runs `count` independent jobs on `workers` threads and hands their results to `consume`
/// on the calling thread in index order, holding at most `window` finished results at once:
/// so a sweep of millions streams in constant memory, and what `consume` sees (and prints)
/// does not depend on how many workers there are (DESIGN.md: parallelism only across
/// independent runs, merged in a fixed order).
///
/// `consume` may take its time (`fuzz` shrinks a failure there); the workers run ahead until
/// the window is full.
enum OrderedJobs {
    static func run<R: Sendable>(count: Int, workers: Int, window: Int = 256,
                                 work: @escaping @Sendable (Int) -> R, consume: (Int, R) -> Void) {
        guard count > 0 else { return }
        if workers <= 1 {
            for i in 0..<count { consume(i, work(i)) }
            return
        }
        let state = State<R>()
        let group = DispatchGroup()
        let window = max(window, workers)
        for _ in 0..<workers {
            DispatchQueue.global().async(group: group) {
                while let i = state.take(count: count, window: window) {
                    state.put(i, work(i))
                }
            }
        }
        for i in 0..<count { consume(i, state.result(i)) }
        group.wait()
    }

    /// The shared counters and finished results.
    private final class State<R>: @unchecked Sendable {
        private let condition = NSCondition()
        private var next = 0
        private var consumed = 0
        /// Finished results not yet consumed, by index (looked up, never iterated).
        private var results: [Int: R] = [:]

        /// The next index to run, waiting while the window is full; nil when all are handed out.
        func take(count: Int, window: Int) -> Int? {
            condition.lock()
            defer { condition.unlock() }
            while next < count && next >= consumed + window { condition.wait() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }

        func put(_ i: Int, _ r: R) {
            condition.lock()
            results[i] = r
            condition.broadcast()
            condition.unlock()
        }

        /// Result `i`, once it is there.
        func result(_ i: Int) -> R {
            condition.lock()
            defer { condition.unlock() }
            while results[i] == nil { condition.wait() }
            consumed = i + 1
            condition.broadcast()
            return results.removeValue(forKey: i)!
        }
    }
}
