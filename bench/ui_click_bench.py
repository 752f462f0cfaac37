"""Click latency in the browser: an include click on the photo -> its mask painted, with where the time goes.

The same measure as ``bench/click_bench.py --browser`` (messi5, include clicks at random points of the hand-drawn
person, a fresh segment every third click, the app in its own process, headless Debian chromium; the time from
the click to the new canvas image loaded in the page), split with the page's own clock (Resource Timing):
``total_ms`` runs from the bench's click call: by default (``--click-with mouse``) ``page.mouse.click`` at the
photo's screen position, so the pointer event follows at once; ``--click-with locator`` clicks as click_bench.py
does (Playwright's element click: its own scrolling and actionability checks, ~70-100 ms here, come before the
browser gets the click; the measure of the results before 2026-11-30 18:00). ``pointer_to_painted_ms`` runs from
the pointer event the page receives (what a user waits for); the parts below run from the pointer event too:
- ``until_image_request``: click -> the browser asks for the new preview image (the server's click handler,
  its output encoding, the event's round trip and Gradio's front end);
- ``image_fetch``: that request -> its last byte;
- ``decode_paint``: the last byte -> the image complete in the page.
When the click's reply carries the image inline (a data URL; since 2026-11-30) there is no image request; then
- ``until_click_request``: click -> the browser sends the click event (a direct POST to ``/run/...``);
- ``click_reply``: that request -> its last byte (the server's handler and the reply with the image);
- ``decode_paint``: the reply's last byte -> the image complete in the page; ``image_kB``: the whole reply.
``--server`` also times the app's own click event in-process (no browser): the handler and Gradio's processing
of its outputs, wall and process CPU time, minus the segmenter's own time (``session.click``) = the UI's overhead;
and the follow-up event (segment list, mask download) that runs after the paint.
``--app-dir`` runs the app of another checkout (e.g. ``git archive`` of an older commit) under the same load,
for an A/B.

Usage (repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/ui_click_bench.py --server [--clicks 40] [--out bench/results/ui_click.json]
    # A/B against the commit before the UI work, under the same load:
    mkdir ../facet-before && git archive e6d195d | tar -x -C ../facet-before   # beside it: ../shared/models
    ln -s $PWD/.venv $PWD/models_local ../facet-before/
    OMP_NUM_THREADS=1 .venv/bin/python bench/ui_click_bench.py --server --app-dir ../facet-before \
        --out bench/results/ui_click_before.json
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
from common import RESULTS_DIR, ROOT, launch_chromium, log, machine_info, offline_env, open_app_for_clicks

offline_env()

import numpy as np  # noqa: E402  (after offline_env: no hub access while importing)

# the image shown before the click is remembered in the page (MARK_OLD, not timed): its src can be a ~100 kB data URL,
# which passing to and fro through Playwright would add to the timed part
MARK_OLD = "() => { const i = document.querySelector('#facet-canvas img'); window.__facetOld = i ? i.src : null; }"
WAIT_PAINTED = """() => { const i = document.querySelector('#facet-canvas img');
  if (!i || i.src === window.__facetOld || !i.complete || i.naturalWidth === 0) return false;
  const p = window.__facetPointer ?? null;
  if (i.src.startsWith('data:')) {  // the image came inline in the click's own reply (a direct POST to /run/...)
    const r = performance.getEntriesByType('resource').filter(
      e => e.name.includes('/run/') && (p === null || e.startTime >= p)).pop();
    return {done: performance.now(), pointer: p, inline: true, start: r ? r.startTime : null,
            end: r ? r.responseEnd : null, bytes: r ? r.encodedBodySize : null}; }
  const e = performance.getEntriesByName(i.src).pop();
  return {done: performance.now(), pointer: p, inline: false, start: e ? e.startTime : null,
          end: e ? e.responseEnd : null, bytes: e ? e.encodedBodySize : null}; }"""
# the moment the browser dispatches the click to the page (Playwright's own steps before it are not the app's)
RECORD_POINTER = "window.addEventListener('pointerdown', () => { window.__facetPointer = performance.now(); }, true)"


SERVER_PART = r"""
import asyncio, json, sys, time, tempfile
from pathlib import Path
import cv2, numpy as np
sys.path.insert(0, ".")
import gradio as gr
from gradio.state_holder import SessionState
from app.ui import build_ui
from core.models import ModelManager
from core.photo import load_photo
from core.settings import Settings
from studio.services import build_services
from studio.session import EditorSession
from tests import photos

