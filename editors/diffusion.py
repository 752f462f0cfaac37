"""Shared diffusion plumbing for the generative editors: loading pipelines, fast (LCM) mode, steps, cancel.

Roles (``core/manifest.toml``):
- ``inpaint``: Stable Diffusion 1.5 inpainting (9-channel UNet), native 512 px; CPU or GPU.
- ``inpaint_fast``: LCM-LoRA for SD 1.5: the same pipeline with the LoRA and ``LCMScheduler``, 2-8 steps,
  guidance about 1. It is derived from the ``inpaint`` pipeline with ``from_pipe`` and shares its weights
  (the LoRA layers are switched on only for fast calls), so nothing is loaded twice.
- ``preview_vae``: TAESD (``AutoencoderTiny``), a tiny distilled SD VAE. When its weights are here the fast
  pipeline encodes and decodes with it instead of the full VAE (the full VAE is about half of a CPU
  preview's time); without them the fast pipeline keeps the full VAE. Base (non-fast) runs always use
  the full VAE.
- ``inpaint_xl``: SDXL inpainting, native 1024 px; only used on a CUDA device when its weights are present.

Every call runs under ``manager.lock("inpaint")`` (or ``inpaint_xl``'s): diffusers pipelines are not
thread-safe, and the fast pipeline shares modules with the base one.

Heavy libraries (torch, diffusers) are imported lazily, inside the functions.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import Cancelled, ModelUnavailable
from core.gpu import gpu_task, manager_for, manager_key, on_zero_gpu
from editors.base import Progress as Progress, Variant as Variant  # re-exported: the editor contract's types

log = logging.getLogger(__name__)

BASE_ROLE = "inpaint"
FAST_ROLE = "inpaint_fast"
PREVIEW_VAE_ROLE = "preview_vae"
XL_ROLE = "inpaint_xl"
LCM_ADAPTER = "lcm"
PREFETCH_HINT = "run `python app.py --prefetch` on a machine with network"

# --------------------------------------------------------------------------- loading


def model_id(manager: Any, role: str) -> str:
    """``repo@rev8`` of a role, or ``local:<folder>`` when ``FACET_MODEL_<ROLE>`` points somewhere."""
    return str(manager.model_id(role))


def _has_safety_checker(path: Path) -> bool:
    try:
        index = json.loads((Path(path) / "model_index.json").read_text())
    except (OSError, ValueError):
        return False
    return "safety_checker" in index


def _variant_for(path: Path) -> str | None:
    """``"fp16"`` when the folder only has fp16 UNet weights (e.g. SDXL fetched for a GPU), else None."""
    unet = Path(path) / "unet"
    if (unet / "diffusion_pytorch_model.safetensors").exists() or not unet.exists():
        return None
    if (unet / "diffusion_pytorch_model.fp16.safetensors").exists():
        return "fp16"
    return None


def load_inpaint_pipeline(path: Path, device: str, dtype: Any) -> Any:
    """``AutoPipelineForInpainting`` from a folder laid out like the hub repo, on ``device`` in ``dtype``.

    The safety checker is not loaded (its weights are not in the manifest's file list); pipelines that
    have none are fine too. Progress bars are off (the editor reports progress itself).
    """
    from diffusers import AutoPipelineForInpainting

    kwargs: dict[str, Any] = {"dtype": dtype, "use_safetensors": True}  # never unpickle weights
    if _has_safety_checker(path):
        kwargs.update(safety_checker=None, requires_safety_checker=False)
    variant = _variant_for(path)
    if variant:
        kwargs["variant"] = variant
    pipe = AutoPipelineForInpainting.from_pretrained(str(path), **kwargs)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _find_lora_file(path: Path) -> Path:
    path = Path(path)
    if path.is_file():
        return path
    preferred = path / "pytorch_lora_weights.safetensors"
    if preferred.exists():
        return preferred
    found = sorted(path.glob("*.safetensors"))
    if not found:
        raise ModelUnavailable(FAST_ROLE, f"no LoRA .safetensors file in {path}")
    return found[0]


def base_pipeline(manager: Any, role: str = BASE_ROLE) -> Any:
    """The resident base inpainting pipeline of ``role`` (loads it the first time)."""
    return manager.get(role, load_inpaint_pipeline)


def load_tiny_vae(path: Path, device: str, dtype: Any) -> Any:
    """TAESD (``AutoencoderTiny``) from a folder with config.json + diffusion_pytorch_model.safetensors."""
    from diffusers import AutoencoderTiny

    return AutoencoderTiny.from_pretrained(str(path), torch_dtype=dtype, use_safetensors=True).to(device).eval()


def preview_vae(manager: Any) -> Any | None:
    """The resident TAESD for fast previews, or None when its weights are not here (full VAE then)."""
    if PREVIEW_VAE_ROLE not in manager.roles:
        return None
    try:
        return manager.get(PREVIEW_VAE_ROLE, load_tiny_vae)
    except ModelUnavailable as exc:
        log.info("fast previews use the full VAE: %s", exc)
        return None


def fast_pipeline(manager: Any) -> Any:
    """The LCM pipeline: ``from_pipe(base)`` + ``LCMScheduler`` + the LCM-LoRA, sharing the base's weights
    (and TAESD as its VAE when the ``preview_vae`` weights are here)."""

    def load(path: Path, device: str, dtype: Any) -> Any:
        from diffusers import AutoPipelineForInpainting, LCMScheduler

        base = base_pipeline(manager)
        try:
            import peft  # noqa: F401  (diffusers' LoRA backend)
        except ImportError:
            raise ModelUnavailable(FAST_ROLE, "fast mode needs the `peft` package (pip install peft)") from None
        tiny = preview_vae(manager)
        pipe = AutoPipelineForInpainting.from_pipe(base, **({"vae": tiny} if tiny is not None else {}))
        pipe.scheduler = LCMScheduler.from_config(base.scheduler.config)
        lora = _find_lora_file(path)
        with manager.lock(BASE_ROLE):  # the UNet is shared: no base call may run while layers are added
            pipe.load_lora_weights(str(lora.parent), weight_name=lora.name, adapter_name=LCM_ADAPTER)
            set_lora(pipe, False)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    return manager.get(FAST_ROLE, load)


def set_lora(pipe: Any, enabled: bool) -> None:
    """Switch the (shared) LoRA layers on or off; a no-op for modules without LoRA layers."""
    for name in ("unet", "text_encoder", "text_encoder_2", "transformer"):
        module = getattr(pipe, name, None)
        if module is None or not getattr(module, "_hf_peft_config_loaded", False):
            continue
        if hasattr(module, "enable_adapters"):
            (module.enable_adapters if enabled else module.disable_adapters)()


def native_size(pipe: Any) -> int:
    """The pipeline's native square size in px (512 for SD 1.5, 1024 for SDXL, 64 for the tiny test model)."""
    sample = pipe.unet.config.sample_size
    sample = sample[0] if isinstance(sample, (list, tuple)) else sample
    return int(sample) * int(getattr(pipe, "vae_scale_factor", 8))


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Call:
    """One denoising run (everything except the images)."""

    prompt: str
    negative_prompt: str
    strength: float
    guidance: float
    steps: int


@gpu_task("inpaint", duration=120)
def inpaint_task(
    key: int,
    role: str,
    image: np.ndarray,
    mask: np.ndarray,
    call: Call,
    seed: int,
    *,
    fast: bool,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    step_offset: int = 0,
    total_steps: int | None = None,
) -> np.ndarray:
    """GPU task: one inpainting run of the resident pipeline of ``role`` (fast: the LCM pipeline), under
    its lock. On ZeroGPU the arguments are pickled to the GPU worker, so ``progress``/``cancel`` are not
    passed there (see ``inpaint_on_gpu``)."""
    manager = manager_for(key)
    pipe = fast_pipeline(manager) if fast else base_pipeline(manager, role)
    with manager.lock(BASE_ROLE if fast else role):
        return run_inpaint(
            pipe,
            image,
            mask,
            call,
            seed,
            fast=fast,
            progress=progress,
            cancel=cancel,
            step_offset=step_offset,
            total_steps=total_steps,
        )


def inpaint_on_gpu(
    manager: Any,
    role: str,
    image: np.ndarray,
    mask: np.ndarray,
    call: Call,
    seed: int,
    *,
    fast: bool,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    step_offset: int = 0,
    total_steps: int | None = None,
) -> np.ndarray:
    """``inpaint_task`` for ``manager``: with live progress and cancel, except on ZeroGPU (a forked worker)."""
    if on_zero_gpu():
        progress, cancel = None, None
    return inpaint_task(
        manager_key(manager),
        role,
        image,
        mask,
        call,
        seed,
        fast=fast,
        progress=progress,
        cancel=cancel,
        step_offset=step_offset,
        total_steps=total_steps,
    )


def run_inpaint(
    pipe: Any,
    image: np.ndarray,
    mask: np.ndarray,
    call: Call,
    seed: int,
    *,
    fast: bool,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    step_offset: int = 0,
    total_steps: int | None = None,
) -> np.ndarray:
    """Inpaint ``image`` (RGB uint8 hxwx3, h and w multiples of 8) where ``mask`` (bool hxw) is True.

    ``progress(step, total)`` is called after every denoising step (``step_offset`` is added, so several
    variants count up one bar); when ``cancel`` is set the step callback raises :class:`Cancelled`, which
    ends the run within one step (nothing is decoded). Returns RGB uint8 hxwx3. The caller holds the lock.
    """
    import torch
    from PIL import Image

    h, w = mask.shape
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    set_lora(pipe, fast)

    def on_step(p: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if progress is not None:
            n = int(getattr(p, "_num_timesteps", 0) or call.steps)
            progress(step_offset + i + 1, total_steps if total_steps is not None else n)
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        return {}

    device = getattr(pipe, "device", torch.device("cpu"))
    generator = torch.Generator(device=device).manual_seed(int(seed))
    kwargs: dict[str, Any] = {}
    if call.negative_prompt and call.guidance > 1.0:
        kwargs["negative_prompt"] = call.negative_prompt
    with torch.inference_mode():
        out = pipe(
            prompt=call.prompt,
            image=Image.fromarray(image),
            mask_image=Image.fromarray(mask.astype(np.uint8) * 255),
            height=h,
            width=w,
            strength=call.strength,
            guidance_scale=call.guidance,
            num_inference_steps=call.steps,
            generator=generator,
            output_type="np",
            callback_on_step_end=on_step,
            **kwargs,
        )
    arr = np.asarray(out.images[0], dtype=np.float32)
    return np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
