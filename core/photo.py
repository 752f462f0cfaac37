"""Reading an uploaded file into a `Photo`, safely, with messages a user understands.

Every check happens before the pixels are decoded: the byte size, the format, and the declared
dimensions (a decompression bomb declares huge dimensions in a tiny file).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import BadInput
from core.settings import Settings
from core.types import Photo

log = logging.getLogger(__name__)

# Decoders we accept (JPEG covers phone MPO files); anything else (EPS, PSD, SVG, ...) is refused without being parsed.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
ACCEPTED = "JPEG, PNG, WebP, GIF, BMP or TIFF"


MAX_NAME = 120  # characters of a file name kept for messages and download names
_UNSAFE_IN_NAMES = set("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_name(name: str | None) -> str:
    """A user's file name made safe to show, log and print on one line: no folders, no control, bidi or
    undecodable characters, at most `MAX_NAME` characters (the extension kept)."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join("_" if unicodedata.category(c) in ("Cc", "Cs") or c in _UNSAFE_IN_NAMES else c for c in base).strip()
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 8 else ""
        base = base[: MAX_NAME - len(ext) - 1] + "…" + ext
    return base or "photo"


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 / 10 else f"{n / 2**20:.2g} MB"


def load_photo(source: str | os.PathLike | bytes, settings: Settings | None = None, name: str | None = None) -> Photo:
    """Decode a file path or bytes into an upright RGB `Photo`; raise `BadInput` with a clear reason."""
    settings = settings or Settings()
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        name = clean_name(name)
    else:
        path = Path(source)
        name = clean_name(name or path.name)
        if not path.is_file():
            raise BadInput(f"{name}: no such file")
        size = path.stat().st_size
        if size > settings.max_upload_bytes:
            raise BadInput(f"{name}: the file is {_megabytes(size)}; the limit is {settings.max_upload_mb:g} MB")
        data = path.read_bytes()
    if not data:
        raise BadInput(f"{name}: the file is empty (0 bytes)")
    if len(data) > settings.max_upload_bytes:
        raise BadInput(f"{name}: the file is {_megabytes(len(data))}; the limit is {settings.max_upload_mb:g} MB")
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL warns about bombs and odd EXIF; we check those ourselves
        try:
            im: Image.Image = Image.open(io.BytesIO(data), formats=FORMATS)
        except UnidentifiedImageError:
            raise BadInput(f"{name}: not an image Facet can read; please upload a {ACCEPTED} file") from None
        except Image.DecompressionBombError as exc:  # PIL refuses > 2x its MAX_IMAGE_PIXELS before decoding
            declared = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = f"{int(declared.group(1)) / 1e6:.0f} MP" if declared else "an enormous size"
            raise BadInput(
                f"{name}: the image declares {pixels}; the limit is {settings.max_megapixels:g} MP "
                "(refused before decoding: a decompression bomb?)"
            ) from None
        except Exception as exc:  # noqa: BLE001  (PIL raises many kinds for broken headers)
            raise BadInput(f"{name}: the file is damaged and cannot be read ({exc.__class__.__name__})") from None
        w, h = im.size
        source_format = str(im.format or "")
        if w * h > settings.max_pixels:
            raise BadInput(
                f"{name}: the photo is {w}x{h} = {w * h / 1e6:.0f} MP; the limit is {settings.max_megapixels:g} MP"
            )
        if min(w, h) < settings.min_side:
            raise BadInput(
                f"{name}: the photo is {w}x{h} pixels; it must be at least {settings.min_side} px on each side"
            )
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            notes.append(f"animated image: using the first of its {frames} frames")
        icc = im.info.get("icc_profile")
        try:
            im.load()
        except Exception as exc:  # noqa: BLE001  (PIL raises many kinds for damaged data)
            # the library's own words ("image file is truncated (20 bytes not processed)") go to the log, not the user
            log.info("%s did not decode: %s: %s", name, exc.__class__.__name__, exc)
            raise BadInput(
                f"{name}: the file is truncated or damaged and cannot be read; save it again from the program that "
                "made it, or upload another copy"
            ) from None
        try:
            im = ImageOps.exif_transpose(im)
        except Exception:  # noqa: BLE001  (a damaged EXIF block must not lose the photo)
            notes.append("the EXIF orientation tag is damaged and was ignored")
        opacity: list[np.ndarray] = []
        rgb = _to_rgb(im, icc, notes, opacity)
    photo = Photo(
        pixels=rgb,
        opacity=opacity[0] if opacity else None,
        name=name,
        icc_profile=icc if isinstance(icc, bytes) else None,
        notes=tuple(notes),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_format=source_format,
    )
    log.info(
        "loaded %s: %dx%d %s%s", name, photo.width, photo.height, im.mode, f" ({'; '.join(notes)})" if notes else ""
    )
    return photo