n, truth_file = int(sys.argv[1]), sys.argv[2]
settings = Settings()
services = build_services(settings, ModelManager(settings, online=False))
demo = build_ui(services)
fns = {f.name: f for f in demo.fns.values()}
click, follow = fns["on_click"], fns.get("on_selection")  # on_selection: the follow-up event (absent before)
s = EditorSession()
s.load(load_photo(photos.path("messi5", Path(tempfile.mkdtemp()))), services)
m = np.zeros((342, 548), np.uint8)
for poly in json.load(open(truth_file))["objects"][0]["polygons"]:
    cv2.fillPoly(m, [np.array(poly, np.int32)], 1)
ys, xs = np.nonzero(m)
picks = np.random.default_rng(0).choice(len(xs), n, replace=False)
state = SessionState(demo)
spent = []
real_click = s.click

def timed_click(*a, **kw):
    t, c = time.perf_counter(), time.process_time()
    try:
        return real_click(*a, **kw)
    finally:
        spent.append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000))

s.click = timed_click

def run(block_fn, args):
    t, c = time.perf_counter(), time.process_time()
    out = block_fn.fn(*args)
    asyncio.run(demo.postprocess_data(block_fn, out if isinstance(out, dict) else list(out), state))
    return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000

rows = []
for i, k in enumerate(picks):
    if i % 3 == 0:
        s.new_segment()
    evt = gr.SelectData(None, {"index": [int(xs[k] * s.scale), int(ys[k] * s.scale)], "value": None,
                               "selected": True})
    wall, cpu = run(click, (s, "Include (+)", evt))
    seg_wall, seg_cpu = spent.pop()
    row = {"event_wall": wall, "event_cpu": cpu, "segmenter_wall": seg_wall, "ui_overhead_wall": wall - seg_wall,
           "ui_overhead_cpu": cpu - seg_cpu}
    if follow is not None:
        row["follow_up_wall"], row["follow_up_cpu"] = run(follow, (s,))
    rows.append(row)
print(json.dumps({k: {"p50": round(float(np.percentile([r[k] for r in rows], 50)), 1),
                      "p95": round(float(np.percentile([r[k] for r in rows], 95)), 1)} for k in rows[0]}))
