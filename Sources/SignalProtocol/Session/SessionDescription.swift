/// `RTCSdpType`: the kinds of session description JSEP knows (RFC 9429 §4.1.10).
public enum SDPType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case offer, pranswer, answer, rollback

    public var description: String {
        switch self {
        case .offer: return "offer"
        case .pranswer: return "pranswer"
        case .answer: return "answer"
        case .rollback: return "rollback"
        }
    }

    public init?(name: String) {
        switch name {
        case "offer": self = .offer
        case "pranswer": self = .pranswer
        case "answer": self = .answer
        case "rollback": self = .rollback
        default: return nil
        }
    }
}

/// DTLS role negotiation of RFC 8842 (`a=setup`): offers say `actpass`, answers from browsers
/// say `active` (RFC 9429 §5.3.1), which makes the answerer the DTLS client.
public enum DTLSSetup: UInt8, Sendable, CustomStringConvertible {
    case actpass, active, passive
    public var description: String {
        switch self {
        case .actpass: return "actpass"
        case .active: return "active"
        case .passive: return "passive"
        }
    }
    public init?(name: String) {
        switch name {
        case "actpass": self = .actpass
        case "active": self = .active
        case "passive": self = .passive
        default: return nil
        }
    }
}

/// The parts of an SDP blob that the model needs, carried as structured fields instead of text.
///
/// What a real SDP would say with `o=`, `a=ice-ufrag`, `a=ice-pwd`, `a=setup`, `a=fingerprint`,
/// `m=application ... webrtc-datachannel` and `a=end-of-candidates` is kept here; media lines are
/// not modelled. `sessionID` and `version` identify the page load and the createOffer call that
/// produced it, which is how `setLocalDescription` recognises "the last created offer".
public struct SessionDescription: Hashable, Sendable {
    public var type: SDPType
    /// `o=` session id: unique per RTCPeerConnection.
    public var sessionID: UInt64
    /// `o=` session version: increments with every createOffer/createAnswer of that connection.
    public var version: UInt32
    public var iceUfrag: String
    public var icePwd: String
    public var setup: DTLSSetup
    /// Certificate fingerprint (a short token standing in for the SHA-256 of `a=fingerprint`).
    public var fingerprint: String
    /// Whether an `m=application` section for data channels is present.
    public var hasDataChannel: Bool
    /// Candidates already known when the description was created (non-trickle); usually empty.
    public var candidates: [ICECandidate]

    public init(type: SDPType, sessionID: UInt64, version: UInt32, iceUfrag: String, icePwd: String,
                setup: DTLSSetup, fingerprint: String, hasDataChannel: Bool = true,
                candidates: [ICECandidate] = []) {
        self.type = type
        self.sessionID = sessionID
        self.version = version
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.setup = setup
        self.fingerprint = fingerprint
        self.hasDataChannel = hasDataChannel
        self.candidates = candidates
    }

    /// The longest `iceUfrag`, `icePwd` and `fingerprint` a connection accepts, in UTF-8 bytes:
    /// RFC 8839's `ice-ufrag`/`ice-pwd` grammar allows at most 256 characters, and a SHA-512
    /// `a=fingerprint` is under 200. Why it matters here: these texts become `InlineText`s,
    /// and one above 15 bytes is interned process-wide for good, so a peer sending ever new
    /// long values would grow the process without bound; capped, it costs at most this much
    /// per distinct value.
    public static let maxCredentialLength = 256

    /// The first of `iceUfrag`, `icePwd`, `fingerprint` above `maxCredentialLength`, if any,
    /// as "name (N bytes)"; a rollback carries none.
    public var overlongField: String? {
        guard type != .rollback else { return nil }
        for (name, text) in [("ice-ufrag", iceUfrag), ("ice-pwd", icePwd), ("fingerprint", fingerprint)]
        where text.utf8.count > Self.maxCredentialLength {
            return "\(name) of \(text.utf8.count) bytes"
        }
        return nil
    }

    /// A rollback description carries no content (webrtc-pc: "the sdp of a rollback is ignored").
    public static let rollback = SessionDescription(type: .rollback, sessionID: 0, version: 0, iceUfrag: "",
                                                    icePwd: "", setup: .actpass, fingerprint: "",
                                                    hasDataChannel: false)
}

/// What a page sends to another page through the signaling server (the `payload` of a signal).
/// Mirrors what simple-peer's `signal` event carries: a description, a candidate, or the end of
/// candidates for a generation.
public enum SignalPayload: Hashable, Sendable {
    case description(SessionDescription)
    case candidate(ICECandidate)
    /// End of candidates for the generation with this ufrag (`a=end-of-candidates`).
    case endOfCandidates(ufrag: String)

    /// The name used in traces (`signal` lines): `offer`, `answer`, `pranswer`, `rollback`,
    /// `candidate` or `endOfCandidates`.
    public var kindName: String {
        switch self {
        case .description(let d): return d.type.description
        case .candidate: return "candidate"
        case .endOfCandidates: return "endOfCandidates"
        }
    }
}
