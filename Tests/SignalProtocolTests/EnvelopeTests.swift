import Testing
@testable import SignalProtocol

// The binary envelope: round trips, extensions an old reader skips, every kind of bad input as
// a typed error, and chunking of messages above the channel's maximum size.

private func bytes(_ n: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

struct EnvelopeTests {
    @Test func roundTripKeepsKindExtensionsAndPayload() throws {
        let e = Envelope.trafficMessage(flow: 3, sequence: 1_000_000_007, sentAt: 1_234_567_890, payload: bytes(100))
        let encoded = EnvelopeCodec.encode(e)
        #expect(encoded.count == e.encodedLength)
        #expect(Array(encoded.prefix(3)) == [0x4D, 0x53, 1])
        let back = try EnvelopeCodec.decode(encoded).get()
        #expect(back == e)
        #expect(back.sequence?.flow == 3)
        #expect(back.sequence?.sequence == 1_000_000_007)
        #expect(back.sentAt == 1_234_567_890)
    }

    @Test func emptyPayloadAndUnknownKindRoundTrip() throws {
        let e = Envelope(kind: EnvelopeKind(rawValue: 200))
        #expect(try EnvelopeCodec.decode(EnvelopeCodec.encode(e)).get() == e)
    }

    @Test func unknownExtensionIsSkipped() throws {
        // A newer page adds extension 0x40; an older reader drops it and keeps the rest.
        var e = Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: bytes(10))
        e.extensions.insert(EnvelopeExtension(type: 0x40, value: bytes(17)), at: 1)
        let back = try EnvelopeCodec.decode(EnvelopeCodec.encode(e)).get()
        #expect(back.extensions.map(\.type) == [EnvelopeExtension.sequenceType, EnvelopeExtension.sentAtType])
        #expect(back.payload == bytes(10))
        #expect(back.sequence?.sequence == 2)
    }

    @Test func unknownCriticalExtensionIsRefused() {
        let e = Envelope(kind: .data, extensions: [EnvelopeExtension(type: 0xC0, value: [1])], payload: [9])
        #expect(EnvelopeCodec.decode(EnvelopeCodec.encode(e)) == .failure(.unknownCriticalExtension(type: 0xC0)))
    }

    @Test func everyTruncationIsATypedError() {
        let encoded = EnvelopeCodec.encode(Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: bytes(40)))
        for n in 0..<encoded.count {
            let r = EnvelopeCodec.decode(Array(encoded.prefix(n)))
            guard case .failure(let error) = r else {
                Issue.record("a prefix of \(n) bytes decoded")
                continue
            }
            switch error {
            case .truncated, .malformedExtension: break
            default: Issue.record("prefix of \(n) bytes: \(error)")
            }
        }
    }

    @Test func trailingBytesBadMagicAndVersion() {
        let encoded = EnvelopeCodec.encode(Envelope(kind: .data, payload: [1, 2, 3]))
        #expect(EnvelopeCodec.decode(encoded + [0]) == .failure(.trailingBytes(count: 1)))
        var bad = encoded
        bad[0] = 0x7B  // "{": a JSON text frame is not an envelope
        #expect(EnvelopeCodec.decode(bad) == .failure(.badMagic))
        var v2 = encoded
        v2[2] = 2
        #expect(EnvelopeCodec.decode(v2) == .failure(.unsupportedVersion(2)))
    }

    @Test func oversizedIsRefusedBeforeReading() {
        // A header announcing 4 GiB of payload is refused from the header alone.
        let header: [UInt8] = [0x4D, 0x53, 1, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(EnvelopeCodec.decode(header) == .failure(.oversized(length: 10 + 0xFFFF_FFFF, limit: EnvelopeCodec.chromiumMaxMessageSize)))
        let big = EnvelopeCodec.encode(Envelope(kind: .data, payload: bytes(300)))
        #expect(EnvelopeCodec.decode(big, limit: 200) == .failure(.oversized(length: big.count, limit: 200)))
    }

    @Test func extensionRunningPastItsBlockIsMalformed() {
        // extLength 4, one extension claiming 9 bytes.
        let b: [UInt8] = [0x4D, 0x53, 1, 1, 0, 4, 0, 0, 0, 0, 0x02, 0, 9, 0]
        #expect(EnvelopeCodec.decode(b) == .failure(.malformedExtension(type: 0x02)))
    }

    @Test func malformedChunkExtensionIsRefused() {
        // index 2 of count 2.
        var w = ByteWriter()
        w.u32(1); w.u16(2); w.u16(2); w.u32(10)
        let e = Envelope(kind: .data, extensions: [EnvelopeExtension(type: EnvelopeExtension.chunkType, value: w.bytes)])
        #expect(EnvelopeCodec.decode(EnvelopeCodec.encode(e)) == .failure(.invalidChunk(messageID: nil)))
    }

    @Test func pseudoRandomGarbageNeverTraps() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = Int(state >> 58)
            var b: [UInt8] = [0x4D, 0x53, 1]
            for _ in 0..<n {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                b.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            if case .success(let e) = EnvelopeCodec.decode(b) {
                // Whatever decodes re-encodes to a decodable envelope (unknown extensions dropped).
                #expect(EnvelopeCodec.decode(EnvelopeCodec.encode(e)) == .success(e))
            }
        }
    }

    // MARK: - Chunking

    @Test func messageUnderTheLimitIsNotChunked() {
        let e = Envelope(kind: .data, payload: bytes(1_000))
        #expect(EnvelopeChunker.split(e, messageID: 1, maxMessageSize: 262_144) == [e])
    }

    @Test func largeMessageIsChunkedUnderTheLimitAndReassembled() throws {
        let e = Envelope.trafficMessage(flow: 9, sequence: 4, sentAt: 5, payload: bytes(600_000))
        let chunks = EnvelopeChunker.split(e, messageID: 77, maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
        #expect(chunks.count == 3)
        for c in chunks { #expect(EnvelopeCodec.encode(c).count <= EnvelopeCodec.chromiumMaxMessageSize) }
        var r = EnvelopeReassembler()
        var whole: Envelope?
        for c in chunks {
            let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(c)).get()
            #expect(whole == nil)
            whole = try r.add(decoded).get()
        }
        #expect(whole == e)
        #expect(r.pendingMessages == 0)
    }

    @Test func chunksReassembleOutOfOrderWithDuplicates() throws {
        // An unordered channel delivers chunks in any order; a retransmission can duplicate one.
        let e = Envelope(kind: .data, payload: bytes(1_000, seed: 3))
        let chunks = EnvelopeChunker.split(e, messageID: 5, maxMessageSize: 100)
        #expect(chunks.count > 10)
        var r = EnvelopeReassembler()
        var order = Array(chunks.indices.reversed())
        order.insert(order[2], at: 4)
        var results: [Envelope] = []
        for i in order {
            if let m = try r.add(chunks[i]).get() { results.append(m) }
        }
        #expect(results == [e])
    }

    @Test func interleavedMessagesReassembleSeparately() throws {
        let a = Envelope(kind: .data, payload: bytes(500, seed: 1))
        let b = Envelope(kind: .probe, payload: bytes(450, seed: 2))
        let ca = EnvelopeChunker.split(a, messageID: 1, maxMessageSize: 120)
        let cb = EnvelopeChunker.split(b, messageID: 2, maxMessageSize: 120)
        var r = EnvelopeReassembler()
        var done: [Envelope] = []
        for i in 0..<max(ca.count, cb.count) {
            if i < cb.count, let m = try r.add(cb[i]).get() { done.append(m) }
            if i < ca.count, let m = try r.add(ca[i]).get() { done.append(m) }
        }
        #expect(Set(done.map(\.payload.count)) == [500, 450])
        #expect(done.count == 2)
    }

    @Test func inconsistentChunksAreRefused() {
        let chunks = EnvelopeChunker.split(Envelope(kind: .data, payload: bytes(300)), messageID: 8, maxMessageSize: 100)
        var forged = chunks[1]
        forged.extensions = [EnvelopeExtension(type: EnvelopeExtension.chunkType,
                                               value: EnvelopeChunk(messageID: 8, index: 1, count: 9, totalLength: 300).encoded)]
        var r = EnvelopeReassembler()
        #expect(r.add(chunks[0]) == .success(nil))
        #expect(r.add(forged) == .failure(.invalidChunk(messageID: 8)))
        #expect(r.pendingMessages == 0)
    }

    @Test func reassemblyIsBounded() {
        var r = EnvelopeReassembler(maxMessageLength: 1_000, maxPendingMessages: 2)
        let huge = Envelope(kind: .data, extensions: [EnvelopeExtension(type: EnvelopeExtension.chunkType,
            value: EnvelopeChunk(messageID: 1, index: 0, count: 2, totalLength: 5_000).encoded)])
        #expect(r.add(huge) == .failure(.oversized(length: 5_000, limit: 1_000)))
        for id in UInt32(1)...2 {
            let c = EnvelopeChunker.split(Envelope(kind: .data, payload: bytes(300)), messageID: id, maxMessageSize: 100)[0]
            #expect(r.add(c) == .success(nil))
        }
        let third = EnvelopeChunker.split(Envelope(kind: .data, payload: bytes(300)), messageID: 3, maxMessageSize: 100)[0]
        #expect(r.add(third) == .failure(.oversized(length: 3, limit: 2)))
        r.abandon(messageID: 1)
        #expect(r.add(third) == .success(nil))
    }
}

struct EnvelopeChunkLengthTests {
    @Test func chunkLengthsAgreeWithSplit() {
        for n in [0, 1, 100, 262_100, 262_144, 600_000, 1_000_000] {
            let e = Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: Array(repeating: 7, count: n))
            let split = EnvelopeChunker.split(e, messageID: 1, maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
            let lengths = EnvelopeChunker.encodedChunkLengths(payloadLength: n, extensionsLength: e.encodedLength - 10 - n,
                                                              maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
            #expect(lengths == split.map { EnvelopeCodec.encode($0).count }, "payload \(n)")
        }
    }
}
