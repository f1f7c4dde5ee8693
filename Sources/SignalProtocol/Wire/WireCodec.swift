/// Why a wire text could not be decoded. Never a trap: every input, however malformed, gives
/// either a message or one of these.
public struct WireDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What a server would answer with: `unsupportedVersion` when only `v` is wrong,
    /// `malformed` otherwise.
    public var code: WireErrorCode
    /// What is wrong and where, e.g. `payload.candidate.address: expected "a.b.c.d:port", got "1.2.3"`.
    public var message: String

    public init(code: WireErrorCode = .malformed, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The JSON form of `WireMessage`: one JSON object per WebSocket text frame.
///
/// ### Format (versions 1 and 2)
///
/// Every message is an object with `"v"` and a `"type"`. Version 2 adds the optional instance
/// ids (`instance` on hello and online, `instances` on init, `fromInstance`/`toInstance` on
/// signal); a message without them is written as version 1 (docs/protocol.md):
/// ```
/// {"v":1,"type":"hello","uid":"a","secret":"9f0c..."}     ("secret" optional: absent on a first visit)
/// {"v":1,"type":"init","you":"a","online":["b","c"],"secret":"9f0c..."}   ("secret" optional)
/// {"v":1,"type":"online","uid":"b"}              {"v":1,"type":"offline","uid":"b"}
/// {"v":1,"type":"signal","to":"b","payload":P}   (page → server; "from" is optional and ignored)
/// {"v":1,"type":"signal","from":"a","to":"b","payload":P}   (server → page)
/// {"v":1,"type":"error","code":"unknownPeer","detail":"...","peer":"b"}   ("peer" optional)
/// ```
/// A payload `P` says what it is in its own `"type"` (the trace's `kindName`):
/// ```
/// {"type":"offer","sessionId":"42","version":1,"iceUfrag":"u","icePwd":"p","setup":"actpass",
///  "fingerprint":"f","dataChannel":true,"candidates":[C...]}      (also answer, pranswer, rollback)
/// {"type":"candidate","candidate":C}
/// {"type":"endOfCandidates","ufrag":"u"}
/// C = {"foundation":"1","component":1,"transport":"udp","priority":2130706431,
///      "address":"10.0.0.1:5000","type":"host","relatedAddress":"192.0.2.1:5000",
///      "tcpType":"active","ufrag":"u"}
///     ("relatedAddress" optional; "tcpType" optional, "active", "passive" or "so", and only on
///      a "tcp" candidate)
/// ```
/// `sessionId` is a decimal string because it is a 64-bit number (the SDP `o=` session id) and
/// JavaScript numbers hold only 53 bits. Addresses are canonical `a.b.c.d:port` strings (no
/// leading zeros or signs). Enumerations are spelled by name.
///
/// ### Decoding rules
///
/// Decoding rejects, with a `WireDecodeError` naming the offending field: text that is not JSON
/// or not an object; a missing `v` or one that is not an integer (`malformed`); any other version
/// (`unsupportedVersion`); an unknown `type`; a missing field or one of the wrong JSON type; an
/// unknown enumeration name; a bad address; a number that is not an integer or is outside its
/// field's range. Optional fields may be absent or `null`.
///
/// **Unknown extra fields are ignored**, at every level, so that a newer peer can add fields
/// without breaking an older one (forward compatibility); a change that older peers must not
/// misread needs a new `v`. The encoder never writes extra fields, so `decode(encode(m)) == m`
/// for every message whose values are in the decoder's ranges. The enums and structs accept
/// more than that, and the encoder writes what it is given unchanged (it is not a validator):
/// a candidate `component` of 0, a `tcpType` on a udp candidate, or `instances` whose length
/// differs from `online`'s encode but do not decode.
public enum WireCodec {
    /// The newest version this side speaks. Version 2 adds the instance ids (`instance`,
    /// `instances`, `fromInstance`, `toInstance`); a message without any is written as version
    /// 1, which every side reads, and both versions are read.
    public static let protocolVersion = 2

    /// The versions this side reads.
    public static let readableVersions: ClosedRange<UInt64> = 1...2

    /// 2 when the message carries an instance id, else 1.
    public static func version(of m: WireMessage) -> Int {
        switch m {
        case .hello(_, _, .some), .online(_, .some), .initial(_, _, _, .some): return 2
        case .signal(_, _, _, let f, let t) where f != nil || t != nil: return 2
        default: return 1
        }
    }

    /// Inputs larger than this are refused before parsing (1 MiB, far above any real message).
    public static let maxMessageBytes = 1 << 20

    /// Nesting limit handed to the JSON parser; real messages nest 4 deep.
    static let maxDepth = 16

    // MARK: - Encoding

    /// One compact JSON object, fields in the order of the format above.
    public static func encode(_ m: WireMessage) -> String {
        JSONWriter.write(.object(encodeObject(m)))
    }

    /// The UTF-8 bytes of `encode(m)`.
    public static func encodeBytes(_ m: WireMessage) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.append(.object(encodeObject(m)), to: &out)
        return out
    }

    private static func encodeObject(_ m: WireMessage) -> JSONObject {
        var o = JSONObject([(key: "v", value: .number(JSONNumber(version(of: m)))),
                            (key: "type", value: .string(m.typeName))])
        switch m {
        case .hello(let uid, let secret, let instance):
            o.entries.append((key: "uid", value: .string(uid)))
            if let secret { o.entries.append((key: "secret", value: .string(secret))) }
            if let instance { o.entries.append((key: "instance", value: .string(instance))) }
        case .online(let uid, let instance):
            o.entries.append((key: "uid", value: .string(uid)))
            if let instance { o.entries.append((key: "instance", value: .string(instance))) }
        case .offline(let uid):
            o.entries.append((key: "uid", value: .string(uid)))
        case .initial(let you, let online, let secret, let instances):
            o.entries.append((key: "you", value: .string(you)))
            o.entries.append((key: "online", value: .array(online.map { .string($0) })))
            if let secret { o.entries.append((key: "secret", value: .string(secret))) }
            if let instances { o.entries.append((key: "instances", value: .array(instances.map { $0.map(JSONValue.string) ?? .null }))) }
        case .signal(let from, let to, let payload, let fromInstance, let toInstance):
            if let from { o.entries.append((key: "from", value: .string(from))) }
            o.entries.append((key: "to", value: .string(to)))
            if let fromInstance { o.entries.append((key: "fromInstance", value: .string(fromInstance))) }
            if let toInstance { o.entries.append((key: "toInstance", value: .string(toInstance))) }
            o.entries.append((key: "payload", value: .object(encodePayload(payload))))
        case .error(let code, let detail, let peer):
            o.entries.append((key: "code", value: .string(code.rawValue)))
            o.entries.append((key: "detail", value: .string(detail)))
            if let peer { o.entries.append((key: "peer", value: .string(peer))) }
        }
        return o
    }

    private static func encodePayload(_ p: SignalPayload) -> JSONObject {
        switch p {
        case .description(let d):
            return JSONObject([
                (key: "type", value: .string(d.type.description)),
                (key: "sessionId", value: .string(String(d.sessionID))),
                (key: "version", value: .number(JSONNumber(UInt64(d.version)))),
                (key: "iceUfrag", value: .string(d.iceUfrag)),
                (key: "icePwd", value: .string(d.icePwd)),
                (key: "setup", value: .string(d.setup.description)),
                (key: "fingerprint", value: .string(d.fingerprint)),
                (key: "dataChannel", value: .bool(d.hasDataChannel)),
                (key: "candidates", value: .array(d.candidates.map { .object(encodeCandidate($0)) })),
            ])
        case .candidate(let c):
            return JSONObject([(key: "type", value: .string("candidate")),
                               (key: "candidate", value: .object(encodeCandidate(c)))])
        case .endOfCandidates(let ufrag):
            return JSONObject([(key: "type", value: .string("endOfCandidates")),
                               (key: "ufrag", value: .string(ufrag))])
        }
    }

    private static func encodeCandidate(_ c: ICECandidate) -> JSONObject {
        var o = JSONObject([
            (key: "foundation", value: .string(c.foundation)),
            (key: "component", value: .number(JSONNumber(UInt64(c.component)))),
            (key: "transport", value: .string(c.transport.description)),
            (key: "priority", value: .number(JSONNumber(UInt64(c.priority)))),
            (key: "address", value: .string(c.address.description)),
            (key: "type", value: .string(c.type.description)),
        ])
        if let related = c.relatedAddress {
            o.entries.append((key: "relatedAddress", value: .string(related.description)))
        }
        if let tcpType = c.tcpType {
            o.entries.append((key: "tcpType", value: .string(tcpType.description)))
        }
        o.entries.append((key: "ufrag", value: .string(c.ufrag)))
        return o
    }

    // MARK: - Decoding

    /// Decodes one message from its JSON text.
    public static func decode(_ text: String) -> Result<WireMessage, WireDecodeError> {
        decode(Array(text.utf8))
    }

    /// Decodes one message from the UTF-8 bytes of its JSON text.
    public static func decode(_ bytes: [UInt8]) -> Result<WireMessage, WireDecodeError> {
        guard bytes.count <= maxMessageBytes else {
            return .failure(WireDecodeError(message: "message larger than \(maxMessageBytes) bytes"))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: JSONParserLimits(maxDepth: maxDepth, maxBytes: maxMessageBytes,
                                                                          maxStringBytes: maxMessageBytes))
        } catch {
            return .failure(WireDecodeError(message: "not JSON: \(error)"))
        }
        do {
            return .success(try decodeMessage(value))
        } catch {
            return .failure(error)
        }
    }

    private static func decodeMessage(_ value: JSONValue) throws(WireDecodeError) -> WireMessage {
        guard case .object(let object) = value else {
            throw WireDecodeError(message: "expected a JSON object, got \(value.typeName)")
        }
        let o = Fields(object, path: "")
        let version = try o.integer("v", max: UInt64(UInt32.max))
        guard readableVersions.contains(version) else {
            throw WireDecodeError(code: .unsupportedVersion,
                                  message: "unsupported protocol version \(version) (this side speaks 1 and 2)")
        }
        // Version 1 has no instance fields: any written there are unknown extra fields, ignored.
        let v2 = version == 2
        let type = try o.string("type")
        switch type {
        case "hello":
            return .hello(uid: try o.string("uid"), secret: try o.optionalString("secret"),
                          instance: v2 ? try o.optionalString("instance") : nil)
        case "init":
            // The table's order (docs/protocol.md): you, online, secret, instances.
            let you = try o.string("you")
            let online = try o.stringArray("online")
            let secret = try o.optionalString("secret")
            var instances: [String?]?
            if v2, let list = try o.optionalStringOrNullArray("instances") {
                guard list.count == online.count else {
                    throw o.invalid("instances", "expected \(online.count) entries (one per online uid), got \(list.count)")
                }
                instances = list
            }
            return .initial(you: you, online: online, secret: secret, instances: instances)
        case "online":
            return .online(uid: try o.string("uid"), instance: v2 ? try o.optionalString("instance") : nil)
        case "offline":
            return .offline(uid: try o.string("uid"))
        case "signal":
            return .signal(from: try o.optionalString("from"), to: try o.string("to"),
                           payload: try decodePayload(try o.object("payload")),
                           fromInstance: v2 ? try o.optionalString("fromInstance") : nil,
                           toInstance: v2 ? try o.optionalString("toInstance") : nil)
        case "error":
            let name = try o.string("code")
            guard let code = WireErrorCode(rawValue: name) else {
                throw o.invalid("code", "unknown error code \(JSONWriter.quote(name))")
            }
            return .error(code: code, detail: try o.string("detail"), peer: try o.optionalString("peer"))
        default:
            throw o.invalid("type", "unknown message type \(JSONWriter.quote(type))")
        }
    }

    private static func decodePayload(_ o: Fields) throws(WireDecodeError) -> SignalPayload {
        let type = try o.string("type")
        switch type {
        case "candidate":
            return .candidate(try decodeCandidate(try o.object("candidate")))
        case "endOfCandidates":
            return .endOfCandidates(ufrag: try o.string("ufrag"))
        default:
            guard let sdpType = SDPType(name: type) else {
                throw o.invalid("type", "unknown payload type \(JSONWriter.quote(type))")
            }
            let sessionText = try o.string("sessionId")
            guard let sessionID = parseDecimal(sessionText) else {
                throw o.invalid("sessionId", "expected a decimal 64-bit unsigned integer in a string, got \(JSONWriter.quote(sessionText))")
            }
            let setupName = try o.string("setup")
            guard let setup = DTLSSetup(name: setupName) else {
                throw o.invalid("setup", "expected actpass, active or passive, got \(JSONWriter.quote(setupName))")
            }
            let candidateValues = try o.array("candidates")
            var candidates: [ICECandidate] = []
            candidates.reserveCapacity(candidateValues.count)
            for (i, v) in candidateValues.enumerated() {
                candidates.append(try decodeCandidate(try o.element(of: "candidates", at: i, v)))
            }
            return .description(SessionDescription(
                type: sdpType, sessionID: sessionID,
                version: UInt32(try o.integer("version", max: UInt64(UInt32.max))),
                iceUfrag: try o.string("iceUfrag"), icePwd: try o.string("icePwd"), setup: setup,
                fingerprint: try o.string("fingerprint"), hasDataChannel: try o.bool("dataChannel"),
                candidates: candidates))
        }
    }

    private static func decodeCandidate(_ o: Fields) throws(WireDecodeError) -> ICECandidate {
        let transportName = try o.string("transport")
        let transport: CandidateTransport
        switch transportName {
        case "udp": transport = .udp
        case "tcp": transport = .tcp
        default: throw o.invalid("transport", "expected udp or tcp, got \(JSONWriter.quote(transportName))")
        }
        let typeName = try o.string("type")
        guard let type = CandidateType(name: typeName) else {
            throw o.invalid("type", "expected host, srflx, prflx or relay, got \(JSONWriter.quote(typeName))")
        }
        var tcpType: TCPType?
        if let name = try o.optionalString("tcpType") {
            guard let t = TCPType(name: name) else {
                throw o.invalid("tcpType", "expected active, passive or so, got \(JSONWriter.quote(name))")
            }
            guard transport == .tcp else { throw o.invalid("tcpType", "only a tcp candidate has one") }
            tcpType = t
        }
        return ICECandidate(
            foundation: try o.string("foundation"),
            component: UInt8(try o.integer("component", min: 1, max: UInt64(UInt8.max))),
            transport: transport,
            priority: UInt32(try o.integer("priority", max: UInt64(UInt32.max))),
            address: try o.address("address"),
            type: type,
            relatedAddress: try o.optionalAddress("relatedAddress"),
            tcpType: tcpType,
            ufrag: try o.string("ufrag"))
    }

    /// A non-empty run of ASCII digits without a sign that fits in UInt64 (leading zeros are refused
    /// so that every value has one spelling).
    private static func parseDecimal(_ text: String) -> UInt64? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 20, utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        guard utf8.count == 1 || utf8.first != UInt8(ascii: "0") else { return nil }
        return UInt64(text)
    }
}

