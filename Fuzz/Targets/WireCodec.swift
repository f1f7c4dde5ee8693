// libFuzzer target: WireCodec.decode on arbitrary bytes (scripts/fuzz.sh wire).
//
// Every input must give a message or a WireDecodeError, never a trap; a decoded message must
// encode to text that decodes to the same message, and encoding must be a fixed point.
import SignalProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireCodec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    switch WireCodec.decode(bytes) {
    case .failure(let error):
        precondition(!error.message.isEmpty, "a decode error without a message")
        precondition(!error.message.contains("\n"), "a decode error spanning lines: \(error.message)")
    case .success(let message):
        let text = WireCodec.encode(message)
        precondition(Array(text.utf8) == WireCodec.encodeBytes(message), "encode and encodeBytes differ")
        switch WireCodec.decode(text) {
        case .failure(let error):
            preconditionFailure("re-decoding \(text) failed: \(error)")
        case .success(let again):
            precondition(again == message, "round trip changed \(message) into \(again)")
            precondition(WireCodec.encode(again) == text, "encoding is not a fixed point for \(text)")
        }
    }
    return 0
}
