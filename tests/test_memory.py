"""Big photos never crash and never blow memory (issue 13, part 1).

- ``core.budget.work_size`` keeps its caps after rounding (the texture editor once recursed without end when
  rounding pushed its working size back over WORK_PIXELS), checked by hypothesis over sizes 0.1..64 MP;
- every editor in the registry (iterated, not listed), over random crops of 0.1..64 MP: its planned working
  arrays respect its cap, and its memory estimate either fits the budget or the guard refuses the edit
  with a clear message before any work (cheap: no 64 MP image is made);
- real runs at modest sizes with the caps lowered, so the shrink-and-upscale paths run fast, spying on the
  Lab conversions to see the sizes the work really ran at; the old recursion case as a regression;
- the budget: refused before the editor runs (session and through the running app), concurrent reservations.

Peak RSS at 12 / 24 / 48 MP is measured by bench/memory_bench.py (bench/results/memory.json), not here.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.budget import (
    MemoryBudget,
    MemoryRefused,
    budget_for,
    estimate,
    fits,
    guarded,
    work_size,
)
from core.errors import BadInput
from core.settings import Settings
from editors import EDITORS
from editors.base import CropEditor, validate_params

MP = 1_000_000
DEFAULT_BUDGET = Settings().memory_budget_mb * 2**20


def crop_sizes(min_mp: float = 0.1, max_mp: float = 64.0):
    """(h, w) with h * w between min_mp and max_mp megapixels and aspect ratios from 1:20 to 20:1."""
    return st.tuples(st.floats(min_mp, max_mp, allow_subnormal=False), st.floats(-3.0, 3.0, allow_subnormal=False)).map(
        lambda t: (max(1, round((t[0] * MP / np.exp(t[1])) ** 0.5)), max(1, round((t[0] * MP * np.exp(t[1])) ** 0.5)))
    )


# -- working sizes --------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(size=crop_sizes(0.0001, 64.0), cap=st.integers(1, 8 * MP), side=st.none() | st.integers(1, 4096))
def test_work_size_keeps_its_caps_after_rounding(size, cap, side):
    h, w = size
    ww, wh = work_size(w, h, cap, side)
    assert ww >= 1 and wh >= 1 and ww <= w and wh <= h
    assert ww * wh <= cap or (ww == 1 and wh == 1)
    assert side is None or max(ww, wh) <= side
    assert fits(ww, wh, cap, side) or (ww == 1 and wh == 1)
    assert work_size(ww, wh, cap, side) == (ww, wh)  # a second pass changes nothing: no retry loop can spin
    if fits(w, h, cap, side):
        assert (ww, wh) == (w, h)
    elif min(ww, wh) > 2:  # the aspect is kept (within rounding)
        assert abs(ww / wh - w / h) <= (w / h) * (2.0 / min(ww, wh))


def test_the_texture_recursion_case_is_one_step():
    # 1581 x 1582 is 2,501,142 px: one more than WORK_PIXELS allows; rounding the old way kept the same size,
    # so the editor called itself again and again (RecursionError after tens of seconds)
    from editors.texture import WORK_PIXELS

    assert work_size(1581, 1582, WORK_PIXELS)[0] * work_size(1581, 1582, WORK_PIXELS)[1] <= WORK_PIXELS


def _defaults(editor) -> dict:
    return validate_params(editor.name, editor.params_schema, {})


def _mask_for(h: int, w: int, share: float) -> np.ndarray:
    """A cheap bool mask: a centred box covering about ``share`` of the image."""
    m = np.zeros((h, w), bool)
    bh, bw = max(1, round(h * share**0.5)), max(1, round(w * share**0.5))
    y0, x0 = (h - bh) // 2, (w - bw) // 2
    m[y0 : y0 + bh, x0 : x0 + bw] = True
    return m


@pytest.mark.parametrize("name", EDITORS.names())
def test_every_editor_plans_bounded_work_or_is_refused_before_it_starts(name):
    editor = EDITORS.build(name)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(size=crop_sizes(), share=st.floats(0.02, 1.0, allow_subnormal=False))
    def check(size, share):
        h, w = size
        if isinstance(editor, CropEditor):
            wh, ww = editor.work_shape(h, w, _defaults(editor))
            assert 1 <= wh and 1 <= ww
            cap = {"texture": 2_500_000, "cartoon": None, "style": None, "recolour": 2_000_000 + w}.get(name)
            if cap is not None:
                assert wh * ww <= cap, (name, h, w, wh, ww)
            if name in ("cartoon", "style"):
                assert max(wh, ww) <= max(2048, 32), (name, h, w, wh, ww)
        mask = _mask_for(h, w, share)
        need = estimate(editor, (h, w, 3), mask)
        assert 0 < need < 400 * h * w + 2**30, (name, h, w, need)  # finite, proportionate
        budget = MemoryBudget(Settings().memory_budget_mb, wait_s=0)
        if need <= budget.budget:
            with budget.reserve(need, name):
                assert budget.in_use == need
            assert budget.in_use == 0
        else:
            with (
                pytest.raises(MemoryRefused, match="FACET_MEMORY_BUDGET_MB.*select a smaller part"),
                budget.reserve(need, name),
            ):
                raise AssertionError("must not start")

    check()


def test_at_24_mp_every_editor_fits_the_default_budget():
    """The goal of issue 13: one edit of a large part of a 24 MP photo is never refused by default."""
    h, w = 4000, 6000
    mask = _mask_for(h, w, 0.6)
    for name in EDITORS.names():
        need = estimate(EDITORS.build(name), (h, w, 3), mask)
        assert need <= DEFAULT_BUDGET, (name, need / 2**20)


# -- real runs at modest sizes, caps lowered ---------------------------------------------------------------


def _photo(h: int, w: int, seed: int) -> np.ndarray:
    """A cheap photo-like image: smooth colour gradients plus a little noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / max(w, 1) * 200, yy / max(h, 1) * 180, (xx + yy) / max(h + w, 1) * 220], -1)
    return np.clip(base + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.fixture()
def low_caps(monkeypatch):
    """Caps lowered ~50x so the shrink paths run on small crops; the Lab conversions record their sizes."""
    from editors import cartoon, recolour, texture

    monkeypatch.setattr(texture, "WORK_PIXELS", 50_000)
    monkeypatch.setattr(recolour, "STRIP_PIXELS", 40_000)
    monkeypatch.setattr(cartoon, "WORK_SIDE", 200)
    seen: list[int] = []
    for mod in (texture, recolour):
        real = mod.rgb_to_lab

        def spy(rgb, real=real):
            seen.append(int(np.prod(rgb.shape[:2])))
            return real(rgb)

        monkeypatch.setattr(mod, "rgb_to_lab", spy)
    return seen


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=crop_sizes(0.03, 0.3), share=st.floats(0.05, 0.9, allow_subnormal=False), seed=st.integers(0, 3))
def test_texture_and_recolour_run_at_their_capped_sizes(low_caps, size, share, seed):
    h, w = size
    img, mask = _photo(h, w, seed), _mask_for(h, w, share)
    for name, params, cap in (
        ("texture", {"texture": "leopard", "scale": 0.2}, 50_000),  # small tiles
        ("recolour", {"target": "#c0262d"}, 40_000 + w),
    ):
        low_caps.clear()
        out = EDITORS.build(name).apply(img, mask, params, seed)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert (out[mask] != img[mask]).any()
        assert low_caps and max(low_caps) <= cap, (name, h, w, max(low_caps))  # every Lab copy within the cap