/// Typed access to the members of one JSON object, with errors that name the field's path.
private struct Fields {
    let object: JSONObject
    /// `""` for the message itself, `"payload."`, `"payload.candidates[2]."` and so on.
    let path: String

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    func invalid(_ key: String, _ what: String) -> WireDecodeError {
        WireDecodeError(message: "\(path)\(key): \(what)")
    }

    private func required(_ key: String) throws(WireDecodeError) -> JSONValue {
        guard let v = object[key] else {
            throw WireDecodeError(message: "\(path)\(key): missing")
        }
        return v
    }

    private func mismatch(_ key: String, expected: String, _ v: JSONValue) -> WireDecodeError {
        invalid(key, "expected \(expected), got \(v.typeName)")
    }

    func string(_ key: String) throws(WireDecodeError) -> String {
        let v = try required(key)
        guard case .string(let s) = v else { throw mismatch(key, expected: "a string", v) }
        return s
    }

    func optionalString(_ key: String) throws(WireDecodeError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard case .string(let s) = v else { throw mismatch(key, expected: "a string or null", v) }
        return s
    }

    func bool(_ key: String) throws(WireDecodeError) -> Bool {
        let v = try required(key)
        guard case .bool(let b) = v else { throw mismatch(key, expected: "a boolean", v) }
        return b
    }

