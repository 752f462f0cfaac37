"""The click-segmenter contract.

A click segmenter turns clicks and boxes (photo pixels) into a bool mask of the photo's size.
It splits the work in two so each click is cheap: ``prepare`` runs once per photo (SAM: the image
embedding), ``segment`` runs per click with what ``prepare`` returned and the previous result.

It declares ``name`` (registry name), ``label`` (its backend, as the status line shows it) and ``models`` (the
trained models it runs, ``repo@rev8``; empty for a classical backend such as GrabCut). ``segment`` answers a
frozen ``core.types.MaskResult``: the mask, ``backend`` (= ``label``), ``seconds``, ``score``, ``model_ids``
(= ``models``) and backend-private ``state``. Every segmenter registered in ``segmenters.SEGMENTERS`` honours
it (tests/test_contracts.py builds each one and checks).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from core.types import ClickPrompt, MaskResult, Photo


@runtime_checkable
class ClickSegmenter(Protocol):
    name: str  # registry name, e.g. "sam" or "grabcut"
    label: str  # what the status line shows, e.g. "SAM (SlimSAM-77)" or "GrabCut (offline, classical)"
    models: tuple[str, ...]  # the trained models it runs (``repo@rev8``); () for a classical backend

    def prepare(self, photo: Photo) -> Any:
        """Per-photo work done once (embedding); the result is kept in the user's session."""

    def segment(self, photo: Photo, prepared: Any, prompt: ClickPrompt, previous: MaskResult | None) -> MaskResult:
        """Mask for ``prompt`` (non-empty, inside the photo); ``previous`` is this segment's last result."""
