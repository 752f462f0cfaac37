"""Hair from the person's silhouette on the head: a second source beside the two hair nets (issue 11).

Both hair nets (MediaPipe's hair net and PAN's hair class, segmenters/nets.py) learnt hair mostly as dark or
coloured strands: on grey and white hair they give almost nothing. The head itself is still there: the person
mask (VOC person class + selfie segmentation, segmenters/person.py) covers it. Above and beside the face
mesh's oval, what belongs to the person and is neither face, skin, the net's clothes below the chin nor a hat
can only be hair. :func:`silhouette_hair` takes those pixels where the hair nets were unsure, joined to the
hair the nets found or to the top of the face, in a band around the head set by the face's own axes
(``segmenters.clothes.Frame``). It knows nothing of colour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

HEAD_FROM = 0.3  # the band starts this many face heights (hairline to chin) above the chin ...
HEAD_TO = 2.0  # ... and ends this high
HEAD_ACROSS = 1.15  # half its width, in face widths (cheek to cheek) from the face's centre line
UNSURE = 0.5  # a pixel either hair net gives this much or more was already judged by them
SKIN = 0.5  # PAN's skin probability over this (and over its clothes): skin (a bald crown, ears, a neck)
CLOTH = 0.5  # PAN's clothes probability over this ...
CLOTH_LINE = 0.75  # ... below this height (face heights above the chin): a collar, not hair
HAT_CLOTH = 0.75  # a candidate piece whose mean PAN clothes probability is this high is a hat, not hair ...
# ... unless the hair net finds hair in it on the lightness-inverted crop (white hair looks like a white cap to PAN)
OPEN = 0.1  # the candidates are opened with a disc this many face heights wide (the thin rims between parts go)
MIN_PIECE = 0.3  # a piece smaller than this share of the face (width x height) is left out: on heads whose hair
# the nets found, what is left are rims and the loose edge of the person mask, not hair


DEBUG: list | None = None


def invert_lightness(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` (uint8) with its CIE lightness turned over (L -> 100 - L), chroma kept: white hair becomes dark
    hair, the kind both hair nets learnt (the face turns dark too; callers keep the face out)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = 255 - lab[..., 0]
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def silhouette_hair(
    person: np.ndarray,
    net_hair: np.ndarray,
    face: np.ndarray,
    skin_p: np.ndarray,
    cloth_p: np.ndarray,
    hair_p: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray | None = None,
    inverted: Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """Bool mask of hair the nets missed, from the silhouette (all maps the same shape, one person's box).

    ``person``: the person's mask; ``net_hair``: the hair the nets found; ``face``: the face mesh's oval;
    ``skin_p``, ``cloth_p``: PAN's probabilities; ``hair_p``: the larger of the two hair nets' probabilities;
    ``above`` / ``across``: each pixel's height above the chin in face heights and distance from the face's
    centre line in face widths (``frame.coords``, a ``segmenters.clothes.Frame``: ``fw``, ``fh``); ``brim``:
    the brim of a hat found under clothing (``hat_under_clothes``); ``inverted``: called (once, only for a
    piece PAN calls clothes) for the hair net's probability on the head crop with its lightness turned over
    (:func:`invert_lightness`).

    Candidates are the person's pixels in the head band that the nets left (``hair_p`` under ``UNSURE``) and
    that are not face, skin or a collar, opened so that the thin rims between the nets' hair, the face and the
    background go. A piece at least ``MIN_PIECE`` of the face's size, joined to the nets' hair or to the top
    of the face, and not touching a hat's brim (what sits on a brim is the hat's crown), is hair unless PAN is
    sure it is clothes (a hat, ``HAT_CLOTH``); then only where the hair net finds hair in it on the
    lightness-inverted crop."""
    fw, fh = float(frame.fw), float(frame.fh)
    band = (above > HEAD_FROM) & (above < HEAD_TO) & (np.abs(across) < HEAD_ACROSS)
    skin = (skin_p > SKIN) & (skin_p >= cloth_p)
    collar = (cloth_p > CLOTH) & (above < CLOTH_LINE)
    cand = person & band & ~net_hair & ~face & ~skin & ~collar & (hair_p < UNSURE)
    if brim is not None:
        cand &= ~brim
    k = max(3, int(OPEN * fh)) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    cand = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_OPEN, ker).astype(bool)
    out = np.zeros(cand.shape, bool)
    min_area = MIN_PIECE * fw * fh
    if cand.sum() < min_area:
        return out
    anchor = cv2.dilate((net_hair | (face & (above > 0.7))).astype(np.uint8), ker).astype(bool)
    on_brim = (
        cv2.dilate(brim.astype(np.uint8), ker).astype(bool) if brim is not None and brim.any() else np.zeros_like(out)
    )
    inv: np.ndarray | None = None
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        piece = labels == i
        if piece.sum() < min_area or not (piece & anchor).any() or (piece & on_brim).any():
            continue
        if DEBUG is not None:
            DEBUG.append((piece.sum() / (fw * fh), float(np.median(above[piece])), float(np.median(np.abs(across[piece]))), float(cloth_p[piece].mean())))
        if float(cloth_p[piece].mean()) < HAT_CLOTH:
            out |= piece
            continue
        if inverted is None:
            continue
        if inv is None:
            inv = inverted()
        found = piece & (inv > UNSURE)
        if found.sum() >= min_area:
            out |= found
    return out
