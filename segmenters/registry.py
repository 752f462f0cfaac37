"""The segmenter registries (name -> builder): click segmenters, labelled-part parsers, text segmenters.

They live here, not in the package ``__init__``, so a segmenter module imports only this file and nothing
imports back into it. ``segmenters/__init__.py`` imports every segmenter module once, which registers them.
"""

from core.registry import Registry

SEGMENTERS: Registry = Registry("segmenter")  # click segmenters (segmenters/base.py ClickSegmenter)
PARSERS: Registry = Registry("parser")  # labelled-part parsers (segmenters/parsing.py Parser)
TEXT_SEGMENTERS: Registry = Registry("text segmenter")  # open-vocabulary select by words (segmenters/text_select.py)
