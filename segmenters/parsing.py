"""Labelled segments without a click: run every parser once per photo and return named segments.

``parse_report(photo, manager)`` runs the parsers below (each exactly once per photo; a parser that needs
another one's answer asks the shared ``ParseContext``, which runs it at most once) and returns
``core.types.Segment`` objects with full-size bool masks:

======================  =========================================================================
label                   what
======================  =========================================================================
``person 1``, ...       each person (instance), numbered left to right
``upper clothes``       union over people; likewise ``lower clothes``, ``dress``, ``shoes``,
                        ``hat``, ``hair``, ``face``, ``skin`` (arms, legs, neck, hands), and, from
                        the full backends only, ``sunglasses``, ``belt``, ``bag``, ``scarf``
``person 2 · hair``     per-person parts, only emitted when the photo has two or more people
                        (with one person they would repeat the union segments)
``all faces``           every detected face (face oval / parsed face region), for anonymising
``eyes``, ``eyebrows``, face features (union over faces): ``lips``, ``nose``; full backend adds
``ears``, ``glasses``   ``ears``, ``glasses``, ``mouth``
``background``          everything that is not a person (only on a photo with people)
``sky``, ``building``   scene classes, people removed; ``tree``, ``grass``, ``road``, ``water``,
                        ``mountain``, ``sand`` (and, full backend, e.g. ``car``) where present
``dog``, ``horse``,     things from the offline VOC net (``objects`` parser): animals (dog, horse, cat,
``car``, ...            cow, sheep, bird) and vehicles (car, bus, bicycle, motorbike, boat, airplane,
                        train); they win over the scene classes under them. Two or more animals of
                        a class come as instances ``horse 1``, ``horse 2``, ... (left to right)
======================  =========================================================================

Each segment's ``source`` names the backend that found it, e.g. ``"segformer-clothes"``,
``"selfie-segmentation (offline)"`` or ``"heuristic (offline, approximate)"``; ``is_approximate(seg)``
is true for the hand-made offline rules (the word "approximate" is in the source). ``score`` is the
mean class probability (full backends), the detector's confidence (faces) or None.

The full backends are SegFormer models loaded through the ``ModelManager`` (roles ``clothes``,
``face_parsing``, ``scene`` in core/manifest.toml); when their weights do not resolve, the offline
backend runs instead: MediaPipe tflite models and CenterFace plus the small trained nets of
segmenters/nets.py (ADE20K and VOC DeepLab, MediaPipe hair, PAN skin / clothes / hair; packaged files, see
core/assets.py), and, where a net's file is missing, colour/geometry rules (marked approximate).

Parsers work on a copy of the photo whose longer side is ``WORK_SIDE`` pixels (``ParseContext.work``);
masks are upscaled to the photo's size only when segments are built.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from core.errors import ModelUnavailable
from core.models import ModelManager
from core.types import Photo, Segment, opaque_area
from segmenters.registry import PARSERS

log = logging.getLogger(__name__)

WORK_SIDE = 512  # longer side of the working copy every parser sees
APPROXIMATE = "approximate"
OFFLINE_HEURISTIC = "heuristic (offline, approximate)"
SEP = " · "  # "person 2 · hair"
MIN_PART_FRACTION = 2e-4  # parts smaller than this share of the photo are dropped

# Order of the parts in the answer (and of the union segments).
PERSON_PARTS = (
    "hat",
    "hair",
    "sunglasses",
    "face",
    "skin",
    "upper clothes",
    "lower clothes",
    "dress",
    "belt",
    "shoes",
    "bag",
    "scarf",
)
FACE_FEATURES = ("eyes", "eyebrows", "nose", "lips", "mouth", "ears", "glasses")
SCENE_ORDER = ("sky", "building", "tree", "grass", "road", "water")


@dataclass
class Part:
    """One labelled region found by a parser, at work size (``ParseContext.work``)."""

    label: str
    mask: np.ndarray  # bool, work size
    source: str
    score: float | None = None
    person: int | None = None  # 0-based person index (per-person parts), None for scene / global parts


@dataclass
class ParseOutput:
    """What a parser returns: parts for the answer, ``data`` for parsers that depend on it."""

    parts: list[Part] = field(default_factory=list)
    data: Any = None
    source: str = ""
    notes: list[str] = field(default_factory=list)


class Parser(Protocol):
    name: str  # registry name: "person", "faces", "face_parts", "clothes", "scene"

    def run(self, ctx: ParseContext) -> ParseOutput:
        """Parse ``ctx.work``; ask ``ctx.need(other)`` for another parser's output."""


