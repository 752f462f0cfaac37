"""Load test: N concurrent API clients (gradio_client), each: upload, K clicks, K edits, export; every file a
client downloads (the mask after each click, the export) is fetched over HTTP and checked: status 200, as many
bytes as the server declared (FileData.size and Content-Length), decodes completely, and the export's C2PA
manifest validates (its hash covers every byte). Writes bench/results/load.json.

The app runs in its own process (as in production; clients in the same process would share its GIL) on a
free port with its offline backends, behind a simulated trusted proxy
(FACET_TRUSTED_PROXIES=127.0.0.1): each client sends its own X-Forwarded-For address, so the per-address
limits apply per client as they would behind a real proxy. Server-side errors (e.g. h11's "Too little data
for declared Content-Length", a cut-off download) are counted from the server's log.

    .venv/bin/python bench/load_bench.py                      # 32 clients x (upload, 5 clicks, 5 edits, export)
                                                              # on a 256 x 256 photo (--side)
    .venv/bin/python bench/load_bench.py --clients 8 --steps 2 --out bench/results/load-quick.json
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, load_average, log, offline_env, stats, write_result

offline_env()
os.environ.setdefault("OMP_NUM_THREADS", "1")

# (x, y) click positions on the astronaut photo (512 x 512): her suit, then refinements around it
CLICKS = [(100, 330), (140, 420), (60, 450), (200, 470), (120, 380), (90, 300), (170, 440)]
EDITS = [
    ("recolour", {"target": "#2050d0"}),
    ("texture", {"texture": "leopard"}),
    ("cartoon", {}),
    ("recolour", {"target": "#c0262d"}),
    ("texture", {"texture": "denim"}),
    ("sky", {"preset": "sunset"}),
]


# gradio_client's own default is 5 s per HTTP request (upload, API info): on an overloaded shared machine the
# server answers later than that without anything being wrong; a cut-off or failed download is still an error
CLIENT_TIMEOUT_S = 120


def check_download(http: Any, filedata: Any, kind: str) -> dict[str, Any]:
    """Fetch a FileData's URL; check it is complete and decodes; return what was seen."""
    from PIL import Image

    if not isinstance(filedata, dict) or not filedata.get("url"):
        raise AssertionError(f"{kind}: no file in the answer ({filedata!r})"[:300])
    r = http.get(filedata["url"])
    if r.status_code != 200:
        raise AssertionError(f"{kind}: HTTP {r.status_code}")
    data = r.content
    declared = filedata.get("size")
    length = r.headers.get("content-length")
    if declared is not None and len(data) != int(declared):
        raise AssertionError(f"{kind}: {len(data)} bytes received, the server declared {declared}")
    if length is not None and len(data) != int(length):
        raise AssertionError(f"{kind}: {len(data)} bytes received, Content-Length {length}")
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # decodes every pixel: a cut-off file raises here
        size = im.size
    if kind == "export":
        from studio import credentials

        found = credentials.read(data)
        if not found or found["state"] != "Valid":
            raise AssertionError(f"export: Content Credentials {found and found['state']}")
    return {"bytes": len(data), "size": size}


def run_client(i: int, url: str, photo: Path, steps: int, out: dict[str, Any], scale: float = 1.0) -> None:
    import httpx
    from gradio_client import Client, handle_file

    record: dict[str, Any] = {"client": i, "errors": [], "downloads": 0, "times": {}}
    out[i] = record
    headers = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
    try:
        client = Client(
            url, verbose=False, headers=headers, download_files=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S}
        )
        http = httpx.Client(headers=headers, timeout=CLIENT_TIMEOUT_S)
        t0 = time.perf_counter()
        view = client.predict(handle_file(str(photo)), api_name="/upload")
        record["times"]["upload"] = time.perf_counter() - t0
        if "Loaded" not in str(view[1]):
            raise AssertionError(f"upload: {view[1]}")
        clicks = []
        for k in range(steps):
            x, y = (round(v * scale) for v in CLICKS[k % len(CLICKS)])
            t0 = time.perf_counter()
            view = client.predict(x, y, "include", api_name="/click")
            clicks.append(time.perf_counter() - t0)
            mask = view[4]  # the "Download mask" button's file
            check_download(http, mask.get("value") if isinstance(mask, dict) and "value" in mask else mask, "mask")
            record["downloads"] += 1
        record["times"]["clicks"] = clicks
        edits = []
        for k in range(steps):
            name, params = EDITS[(k + i) % len(EDITS)]
            t0 = time.perf_counter()
            view = client.predict(name, json.dumps(params), k, api_name="/edit")
            edits.append(time.perf_counter() - t0)
            if "Applied" not in str(view[1]):
                raise AssertionError(f"edit {name}: {view[1]}")
        record["times"]["edits"] = edits
        t0 = time.perf_counter()
        exported = client.predict("PNG" if i % 2 == 0 else "JPEG", api_name="/export")
        record["times"]["export"] = time.perf_counter() - t0
        record["export"] = check_download(http, exported, "export")
        record["downloads"] += 1
    except Exception as exc:  # noqa: BLE001 - every failure is recorded; the bench reports them all
        record["errors"].append(f"{type(exc).__name__}: {exc}"[:500])
        where = [
            line.strip()
            for line in traceback.format_exc().splitlines()
            if "load_bench" in line or "gradio_client" in line
        ]
        record["traceback"] = " | ".join(where)[-1500:]


