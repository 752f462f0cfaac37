"""Benchmark of photo parsing (labelled segments without a click) on CPU, offline and with full backends.

What it measures (torch and OpenCV at ``--threads`` threads, default 2; the MediaPipe tflite models use
2 threads, set in ``segmenters.parsing.tflite_interpreter``; CenterFace uses onnxruntime's default):

1. Offline backends (no model weights anywhere: ``FACET_MODEL_*`` unset, ``HF_HUB_OFFLINE=1``), through
   the real entry point ``segmenters.parsing.parse_report(photo, ModelManager(online=False))``: total time
   and each parser's own time (``ParseReport.per_parser``), at 0.3, 1, 4 and 12 MP, for three real photos
   (skimage's astronaut, matplotlib's grace_hopper.jpg, sklearn's china.jpg; resized with OpenCV, aspect
   kept). Median of ``--repeats`` (default 3) after a warm-up call; the first call of the run (which loads
   the packaged models) is recorded as ``cold_s``. Peak RSS (``resource.getrusage``) after this part.
2. Full backends: the three SegFormer roles with the full-size architectures and RANDOM weights (the same
   shapes and kernels as the trained checkpoints, so the same time; nothing is downloaded):
   - ``clothes`` = SegFormer-B2 (mattmdjaga/segformer_b2_clothes: depths [3, 4, 6, 3], hidden sizes
     [64, 128, 320, 512], decoder 768, the 18 ATR labels);
   - ``scene`` = SegFormer-B0 (nvidia/segformer-b0-finetuned-ade-512-512: depths [2, 2, 2, 2], hidden sizes
     [32, 64, 160, 256], decoder 256, the 150 ADE20K labels);
   - ``face_parsing`` = SegFormer-B5 (jonathandinu/face-parsing: depths [3, 6, 40, 3], hidden sizes
     [64, 128, 320, 512], decoder 768, the 19 CelebAMask-HQ labels).
   Each is saved with ``save_pretrained`` (+ ``SegformerImageProcessorPil``, 512x512 like the hub repos) to a
   temporary folder and loaded through the app's real path (``FACET_MODEL_CLOTHES`` / ``FACET_MODEL_SCENE`` /
   ``FACET_MODEL_FACE_PARSING`` -> ``ModelManager`` -> ``segmenters.segformer.load_segformer``), then
   ``parse_report`` is timed the same way at 1 MP (and 12 MP for the astronaut). Random weights can give
   other (or empty) classes than trained ones; the networks' cost does not depend on that, the
   assembly's only slightly.

Goals: <= 1 s for a 1 MP photo offline; <= 3 s for a 1 MP photo with the full backends.

Usage (from the repository root)::

    .venv/bin/python bench/parse_bench.py            # full run -> bench/results/parse.json
    .venv/bin/python bench/parse_bench.py --quick    # smoke test: 0.3 MP, 1 repeat, TINY SegFormers
                                                     #   -> bench/results/parse-quick.json
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
    table,
    timed,
    write_result,
)

offline_env()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

GOALS = {
    "offline_1mp_s_max": 1.0,
    "full_1mp_s_max": 3.0,
}
SIZES_MP = (0.3, 1.0, 4.0, 12.0)
PHOTOS = ("astronaut", "grace_hopper", "china")
ROLES = ("clothes", "scene", "face_parsing")

# id2label of the hub checkpoints (the parsers map classes by these names).
ATR_LABELS = [
    "Background",
    "Hat",
    "Hair",
    "Sunglasses",
    "Upper-clothes",
    "Skirt",
    "Pants",
    "Dress",
    "Belt",
    "Left-shoe",
    "Right-shoe",
    "Face",
    "Left-leg",
    "Right-leg",
    "Left-arm",
    "Right-arm",
    "Bag",
    "Scarf",
]
CELEBAMASK_LABELS = [
    "background",
    "skin",
    "nose",
    "eye_g",
    "l_eye",
    "r_eye",
    "l_brow",
    "r_brow",
    "l_ear",
    "r_ear",
    "mouth",
    "u_lip",
    "l_lip",
    "hair",
    "hat",
    "ear_r",
    "neck_l",
    "neck",
    "cloth",
]
ADE20K_LABELS = [
    "wall",
    "building",
    "sky",
    "floor",
    "tree",
    "ceiling",
    "road",
    "bed ",
    "windowpane",
    "grass",
    "cabinet",
    "sidewalk",
    "person",
    "earth",
    "door",
    "table",
    "mountain",
    "plant",
    "curtain",
    "chair",
    "car",
    "water",
    "painting",
    "sofa",
    "shelf",
    "house",
    "sea",
    "mirror",
    "rug",
    "field",
    "armchair",
    "seat",
    "fence",
    "desk",
    "rock",
    "wardrobe",
    "lamp",
    "bathtub",
    "railing",
    "cushion",
    "base",
    "box",
    "column",
    "signboard",
    "chest of drawers",
    "counter",
    "sand",
    "sink",
    "skyscraper",
    "fireplace",
    "refrigerator",
    "grandstand",
    "path",
    "stairs",
    "runway",
    "case",
    "pool table",
    "pillow",
    "screen door",
    "stairway",
    "river",
    "bridge",
    "bookcase",
    "blind",
    "coffee table",
    "toilet",
    "flower",
    "book",
    "hill",
    "bench",
    "countertop",
    "stove",
    "palm",
    "kitchen island",
    "computer",
    "swivel chair",
    "boat",
    "bar",
    "arcade machine",
    "hovel",
    "bus",
    "towel",
    "light",
    "truck",
    "tower",
    "chandelier",
    "awning",
    "streetlight",
    "booth",
    "television receiver",
    "airplane",
    "dirt track",
    "apparel",
    "pole",
    "land",
    "bannister",
    "escalator",
    "ottoman",
    "bottle",
    "buffet",
    "poster",
    "stage",
    "van",
    "ship",
    "fountain",
    "conveyer belt",
    "canopy",
    "washer",
    "plaything",
    "swimming pool",
    "stool",
    "barrel",
    "basket",
    "waterfall",
    "tent",
    "bag",
    "minibike",
    "cradle",
    "oven",
    "ball",
    "food",
    "step",
    "tank",
    "trade name",
    "microwave",
    "pot",
    "animal",
    "bicycle",
    "lake",
    "dishwasher",
    "screen",
    "blanket",
    "sculpture",
    "hood",
    "sconce",
    "vase",
    "traffic light",
    "tray",
    "ashcan",
    "fan",
    "pier",
    "crt screen",
    "plate",
    "monitor",
    "bulletin board",
    "shower",
    "radiator",
    "glass",
    "clock",
    "flag",
]

# SegFormer architectures (mit-bN encoders); num_attention_heads [1, 2, 5, 8], sr_ratios [8, 4, 2, 1],
# patch sizes [7, 3, 3, 3], strides [4, 2, 2, 2] and mlp_ratios [4, 4, 4, 4] are SegformerConfig's defaults
# and the same in every mit-bN.
ARCHS: dict[str, dict[str, Any]] = {
    "clothes": {
        "hub": "mattmdjaga/segformer_b2_clothes",
        "encoder": "mit-b2",
        "depths": [3, 4, 6, 3],
        "hidden_sizes": [64, 128, 320, 512],
        "decoder_hidden_size": 768,
        "labels": ATR_LABELS,
    },
    "scene": {
        "hub": "nvidia/segformer-b0-finetuned-ade-512-512",
        "encoder": "mit-b0",
        "depths": [2, 2, 2, 2],
        "hidden_sizes": [32, 64, 160, 256],
        "decoder_hidden_size": 256,
        "labels": ADE20K_LABELS,
    },
    "face_parsing": {
        "hub": "jonathandinu/face-parsing",
        "encoder": "mit-b5",
        "depths": [3, 6, 40, 3],
        "hidden_sizes": [64, 128, 320, 512],
        "decoder_hidden_size": 768,
        "labels": CELEBAMASK_LABELS,
    },
}
TINY = {"depths": [1, 1, 1, 1], "hidden_sizes": [16, 16, 40, 64], "decoder_hidden_size": 32}  # --quick only


# -- photos -----------------------------------------------------------------------------------------------
def source_photo(name: str) -> np.ndarray:
    if name == "astronaut":
        from skimage import data

        return data.astronaut()
    if name == "grace_hopper":
        import matplotlib.cbook as cbook
        from PIL import Image

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            return np.asarray(im.convert("RGB"))
    if name == "china":
        from sklearn.datasets import load_sample_image

        return load_sample_image("china.jpg")
    raise ValueError(name)


def make_photo(name: str, mp: float):
    """``name`` resized with OpenCV to about ``mp`` megapixels, aspect kept (INTER_CUBIC up, INTER_AREA down)."""
    from core.types import Photo

    src = source_photo(name)
    h, w = src.shape[:2]
    f = (mp * 1e6 / (h * w)) ** 0.5
    size = (max(16, round(w * f)), max(16, round(h * f)))
    px = np.ascontiguousarray(cv2.resize(src, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC))
    return Photo(pixels=px, name=f"{name}-{mp:g}mp")


# -- random SegFormer checkpoints -------------------------------------------------------------------------
def segformer_config(role: str, tiny: bool = False):
    from transformers import SegformerConfig

    spec = dict(ARCHS[role], **(TINY if tiny else {}))
    labels = spec["labels"]
    return SegformerConfig(
        depths=spec["depths"],
        hidden_sizes=spec["hidden_sizes"],
        decoder_hidden_size=spec["decoder_hidden_size"],
        num_labels=len(labels),
        id2label={i: n.strip() for i, n in enumerate(labels)},
        label2id={n.strip(): i for i, n in enumerate(labels)},
    )


def count_flops(role: str, tiny: bool = False) -> dict[str, float]:
    """Parameters and GFLOPs (multiply-add = 2) of one 512x512 forward pass, on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import SegformerForSemanticSegmentation

    with torch.device("meta"):
        model = SegformerForSemanticSegmentation(segformer_config(role, tiny)).eval()
        pixels = torch.empty(1, 3, 512, 512)
    params = sum(p.numel() for p in model.parameters())
    out: dict[str, float] = {"params_m": round(params / 1e6, 2)}
    try:
        with torch.inference_mode(), FlopCounterMode(display=False) as fc:
            model(pixel_values=pixels)
        out["gflops_512"] = round(fc.get_total_flops() / 1e9, 1)
    except Exception as exc:  # noqa: BLE001  (counting is informative only)
        out["gflops_error"] = f"{exc.__class__.__name__}: {exc}"
    return out


