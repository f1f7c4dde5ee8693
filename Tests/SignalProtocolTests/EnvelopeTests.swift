import Testing
@testable import SignalProtocol

// The binary envelope: round trips, extensions an old reader skips, every kind of bad input as
// a typed error, and chunking of messages above the channel's maximum size.

private func bytes(_ n: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

/// `EnvelopeCodec.encode` of an envelope the test knows to be encodable.
private func encoded(_ e: Envelope, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    switch EnvelopeCodec.encode(e) {
    case .success(let b): return b
    case .failure(let error): Issue.record("encode: \(error)", sourceLocation: sourceLocation); return []
    }
}

/// `EnvelopeChunker.split` with a limit the test knows to be workable.
private func chunked(_ e: Envelope, messageID: UInt32, maxMessageSize: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) -> [Envelope] {
    switch EnvelopeChunker.split(e, messageID: messageID, maxMessageSize: maxMessageSize) {
    case .success(let chunks): return chunks
    case .failure(let error): Issue.record("split: \(error)", sourceLocation: sourceLocation); return []
    }
}

struct EnvelopeTests {
    @Test func roundTripKeepsKindExtensionsAndPayload() throws {
        let e = Envelope.trafficMessage(flow: 3, sequence: 1_000_000_007, sentAt: 1_234_567_890, payload: bytes(100))
        let encoded = encoded(e)
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
        #expect(try EnvelopeCodec.decode(encoded(e)).get() == e)
    }

    @Test func unknownExtensionIsSkipped() throws {
        // A newer page adds extension 0x40; an older reader drops it and keeps the rest.
        var e = Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: bytes(10))
        e.extensions.insert(EnvelopeExtension(type: 0x40, value: bytes(17)), at: 1)
        let back = try EnvelopeCodec.decode(encoded(e)).get()
        #expect(back.extensions.map(\.type) == [EnvelopeExtension.sequenceType, EnvelopeExtension.sentAtType])
        #expect(back.payload == bytes(10))
        #expect(back.sequence?.sequence == 2)
    }

    @Test func unknownCriticalExtensionIsRefused() {
        let e = Envelope(kind: .data, extensions: [EnvelopeExtension(type: 0xC0, value: [1])], payload: [9])
        #expect(EnvelopeCodec.decode(encoded(e)) == .failure(.unknownCriticalExtension(type: 0xC0)))
    }

    @Test func everyTruncationIsATypedError() {
        let encoded = encoded(Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: bytes(40)))
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
        let encoded = encoded(Envelope(kind: .data, payload: [1, 2, 3]))
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
        let big = encoded(Envelope(kind: .data, payload: bytes(300)))
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
        #expect(EnvelopeCodec.decode(encoded(e)) == .failure(.invalidChunk(messageID: nil)))
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
                #expect(EnvelopeCodec.decode(encoded(e)) == .success(e))
            }
        }
    }

    // MARK: - Chunking

    @Test func messageUnderTheLimitIsNotChunked() {
        let e = Envelope(kind: .data, payload: bytes(1_000))
        #expect(chunked(e, messageID: 1, maxMessageSize: 262_144) == [e])
    }

    @Test func largeMessageIsChunkedUnderTheLimitAndReassembled() throws {
        let e = Envelope.trafficMessage(flow: 9, sequence: 4, sentAt: 5, payload: bytes(600_000))
        let chunks = chunked(e, messageID: 77, maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
        #expect(chunks.count == 3)
        for c in chunks { #expect(encoded(c).count <= EnvelopeCodec.chromiumMaxMessageSize) }
        var r = EnvelopeReassembler()
        var whole: Envelope?
        for c in chunks {
            let decoded = try EnvelopeCodec.decode(encoded(c)).get()
            #expect(whole == nil)
            whole = try r.add(decoded).get()
        }
        #expect(whole == e)
        #expect(r.pendingMessages == 0)
    }

    @Test func chunksReassembleOutOfOrderWithDuplicates() throws {
        // An unordered channel delivers chunks in any order; a retransmission can duplicate one.
        let e = Envelope(kind: .data, payload: bytes(1_000, seed: 3))
        let chunks = chunked(e, messageID: 5, maxMessageSize: 100)
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
        let ca = chunked(a, messageID: 1, maxMessageSize: 120)
        let cb = chunked(b, messageID: 2, maxMessageSize: 120)
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
        let chunks = chunked(Envelope(kind: .data, payload: bytes(300)), messageID: 8, maxMessageSize: 100)
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
            let c = chunked(Envelope(kind: .data, payload: bytes(300)), messageID: id, maxMessageSize: 100)[0]
            #expect(r.add(c) == .success(nil))
        }
        let third = chunked(Envelope(kind: .data, payload: bytes(300)), messageID: 3, maxMessageSize: 100)[0]
        #expect(r.add(third) == .failure(.tooManyPendingMessages(limit: 2)))
        #expect(EnvelopeError.tooManyPendingMessages(limit: 2).description == "more than 2 incomplete chunked messages at once")
        r.abandon(messageID: 1)
        #expect(r.add(third) == .success(nil))
    }
}

