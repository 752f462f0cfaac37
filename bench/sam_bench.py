"""Benchmark of click segmentation on CPU: SAM checkpoints (through the app's real code path) and GrabCut.

What it measures, for each torch thread count asked for (``--threads``, default 1 and 2):

1. Three full-size SAM architectures, built with random weights through transformers and loaded the way
   the app loads them (``FACET_MODEL_SAM=<folder>`` -> ``core.models.ModelManager`` ->
   ``segmenters.sam.SamSegmenter``), so the timings include the real loader and image processor:
   ``vit-b`` (facebook/sam-vit-base), ``slimsam-50`` (Zigeng/SlimSAM-uniform-50) and ``slimsam-77``
   (Zigeng/SlimSAM-uniform-77). Random weights cost exactly what trained ones cost (same shapes, same
   kernels); they are re-initialised with ordinary magnitudes (PyTorch's default init) because
   transformers' own init draws the vision weights with std 1e-10 and zero LayerNorm gains, which could
   push activations towards subnormal floats, and those are slow on x86.
2. At 0.3, 1 and 4 MP (skimage's astronaut photo resized with OpenCV): the embedding
   (``segmenter.prepare``), a first click (one positive point) and a refining click (a second point with
   the previous result fed back), and the bare mask decoder (``model(image_embeddings=..., ...)`` under
   ``torch.inference_mode``) with the same inputs, so the per-click overhead ratio can be reported.
3. End-to-end clicks through ``studio.session.EditorSession``: ``session.click(...)`` then
   ``session.overlay()`` (the overlay is part of what the user waits for), at 1 and 4 MP.
4. The offline GrabCut backend: prepare and per-click time at 0.3, 1, 4 and 12 MP.

Results go to ``bench/results/sam.json`` (``--quick``: ``bench/results/sam-quick.json``) with the machine,
the versions, the thread settings and the goals; a readable table is printed at the end.

Usage (from the repository root)::

    .venv/bin/python bench/sam_bench.py              # full run: threads 1 and 2, all models and sizes
    .venv/bin/python bench/sam_bench.py --threads 2  # one thread setting
    .venv/bin/python bench/sam_bench.py --quick      # smoke test: 0.3 MP, SlimSAM-77, 1 repeat
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Never touch the network: every model comes from a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("FACET_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import log, machine_info, set_threads, stats, table, timed  # noqa: E402  (shared helpers)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"

GOALS = {
    "click_ms_max": 50.0,  # per click (first or refining), segmenter.segment and end to end
    "click_over_bare_decoder_max": 1.2,  # segmenter.segment time / bare mask-decoder time, same inputs
    "embedding_1mp_s_max": 1.5,  # segmenter.prepare for a 1 MP photo
}

# Vision-encoder settings that differ from SamConfig's defaults (which are ViT-B's); the prompt encoder
# and the mask decoder keep their defaults in all three.
ARCHS: dict[str, dict[str, Any]] = {
    "vit-b": {"hub": "facebook/sam-vit-base", "hidden_size": 768, "mlp_dim": 3072},
    "slimsam-50": {"hub": "Zigeng/SlimSAM-uniform-50", "hidden_size": 384, "mlp_dim": 1536},
    "slimsam-77": {"hub": "Zigeng/SlimSAM-uniform-77", "hidden_size": 168, "mlp_dim": 696},
}
VISION_COMMON = {
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "global_attn_indexes": [2, 5, 8, 11],
    "window_size": 14,
    "output_channels": 256,
    "patch_size": 16,
    "image_size": 1024,
}

SAM_SIZES_MP = (0.3, 1.0, 4.0)
E2E_SIZES_MP = (1.0, 4.0)
GRABCUT_SIZES_MP = (0.3, 1.0, 4.0, 12.0)

# Click positions as fractions of (width, height) of the astronaut photo: the face, then the suit.
FIRST_CLICK = (0.47, 0.23)
SECOND_CLICK = (0.40, 0.75)


# -- helpers ----------------------------------------------------------------------------------------------
def make_photo(mp: float):
    """skimage's astronaut (a real portrait) resized with OpenCV to about ``mp`` megapixels, aspect kept."""
    from skimage import data

    from core.types import Photo

    src = data.astronaut()
    h, w = src.shape[:2]
    f = (mp * 1e6 / (h * w)) ** 0.5
    size = (max(16, round(w * f)), max(16, round(h * f)))
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    px = np.ascontiguousarray(cv2.resize(src, size, interpolation=interp))
    return Photo(pixels=px, name=f"astronaut-{mp:g}mp")


