/// One host's UDP ports: which peer connection owns each, in a flat array indexed by port.
///
/// Ports are handed out upwards from `firstPort` and reused after wrapping, like an operating
/// system's ephemeral range; lookups on the datagram path are an array index, not a hash.
struct SocketTable {
    static let firstPort: UInt16 = 50_000
    private var owners: [Int32] = []
    private var next = 0

    func owner(of port: UInt16) -> Int32? {
        let i = Int(port) - Int(Self.firstPort)
        guard i >= 0, i < owners.count, owners[i] >= 0 else { return nil }
        return owners[i]
    }

    /// Bind a free port to `connection`; nil when all ports are taken.
    mutating func bind(_ connection: Int32) -> UInt16? {
        let capacity = Int(UInt16.max) - Int(Self.firstPort) + 1
        for _ in 0..<capacity {
            let i = next
            next = next + 1 == capacity ? 0 : next + 1
            if i == owners.count {
                owners.append(connection)
                return Self.firstPort + UInt16(i)
            }
            if owners[i] < 0 {
                owners[i] = connection
                return Self.firstPort + UInt16(i)
            }
        }
        return nil
    }

    mutating func release(_ port: UInt16) {
        let i = Int(port) - Int(Self.firstPort)
        if i >= 0, i < owners.count { owners[i] = -1 }
    }
}
