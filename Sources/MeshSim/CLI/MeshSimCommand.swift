import Foundation
import SignalProtocol

/// The command line (CONTRACT, "Command line"). Exit status: 0 all good, 1 an expectation failed
/// or an invariant was violated, 2 bad input or usage.
@main
enum MeshSimCommand {
    static let usage = """
    usage: MeshSim scenario FILE... [--seed N] [--policy NAME] [--json] [--trace FILE] [--until DURATION]
           MeshSim validate FILE...
           MeshSim policies
           MeshSim compare FILE... --policies A,B,... --seeds 1-100 [--jobs N] [--shard I/N] [--json]
           MeshSim bench kernel --pending N --events N [--json]
    """

    static func main() {
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
            printError(usage)
            return 2
        }
        do {
            switch command {
            case "scenario": return try scenario(args.dropFirst())
            case "validate": return try validate(args.dropFirst())
            case "policies": return try policies(args.dropFirst())
            case "bench": return try bench(args.dropFirst())
            case "compare": return try compare(args.dropFirst())
            case "fuzz":
                printError("MeshSim \(command): not supported yet")
                return 2
            case "help", "--help", "-h":
                print(usage)
                return 0
            default:
                printError("unknown command \"\(command)\"\n\(usage)")
                return 2
            }
        } catch {
            printError("MeshSim: \(error.message)")
            return 2
        }
    }

    // MARK: - scenario

    static func scenario(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["seed", "policy", "trace", "until", "max-events"], flags: ["json"])
        guard !a.positional.isEmpty else { throw UsageError(message: "scenario needs at least one FILE") }
        var seed: UInt64?
        if let s = try a.value("seed") {
            guard let v = UInt64(s) else { throw UsageError(message: "--seed: expected an integer from 0 to 18446744073709551615, got \"\(s)\"") }
            seed = v
        }
        var policyOverride: (any MeshPolicy)?
        if let name = try a.value("policy") {
            guard let p = Policies.named(name) else {
                throw UsageError(message: "--policy: unknown policy \"\(name)\" (known: \(Policies.all.map(\.name).joined(separator: ", ")))")
            }
            policyOverride = p
        }
        var until: Int64?
        if let u = try a.value("until") {
            switch SimDurationParser.parse(u) {
            case .success(let d): until = d
            case .failure: throw UsageError(message: "--until: expected a duration such as \"250ms\", got \"\(u)\"")
            }
        }
        var budget = RunOptions(seed: 0, policy: SeedPolicy()).eventBudget
        if let m = try a.value("max-events") {
            guard let v = Int(m), v > 0 else { throw UsageError(message: "--max-events: expected a positive integer, got \"\(m)\"") }
            budget = v
        }
        let tracePath = try a.value("trace")
        if tracePath != nil && a.positional.count > 1 {
            throw UsageError(message: "--trace takes exactly one scenario FILE")
        }
        let json = a.flag("json")

        // Load and check every file before running any (exit 2 on any problem).
        var scenarios: [(Scenario, any MeshPolicy)] = []
        var problems: [String] = []
        for file in a.positional {
            switch load(file, policyOverride: policyOverride) {
            case .success(let s): scenarios.append(s)
            case .failure(let errors): problems.append(contentsOf: errors)
            }
        }
        if !problems.isEmpty {
            for p in problems { printError(p) }
            return 2
        }

        var status: Int32 = 0
        for (scenario, policy) in scenarios {
            var sink: FileHandle?
            if let tracePath {
                guard FileManager.default.createFile(atPath: tracePath, contents: nil),
                      let h = FileHandle(forWritingAtPath: tracePath) else {
                    printError("\(tracePath): cannot write the trace file")
                    return 2
                }
                sink = h
            }
            let options = RunOptions(seed: seed ?? scenario.seed, policy: policy, until: until, eventBudget: budget)
            let sim = Simulation(scenario: scenario, options: options, traceSink: TraceWriter(sink: sink))
            sim.run()
            try? sink?.close()
            if let e = sim.trace.writeError, let tracePath {
                printError("\(tracePath): cannot write the trace: \(e)")
                return 2
            }
            let report = RunReport(simulation: sim)
            print(json ? report.json : report.text)
            if !report.passed { status = 1 }
        }
        return status
    }

    /// Load, check support and resolve the policy; problems as `FILE: PATH: message` lines.
    enum Loaded {
        case success((Scenario, any MeshPolicy))
        case failure([String])
    }

    static func load(_ file: String, policyOverride: (any MeshPolicy)?) -> Loaded {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(path: file)
        } catch {
            return .failure(error.problems.map(\.description))
        }
        var problems = ResourceCheck.problems(in: scenario).map(\.description)
        var policy: (any MeshPolicy)? = policyOverride
        if policy == nil {
            policy = Policies.named(scenario.policy)
            if policy == nil {
                problems.append(ScenarioProblem(file: file, path: "policy",
                    message: "unknown policy \"\(scenario.policy)\" (known: \(Policies.all.map(\.name).joined(separator: ", ")))").description)
            }
        }
        if !problems.isEmpty { return .failure(problems) }
        return .success((scenario, policy!))
    }

    // MARK: - compare

    static func compare(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["policies", "seeds", "jobs", "shard"], flags: ["json"])
        guard !a.positional.isEmpty else { throw UsageError(message: "compare needs at least one FILE") }
        guard let policyList = try a.value("policies") else { throw UsageError(message: "compare needs --policies A,B,...") }
        var policies: [any MeshPolicy] = []
        for name in policyList.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard let p = Policies.named(name) else {
                throw UsageError(message: "--policies: unknown policy \"\(name)\" (known: \(Policies.all.map(\.name).joined(separator: ", ")))")
            }
            guard !policies.contains(where: { $0.name == name }) else { throw UsageError(message: "--policies: \(name) given twice") }
            policies.append(p)
        }
        guard let seedText = try a.value("seeds") else { throw UsageError(message: "compare needs --seeds FROM-TO") }
        let seeds = try parseSeeds(seedText)
        var jobs = 1
        if let j = try a.value("jobs") {
            guard let v = Int(j), v >= 1, v <= 256 else { throw UsageError(message: "--jobs: expected an integer from 1 to 256, got \"\(j)\"") }
            jobs = v
        }
        var shard = (index: 1, count: 1)
        if let s = try a.value("shard") {
            let parts = s.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else {
                throw UsageError(message: "--shard: expected I/N with 1 <= I <= N, got \"\(s)\"")
            }
            shard = (i, n)
        }
        var scenarios: [Scenario] = []
        var problems: [String] = []
        for file in a.positional {
            switch load(file, policyOverride: policies[0]) {
            case .success(let (s, _)): scenarios.append(s)
            case .failure(let errors): problems.append(contentsOf: errors)
            }
        }
        if !problems.isEmpty {
            for p in problems { printError(p) }
            return 2
        }
        var all: [Compare.Job] = []
        for s in scenarios { for p in policies { for seed in seeds { all.append(Compare.Job(scenario: s, policy: p, seed: seed)) } } }
        let mine = all.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element)
        let outcomes = Compare.run(mine, parallelism: jobs)
        let summaries = Compare.summarize(outcomes, files: scenarios.map(\.file), policies: policies.map(\.name))
        if a.flag("json") {
            // stdout: one report per run, nothing else (CONTRACT); the table goes to stderr.
            for o in outcomes { print(Compare.json(o)) }
            printError(Compare.table(summaries))
        } else {
            print(Compare.table(summaries))
            let failed = outcomes.filter { !$0.passed }.count
            if failed > 0 { print("\n\(failed) of \(outcomes.count) runs failed an expectation or broke an invariant (exit status 1)") }
        }
        // Exit status as for `scenario` (CONTRACT): 1 when any run failed an expectation or
        // broke an invariant, so a sweep in CI fails like a single run does.
        return outcomes.allSatisfy(\.passed) ? 0 : 1
    }

    /// `N` or `FROM-TO`, inclusive; at most a million runs' worth.
    static func parseSeeds(_ text: String) throws(UsageError) -> [UInt64] {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let bad = UsageError(message: "--seeds: expected N or FROM-TO (e.g. 1-100), got \"\(text)\"")
        if parts.count == 1, let v = UInt64(parts[0]) { return [v] }
        guard parts.count == 2, let lo = UInt64(parts[0]), let hi = UInt64(parts[1]), lo <= hi else { throw bad }
        guard hi - lo < 1_000_000 else { throw UsageError(message: "--seeds: at most 1000000 seeds, got \"\(text)\"") }
        return Array(lo...hi)
    }

    // MARK: - validate, policies

    static func validate(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: [])
        guard !a.positional.isEmpty else { throw UsageError(message: "validate needs at least one FILE") }
        var status: Int32 = 0
        for file in a.positional {
            switch load(file, policyOverride: nil) {
            case .success(let (s, p)):
                print("\(file): ok (\(s.peers.count) peers, \(s.events.count) events, policy \(p.name))")
            case .failure(let problems):
                for p in problems { printError(p) }
                status = 2
            }
        }
        return status
    }

    static func policies(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: [], flags: [])
        guard a.positional.isEmpty else { throw UsageError(message: "policies takes no arguments") }
        let width = Policies.all.map(\.name.count).max() ?? 0
        for p in Policies.all {
            print(p.name + String(repeating: " ", count: width - p.name.count + 2) + p.summary)
        }
        return 0
    }

    // MARK: - bench

    static func bench(_ rest: ArraySlice<String>) throws(UsageError) -> Int32 {
        let a = try Arguments(rest, valued: ["pending", "events", "seed"], flags: ["json"])
        guard a.positional == ["kernel"] else { throw UsageError(message: "bench: expected \"bench kernel --pending N --events N\"") }
        func count(_ name: String, max: Int) throws(UsageError) -> Int {
            guard let s = try a.value(name) else { throw UsageError(message: "bench kernel needs --\(name) N") }
            guard let v = Int(s), v > 0, v <= max else {
                throw UsageError(message: "--\(name): expected an integer from 1 to \(max), got \"\(s)\"")
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

    static func printError(_ s: String) {
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
        return c
    }
}
