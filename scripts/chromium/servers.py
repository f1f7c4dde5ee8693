"""The crosscheck's page server and signaling server, in a process of their own.

`crosscheck.py` starts one per Chromium run: `python servers.py LOG.json`. It serves the pages
over HTTP and speaks MeshSim's protocol over WebSockets (`signaling.py`), prints one line
`HTTP_PORT WS_PORT` once both listen, and on SIGTERM writes the signaling server's log (every
message received and sent, epoch milliseconds) to LOG.json and exits.

Why a process of its own: until session 17 both servers ran inside the driver's process, the
WebSocket server on the same event loop as the Playwright client and the HTTP server on a
thread beside it. While the driver was busy with a browser step (a reload, a tab close) the
loop could not read or send: in one recorded reload the server logged the old page's
WebSocket close 38 ms after the driver's call and sent the `offline` 34 ms later, time no
real signaling server spends. Now only the browser's own work is measured.
"""
import asyncio
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402

from crosscheck import start_http  # noqa: E402
from signaling import Signaling  # noqa: E402


async def serve(log_path):
    http_server, http_port = start_http()
    sig = Signaling()
    stop = asyncio.get_running_loop().create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(sig.handler, "127.0.0.1", 0) as server:
        ws_port = server.sockets[0].getsockname()[1]
        print(f"{http_port} {ws_port}", flush=True)
        await stop
    http_server.shutdown()
    tmp = log_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(sig.log, f)
    os.replace(tmp, log_path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: servers.py LOG.json", file=sys.stderr)
        sys.exit(2)
    asyncio.run(serve(sys.argv[1]))
