"""A corpus of hostile, broken and odd uploads, generated on the fly (no binary fixtures committed).

Each `Case` has the bytes of a file, the name a user would upload it under, and the expected outcome:
``accepted`` (with a ``check`` on the decoded `Photo`: upright, scaled, converted, first frame, ...) or
``refused`` (with ``message``, a regex the user-facing error must match). `write_corpus` writes every
case into a folder (odd names that cannot exist on disk get a safe disk name; `Case.name` keeps the
name the user sent). Used by tests/test_hostile.py for `load_photo`, the CLI and the running app.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from core.types import Photo

ACCEPTED, REFUSED = "accepted", "refused"
NOT_IMAGE = "not an image Facet can read"
DAMAGED = "truncated or damaged|damaged and cannot be read|" + NOT_IMAGE
BOMB = r"the limit is \d+ MP"
GRADIO_TYPE = r"Invalid file type"  # Gradio's own file-type check (the upload box has none: Facet sniffs content)

# -- pictures --------------------------------------------------------------------------------------


def base() -> np.ndarray:
    """60x90 RGB; the red top-left block tells where 'up' is."""
    a = np.zeros((60, 90, 3), np.uint8)
    a[:, :] = (20, 120, 20)
    a[:20, :30] = (250, 10, 10)
    return a


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def good_png() -> bytes:
    return encode(Image.fromarray(base()), "PNG")


def good_jpeg() -> bytes:
    return encode(Image.fromarray(base()), "JPEG", quality=95)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_declaring(w: int, h: int, colour_type: int = 2) -> bytes:
    """A tiny PNG whose IHDR declares w x h, with a few bytes of data (a decompression bomb header)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 100)) + _chunk(b"IEND", b"")


@lru_cache(maxsize=2)
def solid_png(w: int, h: int) -> bytes:
    """A real, complete w x h 8-bit grey PNG of one colour (compresses to a few hundred KB)."""
    row = b"\0" + b"\x80" * w
    z = zlib.compressobj(1)  # level 1: 20000x20000 in about 1.5 s, 1.8 MB
    rows = 100 if h % 100 == 0 else 1
    parts = [z.compress(row * rows) for _ in range(h // rows)] + [z.flush()]
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def jpeg_declaring(w: int, h: int) -> bytes:
    """A real small JPEG whose SOF marker is patched to declare w x h."""
    data = bytearray(good_jpeg())
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", data, i + 5, h, w)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


def gif_declaring(w: int, h: int) -> bytes:
    """A 1x1-frame GIF whose logical screen is w x h."""
    data = bytearray(encode(Image.new("P", (1, 1)), "GIF"))
    struct.pack_into("<HH", data, 6, w, h)
    return bytes(data)


def bmp_declaring(w: int, h: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (4, 4)), "BMP"))
    struct.pack_into("<ii", data, 18, w, h)
    return bytes(data)


def tiff_declaring(w: int, h: int) -> bytes:
    """A little-endian baseline TIFF header declaring w x h 8-bit grey, with one 16-byte strip."""
    entries = [
        (256, 4, 1, w),
        (257, 4, 1, h),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 12 * 9 + 4),
        (277, 3, 1, 1),
        (278, 4, 1, h),
        (279, 4, 1, 16),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + (
            struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value)
        )
    return b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\0" * 16


def webp_declaring(w: int, h: int) -> bytes:
    """An extended (VP8X) WebP whose canvas declares w x h around a small real frame."""
    small = encode(Image.fromarray(base()), "WEBP", quality=80)
    frame = small[12:]  # the VP8 chunk of the small file
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + frame
    return b"RIFF" + struct.pack("<I", len(body)) + body


