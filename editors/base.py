"""The editor contract: restyle the pixels under a mask (see the editor issues).

An editor is a small object with ``name`` (registry name), ``label`` (what the UI shows), ``params_schema``
(name -> :class:`Param`, so a UI or CLI can build its controls), ``provenance`` (its declared
:class:`Provenance`: may it make pixels with a trained generative model, does it change or hide who a face is,
which trained models it may use) and two calls:

- ``edit(photo, mask, params, seed)`` -> :class:`EditResult` (frozen: the image, the model ids that made it,
  the backend, the seconds, a report). ``EditResult.image`` is a full-size RGB uint8 image whose pixels
  outside ``mask`` plus the feather band are bit-identical to the input (see ``core.composite``).
- ``apply(...)``: the same, the image only (``edit(...).image``).

Editors that make several candidates to pick from (inpaint, remove) also implement :class:`GenerativeEditor`
(``generate`` -> a list of :class:`Variant`). Callers read these declarations and results; they never probe an
editor with getattr / hasattr or know editors by name.

:class:`CropEditor` implements the common flow once: validate -> crop around the mask (+margin) ->
``process`` the crop -> composite back with a distance feather (+ optional colour harmonisation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np

from core.composite import XYXY, box_slices, check_image, check_mask, composite_crop, crop_box
from core.errors import BadInput
from core.types import Photo


class Param(NamedTuple):
    """One editor parameter: ``(type, default, min, max, choices, help)``.

    ``type`` is ``float``, ``int``, ``str`` or ``bool``; ``min``/``max`` bound numbers (None: unbounded);
    ``choices`` lists the allowed values (None: any). ``default`` None means "not set".
    """

    type: type
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""


class ImageRef:
    """``Param.type`` of an image parameter (a texture, a style picture, a face): a built-in name from
    ``choices`` or an RGB uint8 HxWx3 array, never a file path. Files reach an editor only as arrays: the UI and
    the API read uploads, the CLI the files named on its command line (``editors.base.load_local_image``)."""


FEATHER = Param(
    float,
    -1.0,
    -1.0,
    256.0,
    None,
    "feather width in px at the boundary; -1 = automatic (about 0.25 % of the photo's diagonal)",
)


FACE_SWAPPED = "swapped"  # Provenance.face_edit of an editor that puts another identity on faces
FACE_ANONYMIZED = "anonymized"  # ... of one that hides who a face is (a synthetic identity, blur, pixelate)
FACE_EDITS = (FACE_SWAPPED, FACE_ANONYMIZED)
CLASSICAL: tuple[str, ...] = ()  # Provenance.models of an editor that uses no trained model at all


@dataclass(frozen=True)
class Provenance:
    """What an editor declares about the pixels it makes (its class attribute ``provenance``). The exports'
    metadata, Content Credentials and watermark flags are built from these declarations and from each
    :class:`EditResult`, never from the editor's name.

    ``generative``: it may put pixels made by a trained generative model into the photo (diffusion, LaMa, a
    neural style network, a face swap); such exports carry the invisible watermark (FACET_WATERMARK) and a
    trainedAlgorithmicMedia source type. Whether one result did is ``EditResult.generative``.
    ``face_edit``: ``FACE_SWAPPED`` or ``FACE_ANONYMIZED`` for editors that change or hide who a face is
    (the manifest's face flags and boxes), else None.
    ``models``: every trained model it may run (``CLASSICAL``, the empty tuple: none, classical algorithms only);
    which ones made one result is ``EditResult.model_ids``.
    ``c2pa_action``: the C2PA action its edits are recorded as.
    """

    generative: bool = False
    face_edit: str | None = None
    models: tuple[str, ...] = CLASSICAL
    c2pa_action: str = "c2pa.edited"

    def __post_init__(self) -> None:
        if self.face_edit is not None and self.face_edit not in FACE_EDITS:
            raise ValueError(f"face_edit must be one of {FACE_EDITS} or None, not {self.face_edit!r}")

    @property
    def classical(self) -> bool:
        """True when the editor runs no trained model at all."""
        return not self.models


@dataclass(frozen=True, eq=False)
class EditResult:
    """What one edit made. ``image``: the full-size RGB uint8 HxWx3 result; ``model_ids``: the trained models
    that made it (empty: classical); ``backend``: the human-readable backend name; ``seconds``: wall time;
    ``report``: per-item notes (anonymize: one dict per face, what was done and why); ``generative``: the
    image holds pixels made by a trained generative model."""

    image: np.ndarray
    model_ids: tuple[str, ...]
    backend: str
    seconds: float
    report: tuple[dict[str, Any], ...] = ()
    generative: bool = False


@dataclass(frozen=True, eq=False)
class Variant:
    """One generated candidate (``GenerativeEditor.generate``).

    ``image``: the full-size photo with the edit composited in (RGB uint8 HxWx3); ``seed``: the seed that
    reproduces it (same params + seed = same pixels on the same device); ``seconds``: wall time of this
    variant (model call + crop/paste); ``model``: which weights or algorithm made it (``repo@revision`` or the
    local folder of a ``FACET_MODEL_<ROLE>`` override, ``+lcm-lora`` in fast mode, or ``opencv-telea`` for the
    classical fill); ``backend``: the human-readable backend name the UI shows; ``generative``: made by a
    trained generative model (False: remove's classical fill).
    """

    image: np.ndarray
    seed: int
    seconds: float
    model: str
    backend: str = ""
    generative: bool = True

    def result(self) -> EditResult:
        """This variant as an :class:`EditResult` (a classical fill records no trained model)."""
        return EditResult(
            self.image,
            (self.model,) if self.generative and self.model else CLASSICAL,
            self.backend,
            self.seconds,
            (),
            self.generative,
        )


_declared: dict[str, Provenance] = {}


def declared_provenance(name: str) -> Provenance:
    """The ``Provenance`` the editor registered as ``name`` declares; a plain classical ``Provenance()`` for a
    name no editor has (the merged base layer, an old manifest's editor). For code that holds a recorded edit
    (a layer, a manifest entry) rather than the editor: it reads the declaration, never a list of names."""
    from editors.registry import EDITORS

    if name not in EDITORS:
        return Provenance()
    if name not in _declared:
        _declared[name] = EDITORS.build(name, None).provenance
    return _declared[name]


@runtime_checkable
class Editor(Protocol):
    name: str
    label: str
    params_schema: dict[str, Param]
    provenance: Provenance

    def edit(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> EditResult:
        """Edit the pixels under ``mask``; pixels outside ``mask`` plus feather stay identical."""

    def apply(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> np.ndarray:
        """``edit(...).image``: an RGB uint8 image of the photo's size."""

    def estimate_bytes(self, shape: tuple[int, ...], mask: np.ndarray) -> int:
        """Estimated peak memory (bytes) of one edit of ``mask`` on a photo of ``shape`` (checked against
        FACET_MEMORY_BUDGET_MB before the work, ``core.budget``); a generic estimate unless the editor knows
        better (``CropEditor``'s)."""
        return generic_estimate(shape)


def generic_estimate(shape: tuple[int, ...]) -> int:
    from core.budget import GENERIC_BYTES_PER_PIXEL

    return GENERIC_BYTES_PER_PIXEL * int(shape[0]) * int(shape[1])


Progress = Callable[[int, int], None]


@runtime_checkable
class GenerativeEditor(Editor, Protocol):
    """An editor whose results are candidates to pick from (``generate``: ``variants`` of them, by seed); the
    session's Generate flow takes only these. Implementations subclass it, so the declaration is explicit.
    ``uses_parts``: ``generate`` takes the photo's labelled parts as ``parts=`` (Remove copies from the surfaces
    around the hole, never from objects)."""

    uses_parts: bool = False

    def generate(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> list[Variant]:
        """Candidates (full-size RGB uint8 each); ``progress(step, total)``; ``cancel.set()`` stops it."""


class ReportingEditor:
    """For editors whose ``apply`` notes on the editor what the call did (the face editors): ``model_ids``,
    ``backend_used``, ``last_report`` and ``result_generative`` are set by ``apply``; ``edit`` wraps them into
    an :class:`EditResult`. (A fresh editor is built for every edit, so the notes belong to one call.)"""

    label: str = ""
    provenance: ClassVar[Provenance]
    model_ids: tuple[str, ...] = CLASSICAL
    backend_used: str = ""
    last_report: Sequence[dict[str, Any]] = ()  # apply sets its own list
    result_generative: bool | None = None  # None: the declared ``provenance.generative``

    def apply(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> np.ndarray:
        raise NotImplementedError

    def estimate_bytes(self, shape: tuple[int, ...], mask: np.ndarray) -> int:
        return generic_estimate(shape)

    def edit(
        self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None, seed: int | None = None
    ) -> EditResult:
        t0 = time.perf_counter()
        image = self.apply(photo, mask, params, seed)
        generative = self.provenance.generative if self.result_generative is None else self.result_generative
        return EditResult(
            image,
            tuple(self.model_ids),
            self.backend_used or self.label,
            time.perf_counter() - t0,
            tuple(dict(r) for r in self.last_report),
            bool(generative),
        )


def as_pixels(photo: Photo | np.ndarray) -> np.ndarray:
    """The RGB uint8 HxWx3 pixels of a ``Photo`` or of an array (checked)."""
    return check_image(photo.pixels if isinstance(photo, Photo) else photo)


def validate_params(editor: str, schema: dict[str, Param], params: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults and check types/ranges; raise ``BadInput`` with a precise message otherwise."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(schema))
    if unknown:
        raise BadInput(f"{editor}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(schema))}")
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        value = params.get(key, spec.default)
        if value is None:
            out[key] = None
            continue
        out[key] = _coerce(editor, key, spec, value)
    return out


def _coerce(editor: str, key: str, spec: Param, value: Any) -> Any:
    where = f"{editor}: parameter '{key}'"
    if spec.type is bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise BadInput(f"{where} must be true or false, got {value!r}")
    if spec.type in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, str)):
            raise BadInput(f"{where} must be a number, got {value!r}")
        try:
            num = float(value)
        except ValueError:
            raise BadInput(f"{where} must be a number, got {value!r}") from None
        if not math.isfinite(num):
            raise BadInput(f"{where} must be a finite number, got {value!r}")
        if spec.type is int:
            if num != int(num):
                raise BadInput(f"{where} must be a whole number, got {value!r}")
            num = int(num)
        lo, hi = spec.min, spec.max
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            raise BadInput(f"{where} must be between {lo:g} and {hi:g}, got {value!r}")
        if spec.choices is not None and num not in spec.choices:
            raise BadInput(f"{where} must be one of {', '.join(map(str, spec.choices))}, got {value!r}")
        return num
    if spec.type is ImageRef:
        if isinstance(value, str) and not value.strip():
            return spec.default  # an empty text box: the default (None: not set)
        return check_image_value(where, value, spec.choices or ())
    if spec.type is dict:  # a structured value (e.g. faceswap's mapping): text, or a dict from the CLI
        if not isinstance(value, (str, dict)):
            raise BadInput(f"{where} must be text, got {type(value).__name__}")
        return value
    if spec.type is str:
        if not isinstance(value, (str, Path)):
            raise BadInput(f"{where} must be text, got {value!r}")
        value = str(value)
        if spec.choices is not None and value not in spec.choices:
            raise BadInput(f"{where} must be one of {', '.join(map(str, spec.choices))}, got {value!r}")
        return value
    return value


MIN_IMAGE_SIDE = 16


def check_image_value(where: str, value: Any, names: tuple[str, ...] | Any) -> Any:
    """An image parameter's value: a built-in name (returned as is) or an RGB uint8 array of at least 16x16
    (returned as is); anything else, a file path or URL above all, is a ``BadInput`` saying how to give one."""
    if isinstance(value, np.ndarray):
        if value.dtype != np.uint8 or value.ndim != 3 or value.shape[2] != 3:
            raise BadInput(f"{where} must be an RGB uint8 image (H, W, 3), got {value.dtype} {value.shape}")
        if min(value.shape[:2]) < MIN_IMAGE_SIDE:
            raise BadInput(
                f"{where}: the image is too small ({value.shape[1]}x{value.shape[0]}); "
                f"use at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}"
            )
        return value
    known = ", ".join(names) or "(none installed)"
    if isinstance(value, str) and value in names:
        return value
    shown = value if isinstance(value, str) and len(value) <= 80 else f"{str(value)[:77]}..."
    raise BadInput(
        f"{where} must be one of the built-in names ({known}), not {shown!r}; file paths and URLs "
        f"are not read: upload your own image instead"
    )


def load_local_image(path: str | Path, what: str) -> np.ndarray:
    """A local image file -> RGB uint8 array, with the same checks as an uploaded photo. For the CLI (the user's
    own files on their own machine) and for the app's upload components; editors never read files."""
    from core.photo import load_photo

    img = load_photo(str(path), name=Path(str(path)).name).pixels
    if min(img.shape[:2]) < MIN_IMAGE_SIDE:
        raise BadInput(
            f"the {what} image {Path(str(path)).name} is too small ({img.shape[1]}x{img.shape[0]}); "
            f"use at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}"
        )
    return img


def image_params(schema: dict[str, Param]) -> list[str]:
    """The names of a schema's image parameters (``ImageRef``)."""
    return [k for k, spec in schema.items() if spec.type is ImageRef]


def auto_feather(shape: tuple[int, ...], feather: float) -> float:
    """The feather width in px: ``feather`` if >= 0, else ~0.25 % of the photo's diagonal (>= 1.5 px)."""
    if feather >= 0:
        return float(feather)
    return max(1.5, 0.0025 * math.hypot(shape[0], shape[1]))


MAX_SEED = 2**31 - 1


def check_seed(seed: int | None) -> int:
    """The editors' seed: ``None`` means the fixed default seed 0 (results are reproducible); a seed outside
    0..MAX_SEED is a `BadInput`."""
    seed = 0 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise BadInput(f"the seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


def rng_for(seed: int | None) -> np.random.Generator:
    """The editors' random generator, from :func:`check_seed`'s seed."""
    return np.random.default_rng(check_seed(seed))


class LazyManager:
    """For editors built with or without a model manager: ``manager`` is the one given, else the shared
    never-downloading ``default_manager()``, made on first use."""

    def __init__(self, manager: Any = None):
        self._manager = manager

    @property
    def manager(self) -> Any:
        if self._manager is None:
            from core.models import default_manager

            self._manager = default_manager()
        return self._manager


PHOTO_BYTES = 12  # per photo pixel for any edit: the result (3), the layer's diff (3 + 1) and slack


class CropEditor:
    """Base for editors that work on a crop around the mask and composite the result back."""

    name: str = ""
    label: str = ""
    params_schema: dict[str, Param] = {}
    provenance: Provenance = Provenance()  # classical unless a subclass declares otherwise
    harmonize_strength: float = 0.0  # colour harmonisation at the seam (see core.composite.harmonize)
    harmonize_channels: str = "L"
    # Peak memory of one edit (``estimate_bytes``, checked against FACET_MEMORY_BUDGET_MB before the work):
    # ``work_mb`` (work at a capped size, buffers) + ``crop_bytes`` per pixel of the crop box (the editor's
    # full-size steps and the composite) + PHOTO_BYTES per photo pixel (the result and the layer's diff).
    # Calibrated with bench/memory_bench.py (measured peak over idle at 12 and 24 MP, with a margin).
    work_mb: float = 100.0
    crop_bytes: float = 100.0

    def work_shape(self, h: int, w: int, params: dict[str, Any]) -> tuple[int, int]:
        """(h, w) of the float working arrays for a crop of ``h`` x ``w`` (default: the crop itself)."""
        return h, w

    def estimate_bytes(self, shape: tuple[int, ...], mask: np.ndarray) -> int:
        """Estimated peak memory (bytes) of ``apply`` on a photo of ``shape`` with ``mask`` (bool HxW)."""
        x0, y0, x1, y1 = crop_box(mask, 0)
        pad = int(0.05 * max(x1 - x0, y1 - y0)) + 8  # the margin around the mask (context + feather)
        crop_px = min(x1 - x0 + 2 * pad, shape[1]) * min(y1 - y0 + 2 * pad, shape[0])
        return int(self.work_mb * 2**20 + self.crop_bytes * crop_px + PHOTO_BYTES * shape[0] * shape[1])

    def margin(self, shape: tuple[int, ...], box: XYXY, params: dict[str, Any], feather: float) -> int:
        """Context kept around the mask's box (px); at least the feather band."""
        return int(math.ceil(feather)) + 2

    def process(
        self, crop: np.ndarray, mask: np.ndarray, params: dict[str, Any], rng: np.random.Generator
    ) -> np.ndarray:
        """Edit an RGB uint8 crop; ``mask`` is the crop's bool mask. Return an RGB uint8 crop of the same size."""
        raise NotImplementedError

    def edit(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        alpha: np.ndarray | None = None,
    ) -> EditResult:
        """``alpha`` (optional): the mask's soft edge (float32 HxW, ``core.edges``) used when compositing."""
        t0 = time.perf_counter()
        pixels = as_pixels(photo)
        mask = check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        self.check(p)
        image = self.render(pixels, mask, p, seed, alpha)
        return EditResult(
            image, self.models_for(p), self.label, time.perf_counter() - t0, (), self.provenance.generative
        )

    def apply(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        alpha: np.ndarray | None = None,
    ) -> np.ndarray:
        """``edit(...).image``."""
        return self.edit(photo, mask, params, seed, alpha).image

    def models_for(self, params: dict[str, Any]) -> tuple[str, ...]:
        """The trained models an edit with these (validated) params runs (default: all the declared ones)."""
        return self.provenance.models

    def render(
        self, pixels: np.ndarray, mask: np.ndarray, p: dict[str, Any], seed: int | None, alpha: np.ndarray | None
    ) -> np.ndarray:
        """The crop flow on checked ``pixels`` / ``mask`` with validated params ``p``: the full-size result."""
        feather = auto_feather(pixels.shape, p.get("feather", -1.0))
        box = crop_box(mask, 0)
        box = crop_box(mask, self.margin(pixels.shape, box, p, feather))
        sl = box_slices(box)
        crop, m = pixels[sl], mask[sl]
        edited = self.process(np.ascontiguousarray(crop), m, p, rng_for(seed))
        edited = check_image(edited, f"{self.name} result")
        return composite_crop(
            pixels,
            edited,
            box,
            mask,
            feather,
            p.get("harmonize", self.harmonize_strength),
            self.harmonize_channels,
            alpha,
        )

    def check(self, params: dict[str, Any]) -> None:
        """Cross-parameter checks beyond the schema's (raise ``BadInput``)."""