def is_approximate(segment: Segment) -> bool:
    """True when the segment came from a hand-made offline rule rather than a trained model."""
    return APPROXIMATE in segment.source


class ParseContext:
    """One photo's parse: the working copy, the manager, and each parser's output (run at most once)."""

    def __init__(self, photo: Photo, manager: ModelManager, parsers: dict[str, Parser] | None = None):
        self.photo = photo
        self.manager = manager
        h, w = photo.height, photo.width
        self.scale = min(1.0, WORK_SIDE / max(h, w))  # work pixels per photo pixel
        if self.scale < 1.0:
            size = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
            self.work = cv2.resize(photo.pixels, size, interpolation=cv2.INTER_AREA)
        else:
            self.work = np.ascontiguousarray(photo.pixels)
        self.parsers = parsers if parsers is not None else build_parsers(manager)
        self.outputs: dict[str, ParseOutput | None] = {}
        self.seconds: dict[str, float] = {}
        self.errors: dict[str, str] = {}
        self.runs: dict[str, int] = {}
        self.cache: dict[str, Any] = {}  # per-photo results parsers share (e.g. a net's label map)
        self._running: set[str] = set()
        self._once: dict[str, threading.Event] = {}  # keys of ``cache`` being computed (``once``)
        self._once_lock = threading.Lock()

    @property
    def shape(self) -> tuple[int, int]:
        return self.work.shape[0], self.work.shape[1]

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """``cache[key]``, set to ``make()`` by the first caller; a caller in another thread meanwhile waits for it
        (a net's answer started in the background by a ``START_HOOKS`` hook is not computed twice). When ``make``
        raises, nothing is kept: the caller gets the error, and the next one tries again."""
        while True:
            with self._once_lock:
                if key in self.cache:
                    return self.cache[key]
                busy = self._once.get(key)
                if busy is None:
                    busy = self._once[key] = threading.Event()
                    break
            busy.wait()  # another thread is making it: its answer (or, when it failed, our own try)
        try:
            self.cache[key] = make()
        finally:
            with self._once_lock:
                del self._once[key]
            busy.set()
        return self.cache[key]

    def start(self, job: Callable[[], Any]) -> None:
        """Run ``job()`` on a background thread now (it fills ``cache`` through ``once``; a parser that needs what it
        makes waits for it there, and gets its error by trying again). The parsers' answers are what they would be
        without it: the same calls on the same pixels, only sooner."""

        def run() -> None:
            try:
                job()
            except Exception:  # the parser that needs it tries again and reports it (ParseContext.need)
                log.debug("background job failed", exc_info=True)

        threading.Thread(target=run, name="parse-start", daemon=True).start()

    def need(self, name: str) -> ParseOutput | None:
        """The output of parser ``name`` (running it now if it has not run); None when it failed."""
        if name in self.outputs:
            return self.outputs[name]
        parser = self.parsers.get(name)
        if parser is None:
            self.outputs[name] = None
            return None
        if name in self._running:
            raise RuntimeError(f"parser '{name}' depends on itself")
        self._running.add(name)
        t0 = time.perf_counter()
        inner_before = sum(self.seconds.values())
        try:
            out: ParseOutput | None = parser.run(self)
        except ModelUnavailable as exc:
            log.warning("parser %s unavailable: %s", name, exc)
            self.errors[name] = str(exc)
            out = None
        except Exception as exc:  # one broken parser must not sink the others
            log.exception("parser %s failed", name)
            self.errors[name] = f"{exc.__class__.__name__}: {exc}"
            out = None
        finally:
            self._running.discard(name)
        # own time only: subtract what the parsers it asked for took meanwhile
        self.seconds[name] = time.perf_counter() - t0 - (sum(self.seconds.values()) - inner_before)
        self.runs[name] = self.runs.get(name, 0) + 1
        self.outputs[name] = out
        for hook in AFTER_HOOKS.get(name, ()):  # e.g. segmenters/person.py: the matte begun once the faces are known
            hook(self, out)
        return out


