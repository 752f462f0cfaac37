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
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


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
    r = cli(
        "segment",
        astronaut_path,
        "--box",
        "270,330,512,512",
        "--out",
        out,
        env_extra={"FACET_MODEL_SAM": str(tiny_sam_dir)},
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["backend"].startswith("SAM")
    assert Image.open(out).size == (512, 512)


def test_models_lists_every_role_as_json():
    r = cli("models")
    assert r.returncode == 0, r.stderr
    rows = {row["role"]: row for row in json.loads(r.stdout)}
    assert rows["sam2"]["state"] == "not downloaded"  # SAM 2.1 is the default click model
    assert rows["sam2"]["in_use"] == "offline backend in use: grabcut"
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
    r = cli(
        "edit",
        astronaut_path,
        "--mask",
        tmp_path / "m.png",
        "--editor",
        "texture",
        "--param",
        "texture=denim",
        "--out",
        out,
    )
    assert r.returncode == 0, r.stderr
    result = np.asarray(Image.open(out))
    original = np.asarray(Image.open(astronaut_path))
    assert result.shape == original.shape
    # a classical edit: no watermark (FACET_WATERMARK=generative), far from the mask the pixels are the photo's
    assert np.array_equal(result[:200], original[:200]), "far from the mask nothing changes"
    from studio.provenance import check

    report = check(out)
    assert not report.watermark_found and report.manifest["edits"][0]["editor"] == "texture", report.verdict
    assert report.content_credentials["state"] == "Valid"
    assert np.abs(result[300:450, 60:170].astype(int) - original[300:450, 60:170]).mean() > 10
    r = cli(
        "edit",
        astronaut_path,
        "--segment",
        "upper clothes",
        "--editor",
        "recolour",
        "--param",
        "target=#1e6fd9",
        "--out",
        tmp_path / "blue.jpg",
    )
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


def _face_mask(path):
    """The offline parser's 'face' mask (what batch edits), grown by 8 px to cover the feather band."""
    from studio.layers import grow_shrink
    from core.models import ModelManager
    from core.photo import load_photo
    from core.settings import Settings
    from segmenters.parsing import parse_report

    photo = load_photo(path, Settings())
    face = next(s for s in parse_report(photo, ModelManager(Settings(), online=False)).segments if s.label == "face")
    return photo.pixels, face.mask, grow_shrink(face.mask, 8)


def test_batch_edits_a_folder_and_reports_failures(astronaut_path, china_path, hopper_path, tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    (src / "astronaut.png").write_bytes(astronaut_path.read_bytes())
    Image.open(astronaut_path).save(src / "astronaut.jpg", quality=95)  # same stem, other format
    (src / "china.jpg").write_bytes(china_path.read_bytes())  # no face on it
    (src / "grace_hopper.jpg").write_bytes(hopper_path.read_bytes())
    (src / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (src / ".hidden.jpg").write_bytes(b"ignored")
    (src / "notes.txt").write_text("not an image, skipped")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    r = cli(
        "batch",
        src,
        "--segment",
        "face",
        "--editor",
        "recolour",
        "--param",
        "target=#1e6fd9",
        "--format",
        "png",
        "--out-dir",
        out,
    )
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["done"] == 3 and summary["seconds"] > 0
    reasons = {f["file"]: f["reason"] for f in summary["failed"]}
    assert set(reasons) == {"broken.jpg", "china.jpg"}
    assert "not an image" in reasons["broken.jpg"] and "no 'face' found" in reasons["china.jpg"]
    assert "batch" in r.stderr and "5/5" in r.stderr, "a progress bar on stderr"
    assert json.loads((out / "summary.json").read_text())["done"] == 3
    assert sorted(p.name for p in out.iterdir()) == [
        "astronaut-2.png",
        "astronaut.png",
        "grace_hopper.png",
        "summary.json",
    ]
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before, "inputs untouched"
    for result_name, source in (
        ("astronaut.png", src / "astronaut.jpg"),
        ("astronaut-2.png", src / "astronaut.png"),
        ("grace_hopper.png", src / "grace_hopper.jpg"),
    ):
        original, face, band = _face_mask(source)
        result = np.asarray(Image.open(out / result_name).convert("RGB"))
        assert result.shape == original.shape, result_name
        assert np.array_equal(result[~band], original[~band]), f"{result_name}: changed outside the face"
        assert np.abs(result[face].astype(int) - original[face]).mean() > 10, f"{result_name}: face not recoloured"


def test_batch_never_overwrites_an_input_and_exit_codes(astronaut_path, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "astronaut.png").write_bytes(astronaut_path.read_bytes())
    original = (src / "astronaut.png").read_bytes()
    r = cli(
        "batch", src, "--segment", "face", "--editor", "cartoon", "--format", "png", "--out-dir", src, "--no-progress"
    )
    assert r.returncode == 0, r.stderr
    assert (src / "astronaut.png").read_bytes() == original and (src / "astronaut-2.png").is_file()
    assert json.loads(r.stdout)["done"] == 1 and json.loads(r.stdout)["failed"] == []
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.jpg").write_bytes(b"nope")
    cases = [
        ((src, "--editor", "explode"), 2, "unknown editor 'explode'"),
        ((src, "--editor", "texture", "--param", "scale=huge"), 2, "scale"),
        ((src, "--editor", "texture", "--param", "colour=red"), 2, "unknown parameter"),
        ((src, "--editor", "recolour", "--quality", "0"), 2, "--quality"),
        ((tmp_path / "missing", "--editor", "recolour"), 3, "no such folder"),
        ((junk, "--editor", "recolour"), 3, ""),  # the only photo failed: nothing could be edited
    ]
    for args, code, message in cases:
        r = cli("batch", *args, "--segment", "face", "--out-dir", tmp_path / "o")
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["failed"][0]["file"] == "a.jpg"
