"""One user's session: clicks, box, undo, clear, named segments, mask download, cleanup."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.errors import BadInput
from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import BOX, EXCLUDE, INCLUDE, EditorSession
from core.settings import Settings


@pytest.fixture(scope="module")
def offline_services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


@pytest.fixture()
def session(offline_services, astronaut_path):
    s = EditorSession()
    s.load(load_photo(astronaut_path), offline_services)
    return s


def test_offline_services_use_grabcut_and_say_so(offline_services):
    assert offline_services.click.name == "grabcut" and offline_services.click_role is None
    banner = offline_services.banner()
    assert "Offline mode" in banner and "sam" in banner and "--prefetch" in banner
    row = {r["role"]: r for r in offline_services.models_status()}["sam2"]  # SAM 2.1: the default
    assert row["state"] == "not downloaded" and row["in_use"] == "offline backend in use: grabcut"


def test_clicks_undo_and_clear(session, offline_services):
    assert session.preview.shape == (512, 512, 3) and session.scale == 1.0
    with pytest.raises(BadInput, match="start with an include"):
        session.click(10, 10, EXCLUDE, offline_services)
    first = session.click(225, 130, INCLUDE, offline_services).mask.copy()
    second = session.click(470, 60, INCLUDE, offline_services).mask.copy()  # the wall (the first click took the person)
    assert "GrabCut" in session.status and "ms" in session.status
    assert second.sum() != first.sum()
    session.undo()
    assert np.array_equal(session.segment().mask, first)
    assert len(session.segment().prompt.points) == 1
    session.clear()
    assert not session.segment().mask.any() and session.segment().prompt.empty
    session.undo()  # clearing can be undone too
    assert np.array_equal(session.segment().mask, first)


def test_box_needs_two_corners(session, offline_services):
    assert session.click(270, 330, BOX, offline_services) is None and session.box_corner is not None
    assert session.overlay().shape == (512, 512, 3)
    res = session.click(511, 511, BOX, offline_services)
    assert res is not None and session.segment().prompt.box == (270, 330, 512, 512)
    with pytest.raises(BadInput, match="too small"):
        session.click(100, 100, BOX, offline_services)
        session.click(101, 101, BOX, offline_services)


def test_named_segments(session, offline_services, tmp_path):
    session.click(100, 330, INCLUDE, offline_services)
    suit = session.segment()
    session.rename(suit.id, "  suit ")
    assert suit.label == "suit"
    face = session.new_segment("face")
    session.click(225, 130, INCLUDE, offline_services)
    assert [s.label for s in session.segments] == ["suit", "face"] and session.active == face.id
    assert not (face.mask & suit.mask).all()
    session.select(suit.id)
    path = session.mask_file()
    im = np.asarray(Image.open(path))
    assert im.shape == (512, 512) and set(np.unique(im)) == {0, 255}
    assert np.array_equal(im > 0, suit.mask)
    with pytest.raises(BadInput, match="empty"):
        session.rename(face.id, "   ")
    session.delete(suit.id)
    assert [s.label for s in session.segments] == ["face"] and session.active == face.id
    with pytest.raises(BadInput, match="no segment #99"):
        session.select(99)
    folder = path.parent
    session.close()
    assert not folder.exists() and session.photo is None


def test_new_photo_resets_segments(session, offline_services, china_path):
    session.click(100, 330, INCLUDE, offline_services)
    session.load(load_photo(china_path), offline_services)
    assert session.segments == [] and session.active is None and "china.jpg" in session.status


def test_nothing_before_upload(offline_services):
    s = EditorSession()
    with pytest.raises(BadInput, match="upload a photo first"):
        s.click(1, 1, INCLUDE, offline_services)
    with pytest.raises(BadInput, match="nothing to undo"):
        s.undo()
    assert s.overlay() is None


def test_preview_is_downscaled_but_masks_are_full_size(offline_services):
    import cv2
    from skimage import data

    from core.types import Photo

    big = cv2.resize(data.astronaut(), (4032, 3024))
    s = EditorSession()
    s.load(Photo(pixels=big, name="phone.jpg"), offline_services)
    assert max(s.preview.shape[:2]) == 1280 and s.scale == pytest.approx(1280 / 4032)
    res = s.click(780, 1900, INCLUDE, offline_services)
    assert res.mask.shape == (3024, 4032)


def test_a_tiny_photo_is_shown_enlarged_and_edited_at_its_own_size(offline_services):
    """Round 19: a 40x30 photo was drawn 40x30 px in the middle of a 537x515 photo box at 1366x768 (the page never
    enlarges an image), too small to see the result or click a part. Its preview is enlarged to a long side of
    `PREVIEW_MIN_SIDE`; masks, edits and the download stay at the photo's own size, clicks map back."""
    from skimage import data

    from core.types import Photo
    from studio.session import PREVIEW_MIN_SIDE

    tiny = np.asarray(Image.fromarray(data.astronaut()).resize((40, 30)))
    s = EditorSession()
    s.load(Photo(pixels=tiny, name="tiny.jpg"), offline_services, parse=False)
    assert s.preview.shape == (PREVIEW_MIN_SIDE * 3 // 4, PREVIEW_MIN_SIDE, 3) and s.scale == PREVIEW_MIN_SIDE / 40
    res = s.click(20, 15, INCLUDE, offline_services)
    assert res.mask.shape == (30, 40)
    assert s.overlay().shape == s.preview.shape
    s.apply_edit("recolour", {"target": "#1e6fd9"}, 0, offline_services)
    assert s.result_preview().shape == s.preview.shape and s.result().shape == (30, 40, 3)
    assert not np.array_equal(s.result_preview(), s.preview)
    crops = [img.shape for img, _, _, _ in s.variants(offline_services)]  # the part's box at preview scale
    assert len(set(crops)) == 1 and crops[0][0] <= s.preview.shape[0] and crops[0][0] * crops[0][1] > 100 * 100


def test_demo_mode_preloads_the_models():
    """`--demo`: the click segmenter, the packaged parser models and the editors are warm before a user comes."""
    manager = ModelManager(Settings(), online=False)
    manager.evict_all()
    services = build_services(Settings(), manager, preload=True)
    loaded = " ".join(manager.loaded_names())  # packaged files are held by the model manager
    assert "centerface" in loaded and "selfie_segmentation" in loaded and "face_landmark" in loaded
    assert services.click.name == "grabcut"


def test_a_tiny_photos_size_is_not_zero_megapixels(offline_services):
    """Round 24's drive: a 200x150 photo loaded as "(200x150, 0.0 MP)" on the page; under 0.1 MP it takes two digits."""
    s = EditorSession()
    s.load(load_photo_array(np.full((150, 200, 3), 120, np.uint8)), offline_services, parse=False)
    assert "200x150 (0.03 MP)" in s.status, s.status
    s.load(load_photo_array(np.full((300, 400, 3), 120, np.uint8)), offline_services, parse=False)
    assert "400x300 (0.1 MP)" in s.status, s.status


def load_photo_array(pixels: np.ndarray):
    from core.types import Photo

    return Photo(pixels=pixels, name="tiny.png")