def test_texture_just_over_the_cap_finishes(low_caps):
    """The recursion regression at the lowered cap: crops one pixel over WORK_PIXELS, odd aspects."""
    for h, w in ((224, 224), (223, 225), (100, 501), (501, 100), (7, 7200)):
        img, mask = _photo(h, w, 0), np.ones((h, w), bool)
        out = EDITORS.build("texture").apply(img, mask, {"texture": "denim"}, 0)
        assert out.shape == img.shape


def test_cartoon_works_at_its_side_cap(low_caps, monkeypatch):
    from editors import cartoon

    sizes = []
    real = cartoon.cv2.bilateralFilter

    def spy(src, *a, **k):
        sizes.append(src.shape[:2])
        return real(src, *a, **k)

    monkeypatch.setattr(cartoon.cv2, "bilateralFilter", spy)
    img, mask = _photo(300, 700, 1), _mask_for(300, 700, 0.5)
    out = EDITORS.build("cartoon").apply(img, mask, {}, 0)
    assert out.shape == img.shape and sizes and max(max(s) for s in sizes) <= 200


# -- the budget ------------------------------------------------------------------------------------------------


def _session_with(h: int, w: int):
    from core.models import ModelManager
    from studio.services import build_services
    from studio.session import EditorSession
    from core.types import Photo

    photo = Photo(_photo(h, w, 0), name="p")
    return EditorSession(photo=photo), lambda **kw: build_services(Settings(**kw), ModelManager(online=False))


