"""Swap targets: the gallery in ``assets/faces`` (``manifest.json``: synthetic faces generated from two
public-domain portraits, never a real person, and those two portraits), a face image given as an array, or
a face's own "anti-face" (:func:`anti_target`: its texture reflected through a mean face of several people)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput
from core.models import ModelManager, default_manager
from faces.detect import largest_face
from faces.geometry import triangulate, warp_mesh
from faces.landmarks import FACE_OVAL, LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE, face_from_mesh
from faces.masks import polygon_mask
from faces.types import Face, check_rgb

GALLERY_DIR = Path(__file__).resolve().parent.parent / "assets" / "faces"


@lru_cache(maxsize=1)
def gallery() -> dict[str, dict[str, Any]]:
    """name -> entry of ``assets/faces/manifest.json`` (name, file, mesh, licence, source, synthetic, ...)."""
    path = GALLERY_DIR / "manifest.json"
    if not path.exists():
        return {}
    return {e["name"]: e for e in json.loads(path.read_text()).get("faces", [])}


def gallery_names(synthetic: bool | None = None) -> list[str]:
    return sorted(n for n, e in gallery().items() if synthetic is None or bool(e.get("synthetic")) == synthetic)


SKIN_AGES = {"young": 0.0, "mid": 0.5, "old": 1.0}  # build_gallery.py's AGES: share of the older face's skin
AGE_YOUNG, AGE_OLD = 30.0, 60.0  # apparent ages (faces.attributes) that want the young / the old skin texture


def skin_age(name: str) -> float | None:
    """How old a synthetic gallery face's skin texture is: 0 (``young``: smooth) .. 1 (``old``: wrinkled), from its
    name (``synthetic_<age>_<nose>_<brows>``; ``synthetic_average`` is half and half); None for others."""
    if name == "synthetic_average":
        return 0.5
    parts = name.split("_")
    return SKIN_AGES.get(parts[1]) if len(parts) > 1 and parts[0] == "synthetic" else None


def wanted_skin_age(age: float) -> float:
    """The skin texture (0 young .. 1 old, as :func:`skin_age`) that fits a face of apparent ``age`` years: young
    up to ``AGE_YOUNG``, old from ``AGE_OLD``, in between in proportion."""
    return float(np.clip((age - AGE_YOUNG) / (AGE_OLD - AGE_YOUNG), 0.0, 1.0))


@dataclass(frozen=True)
class Target:
    """A face to put on others: its image, its face (mesh in the image's pixels) and its triangulation."""

    name: str
    image: np.ndarray
    face: Face
    tris: np.ndarray
    descriptor: np.ndarray | None = None  # dlib 128-D of the gallery face (manifest), to rank targets


def _target_from(
    image: np.ndarray, name: str, mesh: np.ndarray | None, manager: ModelManager | None, backend: str
) -> Target:
    if mesh is not None and backend != "full":
        face = face_from_mesh(mesh)
    else:
        face = largest_face(image, f"the target image {name!r}", manager, backend)
    if backend == "full":
        if face.embedding is None:
            raise BadInput(f"the target image {name!r}: no identity embedding (recognition model missing)")
        return Target(name, image, face, np.zeros((0, 3), np.int32))
    if face.mesh is None:
        raise BadInput(f"the target image {name!r}: its face could not be meshed; use a clearer, frontal face")
    return Target(name, image, face, triangulate(face.mesh))


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
        check_rgb(spec)
        if min(spec.shape[:2]) < 32:
            raise BadInput(f"the target image is too small ({spec.shape[1]}x{spec.shape[0]}); use at least 32x32")
        return _target_from(spec, "uploaded image", None, manager, backend)
    entry = gallery().get(spec) if isinstance(spec, str) else None
    if entry is None:
        raise BadInput(
            f"unknown face target {str(spec)[:80]!r}: give a gallery name "
            f"({', '.join(gallery_names()) or 'none'}); file paths are not read, upload a face image "
            f"instead"
        )
    path = GALLERY_DIR / entry["file"]
    mesh = str(GALLERY_DIR / entry["mesh"]) if entry.get("mesh") and backend != "full" else None
    if backend == "full":
        from core.photo import load_photo

        return _target_from(load_photo(str(path)).pixels, path.name, None, manager, backend)
    key = (str(path.resolve()), path.stat().st_mtime, mesh, backend)
    target = (manager or default_manager()).resident(
        f"faceswap-target:{spec}:{key}",  # evict frees it
        lambda: _target_cached(*key),
    )
    target = replace(target, name=str(spec))
    if entry.get("dlib"):
        target = replace(target, descriptor=np.asarray(entry["dlib"], np.float32))
    return target


ANTI_STRENGTH = 1.0  # the anti-face lies this many times the face's own difference beyond the mean face
ANTI_CLIP = 30.0  # grey levels: the reflected difference is capped (a dark glasses frame must not turn bright)
ANTI_SMOOTH = 1.2  # px on the 256x320 canvas: the reflected difference is taken without its finest detail
ANTI_BRIGHT = 12.0  # grey levels: the anti-face is at most this much lighter than the mean face anywhere
ANTI_BROAD = 12.0  # px on the canvas: ... and without its broad shading (the photo's own light stays)
ANTI_STRANDS = 0.5  # x the brow's depth below the skin: the spread of the hair strands drawn into the mean's brows
ANTI_STRAND_LENGTH = 0.03  # x the canvas face's size: the strands' length (brow_strands)
ANTI_STRAND_TILT = 25.0  # degrees: the strands rise this much off the brow's line towards its outer end
RIDGE_CUT = 1.0  # share of the anti-face's narrow light along the nose ridge taken out (ridge_cut; 0: none)
RIDGE_BAND = 0.12  # x the face's size: ridge_cut's band along the midline, from between the brows to the nose tip ...
RIDGE_KERNEL = 0.1  # x the face's size: ... where light narrower than this (a white top-hat) is taken out
RIDGE_POINTS = (9, 8, 168, 6, 197, 195, 5, 4)  # the face mesh's midline: between the brows, down the ridge to the tip


@lru_cache(maxsize=1)
def mean_face() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean face (float32 RGB on the synthetic faces' canvas), that canvas's mesh and its triangles:
    ``manifest.json``'s ``mean_face`` (the aligned faces of several people averaged), else the mean of the
    synthetic gallery faces. ``BadInput`` when the gallery has neither."""
    from core.photo import load_photo

    path = GALLERY_DIR / "manifest.json"
    entry = json.loads(path.read_text()).get("mean_face") if path.exists() else None
    if entry:
        mesh = np.load(GALLERY_DIR / entry["mesh"]).astype(np.float32)
        image = load_photo(str(GALLERY_DIR / entry["file"])).pixels.astype(np.float32)
        return image, mesh, triangulate(mesh)
    names = gallery_names(synthetic=True)
    if not names:
        raise BadInput("no synthetic faces in assets/faces (run `python assets/faces/build_gallery.py`)")
    entries = [gallery()[n] for n in names]
    mesh = np.load(GALLERY_DIR / entries[0]["mesh"]).astype(np.float32)
    images = [load_photo(str(GALLERY_DIR / e["file"])).pixels.astype(np.float32) for e in entries]
    return np.mean(images, axis=0), mesh, triangulate(mesh)


ANTI_EVEN = 1.0  # share of the anti-face's faint light skin patches taken out (even_skin, even_patches); 0: off
ANTI_EVEN_BAND = (1.0 / 30.0, 1.0 / 8.0)  # x the canvas face's size: the band's fine and broad ends (Gaussian sigmas)
ANTI_EVEN_CORE = 2.0  # x the band's robust spread on the skin: a light patch fainter than this is taken out (1.0:
# t1's blotch 1.196 on average against 2.0's 1.188, the same tries)
ANTI_EVEN_DARK = 0.0  # share of that taken out of the darker patches. The darker patches carry dlib distance: at 1.0
# t1 #5 was hidden, at 0.5 t1 #0's cut try fell under LIT_GAP (one try more; test_anonymizer_keeps_t1s_skin_colour)


def even_skin(target: Target, share: float | None = None) -> Target:
    """``target`` (an anti-face) without ``share`` (default ``ANTI_EVEN``) of the faint light patches of its skin
    (:func:`even_patches`): the same name and canvas."""
    share = ANTI_EVEN if share is None else share
    if share <= 0 or target.face.mesh is None:
        return target
    image = even_patches(target.image.astype(np.float32), np.asarray(target.face.mesh, np.float32), share)
    return replace(target, image=np.clip(image + 0.5, 0, 255).astype(np.uint8))


def even_patches(image: np.ndarray, mesh: np.ndarray, share: float = 1.0) -> np.ndarray:
    """Float RGB ``image`` (a face on the mean face's canvas, ``mesh`` its face mesh) without ``share`` of the faint
    light patches of its skin. Issue 14, round 23: the mean face is an average of several people's photos, each lit
    and toned its own way: its skin is mottled with lighter and darker patches a face size / 10 to / 3 across, which
    the anti-face (``mean + (mean - face)``) carries and the swap keeps (its two-band match replaces only the light
    broader than face size / 9; its shading step at most halves the band): t1's swaps looked blotchy
    (faces.measures.blotch 1.02 / 1.78 / 1.17 on #0 / #1 / #3 in bench/results/faces.json; 0.93 / 1.44 / 1.10 with
    this on the anti-face tried first, editors.anonymize.ANTI_EVEN_FIRST). On the skin (the oval without eyes, brows
    and lips, each grown by 0.03 x face size), the lightness band between Gaussian sigmas ``ANTI_EVEN_BAND`` x the
    face's size is shrunk towards 0 by ``ANTI_EVEN_CORE`` x its robust spread there (a soft threshold: the nose's
    side, a crease or a cheekbone keeps all but that much; a faint patch goes), where it is lighter than around it
    (``ANTI_EVEN_DARK`` of it where darker), equally on R, G and B, faded in over 0.03 x face size inside the skin.
    In the swap (faces.blend.match_photo) taken out of every face (gallery faces too), it hid t1 #2 (0.766 -> 0.69):
    the patches carry dlib distance, so only the anti-face tried first loses them, the lit one keeps them."""
    from faces.masks import inner_alpha, mesh_parts

    if share <= 0:
        return image
    size = face_from_mesh(mesh).size
    oval, parts = mesh_parts(image.shape[:2], mesh)
    k = max(3, round(0.06 * size) | 1)
    feats = (parts["eyes"] | parts["eyebrows"] | parts["lips"]).astype(np.uint8)
    skin = oval & ~(cv2.dilate(feats, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0)
    if skin.sum() < 64:
        return image
    w = skin.astype(np.float32)
    light = image @ np.array([0.299, 0.587, 0.114], np.float32)

    def low(sigma: float) -> np.ndarray:
        return cv2.GaussianBlur(light * w, (0, 0), sigma) / np.maximum(cv2.GaussianBlur(w, (0, 0), sigma), 1e-4)

    band = low(ANTI_EVEN_BAND[0] * size) - low(ANTI_EVEN_BAND[1] * size)
    v = band[skin]
    t = ANTI_EVEN_CORE * 1.4826 * float(np.median(np.abs(v - np.median(v))))
    faint = band - np.sign(band) * np.maximum(np.abs(band) - t, 0.0)
    faint = np.where(faint > 0, faint, ANTI_EVEN_DARK * faint)
    return image - (share * inner_alpha(skin, 0.03 * size) * faint)[..., None]


@lru_cache(maxsize=1)
def brow_strands() -> np.ndarray:
    """Hair strands for the mean face's brows (float32 grey levels on its canvas, 0 outside the brows): a fixed noise
    (seed 0) smeared along each brow (a line kernel ``ANTI_STRAND_LENGTH`` x the canvas face's size long, at the brow's
    own slope turned ``ANTI_STRAND_TILT`` up towards its outer end), of unit spread inside the brow, its light side cut
    at half a spread (dark hairs, no light streaks) and its mean taken off, times how much darker than the face's median skin the mean is there. The
    mean face's brows are an average of several people's: a smooth band without hairs, pasted as a flat slab
    (faces.measures.brow_texture). No one's brows: the same strands for every face."""
    mean, mesh, _ = mean_face()
    h, w = mean.shape[:2]
    noise = np.random.default_rng(0).standard_normal((h, w)).astype(np.float32)
    length = max(3, int(round(ANTI_STRAND_LENGTH * face_from_mesh(mesh).size)) | 1)
    c = length // 2
    out = np.zeros((h, w), np.float32)
    for idx, outwards in ((LEFT_BROW, 1.0), (RIGHT_BROW, -1.0)):  # LEFT_BROW is the image-right brow
        vx, vy = cv2.fitLine(mesh[idx][:, :2].astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()[:2]
        angle = np.arctan2(vy, vx) if vx >= 0 else np.arctan2(-vy, -vx)
        angle -= outwards * np.deg2rad(ANTI_STRAND_TILT)  # rising (y up) towards the outer end
        vx, vy = float(np.cos(angle)), float(np.sin(angle))
        kernel = np.zeros((length, length), np.float32)
        ends = np.round([[c - c * vx, c - c * vy], [c + c * vx, c + c * vy]]).astype(int)
        cv2.line(kernel, tuple(map(int, ends[0])), tuple(map(int, ends[1])), 1.0, 1)
        hairs = cv2.filter2D(noise, -1, kernel / kernel.sum())
        inside = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(inside, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
        m = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.0) > 0.5
        v = np.minimum(hairs[m] / (hairs[m].std() + 1e-6), 0.5)  # dark hairs on the brow's tone: no light streaks
        out[m] = v - v.mean()
    light = cv2.GaussianBlur(mean @ np.array([0.299, 0.587, 0.114], np.float32), (0, 0), 1.5)
    depth = np.clip(np.median(light[polygon_mask(mean.shape, mesh[FACE_OVAL])]) - light, 0.0, None)
    return out * depth


def anti_target(
    pixels: np.ndarray,
    face: Face,
    strength: float = ANTI_STRENGTH,
    detail: np.ndarray | None = None,
    unknown: np.ndarray | None = None,
) -> Target:
    """A synthetic target made from this face and the mean face (:func:`mean_face`) alone: its texture,
    aligned on the mean face's canvas and brought to its colour, reflected through the mean face (``mean + strength x
    (mean - face)`` in lightness, the difference capped at ``ANTI_CLIP``, without its finest detail and its broad shading), so it lies on
    the other side of the mean from the face (an "anti-face": no real person's face, and the farther from
    this one the more it differs from the average). The editor keeps the photo's own lighting, skin tone and
    grain (``match_photo``) and the expression (the face's own mesh). ``detail``: an RGB uint8 synthetic
    gallery face on the same canvas whose finest detail (pores, lashes, the edges of the eyes) is added,
    as the mean face is soft. The brows are never darker than the mean face's (pale or grey brows reflected
    came out heavy and black). ``unknown``: bool photo-size mask of pixels that are not the face's own (glasses frames
    painted out): nothing is reflected there (the mean face's texture; a painted lens rim reflected is an outline)."""
    if face.mesh is None:
        raise BadInput(f"face {face.index} has no face mesh: no anti-face can be made")
    mean, mesh, tris = mean_face()
    h, w = mean.shape[:2]
    own, covered = warp_mesh(pixels, face.mesh, mesh, tris, (0, 0, w, h))
    oval = polygon_mask(mean.shape, mesh[FACE_OVAL]) & covered
    x = own.astype(np.float32)
    if oval.sum() >= 16:  # the face's colour brought to the mean's (per channel mean / spread in the oval)
        a, b = x[oval], mean[oval]
        x = (x - a.mean(0)) * (b.std(0) / (a.std(0) + 1e-3)) + b.mean(0)
    grey = np.array([0.299, 0.587, 0.114], np.float32)  # lightness only: reflected colour turns into patches
    light = x @ grey
    # thin dark lines (glasses frames, creases) closed away outside the eyes and brows: reflected they turn bright
    closed = cv2.morphologyEx(light, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    features = np.zeros(oval.shape, np.uint8)
    for idx in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(features, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
    features = cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    light = np.where(features, light, closed)
    diff = cv2.GaussianBlur(np.clip(mean @ grey - light, -ANTI_CLIP, ANTI_CLIP), (0, 0), ANTI_SMOOTH)
    diff = diff - cv2.GaussianBlur(diff, (0, 0), ANTI_BROAD)  # not its broad shading: that turns into blotches
    diff = np.minimum(diff, ANTI_BRIGHT)  # pale patches (a shadowed nose or cheek reflected) look pasted
    if unknown is not None and unknown.any():  # where the face is not seen (painted-out glasses frames): the mean's
        u = warp_mesh(unknown.astype(np.float32)[..., None], face.mesh, mesh, tris, (0, 0, w, h))[0]
        diff = diff * (1.0 - np.clip(cv2.GaussianBlur(u.reshape(h, w), (0, 0), 2 * ANTI_SMOOTH) * 1.5, 0, 1))
    # the brows are never darker than the mean face's: pale or grey brows reflected come out heavy and dark
    # (grace_hopper's grey brows turned black, a young face's brows on an old one)
    brows = np.zeros(oval.shape, np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(brows, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
    brows_w = cv2.GaussianBlur(cv2.dilate(brows, np.ones((7, 7), np.uint8)).astype(np.float32), (0, 0), 2.0)
    diff = diff - brows_w * np.minimum(diff, 0.0)
    anti = mean + strength * diff[..., None]
    anti += (ANTI_STRANDS * brows_w * brow_strands())[..., None]  # the mean's brows are a smooth band: hairs drawn in
    # the eyes are not reflected: a dark iris turns pale (glassy eyes); they come from ``detail`` (sharp) or
    # stay the mean's, only ever darker
    eyes = np.zeros(oval.shape, np.uint8)
    for idx in (LEFT_EYE, RIGHT_EYE):
        cv2.fillConvexPoly(eyes, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
    eyes_w = cv2.GaussianBlur(cv2.dilate(eyes, np.ones((5, 5), np.uint8)).astype(np.float32), (0, 0), 2.0)[..., None]
    if detail is not None and detail.shape == anti.shape:
        sharp = detail.astype(np.float32)
        anti += sharp - cv2.GaussianBlur(sharp, (0, 0), 2.0)
        anti = anti * (1 - eyes_w) + sharp * eyes_w
    else:
        anti = anti * (1 - eyes_w) + np.minimum(anti, mean) * eyes_w
    anti[~covered] = mean[~covered]
    image = np.clip(anti + 0.5, 0, 255).astype(np.uint8)
    return Target("anti-face", image, face_from_mesh(mesh), tris)


def ridge_cut(target: Target, share: float = RIDGE_CUT) -> Target:
    """``target`` (an anti-face) without ``share`` of its narrow light along the nose's ridge: the lightness over the
    opening at ``RIDGE_KERNEL`` x its face size (a white top-hat: lighter than both its sides, narrower than that)
    taken out of a band ``RIDGE_BAND`` x its face size wide along its mesh's midline (``RIDGE_POINTS``), faded in over
    a quarter of that band. Issue 14, round 17: the mean face is an average of portraits lit from the front, with a
    narrow specular highlight down every nose; reflected through it a face whose nose is not lit so (t1's soft light)
    gets that highlight twice over (mean + (mean - face)): a light streak from between the brows to the nose tip that
    the photo's light does not make (faces.measures.ridge_light t1 #0 12.4 against the photo's 5.5; astronaut 14.6 /
    8.2). A broad light (a forehead, the nose's own shading) is left, and the colour with it (only lightness taken,
    equally from R, G and B). The same name and canvas: the editor tries it first (editors.anonymize)."""
    if share <= 0 or target.face.mesh is None:
        return target
    mesh = np.asarray(target.face.mesh, np.float32)
    size = target.face.size
    image = target.image.astype(np.float32)
    light = image @ np.array([0.299, 0.587, 0.114], np.float32)
    k = max(3, round(RIDGE_KERNEL * size) | 1)
    top = light - cv2.morphologyEx(light, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    band = np.zeros(light.shape, np.uint8)
    line = np.round(mesh[list(RIDGE_POINTS), :2]).astype(np.int32)
    cv2.polylines(band, [line], False, 1, max(1, round(RIDGE_BAND * size)))
    w = cv2.GaussianBlur(band.astype(np.float32), (0, 0), max(0.5, 0.25 * RIDGE_BAND * size))
    image -= (share * w * top)[..., None]
    return replace(target, image=np.clip(image + 0.5, 0, 255).astype(np.uint8))
