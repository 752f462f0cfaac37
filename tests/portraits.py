"""Portrait hair sets for issue 11 (hair >= 0.7 on portraits), scored apart from the 28-photo labelled set.

Three sets, each scored with the hair IoU of a parse (``labelset.predicted(...)["hair"]``, void pixels left out):

- ``ORIGINAL``: the four portraits of tests/labels/ (astronaut, grace_hopper, t1, messi5);
- ``NEW``: tests/labels/portraits/*.json, labelled for hair only (the other labels are not drawn there, so
  only hair is scored): skimage's cameraman (``camera``), opencv-doc's ``basketball1`` (two heads, one seen
  from behind), and three head-and-shoulders crops of t1 (``"crop": [x0, y0, x1, y1]`` of the photo named in
  ``"from"``, whose hand labels are cropped with it). Both new photos are grey. Tom Hanks' 112 px face crop
  (insightface) was looked at and left out: it shows hardly any hair;
- ``RECOLOURED``: the labelled hair of the non-Grace portraits repainted grey (Lab chroma 0, lightness kept)
  and white (chroma 0, lightness mapped to ``65 + 0.35 L``: the strands' light and dark stay, only lifted),
  exactly inside the hand label. Grey is done on the colour photos only (on a grey photo it changes nothing).
  Grace Hopper is not in it: her grey hair is scored in ORIGINAL.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from tests import labelset, photos

PORTRAITS_DIR = Path(__file__).resolve().parent / "labels" / "portraits"
ORIGINAL = ("astronaut", "grace_hopper", "t1", "messi5")
GREY_PHOTOS = ("camera", "basketball1")  # grey photos: no "grey" recolour for them
RECOLOUR_BASE = ("astronaut", "t1", "messi5", "camera", "basketball1")
TONES = ("grey", "white")


def new_names() -> list[str]:
    return sorted(p.stem for p in PORTRAITS_DIR.glob("*.json"))


def recoloured_names() -> list[str]:
    return [f"{n}~{t}" for t in TONES for n in RECOLOUR_BASE if not (t == "grey" and n in GREY_PHOTOS)]


def all_names() -> dict[str, list[str]]:
    return {"original": list(ORIGINAL), "new": new_names(), "recoloured": recoloured_names()}


def _load_new(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with open(PORTRAITS_DIR / f"{name}.json") as fh:
        entry = json.load(fh)
    if "crop" in entry:
        base = labelset.load(entry["from"])
        rgb, hair, keep = _hair_truth(base)
        x0, y0, x1, y1 = entry["crop"]
        return (
            np.ascontiguousarray(rgb[y0:y1, x0:x1]),
            np.ascontiguousarray(hair[y0:y1, x0:x1]),
            np.ascontiguousarray(keep[y0:y1, x0:x1]),
        )
    return _hair_truth(entry)


def _hair_truth(entry: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rgb = photos.load(entry["photo"])
    assert list(rgb.shape[1::-1]) == entry["size"], entry["photo"]
    hair = labelset.masks(entry).get("hair", np.zeros(rgb.shape[:2], bool))
    return rgb, hair, ~labelset.void(entry)


def recolour(rgb: np.ndarray, mask: np.ndarray, tone: str) -> np.ndarray:
    """``rgb`` with the pixels of ``mask`` repainted ``tone`` ("grey": chroma 0, lightness kept; "white": chroma 0,
    lightness ``65 + 0.35 L``), in CIE Lab (OpenCV's 8-bit Lab: L scaled to 0..255, a and b offset by 128)."""
    if tone not in TONES:
        raise ValueError(f"tone must be one of {TONES}, not {tone!r}")
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    region = lab[mask].astype(np.float32)
    region[:, 1:] = 128.0
    if tone == "white":
        region[:, 0] = 0.65 * 255.0 + 0.35 * region[:, 0]
    lab[mask] = np.clip(np.round(region), 0, 255).astype(np.uint8)
    out = rgb.copy()
    out[mask] = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)[mask]
    return out


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(RGB uint8 photo, bool hair truth, bool scored pixels) for a portrait of any set (``"t1~white"``:
    t1 with its labelled hair repainted white)."""
    base, _, tone = name.partition("~")
    if base in ORIGINAL:
        rgb, hair, keep = _hair_truth(labelset.load(base))
    else:
        rgb, hair, keep = _load_new(base)
    if tone:
        rgb = recolour(rgb, hair, tone)
    return rgb, hair, keep


def hair_iou(name: str, segments) -> float:
    """The hair IoU of parse ``segments`` on portrait ``name`` (void pixels not scored)."""
    _, hair, keep = load(name)
    pred = labelset.predicted(segments).get("hair")
    pred = np.zeros_like(hair) if pred is None else pred
    return labelset.iou(hair & keep, pred & keep)
