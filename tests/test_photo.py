"""Loading uploads: formats, EXIF orientation, odd modes, and bad input with clear messages."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core.errors import BadInput
from core.photo import load_photo
from core.settings import Settings


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    """An asymmetric image: red top-left quadrant marks orientation."""
    a = np.zeros((60, 90, 3), np.uint8)
    a[:, :] = (20, 120, 20)
    a[:20, :30] = (250, 10, 10)
    return a


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_formats_decode_to_rgb(base, fmt):
    photo = load_photo(_encode(Image.fromarray(base), fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {})))
    assert photo.pixels.shape == base.shape and photo.pixels.dtype == np.uint8
    assert np.abs(photo.pixels.astype(int) - base).mean() < 6


# EXIF orientation -> the PIL transpose that *creates* such a file from an upright image
_MAKE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(base, orientation):
    im = Image.fromarray(base)
    if orientation in _MAKE:
        im = im.transpose(_MAKE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    photo = load_photo(_encode(im, "JPEG", quality=95, exif=exif.tobytes()), name="phone.jpg")
    assert photo.pixels.shape == base.shape, "shown upright"
    assert photo.pixels[5, 5, 0] > 200 and photo.pixels[50, 80, 0] < 60, "red corner back at top-left"


def test_sixteen_bit_png_is_scaled_not_clipped():
    ramp = (np.linspace(0, 65535, 64 * 32).reshape(32, 64)).astype(np.uint16)
    photo = load_photo(_encode(Image.fromarray(ramp), "PNG"))
    assert photo.pixels[..., 0].min() == 0 and photo.pixels[..., 0].max() == 255
    assert any("16-bit" in n for n in photo.notes)


def test_cmyk_palette_alpha_and_gray_modes(base):
    im = Image.fromarray(base)
    cmyk = load_photo(_encode(im.convert("CMYK"), "JPEG", quality=95))
    assert np.abs(cmyk.pixels.astype(int) - base).mean() < 12
    pal = load_photo(_encode(im.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"))
    assert pal.pixels[5, 5, 0] > 200
    rgba = np.dstack([base, np.full(base.shape[:2], 255, np.uint8)])
    rgba[:, 45:, 3] = 0  # right half transparent
    photo = load_photo(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert (photo.pixels[:, 50:] == 255).all() and photo.pixels[40, 10, 1] == 120
    la = load_photo(_encode(im.convert("LA"), "PNG"))
    assert la.pixels.shape == base.shape
    gray = load_photo(_encode(im.convert("L"), "PNG"))
    assert (gray.pixels[..., 0] == gray.pixels[..., 2]).all()


def test_animated_gif_takes_first_frame(base):
    frames = [Image.fromarray(base), Image.fromarray(255 - base)]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    photo = load_photo(data.getvalue(), name="anim.gif")
    assert photo.pixels[5, 5, 0] > 200
    assert any("first of its 2 frames" in n for n in photo.notes)


def test_twelve_megapixel_photo_is_accepted():
    big = np.zeros((3000, 4000, 3), np.uint8)
    big[::50] = 200
    photo = load_photo(_encode(Image.fromarray(big), "PNG"))
    assert (photo.width, photo.height) == (4000, 3000)


def _png_with_size(w: int, h: int) -> bytes:
    """A tiny PNG whose header declares w x h (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"this is not an image, just text pretending to be one" * 10, "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not an image"),
        (_png_with_size(20000, 20000), "limit is|decompression bomb"),
        (_png_with_size(100000, 100000), "limit is|decompression bomb"),
    ],
)
def test_bad_files_get_clear_messages(data, message):
    with pytest.raises(BadInput, match=message):
        load_photo(data, name="upload.jpg")


def test_truncated_files(base):
    jpeg = _encode(Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 200, 3), np.uint8)), "JPEG")
    png = _encode(Image.fromarray(base), "PNG")
    for data in (jpeg[: len(jpeg) // 2], png[: len(png) // 2]):
        with pytest.raises(BadInput, match="truncated|damaged") as err:
            load_photo(data, name="cut.jpg")
        # round 19: the status line read "(OSError: image file is truncated (20 bytes not processed))", PIL's words
        assert "Error" not in str(err.value) and "not processed" not in str(err.value), str(err.value)


def test_size_limits(base):
    with pytest.raises(BadInput, match="at least 16 px"):
        load_photo(_encode(Image.fromarray(base[:1, :1]), "PNG"))
    with pytest.raises(BadInput, match="limit is 0.001 MP"):
        load_photo(_encode(Image.fromarray(base), "PNG"), Settings(max_megapixels=0.001))
    with pytest.raises(BadInput, match="limit is"):
        load_photo(_encode(Image.fromarray(base), "PNG"), Settings(max_upload_mb=0.0001))


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_photo(tmp_path / "nope.jpg")