def build_checkpoint(role: str, folder: Path, tiny: bool = False, seed: int = 0) -> dict[str, Any]:
    """Write a random-weight SegFormer for ``role`` + its PIL image processor into ``folder`` (hub layout)."""
    import torch
    from transformers import SegformerForSemanticSegmentation
    from transformers.models.segformer.image_processing_pil_segformer import SegformerImageProcessorPil

    torch.manual_seed(seed)
    t0 = time.perf_counter()
    # transformers' own init (normal std 0.02, LayerNorm 1/0): ordinary magnitudes, no subnormal floats
    model = SegformerForSemanticSegmentation(segformer_config(role, tiny)).eval()
    model.save_pretrained(folder)
    SegformerImageProcessorPil(size={"height": 512, "width": 512}).save_pretrained(folder)
    size_mb = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20
    del model
    gc.collect()
    return {"build_and_save_s": round(time.perf_counter() - t0, 2), "folder_mb": round(size_mb, 1)}


# -- timing -----------------------------------------------------------------------------------------------
def new_manager():
    from core.models import ModelManager
    from core.settings import Settings

    return ModelManager(settings=Settings(device="cpu", offline="1"), online=False)


def backend_state(manager) -> dict[str, bool]:
    return {role: manager.ready(role) for role in ROLES}


