"""Face swap: put the face of a target image onto chosen faces of the photo, keeping their pose and expression.

Offline backend ("landmark-warp"): the target's 468-point face mesh is triangulated (Delaunay) and each
triangle is warped onto the photo face's own mesh geometry, so the original expression and pose are kept;
matched to the photo's skin tone, light, sharpness and grain and pasted with a soft edge through the
face-oval polygon of the mesh (a face-shaped mask, not a box); an open mouth keeps its own inside
(``faces.blend.mesh_swap``). Full backend (roles ``face_analysis`` + ``inswapper``): insightface
inswapper_128 with the target's ArcFace embedding, Poisson-pasted through the same face-shaped mask.

Params
- ``target``: a gallery name (``assets/faces/manifest.json``), or an RGB array of an image with a face (an
  upload, or a file the CLI read: editors never read paths given by a client).
- ``faces``: which faces of the photo, by number ("all", "0,2"); numbers come from
  ``faces.detect.find_faces`` (left to right; ``faces.draw.draw_face_numbers`` shows them).
- ``mapping``: optional per-face targets, "0=grace_hopper; 2=synthetic_a" (gallery names; overrides ``target``),
  or a dict {face number: gallery name or RGB array} (the CLI's, with the local files it read).
- ``by_gender``: full backend only: swap only faces whose detected gender matches the target's.
- ``backend``: auto | offline | full.  ``strength``: 0..1 blend of the swapped face over the original.
Only faces inside the selection mask (>= 30 % of the face) are touched; pixels outside the faces' masks
(and outside the selection + feather) stay bit-identical.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from core.composite import check_mask
from core.errors import BadInput
from core.models import ModelManager, default_manager
from core.types import Photo
from editors.base import (
    FACE_SWAPPED,
    FEATHER,
    ImageRef,
    Param,
    Provenance,
    ReportingEditor,
    as_pixels,
    auto_feather,
    check_image_value,
    validate_params,
)
from editors.registry import EDITORS
from faces.blend import finish, full_swap, mesh_swap
from faces.detect import parse_indices, selected_faces
from faces.gallery import Target, gallery_names, load_target
from faces.insight import BACKENDS, FULL_MODELS, OFFLINE_MODELS, choose_backend
from faces.types import normed

log = logging.getLogger(__name__)


def parse_mapping(spec: str | dict | None, count: int) -> dict[int, str | np.ndarray]:
    """ "0=grace_hopper; 2=synthetic_a" -> {0: "grace_hopper", 2: "synthetic_a"} (face numbers and gallery names
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
        idx = parse_indices(k.strip(), count, "faceswap mapping")
        if len(idx) != 1:
            raise BadInput(f"faceswap: mapping key {k[:40]!r} must be one face number")
        out[idx[0]] = check_image_value(f"faceswap: mapping target for face {idx[0]}", v, tuple(gallery_names()))
    return out


def check_mapping(spec: Any) -> None:
    """Refuse a mapping whose targets are not gallery names or arrays, before any face is searched."""
    parse_mapping(spec, 1 << 16)


def _key(spec: str | np.ndarray) -> Any:
    return ("array", id(spec)) if isinstance(spec, np.ndarray) else spec


class FaceSwapEditor(ReportingEditor):
    name = "faceswap"
    label = "Face swap"
    # a face that was not in the photo (inswapper, or the offline mesh warp standing in for it)
    provenance = Provenance(generative=True, face_edit=FACE_SWAPPED, models=OFFLINE_MODELS + FULL_MODELS)
    params_schema = {
        "target": Param(
            ImageRef,
            "synthetic_average",
            choices=tuple(gallery_names()),
            help="a gallery name (assets/faces), or your own face image as an RGB array (an upload)",
        ),
        "faces": Param(str, "all", help="which faces, by number: 'all' or e.g. '0,2'"),
        "mapping": Param(
            dict,
            "",
            help="per-face targets by gallery name, e.g. '0=grace_hopper; 1=synthetic_a' "
            "(overrides target; the CLI also takes local image files)",
        ),
        "by_gender": Param(bool, False, help="full backend: only swap faces of the target's gender"),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend of the new face over the original"),
        "backend": Param(str, "auto", choices=BACKENDS, help="auto: full (insightface) when downloaded, else offline"),
        "feather": FEATHER,
    }

    def __init__(self, manager: ModelManager | None = None):
        self.manager = manager
        self.model_ids: tuple[str, ...] = OFFLINE_MODELS

    def apply(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        """RGB uint8 photo with the chosen faces swapped; pixels outside the face masks stay identical."""
        pixels = as_pixels(photo)
        sel = None if mask is None else check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        manager = self.manager or default_manager()
        backend = choose_backend(p["backend"], manager)
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
            raise BadInput(
                "faceswap: none of the chosen faces could be swapped (too small, hidden, or of the "
                "other gender with by_gender)"
            )
        return finish(pixels, out, sel, auto_feather(pixels.shape, p["feather"]))


@EDITORS.register("faceswap")
def build_faceswap(manager: ModelManager | None = None) -> FaceSwapEditor:
    return FaceSwapEditor(manager)
