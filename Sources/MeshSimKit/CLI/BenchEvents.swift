import Foundation
import SignalProtocol

/// `MeshSim bench events FILE`: runs a scenario with an `EventProfile` and prints its events by
/// kind, per pair and per RTCPeerConnection (docs/performance.md, "Events by kind").
enum BenchEvents {
    static func run(_ a: Arguments) throws(UsageError) -> Int32 {
        guard a.positional.count == 2 else { throw UsageError(message: "expected \"bench events FILE\"") }
        let file = a.positional[1]
        var seed: UInt64?
        if let s = try a.value("seed") {
            guard s.first?.isASCII == true, s.first?.isNumber == true, let v = UInt64(s) else { throw UsageError(message: "--seed: expected an integer from 0 to 18446744073709551615, got \(scenarioQuote(s))") }
            seed = v
        }
        let policyOverride = try MeshSimCommand.policyOption(a)
        let scenario: Scenario, policy: any MeshPolicy
        switch MeshSimCommand.load(file, policyOverride: policyOverride) {
        case .success(let loaded): (scenario, policy) = loaded
        case .failure(let problems):
            for p in problems { MeshSimCommand.printError(p.description) }
            return 2
        }
        let sim = Simulation(scenario: scenario, options: RunOptions(seed: seed ?? scenario.seed, policy: policy),
                             traceSink: TraceWriter(sink: nil))
        let profile = EventProfile()
        sim.eventProfile = profile
        sim.run()
        let report = RunReport(simulation: sim)
        let pairs = max(report.pairsExpected, 1), connections = max(sim.stats.connectionsCreated, 1)
        let events = profile.events
        if a.flag("json") {
            var fields: [String] = ["\"file\":\(JSONWriter.quote(file))", "\"events\":\(events)", "\"pairs\":\(report.pairsExpected)",
                                    "\"connections\":\(sim.stats.connectionsCreated)", "\"traceHash\":\"\(report.traceHash)\""]
            let kinds = EventProfile.Kind.allCases.filter { profile[$0] > 0 }.map { "\(JSONWriter.quote($0.name)):\(profile[$0])" }
            fields.append("\"byKind\":{\(kinds.joined(separator: ","))}")
            fields.append("\"peakInFlight\":{\"events\":\(profile.peakPending),\"pageTasks\":\(sim.pageTasks.highWater),"
                          + "\"datagrams\":\(sim.network.datagramsHighWater),\"frames\":\(sim.webSockets.framesHighWater)}")
            print("{\(fields.joined(separator: ","))}")
            return 0
        }
        print("\(file): \(counted(events, "event")), \(counted(report.pairsExpected, "pair")), "
              + "\(counted(sim.stats.connectionsCreated, "RTCPeerConnection")), trace \(report.traceHash)")
        // What waits at the busiest moment, and what each waiting item costs (slab slots are kept).
        print("peak in flight: \(profile.peakPending) events (24 B each), \(sim.pageTasks.highWater) page tasks "
              + "(\(MemoryLayout<PageTask?>.stride) B), \(sim.network.datagramsHighWater) datagrams (\(MemoryLayout<Datagram?>.stride) B), "
              + "\(sim.webSockets.framesHighWater) WebSocket frames (\(MemoryLayout<WebSocketFrame?>.stride) B)")
        print(pad("kind", 24) + pad("count", 12, right: true) + pad("per pair", 11, right: true)
              + pad("per conn", 11, right: true) + pad("of events", 11, right: true))
        for kind in EventProfile.Kind.allCases where profile[kind] > 0 {
            let n = profile[kind]
            let name = kind.isEvent ? kind.name : "  " + kind.name
            print(pad(name, 24) + pad(String(n), 12, right: true)
                  + pad(String(format: "%.2f", Double(n) / Double(pairs)), 11, right: true)
                  + pad(String(format: "%.2f", Double(n) / Double(connections)), 11, right: true)
                  + pad(String(format: "%.1f %%", 100 * Double(n) / Double(max(events, 1))), 11, right: true))
        }
        return 0
    }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
