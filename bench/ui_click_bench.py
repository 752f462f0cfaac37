"""Click latency in the browser: an include click on the photo -> its mask painted, with where the time goes.

The same measure as ``bench/click_bench.py --browser`` (messi5, include clicks at random points of the hand-drawn
person, a fresh segment every third click, the app in its own process, headless Debian chromium; the time from
the click to the new canvas image loaded in the page), split with the page's own clock (Resource Timing):
``total_ms`` runs from the bench's click call (as click_bench.py; it includes Playwright's own work before the
browser gets the click: scrolling, actionability checks), ``pointer_to_painted_ms`` from the pointer event the
page receives (what a user waits for); the parts below run from the pointer event too:
- ``until_image_request``: click -> the browser asks for the new preview image (the server's click handler,
  its output encoding, the event's round trip and Gradio's front end);
- ``image_fetch``: that request -> its last byte;
- ``decode_paint``: the last byte -> the image complete in the page.
``--app-dir`` runs the app of another checkout (e.g. ``git archive`` of an older commit) under the same load,
for an A/B.

Usage (repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/ui_click_bench.py [--clicks 40] [--out bench/results/ui_click.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, log, machine_info, offline_env  # noqa: E402

offline_env()

import numpy as np  # noqa: E402

WAIT_PAINTED = """(old) => { const i = document.querySelector('#facet-canvas img');
  if (!i || i.src === old || !i.complete || i.naturalWidth === 0) return false;
  const e = performance.getEntriesByName(i.src).pop();
  return {done: performance.now(), pointer: window.__facetPointer ?? null, start: e ? e.startTime : null,
          end: e ? e.responseEnd : null, bytes: e ? e.encodedBodySize : null}; }"""
# the moment the browser dispatches the click to the page (Playwright's own steps before it are not the app's)
RECORD_POINTER = "window.addEventListener('pointerdown', () => { window.__facetPointer = performance.now(); }, true)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else float("nan")


def measure(clicks: int, viewport: tuple[int, int], app_dir: Path = ROOT, pause_ms: int = 0) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from click_bench import load_truth
    from tests import photos

    photo = photos.path("messi5", Path(tempfile.mkdtemp()))
    truth = load_truth("messi5", (342, 548))[0]["mask"]
    ys, xs = np.nonzero(truth)
    picks = np.random.default_rng(0).choice(len(xs), clicks, replace=False)
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "FACET_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    app_log = open(Path(tempfile.mkdtemp()) / "app.log", "w+")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=app_dir, env=env,
                            stdout=app_log, stderr=subprocess.STDOUT)
    rows: list[dict[str, float]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"])
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.add_init_script(RECORD_POINTER)
            deadline = time.time() + 300
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(1)
            page.set_input_files("#facet-upload input[type=file]", str(photo))
            page.wait_for_function("() => document.querySelector('#facet-status').innerText.includes('labelled parts')",
                                   timeout=120_000)
            page.wait_for_timeout(1500)
            page.locator("#facet-mode").get_by_text("Include (+)").click()
            img = page.locator("#facet-canvas img")
            for i, k in enumerate(picks):
                if i % 3 == 0:  # a fresh segment every third click, so masks do not just grow
                    page.click("#facet-new")
                    page.wait_for_function("() => document.querySelector('#facet-status').innerText"
                                           ".includes('New segment')", timeout=30_000)
                    page.wait_for_timeout(500)
                box = img.bounding_box()
                src = img.get_attribute("src")
                t_click = page.evaluate("() => performance.now()")
                t = time.perf_counter()
                img.click(position={"x": box["width"] * xs[k] / 548, "y": box["height"] * ys[k] / 342})
                try:
                    got = page.wait_for_function(WAIT_PAINTED, arg=src, timeout=30_000, polling="raf").json_value()
                except Exception:
                    page.screenshot(path=str(RESULTS_DIR / "ui_click_failure.png"))
                    log(f"click {i}: no new image; status: {page.locator('#facet-status').inner_text()!r}")
                    app_log.seek(0)
                    log("app log (tail): " + app_log.read()[-3000:])
                    raise
                wall = (time.perf_counter() - t) * 1000
                t0 = got["pointer"] if got["pointer"] is not None and got["pointer"] >= t_click else t_click
                row = {"total_ms": wall, "pointer_to_painted_ms": got["done"] - t0}
                if got["start"] is not None:
                    row.update(until_image_request=got["start"] - t0, image_fetch=got["end"] - got["start"],
                               decode_paint=got["done"] - got["end"], image_kB=(got["bytes"] or 0) / 1000)
                rows.append(row)
                if pause_ms:
                    page.wait_for_timeout(pause_ms)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    out: dict[str, Any] = {"photo": "messi5 (548x342)", "clicks": len(rows), "viewport": list(viewport)}
    for key in ("total_ms", "pointer_to_painted_ms", "until_image_request", "image_fetch", "decode_paint",
                "image_kB"):
        vals = [r[key] for r in rows if key in r]
        out[key] = {"p50": pct(vals, 50), "p95": pct(vals, 95), "max": pct(vals, 100)}
    out["all_total_ms"] = [round(r["total_ms"], 1) for r in rows]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clicks", type=int, default=40)
    ap.add_argument("--viewport", default="1366x768")
    ap.add_argument("--out", default=str(RESULTS_DIR / "ui_click.json"))
    ap.add_argument("--pause-ms", type=int, default=0, help="wait between clicks (0: as click_bench.py)")
    ap.add_argument("--app-dir", default=str(ROOT), help="run app.py from this checkout (an A/B against another commit)")
    args = ap.parse_args()
    w, h = (int(v) for v in args.viewport.split("x"))
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    result = {
        "what": "include click on the photo in chromium -> the new canvas image loaded (p50/p95 ms), split by the "
                "page's Resource Timing; goal: p95 under 300 ms",
        "machine": machine_info([int(os.environ.get("OMP_NUM_THREADS", "0") or 0)]),
        "threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
        "loadavg_before": load_before,
        "app_dir": args.app_dir if args.app_dir != str(ROOT) else ".",
        "browser_click": measure(args.clicks, (w, h), Path(args.app_dir), args.pause_ms),
        "loadavg_after": os.getloadavg(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    b = result["browser_click"]
    log(f"click -> painted: p50 {b['total_ms']['p50']} ms, p95 {b['total_ms']['p95']} ms; from the pointer event "
        f"p50 {b['pointer_to_painted_ms']['p50']} ms, p95 {b['pointer_to_painted_ms']['p95']} ms "
        f"(until image request p95 {b['until_image_request']['p95']}, fetch p95 {b['image_fetch']['p95']}, "
        f"decode+paint p95 {b['decode_paint']['p95']}); load {load_before} -> {result['loadavg_after']}")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
