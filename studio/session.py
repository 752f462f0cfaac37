"""One user's editing state: the photo, its per-photo embedding and labelled parts, the named segments,
and the stack of applied edits.

It lives in the user's Gradio session (``gr.State``), never in a module global, and is dropped when the
session ends. Every method takes photo pixels; the UI converts preview clicks before calling.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.budget import guarded, trim_heap
from core.composite import keep_transparent
from core.errors import BadInput, FacetError, ModelUnavailable
from core.limits import RateLimiter, client_address
from core.masks import PALETTE, downscale, render_overlay, resize_mask, shrink_for_display
from core.photo import mask_to_png
from editors.base import GenerativeEditor
from core.types import ClickPrompt, MaskResult, Photo, Point, Segment, mask_bbox, opaque_area
from studio.edits import build_editor, edit_layer, run_editor
from studio.export import export_bytes, export_name
from studio.layers import Layer, LayerStack, combine, grow_shrink, layer_from_result
from studio.presets import VARIANTS
from studio.services import Services

log = logging.getLogger(__name__)

INCLUDE, EXCLUDE, BOX, PICK = "include", "exclude", "box", "pick"
# Downloadable files (`_publish`): superseded ones beyond the newest KEEP_PUBLISHED of a kind are removed once
# older than KEEP_PUBLISHED_S (Gradio copies a returned file into its own cache before answering).
KEEP_PUBLISHED, KEEP_PUBLISHED_S = 4, 120.0

# Flood limits per session: action kind -> (setting with its per-minute limit, what the message calls it)
LIMITS = {
    "edit": ("max_edits_per_minute", "edits"),
    "upload": ("max_edits_per_minute", "uploads"),
    "click": ("max_clicks_per_minute", "clicks"),
}
# ... and per client address, over all its sessions (core/limits.py ClientLimits)
IP_LIMITS = {
    "edit": "max_edits_per_minute_per_ip",
    "upload": "max_uploads_per_minute_per_ip",
    "click": "max_clicks_per_minute_per_ip",
}


# names a user may give a labelled part (CLI --segment, presets) -> the part's label
PART_ALIASES = {"faces": "all faces", "people": "person 1"}
# A photo whose longer side is under this is shown enlarged to it (round 19: a 40x30 photo was drawn 40x30 px in a
# 537x515 photo box at 1366x768; the page never enlarges an image). Masks, edits and the download keep its own size.
PREVIEW_MIN_SIDE = 512


def fit_preview(image: np.ndarray, max_side: int, min_side: int = PREVIEW_MIN_SIDE) -> tuple[np.ndarray, float]:
    """The preview of ``image`` and its scale (preview pixels per photo pixel): shrunk to a longer side of at most
    ``max_side`` (`downscale`), or, when its longer side is under ``min_side``, enlarged to it (bicubic)."""
    h, w = image.shape[:2]
    if max(h, w) >= min_side:
        return downscale(image, max_side)
    s = min(min_side, max_side) / max(h, w)
    return _resize_to(image, (max(1, int(round(h * s))), max(1, int(round(w * s))))), s


def variant_box(mask: np.ndarray, margin: float = 0.25) -> tuple[int, int, int, int]:
    """XYXY crop the variants of a part show: the mask's box widened by ``margin`` of its size on each side (at least
    16 px), inside the image."""
    h, w = mask.shape[:2]
    box = mask_bbox(mask)
    if box is None:
        return 0, 0, w, h
    x0, y0, x1, y1 = (int(v) for v in box)
    mx, my = max(16, round(margin * (x1 - x0))), max(16, round(margin * (y1 - y0)))
    return max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my)


def _resize_to(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``image`` resized to ``shape[:2]`` (area average when shrinking, bicubic when enlarging); as is when it fits."""
    import cv2

    h, w = shape[:2]
    if image.shape[:2] == (h, w):
        return image
    shrinking = h * w < image.shape[0] * image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


class EditBusy(BadInput):
    """An edit is already running in this session; the second request was ignored (nothing was changed)."""


