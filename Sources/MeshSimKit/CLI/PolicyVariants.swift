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
    static func expand(_ bases: [PolicySpec], _ axes: [Axis]) throws(UsageError) -> [PolicySpec] {
        var out = bases
        for axis in axes {
            var next: [PolicySpec] = []
            for p in out {
                for value in axis.values { next.append(try apply(axis, value, to: p)) }
            }
            out = next
        }
        return out
    }

    /// `p` with the field set to `value` (JSON if it parses as a JSON scalar, else a string),
    /// checked as a policy object is; named `base{field=value,...}`.
    static func apply(_ axis: Axis, _ value: String, to p: PolicySpec) throws(UsageError) -> PolicySpec {
        let parsed: JSONValue
        if let v = try? JSONParser.parse(value), !(v.objectValue != nil || v.arrayValue != nil) { parsed = v } else { parsed = .string(value) }
        guard case .object(var root) = PolicyJSON.object(p) else { preconditionFailure("a policy object") }
        if axis.path.count == 1 {
            set(&root, axis.path[0], parsed)
        } else {
            var inner = root[axis.path[0]]?.objectValue ?? JSONObject()
            if root[axis.path[0]] == nil {
                throw UsageError(message: "--vary \(axis.field): \(axis.path[0]) is not a field of a policy object (docs/policies.md)")
            }
            set(&inner, axis.path[1], parsed)
            set(&root, axis.path[0], .object(inner))
        }
        let checker = ScenarioChecker(file: "--vary \(axis.field)=\(value)")
        guard let spec = checker.policySpec(CheckedObject(object: root, at: .root), defaultName: p.name, variant: true) else {
            let first = checker.sortedProblems().first.map(\.description) ?? "invalid value"
            throw UsageError(message: first)
        }
        let (base, given) = split(p.name)
        return spec.named(base + "{" + (given + ["\(axis.field)=\(value)"]).joined(separator: ",") + "}")
    }

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
