"""``bench/click_bench.py --baseline --ref R`` runs R's ``segmenters/grabcut.py`` as the click backend. Round 21: the
copied module's objects failed the session's ``isinstance`` checks against today's classes (``attach_parts``, the part
under a click), so the baseline ran without the labelled parts and ``--ref HEAD`` scored far from HEAD itself. A copy
of today's own file must click exactly as today's module does."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from click_bench import grabcut_from_source, run_quality

from core.models import ModelManager
from core.settings import Settings
from studio.services import build_services

ROOT = Path(__file__).resolve().parent.parent


def test_a_copy_of_todays_grabcut_clicks_as_todays_does(monkeypatch):
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    today, _ = run_quality(services, ["darknet_dog"])
    assert today and all("include_1" in r or "exclude" in r for r in today)
    # the copy stands in for segmenters.grabcut while the bench runs; put today's module back afterwards
    monkeypatch.setitem(sys.modules, "segmenters.grabcut", sys.modules["segmenters.grabcut"])
    monkeypatch.setitem(sys.modules, "grabcut_main", None)
    copy = grabcut_from_source((ROOT / "segmenters" / "grabcut.py").read_text())
    services.click = copy.GrabCutSegmenter()
    from segmenters.grabcut import GrabCutSegmenter, attach_parts  # what the session imports when it runs

    assert GrabCutSegmenter is copy.GrabCutSegmenter and attach_parts is copy.attach_parts
    copied, _ = run_quality(services, ["darknet_dog"])
    assert copied == today


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
