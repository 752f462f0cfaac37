"""`python app.py --verify-models` against the local fake hub: metadata calls only, a table, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.models import load_manifest
from tests.fake_hub import FakeHub
from tests.test_hub_trees import tree_of
from tests.test_model_fetch import closed_port, hub  # noqa: F401  (the fixture)

ROLES = load_manifest()


def publish_all(h: FakeHub) -> None:
    """Every role's repo at its revision, with the files of its recorded tree (tiny stand-ins) and the
    manifest's sha256 published as their LFS sha256, as the real hub would."""
    for name, spec in ROLES.items():
        paths = [f["path"] for f in tree_of(name)["files"] if not f["path"].endswith("/")]
        files = dict(h.repos[spec.repo].revisions.get(spec.revision, {})) if spec.repo in h.repos else {}
        files.update({p: f"stand-in for {p}".encode() * 80 for p in paths})
        h.add(spec.repo, spec.revision, files)
        for rel, digest in spec.sha256.items():
            h.lfs_sha[(spec.repo, rel)] = digest


ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    """`python app.py --verify-models` in a subprocess with this test's environment."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--verify-models", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    return r.returncode, r.stdout, r.stderr


def test_every_role_matches_and_nothing_is_downloaded(hub, capsys):  # noqa: F811
    publish_all(hub)
    code, out, err = run(capsys)
    assert code == 0, out + err
    for name in ROLES:
        assert any(line.startswith(name + " ") and line.rstrip().endswith("ok") for line in out.splitlines()), name
    assert f"{len(ROLES)} of {len(ROLES)} roles match" in out
    assert hub.downloads() == []  # metadata only
    assert any(
        p.startswith("/api/models/stable-diffusion-v1-5/stable-diffusion-inpainting/tree/") for _, p in hub.requests
    )


def test_a_renamed_file_and_a_wrong_sha256_are_mismatches(hub, capsys):  # noqa: F811
    publish_all(hub)
    sd = ROLES["inpaint"]
    files = hub.repos[sd.repo].revisions[sd.revision]
    files["unet/diffusion_model.fp16.safetensors"] = files.pop("unet/diffusion_pytorch_model.fp16.safetensors")
    lama = ROLES["lama"]
    hub.lfs_sha[(lama.repo, "lama_fp32.onnx")] = "f" * 64
    code, out, _ = run(capsys)
    assert code == 1
    row = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert "MISMATCH: no file unet/diffusion_pytorch_model.fp16.safetensors" in row["inpaint"]
    assert "MISMATCH: lama_fp32.onnx: hub sha256 ffffffffffff" in row["lama"]
    assert "mismatched: inpaint, lama" in out


def test_a_missing_repo_or_revision_is_a_mismatch(hub, capsys):  # noqa: F811
    publish_all(hub)
    del hub.repos[ROLES["scene"].repo]
    rev = hub.repos[ROLES["lama"].repo].revisions
    rev["f" * 40] = rev.pop(ROLES["lama"].revision)
    code, out, _ = run(capsys)
    assert code == 1
    row = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert "RepositoryNotFoundError" in row["scene"] and "RevisionNotFoundError" in row["lama"]


def test_offline_it_says_it_cannot_check(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, out, err = run(capsys)
    assert code == 3 and out == "" and "cannot check the models: offline mode is on" in err


def test_unreachable_it_says_it_cannot_check(hub, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    code, _, err = run(capsys)
    assert code == 3 and "is unreachable" in err
