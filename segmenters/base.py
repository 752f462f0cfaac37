"""The click-segmenter protocol.

A click segmenter turns clicks and boxes (photo pixels) into a bool mask of the photo's size.
It splits the work in two so each click is cheap: ``prepare`` runs once per photo (SAM: the image
embedding), ``segment`` runs per click with what ``prepare`` returned and the previous result.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from core.types import ClickPrompt, MaskResult, Photo


@runtime_checkable
class ClickSegmenter(Protocol):
    name: str  # registry name, e.g. "sam" or "grabcut"
    label: str  # what the status line shows, e.g. "SAM (SlimSAM-77)" or "GrabCut (offline, classical)"

    def prepare(self, photo: Photo) -> Any:
        """Per-photo work done once (embedding); the result is kept in the user's session."""

    def segment(self, photo: Photo, prepared: Any, prompt: ClickPrompt, previous: MaskResult | None) -> MaskResult:
        """Mask for ``prompt`` (non-empty, inside the photo); ``previous`` is this segment's last result."""
