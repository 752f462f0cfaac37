"""Segmenters: one file each behind `segmenters.base`; the registries are in `segmenters.registry`.

Importing the package registers every segmenter (the imports below); ``from segmenters import SEGMENTERS``
keeps working.
"""

from segmenters import clothes, face_parts, faces, grabcut, objects, parsing, person, sam, sam2, scene, text_models
from segmenters.registry import PARSERS, SEGMENTERS, TEXT_SEGMENTERS

__all__ = [
    "PARSERS",
    "SEGMENTERS",
    "TEXT_SEGMENTERS",
    "clothes",
    "face_parts",
    "faces",
    "grabcut",
    "objects",
    "parsing",
    "person",
    "sam",
    "sam2",
    "scene",
    "text_models",
]
