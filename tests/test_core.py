"""Unit tests: types, mask helpers, registry, settings."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.errors import BadInput
from core.masks import fill_holes, keep_components, render_overlay, resize_mask
from core.photo import load_mask, mask_to_png
from core.registry import Registry
from core.settings import Settings
from core.types import ClickPrompt, Photo, Point, mask_bbox


def test_photo_requires_rgb_uint8_and_is_read_only(rgb):
    photo = Photo(pixels=rgb)
    assert (photo.width, photo.height) == (160, 120)
    assert len(photo.id) == 16
    with pytest.raises(ValueError):
        photo.pixels[0, 0, 0] = 1
    with pytest.raises(TypeError):
        Photo(pixels=rgb.astype(np.float32))
    with pytest.raises(TypeError):
        Photo(pixels=rgb[:, :, 0])


def test_photo_id_depends_on_pixels(rgb):
    other = rgb.copy()
    other[0, 0, 0] ^= 1
    assert Photo(pixels=rgb).id == Photo(pixels=rgb.copy()).id
    assert Photo(pixels=rgb).id != Photo(pixels=other).id


def test_prompt_validation():
    ClickPrompt(points=(Point(0, 0), Point(159, 119, False))).validate(160, 120)
    with pytest.raises(BadInput, match="outside"):
        ClickPrompt(points=(Point(160, 5),)).validate(160, 120)
    with pytest.raises(BadInput, match="box"):
        ClickPrompt(box=(10, 10, 5, 50)).validate(160, 120)
    assert ClickPrompt().empty and not ClickPrompt(box=(0, 0, 4, 4)).empty


def test_mask_bbox_and_resize():
    m = np.zeros((50, 80), bool)
    m[10:20, 30:45] = True
    assert mask_bbox(m) == (30, 10, 45, 20)
    assert mask_bbox(np.zeros((5, 5), bool)) is None
    big = resize_mask(m, 160, 100)
    assert big.shape == (100, 160) and big.dtype == bool
    assert abs(big.sum() - 4 * m.sum()) < 0.05 * 4 * m.sum()


def test_keep_components_and_fill_holes():
    m = np.zeros((40, 40), bool)
    m[2:10, 2:10] = True
    m[20:35, 20:35] = True
    m[26:28, 26:28] = False  # a small hole
    kept = keep_components(m, [(25, 22)])
    assert kept[22, 25] and not kept[5, 5]
    assert not fill_holes(kept, max_hole_fraction=0.01)[27, 27], "a 4 px hole is over 1% of 221 px"
    filled = fill_holes(kept, max_hole_fraction=0.05)
    assert filled[27, 27] and filled.sum() == kept.sum() + 4


def test_mask_png_roundtrip(tmp_path):
    m = np.zeros((30, 40), bool)
    m[5:15, 8:30] = True
    data = mask_to_png(m)
    im = Image.open(io.BytesIO(data))
    assert im.mode == "L" and im.size == (40, 30)
    assert set(np.unique(np.asarray(im))) == {0, 255}
    path = tmp_path / "m.png"
    path.write_bytes(data)
    assert np.array_equal(load_mask(path, 40, 30), m)
    with pytest.raises(BadInput, match="mask is 40x30"):
        load_mask(path, 41, 30)


def test_overlay_draws_on_the_mask_only(rgb):
    m = np.zeros(rgb.shape[:2], bool)
    m[40:80, 50:100] = True
    out = render_overlay(rgb, [(m, (0, 0, 255), True)], [Point(70, 60)], None, 1.0)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert np.array_equal(out[5:30, 5:30], rgb[5:30, 5:30])  # far from mask, point and outline
    assert out[50:70, 80:95, 2].mean() > rgb[50:70, 80:95, 2].mean()


def test_registry_rejects_duplicates():
    reg: Registry = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(lambda: 2)
    assert reg.build("a") == 1 and reg.names() == ["a"] and "a" in reg
    with pytest.raises(KeyError, match="unknown thing 'b'"):
        reg.build("b")


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("FACET_MAX_MEGAPIXELS", "12.5")
    monkeypatch.setenv("FACET_PORT", "8000")
    s = Settings.from_env()
    assert s.max_megapixels == 12.5 and s.port == 8000 and s.max_pixels == 12_500_000
    monkeypatch.setenv("FACET_PORT", "eighty")
    with pytest.raises(ValueError, match="FACET_PORT"):
        Settings.from_env()
