import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// `--perfetto FILE`: the run in Chrome's trace event format, as a trace viewer reads it.
@Suite struct PerfettoTests {
    /// One trace event, the fields the checks need (times in nanoseconds, exactly).
    struct Event {
        var ph: String
        var pid: Int64
        var tid: Int64
        var name: String
        var cat: String?
        var ts: Int64?
        var dur: Int64?
        var id: Int64?
        var bp: String?
        var scope: String?
        var argName: String?
    }

    /// A run with the Perfetto observer attached: the file's bytes and the report.
    static func run(_ s: Scenario, policy: (any MeshPolicy)? = nil) -> (bytes: [UInt8], report: RunReport) {
        let policy = policy ?? Policies.named(s.policy) ?? SeedPolicy()
        let sim = Simulation(scenario: s, options: RunOptions(seed: s.seed, policy: policy),
                             traceSink: TraceWriter(sink: nil))
        let observer = PerfettoObserver()
        sim.observers.append(observer)
        sim.run()
        return (Array(observer.document), RunReport(simulation: sim))
    }

    static func file(_ path: String) throws -> Scenario {
        try ScenarioLoader.load(path: ProcessTests.packageRoot.appendingPathComponent(path).path)
    }

    /// Microseconds with a decimal fraction ("1234.005") as nanoseconds, exactly.
    static func nanoseconds(_ v: JSONValue?) -> Int64? {
        guard let text = v?.numberValue?.text else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]) else { return nil }
        var frac: Int64 = 0
        if parts.count == 2 {
            let digits = String(parts[1].prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
            guard let f = Int64(digits) else { return nil }
            frac = f
        }
        return whole * 1000 + frac
    }

    /// Parses the file (it must be the object form) into events.
    static func events(_ bytes: [UInt8]) throws -> [Event] {
        let doc = try JSONParser.parse(bytes, limits: JSONParserLimits(maxBytes: 1 << 30))
        #expect(doc["displayTimeUnit"]?.stringValue == "ms")
        guard let list = doc["traceEvents"]?.arrayValue else {
            Issue.record("no traceEvents array")
            return []
        }
        return list.map { e in
            Event(ph: e["ph"]?.stringValue ?? "", pid: e["pid"]?.numberValue?.int64 ?? -1,
                  tid: e["tid"]?.numberValue?.int64 ?? -1, name: e["name"]?.stringValue ?? "",
                  cat: e["cat"]?.stringValue, ts: nanoseconds(e["ts"]), dur: nanoseconds(e["dur"]),
                  id: e["id"]?.numberValue?.int64, bp: e["bp"]?.stringValue, scope: e["s"]?.stringValue,
                  argName: e["args"]?["name"]?.stringValue)
        }
    }

    /// What a viewer would choke on: a span with a negative duration, spans of one thread that
    /// partly overlap, a flow start without exactly one end at the same time or later (or an end
    /// without a start), an event without a time.
    static func problems(_ events: [Event]) -> [String] {
        var problems: [String] = []
        var spans: [[Int64]: [(start: Int64, end: Int64, name: String)]] = [:]
        var starts: [Int64: Int64] = [:]
        var ends: [Int64: [Int64]] = [:]
        for e in events {
            switch e.ph {
            case "M":
                continue
            case "X":
                guard let ts = e.ts, let dur = e.dur else {
                    problems.append("span \(e.name) without ts or dur")
                    continue
                }
                if dur < 0 { problems.append("span \(e.name) at \(ts) has dur \(dur)") }
                spans[[e.pid, e.tid], default: []].append((ts, ts + dur, e.name))
            case "i":
                if e.ts == nil { problems.append("instant \(e.name) without ts") }
                if !["t", "p", "g"].contains(e.scope ?? "t") { problems.append("instant \(e.name) with scope \(e.scope!)") }
            case "s", "f":
                guard let ts = e.ts, let id = e.id else {
                    problems.append("flow event without ts or id")
                    continue
                }
                if e.ph == "s" {
                    if starts[id] != nil { problems.append("flow \(id) starts twice") }
                    starts[id] = ts
                } else {
                    ends[id, default: []].append(ts)
                    if e.bp != "e" { problems.append("flow end \(id) without bp e") }
                }
            default:
                problems.append("unexpected ph \(e.ph)")
            }
        }
        // Spans of one thread: sorted by start (longer first), each must end within the
        // innermost span still open when it starts.
        for key in spans.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            var stack: [(start: Int64, end: Int64, name: String)] = []
            for s in spans[key]!.sorted(by: { ($0.start, -$0.end) < ($1.start, -$1.end) }) {
                while let top = stack.last, top.end <= s.start { stack.removeLast() }
                if let top = stack.last, s.end > top.end {
                    problems.append("thread \(key): \(s.name) [\(s.start), \(s.end)] partly overlaps \(top.name) [\(top.start), \(top.end)]")
                }
                stack.append(s)
            }
        }
        for (id, ts) in starts.sorted(by: { $0.key < $1.key }) {
            let e = ends[id] ?? []
            if e.count != 1 { problems.append("flow \(id) has \(e.count) ends") }
            if let end = e.first, end < ts { problems.append("flow \(id) ends at \(end), before its start at \(ts)") }
        }
        for id in ends.keys.sorted() where starts[id] == nil { problems.append("flow \(id) ends without a start") }
        return problems
    }

    /// The threads named for connections: "→ remote (active|passive|refused)", by tid.
    static func connectionTracks(_ events: [Event]) -> [Int64: String] {
        var tracks: [Int64: String] = [:]
        for e in events where e.ph == "M" && e.name == "thread_name" {
            guard let name = e.argName, name.hasPrefix("→ "),
                  ["(active)", "(passive)", "(refused)"].contains(where: { name.hasSuffix(" " + $0) }) else { continue }
            tracks[e.tid] = name
        }
        return tracks
    }

    @Test func theCheckFindsOverlapsAndUnmatchedFlows() {
        func span(_ ts: Int64, _ dur: Int64, tid: Int64 = 1) -> Event {
            Event(ph: "X", pid: 1, tid: tid, name: "s\(ts)", ts: ts, dur: dur)
        }
        func flow(_ ph: String, _ id: Int64, _ ts: Int64) -> Event {
            Event(ph: ph, pid: 1, tid: 1, name: "signal", ts: ts, id: id, bp: ph == "f" ? "e" : nil)
        }
        #expect(Self.problems([span(0, 10), span(2, 3), span(5, 5), span(10, 1), span(5, 20, tid: 2)]).isEmpty)
        #expect(Self.problems([span(0, 10), span(5, 10)]).count == 1)
        #expect(Self.problems([span(0, -1)]).count == 1)
        #expect(Self.problems([flow("s", 1, 5), flow("f", 1, 5)]).isEmpty)
        #expect(Self.problems([flow("s", 1, 5)]).count == 1)
        #expect(Self.problems([flow("f", 1, 5)]).count == 1)
        #expect(Self.problems([flow("s", 1, 5), flow("f", 1, 4)]).count == 1)
        #expect(Self.problems([flow("s", 1, 5), flow("f", 1, 6), flow("f", 1, 7)]).count == 1)
    }

    @Test func twoPeersEndConnectedWithEveryStateSpannedAndEverySignalAnArrow() throws {
        let (bytes, report) = Self.run(try ScenarioRunTests.scenario(ScenarioRunTests.twoPeers))
        let events = try Self.events(bytes)
        #expect(Self.problems(events) == [])
        let tracks = Self.connectionTracks(events)
        #expect(tracks.count == report.connectionsCreated)
        #expect(Set(tracks.values) == ["→ a (passive)", "→ b (active)"])
        // The last connectionState span of each connection is connected, and lasts to the end.
        for tid in tracks.keys {
            let states = events.filter { $0.ph == "X" && $0.tid == tid && $0.cat == "connectionState" }
                .sorted { $0.ts! < $1.ts! }
            #expect(states.first?.name == "new")
            #expect(states.last?.name == "connected")
            #expect(states.last.map { $0.ts! + $0.dur! } == Int64(20_000_000_000))
            // Consecutive: each state begins where the one before ended.
            for (a, b) in zip(states, states.dropFirst()) { #expect(a.ts! + a.dur! == b.ts!) }
        }
        for machine in ["iceConnectionState", "signalingState", "iceGatheringState", "dataChannel"] {
            #expect(events.contains { $0.ph == "X" && $0.cat == machine }, "\(machine)")
        }
        // Each relayed signal: an instant where it was sent, one where it arrived, and an arrow.
        let sent = events.filter { $0.ph == "i" && $0.cat == "signal" && $0.name.contains(" → ") }
        let received = events.filter { $0.ph == "i" && $0.cat == "signal" && $0.name.contains(" ← ") }
        #expect(sent.count == 5 && received.count == 5)
        #expect(events.filter { $0.ph == "s" }.count == report.signalingMessages)
        // A flow start sits on its send instant (same thread, same time), an end on its arrival.
        for (n, e) in events.enumerated() where e.ph == "s" || e.ph == "f" {
            let before = events[n - 1]
            #expect(before.ph == "i" && before.cat == "signal" && before.tid == e.tid && before.ts == e.ts)
        }
        // Names: one process per page, named with its load time, and the server's.
        let processes = events.filter { $0.ph == "M" && $0.name == "process_name" }.compactMap(\.argName)
        #expect(processes == ["signaling server and scenario", "a (page 0, loaded at 0 ms)", "b (page 1, loaded at 500 ms)"])
    }

    @Test func tenPeersHaveATrackPerConnectionAndAnArrowPerRelayedSignal() throws {
        let (bytes, report) = Self.run(try Self.file("Scenarios/10-peers.json"))
        let events = try Self.events(bytes)
        #expect(Self.problems(events) == [])
        #expect(Self.connectionTracks(events).count == report.connectionsCreated)
        #expect(events.filter { $0.ph == "s" }.count == report.signalingMessages)
    }

    /// Reloads, a duplicated tab and dropped signals: spans end with their page, signals the
    /// server dropped have no arrow, and every arrow has both ends.
    @Test(arguments: ["Scenarios/lifecycle/duplicate-tab.resilient.json", "Scenarios/lifecycle/refresh-during-join.seed.json",
                      "Scenarios/lifecycle/server-restart.resilient.json", "Scenarios/security/spoof-from.json"])
    func lifecycleRunsNestAndMatchTheirSignals(_ path: String) throws {
        let (bytes, report) = Self.run(try Self.file(path))
        let events = try Self.events(bytes)
        #expect(Self.problems(events) == [])
        #expect(Self.connectionTracks(events).count == report.connectionsCreated)
        let sent = events.filter { $0.ph == "i" && $0.cat == "signal" && $0.name.contains(" → ") }.count
        let flows = events.filter { $0.ph == "s" }.count
        #expect(flows <= sent && flows <= report.signalingMessages)
        // No span of a page's process outlives the page, but for CPU work: the renderer's
        // threads do the unload and the connections' closes after the document's life ends.
        var pageEnd: [Int64: Int64] = [:]
        for e in events where e.ph == "X" && e.cat == "page" { pageEnd[e.pid] = e.ts! + e.dur! }
        #expect(pageEnd.count == events.filter { $0.ph == "M" && $0.name == "process_name" }.count - 1)
        for e in events where e.ph == "X" && e.cat != "cpu" {
            guard let end = pageEnd[e.pid] else { continue }
            #expect(e.ts! + e.dur! <= end, "\(e.name) on \(e.pid)/\(e.tid)")
        }
    }

    @Test func droppedSignalsHaveNoArrow() throws {
        let (bytes, _) = Self.run(try Self.file("Scenarios/lifecycle/duplicate-tab.resilient.json"))
        let events = try Self.events(bytes)
        let sent = events.filter { $0.ph == "i" && $0.cat == "signal" && $0.name.contains(" → ") }.count
        let flows = events.filter { $0.ph == "s" }.count
        #expect(flows < sent, "this run's server drops signals to the duplicated tab's old uid")
        #expect(Self.problems(events) == [])
    }

    @Test func refusedConnectionsHaveATrackToo() throws {
        let s = try ScenarioRunTests.scenario("""
        {"name": "cap", "duration": "20s", "network": {"ice": {"maxPeerConnections": 2}},
         "peers": [{"count": 4, "idPrefix": "p", "join": {"start": "0s", "every": "200ms"}}],
         "expect": {"fullMesh": false}}
        """)
        let (bytes, report) = Self.run(s)
        let events = try Self.events(bytes)
        #expect(Self.problems(events) == [])
        #expect(report.connectionsRefused > 0)
        let tracks = Self.connectionTracks(events)
        #expect(tracks.count == report.connectionsCreated)
        #expect(tracks.values.filter { $0.hasSuffix("(refused)") }.count == report.connectionsRefused)
    }

    @Test func theSameRunGivesTheSameBytes() throws {
        let s = try Self.file("Scenarios/lifecycle/refresh-clean.resilient.json")
        let a = Self.run(s).bytes
        let b = Self.run(s).bytes
        #expect(!a.isEmpty && a == b)
    }

    /// Free text (decisions, error details) is escaped; names stay readable.
    @Test func freeTextIsEscaped() throws {
        let o = PerfettoObserver()
        let odd = "say \"hi\"\\ then\nnew line\t\u{1}\u{1b}[31m é → \u{2028}"
        o.observe(Observation(kind: .page, peer: "a", value: "load", page: 0), at: 0)
        o.observe(Observation(kind: .decision, peer: "a", remote: "b", value: odd, page: 0), at: 1_500)
        o.observe(Observation(kind: .connection, peer: "a", remote: "b", value: "active", page: 0, connection: 0), at: 2_000)
        o.observe(Observation(kind: .error, peer: "a", remote: "b", value: "OperationError", detail: odd, page: 0,
                              connection: 0), at: 3_000)
        o.observe(Observation(kind: .scenario, peer: nil, value: odd), at: 4_000)
        o.runEnded(at: 10_000)
        let bytes = Array(o.document)
        #expect(!bytes.contains { $0 < 0x20 && $0 != 0x0A }, "raw control characters")
        let doc = try JSONParser.parse(bytes)
        let list = doc["traceEvents"]?.arrayValue ?? []
        #expect(list.contains { $0["name"]?.stringValue == odd && $0["cat"]?.stringValue == "decision" })
        #expect(list.contains { $0["args"]?["detail"]?.stringValue == odd && $0["cat"]?.stringValue == "error" })
        #expect(list.contains { $0["name"]?.stringValue == odd && $0["s"]?.stringValue == "g" })
        #expect(list.contains { $0["ts"]?.numberValue?.text == "1.500" })
        let events = try Self.events(bytes)
        #expect(Self.problems(events) == [])
        // The connection's states end with the run.
        #expect(events.filter { $0.ph == "X" && $0.cat == "connectionState" }.map { $0.ts! + $0.dur! } == [10_000])
    }

    @Test func theCommandWritesTheFileAndRefusesAnInput() throws {
        let dir = try CommandLineTests.scratch("perfetto")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run.json")
        let r = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "--perfetto", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("FULL MESH"))
        let written = Array(try Data(contentsOf: out))
        #expect(written == Self.run(try Self.file("Scenarios/2-peers.json")).bytes)
        #expect(Self.problems(try Self.events(written)) == [])

        let input = dir.appendingPathComponent("x.json")
        try Data(contentsOf: ProcessTests.packageRoot.appendingPathComponent("Scenarios/2-peers.json")).write(to: input)
        let original = try Data(contentsOf: input)
        let refused = try ProcessTests.run(["scenario", input.path, "--perfetto", input.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--perfetto") && refused.stderr.contains("is an input file"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try Data(contentsOf: input) == original)

        let two = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "Scenarios/high-rtt.json", "--perfetto", out.path])
        #expect(two.status == 2 && two.stderr.contains("--perfetto takes exactly one scenario FILE"))
        let same = try ProcessTests.run(["scenario", "Scenarios/2-peers.json", "--perfetto", out.path, "--trace", out.path])
        #expect(same.status == 2 && same.stderr.contains("writes the same file"), "\(same.stderr)")
    }
}

