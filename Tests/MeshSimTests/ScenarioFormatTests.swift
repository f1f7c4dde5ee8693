import Foundation
import Testing
@testable import MeshSimKit
import SignalProtocol

/// The table of scenario fields (Sources/MeshSimKit/Scenario/ScenarioFields.swift) against what
/// uses it and what describes it: the loader agrees with every row (types, bounds, required
/// fields, defaults, the unknown-field lists), docs/scenario-format.md has every row,
/// docs/scenario.schema.json is the schema generated from it, and the schema's duration
/// patterns agree with the duration parser. scripts/check-schema.sh runs the schema itself
/// through a standard validator (Python's jsonschema) on Scenarios/ and Tests/Malformed/.
@Suite struct ScenarioFormatTests {
    // MARK: the schema file and command

    @Test func committedSchemaIsTheGeneratedOne() throws {
        let url = ProcessTests.packageRoot.appendingPathComponent("docs/scenario.schema.json")
        let committed = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        let same = committed == ScenarioSchema.text + "\n"  // not the whole text in a failure
        #expect(same, "docs/scenario.schema.json is not what `MeshSim schema` prints: regenerate it with `swift run MeshSim schema > docs/scenario.schema.json`")
    }

    @Test func schemaCommandPrintsItAndAnswersHelp() throws {
        let r = try ProcessTests.run(["schema"])
        #expect(r.status == 0 && r.stderr.isEmpty)
        #expect(r.stdout == ScenarioSchema.text + "\n")
        for args in [["schema", "--help"], ["schema", "-h"], ["help", "schema"]] {
            let h = try ProcessTests.run(args)
            #expect(h.status == 0 && h.stdout.hasPrefix("usage: MeshSim schema"), "\(args)")
        }
        let bad = try ProcessTests.run(["schema", "extra"])
        #expect(bad.status == 2 && bad.stdout.isEmpty)
        #expect(bad.stderr == "MeshSim schema: takes no arguments (MeshSim schema --help)\n")
        #expect(Usage.overview.contains("MeshSim schema\n"))
    }

