"""Tests: point core/packaged.toml's entries at stand-in files (a tiny graph written by the test), so the real
loading path (names, sha256 checks, FACET_PACKAGED_DIR, the model manager) runs on them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


def use_packaged_files(monkeypatch: Any, folder: Path, names: tuple[str, ...]) -> None:
    """Entries ``names`` of core/packaged.toml take the sha256 of their files in ``folder`` (written there by
    the test under each entry's own file name); ``FACET_PACKAGED_DIR`` points at ``folder``."""
    import core.assets as assets

    real = assets.load_packaged()
    fake = {
        name: dataclasses.replace(spec, sha256=assets.sha256_file(folder / spec.filename)) if name in names else spec
        for name, spec in real.items()
    }
    monkeypatch.setattr(assets, "load_packaged", lambda *a: dict(fake))
    monkeypatch.setenv("FACET_PACKAGED_DIR", str(folder))
