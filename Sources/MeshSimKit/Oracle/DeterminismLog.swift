/// What each executed event of a run did, kept to check that a second run of the same scenario,
/// seed and policy does the same (`scenario --check-determinism`, `fuzz`).
///
/// Per event: its time, the event itself (tag and payload, as the queue encodes it), a digest
/// of the generator's state after it (so a different random draw shows at the event that drew
/// it) and the trace lines written so far. 32 bytes an event, kept only when asked: a normal
/// run pays one nil test per event. The first run records; the second compares as it goes
/// and keeps the first place where they part.
final class DeterminismLog {
    struct Step: Equatable {
        var time: Int64
        var tag: UInt64
        var payload: UInt64
        var rng: UInt64
        var traceLines: Int
    }

    /// Where two runs parted: the index of the first event that differs (from 0), and what
    /// each run did there (nil: that run had no such event, it ended first).
    struct Divergence: Equatable {
        var index: Int
        var first: Step?
        var second: Step?

        /// One line: which event, at what time, and what differed.
        var description: String {
            func event(_ s: Step) -> String { "\(EventQueue.decode(s.tag, s.payload))" }
            switch (first, second) {
            case let (a?, b?):
                var what: [String] = []
                if a.time != b.time { what.append("time \(formatMillis(a.time)) ms vs \(formatMillis(b.time)) ms") }
                if a.tag != b.tag || a.payload != b.payload { what.append("event \(event(a)) vs \(event(b))") }
                if a.rng != b.rng { what.append("random draws differ (generator state after the event)") }
                if a.traceLines != b.traceLines { what.append("trace lines so far \(a.traceLines) vs \(b.traceLines)") }
                return "the two runs part at event #\(index) (t=\(formatMillis(a.time)) ms, \(event(a))): " + what.joined(separator: "; ")
            case let (a?, nil):
                return "the two runs part at event #\(index): the second run ended there; the first went on with \(event(a)) at t=\(formatMillis(a.time)) ms"
            case let (nil, b?):
                return "the two runs part at event #\(index): the first run ended there; the second went on with \(event(b)) at t=\(formatMillis(b.time)) ms"
            case (nil, nil):
                return "the two runs part at event #\(index)"
            }
        }
    }

    private var steps: [Step] = []
    /// The first run's steps, when this log compares.
    private let reference: [Step]?
    private var index = 0
    private(set) var divergence: Divergence?

    /// A log that records (the first run).
    init() { reference = nil }

    /// A log that compares with `first`'s record (the second run).
    init(comparingWith first: DeterminismLog) { reference = first.steps }

    func record(time: Int64, event: Event, rng: UInt64, traceLines: Int) {
        let (tag, payload) = EventQueue.encode(event)
        let step = Step(time: time, tag: tag, payload: payload, rng: rng, traceLines: traceLines)
        defer { index += 1 }
        guard let reference else {
            steps.append(step)
            return
        }
        guard divergence == nil else { return }
        if index >= reference.count {
            divergence = Divergence(index: index, first: nil, second: step)
        } else if reference[index] != step {
            divergence = Divergence(index: index, first: reference[index], second: step)
        }
    }

    /// Called when the compared run ends: a first run that went on is a divergence too.
    func runEnded() {
        guard let reference, divergence == nil, index < reference.count else { return }
        divergence = Divergence(index: index, first: reference[index], second: nil)
    }
}

extension Simulation {
    /// Runs `scenario` again with the same options, comparing it event by event with this run,
    /// which must have been run with a recording `determinismLog`. A difference is recorded as
    /// a `determinism` invariant violation of this run (so the report shows it and the run
    /// fails) and returned.
    @discardableResult
    func checkDeterminism() -> DeterminismLog.Divergence? {
        guard let first = determinismLog else { preconditionFailure("checkDeterminism needs a recorded run") }
        let again = Simulation(scenario: scenario, options: options, traceSink: TraceWriter(sink: nil))
        let log = DeterminismLog(comparingWith: first)
        again.determinismLog = log
        again.run()
        log.runEnded()
        if let d = log.divergence {
            invariants.record(d.first?.time ?? d.second?.time ?? now, "determinism", peers: [],
                              "the same scenario, seed and policy run twice in one process gave different runs: \(d.description)")
        }
        return log.divergence
    }
}
