"""A Space that starts: host/port from the platform's variables, and spaces.GPU on the GPU-bound work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_VARS = ("FACET_HOST", "FACET_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "SPACE_ID")


@pytest.fixture()
def clean_env(monkeypatch):
    for var in PLATFORM_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_host_and_port_choice(clean_env):
    assert (Settings.from_env().host, Settings.from_env().port) == ("127.0.0.1", 7860)  # a local run
    clean_env.setenv("SPACE_ID", "someone/facet")
    assert Settings.from_env().host == "0.0.0.0"  # on a Space, even without GRADIO_SERVER_NAME
    clean_env.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    clean_env.setenv("GRADIO_SERVER_PORT", "7861")
    assert (Settings.from_env().host, Settings.from_env().port) == ("0.0.0.0", 7861)
    clean_env.setenv("FACET_HOST", "127.0.0.1")
    clean_env.setenv("FACET_PORT", "9000")
    assert (Settings.from_env().host, Settings.from_env().port) == ("127.0.0.1", 9000)  # FACET_* wins
    clean_env.setenv("GRADIO_SERVER_PORT", "x")
    with pytest.raises(ValueError, match="GRADIO_SERVER_PORT"):
        Settings.from_env()


def _port() -> int:
    """7860 when it is free (what a Space uses), else a free one (the choice is what is tested)."""
    for port in (7860, 0):
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", port))
            return s.getsockname()[1]
        except OSError:
            continue
        finally:
            s.close()
    raise AssertionError("no free port")


def _listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp, IPv4)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:
            out.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return out


def _start(env_extra: dict[str, str], port: int) -> tuple[subprocess.Popen, set[str]]:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARS}
    env.update(HF_HUB_OFFLINE="1", FACET_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", **env_extra)
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        found = _listening(port)
        if found:
            return proc, found
        time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"the app did not listen on {port}: {proc.stderr.read()[-2000:] if proc.stderr else ''}")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_plain_python_app_py_on_a_space_listens_on_all_interfaces():
    port = _port()
    proc, found = _start(
        {"SPACE_ID": "someone/facet", "GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": str(port)}, port
    )
    try:
        assert found == {"0.0.0.0"}, found
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_a_local_run_stays_on_loopback():
    port = _port()
    proc, found = _start({"FACET_PORT": str(port)}, port)
    try:
        assert found == {"127.0.0.1"}, found
    finally:
        proc.terminate()
        proc.wait(timeout=30)
