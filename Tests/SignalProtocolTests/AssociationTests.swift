import Testing
@testable import SignalProtocol

// Unit tests of the DTLS handshake, the SCTP association and its data channels (Association),
// driven packet by packet. The answerer (a=setup:active) is the DTLS client: side 0, certificate
// "fc"; the offerer is the DTLS server: side 1, certificate "fs".

private func ms(_ v: Int64) -> Int64 { v * 1_000_000 }
private let client = 0
private let server = 1

private func name(_ p: PeerPacket) -> String {
    switch p {
    case .stun: return "stun"
    case .turn: return "turn"
    case .dtls(let f): return "dtls\(f.number)"
    case .sctp(let c):
        switch c {
        case .initiate: return "init"
        case .initAck: return "initAck"
        case .cookieEcho: return "cookieEcho"
        case .cookieAck: return "cookieAck"
        case .abort: return "abort"
        case .sack(let tsn): return "sack\(tsn)"
        case .fragment(let f): return "fragment\(f.tsn)"
        case .selectiveAck(let s): return "selectiveAck\(s.cumulativeTSN)"
        case .forwardTSN(let f): return "forwardTSN\(f.newCumulativeTSN)"
        case .data(let d):
            switch d.content {
            case .dcepOpen(let label): return "data\(d.tsn) open(\(label))"
            case .dcepAck: return "data\(d.tsn) ack"
            case .binary(let size): return "data\(d.tsn) binary(\(size))"
            }
        }
    }
}

private func describe(_ o: AssociationOutput) -> String {
    switch o {
    case .send(let p): return "send \(name(p))"
    case .dtlsConnected: return "dtlsConnected"
    case .dtlsFailed: return "dtlsFailed"
    case .channelOpen(let label, let announced): return "open \(label) \(announced ? "announced" : "local")"
    case .channelMessage(let label, let size): return "message \(label) \(size)"
    case .channelClosing(let label): return "closing \(label)"
    case .channelClosed(let label, let error): return "closed \(label) \(error ? "error" : "clean")"
    default: return "data \(o)"
    }
}

private func names(_ out: [AssociationOutput]) -> [String] { out.map(describe) }

private func packets(_ out: [AssociationOutput]) -> [PeerPacket] {
    var r: [PeerPacket] = []
    for o in out { if case .send(let p) = o { r.append(p) } }
    return r
}

private func flights(_ out: [AssociationOutput]) -> [DTLSFlight] {
    var r: [DTLSFlight] = []
    for o in out { if case .send(.dtls(let f)) = o { r.append(f) } }
    return r
}

/// Two associations back to back with a fixed one-way delay.
private final class Wire {
    var sides: [Association]
    var now: Int64 = 0
    let oneWay: Int64
    /// Every packet in sending order, prefixed with its sender ("C" or "S").
    var log: [String] = []
    /// Non-send outputs per side, prefixed with the packet that caused them.
    var events: [[String]] = [[], []]
    var inFlight: [(to: Int, packet: PeerPacket)] = []

    init(clientExpects: String = "fs", serverExpects: String = "fc", oneWay: Int64 = ms(10)) {
        var ignored: [AssociationOutput] = []
        var c = Association(localFingerprint: "fc")
        c.configure(isClient: true, remoteFingerprint: clientExpects, into: &ignored)
        var s = Association(localFingerprint: "fs")
        s.configure(isClient: false, remoteFingerprint: serverExpects, into: &ignored)
        sides = [c, s]
        self.oneWay = oneWay
    }

    func take(_ side: Int, trigger: String, _ out: [AssociationOutput]) {
        for o in out {
            if case .send(let p) = o {
                log.append((side == client ? "C " : "S ") + name(p))
                inFlight.append((1 - side, p))
            } else {
                events[side].append("\(trigger): \(describe(o))")
            }
        }
    }

    func deliverAll() {
        var rounds = 0
        while !inFlight.isEmpty && rounds < 1000 {
            deliverRound()
            rounds += 1
        }
    }

    /// One round of the packets in flight (`deliverAll` runs them to the end).
    func deliverRound() {
        let batch = inFlight
        inFlight = []
        now += oneWay
        for (to, p) in batch {
            var out: [AssociationOutput] = []
            sides[to].receive(p, now: now, into: &out)
            take(to, trigger: name(p), out)
        }
    }

