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
