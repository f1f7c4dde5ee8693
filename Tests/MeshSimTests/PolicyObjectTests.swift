import Foundation
import Testing
@testable import MeshSimKit
import SignalProtocol

/// Policies as data (docs/policies.md, "Policy objects"): the built-ins are presets whose printed
/// objects read back as the same policy; bad objects are refused with their JSON path;
/// `compare --vary` names its variants by their values.
@Suite struct PolicyObjectTests {
    static func read(_ json: String, file: String = "p.json") -> (PolicySpec?, [String]) {
        let checker = ScenarioChecker(file: file)
        guard let root = try? JSONParser.parse(json), let o = checker.object(root, .root) else { return (nil, ["not an object"]) }
        let spec = checker.policySpec(o, defaultName: PolicyFile.defaultName(file))
        return (spec, checker.sortedProblems().map(\.description))
    }

    @Test func everyPresetsObjectReadsBackAsThePreset() {
        for preset in Policies.all {
            let (spec, problems) = Self.read(PolicyJSON.line(preset))
            #expect(problems.isEmpty, "\(preset.name): \(problems)")
            #expect(spec == preset, "\(preset.name)")
        }
    }

    @Test func presetsAreTheTypesTheCodeNames() {
        let types: [any PresetPolicy] = [SeedPolicy(), SeedStrictPolicy(), ReplacePolicy(), ResilientPolicy(), RestartICEPolicy(),
                                         KeepLiveLinksPolicy()]
        #expect(types.map(\.spec) == Policies.all)
        #expect(Policies.all.map(\.name) == ["seed", "seed-strict", "replace", "resilient", "restart-ice", "keep-live-links"])
    }

