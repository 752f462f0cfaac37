"""SAM 2.1 hiera-tiny (the default click model) against SAM ViT-B on CPU, full size, random weights.

Both checkpoints are built with their released architectures (transformers' default ``Sam2Config`` is
hiera-tiny; ``SamConfig`` is ViT-B), saved, and loaded through the app's own loaders
(``segmenters.sam2.load_sam2`` / ``segmenters.sam.load_sam``), then driven through the segmenters the app
uses: one embedding of a 1024 px photo (``prepare``) and clicks (``segment``: the decoder only).
Random weights cost what trained ones cost (same shapes and kernels); weights are re-drawn with PyTorch's
default init so no subnormal floats slow the CPU down. Records machine, threads and load average.

    .venv/bin/python bench/sam2_bench.py [--threads 2] [--repeats 2]   # ~2-3 minutes on 2 cores

Writes ``bench/results/sam2.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("FACET_OFFLINE", "1")


def reinit(model) -> None:
    import torch

    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    import numpy as np
    import torch
    from skimage import data
    from transformers import Sam2Config, Sam2Model, SamConfig, SamModel
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    from core.models import ModelManager, load_manifest
    from core.settings import Settings
    from core.types import ClickPrompt, Photo, Point
    from segmenters.sam import SamSegmenter
    from segmenters.sam2 import Sam2Segmenter

    torch.set_num_threads(args.threads)
    import cv2

    rgb = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_AREA)
    photo = Photo(pixels=np.ascontiguousarray(rgb), name="astronaut-1024")
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
        },
        "threads": args.threads,
        "repeats": args.repeats,
        "photo": "skimage astronaut, 1024x1024",
        "loadavg_before": os.getloadavg(),
        "models": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, role, build in [
            ("sam2.1-hiera-tiny", "sam2", lambda: Sam2Model(Sam2Config())),
            ("sam-vit-base", "sam", lambda: SamModel(SamConfig())),
        ]:
            folder = Path(tmp) / name
            torch.manual_seed(0)
            model = build().eval()
            reinit(model)
            model.save_pretrained(folder)
            if role == "sam":
                SamImageProcessorPil().save_pretrained(folder)
            del model
            os.environ["FACET_MODEL_" + role.upper()] = str(folder)
            manager = ModelManager(Settings(), load_manifest(), online=False)
            seg = Sam2Segmenter(manager, role) if role == "sam2" else SamSegmenter(manager, role)
            t0 = time.perf_counter()
            seg.warm_up()
            load_s = time.perf_counter() - t0
            embeds, clicks = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                prepared = seg.prepare(photo)
                embeds.append(time.perf_counter() - t0)
                prev = None
                for pt in (Point(512, 400), Point(300, 700)):
                    t0 = time.perf_counter()
                    prev = seg.segment(photo, prepared, ClickPrompt(points=(pt,)), prev)
                    clicks.append(time.perf_counter() - t0)
            params = sum(p.numel() for p in manager.get(role, lambda *a: None).model.parameters())
            result["models"][name] = {
                "role": role,
                "params_M": round(params / 1e6, 1),
                "load_s": round(load_s, 2),
                "embedding_s": [round(v, 3) for v in embeds],
                "embedding_min_s": round(min(embeds), 3),
                "click_median_s": round(sorted(clicks)[len(clicks) // 2], 4),
            }
            print(name, result["models"][name], flush=True)
    result["loadavg_after"] = os.getloadavg()
    out = Path(__file__).resolve().parent / "results" / "sam2.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