# called by ``parse_report`` with the new context before the parsers run: a parser module starts there, on a background
# thread (``ParseContext.start``), the long net passes its parser will wait for, so that the parsers before it (and
# its own work that does not need them) run meanwhile (segmenters/objects.py: the VOC and ADE nets)
START_HOOKS: list[Callable[[ParseContext], None]] = []
# called by ``ParseContext.need`` right after parser ``name`` has run, with the context and its output (None when it
# failed): a parser module starts there, on a background thread (``ParseContext.start``), a long pass a later parser
# will wait for once that output says it will be needed (segmenters/person.py: the person matte, when a face is seen
# at portrait scale); the answers are the ones the later parser would compute, only sooner
AFTER_HOOKS: dict[str, list[Callable[[ParseContext, ParseOutput | None], None]]] = {}


@dataclass
class ParseReport:
    segments: list[Segment]
    seconds: float  # total, segment assembly included
    per_parser: dict[str, float]  # own time of each parser
    sources: dict[str, str]  # parser -> backend that ran
    errors: dict[str, str]  # parser -> why it gave nothing


def build_parsers(manager: ModelManager, names: Sequence[str] | None = None) -> dict[str, Parser]:
    return {n: PARSERS.build(n, manager) for n in (names or PARSERS.names())}


def segment_rows(report: ParseReport) -> list[tuple[dict, np.ndarray]]:
    """Each segment as a JSON-friendly row {id, label, source, score, bbox, area, file} with its mask; ``file``
    is the name its 0/255 PNG gets (what `app.cli parse` and the `/parse` endpoint write)."""
    rows = []
    for seg in report.segments:
        safe = "".join(c if c.isalnum() else "_" for c in seg.label).strip("_") or "segment"
        rows.append(
            (
                {
                    "id": seg.id,
                    "label": seg.label,
                    "source": seg.source,
                    "score": seg.score,
                    "bbox": list(seg.bbox) if seg.bbox else None,
                    "area": seg.area,
                    "file": f"{seg.id:02d}-{safe}.png",
                },
                seg.mask,
            )
        )
    return rows


def parse_report(photo: Photo, manager: ModelManager, parsers: Sequence[str] | None = None) -> ParseReport:
    """Run the parsers (all registered, or ``parsers``) on ``photo``; segments plus timings and sources."""
    t0 = time.perf_counter()
    ctx = ParseContext(photo, manager, build_parsers(manager, parsers))
    for hook in START_HOOKS:  # e.g. segmenters/objects.py: the scene nets' passes, begun while the faces are found
        hook(ctx)
    for name in ctx.parsers:
        ctx.need(name)
    segments = without_transparent(assemble(ctx), photo.opacity)
    sources = {n: o.source for n, o in ctx.outputs.items() if o is not None}
    return ParseReport(segments, time.perf_counter() - t0, dict(ctx.seconds), sources, dict(ctx.errors))


def without_transparent(segments: list[Segment], opacity: np.ndarray | None) -> list[Segment]:
    """The parts with a transparent upload's transparent area (placed on white at upload, core/photo.py) cut out:
    it is no part of the picture (round 22: a cut-out's border was offered as "sky"). A part left smaller than
    `MIN_PART_FRACTION` of the photo is dropped; the others are numbered 1.. again, soft edges cut the same way."""
    opaque = opaque_area(opacity)
    if opaque is None or opaque.all():
        return segments
    min_px = MIN_PART_FRACTION * opaque.size
    out: list[Segment] = []
    for seg in segments:
        mask = seg.mask & opaque
        if mask.sum() < min_px:
            continue
        soft = seg.edge_alpha
        kept = Segment(id=len(out) + 1, label=seg.label, mask=mask, source=seg.source, score=seg.score)
        if soft is not None:
            kept.set_alpha(np.where(opaque, soft, 0).astype(np.float32))
        out.append(kept)
    return out


