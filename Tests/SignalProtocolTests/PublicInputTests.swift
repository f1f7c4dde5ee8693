import Testing
@testable import SignalProtocol

// Caller and peer input at the library's public entry points that used to trap, overflow,
// leak or be accepted silently (QA findings 6, 10, 13, 16, 19, 20): each is a typed refusal
// or harmless now.

private extension Result {
    var failed: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
    var succeeded: Bool { if case .success = self { return true } else { return false } }
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
        #expect(m.setRemoteDescription(d).failed?.name == .operationError)
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

struct SendInputTests {
    @Test func negativeLengthIsATypeErrorAndBufferedAmountStays() {
        var t = DataTransport()
        var out: [AssociationOutput] = []
        t.openChannel(label: "a", stream: 1, options: DataChannelOptions(), established: true, into: &out)
        #expect(t.send(stream: 1, DataMessage(tag: 1, length: -100), now: 0, into: &out).failed == .negativeLength(-100))
        #expect(DataSendError.negativeLength(-1).w3cName == "TypeError")
        #expect(t.channel(stream: 1)?.bufferedAmount == 0)
        #expect(t.send(stream: 1, DataMessage(tag: 2, length: 0), now: 0, into: &out).succeeded)
    }

    @Test func meshChannelSendRefusesSizesOutsideTheMaximumMessageSize() {
        var pair = PeerConnectionPair()
        pair.dial()
        pair.run(until: 5_000_000_000)
        #expect(pair.pcs[0].isChannelOpen("mesh"))
        var out: [PCAction] = []
        for size in [DataTransport.maxMessageSize + 1, 10_000_000, -7] {
            guard case .failure(let e) = pair.pcs[0].send(label: "mesh", size: size, now: pair.now, into: &out) else {
                Issue.record("send of \(size) bytes accepted")
                continue
            }
            #expect(e.name == .typeError, "\(size)")
        }
        #expect(out.isEmpty)
        #expect(pair.pcs[0].send(label: "mesh", size: DataTransport.maxMessageSize, now: pair.now, into: &out).failed == nil)
        // The state is checked first, as webrtc-pc does.
        #expect(pair.pcs[0].send(label: "nope", size: -7, now: pair.now, into: &out).failed?.name == .invalidStateError)
    }
}

struct DataChannelOptionsTests {
    @Test func bothLimitsOrOutOfRangeLimitsAreATypeError() {
        let refused = [
            DataChannelOptions(maxRetransmits: 0, maxPacketLifeTime: 1),
            DataChannelOptions(maxRetransmits: -5),
            DataChannelOptions(maxRetransmits: 65_536),
            DataChannelOptions(maxPacketLifeTime: -1),
            DataChannelOptions(maxPacketLifeTime: Int64.max),
            DataChannelOptions(maxPacketLifeTime: 65_536_000_000),
        ]
        for o in refused {
            var t = DataTransport()
            var out: [AssociationOutput] = []
            #expect(t.openChannel(label: "x", stream: 1, options: o, established: true, into: &out).failed?.name == .typeError, "\(o)")
            #expect(t.channel(stream: 1) == nil)
            var pc = connection()
            var actions: [PCAction] = []
            #expect(pc.openDataChannel(label: "x", stream: 1, options: o, now: 0, into: &actions).failed?.name == .typeError)
        }
        for o in [DataChannelOptions(), DataChannelOptions(maxRetransmits: 65_535), DataChannelOptions(maxPacketLifeTime: 65_535_999_999)] {
            #expect(o.typeError == nil)
        }
    }
}

struct ExtremeTimeTests {
    @Test func enqueueNearInt64MaxSaturates() {
        var pc = connection()
        var out: [PCAction] = []
        pc.enqueue(.createOffer, now: Int64.max - 1, into: &out)
        guard case .scheduleTask(let at)? = out.first else {
            Issue.record("no task scheduled: \(out)")
            return
        }
        #expect(at == Int64.max)
    }

    @Test func neverWrittenAsInt64MaxIsClampedAndConnects() {
        // Every ICE timer and the operation delay set to Int64.max ("never") used to overflow
        // as soon as gathering started.
        var ice = ICEConfiguration()
        ice.inactiveTimeout = .max
        ice.deadConnectionTimeout = .max
        ice.receivingTimeout = .max
        ice.unwritableTimeout = .max
        ice.stunMaxRTO = .max
        ice.gatheringDelay = -5
        let config = PeerConnectionConfiguration(ice: ice, operationDelay: .max)
        #expect(SharedConfiguration(config).value.operationDelay == ICEConfiguration.never)
        #expect(SharedConfiguration(config).value.ice.gatheringDelay == 0)
        #expect(SharedConfiguration(config).value.ice.inactiveTimeout == ICEConfiguration.never)
        var pair = PeerConnectionPair(ice: ice)
        pair.dial()
        pair.run(until: 5_000_000_000)
        #expect(pair.pcs[0].connectionState == .connected)
        #expect(pair.pcs[1].connectionState == .connected)
    }

    @Test func saturatingAddition() {
        #expect(Int64.max.addingSaturating(1) == .max)
        #expect(Int64.min.addingSaturating(-1) == .min)
        #expect(Int64(5).addingSaturating(-7) == -2)
    }
}

struct ConnectionCopyTests {
    /// Copies of a connection made with `init(configuration:…)` are independent values: the QA
    /// probe drove two copies on two threads and crashed on their shared scratch room.
    @Test func copiesDriveIndependentlyOnTwoThreads() async {
        var pc = connection()
        var o: [PCAction] = []
        _ = pc.createDataChannel(label: "mesh", now: 0, into: &o)
        pc.enqueue(.createOffer, now: 0, into: &o)
        pc.runTask(now: 3_000_000, into: &o)
        let shared = pc
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var mine = shared
                    var out: [PCAction] = []
                    var produced = 0
                    for i in 0..<20_000 {
                        mine.enqueue(.setLocalDescription(nil), now: Int64(i), into: &out)
                        mine.runTask(now: Int64(i) + 3_000_000, into: &out)
                        mine.timerFired(now: Int64(i) * 1000, into: &out)
                        produced += out.count
                        out.removeAll(keepingCapacity: true)
                    }
                    return produced
                }
            }
            var counts: [Int] = []
            for await n in group { counts.append(n) }
            #expect(counts.count == 2 && counts[0] == counts[1])
        }
    }
}
