"""Diffusion inpainting of a segment from a prompt: replace, restyle (strength < 1) or redraw it.

Flow (see DESIGN.md): validate -> grow the mask by ``grow`` px (so no rim of the old content survives)
-> crop around it with context -> resize the crop so its longer side is the model's native size (512 for
SD 1.5; both sides multiples of 8, aspect kept) -> inpaint -> resize back -> composite with a distance
feather and light colour harmonisation (``core.composite``): pixels outside the grown mask + feather stay
bit-identical.

``generate`` makes ``variants`` results with seeds ``seed, seed+1, ...`` (returned, so any result can be
made again), reports ``progress(step, total)`` after every denoising step, and stops within one step
when ``cancel`` (a ``threading.Event``) is set. ``apply`` is the common editor call (variant 0).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import cv2
import numpy as np

from core.composite import XYXY, box_slices, check_mask, composite_crop, crop_box, signed_distance
from core.errors import BadInput, Cancelled, ModelUnavailable
from core.types import Photo
from editors.registry import EDITORS
from editors.base import (
    FEATHER,
    EditResult,
    GenerativeEditor,
    LazyManager,
    Param,
    Provenance,
    as_pixels,
    auto_feather,
    validate_params,
)
from editors.diffusion import (
    BASE_ROLE,
    FAST_ROLE,
    PREVIEW_VAE_ROLE,
    XL_ROLE,
    Call,
    inpaint_on_gpu,
    Progress,
    Variant,
    base_pipeline,
    fast_pipeline,
    model_id,
    native_size,
)

MAX_PROMPT = 1000
MAX_COVER = 0.98  # a selection covering more of the photo leaves no context to inpaint from
DEFAULT_STEPS, FAST_STEPS = 25, 4
FAST_STEPS_CPU = 2  # LCM steps of an automatic fast preview on a CPU (each 512 px UNet step is ~9 s on 2 cores)
DEFAULT_GUIDANCE, FAST_GUIDANCE = 7.5, 1.0

__all__ = ["Cancelled", "InpaintEditor", "Variant", "available", "build_inpaint"]


# --------------------------------------------------------------------------- geometry (shared with remove)


def grow_mask(mask: np.ndarray, px: float) -> np.ndarray:
    """Bool mask grown by ``px`` pixels (Euclidean distance); ``px <= 0`` returns it unchanged."""
    if px <= 0:
        return mask
    return signed_distance(mask) > -float(px)


def auto_grow(box: XYXY, grow: float) -> float:
    """``grow`` if >= 0, else about 1 % of the mask box's longer side (at least 2 px)."""
    if grow >= 0:
        return float(grow)
    x0, y0, x1, y1 = box
    return max(2.0, 0.01 * max(x1 - x0, y1 - y0))


def context_box(mask: np.ndarray, margin: int, min_aspect: float = 0.5) -> XYXY:
    """The mask's box grown by ``margin`` px, then widened (within the photo) to an aspect of at least
    ``min_aspect`` (short/long side), so the model sees context on every side and is not fed a sliver."""
    x0, y0, x1, y1 = crop_box(mask, margin)
    h, w = mask.shape
    bw, bh = x1 - x0, y1 - y0
    if bw < bh * min_aspect:
        x0, x1 = _widen(x0, x1, math.ceil(bh * min_aspect), w)
    elif bh < bw * min_aspect:
        y0, y1 = _widen(y0, y1, math.ceil(bw * min_aspect), h)
    return x0, y0, x1, y1


