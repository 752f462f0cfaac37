"""Click segmentation with SAM through transformers' SamModel (the segment-anything package needs torchvision).

``prepare`` computes the image embedding once per photo; ``segment`` runs only the prompt encoder and
the mask decoder: multimask output, the best of three by predicted IoU, the previous low-res logits fed
back as a mask prompt for refinement, and one bilinear upscale of the chosen logits to full size.
"""

from __future__ import annotations

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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamEmbedding:
    embeddings: Any  # torch tensor (1, C, 64, 64)
    original: tuple[int, int]  # (H, W) of the photo
    reshaped: tuple[int, int]  # (H, W) after resizing the longest side to the model's input size
    seconds: float


@dataclass
class _Loaded:
    model: Any
    processor: Any
    device: str
    dtype: Any
    input_size: int


def load_sam(path: Path, device: str, dtype: Any) -> _Loaded:
    """Load SamModel + its PIL image processor from a folder laid out like the hub repo."""
    from transformers import SamModel
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    model = SamModel.from_pretrained(path, dtype=dtype, use_safetensors=True).to(device).eval()
    processor = SamImageProcessorPil.from_pretrained(path)
    return _Loaded(model, processor, device, dtype, int(processor.size["longest_edge"]))


@gpu_task("sam_embedding", duration=30)
def sam_embedding(key: int, role: str, pixels: np.ndarray) -> tuple[Any, tuple[int, int]]:
    """GPU task: the SAM image embedding of ``pixels`` (RGB uint8) and the resized input size (H, W)."""
    import torch

    manager = manager_for(key)
    m: _Loaded = manager.get(role, load_sam)
    inputs = m.processor(images=pixels, return_tensors="pt")
    pixel_values = inputs["pixel_values"].to(m.device, m.dtype)
    with manager.lock(role), torch.inference_mode():
        emb = m.model.get_image_embeddings(pixel_values)
    reshaped = tuple(int(v) for v in inputs["reshaped_input_sizes"][0])
    return (emb.cpu() if on_zero_gpu() else emb), reshaped


def prompt_kwargs(
    device: Any, dtype: Any, points: list, labels: list, box: list | None, mask_input: Any
) -> dict[str, Any]:
    """The prompt tensors SAM and SAM 2.1 take (``input_points`` / ``input_labels`` / ``input_boxes`` /
    ``input_masks``) for one image, from plain lists (photo pixels at the model's input scale)."""
    import torch

    kwargs: dict[str, Any] = {}
    if points:
        kwargs["input_points"] = torch.tensor([[points]], dtype=dtype, device=device)
        kwargs["input_labels"] = torch.tensor([[labels]], dtype=torch.long, device=device)
    if box is not None:
        kwargs["input_boxes"] = torch.tensor([[box]], dtype=dtype, device=device)
    if mask_input is not None:
        kwargs["input_masks"] = mask_input.to(device, dtype)
    return kwargs


@gpu_task("sam_decode", duration=10)
def sam_decode(
    key: int, role: str, embeddings: Any, points: list, labels: list, box: list | None, mask_input: Any
) -> tuple[Any, Any]:
    """GPU task: prompt encoder + mask decoder on a stored embedding -> (low-res logits 3x256x256, IoUs)."""
    import torch

    manager = manager_for(key)
    m: _Loaded = manager.get(role, load_sam)
    kwargs = prompt_kwargs(m.device, m.dtype, points, labels, box, mask_input)
    with manager.lock(role), torch.inference_mode():
        out = m.model(image_embeddings=embeddings.to(m.device, m.dtype), multimask_output=True, **kwargs)
    return out.pred_masks[0, 0].float().cpu(), out.iou_scores[0, 0].float().cpu()


class SamSegmenter:
    name = "sam"

    def __init__(self, manager: ModelManager, role: str = "sam"):
        self.manager = manager
        self.role = role
        spec = manager.role(role)
        self.label = f"SAM ({spec.repo.split('/')[-1]})"
        self.models = (manager.model_id(role),)

    def _model(self) -> _Loaded:
        return self.manager.get(self.role, load_sam)

    def warm_up(self) -> None:
        self._model()

    def prepare(self, photo: Photo) -> SamEmbedding:
        self._model()  # loads (or downloads) here, outside the GPU task, so a failure is the manager's error
        t0 = time.perf_counter()
        emb, reshaped = sam_embedding(manager_key(self.manager), self.role, photo.pixels)
        seconds = time.perf_counter() - t0
        log.debug("SAM embedding for %s in %.3fs", photo.id, seconds)
        return SamEmbedding(emb, (photo.height, photo.width), reshaped, seconds)

    def segment(
        self, photo: Photo, prepared: SamEmbedding, prompt: ClickPrompt, previous: MaskResult | None
    ) -> MaskResult:
        import torch

        if prompt.empty:
            raise BadInput("add a click or a box first")
        prompt.validate(photo.width, photo.height)
        if prepared.original != (photo.height, photo.width):
            raise ValueError("the SAM embedding belongs to another photo")
        m = self._model()
        t0 = time.perf_counter()
        scale = prepared.reshaped[1] / photo.width  # same factor on both axes (longest side to input size)
        pts = [[(p.x + 0.5) * scale, (p.y + 0.5) * scale] for p in prompt.points]
        labels = [1 if p.positive else 0 for p in prompt.points]
        box = [v * scale for v in prompt.box] if prompt.box is not None else None
        state = previous.state if previous is not None and previous.state is not None else None
        lows, ious = sam_decode(manager_key(self.manager), self.role, prepared.embeddings, pts, labels, box, state)
        best = int(torch.argmax(ious))
        low = lows[best]  # (256, 256) logits over the padded square input
        mask = self._upscale(low.cpu().numpy(), prepared, m.input_size)
        seconds = time.perf_counter() - t0
        return MaskResult(
            mask=mask,
            backend=self.label,
            seconds=seconds,
            score=float(ious[best]),
            state=low[None, None].clone(),
            model_ids=self.models,
        )

    @staticmethod
    def _upscale(low: np.ndarray, prepared: SamEmbedding, input_size: int) -> np.ndarray:
        """Low-res logits over the padded input square -> bool mask at the photo's size."""
        lh, lw = low.shape
        rh, rw = prepared.reshaped
        crop = low[: max(1, round(rh * lh / input_size)), : max(1, round(rw * lw / input_size))]
        h, w = prepared.original
        return resize_logits(crop, w, h) > 0.0


@SEGMENTERS.register("sam")
def build(manager: ModelManager, role: str = "sam") -> SamSegmenter:
    return SamSegmenter(manager, role)
