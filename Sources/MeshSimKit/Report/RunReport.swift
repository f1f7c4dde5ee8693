import SignalProtocol

/// The outcome of one run, as docs/contract.md's report object describes it.
struct RunReport {
    var scenario: String
    var file: String
    var seed: UInt64
    var policy: String
    var fullMesh: Bool
    /// Nanoseconds; nil when the mesh is not full at the end.
    var convergedAt: Int64?
    var pairsExpected: Int
    var pairsConnected: Int
    var signalingMessages: Int
    var events: Int
    var simulatedNs: Int64
    var traceHash: String
    var expectations: [ExpectationResult]
    var violations: [String]
    /// Every live pair not connected at the end, with its cause and reason.
    var stuck: [StuckPair]
    /// Connected pairs whose selected candidate pair goes through a TURN relay.
    var relayedPairs: Int
    // Extensions (docs/contract.md welcomes more keys).
    var controlMessages: Int
    var offersCreated: Int
    var connectionsCreated: Int
    var connectionsRefused: Int
    var operationErrors: Int
    /// Signals a page wanted to send while its WebSocket was not open (lost, as in a browser).
    var signalsDropped: Int
    var datagramsSent: Int
    var datagramsLost: Int
    /// Dropped by NAT filters, firewalls or as unroutable.
    var datagramsBlocked: Int
    /// Dropped by full access-link queues; nil when no host has an `uplink` or `downlink`.
    var datagramsQueueDropped: Int?
    /// STUN datagrams the pages' browsers dropped at their send limit (`STUNThrottle`).
    var datagramsThrottled = 0
    /// TURN allocations granted and refused (508) over the run.
    var turnAllocations: Int
    var turnRefused: Int
    var iceRestarts: Int
    var turnCapacity: Int
    var traceLines: Int
    var budgetExhausted: Bool
    /// Set when the run ended before the scenario's duration: when, why, and the duration.
    var stopped: (atNs: Int64, by: RunStop, durationNs: Int64)?
    /// Attacks tried and blocked by kind (empty without attackers; then no `attacks` key).
    var attacks: [(kind: AttackKind, tried: Int, blocked: Int)]
    /// Application traffic (scenario `traffic`); nil without flows, and then no `data` key.
    var data: DataReport?
    /// Media streams (`traffic` media flows); nil without them, and then no `media` key.
    var media: MediaReport?

    /// Exit status contribution: 0 ok, 1 an expectation failed or was not judged (a run
    /// stopped early) or an invariant was violated. The report's `passed`.
    var passed: Bool { violations.isEmpty && expectations.allSatisfy(\.ok) }

    init(simulation s: Simulation) {
        scenario = s.scenario.name
        file = s.scenario.file
        seed = s.options.seed
        policy = s.options.policy.name
        fullMesh = s.oracle.isFull
        convergedAt = s.oracle.fullSince
        pairsExpected = s.oracle.expectedPairs
        pairsConnected = s.oracle.connectedPairs
        signalingMessages = s.signalsRelayed
        events = s.stats.events
        simulatedNs = s.now
        traceHash = s.trace.hexDigest
        expectations = s.checkExpectations()
        violations = s.invariants.violations
        stuck = s.stuckPairDiagnoses()
        relayedPairs = s.relayedPairCount()
        controlMessages = s.stats.controlMessages
        offersCreated = s.stats.offersCreated
        connectionsCreated = s.stats.connectionsCreated
        connectionsRefused = s.stats.connectionsRefused
        operationErrors = s.stats.operationErrors
        signalsDropped = s.stats.signalsDropped
        datagramsSent = s.network.datagramsSent
        datagramsLost = s.network.datagramsLost
        datagramsBlocked = s.network.datagramsBlocked
        datagramsQueueDropped = s.network.links.isEmpty ? nil : s.network.datagramsQueueDropped
        datagramsThrottled = s.stats.stunThrottled
        turnAllocations = s.turnServer.allocationsGranted
        turnRefused = s.turnServer.allocationsRefused
        iceRestarts = s.stats.iceRestarts
        turnCapacity = s.turnServer.capacity
        traceLines = s.trace.lines
        budgetExhausted = s.budgetExhausted
        stopped = s.stoppedEarly.map { (s.now, $0, s.scenario.duration) }
        attacks = s.attackSummary
        data = s.traffic == nil ? nil : DataReport(simulation: s)
        media = s.media == nil ? nil : MediaReport(simulation: s)
    }

