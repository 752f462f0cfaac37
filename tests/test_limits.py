"""Flood limits per client address (over all its sessions), the trusted-proxy rule for X-Forwarded-For, and the
guard against a second concurrent edit in one session."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from gradio_client import Client, handle_file

from core.errors import BadInput
from core.limits import ClientLimits, RateLimited, client_address


def test_client_address_uses_forwarded_for_only_from_trusted_proxies():
    assert client_address("198.51.100.7", "203.0.113.5", "") == "198.51.100.7"  # not configured: the peer
    assert client_address("198.51.100.7", "203.0.113.5", "10.0.0.0/8") == "198.51.100.7"  # peer not a proxy
    assert client_address("10.1.2.3", "203.0.113.5", "10.0.0.0/8") == "203.0.113.5"
    # a client can prepend anything; the rightmost address not a trusted proxy is the one the proxy saw
    assert client_address("10.1.2.3", "1.2.3.4, 203.0.113.5, 10.9.9.9", "10.0.0.0/8, 127.0.0.1") == "203.0.113.5"
    assert client_address("::1", "2001:db8::5", "::1") == "2001:db8::5"
    assert client_address("10.1.2.3", None, "10.0.0.0/8") == "10.1.2.3"
    assert client_address(None, "203.0.113.5", "10.0.0.0/8") is None
    with pytest.raises(BadInput, match="FACET_TRUSTED_PROXIES"):
        client_address("10.1.2.3", "203.0.113.5", "ten.0.0.1")


def test_client_limits_count_per_address_and_forget_idle_ones():
    now = [0.0]
    limits = ClientLimits(clock=lambda: now[0])
    for _ in range(3):
        limits.take("203.0.113.5", "edit", 3, "edits")
    with pytest.raises(RateLimited, match="from your address"):
        limits.take("203.0.113.5", "edit", 3, "edits")
    limits.take("203.0.113.6", "edit", 3, "edits")  # another address is not affected
    limits.take(None, "edit", 3, "edits")  # unknown address (CLI, tests): no per-address limit
    now[0] = 61.0
    limits.take("203.0.113.5", "edit", 3, "edits")  # the window slid
    now[0] = 200.0
    limits.take("198.51.100.1", "edit", 3, "edits")  # sweeps the idle addresses
    assert set(limits._by_address) == {"198.51.100.1"}


@pytest.fixture(scope="module")
def limited_app():
    from tests.conftest import launch_app

    demo, url = launch_app(max_uploads_per_minute_per_ip=3, max_edits_per_minute_per_ip=4)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def proxied_app():
    from tests.conftest import launch_app

    demo, url = launch_app(max_uploads_per_minute_per_ip=2, trusted_proxies="127.0.0.1")
    yield url
    demo.close()


def _upload_status(url, photo, headers=None) -> str:
    client = Client(url, verbose=False, headers=headers)
    return client.predict(handle_file(str(photo)), api_name="/upload")[1]


def test_new_sessions_from_one_address_share_its_limits(limited_app, astronaut_path):
    """Each new gradio_client Client is a new session; from one address the fourth upload in a minute is refused,
    and so is the fifth edit across two sessions, each well under its own per-session limit."""
    statuses = [_upload_status(limited_app, astronaut_path) for _ in range(4)]
    assert all("Loaded" in s for s in statuses[:3]), statuses
    assert "Too many uploads from your address" in statuses[3] and "at most 3 per minute" in statuses[3]
    # X-Forwarded-For is not trusted here (no FACET_TRUSTED_PROXIES): a forged header does not help
    forged = _upload_status(limited_app, astronaut_path, {"X-Forwarded-For": "203.0.113.99"})
    assert "Too many uploads from your address" in forged


def test_edits_are_limited_per_address_across_sessions(astronaut_path):
    from tests.conftest import launch_app

    demo, url = launch_app(max_edits_per_minute_per_ip=3)
    try:
        a, b = Client(url, verbose=False), Client(url, verbose=False)
        for c in (a, b):
            c.predict(handle_file(str(astronaut_path)), api_name="/upload")
            c.predict(100, 330, "include", api_name="/click")
        edit = ("recolour", json.dumps({"target": "#2050d0"}), 0)
        assert "Applied" in a.predict(*edit, api_name="/edit")[1]
        assert "Applied" in a.predict(*edit, api_name="/edit")[1]
        assert "Applied" in b.predict(*edit, api_name="/edit")[1]
        with pytest.raises(Exception, match="Too many edits from your address"):
            b.predict(*edit, api_name="/edit")
    finally:
        demo.close()


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(proxied_app, astronaut_path):
    one = {"X-Forwarded-For": "203.0.113.5"}
    assert "Loaded" in _upload_status(proxied_app, astronaut_path, one)
    assert "Loaded" in _upload_status(proxied_app, astronaut_path, one)
    assert "Too many uploads from your address" in _upload_status(proxied_app, astronaut_path, one)
    assert "Loaded" in _upload_status(proxied_app, astronaut_path, {"X-Forwarded-For": "203.0.113.6"})
    # a client forging an extra hop in front is still counted by the address the proxy saw
    forged = {"X-Forwarded-For": "1.2.3.4, 203.0.113.5"}
    assert "Too many uploads from your address" in _upload_status(proxied_app, astronaut_path, forged)


def test_a_second_concurrent_edit_in_one_session_is_ignored(astronaut_path):
    """Two applies at once in one session (a double click that reached the server twice): one layer."""
    from core.models import ModelManager
    from core.photo import load_photo
    from studio.services import build_services
    from studio.session import EditBusy, EditorSession
    from core.settings import Settings

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    s.load(load_photo(astronaut_path), services, parse=False)
    mask = np.zeros((512, 512), bool)
    mask[300:500, 40:240] = True
    started, release = threading.Event(), threading.Event()
    from editors.recolour import RecolourEditor

    original = RecolourEditor.edit  # what the session calls (an EditResult)

    def slow(self, *args, **kwargs):
        started.set()
        release.wait(10)
        return original(self, *args, **kwargs)

    RecolourEditor.edit = slow
    try:
        first = threading.Thread(
            target=s.apply_edit,
            args=("recolour", {"target": "#2050d0"}, 0, services),
            kwargs={"mask": mask, "label": "box"},
        )
        first.start()
        assert started.wait(10)
        with pytest.raises(EditBusy, match="still running"):
            s.apply_edit("recolour", {"target": "#2050d0"}, 0, services, mask=mask, label="box")
        release.set()
        first.join(10)
    finally:
        RecolourEditor.edit = original
    assert len(s.layers.layers) == 1
    s.apply_edit("recolour", {"target": "#d02050"}, 0, services, mask=mask, label="box")  # free again afterwards
    assert len(s.layers.layers) == 2
    s.close()
