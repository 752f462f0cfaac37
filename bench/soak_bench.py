"""Soak benchmark: does memory stay flat over hundreds of edits, in one session and across sessions?

Three parts (a fourth on request), each in its own child process (so one part's allocations do not shift the next one's
baseline), offline backends only, torch/OpenCV/OpenMP at 1 thread (``OMP_NUM_THREADS=1``):

1. ``single``: one ``studio.session.EditorSession`` (driven directly, with the offline services the app
   builds), one upload of a 1 MP photo (skimage's astronaut at 1000x1000), then ``--edits`` (500) actions
   cycling through recolour (target colour and hue shift), texture (denim, leopard, knit, plaid), cartoon,
   neural style (built-in styles 0, 7, 14), undo, redo and hiding/showing layers, each on the next
   labelled part (face, hair, upper clothes, background, ...); after every action the preview and overlay
   are rendered (what the UI does); a full-size JPEG export every 50 actions. The session keeps at most
   ``FACET_MAX_LAYERS`` (50) undoable layers; older ones are merged into one base layer.
   ``single_unbounded`` repeats it with ``max_layers=0`` (no cap) to show the growth the cap removes.
2. ``sessions``: ``--sessions`` (100) sessions one after another, each created, loaded with the next photo
   (astronaut, grace_hopper, china at about 1 MP), used for 5 edits (+ one export and one mask download,
   so it owns a temp folder), then closed (``EditorSession.close``): 500 edits. Checks that every session's
   ``facet-session-*`` temp folder is gone after close (the part runs with a private ``TMPDIR``).
3. ``gradio``: the real app launched in this process (``app.ui.build_ui`` + ``launch``, like the API tests)
   with ``FACET_SESSION_TTL_S`` = ``--ttl`` (10 s) and ``GRADIO_HEARTBEAT_INTERVAL=2`` (Gradio notices a
   closed client within 2 s instead of 15); ``gradio_client`` clients in a *separate* process (so the
   measured RSS is the server's): ``--waves`` (4) waves of ``--clients`` (5) clients, two at a time, each
   uploading a photo, picking a part, applying 5 edits, exporting and closing (100 edits in all); after
   each wave the server idles until the sessions' TTL has passed, and the bench counts the
   ``EditorSession.close`` calls Gradio made (``delete_callback``), the live sessions and the temp folders.
   Flat here = the idle RSS after each wave stays within a few percent of the idle RSS after wave 1.
   ``FACET_MAX_SESSIONS`` is 10 in this part (unless set), so Gradio also drops the oldest sessions.
4. ``churn`` (on request): ``--churn`` (200) clients one after another upload a small photo and leave; the
   RSS Gradio keeps per freed session. Run it with ``FACET_MAX_SESSIONS=10000`` (Gradio's default
   capacity) and with a small cap.

Memory: RSS (psutil) after ``gc.collect()``, every 10 actions (every session in part 2; every second in
part 3). glibc keeps freed memory for reuse (``EditorSession.close`` hands it back with ``malloc_trim``), so
RSS rarely falls; a leak shows as RSS that keeps rising.
"Flat" = after the warm-up (the first 20 % of the actions: models loaded, caches filled, the
layer cap reached), RSS stays within a few percent of its value at the end of the warm-up:
``max_drift_pct`` = the largest |RSS - warm-up RSS| / warm-up RSS afterwards, ``final_drift_pct`` the
last sample's, ``slope_mb_per_100`` a least-squares slope over the post-warm-up samples,
``second_half_drift_pct`` the change over the second half of the run (late one-time steps, such as
onnxruntime growing its arena for the largest style crop so far, count in the others).

Usage (from the repository root; about 10 minutes on 2 cores)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/soak_bench.py            # -> bench/results/soak.json
    OMP_NUM_THREADS=1 .venv/bin/python bench/soak_bench.py --quick    # 60 actions, 12 sessions, 2x3 clients
    OMP_NUM_THREADS=1 .venv/bin/python bench/soak_bench.py --parts single_unbounded \
        --out bench/results/soak-unbounded.json                       # part 1 without the layer cap
    FACET_MAX_SESSIONS=10000 OMP_NUM_THREADS=1 .venv/bin/python bench/soak_bench.py --parts churn \
        --out bench/results/soak-churn-10000.json                     # per-session residue, Gradio's cap
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, load_average, log, machine_info, offline_env, table, write_result

offline_env()
os.environ.setdefault("OMP_NUM_THREADS", "1")
# per-session flood limits would stop a 500-edit session after 30 edits a minute; the soak measures memory
os.environ.setdefault("FACET_MAX_EDITS_PER_MINUTE", "0")
os.environ.setdefault("FACET_MAX_CLICKS_PER_MINUTE", "0")

PARTS = ("single", "single_unbounded", "sessions", "gradio", "churn")
DEFAULT_PARTS = ("single", "sessions", "gradio")  # single_unbounded (no layer cap) and churn: --parts
WARMUP_FRACTION = 0.2
TEXTURES = ("denim", "leopard", "knit", "plaid")
STYLES = (0, 7, 14)
COLOURS = ("#c0262d", "#1e6fd9", "#2fa84f", "#f2c12e", "#7b3fa0")
# one cycle of actions in part 1 (10 actions)
CYCLE = ("recolour", "texture", "cartoon", "hue", "style", "texture", "undo", "redo", "hide", "recolour")


TRIM = [False]  # --trim: hand freed heap pages back (malloc_trim) before every sample


def rss_mb() -> float:
    """Resident memory of this process in MB, after a full garbage collection (and malloc_trim with --trim)."""
    gc.collect()
    if TRIM[0]:
        _malloc_trim()
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 2**20, 1)
    except ImportError:
        with open("/proc/self/statm") as fh:
            return round(int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _malloc_trim() -> bool:
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def trimmed_rss_mb() -> float | None:
    """RSS after glibc's ``malloc_trim(0)`` hands freed heap pages back to the OS: what is really still in
    use (plus fragmentation). A diagnostic; it changes what the plain RSS shows afterwards."""
    return rss_mb() if _malloc_trim() else None


def flatness(curve: list[dict[str, Any]], key: str = "step") -> dict[str, Any]:
    """Warm-up RSS (the sample at the end of the first 20 % of the run), final RSS, drifts and slope after it."""
    last = curve[-1][key]
    warm_i = next(i for i, c in enumerate(curve) if c[key] >= WARMUP_FRACTION * last)
    warm = curve[warm_i]["rss_mb"]
    mid = next(c["rss_mb"] for c in curve if c[key] >= last / 2)
    after = curve[warm_i:]
    xs = [c[key] for c in after]
    ys = [c["rss_mb"] for c in after]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
    return {
        "warmup_until": curve[warm_i][key],
        "start_rss_mb": curve[0]["rss_mb"],
        "warmup_rss_mb": warm,
        "final_rss_mb": ys[-1],
        "max_rss_mb": max(c["rss_mb"] for c in curve),
        "max_drift_pct": round(max(abs(y - warm) for y in ys) / warm * 100, 2),
        "final_drift_pct": round((ys[-1] - warm) / warm * 100, 2),
        "slope_mb_per_100": round(slope * 100, 2),
        "second_half_drift_pct": round((ys[-1] - mid) / mid * 100, 2),
    }


def photos_1mp() -> dict[str, Any]:
    """name -> Photo at about 1 MP (astronaut 1000x1000, grace_hopper, china), made with OpenCV."""
    import cv2
    import numpy as np
    from PIL import Image
    from skimage import data
    from sklearn.datasets import load_sample_image

    from core.types import Photo

    import matplotlib

    hopper = np.asarray(
        Image.open(Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg").convert("RGB")
    )
    out = {}
    for name, rgb in (
        ("astronaut", data.astronaut()),
        ("grace_hopper", hopper),
        ("china", load_sample_image("china.jpg")),
    ):
        h, w = rgb.shape[:2]
        f = (1e6 / (h * w)) ** 0.5
        size = (1000, 1000) if name == "astronaut" else (round(w * f), round(h * f))
        px = np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC))
        out[name] = Photo(pixels=px, name=f"{name}.png")
    return out


def offline_services(max_layers: int | None = None) -> Any:
    from dataclasses import replace

    from core.models import ModelManager
    from studio.services import build_services
    from core.settings import Settings

    settings = Settings.from_env()
    if max_layers is not None:
        settings = replace(settings, max_layers=max_layers)
    return build_services(settings, ModelManager(settings, online=False))


def _apply(s: Any, services: Any, kind: str, i: int) -> str:
    """One apply on the next labelled part; returns a short description."""
    parts = [p for p in s.parts if p.mask.any()]
    part = parts[i % len(parts)]
    s.use_part(part.id)
    editor, params = {
        "recolour": ("recolour", {"target": COLOURS[i % len(COLOURS)]}),
        "hue": ("recolour", {"hue_shift": float(-170 + (i * 37) % 340), "saturation": 1.2}),
        "texture": ("texture", {"texture": TEXTURES[i % len(TEXTURES)]}),
        "cartoon": ("cartoon", {}),
        "style": ("style", {"style": STYLES[i % len(STYLES)]}),
    }[kind]
    s.apply_edit(editor, params, i, services)
    return f"{editor} on {part.label}"


def part_single(args: argparse.Namespace, max_layers: int | None) -> dict[str, Any]:
    from studio.session import EditorSession

    services = offline_services(max_layers)
    photo = photos_1mp()["astronaut"]
    curve = [{"step": 0, "rss_mb": rss_mb(), "layers": 0}]
    s = EditorSession()
    t0 = time.perf_counter()
    s.load(photo, services)
    upload_s = time.perf_counter() - t0
    counts: dict[str, int] = {}
    exports = 0
    times = []
    for step in range(1, args.edits + 1):
        kind = CYCLE[(step - 1) % len(CYCLE)]
        t = time.perf_counter()
        if kind == "undo":
            s.undo_edit()
        elif kind == "redo":
            s.redo_edit()
        elif kind == "hide":  # hide every third layer, render, show them all again
            ids = [la.id for la in s.layers.layers]
            s.set_visible_layers({x for j, x in enumerate(ids) if j % 3})
            s.result_preview()
            s.set_visible_layers(set(ids))
        else:
            _apply(s, services, kind, step)
        s.result_preview()
        s.overlay()
        if step % 50 == 0:
            s.export("JPEG", 92)
            exports += 1
        times.append(time.perf_counter() - t)
        counts[kind] = counts.get(kind, 0) + 1
        if step % 10 == 0:
            curve.append({"step": step, "rss_mb": rss_mb(), "layers": len(s.layers.layers), "merged": s.layers.merged})
            if step % 100 == 0:
                log(
                    f"  {step} actions: RSS {curve[-1]['rss_mb']} MB, {len(s.layers.layers)} layers "
                    f"(+{s.layers.merged} merged), {sum(times[-100:]) / len(times[-100:]):.3f} s/action"
                )
    tmp = s._tmpdir
    s.close()
    curve.append({"step": args.edits, "rss_mb": rss_mb(), "layers": 0, "after": "close"})
    trimmed = trimmed_rss_mb()
    return {
        "photo": f"astronaut {photo.width}x{photo.height}",
        "actions": counts,
        "exports": exports,
        "max_layers": services.settings.max_layers,
        "upload_s": round(upload_s, 2),
        "seconds_per_action_median": round(sorted(times)[len(times) // 2], 4),
        "temp_folder_removed_on_close": tmp is not None and not os.path.exists(tmp),
        "summary": flatness(curve[:-1]),
        "rss_after_close_mb": curve[-1]["rss_mb"],
        "rss_after_close_trimmed_mb": trimmed,
        "curve": curve,
    }


def _session_dirs() -> list[str]:
    return sorted(p.name for p in Path(tempfile.gettempdir()).glob("facet-session-*"))


def part_sessions(args: argparse.Namespace) -> dict[str, Any]:
    from studio.session import EditorSession

    services = offline_services()
    photos = list(photos_1mp().values())
    curve = [{"step": 0, "session": 0, "rss_mb": rss_mb(), "temp_folders": len(_session_dirs())}]
    left_behind = 0
    edits = 0
    kinds = ("recolour", "texture", "cartoon", "hue", "style")
    t0 = time.perf_counter()
    for n in range(1, args.sessions + 1):
        s = EditorSession()
        s.load(photos[n % len(photos)], services)
        for k in range(5):
            _apply(s, services, kinds[(n + k) % len(kinds)], n * 5 + k)
            s.result_preview()
            s.overlay()
            edits += 1
        s.export("JPEG", 92)
        s.mask_file()
        tmp = s._tmpdir
        s.close()
        left_behind += bool(tmp and os.path.exists(tmp))
        curve.append({"step": edits, "session": n, "rss_mb": rss_mb(), "temp_folders": len(_session_dirs())})
        if n % 20 == 0:
            log(
                f"  {n} sessions, {edits} edits: RSS {curve[-1]['rss_mb']} MB, {curve[-1]['temp_folders']} temp folders"
            )
    return {
        "sessions": args.sessions,
        "edits": edits,
        "seconds": round(time.perf_counter() - t0, 1),
        "final_trimmed_rss_mb": trimmed_rss_mb(),
        "temp_folders_left_after_close": left_behind,
        "temp_folders_at_end": len(_session_dirs()),
        "summary": flatness(curve),
        "curve": curve,
    }


# -- part 3: the real Gradio app ------------------------------------------------------------------------
def gradio_clients(url: str, photo_dir: str, clients: int, first: int) -> None:
    """Child process: ``clients`` gradio_client users, two at a time; prints one JSON line per user."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client, handle_file

    files = sorted(Path(photo_dir).glob("*.png"))
    looks = [
        ("Recolour", "#c0262d"),
        ("Texture", "#000000"),
        ("Cartoon", "#000000"),
        ("Recolour", "#1e6fd9"),
        ("Neural style", "#000000"),
    ]

    def user(i: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        client = Client(url, verbose=False)
        out = client.predict(handle_file(str(files[i % len(files)])), api_name="/upload")
        choices = {label.split(" · ")[0]: value for label, value in out[5]["choices"]}
        label = next((p for p in ("upper clothes", "background", "sky", "face") if p in choices), None)
        client.predict(choices[label], api_name="/use_part")
        applied = 0
        for k, (look, colour) in enumerate(looks):
            out = client.predict(
                look,
                ("denim", "leopard", "knit")[k % 3],
                None,
                1.0,
                colour,
                "Target colour",
                0,
                1,
                0,
                (i + k) % 26,
                None,
                1,
                0,
                8,
                1,
                "sunset",
                -1,
                i,
                api_name="/apply_edit",
            )
            applied += "Applied" in out[1]
        client.predict("JPEG", api_name="/export")
        if hasattr(client, "close"):
            client.close()
        return {"client": i, "part": label, "applied": applied, "seconds": round(time.perf_counter() - t0, 2)}

    with ThreadPoolExecutor(max_workers=2) as pool:
        for row in pool.map(user, range(first, first + clients)):
            print(json.dumps(row), flush=True)


def launch_app(ttl: int) -> tuple[Any, str, list[float], list[str]]:
    """The real app in this process with FACET_SESSION_TTL_S=ttl: (demo, url, times of the EditorSession.close
    calls Gradio made, errors of Gradio's expiry task)."""
    import socket
    from dataclasses import replace

    os.environ["FACET_SESSION_TTL_S"] = str(ttl)
    import app.ui as ui
    from core.models import ModelManager
    from studio.services import build_services
    from core.settings import Settings

    closed: list[float] = []
    original_close = ui._close

    def counting_close(state: Any) -> None:
        closed.append(time.time())
        original_close(state)

    ui._close = counting_close  # build_ui passes it to gr.State(delete_callback=...)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = replace(Settings.from_env(), port=port)
    services = build_services(settings, ModelManager(settings, online=False))
    demo = ui.build_ui(services)
    ui.launch(demo, services, prevent_thread_lock=True, quiet=True)
    expiry_errors: list[str] = []
    expire = demo.state_holder.delete_all_expired_state

    def logged_expire() -> None:  # Gradio's once-a-second expiry task: record what would end it
        try:
            expire()
        except Exception as exc:
            expiry_errors.append(f"{time.strftime('%H:%M:%S')} {exc.__class__.__name__}: {exc}")
            raise

    demo.state_holder.delete_all_expired_state = logged_expire
    return demo, f"http://127.0.0.1:{port}/", closed, expiry_errors


def part_gradio(args: argparse.Namespace) -> dict[str, Any]:
    from PIL import Image

    demo, url, closed, expiry_errors = launch_app(args.ttl)
    photo_dir = Path(tempfile.mkdtemp(prefix="soak-photos-"))
    for name, photo in photos_1mp().items():
        Image.fromarray(photo.pixels).save(photo_dir / f"{name}.png")

    t_start = time.perf_counter()
    curve: list[dict[str, Any]] = []
    stop = threading.Event()
    phase = ["idle"]

    def live_sessions() -> int:
        holder = demo.state_holder
        return sum(
            1
            for sid in list(holder.session_data)
            if any(v is not None for v in holder.session_data[sid].state_data.values())
        )

    def sample() -> None:
        while not stop.is_set():
            curve.append(
                {
                    "t": round(time.perf_counter() - t_start, 1),
                    "rss_mb": rss_mb(),
                    "phase": phase[0],
                    "closed": len(closed),
                    "live_sessions": live_sessions(),
                    "temp_folders": len(_session_dirs()),
                }
            )
            stop.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(2)
    waves = []
    for wave in range(args.waves):
        phase[0] = f"wave {wave + 1}"
        first = wave * args.clients
        r = subprocess.run(
            [
                sys.executable,
                __file__,
                "--gradio-clients",
                url,
                "--photo-dir",
                str(photo_dir),
                "--clients",
                str(args.clients),
                "--first",
                str(first),
            ],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        users = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        if r.returncode != 0:
            log(r.stderr[-3000:])
        rss_busy = rss_mb()
        live_busy = live_sessions()
        phase[0] = f"idle after wave {wave + 1}"
        log(
            f"  wave {wave + 1}: {len(users)} clients, {sum(u['applied'] for u in users)} edits applied; "
            f"RSS {rss_busy} MB, {live_busy} live sessions; waiting {args.ttl + 6} s for the TTL"
        )
        time.sleep(args.ttl + 6)  # the heartbeat notices gone clients within 2 s; expiry runs every second
        waves.append(
            {
                "wave": wave + 1,
                "clients": len(users),
                "client_rc": r.returncode,
                "edits_applied": sum(u["applied"] for u in users),
                "client_seconds": [u["seconds"] for u in users],
                "parts": sorted({u["part"] for u in users}),
                "rss_after_wave_mb": rss_busy,
                "live_sessions_after_wave": live_busy,
                "rss_after_ttl_mb": rss_mb(),
                "live_sessions_after_ttl": live_sessions(),
                "closed_so_far": len(closed),
                "temp_folders_after_ttl": len(_session_dirs()),
                "gradio_session_entries": len(demo.state_holder.session_data),
            }
        )
        log(
            f"  after the TTL: RSS {waves[-1]['rss_after_ttl_mb']} MB, {waves[-1]['live_sessions_after_ttl']} live "
            f"sessions, {len(closed)} closed by Gradio, {waves[-1]['temp_folders_after_ttl']} temp folders"
        )
    stop.set()
    sampler.join()
    final_trimmed = trimmed_rss_mb()
    demo.close()
    edits = sum(w["edits_applied"] for w in waves)
    clients = sum(w["clients"] for w in waves)
    idle = [w["rss_after_ttl_mb"] for w in waves]
    return {
        "ttl_s": args.ttl,
        "clients": clients,
        "edits": edits,
        "sessions_closed_by_gradio": len(closed),
        "expiry_task_errors": expiry_errors,
        "waves": waves,
        "final_trimmed_rss_mb": final_trimmed,
        "summary": {
            "start_rss_mb": curve[0]["rss_mb"],
            "warmup_rss_mb": idle[0],
            "final_rss_mb": idle[-1],
            "max_rss_mb": max(c["rss_mb"] for c in curve),
            "idle_rss_mb_after_each_wave": idle,
            "max_drift_pct": round(max(abs(x - idle[0]) for x in idle) / idle[0] * 100, 2),
            "final_drift_pct": round((idle[-1] - idle[0]) / idle[0] * 100, 2),
            "note": "warm-up = idle RSS once wave 1's sessions expired; then the same after each wave",
        },
        "curve": curve,
    }


def churn_clients(url: str, photo: str, clients: int) -> None:
    """Child process: ``clients`` users one after another, each uploading a small photo and leaving."""
    from gradio_client import Client, handle_file

    for _ in range(clients):
        client = Client(url, verbose=False)
        client.predict(handle_file(photo), api_name="/upload")
        client.close()


def part_churn(args: argparse.Namespace) -> dict[str, Any]:
    """What stays behind per session once it is freed: ``--churn`` short sessions (upload a 128x128 photo,
    leave) after 5 warm-up ones; RSS and Gradio's session entries before and after. Run it with
    FACET_MAX_SESSIONS=10000 (Gradio's own default) and with a small cap to see the difference."""
    from PIL import Image
    from skimage import data

    demo, url, closed, expiry_errors = launch_app(args.ttl)
    photo = Path(tempfile.mkdtemp(prefix="soak-photos-")) / "small.png"
    Image.fromarray(data.astronaut()[::4, ::4].copy()).save(photo)

    def run(n: int) -> None:
        subprocess.run(
            [sys.executable, __file__, "--churn-clients", url, "--photo-dir", str(photo), "--clients", str(n)],
            check=True,
            timeout=1800,
        )
        time.sleep(args.ttl + 6)

    run(5)
    before, before_trimmed = rss_mb(), trimmed_rss_mb()
    t0 = time.perf_counter()
    run(args.churn)
    after = rss_mb()
    after_trimmed = trimmed_rss_mb()
    entries = len(demo.state_holder.session_data)
    capacity = demo.state_holder.capacity
    demo.close()
    return {
        "sessions": args.churn,
        "ttl_s": args.ttl,
        "seconds": round(time.perf_counter() - t0, 1),
        "gradio_state_session_capacity": capacity,
        "gradio_session_entries_at_end": entries,
        "sessions_closed_by_gradio": len(closed),
        "expiry_task_errors": expiry_errors,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_kb_per_session": round((after - before) * 1024 / args.churn, 1),
        "trimmed_rss_before_mb": before_trimmed,
        "trimmed_rss_after_mb": after_trimmed,
        "trimmed_kb_per_session": round((after_trimmed - before_trimmed) * 1024 / args.churn, 1)
        if before_trimmed and after_trimmed
        else None,
    }


# -- driver ---------------------------------------------------------------------------------------------
def run_part(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one part in a child process with a private TMPDIR; returns its JSON."""
    tmp = tempfile.mkdtemp(prefix=f"soak-{name}-")
    out = Path(tmp) / "part.json"
    env = {
        **os.environ,
        "TMPDIR": tmp,
        "GRADIO_TEMP_DIR": str(Path(tmp) / "gradio"),
        "GRADIO_HEARTBEAT_INTERVAL": "2",
    }  # closed clients are noticed within 2 s instead of 15
    if name == "gradio":
        env.setdefault("FACET_MAX_SESSIONS", "10")  # so the run also drops old sessions past the cap
    cmd = [
        sys.executable,
        __file__,
        "--run-part",
        name,
        "--part-out",
        str(out),
        "--edits",
        str(args.edits),
        "--sessions",
        str(args.sessions),
        "--clients",
        str(args.clients),
        "--waves",
        str(args.waves),
        "--ttl",
        str(args.ttl),
        "--churn",
        str(args.churn),
    ] + (["--trim"] if args.trim else [])
    import shutil

    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, cwd=ROOT, text=True)
        if r.returncode != 0 or not out.exists():
            return {"error": f"part {name} exited with {r.returncode}", "seconds": round(time.perf_counter() - t0, 1)}
        result = json.loads(out.read_text())
        result["part_seconds"] = round(time.perf_counter() - t0, 1)
        gradio_tmp = Path(tmp) / "gradio"
        if gradio_tmp.exists():
            files = [p for p in gradio_tmp.rglob("*") if p.is_file()]
            result["gradio_cache_files_left"] = len(files)
            result["gradio_cache_mb_left"] = round(sum(p.stat().st_size for p in files) / 2**20, 1)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # also when the part failed


def report(result: dict[str, Any]) -> str:
    rows = []
    for name in PARTS:
        p = result["parts"].get(name)
        if not p or "summary" not in p:
            continue
        s = p["summary"]
        rows.append(
            [
                name,
                s["start_rss_mb"],
                s["warmup_rss_mb"],
                s["final_rss_mb"],
                s["max_rss_mb"],
                s.get("max_drift_pct", ""),
                s["final_drift_pct"],
                s.get("second_half_drift_pct", ""),
                s.get("slope_mb_per_100", ""),
                p.get("part_seconds", ""),
            ]
        )
    for name in ("churn",):
        p = result["parts"].get(name)
        if p and "rss_kb_per_session" in p:
            rows.append(
                [
                    f"churn ({p['sessions']} sessions, cap {p['gradio_state_session_capacity']})",
                    p["rss_before_mb"],
                    "",
                    p["rss_after_mb"],
                    "",
                    "",
                    "",
                    "",
                    f"{p['rss_kb_per_session']} KB/session",
                    p.get("part_seconds", ""),
                ]
            )
    return table(
        rows,
        [
            "part",
            "start MB",
            "warm-up MB",
            "final MB",
            "max MB",
            "max drift %",
            "final drift %",
            "2nd half %",
            "MB/100 actions",
            "s",
        ],
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 actions, 12 sessions, 2 waves of 3 clients")
    ap.add_argument("--edits", type=int, default=500)
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--clients", type=int, default=5, help="gradio clients per wave")
    ap.add_argument("--waves", type=int, default=4)
    ap.add_argument("--ttl", type=int, default=10, help="FACET_SESSION_TTL_S for the gradio part")
    ap.add_argument("--parts", default=",".join(DEFAULT_PARTS), help=f"comma-separated, from {PARTS}")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--trim",
        action="store_true",
        help="diagnostic: malloc_trim(0) before every sample, so RSS shows memory still in use "
        "rather than freed heap glibc keeps",
    )
    ap.add_argument("--run-part", choices=PARTS, help=argparse.SUPPRESS)
    ap.add_argument("--part-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--gradio-clients", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--photo-dir", help=argparse.SUPPRESS)
    ap.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--churn-clients", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--churn", type=int, default=200, help="short sessions in the churn part")
    args = ap.parse_args(argv)
    if args.quick:
        args.edits, args.sessions, args.clients, args.waves = 60, 12, 3, 2
    if args.churn_clients:
        churn_clients(args.churn_clients, args.photo_dir, args.clients)
        return 0
    if args.gradio_clients:
        gradio_clients(args.gradio_clients, args.photo_dir, args.clients, args.first)
        return 0
    TRIM[0] = args.trim
    if args.run_part:
        from common import set_threads

        set_threads(1)
        fn = {
            "single": lambda: part_single(args, None),
            "single_unbounded": lambda: part_single(args, 0),
            "sessions": lambda: part_sessions(args),
            "gradio": lambda: part_gradio(args),
            "churn": lambda: part_churn(args),
        }[args.run_part]
        args.part_out.write_text(json.dumps(fn()))
        return 0

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {unknown}; choose from {PARTS}")
    out = args.out or RESULTS_DIR / ("soak-quick.json" if args.quick else "soak.json")
    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "bench/soak_bench.py",
        "mode": "quick" if args.quick else "full",
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine_info([1], ("torch", "numpy", "cv2", "gradio", "onnxruntime")),
        "settings": {
            "edits": args.edits,
            "sessions": args.sessions,
            "edits_per_session": 5,
            "gradio_clients_per_wave": args.clients,
            "gradio_waves": args.waves,
            "gradio_ttl_s": args.ttl,
            "warmup_fraction": WARMUP_FRACTION,
            "trim_before_each_sample": args.trim,
            "rss": "psutil RSS after gc.collect()" + (" and malloc_trim(0)" if args.trim else ""),
            "photo": "1 MP (astronaut 1000x1000; grace_hopper and china resized to about 1 MP)",
        },
        "parts": {},
    }
    for name in parts:
        log(f"part {name} ...")
        result["parts"][name] = run_part(name, args)
        s = result["parts"][name].get("summary", {})
        log(
            f"part {name}: warm-up {s.get('warmup_rss_mb')} MB -> final {s.get('final_rss_mb')} MB "
            f"(max drift {s.get('max_drift_pct')} %, final {s.get('final_drift_pct')} %); "
            f"{result['parts'][name].get('part_seconds')} s"
        )
    result["machine"]["load_average_at_end"] = load_average()
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    write_result(result, out)
    print()
    print(report(result))
    print(f"\nTotal {result['elapsed_s']:.0f} s; results in {result['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