def serve(port: int) -> None:
    """The app on ``port`` (offline backends, a trusted proxy at 127.0.0.1), logging warnings to stderr."""
    from app.ui import build_ui, launch
    from core.models import ModelManager
    from studio.services import build_services
    from core.settings import Settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(port=port, trusted_proxies="127.0.0.1")
    services = build_services(settings, ModelManager(settings, online=False))
    launch(build_ui(services), services, quiet=True)  # blocks


def _start_server(port: int, log_path: Path) -> Any:
    import subprocess

    import httpx

    with open(log_path, "w") as err:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=Path(__file__).resolve().parent.parent,
        )
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/gradio_api/info", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(1)
    proc.kill()
    raise RuntimeError("the server did not start within 180 s")


def run(clients: int = 32, steps: int = 5, side: int = 256) -> dict[str, Any]:
    """Start the app in its own process, run ``clients`` concurrent clients on skimage's astronaut at ``side`` x
    ``side`` px; the result dict (errors listed, not raised)."""
    import socket
    import tempfile

    import numpy as np
    from PIL import Image
    from skimage import data

    folder = Path(tempfile.mkdtemp(prefix="facet-load-"))
    # every client uploads its own photo (one corner pixel differs): byte-identical uploads share one path in
    # Gradio's cache, and a session may not use a file that another live session holds (app/uploads.py)
    base = np.array(Image.fromarray(data.astronaut()).resize((side, side), Image.LANCZOS))
    photos = []
    for i in range(clients):
        img = base.copy()
        img[0, 0] = (i % 256, i // 256, 7)
        photos.append(folder / f"astronaut-{side}-{i}.png")
        Image.fromarray(img).save(photos[-1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server_log = folder / "server.log"
    proc = _start_server(port, server_log)
    url = f"http://127.0.0.1:{port}/"
    results: dict[int, Any] = {}
    load_before = load_average()
    t0 = time.perf_counter()
    try:
        threads = [
            threading.Thread(target=run_client, args=(i, url, photos[i], steps, results, side / 512))
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(900)
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(30)
    records = [
        line
        for line in server_log.read_text(errors="replace").splitlines()
        if line.startswith(("WARNING", "ERROR", "CRITICAL")) or "Traceback" in line or "Error" in line
    ]
    rows = [results.get(i, {"client": i, "errors": ["did not finish"]}) for i in range(clients)]
    failed = [r for r in rows if r["errors"]]
    cut = [m for m in records if "Content-Length" in m or "Too little data" in m]

    def gather(key: str) -> list[float]:
        out: list[float] = []
        for r in rows:
            v = r.get("times", {}).get(key)
            out += v if isinstance(v, list) else ([v] if v is not None else [])
        return out

    return {
        "benchmark": "load",
        "clients": clients,
        "clicks_per_client": steps,
        "edits_per_client": steps,
        "photo": f"skimage astronaut at {side}x{side}",
        "wall_s": round(wall, 1),
        "server": "separate process, offline backends, Gradio queue default_concurrency_limit=2",
        "client_timeout_s": CLIENT_TIMEOUT_S,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cpus": os.cpu_count(),
        "clients_failed": len(failed),
        "downloads_checked": sum(r.get("downloads", 0) for r in rows),
        "server_log_problems": records[:50],
        "server_cut_off_downloads": len(cut),
        "seconds": {k: stats(gather(k)) for k in ("upload", "clicks", "edits", "export") if gather(k)},
        "failures": [
            {"client": r["client"], "errors": r["errors"], "traceback": r.get("traceback", "")} for r in failed
        ][:10],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5, help="clicks and edits per client")
    ap.add_argument("--side", type=int, default=256, help="photo side in px (skimage's astronaut, resized)")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "load.json")
    ap.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)  # the server process
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    logging.basicConfig(level=logging.WARNING)
    log(f"{args.clients} clients x (upload, {args.steps} clicks, {args.steps} edits, export)")
    result = run(args.clients, args.steps, args.side)
    write_result(result, args.out)
    log(
        f"{result['clients_failed']} failed clients, {result['downloads_checked']} downloads checked, "
        f"{result['server_cut_off_downloads']} cut off; wall {result['wall_s']} s -> {args.out}"
    )
    return 0 if result["clients_failed"] == 0 and result["server_cut_off_downloads"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