def smallest_segment_at(segments: Sequence[Segment], x: float, y: float) -> Segment | None:
    """The segment with the fewest pixels whose mask contains photo pixel ``(x, y)``; None when none does."""
    best: Segment | None = None
    best_area = 0
    for seg in segments:
        h, w = seg.mask.shape
        xi, yi = int(x), int(y)
        if not (0 <= xi < w and 0 <= yi < h) or not seg.mask[yi, xi]:
            continue
        area = seg.area
        if best is None or area < best_area:
            best, best_area = seg, area
    return best


# -- assembling segments -------------------------------------------------------------------------------


# called at the end of ``assemble`` with (ctx, the full-size segments, everyone at full size); a parser module
# that attaches something to the segments registers here (segmenters/matte.py: soft edges)
ASSEMBLY_HOOKS: list[Callable[[ParseContext, list[Segment], np.ndarray], None]] = []


def assemble(ctx: ParseContext) -> list[Segment]:
    """Turn every parser's parts into full-size segments: instances, unions, per-person parts, background."""
    h, w = ctx.photo.height, ctx.photo.width
    min_px = MIN_PART_FRACTION * ctx.shape[0] * ctx.shape[1]
    out: list[tuple[str, np.ndarray, str, float | None]] = []

    person_out = ctx.outputs.get("person")
    people: list[Part] = list(person_out.parts) if person_out else []
    n_people = len(people)
    everyone = np.zeros(ctx.shape, bool)
    for i, p in enumerate(people):
        everyone |= p.mask
        out.append((f"person {i + 1}", p.mask, p.source, p.score))

    parts: list[Part] = []
    for name in ("clothes", "face_parts"):
        o = ctx.outputs.get(name)
        if o is not None:
            parts.extend(o.parts)

    def union(label: str, chosen: list[Part]) -> None:
        mask = np.zeros(ctx.shape, bool)
        for p in chosen:
            mask |= p.mask
        if mask.sum() >= min_px:
            scores = [p.score for p in chosen if p.score is not None]
            out.append((label, mask, _sources(chosen), float(np.mean(scores)) if scores else None))

    labels = [lb for lb in PERSON_PARTS + FACE_FEATURES if any(p.label == lb for p in parts)]
    labels += sorted({p.label for p in parts} - set(labels) - {"all faces"})
    for label in labels:
        union(label, [p for p in parts if p.label == label])
    union("all faces", [p for p in parts if p.label == "all faces"])
    if n_people >= 2:
        for i, who in enumerate(people):
            for label in PERSON_PARTS:
                # parts tied to a person by their parser, or (full backends) cut out by the person's mask
                mine = [
                    p if p.person == i else Part(p.label, p.mask & who.mask, p.source, p.score, i)
                    for p in parts
                    if p.label == label and p.person in (i, None)
                ]
                union(f"person {i + 1}{SEP}{label}", mine)

    if person_out is not None and n_people:  # no "background" chip on a photo without people
        out.append(("background", ~everyone, person_out.source, None))
    scene = ctx.outputs.get("scene")
    things = ctx.outputs.get("objects")
    thing_parts = list(things.parts) if things is not None else []
    scene_labels = {p.label for p in scene.parts} if scene is not None else set()
    scene_labels |= {p.label for p in thing_parts}
    claimed = everyone.copy()  # things (animals, cars) win over the scene classes under them
    for p in thing_parts:
        claimed |= p.mask
    if scene is not None:
        order = {lb: i for i, lb in enumerate(SCENE_ORDER)}
        for p in sorted(scene.parts, key=lambda p: (order.get(p.label, 99), p.label)):
            m = p.mask & ~claimed
            if m.sum() >= min_px:
                out.append((p.label, m, p.source, p.score))
    for p in thing_parts:
        m = p.mask & ~everyone
        if m.sum() >= min_px:
            out.append((p.label, m, p.source, p.score))

    everyone_big = np.zeros((h, w), bool)
    instances_big = np.zeros((h, w), bool)  # numbered things ("horse 2") stay disjoint after refinement too
    instances: dict[str, np.ndarray] = {}  # the people at full size (first in ``out``)
    parts_work = {lb: m for lb, m, _, _ in out if _base(lb) in PERSON_PARTS}
    union_parts = {lb: m for lb, m in parts_work.items() if SEP not in lb}
    # each mask refined on its own (people, scene classes, things, face features) goes to the assembly workers now
    # (``_refine_all``), while the people and the person parts (their refined maps, on the same workers) are put together
    alone = [
        i for i, (label, _, _, _) in enumerate(out) if label != "background" and _refined_alone(label, scene_labels)
    ]
    big_of = dict(zip(alone, _refine_all(ctx, [out[i][1] for i in alone]), strict=True))
    for i, (label, _, _, _) in enumerate(out):
        if label.startswith("person ") and SEP not in label and label not in scene_labels:
            instances[label] = big_of[i].result() & ~everyone_big  # instances stay disjoint after refinement
            everyone_big |= instances[label]
    full = _upscale_exclusive(union_parts, w, h, _refiner(ctx))
    full.update(_split_by_person({lb: m for lb, m in parts_work.items() if SEP in lb}, full, instances, w, h))
    segments = []
    for i, (label, mask, source, score) in enumerate(out, start=1):
        if label == "background":  # the exact complement of the people, at full size
            big = ~everyone_big
        elif label in scene_labels:
            big = big_of[i - 1].result() & ~everyone_big
            if label.rsplit(" ", 1)[-1].isdigit():
                big &= ~instances_big
                instances_big |= big
        elif label in instances:
            big = instances[label]
        else:
            big = full[label] if label in full else big_of[i - 1].result() if i - 1 in big_of else _to_full(ctx, mask)
        segments.append(Segment(id=i, label=label, mask=big, source=source, score=score))
    for hook in ASSEMBLY_HOOKS:  # e.g. segmenters/matte.py: soft edges of the people and hair the matte drew
        hook(ctx, segments, everyone_big)
    return segments


