"""Generation in a user's session: variants with seeds, picking one as a layer, cancel, and remove offline."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.errors import BadInput, ModelUnavailable
from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import INCLUDE, EditorSession
from core.settings import Settings
from editors.diffusion import Cancelled


@pytest.fixture(scope="module")
def tiny_inpaint(tmp_path_factory):
    from tests.tiny_models import make_tiny_inpaint

    return make_tiny_inpaint(tmp_path_factory.mktemp("tiny-inpaint"))


def _session(astronaut_path, services):
    s = EditorSession()
    s.load(load_photo(astronaut_path), services, parse=False)
    s.click(225, 130, INCLUDE, services)  # the face
    return s


def test_generate_variants_then_apply_one(monkeypatch, tiny_inpaint, astronaut_path):
    monkeypatch.setenv("FACET_MODEL_INPAINT", str(tiny_inpaint))
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = _session(astronaut_path, services)
    steps = []
    found = s.generate(
        "inpaint",
        {"prompt": "a smiling face", "variants": 2, "steps": 3},
        11,
        services,
        progress=lambda i, n: steps.append((i, n)),
    )
    assert [v.seed for v in found] == [11, 12] and len(steps) == 6
    assert all(v.image.shape == (512, 512, 3) for v in found)
    layer = s.apply_variant(1)
    assert layer.seed == 12 and layer.editor == "inpaint" and "seed 12" in s.status
    original = s.photo.pixels
    result = np.asarray(s.result())
    from studio.layers import grow_shrink

    far = ~grow_shrink(s.segment().mask, 40)
    assert far.sum() > 0.5 * far.size
    assert np.array_equal(result[far], original[far]), "pixels far from the selection are untouched"
    assert not np.array_equal(result[s.segment().mask], original[s.segment().mask])
    with pytest.raises(BadInput, match="changed since"):
        s.undo_edit()
        s.apply_edit("recolour", {"target": "#00ff00"}, 0, services)
        s.apply_variant(0)


def test_cancel_stops_generation(monkeypatch, tiny_inpaint, astronaut_path):
    monkeypatch.setenv("FACET_MODEL_INPAINT", str(tiny_inpaint))
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = _session(astronaut_path, services)
    cancel = threading.Event()
    seen = []

    def progress(i, n):
        seen.append(i)
        if i == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        s.generate("inpaint", {"prompt": "a hat", "steps": 10}, 0, services, progress=progress, cancel=cancel)
    assert seen == [1, 2] and s.layers.layers == []


def test_offline_generation_is_unavailable_but_remove_works(astronaut_path):
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    assert "inpaint" in services.degraded and "generation" in services.banner()
    s = _session(astronaut_path, services)
    with pytest.raises(ModelUnavailable, match="--prefetch"):
        s.generate("inpaint", {"prompt": "a hat"}, 0, services)
    s.new_segment("patch")
    s.click(165, 380, INCLUDE, services)  # the round mission patch on the suit
    found = s.generate("remove", {}, 0, services)
    assert found[0].backend == "PatchMatch fill (offline)"
    s.apply_variant(0)
    assert s.layers.layers[0].editor == "remove"
    assert "PatchMatch fill (offline)" in s.status  # the status names the method
