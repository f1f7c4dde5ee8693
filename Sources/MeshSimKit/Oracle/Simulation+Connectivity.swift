import SignalProtocol

/// Why ICE never found a working path between two peers, told from the mechanism: each side's
/// NAT behaviour and firewall, what the network did to their checks, and which servers were
/// there. There is no table of NAT-type pairs here: the words come from the RFC 4787 settings
/// of the boxes involved and from the checks they dropped.
extension Simulation {
    /// A reason when both current connections exist, negotiated, never had a working pair
    /// while the network dropped some of their checks, and ICE has given up on something: a
    /// connection between the two pages reached `failed`, or one of the current connections'
    /// candidate pairs went unanswered for `inactiveTimeout` (a pair still in its first seconds
    /// of checks when the run ends is not known to be unreachable); nil otherwise. The cause
    /// is the decisive obstacle: with a TURN server, why no relay worked (capacity first, then
    /// other refusals, then silence); without one, UDP blocked, no STUN, or a NAT that maps per
    /// destination.
    func connectivityReason(_ a: PeerID, _ b: PeerID) -> PairDiagnosis? {
        guard let ca = currentConnection(from: a, to: b), let cb = currentConnection(from: b, to: a) else { return nil }
        let x = connections[Int(ca)], y = connections[Int(cb)]
        // A connection that worked once says the network let the pair through, unless it is
        // still open and has not worked since an ICE restart (the network changed since).
        let worked = { (c: ConnectionSlot) in c.closed ? c.iceEverConnected : c.iceConnectedSinceRestart }
        guard !x.refused, !y.refused, !worked(x), !worked(y),
              x.pc.signaling.remoteDescription != nil || y.pc.signaling.remoteDescription != nil else { return nil }
        guard pages[Int(x.page)].failedWith.contains(x.remoteUID) || pages[Int(y.page)].failedWith.contains(y.remoteUID)
                || x.pc.ice.pairs.contains(where: { $0.state == .failed }) || y.pc.ice.pairs.contains(where: { $0.state == .failed })
        else { return nil }
        let blocked = { (d: CheckDrops) in d.filtered + d.noMapping + d.firewall }
        let asymmetric = (x.pc.ice.asymmetricResponses, y.pc.ice.asymmetricResponses)
        let unroutable = x.checkDrops.unroutable + y.checkDrops.unroutable
        guard blocked(x.checkDrops) + blocked(y.checkDrops) + asymmetric.0 + asymmetric.1 + unroutable > 0 else { return nil }
        let na = peers[a].name, nb = peers[b].name
        let ha = network.hosts[Int(pages[Int(x.page)].host)], hb = network.hosts[Int(pages[Int(y.page)].host)]
        // Checks that an outage or a partition took, between hosts whose NATs and firewalls let
        // hole punching work: the outage, not the network's make-up, kept the pair apart, and the
        // lifecycle diagnosis says what followed it (QA, session 15).
        // Hole punching works unless a side's NAT maps per destination while the other side is
        // behind a NAT that is not a full cone (RFC 4787: the full cone admits the new port;
        // QA, session 15: a full cone and a symmetric NAT were "add a TURN server").
        func perDestination(_ h: HostLink) -> Bool {
            h.nat >= 0 && network.nats[Int(h.nat)].spec.mapping != .endpointIndependent
        }
        func fullConeOrPublic(_ h: HostLink) -> Bool {
            guard h.nat >= 0 else { return true }
            let spec = network.nats[Int(h.nat)].spec
            return spec.mapping == .endpointIndependent && spec.filtering == .endpointIndependent
        }
        let punchable = !(perDestination(ha) && !fullConeOrPublic(hb)) && !(perDestination(hb) && !fullConeOrPublic(ha))
        let holePunching = punchable && ha.udp && hb.udp
            && (x.pc.ice.bindingServer != nil || y.pc.ice.bindingServer != nil || (ha.nat < 0 && hb.nat < 0))
        if x.checkDrops.outage + y.checkDrops.outage > 0, holePunching { return nil }
        // A TURN server the connections were configured with counts only while it is still
        // reachable: once a `network` event turned it off, no relay can help (found by `fuzz`).
        let turn = (x.pc.configuration.turnServer != nil || y.pc.configuration.turnServer != nil) && network.settings.turn
        // ICE between connections whose descriptions are not each other's (one applied the
        // answer to an earlier offer of its page, which dialled twice) cannot succeed whatever
        // the network does. Where hole punching or a relay (over TCP past a firewall) would work,
        // the lifecycle diagnosis says what happened (`fuzz` run 974: "no relayed pair worked
        // either"); where nothing would, the network is still the reason.
        let matched = { (c: ConnectionSlot, other: ConnectionSlot) in
            c.pc.remoteSessionID == nil || c.pc.remoteSessionID == other.pc.identity.sessionID
        }
        if !matched(x, y) || !matched(y, x), holePunching || turn { return nil }
        var parts: [ReasonText] = []
        for (h, n) in [(ha, na), (hb, nb)] where !h.udp {
            parts.append("\(peer: n)'s firewall lets no UDP out (udp: false)")
        }
        // A host whose firewall lets no UDP out: its NAT never saw a check (nor a STUN request),
        // so its behaviour says nothing here (QA, session 15).
        for (h, n, m) in [(ha, na, nb), (hb, nb, na)] where h.nat >= 0 && h.udp {
            parts.append("\(peer: n) is behind \(describe(network.nats[Int(h.nat)].spec, other: m))")
        }
        for (d, n, m) in [(x.checkDrops, na, nb), (y.checkDrops, nb, na)] {
            var fates: [ReasonText] = []
            if d.filtered > 0 { fates.append("\(count: d.filtered) dropped by \(peer: m)'s NAT filter") }
            if d.noMapping > 0 { fates.append("\(count: d.noMapping) hit a port \(peer: m)'s NAT had no mapping on") }
            if d.firewall > 0 { fates.append("\(count: d.firewall) stopped by a firewall") }
            if d.unroutable > 0 { fates.append("\(count: d.unroutable) addressed to \(peer: m)'s private host address, which does not route across the internet") }
            let answers = n == na ? asymmetric.0 : asymmetric.1
            if answers > 0 { fates.append("\(count: answers) answered from another port than the check went to (not valid, RFC 8445 §7.2.5.2.1)") }
            if d.lost > 0 { fates.append("\(count: d.lost) lost in the network (loss \(JSONNumber.literal(network.settings.loss)))") }
            if !fates.isEmpty { parts.append("of \(peer: n)'s checks to \(peer: m), \(fates.joined(separator: ", "))") }
        }
        // Judged by what the connections were set up with: a STUN server a `network` event turned
        // on later taught these connections nothing (QA, session 14: "add a TURN server").
        let hadReflector = x.pc.ice.bindingServer != nil || y.pc.ice.bindingServer != nil
        let noSTUN = !hadReflector && (ha.nat >= 0 || hb.nat >= 0)
        let stunCameLater = noSTUN && network.settings.stun
        // TURN reachable now, but these connections were set up without it (a `network` event
        // turned it on later): only a new connection would use it (found by QA: "add a TURN
        // server" was said of a run that had one).
        let turnCameLater = network.settings.turn && !turn
        // An ICE restart keeps the connection's configuration, so it gathers no relay either
        // (QA, session 14: "nothing dialled again" was said after three restarts).
        let restarts = Int(x.pc.iceGeneration + y.pc.iceGeneration)
        // The connections had a TURN server that a `network` event has turned off since: the
        // advice is to bring it back, not to add one (QA, session 15).
        let addTURN: ReasonText = turnOffSince.map { "the run's TURN server is unreachable since \(time: $0) (a network event turned it off): a relay needs it back" }
            ?? (!turnCameLater ? "add a TURN server"
            : restarts > 0
            ? "a TURN server is reachable now, but these connections were set up before it was, and ICE restarts (\(count: restarts) credential generations) keep a connection's configuration, so they gathered no relay candidate: only a new connection would be relayed"
            : "a TURN server is reachable now, but these connections were set up before it was and nothing dialled again: a new connection would be relayed")
        let cause: StuckCause
        if turn {
            var relayFates: [ReasonText] = []
            var refusedFull = false, refused = false, unanswered = false
            for (conn, n, h) in [(x, na, ha), (y, nb, hb)] {
                // Granted once (a relayed address), released when the connection closed: the
                // server did answer (QA, session 14: such relays were "never answered").
                for r in conn.pc.ice.relays where r.state != .allocated && r.relayed == nil {
                    if r.transport == .udp && !h.udp {
                        relayFates.append("\(peer: n)'s allocation over udp could not pass its firewall")
                        continue
                    }
                    let lossy = r.transport == .udp && network.settings.loss > 0
                        ? " (the requests or the answers lost in the network, loss \(JSONNumber.literal(network.settings.loss)))" : ""
                    let why = r.errorCode == 508 ? "refused it (508 Insufficient Capacity: every relayed port in use)"
                        : r.errorCode != 0 ? "refused it (\(r.errorCode))" : "never answered" + lossy
                    if r.errorCode == 508 { refusedFull = true } else if r.errorCode != 0 { refused = true } else { unanswered = true }
                    relayFates.append("the TURN server \(why) when \(peer: n) asked for a relay over \(String(describing: r.transport))")
                }
            }
            // A relay granted on either side means the server answered: what failed is the
            // relayed path, whatever the other allocations did.
            let granted = (x.pc.ice.relays + y.pc.ice.relays).contains { $0.relayed != nil }
            cause = refusedFull ? .turnCapacity : refused ? .turnRefused : unanswered && !granted ? .turnUnanswered : .relayFailed
            parts.append(relayFates.isEmpty ? "no relayed pair worked either" : relayFates.joined(separator: "; "))
        } else if !ha.udp || !hb.udp {
            cause = .udpBlocked
            parts.append("only TURN over TCP can get through: \(addTURN)")
        } else if noSTUN {
            cause = .noStun
            parts.append(stunCameLater ? "a STUN server is reachable now, but these connections were set up before it was, so no side behind a NAT learned its public address: a new connection would"
                         : turnCameLater ? "there is no STUN server, so no side behind a NAT learned its public address; \(addTURN)"
                         : "there is no STUN server, so no side behind a NAT learned its public address: add a STUN server, or a TURN server")
        } else if x.checkDrops.lost + y.checkDrops.lost > 0 && x.checkDrops.firewall + y.checkDrops.firewall == 0
                    && ![ha, hb].contains(where: { $0.nat >= 0 && network.nats[Int($0.nat)].spec.mapping != .endpointIndependent }) {
            // No NAT maps per destination, so hole punching works between these two (the
            // filters drop only the first checks, until each side's own checks open its
            // mapping) and no firewall is in the way: the network's loss took what it needed
            // (QA, session 14: a full-cone pair at loss 0.95 was told hole punching "cannot work").
            cause = .checksLost
            parts.append("the network lost the checks hole punching needed: less loss would let this pair connect (a TURN relay crosses the same lossy network)")
        } else {
            let perDestination = [ha, hb].contains { $0.nat >= 0 && network.nats[Int($0.nat)].spec.mapping != .endpointIndependent }
            cause = perDestination ? .symmetricNat : .checksBlocked
            let lost = x.checkDrops.lost + y.checkDrops.lost
            parts.append(lost > 0 ? "hole punching did not work for this pair, with some of its checks lost in the network: \(addTURN)"
                         : "hole punching cannot work for this pair: \(addTURN)")
        }
        return PairDiagnosis(cause, parts.joined(separator: "; "))
    }

