"""Open-vocabulary text segmentation: the full backends of Select by words (segmenters/text_select.py).

- ``clipseg`` (role ``clipseg``, CPU): transformers ``CLIPSegForImageSegmentation`` (CIDAS/clipseg-rd64-refined).
  One probability map per phrase at 352x352; its pixels above ``CLIPSEG_THRESHOLD`` form the mask. For
  ordinals and positions ("the second car", "the left tree") its connected regions are the instances.
- ``sam3`` (role ``sam3``, a CUDA GPU): transformers ``Sam3Model`` (facebook/sam3), Promptable Concept
  Segmentation: every instance of the phrase with a score (query score x presence score); instances above
  ``SAM3_THRESHOLD`` are kept, ordinals and positions pick among them.

Both load through the model manager (``manager.get(role, loader)``; ``FACET_MODEL_<ROLE>`` points a role at a
local folder, which is how the tests load tiny random models through this same code). Preprocessing is done
here with numpy/OpenCV from the repo's own config (size, mean, std): Sam3's image processor needs
torchvision, which must not be installed. Masks come back bool HxW at the photo's size.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput
from core.models import ModelManager
from core.types import Photo, mask_bbox
from segmenters.registry import TEXT_SEGMENTERS
from segmenters.text_select import (
    Catalogue,
    TextSelection,
    parse_phrase,
    pick_instances,
)

log = logging.getLogger(__name__)

CLIPSEG_THRESHOLD = 0.4  # probability above which a CLIPSeg pixel is in the mask
SAM3_THRESHOLD = 0.5  # instance score (query x presence) above which a SAM 3 instance is kept
SAM3_TEXT_LENGTH = 32  # Sam3Processor pads text to 32 tokens
MIN_REGION = 0.02  # CLIPSeg regions smaller than this share of the largest are not instances


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def normalise(
    rgb: np.ndarray, size: tuple[int, int], mean: Any, std: Any, resample: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 1x3xHxW: resized to ``size`` (width, height), /255, (x - mean) / std."""
    small = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=resample).astype(np.float32) / 255.0
    scaled = (small - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(scaled.transpose(2, 0, 1)[None], dtype=np.float32)


class _TextModel:
    """Shared by both models: phrase chunks -> instances -> ordinals/positions -> one mask."""

    role = ""
    label = ""

    def __init__(self, manager: ModelManager):
        self.manager = manager
        spec = manager.role(self.role)
        self.label = f"{self.title} ({spec.repo.split('/')[-1]})"

    title = ""

    def instances(self, photo: Photo, text: str) -> list[tuple[np.ndarray, float]]:
        raise NotImplementedError

    def select(self, photo: Photo, text: str, catalogue: Catalogue | None = None) -> TextSelection:
        t0 = time.perf_counter()
        chunks = parse_phrase(text, catalogue or Catalogue([]))
        mask = np.zeros((photo.height, photo.width), bool)
        said: list[str] = []
        scores: list[float] = []
        for chunk in chunks:
            query = chunk.model_text.strip() or text
            found = self.instances(photo, query)
            if not found:
                raise BadInput(f"{self.label} found no '{query}' on this photo; try other words")
            how = ""
            if not chunk.selector.empty and not chunk.selector.everyone:
                boxes = [mask_bbox(m) or (0.0, 0.0, 0.0, 0.0) for m, _ in found]
                picked = pick_instances(found, chunk.selector, boxes, [float(m.sum()) for m, _ in found], photo.width)
                how = chunk.selector.describe(query, len(found)) or f"#{chunk.selector.number} from the left"
                how = f" ({how}, of {len(found)} found)"
                found = [found[k] for k in picked]
            for m, score in found:
                mask |= m
                scores.append(score)
            said.append(f"{query}{how}" if how else (f"{query} ({len(found)} found)" if len(found) > 1 else query))
        if not mask.any():
            raise BadInput(f"{self.label} found nothing for '{text}' on this photo")
        return TextSelection(
            mask,
            text[:80],
            " + ".join(said),
            self.label,
            self.label,
            time.perf_counter() - t0,
            (),
            float(np.mean(scores)) if scores else None,
        )


# -- CLIPSeg -------------------------------------------------------------------------------------------


@dataclass
class LoadedClipSeg:
    model: Any
    tokenizer: Any
    size: tuple[int, int]  # (width, height) the model sees
    mean: Any
    std: Any
    device: str
    dtype: Any


def load_clipseg(path: Path, device: str, dtype: Any) -> LoadedClipSeg:
    """CLIPSegForImageSegmentation + its tokenizer from a folder laid out like CIDAS/clipseg-rd64-refined."""
    from transformers import CLIPSegForImageSegmentation

    model = CLIPSegForImageSegmentation.from_pretrained(path, dtype=dtype, use_safetensors=True)
    model = model.to(device).eval()
    pre = _json(Path(path) / "preprocessor_config.json")
    size = pre.get("size", 352)
    w, h = (size, size) if isinstance(size, int) else (int(size.get("width", 352)), int(size.get("height", 352)))
    return LoadedClipSeg(
        model,
        _tokenizer(path),
        (w, h),
        pre.get("image_mean", [0.485, 0.456, 0.406]),
        pre.get("image_std", [0.229, 0.224, 0.225]),
        device,
        dtype,
    )


@TEXT_SEGMENTERS.register("clipseg")
class ClipSegSelector(_TextModel):
    role = "clipseg"
    title = "CLIPSeg"

    def probabilities(self, photo: Photo, text: str) -> np.ndarray:
        """CLIPSeg's probability map for ``text`` (float32, the model's size)."""
        import torch

        m: LoadedClipSeg = self.manager.get(self.role, load_clipseg)
        pixels = torch.from_numpy(normalise(photo.pixels, m.size, m.mean, m.std)).to(m.device, m.dtype)
        tokens = m.tokenizer([text], padding=True, truncation=True, return_tensors="pt")
        with self.manager.lock(self.role), torch.inference_mode():
            logits = m.model(
                input_ids=tokens["input_ids"].to(m.device),
                pixel_values=pixels,
                attention_mask=tokens["attention_mask"].to(m.device),
            ).logits
        return torch.sigmoid(logits.float()).reshape(logits.shape[-2:]).cpu().numpy()

    def instances(self, photo: Photo, text: str) -> list[tuple[np.ndarray, float]]:
        prob = self.probabilities(photo, text)
        big = cv2.resize(prob, (photo.width, photo.height), interpolation=cv2.INTER_LINEAR)
        mask = big > CLIPSEG_THRESHOLD
        if not mask.any():
            return []
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = [k + 1 for k in range(n - 1) if areas[k] >= MIN_REGION * areas.max()]
        out = []
        for k in keep:
            region = labels == k
            out.append((region, float(big[region].mean())))
        small = mask & ~np.isin(labels, keep)  # specks are kept with the whole, not as instances
        if small.any() and out:
            out[0] = (out[0][0] | small, out[0][1])
        return out


# -- SAM 3 ---------------------------------------------------------------------------------------------


@dataclass
class LoadedSam3:
    model: Any
    tokenizer: Any
    size: tuple[int, int]
    mean: Any
    std: Any
    device: str
    dtype: Any


def sam3_preprocessing(path: Path) -> tuple[tuple[int, int], Any, Any]:
    """(size (w, h), mean, std) from the repo's processor_config.json (or preprocessor_config.json); SAM 3's
    defaults (1008 px, mean = std = 0.5) where absent."""
    cfg = _json(Path(path) / "processor_config.json") or _json(Path(path) / "preprocessor_config.json")
    cfg = cfg.get("image_processor", cfg)
    size = cfg.get("size", {"height": 1008, "width": 1008})
    w, h = (size, size) if isinstance(size, int) else (int(size.get("width", 1008)), int(size.get("height", 1008)))
    return (w, h), cfg.get("image_mean", [0.5, 0.5, 0.5]), cfg.get("image_std", [0.5, 0.5, 0.5])


def load_sam3(path: Path, device: str, dtype: Any) -> LoadedSam3:
    """Sam3Model + its CLIP tokenizer from a folder laid out like facebook/sam3 (no torchvision needed for text
    prompts: the image preprocessing is ``normalise`` here)."""
    from transformers import Sam3Model

    model = Sam3Model.from_pretrained(path, dtype=dtype, use_safetensors=True)
    model = model.to(device).eval()
    size, mean, std = sam3_preprocessing(path)
    return LoadedSam3(model, _tokenizer(path), size, mean, std, device, dtype)


@TEXT_SEGMENTERS.register("sam3")
class Sam3Selector(_TextModel):
    role = "sam3"
    title = "SAM 3"
    threshold = SAM3_THRESHOLD

    def raw(self, photo: Photo, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(scores [Q], mask probabilities [Q, h, w]) for every query of the model."""
        import torch

        m: LoadedSam3 = self.manager.get(self.role, load_sam3)
        pixels = torch.from_numpy(normalise(photo.pixels, m.size, m.mean, m.std)).to(m.device, m.dtype)
        tokens = m.tokenizer(
            [text], padding="max_length", max_length=SAM3_TEXT_LENGTH, truncation=True, return_tensors="pt"
        )
        with self.manager.lock(self.role), torch.inference_mode():
            out = m.model(
                pixel_values=pixels,
                input_ids=tokens["input_ids"].to(m.device),
                attention_mask=tokens["attention_mask"].to(m.device),
            )
        scores = out.pred_logits.float().sigmoid()[0]
        if out.presence_logits is not None:
            scores = scores * out.presence_logits.float().sigmoid()[0, 0]
        return scores.cpu().numpy(), out.pred_masks.float().sigmoid()[0].cpu().numpy()

    def instances(self, photo: Photo, text: str) -> list[tuple[np.ndarray, float]]:
        scores, probs = self.raw(photo, text)
        out = []
        for q in np.argsort(-scores):
            if scores[q] <= self.threshold:
                break
            big = cv2.resize(probs[q], (photo.width, photo.height), interpolation=cv2.INTER_LINEAR) > 0.5
            if big.any():
                out.append((big, float(scores[q])))
        return out
