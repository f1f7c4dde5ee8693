import SignalProtocol

/// One stuck pair as the report carries it (one JSON `stuck` entry per pair).
struct StuckPair: Sendable {
    /// The pair in slot order (the JSON `between`).
    var a: String
    var b: String
    var cause: StuckCause
    /// `explanation`, rendered: the JSON `reason`.
    var reason: String
    var explanation: ReasonText

    init(a: String, b: String, diagnosis: PairDiagnosis) {
        self.a = a
        self.b = b
        cause = diagnosis.cause
        explanation = diagnosis.reason
        reason = diagnosis.reason.rendered
    }

    /// The JSON object: `between`, `reason`, `cause`.
    var json: JSONValue {
        ["between": [.string(a), .string(b)], "reason": .string(reason), "cause": .string(cause.rawValue)]
    }
}
