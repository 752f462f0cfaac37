"""Offline click segmentation: superpixel region growing refined by GrabCut (no weights needed).

``prepare`` (once per photo) shrinks the photo to a working size, converts it to Lab and splits it
into SLIC superpixels with their mean colours. Each click then:
1. grows a region from every positive click: the connected superpixels whose colour is close to the
   clicked one (lightness weighted down, so shading and folds stay inside the region);
2. negative clicks grow their own regions, which become background;
3. GrabCut (colour models + graph cut) refines the region's border inside a band around it
   (and inside the box, when one is given);
4. the connected parts that contain a positive click are kept, small holes filled, and the result
   upscaled to the photo's size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from core.errors import BadInput
from core.masks import fill_holes, keep_components, resize_mask
from core.types import ClickPrompt, MaskResult, Photo
from segmenters import SEGMENTERS

WORK_SIDE = 512  # working resolution of the longer side
N_SUPERPIXELS = 600
LIGHTNESS_WEIGHT = 0.5  # shading changes lightness more than hue: count it for less
COLOUR_TOLERANCE = 12.0  # weighted Lab distance to the clicked superpixel's colour
GRABCUT_ITERS = 4


@dataclass(frozen=True)
class GrabCutPrepared:
    small: np.ndarray  # RGB uint8 at working size
    labels: np.ndarray  # int superpixel label per working pixel
    means: np.ndarray  # (n, 3) mean Lab colour per superpixel
    scale: float  # working pixels per photo pixel


class GrabCutSegmenter:
    name = "grabcut"
    label = "GrabCut (offline, classical)"

    def warm_up(self) -> None:
        pass

    def prepare(self, photo: Photo) -> GrabCutPrepared:
        from skimage.color import rgb2lab
        from skimage.segmentation import slic

        h, w = photo.height, photo.width
        scale = min(1.0, WORK_SIDE / max(h, w))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(photo.pixels, size, interpolation=cv2.INTER_AREA) if scale < 1 else photo.pixels.copy()
        small = np.ascontiguousarray(small)
        lab = rgb2lab(small).astype(np.float32)
        labels = slic(small, n_segments=N_SUPERPIXELS, compactness=10, start_label=0)
        n = int(labels.max()) + 1
        flat = labels.ravel()
        counts = np.maximum(np.bincount(flat, minlength=n), 1)
        means = np.stack([np.bincount(flat, weights=lab[..., c].ravel(), minlength=n) / counts for c in range(3)], 1)
        return GrabCutPrepared(small=small, labels=labels, means=means.astype(np.float32), scale=scale)

    def segment(self, photo: Photo, prepared: GrabCutPrepared, prompt: ClickPrompt,
                previous: MaskResult | None) -> MaskResult:
        if prompt.empty:
            raise BadInput("add a click or a box first")
        prompt.validate(photo.width, photo.height)
        t0 = time.perf_counter()
        small, s = prepared.small, prepared.scale
        h, w = small.shape[:2]

        def to_small(x: float, y: float) -> tuple[int, int]:
            return min(w - 1, int(x * s)), min(h - 1, int(y * s))

        pos = [to_small(p.x, p.y) for p in prompt.points if p.positive]
        neg = [to_small(p.x, p.y) for p in prompt.points if not p.positive]
        radius = max(2, round(min(h, w) / 100))

        region = np.zeros((h, w), bool)
        for x, y in pos:
            region |= self._grow(prepared, x, y)
        unwanted = np.zeros((h, w), bool)
        for x, y in neg:
            unwanted |= self._grow(prepared, x, y)
        region &= ~unwanted
        inside = np.ones((h, w), bool)
        if prompt.box is not None:
            x0, y0 = to_small(prompt.box[0], prompt.box[1])
            x1, y1 = to_small(prompt.box[2], prompt.box[3])
            inside[:] = False
            inside[y0:y1 + 1, x0:x1 + 1] = True
            region = region & inside if pos else inside & ~unwanted

        band = max(3, round(min(h, w) * 0.06))
        near = cv2.dilate(region.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1,) * 2))
        core = cv2.erode(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        seed = np.full((h, w), cv2.GC_BGD, np.uint8)
        seed[(near > 0) & inside] = cv2.GC_PR_BGD
        seed[region] = cv2.GC_PR_FGD
        if pos:
            seed[core] = cv2.GC_FGD
        seed[unwanted & (seed != cv2.GC_FGD)] = cv2.GC_BGD
        for x, y in pos:
            cv2.circle(seed, (x, y), radius, cv2.GC_FGD, -1)
        for x, y in neg:
            cv2.circle(seed, (x, y), radius, cv2.GC_BGD, -1)
        if not ((seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)).any():
            raise BadInput("the negative clicks leave nothing to select; add a positive click or a box")

        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        try:
            cv2.setRNGSeed(0)  # GrabCut's GMM init draws from OpenCV's per-thread RNG: same input, same mask
            cv2.grabCut(small, seed, None, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # one colour model is empty (e.g. a box covering the whole photo): keep the seed
            pass
        fg = (seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)
        fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
        if pos:
            fg = keep_components(fg, pos)
        fg = fill_holes(fg)
        mask = resize_mask(fg, photo.width, photo.height)
        return MaskResult(mask=mask, backend=self.label, seconds=time.perf_counter() - t0, score=None)

    @staticmethod
    def _grow(prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray:
        """Connected superpixels around (x, y) whose mean colour is close to the clicked superpixel's."""
        labels, means = prepared.labels, prepared.means
        d = means - means[labels[y, x]]
        dist = np.sqrt((LIGHTNESS_WEIGHT * d[:, 0]) ** 2 + d[:, 1] ** 2 + d[:, 2] ** 2)
        candidate = (dist < COLOUR_TOLERANCE)[labels].astype(np.uint8)
        _, comp = cv2.connectedComponents(candidate, connectivity=8)
        return comp == comp[y, x]


@SEGMENTERS.register("grabcut")
def build(*_args, **_kwargs) -> GrabCutSegmenter:
    return GrabCutSegmenter()
