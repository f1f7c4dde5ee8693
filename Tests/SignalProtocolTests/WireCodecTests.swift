import Testing
@testable import SignalProtocol

// Tests of the wire codec: exact encodings, round trips of every message and payload kind,
// specific errors for garbage, and a deterministic mutation loop that must never trap.

private let hostCandidate = ICECandidate(
    foundation: "1", component: 1, transport: .udp, priority: 2_130_706_431,
    address: TransportAddress(ip: 0x0A00_0007, port: 50_000), type: .host, ufrag: "uf1")
private let relayCandidate = ICECandidate(
    foundation: "relay\"7\\", component: 255, transport: .tcp, priority: UInt32.max,
    address: TransportAddress(ip: UInt32.max, port: UInt16.max), type: .relay,
    relatedAddress: TransportAddress(ip: 0, port: 0), ufrag: "ü\n")

/// Chromium's host TCP candidate (`tcptype active`, discard port 9), and the other TCP types.
private let tcpActiveCandidate = ICECandidate(
    foundation: "6", transport: .tcp, priority: 1_526_661_375, address: TransportAddress(ip: 0x0A00_0007, port: 9),
    type: .host, tcpType: .active, ufrag: "uf1")
private let tcpPassiveCandidate = ICECandidate(
    foundation: "7", transport: .tcp, priority: 1, address: TransportAddress(ip: 0x0A00_0008, port: 443),
    type: .host, tcpType: .passive, ufrag: "uf1")
private let tcpSOCandidate = ICECandidate(
    foundation: "8", transport: .tcp, priority: 2, address: TransportAddress(ip: 0x0A00_0009, port: 1),
    type: .srflx, relatedAddress: TransportAddress(ip: 0x0A00_0001, port: 2), tcpType: .so, ufrag: "uf1")

private func description(_ type: SDPType, candidates: [ICECandidate] = []) -> SessionDescription {
    SessionDescription(type: type, sessionID: UInt64.max, version: UInt32.max, iceUfrag: "uf1", icePwd: "pw",
                       setup: type == .offer ? .actpass : .active, fingerprint: "sha-256 AB:CD",
                       hasDataChannel: type != .pranswer, candidates: candidates)
}

private let allPayloads: [SignalPayload] = [
    .description(description(.offer, candidates: [hostCandidate, relayCandidate, tcpActiveCandidate])),
    .description(description(.answer)),
    .description(description(.pranswer)),
    .description(.rollback),
    .description(SessionDescription(type: .answer, sessionID: 0, version: 0, iceUfrag: "", icePwd: "",
                                    setup: .passive, fingerprint: "")),
    .candidate(hostCandidate),
    .candidate(relayCandidate),
    .candidate(tcpActiveCandidate),
    .candidate(tcpPassiveCandidate),
    .candidate(tcpSOCandidate),
    .candidate(ICECandidate(foundation: "x", priority: 1, address: TransportAddress(ip: 0x0102_0304, port: 9),
                            type: .srflx, relatedAddress: TransportAddress(ip: 0x0A00_0001, port: 9), ufrag: "u")),
    .candidate(ICECandidate(foundation: "y", priority: 0, address: TransportAddress(ip: 1, port: 1),
                            type: .prflx, ufrag: "")),
    .endOfCandidates(ufrag: "uf1"),
    .endOfCandidates(ufrag: ""),
]

private let allMessages: [WireMessage] = {
    var messages: [WireMessage] = [
        .hello(uid: "alice"),
        .hello(uid: ""),
        .hello(uid: "emoji 🧪 \u{0} \"quoted\" \\ /"),
        .initial(you: "bob", online: []),
        .initial(you: "bob", online: ["alice", "carol", "alice"]),
        .online(uid: "carol"),
        .offline(uid: "carol"),
    ]
    messages += WireErrorCode.allCases.map { .error(code: $0, detail: "detail of \($0)", peer: "p") }
    messages.append(.error(code: .malformed, detail: "", peer: nil))
    for payload in allPayloads {
        messages.append(.signal(from: nil, to: "bob", payload: payload))
        messages.append(.signal(from: "alice", to: "bob", payload: payload))
    }
    return messages
}()

