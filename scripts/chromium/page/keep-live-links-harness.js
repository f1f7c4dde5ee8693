// Harness for the `keep-live-links` crosscheck: runs docs/policies.md's page logic as published.
//
// The policy code itself is not in this file: the driver (crosscheck.py) serves
// /keep-live-links.js as the ```js block of docs/policies.md ("The recommended policy as page
// logic"), byte for byte, and this harness runs it at the scenario's join time. The harness
// only provides what that code leaves to the app (SIGNALING_URL, ICE_CONFIG, the first uid in
// sessionStorage) and observes it: RTCPeerConnection and WebSocket are subclassed so that
// every connection, state change, candidate, signal and data channel is logged as a console
// line "TRACE {json}" in the same records mesh.js writes (metrics.py reads both). On a data
// channel's open it sends mesh.js's 16-byte probe, the crosscheck's "data flows" mark; the
// policy code ignores data.
//
// Driver hooks as in mesh.js: mesh.joinAt(ep), mesh.dropWs(ms), mesh.holdNextLoadUntil(ep),
// mesh.summary(). dropWs closes the code's WebSocket; the code reconnects after 1 s by its own
// timer, and sockets opened before `ms` has passed go to a closed port (refused at once), so
// the first reconnect at or after `ms` reaches the server, as MeshSim's wsDrop `reconnectAfter`.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  window.SIGNALING_URL = 'ws://127.0.0.1:' + (params.get('ws') || '8766') + '/';
  window.ICE_CONFIG = { iceServers: [] };
  if (!sessionStorage.getItem('uid')) sessionStorage.setItem('uid', params.get('uid') || ('u' + Math.random().toString(36).slice(2, 8)));
  const loadNo = Number(sessionStorage.getItem('mesh-loads') || 0) + 1;
  sessionStorage.setItem('mesh-loads', String(loadNo));
  const uid = () => sessionStorage.getItem('uid');
  const nowEp = () => performance.timeOrigin + performance.now();

  // Records: one console line each (`log=console`), or, by default, kept in the page and taken
  // by the driver in one batch (`mesh.takeTrace()`), as in mesh.js.
  const LOG_TO_CONSOLE = params.get('log') === 'console';
  const traceBuffer = [];
  const CARRY = 'mesh-trace-carry';
  if (!LOG_TO_CONSOLE && sessionStorage.getItem(CARRY)) {
    try { traceBuffer.push(...JSON.parse(sessionStorage.getItem(CARRY))); } catch (e) { /* ignore */ }
    sessionStorage.removeItem(CARRY);
  }
  let seq = 0;
  function log(ev, data) {
    const rec = Object.assign({ seq: seq++, ep: +nowEp().toFixed(3), uid: uid(), load: loadNo, ev }, data || {});
    if (LOG_TO_CONSOLE) {
      try { console.log('TRACE ' + JSON.stringify(rec)); } catch (e) { /* ignore */ }
    } else {
      traceBuffer.push(rec);
    }
    return rec;
  }
  function takeTrace() { return traceBuffer.splice(0, traceBuffer.length); }
  log('page', { state: 'load', policy: 'keep-live-links', ua: navigator.userAgent });
  window.addEventListener('pagehide', () => {
    log('page', { state: 'pagehide' });
    if (LOG_TO_CONSOLE) return;
    const rest = JSON.stringify(takeTrace());
    try { sessionStorage.setItem(CARRY, rest); } catch (e) { /* ignore */ }
    try { console.log('TRACEBATCH ' + rest); } catch (e) { /* ignore */ }
  });

  // The policy code's globals (`peers`, `ws`, `instance`) are top-level declarations of a classic
  // script, so these lookups see them once it has run.
  /* global peers, ws, instance */
  const peersMap = () => { try { return peers; } catch (e) { return new Map(); } };
  const session = (sdp) => (/^o=\S+ (\d+)/m.exec(sdp || '') || [])[1] || null;

  // ------------------------------------------------------------ RTCPeerConnection, observed
  const NativePC = window.RTCPeerConnection;
  const allPcs = [];
  let linkCounter = 0;
  function tag(pc) { return pc && pc.__l ? { link: pc.__l.id, peer: pc.__l.remote, role: pc.__l.role } : {}; }
  function pcOf(remote) { const p = peersMap().get(remote); return p ? p.pc : null; }

  class TracedPC extends NativePC {
    constructor(cfg) {
      super(cfg);
      const pc = this;
      const l = { id: null, remote: null, role: 'passive', closedByApp: false, dc: null };
      pc.__l = l;
      allPcs.push(pc);
      // open() registers the connection in `peers` and creates the dialer's channel right after
      // the constructor, in the same task: name the link once that has happened.
      queueMicrotask(() => {
        for (const [u, p] of peersMap()) if (p.pc === pc) l.remote = u;
        l.id = uid() + '/' + loadNo + '>' + l.remote + '#' + (++linkCounter);
        log('connection', Object.assign(tag(pc), { state: 'create', instance: (peersMap().get(l.remote) || {}).instance || null }));
      });
      pc.addEventListener('signalingstatechange', () => log('signalingState', Object.assign(tag(pc), { state: pc.signalingState })));
      pc.addEventListener('icegatheringstatechange', () => log('iceGatheringState', Object.assign(tag(pc), { state: pc.iceGatheringState })));
      pc.addEventListener('iceconnectionstatechange', () => log('iceConnectionState', Object.assign(tag(pc), { state: pc.iceConnectionState })));
      pc.addEventListener('connectionstatechange', () => {
        log('connectionState', Object.assign(tag(pc), { state: pc.connectionState }));
        if (pc.connectionState === 'connected') logSelectedPair(pc);
      });
      pc.addEventListener('icecandidate', (e) => {
        const c = e.candidate;
        if (!c || c.candidate === '') { log('candidate-end', tag(pc)); return; }
        log('candidate', Object.assign(tag(pc), { type: c.type, protocol: c.protocol, tcpType: c.tcpType || null, address: c.address, port: c.port }));
      });
      pc.addEventListener('datachannel', (e) => {
        log('datachannel-event', Object.assign(tag(pc), { label: e.channel.label }));
        observeChannel(pc, e.channel);
      });
    }
    createDataChannel(label, opts) {
      this.__l.role = 'active';
      const dc = super.createDataChannel(label, opts);
      observeChannel(this, dc);
      return dc;
    }
    close() {
      if (!this.__l.closedByApp && this.signalingState !== 'closed') {
        this.__l.closedByApp = true;
        log('connection', Object.assign(tag(this), { state: 'close-by-app', connectionState: this.connectionState,
          dc: this.__l.dc ? this.__l.dc.readyState : null }));
      }
      return super.close();
    }
  }
  window.RTCPeerConnection = TracedPC;

  function observeChannel(pc, dc) {
    pc.__l.dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.addEventListener('open', () => {
      log('dataChannel', Object.assign(tag(pc), { state: 'open', label: dc.label }));
      const buf = new ArrayBuffer(16);
      const v = new DataView(buf);
      v.setFloat64(0, nowEp());
      v.setUint32(8, 1);
      v.setUint32(12, 1);
      try { dc.send(buf); log('probe-tx', tag(pc)); } catch (err) { log('error', Object.assign(tag(pc), { op: 'send', name: err.name, message: err.message })); }
    });
    dc.addEventListener('closing', () => log('dataChannel', Object.assign(tag(pc), { state: 'closing' })));
    dc.addEventListener('close', () => log('dataChannel', Object.assign(tag(pc), { state: 'close' })));
    dc.addEventListener('error', (e) => {
      const er = e.error || {};
      log('dataChannel', Object.assign(tag(pc), { state: 'error', name: er.name, message: er.message }));
    });
    dc.addEventListener('message', (e) => {
      const now = nowEp();
      if (!(e.data instanceof ArrayBuffer) || e.data.byteLength < 16) { log('data', Object.assign(tag(pc), { bytes: -1 })); return; }
      log('probe-rx', Object.assign(tag(pc), { bytes: e.data.byteLength, latencyMs: +(now - new DataView(e.data).getFloat64(0)).toFixed(3) }));
    });
  }

  async function logSelectedPair(pc) {
    try {
      const stats = await pc.getStats();
      let pairId = null;
      stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
      const pair = pairId && stats.get(pairId);
      if (!pair) return;
      const a = stats.get(pair.localCandidateId), b = stats.get(pair.remoteCandidateId);
      log('selectedPair', Object.assign(tag(pc), { local: a && a.candidateType, localProtocol: a && a.protocol,
        remote: b && b.candidateType, remoteProtocol: b && b.protocol }));
    } catch (err) { /* closed meanwhile */ }
  }

  // ------------------------------------------------------------ WebSocket, observed
  const NativeWS = window.WebSocket;
  let wsGen = 0;
  let blockedUntil = 0;
  class TracedWS extends NativeWS {
    constructor(url, protocols) {
      const blocked = nowEp() < blockedUntil;
      super(blocked ? 'ws://127.0.0.1:9/' : url, protocols);
      const gen = ++wsGen;
      const sock = this;
      log('ws', { state: 'connecting', gen, blocked });
      sock.addEventListener('open', () => log('ws', { state: 'open', gen }));
      sock.addEventListener('close', (e) => log('ws', { state: 'closed', gen, code: e.code, wasClean: e.wasClean }));
      sock.addEventListener('error', () => log('ws', { state: 'error', gen }));
      // Server messages are logged before the code handles them (this listener comes before the
      // code's `onmessage`, which is set right after the constructor); signals after, from a
      // listener registered later, so that the record names the link the code gave it to.
      sock.addEventListener('message', (e) => received(e.data, false));
      queueMicrotask(() => sock.addEventListener('message', (e) => received(e.data, true)));
    }
    send(data) {
      let m = null;
      try { m = JSON.parse(data); } catch (e) { /* not ours */ }
      if (m && m.type === 'hello') log('hello-tx', { gen: wsGen, withSecret: !!m.secret, instance: m.instance || null, v: m.v });
      if (m && m.type === 'signal') {
        const p = m.payload || {};
        const pc = pcOf(m.to);
        log('signal-tx', Object.assign(tag(pc), { peer: m.to, kind: p.type, sessionId: p.sdp ? session(p.sdp) : null,
          toInstance: m.toInstance || null,
          ctype: p.type === 'candidate' && p.candidate ? (/ typ (\w+)/.exec(p.candidate.candidate || '') || [])[1] : undefined }));
      }
      return super.send(data);
    }
  }
  window.WebSocket = TracedWS;

  function received(data, signals) {
    let m;
    try { m = JSON.parse(data); } catch (e) { if (!signals) log('ws-bad-json', {}); return; }
    if (signals !== (m.type === 'signal')) return;
    if (m.type === 'init') log('init', { you: m.you, online: m.online, instances: m.instances || null, v: m.v });
    else if (m.type === 'online') log('online', { peer: m.uid, instance: m.instance || null, v: m.v });
    else if (m.type === 'offline') log('offline', { peer: m.uid });
    else if (m.type === 'error') log('server-error', { code: m.code, detail: m.detail, peer: m.peer || null });
    else if (m.type === 'signal') {
      const p = m.payload || {};
      const rx = { peer: m.from, kind: p.type, sessionId: p.sdp ? session(p.sdp) : null,
        fromInstance: m.fromInstance || null, toInstance: m.toInstance || null,
        ctype: p.type === 'candidate' && p.candidate ? (/ typ (\w+)/.exec(p.candidate.candidate || '') || [])[1] : undefined };
      // The code drops a signal for an earlier load of this page or from an old load of the sender.
      let mine = null;
      try { mine = instance; } catch (e) { /* not loaded */ }
      const p2 = peersMap().get(m.from);
      if (m.toInstance && m.toInstance !== mine) { log('signal-rx', rx); log('decision', { peer: m.from, text: 'signal ' + p.type + ' dropped: for another load of this page' }); return; }
      if (m.fromInstance && p2 && p2.instance && m.fromInstance !== p2.instance) {
        log('decision', { peer: m.from, text: 'signal ' + p.type + ' from instance ' + m.fromInstance + ', link to ' + p2.instance });
      }
      log('signal-rx', Object.assign(p2 ? tag(p2.pc) : {}, rx));
    }
  }

  // ------------------------------------------------------------ running the code
  const code = fetch('keep-live-links.js', { cache: 'no-store' }).then((r) => {
    if (!r.ok) throw new Error('keep-live-links.js: HTTP ' + r.status);
    return r.text();
  });
  let started = false;
  function start() {
    if (started) return;
    started = true;
    code.then((text) => {
      log('code-start', { bytes: text.length });
      const s = document.createElement('script');
      s.textContent = text;       // a classic script: its top-level declarations are global
      document.head.appendChild(s);
    }, (err) => log('fatal', { message: String(err) }));
  }

  window.mesh = {
    uid,
    join: start,
    joinAt: (ep) => {
      const wait = Math.max(0, ep - nowEp());
      log('join-scheduled', { waitMs: +wait.toFixed(3) });
      setTimeout(start, wait);
    },
    dropWs: (ms) => {
      log('ws-drop', { reconnectAfterMs: ms });
      blockedUntil = nowEp() + ms;
      try { ws.close(1000, 'wsDrop'); } catch (e) { log('error', { op: 'wsDrop', message: String(e) }); }
    },
    holdNextLoadUntil: (ep) => sessionStorage.setItem('mesh-join-at', String(ep)),
    takeTrace,
    summary: () => allPcs.map((pc) => ({ id: pc.__l.id, remote: pc.__l.remote, role: pc.__l.role, destroyed: pc.__l.closedByApp,
      current: pcOf(pc.__l.remote) === pc, sig: pc.signalingState, conn: pc.connectionState, ice: pc.iceConnectionState,
      dc: pc.__l.dc ? pc.__l.dc.readyState : null })),
  };

  const joinAt = sessionStorage.getItem('mesh-join-at');
  if (joinAt !== null) {
    sessionStorage.removeItem('mesh-join-at');
    const wait = Math.max(0, Number(joinAt) - nowEp());
    log('rejoin-scheduled', { waitMs: +wait.toFixed(3) });
    setTimeout(start, wait);
  }
  document.getElementById('status').textContent = 'uid ' + uid() + ' load ' + loadNo + ' policy keep-live-links (docs/policies.md)';
})();
