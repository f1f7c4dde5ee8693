import Foundation
import SignalProtocol

/// The command line (docs/cli.md). Exit status: 0 all good, 1 an expectation failed or was not
/// judged, or an invariant was violated, 2 bad input or usage. The `MeshSim` executable is
/// this and nothing else (Sources/MeshSimKit/main.swift).
public enum MeshSimCommand {
    /// Runs the command line of this process and exits with its status.
    public static func main() {
        var status = run(Array(CommandLine.arguments.dropFirst()))
        // Output that could not be written (a full disk, a closed pipe) is a failure, not a
        // silent success.
        if fflush(stdout) != 0 || ferror(stdout) != 0 {
            printError("MeshSim: cannot write to standard output: \(String(cString: strerror(errno)))")
            status = 2
        }
        exit(status)
    }

    static func run(_ args: [String]) -> Int32 {
        guard let command = args.first else {
            printUsageError(Usage.overview)
            return 2
        }
        switch command {
        case "--version", "version":
            // Stray words are refused here as on every command (`--version --json` is no JSON).
            if args.count > 1 {
                printError("\(command): takes no arguments, got \(scenarioQuote(args[1])) (MeshSim --help)")
                return 2
            }
            print("MeshSim \(Usage.version)")
            return 0
        case "help", "--help", "-h":
            // `MeshSim help scenario` is `MeshSim scenario --help`.
            guard args.count > 1 else {
                print(Usage.overview)
                return 0
            }
            guard let text = Usage.of(args[1]) else {
                printError("unknown command \(scenarioQuote(args[1])) (commands: scenario, validate, policies, compare, fuzz, merge, bench, schema; MeshSim --help)")
                return 2
            }
            print(text)
            return 0
        default:
            break
        }
        guard let help = Usage.of(command) else {
            printError("unknown command \(scenarioQuote(command)) (commands: scenario, validate, policies, compare, fuzz, merge, bench, schema; MeshSim --help)")
            return 2
        }
        let rest = args.dropFirst()
        if rest.contains("--help") || rest.contains("-h") {
            print(help)
            return 0
        }
        do {
            switch command {
            case "scenario": return try scenario(rest)
            case "validate": return try validate(rest)
            case "policies": return try policies(rest)
            case "compare": return try compare(rest)
            case "fuzz": return try fuzz(rest)
            case "merge": return try merge(rest)
            case "schema": return try schema(rest)
            default: return try bench(rest)
            }
        } catch {
            printError("MeshSim \(command): \(error.message) (MeshSim \(command) --help)")
            for line in error.more { printError("MeshSim \(command): \(line)") }
            return 2
        }
    }

    // MARK: - options shared by scenario and compare

    /// Where a run may stop early: `--until` and `--max-events`.
    struct RunLimits {
        var until: Int64?
        var eventBudget = RunOptions(seed: 0, policy: SeedPolicy()).eventBudget

        /// No `--until`, the default budget.
        static let none = RunLimits()

        private init() {}

        init(_ a: Arguments) throws(UsageError) {
            if let u = try a.value("until") {
                switch SimDurationParser.parse(u) {
                case .success(let d): until = d
                case .failure: throw UsageError(message: "--until: expected a duration such as \"250ms\", got \(scenarioQuote(u))")
                }
            }
            if let m = try a.value("max-events") {
                guard let v = plainNumber(m, as: Int.self), v > 0 else { throw UsageError(message: "--max-events: expected a positive integer, got \(scenarioQuote(m))") }
                eventBudget = v
            }
        }
    }

    /// `--policy NAME` or `--policy FILE`, if given.
    static func policyOption(_ a: Arguments) throws(UsageError) -> (any MeshPolicy)? {
        guard let value = try a.value("policy") else { return nil }
        return try PolicyFile.resolve(value, option: "--policy")
    }

    /// The policy files among `--policy`/`--policies` values: inputs no output may overwrite.
    static func policyFiles(_ values: [String]) -> [String] {
        values.filter { Policies.named($0) == nil }
    }

    // MARK: - scenario