/// CPU time in `--perfetto`: a track per charged thread with a slice per piece of work.
@Suite struct PerfettoCPUTests {
    /// Three tabs and the server on one 2-core machine, as the Chromium crosscheck runs them.
    static let sharedBox = """
    {"name": "three tabs on one box", "duration": "3s", "policy": "seed-strict",
     "machines": {"box": {"cores": 2, "speed": 1}},
     "peers": [{"count": 3, "idPrefix": "p", "join": {"start": "0s", "every": "20ms"}, "machine": "box"}],
     "network": {"latency": "0.05ms", "jitter": "0ms", "server": {"latency": "0ms", "machine": "box"}, "stun": false, "turn": false}}
    """

    @Test func everyChargedThreadHasATrackAndItsSlicesDoNotOverlap() throws {
        let (bytes, report) = PerfettoTests.run(try ScenarioRunTests.scenario(Self.sharedBox))
        let events = try PerfettoTests.events(bytes)
        #expect(PerfettoTests.problems(events) == [])
        #expect(report.fullMesh)
        let names = Dictionary(events.filter { $0.ph == "M" && $0.name == "thread_name" }.map { ("\($0.pid)/\($0.tid)", $0.argName ?? "") },
                               uniquingKeysWith: { a, _ in a })
        let cpu = events.filter { $0.ph == "X" && $0.cat == "cpu" }
        func slices(_ thread: String, _ work: String? = nil) -> [PerfettoTests.Event] {
            cpu.filter { names["\($0.pid)/\($0.tid)"] == thread && (work == nil || $0.name == work) }
        }
        // Each page's three threads on its own process (pids 10, 11, 12), the box's browser
        // process and the server's on process 1.
        for thread in ["main thread (CPU)", "signaling thread (CPU)", "network thread (CPU)"] {
            #expect(Set(slices(thread).map(\.pid)) == [10, 11, 12], "\(thread)")
        }
        #expect(!slices("browser process, machine box (CPU)").isEmpty)
        #expect(!slices("signaling server process (CPU)", "serverReadsFrame").isEmpty)
        // The work the protocol implies: an offer set remotely per answer, three pages loaded.
        #expect(slices("signaling thread (CPU)", "setRemoteOffer").count == report.offersCreated)
        #expect(slices("signaling thread (CPU)", "createAnswer").count == report.offersCreated)
        #expect(slices("main thread (CPU)", "pageLoad").count == 3)
        // Nothing drawn past the run's end; every slice takes time.
        for e in cpu {
            #expect(e.dur! > 0 && e.ts! + e.dur! <= 3_000_000_000, "\(e.name)")
        }
    }

