/// Invariant breaches found during a run. Every one is reported (docs/contract.md `violations`) and
/// makes the run exit 1; none is swallowed. Checks stay on in release builds.
struct InvariantLog {
    private(set) var violations: [String] = []
    /// Breaches beyond this many are counted, not stored, so a runaway bug cannot exhaust memory.
    static let storedLimit = 1000
    private(set) var total = 0

    /// A breach of the invariant named `invariant` (a short camelCase name) involving `peers`:
    /// stored as `t=12.5ms: [name] alice, bob: message`.
    mutating func record(_ time: Int64, _ invariant: String, peers: [String], _ message: String) {
        let who = peers.isEmpty ? "" : peers.joined(separator: ", ") + ": "
        record(time, "[\(invariant)] \(who)\(message)")
    }

    mutating func record(_ time: Int64, _ message: String) {
        total += 1
        if violations.count < Self.storedLimit {
            violations.append("t=\(formatMillis(time))ms: \(message)")
        } else if violations.count == Self.storedLimit {
            violations.append("further violations not stored")
        }
    }
}