    /// "a NAT that opens a new external port for each destination address and port (...)".
    private func describe(_ spec: NATSpec, other: String) -> ReasonText {
        let mapping: ReasonText
        // Without a STUN server there is no server-reflexive address to speak of.
        let stun = network.settings.stun || network.settings.turn  // the TURN server answers Binding too
        switch spec.mapping {
        case .endpointIndependent:
            mapping = stun ? "keeps one external port for every destination, so its server-reflexive address is where its checks come from"
                : "keeps one external port for every destination"
        case .addressDependent:
            mapping = "opens a new external port for each destination address"
                + (stun ? ", so its server-reflexive address (learned towards \(network.settings.stun ? "the STUN server" : "the TURN server")) is not where its checks to \(peer: other) come from" : "")
        case .addressAndPortDependent:
            mapping = "opens a new external port for each destination address and port"
                + (stun ? ", so its server-reflexive address (learned towards \(network.settings.stun ? "the STUN server" : "the TURN server")) is not where its checks to \(peer: other) come from" : "")
        }
        let filtering: String
        switch spec.filtering {
        case .endpointIndependent: filtering = "admits anyone on an open mapping"
        case .addressDependent: filtering = "admits only addresses it has sent to"
        case .addressAndPortDependent: filtering = "admits only the exact addresses and ports it has sent to"
        }
        return "a \(spec.displayName) NAT that \(mapping), and \(filtering)"
    }
}