def _to_full(ctx: ParseContext, mask: np.ndarray) -> np.ndarray:
    """A work-size mask at the photo's size, its edges refined on the full-size photo (core/edges.py: a
    guided filter, so no staircase from the upscale and the edge follows the photo's own edges)."""
    h, w = ctx.photo.height, ctx.photo.width
    if mask.shape == (h, w):
        return mask.copy()
    if w / mask.shape[1] < 1.5:  # hardly upscaled: no visible staircase, not worth the time
        return cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR).astype(bool)
    return _refiner(ctx).mask(mask)


ASSEMBLY_WORKERS = 2  # threads that refine the masks of one parse's assembly side by side (``_refine_all``)
_assembly_pool: Any = None
_assembly_lock = threading.Lock()


def _refined_alone(label: str, scene_labels: set[str]) -> bool:
    """Whether ``assemble`` refines the mask of segment ``label`` on its own (``_to_full``): a scene class or thing, a
    person, a face feature; not the person parts (``_upscale_exclusive``, ``_split_by_person``) nor the background."""
    return (
        label in scene_labels or (label.startswith("person ") and SEP not in label) or _base(label) not in PERSON_PARTS
    )


def _assembly_workers() -> Any:
    """The process's assembly workers (a ``ThreadPoolExecutor`` of ``ASSEMBLY_WORKERS`` threads): each job refines one
    mask and waits for nothing."""
    global _assembly_pool
    from concurrent.futures import ThreadPoolExecutor

    with _assembly_lock:
        if _assembly_pool is None:
            _assembly_pool = ThreadPoolExecutor(ASSEMBLY_WORKERS, thread_name_prefix="parse-assemble")
        return _assembly_pool