private func decodeError(_ text: String) -> WireDecodeError? {
    if case .failure(let e) = WireCodec.decode(text) { return e }
    return nil
}

/// xorshift64* (Vigna), fixed seed: the same mutations in every run.
private struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

@Suite struct WireCodecTests {
    // MARK: - Exact encodings

    @Test func exactEncodings() {
        #expect(WireCodec.encode(.hello(uid: "a")) == #"{"v":1,"type":"hello","uid":"a"}"#)
        #expect(WireCodec.encode(.initial(you: "a", online: ["b", "c"])) ==
            #"{"v":1,"type":"init","you":"a","online":["b","c"]}"#)
        #expect(WireCodec.encode(.online(uid: "b")) == #"{"v":1,"type":"online","uid":"b"}"#)
        #expect(WireCodec.encode(.hello(uid: "a", secret: "s3")) == #"{"v":1,"type":"hello","uid":"a","secret":"s3"}"#)
        #expect(WireCodec.encode(.initial(you: "a", online: [], secret: "s3")) ==
            #"{"v":1,"type":"init","you":"a","online":[],"secret":"s3"}"#)
        #expect(WireCodec.decode(#"{"v":1,"type":"hello","uid":"a","secret":null}"#) == .success(.hello(uid: "a")))
        #expect(WireCodec.decode(#"{"v":1,"type":"hello","uid":"a","secret":"s"}"#) == .success(.hello(uid: "a", secret: "s")))
        #expect(WireCodec.decode(#"{"v":1,"type":"hello","uid":"a","secret":5}"#) ==
            .failure(WireDecodeError(message: "secret: expected a string or null, got number")))
        #expect(WireCodec.encode(.offline(uid: "b")) == #"{"v":1,"type":"offline","uid":"b"}"#)
        #expect(WireCodec.encode(.error(code: .unknownPeer, detail: "gone", peer: "b")) ==
            #"{"v":1,"type":"error","code":"unknownPeer","detail":"gone","peer":"b"}"#)
        #expect(WireCodec.encode(.error(code: .malformed, detail: "x", peer: nil)) ==
            #"{"v":1,"type":"error","code":"malformed","detail":"x"}"#)
        #expect(WireCodec.encode(.signal(from: nil, to: "b", payload: .endOfCandidates(ufrag: "u"))) ==
            #"{"v":1,"type":"signal","to":"b","payload":{"type":"endOfCandidates","ufrag":"u"}}"#)
        #expect(WireCodec.encode(.signal(from: "a", to: "b", payload: .candidate(hostCandidate))) ==
            #"{"v":1,"type":"signal","from":"a","to":"b","payload":{"type":"candidate","candidate":{"foundation":"1","component":1,"transport":"udp","priority":2130706431,"address":"10.0.0.7:50000","type":"host","ufrag":"uf1"}}}"#)
        // tcpType only when there is one, after relatedAddress.
        #expect(WireCodec.encode(.signal(from: nil, to: "b", payload: .candidate(tcpActiveCandidate))) ==
            #"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":{"foundation":"6","component":1,"transport":"tcp","priority":1526661375,"address":"10.0.0.7:9","type":"host","tcpType":"active","ufrag":"uf1"}}}"#)
        #expect(WireCodec.encode(.signal(from: nil, to: "b", payload: .candidate(tcpSOCandidate))).contains(
            #""relatedAddress":"10.0.0.1:2","tcpType":"so","ufrag":"uf1"}"#))
        let offer = SessionDescription(type: .offer, sessionID: 42, version: 3, iceUfrag: "u", icePwd: "p",
                                       setup: .actpass, fingerprint: "f")
        #expect(WireCodec.encode(.signal(from: nil, to: "b", payload: .description(offer))) ==
            #"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"42","version":3,"iceUfrag":"u","icePwd":"p","setup":"actpass","fingerprint":"f","dataChannel":true,"candidates":[]}}"#)
    }

    @Test func payloadTypeIsTheTraceKindName() {
        for payload in allPayloads {
            let text = WireCodec.encode(.signal(from: nil, to: "b", payload: payload))
            #expect(text.contains(#""payload":{"type":"\#(payload.kindName)""#))
        }
    }

    // MARK: - Round trips

    @Test("round trip", arguments: allMessages)
    func roundTrip(_ m: WireMessage) {
        let text = WireCodec.encode(m)
        #expect(WireCodec.decode(text) == .success(m))
        #expect(WireCodec.decode(WireCodec.encodeBytes(m)) == .success(m))
        #expect(Array(text.utf8) == WireCodec.encodeBytes(m))
    }

    @Test func optionalFieldsMayBeNull() {
        #expect(WireCodec.decode(#"{"v":1,"type":"signal","from":null,"to":"b","payload":{"type":"endOfCandidates","ufrag":"u"}}"#)
            == .success(.signal(from: nil, to: "b", payload: .endOfCandidates(ufrag: "u"))))
        #expect(WireCodec.decode(#"{"v":1,"type":"error","code":"malformed","detail":"d","peer":null}"#)
            == .success(.error(code: .malformed, detail: "d", peer: nil)))
        let c = #"{"foundation":"1","component":1,"transport":"udp","priority":5,"address":"1.2.3.4:5","type":"host","relatedAddress":null,"ufrag":"u"}"#
        #expect(WireCodec.decode(#"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":\#(c)}}"#)
            == .success(.signal(from: nil, to: "b", payload: .candidate(ICECandidate(
                foundation: "1", priority: 5, address: TransportAddress(ip: 0x0102_0304, port: 5), type: .host, ufrag: "u")))))
        // A null tcpType is an absent one, on a udp or a tcp candidate.
        let udpNull = #"{"foundation":"1","component":1,"transport":"udp","priority":5,"address":"1.2.3.4:5","type":"host","tcpType":null,"ufrag":"u"}"#
        #expect(WireCodec.decode(#"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":\#(udpNull)}}"#)
            == .success(.signal(from: nil, to: "b", payload: .candidate(ICECandidate(
                foundation: "1", priority: 5, address: TransportAddress(ip: 0x0102_0304, port: 5), type: .host, ufrag: "u")))))
        let tcpNull = #"{"foundation":"1","component":1,"transport":"tcp","priority":5,"address":"1.2.3.4:5","type":"host","tcpType":null,"ufrag":"u"}"#
        #expect(WireCodec.decode(#"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":\#(tcpNull)}}"#)
            == .success(.signal(from: nil, to: "b", payload: .candidate(ICECandidate(
                foundation: "1", transport: .tcp, priority: 5, address: TransportAddress(ip: 0x0102_0304, port: 5), type: .host, ufrag: "u")))))
    }

    @Test func unknownFieldsAreIgnoredAtEveryLevel() {
        let text = #"{"x":[1,{"y":null}],"v":1,"type":"signal","to":"b","later":true,"payload":{"type":"candidate","extra":1,"#
            + #""candidate":{"foundation":"1","component":1,"transport":"udp","priority":5,"address":"1.2.3.4:5","type":"host","ufrag":"u","networkId":1}}}"#
        #expect(WireCodec.decode(text) == .success(.signal(from: nil, to: "b", payload: .candidate(ICECandidate(
            foundation: "1", priority: 5, address: TransportAddress(ip: 0x0102_0304, port: 5), type: .host, ufrag: "u")))))
        #expect(WireCodec.decode(#"  {"type":"hello","uid":"a","v":1,"uidHint":"b"} "#) == .success(.hello(uid: "a")))
    }

    // MARK: - Garbage

    static let garbage: [(String, WireErrorCode, String)] = [
        ("", .malformed, "not JSON: line 1, column 1: empty input"),
        ("hello", .malformed, "not JSON: line 1, column 1: unexpected 'h', expected a value"),
        (#"{"v":1,"type":"hello","uid":"a"} x"#, .malformed, "not JSON: line 1, column 34: unexpected 'x' after the top-level value"),
        (#"{"v":1,"type":"hello","uid":"a","uid":"b"}"#, .malformed, #"not JSON: line 1, column 33: duplicate key "uid""#),
        ("[1]", .malformed, "expected a JSON object, got array"),
        ("\"hello\"", .malformed, "expected a JSON object, got string"),
        ("null", .malformed, "expected a JSON object, got null"),
        (#"{"type":"hello","uid":"a"}"#, .malformed, "v: missing"),
        (#"{"v":"1","type":"hello","uid":"a"}"#, .malformed, "v: expected an integer, got string"),
        (#"{"v":1.0,"type":"hello","uid":"a"}"#, .malformed, "v: expected an integer, got 1.0"),
        (#"{"v":-1,"type":"hello","uid":"a"}"#, .malformed, "v: -1 is out of range 0...4294967295"),
        (#"{"v":3,"type":"hello","uid":"a"}"#, .unsupportedVersion, "unsupported protocol version 3 (this side speaks 1 and 2)"),
        (#"{"v":0,"type":"hello"}"#, .unsupportedVersion, "unsupported protocol version 0 (this side speaks 1 and 2)"),
        (#"{"v":2,"type":"init","you":"a","online":["b"],"instances":[]}"#, .malformed, "instances: expected 1 entries (one per online uid), got 0"),
        (#"{"v":2,"type":"online","uid":"b","instance":5}"#, .malformed, "instance: expected a string or null, got number"),
        (#"{"v":1}"#, .malformed, "type: missing"),
        (#"{"v":1,"type":7}"#, .malformed, "type: expected a string, got number"),
        (#"{"v":1,"type":"goodbye"}"#, .malformed, #"type: unknown message type "goodbye""#),
        (#"{"v":1,"type":"Hello","uid":"a"}"#, .malformed, #"type: unknown message type "Hello""#),
        (#"{"v":1,"type":"hello"}"#, .malformed, "uid: missing"),
        (#"{"v":1,"type":"hello","uid":null}"#, .malformed, "uid: expected a string, got null"),
        (#"{"v":1,"type":"init","you":"a"}"#, .malformed, "online: missing"),
        (#"{"v":1,"type":"init","you":"a","online":"b"}"#, .malformed, "online: expected an array, got string"),
        (#"{"v":1,"type":"init","you":"a","online":["b",3]}"#, .malformed, "online[1]: expected a string, got number"),
        (#"{"v":1,"type":"offline","uid":["a"]}"#, .malformed, "uid: expected a string, got array"),
        (#"{"v":1,"type":"error","code":"oops","detail":"d"}"#, .malformed, #"code: unknown error code "oops""#),
        (#"{"v":1,"type":"error","code":"malformed"}"#, .malformed, "detail: missing"),
        (#"{"v":1,"type":"error","code":"malformed","detail":"d","peer":1}"#, .malformed, "peer: expected a string or null, got number"),
        (#"{"v":1,"type":"signal","to":"b"}"#, .malformed, "payload: missing"),
        (#"{"v":1,"type":"signal","from":5,"to":"b","payload":{}}"#, .malformed, "from: expected a string or null, got number"),
        (#"{"v":1,"type":"signal","to":"b","payload":[]}"#, .malformed, "payload: expected an object, got array"),
        (#"{"v":1,"type":"signal","to":"b","payload":{}}"#, .malformed, "payload.type: missing"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"sdp"}}"#, .malformed, #"payload.type: unknown payload type "sdp""#),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"endOfCandidates"}}"#, .malformed, "payload.ufrag: missing"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":"candidate:1 1 udp"}}"#, .malformed,
         "payload.candidate: expected an object, got string"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":42}}"#, .malformed,
         "payload.sessionId: expected a string, got number"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"-4"}}"#, .malformed,
         #"payload.sessionId: expected a decimal 64-bit unsigned integer in a string, got "-4""#),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"18446744073709551616"}}"#, .malformed,
         #"payload.sessionId: expected a decimal 64-bit unsigned integer in a string, got "18446744073709551616""#),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"042"}}"#, .malformed,
         #"payload.sessionId: expected a decimal 64-bit unsigned integer in a string, got "042""#),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"client"}}"#, .malformed,
         #"payload.setup: expected actpass, active or passive, got "client""#),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"actpass"}}"#, .malformed,
         "payload.candidates: missing"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"actpass","candidates":[]}}"#, .malformed,
         "payload.version: missing"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"actpass","candidates":[],"version":4294967296}}"#, .malformed,
         "payload.version: 4294967296 is out of range 0...4294967295"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"actpass","candidates":[],"version":1e3}}"#, .malformed,
         "payload.version: expected an integer, got 1e3"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"offer","sessionId":"1","setup":"actpass","candidates":[],"version":1,"iceUfrag":"u","icePwd":"p","fingerprint":"f","dataChannel":"yes"}}"#, .malformed,
         "payload.dataChannel: expected a boolean, got string"),
        (#"{"v":1,"type":"signal","to":"b","payload":{"type":"answer","sessionId":"1","setup":"active","candidates":[null]}}"#, .malformed,
         "payload.candidates[0]: expected an object, got null"),
    ]

    static let badCandidates: [(String, String)] = [
        (#""transport":"sctp""#, #"payload.candidate.transport: expected udp or tcp, got "sctp""#),
        (#""type":"HOST""#, #"payload.candidate.type: expected host, srflx, prflx or relay, got "HOST""#),
        (#""component":0"#, "payload.candidate.component: 0 is out of range 1...255"),
        (#""component":256"#, "payload.candidate.component: 256 is out of range 1...255"),
        (#""priority":-1"#, "payload.candidate.priority: -1 is out of range 0...4294967295"),
        (#""priority":4294967296"#, "payload.candidate.priority: 4294967296 is out of range 0...4294967295"),
        (#""priority":99999999999999999999999"#, "payload.candidate.priority: 99999999999999999999999 is out of range 0...4294967295"),
        (#""priority":1.5"#, "payload.candidate.priority: expected an integer, got 1.5"),
        (#""address":"10.0.0.1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0.1""#),
        (#""address":"10.0.0.1:65536""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0.1:65536""#),
        (#""address":"10.0.0.256:1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0.256:1""#),
        (#""address":"10.0.0:1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0:1""#),
        (#""address":"10.0.0.01:1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0.01:1""#),
        (#""address":"+10.0.0.1:1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "+10.0.0.1:1""#),
        (#""address":"10.0.0.1:+1""#, #"payload.candidate.address: expected "a.b.c.d:port", got "10.0.0.1:+1""#),
        (#""address":"::1:5000""#, #"payload.candidate.address: expected "a.b.c.d:port", got "::1:5000""#),
        (#""address":"host.local:5000""#, #"payload.candidate.address: expected "a.b.c.d:port", got "host.local:5000""#),
        (#""address":167772161"#, "payload.candidate.address: expected a string, got number"),
        (#""relatedAddress":"1.2.3.4""#, #"payload.candidate.relatedAddress: expected "a.b.c.d:port", got "1.2.3.4""#),
        (#""relatedAddress":7"#, "payload.candidate.relatedAddress: expected an address string or null, got number"),
        (#""ufrag":false"#, "payload.candidate.ufrag: expected a string, got boolean"),
        (#""tcpType":"active""#, "payload.candidate.tcpType: only a tcp candidate has one"),
        (#""tcpType":"ACTIVE""#, #"payload.candidate.tcpType: expected active, passive or so, got "ACTIVE""#),
        (#""tcpType":"""#, #"payload.candidate.tcpType: expected active, passive or so, got """#),
        (#""tcpType":1"#, "payload.candidate.tcpType: expected a string or null, got number"),
    ]

    @Test func garbageGivesSpecificErrors() {
        for (input, code, message) in Self.garbage {
            let e = decodeError(input)
            #expect(e == WireDecodeError(code: code, message: message), "\(input)")
        }
    }

    @Test func badCandidateFieldsGiveSpecificErrors() {
        let fields = [#""foundation":"1""#, #""component":1"#, #""transport":"udp""#, #""priority":5"#,
                      #""address":"1.2.3.4:5""#, #""type":"host""#, #""ufrag":"u""#]
        for (replacement, message) in Self.badCandidates {
            let key = String(replacement.prefix { $0 != ":" })
            var candidate = fields.filter { !$0.hasPrefix(key + ":") }
            candidate.append(replacement)
            let text = #"{"v":1,"type":"signal","to":"b","payload":{"type":"candidate","candidate":{"#
                + candidate.joined(separator: ",") + "}}}"
            #expect(decodeError(text) == WireDecodeError(code: .malformed, message: message), "\(text)")
        }
    }

    @Test func invalidUTF8AndDeepNestingAreRejected() {
        if case .failure(let e) = WireCodec.decode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) {
            #expect(e.code == .malformed && e.message.hasPrefix("not JSON:"))
        } else {
            Issue.record("invalid UTF-8 decoded")
        }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(decodeError(deep)?.message.hasPrefix("not JSON:") == true)
        let huge = #"{"v":1,"type":"hello","uid":""# + String(repeating: "a", count: WireCodec.maxMessageBytes) + #""}"#
        #expect(decodeError(huge) == WireDecodeError(message: "message larger than 1048576 bytes"))
    }

    // MARK: - Mutation loop

    @Test func tenThousandMutatedInputsNeverTrap() {
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        let corpus = allMessages.map { WireCodec.encodeBytes($0) }
        let tokens: [[UInt8]] = ["null", "true", "{", "}", "[", "]", ",", ":", "\"", "\\", "-", "0", "1e999", "-0",
                                 "18446744073709551616", "4294967296", "1.5", "\"v\":2", "\"\\ud800\"", "\u{FEFF}",
                                 "\"type\":\"hello\"", "\"address\":\"1.2.3.4:5\"", "\u{0}", "é", "🧪"].map { Array($0.utf8) }
        var decoded = 0
        for _ in 0..<10_000 {
            var input = corpus[rng.below(corpus.count)]
            for _ in 0..<(1 + rng.below(4)) {
                let at = input.isEmpty ? 0 : rng.below(input.count + 1)
                switch rng.below(7) {
                case 0 where at < input.count:  // flip bits of one byte
                    input[at] ^= UInt8(truncatingIfNeeded: 1 << rng.below(8))
                case 1:  // insert a random byte
                    input.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                case 2 where at < input.count:  // delete a run
                    input.removeSubrange(at..<min(input.count, at + 1 + rng.below(8)))
                case 3:  // truncate
                    input.removeSubrange(at...)
                case 4:  // insert a JSON-ish token
                    input.insert(contentsOf: tokens[rng.below(tokens.count)], at: at)
                case 5 where !input.isEmpty:  // duplicate a slice somewhere else
                    let start = rng.below(input.count)
                    let slice = Array(input[start..<min(input.count, start + 1 + rng.below(16))])
                    input.insert(contentsOf: slice, at: rng.below(input.count + 1))
                default:  // replace one byte with a structural character
                    let structural = Array("{}[],:\"0-".utf8)
                    if at < input.count { input[at] = structural[rng.below(structural.count)] }
                }
            }
            switch WireCodec.decode(input) {
            case .success(let m):
                // Whatever decodes must survive its own round trip.
                decoded += 1
                #expect(WireCodec.decode(WireCodec.encodeBytes(m)) == .success(m))
            case .failure(let e):
                #expect(!e.message.isEmpty)
            }
        }
        #expect(decoded > 0, "some mutations (e.g. in string contents) still decode")
    }
}

/// QA findings 7 and 9: the documented check order of `init`, and the documented escapes.
struct WireCodecDocumentedBehaviourTests {
    @Test func initChecksYouBeforeOnline() {
        #expect(decodeError(#"{"v":1,"type":"init"}"#)?.message == "you: missing")
        #expect(decodeError(#"{"v":1,"type":"init","online":[1]}"#)?.message == "you: missing")
        #expect(decodeError(#"{"v":1,"type":"init","you":"a","online":[1]}"#)?.message.hasPrefix("online[0]") == true)
        // secret before instances, as the table lists them.
        #expect(decodeError(#"{"v":2,"type":"init","you":"a","online":["b"],"secret":1,"instances":[]}"#)?.message.hasPrefix("secret") == true)
    }

    @Test func writerEscapesWhatTheProtocolDocumentSays() {
        #expect(WireCodec.encode(.hello(uid: "\u{7f}\u{2028}\u{202e}\u{85}\u{61c}\u{200e}\u{2066}é\u{1}"))
                == #"{"v":1,"type":"hello","uid":"\u007f\u2028\u202e\u0085\u061c\u200e\u2066é\u0001"}"#)
    }
}
