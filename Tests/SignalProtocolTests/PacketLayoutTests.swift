import Testing
@testable import SignalProtocol

/// A SACK travels inline in `PeerPacket` (no box to allocate per packet) only because that
/// makes no packet larger: a run without traffic must not copy larger packets because of it.
/// (A DATA chunk inline would: `PeerPacket` then needs a tag byte of its own.)
@Suite struct PacketLayoutTests {
    @Test func dataChunksMakeNoPacketLarger() {
        #expect(MemoryLayout<SelectiveAck>.size <= MemoryLayout<SCTPData>.size)
        #expect(MemoryLayout<PeerPacket>.size == MemoryLayout<STUNMessage>.size)
        #expect(MemoryLayout<PeerPacket>.stride == 64)
    }
}
