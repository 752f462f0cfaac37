"""Editors: one file each behind `editors.base`; `EDITORS` maps names to builders."""

from core.registry import Registry

EDITORS: Registry = Registry("editor")
