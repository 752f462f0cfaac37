"""The real-weights tier: each role's real model through the app's code on a real photo.

Runs only where the role's real weights resolve from the huggingface_hub cache (``python app.py
--prefetch`` on a machine with network puts them there); elsewhere each test is skipped with the reason
printed (pytest's ``-ra``). Run it with::

    python app.py --prefetch && python -m pytest -m weights -ra tests/test_weights.py

Ground truth is drawn by hand on the photos (coordinates below, from looking at each photo with a grid).
"""

from __future__ import annotations

import numpy as np
import pytest

from core.models import ModelManager
from core.settings import Settings
from tests import photos

pytestmark = pytest.mark.weights


def manager_with(*roles: str) -> ModelManager:
    """An offline manager; the test is skipped (reason printed) unless every role's weights are here."""
    m = ModelManager(Settings(), online=False)
    for role in roles:
        spec = m.role(role)
        if m.cached_path(role) is None:
            pytest.skip(
                f"real weights for '{role}' ({spec.repo}@{spec.revision[:8]}) are not in the "
                "huggingface_hub cache: run `python app.py --prefetch` with network first"
            )
        if not m.ready(role):  # present but failing its hash check: say so, do not pass silently
            pytest.fail(f"weights for '{role}' are present but unusable: {m.failures()[role]}")
    return m


def ellipse(shape: tuple[int, int], cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


# coffee (skimage, 600x400): the crema inside the cup is an ellipse, centre (288, 148), radii (85, 48);
# the spoon's bowl, centre (366, 286), radii (40, 40)
CREMA = (288, 148, 85, 48)
SPOON = (366, 286, 42, 42)


@pytest.mark.parametrize("role", ["sam2", "sam"])
def test_sam_click_on_the_crema_gives_a_tight_mask(role):
    from studio.services import click_segmenter_name
    from core.types import ClickPrompt, Photo, Point
    from segmenters import SEGMENTERS

    m = manager_with(role)
    rgb = photos.load("coffee")
    photo = Photo(pixels=rgb, name="coffee")
    seg = SEGMENTERS.build(click_segmenter_name(m, role), m, role)
    res = seg.segment(photo, seg.prepare(photo), ClickPrompt(points=(Point(288, 150),)), None)
    truth = ellipse(rgb.shape[:2], *CREMA)
    assert iou(res.mask, truth) >= 0.75, iou(res.mask, truth)


def test_scene_parser_labels_the_sky_of_a_landscape():
    from core.types import Photo
    from segmenters.parsing import parse_report

    m = manager_with("scene")
    rgb = photos.load("china")  # 640x427: sky above the lake, a temple on the left, trees on the right
    report = parse_report(Photo(pixels=rgb, name="china"), m, ["scene"])
    sky = {s.label: s for s in report.segments}["sky"].mask
    assert sky[10:150, 340:540].mean() >= 0.9  # open sky
    assert sky[170:300, 120:300].mean() <= 0.05  # the temple
    assert sky[200:400, 580:630].mean() <= 0.05  # the tree on the right


def test_inpainting_changes_only_the_selection():
    from editors.inpaint import InpaintEditor

    m = manager_with("inpaint")
    rgb = photos.load("coffee")
    mask = ellipse(rgb.shape[:2], *CREMA)
    out = (
        InpaintEditor(m)
        .generate(rgb, mask, {"prompt": "a cup of black tea", "steps": 8, "variants": 1, "feather": 2}, 0)[0]
        .image
    )
    far = ~ellipse(rgb.shape[:2], CREMA[0], CREMA[1], CREMA[2] + 12, CREMA[3] + 12)
    assert np.array_equal(out[far], rgb[far])  # outside the selection and its feather: bit-identical
    inside = ellipse(rgb.shape[:2], CREMA[0], CREMA[1], CREMA[2] - 10, CREMA[3] - 10)
    assert np.abs(out[inside].astype(int) - rgb[inside].astype(int)).mean() > 10  # it did change


def test_inswapper_changes_identity_by_arcface():
    from faces import detect, insight

    m = manager_with("face_analysis", "inswapper")
    target = photos.load("tom_hanks")
    source = photos.load("astronaut")
    t_face = detect.find_faces(target, m, backend="full", mesh=False)[0]
    s_face = detect.find_faces(source, m, backend="full", mesh=False)[0]
    latent = s_face.embedding / np.linalg.norm(s_face.embedding)
    fake, cover = insight.inswap(m, target, t_face, latent)
    swapped = np.where(cover[..., None], fake, target)
    emb = insight.analysis_models(m).embed(swapped, t_face)

    def cos(a, b):
        return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))

    assert cos(emb, s_face.embedding) > 0.4  # now looks like the source...
    assert cos(emb, s_face.embedding) > cos(emb, t_face.embedding) + 0.2  # ...more than like the target


def test_lama_fills_a_removed_object():
    from editors.remove import RemoveEditor

    m = manager_with("lama")
    rgb = photos.load("coffee")
    mask = ellipse(rgb.shape[:2], *SPOON)
    v = RemoveEditor(m).generate(rgb, mask, {"method": "lama"}, 0)[0]
    out = v.image
    assert "LaMa" in v.backend
    bowl = ellipse(rgb.shape[:2], SPOON[0], SPOON[1], 25, 25)
    ring = ellipse(rgb.shape[:2], SPOON[0], SPOON[1], 70, 70) & ~ellipse(rgb.shape[:2], SPOON[0], SPOON[1], 50, 50)
    saucer = np.median(rgb[ring].astype(float), axis=0)
    # the silver bowl is gone: the fill looks like the saucer around it, not like the spoon
    assert np.linalg.norm(np.median(out[bowl].astype(float), axis=0) - saucer) < 45
    assert np.linalg.norm(np.median(rgb[bowl].astype(float), axis=0) - saucer) > 60
    far = ~ellipse(rgb.shape[:2], SPOON[0], SPOON[1], 120, 120)
    assert np.array_equal(out[far], rgb[far])
