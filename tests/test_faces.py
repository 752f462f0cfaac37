"""Faces: detection on real photos, face swap and anonymize (offline paths measured with dlib), tiny insightface.

Measures (see segmenters/face_identity.py): identity = dlib 128-D descriptor distance (same person < 0.6);
expression = mean movement of the 468 face-mesh points between the original and the result, as a fraction
of the face size (must stay < 3 %); recall on photos assembled from the real ones.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from core.errors import BadInput
from segmenters import face_identity as fi

pytest.importorskip("dlib", reason="dlib-bin + face-recognition-models measure identity")

SAME_PERSON = 0.6
MAX_SHIFT = 0.03


def load_real() -> dict[str, np.ndarray]:
    from pathlib import Path

    import matplotlib
    from PIL import Image
    from skimage import data

    hopper = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    return {"astronaut": data.astronaut(), "grace_hopper": np.array(Image.open(hopper).convert("RGB"))}


def assemble_group(photos: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """A 1280x720 'group photo' of the real photos tiled at several scales (one mirrored, one half hidden).

    Returns the photo and the expected face boxes (XYXY), from detections on the full-size originals.
    """
    canvas = np.full((720, 1280, 3), 200, np.uint8)
    layout = [("astronaut", 0.62, 0, 20, False), ("grace_hopper", 0.55, 330, 0, False),
              ("astronaut", 0.34, 640, 40, True), ("grace_hopper", 0.30, 840, 60, False),
              ("astronaut", 0.22, 1040, 80, False), ("grace_hopper", 0.45, 640, 380, False)]
    boxes = []
    for name, s, x, y, flip in layout:
        img = photos[name][:, ::-1] if flip else photos[name]
        f = fi.find_faces(np.ascontiguousarray(img), mesh=False)[0]
        small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        h, w = min(h, 720 - y), min(w, 1280 - x)
        canvas[y:y + h, x:x + w] = small[:h, :w]
        boxes.append(tuple(v * s + o for v, o in zip(f.box, (x, y, x, y))))
    # partly hidden: a bar over the lower half of the last face
    x0, y0, x1, y1 = (int(v) for v in boxes[-1])
    canvas[(y0 + y1) // 2 + 8:(y0 + y1) // 2 + 30, x0 - 10:x1 + 10] = (40, 60, 90)
    return canvas, boxes


def recall(found: list[fi.DetectedFace], expected: list[tuple[float, float, float, float]]) -> float:
    hit = 0
    for b in expected:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        hit += any(f.box[0] <= cx <= f.box[2] and f.box[1] <= cy <= f.box[3] for f in found)
    return hit / len(expected)


@pytest.fixture(scope="module")
def real() -> dict[str, np.ndarray]:
    return load_real()


@pytest.fixture(scope="module")
def faces(real) -> dict[str, list[fi.DetectedFace]]:
    return {k: fi.find_faces(v) for k, v in real.items()}


def test_one_face_with_mesh_on_each_portrait(faces):
    for name, fs in faces.items():
        assert len(fs) == 1, name
        assert fs[0].mesh is not None and fs[0].mesh.shape == (468, 2)
        assert fs[0].size > 80


def test_recall_on_an_assembled_group_photo(real):
    group, expected = assemble_group(real)
    found = fi.find_faces(group, mesh=False)
    assert recall(found, expected) >= 5 / 6
    assert len(found) <= len(expected) + 1  # few false positives
    numbered = fi.draw_face_numbers(group, found)
    assert numbered.shape == group.shape and (numbered != group).any()


def _outside_faces_identical(before, after, fs):
    allowed = np.zeros(before.shape[:2], bool)
    for f in fs:
        allowed |= cv2.dilate(fi.face_mask(before.shape, f).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    changed = (before != after).any(2)
    assert changed.any()
    assert not (changed & ~allowed).any()


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_anonymize_swap_removes_identity_keeps_expression(real, faces, name):
    from editors.anonymize import AnonymizeEditor

    img, f = real[name], faces[name][0]
    out = AnonymizeEditor().apply(img, None, {"method": "swap"}, seed=0)
    assert fi.identity_distance(img, f, out) > SAME_PERSON
    assert fi.landmark_shift(img, out, f) < MAX_SHIFT
    _outside_faces_identical(img, out, faces[name])


@pytest.mark.parametrize("method", ["blur", "pixelate", "solid"])
def test_anonymize_classic_methods_remove_identity(real, faces, method):
    from editors.anonymize import AnonymizeEditor

    img, f = real["astronaut"], faces["astronaut"][0]
    out = AnonymizeEditor().apply(img, None, {"method": method})
    assert fi.identity_distance(img, f, out) > SAME_PERSON
    _outside_faces_identical(img, out, faces["astronaut"])


def test_anonymize_every_face_of_the_group(real):
    """Every meshed face of the assembled group photo (the ~60 px one and the half-hidden one included) ends
    past dlib's same-person threshold: the editor checks each swap and retries / blurs a recognisable one."""
    from editors.anonymize import VERIFY_MARGIN, AnonymizeEditor

    group, expected = assemble_group(real)
    found = [f for f in fi.find_faces(group) if f.mesh is not None]
    assert len(found) >= 3
    editor = AnonymizeEditor()
    out = editor.apply(group, None, {"method": "swap"})
    report = {r["face"]: r for r in editor.last_report}
    for f in found:
        d = fi.identity_distance(group, f, out)
        assert d > SAME_PERSON, (f.index, d)
        assert report[f.index]["verified"] and report[f.index]["distance"] > VERIFY_MARGIN
    assert fi.landmark_shift(group, out, found[0]) < MAX_SHIFT


