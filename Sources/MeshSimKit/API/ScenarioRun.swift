import SignalProtocol

/// A scenario run, for another Swift package's own tests (docs/library.md): load a scenario
/// file (or JSON text), run it with a seed and a policy, built-in or your own `MeshPolicy`, and
/// read the verdict. The same scenario, seed and policy give the same result as
/// `MeshSim scenario`, byte for byte (`json` is its `--json` report).
///
/// ```swift
/// import MeshSimKit
/// let run = try ScenarioRun(file: "Scenarios/2-peers.json", policy: MyPolicy())
/// #expect(run.passed, "\(run.text)")
/// ```
public struct ScenarioRun: Sendable {
    /// Every expectation held and no invariant was violated.
    public let passed: Bool
    /// The mesh was full at the end of the run.
    public let fullMesh: Bool
    /// Since when the mesh has been full, in simulated nanoseconds (nil: not full at the end).
    public let convergedAt: Int64?
    public let pairsExpected: Int
    public let pairsConnected: Int
    /// One line per failed (or unjudged) expectation and per invariant violation.
    public let failures: [String]
    /// Every expected pair not connected at the end: the two peers, a stable cause code
    /// (docs/report.md) and the reason in words.
    public let stuck: [(a: String, b: String, cause: String, reason: String)]
    /// Equal for byte-identical traces.
    public let traceHash: String
    /// The report as `MeshSim scenario` prints it, and as `--json` prints it.
    public let text: String
    public let json: String

    /// Loads `file` and runs it. `seed` and `policy` override the file's; `until` (simulated
    /// nanoseconds, at most the scenario's duration) stops it early, as `--until` does.
    /// Throws `ScenarioRunError` with one line per problem for a file `MeshSim validate` refuses.
    public init(file: String, seed: UInt64? = nil, policy: (any MeshPolicy)? = nil, until: Int64? = nil) throws(ScenarioRunError) {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(path: file)
        } catch {
            throw ScenarioRunError(problems: error.problems.map(\.description))
        }
        try self.init(scenario: scenario, seed: seed, policy: policy, until: until)
    }

    /// Runs a scenario given as JSON text; `name` stands for its file name in messages and reports.
    public init(json: String, name: String = "scenario.json", seed: UInt64? = nil, policy: (any MeshPolicy)? = nil,
                until: Int64? = nil) throws(ScenarioRunError) {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(bytes: Array(json.utf8), file: name)
        } catch {
            throw ScenarioRunError(problems: error.problems.map(\.description))
        }
        try self.init(scenario: scenario, seed: seed, policy: policy, until: until)
    }

    private init(scenario: Scenario, seed: UInt64?, policy: (any MeshPolicy)?, until: Int64?) throws(ScenarioRunError) {
        let chosen: any MeshPolicy
        switch RunPreflight.check(scenario, policy: policy, until: until, untilOption: "until") {
        case .success(let p): chosen = p
        case .failure(let errors): throw ScenarioRunError(problems: errors.problems.map(\.description))
        }
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: seed ?? scenario.seed, policy: chosen, until: until),
                             traceSink: TraceWriter(sink: nil))
        sim.run()
        let report = RunReport(simulation: sim)
        passed = report.passed
        fullMesh = report.fullMesh
        convergedAt = report.convergedAt
        pairsExpected = report.pairsExpected
        pairsConnected = report.pairsConnected
        failures = report.failureLines
        stuck = report.stuck.map { ($0.a, $0.b, $0.cause.rawValue, $0.reason) }
        traceHash = report.traceHash
        text = report.text
        json = report.json
    }
}

/// A scenario that cannot be run: one line per problem, `FILE: JSON.path: message`, as
/// `MeshSim validate` prints them.
public struct ScenarioRunError: Error, CustomStringConvertible, Sendable {
    public let problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