def _to_rgb(im: Image.Image, icc: object, notes: list[str], opacity: list[np.ndarray] | None = None) -> np.ndarray:
    """Any PIL mode to RGB uint8: 16-bit scaled (not clipped), CMYK through its profile, alpha over white (the
    alpha appended to ``opacity`` when some pixel is not opaque)."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im).astype(np.float64)
        hi = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        gray = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        notes.append("16-bit image scaled to 8 bits")
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode == "F":
        arr = np.asarray(im).astype(np.float64)
        finite = np.isfinite(arr)
        lo, hi = (float(arr[finite].min()), float(arr[finite].max())) if finite.any() else (0.0, 1.0)
        gray = np.where(finite, (np.where(finite, arr, lo) - lo) / (hi - lo or 1.0) * 255.0, 0.0).astype(np.uint8)
        notes.append("floating-point image normalised to 8 bits")
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode == "CMYK":
        if isinstance(icc, bytes):
            try:
                src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                rgb = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
                assert rgb is not None  # a new image (inPlace is False)
                notes.append("CMYK converted to RGB through its colour profile")
                return np.ascontiguousarray(np.asarray(rgb))
            except Exception:  # noqa: BLE001  (ImageCms raises many kinds for a broken profile)
                notes.append("CMYK colour profile unreadable; converted without it")
        else:
            notes.append("CMYK converted to RGB")
        return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    if mode == "P":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(im.convert("RGBA")).astype(np.float32)
        alpha = rgba[:, :, 3:4] / 255.0
        if alpha.min() < 1.0:
            notes.append("transparent areas placed on white")
            if opacity is not None:
                opacity.append(np.ascontiguousarray(rgba[:, :, 3].astype(np.uint8)))
        rgb = rgba[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
        return np.ascontiguousarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))
    if mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im))


def with_opacity(pixels: np.ndarray, opacity: np.ndarray) -> np.ndarray:
    """RGB uint8 HxWx3 placed on white (as `load_photo` places a transparent upload) and the upload's alpha (uint8
    HxW, `Photo.opacity`) -> RGBA uint8 HxWx4: the colour taken back off the white (``(p - 255 (1 - a)) / a``), the
    alpha exactly ``opacity``. A pixel with alpha 0 keeps its RGB (nothing shows it)."""
    if opacity.shape != pixels.shape[:2]:
        raise ValueError(
            f"the opacity is {opacity.shape[1]}x{opacity.shape[0]}, the image {pixels.shape[1]}x{pixels.shape[0]}"
        )
    out = np.empty(pixels.shape[:2] + (4,), np.uint8)
    out[..., :3] = pixels
    out[..., 3] = opacity
    part = (opacity > 0) & (opacity < 255)
    if part.any():
        a = opacity[part].astype(np.float32)[:, None] / 255.0
        colour = (pixels[part].astype(np.float32) - 255.0 * (1.0 - a)) / a
        out[..., :3][part] = np.clip(colour + 0.5, 0, 255).astype(np.uint8)
    return out


def encode_image(
    pixels: np.ndarray,
    fmt: str,
    icc_profile: bytes | None = None,
    quality: int = 95,
    opacity: np.ndarray | None = None,
) -> bytes:
    """RGB uint8 -> PNG or JPEG bytes at full size, keeping the photo's ICC profile. ``opacity`` (a transparent
    upload's alpha, `Photo.opacity`): a PNG gets it back as its alpha channel (`with_opacity`); a JPEG, which has
    none, stays on white."""
    fmt = fmt.upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in ("PNG", "JPEG"):
        raise BadInput(f"export format must be PNG or JPEG, not {fmt}")
    if not 1 <= int(quality) <= 100:
        raise BadInput("JPEG quality must be between 1 and 100")
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if icc_profile:
        kwargs["icc_profile"] = icc_profile
    if fmt == "JPEG":
        kwargs.update(quality=int(quality), subsampling=0 if quality >= 90 else 2)
    else:
        kwargs.update(compress_level=3)
    image = with_opacity(pixels, opacity) if opacity is not None and fmt == "PNG" else pixels
    Image.fromarray(image).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def mask_to_png(mask: np.ndarray) -> bytes:
    """A bool mask as a 0/255 single-channel PNG of the same size."""
    buf = io.BytesIO()
    # 0/1 bytes times 255 (the same pixels as np.where(mask, 255, 0), which made an int64 copy first: 0.2-0.9 s of a
    # 24 MP mask's download file against a few ms)
    grey = np.ascontiguousarray(mask, dtype=bool).view(np.uint8) * np.uint8(255)
    Image.fromarray(grey, mode="L").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def load_mask(path: str | os.PathLike, width: int, height: int) -> np.ndarray:
    """Read a mask PNG (any mode; > 127 is inside) and check it matches a ``width`` x ``height`` photo."""
    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("L"))
    except Exception as exc:  # noqa: BLE001  (any unreadable file is the user's bad input)
        raise BadInput(f"{path}: not a readable mask image ({exc.__class__.__name__})") from None
    if arr.shape != (height, width):
        raise BadInput(f"{path}: mask is {arr.shape[1]}x{arr.shape[0]}, the photo is {width}x{height}")
    return arr > 127