    /// The schema is JSON, draft 2020-12, closed everywhere, and every `$ref` resolves.
    @Test func schemaIsClosedAndItsReferencesResolve() throws {
        let schema = try JSONParser.parse(ScenarioSchema.text)
        #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        guard case .object(let defs)? = schema["$defs"] else {
            Issue.record("no $defs")
            return
        }
        var refs: [String] = []
        var objects = 0
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if case .string(let r)? = o["$ref"] { refs.append(r) }
                // Every table's object is closed; the one open object is `event`, which only
                // dispatches on `do` to the closed table of that kind.
                if case .string("object")? = o["type"], o["properties"] != nil, o["allOf"] == nil {
                    objects += 1
                    #expect(o["additionalProperties"] == .bool(false), "an object schema without additionalProperties: false")
                }
                for e in o.entries { walk(e.value) }
            case .array(let a):
                a.forEach(walk)
            default:
                break
            }
        }
        walk(schema)
        #expect(objects == ScenarioFormat.all.count)
        for r in refs {
            #expect(r.hasPrefix("#/$defs/") && defs[String(r.dropFirst(8))] != nil, "\(r) does not resolve")
        }
        for t in ScenarioFormat.all where t.id != "scenario" {
            #expect(defs[t.id] != nil, "no $defs/\(t.id)")
        }
    }

    // MARK: duration patterns

    /// Strings around every boundary the duration grammar has: signs, spaces, exponents,
    /// units, fraction digits (whole nanoseconds), 30 days, zero and a millisecond.
    static var durationSamples: [String] {
        let integers = ["0", "00", "1", "5", "59", "999", "0999", "1000", "43199", "43200", "43201", "2591999",
                        "2592000", "2592001", "2592000000", "2592000001", "2592000000000", "2592000000001",
                        "02592000000000", "99999999999999"]
        let fractions = ["", ".", ".0", ".00", ".000", ".5", ".0005", ".0009", ".001", ".0010", ".999", ".123456",
                         ".1234567", ".123456789", ".1234567891", ".1234567890", ".00001", ".0000166", ".00001666666",
                         ".0000167", ".000016", ".00000000005", ".00000000001", ".0000000001", ".12345678905",
                         ".123456789050", ".123456789055", ".000000000000000000005"]
        let units = ["us", "ms", "s", "m", "", "h", "S", " s", "s "]
        var samples: [String] = []
        for i in integers {
            for f in fractions {
                for u in units { samples.append(i + f + u) }
            }
        }
        samples += ["-1s", "+1s", " 1s", "1e3ms", "1E3ms", ".5s", "s", "", "1.5.5s", "１s", "0x10s", "1_000ms"]
        return samples
    }

    /// Python's `re.search` and JavaScript's `RegExp.test`, which validators use, find a match
    /// anywhere; the patterns anchor themselves.
    static func matches(_ pattern: String, _ s: String) throws -> Bool {
        try Regex(pattern).firstMatch(in: s) != nil
    }

    @Test func durationPatternsAgreeWithTheParser() throws {
        for s in Self.durationSamples {
            let parsed = DurationText.parse(s)
            let grammar = try Self.matches(ScenarioSchema.durationPattern, s)
            let whole = try Self.matches(ScenarioSchema.wholeNanosecondsPattern, s)
            let bounded = try Self.matches(ScenarioSchema.atMost30DaysPattern, s)
            switch parsed {
            case .success(let d):
                #expect(grammar && whole && bounded, "\(s) is a duration (\(d) ns) the schema refuses")
                #expect(try Self.matches(ScenarioSchema.zeroPattern, s) == (d == 0), "\(s): zero pattern")
                #expect(try Self.matches(ScenarioSchema.belowMillisecondPattern, s) == (d < nsPerMs), "\(s): below 1ms pattern")
            case .failure(.malformed):
                #expect(!grammar, "\(s) is malformed but matches the grammar")
            case .failure(.finerThanNanosecond):
                #expect(grammar && !whole, "\(s) is finer than a nanosecond")
            case .failure(.tooLong):
                #expect(grammar && !bounded, "\(s) is longer than 30 days")
            }
        }
    }

    @Test func integerBelowCoversExactlyTheSmallerIntegers() throws {
        for limit in ["1", "9", "10", "43200", "2592000", "100", "101"] {
            let pattern = "^(" + ScenarioSchema.integerBelow(limit) + ")$"
            let n = Int(limit)!
            for k in Set([0, 1, 9, 10, 11, 99, 100, 101, n - 1, n, n + 1, 43199, 43200, 2591999, 2592000]) where k >= 0 {
                #expect(try Self.matches(pattern, String(k)) == (k < n), "\(k) below \(limit)")
            }
        }
    }

    // MARK: the table against the loader

    /// Where an object of each table sits in an otherwise valid scenario, and the members it
    /// needs to be valid.
    struct Host {
        var base: [(String, String)]
        /// The whole scenario around the object's members (JSON text).
        var wrap: (String) -> String
        /// The object's JSON path prefix in problems ("network.ice", "peers[2]", "").
        var path: String
    }

    static let twoPeers = #""peers": [{"id": "a"}, {"id": "b"}]"#
    /// The machine every host defines, so that `machine` references have one to name.
    static let box = #""machines": {"box": {"cores": 2}}"#
    static func scenario(_ extra: String) -> String {
        #"{"name": "t", "duration": "60s", \#(box), \#(twoPeers)\#(extra)}"#
    }

    static func host(_ t: ScenarioTable) -> Host {
        switch t.id {
        case "scenario":
            return Host(base: [("name", #""t""#), ("duration", #""60s""#), ("peers", #"[{"id": "a"}, {"id": "b"}]"#)],
                        wrap: { "{\($0)}" }, path: "")
        case "network": return Host(base: [], wrap: { scenario(#", "network": {\#($0)}"#) }, path: "network")
        case "server": return Host(base: [], wrap: { scenario(#", "network": {"server": {\#($0)}}"#) }, path: "network.server")
        case "ice": return Host(base: [], wrap: { scenario(#", "network": {"ice": {\#($0)}}"#) }, path: "network.ice")
        case "peer":
            return Host(base: [("id", #""c""#)], wrap: { #"{"name": "t", "duration": "60s", \#(box), "peers": [{"id": "a"}, {"id": "b"}, {\#($0)}]}"# },
                        path: "peers[2]")
        case "group":
            return Host(base: [("count", "2"), ("idPrefix", #""g""#)],
                        wrap: { #"{"name": "t", "duration": "60s", \#(box), "peers": [{"id": "a"}, {"id": "b"}, {\#($0)}]}"# }, path: "peers[2]")
        case "machine":
            return Host(base: [("cores", "2")],
                        wrap: { #"{"name": "t", "duration": "60s", "machines": {"box": {\#($0)}}, "peers": [{"id": "a"}, {"id": "b"}]}"# },
                        path: "machines.box")
        case "joinSchedule":
            return Host(base: [], wrap: { #"{"name": "t", "duration": "60s", "peers": [{"id": "a"}, {"id": "b"}, {"count": 2, "idPrefix": "g", "join": {\#($0)}}]}"# },
                        path: "peers[2].join")
        case "natObject":
            return Host(base: [("mapping", #""endpointIndependent""#), ("filtering", #""addressDependent""#)],
                        wrap: { #"{"name": "t", "duration": "60s", "peers": [{"id": "a"}, {"id": "b"}, {"id": "c", "nat": {\#($0)}}]}"# },
                        path: "peers[2].nat")
        case "expect":
            return Host(base: [], wrap: { scenario(#", "network": {"turn": true}, "traffic": [{"pattern": "allToAll"}, {"pattern": "allToAll", "video": 1}], "expect": {\#($0)}"#) }, path: "expect")
        case "policy": return Host(base: [], wrap: { scenario(#", "policy": {\#($0)}"#) }, path: "policy")
        case "policyRedial": return Host(base: [], wrap: { scenario(#", "policy": {"redial": {\#($0)}}"#) }, path: "policy.redial")
        case "flow":
            return Host(base: [("pattern", #""pair""#), ("from", #""c""#), ("to", #""d""#)],
                        wrap: { #"{"name": "t", "duration": "60s", "peers": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}], "traffic": [{\#($0)}]}"# },
                        path: "traffic[0]")
        default:
            let kind = t.eventKind ?? ""
            var base: [(String, String)] = [("at", #""1s""#), ("do", "\"\(kind)\"")]
            switch kind {
            case "join": base.append(("peer", #""c""#))
            case "refresh", "wsDrop", "leave", "crash": base.append(("peer", #""a""#))
            case "duplicateTab": base += [("peer", #""a""#), ("as", #""a2""#)]
            case "offline": base += [("peer", #""a""#), ("for", #""1s""#)]
            case "partition": base += [("between", #"["a", "b"]"#), ("for", #""1s""#)]
            case "network": base.append(("loss", "0.1"))
            default: break
            }
            return Host(base: base, wrap: { scenario(#", "events": [{\#($0)}]"#) }, path: "events[0]")
        }
    }

    /// The host's members with `name` set to `value` (or left out, with nil).
    static func members(_ h: Host, _ name: String, _ value: String?) -> String {
        var m = h.base.filter { $0.0 != name }
        if let value { m.append((name, value)) }
        return h.wrap(m.map { "\(JSONWriter.quote($0.0)): \($0.1)" }.joined(separator: ", "))
    }

    static func problems(_ json: String) -> [ScenarioProblem] {
        do {
            _ = try ScenarioLoader.load(bytes: Array(json.utf8), file: "t.json")
            return []
        } catch {
            return error.problems
        }
    }

    /// A valid example of each table's object (non-empty: an empty `server` or `ice` changes
    /// nothing in a `network` event, which the loader refuses).
    static func example(_ id: String) -> String {
        switch id {
        case "network": return #"{"latency": "5ms"}"#
        case "server": return #"{"latency": "5ms"}"#
        case "ice": return #"{"gatheringDelay": "1ms"}"#
        case "expect": return #"{"fullMesh": true}"#
        case "natObject": return #"{"mapping": "addressDependent", "filtering": "endpointIndependent"}"#
        case "joinSchedule": return #"{"start": "1s", "every": "1s"}"#
        case "machine": return #"{"cores": 2}"#
        case "policy": return #"{"onOnline": "dial"}"#
        case "policyRedial": return #"{"initial": "2s"}"#
        case "flow": return #"{"pattern": "allToAll"}"#
        default: return "{}"
        }
    }

    /// Values of `type` the table allows (valid in the hosts above: times within the 60 s run,
    /// ids new or existing as the field needs) and values it refuses.
    static func samples(_ type: ScenarioFieldType) -> (valid: [String], invalid: [String]) {
        let notDurations = ["5", #""5""#, #""-1s""#, #""1.5 s""#, #""1e3ms""#, #""1.0000000001s""#, #""3d""#,
                            #""2592001s""#, "true", "null"]
        switch type {
        case .duration(.any):
            return ([#""0s""#, #""1.5s""#, #""250ms""#, #""0.5us""#, #""0.5m""#], notDurations)
        case .duration(.positive):
            return ([#""1ms""#, #""0.5us""#, #""1.5s""#], notDurations + [#""0s""#, #""0.000ms""#])
        case .duration(.atLeastMillisecond):
            return ([#""1ms""#, #""1000us""#, #""0.001s""#, #""0.0000167m""#, #""1.5s""#],
                    notDurations + [#""0s""#, #""999us""#, #""0.5ms""#, #""0.0009s""#, #""0.0000166m""#])
        case .integer(let min, let max):
            var invalid = [String(max) + "0", "1.5", #""1""#, "true"]
            invalid.append(max == UInt64.max ? "18446744073709551616" : String(max + 1))
            invalid.append(String(min - 1))
            return ([String(min), String(max)], invalid)
        case .number(let min, let max):
            return ([JSONNumber.literal(min), JSONNumber.literal((min + max) / 2), JSONNumber.literal(max)],
                    [JSONNumber.literal(min - 0.1), JSONNumber.literal(max + 0.1), #""0.5""#, "null"])
        case .numberAbove(let min, let max):
            return ([JSONNumber.literal(min + 0.001), JSONNumber.literal((min + max) / 2), JSONNumber.literal(max)],
                    [JSONNumber.literal(min), JSONNumber.literal(min - 0.1), JSONNumber.literal(max + 0.1), #""0.5""#, "null"])
        case .boolean:
            return (["true", "false"], ["1", #""true""#, "null"])
        case .null:
            return (["null"], ["5", #""x""#, "false"])
        case .string(let nonEmpty):
            return ([#""x""#] + (nonEmpty ? [] : [#""""#]), ["5", "null", #"["x"]"#] + (nonEmpty ? [#""""#] : []))
        case .names(let names, _):
            return (names.map { JSONWriter.quote($0) }, [#""nope""#, "5"])
        case .peerId:
            return ([#""zz""#, #""Z.z_9-""#], [#""a b""#, #""""#, "5", JSONWriter.quote(String(repeating: "x", count: 65))])
        case .idPrefix:
            return ([#""h""#, #""h-""#], [#""a b""#, #""""#, "5"])
        case .peerRef:
            return ([#""a""#, #""b""#], ["5", #""a b""#, "null"])
        case .machineRef:
            return ([#""box""#], [#""nope""#, "5", #""""#, "null"])
        case .map(.object(let id), _):
            return (["{}", #"{"m1": \#(example(id)), "m-2": \#(example(id))}"#],
                    [#""x""#, "[]", #"{"m1": 5}"#, #"{"a b": \#(example(id))}"#, #"{"m1": {}}"#])
        case .map:
            Issue.record("no samples for \(type.docsText)")
            return ([], [])
        case .pair:
            return ([#"["a", "b"]"#], [#"["a"]"#, #"["a", "a"]"#, #""a""#, "[1, 2]", #"["a", "b", "a"]"#])
        case .object(let id):
            return ([example(id)], ["5", #""x""#, "[]", #"{"zzz": 1}"#])
        case .array(.pair, _, _):
            return (["[]", #"[["a", "b"]]"#], [#""x""#, #"[["a"]]"#, "[5]"])
        case .array(.peerRef, _, _):
            return (["[]", #"["a", "b"]"#], [#""x""#, "[5]"])
        case .array(.names(let names, _), _, let distinct):
            return (["[]", "[\(JSONWriter.quote(names[0]))]"],
                    [JSONWriter.quote(names[0]), #"["nope"]"#, "[5]"] + (distinct ? ["[\(JSONWriter.quote(names[0])), \(JSONWriter.quote(names[0]))]"] : []))
        case .array(.peerEntry, let nonEmpty, _):
            return ([#"[{"id": "a"}, {"id": "b"}]"#, #"[{"count": 2, "idPrefix": "p"}]"#],
                    [#""x""#, "[5]", #"[{"id": "a", "count": 2}]"#, #"[{"idPrefix": "p"}]"#, "[{}]"] + (nonEmpty ? ["[]"] : []))
        case .array(.object("flow"), _, _):
            return (["[]", #"[{"pattern": "allToAll"}]"#, #"[{"pattern": "pair", "from": "a", "to": "b"}]"#],
                    [#""x""#, "[5]", #"[{"pattern": "nope"}]"#, "[{}]", #"[{"pattern": "allToAll", "zzz": 1}]"#])
        case .array(.event, _, _):
            return (["[]", #"[{"at": "1s", "do": "leave", "peer": "a"}]"#],
                    [#""x""#, "[5]", #"[{"at": "1s", "do": "nope"}]"#, #"[{"at": "1s", "do": "leave", "peer": "a", "for": "1s"}]"#])
        case .array:
            Issue.record("no samples for \(type.docsText)")
            return ([], [])
        case .nat:
            return (ScenarioFormat.natNames.map { JSONWriter.quote($0) } + [example("natObject")],
                    [#""nope""#, "5", #"{"mapping": "x", "filtering": "endpointIndependent"}"#, #"{"mapping": "endpointIndependent"}"#])
        case .either(let types):
            // Alternatives of different JSON types (a duration string or an object): what one
            // refuses the others refuse too, unless another allows it.
            let all = types.map(samples)
            let valid = all.flatMap(\.valid)
            var invalid: [String] = []
            for v in all.flatMap(\.invalid) where !valid.contains(v) && !invalid.contains(v) { invalid.append(v) }
            return (valid, invalid)
        case .peerEntry, .event:
            Issue.record("no samples for \(type.docsText) outside an array")
            return ([], [])
        }
    }

    /// Every field of every table, with values its type allows and values it refuses, as the
    /// loader sees them: the allowed load, the refused are reported at (or inside) the field.
    @Test(arguments: ScenarioFormat.all.map(\.id))
    func loaderAgreesWithEveryFieldType(_ id: String) throws {
        let t = try #require(ScenarioFormat.table(id))
        let h = Self.host(t)
        #expect(Self.problems(Self.members(h, "", nil)).isEmpty, "\(id): the host itself is invalid")
        for f in t.fields where f.name != "do" {
            let (valid, invalid) = Self.samples(f.type)
            let at = h.path.isEmpty ? (ScenarioPath.isIdentifier(f.name) ? f.name : "[\(JSONWriter.quote(f.name))]") : "\(h.path).\(f.name)"
            // A flow's pattern decides which of `from` and `to` it takes (TrafficScenarioTests,
            // Tests/Malformed/57): only the host's own pattern fits the host's other fields.
            // A policy's page-load rules need `instanceIds: true` (CommandLineTests), which the
            // host policy does not set: a relation between fields, not the value's own rule.
            for v in valid where !(id == "flow" && f.name == "pattern" && v != #""pair""#)
                && !(id == "policy" && v.contains("NewPageLoad")) {
                let p = Self.problems(Self.members(h, f.name, v))
                #expect(p.isEmpty, "\(id).\(f.name) = \(v) is allowed by the table but refused: \(p.map(\.description))")
            }
            for v in invalid {
                let p = Self.problems(Self.members(h, f.name, v))
                #expect(p.contains { $0.path.hasPrefix(at) }, "\(id).\(f.name) = \(v) is refused by the table but the loader says \(p.map(\.description))")
            }
        }
    }

    @Test(arguments: ScenarioFormat.all.map(\.id))
    func loaderRequiresTheRequiredFieldsAndRefusesOthers(_ id: String) throws {
        let t = try #require(ScenarioFormat.table(id))
        let h = Self.host(t)
        for f in t.fields where f.required && f.name != "do" {
            let p = Self.problems(Self.members(h, f.name, nil))
            #expect(p.contains { $0.message.hasPrefix("missing required field \"\(f.name)\"") },
                    "\(id).\(f.name) is required by the table: \(p.map(\.description))")
        }
        let p = Self.problems(Self.members(h, "zzz", "1"))
        let expected = "unknown field (expected one of: \(t.listedNames.joined(separator: ", ")))"
        #expect(p.map(\.message) == [expected], "\(id): \(p.map(\.description))")
    }

    /// Writing a field's documented default changes nothing.
    @Test(arguments: ScenarioFormat.all.map(\.id))
    func defaultsAreTheLoadersDefaults(_ id: String) throws {
        let t = try #require(ScenarioFormat.table(id))
        let h = Self.host(t)
        let without = try ScenarioLoader.load(bytes: Array(Self.members(h, "", nil).utf8), file: "t.json")
        for f in t.fields {
            guard case .value(let text) = f.defaultValue else { continue }
            do {
                var with = try ScenarioLoader.load(bytes: Array(Self.members(h, f.name, text).utf8), file: "t.json")
                // Naming a host field in a `join` makes a peer it brings back after `leave`
                // come back on a new host (docs/scenario-format.md): that is what naming the
                // field means, whatever its value; the values themselves must be the defaults.
                for k in with.events.indices {
                    if case .join(var p) = with.events[k].action { p.newHost = false; with.events[k].action = .join(p) }
                }
                #expect(with == without, "\(id).\(f.name): the default \(text) is not what leaving it out means")
            } catch {
                Issue.record("\(id).\(f.name): the default \(text) is refused: \(error.description)")
            }
        }
    }

    @Test func dollarSchemaIsAcceptedIgnoredAndNotListed() throws {
        let plain = Self.scenario("")
        let with = #"{"$schema": "./docs/scenario.schema.json", "name": "t", "duration": "60s", \#(Self.box), \#(Self.twoPeers)}"#
        #expect(try ScenarioLoader.load(bytes: Array(with.utf8), file: "t.json") == ScenarioLoader.load(bytes: Array(plain.utf8), file: "t.json"))
        #expect(Self.problems(#"{"$schema": 5, "name": "t", "duration": "60s", \#(Self.twoPeers)}"#).map(\.description)
                == [#"t.json: ["$schema"]: expected a string, got number 5"#])
        #expect(Self.problems(Self.scenario(#", "$schema": "x", "nmae": "u""#)).map(\.description)
                == ["t.json: nmae: unknown field (expected one of: name, description, seed, duration, policy, network, machines, peers, events, expect, traffic)"])
        // Only at the top level.
        #expect(Self.problems(Self.scenario(#", "network": {"$schema": "x"}"#)).count == 1)
    }

    @Test func loaderListsComeFromTheTable() {
        #expect(ScenarioAction.kindNames == ["join", "refresh", "duplicateTab", "wsDrop", "leave", "crash", "offline",
                                            "partition", "serverRestart", "network"])
        #expect(Expectations.fieldNames == ScenarioFormat.expect.fieldNames)
        #expect(ScenarioFormat.event("network")?.fieldNames == ["at", "do", "latency", "jitter", "loss", "stun", "turn", "server", "ice"])
        let ids = ScenarioFormat.all.map(\.id)
        #expect(Set(ids).count == ids.count, "table ids are unique")
        for t in ScenarioFormat.all {
            #expect(Set(t.fieldNames).count == t.fieldNames.count, "\(t.id): a field twice")
        }
    }

    // MARK: the docs

    /// A Markdown table's rows (cells trimmed), the header first.
    static func tableRows(after heading: String, in lines: [String]) -> [[String]]? {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("#") && $0.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces).lowercased() == heading.lowercased() }) else {
            return nil
        }
        var rows: [[String]] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("#") { break }
            if line.hasPrefix("|") {
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                if cells.allSatisfy({ $0.allSatisfy { $0 == "-" || $0 == ":" } }) { continue }
                rows.append(cells)
            } else if !rows.isEmpty {
                break
            }
        }
        return rows
    }

    /// The backticked names in a cell: "`nat`, `lan`" -> ["nat", "lan"].
    static func codeSpans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    static func docsDefault(_ f: ScenarioField) -> String {
        if f.required { return "required" }
        switch f.defaultValue {
        case .none: return "none"
        case .value(let text): return "`\(text)`"
        case .text(let text): return text
        }
    }

    /// Each object's table in docs/scenario-format.md (under a heading named as the table's
    /// title) has one row per field, with the table's type and default, and a meaning that
    /// starts with the table's; events have a row per kind naming each of its fields.
    @Test func docsHaveEveryField() throws {
        let url = ProcessTests.packageRoot.appendingPathComponent("docs/scenario-format.md")
        let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for t in ScenarioFormat.all where t.eventKind == nil {
            guard let rows = Self.tableRows(after: t.title, in: lines), let header = rows.first else {
                Issue.record("docs/scenario-format.md: no heading \"\(t.title)\" followed by a table")
                continue
            }
            let type = header.firstIndex(of: "type"), def = header.firstIndex(of: "default")
            let meaning = header.firstIndex(of: "meaning") ?? header.firstIndex(of: "assertion")
            var seen = Set<String>()
            for row in rows.dropFirst() {
                let names = Self.codeSpans(row[0])
                for n in names {
                    #expect(t.field(n) != nil, "docs/scenario-format.md, \(t.title): \(n) is not a field")
                    seen.insert(n)
                }
                guard names.count == 1, let f = t.field(names[0]) else { continue }
                if let type { #expect(row[type] == f.type.docsText, "docs, \(t.title).\(f.name): type \"\(row[type])\", the table says \"\(f.type.docsText)\"") }
                if let def { #expect(row[def] == Self.docsDefault(f), "docs, \(t.title).\(f.name): default \"\(row[def])\", the table says \"\(Self.docsDefault(f))\"") }
                if let meaning { #expect(row[meaning].hasPrefix(f.meaning), "docs, \(t.title).\(f.name): meaning \"\(row[meaning])\" does not start with the table's \"\(f.meaning)\"") }
            }
            for f in t.fields where !seen.contains(f.name) {
                Issue.record("docs/scenario-format.md, \(t.title): no row for \(f.name)")
            }
        }
        let events = try #require(Self.tableRows(after: "events", in: lines))
        #expect(events.dropFirst().map { Self.codeSpans($0[0]).first ?? "" } == ScenarioFormat.eventKinds)
        for t in ScenarioFormat.events {
            guard let row = events.first(where: { Self.codeSpans($0[0]).first == t.eventKind }) else { continue }
            let named = Set(Self.codeSpans(row[1]))
            for f in t.fields where f.name != "at" && f.name != "do" {
                #expect(named.contains(f.name), "docs/scenario-format.md, events: the \(t.eventKind ?? "") row does not name \(f.name)")
            }
        }
    }
}
