import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// `bench events`: counting a run's events by kind observes and never decides.
@Suite struct EventProfileTests {
    static func run(_ path: String, profiled: Bool) throws -> (Simulation, RunReport, EventProfile?) {
        let s = try PerfettoTests.file(path)
        let sim = Simulation(scenario: s, options: RunOptions(seed: s.seed, policy: Policies.named(s.policy) ?? SeedPolicy()),
                             traceSink: TraceWriter(sink: nil))
        let profile = profiled ? EventProfile() : nil
        sim.eventProfile = profile
        sim.run()
        return (sim, RunReport(simulation: sim), profile)
    }

    @Test(arguments: ["Scenarios/10-peers.json", "Scenarios/lifecycle/refresh-clean.seed.json", "Scenarios/data/reload.json"])
    func aProfiledRunIsTheSameRun(path: String) throws {
        let (_, plain, _) = try Self.run(path, profiled: false)
        let (sim, profiled, profile) = try Self.run(path, profiled: true)
        let p = try #require(profile)
        #expect(profiled.json == plain.json)
        // Every executed event is counted once, under its own kind.
        #expect(p.events == sim.stats.events)
        #expect(p[.pcTimerEarly] + p[.pcTimerStale] + p[.pcTimerWithdrawn] <= p[.pcTimer])
        #expect(p[.dataTimerEarly] + p[.dataTimerStale] <= p[.dataTimer])
        // Datagrams that reached a connection, a server or were dropped are at most those that arrived.
        let kinds: [EventProfile.Kind] = [.stunRequest, .stunResponse, .dtls, .sctpControl, .sctpData, .sctpTraffic, .turnPacket, .toServers, .dropped]
        #expect(kinds.reduce(0) { $0 + p[$1] } <= p[.datagramArrive])
        #expect(p[.stunRequest] > 0 && p[.dtls] > 0 && p[.pageLoad] == sim.scenario.peers.count)
    }

    @Test func benchEventsPrintsEveryKindItSaw() throws {
        let r = try ProcessTests.run(["bench", "events", "Scenarios/2-peers.json", "--json"])
        #expect(r.status == 0)
        let v = try JSONParser.parse(r.stdout)
        #expect(v["events"]?.numberValue.flatMap { Int($0.text) } ?? 0 > 0)
        #expect(v["byKind"]?["datagram.stunRequest"] != nil)
        // Something was waiting at the busiest moment: events, datagrams and signaling frames.
        for part in ["events", "datagrams", "frames", "pageTasks"] {
            #expect(v["peakInFlight"]?[part]?.numberValue.flatMap { Int($0.text) } ?? 0 > 0, "\(part)")
        }
        let bad = try ProcessTests.run(["bench", "events", "Scenarios/no-such-file.json"])
        #expect(bad.status == 2)
    }
}
