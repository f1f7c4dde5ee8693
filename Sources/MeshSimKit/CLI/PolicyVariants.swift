import SignalProtocol

/// `compare --policies` and `--vary`: the policies a comparison runs. Each `--vary FIELD=V1,V2`
/// multiplies them: every policy of `--policies` with every combination of the values (the
/// cartesian product, the first `--vary` varying slowest), named by the values it was given,
/// `resilient{redial.initial=500ms,redial.factor=3}` (docs/policies.md, "Sweeps").
struct PolicyVariants {
    /// One `--vary`: a field path of the policy object and its values as typed.
    struct Axis {
        var path: [String]
        var field: String
        var values: [String]
    }

    static func parseAxis(_ text: String) throws(UsageError) -> Axis {
        guard let eq = text.firstIndex(of: "=") else {
            throw UsageError(message: "--vary: expected FIELD=V1,V2,..., got \(scenarioQuote(text))")
        }
        let field = String(text[..<eq])
        let values = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let path = field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !field.isEmpty, !path.contains(""), path.count <= 2 else {
            throw UsageError(message: "--vary: expected a policy field such as onOnline or redial.initial, got \(scenarioQuote(field))")
        }
        guard !values.contains(""), !values.isEmpty else {
            throw UsageError(message: "--vary \(field): expected values separated by commas, got \(scenarioQuote(String(text[text.index(after: eq)...])))")
        }
        guard path[0] != "name" && path[0] != "summary" else {
            throw UsageError(message: "--vary: \(field) names the policy; vary a decision (docs/policies.md)")
        }
        for (i, v) in values.enumerated() where values[..<i].contains(v) {
            throw UsageError(message: "--vary \(field): the value \(scenarioQuote(v)) is given twice")
        }
        return Axis(path: path, field: field, values: values)
    }

    /// The policies a comparison runs: each of `bases` under every combination of the axes.
    /// Each value is checked on its own first (an unknown value is named with its `--vary`),
    /// then each combination whole: a rule that needs another field (`instanceIds`) is judged
    /// on the variant that runs, whatever order the `--vary` options came in.
    static func expand(_ bases: [PolicySpec], _ axes: [Axis]) throws(UsageError) -> [PolicySpec] {
        var combinations: [[(axis: Axis, value: String)]] = [[]]
        for axis in axes {
            var next: [[(axis: Axis, value: String)]] = []
            for c in combinations {
                for value in axis.values { next.append(c + [(axis, value)]) }
            }
            combinations = next
        }
        var out: [PolicySpec] = []
        for p in bases {
            for axis in axes {
                for value in axis.values { _ = try check(set(p, [(axis, value)]), p, label: "--vary \(axis.field)=\(value)", crossField: false) }
            }
            for c in combinations where !c.isEmpty {
                let label = "--vary " + c.map { "\($0.axis.field)=\($0.value)" }.joined(separator: " --vary ")
                let spec = try check(set(p, c), p, label: label, crossField: true)
                let (base, given) = split(p.name)
                out.append(spec.named(base + "{" + (given + c.map { "\($0.axis.field)=\($0.value)" }).joined(separator: ",") + "}"))
            }
            if axes.isEmpty { out.append(p) }
        }
        return out
    }

    /// `p`'s policy object with each field set to its value (JSON if it parses as a JSON
    /// scalar, else a string).
    private static func set(_ p: PolicySpec, _ values: [(axis: Axis, value: String)]) throws(UsageError) -> JSONObject {
        guard case .object(var root) = PolicyJSON.object(p) else { preconditionFailure("a policy object") }
        for (axis, value) in values {
            let parsed: JSONValue
            if let v = try? JSONParser.parse(value), !(v.objectValue != nil || v.arrayValue != nil) { parsed = v } else { parsed = .string(value) }
            if axis.path.count == 1 {
                set(&root, axis.path[0], parsed)
            } else {
                var inner = root[axis.path[0]]?.objectValue ?? JSONObject()
                if root[axis.path[0]] == nil {
                    throw UsageError(message: "--vary \(axis.field): \(axis.path[0]) is not a field of a policy object (docs/policies.md); \(scenarioFieldHint)")
                }
                set(&inner, axis.path[1], parsed)
                set(&root, axis.path[0], .object(inner))
            }
        }
        return root
    }

    /// The policy `root` describes, checked as a policy object is; the first problem as a
    /// usage error labelled with the `--vary` options that made it.
    private static func check(_ root: JSONObject, _ p: PolicySpec, label: String, crossField: Bool) throws(UsageError) -> PolicySpec {
        let checker = ScenarioChecker(file: label)
        guard let spec = checker.policySpec(CheckedObject(object: root, at: .root), defaultName: p.name, variant: true, crossField: crossField) else {
            let first = checker.sortedProblems().first.map(\.description) ?? "invalid value"
            // `--vary latency=...` reads as a scenario field: say that none can be varied here.
            throw UsageError(message: first.contains(": unknown field") ? first + "; " + scenarioFieldHint : first)
        }
        return spec
    }

    static let scenarioFieldHint = "--vary varies fields of the policy object only; to sweep a scenario field (latency, loss, ...), write one scenario file per value and pass them all"

    /// "resilient{a=1}" → ("resilient", ["a=1"]).
    private static func split(_ name: String) -> (String, [String]) {
        guard name.hasSuffix("}"), let open = name.firstIndex(of: "{") else { return (name, []) }
        let inside = name[name.index(after: open)..<name.index(before: name.endIndex)]
        return (String(name[..<open]), inside.split(separator: ",").map(String.init))
    }

    private static func set(_ o: inout JSONObject, _ key: String, _ v: JSONValue) {
        if let i = o.entries.firstIndex(where: { $0.key == key }) {
            o.entries[i].value = v
        } else {
            o.entries.append((key, v))
        }
    }
}
