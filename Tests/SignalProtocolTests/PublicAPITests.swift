import Testing
import SignalProtocol  // not @testable: only what a user of the library sees

// QA findings 11, 17, 18: outputs compare with ==, packets and links can be built from outside
// the module, so a receiver or a policy can be unit-tested alone.

/// docs/library.md's example policy.
private struct MyPolicy: MeshPolicy {
    var name: String { "my-app" }
    var summary: String { "re-dial on every online" }
    func isConnected(_ link: MeshLink) -> Bool { link.connectionState == .connected && link.dataChannelOpen }
    func redialOnOnline(_ link: MeshLink) -> Bool { !isConnected(link) }
    var replaceLinkOnForeignOffer: Bool { true }
    var acceptOfferWithoutLink: Bool { true }
}

struct PublicAPITests {
    @Test func aPolicyIsUnitTestedWithHandMadeLinks() {
        let up = MeshLink(id: LinkID(1), remote: "b", role: .active, connectionState: .connected, dataChannelOpen: true)
        let down = MeshLink(id: LinkID(2), remote: "c", role: .passive, connectionState: .failed)
        #expect(MyPolicy().isConnected(up))
        #expect(!MyPolicy().redialOnOnline(up))
        #expect(MyPolicy().redialOnOnline(down))
        #expect(up != down && up == up)
    }

    @Test func packetsAreBuiltAndComparedFromOutside() {
        let sack = SelectiveAck(cumulativeTSN: 4, gaps: [6...7])
        let fragment = DataFragment(tsn: 5, stream: 1, ssn: 0, unordered: false, begin: true, end: true,
                                    length: 10, message: DataMessage(tag: 1, length: 10), bundledAck: sack)
        let packets: [PeerPacket] = [
            .sctp(.fragment(fragment)),
            .sctp(.selectiveAck(sack)),
            .sctp(.forwardTSN(ForwardTSN(newCumulativeTSN: 9, skipped: [ForwardTSN.Skipped(stream: 1, ssn: 2)]))),
            .sctp(.data(SCTPData(tsn: 1, stream: 0, content: .binary(size: 16)))),
        ]
        #expect(packets == packets)
        #expect(packets[0] != packets[1])
        let actions: [PCAction] = packets.map { .sendDatagram(to: TransportAddress(ip: 1, port: 2), $0) }
        #expect(actions == actions && actions[2] != actions[3])
        let outputs: [AssociationOutput] = packets.map { .send($0) }
        #expect(outputs[0] == .send(packets[0]))
    }

    @Test func chunkExtensionBytesAreReadableFromOutside() {
        let c = EnvelopeChunk(messageID: 7, index: 1, count: 3, totalLength: 100)
        #expect(c.encoded.count == EnvelopeChunk.encodedLength)
        #expect(EnvelopeChunk(decoding: c.encoded) == c)
    }
}
