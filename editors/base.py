"""The editor protocol: restyle the pixels under a mask (see the editor issues).

An editor is a small object with ``name`` (registry name), ``label`` (what the UI shows),
``params_schema`` (name -> :class:`Param`, so a UI or CLI can build its controls) and ``apply``.
``apply`` returns a full-size RGB uint8 image; pixels outside ``mask`` plus the feather band are
bit-identical to the input (see ``core.composite``).

:class:`CropEditor` implements the common flow once: validate -> crop around the mask (+margin) ->
``process`` the crop -> composite back with a distance feather (+ optional colour harmonisation).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

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


FEATHER = Param(float, -1.0, -1.0, 256.0, None,
                "feather width in px at the boundary; -1 = automatic (about 0.25 % of the photo's diagonal)")


@runtime_checkable
class Editor(Protocol):
    name: str
    label: str
    params_schema: dict[str, Param]

    def apply(self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any],
              seed: int | None) -> np.ndarray:
        """Return an RGB uint8 image of the photo's size; pixels outside ``mask`` plus feather stay identical."""


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
    if spec.type is str:
        if not isinstance(value, (str, Path)):
            raise BadInput(f"{where} must be text, got {value!r}")
        value = str(value)
        if spec.choices is not None and value not in spec.choices:
            raise BadInput(f"{where} must be one of {', '.join(map(str, spec.choices))}, got {value!r}")
        return value
    return value


def auto_feather(shape: tuple[int, ...], feather: float) -> float:
    """The feather width in px: ``feather`` if >= 0, else ~0.25 % of the photo's diagonal (>= 1.5 px)."""
    if feather >= 0:
        return float(feather)
    return max(1.5, 0.0025 * math.hypot(shape[0], shape[1]))


MAX_SEED = 2**31 - 1


def rng_for(seed: int | None) -> np.random.Generator:
    """The editors' random generator: ``None`` means the fixed default seed 0 (results are reproducible);
    a seed outside 0..MAX_SEED is a `BadInput`."""
    seed = 0 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise BadInput(f"the seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    return np.random.default_rng(int(seed))


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


class CropEditor:
    """Base for editors that work on a crop around the mask and composite the result back."""

    name: str = ""
    label: str = ""
    params_schema: dict[str, Param] = {}
    harmonize_strength: float = 0.0  # colour harmonisation at the seam (see core.composite.harmonize)
    harmonize_channels: str = "L"

    def margin(self, shape: tuple[int, ...], box: XYXY, params: dict[str, Any], feather: float) -> int:
        """Context kept around the mask's box (px); at least the feather band."""
        return int(math.ceil(feather)) + 2

    def process(self, crop: np.ndarray, mask: np.ndarray, params: dict[str, Any],
                rng: np.random.Generator) -> np.ndarray:
        """Edit an RGB uint8 crop; ``mask`` is the crop's bool mask. Return an RGB uint8 crop of the same size."""
        raise NotImplementedError

    def apply(self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None,
              seed: int | None = None, alpha: np.ndarray | None = None) -> np.ndarray:
        """``alpha`` (optional): the mask's soft edge (float32 HxW, ``core.edges``) used when compositing."""
        pixels = as_pixels(photo)
        mask = check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        self.check(p)
        feather = auto_feather(pixels.shape, p.get("feather", -1.0))
        box = crop_box(mask, 0)
        box = crop_box(mask, self.margin(pixels.shape, box, p, feather))
        sl = box_slices(box)
        crop, m = pixels[sl], mask[sl]
        edited = self.process(np.ascontiguousarray(crop), m, p, rng_for(seed))
        edited = check_image(edited, f"{self.name} result")
        return composite_crop(pixels, edited, box, mask, feather, p.get("harmonize", self.harmonize_strength),
                              self.harmonize_channels, alpha)

    def check(self, params: dict[str, Any]) -> None:
        """Cross-parameter checks beyond the schema's (raise ``BadInput``)."""
