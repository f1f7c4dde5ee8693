import SignalProtocol

/// Media streams (scenario `traffic` flows with `audio`/`video`): every page sends its tracks to
/// every page the flow names over each connected peer connection, and the hosts' links carry
/// them (`MediaLinks`, docs/model.md "Media streams").
extension Simulation {
    /// Sample the tracks' demand on every host's links and advance the bottleneck queues.
    func mediaTick() {
        guard media != nil else { return }
        let dt = MediaLinks.tick
        for h in media!.up.indices {
            media!.up[h].demand = 0
            media!.down[h].demand = 0
        }
        // A flow's tracks are sent from its `start` until its `stop` (both were ignored).
        let flows = scenario.traffic.filter { f in f.isMedia && now >= f.start && f.stop.map { now < $0 } ?? true }
        for p in pages.indices where pages[p].alive {
            let host = Int(pages[p].host)
            guard host < media!.up.count else { continue }
            let me = pages[p].uid
            for c in pages[p].linkConnections where c >= 0 {
                let slot = connections[Int(c)]
                // Tracks flow once the connection is up (DTLS done, media would be flowing).
                guard !slot.closed, slot.observedConnection == .connected,
                      pages[p].latestConnection[slot.remoteUID] == c else { continue }
                for f in flows {
                    if f.sends(from: me, to: slot.remoteUID) { media!.up[host].demand += f.mediaBitrate }
                    if f.sends(from: slot.remoteUID, to: me) { media!.down[host].demand += f.mediaBitrate }
                }
            }
        }
        for h in media!.up.indices {
            let wasSaturated = media!.up[h].saturatedSince != nil
            media!.up[h].advance(dt: dt, now: now + dt)
            media!.down[h].advance(dt: dt, now: now + dt)
            let isSaturated = media!.up[h].saturatedSince != nil
            if wasSaturated != isSaturated, let name = media!.hostNames.first(where: { $0.host == Int32(h) })?.name {
                let u = media!.up[h]
                emit(.media, peer: name, value: isSaturated ? "uplink saturated" : "uplink clear",
                     detail: "demand \(u.demand) of \(u.capacity ?? 0) bit/s")
            }
        }
        if now + dt < endTime { queue.push(.mediaTick, at: now + dt) }
    }

    /// A datagram leaving a host whose uplink queue is not empty: dropped when the queue is
    /// full (with the queue's loss fraction), else delayed by the queue ahead of it.
    func sendThroughQueue(_ d: Datagram, fromHost h: Int32, queue q: (delay: Int64, loss: Double)) {
        // TCP (TURN over TCP) is delayed but not lost: it retransmits underneath.
        if q.loss > 0 && !d.tcp && rng.chance(q.loss) {
            media!.datagramsDropped += 1
            return
        }
        switch network.send(d, fromHost: h, now: cursor, rng: &rng) {
        case .success(let (slot, at)):
            queue.push(.datagramArrive(slot), at: at + q.delay)
        case .failure:
            return
        }
    }

    /// The extra delay and the loss a datagram from `host` meets in its uplink's queue; nil
    /// when there is no queue (the common case, and always without media).
    func uplinkQueue(host: Int32) -> (delay: Int64, loss: Double)? {
        guard let media, Int(host) < media.up.count else { return nil }
        let u = media.up[Int(host)]
        return u.delay == 0 && u.loss == 0 ? nil : (u.delay, u.loss)
    }
}