struct EnvelopeChunkLengthTests {
    @Test func chunkLengthsAgreeWithSplit() {
        for n in [0, 1, 100, 262_100, 262_144, 600_000, 1_000_000] {
            let e = Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: Array(repeating: 7, count: n))
            let split = chunked(e, messageID: 1, maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
            let lengths = EnvelopeChunker.encodedChunkLengths(payloadLength: n, extensionsLength: e.encodedLength - 10 - n,
                                                              maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
            #expect(lengths == .success(split.map { encoded($0).count }), "payload \(n)")
        }
    }
}

/// Caller input the format cannot carry, and hostile or odd chunk streams: typed errors, no
/// trap, no hang, no quadratic work (QA findings 1–5, 14, 15).
struct EnvelopeLimitTests {
    private func chunkEnvelope(_ value: [UInt8], payload: [UInt8] = [1]) -> Envelope {
        Envelope(kind: .data, extensions: [EnvelopeExtension(type: EnvelopeExtension.chunkType, value: value)], payload: payload)
    }

    @Test func chunkLengthsWithNoRoomForPayloadAreRefused() {
        // Room per chunk 0 (25) and -5 (20): the loop used to run for ever, growing its array.
        for limit in [25, 20, 0, -1, Int.min] {
            #expect(EnvelopeChunker.encodedChunkLengths(payloadLength: 1_000, extensionsLength: 0, maxMessageSize: limit)
                    == .failure(.limitTooSmall(limit: limit, overhead: 25)))
        }
        #expect(EnvelopeChunker.encodedChunkLengths(payloadLength: 1_000, extensionsLength: 0, maxMessageSize: 26)
                == .success(Array(repeating: 26, count: 1_000)))
        #expect(EnvelopeChunker.encodedChunkLengths(payloadLength: -1, extensionsLength: 0, maxMessageSize: 100)
                == .failure(.unencodable(length: -1)))
        #expect(EnvelopeChunker.encodedChunkLengths(payloadLength: 1, extensionsLength: 70_000, maxMessageSize: 100)
                == .failure(.unencodable(length: 70_000)))
        // 16 MiB under a 200-byte limit: 95,870 chunks, refused as split refuses it, without building them.
        #expect(EnvelopeChunker.encodedChunkLengths(payloadLength: 16 << 20, extensionsLength: 0, maxMessageSize: 200)
                == .failure(.tooManyChunks(count: 95_870)))
    }

    @Test func encodeAndSplitRefuseWhatTheFormatCannotCarry() {
        let bigExtension = Envelope(kind: .data, extensions: [EnvelopeExtension(type: 0x10, value: Array(repeating: 0, count: 70_000))])
        #expect(EnvelopeCodec.encode(bigExtension) == .failure(.unencodable(length: 70_003)))
        // Two extensions each under 65,535 bytes, above it together.
        let two = Envelope(kind: .data, extensions: Array(repeating: EnvelopeExtension(type: 0x10, value: Array(repeating: 0, count: 40_000)), count: 2))
        #expect(EnvelopeCodec.encode(two) == .failure(.unencodable(length: 80_006)))
        #expect(EnvelopeChunker.split(two, messageID: 1, maxMessageSize: 262_144) == .failure(.unencodable(length: 80_006)))
        // 36 bytes of header and traffic extensions + 15 of chunk extension: 40 leaves no room.
        let traffic = Envelope.trafficMessage(flow: 1, sequence: 1, sentAt: 0, payload: Array(repeating: 0, count: 100))
        #expect(EnvelopeChunker.split(traffic, messageID: 1, maxMessageSize: 40) == .failure(.limitTooSmall(limit: 40, overhead: 51)))
        let huge = Envelope(kind: .data, payload: Array(repeating: 0, count: 16 << 20))
        #expect(EnvelopeChunker.split(huge, messageID: 1, maxMessageSize: 200) == .failure(.tooManyChunks(count: 95_870)))
        #expect(EnvelopeChunker.split(huge, messageID: 1, maxMessageSize: 300).map(\.count) == .success(61_009))
        for e in [EnvelopeError.unencodable(length: 1), .limitTooSmall(limit: 1, overhead: 2), .tooManyChunks(count: 3), .alreadyChunked] {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }

    @Test func splittingAChunkIsRefused() {
        let big = Envelope.trafficMessage(flow: 1, sequence: 2, sentAt: 3, payload: Array(repeating: 7, count: 600_000))
        let outer = chunked(big, messageID: 10, maxMessageSize: 262_144)
        #expect(outer.count == 3)
        #expect(EnvelopeChunker.split(outer[0], messageID: 100, maxMessageSize: 65_536) == .failure(.alreadyChunked))
        // Even one that would fit: a chunk is never split again.
        #expect(EnvelopeChunker.split(outer[2], messageID: 100, maxMessageSize: 262_144) == .failure(.alreadyChunked))
    }

    @Test func malformedChunkExtensionIsNotDeliveredWhole() {
        var r = EnvelopeReassembler()
        #expect(r.add(chunkEnvelope([1, 2, 3])) == .failure(.invalidChunk(messageID: nil)))
        // index 5 of count 5
        #expect(r.add(chunkEnvelope([0, 0, 0, 1, 0, 5, 0, 5, 0, 0, 0, 1])) == .failure(.invalidChunk(messageID: nil)))
        // Two chunk extensions: the reader could not tell which is meant.
        let value = EnvelopeChunk(messageID: 1, index: 0, count: 2, totalLength: 2).encoded
        var two = chunkEnvelope(value)
        two.extensions.append(EnvelopeExtension(type: EnvelopeExtension.chunkType, value: value))
        #expect(r.add(two) == .failure(.invalidChunk(messageID: nil)))
        #expect(EnvelopeCodec.decode(encoded(two)) == .failure(.invalidChunk(messageID: nil)))
        // More chunks than payload bytes: not a split's output, and it would cost bookkeeping.
        let many = chunkEnvelope(EnvelopeChunk(messageID: 9, index: 0, count: 100, totalLength: 10).encoded)
        #expect(r.add(many) == .failure(.invalidChunk(messageID: 9)))
        #expect(r.pendingMessages == 0)
    }

    @Test func lateDuplicateOfACompletedMessageIsIgnored() throws {
        let e = Envelope(kind: .data, payload: Array(repeating: 1, count: 600_000))
        let parts = chunked(e, messageID: 77, maxMessageSize: EnvelopeCodec.chromiumMaxMessageSize)
        var r = EnvelopeReassembler()
        var delivered = 0
        for p in parts + parts {
            if try r.add(p).get() != nil { delivered += 1 }
        }
        #expect(delivered == 1)
        #expect(r.pendingMessages == 0)

        // One late duplicate per message used to hold a pending slot each, until every new message was refused.
        var r2 = EnvelopeReassembler()
        for id in UInt32(1000)..<1100 {
            let ps = chunked(Envelope(kind: .data, payload: Array(repeating: 1, count: 300)), messageID: id, maxMessageSize: 200)
            for p in ps { _ = r2.add(p) }
            #expect(r2.add(ps[0]) == .success(nil))
        }
        #expect(r2.pendingMessages == 0)
    }

    @Test func chunksOfAnAbandonedOrRefusedMessageAreIgnored() {
        let ps = chunked(Envelope(kind: .data, payload: Array(repeating: 1, count: 300)), messageID: 4, maxMessageSize: 100)
        var r = EnvelopeReassembler()
        #expect(r.add(ps[0]) == .success(nil))
        r.abandon(messageID: 4)
        #expect(r.add(ps[1]) == .success(nil))
        #expect(r.pendingMessages == 0)
    }

    @Test func rememberedIdsAreBoundedAndOldestForgottenFirst() throws {
        var r = EnvelopeReassembler(rememberedMessages: 2)
        func message(_ id: UInt32) -> [Envelope] {
            chunked(Envelope(kind: .data, payload: Array(repeating: UInt8(id), count: 300)), messageID: id, maxMessageSize: 200)
        }
        for id in UInt32(1)...3 { for p in message(id) { _ = r.add(p) } }
        // 2 and 3 are remembered; 1 was forgotten, so its id is free again.
        #expect(r.add(message(3)[0]) == .success(nil))
        #expect(r.pendingMessages == 0)
        var again: Envelope?
        for p in message(1) { if let m = try r.add(p).get() { again = m } }
        #expect(again?.payload.count == 300)
    }

    @Test func manyTinyChunksReassembleInLinearTime() throws {
        // 20,000 one-byte chunks, last to first: quadratic reassembly took about a minute in a
        // debug build (every add copied and summed the whole parts array).
        let n = 20_000
        var r = EnvelopeReassembler()
        let clock = ContinuousClock()
        var whole: Envelope?
        let elapsed = try clock.measure {
            for i in (0..<n).reversed() {
                let e = chunkEnvelope(EnvelopeChunk(messageID: 1, index: UInt16(i), count: UInt16(n), totalLength: UInt32(n)).encoded,
                                      payload: [UInt8(truncatingIfNeeded: i)])
                if let m = try r.add(e).get() { whole = m }
            }
        }
        #expect(whole?.payload == (0..<n).map { UInt8(truncatingIfNeeded: $0) })
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }
}
