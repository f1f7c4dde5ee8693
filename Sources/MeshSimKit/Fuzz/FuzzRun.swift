import SignalProtocol

/// One fuzz scenario run and judged: loaded through the scenario file (as a replay will be),
/// run (twice when determinism is checked, `Simulation.checkDeterminism`), and its failures.
struct FuzzRun {
    /// nil: the loader refused the scenario (a shrink candidate that broke a rule).
    var failures: [FuzzFailure]?
    /// Simulation events of the (first) run.
    var events: Int = 0
    /// Every peer name of the run: the file's peers, joins and duplicated tabs.
    var peers: Int = 0
    /// The file's peers and events as `validate` counts them (the closing heal is an event;
    /// a join is an event, not a peer), so the sizes fuzz prints match `validate`'s.
    var fileSize: (peers: Int, events: Int) = (0, 0)

    init(_ s: FuzzScenario, policy: any MeshPolicy, checkDeterminism: Bool) {
        guard case .success(let scenario) = s.load() else {
            failures = nil
            return
        }
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: scenario.seed, policy: policy),
                             traceSink: TraceWriter(sink: nil))
        if checkDeterminism { sim.determinismLog = DeterminismLog() }
        sim.run()
        if checkDeterminism { sim.checkDeterminism() }
        let report = RunReport(simulation: sim)
        failures = FuzzFailure.of(report)
        events = report.events
        peers = sim.peers.count
        fileSize = (scenario.peers.count, scenario.events.count)
    }

    /// Does it fail with this signature?
    func fails(_ signature: String) -> Bool {
        failures?.contains { $0.signature == signature } ?? false
    }
}
