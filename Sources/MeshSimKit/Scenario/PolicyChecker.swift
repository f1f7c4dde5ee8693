import SignalProtocol

/// Reading a policy object (PolicyFields.swift) with the scenario checker's rules: unknown
/// fields, wrong types and bad values are problems naming the JSON path.
extension ScenarioChecker {
    /// The policy an object describes; `defaultName` when it has no `name`. Nil after a problem.
    /// `variant`: a `--vary` variant of a named policy, which keeps its base's name here (and
    /// is renamed after) and so may differ from a built-in of that name. `crossField` false:
    /// each field alone (one `--vary` value, before its combination is judged whole).
    func policySpec(_ o: CheckedObject, defaultName: String, variant: Bool = false, crossField: Bool = true) -> PolicySpec? {
        let before = problemCount
        checkFields(o, ScenarioFormat.policy)
        var p = PolicySpec.seed.named(defaultName)
        p.summary = ""
        if let (v, at) = o.member("name"), let s = nonEmptyString(v, at) { p.name = s }
        if let (v, at) = o.member("summary"), let s = string(v, at) { p.summary = s }
        if let (v, at) = o.member("connected"), let r = choice(v, at, PolicySpec.Connected.self) { p.connected = r }
        if let (v, at) = o.member("onInit"), let r = choice(v, at, PolicySpec.InitRule.self) { p.onInit = r }
        if let (v, at) = o.member("onOnline"), let r = choice(v, at, PolicySpec.OnlineRule.self) { p.onOnline = r }
        if let (v, at) = o.member("teardownOnChannelClose"), let b = bool(v, at) { p.teardownOnChannelClose = b }
        if let (v, at) = o.member("onFailed"), let r = choice(v, at, PolicySpec.FailedRule.self) { p.onFailed = r }
        if let (v, at) = o.member("iceRestartAfterDisconnected"), !v.isNull {
            p.iceRestartAfterDisconnectedNs = duration(v, at, positive: true)
        }
        if let (v, at) = o.member("replaceOnForeignOffer"), let b = bool(v, at) { p.replaceOnForeignOffer = b }
        if let (v, at) = o.member("acceptOffersWithoutLink"), let b = bool(v, at) { p.acceptOffersWithoutLink = b }
        if let (v, at) = o.member("redial"), !v.isNull, let r = object(v, at) { p.redialRule = redialRule(r) }
        if let (v, at) = o.member("instanceIds"), let b = bool(v, at) { p.instanceIds = b }
        if let (v, at) = o.member("glare"), let r = choice(v, at, PolicySpec.GlareRule.self) { p.glare = r }
        if let (v, at) = o.member("uidTaken"), let r = choice(v, at, PolicySpec.UidTakenRule.self) { p.uidTaken = r }
        if let (v, at) = o.member("teardownOnOffline"), let b = bool(v, at) { p.teardownOnOfflineEvent = b }
        // A built-in's name on other settings would put that built-in's name on every report
        // of a policy that behaves otherwise. The same settings (`policies --json` saved as a
        // file) are that built-in.
        // The page-load rules tell page loads apart by the instance ids; without them they act
        // as the plain rules, silently. A `--vary` variant is held to this too: it must be a
        // policy one could write as a file (QA, session 14).
        if problemCount == before, crossField, !p.instanceIds {
            let needs = [("onOnline", p.onOnline == .dialIfNotConnectedOrNewPageLoad),
                         ("onInit", p.onInit == .passiveIfNotConnectedOrNewPageLoad || p.onInit == .passiveIfDownOrNewPageLoad)]
            for (field, uses) in needs where uses {
                if let (_, at) = o.member(field) {
                    report(at, "this rule tells page loads apart by their instance ids: it needs \"instanceIds\": true")
                }
            }
        }
        if problemCount == before, !variant, let builtIn = Policies.named(p.name) {
            var mine = p, theirs = builtIn
            mine.summary = ""
            theirs.summary = ""
            if mine != theirs {
                let at = o.member("name")?.at ?? o.at
                let whence = o.member("name") == nil ? " (the file's name)" : ""
                report(at, "\(scenarioQuote(p.name))\(whence) is the name of a built-in policy, but these settings differ from it: give this policy another name")
            }
        }
        return problemCount == before ? p : nil
    }

