import Testing
@testable import MeshSimKit

/// The kernel's queue: time order, first-in first-out among equal times, every event intact.
@Suite struct EventQueueTests {
    @Test func popsInTimeOrderThenInsertionOrder() {
        var rng = SimRandom(seed: 42)
        let queue = EventQueue(reservingCapacity: 4)  // forces growth
        // The reference: kept sorted by (time, insertion order), a new entry after its equals.
        var reference: [(time: Int64, id: Int32)] = []
        var popped = 0
        var seq: Int32 = 0
        // Interleave pushes and pops, with many equal times and some negative ones.
        for round in 0..<20_000 {
            for _ in 0..<Int(rng.next(below: 3)) {
                let t = Int64(rng.next(below: 50)) - 5 + Int64(round / 100)
                queue.push(.pcTask(seq), at: t)
                let at = reference.firstIndex { $0.time > t } ?? reference.count
                reference.insert((t, seq), at: at)
                seq += 1
            }
            if rng.next(below: 4) != 0, let e = queue.pop() {
                guard case .pcTask(let id) = e.event else { Issue.record("wrong event"); return }
                let expected = reference.removeFirst()
                #expect(expected.id == id && expected.time == e.time)
                popped += 1
            }
        }
        #expect(queue.count == reference.count)
        for r in reference {
            let e = queue.pop()
            guard case .pcTask(let id)? = e?.event else { Issue.record("queue ran dry"); return }
            #expect(id == r.id && e?.time == r.time)
        }
        #expect(queue.isEmpty && queue.pop() == nil)
        #expect(popped > 10_000)
    }

    @Test func everyEventKindSurvivesTheQueue() {
        let events: [Event] = [
            .scenarioAction(3), .pageLoad(Int32.max), .wsOpened(page: 7, epoch: UInt32.max), .wsArrive(0),
            .datagramArrive(123_456), .pcTask(-1), .pcTimer(99, epoch: 5), .wsReconnect(page: 2, epoch: 1),
            .serverPing, .serverUp, .deferred(4), .meshTimer(8), .bench,
        ]
        let queue = EventQueue()
        for (i, e) in events.enumerated() { queue.push(e, at: Int64.min + Int64(i)) }
        for e in events {
            let got = queue.pop()!
            #expect(String(describing: got.event) == String(describing: e))
        }
        // Extreme times keep their order.
        queue.push(.bench, at: Int64.max)
        queue.push(.serverUp, at: Int64.min)
        queue.push(.serverPing, at: 0)
        #expect(queue.pop()?.time == Int64.min)
        #expect(queue.pop()?.time == 0)
        #expect(queue.pop()?.time == Int64.max)
        // After the last slot of all, the queue still takes and orders events.
        queue.push(.serverPing, at: Int64.max)
        queue.push(.serverUp, at: 5)
        queue.push(.bench, at: Int64.max - 1)
        #expect(queue.pop()?.time == 5)
        #expect(queue.pop()?.time == Int64.max - 1)
        #expect(queue.pop()?.time == Int64.max)
        #expect(queue.isEmpty)
    }

    /// Times spread like a simulation's (same instant, microseconds, a 40 ms flight, a 2.5 s
    /// consent check, 30 s and 10 min timers, now and then one in the past), so entries go
    /// through the near heap, the slot buckets and the far heap, and windows are skipped.
    @Test func ordersAcrossTheNearHeapBucketsAndFarHeap() {
        var rng = SimRandom(seed: 7)
        let queue = EventQueue()
        var reference: [(time: Int64, id: Int32)] = []
        let delays: [Int64] = [0, 1_000, 40_000_000, 2_500_000_000, 30_000_000_000, 600_000_000_000]
        var now: Int64 = 0
        var seq: Int32 = 0
        for _ in 0..<12_000 {
            for _ in 0..<Int(rng.next(below: 3)) {
                var t = now + delays[Int(rng.next(below: UInt64(delays.count)))] + Int64(rng.next(below: 1_000))
                if rng.next(below: 50) == 0 { t = now - Int64(rng.next(below: 100_000_000)) }
                queue.push(.pcTask(seq), at: t)
                let at = reference.firstIndex { $0.time > t } ?? reference.count
                reference.insert((t, seq), at: at)
                seq += 1
            }
            if rng.next(below: 3) != 0, !reference.isEmpty {
                #expect(queue.nextTime == reference[0].time)
                guard let e = queue.pop(), case .pcTask(let id) = e.event else { Issue.record("queue ran dry"); return }
                let expected = reference.removeFirst()
                #expect(expected.id == id && expected.time == e.time)
                now = max(now, e.time)
            }
        }
        #expect(queue.count == reference.count)
        for r in reference {
            let e = queue.pop()
            guard case .pcTask(let id)? = e?.event else { Issue.record("queue ran dry"); return }
            #expect(id == r.id && e?.time == r.time)
        }
        #expect(queue.isEmpty && queue.nextTime == nil && queue.pop() == nil)
    }
}
