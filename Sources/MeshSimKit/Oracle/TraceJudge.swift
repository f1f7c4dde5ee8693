import SignalProtocol

/// Judges a run from its trace alone: the JSON Lines `--trace` writes carry everything the
/// oracle observes (`pc` on every line about a connection, `uid` on a page's `load`,
/// `association`, `connection` `closed`, `host` per page), so the same verdict follows from the
/// file as from the run. Besides the trace, only the scenario's peer names, their first uids
/// and which peers are attackers are needed: facts of the scenario file, not of the run.
extension MeshOracle {
    struct TraceError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "trace line \(line): \(message)" }
    }

    /// The oracle after observing every line of `trace`. Pages are numbered as they load: a
    /// peer's lines are about its most recent page (a page that unloaded says nothing more).
    static func judge(trace: [String], names: [String], uids: [String], attackers: [Bool]) throws -> MeshOracle {
        let oracle = MeshOracle(names: names, uids: uids, attackers: attackers)
        var pageOf: [String: Int32] = [:]
        var pages: Int32 = 0
        var end: Int64 = 0
        for (i, text) in trace.enumerated() where !text.isEmpty {
            let line = i + 1
            let v: JSONValue
            do { v = try JSONParser.parse(Array(text.utf8)) } catch { throw TraceError(line: line, message: "not JSON: \(error)") }
            guard let t = v["t"].flatMap(millisToNanos), let kindText = v["kind"]?.stringValue,
                  let value = v["value"]?.stringValue else {
                throw TraceError(line: line, message: "a line needs t, kind and value")
            }
            end = max(end, t)
            guard let kind = ObservationKind(traceKind: kindText) else { continue }
            let peer = v["peer"]?.stringValue
            var page: Int32?
            if kind == .page, value == "load", let peer {
                page = pages
                pageOf[peer] = pages
                pages += 1
            } else if let peer {
                page = pageOf[peer]
            }
            var connection: Int32?
            if case .number(let n)? = v["pc"] {
                guard let pc = Int32(n.text), pc > 0 else { throw TraceError(line: line, message: "pc must be a positive integer") }
                connection = pc - 1
            }
            oracle.observe(Observation(kind: kind, peer: peer, remote: v["remote"]?.stringValue, value: value,
                                       detail: v["detail"]?.stringValue, page: page, connection: connection,
                                       uid: v["uid"]?.stringValue), at: t)
        }
        oracle.runEnded(at: end)
        return oracle
    }

    /// The trace's `t` (milliseconds, up to six decimals) in nanoseconds.
    private static func millisToNanos(_ v: JSONValue) -> Int64? {
        guard case .number(let n) = v else { return nil }
        let parts = n.text.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]), parts.count <= 2 else { return nil }
        var ns = whole * 1_000_000
        if parts.count == 2 {
            let digits = String(parts[1].prefix(6))
            guard let frac = Int64(digits) else { return nil }
            ns += frac * Int64(pow10(6 - digits.count))
        }
        return ns
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}
