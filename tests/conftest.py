"""Shared fixtures. Tests never touch the network: the hub is marked offline before anything imports it."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["FACET_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.pop("FACET_MODEL_SAM", None)
# the locally generated Content Credentials signer (studio/credentials.py) goes to a temp folder, not ~/.local/share
os.environ.setdefault("FACET_DATA_DIR", __import__("tempfile").mkdtemp(prefix="facet-test-data-"))

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _sklearn_image(name: str) -> Path:
    import sklearn

    return Path(sklearn.__file__).parent / "datasets" / "images" / name


def _mpl_sample(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / name


@pytest.fixture(scope="session")
def astronaut_path(tmp_path_factory) -> Path:
    from skimage import data

    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture(scope="session")
def china_path() -> Path:
    return _sklearn_image("china.jpg")


@pytest.fixture(scope="session")
def hopper_path() -> Path:
    return _mpl_sample("grace_hopper.jpg")


@pytest.fixture(scope="session")
def tiny_sam_dir(tmp_path_factory) -> Path:
    from tests.tiny_models import make_tiny_sam

    return make_tiny_sam(tmp_path_factory.mktemp("tiny-sam"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(**settings_kw):
    """The real app launched in-process on a free local port with offline backends: (demo, url)."""
    from app.ui import build_ui, launch
    from core.models import ModelManager
    from studio.services import build_services
    from core.settings import Settings

    # the whole suite talks to the app from one address: per-address limits are off unless a test sets them
    # (tests/test_limits.py does)
    per_ip = {"max_edits_per_minute_per_ip": 0, "max_uploads_per_minute_per_ip": 0, "max_clicks_per_minute_per_ip": 0}
    settings = Settings(port=_free_port(), **{**per_ip, **settings_kw})
    services = build_services(settings, ModelManager(settings, online=False))
    demo = build_ui(services)
    launch(demo, services, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{settings.port}/"


@pytest.fixture(scope="session")
def app_url():
    """The real app, launched in-process on a free local port with offline backends."""
    demo, url = launch_app()
    yield url
    demo.close()