def png_with_text_bomb() -> bytes:
    """A valid small PNG with a zTXt chunk that inflates to 200 MB (PIL caps text chunks)."""
    data = good_png()
    z = zlib.compressobj(9)
    payload = b"".join(z.compress(b"\0" * 2**20) for _ in range(200)) + z.flush()
    ztxt = _chunk(b"zTXt", b"Comment\0\0" + payload)
    return data[:33] + ztxt + data[33:]


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def noisy_jpeg() -> bytes:
    rng = np.random.default_rng(1)
    return encode(Image.fromarray(rng.integers(0, 255, (200, 200, 3), np.uint8)), "JPEG", quality=90)


_MAKE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def oriented_jpeg(orientation: int) -> bytes:
    """What a phone writes: pixels stored sideways/flipped and an EXIF orientation tag to undo it."""
    im = Image.fromarray(base())
    if orientation in _MAKE:
        im = im.transpose(_MAKE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(im, "JPEG", quality=95, exif=exif.tobytes())


def jpeg_with_bad_exif() -> bytes:
    """A JPEG whose APP1 Exif segment is garbage after the header."""
    data = good_jpeg()
    app1 = b"Exif\0\0" + b"MM\0*\0\0\0\x08" + b"\xff\xfe\x12\x34" * 40
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def jpeg_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return encode(Image.fromarray(base()), "JPEG", quality=95, exif=exif.tobytes())


def with_icc(im: Image.Image, fmt: str, icc: bytes, **kw) -> bytes:
    return encode(im, fmt, icc_profile=icc, **kw)


def animated(fmt: str) -> bytes:
    frames = [Image.fromarray(base()), Image.fromarray(255 - base()), Image.fromarray(base()[::-1])]
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format=fmt,
        save_all=True,
        append_images=frames[1:],
        duration=100,
        loop=0,
        **({"lossless": True} if fmt == "WEBP" else {}),
    )
    return buf.getvalue()


def rgba_png(mode: str) -> bytes:
    rgba = np.dstack([base(), np.full((60, 90), 255, np.uint8)])
    rgba[:, 45:, 3] = 0  # right half fully transparent
    im = Image.fromarray(rgba, "RGBA")
    return encode(im if mode == "RGBA" else im.convert("LA"), "PNG")


def gif_html_polyglot() -> bytes:
    """A valid GIF with an HTML/JS payload in a comment extension and after the trailer."""
    gif = encode(Image.fromarray(base()).convert("P", palette=Image.Palette.ADAPTIVE), "GIF")
    comment = b"<html><script>alert(document.cookie)</script>"
    ext = b"\x21\xfe" + bytes([len(comment)]) + comment + b"\0"
    return gif[:-1] + ext + b"\x3b" + b"<script>alert(1)</script></html>"


SVG_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<script>fetch("/gradio_api/file=/etc/passwd")</script><rect width="64" height="64"/></svg>'
)
HTML_PAGE = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"


# -- checks on accepted photos ------------------------------------------------------------------------


def upright(photo: Photo) -> None:
    assert photo.pixels.shape == (60, 90, 3), f"shown upright: {photo.pixels.shape}"
    assert photo.pixels[5, 5, 0] > 200 and photo.pixels[50, 80, 0] < 60, "red corner back at top-left"


def note(text: str) -> Callable[[Photo], None]:
    def check(photo: Photo) -> None:
        assert any(text in n for n in photo.notes), photo.notes

    return check


def all_of(*checks: Callable[[Photo], None]) -> Callable[[Photo], None]:
    def check(photo: Photo) -> None:
        for c in checks:
            c(photo)

    return check


def size(w: int, h: int) -> Callable[[Photo], None]:
    def check(photo: Photo) -> None:
        assert (photo.width, photo.height) == (w, h), (photo.width, photo.height)

    return check


def sixteen_bit_scaled(photo: Photo) -> None:
    g = photo.pixels[..., 0]
    assert g.min() == 0 and g.max() == 255, "scaled to the full 8-bit range, not clipped"
    assert any("16-bit" in n for n in photo.notes)


def cmyk_converted(photo: Photo) -> None:
    assert np.abs(photo.pixels.astype(int) - base()).mean() < 12
    assert any("CMYK" in n for n in photo.notes)


