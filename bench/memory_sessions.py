"""Does the server's memory grow without bound as sessions come and go? (one server, many short sessions)

Starts ``python app.py`` (offline backends) as a child process with a short ``FACET_SESSION_TTL_S``
(``--ttl``, 20 s) and ``GRADIO_HEARTBEAT_INTERVAL=2``, with its own ``TMPDIR`` (so the sessions' temp folders
can be counted). Then, with ``gradio_client`` (one new ``Client`` = one new session, like a new browser tab),
in rounds: ``--small`` (8) sessions that each upload the same small photo (``--photo``, its own size), pick
its largest labelled part, apply one recolour and export a JPEG, then close the client (like closing the tab);
after the round the server idles past the TTL and RSS is read again. Then ``--big`` (2) sessions the same way
with the photo upscaled to ``--mp`` (24) MP, the TTL wait, and one more small round (does the memory the big
photos took come back for reuse, or does the small round climb on top of it?).

RSS (VmRSS of the server process, MB) after every session (its session still live: the TTL has not passed),
after each TTL wait, the peak (VmHWM), and the ``facet-session-*`` temp folders left. Flat = the idle RSS after
each wait stays near the first wait's; a per-session leak shows as idle RSS rising round after round.
Last (``--stack``, 3): a second server with the default ``FACET_SESSION_TTL_S`` (3600 s, unless set), and that
many ``--mp`` sessions closed one after another: RSS after each shows what every closed big-photo tab holds
until its TTL passes. Writes ``bench/results/memory_sessions.json`` (or ``--out``).

    OMP_NUM_THREADS=1 .venv/bin/python bench/memory_sessions.py                 # about 10 minutes on 2 cores
    OMP_NUM_THREADS=1 .venv/bin/python bench/memory_sessions.py --big 0 --small 4 --out /tmp/m.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, app_env, free_port, load_average, log, stop_server, upscaled_jpeg
from common import proc_kb as _kb


def _mb(pid: int, field: str = "VmRSS") -> int:
    return round(_kb(pid, field) / 1024)


RECOLOUR = ("Recolour", "leopard", None, 1.0, "#1e6fd9", "Target colour", 0, 1, 0, 0, None, 1, 0, 8, 1, "sunset", -1, 0)


def one_session(url: str, photo: Path) -> dict[str, Any]:
    """Upload, pick the largest labelled part, one recolour, export, close: like one tab's visit."""
    import cv2
    from gradio_client import Client, handle_file

    t0 = time.perf_counter()
    client = Client(url, verbose=False)
    view = client.predict(handle_file(str(photo)), api_name="/upload")
    parts = view[5]["choices"]
    best = None
    for label, value in parts:
        mask_file = client.predict(value, api_name="/use_part")[4]
        mask_file = mask_file.get("value") if isinstance(mask_file, dict) else mask_file
        m = cv2.imread(str(mask_file), cv2.IMREAD_GRAYSCALE) if mask_file else None
        share = float((m > 127).mean()) if m is not None else 0.0
        if best is None or share > best[2]:
            best = (label, value, share)
    applied = False
    if best is not None:
        client.predict(best[1], api_name="/use_part")
        out = client.predict(*RECOLOUR, api_name="/apply_edit")
        applied = "Applied" in out[1]
        client.predict("JPEG", api_name="/export")
    if hasattr(client, "close"):
        client.close()
    return {
        "parts": len(parts),
        "part": best[0] if best else None,
        "applied": applied,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default="darknet_person")
    ap.add_argument("--big-photo", default="messi5")
    ap.add_argument("--mp", type=float, default=24.0)
    ap.add_argument("--small", type=int, default=8, help="small-photo sessions per small round")
    ap.add_argument("--big", type=int, default=2, help="big-photo sessions")
    ap.add_argument("--stack", type=int, default=3, help="big-photo sessions against a default-TTL server")
    ap.add_argument("--ttl", type=int, default=20, help="FACET_SESSION_TTL_S for the server")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "memory_sessions.json")
    args = ap.parse_args()

    import cv2

    sys.path.insert(0, str(ROOT))
    from tests import photos

    tmp = Path(tempfile.mkdtemp(prefix="facet-memsess-"))
    server_tmp = tmp / "server-tmp"
    server_tmp.mkdir()
    small = photos.load(args.photo)
    small_path = tmp / f"{args.photo}.jpg"
    cv2.imwrite(str(small_path), small[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    big_path = None
    if args.big or args.stack:
        big_path = upscaled_jpeg(photos.load(args.big_photo), args.mp, tmp / f"{args.big_photo}-{args.mp:g}mp.jpg")

    port = free_port()
    env = app_env(
        port,
        FACET_SESSION_TTL_S=str(args.ttl),
        GRADIO_HEARTBEAT_INTERVAL="2",
        FACET_MAX_EDITS_PER_MINUTE_PER_IP="0",
        FACET_MAX_UPLOADS_PER_MINUTE_PER_IP="0",
        FACET_MAX_CLICKS_PER_MINUTE_PER_IP="0",
        TMPDIR=str(server_tmp),
    )

    def start(env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "server.log", "a"),
        )

    def wait_up(url: str) -> None:
        from gradio_client import Client

        for _ in range(300):
            try:
                Client(url, verbose=False).close()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(1)
        raise RuntimeError("the server did not start; see " + str(tmp / "server.log"))

    server = start(env)
    out: dict[str, Any] = {
        "photo": args.photo,
        "photo_size": [int(small.shape[1]), int(small.shape[0])],
        "big_photo": args.big_photo if args.big else None,
        "big_mp": args.mp if args.big else None,
        "ttl_s": args.ttl,
        "load_average_at_start": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "curve": [],
    }
    url = f"http://127.0.0.1:{port}/"

    def session_dirs() -> int:
        return sum(1 for _ in server_tmp.rglob("facet-session-*"))

    def sample(event: str, **extra: Any) -> None:
        row = {
            "event": event,
            "rss_mb": _mb(server.pid),
            "peak_mb": _mb(server.pid, "VmHWM"),
            "session_dirs": session_dirs(),
        }
        row.update(extra)
        out["curve"].append(row)
        log(json.dumps(row))

    def wait_ttl(label: str) -> int:
        time.sleep(args.ttl + 10)  # the TTL, Gradio's once-a-second expiry and the heartbeat's 2 s
        sample(f"idle after {label} (TTL passed)")
        return out["curve"][-1]["rss_mb"]

    def round_of(label: str, photo: Path, n: int) -> list[int]:
        rss = []
        for i in range(n):
            r = one_session(url, photo)
            sample(f"{label} session {i + 1}", **r)
            rss.append(out["curve"][-1]["rss_mb"])
        return rss

    try:
        wait_up(url)
        sample("server started")
        idle = {}
        round_of("small round 1", small_path, args.small)
        idle["small1"] = wait_ttl("small round 1")
        round_of("small round 2", small_path, args.small)
        idle["small2"] = wait_ttl("small round 2")
        if big_path is not None:
            round_of("big", big_path, args.big)
            idle["big"] = wait_ttl("big round")
            round_of("small round 3", small_path, args.small)
            idle["small3"] = wait_ttl("small round 3")
        out["idle_after_ttl_mb"] = idle
        out["idle_growth_small1_to_small2_mb"] = idle["small2"] - idle["small1"]
        out["session_dirs_left"] = session_dirs()
        out["peak_mb"] = _mb(server.pid, "VmHWM")
    finally:
        stop_server(server)
    if big_path is not None and args.stack:
        env2 = {k: v for k, v in env.items() if k != "FACET_SESSION_TTL_S"}
        env2["FACET_PORT"] = str(free_port())
        if os.environ.get("FACET_SESSION_TTL_S"):
            env2["FACET_SESSION_TTL_S"] = os.environ["FACET_SESSION_TTL_S"]
        out["stack_ttl_s"] = int(env2.get("FACET_SESSION_TTL_S", 3600))
        server = start(env2)
        url = f"http://127.0.0.1:{env2['FACET_PORT']}/"
        try:
            wait_up(url)
            stack = [{"event": "server started", "rss_mb": _mb(server.pid)}]
            for i in range(args.stack):
                r = one_session(url, big_path)
                time.sleep(5)
                stack.append(
                    {
                        "event": f"closed big session {i + 1}",
                        "rss_mb": _mb(server.pid),
                        "peak_mb": _mb(server.pid, "VmHWM"),
                        **r,
                    }
                )
                log(json.dumps(stack[-1]))
            out["stack_default_ttl"] = stack
            steps = [b["rss_mb"] - a["rss_mb"] for a, b in zip(stack[1:], stack[2:])]
            out["stack_mb_per_closed_big_session"] = steps
        finally:
            stop_server(server)
    out["load_average_at_end"] = load_average()
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    log(json.dumps({k: v for k, v in out.items() if k != "curve"}))


if __name__ == "__main__":
    main()
