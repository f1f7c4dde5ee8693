"""MeshSim's signaling server rules (docs/protocol.md, Sources/SignalProtocol/Server/SignalingServer.swift)
over real WebSockets, for the Chromium crosscheck.

Implemented: the `v: 1` envelope, and version 2's instance ids (docs/protocol.md "Instance
ids"): `hello.instance` is kept beside the registration, `init.instances` (only once some page
sent one), `online.instance`, `signal.fromInstance` stamped with the sender's registered id and
`signal.toInstance` relayed; a message goes out as `v: 2` only when it carries an instance
field, so pages that send none get exactly the version 1 messages; `hello` -> `init{you, online, secret}` to the sender then
`online{uid}` to every other registered socket in registration order; the reclaim secret
(`uidTaken` without it, newest socket wins with it: `uidReplaced` + close to the old socket,
no `offline` for it); `signal` relayed with `from` stamped by the server (`notRegistered`,
`signalToSelf`, `unknownPeer` errors otherwise); `offline{uid}` to every remaining registered
socket when a registered socket closes; `malformed` for messages a page may not send.
Not implemented: rate limits, size caps, the remembered-uid limit, ping timeouts.

Every received and sent message is logged with `ep` = time.time() in epoch milliseconds.
"""
import asyncio
import json
import secrets
import time

import websockets


def now_ms():
    return round(time.time() * 1000, 3)


