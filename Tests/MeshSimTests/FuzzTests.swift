import Foundation
import SignalProtocol
import Testing
@testable import MeshSimKit

/// `MeshSim fuzz` (generator, shrinker, command), `scenario --check-determinism` and `merge`.
@Suite struct FuzzTests {
    static let generator = ScenarioGenerator(seed: 7, policy: "seed")

    @Test func aRunsScenarioDependsOnTheSeedAndIndexAlone() {
        let a = Self.generator.scenario(run: 12)
        let b = Self.generator.scenario(run: 12)
        #expect(a == b)
        #expect(a.fileText == b.fileText)
        #expect(a != Self.generator.scenario(run: 13))
        #expect(a != ScenarioGenerator(seed: 8, policy: "seed").scenario(run: 12))
    }

    /// Under a policy file, each drawn file carries the policy's whole object, so a shrunk file
    /// replays alone: it loads with the same policy the session ran.
    @Test func aPolicyFilesObjectTravelsInEveryDrawnFile() throws {
        var spec = Policies.named("resilient")!
        spec.name = "mine"
        let g = ScenarioGenerator(seed: 7, policy: PolicyJSON.object(spec))
        let s = g.scenario(run: 2)
        guard case .success(let loaded) = s.load() else { Issue.record("not loadable:\n\(s.fileText)"); return }
        #expect(loaded.policyObject == spec && loaded.policy == "mine")
    }

