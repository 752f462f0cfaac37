"""Editors: one file each behind `editors.base`; the registry `EDITORS` is in `editors.registry`.

Importing the package registers every editor (the imports below); ``from editors import EDITORS`` keeps working.
"""

from editors import anonymize, cartoon, faceswap, inpaint, recolour, remove, sky, style, texture
from editors.registry import EDITORS

__all__ = ["EDITORS", "anonymize", "cartoon", "faceswap", "inpaint", "recolour", "remove", "sky", "style", "texture"]
