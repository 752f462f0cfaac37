"""Edit layers and the session's edit flow: apply, undo/redo, hide, variants, export, parts, refine."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.errors import BadInput
from core.photo import encode_image
from studio.layers import LayerStack, combine, grow_shrink, layer_from_result
from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import EXCLUDE, INCLUDE, PICK, EditorSession
from core.settings import Settings
from core.types import Photo


def test_layers_paste_exactly_and_hide(rgb):
    photo = Photo(pixels=rgb)
    stack = LayerStack()
    after = rgb.copy()
    after[10:20, 30:40] = 7
    stack.push(layer_from_result(stack.next_id(), "a", "recolour", {}, 0, rgb, after, 0.1))
    after2 = after.copy()
    after2[50:60, 5:15] = 200
    stack.push(layer_from_result(stack.next_id(), "b", "texture", {}, 0, after, after2, 0.1))
    assert np.array_equal(stack.render(photo), after2)
    assert stack.layers[1].box == (5, 50, 15, 60)
    stack.set_visible({2})
    out = stack.render(photo)
    assert (out[10:20, 30:40] == rgb[10:20, 30:40]).all() and (out[50:60, 5:15] == 200).all()
    stack.set_visible({1, 2})
    stack.undo()
    assert np.array_equal(stack.render(photo), after)
    stack.redo()
    assert np.array_equal(stack.render(photo), after2)
    with pytest.raises(BadInput, match="no edit to redo"):
        stack.redo()


def test_max_layers_merges_the_oldest_and_renders_the_same(rgb):
    """A capped stack keeps at most max_layers undoable layers; the rest live in one merged base, the
    rendered result is identical to an unbounded stack's, and memory no longer grows with the edit count."""
    photo = Photo(pixels=rgb)
    capped, unbounded = LayerStack(max_layers=3), LayerStack()
    rng = np.random.default_rng(1)
    current = rgb.copy()
    for i in range(12):  # overlapping and disjoint boxes, some layers hidden before they are merged
        after = current.copy()
        y, x = int(rng.integers(0, 100)), int(rng.integers(0, 140))
        after[y : y + 20, x : x + 20] = rng.integers(0, 255, 3, dtype=np.uint8)
        for stack in (capped, unbounded):
            stack.push(layer_from_result(stack.next_id(), "s", "recolour", {}, i, current, after, 0.1))
        if i == 5:  # hide layer #5 in both; it is merged (dropped) in the capped stack
            for stack in (capped, unbounded):
                stack.set_visible({la.id for la in stack.layers} - {5})
        current = np.asarray(unbounded.render(photo)).copy()
        assert np.array_equal(capped.render(photo), current), i
        incremental = capped.render(photo)  # the cached render, one paste per push
        capped._cache = None
        assert np.array_equal(capped.render(photo), incremental), f"{i}: a full re-render differs"
    assert [la.id for la in capped.layers] == [10, 11, 12] and capped.merged == 9
    assert capped.base is not None and capped.base.changed.shape == capped.base.pixels.shape[:2]
    for _ in range(3):
        capped.undo()
        unbounded.undo()
    assert np.array_equal(capped.render(photo), unbounded.render(photo))
    with pytest.raises(BadInput, match="9 oldest are merged"):
        capped.undo()
    capped.redo()
    unbounded.redo()
    assert np.array_equal(capped.render(photo), unbounded.render(photo))
    capped.clear()
    assert capped.base is None and capped.merged == 0 and np.array_equal(capped.render(photo), rgb)


def test_grow_shrink_and_combine():
    m = np.zeros((50, 50), bool)
    m[20:30, 20:30] = True
    grown = grow_shrink(m, 3)
    assert grown[17, 25] and not grown[15, 25] and grown.sum() > m.sum()
    shrunk = grow_shrink(m, -3)
    assert shrunk[25, 25] and not shrunk[21, 25]
    other = np.zeros_like(m)
    other[25:40, 25:40] = True
    assert combine(m, other, "add").sum() == m.sum() + other.sum() - 25
    assert combine(m, other, "subtract").sum() == m.sum() - 25
    assert combine(m, other, "intersect").sum() == 25
    with pytest.raises(BadInput):
        combine(m, other, "xor")


def test_encode_keeps_size_and_icc(rgb):
    icc = Image.new("RGB", (1, 1)).info.get("icc_profile")  # None: use a real profile from ImageCms
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for fmt in ("PNG", "JPEG"):
        data = encode_image(rgb, fmt, icc)
        im = Image.open(io.BytesIO(data))
        assert im.size == (160, 120) and im.format == fmt and im.info.get("icc_profile") == icc
    with pytest.raises(BadInput, match="PNG or JPEG"):
        encode_image(rgb, "GIF")


@pytest.fixture(scope="module")
def services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


@pytest.fixture()
def session(services, astronaut_path):
    s = EditorSession()
    s.load(load_photo(astronaut_path), services)
    return s


def test_upload_finds_labelled_parts_and_pick_selects_the_smallest(session, services):
    labels = {p.label for p in session.parts}
    assert {"face", "hair", "upper clothes", "background"} <= labels
    assert "labelled parts" in session.status
    session.click(225, 130, PICK, services)  # the tip of the nose: the nose, not the face around it
    assert session.segment().label == "nose"
    session.click(195, 150, PICK, services)  # a cheek: the face, not "person 1" around it
    seg = session.segment()
    assert seg.label == "face" and seg.mask[150, 195] and not seg.mask[330, 100]
    with pytest.raises(BadInput, match="no labelled part here"):
        session.pick_part(-1, -1)