    /// Every drawn scenario is one `validate` accepts, with the drawn peers and events plus the
    /// closing heal, and it runs the same from the file as from the value.
    @Test func drawnScenariosAreValidFiles() throws {
        var kinds: Set<String> = []  // membership only
        for i in 0..<150 {
            let s = Self.generator.scenario(run: i)
            guard case .success(let loaded) = s.load() else {
                if case .failure(let e) = s.load() { Issue.record("run \(i): \(e.problems.map(\.description))\n\(s.fileText)") }
                continue
            }
            #expect(loaded.peers.count == s.peers.reduce(0) { $0 + ($1.count ?? 1) })
            #expect(loaded.events.count == s.events.count + (s.healEvent == nil ? 0 : 1))
            #expect(loaded.duration == s.lastDisruptionEnd + s.quiet)
            for e in s.events { kinds.insert(e.action.kindName) }
            for p in s.peers where p.count != nil { kinds.insert("group") }
        }
        for kind in ScenarioAction.kindNames + ["group"] { #expect(kinds.contains(kind), "no \(kind) drawn in 150 runs") }
        // The file through the public API gives the same run as the value through the loader.
        let s = Self.generator.scenario(run: 3)
        let direct = ScenarioRunTests.run(try ScenarioRunTests.scenario(s.fileText)).1
        let viaAPI = try ScenarioRun(json: s.fileText, name: "test.json")
        #expect(direct.traceHash == viaAPI.traceHash)
    }

    /// A synthetic failure ("some page is refreshed without closing anything while another
    /// peer exists") shrinks to its core: two plain peers and one event, every field at its default.
    @Test func theShrinkerReducesToTheSmallestFailingScenario() {
        func fails(_ s: FuzzScenario) -> Bool {
            guard case .success(let loaded) = s.load(), loaded.peers.count >= 2 else { return false }
            return loaded.events.contains { if case .refresh(_, _, false) = $0.action { return true } else { return false } }
        }
        var start: FuzzScenario?
        for i in 0..<400 where start == nil {
            let s = Self.generator.scenario(run: i)
            if fails(s) && s.events.count >= 3 && s.peers.count >= 3 { start = s }
        }
        guard let start else { Issue.record("no drawn scenario with a refresh clean:false and 3 events"); return }
        var shrinker = Shrinker(stillFails: fails)
        let small = shrinker.shrink(start)
        #expect(fails(small))
        #expect(small.events.count == 1)
        #expect(small.peers.count == 2 && small.peers.allSatisfy { $0.count == nil })
        #expect(small.peers.allSatisfy { $0.nat == nil && $0.lan == nil && $0.latency == nil && $0.udp && $0.machine == nil })
        #expect(small.network == FuzzScenario.NetworkFields() && small.machines.isEmpty)
        #expect(shrinker.tried <= 400)
        // Deterministic.
        var again = Shrinker(stillFails: fails)
        #expect(again.shrink(start) == small)
    }

    @Test func theDeterminismLogNamesTheFirstEventWhereTwoRunsPart() {
        let first = DeterminismLog()
        first.record(time: 10, event: .pageLoad(0), rng: 1, traceLines: 2)
        first.record(time: 20, event: .serverPing, rng: 1, traceLines: 3)
        first.record(time: 30, event: .serverUp, rng: 5, traceLines: 3)
        let same = DeterminismLog(comparingWith: first)
        same.record(time: 10, event: .pageLoad(0), rng: 1, traceLines: 2)
        same.record(time: 20, event: .serverPing, rng: 1, traceLines: 3)
        same.record(time: 30, event: .serverUp, rng: 5, traceLines: 3)
        same.runEnded()
        #expect(same.divergence == nil)
        let drew = DeterminismLog(comparingWith: first)
        drew.record(time: 10, event: .pageLoad(0), rng: 1, traceLines: 2)
        drew.record(time: 20, event: .serverPing, rng: 9, traceLines: 3)
        #expect(drew.divergence?.index == 1)
        #expect(drew.divergence?.description.contains("random draws differ") == true)
        let short = DeterminismLog(comparingWith: first)
        short.record(time: 10, event: .pageLoad(0), rng: 1, traceLines: 2)
        short.runEnded()
        #expect(short.divergence?.index == 1 && short.divergence?.second == nil)
        #expect(short.divergence?.description.contains("the second run ended there") == true)
    }

    @Test func checkDeterminismPassesOnARealScenario() throws {
        let r = try ProcessTests.run(["scenario", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "--check-determinism"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("determinism: run twice in this process"), "\(r.stderr)")
    }

    /// Under `seed`, fuzz finds the notes' crash-restore zombie and shrinks it to 2 peers and 1
    /// event; the written file fails when replayed; --jobs does not change a byte.
    @Test func fuzzFindsTheZombieAndTheShrunkFileReplaysIt() throws {
        let dir = try CommandLineTests.scratch("fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["fuzz", "--seed", "1", "--runs", "6", "--out", dir.path]
        let one = try ProcessTests.run(args + ["--jobs", "1"])
        let two = try ProcessTests.run(args + ["--jobs", "2"])
        #expect(one.status == 1)
        #expect(one.stdout == two.stdout)
        #expect(one.stderr.contains("runs/s"))
        #expect(one.stdout.contains("stuck:zombieIgnoredOnline"), "\(one.stdout)")
        let file = dir.appendingPathComponent("fuzz-1-run4-zombieIgnoredOnline.json").path
        #expect(one.stdout.contains("to 2 peers, 1 event: ") && one.stdout.contains("replay: MeshSim scenario \(file)"))
        let replay = try ProcessTests.run(["scenario", file])
        #expect(replay.status == 1)
        #expect(replay.stdout.contains("[zombieIgnoredOnline]"))
        let valid = try ProcessTests.run(["validate", file])
        #expect(valid.status == 0)
        // JSON: one line per run.
        let json = try ProcessTests.run(args + ["--json"])
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 6 && lines.allSatisfy { $0.hasPrefix("{\"run\":") })
    }

    @Test(arguments: [
        ["--runs", "0"], ["--runs", "x"], ["--peers", "5-2"], ["--peers", "1-4"], ["--jobs", "0"], ["--seed", "-1"],
        ["--policy", "nope"], ["--frobnicate"], ["some.json"],
    ])
    func fuzzRefusesBadArgumentsWithOneLine(extra: [String]) throws {
        let r = try ProcessTests.run(["fuzz", "--out", "/nonexistent-never-written"] + extra)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    /// Four shards merged, in any order, print what the unsharded sweep prints.
    @Test func mergeOfShardsEqualsTheUnshardedCompare() throws {
        let dir = try CommandLineTests.scratch("merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = ["compare", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "Scenarios/2-peers.json",
                     "--policies", "seed,resilient", "--seeds", "1-3"]
        let all = try ProcessTests.run(sweep + ["--json"])
        let text = try ProcessTests.run(sweep)
        var shards: [String] = []
        for i in [3, 1, 4, 2] {
            let r = try ProcessTests.run(sweep + ["--json", "--shard", "\(i)/4"])
            let path = dir.appendingPathComponent("shard-\(i).jsonl").path
            try Data(r.stdout.utf8).write(to: URL(fileURLWithPath: path))
            shards.append(path)
        }
        let merged = try ProcessTests.run(["merge"] + shards + ["--json"])
        #expect(merged.status == all.status)
        #expect(merged.stdout == all.stdout)
        let table = all.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains(": warning: ") }
        #expect(merged.stderr.split(separator: "\n", omittingEmptySubsequences: false) == table)
        let mergedText = try ProcessTests.run(["merge"] + shards)
        #expect(mergedText.stdout == text.stdout)
        let partial = try ProcessTests.run(["merge", shards[0]])
        #expect(partial.status == 2 && partial.stderr.contains("missing") && partial.stderr.split(separator: "\n").count == 1)
        let twice = try ProcessTests.run(["merge", shards[0], shards[0]])
        #expect(twice.status == 2 && twice.stderr.contains("appears twice"))
        let none = try ProcessTests.run(["merge"])
        #expect(none.status == 2)
        // Shards of another sweep of the same size (other seeds) used to merge silently.
        let other = try ProcessTests.run(["compare", "Scenarios/lifecycle/refresh-crash-restore.seed.json", "Scenarios/2-peers.json",
                                          "--policies", "seed,resilient", "--seeds", "4-6", "--json", "--shard", "1/4"])
        let otherPath = dir.appendingPathComponent("other-1.jsonl").path
        try Data(other.stdout.utf8).write(to: URL(fileURLWithPath: otherPath))
        let mixed = try ProcessTests.run(["merge", otherPath] + shards.filter { !$0.hasSuffix("shard-1.jsonl") })
        #expect(mixed.status == 2 && mixed.stderr.contains("different sweeps"), "\(mixed.stderr)")
        // A shard run with another --until is another sweep: its runs stop elsewhere.
        let stopped = try ProcessTests.run(sweep + ["--json", "--shard", "1/4", "--until", "11s"])
        let stoppedPath = dir.appendingPathComponent("stopped-1.jsonl").path
        try Data(stopped.stdout.utf8).write(to: URL(fileURLWithPath: stoppedPath))
        let limits = try ProcessTests.run(["merge", stoppedPath] + shards.filter { !$0.hasSuffix("shard-1.jsonl") })
        #expect(limits.status == 2 && limits.stderr.contains("different sweeps"), "\(limits.stderr)")
        // A line claiming an enormous sweep is refused at once, the missing runs counted, not listed.
        let line = all.stdout.split(separator: "\n")[0]
        let huge = String(line).replacingOccurrences(of: #""runs":12"#, with: #""runs":9223372036854775807"#)
        #expect(huge != String(line))
        let hugePath = dir.appendingPathComponent("huge.jsonl").path
        try Data(huge.utf8).write(to: URL(fileURLWithPath: hugePath))
        let tooMany = try ProcessTests.run(["merge", hugePath])
        #expect(tooMany.status == 2 && tooMany.stderr.contains("9223372036854775806 of the sweep's 9223372036854775807 runs are missing"), "\(tooMany.stderr)")
    }

    /// A sweep beyond what one sweep or one process may run is refused before it starts, and a
    /// shard of a large sweep builds only its own runs.
    @Test func compareRefusesSweepsItCannotHold() throws {
        let seeds = ["--seeds", "1-1000000"]
        let policies = (1...101).map { "\($0)ms" }.joined(separator: ",")
        let huge = try ProcessTests.run(["compare", "Scenarios/2-peers.json", "--policies", "seed,resilient",
                                         "--vary", "redial.initial=\(policies)"] + seeds + ["--shard", "1/300000000", "--json"])
        #expect(huge.status == 2 && huge.stderr.contains("more than the 100000000 one sweep may have"), "\(huge.stderr)")
        let oneProcess = try ProcessTests.run(["compare", "Scenarios/2-peers.json", "Scenarios/10-peers.json", "Scenarios/high-rtt.json",
                                               "--policies", "seed"] + seeds + ["--json"])
        #expect(oneProcess.status == 2 && oneProcess.stderr.contains("use more shards"), "\(oneProcess.stderr)")
    }

    @Test func mergeReadsMillisecondsBackExactly() {
        #expect(SweepMerge.nanoseconds("723.5") == 723_500_000)
        #expect(SweepMerge.nanoseconds("705.035963") == 705_035_963)
        #expect(SweepMerge.nanoseconds("12") == 12_000_000)
        #expect(SweepMerge.nanoseconds("1.2.3") == nil && SweepMerge.nanoseconds("-1") == nil && SweepMerge.nanoseconds("1.") == nil)
        for ns: Int64 in [0, 1, 999_999, 1_000_000, 123_456_789_012] { #expect(SweepMerge.nanoseconds(formatMillis(ns)) == ns) }
    }
}
