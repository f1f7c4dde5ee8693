import Testing
import SignalProtocol
@testable import MeshSimKit

/// The CPU model's scheduler: threads run their tasks in order, share the machine's cores, and
/// a faster machine does the same work in less time (docs/model.md, "CPU").
@Suite struct MachineSchedulerTests {
    let ms: Int64 = 1_000_000

    @Test func aTaskOnAnIdleMachineEndsAfterItsCost() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        var thread: Int64 = 0
        #expect(s.run(3 * ms, on: m, threadFree: &thread, readyAt: 10 * ms) == 13 * ms)
        #expect(thread == 13 * ms)
    }

    @Test func aThreadRunsOneTaskAtATimeEvenWithFreeCores() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 4))
        var thread: Int64 = 0
        #expect(s.run(3 * ms, on: m, threadFree: &thread, readyAt: 0) == 3 * ms)
        #expect(s.run(3 * ms, on: m, threadFree: &thread, readyAt: 0) == 6 * ms)
        #expect(s.run(1 * ms, on: m, threadFree: &thread, readyAt: 10 * ms) == 11 * ms, "an idle thread starts at once")
    }

    @Test func threadsShareTheCores() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        var a: Int64 = 0, b: Int64 = 0, c: Int64 = 0
        #expect(s.run(4 * ms, on: m, threadFree: &a, readyAt: 0) == 4 * ms)
        #expect(s.run(4 * ms, on: m, threadFree: &b, readyAt: 0) == 4 * ms, "two cores: two threads at once")
        #expect(s.run(4 * ms, on: m, threadFree: &c, readyAt: 0) == 8 * ms, "the third waits for a core")
    }

    @Test func machinesDoNotShareCores() {
        var s = MachineScheduler()
        let m1 = s.add(MachineSpec(name: "one", cores: 1))
        let m2 = s.add(MachineSpec(name: nil, cores: 1))
        var a: Int64 = 0, b: Int64 = 0
        #expect(s.run(4 * ms, on: m1, threadFree: &a, readyAt: 0) == 4 * ms)
        #expect(s.run(4 * ms, on: m2, threadFree: &b, readyAt: 0) == 4 * ms, "the other machine's core is free")
    }

    @Test func speedScalesTheDuration() {
        var s = MachineScheduler()
        let fast = s.add(MachineSpec(name: "fast", cores: 1, speed: 2))
        let slow = s.add(MachineSpec(name: "slow", cores: 1, speed: 0.5))
        var a: Int64 = 0, b: Int64 = 0
        #expect(s.run(4 * ms, on: fast, threadFree: &a, readyAt: 0) == 2 * ms)
        #expect(s.run(4 * ms, on: slow, threadFree: &b, readyAt: 0) == 8 * ms)
    }

    /// A task that must wait for its thread goes on the core that became free last before it
    /// can start, so the core free earliest stays free for a task that can run sooner.
    @Test func aWaitingTaskLeavesTheEarlierCoreFree() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        var a: Int64 = 0, b: Int64 = 0, c: Int64 = 0
        _ = s.run(10 * ms, on: m, threadFree: &a, readyAt: 0)     // core 0 busy to 10
        _ = s.run(2 * ms, on: m, threadFree: &b, readyAt: 0)      // core 1 busy to 2
        // a's next task cannot start before 10: it takes core 0 (free at 10), not core 1.
        #expect(s.run(5 * ms, on: m, threadFree: &a, readyAt: 0) == 15 * ms)
        #expect(s.run(1 * ms, on: m, threadFree: &c, readyAt: 3 * ms) == 4 * ms, "core 1 is still free from 2")
    }

    @Test func everyWorkHasAThreadAndACost() {
        for w in CPUWork.allCases {
            #expect(w.cost > 0, "\(w)")
            #expect(w.firstTimeCost >= 0, "\(w)")
        }
        #expect(CPUWork.createOffer.thread == .signaling)
        #expect(CPUWork.webSocketMessage.thread == .main)
        #expect(CPUWork.stunPacket.thread == .network)
    }

    @Test func packetsAreChargedByWhatTheyCarry() {
        #expect(CPUWork.packet(.dtls(DTLSFlight(number: 1, fingerprint: "f"))) == .dtlsServerHello)
        #expect(CPUWork.packet(.dtls(DTLSFlight(number: 2, fingerprint: "f"))) == .dtlsClientKeyExchange)
        #expect(CPUWork.packet(.dtls(DTLSFlight(number: 3, fingerprint: "f"))) == .dtlsServerFinished)
        #expect(CPUWork.packet(.dtls(DTLSFlight(number: 4, fingerprint: "f"))) == .dtlsClientFinished)
        #expect(CPUWork.packet(.sctp(.abort)) == .sctpPacket)
        let relayed = PeerPacket.turn(.dataIndication(peer: TransportAddress(ip: 1, port: 2),
                                                      data: .dtls(DTLSFlight(number: 1, fingerprint: "f"))))
        #expect(CPUWork.packet(relayed) == .dtlsServerHello, "a relayed DTLS flight costs what a direct one does")
    }

    @Test func operationsAreChargedByKindAndDirection() {
        #expect(CPUWork.operation(.createOffer, remoteDescription: false) == .createOffer)
        #expect(CPUWork.operation(.setLocalDescription(nil), remoteDescription: false) == .setLocalOffer)
        #expect(CPUWork.operation(.setLocalDescription(nil), remoteDescription: true) == .setLocalAnswer)
        #expect(CPUWork.operation(.addIceCandidate(.endOfCandidates(ufrag: "u")), remoteDescription: true) == .addIceCandidate)
    }
}
