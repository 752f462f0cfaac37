"""Faces drawn for people: each face outlined (face-shaped) with its number, so the UI can show which
index is which face."""

from __future__ import annotations

import cv2
import numpy as np

from faces.masks import face_polygon
from faces.types import Face


def draw_face_numbers(rgb: np.ndarray, found: list[Face], colour: tuple[int, int, int] = (255, 214, 0)) -> np.ndarray:
    """A copy of ``rgb`` with each face outlined (face-shaped) and its number written above it: ``index + 1``, as the
    user counts faces (from 1, like the people on the part chips; app/face_numbers.py)."""
    out = rgb.copy()
    thick = max(1, round(max(rgb.shape[:2]) / 400))
    for f in found:
        poly = np.round(face_polygon(f)).astype(np.int32)
        cv2.polylines(out, [poly], True, colour, thick, cv2.LINE_AA)
        scale = max(0.5, f.width / 60)
        text = str(f.index + 1)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick + 1)
        x = int(f.centre[0] - tw / 2)
        y = int(max(th + 2, f.box[1] - 4))
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick + 1, cv2.LINE_AA)
    return out