    /// One JSON object, keys in a fixed order (docs/contract.md "Report").
    var json: String { JSONWriter.write(.object(jsonObject)) }

    /// `datagrams`: `queueDropped` only in runs with an access-link capacity, `throttled` only
    /// when a page's browser dropped STUN at its send limit.
    private var datagramsJSON: JSONObject {
        var entries: [(key: String, value: JSONValue)] = [("sent", .number(JSONNumber(datagramsSent))),
                                                           ("lost", .number(JSONNumber(datagramsLost))),
                                                           ("blocked", .number(JSONNumber(datagramsBlocked)))]
        if let q = datagramsQueueDropped { entries.append(("queueDropped", .number(JSONNumber(q)))) }
        if datagramsThrottled > 0 { entries.append(("throttled", .number(JSONNumber(datagramsThrottled)))) }
        return JSONObject(entries)
    }

    /// The report's members, for callers that add their own (`compare`).
    var jsonObject: JSONObject {
        func millis(_ ns: Int64) -> JSONValue { .number(JSONNumber(text: formatMillis(ns))!) }
        let object: JSONValue = [
            "scenario": .string(scenario),
            "file": .string(file),
            "seed": .number(JSONNumber(seed)),
            "policy": .string(policy),
            "fullMesh": .bool(fullMesh),
            "convergedAt": convergedAt.map(millis) ?? .null,
            "pairs": ["expected": .number(JSONNumber(pairsExpected)), "connected": .number(JSONNumber(pairsConnected))],
            "signalingMessages": .number(JSONNumber(signalingMessages)),
            "events": .number(JSONNumber(events)),
            "simulatedMs": millis(simulatedNs),
            "traceHash": .string(traceHash),
            "expectations": .array(expectations.map { e in
                e.judged ? ["name": .string(e.name), "ok": .bool(e.ok), "detail": .string(e.detail)]
                         : ["name": .string(e.name), "ok": .bool(e.ok), "judged": .bool(false), "detail": .string(e.detail)]
            }),
            "violations": .array(violations.map { .string($0) }),
            "stuck": .array(stuck.map(\.json)),
            "relayedPairs": .number(JSONNumber(relayedPairs)),
            "controlMessages": .number(JSONNumber(controlMessages)),
            "offersCreated": .number(JSONNumber(offersCreated)),
            "connectionsCreated": .number(JSONNumber(connectionsCreated)),
            "connectionsRefused": .number(JSONNumber(connectionsRefused)),
            "operationErrors": .number(JSONNumber(operationErrors)),
            "signalsDropped": .number(JSONNumber(signalsDropped)),
            "iceRestarts": .number(JSONNumber(iceRestarts)),
            "datagrams": .object(datagramsJSON),
            "turn": ["allocations": .number(JSONNumber(turnAllocations)), "refused": .number(JSONNumber(turnRefused))],
            "traceLines": .number(JSONNumber(traceLines)),
            "budgetExhausted": .bool(budgetExhausted),
            "stopped": stopped.map { ["atMs": millis($0.atNs), "by": .string($0.by.code), "durationMs": millis($0.durationNs),
                                      "notJudged": .number(JSONNumber(notJudged))] } ?? .null,
            "passed": .bool(passed),
        ]
        guard case .object(var o) = object else { preconditionFailure("a dictionary literal is an object") }
        if let data { o.entries.append((key: "data", value: data.json)) }
        if let media { o.entries.append((key: "media", value: media.json)) }
        guard !attacks.isEmpty else { return o }
        o.entries.append((key: "attacks", value: [
            "tried": .number(JSONNumber(attacks.reduce(0) { $0 + $1.tried })),
            "blocked": .number(JSONNumber(attacks.reduce(0) { $0 + $1.blocked })),
            "byKind": .array(attacks.map { ["kind": .string($0.kind.rawValue), "tried": .number(JSONNumber($0.tried)),
                                            "blocked": .number(JSONNumber($0.blocked))] }),
        ]))
        return o
    }

    /// One line per failed (or unjudged) expectation and per invariant violation: what a
    /// JUnit failure and `ScenarioRun.failures` list.
    var failureLines: [String] {
        expectations.filter { !$0.ok }.map { "\($0.name): \($0.detail)" } + violations.map { "invariant violated: \($0)" }
    }