    static func scenario(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["seed", "policy", "trace", "until", "max-events", "junit", "perfetto", "html", "svg"], flags: ["json", "check-determinism"])
        guard !a.positional.isEmpty else { throw UsageError(message: "needs at least one FILE") }
        let checkDeterminism = a.flag("check-determinism")
        var seed: UInt64?
        if let s = try a.value("seed") {
            guard let v = plainNumber(s, as: UInt64.self) else { throw UsageError(message: "--seed: expected an integer from 0 to 18446744073709551615, got \(scenarioQuote(s))") }
            seed = v
        }
        let policyOverride = try policyOption(a)
        let limits = try RunLimits(a)
        let trace = try a.value("trace").map { OutputFile(option: "trace", path: $0) }
        let junit = try a.value("junit").map { OutputFile(option: "junit", path: $0) }
        if trace != nil && a.positional.count > 1 {
            throw UsageError(message: "--trace takes exactly one scenario FILE")
        }
        let perfetto = try a.value("perfetto").map { OutputFile(option: "perfetto", path: $0) }
        if perfetto != nil && a.positional.count > 1 { throw UsageError(message: "--perfetto takes exactly one scenario FILE") }
        let visuals = try VisualOutputs(a, inputs: a.positional)
        try OutputFiles.check([trace, junit, perfetto].compactMap { $0 } + visuals.files,
                              inputs: a.positional + policyFiles([try a.value("policy")].compactMap { $0 }))
        let json = a.flag("json")

        // Load and check every file before running any (exit 2 on any problem, naming the file).
        var scenarios: [(Scenario, any MeshPolicy)] = []
        var problems: [String] = []
        for file in a.positional {
            switch load(file, policyOverride: policyOverride, limits: limits) {
            case .success(let s): scenarios.append(s)
            case .failure(let errors): problems.append(contentsOf: errors.map(\.description))
            }
        }
        if !problems.isEmpty {
            for p in problems { printError(p) }
            return 2
        }

