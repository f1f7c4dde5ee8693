import Testing
import SignalProtocol
@testable import MeshSimKit

/// A page's clean WebSocket close is a closing handshake (RFC 6455 section 7): the server
/// answers the page's Close, and its handler learns the socket is gone only once the page's
/// browser has closed the connection behind it (docs/model.md section 3, "The WebSocket").
@Suite struct WebSocketCloseTests {
    /// When `p1` receives `offline` for `p2`, in ms, in a run where `p2` drops its WebSocket at
    /// 2 s and every page is `latency` from the server.
    static func offlineAfterDrop(latency: String) throws -> Double {
        let json = """
        {"name": "drop", "seed": 1, "duration": "4s",
         "network": {"latency": "0.05ms", "jitter": "0ms", "server": {"latency": "\(latency)"}, "stun": false},
         "peers": [{"count": 2, "idPrefix": "p", "join": {"start": "0s", "every": "100ms"}}],
         "events": [{"at": "2s", "do": "wsDrop", "peer": "p2", "reconnectAfter": "1s"}]}
        """
        let (sim, _) = ScenarioRunTests.run(try ScenarioRunTests.scenario(json))
        for line in sim.trace.capturedLines {
            guard let v = try? JSONParser.parse(line), v["kind"]?.stringValue == "offline",
                  v["peer"]?.stringValue == "p1", v["remote"]?.stringValue == "p2",
                  let t = v["t"]?.numberValue?.double else { continue }
            return t
        }
        throw CloseTestError.noOffline
    }

    enum CloseTestError: Error { case noOffline }

    /// Three trips before the server knows (the page's Close, the server's answer, the
    /// connection closed), then one to the other page: at least 40 ms with 10 ms each way.
    @Test func theServerLearnsOfACleanCloseAfterTheHandshake() throws {
        let at = try Self.offlineAfterDrop(latency: "10ms")
        #expect(at >= 2040 && at < 2060, "offline at \(at) ms")
    }
}