def click_points(photo) -> tuple[Any, Any]:
    from core.types import Point

    p1 = Point(FIRST_CLICK[0] * photo.width, FIRST_CLICK[1] * photo.height, True)
    p2 = Point(SECOND_CLICK[0] * photo.width, SECOND_CLICK[1] * photo.height, True)
    return p1, p2


# -- random SAM checkpoints -------------------------------------------------------------------------------
def sam_config(arch: str):
    from transformers import SamConfig

    spec = ARCHS[arch]
    vision = dict(VISION_COMMON, hidden_size=spec["hidden_size"], mlp_dim=spec["mlp_dim"])
    if vision["hidden_size"] % vision["num_attention_heads"]:
        raise ValueError(
            f"{arch}: {vision['num_attention_heads']} heads do not divide hidden size {vision['hidden_size']}"
        )
    return SamConfig(vision_config=vision)


def count_flops(arch: str) -> dict[str, float]:
    """Parameters and FLOPs (multiply-add = 2) of one embedding and one decoder call, counted on the meta
    device (no memory, no compute). Also checks that the architecture builds."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import SamModel

    with torch.device("meta"):
        model = SamModel(sam_config(arch)).eval()
        pixels = torch.empty(1, 3, 1024, 1024)
        points = torch.empty(1, 1, 1, 2)
        labels = torch.ones(1, 1, 1, dtype=torch.long)
    params = sum(p.numel() for p in model.parameters())
    with torch.inference_mode():
        with FlopCounterMode(display=False) as fc:
            emb = model.get_image_embeddings(pixels)
        enc = fc.get_total_flops()
        with FlopCounterMode(display=False) as fc:
            model(image_embeddings=emb, input_points=points, input_labels=labels, multimask_output=True)
        dec = fc.get_total_flops()
    return {
        "params_m": round(params / 1e6, 2),
        "gflops_embedding": round(enc / 1e9, 1),
        "gflops_decoder": round(dec / 1e9, 2),
    }


def build_checkpoint(arch: str, folder: Path, seed: int = 0) -> dict[str, Any]:
    """Write a random-weight SAM of ``arch`` + its PIL image processor into ``folder`` (hub layout)."""
    import torch
    from transformers import SamModel
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    torch.manual_seed(seed)
    t0 = time.perf_counter()
    model = SamModel(sam_config(arch)).eval()
    with torch.no_grad():
        # Ordinary magnitudes instead of std 1e-10 and zero LayerNorm gains (see the module docstring).
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        for name, p in model.named_parameters():
            if name.endswith(("pos_embed", "rel_pos_h", "rel_pos_w")):
                p.normal_(0.0, 0.02)
    model.save_pretrained(folder)
    SamImageProcessorPil().save_pretrained(folder)
    size_mb = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20
    del model
    gc.collect()
    return {"build_and_save_s": round(time.perf_counter() - t0, 2), "folder_mb": round(size_mb, 1)}


def load_segmenter(folder: Path):
    """The app's real path: FACET_MODEL_SAM -> ModelManager -> SamSegmenter; returns (segmenter, load s)."""
    from core.models import ModelManager
    from core.settings import Settings
    from segmenters.sam import SamSegmenter

    os.environ["FACET_MODEL_SAM"] = str(folder)
    settings = Settings(device="cpu", offline="1")
    manager = ModelManager(settings=settings, online=False)
    segmenter = SamSegmenter(manager, "sam")
    seconds, _ = timed(segmenter.warm_up)
    return manager, segmenter, seconds


