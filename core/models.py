"""The model manifest and the model manager.

The manifest (``core/manifest.toml``, data not code) lists each model *role*: which backend loads it,
which hub repo at which pinned revision, which files, their sha256 where known, the licence, whether
commercial use is allowed, and which offline backend replaces it when the weights are missing.

The manager resolves a role to a local folder, in this order:
1. ``FACET_MODEL_<ROLE>`` (role upper-cased): a local folder laid out like the hub repo. Tests use this
   to inject tiny generated models, so the real loading code is what they run.
2. huggingface_hub's normal cache (``snapshot_download(..., local_files_only=True)``).
3. a download through huggingface_hub (with its progress bars), only when the hub is reachable.
Then it loads lazily on first use, keeps the model resident, hands out one lock per role, and picks
device and dtype once (CUDA + fp16 when present, else CPU + fp32).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from core.errors import ModelUnavailable
from core.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")


@dataclass(frozen=True)
class ModelRole:
    role: str
    backend: str
    repo: str
    revision: str
    files: tuple[str, ...]
    licence: str
    commercial: bool
    offline: str  # name of the backend used when these weights are missing
    description: str = ""
    sha256: dict[str, str] = field(default_factory=dict)
    size_mb: float | None = None
    device: str = "any"  # "any", or "cuda" for roles only worth loading on a GPU
    speedup: bool = False  # an optional speed-up: without it the same results come, only slower

    @property
    def env_var(self) -> str:
        return "FACET_MODEL_" + self.role.upper()


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, ModelRole]:
    """Parse the manifest; raise ValueError with the role name for any missing or malformed entry."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    roles: dict[str, ModelRole] = {}
    required = ("backend", "repo", "revision", "files", "licence", "commercial", "offline")
    for name, entry in data.get("roles", {}).items():
        missing = [k for k in required if k not in entry]
        if missing:
            raise ValueError(f"manifest role '{name}' lacks {', '.join(missing)}")
        rev = str(entry["revision"])
        if len(rev) != 40 or any(c not in "0123456789abcdef" for c in rev):
            raise ValueError(f"manifest role '{name}': revision must be a 40-hex commit hash, not {rev!r}")
        roles[name] = ModelRole(
            role=name,
            backend=entry["backend"],
            repo=entry["repo"],
            revision=rev,
            files=tuple(entry["files"]),
            licence=entry["licence"],
            commercial=bool(entry["commercial"]),
            offline=entry["offline"],
            description=entry.get("description", ""),
            sha256=dict(entry.get("sha256", {})),
            size_mb=entry.get("size_mb"),
            device=entry.get("device", "any"),
            speedup=bool(entry.get("speedup", False)),
        )
    return roles