    func createChannel(_ side: Int, _ label: String) {
        var out: [AssociationOutput] = []
        sides[side].createChannel(label: label, into: &out, now: now)
        take(side, trigger: "createChannel", out)
    }

    /// ICE writable on both sides, then every packet delivered.
    func run(rtt: Int64 = ms(20)) {
        for side in [client, server] {
            var out: [AssociationOutput] = []
            sides[side].transportWritable(rtt: rtt, now: now, into: &out)
            take(side, trigger: "writable", out)
        }
        deliverAll()
    }

    func send(_ side: Int, _ label: String, size: Int) -> [AssociationOutput] {
        var out: [AssociationOutput] = []
        let ok = sides[side].send(label: label, size: size, now: now, into: &out)
        #expect(ok)
        return out
    }

    func receive(_ side: Int, _ p: PeerPacket) -> [AssociationOutput] {
        var out: [AssociationOutput] = []
        sides[side].receive(p, now: now, into: &out)
        return out
    }

    func fire(_ side: Int, at t: Int64) -> [AssociationOutput] {
        now = t
        var out: [AssociationOutput] = []
        sides[side].timerFired(now: t, into: &out)
        return out
    }
}

private func configured(isClient: Bool, expects: String = "") -> Association {
    var a = Association(localFingerprint: isClient ? "fc" : "fs")
    var ignored: [AssociationOutput] = []
    a.configure(isClient: isClient, remoteFingerprint: expects.isEmpty ? (isClient ? "fs" : "fc") : expects, into: &ignored)
    return a
}

@Suite("Association")
struct AssociationTests {
    // MARK: DTLS