def _widen(a: int, b: int, want: int, limit: int) -> tuple[int, int]:
    want = min(want, limit)
    extra = want - (b - a)
    if extra <= 0:
        return a, b
    a = max(0, a - extra // 2)
    b = min(limit, a + want)
    a = max(0, b - want)
    return a, b


def model_dims(width: int, height: int, native: int, multiple: int = 8) -> tuple[int, int]:
    """(w, h) with the longer side ``native``, the aspect kept, both multiples of ``multiple`` (>= 8 * multiple)."""
    s = native / max(width, height)
    floor = min(native, 8 * multiple)

    def fit(v: int) -> int:
        return int(max(floor, min(native, round(v * s / multiple) * multiple)))

    return fit(width), fit(height)


def to_model(crop: np.ndarray, mask: np.ndarray, dims: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Resize an RGB crop and its bool mask to ``dims`` (w, h); the mask is kept conservative (any overlap)."""
    interp = cv2.INTER_AREA if dims[0] < crop.shape[1] else cv2.INTER_CUBIC
    img = cv2.resize(crop, dims, interpolation=interp)
    m = cv2.resize(mask.astype(np.float32), dims, interpolation=cv2.INTER_AREA) > 0.01
    return img, m


def from_model(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a model output (RGB uint8) back to the crop's ``size`` (w, h)."""
    interp = cv2.INTER_AREA if size[0] < img.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(img, size, interpolation=interp)


def check_coverage(mask: np.ndarray) -> None:
    frac = float(mask.mean())
    if frac > MAX_COVER:
        raise BadInput(
            f"the selection covers {frac:.0%} of the photo; there is nothing left around it to fill "
            "from. Select a smaller part (an object, not the whole photo)"
        )


# --------------------------------------------------------------------------- the editor


def available(manager: Any) -> bool:
    """True when the ``inpaint`` weights are loaded or on disk (generation has no offline backend)."""
    return manager is not None and manager.available(BASE_ROLE)


class InpaintEditor(LazyManager, GenerativeEditor):
    """Redraw the selection from a prompt with Stable Diffusion inpainting (``generate`` / ``edit``)."""

    name = "inpaint"
    # Stable Diffusion paints the pixels (the manifest roles it may load; a result names the exact weights)
    provenance = Provenance(generative=True, models=(BASE_ROLE, XL_ROLE, FAST_ROLE, PREVIEW_VAE_ROLE))
    label = "Generate (describe what should be there)"
    backend = "Stable Diffusion 1.5 inpainting"
    params_schema: dict[str, Param] = {
        "prompt": Param(
            str, None, help=f"what the selection should become (required, at most {MAX_PROMPT} characters)"
        ),
        "negative_prompt": Param(str, "", help="what to avoid (used when guidance > 1)"),
        "strength": Param(
            float,
            1.0,
            0.0,
            1.0,
            help="how much to change: 1 replaces the content, lower values restyle it and keep its shape",
        ),
        "guidance": Param(
            float,
            -1.0,
            -1.0,
            20.0,
            help=f"how closely to follow the prompt; -1 = automatic ({DEFAULT_GUIDANCE:g}, "
            f"or {FAST_GUIDANCE:g} in fast mode)",
        ),
        "steps": Param(
            int,
            0,
            0,
            100,
            help=f"denoising steps 1..100; 0 = automatic ({DEFAULT_STEPS}, "
            f"or {FAST_STEPS} in fast mode, {FAST_STEPS_CPU} on a CPU)",
        ),
        "variants": Param(int, 1, 1, 4, help="how many results to make (seeds seed, seed+1, ...)"),
        "fast": Param(bool, False, help="few-step preview with LCM-LoRA (2 steps on a CPU, 4 on a GPU; lower quality)"),
        "grow": Param(
            float,
            -1.0,
            -1.0,
            256.0,
            help="px the selection is grown before inpainting, so no rim of the old content survives; "
            "-1 = automatic (about 1 % of the selection's size)",
        ),
        "harmonize": Param(float, 0.25, 0.0, 1.0, help="match lightness to the original near the seam"),
        "feather": FEATHER,
    }

    def available(self) -> bool:
        return available(self.manager)

    # -- params ------------------------------------------------------------------------------------
    def resolve(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Validated params with the automatic values filled in (raises ``BadInput``)."""
        p = validate_params(self.name, self.params_schema, params)
        prompt = (p["prompt"] or "").strip()
        if not prompt:
            raise BadInput("inpaint: describe what should appear in the selection (the prompt is empty)")
        if len(prompt) > MAX_PROMPT:
            raise BadInput(f"inpaint: the prompt has {len(prompt)} characters; at most {MAX_PROMPT} are allowed")
        if len(p["negative_prompt"]) > MAX_PROMPT:
            raise BadInput(
                f"inpaint: the negative prompt has {len(p['negative_prompt'])} characters; "
                f"at most {MAX_PROMPT} are allowed"
            )
        p["prompt"] = prompt
        if p["steps"] == 0:
            p["steps"] = self.fast_steps() if p["fast"] else DEFAULT_STEPS
        if p["guidance"] < 0:
            p["guidance"] = FAST_GUIDANCE if p["fast"] else DEFAULT_GUIDANCE
        if int(p["steps"] * p["strength"]) < 1:
            raise BadInput(
                f"inpaint: strength {p['strength']:g} with {p['steps']} steps leaves no denoising step; "
                "raise the strength or the steps"
            )
        return p

    def fast_steps(self) -> int:
        """Steps of an automatic fast preview: 4 on a GPU, 2 on a CPU (to keep a preview near 30 s there)."""
        return FAST_STEPS if getattr(self.manager, "device", "cpu") == "cuda" else FAST_STEPS_CPU

    def role_for(self, fast: bool) -> str:
        """``inpaint_xl`` on a CUDA device when its weights are here (not in fast mode), else ``inpaint``."""
        m = self.manager
        if not fast and m.device == "cuda" and m.available(XL_ROLE):
            return XL_ROLE
        return BASE_ROLE

    def pipeline(self, fast: bool) -> tuple[Any, str, str]:
        """(pipeline, lock role, model id); raises ``ModelUnavailable`` with the prefetch hint."""
        m = self.manager
        role = self.role_for(fast)
        try:
            if fast:
                pipe = fast_pipeline(m)
                mid = f"{model_id(m, BASE_ROLE)}+lcm-lora({model_id(m, FAST_ROLE)})"
                if type(pipe.vae).__name__ == "AutoencoderTiny":
                    mid += f"+taesd({model_id(m, PREVIEW_VAE_ROLE)})"
                return pipe, BASE_ROLE, mid
            return base_pipeline(m, role), role, model_id(m, role)
        except ModelUnavailable as exc:
            raise ModelUnavailable(exc.role, f"{exc.reason}. Generation from a prompt needs these weights") from exc

    # -- running -----------------------------------------------------------------------------------
    def generate(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Variant]:
        """``variants`` results (full-size RGB uint8), seeds ``seed + i`` (``None`` = 0).

        ``progress(step, total)`` counts denoising steps over all variants; ``cancel.set()`` raises
        :class:`Cancelled` within one step. Errors: ``BadInput`` (mask, prompt, params),
        ``ModelUnavailable`` (no weights; the message says how to get them).
        """
        pixels = as_pixels(photo)
        mask = check_mask(mask, pixels.shape)
        p = self.resolve(params)  # the prompt first: a user learns about a bad prompt even offline
        seed = 0 if seed is None else int(seed)
        pipe, lock_role, mid = self.pipeline(p["fast"])  # then whether generation is available at all
        check_coverage(mask)

        t_prep = time.perf_counter()
        feather = auto_feather(pixels.shape, p["feather"])
        tight = crop_box(mask, 0)
        grow = auto_grow(tight, p["grow"])
        size = max(tight[2] - tight[0], tight[3] - tight[1])
        margin = int(math.ceil(grow + feather)) + max(8, round(0.15 * size))
        box = context_box(mask, margin)
        sl = box_slices(box)
        crop = np.ascontiguousarray(pixels[sl])
        m_crop = grow_mask(mask[sl], grow)
        full_mask = np.zeros(mask.shape, bool)
        full_mask[sl] = m_crop
        dims = model_dims(crop.shape[1], crop.shape[0], native_size(pipe))
        img_in, mask_in = to_model(crop, m_crop, dims)
        call = Call(p["prompt"], p["negative_prompt"], p["strength"], p["guidance"], p["steps"])
        prep = time.perf_counter() - t_prep

        per_variant = max(1, int(p["steps"] * p["strength"]))
        total = per_variant * p["variants"]
        out: list[Variant] = []
        for i in range(p["variants"]):
            t0 = time.perf_counter()
            gen = inpaint_on_gpu(
                self.manager,
                lock_role,
                img_in,
                mask_in,
                call,
                seed + i,
                fast=p["fast"],
                progress=progress,
                cancel=cancel,
                step_offset=i * per_variant,
                total_steps=total,
            )
            edited = from_model(gen, (crop.shape[1], crop.shape[0]))
            result = composite_crop(pixels, edited, box, full_mask, feather, p["harmonize"], "L")
            seconds = time.perf_counter() - t0 + (prep if i == 0 else 0.0)
            out.append(
                Variant(
                    image=result,
                    seed=seed + i,
                    seconds=seconds,
                    model=mid,
                    backend=self.backend + (" + LCM-LoRA (fast)" if p["fast"] else ""),
                )
            )
        return out

    def edit(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> EditResult:
        """The common editor call: one variant, as an ``EditResult``."""
        params = dict(params or {})
        params["variants"] = 1
        return self.generate(photo, mask, params, seed)[0].result()

    def apply(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> np.ndarray:
        """``edit(...).image``: the first variant's full-size RGB uint8 image."""
        return self.edit(photo, mask, params, seed).image


@EDITORS.register("inpaint")
def build_inpaint(manager: Any = None) -> InpaintEditor:
    return InpaintEditor(manager)