    /// A JSEP operation's time is mostly the signaling thread waiting (docs/model.md, costs):
    /// its slice is the tenth that is CPU, a blocking call's is all of it.
    @Test func aJSEPOperationDrawsTheTenthThatIsCPU() throws {
        let (bytes, _) = PerfettoTests.run(try ScenarioRunTests.scenario(Self.sharedBox))
        let cpu = try PerfettoTests.events(bytes).filter { $0.ph == "X" && $0.cat == "cpu" }
        func median(_ work: String) throws -> Double {
            let d = cpu.filter { $0.name == work }.map { Double($0.dur!) }.sorted()
            return try #require(d.isEmpty ? nil : d[d.count / 2])
        }
        // Nanoseconds: createAnswer costs 0.9 ms (+0.8 the first time), new RTCPeerConnection
        // 2.5 ms (+1.5), each half fixed and half drawn.
        #expect(try median("createAnswer") < 300_000, "a tenth of 0.9–1.7 ms")
        #expect(try median("setRemoteOffer") < 300_000, "a tenth of 1.5–2.3 ms")
        #expect(try median("createPeerConnection") > 1_000_000, "a blocking call is CPU")
        #expect(CPUWork.allCases.filter { $0.cpuTenths < 10 }.allSatisfy { $0.thread == .signaling })
    }

