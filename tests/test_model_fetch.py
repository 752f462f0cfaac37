"""The model manager online, proved against a local fake hub (tests/fake_hub.py) through huggingface_hub.

On-demand download with progress, a corrupted file replaced, a missing repo falling back with a banner,
a listed file missing on the hub, a proxy honoured, HF_ENDPOINT honoured by the reachability probe, the
wording online vs offline, and the fp16-variant inpainting layout loaded (upcast) on CPU.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import ModelUnavailable
from core.models import ModelManager, ModelRole, hub_reachable, load_manifest
from core.settings import Settings
from tests.fake_hub import FakeHub, ForwardProxy

REV = "0123456789abcdef0123456789abcdef01234567"


def role(
    name: str = "demo",
    repo: str = "acme/demo",
    files=("config.json", "model.safetensors", "sub/*"),
    offline: str = "heuristic-scene",
    **kw,
) -> ModelRole:
    return ModelRole(
        role=name,
        backend="test",
        repo=repo,
        revision=REV,
        files=tuple(files),
        licence="mit",
        commercial=True,
        offline=offline,
        **kw,
    )


FILES = {
    "config.json": b'{"a": 1}',
    "model.safetensors": os.urandom(300_000),
    "sub/a.txt": b"A",
    "sub/b.txt": b"B" * 2000,
    "README.md": b"not fetched",
}


@pytest.fixture()
def hub(monkeypatch, tmp_path):
    """A fake hub on 127.0.0.1, HF_ENDPOINT pointing at it, an empty cache, offline flags cleared."""
    import huggingface_hub.constants as hc
    from huggingface_hub.utils import _http

    h = FakeHub()
    h.add("acme/demo", REV, FILES)
    monkeypatch.setenv("HF_ENDPOINT", h.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    for var in (
        "HF_HUB_OFFLINE",
        "FACET_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", False)  # read at import; conftest set it for other tests
    _http.close_session()  # a new client reads the proxy settings of this test
    yield h
    _http.close_session()
    h.close()


def manager_for(*specs: ModelRole, online: bool | None = None) -> ModelManager:
    return ModelManager(Settings(), {s.role: s for s in specs}, online=online)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_reachability_goes_through_huggingface_hub_and_honours_hf_endpoint(hub, monkeypatch):
    assert hub_reachable(2.0, "acme/demo") is True
    assert hub_reachable(2.0, "acme/does-not-exist") is True  # a 404 is an answer: the hub is there
    assert ("GET", "/api/models/acme/demo") in hub.requests
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    assert hub_reachable(1.0, "acme/demo") is False
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    n = len(hub.requests)
    assert hub_reachable(2.0, "acme/demo") is False and len(hub.requests) == n  # no request at all


def test_on_demand_download_reports_progress_and_checks_hashes(hub):
    m = manager_for(role())  # online is probed through the fake hub
    assert m.online and m.available("demo") and m.cached_path("demo") is None
    assert {r["role"]: r["state"] for r in m.status()}["demo"] == "downloaded on first use"
    events = []
    with m.reporting(events.append):
        assert m.ready("demo")
    path = m.resolve("demo")
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) == [
        "config.json",
        "model.safetensors",
        "sub/a.txt",
        "sub/b.txt",
    ]  # globs expanded, README not fetched
    assert (path / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    weights = [e for e in events if e.file == "model.safetensors"]
    assert weights and weights[-1].file_done == weights[-1].file_total == 300_000
    assert events[-1].done == events[-1].total == sum(len(FILES[f]) for f in FILES if f != "README.md")
    assert "Downloading model 'demo'" in weights[-1].text and "300.0 kB" in weights[-1].text
    assert m.downloading == {}  # nothing in flight afterwards
    assert len(hub.downloads()) == 4
    again = manager_for(role())  # a new process: found in the cache, verified, nothing downloaded
    assert again.cached_path("demo") == path and again.ready("demo") and len(hub.downloads()) == 4


def test_a_corrupted_download_is_replaced_once_then_a_clear_error(hub):
    hub.corrupt("acme/demo", "model.safetensors", times=1)
    m = manager_for(role())
    path = m.resolve("demo")
    assert (
        hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
        == hashlib.sha256(FILES["model.safetensors"]).hexdigest()
    )
    assert len(hub.downloads("model.safetensors")) == 2  # the bad one, then a good one

    hub.add("acme/bad", REV, FILES)
    hub.corrupt("acme/bad", "model.safetensors", times=5)
    m2 = manager_for(role("bad", repo="acme/bad"))
    with pytest.raises(ModelUnavailable, match="still fails its hash check after a fresh download.*heuristic-scene"):
        m2.resolve("bad")
    assert len(hub.downloads("acme/bad/resolve/" + REV + "/model.safetensors")) == 2  # once more, not forever
    assert not (m2.snapshot_dir(m2.role("bad")) / "model.safetensors").exists()  # the bad file is gone


def test_a_file_corrupted_on_disk_is_found_at_the_next_start(hub, monkeypatch):
    path = manager_for(role()).resolve("demo")
    blob = Path(os.path.realpath(path / "model.safetensors"))
    blob.write_bytes(b"x" * blob.stat().st_size)  # bit rot / a truncated copy
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = manager_for(role())
    assert not offline.online
    with pytest.raises(ModelUnavailable, match="failed its hash check and was removed.*heuristic-scene"):
        offline.resolve("demo")
    assert not blob.exists()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    online = manager_for(role())
    assert online.ready("demo") and (path / "model.safetensors").read_bytes() == FILES["model.safetensors"]


def test_manifest_sha256_is_checked_too(hub):
    wrong = role(sha256={"config.json": "0" * 64})
    m = manager_for(wrong)
    with pytest.raises(ModelUnavailable, match="config.json.*hash check"):
        m.resolve("demo")


def test_a_missing_repo_falls_back_with_a_banner(hub, monkeypatch):
    from studio.services import build_services

    roles = load_manifest()
    roles["scene"] = replace(roles["scene"], repo="acme/no-such-repo")
    m = ModelManager(Settings(), roles)  # online: probed through the fake hub
    services = build_services(Settings(), m)
    assert services.banner() == ""  # online: nothing is degraded yet
    assert m.ready("scene") is False  # tried, failed, the offline rules stand in
    banner = services.banner()
    assert "could not be fetched" in banner and "**scene**" in banner
    assert "acme/no-such-repo does not exist" in banner and "heuristic-scene" in banner
    assert {r["role"]: r["state"] for r in m.status()}["scene"] == "failed"


def test_a_listed_file_missing_on_the_hub_is_named(hub):
    m = manager_for(role(files=("config.json", "unet/diffusion_pytorch_model.safetensors")))
    with pytest.raises(
        ModelUnavailable, match=r"has no file unet/diffusion_pytorch_model.safetensors.*--verify-models"
    ):
        m.resolve("demo")
    assert hub.downloads() == []  # nothing half-fetched


def test_wording_offline_vs_online(hub, monkeypatch):
    offline = manager_for(role(), online=False)
    with pytest.raises(ModelUnavailable) as exc:
        offline.resolve("demo")
    assert "unreachable" in exc.value.reason and "--prefetch" in exc.value.reason
    assert "the offline backend 'heuristic-scene' is used instead" in exc.value.reason
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    online = manager_for(role(offline="unavailable"), online=True)  # the hub went away after the start
    with pytest.raises(ModelUnavailable) as exc:
        online.resolve("demo")
    assert "could not be reached" in exc.value.reason and "--prefetch" not in exc.value.reason
    assert "no offline replacement" in exc.value.reason


def test_a_proxy_setting_is_honoured(hub, monkeypatch):
    from huggingface_hub.utils import _http

    proxy = ForwardProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        _http.close_session()
        assert hub_reachable(3.0, "acme/demo") is True
        m = manager_for(role())
        assert m.ready("demo")
        through = [s for s in proxy.seen if "/resolve/" in s]
        assert len(through) >= 4 and all(s.split()[1].startswith(hub.url) for s in through)
        assert any("/api/models/acme/demo/tree/" in s for s in proxy.seen)
        # a proxy that is down: the hub counts as unreachable (the user is told, not hung)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
        _http.close_session()
        assert hub_reachable(1.0, "acme/demo") is False
    finally:
        proxy.close()


def test_inpaint_fp16_only_layout_loads_upcast_on_cpu(tmp_path):
    """The pinned SD 1.5 inpainting repo has only *.fp16.safetensors: that layout loads through the real
    loader with variant fp16 and runs in float32 on CPU."""
    import torch

    from editors.diffusion import load_inpaint_pipeline
    from tests.tiny_models import make_tiny_inpaint

    src = make_tiny_inpaint(tmp_path / "fp32")
    pipe = load_inpaint_pipeline(src, "cpu", torch.float32)
    folder = tmp_path / "fp16"
    pipe.to(torch.float16).save_pretrained(folder, variant="fp16")
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.safetensors"))
    assert names == [
        "text_encoder/model.fp16.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]
    loaded = load_inpaint_pipeline(folder, "cpu", torch.float32)
    assert loaded.unet.dtype == torch.float32 and loaded.text_encoder.dtype == torch.float32
    assert json.loads((folder / "model_index.json").read_text())["_class_name"].endswith("InpaintPipeline")


def test_first_click_downloads_sam2_with_progress_in_the_page(hub, monkeypatch, tmp_path, astronaut_path):
    """The real app, online against the fake hub that serves a tiny SAM 2.1 at the manifest's repo and
    revision: the first /segment call downloads it on demand through the real loader, the event's
    progress names the role, file and size, and the mask comes from SAM 2.1 (not GrabCut)."""
    from gradio_client import Client, handle_file

    from app.ui import build_ui, launch
    from studio.services import build_services
    from tests.conftest import _free_port
    from tests.tiny_models import make_tiny_sam2

    spec = load_manifest()["sam2"]
    folder = make_tiny_sam2(tmp_path / "sam2")
    hub.add(spec.repo, spec.revision, {p.name: p.read_bytes() for p in folder.iterdir()})
    hub.delay = 0.6  # per file: time for the page to see each progress message
    settings = Settings(port=_free_port())
    manager = ModelManager(settings)  # online: probed through the fake hub
    assert manager.online and manager.cached_path("sam2") is None
    services = build_services(settings, manager)
    assert services.click_role == "sam2" and services.click.name == "sam2"
    demo = build_ui(services)
    launch(demo, services, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
        job = client.submit(handle_file(str(astronaut_path)), "[[256, 200, 1]]", "", api_name="/segment")
        seen = set()
        while not job.done():
            st = job.status()
            for unit in st.progress_data or []:
                if unit.desc:
                    seen.add(unit.desc)
        _mask, summary = job.result()
    finally:
        demo.close()
    assert any(
        "Downloading model 'sam2' (facebook/sam2.1-hiera-tiny" in d and "model.safetensors" in d for d in seen
    ), seen
    assert summary["backend"].startswith("SAM 2.1"), summary
    assert manager.cached_path("sam2") is not None and manager.loaded("sam2")
