"""Cartoon: flatten the selected part into a few clean colours and draw dark outlines.

1. edge-preserving smoothing: ``smoothing`` rounds of ``cv2.bilateralFilter`` (on a half-size copy of
   big crops, the classic cartoonizer trick);
2. colour quantisation: k-means in Lab on the segment's pixels to ``colours`` colours (seeded), a
   median filter to clean up specks, and a chroma boost (``saturation``);
3. outlines: adaptive threshold of the median-blurred grey image (``edge_block``, ``edge_sensitivity``),
   darkening the colours by ``outline`` (0 = no lines).
The work runs at most at 1024 px (longer side) and is scaled back to the crop's size.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from core.budget import work_size
from editors.registry import EDITORS
from editors.base import CLASSICAL, FEATHER, CropEditor, Param, Provenance
from editors.style import kmeans, nearest

WORK_SIDE = 1024


class CartoonEditor(CropEditor):
    name = "cartoon"
    label = "Cartoon (flat colours and outlines)"
    provenance = Provenance(generative=False, models=CLASSICAL)  # k-means colours and OpenCV outlines
    work_mb, crop_bytes = 150.0, 16.0  # peak memory estimate (editors.base.CropEditor)
    params_schema = {
        "colours": Param(int, 8, 2, 32, help="number of flat colours"),
        "smoothing": Param(int, 4, 0, 12, help="rounds of edge-preserving smoothing"),
        "outline": Param(float, 1.0, 0.0, 1.0, help="outline darkness (0 = no outlines)"),
        "edge_block": Param(int, 9, 3, 51, help="outline detector window in px (odd)"),
        "edge_sensitivity": Param(float, 8.0, 0.0, 30.0, help="lower = more outlines"),
        "saturation": Param(float, 1.25, 0.0, 3.0, help="chroma multiplier of the flat colours"),
        "feather": FEATHER,
    }

    def check(self, p: dict[str, Any]) -> None:
        from core.errors import BadInput

        if p["edge_block"] % 2 == 0:
            raise BadInput(f"cartoon: edge_block must be odd, got {p['edge_block']}")

    def work_shape(self, h: int, w: int, params: dict[str, Any]) -> tuple[int, int]:
        ww, wh = work_size(w, h, max_side=WORK_SIDE)
        return wh, ww

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = crop.shape[:2]
        size = self.work_shape(h, w, p)[::-1]
        shrunk = size != (w, h)
        img = cv2.resize(crop, size, interpolation=cv2.INTER_AREA) if shrunk else crop.copy()
        m = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool) if shrunk else mask

        # 1. edge-preserving smoothing (half size when big: faster and flatter)
        half = min(size) >= 256
        sm = cv2.pyrDown(img) if half else img
        for _ in range(p["smoothing"]):
            sm = cv2.bilateralFilter(sm, d=7, sigmaColor=30, sigmaSpace=5)
        if half:
            sm = cv2.resize(cv2.pyrUp(sm), size, interpolation=cv2.INTER_LINEAR)

        # 2. quantise in Lab on the segment's own colours
        lab = cv2.cvtColor(sm.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        pix = lab[m] if m.any() else lab.reshape(-1, 3)
        pick = pix[rng.choice(len(pix), size=min(20000, len(pix)), replace=False)]
        centres = kmeans(pick, p["colours"], rng)
        centres[:, 1:] *= p["saturation"]
        flat = centres[nearest(lab.reshape(-1, 3), centres)].reshape(lab.shape).astype(np.float32)
        rgb = np.clip(cv2.cvtColor(flat, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255).astype(np.uint8)
        rgb = cv2.medianBlur(rgb, 5 if min(size) >= 200 else 3)

        # 3. outlines from the median-blurred grey image
        if p["outline"] > 0:
            grey = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 7 if min(size) >= 200 else 3)
            block = max(3, p["edge_block"] | 1)
            edges = cv2.adaptiveThreshold(
                grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, p["edge_sensitivity"]
            )
            # keep only lines on real edges (strong gradients), not on soft shading across folds
            gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
            gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
            mag = cv2.magnitude(gx, gy)
            gate = max(8.0 * p["edge_sensitivity"], float(np.percentile(mag[m], 80)) if m.any() else 0.0)
            strong = cv2.dilate((mag > gate).astype(np.uint8), np.ones((3, 3), np.uint8))
            lines = ((edges == 0) & (strong > 0)).astype(np.uint8)
            n, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
            min_area = max(4, int(min(size) * 0.06))  # drop specks, keep strokes
            keep = np.zeros(n, bool)
            keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
            line = cv2.GaussianBlur(keep[labels].astype(np.float32), (0, 0), 0.7)
            rgb = np.clip(rgb * (1.0 - 0.85 * p["outline"] * line[..., None]), 0, 255).astype(np.uint8)

        if shrunk:
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)
        return rgb


@EDITORS.register("cartoon")
def build_cartoon(manager=None) -> CartoonEditor:
    return CartoonEditor()