    /// Expectations a run stopped early could not judge.
    var notJudged: Int { expectations.filter { !$0.judged }.count }

    /// Readable text for a terminal. Every line goes through `oneLine`: names and
    /// descriptions come from the file and may hold anything.
    var text: String {
        var lines: [String] = []
        lines.append("\(scenario)  (\(file), seed \(seed), policy \(policy))")
        if let stopped {
            lines.append("  RUN STOPPED at \(formatSeconds(stopped.atNs)) by \(stopped.by.words), before the scenario's end at \(formatSeconds(stopped.durationNs)); what follows is the state at the stop")
        }
        let verdict = stopped != nil ? "AT THE STOP" : fullMesh ? "FULL MESH" : "NOT a full mesh"
        let converged = pairsExpected == 0 ? "" : convergedAt.map { ", \(stopped != nil ? "full since" : "converged at") \(formatSeconds($0))" } ?? ""
        lines.append("  \(verdict): \(pairsConnected) of \(counted(pairsExpected, "pair")) connected\(relayedPairs > 0 ? ", \(relayedPairs) through a TURN relay" : "")\(converged)")
        lines.append("  signaling: \(counted(signalingMessages, "signal")) relayed, \(counted(controlMessages, "control message"))\(signalsDropped > 0 ? ", \(signalsDropped) dropped (no WebSocket)" : ""); \(counted(offersCreated, "offer"))\(iceRestarts > 0 ? " (\(counted(iceRestarts, "ICE restart")))" : ""), \(counted(connectionsCreated, "peer connection"))\(connectionsRefused > 0 ? " (\(connectionsRefused) refused)" : "")")
        let blocked = datagramsBlocked > 0 ? ", \(datagramsBlocked) blocked by NATs, firewalls or routing" : ""
        let queued = (datagramsQueueDropped ?? 0) > 0 ? ", \(datagramsQueueDropped!) dropped by full access-link queues" : ""
        let throttled = datagramsThrottled > 0 ? "; \(datagramsThrottled) STUN dropped by the pages' browsers at their send limit" : ""
        lines.append("  simulated \(formatSeconds(simulatedNs)) in \(counted(events, "event")); \(counted(datagramsSent, "datagram")) (\(datagramsLost) lost\(blocked)\(queued))\(throttled); trace \(counted(traceLines, "line")), hash \(traceHash)")
        if turnAllocations + turnRefused > 0 {
            lines.append("  TURN: \(turnAllocations) allocations\(turnRefused > 0 ? ", \(turnRefused) refused (508 Insufficient Capacity: all \(turnCapacity) relayed transport addresses in use)" : "")")
        }
        if let data { lines += data.textLines }
        if let media { lines += media.textLines }
        if !attacks.isEmpty {
            let tried = attacks.reduce(0) { $0 + $1.tried }, blocked = attacks.reduce(0) { $0 + $1.blocked }
            lines.append("  attacks: \(blocked) of \(tried) blocked (" + attacks.map { "\($0.kind.rawValue) \($0.blocked)/\($0.tried)" }.joined(separator: ", ") + ")")
        }
        if !expectations.isEmpty {
            lines.append("  expectations:")
            for e in expectations { lines.append("    \(e.ok ? "ok  " : e.judged ? "FAIL" : "----") \(e.name): \(e.detail)") }
        }
        if violations.isEmpty {
            lines.append("  invariants: no violations")
        } else {
            lines.append("  invariant violations (\(violations.count)):")
            for v in violations.prefix(20) { lines.append("    \(v)") }
            if violations.count > 20 { lines.append("    ... \(violations.count - 20) more (see --json)") }
        }
        if !stuck.isEmpty {
            lines.append("  stuck pairs (\(stuck.count)):")
            lines += StuckPairGroup.textLines(stuck)
        }
        if passed {
            lines.append("  PASS")
        } else if notJudged > 0 && violations.isEmpty && expectations.allSatisfy({ $0.ok || !$0.judged }) {
            lines.append("  NOT JUDGED: \(counted(notJudged, "expectation")) about the end of the run could not be judged (exit status 1)")
        } else {
            lines.append("  FAIL")
        }
        return lines.map(oneLine).joined(separator: "\n")
    }
}