    /// A rate flow's tick is one task of the page's script (a timer callback calling `send()` on
    /// each open channel): one `dataSend` slice per tick that sent, as long as all its sends.
    @Test func aTrafficTickIsOneTaskOfTheScript() throws {
        let s = try TrafficScenarioTests.scenario(traffic: #"{"pattern": "allToAll", "rate": 10, "start": "5s", "stop": "10s"}"#,
                                                  peers: 4)
        let (bytes, _) = PerfettoTests.run(s)
        let sends = try PerfettoTests.events(bytes).filter { $0.ph == "X" && $0.cat == "cpu" && $0.name == "dataSend" }
        // 4 pages × 10 ticks a second × 5 s, each sending to the 3 others: 200 tasks, not 600.
        #expect(sends.count >= 190 && sends.count <= 200, "\(sends.count) dataSend tasks")
        let threeSends = 3 * CPUWork.dataSend.cost
        #expect(sends.filter { $0.dur! == threeSends }.count >= 190, "each tick's task is its three sends")
    }

    /// `preloaded`: the first load costs nothing (the crosscheck's tabs were loaded before);
    /// a reload of the same tab loads as any page does.
    @Test func aPreloadedPageChargesNoLoadUntilItReloads() throws {
        let json = Self.sharedBox.replacingOccurrences(of: "\"machine\": \"box\"}]", with: "\"machine\": \"box\", \"preloaded\": true}],\n \"events\": [{\"at\": \"1s\", \"do\": \"refresh\", \"peer\": \"p1\"}]")
            .replacingOccurrences(of: "seed-strict", with: "replace")
        #expect(json.contains("preloaded") && json.contains("replace"))
        let (bytes, report) = PerfettoTests.run(try ScenarioRunTests.scenario(json))
        let loads = try PerfettoTests.events(bytes).filter { $0.ph == "X" && $0.cat == "cpu" && $0.name == "pageLoad" }
        #expect(loads.count == 1, "only the reload of p1")
        #expect(report.fullMesh)
    }