    private func redialRule(_ o: CheckedObject) -> RedialRule {
        checkFields(o, ScenarioFormat.policyRedial)
        var r = RedialRule()
        if let (v, at) = o.member("dialer"), let d = choice(v, at, RedialRule.Dialer.self) { r.dialer = d }
        if let (v, at) = o.member("initial"), let d = duration(v, at, positive: true) { r.initial = d }
        if let (v, at) = o.member("factor"), let x = number(v, at, 1...100) { r.factor = x }
        if let (v, at) = o.member("cap"), let d = duration(v, at, positive: true) { r.cap = d }
        if let (v, at) = o.member("jitter"), let x = number(v, at, 0...1) { r.jitter = x }
        return r
    }

    /// One of an enumeration's names.
    func choice<E: RawRepresentable & CaseIterable>(_ v: JSONValue, _ at: ScenarioPath, _: E.Type) -> E? where E.RawValue == String {
        guard let s = string(v, at) else { return nil }
        if let e = E(rawValue: s) { return e }
        report(at, "unknown value \(scenarioQuote(s)) (expected one of: \(E.allCases.map(\.rawValue).joined(separator: ", ")))")
        return nil
    }

    /// A number within `range`.
    func number(_ v: JSONValue, _ at: ScenarioPath, _ range: ClosedRange<Double>) -> Double? {
        if case .number(let n) = v, range.contains(n.double) { return n.double }
        report(at, "expected a number from \(JSONNumber.literal(range.lowerBound)) to \(JSONNumber.literal(range.upperBound)), got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
        return nil
    }
}

/// A policy file (`--policy FILE`, `compare --policies FILE`): one JSON object, the fields of
/// docs/policies.md; its name is its `name` field, else the file's name without `.json`.
enum PolicyFile {
    /// Files larger than this are refused (a policy object is a few hundred bytes).
    static let maxBytes = 1 << 20

    static func load(path: String) throws(ScenarioErrors) -> PolicySpec {
        let bytes: [UInt8]
        switch ScenarioLoader.readFile(path, limit: maxBytes) {
        case .success(let b): bytes = b
        case .failure(let e): throw ScenarioErrors(problems: [ScenarioProblem(file: path, path: "", message: e.message)])
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes, limits: JSONParserLimits(maxDepth: 8, maxBytes: maxBytes, maxStringBytes: maxBytes))
        } catch {
            let message = error.message == "empty input" ? "the file is empty" : error.description
            throw ScenarioErrors(problems: [ScenarioProblem(file: path, path: "", message: message)])
        }
        let checker = ScenarioChecker(file: path)
        guard let o = checker.object(root, .root), let spec = checker.policySpec(o, defaultName: defaultName(path)) else {
            throw ScenarioErrors(problems: checker.sortedProblems())
        }
        return spec
    }

    /// "recommended" for "dir/recommended.json".
    static func defaultName(_ path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let name = base.hasSuffix(".json") ? String(base.dropLast(5)) : base
        return name.isEmpty ? "custom" : name
    }

    /// `--policy X`: a built-in name, else the path of a policy file. A value that is neither
    /// a known name nor an existing file is an unknown name (the common typo).
    static func resolve(_ value: String, option: String) throws(UsageError) -> PolicySpec {
        if let p = Policies.named(value) { return p }
        guard FileID(value) != nil || value.contains("/") || value.hasSuffix(".json") else {
            throw UsageError(message: "\(option): unknown policy \(scenarioQuote(value)) (known: \(Policies.all.map(\.name).joined(separator: ", ")); or the path of a policy file)")
        }
        do {
            return try load(path: value)
        } catch {
            let first = error.problems.first.map(\.description) ?? "\(value): invalid policy"
            throw UsageError(message: "\(option): \(first)", more: error.problems.dropFirst().map { "\(option): \($0.description)" })
        }
    }
}
