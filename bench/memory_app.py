"""One 24 MP texture edit of a large part through the real app, watching the server's memory.

Starts ``python app.py`` (offline backends, FACET_OFFLINE=1) on a free port as a child process, then with
gradio_client: uploads a real photo upscaled to 24 MP (JPEG), picks its largest labelled part, applies the
texture "leopard" (the /apply_edit endpoint the page uses) and exports the PNG. The server's RSS is read from
/proc/<pid>/status: idle after the upload, the peak during the edit (VmHWM, reset with /proc/<pid>/clear_refs
just before), and after the edit. Writes bench/results/memory-app.json.

    .venv/bin/python bench/memory_app.py               # 24 MP (about 2 minutes on 2 cores)
    .venv/bin/python bench/memory_app.py --mp 12
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, app_env, free_port, load_average, log, stop_server, upscaled_jpeg
from common import proc_kb as _kb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mp", type=float, default=24.0)
    ap.add_argument("--photo", default="messi5")
    ap.add_argument("--texture", default="leopard")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "memory-app.json")
    args = ap.parse_args()

    import cv2
    from gradio_client import Client, handle_file

    sys.path.insert(0, str(ROOT))
    from tests import photos

    tmp = Path(tempfile.mkdtemp(prefix="facet-memapp-"))
    photo_path = upscaled_jpeg(photos.load(args.photo), args.mp, tmp / f"{args.photo}-{args.mp:g}mp.jpg")

    port = free_port()
    env = app_env(port)
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w")
    )
    out: dict = {"mp": args.mp, "photo": args.photo, "texture": args.texture, "load_average_at_start": load_average()}
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(240):
            try:
                client = Client(url, verbose=False)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(1)
        else:
            raise RuntimeError("the server did not start; see " + str(tmp / "server.log"))
        out["server_started_mb"] = round(_kb(server.pid, "VmRSS") / 1024)
        log(f"server up (pid {server.pid}), RSS {out['server_started_mb']} MB; uploading {photo_path.name}")
        t0 = time.perf_counter()
        view = client.predict(handle_file(str(photo_path)), api_name="/upload")
        out["upload_s"] = round(time.perf_counter() - t0, 1)
        out["upload_status"] = view[1]
        # the upload parses the whole photo (every net, edge refinement at full size): its peak, before the reset
        out["upload_peak_mb"] = round(_kb(server.pid, "VmHWM") / 1024)
        out["upload_peak_over_start_mb"] = out["upload_peak_mb"] - out["server_started_mb"]
        parts = view[5]["choices"]
        log(f"uploaded in {out['upload_s']} s: {view[1][:160]}")
        if not parts:
            raise RuntimeError("no labelled parts: " + view[1])
        # the largest labelled part (its mask comes back as the download file of the view)
        best = None
        for label, value in parts:
            mask_file = client.predict(value, api_name="/use_part")[4]  # a gr.update dict: {"value": path, ...}
            mask_file = mask_file.get("value") if isinstance(mask_file, dict) else mask_file
            m = cv2.imread(str(mask_file), cv2.IMREAD_GRAYSCALE) if mask_file else None
            share = float((m > 127).mean()) if m is not None else 0.0
            if best is None or share > best[2]:
                best = (label, value, share)
        client.predict(best[1], api_name="/use_part")
        out["part"], out["part_share"] = best[0], round(best[2], 3)
        log(f"largest part: {best[0]} ({best[2]:.0%} of the photo)")
        import gc

        gc.collect()
        time.sleep(2)
        out["idle_mb"] = round(_kb(server.pid, "VmRSS") / 1024)
        with open(f"/proc/{server.pid}/clear_refs", "w") as fh:
            fh.write("5")
        apply = (
            "Texture",
            args.texture,
            None,
            1.0,
            "#1e6fd9",
            "Target colour",
            0,
            1,
            0,
            0,
            None,
            1,
            0,
            8,
            1,
            "sunset",
            -1,
            0,
        )
        t0 = time.perf_counter()
        view = client.predict(*apply, api_name="/apply_edit")
        out["edit_s"] = round(time.perf_counter() - t0, 1)
        out["edit_status"] = view[1]
        out["peak_mb"] = round(_kb(server.pid, "VmHWM") / 1024)
        time.sleep(2)
        out["after_edit_mb"] = round(_kb(server.pid, "VmRSS") / 1024)
        t0 = time.perf_counter()
        exported = client.predict("PNG", api_name="/export")
        out["export_s"] = round(time.perf_counter() - t0, 1)
        out["export_bytes"] = Path(exported).stat().st_size if exported else None
        time.sleep(2)
        out["after_export_mb"] = round(_kb(server.pid, "VmRSS") / 1024)
        out["peak_over_idle_mb"] = out["peak_mb"] - out["idle_mb"]
        out["after_edit_over_idle_mb"] = out["after_edit_mb"] - out["idle_mb"]
        out["goal"] = "peak over idle <= 3072 MB for one edit at 24 MP; memory returned after"
        out["ok"] = out["peak_over_idle_mb"] <= 3072 and "Applied" in out["edit_status"]
    finally:
        stop_server(server)
    out["load_average_at_end"] = load_average()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    log(json.dumps(out))


if __name__ == "__main__":
    main()