# -- measurements -----------------------------------------------------------------------------------------
def bench_sam_size(segmenter, photo, repeats: int, clicks: int) -> dict[str, Any]:
    import torch

    from core.types import ClickPrompt

    m = segmenter._model()  # the loaded bundle: model, processor, device, dtype
    segmenter.prepare(photo)  # warm-up
    embed, faults, sys_s, prepared = [], [], [], None
    for _ in range(repeats):
        gc.collect()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        s, prepared = timed(lambda: segmenter.prepare(photo))
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        embed.append(s)
        faults.append(r1.ru_minflt - r0.ru_minflt)
        sys_s.append(r1.ru_stime - r0.ru_stime)
    emb = prepared.embeddings
    emb_f = emb.float()
    tiny = float(((emb_f != 0) & (emb_f.abs() < torch.finfo(torch.float32).tiny)).float().mean())

    p1, p2 = click_points(photo)
    first = ClickPrompt(points=(p1,))
    refine = ClickPrompt(points=(p1, p2))
    r1 = segmenter.segment(photo, prepared, first, None)  # warm-up
    segmenter.segment(photo, prepared, refine, r1)
    t_first, t_refine = [], []
    for _ in range(clicks):
        s, r1 = timed(lambda: segmenter.segment(photo, prepared, first, None))
        t_first.append(s)
        s, _r2 = timed(lambda r1=r1: segmenter.segment(photo, prepared, refine, r1))
        t_refine.append(s)

    # The bare mask decoder with the very inputs segment() builds (points in the model's input frame).
    scale = prepared.reshaped[1] / photo.width
    pts1 = torch.tensor([[[[(p1.x + 0.5) * scale, (p1.y + 0.5) * scale]]]], dtype=m.dtype, device=m.device)
    lab1 = torch.tensor([[[1]]], dtype=torch.long, device=m.device)
    pts2 = torch.tensor(
        [[[[(p.x + 0.5) * scale, (p.y + 0.5) * scale] for p in (p1, p2)]]], dtype=m.dtype, device=m.device
    )
    lab2 = torch.tensor([[[1, 1]]], dtype=torch.long, device=m.device)
    mask_in = r1.state.to(m.device, m.dtype)

    def bare(points, labels, masks=None):
        kw = {"input_masks": masks} if masks is not None else {}
        with torch.inference_mode():
            return m.model(image_embeddings=emb, input_points=points, input_labels=labels, multimask_output=True, **kw)

    bare(pts1, lab1)
    bare(pts2, lab2, mask_in)
    b_first = [timed(lambda: bare(pts1, lab1))[0] for _ in range(clicks)]
    b_refine = [timed(lambda: bare(pts2, lab2, mask_in))[0] for _ in range(clicks)]

    out = {
        "mp": round(photo.megapixels, 2),
        "width": photo.width,
        "height": photo.height,
        "embed_s": stats(embed, digits=3),
        "embed_minor_page_faults": int(statistics.median(faults)),
        "embed_system_cpu_s": round(statistics.median(sys_s), 3),
        "click_ms": stats(t_first, 1000, 1),
        "refine_ms": stats(t_refine, 1000, 1),
        "bare_decoder_ms": stats(b_first, 1000, 1),
        "bare_decoder_refine_ms": stats(b_refine, 1000, 1),
        "embedding_std": round(float(emb_f.std()), 4),
        "embedding_subnormal_fraction": tiny,
    }
    out["click_over_bare"] = round(out["click_ms"]["median"] / out["bare_decoder_ms"]["median"], 2)
    out["refine_over_bare"] = round(out["refine_ms"]["median"] / out["bare_decoder_refine_ms"]["median"], 2)
    return out


def bench_e2e(manager, segmenter, photo, clicks: int) -> dict[str, Any]:
    from studio.services import Services
    from studio.session import EditorSession

    services = Services(settings=manager.settings, manager=manager, click=segmenter, click_role="sam")
    session = EditorSession()
    load_s, _ = timed(lambda: session.load(photo, services))
    if session.prepared_by != segmenter.name:
        raise RuntimeError(f"the session fell back to {session.prepared_by}: {services.degraded}")
    p1, p2 = click_points(photo)

    def one_round() -> tuple[float, float, float, float]:
        c1, _ = timed(lambda: session.click(p1.x, p1.y, "include", services))
        o1, _ = timed(session.overlay)
        c2, _ = timed(lambda: session.click(p2.x, p2.y, "include", services))
        o2, _ = timed(session.overlay)
        session.delete(session.active)  # the next round starts a fresh segment, as a new selection would
        return c1, o1, c2, o2

    one_round()  # warm-up
    rounds = [one_round() for _ in range(clicks)]
    c1, o1, c2, o2 = (list(col) for col in zip(*rounds))
    out = {
        "mp": round(photo.megapixels, 2),
        "width": photo.width,
        "height": photo.height,
        "preview_side": max(session.preview.shape[:2]),
        "session_load_s": round(load_s, 3),
        "click_ms": stats(c1, 1000, 1),
        "click_overlay_ms": stats(o1, 1000, 1),
        "click_total_ms": stats([a + b for a, b in zip(c1, o1)], 1000, 1),
        "refine_ms": stats(c2, 1000, 1),
        "refine_overlay_ms": stats(o2, 1000, 1),
        "refine_total_ms": stats([a + b for a, b in zip(c2, o2)], 1000, 1),
    }
    session.close()
    return out


