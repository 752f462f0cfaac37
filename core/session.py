"""One user's editing state: the photo, its per-photo embedding, and the named segments.

It lives in the user's Gradio session (``gr.State``), never in a module global, and is dropped when the
session ends. Every method takes photo pixels; the UI converts preview clicks before calling.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadInput, ModelUnavailable
from core.masks import PALETTE, downscale, render_overlay
from core.photo import mask_to_png
from core.services import Services
from core.types import ClickPrompt, MaskResult, Photo, Point, Segment

INCLUDE, EXCLUDE, BOX = "include", "exclude", "box"


@dataclass
class EditorSession:
    photo: Photo | None = None
    preview: np.ndarray | None = None
    scale: float = 1.0  # preview pixels per photo pixel
    prepared: Any = None
    prepared_by: str = ""
    prepare_seconds: float = 0.0
    segments: list[Segment] = field(default_factory=list)
    active: int | None = None  # id of the segment clicks go to
    box_corner: tuple[float, float] | None = None  # first corner of a box being defined
    status: str = ""
    _next_id: int = 1
    _tmpdir: str | None = None
    _written: dict = field(default_factory=dict)

    # -- photo --------------------------------------------------------------------------------------
    def load(self, photo: Photo, services: Services) -> None:
        """Take a new photo: reset segments, build the preview, compute the per-photo embedding once."""
        self.photo = photo
        self.preview, self.scale = downscale(photo.pixels, services.settings.preview_max_side)
        self.segments, self.active, self.box_corner, self._next_id = [], None, None, 1
        self.prepared = None
        self._prepare(services)
        notes = f" ({'; '.join(photo.notes)})" if photo.notes else ""
        self.status = (f"Loaded {photo.name}: {photo.width}x{photo.height} ({photo.megapixels:.1f} MP){notes}. "
                       f"{services.click.label} ready in {self.prepare_seconds:.2f}s; click on the part to select.")

    def _prepare(self, services: Services) -> None:
        assert self.photo is not None
        t0 = time.perf_counter()
        click = services.click
        try:
            self.prepared = click.prepare(self.photo)
        except ModelUnavailable as exc:
            click = services.fall_back(exc.role, exc)
            self.prepared = click.prepare(self.photo)
        self.prepared_by = click.name
        self.prepare_seconds = time.perf_counter() - t0

    def _require_photo(self) -> Photo:
        if self.photo is None:
            raise BadInput("upload a photo first")
        return self.photo

    # -- segments -----------------------------------------------------------------------------------
    def segment(self, seg_id: int | None = None) -> Segment | None:
        seg_id = self.active if seg_id is None else seg_id
        return next((s for s in self.segments if s.id == seg_id), None)

    def new_segment(self, label: str | None = None) -> Segment:
        photo = self._require_photo()
        label = (label or "").strip() or f"segment {self._next_id}"
        seg = Segment(id=self._next_id, label=label, mask=np.zeros((photo.height, photo.width), bool))
        self._next_id += 1
        self.segments.append(seg)
        self.active, self.box_corner = seg.id, None
        return seg

    def select(self, seg_id: int) -> Segment:
        seg = self.segment(seg_id)
        if seg is None:
            raise BadInput(f"there is no segment #{seg_id}")
        self.active, self.box_corner = seg.id, None
        return seg

    def rename(self, seg_id: int, label: str) -> None:
        label = label.strip()
        if not label:
            raise BadInput("a segment name cannot be empty")
        if len(label) > 80:
            raise BadInput("a segment name can have at most 80 characters")
        self.select(seg_id).label = label

    def delete(self, seg_id: int) -> None:
        seg = self.select(seg_id)
        self.segments.remove(seg)
        self.active = self.segments[-1].id if self.segments else None

    # -- clicks -------------------------------------------------------------------------------------
    def click(self, x: float, y: float, mode: str, services: Services) -> MaskResult | None:
        """A click at photo pixel (x, y): include / exclude point, or a box corner. Returns the new mask."""
        photo = self._require_photo()
        if not (0 <= x < photo.width and 0 <= y < photo.height):
            raise BadInput(f"the click ({x:.0f}, {y:.0f}) is outside the {photo.width}x{photo.height} photo")
        seg = self.segment() or self.new_segment()
        if mode == BOX:
            if self.box_corner is None:
                self.box_corner = (x, y)
                self.status = "Box: first corner set; click the opposite corner."
                return None
            (x0, y0), self.box_corner = self.box_corner, None
            box = (min(x0, x), min(y0, y), max(x0, x) + 1, max(y0, y) + 1)
            if box[2] - box[0] < 3 or box[3] - box[1] < 3:
                raise BadInput("the box is too small; click two opposite corners further apart")
            prompt = ClickPrompt(points=seg.prompt.points, box=box)
        elif mode in (INCLUDE, EXCLUDE):
            prompt = ClickPrompt(points=seg.prompt.points + (Point(x, y, mode == INCLUDE),), box=seg.prompt.box)
        else:
            raise BadInput(f"unknown click mode {mode!r}")
        if not any(p.positive for p in prompt.points) and prompt.box is None:
            raise BadInput("start with an include (+) click or a box; an exclude click needs something to cut from")
        return self._run(seg, prompt, services)

    def _run(self, seg: Segment, prompt: ClickPrompt, services: Services) -> MaskResult:
        photo = self._require_photo()
        click = services.click
        if click.name != self.prepared_by:  # the service fell back since this photo was prepared
            self._prepare(services)
            click = services.click
        previous = seg.last if seg.last is not None and seg.last.backend == click.label else None
        t0 = time.perf_counter()
        try:
            result = click.segment(photo, self.prepared, prompt, previous)
        except ModelUnavailable as exc:
            services.fall_back(exc.role, exc)
            self._prepare(services)
            result = services.click.segment(photo, self.prepared, prompt, None)
        total = time.perf_counter() - t0
        seg.history.append((seg.prompt, seg.last))
        seg.prompt, seg.last, seg.mask = prompt, result, result.mask
        seg.source, seg.score = result.backend, result.score
        score = f", predicted IoU {result.score:.2f}" if result.score is not None else ""
        self.status = (f"{seg.label}: mask by {result.backend} in {result.seconds * 1000:.0f} ms "
                       f"({total * 1000:.0f} ms with overhead){score}; {seg.area / seg.mask.size:.1%} of the photo.")
        return result

    def undo(self) -> None:
        seg = self.segment()
        if self.box_corner is not None:
            self.box_corner = None
            self.status = "Box corner removed."
            return
        if seg is None or not seg.history:
            raise BadInput("nothing to undo")
        seg.prompt, seg.last = seg.history.pop()
        seg.mask = seg.last.mask if seg.last is not None else np.zeros_like(seg.mask)
        self.status = f"{seg.label}: last click undone."

    def clear(self) -> None:
        seg = self.segment()
        self.box_corner = None
        if seg is None:
            return
        seg.history.append((seg.prompt, seg.last))
        seg.prompt, seg.last, seg.mask = ClickPrompt(), None, np.zeros_like(seg.mask)
        self.status = f"{seg.label}: cleared."

    # -- output -------------------------------------------------------------------------------------
    def overlay(self) -> np.ndarray | None:
        if self.preview is None:
            return None
        layers = []
        seg = self.segment()
        for i, s in enumerate(self.segments):
            if s.mask.any():
                layers.append((s.mask, PALETTE[(s.id - 1) % len(PALETTE)], s.id == self.active))
        points = seg.prompt.points if seg else ()
        corner = (Point(*self.box_corner, positive=True),) if self.box_corner else ()
        box = seg.prompt.box if seg else None
        return render_overlay(self.preview, layers, points + corner, box, self.scale)

    def mask_file(self, seg_id: int | None = None) -> Path:
        """Write the active (or given) segment's mask as a 0/255 PNG in this session's own temp folder."""
        seg = self.segment(seg_id)
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first; there is no mask to download")
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="facet-session-")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in seg.label)[:40] or "mask"
        path = Path(self._tmpdir) / f"{safe}-mask.png"
        key = (seg.id, id(seg.mask), str(path))
        if self._written.get(seg.id) != key or not path.exists():  # only re-encode a changed mask
            path.write_bytes(mask_to_png(seg.mask))
            self._written[seg.id] = key
        return path

    def close(self) -> None:
        """Free everything this session holds (called when the Gradio session ends or expires)."""
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self.photo = self.preview = self.prepared = None
        self.segments = []
