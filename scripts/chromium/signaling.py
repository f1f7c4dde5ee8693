"""MeshSim's signaling server rules (docs/protocol.md, Sources/SignalProtocol/Server/SignalingServer.swift)
over real WebSockets, for the Chromium crosscheck.

Implemented: the `v: 1` envelope; `hello` -> `init{you, online, secret}` to the sender then
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
        self.closing = set()
        self.log = []

    def rec(self, ev, **kw):
        r = {"ep": now_ms(), "ev": ev}
        r.update(kw)
        self.log.append(r)
        return r

    async def send(self, ws, msg, to=None):
        msg = {"v": 1, **msg}
        try:
            await ws.send(json.dumps(msg, separators=(",", ":")))
        except Exception as e:  # the socket closed meanwhile
            self.rec("send-failed", to=to, type=msg["type"], err=type(e).__name__)
            return False
        r = {"to": to, "type": msg["type"]}
        if msg["type"] in ("online", "offline"):
            r["uid"] = msg["uid"]
        elif msg["type"] == "init":
            r["online"] = msg["online"]
        elif msg["type"] == "signal":
            r["frm"] = msg["from"]
            r["kind"] = (msg.get("payload") or {}).get("type")
        elif msg["type"] == "error":
            r["code"] = msg["code"]
        self.rec("tx", **r)
        return True

    async def error(self, ws, code, detail, peer=None):
        m = {"type": "error", "code": code, "detail": detail}
        if peer is not None:
            m["peer"] = peer
        await self.send(ws, m, to=self.registered.get(ws))

    async def hello(self, ws, uid, secret):
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
            await self.error(old, "uidReplaced", f"another connection registered uid '{uid}'", uid)
            await old.close()
            self.rec("replaced", uid=uid)
        others = [u for u in self.order if u != uid]
        await self.send(ws, {"type": "init", "you": uid, "online": others, "secret": self.secret[uid]}, to=uid)
        for u in others:
            await self.send(self.holder[u], {"type": "online", "uid": uid}, to=u)
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
                if msg.get("v") != 1:
                    await self.error(ws, "unsupportedVersion" if isinstance(msg.get("v"), int) else "malformed",
                                     f"unsupported protocol version {msg.get('v')} (this side speaks 1)")
                    continue
                t = msg.get("type")
                uid = self.registered.get(ws)
                if uid is not None:
                    self.proven.add(uid)   # it sent something after its hello, so it has the secret
                if t == "hello":
                    self.rec("rx", frm=uid, type="hello", uid=msg.get("uid"), withSecret="secret" in msg)
                    await self.hello(ws, msg.get("uid"), msg.get("secret"))
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
                        ok = await self.send(self.holder[to], {"type": "signal", "from": uid, "to": to, "payload": payload}, to=to)
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
