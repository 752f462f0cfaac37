"""Provenance: what Facet did to an exported photo, written three ways, and read back by "Check a photo".

0. **C2PA Content Credentials** (studio/credentials.py): the signed standard record; :func:`check` reads it
   first, then the metadata, then the watermark.

1. **Metadata** (exact, but any re-save can strip it): the manifest from :func:`build_manifest` as JSON,
   in a PNG ``iTXt`` chunk ``facet:provenance`` (plus a standard XMP packet) or, in a JPEG, in an XMP
   packet (``APP1``) as the property ``facet:Provenance``. :func:`add_metadata` inserts it into already
   encoded bytes (nothing is re-encoded); :func:`read_metadata` finds it again.
2. **Invisible watermark**, only on exports with pixels made by a trained generative model unless
   FACET_WATERMARK says otherwise (:func:`watermark_wanted`; survives a re-save, JPEG 75 and resizing, not crops): 64 bits
   (48 fixed "magic" bits + 4 flags x 4 repeats: edited, faces swapped, faces anonymized, reserved)
   spread over the mid frequencies of the whole-frame DCT of the photo's luma *resized to 512 x 512*.
   :func:`stamp` computes the mark on that working copy, upsamples the difference to the photo's size and
   adds it (the same change to R, G and B: brightness only), so it does not depend on the resolution:
   :func:`read_watermark` resizes any copy to 512 x 512 again and decodes. Each bit is the sign of a
   correlation over ~148 DCT coefficients with pseudo-random signs; embedding pushes every correlation
   past a margin (``ALPHA``) given the photo itself (so the photo's own content does not interfere), with
   the change per pixel limited by how busy the neighbourhood is (about +-0.3 grey levels in flat sky,
   up to +-6 in texture), then dithered to integers. A photo counts as marked when at least
   ``MIN_MAGIC`` of the 48 magic bits agree (an unmarked photo agrees on about 24 at random; 42 or more
   happens with probability ~5e-8).

The mark is a label, not a security feature: the key is in this open-source file, so anyone can read,
remove or forge it. Coordinates: boxes are XYXY in the exported image's pixels; images RGB uint8 HxWx3.
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import os
import re
import struct
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput, FacetError
from core.types import Photo

log = logging.getLogger(__name__)

APP = "Facet"
MANIFEST_VERSION = 1
METADATA_KEY = "facet:provenance"
XMP_NS = "urn:facet:provenance:1"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
MAX_MANIFEST_BYTES = 60_000  # one JPEG APP1 segment holds < 64 KB

# -- watermark parameters (changing any of them makes older marks unreadable) ---------------------------
WORK = 512  # side of the working copy (the photo's luma is resized to WORK x WORK, aspect ignored)
BAND = (24, 112)  # radial DCT frequency band (indices of the WORK x WORK DCT)
NBITS = 64
NMAGIC = 48
FLAGS = ("edited", "faces_swapped", "faces_anonymized", "reserved")
REPEATS = (NBITS - NMAGIC) // len(FLAGS)  # each flag is written 4 times
ALPHA = 4.0  # correlation margin per bit (DCT units), the embedder aims 15 % past it
JND_FLAT, JND_TEXTURE, JND_MAX = 0.3, 1.5, 6.0  # allowed change: flat + texture * local activity, capped
ITERATIONS = 8
MIN_MAGIC = 42  # of NMAGIC magic bits must agree for "watermark found"
KEY = 0x46616365  # "Face"


# ----------------------------------------------------------------------------------------------- manifest

# a piece of a value (between '=', ';' and ',') that is an absolute path (POSIX, Windows or ~), spaces included
_PATH = re.compile(r"(?<=[=;,])(\s*)(?:~|[A-Za-z]:)?[\\/][^=;,]*|^(\s*)(?:~|[A-Za-z]:)?[\\/][^=;,]*")


def _clean_value(value: Any) -> Any:
    """Parameters without file paths (an uploaded target face is just "(uploaded image)")."""
    if isinstance(value, str):
        return _PATH.sub(lambda m: (m.group(1) or m.group(2) or "") + "(uploaded image)", value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean_value(v) for k, v in value.items()}
    return str(value)


def clean_params(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _clean_value(v) for k, v in params.items() if not str(k).endswith("_path")}


def changed_boxes(layer: Any, min_area: int = 64) -> list[list[int]]:
    """XYXY boxes (photo pixels) of the separate regions a layer changed (one per face for face edits)."""
    x0, y0 = layer.box[:2]
    changed = np.asarray(layer.changed, np.uint8)
    if not changed.any():
        return []
    k = max(3, int(round(0.01 * max(changed.shape))) | 1)  # join specks of one face
    joined = cv2.dilate(changed, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for i in range(1, n):
        bx, by, bw, bh, _ = (int(v) for v in stats[i])
        own = (labels[by : by + bh, bx : bx + bw] == i) & (changed[by : by + bh, bx : bx + bw] > 0)
        if int(own.sum()) < min_area:
            continue
        ys, xs = np.nonzero(own)  # the changed pixels' own extent (not the dilated one)
        boxes.append(
            [x0 + bx + int(xs.min()), y0 + by + int(ys.min()), x0 + bx + int(xs.max()) + 1, y0 + by + int(ys.max()) + 1]
        )
    return sorted(boxes)


def face_edit_of(editor: str) -> str | None:
    """ "swapped" / "anonymized" when the editor registered as ``editor`` declares that it changes or hides who a
    face is (``editors.base.Provenance.face_edit``), else None."""
    from editors.base import declared_provenance

    return declared_provenance(editor).face_edit


def layer_record(layer: Any) -> dict[str, Any]:
    """One edit as the manifest lists it; a face edit also carries ``face_boxes`` (one per changed face)."""
    entry: dict[str, Any] = {
        "editor": layer.editor,
        "segment": layer.segment,
        "params": clean_params(layer.params),
        "seed": layer.seed,
        "models": list(layer.models),
        "generative": bool(getattr(layer, "generative", False)),
    }
    what = face_edit_of(layer.editor)
    if what is not None:
        method = str(layer.params.get("method", "swap")) if what == "anonymized" else "swap"
        entry["face_boxes"] = [{"box": b, "edit": what, "method": method} for b in changed_boxes(layer)]
    return entry


def build_manifest(
    layers: Sequence[Any], photo: Any, merged: int = 0, history: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """What Facet did, as a JSON-friendly dict: the edits (editor, segment, params without file paths,
    seed, model ids) in order, face flags and the changed face boxes (XYXY, exported-image pixels).

    ``layers``: the visible layers in the order they were applied (hidden ones are not in the export);
    ``merged``: how many older edits were merged into one layer; ``history``: the `layer_record` of each
    merged edit that was visible (kept by the layer stack, so a face swap merged long ago is still listed)."""
    editors = []
    face_boxes: list[dict[str, Any]] = []
    for layer in layers:
        if layer.editor == "merged":
            records = [dict(r, merged=True) for r in history]
            if merged > len(records):
                note = f"{merged - len(records)} older edits merged into one layer; their details were not kept"
                records.insert(
                    0,
                    {
                        "editor": "merged",
                        "segment": "",
                        "params": {},
                        "seed": None,
                        "models": [],
                        "note": note,
                        "generative": bool(getattr(layer, "generative", False)),
                    },
                )
        else:
            records = [layer_record(layer)]
        for entry in records:
            face_boxes += entry.pop("face_boxes", [])
            editors.append(entry)
    face_edits = {b["edit"] for b in face_boxes} | {face_edit_of(str(e["editor"])) for e in editors}
    swapped, anonymized = "swapped" in face_edits, "anonymized" in face_edits
    return {
        "app": APP,
        "version": MANIFEST_VERSION,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "image": {"width": int(photo.width), "height": int(photo.height)},
        "edits": editors,
        "faces_swapped": swapped,
        "faces_anonymized": anonymized,
        "face_boxes": face_boxes,
        "trained_models_used": any(e["models"] for e in editors),
        "generative": any(e.get("generative") for e in editors),  # pixels made by a trained generative model
    }


def flags_of(manifest: dict[str, Any] | None) -> dict[str, bool]:
    m = manifest or {}
    return {
        "edited": bool(m.get("edits")),
        "faces_swapped": bool(m.get("faces_swapped")),
        "faces_anonymized": bool(m.get("faces_anonymized")),
        "reserved": False,
    }


def _manifest_json(manifest: dict[str, Any]) -> str:
    """Compact JSON, at most MAX_MANIFEST_BYTES: a very long session keeps editor / segment / seed per edit,
    then only the flags and face boxes."""
    text = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False)
    edits = [e for e in manifest.get("edits", []) if isinstance(e, dict)]
    for slim in (
        {**manifest, "edits": [{k: e.get(k) for k in ("editor", "segment", "seed")} for e in edits]},
        {
            **manifest,
            "edits": [{"editor": f"({len(edits)} edits, too many to list)"}],
            "face_boxes": list(manifest.get("face_boxes", []))[:200],
        },
    ):
        if len(text.encode()) <= MAX_MANIFEST_BYTES:
            break
        text = json.dumps(slim, separators=(",", ":"), ensure_ascii=False)
    return text


# ----------------------------------------------------------------------------------------------- metadata


def _xmp_packet(text: str, manifest: dict[str, Any]) -> bytes:
    source = (
        (
            f' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
            f' Iptc4xmpExt:DigitalSourceType="{AI_SOURCE}"'
        )
        if manifest.get("generative")
        else ""
    )  # as C2PA says
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{APP}"'
        f' xmlns:facet="{XMP_NS}"{source}>'
        f"<facet:Provenance>{html.escape(text, quote=False)}</facet:Provenance>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _itxt(key: str, text: str) -> bytes:
    return _png_chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8"))


def _first_idat(data: bytes) -> int:
    """Offset of the first IDAT chunk of a PNG (walking the chunks, not searching the bytes)."""
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            return pos
        pos += 12 + length
    raise BadInput("add_metadata: not a complete PNG")


def add_metadata(data: bytes, manifest: dict[str, Any]) -> bytes:
    """PNG or JPEG bytes with the manifest added (iTXt + XMP / XMP in APP1); pixels are not re-encoded."""
    text = _manifest_json(manifest)
    xmp = _xmp_packet(text, manifest)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        idat = _first_idat(data)  # before the pixels, where readers look without decoding them
        extra = (
            _itxt(METADATA_KEY, text)
            + _itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
            + _png_chunk(b"tEXt", b"Software\x00" + APP.encode())
        )
        return data[:idat] + extra + data[idat:]
    if data[:2] == b"\xff\xd8":
        pos = 2
        if data[2:4] == b"\xff\xe0":  # keep JFIF's APP0 first
            pos = 4 + struct.unpack(">H", data[4:6])[0]
        payload = XMP_HEADER + xmp
        if len(payload) + 2 > 0xFFFF:
            raise BadInput("add_metadata: the provenance record is too large for a JPEG segment")
        return data[:pos] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[pos:]
    raise BadInput("add_metadata: only PNG and JPEG files carry Facet metadata")


def _parse_manifest(text: str | bytes | None) -> dict[str, Any] | None:
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if len(text) > 4 * MAX_MANIFEST_BYTES:
        return None
    try:
        m = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(m, dict) or m.get("app") != APP or not isinstance(m.get("edits", []), list):
        return None
    # untrusted from here on: keep only well-formed edits, image size and boxes
    m["edits"] = [e for e in m.get("edits", []) if isinstance(e, dict)]
    for e in m["edits"]:
        if not isinstance(e.get("params"), dict):
            e["params"] = {}
    size = m.get("image")
    ok = isinstance(size, dict) and all(
        isinstance(size.get(k), int) and 0 < size[k] < 1_000_000 for k in ("width", "height")
    )
    m["image"] = {"width": size["width"], "height": size["height"]} if ok and isinstance(size, dict) else {}
    boxes = []
    face_boxes = m.get("face_boxes")
    for fb in face_boxes if isinstance(face_boxes, list) else []:
        b = fb.get("box") if isinstance(fb, dict) else None
        if (
            isinstance(b, list)
            and len(b) == 4
            and all(isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < 1e6 for v in b)
        ):
            boxes.append(
                {"box": [float(v) for v in b], "edit": str(fb.get("edit", "")), "method": str(fb.get("method", ""))}
            )
    m["face_boxes"] = boxes[:200]
    return m


def _from_xmp(xmp: str | bytes | None) -> dict[str, Any] | None:
    if not xmp:
        return None
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "replace")
    found = re.search(r"<facet:Provenance>(.*?)</facet:Provenance>", xmp, re.S)
    return _parse_manifest(html.unescape(found.group(1))) if found else None


def read_metadata(data: bytes) -> dict[str, Any] | None:
    """The Facet manifest stored in an image file's metadata (PNG iTXt, or XMP in PNG / JPEG / WebP), or None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            info = dict(im.info)
    except Exception:  # noqa: BLE001  (not an image PIL can read: no metadata to report)
        return None
    return (
        _parse_manifest(info.get(METADATA_KEY))
        or _from_xmp(info.get("xmp"))
        or _from_xmp(info.get("XML:com.adobe.xmp"))
    )


