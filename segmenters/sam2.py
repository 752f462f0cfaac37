"""Click segmentation with SAM 2.1 through transformers' ``Sam2Model`` (the default click model).

Same design as ``segmenters/sam.py``: ``prepare`` computes the image embedding (the multi-scale feature
maps) once per photo; ``segment`` runs only the prompt encoder and the mask decoder, multimask, best of
three by predicted IoU, the previous low-res logits fed back as a mask prompt, one bilinear upscale.

transformers' ``Sam2Processor`` needs torchvision (which must not be installed here), so the
preprocessing is done here, as SAM 2's image processor does it: the photo is resized (not padded) to the
model's square input (1024 px for the released checkpoints), scaled to [0, 1] and normalised with the
ImageNet mean/std (read from ``preprocessor_config.json`` when the folder has one). Point and box
coordinates are scaled per axis to that square; the 256 x 256 low-res masks cover the whole photo.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadInput
from core.gpu import gpu_task, manager_for, manager_key, on_zero_gpu
from core.masks import resize_logits
from core.models import ModelManager
from core.types import ClickPrompt, MaskResult, Photo
from segmenters.registry import SEGMENTERS
from segmenters.sam import prompt_kwargs

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Sam2Embedding:
    embeddings: Any  # list of torch tensors (the feature maps the mask decoder reads)
    original: tuple[int, int]  # (H, W) of the photo
    seconds: float


@dataclass
class LoadedSam2:
    model: Any
    device: str
    dtype: Any
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def _preprocessing(path: Path, model: Any) -> tuple[int, tuple, tuple]:
    size = int(getattr(model.config.prompt_encoder_config, "image_size", 1024))
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    cfg = Path(path) / "preprocessor_config.json"
    if cfg.is_file():
        data = json.loads(cfg.read_text())
        mean = tuple(data.get("image_mean", mean))
        std = tuple(data.get("image_std", std))
    return size, mean, std


def load_sam2(path: Path, device: str, dtype: Any) -> LoadedSam2:
    """Load Sam2Model from a folder laid out like the hub repo (config.json + model.safetensors)."""
    from transformers import Sam2Model

    model = Sam2Model.from_pretrained(path, dtype=dtype, use_safetensors=True).to(device).eval()
    size, mean, std = _preprocessing(path, model)
    return LoadedSam2(model, device, dtype, size, mean, std)


def pixel_values(rgb: np.ndarray, size: int, mean: tuple, std: tuple) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 1x3xSxS: resized to the model's square, scaled, normalised."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(rgb)).resize((size, size), Image.Resampling.BILINEAR)
    x = np.asarray(img, np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


@gpu_task("sam2_embedding", duration=30)
def sam2_embedding(key: int, role: str, pixels: np.ndarray) -> list[Any]:
    """GPU task: the SAM 2 feature maps of ``pixels`` (RGB uint8), once per photo."""
    import torch

    manager = manager_for(key)
    m: LoadedSam2 = manager.get(role, load_sam2)
    x = torch.from_numpy(pixel_values(pixels, m.input_size, m.mean, m.std)).to(m.device, m.dtype)
    with manager.lock(role), torch.inference_mode():
        emb = m.model.get_image_embeddings(x)
    return [e.cpu() for e in emb] if on_zero_gpu() else list(emb)


@gpu_task("sam2_decode", duration=10)
def sam2_decode(
    key: int, role: str, embeddings: list[Any], points: list, labels: list, box: list | None, mask_input: Any
) -> tuple[Any, Any]:
    """GPU task: prompt encoder + mask decoder on stored feature maps -> (low-res logits 3xhxw, IoUs)."""
    import torch

    manager = manager_for(key)
    m: LoadedSam2 = manager.get(role, load_sam2)
    kwargs = prompt_kwargs(m.device, m.dtype, points, labels, box, mask_input)
    emb = [e.to(m.device, m.dtype) for e in embeddings]
    with manager.lock(role), torch.inference_mode():
        out = m.model(image_embeddings=emb, multimask_output=True, **kwargs)
    return out.pred_masks[0, 0].float().cpu(), out.iou_scores[0, 0].float().cpu()


class Sam2Segmenter:
    name = "sam2"

    def __init__(self, manager: ModelManager, role: str = "sam2"):
        self.manager = manager
        self.role = role
        spec = manager.role(role)
        self.label = f"SAM 2.1 ({spec.repo.split('/')[-1]})"
        self.models = (manager.model_id(role),)

    def _model(self) -> LoadedSam2:
        return self.manager.get(self.role, load_sam2)

    def warm_up(self) -> None:
        self._model()

    def prepare(self, photo: Photo) -> Sam2Embedding:
        self._model()  # loads (or downloads) here, outside the GPU task
        t0 = time.perf_counter()
        emb = sam2_embedding(manager_key(self.manager), self.role, photo.pixels)
        seconds = time.perf_counter() - t0
        log.debug("SAM 2 embedding for %s in %.3fs", photo.id, seconds)
        return Sam2Embedding(list(emb), (photo.height, photo.width), seconds)

    def segment(
        self, photo: Photo, prepared: Sam2Embedding, prompt: ClickPrompt, previous: MaskResult | None
    ) -> MaskResult:
        import torch

        if prompt.empty:
            raise BadInput("add a click or a box first")
        prompt.validate(photo.width, photo.height)
        if prepared.original != (photo.height, photo.width):
            raise ValueError("the SAM 2 embedding belongs to another photo")
        m = self._model()
        t0 = time.perf_counter()
        sx, sy = m.input_size / photo.width, m.input_size / photo.height
        pts = [[(p.x + 0.5) * sx, (p.y + 0.5) * sy] for p in prompt.points]
        labels = [1 if p.positive else 0 for p in prompt.points]
        box = None
        if prompt.box is not None:
            x0, y0, x1, y1 = prompt.box
            box = [x0 * sx, y0 * sy, x1 * sx, y1 * sy]
        state = previous.state if previous is not None and previous.state is not None else None
        if state is not None and getattr(state, "dim", lambda: 0)() != 4:
            state = None  # another segmenter's state
        lows, ious = sam2_decode(manager_key(self.manager), self.role, prepared.embeddings, pts, labels, box, state)
        best = int(torch.argmax(ious))
        low = lows[best]  # low-res logits over the whole (resized) photo
        h, w = prepared.original
        mask = resize_logits(low.cpu().numpy(), w, h) > 0.0
        return MaskResult(
            mask=mask,
            backend=self.label,
            seconds=time.perf_counter() - t0,
            score=float(ious[best]),
            state=low[None, None].clone(),
            model_ids=self.models,
        )


@SEGMENTERS.register("sam2")
def build(manager: ModelManager, role: str = "sam2") -> Sam2Segmenter:
    return Sam2Segmenter(manager, role)