def test_a_too_big_edit_is_refused_before_the_editor_runs(monkeypatch):
    from editors.texture import TextureEditor

    ran = []
    monkeypatch.setattr(TextureEditor, "process", lambda *a, **k: ran.append(1))
    s, services = _session_with(600, 800)
    mask = _mask_for(600, 800, 0.5)
    with pytest.raises(
        MemoryRefused,
        match=r"texture edit on 800x600 px would need about .* more than this "
        r"server allows .*FACET_MEMORY_BUDGET_MB",
    ):
        s.apply_edit("texture", {}, 0, services(memory_budget_mb=50), mask=mask, label="part")
    assert not ran and not s.layers.layers
    assert isinstance(MemoryRefused("x"), BadInput)  # a user-facing message in the UI, the API and the CLI


def test_concurrent_edits_share_the_budget():
    budget = MemoryBudget(100, wait_s=0.2)
    held = threading.Event()
    release = threading.Event()

    def first():
        with budget.reserve(80 * 2**20, "first"):
            held.set()
            release.wait(5)

    t = threading.Thread(target=first)
    t.start()
    held.wait(5)
    t0 = time.monotonic()
    with pytest.raises(MemoryRefused, match="busy with other large edits"), budget.reserve(40 * 2**20, "second"):
        pass
    assert time.monotonic() - t0 >= 0.15  # it waited before refusing
    release.set()
    t.join()
    with budget.reserve(40 * 2**20, "third"):  # free again
        assert budget.in_use == 40 * 2**20
    assert budget.in_use == 0


def test_budget_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("FACET_MEMORY_BUDGET_MB", "123")
    s = Settings.from_env()
    assert s.memory_budget_mb == 123.0 and budget_for(s).budget == 123 * 2**20
    assert budget_for(Settings(memory_budget_mb=0)).budget == 0  # 0: no limit
    with guarded(
        EDITORS.build("recolour"), (10000, 10000, 3), np.ones((10, 10), bool), Settings(memory_budget_mb=0)
    ) as need:
        assert need > 0


def test_the_app_refuses_a_too_big_edit_with_the_message_and_keeps_serving(tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    from tests.conftest import launch_app

    demo, url = launch_app(memory_budget_mb=20)
    try:
        path = tmp_path / "big.png"
        Image.fromarray(_photo(1200, 1600, 2)).save(path)
        client = Client(url, verbose=False)
        client.predict(handle_file(str(path)), api_name="/upload")
        client.predict(800, 600, "box", api_name="/click")
        client.predict(1500, 1100, "box", api_name="/click")
        with pytest.raises(Exception, match="FACET_MEMORY_BUDGET_MB"):
            client.predict("recolour", '{"target": "#2050d0"}', 0, api_name="/edit")
        assert client.predict(api_name="/variants")  # the session still answers
    finally:
        demo.close()
