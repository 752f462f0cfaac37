"""SAM 2.1 (the default click model) through the real loader: a tiny random Sam2Model via FACET_MODEL_SAM2."""

from __future__ import annotations

import numpy as np
import pytest

from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import BOX, EXCLUDE, INCLUDE, EditorSession
from core.settings import Settings
from core.types import ClickPrompt, Point


@pytest.fixture(scope="module")
def tiny_sam2_dir(tmp_path_factory):
    from tests.tiny_models import make_tiny_sam2

    return make_tiny_sam2(tmp_path_factory.mktemp("sam2"))


@pytest.fixture()
def sam2_services(monkeypatch, tiny_sam2_dir):
    monkeypatch.setenv("FACET_MODEL_SAM2", str(tiny_sam2_dir))
    monkeypatch.delenv("FACET_MODEL_SAM", raising=False)
    return build_services(Settings(), ModelManager(Settings(), online=False))


def test_sam2_is_the_default_click_model(sam2_services):
    assert sam2_services.click.name == "sam2" and sam2_services.click_role == "sam2"
    assert sam2_services.click.label.startswith("SAM 2.1") and sam2_services.banner().count("sam2") == 0
    rows = {r["role"]: r for r in sam2_services.models_status()}
    assert rows["sam2"]["in_use"] == "in use" and rows["sam"]["in_use"].startswith("not used")


def test_sam1_stays_an_option(monkeypatch, tiny_sam2_dir, tiny_sam_dir):
    monkeypatch.setenv("FACET_MODEL_SAM2", str(tiny_sam2_dir))
    monkeypatch.setenv("FACET_MODEL_SAM", str(tiny_sam_dir))
    s = build_services(Settings(click_model="sam1"), ModelManager(Settings(), online=False))
    assert s.click.name == "sam" and s.click_role == "sam"
    monkeypatch.delenv("FACET_MODEL_SAM2")  # only SAM 1 here: it is used without being asked for
    s = build_services(Settings(), ModelManager(Settings(), online=False))
    assert s.click.name == "sam" and s.click_role == "sam"


def test_masks_have_the_photo_size_and_are_deterministic(sam2_services, china_path):
    photo = load_photo(china_path)  # not square: points are scaled per axis
    sam = sam2_services.click
    prompt = ClickPrompt(points=(Point(300, 40), Point(100, 400, False)))
    a = sam.segment(photo, sam.prepare(photo), prompt, None)
    b = sam.segment(photo, sam.prepare(photo), prompt, None)
    assert a.mask.shape == (photo.height, photo.width) and a.mask.dtype == bool
    assert np.array_equal(a.mask, b.mask) and a.score == pytest.approx(b.score)
    boxed = sam.segment(photo, sam.prepare(photo), ClickPrompt(box=(50, 20, 400, 200)), a)
    assert boxed.mask.shape == (photo.height, photo.width)


def test_one_embedding_per_photo_and_decoder_only_clicks(sam2_services, astronaut_path):
    model = sam2_services.click._model().model
    calls = {"embed": 0, "decode": 0}
    real_embed, real_forward = model.get_image_embeddings, model.forward

    def counting_embed(*a, **k):
        calls["embed"] += 1
        return real_embed(*a, **k)

    def counting_forward(*a, **k):
        calls["decode"] += 1
        assert k.get("pixel_values") is None and k["image_embeddings"] is not None
        return real_forward(*a, **k)

    model.get_image_embeddings, model.forward = counting_embed, counting_forward
    try:
        s = EditorSession()
        s.load(load_photo(astronaut_path), sam2_services)
        s.click(100, 330, INCLUDE, sam2_services)
        s.click(320, 330, INCLUDE, sam2_services)
        s.click(225, 120, EXCLUDE, sam2_services)
        s.click(10, 10, BOX, sam2_services)
        s.click(500, 500, BOX, sam2_services)
    finally:
        del model.get_image_embeddings, model.forward
    assert calls == {"embed": 1, "decode": 4}
    seg = s.segment()
    assert seg.last.state is not None and seg.last.state.shape[:2] == (1, 1) and "SAM 2.1" in s.status