        var status: Int32 = 0
        var cases: [JUnitReport.Case] = []
        let progress = Progress()
        for (scenario, policy) in scenarios {
            var sink: FileHandle?
            if let trace { sink = try OutputFiles.openStream(trace) }
            let options = RunOptions(seed: seed ?? scenario.seed, policy: policy, until: limits.until,
                                     eventBudget: limits.eventBudget)
            let sim = Simulation(scenario: scenario, options: options, traceSink: TraceWriter(sink: sink))
            let end = formatSeconds(sim.endTime)
            sim.progress = { now, events in
                progress.update { "\(scenario.file): simulated \(formatSeconds(now)) of \(end), \(events) events" }
            }
            let perfettoTrace = perfetto.map { _ in PerfettoObserver() }
            if let perfettoTrace { sim.observers.append(perfettoTrace) }
            let timelines = visuals.attach(to: sim)
            if checkDeterminism { sim.determinismLog = DeterminismLog() }
            sim.run()
            if checkDeterminism {
                progress.update { "\(scenario.file): running it again to compare" }
                if sim.checkDeterminism() == nil {
                    printError("\(scenario.file): determinism: run twice in this process, the same \(counted(sim.stats.events, "event")), time, random draws and trace lines at every one")
                }
            }
            progress.finish()
            try? sink?.close()
            if let e = sim.trace.writeError, let trace {
                throw UsageError(message: "--trace \(scenarioQuote(trace.path)): cannot write it: \(e)")
            }
            if let perfetto, let perfettoTrace { try OutputFiles.write(perfettoTrace.document, to: perfetto) }
            let report = RunReport(simulation: sim)
            print(json ? report.json : report.text)
            if junit != nil { cases.append(JUnitReport.Case(report)) }
            visuals.record(sim, report, timelines)
            if !report.passed { status = 1 }
            // The last run's world is left for the process's exit to reclaim: freeing every
            // connection object one by one was 1 % of the 100-peer join's instructions, for
            // nothing (docs/performance.md, session 9).
            if scenarios.count == 1 { ProcessExit.keep(sim) }
        }
        if let junit { try OutputFiles.write(JUnitReport(cases: cases).xml, to: junit) }
        try visuals.writeScenario()
        return status
    }

    /// Load, check support and resolve the policy; the problems otherwise.
    enum Loaded {
        case success((Scenario, any MeshPolicy))
        case failure([ScenarioProblem])
    }

    static func load(_ file: String, policyOverride: (any MeshPolicy)?, limits: RunLimits? = nil) -> Loaded {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(path: file)
        } catch {
            return .failure(error.problems)
        }
        switch RunPreflight.check(scenario, policy: policyOverride, until: limits?.until) {
        case .success(let policy): return .success((scenario, policy))
        case .failure(let errors): return .failure(errors.problems)
        }
    }

    // MARK: - validate, policies

    static func validate(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: ["json"])
        guard !a.positional.isEmpty else { throw UsageError(message: "needs at least one FILE") }
        let json = a.flag("json")
        var status: Int32 = 0
        // Every file is checked, whatever an earlier one held.
        for file in a.positional {
            switch load(file, policyOverride: nil) {
            case .success(let (s, p)):
                if json {
                    print(JSONWriter.write(["file": .string(file), "ok": true, "peers": .number(JSONNumber(s.peers.count)),
                                            "events": .number(JSONNumber(s.events.count)), "policy": .string(p.name),
                                            "problems": .array([])]))
                } else {
                    print(oneLine("\(file): ok (\(counted(s.peers.count, "peer")), \(counted(s.events.count, "event")), policy \(p.name))"))
                }
            case .failure(let problems):
                for p in problems { printError(p.description) }
                if json {
                    print(JSONWriter.write(["file": .string(file), "ok": false, "problems": .array(problems.map {
                        ["path": .string($0.path), "message": .string($0.message), "line": .string($0.description)]
                    })]))
                }
                status = 2
            }
        }
        return status
    }

    static func policies(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: ["json"])
        guard a.positional.isEmpty else { throw UsageError(message: "takes no arguments") }
        if a.flag("json") {
            // One policy object per line, in the order of the listing (docs/policies.md).
            for p in Policies.all { print(PolicyJSON.line(p)) }
            return 0
        }
        let width = Policies.all.map(\.name.count).max() ?? 0
        for p in Policies.all {
            print(p.name + String(repeating: " ", count: width - p.name.count + 2) + p.summary)
        }
        return 0
    }

    // MARK: - schema

    /// The JSON Schema of scenario files (docs/scenario.schema.json is this output).
    static func schema(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: [])
        guard a.positional.isEmpty else { throw UsageError(message: "takes no arguments") }
        print(ScenarioSchema.text)
        return 0
    }

    // MARK: - bench

    static func bench(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["pending", "events", "seed", "policy"], flags: ["json"])
        if a.positional.first == "events" { return try BenchEvents.run(a) }
        guard a.positional == ["kernel"] else { throw UsageError(message: "expected \"bench kernel --pending N --events N\" or \"bench events FILE\"") }
        func count(_ name: String, max: Int) throws(UsageError) -> Int {
            guard let s = try a.value(name) else { throw UsageError(message: "bench kernel needs --\(name) N") }
            guard let v = plainNumber(s, as: Int.self), v > 0, v <= max else {
                throw UsageError(message: "--\(name): expected an integer from 1 to \(max), got \(scenarioQuote(s))")
            }
            return v
        }
        let pending = try count("pending", max: 100_000_000)
        let events = try count("events", max: 1_000_000_000_000)
        let r = KernelBench.run(pending: pending, events: events)
        if a.flag("json") {
            print("{\"pending\":\(r.pending),\"events\":\(r.events),\"seconds\":\(r.seconds),\"eventsPerSecond\":\(Int(r.eventsPerSecond))}")
        } else {
            print("hold model: \(r.pending) pending, \(r.events) events in \(String(format: "%.3f", r.seconds)) s: \(Int(r.eventsPerSecond)) events/s")
        }
        return 0
    }

    /// One line on stderr; whatever it echoes is escaped (`oneLine`).
    static func printError(_ s: String) {
        FileHandle.standardError.write(Data((oneLine(s) + "\n").utf8))
    }

    /// A usage text on stderr (several lines, all MeshSim's own).
    static func printUsageError(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

extension ICESettings {
    /// The SignalProtocol ICE configuration these scenario settings stand for.
    var configuration: ICEConfiguration {
        var c = ICEConfiguration()
        c.weakPingInterval = weakPingInterval
        c.strongPingInterval = strongPingInterval
        c.stablePingInterval = stablePingInterval
        c.weakOrStabilizingPingInterval = weakOrStabilizingPingInterval
        c.receivingTimeout = receivingTimeout
        c.unwritableTimeout = unwritableTimeout
        c.unwritableMinChecks = unwritableMinChecks
        c.inactiveTimeout = inactiveTimeout
        c.deadConnectionTimeout = deadConnectionTimeout
        c.stunInitialRTO = stunInitialRTO
        c.stunMaxRetransmissions = stunMaxRetransmissions
        c.gatheringDelay = gatheringDelay
        c.gatheringStepDelay = gatheringStepDelay
        return c
    }
}
