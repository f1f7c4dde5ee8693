"""What one console.log record costs a page, its browser and a DevTools client listening to the
console, in CPU (docs/model.md, "Instrumented pages"; MeshSim's peer field `devtoolsLogging`).

A page logs K records the way the calibration harness (docs/calibration/chromium/harness) and the
crosscheck's `--log console` log (JSON.stringify of a ~300-byte object, console.log('TRACE ' +
json)), 20 at a time with a 2 ms pause between; the CPU every process used is read from /proc
before and after, and the page measures the time its console.log calls took. Conditions:
listen (a Python page.on('console') listener parsing each line, as both harnesses do), nolisten
(no listener; Playwright still receives every console message), nolog (the record is built but
not logged).

Usage (after scripts/chromium/setup.sh; an idle machine):
    K=4000 OUT=result.json .build/venv-chromium/bin/python scripts/chromium/console_cost.py [MODE...]
Prints one JSON line per mode: records received, wall time, the page's synchronous time per
record (us) and the CPU per record (us) of the renderer, the browser process, Chromium's other
processes, Playwright's node driver and this Python process."""
import asyncio, json, os, shutil, sys, time
from playwright.async_api import async_playwright

K = int(os.environ.get("K", "4000"))
CHROMIUM = shutil.which("chromium")
ARGS = ["--disable-features=WebRtcHideLocalIpsWithMdns", "--allow-loopback-in-peer-connection", "--no-sandbox"]
HZ = os.sysconf("SC_CLK_TCK")

def procs():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit(): continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except Exception:
            continue
        c = b" ".join(cmd)
        exe = os.path.basename(cmd[0])
        if int(pid) == os.getpid():
            kind = "python"
        elif exe == b"node" or exe.endswith(b"/node"):
            kind = "node"
        elif exe.startswith(b"chromium") or b"/chromium/chromium" in cmd[0]:
            kind = "renderer" if b"--type=renderer" in c else ("chromium-other" if b"--type=" in c else "browser")
        else:
            continue
        out[int(pid)] = (kind, int(st[11]) + int(st[12]))
    return out

def delta(a, b):
    d = {}
    for pid, (kind, t) in b.items():
        t0 = a.get(pid, (kind, 0))[1]
        d[kind] = d.get(kind, 0) + (t - t0) / HZ
    return d

PAGE = """<html><body><script>
let seq = 0;
function rec(i) { return {seq: seq++, t: +performance.now().toFixed(3), ep: +(performance.timeOrigin + performance.now()).toFixed(3),
  wall: Date.now(), uid: 'u-1234567890abcdef', load: 1, ev: 'iceconnectionstate', pcId: 'u-1234567890abcdef>u-fedcba0987654321#3',
  peer: 'u-fedcba0987654321', role: 'active', state: 'connected'}; }
window.run = async (k, mode) => {
  let sync = 0; const trace = [];
  for (let i = 0; i < k; i++) {
    const r = rec(i); trace.push(r);
    const a = performance.now();
    if (mode !== 'nolog') console.log('TRACE ' + JSON.stringify(r));
    else JSON.stringify(r);
    sync += performance.now() - a;
    if (i % 20 === 19) await new Promise(res => setTimeout(res, 2));
  }
  return sync;
};
</script></body></html>"""

async def main():
    res = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for mode in sys.argv[1:] or ["nolog", "nolisten", "listen"]:
            ctx = await browser.new_context(permissions=["microphone", "camera"])
            page = await ctx.new_page()
            got = [0]
            if mode == "listen":
                def on(m):
                    t = m.text
                    if t.startswith("TRACE "):
                        json.loads(t[6:]); got[0] += 1
                page.on("console", on)
            await page.set_content(PAGE)
            await page.evaluate(f"run(300, '{mode}')")
            await asyncio.sleep(1.0)
            got[0] = 0
            a = procs(); w0 = time.time()
            sync = await page.evaluate(f"run({K}, '{mode}')")
            while mode == "listen" and got[0] < K and time.time() - w0 < 60:
                await asyncio.sleep(0.05)
            wall = time.time() - w0
            await asyncio.sleep(0.5)
            b = procs()
            d = delta(a, b)
            res[mode] = {"K": K, "received": got[0], "wall_s": round(wall, 3), "sync_us_per_record": round(1000 * sync / K, 2),
                         "cpu_us_per_record": {k: round(1e6 * v / K, 1) for k, v in sorted(d.items())}}
            print(mode, json.dumps(res[mode]), flush=True)
            await ctx.close()
        await browser.close()
    if os.environ.get("OUT"):
        json.dump(res, open(os.environ["OUT"], "w"), indent=1)

asyncio.run(main())