    /// An integer literal (no fraction, no exponent) in `min...max`.
    func integer(_ key: String, min: UInt64 = 0, max: UInt64) throws(WireDecodeError) -> UInt64 {
        let v = try required(key)
        guard case .number(let n) = v else { throw mismatch(key, expected: "an integer", v) }
        guard n.isInteger else { throw invalid(key, "expected an integer, got \(n.text)") }
        guard let value = n.uint64, value >= min, value <= max else {
            throw invalid(key, "\(n.text) is out of range \(min)...\(max)")
        }
        return value
    }

    func object(_ key: String) throws(WireDecodeError) -> Fields {
        let v = try required(key)
        guard case .object(let o) = v else { throw mismatch(key, expected: "an object", v) }
        return Fields(o, path: "\(path)\(key).")
    }

    func array(_ key: String) throws(WireDecodeError) -> [JSONValue] {
        let v = try required(key)
        guard case .array(let a) = v else { throw mismatch(key, expected: "an array", v) }
        return a
    }

    func element(of key: String, at i: Int, _ v: JSONValue) throws(WireDecodeError) -> Fields {
        guard case .object(let o) = v else { throw mismatch("\(key)[\(i)]", expected: "an object", v) }
        return Fields(o, path: "\(path)\(key)[\(i)].")
    }

