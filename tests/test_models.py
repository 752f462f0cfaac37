"""The manifest, the FACET_MODEL_<ROLE> override, offline detection and the manager's states."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.errors import ModelUnavailable
from core.models import ModelManager, hub_reachable, load_manifest
from core.settings import Settings


def test_manifest_roles_are_complete_and_pinned():
    roles = load_manifest()
    assert {"sam", "sam_gpu"} <= set(roles)
    for spec in roles.values():
        assert len(spec.revision) == 40 and spec.revision != "main"
        assert spec.licence and spec.files and spec.offline
        assert spec.env_var == "FACET_MODEL_" + spec.role.upper()


def test_manifest_rejects_unpinned_revision(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text(
        '[roles.x]\nbackend="b"\nrepo="r/x"\nrevision="main"\nfiles=["a"]\nlicence="mit"\n'
        'commercial=true\noffline="grabcut"\n'
    )
    with pytest.raises(ValueError, match="40-hex commit hash"):
        load_manifest(bad)
    bad.write_text('[roles.x]\nbackend="b"\n')
    with pytest.raises(ValueError, match="lacks repo"):
        load_manifest(bad)


def test_offline_is_detected_at_once(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    assert hub_reachable(timeout=5) is False
    assert time.perf_counter() - t0 < 0.1


def test_missing_weights_raise_model_unavailable_with_a_hint(monkeypatch):
    manager = ModelManager(Settings(), online=False)
    assert manager.cached_path("sam") is None and not manager.available("sam")
    with pytest.raises(ModelUnavailable, match="--prefetch"):
        manager.resolve("sam")
    with pytest.raises(ModelUnavailable, match="no such role"):
        manager.resolve("nope")
    monkeypatch.setenv("FACET_MODEL_SAM", "/definitely/not/here")
    with pytest.raises(ModelUnavailable, match="FACET_MODEL_SAM=/definitely/not/here does not exist"):
        manager.resolve("sam")


def test_override_loads_lazily_once_and_reports_state(monkeypatch, tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    monkeypatch.setenv("FACET_MODEL_SAM", str(tmp_path))
    manager = ModelManager(Settings(), online=False)
    calls = []

    def loader(path, device, dtype):
        calls.append((path, device, str(dtype)))
        return object()

    states = {r["role"]: r for r in manager.status()}
    assert states["sam"]["state"] == "ready" and str(tmp_path) in states["sam"]["source"]
    first = manager.get("sam", loader)
    assert manager.get("sam", loader) is first
    assert calls == [(tmp_path, "cpu", "torch.float32")]
    assert {r["role"]: r["state"] for r in manager.status()}["sam"] == "loaded"
    manager.evict("sam")
    assert not manager.loaded("sam")


def test_loader_failure_becomes_model_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("FACET_MODEL_SAM", str(tmp_path))
    manager = ModelManager(Settings(), online=False)

    def broken(path, device, dtype):
        raise OSError("config.json missing")

    with pytest.raises(ModelUnavailable, match="config.json missing"):
        manager.get("sam", broken)
    assert {r["role"]: r["state"] for r in manager.status()}["sam"] == "failed"


def test_evict_frees_every_model_packaged_file_and_engine(monkeypatch, tmp_path):
    """Roles (an ONNX session, insightface), packaged files (tflite interpreter, ONNX nets, CenterFace) and
    engines (the style networks, a face-swap target, dlib's measures) are all held by the model manager:
    ``loaded_names`` lists them and ``evict_all`` lets every one be garbage-collected."""
    import gc
    import shutil
    import weakref

    from core.assets import packaged_path
    from editors import faceswap, style
    from editors.remove import load_lama
    from faces import detect, insight, measures
    from segmenters import nets
    from segmenters.parsing import packaged_model, tflite_interpreter
    from tests.tiny_models import make_tiny_insightface

    lama = tmp_path / "lama"
    lama.mkdir()
    shutil.copy(packaged_path(nets.PAN), lama / "lama_fp32.onnx")  # any ONNX graph: the loader makes a session
    analysis, _ = make_tiny_insightface(tmp_path / "insightface")
    monkeypatch.setenv("FACET_MODEL_LAMA", str(lama))
    monkeypatch.setenv("FACET_MODEL_FACE_ANALYSIS", str(analysis))
    m = ModelManager(Settings(), online=False)
    m.evict_all()
    assert m.loaded_names() == []
    held = {
        "lama": m.get("lama", load_lama),
        "face_analysis": insight.analysis_models(m),
        "packaged:face_landmark": packaged_model("face_landmark", tflite_interpreter)[0],
        "packaged:" + nets.PAN: m.packaged(nets.PAN, nets._load_onnx),
        "packaged:centerface": packaged_model("centerface", detect._load_centerface)[0],
        style.ENGINE: style.engine(m),
    }
    target = faceswap.load_target("synthetic_average", m)
    dlib_models = measures._dlib()
    loaded = m.loaded_names()
    assert set(held) <= set(loaded) and measures.DLIB in loaded
    assert any(k.startswith("faceswap-target:synthetic_average") for k in loaded)
    assert packaged_model("face_landmark", tflite_interpreter)[0] is held["packaged:face_landmark"]  # kept
    refs = {k: weakref.ref(v) for k, v in held.items()}
    refs["faceswap target"] = weakref.ref(target)
    del held, target
    m.evict_all()
    gc.collect()
    assert m.loaded_names() == [] and not m.loaded("lama") and not m.loaded(measures.DLIB)
    alive = [k for k, r in refs.items() if r() is not None]
    assert not alive, f"still referenced after evict_all: {alive}"
    assert measures._dlib() is not dlib_models  # loaded again on next use
    m.evict(measures.DLIB)
    assert not m.loaded(measures.DLIB)


def test_one_ready_check_and_one_provider_choice():
    """Unknown roles answer False (no caller checks ``role in manager.roles`` first); the ONNX providers are
    chosen in one place."""
    import onnxruntime

    from core.models import onnx_providers

    m = ModelManager(Settings(), online=False)
    assert m.ready("no-such-role") is False and m.available("no-such-role") is False
    assert not m.ready("sam") and "sam" in m.failures()  # offline, not downloaded: remembered for the banner
    assert onnx_providers() and set(onnx_providers()) <= set(onnxruntime.get_available_providers())
    root = Path(__file__).resolve().parent.parent
    for folder in ("app", "studio", "editors", "segmenters"):
        for path in (root / folder).glob("*.py"):
            text = path.read_text()
            assert "get_available_providers" not in text, f"{path.name} chooses ONNX providers itself"
            assert "def full_ready" not in text and "def full_backend_ready" not in text, path.name
