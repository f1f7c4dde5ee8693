import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// A host's `uplink`/`downlink` capacity as the network's own queue (`AccessQueue`): every
/// datagram waits for the bits ahead of it and its own serialisation, drop-tail drops what does
/// not fit in 250 ms of buffer, and media's fluid rate shares the link. QA (session 15): only
/// media demand filled the uplink, so 8 MiB of data channel crossed a 1 Mbit/s uplink in < 1 s.
@Suite struct AccessQueueTests {
    @Test func datagramsLeaveOneAfterAnotherAtTheCapacity() {
        var q = AccessQueue(capacity: 1_000_000)
        var rng = SimRandom(seed: 1)
        // 1,000 bytes at 1 Mbit/s: 8 ms each, first in first out.
        #expect(q.enqueue(bits: 8_000, at: 0, tcp: false, rng: &rng) == 8_000_000)
        #expect(q.enqueue(bits: 8_000, at: 0, tcp: false, rng: &rng) == 16_000_000)
        #expect(q.enqueue(bits: 8_000, at: 4_000_000, tcp: false, rng: &rng) == 24_000_000)
        // Once the queue has drained, a datagram waits for itself only.
        #expect(q.enqueue(bits: 8_000, at: 100_000_000, tcp: false, rng: &rng) == 108_000_000)
    }

    @Test func aFullBufferDropsTheTailButNotTCP() {
        var q = AccessQueue(capacity: 1_000_000)
        var rng = SimRandom(seed: 1)
        // 31 datagrams of 8 ms fit in 250 ms; the 32nd does not.
        for i in 1...31 { #expect(q.enqueue(bits: 8_000, at: 0, tcp: false, rng: &rng) == Int64(i) * 8_000_000) }
        #expect(q.enqueue(bits: 8_000, at: 0, tcp: false, rng: &rng) == nil)
        #expect(q.enqueue(bits: 8_000, at: 0, tcp: true, rng: &rng) != nil)
        #expect(q.maxWait >= 240_000_000)
    }

    /// TCP is never dropped, and never faster than the link: what the buffer cannot hold waits
    /// in the sender's socket (QA, session 15: 5 MB left a 100 kbit/s uplink in 5 s over TURN/TCP).
    @Test func tcpPastAFullBufferLeavesAtTheLinksRate() {
        var q = AccessQueue(capacity: 1_000_000)
        var rng = SimRandom(seed: 1)
        var last: Int64 = 0
        for _ in 1...200 { last = q.enqueue(bits: 8_000, at: 0, tcp: true, rng: &rng) ?? -1 }
        // 200 × 8 ms, one after another: 1.6 s, not the 250 ms a capped buffer gave.
        #expect(last == 1_600_000_000)
    }

    /// A slow link's buffer still holds a full-size packet: 250 ms of 32 kbit/s is 1,000 bytes,
    /// less than a DTLS flight, which was then never let in (QA, session 15).
    @Test func aSlowLinksBufferHoldsAFullSizePacket() {
        var q = AccessQueue(capacity: 32_000)
        var rng = SimRandom(seed: 1)
        #expect(q.enqueue(bits: 1_028 * 8, at: 0, tcp: false, rng: &rng) != nil)
        #expect(q.limit >= 2 * 1_500 * 8)
    }

    @Test func mediaTakesItsShareOfTheLink() {
        var q = AccessQueue(capacity: 1_000_000)
        var rng = SimRandom(seed: 1)
        q.fluidRate = 750_000
        // 80 kbit of datagrams drain at the 250 kbit/s the tracks leave: 320 ms, not 80 ms.
        _ = q.enqueue(bits: 80_000, at: 0, tcp: false, rng: &rng)
        q.advance(to: 200_000_000)
        #expect(abs(q.backlog - 30_000) < 1)
        // Tracks above capacity fill the buffer and lose the excess; datagrams then compete.
        q.fluidRate = 2_000_000
        q.advance(to: 2_000_000_000)
        #expect(q.backlog == q.limit && q.fluidLost > 0)
        var taken = 0
        for i in 0..<1_000 where q.enqueue(bits: 8_000, at: 2_000_000_000 + Int64(i), tcp: false, rng: &rng) != nil { taken += 1 }
        #expect(taken > 400 && taken < 600, "about capacity / demand of them: \(taken)")
    }

    static func transfer(uplink: String = "", downlink: String = "", duration: String) throws -> (Simulation, DataReport) {
        let text = """
        {"name": "slow", "duration": "\(duration)", "peers": [{"id": "a"\(uplink)}, {"id": "b"\(downlink)}],
         "traffic": [{"pattern": "pair", "from": "a", "to": "b", "totalBytes": 524288, "messageSize": 16384, "start": "3s"}]}
        """
        let (sim, _) = ScenarioRunTests.run(try ScenarioLoader.load(bytes: Array(text.utf8), file: "slow.json"))
        return (sim, DataReport(simulation: sim))
    }

    /// 512 KiB (4.19 Mbit of payload) through 1 Mbit/s takes more than 4.19 s, however fast SCTP
    /// would send it.
    @Test(arguments: [(#", "uplink": 1000000"#, ""), ("", #", "downlink": 1000000"#)])
    func aBulkTransferTakesAtLeastItsBitsOverTheCapacity(uplink: String, downlink: String) throws {
        let (early, e) = try Self.transfer(uplink: uplink, downlink: downlink, duration: "7s")
        #expect(e.total.sent == 32 && e.total.delivered * 16_384 * 8 <= 4_000_000, "\(e.total.delivered) delivered in 4 s")
        #expect(!early.network.links.isEmpty)
        let (_, d) = try Self.transfer(uplink: uplink, downlink: downlink, duration: "30s")
        #expect(d.total.delivered == 32 && d.total.lost == 0)
        #expect(d.total.latency.max! > 4_190_000_000)
    }

    /// Without a capacity nothing changes: no link, no queue, the transfer goes at SCTP's pace.
    @Test func withoutACapacityThereIsNoQueue() throws {
        let (sim, d) = try Self.transfer(duration: "7s")
        #expect(sim.network.links.isEmpty && sim.network.datagramsQueueDropped == 0)
        #expect(d.total.delivered == 32)
        let report = RunReport(simulation: sim)
        #expect(!report.json.contains("queueDropped"))
    }
}