# ---------------------------------------------------------------------------------------------- watermark


class _Pattern:
    """The fixed spreading pattern: which DCT coefficient carries which bit, with which sign."""

    def __init__(self) -> None:
        u, v = np.meshgrid(np.arange(WORK), np.arange(WORK))
        r = np.hypot(u, v).ravel()
        idx = np.flatnonzero((r >= BAND[0]) & (r < BAND[1]))
        rng = np.random.default_rng(KEY)
        self.idx = rng.permutation(idx)
        self.bit = np.arange(self.idx.size) % NBITS
        self.sign = rng.choice(np.array([-1.0, 1.0], np.float32), self.idx.size)
        self.count = np.bincount(self.bit, minlength=NBITS).astype(np.float64)
        self.magic = rng.integers(0, 2, NMAGIC).astype(bool)

    def project(self, dct: np.ndarray) -> np.ndarray:
        c = dct.ravel()[self.idx] * self.sign
        return np.bincount(self.bit, weights=c, minlength=NBITS) / self.count

    def spread(self, per_bit: np.ndarray) -> np.ndarray:
        out = np.zeros(WORK * WORK, np.float32)
        out[self.idx] = per_bit[self.bit] * self.sign
        return out.reshape(WORK, WORK)


_PATTERN: list[_Pattern] = []