def bench_parse(photo, manager, repeats: int) -> dict[str, Any]:
    from segmenters.parsing import parse_report

    gc.collect()
    first_s, rep = timed(lambda: parse_report(photo, manager))  # warm-up
    totals: list[float] = []
    per: dict[str, list[float]] = {}
    for _ in range(repeats):
        gc.collect()
        rep = parse_report(photo, manager)
        totals.append(rep.seconds)
        for name, s in rep.per_parser.items():
            per.setdefault(name, []).append(s)
    assembly = [t - sum(v[i] for v in per.values()) for i, t in enumerate(totals)]
    return {
        "mp": round(photo.megapixels if hasattr(photo, "megapixels") else photo.width * photo.height / 1e6, 2),
        "width": photo.width,
        "height": photo.height,
        "warm_up_s": round(first_s, 3),
        "total_s": stats(totals, digits=3),
        "per_parser_s": {n: stats(v, digits=3) for n, v in sorted(per.items())},
        "assembly_s": stats(assembly, digits=3),
        "sources": dict(sorted(rep.sources.items())),
        "errors": dict(sorted(rep.errors.items())),
        "segments": [s.label for s in rep.segments],
    }


def run_section(
    photos: dict[tuple[str, float], Any], keys: list[tuple[str, float]], manager, repeats: int, tag: str
) -> list[dict[str, Any]]:
    out = []
    for name, mp in keys:
        before = load_average()
        other = OtherLoad().start()
        r = bench_parse(photos[(name, mp)], manager, repeats)
        r = {
            "photo": name,
            "mp_nominal": mp,
            **r,
            "other_processes_cores_busy": other.stop(),
            "load_average_before": before,
            "load_average_after": load_average(),
        }
        out.append(r)
        per = ", ".join(f"{n} {s['median']:.3f}" for n, s in r["per_parser_s"].items())
        log(
            f"{tag} {name:12s} {r['mp']:5.2f} MP: total {r['total_s']['median']:.3f} s ({per}; assembly "
            f"{r['assembly_s']['median']:.3f}); {len(r['segments'])} segments; others busy "
            f"{r['other_processes_cores_busy']} cores"
        )
    return out


