#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A short string that a packet carries without a reference: a STUN `USERNAME` half (an ICE
/// ufrag), a DTLS certificate fingerprint, a DCEP channel label.
///
/// Why: packets are copied several times between a state machine's output and the far end's
/// input (action arrays, the network's datagram slab, delivery queues). A `String` in a packet
/// makes every copy a reference-count update and keeps the compiler from copying packets as
/// plain bytes; at a million checks per simulated minute that was a tenth of a run's work
/// (docs/performance.md, "Packets as plain values").
///
/// Up to 15 UTF-8 bytes are stored inline (every ufrag, fingerprint and label MeshSim makes
/// itself); a longer string is interned once, process-wide, and stored as its index. Either way
/// equal strings give equal values and `string` gives the text back exactly. Interning is the
/// only shared state: an append-only table behind a lock, which no result depends on (indices
/// are compared for equality only and never ordered, hashed or printed).
public struct InlineText: Equatable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// Bytes 0–7 of the text, or the interned index.
    private var low: UInt64
    /// Bytes 8–14 of the text; the top byte is the length (0–15), or `interned`.
    private var high: UInt64

    private static let interned: UInt64 = 0xFF
    private static let inlineCapacity = 15

    public static let empty = InlineText(low: 0, high: 0)

    private init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    public init(_ text: String) {
        var low: UInt64 = 0, high: UInt64 = 0, count = 0
        for byte in text.utf8 {
            if count == Self.inlineCapacity {
                self.init(low: InternedStrings.shared.index(of: text), high: Self.interned << 56)
                return
            }
            if count < 8 { low |= UInt64(byte) << (8 * UInt64(count)) }
            else { high |= UInt64(byte) << (8 * UInt64(count - 8)) }
            count += 1
        }
        self.init(low: low, high: high | UInt64(count) << 56)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The text, exactly as given.
    public var string: String {
        let length = Int(high >> 56)
        if UInt64(length) == Self.interned { return InternedStrings.shared.string(at: low) }
        let low = low, high = high
        return String(unsafeUninitializedCapacity: length) { bytes in
            for i in 0..<length {
                bytes[i] = UInt8(truncatingIfNeeded: i < 8 ? low >> (8 * UInt64(i)) : high >> (8 * UInt64(i - 8)))
            }
            return length
        }
    }

    public var isEmpty: Bool { high == 0 && low == 0 }

    public var description: String { string }
}

/// The process-wide table behind `InlineText`'s long strings: each distinct string once, in the
/// order first seen. Grows only with distinct long texts (none in MeshSim's own runs). Texts
/// from a peer reach it only through a description, whose credentials a connection caps at
/// `SessionDescription.maxCredentialLength` bytes.
final class InternedStrings: @unchecked Sendable {
    static let shared = InternedStrings()

    private var indices: [String: UInt64] = [:]
    private var strings: [String] = []
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    private init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    func index(of s: String) -> UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let i = indices[s] { return i }
        let i = UInt64(strings.count)
        strings.append(s)
        indices[s] = i
        return i
    }

    /// Whether `s` was ever interned (tests).
    func contains(_ s: String) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return indices[s] != nil
    }

    func string(at i: UInt64) -> String {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return strings[Int(i)]
    }
}
