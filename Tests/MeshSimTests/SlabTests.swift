import Testing
@testable import MeshSimKit

/// `Slab`: slots reused, values moved in and out, a copy independent of the original, every
/// value released when the slab goes.
@Suite struct SlabTests {
    final class Tracked {
        static var alive = 0
        let n: Int
        init(_ n: Int) { self.n = n; Tracked.alive += 1 }
        deinit { Tracked.alive -= 1 }
    }

    @Test func slotsAreReusedAndValuesComeBackOut() {
        var slab = Slab<String>()
        let a = slab.insert("a"), b = slab.insert("b"), c = slab.insert("c")
        #expect([a, b, c] == [0, 1, 2])
        #expect(slab.remove(b) == "b")
        let d = slab.insert("d")
        #expect(d == b)
        var seen: [String] = []
        slab.forEach { seen.append($0) }
        #expect(seen == ["a", "d", "c"])
        #expect(slab.highWater == 3)
        // Growing past the first room keeps every value in its slot.
        var many: [Int32] = []
        for i in 0..<100 { many.append(slab.insert("v\(i)")) }
        #expect(slab.remove(many[57]) == "v57")
        #expect(slab.remove(a) == "a")
        #expect(slab.highWater == 103)
    }

    @Test func aCopyIsIndependent() {
        var one = Slab<[Int]>()
        let s = one.insert([1, 2])
        var two = one
        #expect(two.remove(s) == [1, 2])
        let t = two.insert([3])
        #expect(t == s)
        #expect(one.remove(s) == [1, 2])
        #expect(two.remove(t) == [3])
    }

    @Test func everyValueHeldIsReleasedWithTheSlab() {
        Tracked.alive = 0
        do {
            var slab = Slab<Tracked>()
            var slots: [Int32] = []
            for i in 0..<40 { slots.append(slab.insert(Tracked(i))) }
            #expect(slab.remove(slots[3]).n == 3)
            #expect(Tracked.alive == 39)
            var copy = slab
            _ = copy.insert(Tracked(99))
            #expect(Tracked.alive == 40)
        }
        #expect(Tracked.alive == 0)
    }
}