def transparent_on_white(photo: Photo) -> None:
    assert (photo.pixels[:, 50:] == 255).all(), "transparent half on white"
    assert 60 < photo.pixels[40, 10, 1] < 200, "the opaque half is kept, not whitened"
    assert any("transparent" in n for n in photo.notes), photo.notes


def first_frame(photo: Photo) -> None:
    assert photo.pixels[5, 5, 0] > 200 and photo.pixels[5, 5, 1] < 60, "the first frame, not the inverted second"
    assert any("first of its 3 frames" in n for n in photo.notes), photo.notes


def named(expected: str | Callable[[str], bool]) -> Callable[[Photo], None]:
    """The photo's display name (from the name the user sent): equal to ``expected`` or passing it."""

    def check(photo: Photo) -> None:
        ok = expected(photo.name) if callable(expected) else photo.name == expected
        assert ok and "\n" not in photo.name, repr(photo.name)

    return check


def finite_grey(photo: Photo) -> None:
    assert photo.pixels.dtype == np.uint8 and (photo.pixels[..., 0] == photo.pixels[..., 2]).all()


# -- the corpus --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the file name the user sends (may be odd)
    make: Callable[[], bytes]
    outcome: str  # ACCEPTED | REFUSED
    message: str = ""  # refused: regex the message must match
    check: Callable[[Photo], None] | None = None  # accepted: a property of the decoded photo
    bomb: bool = False  # refused before decoding (header only)
    disk_name: str = ""  # a file name that can exist on disk, when `name` cannot
    ui: bool = True  # False: gradio_client cannot send it as is (an undecodable file name)
    ui_refusal: str = ""  # the app's upload box refuses it before Facet sees it (Gradio's file-type filter)

    @property
    def file_name(self) -> str:
        return self.disk_name or self.name


