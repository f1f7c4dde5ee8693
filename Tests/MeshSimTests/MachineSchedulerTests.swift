import Testing
import SignalProtocol
@testable import MeshSimKit

/// The CPU model's scheduler: threads run their tasks in order, share the machine's cores as
/// Linux's CFS shares them (the least-served thread first, a waking short task ahead of a busy
/// thread), and a faster machine does the same work in less time (docs/model.md, "CPU").
@Suite struct MachineSchedulerTests {
    let ms: Int64 = 1_000_000

    @Test func aTaskOnAnIdleMachineEndsAfterItsCost() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let t = s.addThread(on: m)
        #expect(s.run(3 * ms, thread: t, readyAt: 10 * ms) == 13 * ms)
        #expect(s.free(t) == 13 * ms)
        #expect(s.used(t) == 3 * ms)
    }

    @Test func aThreadRunsOneTaskAtATimeEvenWithFreeCores() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 4))
        let t = s.addThread(on: m)
        #expect(s.run(3 * ms, thread: t, readyAt: 0) == 3 * ms)
        #expect(s.run(3 * ms, thread: t, readyAt: 0) == 6 * ms)
        #expect(s.run(1 * ms, thread: t, readyAt: 10 * ms) == 11 * ms, "an idle thread starts at once")
    }

    /// A single thread that wakes while another core is free runs at once, whatever the other
    /// threads have used.
    @Test func aThreadOnAFreeCoreRunsImmediately() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        let busy = s.addThread(on: m)
        let other = s.addThread(on: m)
        _ = s.run(50 * ms, thread: busy, readyAt: 0)
        #expect(s.run(1 * ms, thread: other, readyAt: 5 * ms) == 6 * ms)
    }

    @Test func threadsShareTheCores() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        let a = s.addThread(on: m), b = s.addThread(on: m), c = s.addThread(on: m)
        #expect(s.run(4 * ms, thread: a, readyAt: 0) == 4 * ms)
        #expect(s.run(4 * ms, thread: b, readyAt: 0) == 4 * ms, "two cores: two threads at once")
        #expect(s.run(4 * ms, thread: c, readyAt: 0) == 8 * ms,
                "the third has used no less than the others by more than the wakeup granularity: it waits for a core")
    }

    /// CFS: a thread waking with a short task runs ahead of a thread that has been busy all
    /// along (it has used far more CPU), instead of waiting for the work queued on the cores.
    @Test func aWakingShortTaskPreemptsABusyThread() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let busy = s.addThread(on: m)
        let waker = s.addThread(on: m)
        for _ in 0..<20 { _ = s.run(2 * ms, thread: busy, readyAt: 0) }   // queued until 40 ms
        #expect(s.free(busy) == 40 * ms)
        #expect(s.run(1 * ms, thread: waker, readyAt: 10 * ms) == 11 * ms, "runs at once: preempts the busy thread")
        // No CPU is created: the busy thread's work already given keeps its end, and what is
        // given to that core afterwards waits for the preempting task's millisecond.
        #expect(s.run(2 * ms, thread: busy, readyAt: 0) == 43 * ms)
    }

    /// No sleeper credit (EEVDF): a thread waking level with the busy one it would displace
    /// waits for the busy thread's running task, then goes ahead of its next. Under CFS's
    /// `GENTLE_FAIR_SLEEPERS` it was placed 3 ms behind (half the 6 ms latency of one core) and
    /// preempted at once, ending at 11 ms.
    @Test func aWakingThreadGetsNoSleeperCredit() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let busy = s.addThread(on: m)
        let waker = s.addThread(on: m)
        #expect(s.run(20 * ms, thread: busy, readyAt: 0) == 20 * ms)
        // Given at 10 ms, when the busy thread has used 10 ms: min_vruntime is 10 ms.
        #expect(s.run(10 * ms, thread: busy, readyAt: 10 * ms) == 30 * ms)
        #expect(s.run(1 * ms, thread: waker, readyAt: 10 * ms) == 21 * ms, "after the running task, before the next")
        #expect(s.run(1 * ms, thread: busy, readyAt: 0) == 32 * ms)
    }

    /// A page's network thread: its short tasks start as soon as the thread is free and take no
    /// core from the others.
    @Test func aPreemptingTaskTakesNoCore() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let busy = s.addThread(on: m)
        let network = s.addThread(on: m)
        _ = s.run(10 * ms, thread: busy, readyAt: 0)
        #expect(s.run(ms / 10, thread: network, readyAt: 2 * ms, preempts: true) == 2 * ms + ms / 10)
        #expect(s.run(1 * ms, thread: busy, readyAt: 0) == 11 * ms, "the core is not charged")
    }

    /// A thread a little less served than the one holding the core (by less than the wakeup
    /// granularity) does not preempt it, but is picked at the next scheduling point: within a
    /// minimum granularity, not after everything queued on the core.
    @Test func aSlightlyLessServedThreadRunsAtTheNextPick() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))   // latency 6, min granularity 0.75, wakeup 1 ms
        let w = s.addThread(on: m)
        let busy = s.addThread(on: m)
        _ = s.run(9 * ms, thread: w, readyAt: 0)             // 0 to 9
        _ = s.run(20 * ms, thread: busy, readyAt: 0)         // 9 to 29
        // At 18.5 ms busy has run 9.5 ms, w 9 ms: 0.5 ms less, under the granularity.
        #expect(s.run(1 * ms, thread: w, readyAt: 18_500_000) == 20_250_000)
    }

    /// The credit a sleeping thread gets is bounded: a thread that used much more than the
    /// others and slept only briefly does not preempt.
    @Test func aBusyThreadWakingDoesNotPreemptALessServedOne() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 1))
        let heavy = s.addThread(on: m)
        let light = s.addThread(on: m)
        _ = s.run(30 * ms, thread: heavy, readyAt: 0)           // used 30 ms, done at 30
        _ = s.run(5 * ms, thread: light, readyAt: 30 * ms)      // the core: busy 30 to 35
        #expect(s.run(1 * ms, thread: heavy, readyAt: 31 * ms) == 36 * ms, "waits for the core")
    }

    /// Picks among equals are decided by the order of the cores and threads, never by chance:
    /// the same calls give the same times.
    @Test func tiesAreDeterministic() {
        func schedule() -> [Int64] {
            var s = MachineScheduler()
            let m = s.add(MachineSpec(name: "box", cores: 2))
            let threads = (0..<5).map { _ in s.addThread(on: m) }
            var ends: [Int64] = []
            for round in 0..<4 {
                for t in threads { ends.append(s.run(Int64(1 + round) * ms, thread: t, readyAt: Int64(round) * ms)) }
            }
            return ends
        }
        let first = schedule()
        #expect(first == schedule())
        // Two threads that used the same CPU, one core each: a third, least served, preempts
        // one of them at once (the lower core on a tie).
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        let a = s.addThread(on: m), b = s.addThread(on: m), c = s.addThread(on: m)
        _ = s.run(20 * ms, thread: a, readyAt: 0)   // core 0 to 20
        _ = s.run(20 * ms, thread: b, readyAt: 0)   // core 1 to 20
        #expect(s.run(1 * ms, thread: c, readyAt: 5 * ms) == 6 * ms)
        // Core 0 now owes that millisecond; core 1 is free first.
        let d = s.addThread(on: m)
        #expect(s.run(1 * ms, thread: d, readyAt: 20 * ms) == 21 * ms)
        #expect(s.run(1 * ms, thread: a, readyAt: 20 * ms) == 22 * ms, "core 0 is free at 21")
    }

    @Test func machinesDoNotShareCores() {
        var s = MachineScheduler()
        let m1 = s.add(MachineSpec(name: "one", cores: 1))
        let m2 = s.add(MachineSpec(name: nil, cores: 1))
        let a = s.addThread(on: m1), b = s.addThread(on: m2)
        #expect(s.run(4 * ms, thread: a, readyAt: 0) == 4 * ms)
        #expect(s.run(4 * ms, thread: b, readyAt: 0) == 4 * ms, "the other machine's core is free")
    }

    @Test func speedScalesTheDuration() {
        var s = MachineScheduler()
        let fast = s.add(MachineSpec(name: "fast", cores: 1, speed: 2))
        let slow = s.add(MachineSpec(name: "slow", cores: 1, speed: 0.5))
        let a = s.addThread(on: fast), b = s.addThread(on: slow)
        #expect(s.run(4 * ms, thread: a, readyAt: 0) == 2 * ms)
        #expect(s.run(4 * ms, thread: b, readyAt: 0) == 8 * ms)
    }

    /// A task that must wait for its thread goes on the core that became free last before it
    /// can start, so the core free earliest stays free for a task that can run sooner.
    @Test func aWaitingTaskLeavesTheEarlierCoreFree() {
        var s = MachineScheduler()
        let m = s.add(MachineSpec(name: "box", cores: 2))
        let a = s.addThread(on: m), b = s.addThread(on: m), c = s.addThread(on: m)
        _ = s.run(10 * ms, thread: a, readyAt: 0)     // core 0 busy to 10
        _ = s.run(2 * ms, thread: b, readyAt: 0)      // core 1 busy to 2
        // a's next task cannot start before 10: it takes core 0 (free at 10), not core 1.
        #expect(s.run(5 * ms, thread: a, readyAt: 0) == 15 * ms)
        #expect(s.run(1 * ms, thread: c, readyAt: 3 * ms) == 4 * ms, "core 1 is still free from 2")
    }

    /// The kernel's defaults, scaled by 1 + log2(cores) up to 8 cores.
    @Test func tunablesScaleWithTheCores() {
        #expect(FairSchedulingTunables(cores: 1).latency == 6 * ms)
        #expect(FairSchedulingTunables(cores: 2).latency == 12 * ms)
        #expect(FairSchedulingTunables(cores: 2).wakeupGranularity == 2 * ms)
        #expect(FairSchedulingTunables(cores: 4).minGranularity == 2_250_000)
        #expect(FairSchedulingTunables(cores: 64).latency == 24 * ms, "scaled as for 8 cores")
        #expect(FairSchedulingTunables(cores: 2).sleeperCredit == 0, "EEVDF keeps no sleeper credit")
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
