// libFuzzer target: the scenario loader on arbitrary bytes (scripts/fuzz.sh loader).
//
// Every input must give a scenario or a list of problems, never a trap, and each problem is one
// non-empty line naming the file. A scenario that loads is also checked for support and size and,
// if it may run, simulated for at most a few thousand events of its first seconds: no scenario
// the loader accepts may crash the simulator either.
import SignalProtocol

/// Builds the loader's static tables (the scenario format's field tables, NAT names) once,
/// before fuzzing: Swift initializes globals lazily, and LeakSanitizer would otherwise report
/// the first input that touches one as leaking it.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzScenarioLoaderInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    _ = ScenarioFormat.all.map { $0.fields.count }
    _ = ScenarioFormat.eventKinds
    _ = ScenarioFormat.natNames
    _ = ScenarioSchema.document
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenarioLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let scenario: Scenario
    do {
        scenario = try ScenarioLoader.load(bytes: bytes, file: "fuzz.json")
    } catch {
        precondition(!error.problems.isEmpty, "rejected without a problem")
        for p in error.problems {
            let line = p.description
            precondition(line.hasPrefix("fuzz.json: "), "a problem that does not name the file: \(line)")
            precondition(!line.contains("\n") && !line.contains("\r"), "a problem spanning lines: \(line)")
        }
        return 0
    }
    precondition(!scenario.peers.isEmpty && scenario.duration > 0, "an accepted scenario without peers or duration")
    guard ResourceCheck.problems(in: scenario).isEmpty else { return 0 }
    let policy = Policies.named(scenario.policy) ?? SeedPolicy()
    let options = RunOptions(seed: scenario.seed, policy: policy, until: 3 * nsPerSecond, eventBudget: 3_000)
    let sim = Simulation(scenario: scenario, options: options, traceSink: TraceWriter(sink: nil))
    sim.run()
    let report = RunReport(simulation: sim)
    _ = report.json
    _ = report.text
    return 0
}
