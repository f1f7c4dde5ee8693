// MeshSim crosscheck page: a real-browser twin of MeshSim's page and mesh manager.
//
// It speaks MeshSim's wire protocol (docs/protocol.md, `v: 1`) to the signaling server and
// implements Sources/SignalProtocol/Mesh/MeshManager.swift with the policies of
// MeshPolicy.swift (`seed`, `seed-strict`, `replace`; `keep-live-links` runs the JavaScript
// docs/policies.md publishes instead, in keep-live-links.html):
//   init   -> one passive connection per listed uid (strategy 1 for a known uid);
//   online -> one active connection: createDataChannel('mesh'), createOffer, SLD, send offer;
//   offer  -> SRD, createAnswer, SLD, send answer; answer -> SRD; candidate -> addIceCandidate;
//   every non-null local candidate is trickled (the null end-of-candidates is not relayed);
//   data channel open -> a 16-byte probe; channel close / connection failed -> pc.close()
//   when the policy says so; offline is only logged.
// Descriptions travel as MeshSim's structured payload (sessionId, version, iceUfrag, icePwd,
// setup, fingerprint, dataChannel, candidates: []) and the receiver rebuilds the SDP from it;
// candidates travel as MeshSim's candidate object (the real ones have an extra `tcpType`
// field for TCP candidates, which MeshSim decoders ignore as an unknown field).
//
// Every event is logged as a console line "TRACE {json}" with `ep` =
// performance.timeOrigin + performance.now() (epoch ms), collected by the driver.
//
// URL query: ws=<port>, policy=seed|seed-strict|replace, uid=<uid for a first load>.
// The page does not connect on load: the driver calls mesh.joinAt(epoch ms) with the
// scenario's join time and the page's own timer connects then. After a driver-initiated reload, sessionStorage `mesh-join-at` (epoch ms) says when
// the new page connects (MeshSim's refresh `downtime`).
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const WS_URL = 'ws://127.0.0.1:' + (params.get('ws') || '8766') + '/';
  const POLICY_NAME = params.get('policy') || 'seed';

  const POLICIES = {
    'seed': {
      isConnected: (l) => l.dataChannelOpen,
      redialOnOnline: (l) => !l.dataChannelOpen,
      destroyOnChannelClose: true, destroyOnConnectionFailed: true,
      replaceLinkOnForeignOffer: false, acceptOfferWithoutLink: false,
    },
    'seed-strict': {
      isConnected: (l) => l.connectionState === 'connected',
      redialOnOnline: (l) => l.connectionState !== 'connected',
      destroyOnChannelClose: false, destroyOnConnectionFailed: true,
      replaceLinkOnForeignOffer: false, acceptOfferWithoutLink: false,
    },
    'replace': {
      isConnected: (l) => l.dataChannelOpen,
      redialOnOnline: (l) => true,
      destroyOnChannelClose: true, destroyOnConnectionFailed: true,
      replaceLinkOnForeignOffer: true, acceptOfferWithoutLink: true,
    },
  };
  const policy = POLICIES[POLICY_NAME];

  let uid = sessionStorage.getItem('mesh-uid');
  if (!uid) {
    uid = params.get('uid') || ('u' + Math.random().toString(36).slice(2, 8));
    sessionStorage.setItem('mesh-uid', uid);
  }
  const loadNo = Number(sessionStorage.getItem('mesh-loads') || 0) + 1;
  sessionStorage.setItem('mesh-loads', String(loadNo));

  // Records: one console line each (`log=console`), or, by default, kept in the page and taken
  // by the driver in one batch (`mesh.takeTrace()`), so that no tab sends Playwright a message
  // per event while the tabs are being measured (docs/fidelity.md, "The lean harness").
  const LOG_TO_CONSOLE = params.get('log') === 'console';
  const traceBuffer = [];
  const CARRY = 'mesh-trace-carry';
  if (!LOG_TO_CONSOLE && sessionStorage.getItem(CARRY)) {
    // records of the document this one replaced (a reload), handed over in sessionStorage
    try { traceBuffer.push(...JSON.parse(sessionStorage.getItem(CARRY))); } catch (e) { /* ignore */ }
    sessionStorage.removeItem(CARRY);
  }
  let seq = 0;
  function log(ev, data) {
    const t = performance.now();
    const rec = Object.assign({ seq: seq++, ep: +(performance.timeOrigin + t).toFixed(3), uid, load: loadNo, ev }, data || {});
    if (LOG_TO_CONSOLE) {
      try { console.log('TRACE ' + JSON.stringify(rec)); } catch (e) { /* ignore */ }
    } else {
      traceBuffer.push(rec);
    }
    return rec;
  }
  function takeTrace() { return traceBuffer.splice(0, traceBuffer.length); }
  window.__log = log;

  log('page', { state: 'load', policy: POLICY_NAME, ua: navigator.userAgent });
  if (!policy) log('fatal', { message: 'unknown policy ' + POLICY_NAME });
  window.addEventListener('pagehide', () => {
    log('page', { state: 'pagehide' });
    if (LOG_TO_CONSOLE) return;
    // A reload's next document picks these up; a closing tab's are sent as one line.
    const rest = JSON.stringify(takeTrace());
    try { sessionStorage.setItem(CARRY, rest); } catch (e) { /* ignore */ }
    try { console.log('TRACEBATCH ' + rest); } catch (e) { /* ignore */ }
  });

  // ------------------------------------------------------------ MeshSim payloads <-> SDP
  function sdpLine(sdp, prefix) {
    const m = sdp.split(/\r?\n/).find((l) => l.startsWith(prefix));
    return m ? m.slice(prefix.length).trim() : null;
  }
  function descriptionFromSdp(type, sdp) {
    const o = (sdpLine(sdp, 'o=') || '').split(/\s+/);
    return {
      type,
      sessionId: o[1] || '0',
      version: Number(o[2] || 0),
      iceUfrag: sdpLine(sdp, 'a=ice-ufrag:') || '',
      icePwd: sdpLine(sdp, 'a=ice-pwd:') || '',
      setup: sdpLine(sdp, 'a=setup:') || 'actpass',
      fingerprint: sdpLine(sdp, 'a=fingerprint:') || '',
      dataChannel: /^m=application /m.test(sdp),
      candidates: [],
    };
  }
  function sdpFromDescription(d) {
    const lines = [
      'v=0',
      'o=- ' + d.sessionId + ' ' + d.version + ' IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0',
      'a=extmap-allow-mixed',
      'a=msid-semantic: WMS',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'c=IN IP4 0.0.0.0',
      'a=ice-ufrag:' + d.iceUfrag,
      'a=ice-pwd:' + d.icePwd,
      'a=ice-options:trickle',
      'a=fingerprint:' + d.fingerprint,
      'a=setup:' + d.setup,
      'a=mid:0',
      'a=sctp-port:5000',
      'a=max-message-size:262144',
    ];
    for (const c of d.candidates || []) lines.push('a=' + candidateString(c));
    return lines.join('\r\n') + '\r\n';
  }
  // "candidate:F C udp P 127.0.0.1 5000 typ host [raddr A rport P] [tcptype active] generation 0 ufrag U ..."
  function candidateFromInit(c) {
    const tok = c.candidate.replace(/^a=/, '').split(/\s+/);
    if (tok.length < 8 || !tok[0].startsWith('candidate:')) return null;
    const kv = {};
    for (let i = 6; i + 1 < tok.length; i += 2) kv[tok[i]] = tok[i + 1];
    const ip = tok[4];
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return null;   // MeshSim addresses are IPv4 only
    const out = {
      foundation: tok[0].slice('candidate:'.length),
      component: Number(tok[1]),
      transport: tok[2].toLowerCase(),
      priority: Number(tok[3]),
      address: ip + ':' + Number(tok[5]),
      type: kv.typ,
      ufrag: kv.ufrag || c.usernameFragment || '',
    };
    if (kv.raddr && /^\d+\.\d+\.\d+\.\d+$/.test(kv.raddr)) out.relatedAddress = kv.raddr + ':' + Number(kv.rport || 0);
    if (kv.tcptype) out.tcpType = kv.tcptype;   // not in MeshSim's format; ignored there as an unknown field
    return out;
  }
  function candidateString(c) {
    const i = c.address.lastIndexOf(':');
    let s = 'candidate:' + c.foundation + ' ' + c.component + ' ' + c.transport + ' ' + c.priority + ' ' +
      c.address.slice(0, i) + ' ' + c.address.slice(i + 1) + ' typ ' + c.type;
    if (c.relatedAddress) {
      const j = c.relatedAddress.lastIndexOf(':');
      s += ' raddr ' + c.relatedAddress.slice(0, j) + ' rport ' + c.relatedAddress.slice(j + 1);
    }
    if (c.transport === 'tcp') s += ' tcptype ' + (c.tcpType || 'active');
    return s + ' generation 0 ufrag ' + c.ufrag;
  }

  // ------------------------------------------------------------ the mesh manager
  let me = null;
  const links = [];                 // every link this page load created
  const current = new Map();        // remote uid -> index into links
  const online = new Set();
  let linkCounter = 0;

  function tag(l) { return { link: l.id, peer: l.remote, role: l.role }; }
  function note(remote, text) { log('decision', { peer: remote, text }); }
  function live(i) { return i !== undefined && !links[i].destroyed; }

  function receive(msg) {
    switch (msg.type) {
      case 'init': {
        log('init', { you: msg.you, online: msg.online });
        me = msg.you;
        if (msg.secret) sessionStorage.setItem('mesh-secret', msg.secret);
        for (const u of msg.online) {
          if (u === msg.you) continue;
          online.add(u);
          const i = current.get(u);
          if (live(i)) {
            if (policy.isConnected(links[i])) { note(u, 'init: ignored, already connected'); continue; }
            destroy(i);
          }
          create(u, 'passive');
        }
        break;
      }
      case 'online': {
        const u = msg.uid;
        log('online', { peer: u });
        if (u === me) return;
        online.add(u);
        const i = current.get(u);
        if (live(i)) {
          if (!policy.redialOnOnline(links[i])) { note(u, 'online: ignored, already connected'); return; }
          note(u, policy.isConnected(links[i]) ? 'online: known and connected, policy ' + POLICY_NAME + ': dial again'
            : 'online: known and not connected, strategy 1: dial');
          destroy(i);
        }
        create(u, 'active');
        break;
      }
      case 'offline':
        log('offline', { peer: msg.uid });
        online.delete(msg.uid);
        break;
      case 'signal': {
        const from = msg.from;
        const p = msg.payload || {};
        const kind = p.type;
        const rx = { peer: from, kind, sessionId: p.sessionId || null,
          ctype: kind === 'candidate' && p.candidate ? p.candidate.type : undefined };
        if (!from) { log('signal-rx', rx); return; }
        let index = current.get(from);
        if (kind === 'offer') {
          if (live(index) && policy.replaceLinkOnForeignOffer && links[index].remoteSession !== null &&
              links[index].remoteSession !== p.sessionId) {
            note(from, 'offer from a new connection of ' + from + ': replacing the old link');
            destroy(index);
            index = undefined;
          }
          if ((index === undefined || links[index].destroyed) && policy.acceptOfferWithoutLink) {
            create(from, 'passive');
            index = current.get(from);
          }
        }
        if (!live(index)) {
          log('signal-rx', rx);
          note(from, 'signal ' + kind + ' dropped: no connection for this id');
          return;
        }
        const l = links[index];
        log('signal-rx', Object.assign(tag(l), rx));
        if (kind === 'offer' || kind === 'answer' || kind === 'pranswer' || kind === 'rollback') {
          if (kind === 'offer') l.answering = true;
          l.remoteSession = p.sessionId;
          operation(l, 'setRemoteDescription', p);
        } else if (kind === 'candidate' || kind === 'endOfCandidates') {
          operation(l, 'addIceCandidate', p);
        }
        break;
      }
      case 'error':
        log('server-error', { code: msg.code, detail: msg.detail, peer: msg.peer || null });
        break;
      default:
        log('ws-unknown', { type: msg.type });
    }
  }

  function create(remote, role) {
    const l = {
      id: uid + '/' + loadNo + '>' + remote + '#' + (++linkCounter), remote, role,
      signalingState: 'stable', connectionState: 'new', dataChannelOpen: false, destroyed: false,
      remoteSession: null, answering: false, localSession: null, pc: null, dc: null,
    };
    links.push(l);
    current.set(remote, links.length - 1);
    const pc = new RTCPeerConnection({ iceServers: [] });
    l.pc = pc;
    log('connection', Object.assign(tag(l), { state: 'create' }));
    const ev = (f) => (...a) => { if (!l.destroyed) f(...a); };
    pc.onsignalingstatechange = () => {
      log('signalingState', Object.assign(tag(l), { state: pc.signalingState }));
      if (!l.destroyed) l.signalingState = pc.signalingState;
    };
    pc.onicegatheringstatechange = () => log('iceGatheringState', Object.assign(tag(l), { state: pc.iceGatheringState }));
    pc.oniceconnectionstatechange = () => log('iceConnectionState', Object.assign(tag(l), { state: pc.iceConnectionState }));
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      log('connectionState', Object.assign(tag(l), { state: s }));
      if (s === 'connected') logSelectedPair(l);
      if (l.destroyed) return;
      l.connectionState = s;
      if (s === 'failed' && policy.destroyOnConnectionFailed) {
        note(remote, 'connection failed: destroyed');
        destroy(links.indexOf(l));
      }
    };
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (!c || c.candidate === '') { log('candidate-end', tag(l)); return; }
      log('candidate', Object.assign(tag(l), { type: c.type, protocol: c.protocol, tcpType: c.tcpType || null,
        address: c.address, port: c.port }));
      if (l.destroyed) return;
      const m = candidateFromInit(c.toJSON());
      if (!m) { log('candidate-unrepresentable', Object.assign(tag(l), { candidate: c.candidate })); return; }
      sendSignal(remote, { type: 'candidate', candidate: m }, l);
    };
    pc.ondatachannel = (e) => {
      log('datachannel-event', Object.assign(tag(l), { label: e.channel.label }));
      attachChannel(l, e.channel);
    };
    if (role === 'active') {
      const dc = pc.createDataChannel('mesh');
      attachChannel(l, dc);
      operation(l, 'createOffer');
    }
    return l;
  }

  function attachChannel(l, dc) {
    l.dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => {
      log('dataChannel', Object.assign(tag(l), { state: 'open', label: dc.label }));
      if (l.destroyed) return;
      l.dataChannelOpen = true;
      const buf = new ArrayBuffer(16);
      const v = new DataView(buf);
      v.setFloat64(0, performance.timeOrigin + performance.now());
      v.setUint32(8, 1);
      v.setUint32(12, 1);
      try { dc.send(buf); log('probe-tx', tag(l)); } catch (err) { log('error', Object.assign(tag(l), { op: 'send', name: err.name, message: err.message })); }
    };
    dc.onclosing = () => log('dataChannel', Object.assign(tag(l), { state: 'closing' }));
    dc.onerror = (e) => {
      const er = e.error || {};
      log('dataChannel', Object.assign(tag(l), { state: 'error', name: er.name, message: er.message, errorDetail: er.errorDetail }));
    };
    dc.onclose = () => {
      log('dataChannel', Object.assign(tag(l), { state: 'close' }));
      if (l.destroyed) return;
      l.dataChannelOpen = false;
      if (policy.destroyOnChannelClose) {
        note(l.remote, 'data channel closed: destroyed');
        destroy(links.indexOf(l));
      }
    };
    dc.onmessage = (e) => {
      const now = performance.timeOrigin + performance.now();
      if (!(e.data instanceof ArrayBuffer) || e.data.byteLength < 16) { log('data', Object.assign(tag(l), { bytes: -1 })); return; }
      const v = new DataView(e.data);
      log('probe-rx', Object.assign(tag(l), { bytes: e.data.byteLength, latencyMs: +(now - v.getFloat64(0)).toFixed(3) }));
    };
  }

  async function logSelectedPair(l) {
    try {
      const stats = await l.pc.getStats();
      let pairId = null;
      stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
      const pair = pairId && stats.get(pairId);
      if (!pair) return;
      const a = stats.get(pair.localCandidateId), b = stats.get(pair.remoteCandidateId);
      log('selectedPair', Object.assign(tag(l), {
        local: a && a.candidateType, localProtocol: a && a.protocol, remote: b && b.candidateType, remoteProtocol: b && b.protocol,
      }));
    } catch (err) { /* the connection may be closed already */ }
  }

  // MeshSim's chained operations: each call goes into Chromium's own operations chain at
  // once; its completion is handled as MeshManager.operationComplete.
  function operation(l, kind, arg) {
    const pc = l.pc;
    let p;
    try {
      if (kind === 'createOffer') p = pc.createOffer();
      else if (kind === 'createAnswer') p = pc.createAnswer();
      else if (kind === 'setLocalDescription') p = pc.setLocalDescription(arg).then(() => pc.localDescription);
      else if (kind === 'setRemoteDescription') {
        p = pc.setRemoteDescription(arg.type === 'rollback' ? { type: 'rollback' } : { type: arg.type, sdp: sdpFromDescription(arg) });
      } else if (kind === 'addIceCandidate') {
        if (arg.type === 'candidate') {
          const c = arg.candidate;
          p = pc.addIceCandidate({ candidate: candidateString(c), sdpMid: '0', sdpMLineIndex: 0, usernameFragment: c.ufrag });
        } else {
          p = pc.addIceCandidate({ candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: arg.ufrag });
        }
      }
    } catch (err) { p = Promise.reject(err); }
    p.then((res) => { if (!l.destroyed) operationComplete(l, kind, res, null); },
      (err) => {
        log('error', Object.assign(tag(l), { op: kind, name: err && err.name, message: err && err.message }));
        if (!l.destroyed) operationComplete(l, kind, null, err);
      });
  }

  function operationComplete(l, kind, res, err) {
    if (err) {
      l.answering = false;
      note(l.remote, kind + ' failed: ' + (err && err.name) + ': ' + (err && err.message));
      return;
    }
    if (kind === 'createOffer' || kind === 'createAnswer') {
      if (res) operation(l, 'setLocalDescription', res);
    } else if (kind === 'setLocalDescription') {
      if (res && (res.type === 'offer' || res.type === 'answer')) {
        const d = descriptionFromSdp(res.type, res.sdp);
        l.localSession = d.sessionId;
        sendSignal(l.remote, d, l);
      }
    } else if (kind === 'setRemoteDescription') {
      if (l.answering) {
        l.answering = false;
        operation(l, 'createAnswer');
      }
    }
  }

  function destroy(i) {
    const l = links[i];
    if (!l || l.destroyed) return;
    l.destroyed = true;
    l.dataChannelOpen = false;
    log('connection', Object.assign(tag(l), { state: 'close-by-app', connectionState: l.pc.connectionState,
      dc: l.dc ? l.dc.readyState : null }));
    try { l.pc.close(); } catch (err) { /* ignore */ }
  }

  // ------------------------------------------------------------ the WebSocket
  let ws = null;
  let wsGen = 0;
  function send(msg) {
    msg = Object.assign({ v: 1 }, msg);
    if (!ws || ws.readyState !== WebSocket.OPEN) { log('ws-send-dropped', { type: msg.type }); return false; }
    ws.send(JSON.stringify(msg));
    return true;
  }
  function sendSignal(to, payload, l) {
    if (send({ type: 'signal', to, payload })) {
      log('signal-tx', Object.assign(l ? tag(l) : {}, { peer: to, kind: payload.type, sessionId: payload.sessionId || null,
        ctype: payload.type === 'candidate' ? payload.candidate.type : undefined }));
    }
  }
  function connectWs() {
    const gen = ++wsGen;
    const sock = new WebSocket(WS_URL);
    ws = sock;
    log('ws', { state: 'connecting', gen });
    sock.onopen = () => {
      log('ws', { state: 'open', gen });
      const hello = { type: 'hello', uid };
      const secret = sessionStorage.getItem('mesh-secret');
      if (secret) hello.secret = secret;
      send(hello);
      log('hello-tx', { gen, withSecret: !!secret });
    };
    sock.onclose = (e) => log('ws', { state: 'closed', gen, code: e.code, wasClean: e.wasClean });
    sock.onerror = () => log('ws', { state: 'error', gen });
    sock.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { log('ws-bad-json', {}); return; }
      if (msg.v !== 1) { log('ws-bad-version', { v: msg.v }); return; }
      receive(msg);
    };
  }

  window.mesh = {
    uid: () => uid,
    join: () => { if (!ws) connectWs(); },
    // The scenario's join time, as an epoch ms: the page's own timer opens the WebSocket then
    // (no driver round trip at join time).
    joinAt: (ep) => {
      const wait = Math.max(0, ep - (performance.timeOrigin + performance.now()));
      log('join-scheduled', { waitMs: +wait.toFixed(3) });
      setTimeout(() => { if (!ws) connectWs(); }, wait);
    },
    // MeshSim's wsDrop: only the WebSocket closes; the page reconnects after `ms`.
    dropWs: (ms) => {
      log('ws-drop', { reconnectAfterMs: ms });
      if (ws) ws.close(1000, 'wsDrop');
      setTimeout(connectWs, ms);
    },
    // Set before page.reload(): the next load of this tab connects at `ep` (epoch ms).
    holdNextLoadUntil: (ep) => sessionStorage.setItem('mesh-join-at', String(ep)),
    takeTrace,
    summary: () => links.map((l) => ({ id: l.id, remote: l.remote, role: l.role, destroyed: l.destroyed,
      current: links[current.get(l.remote)] === l, sig: l.pc.signalingState, conn: l.pc.connectionState,
      ice: l.pc.iceConnectionState, dc: l.dc ? l.dc.readyState : null })),
  };

  const joinAt = sessionStorage.getItem('mesh-join-at');
  if (joinAt !== null) {
    sessionStorage.removeItem('mesh-join-at');
    const wait = Math.max(0, Number(joinAt) - (performance.timeOrigin + performance.now()));
    log('rejoin-scheduled', { waitMs: +wait.toFixed(3) });
    setTimeout(connectWs, wait);
  }
  document.getElementById('status').textContent = 'uid ' + uid + ' load ' + loadNo + ' policy ' + POLICY_NAME;
})();
