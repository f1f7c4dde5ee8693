/// How a fuzz run failed, as a stable signature (`invariant:NAME` or `stuck:CAUSE`), with one
/// example in words. Two failures with the same signature are "the same failure": the
/// shrinker keeps a candidate only while it still fails with the signature it started from,
/// and the text output lists each signature once.
struct FuzzFailure: Equatable, Sendable {
    var signature: String
    /// One line: the first violation, or the first stuck pair with its reason.
    var example: String
    /// For a stuck-pair failure, the pairs stuck for this cause (the shrunk file expects
    /// them connected, so replaying it fails).
    var pairs: [PeerPair] = []

    /// The signature of a drawn scenario the loader refuses (a generator bug, never expected).
    static let invalidScenario = "generator:invalidScenario"

    /// Causes that say the network itself keeps the pair apart (no path a policy could use):
    /// not failures. docs/fuzzing.md lists them.
    static let networkCauses: [StuckCause] = [.udpBlocked, .noStun, .symmetricNat, .checksBlocked, .checksLost, .turnCapacity]

    /// The failures of a finished run, each signature once: invariant violations first (in the
    /// order they happened), then stuck pairs by cause (in `StuckCause` order).
    static func of(_ report: RunReport) -> [FuzzFailure] {
        var out: [FuzzFailure] = []
        for v in report.violations {
            let name = invariantName(v)
            if !out.contains(where: { $0.signature == "invariant:" + name }) {
                out.append(FuzzFailure(signature: "invariant:" + name, example: v))
            }
        }
        for cause in StuckCause.allCases where !networkCauses.contains(cause) {
            let pairs = report.stuck.filter { $0.cause == cause }
            guard let first = pairs.first else { continue }
            out.append(FuzzFailure(signature: "stuck:" + cause.rawValue,
                                   example: "\(first.a) and \(first.b): \(first.reason)",
                                   pairs: pairs.map { PeerPair($0.a, $0.b) }))
        }
        return out
    }

    /// `t=12.5ms: [name] ...` → `name`; `invariant` for a violation without one.
    static func invariantName(_ violation: String) -> String {
        guard let open = violation.firstIndex(of: "["), let close = violation[open...].firstIndex(of: "]") else { return "invariant" }
        let name = violation[violation.index(after: open)..<close]
        return name.isEmpty || name.contains(" ") ? "invariant" : String(name)
    }
}