    @Test func leftOutFieldsKeepSeedsValuesAndTheNameComesFromTheFile() {
        let (spec, problems) = Self.read(#"{"onOnline": "dial"}"#, file: "dir/my-policy.json")
        #expect(problems.isEmpty)
        var expected = PolicySpec.seed.named("my-policy")
        expected.summary = ""
        expected.onOnline = .dial
        #expect(spec == expected)
        let (named, _) = Self.read(#"{"name": "mine", "redial": {"initial": "250ms"}}"#)
        #expect(named?.name == "mine")
        #expect(named?.redialRule == RedialRule(initial: 250_000_000))
    }

    @Test func badObjectsNameTheFieldAndTheValue() {
        let (spec, problems) = Self.read(#"{"onOnline": "often", "redial": {"factor": 0.5, "jitter": 2, "x": 1}, "glare": true, "extra": 1}"#)
        #expect(spec == nil)
        #expect(problems == [
            #"p.json: onOnline: unknown value "often" (expected one of: dialIfNotConnected, dial, dialIfNotConnectedOrNewPageLoad)"#,
            "p.json: redial.factor: expected a number from 1 to 100, got 0.5",
            "p.json: redial.jitter: expected a number from 0 to 1, got 2",
            "p.json: redial.x: unknown field (expected one of: dialer, initial, factor, cap, jitter)",
            "p.json: glare: expected a string, got boolean true",
            "p.json: extra: unknown field (expected one of: name, summary, connected, onInit, onOnline, teardownOnChannelClose, onFailed, iceRestartAfterDisconnected, replaceOnForeignOffer, acceptOffersWithoutLink, redial, instanceIds, glare, uidTaken, teardownOnOffline)",
        ])
    }

    @Test func aScenarioMayWriteItsPolicyAsAnObject() throws {
        let s = try ScenarioLoader.load(bytes: Array(#"{"name": "t", "duration": "5s", "peers": [{"id": "a"}], "policy": {"onFailed": "keep"}}"#.utf8), file: "s.json")
        #expect(s.policy == "custom")
        #expect(s.policyObject?.onFailed == .keep)
        do {
            _ = try ScenarioLoader.load(bytes: Array(#"{"name": "t", "duration": "5s", "peers": [{"id": "a"}], "policy": {"redial": {"cap": "0s"}}}"#.utf8), file: "s.json")
            Issue.record("a zero cap was accepted")
        } catch {
            #expect(error.problems.map(\.description) == [#"s.json: policy.redial.cap: expected a duration greater than 0, got "0s""#])
        }
        do {
            _ = try ScenarioLoader.load(bytes: Array(#"{"name": "t", "duration": "5s", "peers": [{"id": "a"}], "policy": 3}"#.utf8), file: "s.json")
            Issue.record("a number was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["s.json: policy: expected a policy name or a policy object, got number 3"])
        }
    }

    @Test func backoffGrowsByTheFactorUpToTheCap() {
        let r = RedialRule()
        #expect((1...6).map { r.delay(attempt: $0) } == [1, 2, 4, 8, 8, 8].map { Int64($0) * 1_000_000_000 })
        let slow = RedialRule(initial: 300_000_000, factor: 3, cap: 5_000_000_000)
        #expect((1...4).map { slow.delay(attempt: $0) } == [300_000_000, 900_000_000, 2_700_000_000, 5_000_000_000])
        #expect(RedialRule(dialer: .largerUid).dials(me: "b", remote: "a"))
        #expect(!RedialRule().dials(me: "b", remote: "a"))
    }

    @Test func sweepsAreTheCartesianProductNamedByTheirValues() throws {
        let axes = [try PolicyVariants.parseAxis("redial.initial=500ms,2s"), try PolicyVariants.parseAxis("onOnline=dial,dialIfNotConnected")]
        let variants = try PolicyVariants.expand([.resilient, .seed], axes)
        #expect(variants.map(\.name) == [
            "resilient{redial.initial=500ms,onOnline=dial}", "resilient{redial.initial=500ms,onOnline=dialIfNotConnected}",
            "resilient{redial.initial=2s,onOnline=dial}", "resilient{redial.initial=2s,onOnline=dialIfNotConnected}",
            "seed{redial.initial=500ms,onOnline=dial}", "seed{redial.initial=500ms,onOnline=dialIfNotConnected}",
            "seed{redial.initial=2s,onOnline=dial}", "seed{redial.initial=2s,onOnline=dialIfNotConnected}",
        ])
        #expect(variants[2].redialRule?.initial == 2_000_000_000 && variants[2].onOnline == .dial)
        // seed has no redial: varying one of its fields turns it on with the other defaults.
        #expect(variants[4].redialRule == RedialRule(initial: 500_000_000))
        for bad in ["redial.bogus=1", "onOnline=often", "redial.cap=-1s", "noequals", "a.b.c=1", "name=x", "onOnline="] {
            #expect(throws: UsageError.self, "\(bad)") { try PolicyVariants.expand([.seed], [try PolicyVariants.parseAxis(bad)]) }
        }
    }

    @Test func policiesJSONPrintsEveryPresetAndPolicyFilesRun() throws {
        let r = try ProcessTests.run(["policies", "--json"])
        #expect(r.status == 0)
        #expect(r.stdout == Policies.all.map { PolicyJSON.line($0) + "\n" }.joined())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meshsim-policy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("resilient-copy.json")
        try Data(PolicyJSON.line(.resilient.named("resilient")).utf8).write(to: file)
        let scenario = "Scenarios/lifecycle/partition-long.resilient.json"
        let byName = try ProcessTests.run(["scenario", scenario, "--json", "--policy", "resilient"])
        let byFile = try ProcessTests.run(["scenario", scenario, "--json", "--policy", file.path])
        #expect(byName.status == 0 && byName.stdout == byFile.stdout)
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"redial": {"initial": "soon"}}"#.utf8).write(to: bad)
        let refused = try ProcessTests.run(["scenario", scenario, "--policy", bad.path])
        #expect(refused.status == 2 && refused.stdout.isEmpty)
        #expect(refused.stderr == "MeshSim scenario: --policy: \(bad.path): redial.initial: expected a duration such as \"250ms\", got \"soon\" (MeshSim scenario --help)\n")
        let overwrite = try ProcessTests.run(["scenario", scenario, "--policy", file.path, "--trace", file.path])
        #expect(overwrite.status == 2 && overwrite.stderr.contains("is an input file"))
    }
}
