import Testing
@testable import SignalProtocol

// Caller and peer input at the library's public entry points that used to trap, overflow,
// leak or be accepted silently (QA findings 6, 10, 13, 16, 19, 20): each is a typed refusal
// or harmless now.

fileprivate extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

private func connection() -> PeerConnection {
    PeerConnection(configuration: PeerConnectionConfiguration(),
                   identity: PeerConnectionIdentity(sessionID: 1, ufrag: "u", pwd: "p", fingerprint: "f", tieBreaker: 1),
                   base: TransportAddress(ip: 1, port: 1))
}

/// The settled result of the last operation in `out`.
private func settled(_ out: [PCAction]) -> Result<SessionDescription?, RTCError>? {
    for a in out.reversed() {
        if case .event(.operationComplete(_, let r)) = a { return r }
    }
    return nil
}

struct RemoteCredentialLimitTests {
    @Test func overlongRemoteUfragIsRefusedAndNotInterned() {
        var pc = connection()
        var out: [PCAction] = []
        let ufrag = "unique-for-this-test-" + String(repeating: "u", count: 300)
        let offer = SessionDescription(type: .offer, sessionID: 5, version: 1, iceUfrag: ufrag, icePwd: "p",
                                       setup: .actpass, fingerprint: "f", hasDataChannel: true)
        pc.enqueue(.setRemoteDescription(offer), now: 0, into: &out)
        pc.runTask(now: 3_000_000, into: &out)
        guard case .failure(let e)? = settled(out) else {
            Issue.record("setRemoteDescription of a 321-byte ufrag did not fail: \(out)")
            return
        }
        #expect(e.name == .operationError)
        #expect(e.message.hasSuffix("Failed to parse SessionDescription. ice-ufrag of 321 bytes (at most 256)"))
        #expect(pc.signalingState == .stable)
        #expect(!InternedStrings.shared.contains(ufrag))
    }

    @Test func overlongFingerprintOrPwdIsRefusedAt256Bytes() {
        var m = SignalingStateMachine()
        var d = SessionDescription(type: .offer, sessionID: 5, version: 1, iceUfrag: "u", icePwd: "p",
                                   setup: .actpass, fingerprint: String(repeating: "f", count: 256))
        #expect(d.overlongField == nil)
        d.fingerprint += "f"
        #expect(d.overlongField == "fingerprint of 257 bytes")
        #expect(m.setRemoteDescription(d).error?.name == .operationError)
        d.fingerprint = "f"
        d.icePwd = String(repeating: "p", count: 257)
        #expect(d.overlongField == "ice-pwd of 257 bytes")
        guard case .failure(let e) = m.setLocalDescription(d) else {
            Issue.record("setLocalDescription accepted a 257-byte pwd")
            return
        }
        #expect(e.name == .operationError)
        #expect(m.state == .stable)
    }
}
