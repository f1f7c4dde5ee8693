import SignalProtocol

/// Calling the protocol machines. Every machine the world drives (a page's mesh manager, a
/// peer connection, the signaling server, the TURN server) is called the one way: borrow the
/// scratch buffer for its action type, let the machine append what it wants done, carry the
/// actions out in order, give the buffer back. The machines never see the world; the
/// `carryOut`/`execute` functions next to each handler are the only place their actions take
/// effect.
extension Simulation {
    /// Call `page`'s mesh manager and carry out what it asks (`execute`).
    func callManager(page: Int32, _ body: (inout MeshManager, inout [MeshAction]) -> Void) {
        var out = scratch.mesh.take()
        body(&pages[Int(page)].manager, &out)
        execute(out, page: page)
        scratch.mesh.giveBack(out)
    }

    /// Call one peer connection and carry out what it asks (`carryOut(_:connection:)`).
    func callConnection(_ c: Int32, _ body: (ConnectionSlot, inout [PCAction]) -> Void) {
        var out = scratch.connection.take()
        body(connections[Int(c)], &out)
        carryOut(&out, connection: c)
        scratch.connection.giveBack(out)
    }

    /// Call the signaling server and carry out what it asks (`carryOut(_:origin:signal:)`).
    /// `origin`: the page whose frame it handles (-1: none); `signal`: the serial of the signal
    /// it relays, if any. `inspect` sees the actions before they are carried out (invariant and
    /// attack bookkeeping).
    func callServer(origin: Int32, signal: Int32 = -1,
                    inspect: ([ServerAction]) -> Void = { _ in },
                    _ body: (inout SignalingServer, inout [ServerAction]) -> Void) {
        var out = scratch.server.take()
        body(&signaling.server, &out)
        inspect(out)
        carryOut(out, origin: origin, signal: signal)
        scratch.server.giveBack(out)
    }

    /// Call the TURN server and carry out what it sends (`carryOut(_:)`).
    func callTURNServer(_ body: (inout TURNServer, inout [TURNServerOutput]) -> Void) {
        var out = scratch.turn.take()
        body(&turnServer, &out)
        carryOut(out)
        scratch.turn.giveBack(out)
    }
}

/// The spare action buffers of `Simulation+Machines.swift`, one per machine kind.
struct ActionScratch {
    var mesh = Scratch<MeshAction>()
    var connection = Scratch<PCAction>()
    var server = Scratch<ServerAction>()
    var turn = Scratch<TURNServerOutput>()
}
