import Foundation
import Testing
@testable import MeshSimKit
import SignalProtocol

/// References between the parts of a scenario file: one mistake gives one line, a reference
/// means one peer or is refused, and fields that would do nothing are refused (QA, session 14).
@Suite struct ScenarioReferenceTests {
    private func problems(_ json: String) -> [String] {
        do {
            _ = try ScenarioLoader.load(bytes: Array(json.utf8), file: "t.json")
            return []
        } catch {
            return error.problems.map { $0.description }
        }
    }

    @Test func aWrongGroupCountIsOneProblemNotOnePerReference() {
        #expect(problems(#"""
        {"name": "t", "duration": "30s", "peers": [{"id": "a"}, {"count": 3.0, "idPrefix": "p"}],
         "events": [{"at": "5s", "do": "leave", "peer": "p1"}, {"at": "6s", "do": "partition", "between": ["a", "p2"], "for": "1s"}],
         "traffic": [{"pattern": "pair", "from": "a", "to": "p3"}],
         "expect": {"connected": [["a", "p3"]], "noRenegotiation": ["p1"]}}
        """#) == ["t.json: peers[1].count: expected an integer from 1 to 10000, got 3.0"])
        // A reference that could not be a member of the broken group is still reported.
        #expect(problems(#"""
        {"name": "t", "duration": "30s", "peers": [{"id": "a"}, {"count": 0, "idPrefix": "p"}],
         "expect": {"connected": [["a", "q1"]]}}
        """#) == ["t.json: peers[1].count: expected an integer from 1 to 10000, got 0",
                  #"t.json: expect.connected[0][1]: unknown peer "q1""#])
        // `peers` that is not an array: nothing else can be judged against it.
        #expect(problems(#"""
        {"name": "t", "duration": "30s", "peers": {}, "events": [{"at": "1s", "do": "leave", "peer": "x"}],
         "expect": {"connected": [["x", "y"]]}}
        """#) == ["t.json: peers: expected an array, got an object"])
    }

    @Test func aReferenceThatFitsTwoGroupsIsRefused() {
        let file = #"""
        {"name": "t", "duration": "10s", "peers": [{"count": 10, "idPrefix": "p"}, {"count": 12, "idPrefix": "p0"}],
         "events": [{"at": "2s", "do": "leave", "peer": "p0001"}]}
        """#
        #expect(problems(file) == [#"t.json: events[0].peer: "p0001" is ambiguous: it may mean p01 or p001 (other zero padding of a group member); write the id exactly"#])
        // Written exactly, either is fine.
        #expect(problems(file.replacingOccurrences(of: "p0001", with: "p001")) == [])
    }

    @Test func aJoinOrTabIdThatIsAMemberWithOtherPaddingIsRefused() {
        #expect(problems(#"""
        {"name": "t", "duration": "10s", "peers": [{"count": 3, "idPrefix": "p"}],
         "events": [{"at": "4s", "do": "join", "peer": "p01"}], "expect": {"connected": [["p01", "p2"]]}}
        """#) == [#"t.json: events[0].peer: "p01" is group member p1 written with other zero padding; a join names a peer by its exact id ("p1" to bring it back, or an id no member has)"#])
        #expect(problems(#"""
        {"name": "t", "duration": "10s", "peers": [{"count": 3, "idPrefix": "p"}],
         "events": [{"at": "4s", "do": "duplicateTab", "peer": "p1", "as": "p03"}]}
        """#) == [#"t.json: events[0].as: "p03" is group member p3 written with other zero padding; `as` needs an id no peer has"#])
        // Bringing a member back by its exact id is fine.
        #expect(problems(#"""
        {"name": "t", "duration": "10s", "peers": [{"count": 3, "idPrefix": "p"}],
         "events": [{"at": "3s", "do": "leave", "peer": "p01"}, {"at": "4s", "do": "join", "peer": "p1"}]}
        """#) == [])
    }

    @Test func aTabNameAJoinReusesIsReportedOnTheJoin() {
        #expect(problems(#"""
        {"name": "t", "duration": "10s", "peers": [{"id": "a"}, {"id": "b"}],
         "events": [{"at": "3s", "do": "duplicateTab", "peer": "a", "as": "carol"},
                    {"at": "4s", "do": "leave", "peer": "carol"}, {"at": "5s", "do": "join", "peer": "carol"}]}
        """#) == [#"t.json: events[2].peer: peer id "carol" is the tab that events[0] opens (duplicateTab `as`); a join cannot reuse it"#])
    }

    /// A join reusing a tab's `as` while the tab exists: one line, not a second "already exists".
    @Test func aJoinReusingATabNameIsOneProblem() {
        #expect(problems(#"""
        {"name": "x", "duration": "10s", "peers": [{"count": 9, "idPrefix": "p"}, {"id": "q"}],
         "events": [{"at": "1s", "do": "duplicateTab", "peer": "q", "as": "r"}, {"at": "2s", "do": "join", "peer": "r"}]}
        """#) == [#"t.json: events[1].peer: peer id "r" is the tab that events[0] opens (duplicateTab `as`); a join cannot reuse it"#])
    }

    @Test func aFlowWithAnAttackerIsRefused() {
        #expect(problems(#"""
        {"name": "t", "duration": "10s", "peers": [{"id": "alice", "behaviour": ["flood"]}, {"id": "bob"}, {"id": "carol"}],
         "traffic": [{"pattern": "pair", "from": "bob", "to": "alice"}, {"pattern": "oneToAll", "from": "alice"}]}
        """#) == [#"t.json: traffic[0].to: "alice" is an attacker (behaviour at peers[0]): attackers connect to nobody, so no data channel reaches one"#,
                  #"t.json: traffic[1].from: "alice" is an attacker (behaviour at peers[0]): attackers connect to nobody, so no data channel reaches one"#])
    }

    @Test func maxPacketLifeTimeIsTruncatedBeforeItsRangeCheck() throws {
        func flow(_ life: String) -> String {
            #"{"name": "t", "duration": "10s", "peers": [{"id": "a"}, {"id": "b"}], "traffic": [{"pattern": "pair", "from": "a", "to": "b", "maxPacketLifeTime": "\#(life)"}]}"#
        }
        let s = try ScenarioLoader.load(bytes: Array(flow("65535.9ms").utf8), file: "t.json")
        #expect(s.traffic[0].maxPacketLifeTime == 65_535 * nsPerMs)
        #expect(problems(flow("65536ms")) == [#"t.json: traffic[0].maxPacketLifeTime: expected at most 65.535s (RTCDataChannelInit.maxPacketLifeTime is at most 65535 ms), got "65536ms""#])
    }

    @Test func maxSignalingMessagesNamesItsRange() {
        #expect(problems(#"{"name": "t", "duration": "10s", "peers": [{"id": "a"}], "expect": {"maxSignalingMessages": 9223372036854775808}}"#)
                == ["t.json: expect.maxSignalingMessages: expected an integer from 0 to 9223372036854775807, got 9223372036854775808"])
    }

    @Test func anInvisibleCharacterIsNamedByCodePoint() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("{}".utf8)
        do {
            _ = try ScenarioLoader.load(bytes: bytes, file: "t.json")
            Issue.record("loaded")
        } catch {
            #expect(error.problems.map { $0.description } == ["t.json: line 1, column 2: unexpected character U+FEFF (a byte order mark), expected a value"])
        }
    }

    /// A `join` that brings a peer back after `leave` with a host field comes back on a new
    /// host with it: here off the symmetric NAT that kept the pair from connecting.
    @Test func aJoinAfterLeaveTakesItsHostFields() throws {
        func run(_ joinFields: String) throws -> Bool {
            let json = #"""
            {"name": "rejoin", "duration": "30s", "policy": "resilient",
             "peers": [{"id": "alice", "nat": "symmetric"}, {"id": "bob", "nat": "symmetric"}],
             "events": [{"at": "2s", "do": "leave", "peer": "alice"}, {"at": "3s", "do": "join", "peer": "alice"\#(joinFields)}]}
            """#
            let (_, report) = ScenarioRunTests.run(try ScenarioRunTests.scenario(json), policy: ResilientPolicy())
            return report.fullMesh
        }
        #expect(try run("") == false)
        #expect(try run(#", "nat": "none""#) == true)
    }
}
