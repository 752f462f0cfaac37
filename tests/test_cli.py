"""`python -m app.cli`: segment and models, with exit codes for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, env_extra=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "FACET_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "app.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_segment_writes_a_full_size_mask(astronaut_path, tmp_path):
    out = tmp_path / "suit.png"
    r = cli("segment", astronaut_path, "--point", "100,330", "--point", "225,130:-", "--out", out)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["backend"].startswith("GrabCut") and summary["seconds"] > 0
    mask = np.asarray(Image.open(out))
    assert mask.shape == (512, 512) and set(np.unique(mask)) == {0, 255}
    assert mask[330, 100] == 255 and mask[130, 225] == 0


def test_segment_with_tiny_sam(astronaut_path, tmp_path, tiny_sam_dir):
    out = tmp_path / "box.png"
    r = cli("segment", astronaut_path, "--box", "270,330,512,512", "--out", out,
            env_extra={"FACET_MODEL_SAM": str(tiny_sam_dir)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["backend"].startswith("SAM")
    assert Image.open(out).size == (512, 512)


def test_models_lists_every_role_as_json():
    r = cli("models")
    assert r.returncode == 0, r.stderr
    rows = {row["role"]: row for row in json.loads(r.stdout)}
    assert rows["sam"]["state"] == "not downloaded"
    assert rows["sam"]["in_use"] == "offline backend in use: grabcut"
    assert all(len(row["revision"]) == 40 for row in rows.values())


def test_bad_arguments_and_files(tmp_path, astronaut_path):
    junk = tmp_path / "junk.jpg"
    junk.write_text("not a photo")
    cases = [
        (("segment", junk, "--point", "1,1", "--out", tmp_path / "m.png"), 3, "not an image"),
        (("segment", tmp_path / "missing.jpg", "--point", "1,1", "--out", tmp_path / "m.png"), 3, "no such file"),
        (("segment", astronaut_path, "--point", "9999,1", "--out", tmp_path / "m.png"), 3, "outside"),
        (("segment", astronaut_path, "--out", tmp_path / "m.png"), 3, "at least one --point"),
        (("segment", astronaut_path, "--point", "1,1", "--out", tmp_path / "m.jpg"), 3, "PNG"),
        (("segment", astronaut_path, "--point", "1,x", "--out", tmp_path / "m.png"), 2, "must look like"),
        (("segment", astronaut_path, "--point", "1,1:?", "--out", tmp_path / "m.png"), 2, "suffix"),
        (("explode",), 2, "invalid choice"),
    ]
    for args, code, message in cases:
        r = cli(*args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert message in r.stderr, (args, r.stderr)


def test_parse_writes_masks_and_a_summary(astronaut_path, tmp_path):
    r = cli("parse", astronaut_path, "--out-dir", tmp_path / "parts")
    assert r.returncode == 0, r.stderr
    rows = json.loads((tmp_path / "parts" / "segments.json").read_text())
    by_label = {row["label"]: row for row in rows}
    assert {"face", "hair", "upper clothes", "background"} <= set(by_label)
    face = np.asarray(Image.open(tmp_path / "parts" / by_label["face"]["file"]))
    assert face.shape == (512, 512) and face[130, 225] == 255 and face[330, 100] == 0
    assert all(set(row) >= {"id", "label", "source", "score", "bbox", "area", "file"} for row in rows)


def test_edit_with_a_mask_and_with_a_segment(astronaut_path, tmp_path):
    mask = np.zeros((512, 512), np.uint8)
    mask[250:500, 30:200] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    out = tmp_path / "denim.png"
    r = cli("edit", astronaut_path, "--mask", tmp_path / "m.png", "--editor", "texture",
            "--param", "texture=denim", "--out", out)
    assert r.returncode == 0, r.stderr
    result = np.asarray(Image.open(out))
    original = np.asarray(Image.open(astronaut_path))
    assert result.shape == original.shape
    assert np.array_equal(result[:200], original[:200]), "far from the mask nothing changes"
    assert np.abs(result[300:450, 60:170].astype(int) - original[300:450, 60:170]).mean() > 10
    r = cli("edit", astronaut_path, "--segment", "upper clothes", "--editor", "recolour",
            "--param", "target=#1e6fd9", "--out", tmp_path / "blue.jpg")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["segment_source"]
    assert Image.open(tmp_path / "blue.jpg").format == "JPEG"


def test_edit_bad_requests(astronaut_path, tmp_path):
    cases = [
        (("--segment", "spaceship", "--editor", "texture"), "no 'spaceship' found"),
        (("--segment", "face", "--editor", "explode"), "unknown editor"),
        (("--segment", "face", "--editor", "texture", "--param", "colour=red"), "unknown parameter"),
        (("--segment", "face", "--editor", "texture", "--param", "scale=huge"), "scale"),
        (("--segment", "face", "--editor", "sky", "--param", "preset=volcano"), "preset"),
    ]
    for extra, message in cases:
        r = cli("edit", astronaut_path, *extra, "--out", tmp_path / "o.png")
        assert r.returncode == 3, (extra, r.stderr)
        assert message in r.stderr, (extra, r.stderr)
