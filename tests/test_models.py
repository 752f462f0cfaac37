"""The manifest, the FACET_MODEL_<ROLE> override, offline detection and the manager's states."""

from __future__ import annotations

import time

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
    bad.write_text('[roles.x]\nbackend="b"\nrepo="r/x"\nrevision="main"\nfiles=["a"]\nlicence="mit"\n'
                   'commercial=true\noffline="grabcut"\n')
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
