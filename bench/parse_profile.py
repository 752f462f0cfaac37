"""Where a 1 MP parse's CPU goes, function by function (issue 11: all parsers under 1.5 s for a 1 MP photo on 2 cores).

Each labelled photo asked for is resized to 1 MP (as ``parse_quality.py --time``) and parsed ``--repeats`` times after a
warm-up with every background job (``ParseContext.start``), net pass (``core.models.net_passes``) and assembly worker
run inline on the parse's own thread, so that the process's CPU time (``time.process_time``: the nets' own thread pools
included) between a function's entry and exit is that function's. Every function and method of the parse's modules is
wrapped; the JSON holds each one's exclusive CPU seconds a parse (its callees' taken out), its inclusive ones and its
calls. The parse's answer is the shipped one (the same calls in another order); its CPU on one thread is a little lower
than threaded (no pool contention), and the wall time means nothing here: time it with ``parse_quality.py --time-only``.

Usage (about 15 s a photo on a quiet machine)::

    .venv/bin/python bench/parse_profile.py --photos china vtest astronaut t1 --out /tmp/parse_profile.json
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import sys
import time
import types
from concurrent.futures import Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, log, machine_info, offline_env, require_nets, write_result

offline_env()

MODULES = (
    "segmenters.parsing",
    "segmenters.nets",
    "segmenters.scene",
    "segmenters.objects",
    "segmenters.person",
    "segmenters.clothes",
    "segmenters.face_parts",
    "segmenters.faces",
    "segmenters.hair",
    "segmenters.matte",
    "segmenters.detector",
    "segmenters.pose",
    "faces.detect",
    "faces.landmarks",
    "faces.geometry",
    "core.edges",
    "core.models",
)
# not wrapped: the model cache and worker look-ups (called everywhere, cost nothing) and the context's own plumbing
SKIP = {"packaged_model", "net_passes", "_assembly_workers", "tflite_interpreter", "tflite_model", "onnx_session"}
SKIP_METHODS = {"ParseContext": {"once", "need", "start"}}


class _Inline:
    """A stand-in for a worker pool that runs each job at once, on the caller's thread."""

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Future:
        done: Future = Future()
        done.set_result(fn(*args, **kwargs))
        return done


class Profile:
    """Exclusive and inclusive process CPU per wrapped function while ``on``."""

    def __init__(self) -> None:
        self.exclusive: collections.Counter = collections.Counter()
        self.inclusive: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self.stack: list[float] = []
        self.on = False
        self._wrapped: dict[Any, Any] = {}

    def wrap(self, fn: Any, name: str) -> Any:
        if fn in self._wrapped:
            return self._wrapped[fn]

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return fn(*args, **kwargs)
            c0 = time.process_time()
            self.stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.process_time() - c0
                inner = self.stack.pop()
                self.exclusive[name] += spent - inner
                self.inclusive[name] += spent
                self.calls[name] += 1
                if self.stack:
                    self.stack[-1] += spent

        self._wrapped[fn] = timed
        return timed

    def install(self) -> None:
        """Wrap every function and method of ``MODULES`` (also where another module imported it by name)."""
        mods = [importlib.import_module(m) for m in MODULES]
        for mod in mods:
            for attr, obj in list(vars(mod).items()):
                if isinstance(obj, types.FunctionType) and obj.__module__ in MODULES and attr not in SKIP:
                    setattr(mod, attr, self.wrap(obj, f"{obj.__module__}.{obj.__name__}"))
                elif isinstance(obj, type) and obj.__module__ == mod.__name__:
                    for meth, fn in list(vars(obj).items()):
                        if isinstance(fn, types.FunctionType) and meth not in SKIP_METHODS.get(obj.__name__, ()):
                            setattr(obj, meth, self.wrap(fn, f"{mod.__name__}.{obj.__name__}.{meth}"))

    def reset(self) -> None:
        self.exclusive.clear()
        self.inclusive.clear()
        self.calls.clear()


def one_thread() -> None:
    """Background jobs, net passes and assembly workers inline on the caller's thread."""
    import core.models
    from segmenters import parsing

    parsing.ParseContext.start = lambda self, job: job()  # type: ignore[method-assign]
    core.models.net_passes = lambda: _Inline()
    parsing._assembly_workers = lambda: _Inline()


def profile_photo(name: str, repeats: int, prof: Profile) -> dict:
    import cv2
    import numpy as np

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import nets, parsing
    from tests import labelset, photos

    rgb = photos.load(labelset.load(name)["photo"])
    h, w = rgb.shape[:2]
    k = (1e6 / (h * w)) ** 0.5
    big = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA)
    photo = Photo(np.ascontiguousarray(big))
    manager = ModelManager(online=False)
    parsing.parse_report(photo, manager)  # warm-up (loads the models)
    prof.reset()
    prof.on = True
    c0 = time.process_time()
    for _ in range(repeats):
        nets.clear_labels_cache()
        report = parsing.parse_report(photo, manager)
    cpu = (time.process_time() - c0) / repeats
    prof.on = False
    per = {n: v / repeats for n, v in prof.exclusive.most_common()}
    return {
        "size": [big.shape[1], big.shape[0]],
        "cpu_per_parse_s": round(cpu, 3),
        "segments": [s.label for s in report.segments],
        "exclusive_cpu_s": {n: round(v, 4) for n, v in per.items() if v >= 0.001},
        "inclusive_cpu_s": {n: round(v / repeats, 4) for n, v in prof.inclusive.most_common() if v / repeats >= 0.005},
        "calls_per_parse": {n: prof.calls[n] / repeats for n, v in per.items() if v >= 0.001},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", nargs="+", default=["china", "vtest", "astronaut", "t1"], help="labelled photos")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--top", type=int, default=15, help="functions logged per photo")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parse_profile.json")
    ap.add_argument("--allow-missing-nets", action="store_true", help="profile even when a packaged net is missing")
    args = ap.parse_args(argv)
    missing = require_nets(args.allow_missing_nets)
    prof = Profile()
    prof.install()
    one_thread()
    result: dict = {"machine": machine_info([2]), "missing_nets": missing, "photos": {}}
    for name in args.photos:
        got = result["photos"][name] = profile_photo(name, args.repeats, prof)
        log(f"{name} {got['size']}: {got['cpu_per_parse_s']:.2f} s CPU a parse on one thread; the most:")
        for fn, s in list(got["exclusive_cpu_s"].items())[: args.top]:
            log(f"    {s:7.3f} s  x{got['calls_per_parse'][fn]:g}  {fn}")
    result["load_average_at_end"] = load_average()
    write_result(result, args.out)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