def hub_reachable(timeout: float = 2.0) -> bool:
    """True when the hub answers a TCP connect within ``timeout`` seconds (DNS included).

    Honours HF_HUB_OFFLINE=1 and FACET_OFFLINE=1 without touching the network.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    if os.environ.get("FACET_OFFLINE", "auto").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)  # getaddrinfo has no timeout of its own
    t.start()
    t.join(timeout)
    return bool(result and result[0])


def pick_device(preference: str = "auto") -> tuple[str, Any]:
    """("cuda", float16) when CUDA is present (or asked for), else ("cpu", float32)."""
    import torch

    if preference == "cpu" or (preference == "auto" and not torch.cuda.is_available()):
        torch.set_flush_denormal(True)  # denormal floats make CPU kernels up to 100x slower; flush them
        return "cpu", torch.float32
    if not torch.cuda.is_available():
        raise ModelUnavailable("device", "FACET_DEVICE=cuda but no CUDA device is visible")
    return "cuda", torch.float16


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ModelManager:
    """Resolves, loads, keeps and locks models by role. One instance per process, shared read-only."""

    def __init__(self, settings: Settings | None = None, manifest: dict[str, ModelRole] | None = None,
                 online: bool | None = None):
        self.settings = settings or Settings()
        self.roles = manifest if manifest is not None else load_manifest()
        if online is None:
            online = self.settings.offline != "1" and hub_reachable(self.settings.hub_probe_seconds)
        self.online = online
        self._device: tuple[str, Any] | None = None
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.RLock] = {name: threading.RLock() for name in self.roles}
        self._load_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in self.roles}
        self._failures: dict[str, str] = {}
        log.info("model manager: %d roles, hub %s", len(self.roles), "reachable" if online else "unreachable (offline)")

    # -- device -------------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        return self._pick()[0]

    @property
    def dtype(self) -> Any:
        return self._pick()[1]

    def _pick(self) -> tuple[str, Any]:
        if self._device is None:
            self._device = pick_device(self.settings.device)
        return self._device

    # -- resolving ----------------------------------------------------------------------------------
    def role(self, name: str) -> ModelRole:
        try:
            return self.roles[name]
        except KeyError:
            raise ModelUnavailable(name, "no such role in the manifest") from None

    def override(self, name: str) -> Path | None:
        raw = os.environ.get(self.role(name).env_var)
        return Path(raw) if raw else None

    def cached_path(self, name: str) -> Path | None:
        """The local folder for a role without any network access, or None."""
        spec = self.role(name)
        override = self.override(name)
        if override is not None:
            return override if override.exists() else None
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(spec.repo, revision=spec.revision, allow_patterns=list(spec.files),
                                          local_files_only=True))
        except Exception:
            return None

    def resolve(self, name: str, download: bool | None = None) -> Path:
        """Local folder of a role's weights; downloads when allowed and online; else ModelUnavailable."""
        spec = self.role(name)
        override = self.override(name)
        if override is not None:
            if not override.exists():
                raise ModelUnavailable(name, f"{spec.env_var}={override} does not exist")
            return override
        path = self.cached_path(name)
        if path is not None:
            return path
        download = self.online if download is None else download
        if not download:
            raise ModelUnavailable(
                name,
                f"weights for {spec.repo}@{spec.revision[:8]} are not downloaded and the hub is unreachable; "
                f"run `python app.py --prefetch` on a machine with network, or set {spec.env_var}=/local/folder",
            )
        from huggingface_hub import snapshot_download

        t0 = time.perf_counter()
        log.info("downloading %s (%s@%s)", name, spec.repo, spec.revision[:8])
        try:
            path = Path(snapshot_download(spec.repo, revision=spec.revision, allow_patterns=list(spec.files)))
        except Exception as exc:
            raise ModelUnavailable(name, f"download of {spec.repo} failed: {exc}") from exc
        self._verify(spec, path)
        log.info("downloaded %s in %.1fs", name, time.perf_counter() - t0)
        return path

    def _verify(self, spec: ModelRole, path: Path) -> None:
        for fname, digest in spec.sha256.items():
            actual = sha256_file(path / fname)
            if actual != digest:
                raise ModelUnavailable(spec.role, f"{fname} has sha256 {actual[:12]}…, manifest says {digest[:12]}…")

    def prefetch(self, names: list[str] | None = None) -> dict[str, str]:
        """Download every role (or ``names``) into the hub cache; returns role -> path or error text."""
        out: dict[str, str] = {}
        for name in names or list(self.roles):
            try:
                out[name] = str(self.resolve(name, download=True))
            except ModelUnavailable as exc:
                out[name] = f"error: {exc.reason}"
        return out

    # -- loading ------------------------------------------------------------------------------------
    def available(self, name: str) -> bool:
        """True when the role is loaded or its weights are on disk (no download attempted)."""
        return name in self._models or self.cached_path(name) is not None

    def get(self, name: str, loader: Callable[[Path, str, Any], Any]) -> Any:
        """The resident model for ``name``, loading it with ``loader(path, device, dtype)`` the first time."""
        model = self._models.get(name)
        if model is not None:
            return model
        with self._load_locks[self.role(name).role]:
            model = self._models.get(name)
            if model is not None:
                return model
            path = self.resolve(name)
            device, dtype = self._pick()
            t0 = time.perf_counter()
            try:
                model = loader(path, device, dtype)
            except ModelUnavailable:
                raise
            except Exception as exc:
                self._failures[name] = f"{exc.__class__.__name__}: {exc}"
                raise ModelUnavailable(name, f"loading {path} failed: {exc.__class__.__name__}: {exc}") from exc
            self._models[name] = model
            log.info("loaded %s from %s in %.2fs on %s (%s)", name, path, time.perf_counter() - t0, device,
                     str(dtype).replace("torch.", ""))
            return model

    def lock(self, name: str) -> threading.RLock:
        """The lock to hold while calling the model of ``name`` (pipelines are not thread-safe)."""
        return self._locks[self.role(name).role]

    def loaded(self, name: str) -> bool:
        return name in self._models

    def evict(self, name: str) -> None:
        with self.lock(name):
            self._models.pop(name, None)
        if self._device and self._device[0] == "cuda":
            import torch

            torch.cuda.empty_cache()

    # -- reporting ----------------------------------------------------------------------------------
    def status(self, in_use: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """One dict per role: state (loaded / ready / not downloaded / failed), source, licence, fallback."""
        rows = []
        for name, spec in self.roles.items():
            override = self.override(name)
            if name in self._models:
                state = "loaded"
            elif name in self._failures:
                state = "failed"
            elif self.cached_path(name) is not None:
                state = "ready"
            else:
                state = "not downloaded"
            rows.append({
                "role": name,
                "state": state,
                "in_use": (in_use or {}).get(name, ""),
                "backend": spec.backend,
                "repo": spec.repo,
                "revision": spec.revision,
                "source": f"{spec.env_var}={override}" if override else "huggingface_hub cache",
                "licence": spec.licence,
                "commercial_use": spec.commercial,
                "offline_backend": spec.offline,
                "size_mb": spec.size_mb,
                "error": self._failures.get(name, ""),
            })
        return rows


_default: ModelManager | None = None
_default_lock = threading.Lock()


def default_manager() -> ModelManager:
    """A process-wide manager that never downloads, for editors built without one (tests, scripts).

    The app and the CLI always pass their own manager."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ModelManager(online=False)
        return _default
