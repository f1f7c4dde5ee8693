import SignalProtocol

/// Why ICE never found a working path between two peers, told from the mechanism: each side's
/// NAT behaviour and firewall, what the network did to their checks, and which servers were
/// there. There is no table of NAT-type pairs here: the words come from the RFC 4787 settings
/// of the boxes involved and from the checks they dropped.
extension Simulation {
    /// A reason when both current connections exist, negotiated, and never had a working
    /// pair while the network dropped some of their checks; nil otherwise.
    func connectivityReason(_ a: Int32, _ b: Int32) -> String? {
        guard let ca = currentConnection(from: a, to: b), let cb = currentConnection(from: b, to: a) else { return nil }
        let x = connections[Int(ca)], y = connections[Int(cb)]
        guard !x.refused, !y.refused, !x.iceEverConnected, !y.iceEverConnected,
              x.pc.signaling.remoteDescription != nil || y.pc.signaling.remoteDescription != nil else { return nil }
        let blocked = { (d: CheckDrops) in d.filtered + d.noMapping + d.firewall }
        let asymmetric = (x.pc.ice.asymmetricResponses, y.pc.ice.asymmetricResponses)
        let unroutable = x.checkDrops.unroutable + y.checkDrops.unroutable
        guard blocked(x.checkDrops) + blocked(y.checkDrops) + asymmetric.0 + asymmetric.1 + unroutable > 0 else { return nil }
        let na = slotNames[Int(a)], nb = slotNames[Int(b)]
        let ha = network.hosts[Int(pages[Int(x.page)].host)], hb = network.hosts[Int(pages[Int(y.page)].host)]
        let turn = x.pc.configuration.turnServer != nil || y.pc.configuration.turnServer != nil
        var parts: [String] = []
        for (h, n) in [(ha, na), (hb, nb)] where !h.udp {
            parts.append("\(n)'s firewall lets no UDP out (udp: false)")
        }
        for (h, n, m) in [(ha, na, nb), (hb, nb, na)] where h.nat >= 0 {
            parts.append("\(n) is behind \(describe(network.nats[Int(h.nat)].spec, other: m))")
        }
        for (d, n, m) in [(x.checkDrops, na, nb), (y.checkDrops, nb, na)] {
            var fates: [String] = []
            if d.filtered > 0 { fates.append("\(d.filtered) dropped by \(m)'s NAT filter") }
            if d.noMapping > 0 { fates.append("\(d.noMapping) hit a port \(m)'s NAT had no mapping on") }
            if d.firewall > 0 { fates.append("\(d.firewall) stopped by a firewall") }
            if d.unroutable > 0 { fates.append("\(d.unroutable) addressed to \(m)'s private host address, which does not route across the internet") }
            let answers = n == na ? asymmetric.0 : asymmetric.1
            if answers > 0 { fates.append("\(answers) answered from another port than the check went to (not valid, RFC 8445 §7.2.5.2.1)") }
            if !fates.isEmpty { parts.append("of \(n)'s checks to \(m), \(fates.joined(separator: ", "))") }
        }
        let noSTUN = !network.settings.stun && (ha.nat >= 0 || hb.nat >= 0)
        if turn {
            var relayFates: [String] = []
            for (conn, n, h) in [(x, na, ha), (y, nb, hb)] {
                for r in conn.pc.ice.relays where r.state != .allocated {
                    if r.transport == .udp && !h.udp {
                        relayFates.append("\(n)'s allocation over udp could not pass its firewall")
                        continue
                    }
                    let why = r.errorCode == 508 ? "refused it (508 Insufficient Capacity: every relayed port in use)"
                        : r.errorCode != 0 ? "refused it (\(r.errorCode))" : "never answered"
                    relayFates.append("the TURN server \(why) when \(n) asked for a relay over \(r.transport)")
                }
            }
            parts.append(relayFates.isEmpty ? "no relayed pair worked either" : relayFates.joined(separator: "; "))
        } else if !ha.udp || !hb.udp {
            parts.append("only TURN over TCP can get through: add a TURN server")
        } else if noSTUN {
            parts.append("there is no STUN server, so no side behind a NAT learned its public address: add a STUN server, or a TURN server")
        } else {
            parts.append("hole punching cannot work for this pair: add a TURN server")
        }
        return parts.joined(separator: "; ")
    }

    /// "a NAT that opens a new external port for each destination address and port (...)".
    private func describe(_ spec: NATSpec, other: String) -> String {
        let mapping: String
        // Without a STUN server there is no server-reflexive address to speak of.
        let stun = network.settings.stun
        switch spec.mapping {
        case .endpointIndependent:
            mapping = stun ? "keeps one external port for every destination, so its server-reflexive address is where its checks come from"
                : "keeps one external port for every destination"
        case .addressDependent:
            mapping = "opens a new external port for each destination address"
                + (stun ? ", so its server-reflexive address (learned towards the STUN server) is not where its checks to \(other) come from" : "")
        case .addressAndPortDependent:
            mapping = "opens a new external port for each destination address and port"
                + (stun ? ", so its server-reflexive address (learned towards the STUN server) is not where its checks to \(other) come from" : "")
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