    func stringArray(_ key: String) throws(WireDecodeError) -> [String] {
        let a = try array(key)
        var out: [String] = []
        out.reserveCapacity(a.count)
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else { throw mismatch("\(key)[\(i)]", expected: "a string", v) }
            out.append(s)
        }
        return out
    }

    /// An optional array whose entries are strings or null.
    func optionalStringOrNullArray(_ key: String) throws(WireDecodeError) -> [String?]? {
        guard let v = object[key], !v.isNull else { return nil }
        guard case .array(let a) = v else { throw mismatch(key, expected: "an array or null", v) }
        var out: [String?] = []
        for (i, e) in a.enumerated() {
            switch e {
            case .string(let s): out.append(s)
            case .null: out.append(nil)
            default: throw mismatch("\(key)[\(i)]", expected: "a string or null", e)
            }
        }
        return out
    }

    func address(_ key: String) throws(WireDecodeError) -> TransportAddress {
        try parseAddress(key, try string(key))
    }

    func optionalAddress(_ key: String) throws(WireDecodeError) -> TransportAddress? {
        guard let v = object[key], !v.isNull else { return nil }
        guard case .string(let s) = v else { throw mismatch(key, expected: "an address string or null", v) }
        return try parseAddress(key, s)
    }

    /// Canonical `a.b.c.d:port` only: what `TransportAddress.description` writes.
    private func parseAddress(_ key: String, _ text: String) throws(WireDecodeError) -> TransportAddress {
        guard text.utf8.count <= 21, let a = TransportAddress.parse(text), a.description == text else {
            throw invalid(key, "expected \"a.b.c.d:port\", got \(JSONWriter.quote(text))")
        }
        return a
    }
}