@dataclass
class EditorSession:
    photo: Photo | None = None
    preview: np.ndarray | None = None
    scale: float = 1.0  # preview pixels per photo pixel
    prepared: Any = None
    prepared_by: str = ""
    prepare_seconds: float = 0.0
    parts: list[Segment] = field(default_factory=list)  # labelled segments found on upload
    parse_seconds: float = 0.0
    parse_note: str = ""
    segments: list[Segment] = field(default_factory=list)
    active: int | None = None  # id of the segment clicks and edits go to
    box_corner: tuple[float, float] | None = None  # first corner of a box being defined
    layers: LayerStack = field(default_factory=LayerStack)
    show_selection: bool = True
    status: str = ""
    _next_id: int = 1
    _tmpdir: str | None = None
    _written: dict = field(default_factory=dict)  # segment id -> (what was encoded, its published mask file)
    _published: dict = field(default_factory=dict)  # kind -> [(monotonic time, its folder)] (see `_publish`)
    _render_preview: tuple[tuple, np.ndarray] | None = None
    _faces: tuple[tuple, list] | None = None
    last_report: list = field(default_factory=list)  # what the last editor said it did, face by face
    last_backend: str = ""  # the backend the last edit ran on (its EditResult)
    pending: tuple | None = None  # (result key, segment label, editor, params, variants, mask) of the last generation
    cancel_event: Any = None  # threading.Event of the generation running now (set by the Cancel button)
    limiter: RateLimiter = field(default_factory=RateLimiter)  # this session's flood limits (see `count`)
    # where the current request comes from: (TCP peer, X-Forwarded-For header), set by the UI per request
    peer: tuple[str | None, str | None] = (None, None)
    _editing: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one apply at a time
    # one UI handler at a time among those that bypass Gradio's queue (the click on the photo: app/view.py)
    ui_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str, services: Services) -> None:
        """Count one action ('edit', 'upload' or 'click') against the per-minute limits of its client address
        (all its sessions) and of this session; raises `core.limits.RateLimited` (a `BadInput`) before anything
        is computed when a limit is reached."""
        setting, what = LIMITS[kind]
        settings = services.settings
        address = client_address(self.peer[0], self.peer[1], settings.trusted_proxies)
        services.clients.take(address, kind, int(getattr(settings, IP_LIMITS[kind])), what)
        self.limiter.take(kind, int(getattr(settings, setting)), what)

    # -- photo --------------------------------------------------------------------------------------
    def load(self, photo: Photo, services: Services, parse: bool = True, prepare: bool = True) -> None:
        """Take a new photo: reset everything, build the preview, compute the embedding (``prepare``; else on
        the first click) and the labelled parts (``parse``)."""
        self.photo = photo
        self.preview, self.scale = fit_preview(photo.pixels, services.settings.preview_max_side)
        self.segments, self.active, self.box_corner, self._next_id = [], None, None, 1
        self.layers.clear()
        self.layers.max_layers = services.settings.max_layers
        self.show_selection = True
        self._render_preview = self._faces = self.pending = None
        self.prepared = None
        self.parts, self.parse_seconds, self.parse_note = [], 0.0, ""
        self.prepared_by, self.prepare_seconds = "", 0.0
        if prepare:
            self._prepare(services)
        if parse:
            self._parse(services)
            if self.prepared is not None:
                self._attach_parts()
        notes = f" ({'; '.join(photo.notes)})" if photo.notes else ""
        found = f" {len(self.parts)} labelled parts in {self.parse_seconds:.2f}s." if parse else ""
        ready = f" {services.click.label} ready in {self.prepare_seconds:.2f}s;" if prepare else ""
        # a photo under 0.1 MP in two digits (round 24's drive: a 200x150 photo read "(200x150, 0.0 MP)")
        mp = f"{photo.megapixels:.1f}" if photo.megapixels >= 0.095 else f"{photo.megapixels:.2f}"
        self.status = (
            f"Loaded {photo.name}: {photo.width}x{photo.height} ({mp} MP){notes}."
            f"{ready}{found} Pick a part or click on the photo."
        )

    def _prepare(self, services: Services) -> None:
        photo = self._require_photo()
        t0 = time.perf_counter()
        click, self.prepared = services.prepare_click(photo)
        self.prepared_by = click.name
        self.prepare_seconds = time.perf_counter() - t0
        if self.parts:
            self._attach_parts()

    def _attach_parts(self) -> None:
        """Give the offline click backend the labelled parts as priors (a click stays on the object under it)."""
        from segmenters.grabcut import attach_parts

        self.prepared = attach_parts(self.prepared, self.parts)

    def _parse(self, services: Services) -> None:
        from segmenters.parsing import parse_report

        try:
            report = parse_report(self._require_photo(), services.manager)
        except FacetError as exc:
            self.parse_note = f"labelled parts unavailable: {exc}"
            return
        except Exception as exc:  # a parser bug must not lose the upload
            log.exception("parsing failed")
            self.parse_note = f"labelled parts unavailable ({exc.__class__.__name__})"
            return
        self.parts, self.parse_seconds = report.segments, report.seconds
        if report.errors:
            self.parse_note = "; ".join(f"{k}: {v}" for k, v in report.errors.items())

    def _require_photo(self) -> Photo:
        if self.photo is None:
            raise BadInput("upload a photo first")
        return self.photo

    def _in_picture(self, mask: np.ndarray, alpha: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``mask`` (and its soft edge ``alpha``) without a transparent upload's transparent area (core.types.
        opaque_area): no selection reaches it, so no edit paints it. The same arrays for a photo without one."""
        opaque = opaque_area(self._require_photo().opacity)
        if opaque is None or opaque.shape != mask.shape or not (mask & ~opaque).any():
            return mask, alpha
        cut = alpha if alpha is None or alpha.shape != mask.shape else np.where(opaque, alpha, 0).astype(np.float32)
        return mask & opaque, cut

    def in_picture(self, x: float, y: float) -> bool:
        """Whether photo pixel (x, y) is part of the picture: False in a transparent upload's transparent area."""
        opaque = opaque_area(self._require_photo().opacity)
        return opaque is None or bool(opaque[int(y), int(x)])

    def _refuse_transparent(self, x: float, y: float) -> None:
        if not self.in_picture(x, y):
            raise BadInput(
                f"({x:.0f}, {y:.0f}) is in the photo's transparent area: nothing there to select; click on the picture"
            )

    # -- segments -----------------------------------------------------------------------------------
    def segment(self, seg_id: int | None = None) -> Segment | None:
        seg_id = self.active if seg_id is None else seg_id
        return next((s for s in self.segments if s.id == seg_id), None)

    def new_segment(self, label: str | None = None, base: np.ndarray | None = None, source: str = "") -> Segment:
        photo = self._require_photo()
        label = (label or "").strip() or f"segment {self._next_id}"
        if base is not None:
            base = self._in_picture(base)[0]
        mask = base.copy() if base is not None else np.zeros((photo.height, photo.width), bool)
        seg = Segment(
            id=self._next_id, label=label, mask=mask, source=source, base=base.copy() if base is not None else None
        )
        self._next_id += 1
        self.segments.append(seg)
        self.active, self.box_corner, self.show_selection = seg.id, None, True
        return seg

    def select(self, seg_id: int) -> Segment:
        seg = self.segment(seg_id)
        if seg is None:
            raise BadInput(f"there is no segment #{seg_id}")
        self.active, self.box_corner, self.show_selection = seg.id, None, True
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

    def part(self, part_id: int) -> Segment:
        found = next((p for p in self.parts if p.id == part_id), None)
        if found is None:
            raise BadInput(f"there is no labelled part #{part_id}")
        return found

    def use_part(self, part_id: int) -> Segment:
        """Make a labelled part the active segment (a copy the user can refine with clicks)."""
        part = self.part(part_id)
        existing = next(
            (
                s
                for s in self.segments
                if s.label == part.label and s.base is not None and np.array_equal(s.base, part.mask)
            ),
            None,
        )
        if existing is not None:
            return self.select(existing.id)
        seg = self.new_segment(part.label, base=part.mask, source=part.source)
        seg.score = part.score
        if part.edge_alpha is not None:
            seg.set_alpha(part.edge_alpha.copy())
        self.status = f"Selected '{part.label}' ({part.source}); clicks now refine it."
        return seg

    def select_text(self, phrase: str, services: Services, backend: str = "auto") -> Segment:
        """Select by words: the phrase's mask becomes the active segment (refinable by clicks like a picked
        part). Offline labels first, an open-vocabulary model for other words when its weights are here
        (segmenters/text_select.py); an unknown phrase raises a BadInput listing what can be selected."""
        from segmenters.text_select import select_text

        photo = self._require_photo()
        self.count("click", services)
        found = select_text(phrase, self.parts, photo, services.manager, backend)
        if len(found.parts) == 1:  # exactly one labelled part: the same segment its chip gives
            seg = self.use_part(found.parts[0])
        else:
            seg = self.new_segment(found.label[:80], base=found.mask, source=found.source)
            seg.score = found.score
        self.status = f"{found.message[0].upper()}{found.message[1:]}; clicks now refine it."
        return seg

    def pick_part(self, x: float, y: float) -> Segment:
        from segmenters.parsing import smallest_segment_at

        part = smallest_segment_at(self.parts, x, y)
        if part is None:
            raise BadInput("no labelled part here; switch 'Click adds' to Include (+) to select it by clicking")
        return self.use_part(part.id)

    def combine_with(self, other_id: int, op: str) -> Segment:
        """A new segment: the active one combined (add / subtract / intersect) with another segment."""
        seg = self.segment()
        other = self.segment(other_id)
        if seg is None or other is None:
            raise BadInput("select a segment and the one to combine it with")
        mask = combine(seg.mask, other.mask, op)
        if not mask.any():
            raise BadInput(f"'{seg.label}' {op} '{other.label}' leaves an empty mask")
        sym = {"add": "+", "subtract": "−", "intersect": "∩"}[op]
        new = self.new_segment(f"{seg.label} {sym} {other.label}", base=mask, source="combined")
        self.status = f"New segment '{new.label}': {new.area / mask.size:.1%} of the photo."
        return new

    def grow(self, px: int) -> Segment:
        """Grow (px > 0) or shrink (px < 0) the active segment by |px| photo pixels (undoable)."""
        seg = self.segment()
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first")
        mask = self._in_picture(grow_shrink(seg.mask, int(px)))[0]
        if not mask.any():
            raise BadInput(f"shrinking by {-px} px leaves nothing of '{seg.label}'")
        seg.history.append((seg.prompt, seg.last, seg.mask))
        seg.mask, seg.base, seg.prompt, seg.last = mask, mask.copy(), ClickPrompt(), None
        self.status = f"{seg.label}: {'grown' if px > 0 else 'shrunk'} by {abs(px)} px."
        return seg

    # -- clicks -------------------------------------------------------------------------------------
    def click(self, x: float, y: float, mode: str, services: Services) -> MaskResult | None:
        """A click at photo pixel (x, y): include / exclude point, box corner, or pick a labelled part."""
        photo = self._require_photo()
        if not (0 <= x < photo.width and 0 <= y < photo.height):
            raise BadInput(f"the click ({x:.0f}, {y:.0f}) is outside the {photo.width}x{photo.height} photo")
        self.count("click", services)
        if mode in (PICK, INCLUDE):
            self._refuse_transparent(x, y)
        if mode == PICK:
            self.pick_part(x, y)
            return None
        seg = self.segment() or self.new_segment()
        self.show_selection = True
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
        if seg.base is None and not any(p.positive for p in prompt.points) and prompt.box is None:
            raise BadInput("start with an include (+) click or a box; an exclude click needs something to cut from")
        return self._run(seg, prompt, services)

    def select_prompt(self, prompt: ClickPrompt, services: Services, label: str | None = None) -> MaskResult:
        """A whole click prompt at once (points and/or a box, photo pixels) as a new segment: what a script sends
        instead of clicking one point after another. It needs an include point or a box to start from."""
        photo = self._require_photo()
        if not any(p.positive for p in prompt.points) and prompt.box is None:
            raise BadInput("start with an include point (X,Y or X,Y:+) or a box")
        prompt.validate(photo.width, photo.height)
        self.count("click", services)
        return self._run(self.new_segment(label), prompt, services)

    def _run(self, seg: Segment, prompt: ClickPrompt, services: Services) -> MaskResult:
        if services.click.name != self.prepared_by:  # the service fell back since this photo was prepared
            self._prepare(services)
        t0 = time.perf_counter()
        try:
            result = self._segment(seg, prompt, services)
        except ModelUnavailable as exc:
            services.fall_back(exc.role, exc)
            self._prepare(services)
            result = self._segment(seg, prompt, services)
        total = time.perf_counter() - t0
        mask, alpha = self._in_picture(result.mask, result.alpha)
        if mask is not result.mask:
            result = replace(result, mask=mask, alpha=alpha)
        seg.history.append((seg.prompt, seg.last, seg.mask))
        seg.prompt, seg.last, seg.mask = prompt, result, result.mask
        seg.set_alpha(result.alpha)
        seg.source, seg.score = result.backend, result.score
        score = f", predicted IoU {result.score:.2f}" if result.score is not None else ""
        self.status = (
            f"{seg.label}: mask by {result.backend} in {result.seconds * 1000:.0f} ms "
            f"({total * 1000:.0f} ms with overhead){score}; {seg.area / seg.mask.size:.1%} of the photo."
        )
        return result

    def _segment(self, seg: Segment, prompt: ClickPrompt, services: Services) -> MaskResult:
        """Clicks alone, or clicks refining a base mask: includes add to it, excludes cut what they hit."""
        photo = self._require_photo()
        click = services.click
        previous = seg.last if seg.last is not None and seg.last.backend == click.label else None
        if seg.base is None:
            return click.segment(photo, self.prepared, prompt, previous)
        t0 = time.perf_counter()
        mask = seg.base.copy()
        state, score = None, None
        positives = ClickPrompt(points=tuple(p for p in prompt.points if p.positive), box=prompt.box)
        if not positives.empty:
            r = click.segment(photo, self.prepared, positives, previous)
            mask |= r.mask
            state, score = r.state, r.score
        from segmenters.grabcut import GrabCutSegmenter

        for p in prompt.points:
            if not p.positive:
                if isinstance(click, GrabCutSegmenter):  # the part under the click (labelled, else its colour region)
                    mask &= ~click.region_at(photo, self.prepared, p.x, p.y, keep=seg.base)
                    continue
                cut = click.segment(photo, self.prepared, ClickPrompt(points=(Point(p.x, p.y, True),)), None)
                mask &= ~cut.mask
        return MaskResult(mask=mask, backend=click.label, seconds=time.perf_counter() - t0, score=score, state=state)

    def undo(self) -> None:
        seg = self.segment()
        if self.box_corner is not None:
            self.box_corner = None
            self.status = "Box corner removed."
            return
        if seg is None or not seg.history:
            raise BadInput("nothing to undo")
        seg.prompt, seg.last, seg.mask = seg.history.pop()
        self.show_selection = True
        self.status = f"{seg.label}: last change undone."

    def clear(self) -> None:
        seg = self.segment()
        self.box_corner = None
        if seg is None:
            return
        seg.history.append((seg.prompt, seg.last, seg.mask))
        seg.prompt, seg.last = ClickPrompt(), None
        seg.mask = seg.base.copy() if seg.base is not None else np.zeros_like(seg.mask)
        self.status = f"{seg.label}: clicks cleared."

    # -- edits --------------------------------------------------------------------------------------
    def result(self) -> np.ndarray:
        """The photo with every visible edit applied (full size, read-only)."""
        return self.layers.render(self._require_photo())

    def apply_edit(
        self,
        editor_name: str,
        params: dict[str, Any],
        seed: int | None,
        services: Services,
        mask: np.ndarray | None = None,
        label: str | None = None,
        charge: bool = True,
        alpha: np.ndarray | None = None,
    ) -> Layer:
        """Apply an editor to the active segment (or to ``mask`` named ``label``) on top of the current
        result; push it as a layer. ``charge``: count it against the edit limit (False for the later
        steps of one user action that was counted already). A second edit while one runs in this session
        (a double click) is refused with `EditBusy` and changes nothing."""
        if not self._editing.acquire(blocking=False):
            raise EditBusy("an edit is still running; this second request was ignored")
        try:
            return self._apply_edit(editor_name, params, seed, services, mask, label, charge, alpha)
        finally:
            self._editing.release()

    def _apply_edit(
        self,
        editor_name: str,
        params: dict[str, Any],
        seed: int | None,
        services: Services,
        mask: np.ndarray | None,
        label: str | None,
        charge: bool,
        alpha: np.ndarray | None = None,
    ) -> Layer:
        if mask is None:
            seg = self.segment()
            if seg is None or not seg.mask.any():
                raise BadInput("select a part of the photo first (pick a labelled part or click on it)")
            mask, label, alpha = seg.mask, seg.label, seg.edge_alpha
        mask, alpha = self._in_picture(mask, alpha)
        if not mask.any():
            raise BadInput("the selection lies in the photo's transparent area; select a part of the picture")
        if charge:
            self.count("edit", services)
        editor = build_editor(editor_name, services.manager)
        before = self.result()
        done = run_editor(editor, before, mask, params, seed, services.settings, alpha)
        opacity = self._require_photo().opacity
        if opacity is not None:  # a PNG's transparent area (on white) stays as it is outside the part
            done = replace(done, image=keep_transparent(before, done.image, mask, opacity))
        layer = edit_layer(self.layers.next_id(), label or "photo", editor_name, params, seed, before, done)
        self.layers.push(layer)
        self.last_report = [dict(r) for r in done.report]  # per-face notes (anonymize)
        self.last_backend = done.backend
        del done
        self.show_selection = False
        self.status = f"Applied {editor.label} to '{label}' in {layer.seconds * 1000:.0f} ms (layer #{layer.id})."
        return layer

    def generate(
        self,
        editor_name: str,
        params: dict[str, Any],
        seed: int | None,
        services: Services,
        progress: Any = None,
        cancel: Any = None,
    ) -> list[Any]:
        """Run a generative editor (inpaint / remove) on the active segment; keep its variants to pick from."""
        seg = self.segment()
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first (pick a labelled part or click on it)")
        editor = build_editor(editor_name, services.manager)
        if not isinstance(editor, GenerativeEditor):
            raise BadInput(f"the {editor_name} editor makes no variants; use Apply")
        mask, _ = self._in_picture(seg.mask)  # as Apply: nothing is generated in a transparent upload's clear area
        if not mask.any():
            raise BadInput("the selection lies in the photo's transparent area; select a part of the picture")
        self.count("edit", services)
        key = self._result_key()
        before = self.result()
        # e.g. Remove: its fill copies from the surfaces around the hole, never from labelled objects
        extra: dict[str, Any] = {"parts": self.parts} if getattr(editor, "uses_parts", False) else {}
        with guarded(editor, before.shape, mask, services.settings):
            variants = editor.generate(before, mask, params, seed, progress=progress, cancel=cancel, **extra)
        self.pending = (key, seg.label, editor_name, dict(params), list(variants), mask)
        return variants

    def apply_variant(self, index: int) -> Layer:
        """Push generated variant ``index`` (from the last ``generate``) as a layer."""
        if self.pending is None:
            raise BadInput("generate some variants first")
        key, label, editor_name, params, variants, mask = self.pending
        if key != self._result_key():
            raise BadInput("the photo has changed since these variants were made; generate again")
        if not 0 <= index < len(variants):
            raise BadInput(f"there is no variant #{index + 1}")
        v = variants[index].result()
        before = self.result()
        image = v.image
        opacity = self._require_photo().opacity
        if opacity is not None:  # as Apply (round 23: Remove's fill spread into the clear area and its fringe)
            image = keep_transparent(before, image, mask, opacity)
        layer = layer_from_result(
            self.layers.next_id(),
            label,
            editor_name,
            params,
            variants[index].seed,
            before,
            image,
            v.seconds,
            v.model_ids,
            generative=v.generative,
        )
        self.layers.push(layer)
        self.show_selection = False
        self.status = (
            f"Applied variant {index + 1} (seed {variants[index].seed}, {v.backend}) to '{label}' (layer #{layer.id})."
        )
        return layer

    def _result_key(self) -> tuple:
        return (self._require_photo().id,) + tuple(layer.id for layer in self.layers.layers if layer.visible)

    def apply_to_part(
        self,
        label: str,
        editor_name: str,
        params: dict[str, Any],
        seed: int | None,
        services: Services,
        charge: bool = True,
    ) -> Layer | None:
        """Apply an editor to a labelled part by name; None when the photo has no such part."""
        part = self.part_named(label)
        if part is None or not part.mask.any():
            return None
        return self.apply_edit(
            editor_name, params, seed, services, mask=part.mask, label=part.label, charge=charge, alpha=part.edge_alpha
        )

    def part_named(self, label: str) -> Segment | None:
        """The labelled part called ``label`` (any case; "faces" and "people" mean "all faces" and "person 1");
        None when the photo has none."""
        wanted = label.strip().lower()
        wanted = PART_ALIASES.get(wanted, wanted)
        return next((p for p in self.parts if p.label.lower() == wanted), None)

    def require_part(self, label: str) -> Segment:
        """`part_named`, or BadInput naming the parts this photo has."""
        part = self.part_named(label)
        if part is None:
            found = ", ".join(sorted({p.label for p in self.parts})) or "none"
            why = f" ({self.parse_note})" if self.parse_note else ""
            raise BadInput(f"no '{label}' found in {self._require_photo().name}; found: {found}{why}")
        return part

    def faces(self, services: Services) -> list[Any]:
        """Every face on the current result, numbered left to right (cached per result)."""
        from faces.detect import find_faces

        key = self._result_key()
        if self._faces is None or self._faces[0] != key:
            self.count("edit", services)
            self._faces = (key, find_faces(np.asarray(self.result()), services.manager))
        return self._faces[1]

    def faces_preview(self, services: Services) -> np.ndarray:
        """The result at preview size with every face outlined and numbered."""
        from faces.draw import draw_face_numbers

        faces = self.faces(services)
        drawn = draw_face_numbers(np.asarray(self.result()), faces)
        if self.preview is None:
            return downscale(drawn, 1280)[0]
        return _resize_to(drawn, self.preview.shape)

    def variants(self, services: Services) -> list[tuple[np.ndarray, str, str, dict[str, Any]]]:
        """Preview-size renders of the active segment in several looks: (image, caption, editor, params)."""
        seg = self.segment()
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first")
        base = self.result_preview()
        h, w = base.shape[:2]
        small = resize_mask(seg.mask, w, h)
        if not small.any():
            raise BadInput(f"'{seg.label}' is too small to preview; apply an editor directly")
        # round 19: the part's box with a margin, not the whole photo (one person's jacket in a group photo was ten
        # alike thumbnails of the whole photo); the picked variant is applied to the whole photo at full size
        x0, y0, x1, y1 = variant_box(small)
        base, small = base[y0:y1, x0:x1], small[y0:y1, x0:x1]
        self.count("edit", services)
        out = []
        for caption, name, params in VARIANTS:
            img = base if not name else build_editor(name, services.manager).apply(base, small, params, 0)
            out.append((img, caption, name, params))
        return out

    def undo_edit(self) -> Layer:
        """Take the newest edit off (it can be redone); the layer undone."""
        layer = self.layers.undo()
        self.status = f"Edit #{layer.id} ({layer.editor} on {layer.segment}) undone."
        return layer

    def redo_edit(self) -> Layer:
        """Put the edit undone last back; the layer redone."""
        layer = self.layers.redo()
        self.status = f"Edit #{layer.id} ({layer.editor} on {layer.segment}) redone."
        return layer

    def set_visible_layers(self, ids: set[int]) -> None:
        self.layers.set_visible(ids)
        hidden = [layer.id for layer in self.layers.layers if not layer.visible]
        self.status = f"Hidden layers: {', '.join(f'#{i}' for i in hidden)}." if hidden else "All layers shown."

    def export(self, fmt: str = "PNG", quality: int = 95, settings: Any = None) -> Path:
        """Write the full-size result (upright, ICC profile kept) in this session's temp folder, under a new
        unique name (`_publish`). With at least one visible edit it carries Facet's provenance
        (studio/provenance.py: metadata, C2PA Content Credentials, and the invisible watermark as FACET_WATERMARK
        says); an unedited photo is written without any."""
        return self._publish(
            self.export_bytes(fmt, quality, settings), export_name(self._require_photo().name, fmt), "export"
        )

    def export_bytes(self, fmt: str = "PNG", quality: int = 95, settings: Any = None) -> bytes:
        """The full-size result as PNG / JPEG bytes, with provenance when it shows an edit (studio/export.py)."""
        photo = self._require_photo()
        base = self.layers.base
        shown = ([base] if base is not None else []) + [layer for layer in self.layers.layers if layer.visible]
        return export_bytes(
            self.result(),
            shown,
            photo,
            fmt,
            quality,
            merged=self.layers.merged,
            history=self.layers.history,
            settings=settings,
        )

    # -- output -------------------------------------------------------------------------------------
    def result_preview(self) -> np.ndarray:
        """The current result at preview size (cached per set of visible layers)."""
        assert self.preview is not None
        if not self.layers.layers:
            return self.preview
        key = tuple(layer.id for layer in self.layers.layers if layer.visible)
        if self._render_preview is None or self._render_preview[0] != key:
            img = _resize_to(np.asarray(self.result()), self.preview.shape)
            self._render_preview = (key, img)
        return self._render_preview[1]

    def overlay(self) -> np.ndarray | None:
        if self.preview is None:
            return None
        background = self.result_preview()
        if not self.show_selection:
            return background.copy()
        layers = []
        seg = self.segment()
        for s in self.segments:
            if s.mask.any():
                layers.append((s.mask, PALETTE[(s.id - 1) % len(PALETTE)], s.id == self.active))
        points = seg.prompt.points if seg else ()
        corner = (Point(*self.box_corner, positive=True),) if self.box_corner else ()
        box = seg.prompt.box if seg else None
        return render_overlay(background, layers, points + corner, box, self.scale)

    def parts_legend(self) -> list[tuple[np.ndarray, str]]:
        """Preview-size masks of the labelled parts with their labels (for an annotated legend)."""
        if self.preview is None:
            return []
        h, w = self.preview.shape[:2]
        return [(shrink_for_display(p.mask, w, h), p.label) for p in self.parts]

    def _folder(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="facet-session-")
            # also removed when the session is dropped without close() (Gradio evicting it past FACET_MAX_SESSIONS)
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        return Path(self._tmpdir)

    def mask_file(self, seg_id: int | None = None) -> Path:
        """Write the active (or given) segment's mask as a 0/255 PNG in this session's own temp folder."""
        seg = self.segment(seg_id)
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first; there is no mask to download")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in seg.label)[:40] or "mask"
        key = (seg.id, id(seg.mask), safe)
        done = self._written.get(seg.id)
        if done is not None and done[0] == key and done[1].exists():  # only encode a changed mask
            return done[1]
        path = self._publish(mask_to_png(seg.mask), f"{safe}-mask.png", "mask")
        self._written[seg.id] = (key, path)
        return path

    def _publish(self, data: bytes, filename: str, kind: str) -> Path:
        """Write a file a client may download (export, mask): once, under a name never used before (its own
        new subfolder, so the user still sees ``filename``), atomically (a temp name, then a rename), and
        never rewritten: a download that is being sent can never see it change or shrink. Superseded files of
        the same ``kind`` beyond the newest few are removed a while later; all of them with the session."""
        folder = Path(tempfile.mkdtemp(dir=self._folder(), prefix=f"{kind}-"))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / filename)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        published = self._published.setdefault(kind, [])
        published.append((time.monotonic(), folder))
        now = time.monotonic()
        while len(published) > KEEP_PUBLISHED and now - published[0][0] > KEEP_PUBLISHED_S:
            shutil.rmtree(published.pop(0)[1], ignore_errors=True)
        return folder / filename

    def close(self) -> None:
        """Free everything this session holds (called when the Gradio session ends or expires)."""
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self.photo = self.preview = self.prepared = None
        self.segments, self.parts = [], []
        self.layers.clear()
        self._render_preview = self._faces = self.pending = None  # pending: full-size generated variants
        self._written.clear()
        self._published.clear()
        trim_heap()
