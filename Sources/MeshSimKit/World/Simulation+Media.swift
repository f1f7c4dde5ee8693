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
                // Tracks flow once the connection is up (DTLS done), and go on while it is
                // `disconnected`: Chromium keeps sending RTP on the selected pair while consent
                // is pending, until the connection closes or fails (QA, session 15: a saturated
                // uplink whose own drops cost a pair its consent relieved itself).
                let state = slot.observedConnection
                guard !slot.closed, state == .connected || (state == .disconnected && slot.sawConnected),
                      pages[p].latestConnection[slot.remoteUID] == c else { continue }
                for f in flows {
                    if f.sends(from: me, to: slot.remoteUID) { media!.up[host].demand += f.mediaBitrate }
                    if f.sends(from: slot.remoteUID, to: me) { media!.down[host].demand += f.mediaBitrate }
                }
            }
        }
        for h in media!.up.indices {
            let wasSaturated = media!.up[h].saturatedSince != nil
            media!.up[h].sample(dt: dt, now: now)
            media!.down[h].sample(dt: dt, now: now)
            // The queues take the new rates from now, after the last step at the old ones.
            let host = network.hosts[h]
            if host.uplink >= 0 { feed(link: host.uplink, rate: media!.up[h].demand, into: &media!.up[h]) }
            if host.downlink >= 0 { feed(link: host.downlink, rate: media!.down[h].demand, into: &media!.down[h]) }
            let isSaturated = media!.up[h].saturatedSince != nil
            if wasSaturated != isSaturated, let name = media!.hostNames.first(where: { $0.host == Int32(h) })?.name {
                let u = media!.up[h]
                emit(.media, peer: name, value: isSaturated ? "uplink saturated" : "uplink clear",
                     detail: "demand \(u.demand) of \(u.capacity ?? 0) bit/s")
            }
        }
        if now + dt < endTime { queue.push(.mediaTick, at: now + dt) }
    }

    private func feed(link l: Int32, rate: Int64, into d: inout MediaLinks.Direction) {
        network.links[Int(l)].advance(to: now)
        d.read(network.links[Int(l)])
        network.links[Int(l)].fluidRate = rate
    }

    /// At the end of the run: bring every host's queues to the end and take their figures.
    func finishMedia() {
        guard media != nil else { return }
        for h in media!.up.indices where h < network.hosts.count {
            let host = network.hosts[h]
            if host.uplink >= 0 {
                network.links[Int(host.uplink)].advance(to: endTime)
                media!.up[h].read(network.links[Int(host.uplink)])
            }
            if host.downlink >= 0 {
                network.links[Int(host.downlink)].advance(to: endTime)
                media!.down[h].read(network.links[Int(host.downlink)])
            }
        }
    }
}
