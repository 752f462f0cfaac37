"""Inpaint and remove editors through their real loaders, with tiny generated models.

- inpaint: a tiny SD inpainting pipeline (9-channel UNet, 32/64 wide, 64 px native) saved like the hub
  repo and pointed at with FACET_MODEL_INPAINT; a tiny random LoRA stands in for LCM-LoRA
  (FACET_MODEL_INPAINT_FAST).
- remove: OpenCV Telea on request on a real photo (the rocket in skimage's rocket photo; the offline
  default, PatchMatch, is tested in tests/test_fill.py), and a tiny ONNX graph
  with LaMa's inputs/outputs loaded through FACET_MODEL_LAMA.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.composite import affected_region, crop_box, signed_distance
from core.errors import BadInput, FacetError, ModelUnavailable
from core.models import ModelManager
from core.settings import Settings
from editors.diffusion import Cancelled, Variant
from editors.inpaint import InpaintEditor, auto_grow, context_box, model_dims
from editors.remove import RemoveEditor

STEPS = 3


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory) -> tuple[Path, Path]:
    from tests.tiny_models import make_tiny_inpaint, make_tiny_lcm_lora

    base = make_tiny_inpaint(tmp_path_factory.mktemp("tiny-inpaint"))
    lora = make_tiny_lcm_lora(tmp_path_factory.mktemp("tiny-lcm-lora"), base)
    return base, lora


@pytest.fixture(scope="module")
def editor(tiny_dirs) -> InpaintEditor:
    """One editor (and manager) for the module: the pipeline loads once, like in the app."""
    base, lora = tiny_dirs
    mp = pytest.MonkeyPatch()
    mp.setenv("FACET_MODEL_INPAINT", str(base))
    mp.setenv("FACET_MODEL_INPAINT_FAST", str(lora))
    manager = ModelManager(Settings(), online=False)
    yield InpaintEditor(manager)
    mp.undo()


@pytest.fixture(scope="module")
def photo() -> tuple[np.ndarray, np.ndarray]:
    """A 96x128 gradient photo with a blob-shaped selection."""
    h, w = 96, 128
    ys, xs = np.mgrid[0:h, 0:w]
    img = np.stack([xs * 2, ys * 2, (xs + ys)], -1).clip(0, 255).astype(np.uint8)
    mask = ((xs - 60) ** 2 / 20**2 + (ys - 45) ** 2 / 14**2) < 1
    return img, mask


def params(**kw):
    p = {"prompt": "a red hat", "steps": STEPS, "feather": 2.0, "grow": 2.0}
    p.update(kw)
    return p


def outside(mask: np.ndarray, grow: float, feather: float) -> np.ndarray:
    grown = signed_distance(mask) > -grow if grow > 0 else mask
    return ~affected_region(grown, feather)


# --------------------------------------------------------------------------- inpaint


def test_variants_seeds_and_untouched_pixels(editor, photo):
    img, mask = photo
    out = editor.generate(img, mask, params(variants=3), seed=7)
    assert [v.seed for v in out] == [7, 8, 9]
    for v in out:
        assert isinstance(v, Variant) and v.image.shape == img.shape and v.image.dtype == np.uint8
        assert v.model.startswith("local:") and v.seconds > 0
    keep = outside(mask, 2.0, 2.0)
    for v in out:
        assert np.array_equal(v.image[keep], img[keep])  # bit-identical outside mask + grow + feather
        assert np.abs(v.image[mask].astype(int) - img[mask]).mean() > 5  # the inside really changed
    assert not np.array_equal(out[0].image, out[1].image)
    # determinism: variant i equals a single run with its seed
    again = editor.generate(img, mask, params(), seed=8)
    assert np.array_equal(again[0].image, out[1].image)
    assert np.array_equal(editor.apply(img, mask, params(), seed=7), out[0].image)


def test_progress_once_per_step_and_cancel(editor, photo):
    img, mask = photo
    calls: list[tuple[int, int]] = []
    editor.generate(img, mask, params(variants=2), seed=1, progress=lambda s, t: calls.append((s, t)))
    assert calls == [(i, 2 * STEPS) for i in range(1, 2 * STEPS + 1)]

    cancel = threading.Event()
    seen: list[int] = []

    def progress(step, total):
        seen.append(step)
        if step == 2:
            cancel.set()

    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        editor.generate(img, mask, params(steps=10), seed=1, progress=progress, cancel=cancel)
    assert seen == [1, 2] and time.perf_counter() - t0 < 5
    assert issubclass(Cancelled, FacetError)
    # the pipeline is usable after a cancelled run
    assert len(editor.generate(img, mask, params(), seed=1)) == 1


def test_fast_mode_shares_weights_and_leaves_base_intact(editor, photo, tiny_dirs):
    from safetensors.numpy import load_file

    lora = load_file(tiny_dirs[1] / "pytorch_lora_weights.safetensors")
    assert any("lora_B" in k or "lora.up" in k for k in lora) and max(np.abs(v).max() for v in lora.values()) > 0
    img, mask = photo
    before = editor.generate(img, mask, params(), seed=3)[0].image
    calls = []
    fast = editor.generate(img, mask, params(fast=True, steps=0), seed=3, progress=lambda s, t: calls.append(s))
    assert len(calls) == 2 and "lcm-lora" in fast[0].model  # automatic fast steps on a CPU
    from editors.diffusion import base_pipeline, fast_pipeline

    base, lcm = base_pipeline(editor.manager), fast_pipeline(editor.manager)
    assert lcm.unet is base.unet and lcm.vae is base.vae and type(lcm.scheduler).__name__ == "LCMScheduler"
    assert not np.array_equal(fast[0].image, before)
    # the LoRA really acts: the LCM pipeline with its layers on differs from the same pipeline with them off
    from editors.diffusion import Call, run_inpaint

    x, m = np.full((64, 64, 3), 90, np.uint8), np.zeros((64, 64), bool)
    m[16:48, 16:48] = True
    call = Call("a red hat", "", 1.0, 1.0, 2)
    with editor.manager.lock("inpaint"):
        on, off = (run_inpaint(lcm, x, m, call, 0, fast=f) for f in (True, False))
    assert not np.array_equal(on, off)
    # the LoRA layers are switched off again for normal runs
    assert np.array_equal(editor.generate(img, mask, params(), seed=3)[0].image, before)


def test_fast_mode_uses_taesd_when_its_weights_are_here(tiny_dirs, photo, tmp_path, monkeypatch):
    """With ``preview_vae`` weights the fast pipeline encodes/decodes with TAESD; the base keeps its full VAE."""
    from tests.tiny_models import make_tiny_taesd

    base, lora = tiny_dirs
    monkeypatch.setenv("FACET_MODEL_INPAINT", str(base))
    monkeypatch.setenv("FACET_MODEL_INPAINT_FAST", str(lora))
    monkeypatch.setenv("FACET_MODEL_PREVIEW_VAE", str(make_tiny_taesd(tmp_path / "taesd")))
    ed = InpaintEditor(ModelManager(Settings(), online=False))
    img, mask = photo
    calls = []
    fast = ed.generate(img, mask, params(fast=True, steps=2), seed=5, progress=lambda s, t: calls.append(s))
    assert calls == [1, 2] and "+taesd(" in fast[0].model
    from editors.diffusion import base_pipeline, fast_pipeline

    b, lcm = base_pipeline(ed.manager), fast_pipeline(ed.manager)
    assert type(lcm.vae).__name__ == "AutoencoderTiny" and type(b.vae).__name__ == "AutoencoderKL"
    assert lcm.unet is b.unet
    again = ed.generate(img, mask, params(fast=True, steps=2), seed=5)[0]
    assert np.array_equal(again.image, fast[0].image)  # reproducible by seed
    grow, feather = 2.0, 2.0
    assert np.array_equal(fast[0].image[outside(mask, grow, feather)], img[outside(mask, grow, feather)])
    assert "taesd" not in ed.generate(img, mask, params(), seed=5)[0].model  # base runs keep the full VAE


def test_restyle_strength(editor, photo):
    img, mask = photo
    calls = []
    out = editor.generate(img, mask, params(strength=0.5, steps=4), seed=0, progress=lambda s, t: calls.append(t))
    assert calls == [2, 2] and out[0].image.shape == img.shape
    with pytest.raises(BadInput, match="no denoising step"):
        editor.generate(img, mask, params(strength=0.1, steps=4))


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": "   "}, "prompt is empty"),
        ({"prompt": "x" * 10_000}, "at most 1000"),
        ({"variants": 5}, "variants"),
        ({"steps": 101}, "steps"),
        ({"guidance": 25}, "guidance"),
    ],
)
def test_bad_params(editor, photo, kw, match):
    img, mask = photo
    with pytest.raises(BadInput, match=match):
        editor.generate(img, mask, params(**kw))


def test_bad_masks(editor, photo):
    img, _ = photo
    with pytest.raises(BadInput, match="empty"):
        editor.generate(img, np.zeros(img.shape[:2], bool), params())
    whole = np.ones(img.shape[:2], bool)
    whole[:1, :1] = False
    with pytest.raises(BadInput, match="covers 100% of the photo"):
        editor.generate(img, whole, params())
    prompt_missing = {"steps": 2}
    with pytest.raises(BadInput, match="prompt"):
        editor.generate(img, photo[1], prompt_missing)


def test_no_weights_is_model_unavailable(monkeypatch, tmp_path, photo):
    monkeypatch.delenv("FACET_MODEL_INPAINT", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    manager = ModelManager(Settings(), online=False)
    ed = InpaintEditor(manager)
    assert not ed.available()
    with pytest.raises(ModelUnavailable, match="python app.py --prefetch") as info:
        ed.generate(*photo, params())
    assert "offline mode is on" in str(info.value) and "no offline replacement" in str(info.value)


def test_geometry_helpers():
    assert model_dims(1000, 500, 512) == (512, 256)
    assert model_dims(333, 999, 512) == (168, 512)
    assert model_dims(4000, 10, 512) == (512, 64)  # slivers are padded up, not fed at 8 px
    mask = np.zeros((400, 600), bool)
    mask[100:110, 100:300] = True
    box = context_box(mask, 10)
    assert (box[3] - box[1]) >= 0.5 * (box[2] - box[0]) and crop_box(mask, 10)[0] == box[0]
    assert auto_grow((0, 0, 1000, 10), -1) == 10.0 and auto_grow((0, 0, 10, 10), 3) == 3.0


# --------------------------------------------------------------------------- remove


@pytest.fixture(scope="module")
def rocket() -> tuple[np.ndarray, np.ndarray]:
    """skimage's rocket photo (427x640) and a mask of the rocket + tower against the sky (a box)."""
    from skimage import data

    img = data.rocket()
    mask = np.zeros(img.shape[:2], bool)
    mask[120:400, 280:340] = True  # the rocket on its pad
    return img, mask