# -- goals and the table ----------------------------------------------------------------------------------
def goal_checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for section, goal_key in (("offline", "offline_1mp_s_max"), ("full", "full_1mp_s_max")):
        for r in result.get(section, []):
            if abs(r["mp_nominal"] - 1.0) < 1e-6:
                v = r["total_s"]["median"]
                checks.append(
                    {
                        "section": section,
                        "photo": r["photo"],
                        "mp": r["mp"],
                        "what": goal_key,
                        "value": v,
                        "goal": GOALS[goal_key],
                        "unit": "s",
                        "ok": v <= GOALS[goal_key],
                    }
                )
    return checks


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    th = result["threads"]
    lines = [
        f"Machine: {m['cpu_model']} ({m['cpu_capability']}), {m['cores_available']} cores available, "
        f"torch threads {th['torch_threads']}, OpenCV threads {th['cv2_threads']}, "
        f"load average at start {m['load_average_at_start']}, at end {m['load_average_at_end']}",
        "Medians after a warm-up (seconds); per parser = its own time (ParseReport.per_parser).",
    ]
    parsers = sorted({n for sec in ("offline", "full") for r in result.get(sec, []) for n in r["per_parser_s"]})
    for sec in ("offline", "full"):
        rows = []
        for r in result.get(sec, []):
            rows.append(
                [r["photo"], f"{r['mp']:.2f}", f"{r['width']}x{r['height']}"]
                + [f"{r['per_parser_s'][n]['median']:.3f}" if n in r["per_parser_s"] else "-" for n in parsers]
                + [
                    f"{r['assembly_s']['median']:.3f}",
                    f"{r['total_s']['median']:.3f}",
                    r.get("other_processes_cores_busy"),
                ]
            )
        if rows:
            lines += ["", f"{sec} backends"]
            lines.append(table(rows, ["photo", "MP", "size"] + parsers + ["assembly", "total", "others"]))
    rows = [
        [g["section"], g["photo"], f"{g['value']:.3f} s", f"<= {g['goal']:g} s", "met" if g["ok"] else "MISSED"]
        for g in result["goal_checks"]
    ]
    if rows:
        lines += ["", "Goals (1 MP)", table(rows, ["backends", "photo", "total", "goal", ""])]
    lines.append(
        f"\nPeak memory: offline part {result.get('peak_rss_mib_offline')} MiB, whole run "
        f"{result['peak_rss_mib']} MiB. Total time {result['elapsed_s']:.0f} s; results in {result['output']}"
    )
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="torch and OpenCV threads (default 2)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 0.3 MP, 1 repeat, tiny random SegFormers; writes results/parse-quick.json",
    )
    ap.add_argument("--repeats", type=int, default=None, help="timed parses per photo and size (default 3)")
    ap.add_argument("--skip-full", action="store_true", help="offline backends only")
    ap.add_argument("--skip-offline", action="store_true", help="full backends only")
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    args = ap.parse_args(argv)
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.out = args.out or RESULTS_DIR / ("parse-quick.json" if args.quick else "parse.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    for role in ROLES:  # offline means offline: no folder overrides from the caller's shell
        os.environ.pop(f"FACET_MODEL_{role.upper()}", None)
    th = set_threads(args.threads)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    sizes = (0.3,) if args.quick else SIZES_MP
    full_keys = [(p, 0.3) for p in PHOTOS] if args.quick else [(p, 1.0) for p in PHOTOS] + [("astronaut", 12.0)]
    result: dict[str, Any] = {
        "benchmark": "bench/parse_bench.py",
        "mode": "quick" if args.quick else "full",
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine_info(
            [args.threads], ("torch", "transformers", "numpy", "cv2", "onnxruntime", "ai_edge_litert")
        ),
        "threads": {
            **th,
            "tflite": "2 (segmenters.parsing.tflite_interpreter)",
            "centerface_onnxruntime": "default (intra-op = physical cores)",
        },
        "goals": GOALS,
        "settings": {
            "photos": PHOTOS,
            "offline_sizes_mp": sizes,
            "full": [list(k) for k in full_keys],
            "repeats": args.repeats,
            "warm_up": "1 parse before each timed series (warm_up_s)",
            "resize": "cv2, aspect kept, INTER_CUBIC up / INTER_AREA down",
            "device": "cpu",
            "dtype": "float32",
            "segformer": "TINY random (smoke test)" if args.quick else "full-size random weights",
        },
    }
    keys = [(p, mp) for mp in sizes for p in PHOTOS]
    photos = {k: make_photo(*k) for k in sorted(set(keys) | set(full_keys))}
    log(
        f"mode {result['mode']}: threads torch {th['torch_threads']}, OpenCV {th['cv2_threads']}, "
        f"pools {th.get('threadpools')}"
    )

    if not args.skip_offline:
        manager = new_manager()
        state = backend_state(manager)
        result["offline_backend_ready"] = state
        if any(state.values()):
            log(f"WARNING: full backends found on disk {state}: the offline section is not offline")
        cold_s, _ = timed(
            lambda: __import__("segmenters.parsing", fromlist=["parse_report"]).parse_report(photos[keys[0]], manager)
        )
        result["offline_cold_s"] = round(cold_s, 3)
        log(f"offline: first parse (loads the packaged models) {cold_s:.2f} s")
        result["offline"] = run_section(photos, keys, manager, args.repeats, "offline")
        result["peak_rss_mib_offline"] = peak_rss_mib()
        del manager
        gc.collect()

    if not args.skip_full:
        with tempfile.TemporaryDirectory(prefix="facet-parse-bench-") as tmp:
            result["architectures"] = {}
            for role in ROLES:
                folder = Path(tmp) / role
                info = {k: v for k, v in ARCHS[role].items() if k != "labels"}
                info["num_labels"] = len(ARCHS[role]["labels"])
                if args.quick:
                    info.update(TINY, encoder="tiny (smoke test)")
                info.update(count_flops(role, args.quick))
                info.update(build_checkpoint(role, folder, args.quick))
                result["architectures"][role] = info
                os.environ[f"FACET_MODEL_{role.upper()}"] = str(folder)
                log(
                    f"{role}: {info['encoder']}, {info['params_m']} M parameters, "
                    f"{info.get('gflops_512', '?')} GFLOP at 512x512, {info['folder_mb']} MB"
                )
            try:
                manager = new_manager()
                result["full_backend_ready"] = backend_state(manager)
                from segmenters.parsing import parse_report

                cold_s, rep = timed(lambda: parse_report(photos[full_keys[0]], manager))
                result["full_cold_s"] = {
                    "total": round(cold_s, 3),
                    "per_parser": {n: round(s, 3) for n, s in sorted(rep.per_parser.items())},
                    "note": "first parse: includes loading the three SegFormers",
                }
                log(f"full: first parse (loads the SegFormers) {cold_s:.2f} s; sources {rep.sources}")
                result["full"] = run_section(photos, full_keys, manager, args.repeats, "full")
                del manager
            finally:
                for role in ROLES:
                    os.environ.pop(f"FACET_MODEL_{role.upper()}", None)
            gc.collect()

    result["goal_checks"] = goal_checks(result)
    result["machine"]["load_average_at_end"] = load_average()
    result["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    result["peak_rss_mib"] = peak_rss_mib()
    write_result(result, args.out)
    print()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
