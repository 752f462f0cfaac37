"""Anonymize: hide who everyone is, face by face, through face-shaped masks.

Methods
- ``blur``: a strong Gaussian blur of the face (sigma = ``strength`` x face size / 6);
- ``pixelate``: blocks of about face size / (12 / ``strength``) px;
- ``solid``: the face filled with one colour (``colour``: "#rrggbb", or "auto" = the face's mean colour);
- ``swap``: the face replaced by a SYNTHETIC identity that keeps the expression. Offline: one of the
  gallery's synthetic faces (morphs of several faces on their mean shape, ``assets/faces``; never a real
  person), the one whose texture is least like this face, warped onto the face's own mesh with its
  identity-bearing proportions moved (``reshape``: smaller eyes set closer, narrower nose, wider mouth;
  the face outline, eye/mouth opening and pose are kept), colour-matched and Poisson-blended. Full
  backend: inswapper_128 with a random identity vector drawn from ``seed``.
  ``verify`` (offline swap, on by default): each swapped face is checked with an independent face
  recogniser (dlib's 128-D ResNet descriptor); while it is still within ``VERIFY_MARGIN`` of the
  original, the other synthetic faces are tried, then each with the mouth swapped too, then also with
  the strongest reshape; a face that stays recognisable after all of them (or is under MIN_SWAP_SIZE px)
  is blurred instead. ``last_report`` lists, per face, what was done and the distance.
Faces: all (``faces`` = "all") or chosen numbers, and only those inside the selection mask. Only the
faces are changed: a "faces + background" or "faces + background + clothes" level is for the UI to
compose with other editors (e.g. blur / cartoon on the person or background segments).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from core.composite import check_mask
from core.errors import BadInput, ModelUnavailable
from core.models import ModelManager, default_manager
from core.types import Photo
from editors import EDITORS
from editors.base import FEATHER, Param, as_pixels, auto_feather, rng_for, validate_params
from editors.faceswap import (BACKENDS, FULL_MODELS, OFFLINE_MODELS, Target, choose_backend, finish, full_swap,
                              gallery_names, load_target, mesh_swap, normed, selected_faces)
from segmenters import face_identity as fi

log = logging.getLogger(__name__)

METHODS = ("blur", "pixelate", "solid", "swap")
MIN_SWAP_SIZE = 28  # px: smaller faces are blurred when verifying (too small to swap and check)
VERIFY_MARGIN = 0.62  # dlib's same-person threshold is 0.6; a swapped face must end up farther than this


def _cover_mask(shape: tuple[int, ...], face: fi.DetectedFace, grow: float) -> np.ndarray:
    """The face-shaped mask grown by ``grow`` x face size (so blur / pixels / fill cover the whole face)."""
    m = fi.face_mask(shape, face).astype(np.uint8)
    k = max(1, int(round(grow * face.size)))
    return cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))).astype(bool)


def _paste(out: np.ndarray, edited: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], soft: float) -> None:
    x0, y0, x1, y1 = box
    m = mask[y0:y1, x0:x1]
    a = fi.inner_alpha(m, soft)[..., None]
    crop = out[y0:y1, x0:x1]
    mixed = np.clip(crop.astype(np.float32) + a * (edited.astype(np.float32) - crop) + 0.5, 0, 255).astype(np.uint8)
    crop[m] = mixed[m]


def hide_face(out: np.ndarray, photo: np.ndarray, face: fi.DetectedFace, method: str, strength: float,
              colour: str) -> np.ndarray:
    """blur / pixelate / solid one face in place on ``out``; returns the face-shaped mask used."""
    mask = _cover_mask(photo.shape, face, 0.04)
    pts = np.argwhere(mask)[:, ::-1].astype(np.float32)
    box = fi.padded_box(pts, photo.shape, 2)
    x0, y0, x1, y1 = box
    crop = photo[y0:y1, x0:x1]
    if method == "blur":
        sigma = max(1.0, strength * face.size / 6.0)
        edited = cv2.GaussianBlur(crop, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
        edited = cv2.GaussianBlur(edited, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    elif method == "pixelate":
        block = max(2, int(round(face.size * strength / 12.0)))
        h, w = crop.shape[:2]
        small = cv2.resize(crop, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
        edited = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    else:  # solid
        m = mask[y0:y1, x0:x1]
        rgb = crop[m].mean(0) if colour == "auto" else _hex(colour)
        edited = np.empty_like(crop)
        edited[:] = np.asarray(rgb, np.float32).round().astype(np.uint8)
    _paste(out, edited, mask, box, soft=max(1.5, 0.03 * face.size))
    return mask


def _hex(value: str) -> tuple[int, int, int]:
    v = value.strip().lstrip("#")
    if len(v) != 6 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise BadInput(f"anonymize: colour must be 'auto' or '#rrggbb', got {value!r}")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def synthetic_targets() -> list[Target]:
    names = gallery_names(synthetic=True)
    if not names:
        raise BadInput("anonymize: no synthetic faces in assets/faces (run `python assets/faces/build_gallery.py`)")
    return [load_target(n) for n in names]


def random_identity(rng: np.random.Generator, avoid: np.ndarray | None) -> np.ndarray:
    """A random unit 512-D identity vector, made orthogonal to ``avoid`` (the face's own embedding)."""
    v = rng.standard_normal(512).astype(np.float32)
    if avoid is not None:
        a = normed(avoid)
        v -= (v @ a) * a
    return normed(v)


class AnonymizeEditor:
    name = "anonymize"
    label = "Anonymize faces"
    generative = True  # method swap (a synthetic identity); blur / pixelate / solid are classical (set in apply)
    params_schema = {
        "method": Param(str, "swap", choices=METHODS, help="blur | pixelate | solid | swap (synthetic identity)"),
        "faces": Param(str, "all", help="which faces, by number: 'all' or e.g. '0,2'"),
        "strength": Param(float, 1.0, 0.2, 3.0, help="blur size / pixel block size (x face size / 6 or / 12)"),
        "colour": Param(str, "auto", help="solid: '#rrggbb' or 'auto' (the face's mean colour)"),
        "reshape": Param(float, 1.0, 0.0, 1.5, help="swap: how far the identity-bearing proportions move (0 = none)"),
        "identity": Param(str, "auto", help="swap offline: 'auto' (least similar synthetic face) or a synthetic gallery name"),
        "backend": Param(str, "auto", choices=BACKENDS, help="swap: auto = inswapper when downloaded, else offline"),
        "verify": Param(bool, True, help="swap offline: check each face with a face recogniser (dlib); retry, "
                                         "then blur, a face that is still recognisable"),
        "feather": FEATHER,
    }

    def __init__(self, manager: ModelManager | None = None):
        self.manager = manager
        self.model_ids: tuple[str, ...] = OFFLINE_MODELS
        self.last_report: list[dict[str, Any]] = []

    def apply(self, photo: Photo | np.ndarray, mask: np.ndarray | None, params: dict[str, Any] | None = None,
              seed: int | None = None) -> np.ndarray:
        """RGB uint8 photo with the chosen faces anonymized; pixels outside the face masks stay identical."""
        pixels = as_pixels(photo)
        sel = None if mask is None else check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        if p["method"] == "solid" and p["colour"] != "auto":
            _hex(p["colour"])
        manager = self.manager or default_manager()
        backend = "offline"
        if p["method"] == "swap":
            backend = choose_backend(p["backend"], manager, (fi.ROLE_ANALYSIS, fi.ROLE_SWAPPER))
        faces, chosen = selected_faces(pixels, sel, p["faces"], manager, backend, self.name)
        out = pixels.copy()
        rng = rng_for(seed)
        self.model_ids = FULL_MODELS if backend == "full" else OFFLINE_MODELS
        self.generative = p["method"] == "swap"
        self.last_report = []
        targets: list[Target] = []
        if p["method"] == "swap" and backend == "offline":
            if p["identity"] == "auto":
                targets = synthetic_targets()
            elif p["identity"] in gallery_names(synthetic=True):
                targets = [load_target(p["identity"])]
            else:
                raise BadInput(f"anonymize: identity must be 'auto' or one of {', '.join(gallery_names(synthetic=True))} "
                               f"(synthetic faces only), got {p['identity']!r}")
        for i in chosen:
            face = faces[i]
            if p["method"] != "swap":
                hide_face(out, pixels, face, p["method"], p["strength"], p["colour"])
            elif backend == "full":
                full_swap(out, pixels, face, random_identity(rng, face.embedding), manager)
            else:
                if face.mesh is None:  # too small / hidden for a mesh: never leave it recognisable
                    hide_face(out, pixels, face, "blur", 1.0, "auto")
                    continue
                self.last_report.append(self._swap_verified(out, pixels, face, targets, p["reshape"], p["verify"]))
        return finish(pixels, out, sel, auto_feather(pixels.shape, p["feather"]))

    def _swap_verified(self, out: np.ndarray, pixels: np.ndarray, face: fi.DetectedFace, targets: list[Target],
                       reshape: float, verify: bool) -> dict[str, Any]:
        """Offline synthetic swap of one face (in place on ``out``), checked by dlib's recogniser when ``verify``."""
        ranked = sorted(targets, key=lambda t: fi.texture_similarity(pixels, face, t.image, t.face.mesh, t.tris)) \
            if len(targets) > 1 else targets
        original = None
        if verify:
            try:
                original = fi.identity_descriptor(pixels, face)
            except ModelUnavailable as exc:  # dlib not installed: swap unverified, say so in the log
                log.warning("anonymize: identity check skipped (%s)", exc)
        # first each synthetic face as asked (an open mouth's inside kept), then each with the mouth swapped
        # too, then also with the strongest reshape; the first try past the margin wins
        tries = [(t, reshape, True) for t in ranked] + [(t, reshape, False) for t in ranked] + \
            [(t, max(reshape, 1.5), False) for t in ranked]
        if original is not None and face.size < MIN_SWAP_SIZE:
            tries = []  # too few pixels for a swap the recogniser can check: blur (below)
        distance = None
        before = out.copy() if original is not None and tries else None  # to undo a try that fails the check
        for target, amount, keep_mouth in tries:
            shaped = replace(face, mesh=fi.identity_reshape(face.mesh, face.size, amount))
            changed = mesh_swap(out, pixels, shaped, target, keep_mouth=keep_mouth)
            if original is None:
                return {"face": face.index, "done": f"swap to {target.name}", "verified": False}
            distance = float(np.linalg.norm(original - fi.identity_descriptor(out, face)))
            if distance > VERIFY_MARGIN:
                return {"face": face.index, "done": f"swap to {target.name}", "verified": True,
                        "distance": round(distance, 3)}
            out[changed] = before[changed]  # only the face-shaped paste changed
        hide_face(out, pixels, face, "blur", 1.5, "auto")  # still recognisable after every try: blur it
        log.info("anonymize: face %d (%d px) stayed recognisable (%s) after %d swaps; blurred", face.index,
                 face.size, distance, len(tries))
        done = "blur (swaps stayed recognisable)" if tries else "blur (too small to swap)"
        return {"face": face.index, "done": done, "verified": True,
                "distance": round(float(np.linalg.norm(original - fi.identity_descriptor(out, face))), 3)}


@EDITORS.register("anonymize")
def build_anonymize(manager: ModelManager | None = None) -> AnonymizeEditor:
    return AnonymizeEditor(manager)