def test_clicks_refine_a_picked_part(session, services):
    face_id = next(p.id for p in session.parts if p.label == "face")
    seg = session.use_part(face_id)
    base = seg.mask.copy()
    session.click(100, 330, INCLUDE, services)  # add the suit to the face
    assert seg.mask[330, 100] and (seg.mask >= base).all()
    session.click(100, 330, EXCLUDE, services)  # and cut it away again
    assert not seg.mask[330, 100] and seg.mask[130, 225]
    session.undo()
    session.undo()
    assert np.array_equal(seg.mask, base)


def test_grow_and_combine_segments(session, services):
    face = session.use_part(next(p.id for p in session.parts if p.label == "face"))
    hair = session.use_part(next(p.id for p in session.parts if p.label == "hair"))
    both = session.combine_with(face.id, "add")
    assert both.label == "hair + face" and (both.mask >= face.mask).all() and (both.mask >= hair.mask).all()
    area = both.area
    session.grow(5)
    assert session.segment().area > area
    session.undo()
    assert session.segment().area == area


def test_apply_edit_undo_redo_hide_and_export(session, services):
    suit = session.use_part(next(p.id for p in session.parts if p.label == "upper clothes"))
    original = session.photo.pixels
    layer = session.apply_edit("texture", {"texture": "denim"}, 0, services)
    result = np.asarray(session.result())
    outside = ~layer_region(layer, original.shape)
    assert np.array_equal(result[outside], original[outside]), "pixels outside the edit are untouched"
    assert np.abs(result[suit.mask].astype(int) - original[suit.mask]).mean() > 10
    assert not session.show_selection and "Applied" in session.status
    session.apply_edit("recolour", {"target": "#c0262d"}, 0, services)
    assert len(session.layers.layers) == 2
    session.undo_edit()
    assert np.array_equal(np.asarray(session.result()), result)
    session.redo_edit()
    session.set_visible_layers(set())
    assert np.array_equal(np.asarray(session.result()), original)
    session.set_visible_layers({1, 2})
    for fmt in ("PNG", "JPEG"):
        path = session.export(fmt)
        im = Image.open(path)
        assert im.size == (512, 512) and im.format == fmt
    with pytest.raises(BadInput, match="unknown editor"):
        session.apply_edit("explode", {}, 0, services)


def layer_region(layer, shape):
    region = np.zeros(shape[:2], bool)
    x0, y0, x1, y1 = layer.box
    region[y0:y1, x0:x1] = layer.changed
    return region


def _variants_and_box(session, services, label):
    """The variants of part ``label`` and the preview's crop they show (`variant_box`)."""
    from core.masks import resize_mask
    from studio.session import variant_box

    session.use_part(next(p.id for p in session.parts if p.label == label))
    h, w = session.preview.shape[:2]
    return session.variants(services), variant_box(resize_mask(session.segment().mask, w, h))


def test_variants_render_at_preview_size(session, services):
    found, (x0, y0, x1, y1) = _variants_and_box(session, services, "upper clothes")
    captions = [c for _, c, _, _ in found]
    assert captions[:4] == ["as-is", "denim", "leopard", "crocodile"]
    assert all(img.shape == (y1 - y0, x1 - x0, 3) for img, _, _, _ in found)
    assert np.array_equal(found[0][0], session.preview[y0:y1, x0:x1])
    assert not np.array_equal(found[1][0], found[2][0])


def test_variants_of_a_small_part_show_the_part_not_the_whole_photo(session, services):
    """Round 19: on a group photo the variants of one person's jacket were ten thumbnails of the whole photo, all
    alike at 98 px; the thumbnails are the part's box with a margin, so the look is seen."""
    from core.masks import resize_mask
    from core.types import mask_bbox

    found, (x0, y0, x1, y1) = _variants_and_box(session, services, "lips")
    h, w = session.preview.shape[:2]
    crop = found[0][0]
    assert crop.shape[0] * crop.shape[1] < 0.1 * h * w, crop.shape
    px0, py0, px1, py1 = mask_bbox(resize_mask(session.segment().mask, w, h))
    assert x0 < px0 and y0 < py0 and x1 > px1 and y1 > py1, "the whole part, with a margin"
    assert np.array_equal(crop, session.preview[y0:y1, x0:x1])


def test_edit_needs_a_selection(services, astronaut_path):
    s = EditorSession()
    s.load(load_photo(astronaut_path), services, parse=False)
    assert s.parts == []
    with pytest.raises(BadInput, match="select a part"):
        s.apply_edit("texture", {}, 0, services)


def test_session_caps_its_layers_from_settings(astronaut_path):
    settings = Settings(max_layers=2)
    services = build_services(settings, ModelManager(settings, online=False))
    s = EditorSession()
    s.load(load_photo(astronaut_path), services, parse=False)
    mask = np.zeros((512, 512), bool)
    for i, target in enumerate(("#c0262d", "#1e6fd9", "#2fa84f")):
        mask[:, i * 100 : (i + 1) * 100] = True
        s.apply_edit("recolour", {"target": target}, 0, services, mask=mask.copy(), label=f"band {i}")
    assert [la.id for la in s.layers.layers] == [2, 3] and s.layers.merged == 1
    result = np.asarray(s.result())
    assert np.abs(result[:, :100].astype(int) - s.photo.pixels[:, :100]).mean() > 10, "the merged edit stays"
    s.close()
    assert s.layers.base is None
