/// A peer name of the run (a scenario id or a duplicated tab's `as` name): its index in
/// `Simulation.peers`.
struct PeerID: Hashable, Comparable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    static func < (a: PeerID, b: PeerID) -> Bool { a.raw < b.raw }
}

/// A page of the run: its index in `Simulation.pages`.
struct PageID: Hashable, Comparable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    static func < (a: PageID, b: PageID) -> Bool { a.raw < b.raw }
}

/// A host (machine) of the run: its index in `Network.hosts`.
struct HostID: Hashable, Comparable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    static func < (a: HostID, b: HostID) -> Bool { a.raw < b.raw }
}

/// What the run keeps per peer name, whatever page it has loaded.
struct PeerSlot {
    let name: String
    /// The uid its sessionStorage holds (a duplicated tab copies its source's).
    var uid: String
    /// Its latest page; nil before it loaded one.
    var currentPage: PageID?
    /// Its machine; nil before it has one (or after it crashed and before it joins again).
    var host: HostID?
    /// The machine its pages run on; nil before it has one.
    var machine: MachineID?
    /// When the threads of its latest page were next free: a reload keeps the renderer
    /// process, so the new page's threads start where the old one's unload left them.
    var threads = PageThreads()
    /// Bumped by every `refresh` and `leave`, so that only the latest scheduled reload loads
    /// a page.
    var reloadEpoch: UInt32 = 0
    /// The uid of the reload still pending, if any.
    var reloadPending: String?
    /// Its pages log every record to a DevTools client (peer field `devtoolsLogging`).
    var devtoolsLogging = false
    /// Its attacks (empty for an honest peer; peer field `behaviour`).
    var behaviour: [AttackKind] = []
    /// The reclaim secret its sessionStorage keeps beside the uid, if any.
    var sessionSecret: (uid: String, secret: String)?

    /// An attacker's peer name: not a member of the mesh.
    var isAttacker: Bool { !behaviour.isEmpty }

    init(name: String, uid: String) {
        self.name = name
        self.uid = uid
    }
}

extension Array where Element == PeerSlot {
    subscript(id: PeerID) -> PeerSlot {
        _read { yield self[Int(id.raw)] }
        _modify { yield &self[Int(id.raw)] }
    }

    /// Every peer's id, in order.
    var ids: LazyMapSequence<Range<Int32>, PeerID> { (0..<Int32(count)).lazy.map(PeerID.init) }
}