"""


def server_part(clicks: int, app_dir: Path) -> dict[str, Any]:
    """The app's click event in-process in ``app_dir`` (ms): see the module docstring."""
    truth = ROOT / "tests" / "labels" / "clicks" / "messi5.json"
    done = subprocess.run(
        [sys.executable, "-c", SERVER_PART, str(clicks), str(truth)],
        cwd=app_dir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


SPLITS = ("until_image_request", "image_fetch", "until_click_request", "click_reply", "decode_paint", "image_kB")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else float("nan")


def measure(
    clicks: int, viewport: tuple[int, int], app_dir: Path = ROOT, pause_ms: int = 0, click_with: str = "mouse"
) -> dict[str, Any]:
    from click_bench import load_truth
    from playwright.sync_api import sync_playwright

    from tests import photos

    photo = photos.path("messi5", Path(tempfile.mkdtemp()))
    truth = load_truth("messi5", (342, 548))[0]["mask"]
    ys, xs = np.nonzero(truth)
    picks = np.random.default_rng(0).choice(len(xs), clicks, replace=False)
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "FACET_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    app_log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=app_dir, env=env, stdout=app_log, stderr=subprocess.STDOUT
    )
    rows: list[dict[str, float]] = []
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.add_init_script(RECORD_POINTER)
            img = open_app_for_clicks(page, port, photo)
            for i, k in enumerate(picks):
                if i % 3 == 0:  # a fresh segment every third click, so masks do not just grow
                    page.click("#facet-new")
                    page.wait_for_function(
                        "() => document.querySelector('#facet-status').innerText.includes('New segment')",
                        timeout=30_000,
                    )
                    page.wait_for_timeout(500)
                img.scroll_into_view_if_needed()  # "New segment" may have scrolled the photo away (not timed)
                box = img.bounding_box()
                page.evaluate(MARK_OLD)
                t_click = page.evaluate("() => performance.now()")
                t = time.perf_counter()
                x, y = box["width"] * xs[k] / 548, box["height"] * ys[k] / 342
                if click_with == "mouse":  # the pointer pressed at that spot of the screen, as a user's click
                    page.mouse.click(box["x"] + x, box["y"] + y)
                else:  # Playwright's element click: scrolling and actionability checks before the pointer event
                    img.click(position={"x": x, "y": y})
                try:
                    got = page.wait_for_function(WAIT_PAINTED, timeout=30_000, polling="raf").json_value()
                except Exception:
                    page.screenshot(path=str(RESULTS_DIR / "ui_click_failure.png"))
                    log(f"click {i}: no new image; status: {page.locator('#facet-status').inner_text()!r}")
                    app_log.seek(0)
                    log("app log (tail): " + app_log.read()[-3000:])
                    raise
                wall = (time.perf_counter() - t) * 1000
                t0 = got["pointer"] if got["pointer"] is not None and got["pointer"] >= t_click else t_click
                row = {"total_ms": wall, "pointer_to_painted_ms": got["done"] - t0}
                if got["start"] is not None and got["inline"]:  # one request: the click's reply carries the image
                    row.update(
                        until_click_request=got["start"] - t0,
                        click_reply=got["end"] - got["start"],
                        decode_paint=got["done"] - got["end"],
                        image_kB=(got["bytes"] or 0) / 1000,  # the whole reply (JSON with the image inline)
                    )
                elif got["start"] is not None:
                    row.update(
                        until_image_request=got["start"] - t0,
                        image_fetch=got["end"] - got["start"],
                        decode_paint=got["done"] - got["end"],
                        image_kB=(got["bytes"] or 0) / 1000,
                    )
                rows.append(row)
                if pause_ms:
                    page.wait_for_timeout(pause_ms)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    out: dict[str, Any] = {
        "photo": "messi5 (548x342)",
        "clicks": len(rows),
        "viewport": list(viewport),
        "click_with": click_with,
    }
    keys = ("total_ms", "pointer_to_painted_ms", "until_image_request", "image_fetch", "until_click_request")
    for key in (*keys, "click_reply", "decode_paint", "image_kB"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            out[key] = {"p50": pct(vals, 50), "p95": pct(vals, 95), "max": pct(vals, 100)}
    out["all_total_ms"] = [round(r["total_ms"], 1) for r in rows]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clicks", type=int, default=40)
    ap.add_argument("--viewport", default="1366x768")
    ap.add_argument("--out", default=str(RESULTS_DIR / "ui_click.json"))
    ap.add_argument("--pause-ms", type=int, default=0, help="wait between clicks (0: as click_bench.py)")
    ap.add_argument(
        "--click-with",
        choices=("mouse", "locator"),
        default="mouse",
        help="mouse: page.mouse.click at the photo's screen position (the pointer event follows at once); locator: "
        "Playwright's element click, which adds its own scrolling and actionability checks (~70-100 ms here) before "
        "the browser gets the click (the measure before 2026-11-30 18:00)",
    )
    ap.add_argument("--server", action="store_true", help="also time the click event in-process (no browser)")
    ap.add_argument("--no-browser", action="store_true", help="only the in-process measure (with --server)")
    ap.add_argument(
        "--app-dir", default=str(ROOT), help="run the app from this checkout (an A/B against another commit)"
    )
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
    }
    if args.server:
        result["server_click_event_ms"] = server_part(args.clicks, Path(args.app_dir))
        log(f"server: {result['server_click_event_ms']}")
    if not args.no_browser:
        result["browser_click"] = measure(args.clicks, (w, h), Path(args.app_dir), args.pause_ms, args.click_with)
    result.update(
        {
            "loadavg_after": os.getloadavg(),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    b = result.get("browser_click")
    if b:
        splits = ", ".join(f"{k} p95 {b[k]['p95']}" for k in SPLITS if k in b)
        log(
            f"click -> painted: p50 {b['total_ms']['p50']} ms, p95 {b['total_ms']['p95']} ms; from the pointer "
            f"event p50 {b['pointer_to_painted_ms']['p50']} ms, p95 {b['pointer_to_painted_ms']['p95']} ms "
            f"({splits}); "
            f"load {load_before} -> {result['loadavg_after']}"
        )
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