class Signaling:
    def __init__(self):
        self.holder = {}        # uid -> websocket
        self.order = []         # registered uids, registration order
        self.secret = {}        # uid -> secret (online and remembered offline uids)
        self.proven = set()     # uids whose secret the page has proven
        self.registered = {}    # websocket -> uid
        self.instance = {}      # registered uid -> the instance id its hello sent (version 2)
        self.closing = set()
        self.log = []

    def rec(self, ev, **kw):
        r = {"ep": now_ms(), "ev": ev}
        r.update(kw)
        self.log.append(r)
        return r

    async def send(self, ws, msg, to=None):
        v2 = any(msg.get(k) is not None for k in ("instance", "instances", "fromInstance", "toInstance"))
        msg = {"v": 2 if v2 else 1, **{k: x for k, x in msg.items()
                                       if not (k in ("instance", "fromInstance", "toInstance") and x is None)}}
        try:
            await ws.send(json.dumps(msg, separators=(",", ":")))
        except Exception as e:  # the socket closed meanwhile
            self.rec("send-failed", to=to, type=msg["type"], err=type(e).__name__)
            return False
        r = {"to": to, "type": msg["type"]}
        if msg["type"] in ("online", "offline"):
            r["uid"] = msg["uid"]
            if msg.get("instance") is not None:
                r["instance"] = msg["instance"]
        elif msg["type"] == "init":
            r["online"] = msg["online"]
            if "instances" in msg:
                r["instances"] = msg["instances"]
        elif msg["type"] == "signal":
            r["frm"] = msg["from"]
            r["kind"] = (msg.get("payload") or {}).get("type")
            for k in ("fromInstance", "toInstance"):
                if k in msg:
                    r[k] = msg[k]
        elif msg["type"] == "error":
            r["code"] = msg["code"]
        self.rec("tx", **r)
        return True

    async def error(self, ws, code, detail, peer=None):
        m = {"type": "error", "code": code, "detail": detail}
        if peer is not None:
            m["peer"] = peer
        await self.send(ws, m, to=self.registered.get(ws))

    async def hello(self, ws, uid, secret, instance=None):
        if ws in self.registered:
            cur = self.registered[ws]
            return await self.error(ws, "alreadyRegistered", f"this socket is already registered as '{cur}'", cur)
        if not isinstance(uid, str) or not 1 <= len(uid) <= 64:
            return await self.error(ws, "invalidUid", "a uid must have 1 to 64 characters")
        known = uid in self.holder or (uid in self.secret and uid in self.proven)
        if known and secret != self.secret.get(uid):
            return await self.error(ws, "uidTaken", f"uid '{uid}' belongs to another page; reclaiming it needs its secret", uid)
        if known:
            self.proven.add(uid)
        else:
            self.secret[uid] = secrets.token_hex(16)
            self.proven.discard(uid)
        old = self.holder.get(uid)
        if old is not None and old is not ws:
            self.closing.add(old)
            self.registered.pop(old, None)
            self.order.remove(uid)
            self.instance.pop(uid, None)
            await self.error(old, "uidReplaced", f"another connection registered uid '{uid}'", uid)
            await old.close()
            self.rec("replaced", uid=uid)
        others = [u for u in self.order if u != uid]
        init = {"type": "init", "you": uid, "online": others, "secret": self.secret[uid]}
        if self.instance:   # instance ids only once some page sent one
            init["instances"] = [self.instance.get(u) for u in others]
        await self.send(ws, init, to=uid)
        for u in others:
            await self.send(self.holder[u], {"type": "online", "uid": uid, "instance": instance}, to=u)
        if instance is not None:
            self.instance[uid] = instance
        else:
            self.instance.pop(uid, None)
        self.holder[uid] = ws
        self.registered[ws] = uid
        self.order.append(uid)

    async def handler(self, ws):
        self.rec("ws-open", remote=str(ws.remote_address))
        try:
            async for raw in ws:
                if ws in self.closing:
                    continue
                try:
                    msg = json.loads(raw)
                except ValueError:
                    await self.error(ws, "malformed", "not JSON")
                    continue
                if not isinstance(msg, dict):
                    await self.error(ws, "malformed", "expected a JSON object")
                    continue
                if msg.get("v") not in (1, 2) or isinstance(msg.get("v"), bool):
                    await self.error(ws, "unsupportedVersion" if isinstance(msg.get("v"), int) else "malformed",
                                     f"unsupported protocol version {msg.get('v')} (this side speaks 1 and 2)")
                    continue
                v2 = msg.get("v") == 2   # version 2 decoders ignore instance fields in a v1 message
                t = msg.get("type")
                uid = self.registered.get(ws)
                if uid is not None:
                    self.proven.add(uid)   # it sent something after its hello, so it has the secret
                if t == "hello":
                    inst = msg.get("instance") if v2 else None
                    if inst is not None and not isinstance(inst, str):
                        await self.error(ws, "malformed", "instance: expected a string")
                        continue
                    self.rec("rx", frm=uid, type="hello", uid=msg.get("uid"), withSecret="secret" in msg, instance=inst)
                    await self.hello(ws, msg.get("uid"), msg.get("secret"), inst)
                elif t == "signal":
                    to = msg.get("to")
                    payload = msg.get("payload") or {}
                    kind = payload.get("type")
                    self.rec("rx", frm=uid, type="signal", to=to, kind=kind)
                    if uid is None:
                        await self.error(ws, "notRegistered", "say hello before sending signals", to)
                    elif to == uid:
                        await self.error(ws, "signalToSelf", "a signal cannot be addressed to its sender", to)
                    elif to not in self.holder:
                        await self.error(ws, "unknownPeer", f"no peer '{to}' is online", to)
                    else:
                        ok = await self.send(self.holder[to], {"type": "signal", "from": uid, "to": to,
                                                               "fromInstance": self.instance.get(uid),
                                                               "toInstance": msg.get("toInstance") if v2 else None,
                                                               "payload": payload}, to=to)
                        if ok:
                            self.rec("relay", frm=uid, to=to, kind=kind,
                                     ctype=(payload.get("candidate") or {}).get("type") if kind == "candidate" else None)
                else:
                    self.rec("rx", frm=uid, type=t)
                    await self.error(ws, "malformed", f"a page may send only hello and signal, not {t}")
        except websockets.ConnectionClosed:
            pass
        finally:
            uid = self.registered.pop(ws, None)
            self.closing.discard(ws)
            self.rec("ws-closed", uid=uid, code=ws.close_code)
            if uid is not None and self.holder.get(uid) is ws:
                del self.holder[uid]
                self.instance.pop(uid, None)
                self.order.remove(uid)
                for u in list(self.order):
                    await self.send(self.holder[u], {"type": "offline", "uid": uid}, to=u)


async def _main(port):
    s = Signaling()
    async with websockets.serve(s.handler, "127.0.0.1", port):
        print(f"signaling on ws://127.0.0.1:{port}/", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    import sys
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 8766))
