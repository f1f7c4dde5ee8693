import Foundation
import Testing
@testable import MeshSimKit
@testable import SignalProtocol

/// The processes between the pages under the CPU model (docs/model.md, "CPU"): the browser
/// process carries its pages' WebSocket frames one at a time, and a signaling server placed on
/// a machine (`network.server.machine`) reads, handles and sends every message on one thread
/// that shares that machine's cores.
@Suite struct ProcessCPUTests {
    let ms: Int64 = 1_000_000

    /// `n` tabs joining `every` apart on one machine `box` with `cores` cores, loopback-like;
    /// the server on `box` too when `serverOnBox`.
    static func join(_ n: Int, every: String, cores: Int, serverOnBox: Bool, seed: UInt64 = 1) -> String {
        let server = serverOnBox ? #", "machine": "box""# : ""
        return """
        {"name": "join", "seed": \(seed), "duration": "20s", "machines": {"box": {"cores": \(cores)}},
         "network": {"latency": "0.05ms", "server": {"latency": "0ms"\(server)}, "stun": false},
         "peers": [{"count": \(n), "idPrefix": "p", "join": {"start": "0s", "every": "\(every)"}, "machine": "box"}]}
        """
    }

    @Test func theBrowserProcessCarriesOneFrameAtATime() {
        var s = MachineScheduler()
        let box = s.add(MachineSpec(name: "box", cores: 4))
        let other = s.add(MachineSpec(name: "other", cores: 4))
        #expect(s.runBrowser(1 * ms, on: box, readyAt: 0) == 1 * ms)
        #expect(s.runBrowser(1 * ms, on: box, readyAt: 0) == 2 * ms, "one thread per browser: the second frame waits")
        #expect(s.runBrowser(1 * ms, on: other, readyAt: 0) == 1 * ms, "another machine has its own browser")
        #expect(s.runBrowser(1 * ms, on: box, readyAt: 10 * ms) == 11 * ms, "an idle browser thread starts at once")
    }

    @Test func everyProcessWorkCosts() {
        for w in [ProcessWork.serverReadsFrame, .serverSendsMessage, .serverAcceptsSocket, .browserCarriesFrame] {
            #expect(w.cost > 0, "\(w)")
        }
    }

    @Test func theServersMachineIsReadFromTheNetwork() throws {
        let s = try ScenarioRunTests.scenario(Self.join(2, every: "100ms", cores: 2, serverOnBox: true))
        #expect(s.network.serverMachine == "box")
        let t = try ScenarioRunTests.scenario(Self.join(2, every: "100ms", cores: 2, serverOnBox: false))
        #expect(t.network.serverMachine == nil)
    }

    /// A server on the tabs' two cores is one more thread competing for them: every frame it
    /// reads and every message it sends is charged to it there, and the storm comes out
    /// differently from one whose server works for free. (Under the fair scheduler the storm is
    /// not necessarily later: the tabs' own short tasks go ahead of the busy server.)
    @Test func aServerOnTheTabsMachineUsesTheirCores() throws {
        let (sim, _) = ScenarioRunTests.run(try ScenarioRunTests.scenario(Self.join(12, every: "20ms", cores: 2, serverOnBox: true)))
        let thread = try #require(sim.signaling.thread)
        // 336 signals read and relayed, hellos, inits and onlines: about 0.25 ms each (the CPU
        // the crosscheck's Python server used, docs/model.md, costs).
        #expect(sim.machines.used(thread) > 80 * ms, "server used \(sim.machines.used(thread) / ms) ms")
        let on = try CPUModelTests.convergence(Self.join(12, every: "20ms", cores: 2, serverOnBox: true))
        let off = try CPUModelTests.convergence(Self.join(12, every: "20ms", cores: 2, serverOnBox: false))
        #expect(on.at != off.at)
    }

    /// Under a storm the signals wait in the server's queue: the relay of a signal (sent by one
    /// page, delivered to the other) takes far longer than between two lone tabs.
    @Test func aStormsSignalsWaitInTheServer() throws {
        func medianRelay(_ json: String) throws -> Double {
            let (sim, _) = ScenarioRunTests.run(try ScenarioRunTests.scenario(json))
            var sent: [String: Double] = [:]
            var relays: [Double] = []
            for line in sim.trace.capturedLines {
                guard let v = try? JSONParser.parse(line), let t = v["t"]?.numberValue?.double else { continue }
                let key = "\(v["peer"]?.stringValue ?? "")>\(v["remote"]?.stringValue ?? "")>\(v["value"]?.stringValue ?? "")"
                if v["kind"]?.stringValue == "signal", v["value"]?.stringValue == "offer" { sent[key] = t }
                if v["kind"]?.stringValue == "signalingState", v["value"]?.stringValue == "have-remote-offer" {
                    let back = "\(v["remote"]?.stringValue ?? "")>\(v["peer"]?.stringValue ?? "")>offer"
                    if let s = sent[back] { relays.append(t - s) }
                }
            }
            relays.sort()
            return try #require(relays.isEmpty ? nil : relays[relays.count / 2])
        }
        let pair = try medianRelay(Self.join(2, every: "500ms", cores: 2, serverOnBox: true))
        let storm = try medianRelay(Self.join(12, every: "20ms", cores: 2, serverOnBox: true))
        #expect(storm > 10 * pair, "offer sent -> applied: storm \(storm) ms, lone pair \(pair) ms")
    }

    /// A server on a machine restarted in the middle of a join (the frames it was reading are
    /// lost with its process) still brings the pages to a full mesh once it is back.
    @Test func aServerOnAMachineSurvivesARestart() throws {
        let json = """
        {"name": "restart", "duration": "20s", "machines": {"box": {"cores": 2}},
         "network": {"latency": "0.05ms", "server": {"latency": "0ms", "machine": "box"}, "stun": false},
         "peers": [{"count": 6, "idPrefix": "p", "join": {"start": "0s", "every": "20ms"}, "machine": "box"}],
         "events": [{"at": "100ms", "do": "serverRestart", "downtime": "1s"}]}
        """
        let (_, report) = ScenarioRunTests.run(try ScenarioRunTests.scenario(json))
        #expect(report.fullMesh)
    }

    @Test func sameSeedSameTraceWithTheServerOnAMachine() throws {
        let s = try ScenarioRunTests.scenario(Self.join(8, every: "20ms", cores: 2, serverOnBox: true))
        let (a, _) = ScenarioRunTests.run(s)
        let (b, _) = ScenarioRunTests.run(s)
        #expect(a.trace.capturedLines == b.trace.capturedLines)
    }
}