def test_faceswap_keeps_expression_and_outside(real, faces):
    from editors.faceswap import FaceSwapEditor

    img, f = real["astronaut"], faces["astronaut"][0]
    out = FaceSwapEditor().apply(img, None, {"target": "grace_hopper"})
    assert fi.landmark_shift(img, out, f) < MAX_SHIFT
    _outside_faces_identical(img, out, faces["astronaut"])
    # the selection limits the edit: a selection elsewhere finds no face to swap
    sel = np.zeros(img.shape[:2], bool)
    sel[400:, :100] = True
    with pytest.raises(BadInput, match="selection"):
        FaceSwapEditor().apply(img, sel, {"target": "grace_hopper"})


def test_bad_inputs(real, tmp_path):
    from skimage import data

    from editors.anonymize import AnonymizeEditor
    from editors.faceswap import FaceSwapEditor

    img = real["astronaut"]
    noface = tmp_path / "coffee.png"
    cv2.imwrite(str(noface), data.coffee()[..., ::-1])
    with pytest.raises(BadInput, match="no face found in the target"):
        FaceSwapEditor().apply(img, None, {"target": data.coffee()})  # an upload reaches the editor as an array
    with pytest.raises(BadInput, match="must be one of the built-in names.*file paths and URLs are not read"):
        FaceSwapEditor().apply(img, None, {"target": str(noface)})  # a path is never read
    with pytest.raises(BadInput, match="must be one of the built-in names"):
        FaceSwapEditor().apply(img, None, {"target": "nobody"})
    with pytest.raises(BadInput, match="no face 3"):
        FaceSwapEditor().apply(img, None, {"faces": "3"})
    with pytest.raises(BadInput, match="method"):
        AnonymizeEditor().apply(img, None, {"method": "erase"})
    with pytest.raises(BadInput, match="colour"):
        AnonymizeEditor().apply(img, None, {"method": "solid", "colour": "red"})
    with pytest.raises(BadInput, match="synthetic faces only"):
        AnonymizeEditor().apply(img, None, {"identity": "grace_hopper"})
    with pytest.raises(BadInput, match="no face found in this photo"):
        AnonymizeEditor().apply(data.coffee(), None, {})
    with pytest.raises(BadInput, match="full face backend"):
        FaceSwapEditor(_offline_manager()).apply(img, None, {"backend": "full"})


def _offline_manager():
    from core.models import ModelManager

    for k in ("FACET_MODEL_FACE_ANALYSIS", "FACET_MODEL_INSWAPPER"):
        os.environ.pop(k, None)
    return ModelManager(online=False)


# -- full backend through the real insightface loader, with tiny graphs -----------------------------------


@pytest.fixture()
def tiny_manager(tmp_path, monkeypatch):
    from core.models import ModelManager
    from tests.tiny_models import make_tiny_insightface

    fa, sw = make_tiny_insightface(tmp_path)
    monkeypatch.setenv("FACET_MODEL_FACE_ANALYSIS", str(fa))
    monkeypatch.setenv("FACET_MODEL_INSWAPPER", str(sw))
    return ModelManager(online=False)


def _tiny_photo() -> np.ndarray:
    img = np.zeros((640, 640, 3), np.uint8)
    img[320:352, 320:352] = 230  # a "face" for the tiny detector at stride 32
    img[96:128, 160:192] = 200
    return img


def test_tiny_insightface_full_path(tiny_manager, tmp_path, capsys):
    from editors.anonymize import AnonymizeEditor
    from editors.faceswap import FaceSwapEditor

    img = _tiny_photo()
    found = fi.find_faces(img, tiny_manager, "full")
    assert len(found) == 2 and all(f.embedding is not None and f.embedding.shape == (512,) for f in found)
    assert [f.index for f in found] == [0, 1] and found[0].centre[0] < found[1].centre[0]
    ed = FaceSwapEditor(tiny_manager)
    out = ed.apply(img, None, {"target": img.copy(), "faces": "1"})  # auto -> full (weights "here")
    assert ed.model_ids[0].startswith("face_analysis")
    assert out.shape == img.shape and (out != img).any()
    allowed = cv2.dilate(fi.face_mask(img.shape, found[1]).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert not ((out != img).any(2) & ~allowed).any()
    a1 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap"}, seed=3)
    a2 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap"}, seed=3)
    a3 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap"}, seed=4)
    assert np.array_equal(a1, a2) and not np.array_equal(a1, a3)
    assert "inswapper-shape" not in capsys.readouterr().out  # insightface's prints are swallowed