    @Test func theClientSendsFlight1WhenTheTransportBecomesWritable() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        #expect(flights(out) == [DTLSFlight(number: 1, fingerprint: "fc")])
        #expect(c.dtls == .connecting)
    }

    @Test func theServerSendsNothingWhenWritableAndWaitsForFlight1() {
        var s = configured(isClient: false)
        var out: [AssociationOutput] = []
        s.transportWritable(rtt: ms(20), now: 0, into: &out)
        #expect(out.isEmpty)
        #expect(s.dtls == .new)
        #expect(s.nextDeadline == nil)
    }

    /// Only the first copy of each flight does the handshake's crypto; a retransmission is
    /// answered with the flight already built (the simulator charges it as a packet).
    @Test func onlyTheFirstCopyOfAFlightDoesHandshakeWork() {
        #expect(Association(localFingerprint: "fs").receivingFlightDoesHandshakeWork(1), "waits for the role, then is handled")
        var s = configured(isClient: false)
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        #expect(s.receivingFlightDoesHandshakeWork(1))
        #expect(!s.receivingFlightDoesHandshakeWork(2) && !c.receivingFlightDoesHandshakeWork(2))
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        #expect(c.receivingFlightDoesHandshakeWork(2) && !c.receivingFlightDoesHandshakeWork(4))
        s.receive(.dtls(DTLSFlight(number: 1, fingerprint: "fc")), now: 0, into: &out)
        #expect(!s.receivingFlightDoesHandshakeWork(1), "a retransmitted ClientHello")
        #expect(s.receivingFlightDoesHandshakeWork(3))
        c.receive(.dtls(DTLSFlight(number: 2, fingerprint: "fs")), now: ms(1), into: &out)
        #expect(!c.receivingFlightDoesHandshakeWork(2) && c.receivingFlightDoesHandshakeWork(4))
        s.receive(.dtls(DTLSFlight(number: 3, fingerprint: "fc")), now: ms(2), into: &out)
        #expect(s.dtls == .connected && !s.receivingFlightDoesHandshakeWork(3))
        c.receive(.dtls(DTLSFlight(number: 4, fingerprint: "fs")), now: ms(3), into: &out)
        #expect(c.dtls == .connected && !c.receivingFlightDoesHandshakeWork(4))
    }

    @Test func theServerAnswersFlight1WithFlight2() {
        var s = configured(isClient: false)
        var out: [AssociationOutput] = []
        s.receive(.dtls(DTLSFlight(number: 1, fingerprint: "fc")), now: 0, into: &out)
        #expect(names(out) == ["send dtls2"])
        #expect(flights(out).first?.fingerprint == "fs")
        #expect(s.dtls == .connecting)
    }

    @Test func theClientAnswersFlight2WithFlight3AndIsNotYetConnected() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        out.removeAll()
        c.receive(.dtls(DTLSFlight(number: 2, fingerprint: "fs")), now: ms(20), into: &out)
        #expect(names(out) == ["send dtls3"])
        #expect(flights(out).first?.fingerprint == "fc")
        #expect(c.dtls == .connecting)
    }

    @Test func theServerIsConnectedAfterFlight3AndAnswersFlight4() {
        var s = configured(isClient: false)
        var out: [AssociationOutput] = []
        s.receive(.dtls(DTLSFlight(number: 1, fingerprint: "fc")), now: 0, into: &out)
        out.removeAll()
        s.receive(.dtls(DTLSFlight(number: 3, fingerprint: "fc")), now: ms(20), into: &out)
        #expect(names(out).prefix(2) == ["send dtls4", "dtlsConnected"])
        #expect(s.dtls == .connected)
    }

    @Test func theClientIsConnectedAfterFlight4() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        c.receive(.dtls(DTLSFlight(number: 2, fingerprint: "fs")), now: ms(20), into: &out)
        out.removeAll()
        c.receive(.dtls(DTLSFlight(number: 4, fingerprint: "fs")), now: ms(40), into: &out)
        #expect(names(out) == ["dtlsConnected"])
        #expect(c.dtls == .connected)
        #expect(c.nextDeadline == nil)
    }

    @Test func theHandshakeRunsFlights1To4InOrder() {
        let w = Wire()
        w.run()
        #expect(w.log.prefix(4) == ["C dtls1", "S dtls2", "C dtls3", "S dtls4"])
        #expect(w.events[server].first == "dtls3: dtlsConnected")
        #expect(w.events[client].first == "dtls4: dtlsConnected")
    }

    @Test func aServerCertificateThatDoesNotMatchTheFingerprintFailsTheClient() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        out.removeAll()
        c.receive(.dtls(DTLSFlight(number: 2, fingerprint: "stale-page")), now: ms(20), into: &out)
        #expect(names(out) == ["dtlsFailed"])
        #expect(c.dtls == .failed)
        // No more retransmissions of flight 1.
        #expect(c.nextDeadline == nil)
    }

    @Test func aClientCertificateThatDoesNotMatchTheFingerprintFailsTheServer() {
        var s = configured(isClient: false)
        var out: [AssociationOutput] = []
        s.receive(.dtls(DTLSFlight(number: 1, fingerprint: "x")), now: 0, into: &out)
        out.removeAll()
        s.receive(.dtls(DTLSFlight(number: 3, fingerprint: "stale-page")), now: ms(20), into: &out)
        #expect(names(out) == ["dtlsFailed"])
        #expect(s.dtls == .failed)
        #expect(s.sctp == .closed)
    }

    @Test func aDifferentRemoteCertificateOnAHandshakeUnderWayFailsDTLS() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        out.removeAll()
        // An offer from another remote connection, fed to this one, brings another certificate.
        c.configure(isClient: true, remoteFingerprint: "other-page", into: &out)
        #expect(names(out) == ["dtlsFailed"])
        #expect(c.dtls == .failed)
        #expect(c.nextDeadline == nil)
    }

    @Test func theSameCertificateAgainIsNoChange() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        out.removeAll()
        c.configure(isClient: true, remoteFingerprint: "fs", into: &out)
        #expect(out.isEmpty)
        #expect(c.dtls == .connecting)
    }

    @Test(arguments: [(rtt: ms(10), timeout: ms(50)), (rtt: ms(100), timeout: ms(200)), (rtt: ms(2_000), timeout: ms(3_000))])
    func theClientRetransmitsAfterClampOfTwiceTheRTT(rtt: Int64, timeout: Int64) {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: rtt, now: ms(1), into: &out)
        #expect(c.nextDeadline == ms(1) + timeout)
        out.removeAll()
        c.timerFired(now: ms(1) + timeout - 1, into: &out)
        #expect(out.isEmpty)
        c.timerFired(now: ms(1) + timeout, into: &out)
        #expect(flights(out) == [DTLSFlight(number: 1, fingerprint: "fc")])
    }

    @Test func theRetransmissionTimerDoublesUpToThreeSeconds() throws {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(100), now: 0, into: &out)
        var sendTimes: [Int64] = [0]
        for _ in 0..<6 {
            let due = try #require(c.nextDeadline)
            out.removeAll()
            c.timerFired(now: due, into: &out)
            #expect(flights(out).map(\.number) == [1])
            sendTimes.append(due)
        }
        let intervals = zip(sendTimes.dropFirst(), sendTimes).map { ($0 - $1) / 1_000_000 }
        #expect(intervals == [200, 400, 800, 1600, 3000, 3000])
    }

    @Test func flight3IsRetransmittedUntilFlight4Arrives() throws {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(100), now: 0, into: &out)
        c.receive(.dtls(DTLSFlight(number: 2, fingerprint: "fs")), now: ms(100), into: &out)
        let due = try #require(c.nextDeadline)
        out.removeAll()
        c.timerFired(now: due, into: &out)
        #expect(flights(out).map(\.number) == [3])
    }

    // MARK: SCTP

    @Test func sctpInitInitAckCookieEchoCookieAckEstablishesBothSides() {
        let w = Wire()
        w.run()
        let sctp = w.log.filter { !$0.contains("dtls") }
        #expect(sctp == ["S init", "C initAck", "S cookieEcho", "C cookieAck"])
        #expect(w.sides[client].sctp == .established)
        #expect(w.sides[server].sctp == .established)
        #expect(w.sides[client].nextDeadline == nil)
        #expect(w.sides[server].nextDeadline == nil)
    }

    /// The client, established on COOKIE-ECHO, sends application data at once; a DATA packet
    /// that overtakes its COOKIE-ACK finds the server in COOKIE-ECHOED with its control block
    /// made (as dcSCTP has it from INIT-ACK): taken, and delivered as the negotiated channel
    /// opens. Dropped, it waited for T3-rtx and the flow crawled (QA, session 14).
    @Test func dataAheadOfTheCookieAckIsTakenAndDeliveredAsTheChannelOpens() {
        let w = Wire()
        for side in [client, server] {
            var out: [AssociationOutput] = []
            w.sides[side].openDataChannel(label: "t", stream: 1000, options: DataChannelOptions(), into: &out)
            w.sides[side].transportWritable(rtt: ms(20), now: w.now, into: &out)
            w.take(side, trigger: "setup", out)
        }
        while w.sides[client].sctp != .established && !w.inFlight.isEmpty { w.deliverRound() }
        #expect(w.sides[server].sctp == .cookieEchoed, "the COOKIE-ACK is still on its way")
        var out: [AssociationOutput] = []
        #expect((try? w.sides[client].sendData(stream: 1000, DataMessage(tag: 9, length: 100), now: w.now, into: &out).get()) != nil)
        let data = packets(out).filter { if case .sctp(.fragment) = $0 { return true } else { return false } }
        #expect(data.count == 1)
        var early: [AssociationOutput] = []
        for p in data { w.sides[server].receive(p, now: w.now + ms(5), into: &early) }
        #expect(!early.contains { if case .dataMessage = $0 { return true } else { return false } }, "not before the channel opens")
        w.deliverAll()  // the COOKIE-ACK
        #expect(w.sides[server].sctp == .established)
        #expect(w.events[server].contains("cookieAck: data dataMessage(stream: 1000, message: SignalProtocol.DataMessage(tag: 9, length: 100))"),
                "\(w.events[server])")
    }

    @Test func aLocallyCreatedChannelOpensWhenTheAssociationIsEstablished() {
        let w = Wire()
        w.createChannel(server, "mesh")
        #expect(w.sides[server].channels.map(\.state) == [.connecting])
        w.run()
        // The server's association is established by the COOKIE-ACK: the channel opens right then.
        #expect(w.events[server].contains("cookieAck: open mesh local"))
        #expect(w.sides[server].channels.map(\.state) == [.open])
    }

    @Test func theRemoteGetsTheChannelAnnouncedAndOpen() {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        #expect(w.events[client].contains("data1 open(mesh): open mesh announced"))
        #expect(w.sides[client].channels.map(\.label) == ["mesh"])
        #expect(w.sides[client].channels.first?.state == .open)
        #expect(w.sides[client].channels.first?.locallyCreated == false)
        #expect(w.sides[client].channels.first?.stream == w.sides[server].channels.first?.stream)
    }

    @Test func aChannelCreatedOnAnEstablishedAssociationOpensAtOnce() {
        let w = Wire()
        w.run()
        w.createChannel(client, "late")
        #expect(w.events[client].last == "createChannel: open late local")
        w.deliverAll()
        #expect(w.events[server].contains { $0.hasSuffix("open late announced") })
    }

    @Test func channelsCreatedOnBothSidesBothReachTheOtherSide() {
        let w = Wire()
        w.createChannel(server, "from-offerer")
        w.createChannel(client, "from-answerer")
        w.run()
        #expect(w.events[server].contains { $0.hasSuffix("open from-answerer announced") })
        #expect(w.events[client].contains { $0.hasSuffix("open from-offerer announced") })
        #expect(w.sides[client].channels.first { $0.label == "from-answerer" }.map { $0.stream % 2 == 0 } == true)
        #expect(w.sides[server].channels.first { $0.label == "from-offerer" }.map { $0.stream % 2 == 1 } == true)
    }

    @Test func aBinaryMessageIsDeliveredOnceEvenIfItsDataIsRetransmitted() throws {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        let sent = packets(w.send(server, "mesh", size: 100))
        let data = try #require(sent.first)
        guard case .sctp(.data(let original)) = data else { Issue.record("not DATA"); return }
        let first = w.receive(client, data)
        #expect(names(first).contains("message mesh 100"))
        // The SACK is lost: the server retransmits the same DATA.
        let resent = packets(w.fire(server, at: w.now + ms(500)))
        guard case .sctp(.data(let again))? = resent.first else { Issue.record("no retransmission"); return }
        #expect(again == original)
        let second = w.receive(client, .sctp(.data(again)))
        #expect(names(second) == ["send sack\(original.tsn)"])
        #expect(w.sides[client].channels.first?.messagesReceived == 1)
    }

    @Test
    func anOldRetransmittedDataIsNotDeliveredAgain() throws {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        let data = try #require(packets(w.send(server, "mesh", size: 1)).first)
        _ = w.receive(client, data)
        for _ in 0..<64 {
            for p in packets(w.send(server, "mesh", size: 2)) { _ = w.receive(client, p) }
        }
        let before = w.sides[client].channels.first?.messagesReceived
        let again = w.receive(client, data)
        #expect(!names(again).contains { $0.hasPrefix("message") })
        #expect(w.sides[client].channels.first?.messagesReceived == before)
    }

    @Test func aSackStopsTheRetransmissionOfData() throws {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        #expect(w.sides[server].nextDeadline == nil)
        let data = try #require(packets(w.send(server, "mesh", size: 100)).first)
        #expect(w.sides[server].nextDeadline == w.now + ms(500))
        let sack = packets(w.receive(client, data))
        for p in sack { _ = w.receive(server, p) }
        #expect(w.sides[server].nextDeadline == nil)
        #expect(packets(w.fire(server, at: w.now + ms(500))).isEmpty)
    }

    @Test func sendingOnAChannelThatIsNotOpenFails() {
        var s = configured(isClient: false)
        var out: [AssociationOutput] = []
        s.createChannel(label: "mesh", into: &out, now: 0)
        #expect(!s.send(label: "mesh", size: 10, now: 0, into: &out))
        #expect(out.isEmpty)
    }

    // MARK: teardown

    @Test func closeSendsAbortAndTheReceiverClosesItsChannelsWithAnError() throws {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        var out: [AssociationOutput] = []
        w.sides[server].close(into: &out)
        // The closing side sends ABORT and reports nothing itself (pc.close() fires no channel events).
        #expect(names(out) == ["send abort"])
        #expect(w.sides[server].channels.allSatisfy { $0.state == .closed })
        #expect(w.sides[server].isClosed)
        let received = w.receive(client, .sctp(.abort))
        // Chromium: readyState `closing`, then `error`, then `close` (calibration experiment 3).
        #expect(names(received) == ["closing mesh", "closed mesh error"])
        #expect(w.sides[client].channels.allSatisfy { $0.state == .closed })
        #expect(w.sides[client].sctp == .aborted)
    }

    @Test func closeBeforeTheAssociationExistsSendsNoAbort() {
        var c = configured(isClient: true)
        var out: [AssociationOutput] = []
        c.transportWritable(rtt: ms(20), now: 0, into: &out)
        out.removeAll()
        c.close(into: &out)
        #expect(out.isEmpty)
        #expect(c.nextDeadline == nil)
    }

    @Test func aClosedAssociationIgnoresPackets() {
        let w = Wire()
        w.createChannel(server, "mesh")
        w.run()
        var out: [AssociationOutput] = []
        w.sides[client].close(into: &out)
        let after = w.receive(client, .sctp(.data(SCTPData(tsn: 99, stream: 1, content: .binary(size: 5)))))
        #expect(after.isEmpty)
    }
}