def _pattern() -> _Pattern:
    if not _PATTERN:
        _PATTERN.append(_Pattern())
    return _PATTERN[0]


def payload(flags: dict[str, bool]) -> np.ndarray:
    """The 64 bits: the magic bits, then each flag repeated ``REPEATS`` times."""
    bits = np.zeros(NBITS, bool)
    bits[:NMAGIC] = _pattern().magic
    for j, name in enumerate(FLAGS):
        bits[NMAGIC + j :: len(FLAGS)] = bool(flags.get(name, False))
    return bits


def _working_luma(rgb: np.ndarray) -> np.ndarray:
    """The luma resized to WORK x WORK, float32 (area-averaged when shrinking, bicubic when enlarging)."""
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return _resize(gray, WORK, WORK)


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    H, W = a.shape[:2]
    if (W, H) == (w, h):
        return a
    if w <= W and h <= H:
        return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)
    if w >= W and h >= H:
        return cv2.resize(a, (w, h), interpolation=cv2.INTER_CUBIC)
    # one side shrinks, the other grows: each axis with its own filter
    a = cv2.resize(a, (w, H), interpolation=cv2.INTER_AREA if w < W else cv2.INTER_CUBIC)
    return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA if h < H else cv2.INTER_CUBIC)


def _allowed_change(w: np.ndarray) -> np.ndarray:
    """Per working pixel, how far the luma may move: little on flat areas, more in busy texture."""
    band = cv2.GaussianBlur(w, (0, 0), 1.5) - cv2.GaussianBlur(w, (0, 0), 6.0)
    activity = cv2.GaussianBlur(np.abs(band), (0, 0), 6.0)
    jnd = np.minimum(JND_FLAT + JND_TEXTURE * activity, JND_MAX)
    return np.minimum(jnd, np.minimum(w, 255.0 - w) + 0.5).astype(np.float32)  # no room at black / white