def _refine_all(ctx: ParseContext, masks: list[np.ndarray]) -> list[Any]:
    """``_to_full(ctx, mask)`` of each of ``masks`` (work size) handed to the assembly workers, in order: their futures.
    The refinements share nothing but the photo's ``EdgeRefiner``, whose guide statistics are worked out here first;
    each answer is the one ``_to_full`` gives on one thread (cv2 and numpy let go of the GIL, so a parse's assembly,
    the last thing it does and on one thread before, takes both cores: issue 11, 1 MP under 1.5 s)."""
    if masks and ctx.photo.width / ctx.shape[1] >= 1.5:  # (``_to_full`` refines them: see there)
        _refiner(ctx).warm()
    workers = _assembly_workers()
    return [workers.submit(_to_full, ctx, m) for m in masks]


def _refiner(ctx: ParseContext) -> Any:
    """The photo's ``core.edges.EdgeRefiner`` (one per parse: every mask's refinement shares its work)."""
    from core.edges import EdgeRefiner

    if "edges" not in ctx.cache:
        ctx.cache["edges"] = EdgeRefiner(ctx.photo.pixels, ctx.shape)
    return ctx.cache["edges"]


def _base(label: str) -> str:
    return label.split(SEP)[-1]


def _split_by_person(
    per_person: dict[str, np.ndarray],
    full: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    width: int,
    height: int,
) -> dict[str, np.ndarray]:
    """Each person's part (``person 2 · hair``, work-size masks) at the photo's size, cut from the refined union
    part (``full["hair"]``) rather than refined again (a group photo has dozens): a pixel of the union goes to
    the person whose refined instance (``people["person 2"]``, full size, disjoint) holds it when that person
    has this part; elsewhere to the person whose part holds it at work size, or the nearest such person (the
    refined edge reaches past the work mask)."""
    out: dict[str, np.ndarray] = {}
    bases: dict[str, list[str]] = {}
    for label in per_person:
        bases.setdefault(_base(label), []).append(label)
    names = list(people)
    who = np.zeros((height, width), np.uint8)  # 0: nobody, j + 1: names[j]
    for j, name in enumerate(names[:254]):
        who[people[name]] = j + 1
    for base, labels in bases.items():
        whole = full.get(base)
        if whole is None or len(labels) > 254:
            continue  # (cannot happen: the union holds every person's part) the caller refines these alone
        owner = np.zeros(next(iter(per_person.values())).shape, np.uint8)  # 0: nobody, k + 1: labels[k]
        for k, label in enumerate(labels):
            owner[per_person[label] & (owner == 0)] = k + 1
        if not owner.any():
            continue
        if not owner.all():  # every pixel to its nearest owned pixel's person
            _, nearest = cv2.distanceTransformWithLabels(
                (owner == 0).view(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
            )
            seeds = owner[owner > 0]  # DIST_LABEL_PIXEL numbers the zero pixels of its input in row-major order
            owner = seeds[nearest - 1]
        rows, cols = np.flatnonzero(whole.any(axis=1)), np.flatnonzero(whole.any(axis=0))
        if rows.size == 0:
            for label in labels:
                out[label] = np.zeros((height, width), bool)
            continue
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # only the union's pixels matter
        big = cv2.resize(owner, (width, height), interpolation=cv2.INTER_NEAREST)[box]
        lut = np.zeros(256, np.uint8)  # instance -> the index + 1 of its label here (0: it has none)
        for k, label in enumerate(labels):
            name = label.split(SEP)[0]
            if name in names[:254]:
                lut[names.index(name) + 1] = k + 1
        inside = lut[who[box]]  # an instance without this part leaves the pixel to the work-size owner
        big = np.where(inside > 0, inside, big)
        for k, label in enumerate(labels):
            out[label] = np.zeros((height, width), bool)
            out[label][box] = whole[box] & (big == k + 1)
    return out


def _upscale_exclusive(
    masks: dict[str, np.ndarray], width: int, height: int, refiner: Any = None
) -> dict[str, np.ndarray]:
    """Upscale masks that do not overlap so that they still do not (each pixel to its strongest label);
    with ``refiner`` (``core.edges.EdgeRefiner`` of the photo) each soft map's edges are refined first."""
    if not masks:
        return {}
    first = next(iter(masks.values()))
    if first.shape == (height, width):
        return {k: v.copy() for k, v in masks.items()}
    out: dict[str, np.ndarray] = {}
    groups: dict[str, list[str]] = {}
    for label in masks:  # unions and each person's parts are upscaled as separate groups
        groups.setdefault(label.split(SEP)[0] if SEP in label else "", []).append(label)
    mh, mw = first.shape
    factor = max(height / mh, width / mw, 1.0)
    for labels in groups.values():
        refine = refiner is not None and width / first.shape[1] >= 1.5  # see _to_full
        # every map is 0 beyond its mask's upscaled extent grown by the refinement band (core/edges.py):
        # the strongest label is picked inside the box around the group only
        union = np.logical_or.reduce([masks[lb] for lb in labels])
        rows, cols = np.flatnonzero(union.any(axis=1)), np.flatnonzero(union.any(axis=0))
        for lb in labels:
            out[lb] = np.zeros((height, width), bool)
        if rows.size == 0:
            continue
        m = int(np.ceil(factor)) + int(np.ceil(max(3.0, 1.5 * factor))) + 2
        y0, y1 = max(0, int(rows[0] * height / mh) - m), min(height, int(np.ceil((rows[-1] + 1) * height / mh)) + m)
        x0, x1 = max(0, int(cols[0] * width / mw) - m), min(width, int(np.ceil((cols[-1] + 1) * width / mw)) + m)
        # argmax over the labels without stacking their maps: a running best (the first of equal maxima wins,
        # as np.argmax), each map read on its own box only (0 elsewhere)
        best = np.zeros((y1 - y0, x1 - x0), np.float32)
        which = np.full((y1 - y0, x1 - x0), -1, np.int16)
        # each map refined on the assembly workers (``_refine_all``; its guide statistics worked out first), in order,
        # ``ASSEMBLY_WORKERS`` ahead of the one taken here at most (a big photo's maps are not all kept at once)
        maps: dict[int, Any] = {}
        if refine:
            refiner.warm()
            for j in range(min(len(labels), ASSEMBLY_WORKERS + 1)):
                maps[j] = _assembly_workers().submit(refiner.alpha_box, masks[labels[j]])
        for k, lb in enumerate(labels):
            if refine:
                (a0, a1, b0, b1), a = maps.pop(k).result()
                if k + ASSEMBLY_WORKERS + 1 < len(labels):
                    nxt = labels[k + ASSEMBLY_WORKERS + 1]
                    maps[k + ASSEMBLY_WORKERS + 1] = _assembly_workers().submit(refiner.alpha_box, masks[nxt])
            else:
                a0, a1, b0, b1 = 0, height, 0, width
                a = cv2.resize(masks[lb].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
            ya, yb, xa, xb = max(a0, y0), min(a1, y1), max(b0, x0), min(b1, x1)
            if ya >= yb or xa >= xb:
                continue
            v = a[ya - a0 : yb - a0, xa - b0 : xb - b0]
            cur = best[ya - y0 : yb - y0, xa - x0 : xb - x0]
            win = v > cur
            if k == 0:
                win |= v == cur  # label 0 holds the maximum where every map is 0 (np.argmax's answer)
            cur[win] = v[win]
            which[ya - y0 : yb - y0, xa - x0 : xb - x0][win] = k
        strong = best >= 0.5
        for k, lb in enumerate(labels):
            out[lb][y0:y1, x0:x1] = strong & (which == k)
    return out


def _sources(parts: list[Part]) -> str:
    seen: list[str] = []
    for p in parts:
        if p.source not in seen:
            seen.append(p.source)
    return " + ".join(seen)


# -- helpers shared by the parser modules ---------------------------------------------------------------


# the packaged-model cache and the tflite runner live in core/models.py (faces/ uses them too)
from core.models import packaged_model, run_tflite, tflite_interpreter  # noqa: E402,F401  (re-exported)
