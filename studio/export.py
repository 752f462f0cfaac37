"""Export: the edited photo as file bytes, the same from the browser and the command line. With at least one
edit it carries Facet's provenance (studio/provenance.py: edit metadata, C2PA Content Credentials, and the
invisible watermark as FACET_WATERMARK says); an unedited photo is written without any."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.photo import encode_image
from core.types import Photo
from studio.provenance import provenance_bytes


def export_bytes(
    pixels: np.ndarray,
    layers: Sequence[Any],
    photo: Photo,
    fmt: str = "PNG",
    quality: int = 95,
    merged: int = 0,
    history: Sequence[Any] = (),
    settings: Any = None,
) -> bytes:
    """``pixels`` (the full-size result, RGB uint8) as PNG or JPEG bytes with the photo's ICC profile (and a PNG with
    its alpha when the upload had one: ``photo.opacity``, see core.photo.encode_image); ``layers``
    are the visible edits it shows (``merged`` older ones folded into the first, ``history`` their records)."""
    if not layers:
        return encode_image(np.asarray(pixels), fmt, photo.icc_profile, quality, photo.opacity)
    data, _ = provenance_bytes(
        np.asarray(pixels),
        list(layers),
        photo,
        fmt,
        photo.icc_profile,
        quality,
        merged=merged,
        history=list(history),
        settings=settings,
    )
    return data


def export_name(photo_name: str, fmt: str) -> str:
    """The download's file name: the photo's stem (safe characters only) + ``-facet.png`` / ``-facet.jpg``."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(photo_name).stem)[:60] or "photo"
    return f"{stem}-facet.{'jpg' if fmt.upper() in ('JPG', 'JPEG') else 'png'}"
