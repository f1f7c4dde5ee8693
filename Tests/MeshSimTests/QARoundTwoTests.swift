import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// Connectivity, data and policy defects QA found in session 14's second round; each test
/// failed before its fix.
@Suite struct ConnectivityDiagnosisTests {
    private static func run(_ json: String, policy: any MeshPolicy = SeedPolicy()) throws -> RunReport {
        ScenarioRunTests.run(try ScenarioRunTests.scenario(json), policy: policy).1
    }

    /// libwebrtc uses a UDP TURN server as a STUN server when none is configured: two full
    /// cones connect directly, not through the relay.
    @Test func theTURNServerAnswersBindingWhenThereIsNoSTUNServer() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "40s", "network": {"stun": false, "turn": true},
         "peers": [{"id": "a", "nat": "fullCone"}, {"id": "b", "nat": "fullCone", "join": "300ms"}]}
        """#)
        #expect(r.fullMesh)
        #expect(r.relayedPairs == 0)
    }

    /// Full cones on a path that loses 95 % of datagrams: the loss took the checks, not the
    /// NATs, and TURN would not help.
    @Test func checksLostToTheNetworkAreSaidToBe() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "60s", "network": {"loss": 0.95, "stun": true, "turn": false},
         "peers": [{"id": "a", "nat": "fullCone"}, {"id": "b", "nat": "fullCone", "join": "300ms"}]}
        """#)
        let s = try #require(r.stuck.first)
        #expect(s.cause == .checksLost, "\(s.reason)")
        #expect(!s.reason.contains("cannot work"), "\(s.reason)")
    }

    /// Granted allocations released when a failed connection closed were "never answered".
    @Test func grantedAllocationsAreNotUnanswered() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "60s", "network": {"loss": 0.99, "stun": true, "turn": true},
         "peers": [{"id": "a", "nat": "fullCone"}, {"id": "b", "nat": "fullCone", "join": "300ms"}]}
        """#)
        #expect(r.turnAllocations > 0)
        #expect(r.stuck.allSatisfy { $0.cause != .turnUnanswered }, "\(r.stuck.map(\.reason))")
    }

    /// STUN turned on after the connections were set up taught them nothing: `noStun`, saying
    /// a new connection would learn the address, not "add a TURN server".
    @Test func aSTUNServerThatCameLaterIsNoStun() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "40s", "network": {"stun": false, "turn": false},
         "peers": [{"id": "b", "nat": "portRestrictedCone"}, {"id": "f", "nat": "fullCone"}],
         "events": [{"at": "25s", "do": "network", "stun": true}]}
        """#)
        let s = try #require(r.stuck.first)
        #expect(s.cause == .noStun, "\(s.reason)")
        #expect(s.reason.contains("a new connection would"), "\(s.reason)")
    }

    /// A per-destination mapping against a port-restricted filter cannot hole-punch at any
    /// loss: never `checksLost`, whatever the seed.
    @Test func aPairNATsKeepApartIsNotBlamedOnLoss() throws {
        for seed: UInt64 in [5, 7, 11, 12] {
            let r = try Self.run(#"""
            {"name": "t", "seed": \#(seed), "duration": "20s", "network": {"loss": 0.6, "stun": true, "turn": false},
             "peers": [{"id": "a", "nat": "portRestrictedCone"}, {"id": "d", "nat": "symmetric"}]}
            """#)
            #expect(r.stuck.allSatisfy { $0.cause != .checksLost }, "seed \(seed): \(r.stuck.map(\.reason))")
        }
    }

    /// STUN turned off (and no TURN) for two NATed peers: a new connection would fail too, so
    /// no re-dialling policy is named for the partition that broke the old one.
    @Test func noPolicyIsNamedWhenNoServerCouldHelpANewConnection() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "60s", "peers": [{"id": "a", "nat": "fullCone"}, {"id": "b", "nat": "portRestrictedCone", "join": "300ms"}],
         "events": [{"at": "5s", "do": "network", "stun": false}, {"at": "10s", "do": "partition", "between": ["a", "b"], "for": "30s"}]}
        """#)
        let s = try #require(r.stuck.first)
        #expect(s.reason.contains("so a new connection would fail as well"), "\(s.reason)")
        #expect(!s.reason.contains("would repair"), "\(s.reason)")
    }

    /// A relayed pair whose TURN server went away: no re-dialling policy would repair it, so
    /// none is named.
    @Test func noPolicyIsNamedWhenTheRelayIsGone() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "60s", "network": {"turn": true},
         "peers": [{"id": "a", "nat": "symmetric"}, {"id": "b", "nat": "symmetric", "join": "300ms"}],
         "events": [{"at": "10s", "do": "network", "turn": false}]}
        """#)
        let s = try #require(r.stuck.first)
        #expect(s.reason.contains("would most likely fail as well"), "\(s.reason)")
        #expect(!s.reason.contains("would repair"), "\(s.reason)")
    }
}

@Suite struct DataAcrossSetUpTests {
    private static func run(_ json: String, until: Int64? = nil) throws -> RunReport {
        let s = try ScenarioRunTests.scenario(json)
        var options = RunOptions(seed: s.seed, policy: SeedPolicy())
        options.until = until
        let sim = Simulation(scenario: s, options: options, traceSink: TraceWriter(sink: nil, capture: true))
        sim.run()
        return RunReport(simulation: sim)
    }

    private static func bulk(answererSends: Bool) -> String {
        let peers = answererSends ? #"[{"id": "b"}, {"id": "a", "join": "200ms"}]"# : #"[{"id": "a"}, {"id": "b", "join": "200ms"}]"#
        return #"""
        {"name": "t", "duration": "40s", "network": {"latency": "20ms"}, "peers": \#(peers),
         "traffic": [{"pattern": "pair", "from": "a", "to": "b", "totalBytes": 30000000, "messageSize": 65536}]}
        """#
    }

    /// The association's server side may send DATA that overtakes its COOKIE-ACK; the client
    /// (COOKIE-ECHOED, its TCB made) takes it, as dcSCTP does, so a bulk flow from the
    /// answering page runs as fast as one from the offering page.
    @Test func dataAheadOfTheCookieAckIsTaken() throws {
        let answerer = try Self.run(Self.bulk(answererSends: true), until: 6 * nsPerSecond)
        let offerer = try Self.run(Self.bulk(answererSends: false), until: 6 * nsPerSecond)
        let a = try #require(answerer.data), o = try #require(offerer.data)
        #expect(a.total.delivered == o.total.delivered, "answerer \(a.total.delivered), offerer \(o.total.delivered)")
        #expect((a.total.latency.max ?? .max) < nsPerSecond)
    }

    /// A round trip above the initial 500 ms RTO: the backed-off RTO holds until a valid RTT
    /// sample, so the channel measures the path instead of expiring T3 after every ack.
    @Test func aLongRoundTripIsMeasuredNotLivelocked() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "40s", "network": {"latency": "150ms"}, "peers": [{"id": "a"}, {"id": "b", "join": "200ms"}],
         "traffic": [{"pattern": "pair", "from": "a", "to": "b", "rate": 5, "start": "8s", "stop": "38s"}]}
        """#)
        let d = try #require(r.data)
        #expect(d.total.delivered == d.total.sent, "\(d.total.delivered) of \(d.total.sent)")
        #expect((d.total.latency.p50 ?? .max) < 400 * nsPerMs)
    }

    /// A receiver the sender holds no open connection to (a partition closed it, nothing
    /// dialled again) misses every tick's message: counted as not sent.
    @Test func aReceiverWithoutAConnectionCountsAsNotSent() throws {
        let r = try Self.run(#"""
        {"name": "t", "duration": "30s", "network": {"latency": "20ms", "jitter": "2ms"},
         "peers": [{"id": "a"}, {"id": "b", "join": "200ms"}, {"id": "c", "join": "400ms"}],
         "events": [{"at": "5s", "do": "partition", "between": ["a", "b"], "for": "20s"}],
         "traffic": [{"pattern": "allToAll", "rate": 20, "start": "2s", "stop": "25s"}]}
        """#)
        let d = try #require(r.data)
        for p in d.pairs {
            #expect(p.counts.sent + p.counts.notSent == 460, "\(p.from) → \(p.to): \(p.counts.sent) sent, \(p.counts.notSent) not sent")
        }
    }

    /// After a duplicated tab, rows name both ends by their report names: no self-pair, no
    /// fresh uid that nothing else in the report names.
    @Test func dataRowsNamePagesNotUids() throws {
        let s = try ScenarioRunTests.scenario(#"""
        {"name": "t", "duration": "30s", "peers": [{"id": "a"}, {"id": "b", "join": "200ms"}, {"id": "c", "join": "400ms"}],
         "events": [{"at": "10s", "do": "duplicateTab", "peer": "a", "as": "a2"}],
         "traffic": [{"pattern": "allToAll", "rate": 20, "start": "2s"}]}
        """#)
        let (_, r) = ScenarioRunTests.run(s, policy: ResilientPolicy())
        let d = try #require(r.data)
        for p in d.pairs {
            #expect(p.from != p.to)
            #expect(["a", "b", "c", "a2"].contains(p.to), "\(p.to)")
        }
    }
}

@Suite struct UserPolicyTests {
    /// `replaceOnForeignOffer` alone replaces the link by a passive one, as documented; it
    /// used to tear the link down and drop the offer unless `acceptOffersWithoutLink` was set.
    @Test func aReplacedLinkIsReplaced() throws {
        let s = try ScenarioRunTests.scenario(#"""
        {"name": "t", "seed": 1, "duration": "40s", "network": {"latency": "20ms", "jitter": "3ms"},
         "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}],
         "events": [{"at": "10s", "do": "wsDrop", "peer": "p2", "reconnectAfter": "2s"}],
         "policy": {"name": "rfo", "onOnline": "dial", "teardownOnChannelClose": false, "replaceOnForeignOffer": true}}
        """#)
        let policy = try #require(s.policyObject)
        let (_, r) = ScenarioRunTests.run(s, policy: policy)
        #expect(r.fullMesh, "\(r.stuck.map(\.reason))")
    }

    /// The other side dialled and this page dropped the offer: the reason says so.
    @Test func aDroppedOfferIsNamedInTheReason() throws {
        let s = try ScenarioRunTests.scenario(#"""
        {"name": "t", "seed": 1, "duration": "40s", "network": {"latency": "20ms", "jitter": "3ms"},
         "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}],
         "events": [{"at": "10s", "do": "wsDrop", "peer": "p2", "reconnectAfter": "2s"}],
         "policy": {"name": "oo-dial", "onOnline": "dial"}}
        """#)
        let (_, r) = ScenarioRunTests.run(s, policy: try #require(s.policyObject))
        #expect(!r.stuck.isEmpty)
        #expect(r.stuck.contains { $0.reason.contains("dropped its offer") }, "\(r.stuck.map(\.reason))")
    }

    /// The old connection failed because the other side's new offer was applied to it, not
    /// because of the partition still in force: the reason says which.
    @Test func aForeignOfferAppliedToAnOldConnectionIsNamed() throws {
        let s = try ScenarioRunTests.scenario(#"""
        {"name": "t", "seed": 1, "duration": "60s", "network": {"latency": "20ms", "jitter": "3ms"},
         "peers": [{"count": 3, "idPrefix": "p", "join": {"start": "0s", "every": "300ms"}}],
         "events": [{"at": "10s", "do": "partition", "between": ["p1", "p2"], "for": "10s"},
                    {"at": "17s", "do": "wsDrop", "peer": "p2", "reconnectAfter": "1s"}],
         "policy": {"name": "oi", "connected": "channelOpenAndConnected", "instanceIds": true, "onInit": "passiveIfDownOrNewPageLoad"}}
        """#)
        let (_, r) = ScenarioRunTests.run(s, policy: try #require(s.policyObject))
        let stuck = try #require(r.stuck.first)
        #expect(stuck.cause != .partitionFailed, "\(stuck.reason)")
        #expect(stuck.reason.contains("offer was applied to this old connection"), "\(stuck.reason)")
    }

    /// `--vary` is held to what a policy file may say: the page-load rules need instance ids.
    /// The combination that runs is judged, whatever order the options came in.
    @Test func aVariantNeedingInstanceIdsIsRefused() throws {
        let file = ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json").path
        let r = try ProcessTests.run(["compare", file, "--policies", "keep-live-links", "--vary", "instanceIds=false", "--seeds", "1"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("needs \"instanceIds\": true"), "\(r.stderr)")
        for order in [["onInit=passiveIfNotConnectedOrNewPageLoad", "instanceIds=true"], ["instanceIds=true", "onInit=passiveIfNotConnectedOrNewPageLoad"]] {
            let ok = try ProcessTests.run(["compare", file, "--policies", "seed", "--vary", order[0], "--vary", order[1], "--seeds", "1"])
            #expect(ok.status == 0, "\(order): \(ok.stderr)")
        }
        let valid = try ProcessTests.run(["compare", file, "--policies", "keep-live-links", "--vary", "instanceIds=false",
                                          "--vary", "onInit=passiveIfNotConnected", "--vary", "onOnline=dial", "--seeds", "1"])
        #expect(valid.status == 0, "\(valid.stderr)")
    }
}
