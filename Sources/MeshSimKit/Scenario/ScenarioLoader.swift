// Scenario files: JSON -> validated `Scenario`, or every problem found, each as
// `FILE: JSON.PATH: message` (see docs/scenario-format.md).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SignalProtocol

enum ScenarioLoader {
    /// Files larger than this are refused before they are read in full.
    static let maxFileBytes = 16 << 20
    /// Arrays and objects nested deeper than this are refused.
    static let maxNesting = 64
    /// Peers after group expansion.
    static let maxPeers = 100_000
    /// Members of one group.
    static let maxGroupCount = 10_000
    /// Length of a peer id.
    static let maxIdLength = 64

    /// Reads and validates a scenario file. An unreadable or oversized file is one problem.
    static func load(path: String) throws(ScenarioErrors) -> Scenario {
        switch readFile(path, limit: maxFileBytes) {
        case .success(let bytes):
            return try load(bytes: bytes, file: path)
        case .failure(let e):
            throw ScenarioErrors(problems: [ScenarioProblem(file: path, path: "", message: e.message)])
        }
    }

    /// Validates a scenario held in memory; `file` names it in problems and in `Scenario.file`.
    static func load(bytes: [UInt8], file: String) throws(ScenarioErrors) -> Scenario {
        if bytes.count > maxFileBytes {
            throw ScenarioErrors(problems: [ScenarioProblem(
                file: file, path: "", message: "the file is larger than 16 MiB (\(bytes.count) bytes)")])
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes, limits: JSONParserLimits(
                maxDepth: maxNesting, maxBytes: maxFileBytes, maxStringBytes: maxFileBytes))
        } catch {
            let message = error.message == "empty input" ? "the file is empty" : error.description
            throw ScenarioErrors(problems: [ScenarioProblem(file: file, path: "", message: message)])
        }
        let checker = ScenarioChecker(file: file)
        let scenario = checker.check(root)
        let problems = checker.sortedProblems()
        if let scenario = scenario, problems.isEmpty {
            return scenario
        }
        if problems.isEmpty {  // not expected: every rejection reports why
            throw ScenarioErrors(problems: [ScenarioProblem(file: file, path: "", message: "invalid scenario")])
        }
        throw ScenarioErrors(problems: problems)
    }

    struct ReadError: Error {
        var message: String
    }

    /// Reads at most `limit` bytes; a larger file (or endless device) is refused, never read in full.
    static func readFile(_ path: String, limit: Int) -> Result<[UInt8], ReadError> {
        let fd = LibC.openForReading(path)
        if fd < 0 {
            return .failure(ReadError(message: "cannot read the file: \(LibC.lastErrorMessage())"))
        }
        defer { LibC.close(fd) }
        switch LibC.kind(fd) {
        case .directory:
            return .failure(ReadError(message: "cannot read the file: it is a directory"))
        case .regular(let size) where size > limit:
            return .failure(ReadError(message: "the file is larger than \(limit >> 20) MiB (\(size) bytes)"))
        default:
            break
        }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = LibC.read(fd, into: &buffer)
            if n < 0 {
                if LibC.interrupted() { continue }
                return .failure(ReadError(message: "cannot read the file: \(LibC.lastErrorMessage())"))
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
            if result.count > limit {
                return .failure(ReadError(message: "the file is larger than \(limit >> 20) MiB"))
            }
        }
        return .success(result)
    }
}

/// The few POSIX calls the loader needs, module-qualified so that nothing else in the module
/// named `open` or `read` can shadow them.
private enum LibC {
    enum Kind { case directory, regular(Int), other }

