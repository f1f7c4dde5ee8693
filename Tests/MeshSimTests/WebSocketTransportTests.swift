import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// The WebSocket transport keeps each direction of a socket in order, lets a pong overtake,
/// and retransmits behind everything already queued; the STUN server answers Binding only.
@Suite struct WebSocketTransportTests {
    static func frame(_ socket: SocketID, toServer: Bool, _ content: WebSocketContent = .ping) -> WebSocketFrame {
        WebSocketFrame(socket: socket, toServer: toServer, content: content, origin: 0)
    }

    @Test func aLaterFrameNeverOvertakesAnEarlierOne() {
        var t = WebSocketTransport()
        let s = t.open(page: 0, at: 0)
        let first = t.send(Self.frame(s, toServer: true), departure: 0, delay: 50)
        // Sent later with a shorter delay (less jitter): it still arrives after the first.
        let second = t.send(Self.frame(s, toServer: true), departure: 10, delay: 5)
        #expect(first.at == 50)
        #expect(second.at == 50)
        // The other direction has its own order.
        let down = t.send(Self.frame(s, toServer: false), departure: 10, delay: 5)
        #expect(down.at == 15)
    }

    @Test func aPongLeavesAheadOfQueuedFrames() {
        var t = WebSocketTransport()
        let s = t.open(page: 0, at: 0)
        _ = t.send(Self.frame(s, toServer: true), departure: 1_000, delay: 20)
        let pong = t.send(Self.frame(s, toServer: true, .pong), departure: 0, delay: 20, inOrder: false)
        #expect(pong.at == 20)
        // And it does not hold back what follows.
        let next = t.send(Self.frame(s, toServer: true), departure: 1_000, delay: 1)
        #expect(next.at == 1_020)
    }

    @Test func aRetransmittedFrameHoldsBackItsDirection() {
        var t = WebSocketTransport()
        let s = t.open(page: 0, at: 0)
        let sent = t.send(Self.frame(s, toServer: false), departure: 0, delay: 10)
        let f = t.take(sent.slot)
        let retry = t.retransmit(f, now: 10)
        #expect(retry.at == 10 + WebSocketTransport.tcpRetry)
        let after = t.send(Self.frame(s, toServer: false), departure: 20, delay: 10)
        #expect(after.at == retry.at)
        #expect(t.take(retry.slot).socket == s)
    }

    @Test func socketsOpenAtTheServerInOrder() {
        var t = WebSocketTransport()
        let a = t.open(page: 0, at: 0), b = t.open(page: 1, at: 0), c = t.open(page: 2, at: 0)
        t[b].serverOpen = false
        #expect(t.openAtServer == [a, c])
        #expect(t[c].page == 2)
    }

    @Test func theSTUNServerAnswersBindingWithTheSourceItSaw() {
        let from = TransportAddress(ip: 0xC613_0001, port: 40_000)
        let request = Datagram(from: from, to: STUNServer.address,
                               packet: .stun(STUNMessage(kind: .bindingRequest, transactionID: 7)))
        let answer = STUNServer.answer(request)
        #expect(answer?.to == from && answer?.from == STUNServer.address)
        guard case .stun(let m)? = answer?.packet else { Issue.record("not a STUN answer"); return }
        #expect(m.kind == .bindingSuccess && m.transactionID == 7 && m.mappedAddress == from)
        let notBinding = Datagram(from: from, to: STUNServer.address,
                                  packet: .stun(STUNMessage(kind: .bindingSuccess, transactionID: 7)))
        #expect(STUNServer.answer(notBinding) == nil)
    }
}
