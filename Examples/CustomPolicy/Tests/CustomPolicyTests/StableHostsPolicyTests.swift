import Foundation
import Testing
import CustomPolicy
import MeshSimKit
import SignalProtocol

/// The app's policy on MeshSim's scenarios, run in-process with `ScenarioRun`.
@Suite struct StableHostsPolicyTests {
    /// The MeshSim repository (this package sits in its Examples/CustomPolicy).
    static let meshSim = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func scenario(_ path: String) -> String { meshSim.appendingPathComponent(path).path }

    @Test func aLongPartitionIsRepairedAsByThePreset() throws {
        let file = Self.scenario("Scenarios/lifecycle/partition-long.keep-live-links.json")
        let mine = try ScenarioRun(file: file, policy: StableHostsPolicy())
        #expect(mine.passed, "\(mine.text)")
        #expect(mine.json.contains(#""policy":"stable-hosts""#))
        let preset = try ScenarioRun(file: file, policy: PolicySpec.keepLiveLinks)
        #expect(preset.passed && preset.fullMesh)
    }

    @Test func aWebSocketDropOfAHostRenegotiatesNothing() throws {
        let json = """
        {"name": "host ws drop", "duration": "30s", "network": {"jitter": "2ms"},
         "peers": [{"id": "host-1"}, {"id": "tab-a", "join": "200ms"}, {"id": "tab-b", "join": "400ms"}],
         "events": [{"at": "5s", "do": "wsDrop", "peer": "host-1", "reconnectAfter": "1s"}],
         "expect": {"fullMesh": true, "noRenegotiation": ["host-1", "tab-a", "tab-b"]}}
        """
        let run = try ScenarioRun(json: json, name: "host-ws-drop.json", policy: StableHostsPolicy())
        #expect(run.passed, "\(run.text)")
        #expect(run.json.contains(#""policy":"stable-hosts""#))
    }

    @Test func aBadScenarioIsRefusedWithItsPath() {
        #expect(throws: ScenarioRunError.self) {
            try ScenarioRun(json: #"{"name": "x", "duration": "5s", "peers": []}"#, policy: StableHostsPolicy())
        }
    }
}
