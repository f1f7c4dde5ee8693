import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Chromium's network service drops a page's STUN to addresses it has not heard from beyond
/// 256 KiB per second (`STUNThrottle`; services/network/p2p/socket_throttler.cc and
/// socket_udp.cc), and never throttles STUN to an address that sent the socket a request or
/// response.
@Suite struct STUNThrottleTests {
    /// `t.admit` outside the expectation macro, which cannot mutate.
    func admit(_ t: inout STUNThrottle, _ bytes: Int, at now: Int64) -> Bool { t.admit(bytes, at: now) }

    @Test func aPeriodAdmits256KiBThenRefuses() {
        var t = STUNThrottle()
        // 2,621 messages of 100 bytes fit in 262,144 bytes; the next one does not.
        for i in 0..<2_621 { #expect(admit(&t, 100, at: Int64(i) * 1_000)) }
        #expect(!admit(&t, 100, at: 3_000_000))
        // A smaller one that still fits is admitted (`used + desired <= max`).
        #expect(admit(&t, 44, at: 3_000_000))
        #expect(!admit(&t, 1, at: 3_000_001))
    }

    @Test func aNewPeriodStartsAtTheFirstUseAfterTheLastEnded() {
        var t = STUNThrottle()
        #expect(admit(&t, STUNThrottle.bytesPerPeriod, at: 500_000_000))
        // The period runs from 0.5 s to 1.5 s: nothing more before its end...
        #expect(!admit(&t, 100, at: 1_500_000_000))
        // ...then a fresh one, starting at this use, not at 1.5 s.
        #expect(admit(&t, STUNThrottle.bytesPerPeriod, at: 1_700_000_000))
        #expect(!admit(&t, 1, at: 2_700_000_000))
        #expect(admit(&t, 1, at: 2_700_000_001))
    }

    @Test func aMessageLargerThanAPeriodNeverGoes() {
        var t = STUNThrottle()
        #expect(!admit(&t, STUNThrottle.bytesPerPeriod + 1, at: 0))
        #expect(admit(&t, STUNThrottle.bytesPerPeriod, at: 0))
    }

    @Test func heardAddressesKeepTwoInlineAndMoreBeyond() {
        var h = HeardAddresses()
        let addresses = (1...5).map { TransportAddress(ip: 0x0A00_0000 + UInt32($0), port: 5_000) }
        #expect(!h.contains(addresses[0]))
        for (i, a) in addresses.enumerated() {
            h.insert(a)
            h.insert(a)
            for (j, b) in addresses.enumerated() { #expect(h.contains(b) == (j <= i)) }
        }
        #expect(!h.contains(TransportAddress(ip: 0x0A00_0001, port: 5_001)))
    }

    static func report(ice: String, nat: String, peers: Int = 4) throws -> RunReport {
        let text = #"""
        {"name": "checks at a high rate", "duration": "3s",
         "network": {"ice": {\#(ice)}},
         "peers": [{"count": \#(peers), "idPrefix": "p", "join": {"start": "0s", "every": "10ms"}, "nat": "\#(nat)"}],
         "expect": {"fullMesh": false}}
        """#
        let (sim, _) = ScenarioRunTests.run(try ScenarioLoader.load(bytes: Array(text.utf8), file: "throttle.json"))
        return RunReport(simulation: sim)
    }

    /// Behind symmetric NATs no check is ever answered; pinging every millisecond, each page
    /// sends its three connections' checks at about 300 KB/s, above the limit.
    @Test func uncheckedAddressesAreThrottled() throws {
        let r = try Self.report(ice: #""weakPingInterval": "1ms""#, nat: "symmetric")
        #expect(r.datagramsThrottled > 1_000)
        #expect(r.json.contains(#""throttled":"#))
        #expect(r.text.contains("STUN dropped by the pages' browsers at their send limit"))
    }

    /// Connected pages whose consent checks go every millisecond send more STUN (five
    /// connections each, about 500 KB/s), but to addresses their sockets heard from: nothing is
    /// throttled, and the report says nothing.
    @Test func addressesHeardFromAreNotThrottled() throws {
        let r = try Self.report(ice: #""weakPingInterval": "1ms", "strongPingInterval": "1ms", "stablePingInterval": "1ms", "weakOrStabilizingPingInterval": "1ms""#,
                                nat: "none", peers: 6)
        #expect(r.pairsConnected == 15)
        #expect(r.datagramsSent > 100_000)
        #expect(r.datagramsThrottled == 0)
        #expect(!r.json.contains(#""throttled":"#))
    }
}
