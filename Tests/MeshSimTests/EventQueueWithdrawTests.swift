import Testing
@testable import MeshSimKit

/// Withdrawing a pending entry (`EventQueue.withdraw`): the rest pop exactly as before; a
/// withdrawn connection timer still comes out in its place, marked, and any other withdrawn
/// entry never does.
@Suite struct EventQueueWithdrawTests {
    /// A slot of the queue, in nanoseconds.
    static let slot = Int64(1) << Int64(EventQueue.slotShift)

    @Test func everythingPopsInOrderWithdrawnTimersMarkedInTheirPlace() {
        var rng = SimRandom(seed: 7)
        let withdrawing = EventQueue()
        let reference = EventQueue()
        // Connection timers as a run re-arms them: one withdrawable entry per connection, the
        // previous one withdrawn when a re-arm supersedes it (or left to come due when it was
        // not withdrawable any more). Other events in between, as the reference has them.
        var tickets = [UInt64](repeating: 0, count: 50)
        var epochs = [UInt32](repeating: 0, count: 50)
        var withdrawn = Set<UInt64>()  // membership only: (connection << 32 | epoch)
        var now: Int64 = 0
        var popped = 0
        for _ in 0..<20_000 {
            let c = Int(rng.next(below: 50))
            let at = now + Int64(rng.next(below: UInt64(40 * Self.slot)))
            if tickets[c] != 0, withdrawing.withdraw(tickets[c], .pcTimer(Int32(c), epoch: epochs[c])) {
                withdrawn.insert(UInt64(c) << 32 | UInt64(epochs[c]))
            }
            epochs[c] &+= 1
            tickets[c] = withdrawing.pushWithdrawable(.pcTimer(Int32(c), epoch: epochs[c]), at: at)
            reference.push(.pcTimer(Int32(c), epoch: epochs[c]), at: at)
            withdrawing.push(.pcTask(Int32(c)), at: at)
            reference.push(.pcTask(Int32(c)), at: at)
            guard rng.next(below: 3) == 0 else { continue }
            now += Int64(rng.next(below: UInt64(3 * Self.slot)))
            while let t = reference.nextTime, t <= now {
                let r = reference.pop()!
                #expect(withdrawing.nextTime == t)
                let w = withdrawing.pop()
                #expect(w?.time == r.time && w.map { String(describing: $0.event) } == String(describing: r.event))
                var wasWithdrawn = false
                if case .pcTimer(let rc, let re) = r.event { wasWithdrawn = withdrawn.contains(UInt64(rc) << 32 | UInt64(re)) }
                #expect(w?.withdrawn == wasWithdrawn)
                popped += 1
            }
        }
        // The rest drain alike, to the last entry.
        #expect(withdrawing.count == reference.count)
        while let r = reference.pop() {
            let w = withdrawing.pop()
            #expect(w?.time == r.time && w.map { String(describing: $0.event) } == String(describing: r.event))
        }
        #expect(withdrawing.isEmpty && withdrawing.pop() == nil)
        #expect(withdrawn.count > 1_000 && popped > 10_000)
    }

    @Test func aTicketWithdrawsOnlyItsOwnEntryAndOnlyOnce() {
        let queue = EventQueue()
        let ticket = queue.pushWithdrawable(.dataTimer(3, epoch: 1), at: 5 * Self.slot)
        #expect(ticket != 0)
        #expect(!queue.withdraw(ticket, .dataTimer(3, epoch: 2)))  // another epoch: not this entry
        #expect(!queue.withdraw(ticket, .dataTimer(4, epoch: 1)))
        #expect(!queue.withdraw(ticket, .pcTimer(3, epoch: 1)))
        #expect(queue.count == 1)
        #expect(queue.withdraw(ticket, .dataTimer(3, epoch: 1)))
        #expect(!queue.withdraw(ticket, .dataTimer(3, epoch: 1)))  // already withdrawn
        #expect(queue.withdrawnByTag[Int(EventQueue.encode(.dataTimer(0, epoch: 0)).tag)] == 1)
        // A withdrawn data timer never comes out.
        #expect(queue.count == 0 && queue.nextTime == nil && queue.pop() == nil)
        #expect(!queue.withdraw(0, .dataTimer(3, epoch: 1)))
        // In the current slot (the near heap) an entry is not withdrawable: ticket 0.
        #expect(queue.pushWithdrawable(.pcTimer(1, epoch: 0), at: 0) == 0)
        // Once its bucket was poured, a ticket withdraws nothing; the entry pops.
        let late = queue.pushWithdrawable(.pcTimer(2, epoch: 0), at: 3 * Self.slot)
        #expect(queue.pop()?.time == 0)
        #expect(queue.nextTime == 3 * Self.slot)
        #expect(!queue.withdraw(late, .pcTimer(2, epoch: 0)))
        let last = queue.pop()
        #expect(last?.time == 3 * Self.slot && last?.withdrawn == false)
    }

    @Test func aWithdrawnConnectionTimerComesOutInItsPlaceMarked() {
        let queue = EventQueue()
        // Withdrawn timers alone in their slots, before, between and after other events.
        var tickets: [UInt64] = []
        for (i, at) in [2 * Self.slot, 4 * Self.slot + 5, 20 * Self.slot].enumerated() {
            tickets.append(queue.pushWithdrawable(.pcTimer(Int32(i), epoch: 0), at: at))
        }
        queue.push(.bench, at: 4 * Self.slot + 5)  // same time as timer 1, pushed after it
        queue.push(.bench, at: 3 * Self.slot)
        for (i, t) in tickets.enumerated() { #expect(queue.withdraw(t, .pcTimer(Int32(i), epoch: 0))) }
        #expect(queue.count == 5)
        var got: [(Int64, Bool)] = []
        while let e = queue.pop() { got.append((e.time, e.withdrawn)) }
        #expect(got.map(\.0) == [2 * Self.slot, 3 * Self.slot, 4 * Self.slot + 5, 4 * Self.slot + 5, 20 * Self.slot])
        #expect(got.map(\.1) == [true, false, true, false, true])
        #expect(queue.isEmpty)
    }
}
