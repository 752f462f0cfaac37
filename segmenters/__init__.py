"""Segmenters: one file each behind `segmenters.base`; `SEGMENTERS` maps names to builders."""

from core.registry import Registry

SEGMENTERS: Registry = Registry("segmenter")

from segmenters import grabcut, sam, sam2  # noqa: E402,F401  (registration)
from segmenters import clothes, face_parts, faces, parsing, person, scene  # noqa: E402,F401  (parser registration)
