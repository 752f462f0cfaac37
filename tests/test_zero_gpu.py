"""ZeroGPU: every GPU-bound step is a spaces.GPU task whose arguments and results survive pickling (the
ZeroGPU worker is a forked process), proved with a stand-in ``spaces`` module in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent('''
    import pickle, sys, types
    import numpy as np
    wrapped, calls = [], []
    def GPU(fn=None, *, duration=None, size=None):
        """Like ZeroGPU: the task runs on pickled copies of its arguments and returns a pickled result."""
        wrapped.append(fn.__name__)
        def run(*args, **kwargs):
            calls.append(fn.__name__)
            a, k = pickle.loads(pickle.dumps((args, kwargs)))
            return pickle.loads(pickle.dumps(fn(*a, **k)))
        return run
    sys.modules["spaces"] = types.SimpleNamespace(GPU=GPU)
    sys.path.insert(0, ".")
    from pathlib import Path
    import os, tempfile
    tmp = Path(tempfile.mkdtemp())
    from tests.tiny_models import make_tiny_sam2, make_tiny_sam, make_tiny_inpaint
    os.environ["FACET_MODEL_SAM2"] = str(make_tiny_sam2(tmp / "sam2"))
    os.environ["FACET_MODEL_SAM"] = str(make_tiny_sam(tmp / "sam"))
    os.environ["FACET_MODEL_INPAINT"] = str(make_tiny_inpaint(tmp / "inpaint"))
    from core.gpu import TASKS
    from core.models import ModelManager
    from core.settings import Settings
    from core.types import ClickPrompt, Photo, Point
    from segmenters.sam import SamSegmenter
    from segmenters.sam2 import Sam2Segmenter
    from editors.inpaint import InpaintEditor
    import segmenters.segformer
    from skimage import data
    manager = ModelManager(Settings(), online=False)
    photo = Photo(pixels=np.ascontiguousarray(data.astronaut()[::4, ::4]), name="a")
    for seg in (Sam2Segmenter(manager, "sam2"), SamSegmenter(manager, "sam")):
        prep = seg.prepare(photo)
        r1 = seg.segment(photo, prep, ClickPrompt(points=(Point(60, 40),)), None)
        r2 = seg.segment(photo, prep, ClickPrompt(points=(Point(60, 40), Point(20, 100, False))), r1)
        assert r2.mask.shape == (128, 128) and r2.mask.dtype == bool
    mask = np.zeros((128, 128), bool); mask[40:90, 40:90] = True
    out = InpaintEditor(manager).generate(photo, mask, {"prompt": "a red wall", "steps": 2, "variants": 1}, 0)
    assert out[0].image.shape == (128, 128, 3) and (out[0].image[~mask] == photo.pixels[~mask]).mean() > 0.9
    print("TASKS", sorted(TASKS))
    print("WRAPPED", sorted(set(wrapped)))
    print("CALLED", sorted(set(calls)))
''')


def test_gpu_tasks_are_spaces_gpu_and_survive_pickling(tmp_path):
    env = {**os.environ, "SPACES_ZERO_GPU": "true", "HF_HUB_OFFLINE": "1", "FACET_OFFLINE": "1"}
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = dict(
        line.split(" ", 1) for line in r.stdout.splitlines() if line.split(" ", 1)[0] in ("TASKS", "WRAPPED", "CALLED")
    )
    expected = ["inpaint", "sam2_decode", "sam2_embedding", "sam_decode", "sam_embedding", "segformer"]
    assert lines["TASKS"] == str(expected)
    assert lines["WRAPPED"] == str(
        ["inpaint_task", "sam2_decode", "sam2_embedding", "sam_decode", "sam_embedding", "segformer_logits"]
    )
    assert lines["CALLED"] == str(["inpaint_task", "sam2_decode", "sam2_embedding", "sam_decode", "sam_embedding"])


def test_elsewhere_a_task_is_the_plain_function():
    from core.gpu import TASKS, on_zero_gpu
    from editors.diffusion import inpaint_task
    from segmenters.sam2 import sam2_embedding

    assert not on_zero_gpu()
    assert TASKS["sam2_embedding"] is sam2_embedding and TASKS["inpaint"] is inpaint_task
    assert sam2_embedding.__module__ == "segmenters.sam2" and not hasattr(sam2_embedding, "__wrapped__")
