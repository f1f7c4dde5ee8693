/// An IPv4 transport address (address and UDP/TCP port) as the simulated network uses it.
///
/// Kept as two integers so that it is cheap to copy, hash and compare on the hot path; the
/// dotted form exists only for traces, reports and the wire codec.
public struct TransportAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var ip: UInt32
    public var port: UInt16

    public init(ip: UInt32, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public static func < (a: TransportAddress, b: TransportAddress) -> Bool {
        a.ip != b.ip ? a.ip < b.ip : a.port < b.port
    }

    /// Dotted quad, e.g. `10.0.0.7`.
    public var ipString: String {
        "\(ip >> 24).\((ip >> 16) & 0xff).\((ip >> 8) & 0xff).\(ip & 0xff)"
    }

    public var description: String { "\(ipString):\(port)" }

    /// Parses `a.b.c.d` into an address; nil on anything else.
    public static func parseIP(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Parses `a.b.c.d:port`; nil on anything else.
    public static func parse(_ text: String) -> TransportAddress? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        guard let ip = parseIP(text[text.startIndex..<colon]),
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return TransportAddress(ip: ip, port: port)
    }
}
