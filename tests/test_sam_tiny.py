"""SAM through the real loader: a tiny random SamModel injected with FACET_MODEL_SAM."""

from __future__ import annotations

import numpy as np
import pytest

from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import BOX, EXCLUDE, INCLUDE, EditorSession
from core.settings import Settings
from core.types import ClickPrompt, Point


@pytest.fixture()
def sam_services(monkeypatch, tiny_sam_dir):
    monkeypatch.setenv("FACET_MODEL_SAM", str(tiny_sam_dir))
    return build_services(Settings(), ModelManager(Settings(), online=False))


def test_services_pick_sam_when_weights_are_present(sam_services):
    assert sam_services.click.name == "sam" and sam_services.click_role == "sam"
    assert "sam" not in sam_services.degraded and "replaces SAM" not in sam_services.banner()
    row = {r["role"]: r for r in sam_services.models_status()}["sam"]
    assert row["in_use"] == "in use" and "FACET_MODEL_SAM" in row["source"]


def test_masks_have_the_photo_size_and_are_deterministic(sam_services, astronaut_path):
    photo = load_photo(astronaut_path)
    sam = sam_services.click
    prepared = sam.prepare(photo)
    prompt = ClickPrompt(points=(Point(100, 330), Point(400, 60, False)))
    a = sam.segment(photo, prepared, prompt, None)
    b = sam.segment(photo, sam.prepare(photo), prompt, None)
    assert a.mask.shape == (512, 512) and a.mask.dtype == bool
    assert np.array_equal(a.mask, b.mask) and a.score == pytest.approx(b.score)
    assert a.backend.startswith("SAM") and a.state.shape == (1, 1, 256, 256)
    boxed = sam.segment(photo, prepared, ClickPrompt(box=(50, 250, 300, 500)), None)
    assert boxed.mask.shape == (512, 512)


def test_non_square_photo_keeps_its_size(sam_services, china_path):
    photo = load_photo(china_path)
    res = sam_services.click.segment(
        photo, sam_services.click.prepare(photo), ClickPrompt(points=(Point(300, 40),)), None
    )
    assert res.mask.shape == (photo.height, photo.width)


def test_embedding_is_computed_once_for_many_clicks(sam_services, astronaut_path, monkeypatch):
    model = sam_services.click._model().model
    calls = {"embed": 0, "decode": 0}
    real_embed, real_forward = model.get_image_embeddings, model.forward

    def counting_embed(*a, **k):
        calls["embed"] += 1
        return real_embed(*a, **k)

    def counting_forward(*a, **k):
        calls["decode"] += 1
        assert k.get("pixel_values") is None and k["image_embeddings"] is not None
        return real_forward(*a, **k)

    monkeypatch.setattr(model, "get_image_embeddings", counting_embed)
    monkeypatch.setattr(model, "forward", counting_forward)
    s = EditorSession()
    s.load(load_photo(astronaut_path), sam_services)
    s.click(100, 330, INCLUDE, sam_services)
    s.click(320, 330, INCLUDE, sam_services)
    s.click(225, 120, EXCLUDE, sam_services)
    s.click(10, 10, BOX, sam_services)
    s.click(500, 500, BOX, sam_services)
    assert calls == {"embed": 1, "decode": 4}
    seg = s.segment()
    assert len(seg.prompt.points) == 3 and seg.prompt.box is not None
    assert seg.last.state is not None and "SAM" in s.status


def test_previous_logits_are_fed_back(sam_services, astronaut_path):
    photo = load_photo(astronaut_path)
    sam = sam_services.click
    prepared = sam.prepare(photo)
    prompt = ClickPrompt(points=(Point(100, 330),))
    first = sam.segment(photo, prepared, prompt, None)
    again = sam.segment(photo, prepared, prompt, first)
    fresh = sam.segment(photo, prepared, prompt, None)
    assert np.array_equal(first.mask, fresh.mask)
    assert not np.allclose(first.state.numpy(), again.state.numpy()), "mask prompt changed the decoder's answer"