    @Test func aRunWithoutPerfettoIsUnchangedByIt() throws {
        let s = try ScenarioRunTests.scenario(Self.sharedBox)
        let plain = Simulation(scenario: s, options: RunOptions(seed: s.seed, policy: SeedPolicy()), traceSink: TraceWriter(sink: nil))
        plain.run()
        let (_, drawn) = PerfettoTests.run(s, policy: SeedPolicy())
        #expect(RunReport(simulation: plain).convergedAt == drawn.convergedAt)
        #expect(RunReport(simulation: plain).traceHash == drawn.traceHash)
    }

    /// A connection the page closed (a reload's survivors drop their links to the old page) is
    /// `closed` from then on, and its channel no longer `open`: no span of its says otherwise
    /// after the close.
    @Test func aClosedConnectionIsDrawnClosed() throws {
        let s = try PerfettoTests.file("Scenarios/lifecycle/refresh-clean.resilient.json")
        let events = try PerfettoTests.events(PerfettoTests.run(s).bytes)
        let closes = events.filter { $0.ph == "i" && $0.name.hasPrefix("connection closed") }
        #expect(!closes.isEmpty)
        let stillLive: Set<String> = ["connected", "connecting", "checking", "disconnected", "failed", "stable", "open",
                                      "have-local-offer", "have-remote-offer"]
        for close in closes {
            let pid = close.pid, main = close.tid
            let t: Int64 = close.ts ?? 0
            let mine = events.filter { e in e.ph == "X" && e.pid == pid && e.tid >= main && e.tid < main + 5 }
            let live = mine.filter { e in
                let end: Int64 = (e.ts ?? 0) + (e.dur ?? 0)
                return stillLive.contains(e.name) && end > t
            }
            #expect(live.isEmpty, "\(live.map(\.name)) after the close at \(t)")
            #expect(mine.contains { e in e.name == "closed" && e.ts == t })
        }
    }
}