def bench_grabcut(photo, repeats: int, clicks: int) -> dict[str, Any]:
    from core.types import ClickPrompt
    from segmenters.grabcut import GrabCutSegmenter

    seg = GrabCutSegmenter()
    prepared = seg.prepare(photo)  # warm-up
    prep = []
    for _ in range(repeats):
        gc.collect()
        s, prepared = timed(lambda: seg.prepare(photo))
        prep.append(s)
    p1, p2 = click_points(photo)
    first = ClickPrompt(points=(p1,))
    refine = ClickPrompt(points=(p1, p2))
    r1 = seg.segment(photo, prepared, first, None)  # warm-up
    t_first, t_refine = [], []
    for _ in range(clicks):
        s, r1 = timed(lambda: seg.segment(photo, prepared, first, None))
        t_first.append(s)
        s, _ = timed(lambda r1=r1: seg.segment(photo, prepared, refine, r1))
        t_refine.append(s)
    return {
        "mp": round(photo.megapixels, 2),
        "width": photo.width,
        "height": photo.height,
        "prepare_s": stats(prep, digits=3),
        "click_ms": stats(t_first, 1000, 1),
        "refine_ms": stats(t_refine, 1000, 1),
        "mask_fraction_first_click": round(float(r1.mask.mean()), 3),
    }


# -- goals and the table ----------------------------------------------------------------------------------
def goal_checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []

    def add(threads, arch, what, value, goal, unit):
        checks.append(
            {
                "threads": threads,
                "arch": arch,
                "what": what,
                "value": value,
                "goal": goal,
                "unit": unit,
                "ok": value <= goal,
            }
        )

    for r in result["sam"]:
        for s in r["sizes"]:
            tag = f"{s['mp']:g} MP"
            if abs(s["mp"] - 1.0) < 0.05:
                add(
                    r["threads"],
                    r["arch"],
                    f"embedding {tag}",
                    s["embed_s"]["median"],
                    GOALS["embedding_1mp_s_max"],
                    "s",
                )
            add(r["threads"], r["arch"], f"first click {tag}", s["click_ms"]["median"], GOALS["click_ms_max"], "ms")
            add(r["threads"], r["arch"], f"refine click {tag}", s["refine_ms"]["median"], GOALS["click_ms_max"], "ms")
            add(
                r["threads"],
                r["arch"],
                f"first click / bare decoder {tag}",
                s["click_over_bare"],
                GOALS["click_over_bare_decoder_max"],
                "x",
            )
            add(
                r["threads"],
                r["arch"],
                f"refine click / bare decoder {tag}",
                s["refine_over_bare"],
                GOALS["click_over_bare_decoder_max"],
                "x",
            )
        for e in r["e2e"]:
            tag = f"{e['mp']:g} MP"
            add(
                r["threads"],
                r["arch"],
                f"end-to-end first click + overlay {tag}",
                e["click_total_ms"]["median"],
                GOALS["click_ms_max"],
                "ms",
            )
            add(
                r["threads"],
                r["arch"],
                f"end-to-end refine click + overlay {tag}",
                e["refine_total_ms"]["median"],
                GOALS["click_ms_max"],
                "ms",
            )
    return checks