def test_remove_offline_telea_on_a_real_photo(monkeypatch, tmp_path, rocket):
    monkeypatch.delenv("FACET_MODEL_LAMA", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    ed = RemoveEditor(ModelManager(Settings(), online=False))
    assert not ed.available() and ed.backend == "PatchMatch fill (offline)"  # offline default (tests/test_fill.py)
    img, mask = rocket
    (v,) = ed.generate(img, mask, {"method": "telea", "grow": 3, "feather": 2}, seed=5)
    assert v.model == "opencv-telea" and "classical" in v.backend and v.seed == 5
    keep = outside(mask, 3, 2)
    assert np.array_equal(v.image[keep], img[keep])
    # inside now looks like the surroundings: its mean colour moved toward the ring around the mask
    ring = (signed_distance(mask) < -4) & (signed_distance(mask) > -20)
    before = np.abs(img[mask].mean(0) - img[ring].mean(0)).sum()
    after = np.abs(v.image[mask].mean(0) - img[ring].mean(0)).sum()
    assert after < 0.5 * before
    ns = ed.apply(img, mask, {"method": "ns", "grow": 3, "feather": 2})
    assert np.array_equal(ns[keep], img[keep])
    with pytest.raises(ModelUnavailable, match="telea"):
        ed.generate(img, mask, {"method": "lama"})


def _tiny_lama(path: Path) -> Path:
    """An ONNX graph with LaMa's interface: out = 255 * (image * (1 - mask) + 0.5 * mask), [1,3,512,512]."""
    import onnx
    from onnx import TensorProto, helper

    img = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 512, 512])
    msk = helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 512, 512])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 512, 512])
    consts = [
        helper.make_node("Constant", [], ["one"], value=helper.make_tensor("c1", TensorProto.FLOAT, [], [1.0])),
        helper.make_node("Constant", [], ["half"], value=helper.make_tensor("c2", TensorProto.FLOAT, [], [0.5])),
        helper.make_node("Constant", [], ["s"], value=helper.make_tensor("c3", TensorProto.FLOAT, [], [255.0])),
    ]
    nodes = consts + [
        helper.make_node("Sub", ["one", "mask"], ["keep"]),
        helper.make_node("Mul", ["image", "keep"], ["kept"]),
        helper.make_node("Mul", ["mask", "half"], ["grey"]),
        helper.make_node("Add", ["kept", "grey"], ["mix"]),
        helper.make_node("Mul", ["mix", "s"], ["output"]),
    ]
    graph = helper.make_graph(nodes, "tiny-lama", [img, msk], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path / "lama_fp32.onnx")
    return path


def test_remove_lama_onnx_through_the_real_loader(monkeypatch, tmp_path, rocket):
    monkeypatch.setenv("FACET_MODEL_LAMA", str(_tiny_lama(tmp_path / "lama")))
    ed = RemoveEditor(ModelManager(Settings(), online=False))
    assert ed.available() and ed.backend.startswith("LaMa")
    img, mask = rocket
    (v,) = ed.generate(img, mask, {"grow": 3, "feather": 2})
    assert v.model.startswith("local:") and v.backend.startswith("LaMa")
    keep = outside(mask, 3, 2)
    assert np.array_equal(v.image[keep], img[keep])
    inner = signed_distance(mask) > 6  # well inside: the tiny graph's mid-grey
    assert np.abs(v.image[inner].astype(int) - 128).max() <= 2
    assert ed.manager.loaded("lama")
