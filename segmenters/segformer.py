"""SegFormer semantic segmentation through transformers (the full backends of the parsers).

One loader serves the three roles (``clothes``, ``face_parsing``, ``scene`` in core/manifest.toml) and tiny
test models alike: ``SegformerForSemanticSegmentation`` + ``SegformerImageProcessorPil`` (the PIL image
processor: no torchvision, which must not be installed here). Labels are read from ``config.id2label``, so
callers map classes by *name*, never by index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.gpu import gpu_task, manager_for, manager_key
from core.models import ModelManager


@dataclass
class LoadedSegformer:
    model: Any
    processor: Any
    device: str
    dtype: Any
    id2label: dict[int, str]


def load_segformer(path: Path, device: str, dtype: Any) -> LoadedSegformer:
    """Load a SegFormer parser from a folder laid out like the hub repo (config, preprocessor, weights)."""
    from transformers import SegformerForSemanticSegmentation
    from transformers.models.segformer.image_processing_pil_segformer import SegformerImageProcessorPil

    model = SegformerForSemanticSegmentation.from_pretrained(path, dtype=dtype, use_safetensors=True).to(device).eval()
    try:
        processor = SegformerImageProcessorPil.from_pretrained(path)
    except OSError:  # no preprocessor_config.json: SegFormer's defaults (512x512, ImageNet mean/std)
        processor = SegformerImageProcessorPil()
    id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
    return LoadedSegformer(model, processor, device, dtype, id2label)


@gpu_task("segformer", duration=20)
def segformer_logits(key: int, role: str, rgb: np.ndarray) -> Any:
    """GPU task: the SegFormer of ``role`` on ``rgb`` (RGB uint8) -> its low-res logits (CPU tensor)."""
    import torch

    manager = manager_for(key)
    m: LoadedSegformer = manager.get(role, load_segformer)
    inputs = m.processor(images=np.ascontiguousarray(rgb), return_tensors="pt")
    pixel_values = inputs["pixel_values"].to(m.device, m.dtype)
    with manager.lock(role), torch.inference_mode():
        return m.model(pixel_values=pixel_values).logits.float().cpu()


def segment_labels(
    manager: ModelManager, role: str, rgb: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, float, dict[int, str]]:
    """Run the SegFormer of ``role`` on an RGB uint8 image.

    Returns (label index per pixel, int32 array of ``size`` = (width, height); the mean winning-class
    probability; ``id2label``). Logits are resized bilinearly to ``size`` before the argmax.
    """
    import torch.nn.functional as F

    m: LoadedSegformer = manager.get(role, load_segformer)
    logits = segformer_logits(manager_key(manager), role, rgb)
    w, h = size
    logits = F.interpolate(logits.float(), size=(h, w), mode="bilinear", align_corners=False)[0]
    probs = logits.softmax(0)
    conf, labels = probs.max(0)
    return labels.cpu().numpy().astype(np.int32), float(conf.mean()), m.id2label


def masks_by_name(labels: np.ndarray, id2label: dict[int, str], mapping: dict[str, str]) -> dict[str, np.ndarray]:
    """Facet label -> bool mask, mapping model classes by (case-insensitive) name; unmapped classes dropped."""
    out: dict[str, np.ndarray] = {}
    for idx, name in id2label.items():
        target = mapping.get(name.lower())
        if not target:
            continue
        m = labels == idx
        if m.any():
            out[target] = out[target] | m if target in out else m
    return out
