import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Media flows (`traffic` with `audio`/`video`): a mesh saturates a host's uplink exactly when
/// (N-1) x bitrate passes its capacity, the bottleneck queue then delays and drops what the host
/// sends, and capacities come from the network or the peer.
@Suite struct MediaScenarioTests {
    static func scenario(peers: Int, uplink: Int = 10_000_000, video: Int = 1_700_000, extraPeer: String = "") throws -> Scenario {
        let text = """
        {"name": "m", "duration": "40s", "network": {"uplink": \(uplink)},
         "peers": [{"count": \(peers), "idPrefix": "p", "join": {"start": "0s", "every": "1s"}}\(extraPeer)],
         "traffic": [{"pattern": "allToAll", "audio": 32000, "video": \(video)}],
         "expect": {"maxUplinkUtilisation": 1.0}}
        """
        return try ScenarioLoader.load(bytes: Array(text.utf8), file: "m.json")
    }

    @Test func sixPagesFitATenMegabitUplinkAndSevenDoNot() throws {
        // 1.732 Mbit/s per copy: 5 copies are 8.66 Mbit/s, 6 copies 10.39 Mbit/s.
        let (six, r6) = ScenarioRunTests.run(try Self.scenario(peers: 6))
        let m6 = MediaReport(simulation: six)
        #expect(six.oracle.isFull && r6.passed)
        // Unsaturated: the tracks build no queue; datagrams wait only for a burst ahead of them.
        #expect(m6.hosts.allSatisfy { $0.up.saturatedFrom == nil && $0.up.maxQueueDelay < 5_000_000 }, "\(m6.hosts.map(\.up.maxQueueDelay))")
        #expect(abs(m6.maxUplinkUtilisation!.value - 0.866) < 0.001)
        let (seven, r7) = ScenarioRunTests.run(try Self.scenario(peers: 7))
        let m7 = MediaReport(simulation: seven)
        #expect(!r7.passed)
        #expect(m7.hosts.count == 7 && m7.hosts.allSatisfy { $0.up.saturatedFrom != nil })
        #expect(abs(m7.maxUplinkUtilisation!.value - 1.0392) < 0.001)
        // Saturation starts when the seventh page's connections are up, not before it joins.
        #expect(m7.hosts.allSatisfy { $0.up.saturatedFrom! >= 6_000_000_000 })
        #expect(m7.hosts.allSatisfy { $0.up.maxQueueDelay == AccessQueue.maxQueueDelay })
        #expect(m7.datagramsDropped > 0)
    }

    @Test func aPeerWithALargerUplinkDoesNotSaturate() throws {
        let s = try Self.scenario(peers: 6, extraPeer: #", {"id": "fibre", "uplink": 1000000000}"#)
        let (sim, _) = ScenarioRunTests.run(s)
        let m = MediaReport(simulation: sim)
        let fibre = try #require(m.hosts.first { $0.name == "fibre" })
        #expect(fibre.up.saturatedFrom == nil && fibre.up.capacity == 1_000_000_000)
        #expect(m.hosts.filter { $0.name != "fibre" }.allSatisfy { $0.up.saturatedFrom != nil })
    }

    @Test func theQueueDelaysDataChannelMessagesOfASaturatedHost() throws {
        let text = """
        {"name": "m", "duration": "30s", "network": {"uplink": 2000000},
         "peers": [{"id": "a"}, {"id": "b", "join": "200ms"}],
         "traffic": [{"pattern": "pair", "from": "a", "to": "b", "audio": 0, "video": 2200000, "start": "5s"},
                     {"pattern": "pair", "from": "a", "to": "b", "rate": 10, "start": "3s", "stop": "25s"}]}
        """
        let (sim, _) = ScenarioRunTests.run(try ScenarioLoader.load(bytes: Array(text.utf8), file: "m.json"))
        let d = DataReport(simulation: sim)
        // 2.2 of 2 Mbit/s: the queue fills to 250 ms and drops 9 %; messages wait in it.
        #expect(d.total.latency.max! > 200_000_000)
        #expect(d.total.delivered > 0)
    }

    @Test func withoutMediaThereIsNoMediaSection() throws {
        let (sim, report) = ScenarioRunTests.run(try ScenarioRunTests.scenario(ScenarioRunTests.twoPeers))
        #expect(sim.media == nil && report.media == nil && !report.json.contains(#""media""#))
    }

    /// A media flow sends its tracks from its `start` to its `stop` (both were ignored: the
    /// uplink saturated from the first connection to the end).
    @Test func aMediaFlowHonoursItsStartAndStop() throws {
        let text = """
        {"name": "m", "duration": "30s", "network": {"uplink": 1000000},
         "peers": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
         "traffic": [{"pattern": "allToAll", "video": 800000, "start": "5s", "stop": "10s"}], "expect": {}}
        """
        let (sim, _) = ScenarioRunTests.run(try ScenarioLoader.load(bytes: Array(text.utf8), file: "m.json"))
        let m = MediaReport(simulation: sim)
        for h in m.hosts {
            let from = try #require(h.up.saturatedFrom)
            #expect(from >= 5_000_000_000 && from < 5_200_000_000, "\(h.name) from \(from)")
            #expect(h.up.saturatedFor <= 5_000_000_000, "\(h.name) for \(h.up.saturatedFor)")
        }
    }

    /// A `disconnected` connection still carries its tracks (Chromium sends RTP on the selected
    /// pair while consent is pending) until it closes or fails: demand does not dip during a
    /// partition short of ICE failure (QA, session 15: it did).
    @Test func aDisconnectedConnectionKeepsLoadingTheUplink() throws {
        let text = """
        {"name": "m", "duration": "20s", "network": {"uplink": 1000000},
         "peers": [{"id": "a"}, {"id": "b"}],
         "events": [{"at": "5s", "do": "partition", "between": ["a", "b"], "for": "8s"}],
         "traffic": [{"pattern": "pair", "from": "a", "to": "b", "video": 500000}]}
        """
        let (sim, _) = ScenarioRunTests.run(try ScenarioLoader.load(bytes: Array(text.utf8), file: "m.json"))
        let lines = sim.trace.capturedLines
        #expect(lines.contains { $0.contains("disconnected") }, "the partition outlasts consent")
        // From the first 100 ms sample after `connected` to the end, without a gap.
        let up = sim.media!.up[Int(sim.peers[sim.slotIndex["a"]!].host!.raw)]
        #expect(up.bitsOffered >= 500_000 * 18.9, "\(up.bitsOffered)")
    }
}
