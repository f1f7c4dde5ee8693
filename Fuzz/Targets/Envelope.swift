// libFuzzer target: EnvelopeCodec.decode and EnvelopeReassembler on arbitrary bytes
// (scripts/fuzz.sh envelope).
//
// Every input must give an envelope or an EnvelopeError, never a trap. A decoded envelope
// re-encodes to bytes that decode to the same envelope. The input is also cut into pieces at
// the bytes' own lengths and fed to a reassembler as a stream of envelopes, which must stay
// within its bounds and give back only messages whose length the chunks announced.
import SignalProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    // A stream: each piece is prefixed by a one-byte length.
    var reassembler = EnvelopeReassembler(maxMessageLength: 4_096, maxPendingMessages: 4)
    var i = 0
    while i < bytes.count {
        let n = Int(bytes[i])
        i += 1
        let piece = Array(bytes[i..<min(bytes.count, i + n)])
        i += n
        guard case .success(let e) = EnvelopeCodec.decode(piece, limit: 512) else { continue }
        switch reassembler.add(e) {
        case .success(let whole?):
            if let c = e.chunk {
                precondition(whole.payload.count == Int(c.totalLength), "reassembled \(whole.payload.count) bytes of \(c.totalLength)")
            }
        case .success(nil):
            break
        case .failure(let error):
            precondition(!error.description.isEmpty)
        }
        precondition(reassembler.pendingMessages <= 4, "reassembler past its bound")
    }
    return 0
}

private func check(_ bytes: [UInt8]) {
    switch EnvelopeCodec.decode(bytes) {
    case .failure(let error):
        precondition(!error.description.isEmpty && !error.description.contains("\n"))
    case .success(let e):
        guard case .success(let again) = EnvelopeCodec.encode(e) else { preconditionFailure("a decoded envelope does not encode") }
        precondition(again.count == e.encodedLength, "encodedLength disagrees with encode")
        switch EnvelopeCodec.decode(again) {
        case .failure(let error): preconditionFailure("re-decoding failed: \(error)")
        case .success(let back): precondition(back == e, "round trip changed the envelope")
        }
        // Chunking what decoded and reassembling it gives it back.
        if e.chunk == nil && e.encodedLength > 64 {
            var r = EnvelopeReassembler()
            var whole: Envelope?
            let limit = max(64, e.encodedLength - e.payload.count + 40)
            guard case .success(let chunks) = EnvelopeChunker.split(e, messageID: 1, maxMessageSize: limit) else {
                preconditionFailure("split refused a decoded envelope")
            }
            for c in chunks {
                guard case .success(let b) = EnvelopeCodec.encode(c), b.count <= limit else { preconditionFailure("chunk above its limit") }
                if case .success(let m?) = r.add(c) { whole = m }
            }
            precondition(whole == e, "chunk and reassemble changed the envelope")
        }
    }
}
