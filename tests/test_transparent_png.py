"""A PNG with a transparent border (round 20, a stranger's drive): the border is placed on white at upload, and an
edit of a part next to it leaves that white bit-identical outside the part. Before, a recolour of the astronaut
tinted 137 white border pixels along the feather band (up to 14 levels): core.composite.keep_transparent."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from skimage import data

from core.composite import keep_transparent
from core.photo import load_photo

BORDER = 40


def _astronaut_with_a_transparent_border() -> tuple[bytes, np.ndarray]:
    rgb = data.astronaut()
    h, w = rgb.shape[:2]
    rgba = np.zeros((h + 2 * BORDER, w + 2 * BORDER, 4), np.uint8)
    rgba[BORDER:-BORDER, BORDER:-BORDER, :3] = rgb
    rgba[BORDER:-BORDER, BORDER:-BORDER, 3] = 255
    rgba[:BORDER, :, :3] = (30, 200, 30)  # the colour under the transparency is never shown
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue(), rgba[..., 3]


def test_the_uploads_transparency_is_kept_beside_its_white_pixels():
    png, alpha = _astronaut_with_a_transparent_border()
    photo = load_photo(png, name="cut-out.png")
    assert photo.opacity is not None and np.array_equal(photo.opacity, alpha)
    assert (photo.pixels[alpha == 0] == 255).all()  # placed on white, as the README says
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "PNG")
    assert load_photo(buf.getvalue(), name="opaque.png").opacity is None


def test_an_edit_next_to_the_transparent_border_leaves_it_white():
    from core.models import ModelManager
    from core.settings import Settings
    from studio.services import build_services
    from studio.session import EditorSession

    png, alpha = _astronaut_with_a_transparent_border()
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    try:
        s.load(load_photo(png, name="cut-out.png"), services, parse=False, prepare=False)
        before = np.asarray(s.result()).copy()
        part = np.zeros(alpha.shape, bool)
        # the suit, a little over the transparent border (as a parsed person reaches 30 px into it): the band
        # outside the part lies on the white there (1892 px changed before)
        part[BORDER + 300 : -BORDER + 3, BORDER - 3 : -BORDER + 3] = True
        for editor, params in (("recolour", {"target": "#1e6fd9"}), ("texture", {"texture": "denim"})):
            s.new_segment(editor, base=part)
            s.apply_edit(editor, params, 0, services)
            after = np.asarray(s.result())
            changed = (after != before).any(2)
            assert changed[part].mean() > 0.5, editor
            assert not (changed & (alpha == 0) & ~part).any(), f"{editor} tinted the transparent border"
            assert (changed & (alpha == 255) & ~part).any(), f"{editor}: the feather band on the photo stays"
            s.undo_edit()
    finally:
        s.close()


def test_keep_transparent_scales_the_change_by_the_opacity_outside_the_part():
    original = np.full((4, 4, 3), 200, np.uint8)
    edited = np.full((4, 4, 3), 100, np.uint8)
    mask = np.zeros((4, 4), bool)
    mask[:, :2] = True
    opacity = np.full((4, 4), 255, np.uint8)
    opacity[:, 3] = 0
    opacity[:, 2] = 128
    opacity[0, 0] = 0  # in the part: the edit stays
    out = keep_transparent(original, edited, mask, opacity)
    assert (out[:, :2] == 100).all()
    assert (out[:, 3] == 200).all()
    assert (out[:, 2] == 150).all()  # 200 + 128/255 x (100 - 200) = 149.8
    assert keep_transparent(original, edited, mask, None) is edited


# --------------------------------------------------------------------------- round 22: the alpha carried through
# A cut-out's transparent area is no part of the picture: before, the parse offered it as part of "sky" /
# "background", a click there selected the white, and the PNG download came back without its alpha channel.

FRINGE = 3  # rows above the picture at alpha 100: half-transparent, under OPAQUE_FROM (not part of the picture)
FRINGE_RGB = (200, 40, 40)


def _cut_out() -> tuple[bytes, np.ndarray]:
    """The astronaut with a transparent border, a half-transparent red fringe over its top, and a transparent
    hole in the flag corner (a non-rectangular cut-out)."""
    rgb = data.astronaut()
    h, w = rgb.shape[:2]
    rgba = np.zeros((h + 2 * BORDER, w + 2 * BORDER, 4), np.uint8)
    rgba[BORDER:-BORDER, BORDER:-BORDER, :3] = rgb
    rgba[BORDER:-BORDER, BORDER:-BORDER, 3] = 255
    rgba[BORDER : BORDER + 60, BORDER : BORDER + 60, 3] = 0
    rgba[BORDER - FRINGE : BORDER, BORDER:-BORDER, :3] = FRINGE_RGB
    rgba[BORDER - FRINGE : BORDER, BORDER:-BORDER, 3] = 100
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue(), rgba


def _session(png: bytes, parse: bool = True, prepare: bool = False):
    from core.models import ModelManager
    from core.settings import Settings
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    s.load(load_photo(png, name="cut-out.png"), services, parse=parse, prepare=prepare)
    return s, services


def test_no_part_and_no_click_reaches_the_transparent_area():
    import pytest

    from core.errors import BadInput
    from studio.session import BOX, INCLUDE, PICK

    png, rgba = _cut_out()
    outside = rgba[..., 3] < 128
    s, services = _session(png, prepare=True)
    try:
        assert s.parts, s.parse_note
        for part in s.parts:
            assert not (part.mask & outside).any(), f"{part.label} claims the transparent area"
            if part.edge_alpha is not None:
                assert not part.edge_alpha[outside].any(), part.label
        assert [p.id for p in s.parts] == list(range(1, len(s.parts) + 1))
        for mode in (PICK, INCLUDE):
            for x, y in ((5, 5), (BORDER + 20, BORDER + 20), (300, BORDER - 1)):  # border, hole, fringe
                with pytest.raises(BadInput, match="transparent area"):
                    s.click(x, y, mode, services)
        h, w = outside.shape
        s.click(2, 2, BOX, services)  # a box over the whole file, border included
        s.click(w - 3, h - 3, BOX, services)
        seg = s.segment()
        assert seg is not None and seg.mask.any() and not (seg.mask & outside).any()
        grown = s.grow(25)
        assert not (grown.mask & outside).any()
    finally:
        s.close()


def test_the_png_download_keeps_the_alpha_and_the_edit():
    png, rgba = _cut_out()
    alpha = rgba[..., 3]
    s, services = _session(png)
    try:
        clothes = s.part_named("upper clothes")
        assert clothes is not None, [p.label for p in s.parts]
        s.use_part(clothes.id)
        s.apply_edit("recolour", {"target": "#1e6fd9"}, 0, services)
        out = Image.open(io.BytesIO(s.export_bytes("PNG")))
        assert out.mode == "RGBA"
        got = np.asarray(out)
        assert np.array_equal(got[..., 3], alpha), "the alpha channel changed"
        edited = (got[..., :3] != rgba[..., :3]).any(2)
        opaque = alpha == 255
        assert edited[clothes.mask & opaque].mean() > 0.5, "the edit is not in the download"
        from studio.layers import grow_shrink

        far = opaque & ~grow_shrink(clothes.mask, 60)  # past the feather band
        assert far.sum() > 0.2 * far.size
        assert np.array_equal(got[..., :3][far], rgba[..., :3][far]), "untouched picture pixels changed"
        fringe = got[BORDER - FRINGE : BORDER, BORDER:-BORDER, :3].astype(int)
        assert np.abs(fringe - np.array(FRINGE_RGB)).max() <= 2, "the half-transparent colour was not taken off white"
        jpeg = Image.open(io.BytesIO(s.export_bytes("JPEG")))
        assert jpeg.mode == "RGB"  # a JPEG has no alpha: it stays on white
    finally:
        s.close()


def test_with_opacity_takes_every_alpha_back_off_white():
    from core.photo import with_opacity

    colour = np.array([10, 128, 250], np.float32)
    alpha = np.arange(256, dtype=np.uint8)[None, :]
    a = alpha.astype(np.float32)[..., None] / 255.0
    on_white = np.clip(colour * a + 255.0 * (1 - a) + 0.5, 0, 255).astype(np.uint8)
    rgba = with_opacity(on_white, alpha)
    assert np.array_equal(rgba[..., 3], alpha)
    err = np.abs(rgba[0, 1:, :3].astype(int) - colour.astype(int))
    assert (err[127:] <= 1).all() and (err <= np.ceil(0.5 * 255 / np.arange(1, 256))[:, None] + 1).all()
    assert np.array_equal(rgba[0, 255, :3], colour.astype(np.uint8))


def test_parts_lose_the_transparent_area_and_small_leftovers():
    from core.types import Segment
    from segmenters.parsing import without_transparent

    opacity = np.full((100, 100), 255, np.uint8)
    opacity[:, :50] = 0
    left = np.zeros((100, 100), bool)
    left[:, :50] = True
    sky = left.copy()
    sky[0, 50] = True  # one pixel on the picture: under MIN_PART_FRACTION, dropped
    soft = np.full((100, 100), 0.8, np.float32)
    person = Segment(id=3, label="person 1", mask=np.ones((100, 100), bool))
    person.set_alpha(soft)
    kept = without_transparent([Segment(id=1, label="sky", mask=sky), person], opacity)
    assert [(k.id, k.label) for k in kept] == [(1, "person 1")]
    assert kept[0].mask.sum() == 5000 and kept[0].edge_alpha is not None and kept[0].edge_alpha[:, :50].max() == 0
    plain = [Segment(id=1, label="sky", mask=sky)]
    assert without_transparent(plain, None) is plain


def test_generates_remove_keeps_the_clear_area_clear_like_apply():
    """Round 23: Generate's variants were pushed as they came: Remove on a cut-out's background filled 68334 px of its
    transparent area (white on the page, and colour under alpha 0 in the PNG). Now a generated variant is kept out of
    the clear area as Apply's edits are (core.composite.keep_transparent), and nothing is generated there."""
    png, rgba = _cut_out()
    alpha = rgba[..., 3]
    s, services = _session(png)
    try:
        before = np.asarray(s.result()).copy()
        background = s.part_named("background")
        assert background is not None, [p.label for p in s.parts]
        s.use_part(background.id)
        s.generate("remove", {}, 0, services)
        s.apply_variant(0)
        after = np.asarray(s.result())
        changed = (after != before).any(2)
        assert changed[background.mask].mean() > 0.3, "the background was not filled"
        assert not (changed & (alpha == 0)).any(), "the fill reached the transparent area"
        out = np.asarray(Image.open(io.BytesIO(s.export_bytes("PNG"))))
        assert out.shape[2] == 4 and np.array_equal(out[..., 3], alpha), "the PNG download lost the alpha"
    finally:
        s.close()
