import Foundation
import Testing
@testable import MeshSimKit
import SignalProtocol

/// The JSON examples in README.md and docs/*.md, checked so that the documentation cannot say
/// something the program refuses or contradicts (the scenario-format example once expected a
/// full mesh that its own NATs ruled out without TURN).
///
/// Every fenced block tagged `json` is one of:
/// - a complete scenario (a JSON object with `name`, `duration` and `peers`): loaded with the
///   real loader, then run as written (duration included) with its own seed and policy; it
///   must pass: every expectation it writes holds and no invariant is violated;
/// - a fragment (any other JSON value, such as part of a scenario or a wire message): it must
///   parse as JSON;
/// - JSON Lines (several values, one a line, such as wire messages in docs/protocol.md): each
///   non-empty line must parse as JSON.
///
/// Nothing tagged `json` is skipped. A block that is deliberately not JSON (an error listing, a
/// shell session, an elided `…` sketch) must not be tagged `json`; untagged blocks and other
/// tags (`sh`, none) are not examined.
@Suite struct DocumentationExampleTests {
    struct Block: CustomStringConvertible {
        /// Relative to the package root, e.g. `docs/scenario-format.md`.
        var file: String
        /// 1-based line of the opening fence.
        var line: Int
        var text: String
        var description: String { "\(file):\(line)" }
    }

    /// README.md and docs/*.md, sorted.
    static func documents() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(
            atPath: ProcessTests.packageRoot.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return ["README.md"] + docs
    }

    /// The fenced blocks whose info string is exactly `json`, in file order.
    static func jsonBlocks(in file: String) throws -> [Block] {
        let url = ProcessTests.packageRoot.appendingPathComponent(file)
        let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [Block] = []
        var open: (line: Int, isJSON: Bool, body: [String])?
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if var current = open {
                if line == "```" {
                    if current.isJSON {
                        blocks.append(Block(file: file, line: current.line, text: current.body.joined(separator: "\n")))
                    }
                    open = nil
                } else {
                    current.body.append(raw)
                    open = current
                }
            } else if line.hasPrefix("```") {
                let info = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                open = (i + 1, info == "json", [])
            }
        }
        #expect(open == nil, "\(file): a code block is never closed")
        return blocks
    }

    enum Kind: Equatable {
        case scenario
        case fragment
        case jsonLines
        /// Tagged `json` but neither one JSON value nor JSON Lines: the first bad line and why.
        case invalid(String)
    }

    static func classify(_ block: Block) -> Kind {
        if let value = try? JSONParser.parse(Array(block.text.utf8)) {
            if case .object(let o) = value, o["name"] != nil, o["duration"] != nil, o["peers"] != nil {
                return .scenario
            }
            return .fragment
        }
        let lines = block.text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        for l in lines {
            do {
                _ = try JSONParser.parse(Array(l.utf8))
            } catch {
                return .invalid("\(String(l.prefix(60))): \(error.description)")
            }
        }
        return lines.count > 1 ? .jsonLines : .invalid("an empty block")
    }

    static func allBlocks() throws -> [(block: Block, kind: Kind)] {
        try documents().flatMap { try jsonBlocks(in: $0) }.map { ($0, classify($0)) }
    }

    @Test func everyJSONBlockIsAScenarioOrParses() throws {
        let blocks = try Self.allBlocks()
        for (block, kind) in blocks {
            if case .invalid(let why) = kind {
                Issue.record("\(block): a json block that is neither one JSON value nor JSON Lines: \(why)")
            }
        }
        // The extraction works: the scenario-format example and the wire examples are found.
        #expect(blocks.contains { $0.block.file == "docs/scenario-format.md" && $0.kind == .scenario })
        #expect(blocks.contains { $0.block.file == "docs/protocol.md" && $0.kind == .jsonLines })
    }

    /// Each complete scenario in the documentation is valid and, run as written, passes. The
    /// 100-peer scenario-format example takes about a minute in a debug build (a few seconds in
    /// release); it is run in full anyway, because its expectation is about the end of the run
    /// and most of the cost is the join itself, which no shorter run avoids.
    @Test(arguments: try DocumentationExampleTests.allBlocks().filter { $0.kind == .scenario }.map(\.block.description))
    func everyCompleteScenarioLoadsAndItsExpectationsHold(_ location: String) throws {
        guard let block = try Self.allBlocks().first(where: { $0.block.description == location })?.block else {
            Issue.record("\(location): block not found")
            return
        }
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(bytes: Array(block.text.utf8), file: block.description)
        } catch {
            Issue.record("\(block): the documented scenario is refused:\n\(error.description)")
            return
        }
        guard let policy = Policies.named(scenario.policy) else {
            Issue.record("\(block): unknown policy \(scenario.policy)")
            return
        }
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: scenario.seed, policy: policy),
                             traceSink: TraceWriter(sink: nil))
        sim.run()
        let report = RunReport(simulation: sim)
        for e in report.expectations where !e.ok {
            Issue.record("\(block): expectation \(e.name) fails: \(e.detail)")
        }
        // Plain values, so that a failure prints the message rather than the whole report.
        let violations = report.violations, passed = report.passed, expects = report.expectations.count
        #expect(violations.isEmpty, "\(block): \(violations)")
        #expect(passed, "\(block): the documented scenario does not pass")
        #expect(expects > 0, "\(block): a documented scenario expects something")
    }

    /// README.md's sample output is what `MeshSim scenario Scenarios/2-peers.json` prints, and
    /// its trace excerpt lines are lines of that run's trace: the README promises byte-for-byte
    /// reproducibility (QA, session 15: both had gone stale).
    @Test func theReadmesSampleOutputIsWhatTheBinaryPrints() throws {
        let readme = try String(contentsOf: ProcessTests.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let command = "$ swift run -c release MeshSim scenario Scenarios/2-peers.json\n"
        let start = try #require(readme.range(of: command), "no sample output in README.md")
        let block = String(readme[start.upperBound...].prefix { $0 != "`" })
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(ProcessInfo.processInfo.processIdentifier).jsonl")
        defer { try? FileManager.default.removeItem(at: trace) }
        let r = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "--trace", trace.path], in: ProcessTests.packageRoot)
        #expect(r.stdout == block, "README.md's sample output differs from the run's:\n\(r.stdout)")
        let lines = Set(try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").map(String.init))
        let excerpt = readme.split(separator: "\n").map(String.init).filter { $0.hasPrefix(#"{"t":"#) }
        #expect(!excerpt.isEmpty)
        for line in excerpt { #expect(lines.contains(line), "README.md's trace line is not in the run's trace: \(line)") }
    }
}