def report(result: dict[str, Any]) -> str:
    ok = lambda v, goal: f"{v:g}" + ("" if v <= goal else " !")  # noqa: E731
    m = result["machine"]
    lines = [
        f"Machine: {m['cpu_model']} ({m['cpu_capability']}), {m['cores_available']} cores available, "
        f"torch {m['torch']}, transformers {m['transformers']}, OMP_NUM_THREADS={m['OMP_NUM_THREADS']}, "
        f"allocator env {m['allocator_env'] or 'default'}, load average at start {m['load_average_at_start']}, "
        f"at end {m['load_average_at_end']}",
        f"Goals: click <= {GOALS['click_ms_max']:g} ms and <= {GOALS['click_over_bare_decoder_max']:g}x the bare "
        f"decoder; embedding <= {GOALS['embedding_1mp_s_max']:g} s at 1 MP ('!' marks a miss). Medians.",
        "",
        "SAM (segmenter.prepare / segmenter.segment / bare model call)",
    ]
    rows = []
    for r in result["sam"]:
        for s in r["sizes"]:
            embed_goal = GOALS["embedding_1mp_s_max"] if abs(s["mp"] - 1.0) < 0.05 else float("inf")
            rows.append(
                [
                    r["arch"],
                    r["threads"],
                    f"{s['mp']:g}",
                    f"{r['load_s']:.2f}",
                    ok(s["embed_s"]["median"], embed_goal),
                    f"{s['embed_minor_page_faults'] / 1000:.0f}",
                    ok(s["click_ms"]["median"], GOALS["click_ms_max"]),
                    s["bare_decoder_ms"]["median"],
                    ok(s["click_over_bare"], GOALS["click_over_bare_decoder_max"]),
                    ok(s["refine_ms"]["median"], GOALS["click_ms_max"]),
                    s["bare_decoder_refine_ms"]["median"],
                    ok(s["refine_over_bare"], GOALS["click_over_bare_decoder_max"]),
                ]
            )
    lines.append(
        table(
            rows,
            [
                "model",
                "thr",
                "MP",
                "load s",
                "embed s",
                "faults k",
                "click ms",
                "bare ms",
                "ratio",
                "refine ms",
                "bare ms",
                "ratio",
            ],
        )
    )
    rows = []
    for r in result["sam"]:
        for e in r["e2e"]:
            rows.append(
                [
                    r["arch"],
                    r["threads"],
                    f"{e['mp']:g}",
                    f"{e['session_load_s']:.2f}",
                    e["click_ms"]["median"],
                    e["click_overlay_ms"]["median"],
                    ok(e["click_total_ms"]["median"], GOALS["click_ms_max"]),
                    e["refine_ms"]["median"],
                    e["refine_overlay_ms"]["median"],
                    ok(e["refine_total_ms"]["median"], GOALS["click_ms_max"]),
                ]
            )
    if rows:
        lines += [
            "",
            "End to end (EditorSession.click + overlay)",
            table(
                rows, ["model", "thr", "MP", "load s", "click ms", "overlay", "total", "refine ms", "overlay", "total"]
            ),
        ]
    rows = [
        [
            g["threads"],
            f"{g['mp']:g}",
            f"{g['width']}x{g['height']}",
            g["prepare_s"]["median"],
            g["click_ms"]["median"],
            g["refine_ms"]["median"],
        ]
        for g in result["grabcut"]
    ]
    if rows:
        lines += [
            "",
            "GrabCut (offline backend)",
            table(rows, ["thr", "MP", "size", "prepare s", "click ms", "refine ms"]),
        ]
    missed = [c for c in result["goal_checks"] if not c["ok"]]
    lines += ["", f"Goal checks: {len(result['goal_checks']) - len(missed)} of {len(result['goal_checks'])} met."]
    lines.append(
        f"Total time {result['elapsed_s']:.0f} s, peak memory {result['peak_rss_mib']} MiB; "
        f"results in {result['output']}"
    )
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--threads",
        default="1,2",
        help="comma-separated torch thread counts to run, one after the other (default: 1,2)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 0.3 MP only, SlimSAM-77 only, 1 repeat; writes results/sam-quick.json",
    )
    ap.add_argument(
        "--archs", default=None, help=f"comma-separated subset of {','.join(ARCHS)} (default: all; --quick: slimsam-77)"
    )
    ap.add_argument("--repeats", type=int, default=None, help="timed embeddings/prepares per size (default 3)")
    ap.add_argument("--clicks", type=int, default=None, help="timed clicks per measurement (default 10)")
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    args = ap.parse_args(argv)
    args.threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    if not args.threads or min(args.threads) < 1:
        ap.error("--threads needs positive integers, e.g. 1,2")
    archs = args.archs or ("slimsam-77" if args.quick else ",".join(ARCHS))
    args.archs = [a.strip() for a in archs.split(",") if a.strip()]
    unknown = [a for a in args.archs if a not in ARCHS]
    if unknown:
        ap.error(f"unknown architecture(s) {unknown}; choose from {list(ARCHS)}")
    default_repeats = 1 if args.quick else 3
    default_clicks = 1 if args.quick else 10
    args.repeats = args.repeats or default_repeats
    args.clicks = args.clicks or default_clicks
    args.out = args.out or RESULTS_DIR / ("sam-quick.json" if args.quick else "sam.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    import torch  # noqa: F401  (imported here so the env defaults above are in place first)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    sam_sizes = (0.3,) if args.quick else SAM_SIZES_MP
    e2e_sizes = (0.3,) if args.quick else E2E_SIZES_MP
    grabcut_sizes = (0.3,) if args.quick else GRABCUT_SIZES_MP

    result: dict[str, Any] = {
        "benchmark": "bench/sam_bench.py",
        "mode": "quick" if args.quick else "full",
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine_info(args.threads),
        "goals": GOALS,
        "settings": {
            "archs": args.archs,
            "sam_sizes_mp": sam_sizes,
            "e2e_sizes_mp": e2e_sizes,
            "grabcut_sizes_mp": grabcut_sizes,
            "embed_repeats": args.repeats,
            "click_repeats": args.clicks,
            "warm_up": "1 call before each timed series",
            "photo": "skimage.data.astronaut() resized with cv2 (INTER_CUBIC up, INTER_AREA down)",
            "clicks": {"first": FIRST_CLICK, "second": SECOND_CLICK, "unit": "fraction of (W, H)"},
            "device": "cpu",
            "dtype": "float32",
        },
        "architectures": {},
        "sam": [],
        "grabcut": [],
    }
    log(f"mode {result['mode']}: threads {args.threads}, models {args.archs}, SAM sizes {sam_sizes} MP")

    photos = {mp: make_photo(mp) for mp in sorted(set(sam_sizes) | set(e2e_sizes) | set(grabcut_sizes))}
    with tempfile.TemporaryDirectory(prefix="facet-sam-bench-") as tmp:
        folders: dict[str, Path] = {}
        for arch in args.archs:
            info = dict(ARCHS[arch], **count_flops(arch))
            folders[arch] = Path(tmp) / arch
            info.update(build_checkpoint(arch, folders[arch]))
            result["architectures"][arch] = info
            log(
                f"{arch}: {info['params_m']} M parameters, {info['gflops_embedding']} GFLOP per embedding, "
                f"{info['gflops_decoder']} GFLOP per decoder call, {info['folder_mb']} MB checkpoint"
            )

        for n in args.threads:
            th = set_threads(n)
            log(f"threads {n}: torch uses {th['torch_threads']}, OpenCV {th['cv2_threads']}")
            for arch in args.archs:
                manager, segmenter, load_s = load_segmenter(folders[arch])
                log(f"  {arch}: loaded through ModelManager in {load_s:.2f}s")
                entry: dict[str, Any] = {
                    "arch": arch,
                    **th,
                    "load_s": round(load_s, 3),
                    "sizes": [],
                    "e2e": [],
                    "load_average_before": [round(v, 2) for v in os.getloadavg()],
                }
                for mp in sam_sizes:
                    r = bench_sam_size(segmenter, photos[mp], args.repeats, args.clicks)
                    entry["sizes"].append(r)
                    log(
                        f"  {arch} {mp:g} MP: embed {r['embed_s']['median']:.3f}s "
                        f"({r['embed_minor_page_faults']} page faults), click "
                        f"{r['click_ms']['median']:.1f} ms (bare {r['bare_decoder_ms']['median']:.1f}), refine "
                        f"{r['refine_ms']['median']:.1f} ms (bare {r['bare_decoder_refine_ms']['median']:.1f})"
                    )
                for mp in e2e_sizes:
                    e = bench_e2e(manager, segmenter, photos[mp], args.clicks)
                    entry["e2e"].append(e)
                    log(
                        f"  {arch} {mp:g} MP end to end: click+overlay {e['click_total_ms']['median']:.1f} ms, "
                        f"refine+overlay {e['refine_total_ms']['median']:.1f} ms"
                    )
                emb_1 = next((s for s in entry["sizes"] if abs(s["mp"] - 1.0) < 0.05), entry["sizes"][0])
                gflops = result["architectures"][arch]["gflops_embedding"]
                entry["embedding_gflops_per_s"] = round(gflops / emb_1["embed_s"]["median"], 1)
                result["sam"].append(entry)
                del manager, segmenter
                gc.collect()
            for mp in grabcut_sizes:
                g = bench_grabcut(photos[mp], args.repeats, args.clicks)
                result["grabcut"].append({**th, **g})
                log(
                    f"  GrabCut {mp:g} MP: prepare {g['prepare_s']['median']:.3f}s, click "
                    f"{g['click_ms']['median']:.1f} ms, refine {g['refine_ms']['median']:.1f} ms"
                )
        os.environ.pop("FACET_MODEL_SAM", None)

    result["goal_checks"] = goal_checks(result)
    result["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    result["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux
    out = Path(args.out)
    try:
        result["output"] = str(out.resolve().relative_to(ROOT))
    except ValueError:
        result["output"] = str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