    /// Opens without blocking (a FIFO nobody writes to would otherwise hang the open), then
    /// makes reads blocking again: a pipe with a writer is read to its end, one without reads as
    /// empty.
    static func openForReading(_ path: String) -> Int32 {
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK)
        if fd >= 0 { _ = Glibc.fcntl(fd, F_SETFL, Glibc.fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        #elseif canImport(Musl)
        let fd = Musl.open(path, O_RDONLY | O_NONBLOCK)
        if fd >= 0 { _ = Musl.fcntl(fd, F_SETFL, Musl.fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        #else
        let fd = Darwin.open(path, O_RDONLY | O_NONBLOCK)
        if fd >= 0 { _ = Darwin.fcntl(fd, F_SETFL, Darwin.fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        #endif
        return fd
    }

    static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    static func read(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        buffer.withUnsafeMutableBytes { b -> Int in
            #if canImport(Glibc)
            return Glibc.read(fd, b.baseAddress, b.count)
            #elseif canImport(Musl)
            return Musl.read(fd, b.baseAddress, b.count)
            #else
            return Darwin.read(fd, b.baseAddress, b.count)
            #endif
        }
    }

    static func kind(_ fd: Int32) -> Kind {
        #if canImport(Glibc)
        var st = Glibc.stat()
        guard Glibc.fstat(fd, &st) == 0 else { return .other }
        #elseif canImport(Musl)
        var st = Musl.stat()
        guard Musl.fstat(fd, &st) == 0 else { return .other }
        #else
        var st = Darwin.stat()
        guard Darwin.fstat(fd, &st) == 0 else { return .other }
        #endif
        if (st.st_mode & S_IFMT) == S_IFDIR { return .directory }
        if (st.st_mode & S_IFMT) == S_IFREG { return .regular(Int(st.st_size)) }
        return .other
    }

    static func interrupted() -> Bool {
        errno == EINTR
    }

    static func lastErrorMessage() -> String {
        #if canImport(Glibc)
        return String(cString: Glibc.strerror(errno))
        #elseif canImport(Musl)
        return String(cString: Musl.strerror(errno))
        #else
        return String(cString: Darwin.strerror(errno))
        #endif
    }
}

// MARK: - Locations and messages

/// A JSON path for messages plus an ordering key (member/element positions) so that problems
/// found in different passes can be reported in file order.
struct ScenarioPath {
    var path: String
    var order: [Int]

    static let root = ScenarioPath(path: "", order: [])

    func key(_ k: String, at position: Int) -> ScenarioPath {
        let component: String
        if ScenarioPath.isIdentifier(k) {
            component = path.isEmpty ? k : "." + k
        } else {
            component = "[" + JSONWriter.quote(k) + "]"
        }
        return ScenarioPath(path: path + component, order: order + [position])
    }

    func index(_ i: Int) -> ScenarioPath {
        ScenarioPath(path: path + "[\(i)]", order: order + [i])
    }

    /// Whether `x` comes before `y` in the file (an enclosing value comes before its members).
    static func precedes(_ x: ScenarioPath, _ y: ScenarioPath) -> Bool {
        x.order.lexicographicallyPrecedes(y.order)
    }

    static func isIdentifier(_ k: String) -> Bool {
        guard let first = k.utf8.first, !(first >= 48 && first <= 57) else { return false }
        for b in k.utf8 {
            let ok = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
            if !ok { return false }
        }
        return true
    }
}

/// A JSON string literal for `s`, shortened if long, for messages (always one line).
func scenarioQuote(_ s: String) -> String {
    if s.count > 64 {
        return JSONWriter.quote(String(s.prefix(64))) + "…"
    }
    return JSONWriter.quote(s)
}

/// "number 5", "string \"x\"", "boolean true", "null", "an array", "an object": for type errors.
func scenarioTyped(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return "boolean \(b)"
    case .number(let n): return "number \(scenarioNumberText(n))"
    case .string(let s): return "string \(scenarioQuote(s))"
    case .array: return "an array"
    case .object: return "an object"
    }
}

/// Numbers and strings as written ("-5", "\"5\""), other values typed: for range/format errors.
func scenarioLiteral(_ v: JSONValue) -> String {
    switch v {
    case .number(let n): return scenarioNumberText(n)
    case .string(let s): return scenarioQuote(s)
    default: return scenarioTyped(v)
    }
}

private func scenarioNumberText(_ n: JSONNumber) -> String {
    n.text.utf8.count > 40 ? String(n.text.prefix(40)) + "…" : n.text
}

extension JSONValue {
    var isNumber: Bool {
        if case .number = self { return true }
        return false
    }
}

/// A JSON object being checked, with its location.
struct CheckedObject {
    let object: JSONObject
    let at: ScenarioPath

    /// The member named `name` and its location.
    func member(_ name: String) -> (value: JSONValue, at: ScenarioPath)? {
        for (i, e) in object.entries.enumerated() where e.key == name {
            return (e.value, at.key(name, at: i))
        }
        return nil
    }

    func has(_ name: String) -> Bool {
        object.entries.contains { $0.key == name }
    }
}

// MARK: - The checker

private struct PeerFields {
    var nat: NATSpec?
    /// Where `nat` is written; nil when it is left out (the default, `none`).
    var natAt: ScenarioPath?
    /// false when `nat` is written but invalid (already reported): it is then unknown, not `none`.
    var natValid = true
    var lan: String?
    var lanAt: ScenarioPath?
    var latency: SimDuration?
    var udp = true
    var behaviour: [AttackKind] = []
    var machine: String?
    var uplink: Int64?
    var downlink: Int64?
    var preloaded = false
    var devtoolsLogging = false
}

/// The first member of a `lan` (with a valid `nat`): the NAT every later member must match.
private struct LanMember {
    var lan: String
    var nat: NATSpec?
    /// `nat` was written. `"none"` and no `nat` are one NAT, but messages say which it was.
    var natGiven: Bool
    /// "peers[1]", "events[3]", for messages.
    var path: String
}

/// An id defined somewhere: initial peer (or group member), `join` event, `duplicateTab.as`.
private struct Definition {
    enum Kind { case initial, joinEvent, tabAs }
    var id: String
    var kind: Kind
    /// Where, for messages: "peers[1]", "peers[2] (member p01)", "events[3]".
    var path: String
    var at: ScenarioPath
    var join: SimDuration
}

/// What an event needs from or does to the set of live peers (`PeerRoster.Step`), with where
/// the file names the peer when a refusal is to be reported there.
private struct PeerEffect {
    var step: PeerRoster.Step
    var at: ScenarioPath?
}

/// A pair in `expect.connected`, `notConnected` or `relayed`, where it is written.
private struct ListedPair {
    var list: String
    var pair: PeerPair
    var at: ScenarioPath
}

/// Who is there at the end of the run, as the event walk sees it.
private struct RunEnd {
    /// Peers certainly not in the mesh at the end (left or crashed and not back, host offline
    /// or page reloading past the end), with why, for messages.
    var gone: [String: String]  // lookup only
    /// Peers whose page is certainly loaded, with its host online, at the end: no `refresh`
    /// or `offline` on it reaches the end.
    var live: Set<String>  // membership only
}

/// What the rest of the file says about the run, for expectations that contradict it.
private struct RunFacts {
    /// nil when unknown: too many peers, no valid `duration`, or broken events.
    var end: RunEnd?
    /// Some `network.turn` or event `turn` is true, or unreadable (so it may be).
    var turnMayBeOn: Bool
    /// Attackers, with where their `behaviour` is given.
    var attackers: [String: String] = [:]  // lookup only
}

private struct CheckedEvent {
    var index: Int
    var at: SimDuration?
    var action: ScenarioAction?
    var effects: [PeerEffect]
}

final class ScenarioChecker {
    let file: String
    private var problems: [(order: [Int], seq: Int, problem: ScenarioProblem)] = []
    /// Groups as declared, in file order, for references written with another zero padding.
    private var groups: [(prefix: String, count: Int, width: Int)] = []
    /// Every id a peer, group member, `join` event or `duplicateTab` defines (membership only).
    private var declaredIds = Set<String>()
    /// `peers` could not be read whole (not an array, an entry not an object, an entry without
    /// a readable id or prefix): any reference might name a peer it meant to define.
    private var peersUnsure = false
    /// Prefixes of groups whose `count` is wrong (reported): their members are unknown.
    private var unsureGroupPrefixes: [String] = []
    /// Ids whose problem is reported (an ambiguous reference, a join or tab id that is a group
    /// member with other zero padding): a reference to them is not reported again as unknown.
    private var alreadyReportedIds = Set<String>()

    /// Whether `id`, defined nowhere, might be a peer a wrong `peers` entry meant to define. Such
    /// a reference is not reported: the entry's own problem is, once (one mistake, one line).
    func mayBeUndefinedPeer(_ id: String) -> Bool {
        if alreadyReportedIds.contains(id) { return true }
        if declaredIds.contains(id) { return false }
        if peersUnsure { return true }
        for p in unsureGroupPrefixes where id.hasPrefix(p) {
            let digits = id.utf8.dropFirst(p.utf8.count)
            if !digits.isEmpty && digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return true }
        }
        return false
    }
    /// The names `duplicateTab` gives its new tabs (`as`), which a traffic flow cannot name
    /// (membership only).
    var tabNames = Set<String>()
    /// The names `machines` defines, in file order; nil when the file has no valid `machines`
    /// object (then a `machine` reference names nothing).
    private var machineNames: [String]?
    /// `network.server.machine` as written, checked once `machines` has been read.
    private var serverMachine: (name: String, at: ScenarioPath)?

    init(file: String) {
        self.file = file
    }

    /// Problems found so far (a reader compares it before and after to know if it found any).
    var problemCount: Int { problems.count }

    func report(_ at: ScenarioPath, _ message: String) {
        problems.append((at.order, problems.count, ScenarioProblem(file: file, path: at.path, message: message)))
    }

    /// Problems in file order (by JSON position), ties in the order found.
    func sortedProblems() -> [ScenarioProblem] {
        problems.sorted { x, y in
            let n = min(x.order.count, y.order.count)
            for i in 0..<n where x.order[i] != y.order[i] {
                return x.order[i] < y.order[i]
            }
            if x.order.count != y.order.count { return x.order.count < y.order.count }
            return x.seq < y.seq
        }.map { $0.problem }
    }

    // MARK: generic readers

    func object(_ v: JSONValue, _ at: ScenarioPath) -> CheckedObject? {
        if case .object(let o) = v { return CheckedObject(object: o, at: at) }
        report(at, "expected an object, got \(scenarioTyped(v))")
        return nil
    }

    func array(_ v: JSONValue, _ at: ScenarioPath) -> [JSONValue]? {
        if case .array(let a) = v { return a }
        report(at, "expected an array, got \(scenarioTyped(v))")
        return nil
    }

    func string(_ v: JSONValue, _ at: ScenarioPath) -> String? {
        if case .string(let s) = v { return s }
        report(at, "expected a string, got \(scenarioTyped(v))")
        return nil
    }

    func nonEmptyString(_ v: JSONValue, _ at: ScenarioPath) -> String? {
        guard let s = string(v, at) else { return nil }
        if s.isEmpty {
            report(at, "expected a non-empty string, got \"\"")
            return nil
        }
        return s
    }

    func bool(_ v: JSONValue, _ at: ScenarioPath) -> Bool? {
        if case .bool(let b) = v { return b }
        report(at, "expected true or false, got \(scenarioTyped(v))")
        return nil
    }

    /// A duration string bounded as a table field says (ScenarioFields.swift).
    func duration(_ v: JSONValue, _ at: ScenarioPath, _ bound: DurationBound) -> SimDuration? {
        switch bound {
        case .any: return duration(v, at)
        case .positive: return duration(v, at, positive: true)
        case .atLeastMillisecond: return duration(v, at, positive: true, atLeast: nsPerMs)
        }
    }

    /// A duration string; `positive` rejects zero, `minimum` anything shorter.
    func duration(_ v: JSONValue, _ at: ScenarioPath, positive: Bool = false, atLeast minimum: SimDuration = 0) -> SimDuration? {
        guard case .string(let s) = v else {
            report(at, "expected a duration such as \"250ms\", got \(scenarioLiteral(v))")
            return nil
        }
        switch DurationText.parse(s) {
        case .success(let d):
            if positive && d == 0 {
                report(at, "expected a duration greater than 0, got \(scenarioQuote(s))")
                return nil
            }
            if d < minimum {
                report(at, "expected a duration of at least \(DurationText.format(minimum)), got \(scenarioQuote(s))")
                return nil
            }
            return d
        case .failure(.malformed):
            report(at, "expected a duration such as \"250ms\", got \(scenarioQuote(s))")
        case .failure(.finerThanNanosecond):
            report(at, "expected a whole number of nanoseconds, got \(scenarioQuote(s))")
        case .failure(.tooLong):
            report(at, "expected a duration of at most 30 days, got \(scenarioQuote(s))")
        }
        return nil
    }

    /// An integer literal (no fraction, no exponent) within `range`.
    func integer(_ v: JSONValue, _ at: ScenarioPath, _ range: ClosedRange<Int64>, expected: String? = nil) -> Int64? {
        if case .number(let n) = v, let i = n.int64, range.contains(i) {
            return i
        }
        let what = expected ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        // A number out of range or with a fraction is shown as written; another type, typed.
        report(at, "expected \(what), got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
        return nil
    }

    /// Reports every member of `o` that `table` (ScenarioFields.swift) does not have.
    func checkFields(_ o: CheckedObject, _ table: ScenarioTable) {
        let allowed = table.fieldNames
        for (i, e) in o.object.entries.enumerated() where !allowed.contains(e.key) {
            report(o.at.key(e.key, at: i), "unknown field (expected one of: \(table.listedNames.joined(separator: ", ")))")
        }
    }

    func missing(_ o: CheckedObject, _ name: String) {
        report(o.at, "missing required field \"\(name)\"")
    }

    static func isValidId(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= ScenarioLoader.maxIdLength else { return false }
        for b in s.utf8 {
            let ok = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }

    static let idRule = "1 to 64 characters from A-Z a-z 0-9 . _ -"

    /// The peer a reference means: itself when some peer has that id; otherwise the group member
    /// with that prefix and index written with other zero padding (`p007` or `p7` for `p07` in a
    /// group of 98: CONTRACT's own example names `p007` there). Anything else is left as written,
    /// to be reported as unknown.
    /// A reference that fits members of two groups (`p0001`: `p` + 0001 and `p0` + 001) is
    /// reported at `at` as ambiguous and left as written (and not reported again as unknown).
    func resolvePeer(_ id: String, at: ScenarioPath) -> String {
        if declaredIds.contains(id) { return id }
        let members = paddingTwins(of: id)
        if members.count > 1 {
            report(at, "\(scenarioQuote(id)) is ambiguous: it may mean \(members.joined(separator: " or ")) (other zero padding of a group member); write the id exactly")
            alreadyReportedIds.insert(id)
            return id
        }
        return members.first ?? id
    }

    /// The group members `id` names with other zero padding, in group order (no repeats).
    func paddingTwins(of id: String) -> [String] {
        var found: [String] = []
        for g in groups where id.hasPrefix(g.prefix) {
            let digits = id.utf8.dropFirst(g.prefix.utf8.count)
            guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let k = Int(String(decoding: digits, as: UTF8.self)), k >= 1, k <= g.count else { continue }
            let n = String(k)
            let canonical = g.prefix + String(repeating: "0", count: g.width - n.count) + n
            if canonical != id && declaredIds.contains(canonical) && !found.contains(canonical) { found.append(canonical) }
        }
        return found
    }

    /// Ids that `join` events and `duplicateTab` events define, read ahead of checking the
    /// events so that a reference resolves the same wherever its definition sits in the file.
    private func declareEventIds(_ list: [JSONValue]) {
        for e in list {
            guard case .object(let o) = e, case .string(let kind)? = o["do"] else { continue }
            let field = kind == "join" ? "peer" : (kind == "duplicateTab" ? "as" : nil)
            if let field, case .string(let id)? = o[field] {
                declaredIds.insert(id)
                if kind == "duplicateTab" { tabNames.insert(id) }
            }
        }
    }

    /// A peer id being defined (peer, join event, duplicateTab `as`).
    func peerId(_ v: JSONValue, _ at: ScenarioPath) -> String? {
        guard let s = string(v, at) else { return nil }
        if !ScenarioChecker.isValidId(s) {
            report(at, "invalid peer id \(scenarioQuote(s)) (use \(ScenarioChecker.idRule))")
        }
        return s
    }

    // MARK: top level

    func check(_ root: JSONValue) -> Scenario? {
        guard case .object(let rootObject) = root else {
            report(.root, "expected a JSON object at the top level, got \(scenarioTyped(root))")
            return nil
        }
        let top = CheckedObject(object: rootObject, at: .root)
        checkFields(top, ScenarioFormat.top)
        // `$schema` names the JSON Schema for editors (docs/scenario.schema.json); it changes nothing.
        if let (v, at) = top.member("$schema") { _ = string(v, at) }

        var name: String?
        if let (v, at) = top.member("name") { name = nonEmptyString(v, at) } else { missing(top, "name") }
        var description: String?
        if let (v, at) = top.member("description") { description = string(v, at) }
        var seed: UInt64 = 1
        if let (v, at) = top.member("seed") {
            if case .number(let n) = v, let u = n.uint64 {
                seed = u
            } else {
                report(at, "expected an integer from 0 to \(UInt64.max), got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
            }
        }
        var duration: SimDuration?
        if let (v, at) = top.member("duration") { duration = self.duration(v, at, positive: true) } else { missing(top, "duration") }
        var policy = "seed"
        var policyObject: PolicySpec?
        if let (v, at) = top.member("policy") {
            switch v {
            case .object(let o):
                policyObject = policySpec(CheckedObject(object: o, at: at), defaultName: "custom")
                policy = policyObject?.name ?? policy
            case .string:
                if let p = nonEmptyString(v, at) { policy = p }
            default:
                report(at, "expected a policy name or a policy object, got \(scenarioTyped(v))")
            }
        }

        var network = NetworkSettings()
        if let (v, at) = top.member("network"), let o = object(v, at) {
            network = networkPatch(o).applied(to: network)
        }
        var machines: [MachineSpec] = []
        if let (v, at) = top.member("machines"), let o = object(v, at) {
            machines = checkMachines(o)
        }
        if let (name, at) = serverMachine, checkMachineRef(name, at) { network.serverMachine = name }

        var definitions: [Definition] = []
        var lans: [LanMember] = []
        var peers: [PeerSpec] = []
        var tooManyPeers = false
        if let (v, at) = top.member("peers") {
            if let list = array(v, at) {
                if list.isEmpty {
                    report(at, "expected at least one peer, got an empty array")
                }
                (peers, tooManyPeers) = checkPeers(list, at, runEnd: duration, definitions: &definitions, lans: &lans)
            } else {
                peersUnsure = true
            }
        } else {
            missing(top, "peers")
        }

        for d in definitions { declaredIds.insert(d.id) }
        var checkedEvents: [CheckedEvent] = []
        /// Every event an object with a valid time and action: only then does the walk below
        /// know who is there at the end (a broken event could be the one bringing a peer back).
        var eventsSound = true
        if let (v, at) = top.member("events") {
            if let list = array(v, at) {
                declareEventIds(list)
                for (i, e) in list.enumerated() {
                    if let ce = checkEvent(e, at.index(i), runEnd: duration, definitions: &definitions, lans: &lans) {
                        checkedEvents.append(ce)
                        if ce.at == nil || ce.action == nil { eventsSound = false }
                    } else {
                        eventsSound = false
                    }
                }
            } else {
                eventsSound = false
            }
        }
        // Stable sort: by time, file order for equal times.
        checkedEvents.sort { ($0.at ?? 0, $0.index) < ($1.at ?? 0, $1.index) }

        var end: RunEnd?
        if !tooManyPeers {
            checkUniqueTabs(definitions)
            let before = problems.count
            let walked = checkLiveness(checkedEvents, definitions, runEnd: duration)
            // A walk that met a peer missing (reported) or broken events says nothing reliable
            // about the end; expectations are then not held against it (no follow-on problems).
            // Nor does one over peers that a wrong `peers` entry leaves unknown.
            let peersSound = !peersUnsure && unsureGroupPrefixes.isEmpty
            if eventsSound && peersSound && problems.count == before { end = walked }
        }

        // The simulator makes a peer an attacker for the whole run if any of its definitions
        // has a behaviour (Simulation.init), so the first such definition is the one named.
        var attackers: [String: String] = [:]  // lookup only
        for p in peers where !p.behaviour.isEmpty && attackers[p.id] == nil {
            attackers[p.id] = p.path
        }
        for ce in checkedEvents.sorted(by: { $0.index < $1.index }) {
            if case .join(let p)? = ce.action, !p.behaviour.isEmpty, attackers[p.id] == nil {
                attackers[p.id] = p.path
            }
        }

        var traffic: [TrafficFlow] = []
        var dataFlowWritten = false, mediaFlowWritten = false
        if let (v, at) = top.member("traffic"), let list = array(v, at) {
            var known = Set<String>()  // membership only
            for d in definitions { known.insert(d.id) }
            traffic = checkTraffic(list, at, runEnd: duration, known: known, attackers: attackers)
            // Written, even if wrong (and reported): one mistake, one problem.
            for e in list {
                if case .object(let f) = e, f["audio"] != nil || f["video"] != nil { mediaFlowWritten = true } else { dataFlowWritten = true }
            }
        }

        var expect = Expectations()
        if let (v, at) = top.member("expect"), let o = object(v, at) {
            var facts = RunFacts(end: end, turnMayBeOn: ScenarioChecker.turnMayBeOn(top))
            facts.attackers = attackers
            expect = checkExpect(o, definitions, skipPeerChecks: tooManyPeers, facts: facts)
            for name in ["dataDelivered", "maxDataLatency"] where !dataFlowWritten {
                if let (_, a) = o.member(name) { report(a, "needs traffic to judge, and the scenario has no data flow in `traffic`") }
            }
            if !mediaFlowWritten, let (_, a) = o.member("maxUplinkUtilisation") {
                report(a, "needs media to judge, and the scenario has no media flow (audio, video) in `traffic`")
            }
        }

        guard let name = name, let duration = duration else { return nil }
        var events: [ScenarioEvent] = []
        for ce in checkedEvents {
            guard let t = ce.at, let action = ce.action else { return nil }
            events.append(ScenarioEvent(at: t, action: action, path: "events[\(ce.index)]"))
        }
        var scenario = Scenario(file: file, name: name, description: description, seed: seed, duration: duration,
                                policy: policy, network: network, peers: peers, events: events, expect: expect)
        scenario.machines = machines
        scenario.policyObject = policyObject
        scenario.traffic = traffic
        return scenario
    }

    /// Whether a TURN server may be on at some moment of the run: `network.turn` or some
    /// event's `turn` is true. Read from the file as written, so that a value or event that is
    /// itself wrong (and reported) counts as "may", never as "no TURN": one mistake, one problem.
    static func turnMayBeOn(_ top: CheckedObject) -> Bool {
        func may(_ v: JSONValue?) -> Bool {
            guard let v = v else { return false }
            if case .bool(let b) = v { return b }
            return true
        }
        if let (v, _) = top.member("network") {
            guard case .object(let n) = v else { return true }
            if may(n["turn"]) { return true }
        }
        if let (v, _) = top.member("events") {
            guard case .array(let list) = v else { return true }
            for e in list {
                guard case .object(let o) = e else { return true }
                if may(o["turn"]) { return true }
            }
        }
        return false
    }

    // MARK: network

    /// Where each `network.ice` field of the table (ScenarioFields.swift: its name, type and
    /// bounds; every timer at least a millisecond except `gatheringDelay`) goes in an `ICEPatch`.
    static let iceDurationFields: [String: WritableKeyPath<ICEPatch, SimDuration?>] = [  // lookup only
        "weakPingInterval": \.weakPingInterval,
        "strongPingInterval": \.strongPingInterval,
        "stablePingInterval": \.stablePingInterval,
        "weakOrStabilizingPingInterval": \.weakOrStabilizingPingInterval,
        "receivingTimeout": \.receivingTimeout,
        "unwritableTimeout": \.unwritableTimeout,
        "inactiveTimeout": \.inactiveTimeout,
        "deadConnectionTimeout": \.deadConnectionTimeout,
        "stunInitialRTO": \.stunInitialRTO,
        "gatheringDelay": \.gatheringDelay,
        "gatheringStepDelay": \.gatheringStepDelay,
    ]
    static let iceIntegerFields: [String: WritableKeyPath<ICEPatch, Int?>] = [  // lookup only
        "unwritableMinChecks": \.unwritableMinChecks,
        "stunMaxRetransmissions": \.stunMaxRetransmissions,
        "maxPeerConnections": \.maxPeerConnections,
    ]

    /// The network fields of `o`; `checkUnknown` false when the caller checked the fields.
    /// `inEvent`: a `network` event, where an empty `server` or `ice` object changes nothing
    /// and is refused (at the top level it just keeps the defaults).
    func networkPatch(_ o: CheckedObject, checkUnknown: Bool = true, inEvent: Bool = false) -> NetworkPatch {
        if checkUnknown { checkFields(o, ScenarioFormat.network) }
        var p = NetworkPatch()
        if let (v, at) = o.member("latency") { p.latency = duration(v, at) }
        if let (v, at) = o.member("jitter") { p.jitter = duration(v, at) }
        if let (v, at) = o.member("loss") {
            if case .number(let n) = v, n.double >= 0, n.double <= 1 {
                p.loss = n.double
            } else {
                report(at, "expected a number from 0 to 1, got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
            }
        }
        if let (v, at) = o.member("stun") { p.stun = bool(v, at) }
        if let (v, at) = o.member("turn") { p.turn = bool(v, at) }
        // A `network` event takes neither (the top level only): already reported as unknown
        // fields there, they get no second, contradictory message about their values.
        if !inEvent {
            if let (v, at) = o.member("turnRelayAddresses"), let n = integer(v, at, 1...64) { p.turnRelayAddresses = Int(n) }
            if let (v, at) = o.member("uplink") { p.uplink = integer(v, at, 1_000...100_000_000_000) }
            if let (v, at) = o.member("downlink") { p.downlink = integer(v, at, 1_000...100_000_000_000) }
        }
        if let (v, at) = o.member("server"), let s = object(v, at) {
            if inEvent && s.object.entries.isEmpty {
                report(at, "an empty server object changes nothing: give its latency, or leave server out")
            }
            checkFields(s, ScenarioFormat.server)
            if let (v, at) = s.member("latency") { p.serverLatency = duration(v, at) }
            if let (v, at) = s.member("machine") {
                if inEvent {
                    report(at, "the server's machine is fixed for the run: give it in the top-level network")
                } else if let name = nonEmptyString(v, at) {
                    serverMachine = (name, at)
                }
            }
        }
        if let (v, at) = o.member("ice"), let ice = object(v, at) {
            if inEvent && ice.object.entries.isEmpty {
                report(at, "an empty ice object changes nothing: give at least one ICE field, or leave ice out")
            }
            checkFields(ice, ScenarioFormat.ice)
            for f in ScenarioFormat.ice.fields {
                guard let (v, at) = ice.member(f.name) else { continue }
                switch f.type {
                case .duration(let bound):
                    guard let keyPath = ScenarioChecker.iceDurationFields[f.name] else { preconditionFailure("network.ice.\(f.name): no ICEPatch field") }
                    p.ice[keyPath: keyPath] = duration(v, at, bound)
                case .integer(let min, let max):
                    guard let keyPath = ScenarioChecker.iceIntegerFields[f.name] else { preconditionFailure("network.ice.\(f.name): no ICEPatch field") }
                    if let i = integer(v, at, min...Int64(clamping: max)) { p.ice[keyPath: keyPath] = Int(i) }
                default:
                    preconditionFailure("network.ice.\(f.name): only durations and integers are read")
                }
            }
        }
        return p
    }

    // MARK: peers

    /// `nat`: returns (ok, spec); spec nil with ok true is `"none"`.
    func nat(_ v: JSONValue, _ at: ScenarioPath) -> (ok: Bool, spec: NATSpec?) {
        switch v {
        case .string(let s):
            if s == "none" { return (true, nil) }
            for n in NATSpec.named where n.name == s { return (true, n.spec) }
            report(at, "unknown NAT \(scenarioQuote(s)) (expected one of: \(ScenarioFormat.natNames.joined(separator: ", ")), or {\"mapping\": M, \"filtering\": F})")
            return (false, nil)
        case .object(let obj):
            let o = CheckedObject(object: obj, at: at)
            checkFields(o, ScenarioFormat.natObject)
            var mapping: NATBehaviour?
            var filtering: NATBehaviour?
            for (field, isMapping) in [("mapping", true), ("filtering", false)] {
                guard let (v, at) = o.member(field) else {
                    missing(o, field)
                    continue
                }
                guard let s = string(v, at) else { continue }
                if let b = NATBehaviour(rawValue: s) {
                    if isMapping { mapping = b } else { filtering = b }
                } else {
                    let names = NATBehaviour.allCases.map { $0.rawValue }.joined(separator: ", ")
                    report(at, "unknown \(field) \(scenarioQuote(s)) (expected one of: \(names))")
                }
            }
            var lifetime: SimDuration? = 120 * nsPerSecond
            if let (v, at) = o.member("mappingLifetime") {
                lifetime = duration(v, at, positive: true)
            }
            if let m = mapping, let f = filtering, let l = lifetime {
                return (true, NATSpec(mapping: m, filtering: f, mappingLifetime: l))
            }
            return (false, nil)
        default:
            report(at, "expected a NAT name or a {\"mapping\": M, \"filtering\": F} object, got \(scenarioTyped(v))")
            return (false, nil)
        }
    }

    private func peerFields(_ o: CheckedObject) -> PeerFields {
        var f = PeerFields()
        if let (v, at) = o.member("nat") {
            (f.natValid, f.nat) = nat(v, at)
            f.natAt = at
        }
        if let (v, at) = o.member("lan") {
            f.lan = nonEmptyString(v, at)
            f.lanAt = at
        }
        if let (v, at) = o.member("latency") { f.latency = duration(v, at) }
        if let (v, at) = o.member("udp"), let b = bool(v, at) { f.udp = b }
        if let (v, at) = o.member("preloaded"), let b = bool(v, at) { f.preloaded = b }
        if let (v, at) = o.member("devtoolsLogging"), let b = bool(v, at) { f.devtoolsLogging = b }
        if let (v, at) = o.member("uplink") { f.uplink = integer(v, at, 1_000...100_000_000_000) }
        if let (v, at) = o.member("downlink") { f.downlink = integer(v, at, 1_000...100_000_000_000) }
        if let (v, at) = o.member("behaviour") { f.behaviour = behaviour(v, at) }
        if let (v, at) = o.member("machine"), let name = nonEmptyString(v, at), checkMachineRef(name, at) {
            f.machine = name
        }
        return f
    }

    /// Whether `name` is a machine `machines` defines; reports it at `at` if not.
    private func checkMachineRef(_ name: String, _ at: ScenarioPath) -> Bool {
        if let names = machineNames, names.contains(name) { return true }
        if let names = machineNames, !names.isEmpty {
            report(at, "unknown machine \(scenarioQuote(name)) (expected one of: \(names.joined(separator: ", ")))")
        } else {
            report(at, "unknown machine \(scenarioQuote(name)) (the file's `machines` defines none)")
        }
        return false
    }

    /// `machines`: name → `{"cores": N, "speed": S}` (docs/scenario-format.md, "machines").
    private func checkMachines(_ o: CheckedObject) -> [MachineSpec] {
        var specs: [MachineSpec] = []
        var names: [String] = []
        for (i, e) in o.object.entries.enumerated() {
            let at = o.at.key(e.key, at: i)
            names.append(e.key)
            guard ScenarioChecker.isValidId(e.key) else {
                report(at, "a machine name must be \(ScenarioChecker.idRule)")
                continue
            }
            guard let m = object(e.value, at) else { continue }
            checkFields(m, ScenarioFormat.machine)
            var spec = MachineSpec(name: e.key)
            var valid = true
            if let (v, at) = m.member("cores") {
                if let n = integer(v, at, 1...256) { spec.cores = Int(n) } else { valid = false }
            } else {
                missing(m, "cores")
                valid = false
            }
            if let (v, at) = m.member("speed") {
                if case .number(let n) = v, n.double > 0, n.double <= 100 {
                    spec.speed = n.double
                } else {
                    report(at, "expected a number above 0 and at most 100, got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
                    valid = false
                }
            }
            if valid { specs.append(spec) }
        }
        machineNames = names
        return specs
    }

    /// `behaviour`: a list of distinct attack names (an extension; docs/scenario-format.md).
    func behaviour(_ v: JSONValue, _ at: ScenarioPath) -> [AttackKind] {
        guard let list = array(v, at) else { return [] }
        var kinds: [AttackKind] = []
        for (i, e) in list.enumerated() {
            guard let name = string(e, at.index(i)) else { continue }
            guard let kind = AttackKind(rawValue: name) else {
                report(at.index(i), "unknown behaviour \(scenarioQuote(name)) (expected one of: \(AttackKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if kinds.contains(kind) {
                report(at.index(i), "behaviour \(scenarioQuote(name)) is listed twice")
                continue
            }
            kinds.append(kind)
        }
        return kinds
    }

    /// Peers on one `lan` sit behind one NAT (the simulator builds the LAN's NAT from whichever
    /// member comes first and never looks at the others' `nat`), so every member must describe
    /// the same NAT, `none` (written or left out) included. NATs compare by what they do
    /// (mapping, filtering, mapping lifetime), not by how they are written: `"fullCone"` and
    /// `{"mapping": "endpointIndependent", "filtering": "endpointIndependent"}` are one NAT.
    /// A member whose `nat` is invalid (already reported) is compared with nobody.
    private func checkLan(_ f: PeerFields, path: String, lans: inout [LanMember]) {
        guard let lan = f.lan, let lanAt = f.lanAt, f.natValid else { return }
        guard let first = lans.first(where: { $0.lan == lan }) else {
            lans.append(LanMember(lan: lan, nat: f.nat, natGiven: f.natAt != nil, path: path))
            return
        }
        if first.nat == f.nat { return }
        // Show the lifetime only when it differs: otherwise it is noise.
        let lifetime = first.nat != nil && f.nat != nil && first.nat?.mappingLifetime != f.nat?.mappingLifetime
        func text(_ nat: NATSpec?, given: Bool) -> String {
            if let nat = nat { return nat.comparisonText(lifetime: lifetime) }
            return given ? "none (a public address)" : "none (no nat given: a public address)"
        }
        let firstText = text(first.nat, given: first.natGiven)
        let thisText = text(f.nat, given: f.natAt != nil)
        report(f.natAt ?? lanAt, "peers on lan \(scenarioQuote(lan)) sit behind one NAT; \(first.path) has \(firstText), this one \(thisText)")
    }

    private func checkPeers(_ list: [JSONValue], _ at: ScenarioPath, runEnd: SimDuration?,
                            definitions: inout [Definition],
                            lans: inout [LanMember]) -> ([PeerSpec], Bool) {
        var peers: [PeerSpec] = []
        var firstDefinition: [String: String] = [:]  // lookup only
        var total = 0
        var tooMany = false
        for (i, entry) in list.enumerated() {
            let entryAt = at.index(i)
            guard let o = object(entry, entryAt) else {
                peersUnsure = true
                continue
            }
            let path = "peers[\(i)]"
            let isGroup = (o.has("count") || o.has("idPrefix")) && !o.has("id")
            if !isGroup {
                checkFields(o, ScenarioFormat.peer)
                var id: String?
                var idAt = entryAt
                if let (v, a) = o.member("id") {
                    id = peerId(v, a)
                    idAt = a
                } else {
                    report(entryAt, "missing required field \"id\" (or \"count\" and \"idPrefix\" for a group)")
                }
                var join: SimDuration = 0
                var joinAt = entryAt
                if let (v, a) = o.member("join") {
                    join = duration(v, a) ?? 0
                    joinAt = a
                }
                if let end = runEnd, join >= end {
                    report(joinAt, "joins at \(DurationText.format(join)), at or after the run's end (\(DurationText.format(end)))")
                }
                let f = peerFields(o)
                checkLan(f, path: path, lans: &lans)
                guard let id = id else {
                    peersUnsure = true
                    continue
                }
                if let previous = firstDefinition[id] {
                    report(idAt, "peer id \(scenarioQuote(id)) is already defined at \(previous)")
                } else {
                    firstDefinition[id] = path
                }
                total += 1
                if total > ScenarioLoader.maxPeers {
                    if !tooMany {
                        report(entryAt, "too many peers: more than \(ScenarioLoader.maxPeers) after expanding groups")
                    }
                    tooMany = true
                    continue
                }
                peers.append(PeerSpec(id: id, join: join, nat: f.nat, lan: f.lan, latency: f.latency, udp: f.udp, machine: f.machine, path: path).with(behaviour: f.behaviour).with(uplink: f.uplink, downlink: f.downlink).with(preloaded: f.preloaded, devtoolsLogging: f.devtoolsLogging))
                definitions.append(Definition(id: id, kind: .initial, path: path, at: idAt, join: join))
            } else {
                checkFields(o, ScenarioFormat.group)
                var count: Int?
                if let (v, a) = o.member("count") {
                    count = integer(v, a, 1...Int64(ScenarioLoader.maxGroupCount)).map { Int($0) }
                } else {
                    missing(o, "count")
                }
                var prefix: String?
                var prefixAt = entryAt
                if let (v, a) = o.member("idPrefix") {
                    prefixAt = a
                    if let s = string(v, a) {
                        prefix = s
                        if s.isEmpty || !ScenarioChecker.isValidId(s) {
                            report(a, "invalid id prefix \(scenarioQuote(s)) (use \(ScenarioChecker.idRule))")
                        } else if let c = count, s.utf8.count + String(c).count > ScenarioLoader.maxIdLength {
                            report(a, "member ids would be longer than \(ScenarioLoader.maxIdLength) characters")
                        }
                    }
                } else {
                    missing(o, "idPrefix")
                }
                var start: SimDuration = 0
                var every: SimDuration = 0
                var joinAt = entryAt
                if let (v, a) = o.member("join") {
                    joinAt = a
                    switch v {
                    case .string:
                        start = duration(v, a) ?? 0
                    case .object(let jo):
                        let j = CheckedObject(object: jo, at: a)
                        checkFields(j, ScenarioFormat.joinSchedule)
                        if let (v, a) = j.member("start") { start = duration(v, a) ?? 0 }
                        if let (v, a) = j.member("every") { every = duration(v, a) ?? 0 }
                    default:
                        report(a, "expected a duration or {\"start\": D, \"every\": D}, got \(scenarioLiteral(v))")
                    }
                }
                let f = peerFields(o)
                checkLan(f, path: path, lans: &lans)
                guard let c = count, let p = prefix else {
                    if let p = prefix { unsureGroupPrefixes.append(p) } else { peersUnsure = true }
                    continue
                }
                let width = String(c).count
                func memberId(_ k: Int) -> String {
                    let n = String(k)
                    return p + String(repeating: "0", count: width - n.count) + n
                }
                // The first member (if any) joining at or after the end.
                if let end = runEnd {
                    var late: Int?
                    if start >= end {
                        late = 0
                    } else if every > 0 {
                        let k = (end - start + every - 1) / every
                        if k < c { late = Int(k) }
                    }
                    if let k = late {
                        report(joinAt, "member \(memberId(k + 1)) joins at \(DurationText.format(start + SimDuration(k) * every)), at or after the run's end (\(DurationText.format(end)))")
                    }
                }
                if total + c > ScenarioLoader.maxPeers {
                    if !tooMany {
                        report(entryAt, "too many peers: more than \(ScenarioLoader.maxPeers) after expanding groups")
                    }
                    tooMany = true
                    total += c
                    continue
                }
                total += c
                groups.append((p, c, width))
                var reportedCollision = false
                for k in 1...c {
                    let id = memberId(k)
                    let memberPath = "\(path) (member \(id))"
                    if let previous = firstDefinition[id] {
                        if !reportedCollision {
                            report(prefixAt, "member id \(scenarioQuote(id)) is already defined at \(previous)")
                            reportedCollision = true
                        }
                    } else {
                        firstDefinition[id] = memberPath
                    }
                    let (m, o1) = SimDuration(k - 1).multipliedReportingOverflow(by: every)
                    let (t, o2) = start.addingReportingOverflow(m)
                    let join = (o1 || o2) ? SimDuration.max : t
                    peers.append(PeerSpec(id: id, join: join, nat: f.nat, lan: f.lan, latency: f.latency, udp: f.udp, machine: f.machine, path: memberPath).with(behaviour: f.behaviour).with(uplink: f.uplink, downlink: f.downlink).with(preloaded: f.preloaded, devtoolsLogging: f.devtoolsLogging))
                    definitions.append(Definition(id: id, kind: .initial, path: memberPath, at: prefixAt, join: join))
                }
            }
        }
        return (peers, tooMany)
    }

    // MARK: events

    private func checkEvent(_ v: JSONValue, _ at: ScenarioPath, runEnd: SimDuration?,
                            definitions: inout [Definition],
                            lans: inout [LanMember]) -> CheckedEvent? {
        guard let o = object(v, at) else { return nil }
        let index = at.order.last ?? 0
        let path = "events[\(index)]"
        var time: SimDuration?
        if let (v, a) = o.member("at") {
            time = duration(v, a)
            if let t = time, let end = runEnd, t >= end {
                report(a, "\(DurationText.format(t)) is at or after the run's end (\(DurationText.format(end)))")
            }
        } else {
            missing(o, "at")
        }
        guard let (dv, da) = o.member("do") else {
            missing(o, "do")
            return CheckedEvent(index: index, at: time, action: nil, effects: [])
        }
        guard let kind = string(dv, da) else {
            return CheckedEvent(index: index, at: time, action: nil, effects: [])
        }
        guard ScenarioAction.kindNames.contains(kind) else {
            report(da, "unknown event \(scenarioQuote(kind)) (expected one of: \(ScenarioAction.kindNames.joined(separator: ", ")))")
            return CheckedEvent(index: index, at: time, action: nil, effects: [])
        }
        if let table = ScenarioFormat.event(kind) { checkFields(o, table) }

        var effects: [PeerEffect] = []
        /// The `peer` an event names (it must be alive then).
        func namedPeer() -> String? {
            guard let (v, a) = o.member("peer") else {
                missing(o, "peer")
                return nil
            }
            guard let written = string(v, a) else { return nil }
            let s = resolvePeer(written, at: a)
            effects.append(PeerEffect(step: .needAlive(s), at: a))
            return s
        }
        func optionalDuration(_ name: String, _ d: SimDuration) -> SimDuration? {
            guard let (v, a) = o.member(name) else { return d }
            return duration(v, a)
        }
        func requiredDuration(_ name: String, positive: Bool = false) -> SimDuration? {
            guard let (v, a) = o.member(name) else {
                missing(o, name)
                return nil
            }
            return duration(v, a, positive: positive)
        }

        var action: ScenarioAction?
        switch kind {
        case "join":
            var id: String?
            if let (v, a) = o.member("peer") {
                id = peerId(v, a)
                if let id = id, let member = paddingTwins(of: id).first {
                    // Else `p01` beside a member `p1` would be a second peer that every
                    // reference written `p01` or `p001` could mean.
                    report(a, "\(scenarioQuote(id)) is group member \(member) written with other zero padding; a join names a peer by its exact id (\(scenarioQuote(member)) to bring it back, or an id no member has)")
                    alreadyReportedIds.insert(id)
                    return CheckedEvent(index: index, at: time, action: nil, effects: [])
                }
                if let id = id {
                    effects.append(PeerEffect(step: .create(id), at: a))
                    definitions.append(Definition(id: id, kind: .joinEvent, path: path, at: a, join: time ?? 0))
                }
            } else {
                missing(o, "peer")
            }
            let f = peerFields(o)
            checkLan(f, path: path, lans: &lans)
            if let id = id {
                var spec = PeerSpec(id: id, join: time ?? 0, nat: f.nat, lan: f.lan, latency: f.latency, udp: f.udp, machine: f.machine, path: path).with(behaviour: f.behaviour).with(uplink: f.uplink, downlink: f.downlink).with(preloaded: f.preloaded, devtoolsLogging: f.devtoolsLogging)
                spec.newHost = ["nat", "lan", "latency", "udp", "uplink", "downlink"].contains { o.has($0) }
                action = .join(spec)
            }
        case "refresh":
            let p = namedPeer()
            let downtime = optionalDuration("downtime", ScenarioAction.defaultRefreshDowntime)
            var clean: Bool? = true
            if let (v, a) = o.member("clean") { clean = bool(v, a) }
            if let p = p, let d = downtime, let c = clean { action = .refresh(peer: p, downtime: d, clean: c) }
        case "duplicateTab":
            let p = namedPeer()
            var tab: String?
            if let (v, a) = o.member("as") {
                tab = peerId(v, a)
                if let t = tab, let member = paddingTwins(of: t).first {
                    report(a, "\(scenarioQuote(t)) is group member \(member) written with other zero padding; `as` needs an id no peer has")
                    alreadyReportedIds.insert(t)
                    return CheckedEvent(index: index, at: time, action: nil, effects: [])
                }
                if let t = tab {
                    effects.append(PeerEffect(step: .createTab(t, from: p)))
                    definitions.append(Definition(id: t, kind: .tabAs, path: path, at: a, join: time ?? 0))
                }
            } else {
                missing(o, "as")
            }
            if let p = p, let t = tab { action = .duplicateTab(peer: p, as: t) }
        case "wsDrop":
            let p = namedPeer()
            let after = optionalDuration("reconnectAfter", ScenarioAction.defaultReconnectAfter)
            if let p = p, let d = after { action = .wsDrop(peer: p, reconnectAfter: d) }
        case "leave":
            if let p = namedPeer() {
                effects.append(PeerEffect(step: .end(p)))
                action = .leave(peer: p)
            }
        case "crash":
            if let p = namedPeer() {
                effects.append(PeerEffect(step: .endHost(p)))
                action = .crash(peer: p)
            }
        case "offline":
            let p = namedPeer()
            // A zero-length outage or partition does nothing at all: almost surely a slip.
            let d = requiredDuration("for", positive: true)
            if let p = p, let d = d { action = .offline(peer: p, for: d) }
        case "partition":
            var pair: (String, String)?
            if let (v, a) = o.member("between") {
                pair = peerPair(v, a) { id, at in effects.append(PeerEffect(step: .needAlive(id), at: at)) }
                if let (x, y) = pair { effects.append(PeerEffect(step: .needTwoHosts(x, y), at: a)) }
            } else {
                missing(o, "between")
            }
            let d = requiredDuration("for", positive: true)
            if let (x, y) = pair, let d = d { action = .partition(a: x, b: y, for: d) }
        case "serverRestart":
            if let d = optionalDuration("downtime", ScenarioAction.defaultServerRestartDowntime) {
                action = .serverRestart(downtime: d)
            }
        case "network":
            // An event that sets nothing changes nothing: a field was forgotten or misplaced.
            // Any other member (even an unknown one, reported as such) counts, so that a typo is
            // one problem, not two.
            if !o.object.entries.contains(where: { $0.key != "at" && $0.key != "do" }) {
                report(at, "a network event must change at least one network field (\((ScenarioFormat.event("network")?.listedNames ?? []).filter { $0 != "at" && $0 != "do" }.joined(separator: ", ")))")
            }
            let patch = networkPatch(o, checkUnknown: false, inEvent: true)
            action = .network(patch)
        default:
            break
        }
        return CheckedEvent(index: index, at: time, action: action, effects: effects)
    }

    /// `[a, b]`: two distinct peer-id strings. `each` sees each valid element.
    func peerPair(_ v: JSONValue, _ at: ScenarioPath, _ each: (String, ScenarioPath) -> Void) -> (String, String)? {
        guard case .array(let a) = v, a.count == 2 else {
            report(at, "expected two peer ids such as [\"a\", \"b\"], got \(scenarioDescribePair(v))")
            return nil
        }
        let x = string(a[0], at.index(0)).map { resolvePeer($0, at: at.index(0)) }
        let y = string(a[1], at.index(1)).map { resolvePeer($0, at: at.index(1)) }
        guard let x = x, let y = y else { return nil }
        if x == y {
            report(at, "expected two different peers, got \(scenarioQuote(x)) twice")
            return nil
        }
        each(x, at.index(0))
        each(y, at.index(1))
        return (x, y)
    }

    private func scenarioDescribePair(_ v: JSONValue) -> String {
        if case .array(let a) = v {
            return a.count == 1 ? "an array of 1 element" : "an array of \(a.count) elements"
        }
        return scenarioTyped(v)
    }

    // MARK: cross-references

    /// A `duplicateTab.as` must be an id used nowhere else in the scenario.
    private func checkUniqueTabs(_ definitions: [Definition]) {
        var byId: [String: [Int]] = [:]  // lookup only; the lists are in definition order
        for (i, d) in definitions.enumerated() { byId[d.id, default: []].append(i) }
        for (i, d) in definitions.enumerated() where d.kind == .tabAs {
            guard let same = byId[d.id], same.count > 1 else { continue }
            // Reported on the later of the two: on this `as` when something defined it before;
            // else on a later `join` of it (a later `as` reports itself).
            if let other = same.first(where: { $0 < i }) {
                report(d.at, "peer id \(scenarioQuote(d.id)) is already defined at \(definitions[other].path)")
                alreadyReportedIds.insert(d.id)
            } else if let later = same.first(where: { $0 > i && definitions[$0].kind != .tabAs }) {
                report(definitions[later].at, "peer id \(scenarioQuote(d.id)) is the tab that \(d.path) opens (duplicateTab `as`); a join cannot reuse it")
                alreadyReportedIds.insert(d.id)
            }
        }
    }

    /// Walks the events in time order through a `PeerRoster` (the rules of who exists when,
    /// shared with the world); with the run's end known, also says who is there at the end (for
    /// expectations that could never hold otherwise).
    private func checkLiveness(_ events: [CheckedEvent], _ definitions: [Definition], runEnd: SimDuration?) -> RunEnd? {
        var initial: [Definition] = definitions.filter { $0.kind == .initial }
        // Stable: by join time, then file order.
        initial = initial.enumerated().sorted { ($0.element.join, $0.offset) < ($1.element.join, $1.offset) }.map { $0.element }
        var initialJoin: [String: Definition] = [:]  // lookup only
        for d in initial where initialJoin[d.id] == nil { initialJoin[d.id] = d }
        var roster = PeerRoster()
        // For the end of the run: why each ended peer is gone, hosts an `offline` leaves offline
        // until the end (or past it), pages a `refresh` leaves unloaded until the end.
        // "Maybe" (the window reaches the end) keeps a peer out of `live`; "past" (it ends after
        // the end) puts it in `gone`: whether something due exactly at the end still happens is
        // left open both ways.
        var gone: [String: String] = [:]  // lookup only
        var offlineMaybe = Set<Int>()  // membership only
        var offlinePast: [Int: String] = [:]  // lookup only
        var reloadingMaybe = Set<String>()  // membership only
        var reloadingPast: [String: String] = [:]  // lookup only
        func placed(_ id: String) {
            gone[id] = nil
            reloadingPast[id] = nil
        }
        var next = 0
        for e in events {
            guard let t = e.at else { continue }
            while next < initial.count && initial[next].join <= t {
                roster.joinInitial(initial[next].id)
                placed(initial[next].id)
                next += 1
            }
            let when = "events[\(e.index)] (\(DurationText.format(t)))"
            for effect in e.effects {
                if case .create(let id) = effect.step, !roster.exists(id), let d = initialJoin[id], d.join > t, let at = effect.at {
                    report(at, "peer \(scenarioQuote(id)) is also defined at \(d.path), which joins later (\(DurationText.format(d.join)))")
                }
                let outcome = roster.take(effect.step)
                switch (outcome.refusal, effect.at) {
                case (.notAlive(let id)?, let at?):
                    if mayBeUndefinedPeer(id) { break }
                    report(at, "no peer \(scenarioQuote(id)) exists at \(DurationText.format(t))")
                case (.alreadyExists(let id)?, let at?):
                    if alreadyReportedIds.contains(id) { break }
                    report(at, "peer \(scenarioQuote(id)) already exists at \(DurationText.format(t))")
                case (.sameHost(let x, let y)?, let at?):
                    report(at, "\(scenarioQuote(x)) and \(scenarioQuote(y)) are tabs on one host (a duplicated tab shares the host of the tab it copies), so there is no network between them to partition")
                default:
                    break
                }
                switch effect.step {
                case .create(let id), .createTab(let id, _):
                    placed(id)
                case .end:
                    for id in outcome.ended { gone[id] = "it leaves at \(when) and does not join again" }
                case .endHost(let id):
                    for other in outcome.ended {
                        gone[other] = (other == id ? "its host crashes" : "its host (shared with \(scenarioQuote(id))) crashes")
                            + " at \(when) and it does not join again"
                    }
                case .needAlive, .needTwoHosts:
                    break
                }
            }
            guard let end = runEnd else { continue }
            switch e.action {
            case .offline(let peer, let d)?:
                guard let h = roster.host(of: peer) else { break }
                let (back, overflow) = t.addingReportingOverflow(d)
                if overflow || back >= end { offlineMaybe.insert(h) }
                if overflow || back > end {
                    offlinePast[h] = "its host goes offline at \(when) for \(DurationText.format(d)), past the end of the run (\(DurationText.format(end)))"
                }
            case .refresh(let peer, let d, _)?:
                let (back, overflow) = t.addingReportingOverflow(d)
                if overflow || back >= end { reloadingMaybe.insert(peer) }
                // Only the peer's latest refresh decides whether a page is loaded at the end.
                reloadingPast[peer] = overflow || back > end
                    ? "it reloads at \(when) with a downtime of \(DurationText.format(d)), so its new page loads after the end of the run (\(DurationText.format(end)))"
                    : nil
            default:
                break
            }
        }
        guard runEnd != nil else { return nil }
        // Every initial peer joins before the end (checked with `peers`).
        while next < initial.count {
            roster.joinInitial(initial[next].id)
            placed(initial[next].id)
            next += 1
        }
        var live = Set<String>()  // membership only
        for d in definitions where roster.exists(d.id) {
            guard let h = roster.host(of: d.id), !roster.isCrashed(host: h) else { continue }
            if let why = offlinePast[h] ?? reloadingPast[d.id] {
                gone[d.id] = why
            } else if !offlineMaybe.contains(h) && !reloadingMaybe.contains(d.id) {
                live.insert(d.id)
            }
        }
        return RunEnd(gone: gone, live: live)
    }

    // MARK: expect

    private func checkExpect(_ o: CheckedObject, _ definitions: [Definition], skipPeerChecks: Bool, facts: RunFacts) -> Expectations {
        checkFields(o, ScenarioFormat.expect)
        var known = Set<String>()  // membership only
        for d in definitions { known.insert(d.id) }
        func checkKnown(_ id: String, _ at: ScenarioPath) {
            if !skipPeerChecks && !known.contains(id) && !mayBeUndefinedPeer(id) {
                report(at, "unknown peer \(scenarioQuote(id))")
            }
        }
        var e = Expectations()
        e.present = o.object.keys.filter { Expectations.fieldNames.contains($0) }
        var fullMeshAt: ScenarioPath?
        if let (v, a) = o.member("fullMesh"), let b = bool(v, a) {
            e.fullMesh = b
            fullMeshAt = a
        }
        var convergedAt: ScenarioPath?
        if let (v, a) = o.member("convergedWithin") {
            e.convergedWithin = duration(v, a)
            if e.convergedWithin != nil { convergedAt = a }
        }
        var listed: [ListedPair] = []
        func pairs(_ name: String) -> [PeerPair] {
            guard let (v, a) = o.member(name), let list = array(v, a) else { return [] }
            var result: [PeerPair] = []
            for (i, p) in list.enumerated() {
                if let (x, y) = peerPair(p, a.index(i), checkKnown) {
                    result.append(PeerPair(x, y))
                    listed.append(ListedPair(list: name, pair: PeerPair(x, y), at: a.index(i)))
                }
            }
            return result
        }
        e.connected = pairs("connected")
        e.notConnected = pairs("notConnected")
        e.relayed = pairs("relayed")
        if let (v, a) = o.member("noRenegotiation"), let list = array(v, a) {
            var firstIndex: [String: Int] = [:]  // lookup only
            for (i, p) in list.enumerated() {
                if let s = string(p, a.index(i)).map({ resolvePeer($0, at: a.index(i)) }) {
                    checkKnown(s, a.index(i))
                    // Written twice (perhaps with other zero padding): a slip, and no second check.
                    if let j = firstIndex[s] {
                        report(a.index(i), "\(scenarioQuote(s)) is already listed at \(a.index(j).path)")
                        continue
                    }
                    firstIndex[s] = i
                    e.noRenegotiation.append(s)
                }
            }
        }
        if let (v, a) = o.member("maxSignalingMessages"),
           let n = integer(v, a, 0...Int64.max) {
            e.maxSignalingMessages = Int(n)
        }
        if let (v, a) = o.member("dataDelivered") {
            if case .number(let n) = v, n.double >= 0, n.double <= 1 {
                e.dataDelivered = n.double
            } else {
                report(a, "expected a fraction from 0 to 1, got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
            }
        }
        if let (v, a) = o.member("maxDataLatency") { e.maxDataLatency = duration(v, a) }
        if let (v, a) = o.member("maxUplinkUtilisation") {
            if case .number(let n) = v, n.double >= 0, n.double <= 1_000 {
                e.maxUplinkUtilisation = n.double
            } else {
                report(a, "expected a number from 0 to 1000 (a fraction of the uplink's capacity), got \(v.isNumber ? scenarioLiteral(v) : scenarioTyped(v))")
            }
        }

        // A mesh that converged is full at the end (`convergedWithin` fails otherwise).
        if let f = fullMeshAt, let c = convergedAt, !e.fullMesh {
            if ScenarioPath.precedes(c, f) {
                report(f, "false contradicts expect.convergedWithin, which needs the mesh to be full at the end of the run")
            } else {
                report(c, "needs the mesh to be full at the end of the run, but expect.fullMesh is false; they cannot both hold")
            }
        }
        var fullMeshBy: String?
        if fullMeshAt != nil && e.fullMesh {
            fullMeshBy = "expect.fullMesh (true)"
        } else if convergedAt != nil && fullMeshAt == nil {
            fullMeshBy = "expect.convergedWithin"
        }
        checkPairs(listed, known: skipPeerChecks ? nil : known, facts: facts, fullMeshBy: fullMeshBy)
        return e
    }

    /// The expectation pairs against each other and against the rest of the file: one pair in
    /// two lists that exclude each other, the same pair twice in one list, a relayed pair
    /// without any TURN server, a pair that cannot be connected at the end (an attacker, or a
    /// peer gone by then) and, when the mesh must be full at the end (`fullMeshBy` names the
    /// field that says so), a `notConnected` pair of two peers that are both in it. Each problem
    /// is reported on the later entry in the file, naming the earlier one.
    private func checkPairs(_ listed: [ListedPair], known: Set<String>?, facts: RunFacts, fullMeshBy: String?) {
        func name(_ id: String) -> String {
            ScenarioChecker.isValidId(id) ? id : scenarioQuote(id)
        }
        let inOrder = listed.sorted { ScenarioPath.precedes($0.at, $1.at) }
        var earlier: [[String]: [ListedPair]] = [:]  // lookup only; each list in file order
        for entry in inOrder {
            let (a, b) = (entry.pair.a, entry.pair.b)
            let key = a < b ? [a, b] : [b, a]
            for prior in earlier[key] ?? [] {
                if prior.list == entry.list {
                    report(entry.at, "\(name(a)) and \(name(b)) are already listed in \(prior.at.path)")
                    break
                }
                // connected with relayed is redundant (a relayed pair is connected), not wrong.
                guard prior.list == "notConnected" || entry.list == "notConnected" else { continue }
                let why = prior.list == "relayed" || entry.list == "relayed"
                    ? "a relayed pair is connected, so it cannot be both" : "a pair cannot be both"
                report(entry.at, "\(name(a)) and \(name(b)) are also listed in \(prior.at.path); \(why)")
                break
            }
            earlier[key, default: []].append(entry)
        }

        // No TURN server, no relay: a relayed expectation could never hold. Said once.
        if !facts.turnMayBeOn, let first = inOrder.first(where: { $0.list == "relayed" }) {
            report(first.at, "a pair cannot be relayed without a TURN server: network.turn is false and no network event turns it on")
        }

        guard let known = known else { return }
        for entry in inOrder {
            let ids = [entry.pair.a, entry.pair.b]
            switch entry.list {
            case "connected", "relayed":
                let verb = entry.list == "connected" ? "connected" : "relayed"
                for (k, id) in ids.enumerated() where known.contains(id) {
                    if let definedAt = facts.attackers[id] {
                        report(entry.at.index(k), "\(scenarioQuote(id)) is an attacker (behaviour at \(definedAt)): attackers are not members of the mesh, so no pair with one is ever \(verb)")
                    } else if let why = facts.end?.gone[id] {
                        report(entry.at.index(k), "\(scenarioQuote(id)) is not in the mesh at the end of the run: \(why); no pair with it can be \(verb) then")
                    }
                }
            case "notConnected":
                guard let by = fullMeshBy, let live = facts.end?.live,
                      ids.allSatisfy({ live.contains($0) && facts.attackers[$0] == nil }) else { continue }
                report(entry.at, "\(name(ids[0])) and \(name(ids[1])) are both in the mesh at the end of the run, and \(by) needs every such pair connected; a pair cannot be both")
            default:
                break
            }
        }
    }
}
