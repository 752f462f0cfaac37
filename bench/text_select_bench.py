"""Select by words: how long a phrase takes with each backend.

- offline labels: the matcher alone over a photo's labelled parts (the parse itself is timed by
  parse_bench.py), several phrases on t1 (6 people) and china;
- CLIPSeg at full size with random weights (the architecture of CIDAS/clipseg-rd64-refined: CLIP ViT-B/16,
  reduce_dim 64, the refined decoder), saved to a temporary folder and loaded through the real loader
  (``FACET_MODEL_CLIPSEG``): load seconds, then seconds per phrase at 352 px;
- SAM 3 at full size with random weights (``Sam3Config()``'s defaults are facebook/sam3's architecture,
  848M parameters, 1008 px), built in memory and run through ``Sam3Selector`` (its role is a GPU role: on a
  CPU this is what a user without a GPU would wait; with CUDA the same script times the GPU).

Random weights time the work, not the quality. Writes bench/results/text_select.json with the machine, the
threads and the load average (other processes skew CPU timings: rerun on a quiet machine).

    OMP_NUM_THREADS=2 .venv/bin/python bench/text_select_bench.py [--threads 2] [--runs 3]      # ~1 min
    OMP_NUM_THREADS=2 .venv/bin/python bench/text_select_bench.py --sam3 --out bench/results/text_select-sam3-cpu.json
                                                                   # + SAM 3 on a CPU: ~8 min, ~4.5 GiB
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    RESULTS_DIR,
    OtherLoad,
    load_average,
    log,
    machine_info,
    offline_env,
    peak_rss_mib,
    set_threads,
    stats,
    write_result,
)

PHRASES = {
    "t1": [
        "the second person",
        "the person on the left",
        "the second person's hair",
        "the jackets",
        "all faces",
        "the unicorn",
    ],
    "china": ["sky", "the sky and the lake", "the temple", "the unicorn"],
}
MODEL_PHRASES = ["a red lantern", "the sky", "the second tree from the left"]


def bench_labels(runs: int) -> dict:
    import numpy as np

    from core.errors import BadInput
    from core.models import ModelManager
    from core.settings import Settings
    from core.types import Photo
    from segmenters.parsing import parse_report
    from segmenters.text_select import match_labels
    from tests import photos

    manager = ModelManager(Settings(), online=False)
    out = {}
    for name, phrases in PHRASES.items():
        parts = parse_report(Photo(pixels=np.ascontiguousarray(photos.load(name)), name=name), manager).segments
        for phrase in phrases:
            times, said = [], ""
            for _ in range(max(runs, 5)):
                t0 = time.perf_counter()
                try:
                    said = match_labels(phrase, parts).message
                except BadInput as exc:
                    said = f"not understood: {str(exc)[:60]}…"
                times.append(time.perf_counter() - t0)
            out[f"{name}: {phrase}"] = {"ms": stats(times, 1000, 3), "answer": said, "labels": len(parts)}
            log(f"labels  {name:6s} {phrase!r:34s} {out[f'{name}: {phrase}']['ms']['median']:7.3f} ms  {said}")
    return out


def bench_clipseg(runs: int) -> dict:
    import numpy as np
    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation

    from core.models import ModelManager
    from core.settings import Settings
    from core.types import Photo
    from segmenters.text_models import ClipSegSelector
    from tests import photos
    from tests.tiny_models import _tiny_clip_tokenizer

    folder = Path(tempfile.mkdtemp(prefix="bench-clipseg-"))
    torch.manual_seed(0)
    config = CLIPSegConfig(vision_config={"patch_size": 16}, use_complex_transposed_convolution=True)
    t0 = time.perf_counter()
    model = CLIPSegForImageSegmentation(config).eval()
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder, safe_serialization=True)
    del model
    _tiny_clip_tokenizer(folder)  # token ids only (the real vocabulary is not reachable offline)
    (folder / "preprocessor_config.json").write_text(
        '{"size": 352, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}'
    )
    build = time.perf_counter() - t0
    os.environ["FACET_MODEL_CLIPSEG"] = str(folder)
    manager = ModelManager(Settings(), online=False)
    seg = ClipSegSelector(manager)
    photo = Photo(pixels=np.ascontiguousarray(photos.load("china")), name="china")
    t0 = time.perf_counter()
    from segmenters.text_models import load_clipseg

    manager.get("clipseg", load_clipseg)
    load = time.perf_counter() - t0
    from core.errors import BadInput

    times = []
    for k in range(runs + 1):  # the first run warms up
        t0 = time.perf_counter()
        try:
            seg.select(photo, MODEL_PHRASES[k % len(MODEL_PHRASES)])
        except BadInput:  # random weights may find fewer regions than an ordinal asks for: timed all the same
            pass
        if k:
            times.append(time.perf_counter() - t0)
    log(f"clipseg {params / 1e6:.0f}M params: load {load:.2f}s, per phrase {stats(times)['median']:.2f}s")
    return {
        "parameters_millions": round(params / 1e6, 1),
        "build_and_save_s": round(build, 2),
        "load_s": round(load, 2),
        "input_px": 352,
        "photo": "china 640x427",
        "per_phrase_s": stats(times),
        "device": manager.device,
    }


def bench_sam3(runs: int) -> dict:
    import numpy as np
    import torch
    from transformers import Sam3Config, Sam3Model

    from core.models import ModelManager
    from core.settings import Settings
    from core.types import Photo
    from segmenters.text_models import LoadedSam3, Sam3Selector
    from tests import photos

    torch.manual_seed(0)
    manager = ModelManager(Settings(), online=False)
    device, dtype = manager.device, manager.dtype
    t0 = time.perf_counter()
    model = Sam3Model(Sam3Config()).eval().to(device, dtype)
    build = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())

    class Tok:  # CLIP token ids for a 32-token prompt (the real tokenizer is not reachable offline)
        def __call__(self, texts, **_):
            ids = torch.full((1, 32), 49407, dtype=torch.long)
            ids[0, :6] = torch.tensor([49406, 320, 736, 13133, 49407, 49407])
            return {"input_ids": ids, "attention_mask": (torch.arange(32) < 5).long()[None]}

    manager._models["sam3"] = LoadedSam3(model, Tok(), (1008, 1008), [0.5] * 3, [0.5] * 3, device, dtype)
    seg = Sam3Selector(manager)
    photo = Photo(pixels=np.ascontiguousarray(photos.load("china")), name="china")
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        seg.raw(photo, "a red lantern")
        if device == "cuda":
            torch.cuda.synchronize()
        if k or runs == 0:
            times.append(time.perf_counter() - t0)
    log(f"sam3 {params / 1e6:.0f}M params on {device}: build {build:.1f}s, per phrase {stats(times)['median']:.2f}s")
    return {
        "parameters_millions": round(params / 1e6, 1),
        "build_s": round(build, 2),
        "input_px": 1008,
        "photo": "china 640x427",
        "per_phrase_s": stats(times),
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "note": "a GPU role: on a CPU this is the wait without a GPU; "
        + ("one run, warm-up included" if runs == 0 else "the first (warm-up) run is not counted"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per model (after one warm-up)")
    ap.add_argument("--sam3-runs", type=int, default=0, help="SAM 3 timed runs after its warm-up (0: one run)")
    ap.add_argument(
        "--sam3",
        action="store_true",
        help="also SAM 3 on a CPU (840M parameters, ~4.5 GiB, minutes per phrase); with CUDA it always runs",
    )
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "text_select.json")
    args = ap.parse_args()
    offline_env()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    threads = set_threads(args.threads)
    result = {
        "benchmark": "text_select",
        "machine": machine_info([args.threads]),
        "threads": threads,
        "command": " ".join([Path(sys.executable).name] + sys.argv),
    }
    other = OtherLoad().start()
    t_all = time.perf_counter()
    result["offline_labels"] = bench_labels(args.runs)
    result["clipseg_full_size_random"] = bench_clipseg(args.runs)
    import torch

    if args.sam3 or torch.cuda.is_available():
        result["sam3_full_size_random"] = bench_sam3(args.sam3_runs)
    result["seconds_total"] = round(time.perf_counter() - t_all, 1)
    result["other_load_cores"] = other.stop()
    result["load_average_at_end"] = load_average()
    result["peak_rss_mib"] = peak_rss_mib()
    write_result(result, args.out)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
