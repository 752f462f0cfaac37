"""Editors: one file each behind `editors.base`; `EDITORS` maps names to builders."""

from core.registry import Registry

EDITORS: Registry = Registry("editor")

from editors import anonymize, cartoon, faceswap, inpaint, recolour, remove, sky, style, texture  # noqa: E402,F401  (registration)