def watermark_residual(rgb: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """The WORK x WORK luma change that writes ``bits`` into ``rgb``'s working copy."""
    pat = _pattern()
    w = _working_luma(rgb)
    target = np.where(bits, 1.0, -1.0)
    limit = _allowed_change(w)
    r = np.zeros_like(w)
    for _ in range(ITERATIONS):
        p = pat.project(cv2.dct(w + r))
        need = np.maximum(0.0, 1.15 * ALPHA - target * p)
        if not need.any():
            break
        r = np.clip(r + cv2.idct(pat.spread((need * target).astype(np.float32))), -limit, limit)
    return r


def stamp(pixels: np.ndarray, manifest: dict[str, Any]) -> np.ndarray:
    """A copy of ``pixels`` (RGB uint8) carrying the invisible watermark with ``manifest``'s flags."""
    if not (isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3):
        raise BadInput("stamp: pixels must be an RGB uint8 array of shape (H, W, 3)")
    h, w = pixels.shape[:2]
    residual = _resize(watermark_residual(pixels, payload(flags_of(manifest))), w, h)
    out = np.empty_like(pixels)
    rng = np.random.default_rng(KEY)  # dither: the sub-grey-level change becomes a fine, even grain
    rows = max(1, 2_000_000 // max(w, 1))
    for y in range(0, h, rows):
        d = np.floor(residual[y : y + rows] + rng.random((min(rows, h - y), w), dtype=np.float32)).astype(np.int16)
        out[y : y + rows] = np.clip(pixels[y : y + rows].astype(np.int16) + d[..., None], 0, 255)
    return out


@dataclass(frozen=True)
class WatermarkReading:
    found: bool
    magic_agree: int  # of NMAGIC
    flags: dict[str, bool]  # meaningful only when found
    strength: float  # median correlation along the expected magic signs / ALPHA (about 1 freshly stamped)

    @property
    def agreement(self) -> float:
        return self.magic_agree / NMAGIC


def read_watermark(pixels: np.ndarray) -> WatermarkReading:
    """Decode the watermark from any copy (any size) of a stamped image."""
    pat = _pattern()
    p = pat.project(cv2.dct(_working_luma(pixels)))
    agree = int(((p[:NMAGIC] > 0) == pat.magic).sum())
    expected = np.where(pat.magic, 1.0, -1.0)
    strength = float(np.median(p[:NMAGIC] * expected) / ALPHA)
    flags = {name: bool(p[NMAGIC + j :: len(FLAGS)].sum() > 0) for j, name in enumerate(FLAGS)}
    found = agree >= MIN_MAGIC
    return WatermarkReading(found, agree, flags if found else {}, strength)


# ----------------------------------------------------------------------------------------------- exporting


def watermark_wanted(manifest: dict[str, Any], policy: str) -> bool:
    """FACET_WATERMARK: 'generative' marks only exports holding pixels made by a trained generative model
    (a classical edit then leaves every pixel outside it bit-identical); 'always' marks every edited export;
    'never' none."""
    if policy not in ("generative", "always", "never"):
        raise BadInput(f"FACET_WATERMARK={policy!r}: use generative, always or never")
    return policy == "always" or (policy == "generative" and bool(manifest.get("generative")))


def provenance_bytes(
    pixels: np.ndarray,
    layers: Sequence[Any],
    photo: Photo,
    fmt: str,
    icc_profile: bytes | None,
    quality: int = 95,
    merged: int = 0,
    history: Sequence[dict[str, Any]] = (),
    settings: Any = None,
) -> tuple[bytes, dict[str, Any]]:
    """Encode ``pixels`` as PNG / JPEG with the metadata of ``layers``, the invisible watermark when the policy
    wants it (`watermark_wanted`), and signed C2PA Content Credentials (studio/credentials.py); (bytes, manifest)."""
    from studio import credentials
    from core.photo import encode_image
    from core.settings import Settings

    settings = settings or Settings.from_env()
    manifest = build_manifest(layers, photo, merged, history)
    manifest["watermarked"] = watermark_wanted(manifest, settings.watermark)
    marked = stamp(pixels, manifest) if manifest["watermarked"] else pixels
    data = encode_image(marked, fmt, icc_profile, quality, photo.opacity)  # a transparent upload keeps its alpha
    data = add_metadata(data, manifest)
    return credentials.sign(data, fmt, manifest, layers, photo, settings), manifest


# -------------------------------------------------------------------------------------------------- check


@dataclass(eq=False)
class CheckReport:
    """What "Check a photo" found. ``overlay``: the photo (RGB uint8) with a face mesh over changed faces."""

    name: str
    width: int
    height: int
    has_metadata: bool
    manifest: dict[str, Any] | None
    watermark_found: bool
    watermark_flags: dict[str, bool]
    bit_agreement: float  # fraction of the 48 magic bits that agree (about 0.5 on unmarked photos)
    verdict: str
    overlay: np.ndarray
    faces_marked: int = 0
    notes: list[str] = field(default_factory=list)
    content_credentials: dict[str, Any] | None = None  # C2PA, as studio.credentials.read gives it

    @property
    def edited_by_facet(self) -> bool:
        c2pa = self.content_credentials
        return self.has_metadata or self.watermark_found or bool(c2pa and c2pa.get("facet"))

    def summary(self) -> dict[str, Any]:
        """JSON-friendly (no pixels)."""
        return {
            "file": self.name,
            "width": self.width,
            "height": self.height,
            "edited_by_facet": self.edited_by_facet,
            "has_metadata": self.has_metadata,
            "watermark_found": self.watermark_found,
            "watermark_flags": self.watermark_flags,
            "bit_agreement": round(self.bit_agreement, 4),
            "faces_marked": self.faces_marked,
            "verdict": self.verdict,
            "content_credentials": self.content_credentials,
            "manifest": self.manifest,
        }


def _describe_edit(e: dict[str, Any]) -> str:
    editor, seg, params = str(e.get("editor", "?")), str(e.get("segment", "")), e.get("params") or {}
    face_edit = face_edit_of(editor)
    if face_edit == "anonymized":
        method = str(params.get("method", "swap"))
        return "faces anonymized (" + ("synthetic identity" if method == "swap" else method) + ")"
    if face_edit == "swapped":
        target = str(params.get("target", ""))
        return "faces swapped" + (
            f" (to {target})" if target and "(uploaded" not in target else " (to an uploaded face)" if target else ""
        )
    if editor == "merged":
        return "earlier edits (merged, details not kept)"
    look = params.get("texture") or params.get("style") or params.get("preset") or params.get("prompt")
    if not isinstance(look, str):  # a built-in style by its name, not its number (round 23: "style on dog")
        from editors.style import style_name

        look = style_name(params.get("style"))
    what = f"{editor} ({look})" if isinstance(look, str) and look else editor
    return f"{what} on {seg}" if seg else what


def _verdict(manifest: dict[str, Any] | None, wm: WatermarkReading) -> str:
    no_marks = "No Facet marks found — this does not prove the photo is unedited."
    bits = f"{wm.magic_agree}/{NMAGIC} bits"
    if manifest is not None:
        edits = [_describe_edit(e) for e in manifest.get("edits", []) if isinstance(e, dict)]
        seen: list[str] = []
        for d in edits:
            if d not in seen:
                seen.append(d)
        text = "Edited by Facet: " + ("; ".join(seen) if seen else "no edit listed") + "."
        if wm.found:
            return text + f" The invisible watermark confirms it ({bits})."
        if manifest.get("watermarked") is False:
            return text + (
                " No invisible watermark, as expected: Facet marks the pixels only of exports with "
                "content made by a generative model."
            )
        return (
            text + f" The invisible watermark is missing ({bits}): the photo was probably cropped or "
            "edited further after export, or the metadata was copied from another file."
        )
    if wm.found:
        faces = [
            what
            for flag, what in (("faces_swapped", "faces swapped"), ("faces_anonymized", "faces anonymized"))
            if wm.flags.get(flag)
        ]
        return (
            "Edited by Facet (invisible watermark found, "
            + bits
            + "; the metadata was removed): "
            + (
                "; ".join(faces)
                if faces
                else "part of the photo was edited (which part is unknown without the metadata)"
            )
            + "."
        )
    return no_marks


def _match_faces(faces: list[Any], boxes: list[list[float]]) -> list[Any]:
    """Detected faces whose centre lies inside one of the manifest's changed boxes (grown by 25 %)."""
    out = []
    for f in faces:
        cx, cy = f.centre
        for x0, y0, x1, y1 in boxes:
            gx, gy = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
            if x0 - gx <= cx <= x1 + gx and y0 - gy <= cy <= y1 + gy:
                out.append(f)
                break
    return out


def draw_face_mesh(rgb: np.ndarray, faces: list[Any], colour: tuple[int, int, int] = (0, 255, 170)) -> np.ndarray:
    """A copy of ``rgb`` with each face's 468-point mesh drawn as triangles, its outline, eyes and lips on top
    (faces without a mesh get their outline only)."""
    from faces.geometry import padded_box, triangulate
    from faces.landmarks import FACE_OVAL, LEFT_EYE, LIPS, RIGHT_EYE
    from faces.masks import face_polygon

    out = rgb.copy()
    for f in faces:
        thick = max(1, int(round(f.size / 180)))
        if f.mesh is not None:
            pts = f.mesh.astype(np.float32)
            tris = triangulate(pts)
            polys = [np.round(pts[t] * 16).astype(np.int32) for t in tris]
            lines = out.copy()
            cv2.polylines(lines, polys, True, colour, 1, cv2.LINE_AA, shift=4)
            opacity = 0.3 if f.size < 150 else 0.55  # small faces: the mesh must not hide the face
            x0, y0, x1, y1 = padded_box(pts, out.shape, 4)
            out[y0:y1, x0:x1] = cv2.addWeighted(lines[y0:y1, x0:x1], opacity, out[y0:y1, x0:x1], 1 - opacity, 0)
            for loop in (FACE_OVAL, LEFT_EYE, RIGHT_EYE, LIPS):
                cv2.polylines(
                    out,
                    [np.round(pts[loop] * 16).astype(np.int32)],
                    True,
                    (255, 60, 200),
                    thick + 1,
                    cv2.LINE_AA,
                    shift=4,
                )
        else:
            cv2.polylines(
                out, [np.round(face_polygon(f)).astype(np.int32)], True, (255, 60, 200), thick + 1, cv2.LINE_AA
            )
    return out


def _draw_boxes(rgb: np.ndarray, boxes: list[list[float]], label: str) -> np.ndarray:
    out = rgb.copy()
    thick = max(2, round(max(rgb.shape[:2]) / 300))
    for x0, y0, x1, y1 in boxes:
        p0, p1 = (int(x0), int(y0)), (int(x1) - 1, int(y1) - 1)
        cv2.rectangle(out, p0, p1, (255, 60, 200), thick, cv2.LINE_AA)
        cv2.putText(
            out,
            label,
            (p0[0], max(12, p0[1] - 6)),
            cv2.FONT_HERSHEY_SIMPLEX,
            max(0.4, (x1 - x0) / 250),
            (255, 60, 200),
            max(1, thick - 1),
            cv2.LINE_AA,
        )
    return out


def check(
    source: str | os.PathLike | bytes, settings: Any = None, name: str | None = None, manager: Any = None
) -> CheckReport:
    """Read a photo's Facet metadata and watermark; say whether and how Facet edited it, and draw the face
    mesh over faces that were swapped or anonymized. The file goes through ``load_photo``'s checks."""
    from core.photo import load_photo
    from core.settings import Settings

    settings = settings or Settings()
    photo = load_photo(source, settings, name=name)  # size limits, bomb checks, upright RGB
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:  # the metadata: read again, no more than load_photo accepted
            data = f.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise BadInput(f"{photo.name}: the file changed while it was being checked")
    from studio import credentials

    notes: list[str] = []
    c2pa = credentials.read(data)  # 1. Content Credentials, 2. Facet's own metadata, 3. the watermark
    manifest = None
    if c2pa is not None and c2pa["state"] != "Invalid" and c2pa.get("facet") is not None:
        manifest = _parse_manifest(json.dumps(c2pa["facet"]))
    if manifest is None:
        manifest = read_metadata(data)
    wm = read_watermark(photo.pixels)
    if manifest is not None:
        size = manifest.get("image") or {}
        if (
            isinstance(size, dict)
            and (size.get("width"), size.get("height")) != (photo.width, photo.height)
            and size.get("width")
        ):
            notes.append(
                f"the photo is {photo.width}x{photo.height}; Facet exported it at "
                f"{size.get('width')}x{size.get('height')} (resized since)"
            )
        said = flags_of(manifest)
        if wm.found and any(said[k] != wm.flags.get(k) for k in ("faces_swapped", "faces_anonymized")):
            notes.append(
                "the metadata and the watermark disagree about the faces; the metadata may have been "
                "copied from another file"
            )
    overlay, marked = _face_overlay(photo.pixels, manifest, wm, notes, manager)
    verdict = _verdict(manifest, wm)
    if c2pa is not None:
        verdict += " " + credentials.describe(c2pa)
    if notes:
        verdict += " Note: " + "; ".join(notes) + "."
    return CheckReport(
        photo.name,
        photo.width,
        photo.height,
        manifest is not None,
        manifest,
        wm.found,
        wm.flags,
        wm.agreement,
        verdict,
        overlay,
        marked,
        notes,
        c2pa,
    )


def _face_overlay(
    rgb: np.ndarray, manifest: dict[str, Any] | None, wm: WatermarkReading, notes: list[str], manager: Any
) -> tuple[np.ndarray, int]:
    faces_changed = (manifest is not None and (manifest.get("faces_swapped") or manifest.get("faces_anonymized"))) or (
        manifest is None and wm.found and (wm.flags.get("faces_swapped") or wm.flags.get("faces_anonymized"))
    )
    if not faces_changed:
        return rgb.copy(), 0
    from faces.detect import find_faces

    try:
        faces = find_faces(rgb, manager, backend="offline")
    except FacetError as exc:  # e.g. the packaged face detector is missing: the verdict still stands
        notes.append(f"faces could not be searched ({exc})")
        faces = []
    boxes = [fb["box"] for fb in (manifest or {}).get("face_boxes", [])]
    if manifest is not None and boxes:
        size = manifest.get("image") or {}
        sx = rgb.shape[1] / float(size.get("width") or rgb.shape[1])
        sy = rgb.shape[0] / float(size.get("height") or rgb.shape[0])
        h, w = rgb.shape[:2]
        boxes = [
            [min(max(b[0] * sx, 0), w), min(max(b[1] * sy, 0), h), min(max(b[2] * sx, 0), w), min(max(b[3] * sy, 0), h)]
            for b in boxes
        ]
        boxes = [b for b in boxes if b[2] - b[0] >= 2 and b[3] - b[1] >= 2]
        chosen = _match_faces(faces, boxes)
        out = draw_face_mesh(rgb, chosen)
        unmatched = [b for b in boxes if not _match_faces(chosen, [b])]
        if unmatched:  # e.g. a solid mask or heavy blur: no face left to find, show where it was
            out = _draw_boxes(out, unmatched, "face changed")
        return out, len(chosen) + len(unmatched)
    if not faces:
        notes.append("no face could be found to outline")
        return rgb.copy(), 0
    return draw_face_mesh(rgb, faces), len(faces)