def _cases() -> list[Case]:
    C = Case
    cases = [
        # not images, or not ones we parse
        C("zero-byte", "empty.jpg", lambda: b"", REFUSED, "empty"),
        C("text-as-jpeg", "notes.jpg", lambda: b"just some text, not a photo\n" * 20, REFUSED, NOT_IMAGE),
        C("html-as-png", "page.png", lambda: HTML_PAGE, REFUSED, NOT_IMAGE),
        C("svg-script-as-png", "drawing.png", lambda: SVG_SCRIPT, REFUSED, NOT_IMAGE),
        C("svg-script-as-svg", "drawing.svg", lambda: SVG_SCRIPT, REFUSED, NOT_IMAGE),
        C("gif-magic-then-html", "banner.gif", lambda: b"GIF89a" + HTML_PAGE, REFUSED, DAMAGED),
        C(
            "eps-as-jpeg",
            "print.jpg",
            lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n",
            REFUSED,
            NOT_IMAGE,
        ),
        C("pdf-as-png", "doc.png", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", REFUSED, NOT_IMAGE),
        C("psd-as-jpeg", "layers.jpg", lambda: b"8BPS\0\1" + b"\0" * 64, REFUSED, NOT_IMAGE),
        C("random-bytes", "noise.webp", lambda: np.random.default_rng(7).bytes(4096), REFUSED, NOT_IMAGE),
        # broken
        C("truncated-jpeg", "cut.jpg", lambda: truncated(noisy_jpeg()), REFUSED, DAMAGED),
        C("truncated-png", "cut.png", lambda: truncated(good_png()), REFUSED, DAMAGED),
        C("png-header-only", "header.png", lambda: good_png()[:33], REFUSED, DAMAGED),
        C("jpeg-soi-only", "soi.jpg", lambda: b"\xff\xd8\xff", REFUSED, DAMAGED),
        C("png-bad-crc", "crc.png", lambda: good_png()[:29] + b"\0\0\0\0" + good_png()[33:], REFUSED, DAMAGED),
        C("png-text-chunk-bomb", "ztxt.png", png_with_text_bomb, REFUSED, DAMAGED),
        # decompression bombs: huge declared sizes in tiny files
        C("png-bomb-60000", "bomb.png", lambda: png_declaring(60000, 60000), REFUSED, BOMB, bomb=True),
        C(
            "png-bomb-max",
            "bomb-max.png",
            lambda: png_declaring(2**31 - 1, 2**31 - 1),
            REFUSED,
            BOMB + "|" + DAMAGED,
            bomb=True,
        ),
        C("jpeg-bomb-60000", "bomb.jpg", lambda: jpeg_declaring(60000, 60000), REFUSED, BOMB, bomb=True),
        C(
            "jpeg-bomb-9000",
            "bomb-81mp.jpg",
            lambda: jpeg_declaring(9000, 9000),
            REFUSED,
            r"the limit is 64 MP",
            bomb=True,
        ),
        C("gif-bomb-65535", "bomb.gif", lambda: gif_declaring(65535, 65535), REFUSED, BOMB, bomb=True),
        C("bmp-bomb-60000", "bomb.bmp", lambda: bmp_declaring(60000, 60000), REFUSED, BOMB + "|" + DAMAGED, bomb=True),
        C("tiff-bomb-60000", "bomb.tif", lambda: tiff_declaring(60000, 60000), REFUSED, BOMB, bomb=True),
        C(
            "webp-bomb-16383",
            "bomb.webp",
            lambda: webp_declaring(16383, 16383),
            REFUSED,
            BOMB + "|" + DAMAGED,
            bomb=True,
        ),
        C(
            "png-20000x20000-real",
            "huge.png",
            lambda: solid_png(20000, 20000),
            REFUSED,
            r"20000x20000 = 400 MP.*the limit is 64 MP|400 MP.*the limit is 64 MP",
            bomb=True,
        ),
        # tiny
        C("1x1", "dot.png", lambda: encode(Image.new("RGB", (1, 1), "red"), "PNG"), REFUSED, "at least 16 px"),
        C("1xN", "line.png", lambda: encode(Image.new("RGB", (1, 500), "red"), "PNG"), REFUSED, "at least 16 px"),
        C("Nx1", "row.gif", lambda: encode(Image.new("P", (500, 1)), "GIF"), REFUSED, "at least 16 px"),
        # odd modes, all converted
        C(
            "16-bit-grey-png",
            "depth16.png",
            lambda: encode(Image.fromarray(np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)), "PNG"),
            ACCEPTED,
            check=sixteen_bit_scaled,
        ),
        C(
            "16-bit-tiff",
            "depth16.tif",
            lambda: encode(Image.fromarray(np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)), "TIFF"),
            ACCEPTED,
            check=sixteen_bit_scaled,
        ),
        C(
            "float-tiff-with-nan",
            "float.tif",
            lambda: encode(
                Image.fromarray(
                    np.where(
                        np.arange(64 * 32).reshape(32, 64) % 7 == 0, np.nan, np.arange(64 * 32).reshape(32, 64)
                    ).astype(np.float32)
                ),
                "TIFF",
            ),
            ACCEPTED,
            check=all_of(finite_grey, size(64, 32)),
        ),
        C(
            "float-tiff-all-nan",
            "nan.tif",
            lambda: encode(Image.fromarray(np.full((32, 64), np.nan, np.float32)), "TIFF"),
            ACCEPTED,
            check=all_of(finite_grey, size(64, 32)),
        ),
        C(
            "cmyk-jpeg",
            "print.jpeg",
            lambda: encode(Image.fromarray(base()).convert("CMYK"), "JPEG", quality=95),
            ACCEPTED,
            check=cmyk_converted,
        ),
        C(
            "cmyk-jpeg-bad-icc",
            "print-icc.jpg",
            lambda: with_icc(Image.fromarray(base()).convert("CMYK"), "JPEG", b"not a colour profile" * 8, quality=95),
            ACCEPTED,
            check=all_of(cmyk_converted, note("profile unreadable")),
        ),
        C(
            "rgb-png-bad-icc",
            "bad-icc.png",
            lambda: with_icc(Image.fromarray(base()), "PNG", b"\0garbage icc" * 20),
            ACCEPTED,
            check=upright,
        ),
        C(
            "palette-png",
            "pal.png",
            lambda: encode(Image.fromarray(base()).convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
            ACCEPTED,
            check=upright,
        ),
        C("la-png", "la.png", lambda: rgba_png("LA"), ACCEPTED, check=all_of(size(90, 60), transparent_on_white)),
        C("rgba-png", "rgba.png", lambda: rgba_png("RGBA"), ACCEPTED, check=all_of(size(90, 60), transparent_on_white)),
        C("animated-gif", "anim.gif", lambda: animated("GIF"), ACCEPTED, check=first_frame),
        C("animated-webp", "anim.webp", lambda: animated("WEBP"), ACCEPTED, check=first_frame),
        C("png-named-jpg", "really-a-png.jpg", good_png, ACCEPTED, check=upright),
        C("jpeg-trailing-garbage", "tail.jpg", lambda: good_jpeg() + b"\0garbage" * 100, ACCEPTED, check=upright),
        C("gif-html-polyglot", "polyglot.gif", gif_html_polyglot, ACCEPTED, check=size(90, 60)),
        # EXIF
        *[
            C(f"exif-orientation-{o}", f"phone-{o}.jpg", (lambda o=o: oriented_jpeg(o)), ACCEPTED, check=upright)
            for o in range(1, 9)
        ],
        C("exif-orientation-0", "orient0.jpg", lambda: jpeg_with_orientation(0), ACCEPTED, check=upright),
        C("exif-orientation-9", "orient9.jpg", lambda: jpeg_with_orientation(9), ACCEPTED, check=upright),
        C("exif-corrupted", "bad-exif.jpg", jpeg_with_bad_exif, ACCEPTED, check=upright),
        # odd file names (a good photo each): shown cleaned (one line, no folders), never used as a path
        C(
            "name-300-chars",
            "a" * 296 + ".png",
            good_png,
            ACCEPTED,
            disk_name="long-" + "b" * 200 + ".png",
            check=all_of(upright, named(lambda n: len(n) <= 120 and n.endswith("….png"))),
        ),
        C("name-unicode", "фото 📷 été.png", good_png, ACCEPTED, check=all_of(upright, named("фото 📷 été.png"))),
        C("name-spaces", "  my holiday photo .png", good_png, ACCEPTED, check=named("my holiday photo .png")),
        C(
            "name-traversal",
            "../../etc/passwd.png",
            good_png,
            ACCEPTED,
            disk_name="..%2F..%2Fpasswd.png",
            check=named(lambda n: "/" not in n and ".." not in n.replace("..%2F", "")),
        ),
        C("name-dos-device", "con.png", good_png, ACCEPTED, check=named("con.png")),
        C("name-newline", "two\nlines.png", good_png, ACCEPTED, check=named("two_lines.png")),
        C("name-bidi-override", "photo\u202egnp.exe", good_png, ACCEPTED, check=named("photo_gnp.exe")),
        C("name-invalid-utf8", "caf\udce9.png", good_png, ACCEPTED, check=named("caf_.png"), ui=False),
        C(
            "name-html",
            "<img src=x onerror=alert(1)>.png",
            good_png,
            ACCEPTED,
            check=upright,
            disk_name="img-onerror.png",
        ),
        C("name-no-extension", "photo", good_jpeg, ACCEPTED, check=upright),
    ]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


CASES: list[Case] = _cases()
BY_ID = {c.id: c for c in CASES}


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every case into ``folder`` (one subfolder each, so names never collide); id -> path."""
    out = {}
    for c in CASES:
        sub = folder / c.id
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / c.file_name
        path.write_bytes(c.make())
        out[c.id] = path
    return out
