"""Human parsing: hat, hair, face, skin, upper / lower clothes, dress, shoes (+ belt, bag, scarf, sunglasses).

Full backend (role ``clothes``, mattmdjaga/segformer_b2_clothes, ATR labels): one SegFormer pass over the
working copy; classes mapped by *name* (``CLOTHES_LABELS``); parts are not tied to a person here, the
assembly intersects them with each person's mask.

Offline backend (approximate; ``heuristic (offline, approximate)``), per person with a face mesh:
- face = the face-mesh oval;
- hat / hair: colour models from two seed areas — the band just above the forehead and the strips
  beside the temples. When the forehead band differs clearly from the temples (and from skin), it is a
  hat: GrabCut grows it over the top of the head. Hair is then GrabCut-grown from the temple (and,
  without a hat, forehead) seeds inside the head zone of the person mask;
- skin = person pixels whose colour matches a model (Lab, Mahalanobis) learnt from the face's own
  pixels (neck, arms, hands, legs);
- clothes = the rest of the person; above the hip line (``HIP_BELOW_CHIN`` face heights below the chin,
  along the face's up direction) upper clothes, below it lower clothes; shoes = the lowest strip of a
  person whose feet are in the photo. No dress, belt, bag, scarf or sunglasses offline.

Offline nets (used when their packaged files are here, see segmenters/nets.py), per person:
- PAN skin / clothes / hair on a crop around the person (full-resolution pixels): skin where PAN's skin
  beats its clothes (and, under ``UNSURE_SKIN``, has the colour of the person's face: not a shirt's stripe), except in the band around the face above the jaw (the face's border, ears, grey hair:
  ``head_edge``); where PAN is unsure of both, the person's own skin colour (a Lab model of their face mesh's
  skin) makes skin in pieces a hand or forearm big (``GROW``, ``GROW_MIN``); around the wrists of the pose
  net (segmenters/pose.py, optional) that colour is skin unless PAN is all but certain of clothes
  (``hands_skin``; for a person without a face mesh, with the colour of what PAN is surest is their skin,
  ``SURE_SKIN``: scenetext01's woman seen in profile, her forearm against her red jacket); along the pose's sure
  shins, what PAN is unsure is clothes and is unlike the leg's garment is skin (``shins_skin``: bare calves PAN calls
  background); along the pose's legs, what is far in colour from the garment worn just under the hips is skin when
  it has the person's skin colour (a warm colour without a face) and PAN is unsure of clothes, footwear below the knee
  when not (``bare_legs``: calves under shorts, socks, a boot's shaft), and lower clothes on a shin cut off from the
  hips by bare knees are footwear (``cut_off_shins``); the face's skin colour far from the clothes PAN is surest of
  (``worn_colour``, ``ARM_DE``) is skin where PAN says skin at all and on the pose's forearms and hands, and PAN's skin
  neither of the face's colour nor far from those clothes is not (its skin bleeding over a collar or a sock's top).
  Everything else of the person that is not face, hair, hat or another person's face is
  clothes, split into upper and lower at the pose's hip line, moved to the garments' own colour edge near it
  (``garment_split``: a jacket's hem below the hips), else by body geometry (hip line from the face, or half
  the height of a standing person seen without a face); clothes around a sure ankle are shoes (``feet_zone``);
- hair from MediaPipe's hair net on a head-and-shoulders crop around each face, or, for people without a face
  the face mesh confirms (seen from behind, turned away, small), around the head the pose net places
  (``pose_head``; none when the pose says the head is not in the photo; PAN's hair without a pose); face from the
  face mesh;
- hat (approximate rule): what is left of the head above the forehead line that is not hair or face, when it lies
  on a brim or rests across the forehead inside the head's dome (segmenters/hair.py crown_rest; what is like the
  person's own hair there is hair).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import ModelManager
from segmenters.hair import (
    crown_rest,
    follow_image,
    grow_hair,
    hair_under_brim,
    off_person,
    side_tufts,
    silhouette_hair,
    snap_to_edges,
    temple_hair,
    unlike_crown,
)
from segmenters.parsing import OFFLINE_HEURISTIC, PARSERS, ParseContext, ParseOutput, Part

ROLE = "clothes"
FULL_SOURCE = "segformer-clothes"
PAN_SOURCE = "pan-skin-clothes (offline)"
HAIR_SOURCE = "mediapipe-hair (offline)"
PAN_HAIR_SOURCE = "pan-hair (offline)"
FACE_SOURCE = "face-mesh (offline)"
HAT_SOURCE = "hair net + face mesh (offline, approximate)"
HAT_CROWN = True  # the head's residue over the forehead is judged (segmenters/hair.py crown_rest); False: all hat
HAIR_CROP = 3.2  # side of the head-and-shoulders crop the hair net sees, in face sizes
PAN_HEAD_CROP = 2.0  # side of the tighter head crop PAN sees for hair, in face sizes
PAN_HEAD_TIGHT = 1.4  # ... and of a second, tighter still, about the head alone (0 = none; pan_head_hair)
TEMPLE_RULE = True  # segmenters.hair.temple_hair (round 23); False: the oval's temples stay face
CROWN_RULE = True  # fuse_hair's crown rule (round 23); False: PAN's veto alone, as before
HAT_PAN_SUPPORT = 0.1  # a hair-net region where PAN's mean hair is below this is a hat, not hair ...
POSE_CROWN = True  # fuse_hair's crown rule on a head the pose placed (no face mesh) ...
POSE_CROWN_ABOVE = 0.0  # ... where "over the face" is over the head keypoints' middle (face box heights) ...
POSE_CROWN_CLIP = True  # ... and only the region's part over that line is kept
CROWN_PIECE = 0.3  # ... unless (fuse_hair's crown rule) it is at least this share of the face (width x height) ...
CROWN_PIECE_ABOVE = 0.9  # ... lies over the face (its median height over the chin this many face heights) ...
CROWN_PIECE_CLOTH = 0.5  # ... and PAN's mean clothes probability over it is under this (PAN calls a hat clothes)
HAIR_SURE = 0.95  # where the MediaPipe hair net is this sure, PAN's clothes do not veto its hair ...
FRINGE_ABOVE = 0.3  # ... and it takes the face mesh's oval above this height (face heights over the chin): a fringe,
# and long hair falling over the cheek, which the oval (fitted to the face's outline) runs under; above the mouth, so a
# moustache or beard is never taken (0.6 until round 15: t1_left's strand over the cheek 0.733 -> 0.749 hair IoU)
HAIR_OVER_CLOTH = 0.8  # above HAIR_OVER_CLOTH_ABOVE face heights over the chin (the nose), where a garment beside
# or over the face can only be a hat, a hood or a high collar, PAN's clothes do not veto the hair net this sure either:
# PAN calls grey hair clothes where the head stands against grey cloth (t1~grey's front woman before a grey shirt: the
# hair net 0.5-0.95 over her crown and the strand on her right, PAN clothes 1.0; hair IoU 0.542 -> 0.710). Hats are
# judged after the fusion (hat_under_clothes, head_rest); below the nose a dark dress or strap the hair net takes for
# hair stays clothes (t1_right: 0.692 -> 0.634 with no height limit)
HAIR_OVER_CLOTH_ABOVE = 0.5
HAIR_LENGTH = True  # segmenters.hair.unlike_crown: hair below the chin unlike the crown's colour is not hair
HAIR_REACH = 0.25  # hair may reach this many face widths outside the person mask (off_person: where the MediaPipe
# hair net says hair)
SIDE_TUFTS = True  # segmenters.hair.side_tufts: small pieces only PAN calls hair beside the face are kept (round 20)
OFF_PERSON = True  # segmenters.hair.off_person: hair off the person mask only where the MediaPipe net says hair
HAIR_SNAP = 4  # work px: the hair grows out to the photo's edges within this (segmenters.hair.snap_to_edges; 0: off)
# ... round 22 (bench/parse_quality.py --hair-only): portraits 0.704 -> 0.711 (messi5 0.865 -> 0.884, grace_hopper 0.358
# -> 0.365, astronaut 0.837 -> 0.838), new 0.781 -> 0.786 (basketball1 +0.008, camera +0.005, t1_back +0.007, t1_left
# +0.004), recoloured 0.684 -> 0.688 (camera~white +0.021, messi5~grey +0.022; astronaut~grey -0.007, astronaut~white
# -0.006); every other label of --no-time unchanged but messi5's skin (+0.001); t1 and the 1 MP timing untouched ...
SNAP_UPSCALED = 1.5  # ... where the photo is under this many times the work copy's width (a bigger photo's masks
# are refined on its own edges when they are upscaled, segmenters/parsing.py _to_full; the hair is not refined twice)
GROUP = 2  # with more people than this, PAN runs once over each group of them (pan_groups) ...
PAN_PASSES = 6  # ... unless they stand in more groups than this: then once over all of them
CLOTHES_LABELS = {
    "background": "",
    "hat": "hat",
    "hair": "hair",
    "sunglasses": "sunglasses",
    "upper-clothes": "upper clothes",
    "skirt": "lower clothes",
    "pants": "lower clothes",
    "dress": "dress",
    "belt": "belt",
    "left-shoe": "shoes",
    "right-shoe": "shoes",
    "face": "face",
    "left-leg": "skin",
    "right-leg": "skin",
    "left-arm": "skin",
    "right-arm": "skin",
    "bag": "bag",
    "scarf": "scarf",
}
SKIN_OPEN_MIN = 100  # skin is cleaned with an opening only on people this tall or taller (work px)
HIP_BELOW_CHIN = 3.5  # face heights (hairline to chin) from the chin down to the hip line
FEET_BELOW_CHIN = 6.5  # a person reaching this far below the chin shows their feet
HAT_DELTA_E = 28.0  # forehead band this far (Lab) from the temple hair and the skin: a hat
HAT_LINE = 0.9  # face heights above the chin: a hair piece above this line may be a hat brim ...
HAT_CLOTH = 0.5  # ... when PAN's clothes probability above it averages this much
HAT_SHARE = 0.8  # share of a piece above the line for it to count as lying above it
SKIN_MAHALANOBIS = 3.0
FACE_EDGE = 0.25  # face heights around the face's oval, above EDGE_ABOVE: the head's edge, not body skin
EDGE_ABOVE = 0.3  # face heights above the chin: below it the band is the jaw's and the neck's (body skin)
EDGE_CLOTH = 0.5  # ... and there, what PAN gives under this much clothes is no clothes either (a parting, a brow)
CHIN_REACH = 0.06  # face heights out of the mesh's oval, under the jaw, searched for the jaw's shadow ...
CHIN_DARK = 3.0  # ... a step of the skin this much darker (Lab L) than the skin at the oval: the face-neck border
JAW_SECTORS = 24  # ... found apart in sectors of directions under the face's centre (7.5 degrees) ...
JAW_POOL = 1  # ... each judged on its own and this many neighbours' pixels (a 22.5 degree window)
JAW_TONE = True  # ... on the pixels of the person's own skin colour only (a dark collar is no shadow)
CLOTH_SURE = 0.5  # along a forearm, where PAN's clothes are under this, the face's skin colour makes skin
GROW = 0.5  # where PAN is unsure (clothes and skin both under this), the face's skin colour makes skin ...
GROW_MIN = 0.3  # ... in pieces at least this share of the face's area (a hand, a forearm; not a fringe)
GARMENT_BAND = (-0.2, 0.5)  # torso lengths around the hip line where clothes go to the nearer garment colour
GARMENT_DE = 15.0  # ... when the two garments' mean colours are at least this far apart (Lab)
GARMENT_SELF = 0.9  # ... and each model claims at least this share of its own sample
FOOT_ABOVE = 0.2  # a shoe: from this many shin lengths above a sure ankle ...
FOOT_REACH = 0.6  # ... to this many from it
UNSURE_SKIN = 0.9  # PAN's skin under this much is skin only where it has the colour of the person's face (skin_like)
SURE_SKIN = 0.8  # a person without a face mesh: their skin colour from the pixels PAN gives this much skin (hands_skin)
SHIN_WIDTH = 0.3  # a shin's skin (shins_skin, above feet_zone): this many shin lengths either side of the line ...
SHIN_DE = 3.0  # ... where the colour is this far (Mahalanobis) from the garment PAN is sure of on that leg
LEG_SAMPLE = (0.25, 0.5)  # bare_legs: the hips' garment is sampled this far down the thigh (hip to knee) ...
LEG_FROM = 0.5  # ... and the leg from this far down the thigh to the ankle is judged against it ...
LEG_DE = 4.0  # ... this far from it (Lab Mahalanobis) is another thing: skin of the person's colour, else footwear
HIPS_BAND = 0.3  # cut_off_shins: lower clothes reaching this many torso lengths past the hip line reach the hips
WARM_HUE = (0.0, 90.0)  # warm_colour: Lab hue angles (degrees) of bare skin ...
WARM_CHROMA = 8.0  # ... with this much chroma at least ...
WARM_LIGHT = 20.0  # ... and this much lightness (L, 0-100)
HAND_CLOTH = 0.9  # around a wrist, the face's skin colour makes skin unless PAN's clothes reach this
ARM_DE = 4.0  # skin colour this far (Lab Mahalanobis) from the clothes PAN is surest of is skin whatever PAN says
WORN_SURE = 0.9  # worn_colour: the clothes PAN gives this much ...
WORN_MIN = 50  # ... on this many px at least
HAND_REACH = 0.6  # a hand reaches this many forearm lengths past the wrist ...
HAND_WIDTH = 0.45  # ... and is this many forearm lengths wide (radius of the capsule around it)
HEAD_KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")  # a head without a face (pose_head) ...
HEAD_POINTS = 2  # ... needs this many of them sure, and a sure shoulder ...
HEAD_POINTS_ALONE = 3  # ... or this many without one (a close-up of a head)
HEAD_EARS = 1.1  # ear to ear, in face widths (facing the camera or away; less turned)
HEAD_SHOULDERS = 2.1  # shoulder to shoulder, in face widths (less turned)
HEAD_NECK = 1.4  # head keypoints' middle to the shoulders' middle, in face widths (less leaning towards the camera)
HEAD_TALL = 1.25  # the face box's height, in face widths (the detector's boxes: 1.16-1.35 on the same 18 people)
HEAD_DROP = 0.1  # the face box's centre lies this many face widths below the head keypoints' middle
HEAD_RADIUS = 0.7  # the head's disk, in face widths: hair grows from it
HEAD_ON_PERSON = 0.15  # as many sure head keypoints must lie on the person mask or this many face widths from it ...
HEAD_IN_PHOTO = 0.5  # ... and at least this share of the head's disk lie in the photo
HEAD_MIN_PX = 8.0  # the hair nets look at no head under this face width (work px): vtest's and darknet_kite's five
# far-away walkers (face widths 4.5-5.8 px) got no hair from them, for 0.17-0.39 s more CPU per parse (round 16)
GRABCUT_ITERS = 4
GRABCUT_SIDE = 160  # GrabCut runs on the head box shrunk to this longer side


@dataclass
class ClothesData:
    person: np.ndarray  # bool, work size: everyone the parser saw
    labels: dict[str, np.ndarray] = field(default_factory=dict)


# -- full backend ----------------------------------------------------------------------------------------


def parse_full(manager: ModelManager, ctx: ParseContext) -> ParseOutput:
    from segmenters.segformer import masks_by_name, segment_labels

    h, w = ctx.shape
    labels, conf, id2label = segment_labels(manager, ROLE, ctx.work, (w, h))
    background = [i for i, n in id2label.items() if n.lower() == "background"]
    person = ~np.isin(labels, background)
    masks = masks_by_name(labels, id2label, CLOTHES_LABELS)
    parts = [Part(label, m, FULL_SOURCE, conf) for label, m in masks.items()]
    return ParseOutput(parts=parts, data=ClothesData(person, masks), source=FULL_SOURCE)


# -- offline heuristic -----------------------------------------------------------------------------------


@dataclass
class Frame:
    """A face's own axes in work pixels: ``up`` from chin to forehead, ``right`` across the face."""

    chin: np.ndarray
    top: np.ndarray  # mesh point 10, near the hairline
    up: np.ndarray
    right: np.ndarray
    fh: float  # hairline to chin
    fw: float  # cheek to cheek
    centre: np.ndarray

    def coords(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(across, above_chin) for every pixel, in face widths / face heights."""
        h, w = shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        dx, dy = xs - self.centre[0], ys - self.centre[1]
        across = (dx * self.right[0] + dy * self.right[1]) / self.fw
        cx, cy = xs - self.chin[0], ys - self.chin[1]
        above = (cx * self.up[0] + cy * self.up[1]) / self.fh
        return across, above


def face_frame(pts: np.ndarray) -> Frame:
    chin, top = pts[152].astype(np.float32), pts[10].astype(np.float32)
    up = top - chin
    fh = float(np.linalg.norm(up)) or 1.0
    up = up / fh
    right = np.array([-up[1], up[0]], np.float32)  # image-right for an upright face
    fw = float(np.linalg.norm(pts[454] - pts[234])) or fh * 0.8
    return Frame(chin, top, up, right, fh, fw, (pts[234] + pts[454]) / 2)


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32) * np.array([100 / 255, 1, 1], np.float32) - np.array(
        [0, 128, 128], np.float32
    )


def _median(lab: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    return np.median(lab[mask], axis=0) if mask.sum() >= 12 else None


def skin_model(
    lab: np.ndarray, face: np.ndarray, features: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(mean ab, inverse covariance ab, L mean, L std) from the face pixels minus eyes, brows, lips."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    inner = cv2.erode(face.astype(np.uint8), k).astype(bool) & ~cv2.dilate(features.astype(np.uint8), k).astype(bool)
    px = lab[inner]
    if len(px) < 30:
        return None
    ab = px[:, 1:]
    mean = ab.mean(0)
    cov = np.cov(ab.T) + np.eye(2) * 4.0
    return mean, np.linalg.inv(cov), float(px[:, 0].mean()), float(px[:, 0].std())


def skin_like(lab: np.ndarray, model) -> np.ndarray:
    mean, icov, lmean, lstd = model
    d = lab[..., 1:] - mean
    m2 = np.einsum("...i,ij,...j->...", d, icov, d)
    light = np.abs(lab[..., 0] - lmean) < 3 * lstd + 15
    return (m2 < SKIN_MAHALANOBIS**2) & light


def grabcut(rgb: np.ndarray, seed: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """GrabCut initialised with ``seed`` (cv2.GC_* values) inside ``box`` (x0, y0, x1, y1); bool mask."""
    x0, y0, x1, y1 = box
    sub = np.ascontiguousarray(seed[y0:y1, x0:x1]).copy()
    img = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    fgd = (sub == cv2.GC_FGD) | (sub == cv2.GC_PR_FGD)
    bgd = (sub == cv2.GC_BGD) | (sub == cv2.GC_PR_BGD)
    out = np.zeros(seed.shape, bool)
    if fgd.sum() < 8 or bgd.sum() < 8:
        out[y0:y1, x0:x1] = fgd
        return out
    bh, bw = sub.shape
    k = min(1.0, GRABCUT_SIDE / max(bh, bw))  # GrabCut's cost grows with the area: run it small
    if k < 1.0:
        size = (max(1, round(bw * k)), max(1, round(bh * k)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        sub = cv2.resize(sub, size, interpolation=cv2.INTER_NEAREST)
    try:
        cv2.setRNGSeed(0)  # GrabCut's GMM init draws from OpenCV's per-thread RNG: same input, same mask
        cv2.grabCut(img, sub, None, np.zeros((1, 65)), np.zeros((1, 65)), GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        pass
    fg = ((sub == cv2.GC_FGD) | (sub == cv2.GC_PR_FGD)).astype(np.float32)
    if k < 1.0:
        fg = cv2.resize(fg, (bw, bh), interpolation=cv2.INTER_LINEAR)
    out[y0:y1, x0:x1] = fg >= 0.5
    return out


def _open(mask: np.ndarray, size: int = 3) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)


def _drop_small(mask: np.ndarray, min_area: float, keep_near: np.ndarray | None = None) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] >= min_area:
            keep[i] = True
        elif keep_near is not None and (keep_near & (labels == i)).any():
            keep[i] = True
    return keep[labels]


def parse_person(
    rgb: np.ndarray,
    lab: np.ndarray,
    person: np.ndarray,
    pts: np.ndarray | None,
    face_region: np.ndarray | None,
    features: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Offline labels for one person (work size). Without a face mesh: everything is upper clothes."""
    h, w = person.shape
    out: dict[str, np.ndarray] = {}
    if pts is None or face_region is None:
        out["upper clothes"] = person.copy()
        return out
    fr = face_frame(pts)
    across, above = fr.coords((h, w))
    face = face_region & person if (face_region & person).sum() > 0.5 * face_region.sum() else face_region
    out["face"] = face
    rest = person & ~face

    # seeds: the band above the forehead, the strips beside the cheeks (below the eyes: no glasses arms, no brim)
    near_face = cv2.dilate(
        face.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, int(fr.fw * 0.12)) | 1,) * 2)
    ).astype(bool)
    crown = rest & (np.abs(across) < 0.22) & (above > 1.04) & (above < 1.22)
    temples = rest & ~near_face & (np.abs(across) > 0.45) & (np.abs(across) < 1.0) & (above > 0.12) & (above < 0.5)
    skin = skin_model(lab, face, features if features is not None else np.zeros_like(face))
    if skin is not None:
        temples &= ~skin_like(lab, skin)  # ears and cheeks are not hair
    c_med, t_med = _median(lab, crown), _median(lab, temples)
    skin_lab = np.array([skin[2], *skin[0]]) if skin is not None else None

    def far(a, b, limit=HAT_DELTA_E):
        return a is not None and b is not None and float(np.linalg.norm(a - b)) > limit

    head = rest & (np.abs(across) < 1.25) & (above > -0.35)
    if head.any():
        ys, xs = np.nonzero(head)
        pad = 4
        box = (max(0, xs.min() - pad), max(0, ys.min() - pad), min(w, xs.max() + pad + 1), min(h, ys.max() + pad + 1))
    else:
        box = (0, 0, w, h)
    hat = np.zeros((h, w), bool)
    # a hat: the forehead band is unlike skin and unlike the hair beside the temples; with too few temple
    # pixels to judge (short hair, a tight person mask), only when it is very unlike skin (dark hair looks so too)
    enough = t_med is not None and temples.sum() >= 40
    has_hat = (
        c_med is not None
        and (skin_lab is None or far(c_med, skin_lab, 20.0))
        and (far(c_med, t_med) if enough else (skin_lab is not None and far(c_med, skin_lab, 45.0)))
    )
    if has_hat:
        seed = np.full((h, w), cv2.GC_BGD, np.uint8)
        seed[head & (above > 0.9)] = cv2.GC_PR_FGD
        seed[head & (above <= 0.9)] = cv2.GC_PR_BGD
        seed[crown] = cv2.GC_FGD
        seed[head & (np.abs(across) < 0.15) & (above > 1.0)] = cv2.GC_FGD  # the column above the forehead
        seed[temples | face] = cv2.GC_BGD
        # above the forehead line the head holds only hat (or hair under it): all of it is hat
        hat = (grabcut(rgb, seed, box) | (above > 1.0)) & head & (above > 0.75)
        hat = _drop_small(_open(hat), 0.05 * fr.fw * fr.fh, keep_near=crown)
        out["hat"] = hat
    # hair
    seed = np.full((h, w), cv2.GC_BGD, np.uint8)
    hair_zone = head & ~hat & (above > -0.3)
    seed[hair_zone] = cv2.GC_PR_BGD
    seed[hair_zone & (above > 0.4) & (np.abs(across) < 1.0)] = cv2.GC_PR_FGD
    hair_seeds = temples | (crown if not has_hat else np.zeros_like(crown))
    seed[hair_seeds] = cv2.GC_FGD
    seed[face | hat] = cv2.GC_BGD
    hair = grabcut(rgb, seed, box) & hair_zone if hair_seeds.sum() >= 8 else np.zeros((h, w), bool)
    hair = _drop_small(_open(hair), 0.03 * fr.fw * fr.fh, keep_near=hair_seeds)
    out["hair"] = hair

    # the thin band between the mesh's oval and the hair / hat line goes to the hair (or to the face)
    band = rest & ~hat & ~hair & near_face & (above > 0.75)
    if hair.any():
        hair |= band
    else:
        face = face | band
        out["face"] = face
    out["hair"] = hair
    body = rest & ~hat & ~hair & ~face
    if skin is not None:
        sk = skin_like(lab, skin) & body
        sk = _drop_small(_open(sk, 5), 0.02 * fr.fw * fr.fh)
        out["skin"] = sk
        body &= ~sk
    clothes = _drop_small(_open(body), 0.02 * fr.fw * fr.fh)
    out["upper clothes"] = clothes & (above > -HIP_BELOW_CHIN)
    lower = clothes & (above <= -HIP_BELOW_CHIN)
    feet_visible = (person[-2:].sum() < 0.02 * fr.fw) and (above[person].min() < -FEET_BELOW_CHIN)
    if feet_visible:
        bottom = above[person].min()
        out["shoes"] = person & (above < bottom + 0.35) & ~out.get("skin", np.zeros_like(person))
        lower &= ~out["shoes"]
    out["lower clothes"] = lower
    return out


def _pose(ctx: ParseContext, P: np.ndarray, roi: tuple[int, int, int, int]):
    """The pose (segmenters/pose.py) of the person ``P`` (mask over ``roi``), keypoints in ``roi``'s work pixels,
    from a crop of the full-resolution photo; None without the pose net."""
    from segmenters import pose as pose_net

    if not pose_net.available() or not P.any():
        return None
    ys, xs = np.nonzero(P)
    s = 1.0 / ctx.scale
    box = (xs.min() * s, ys.min() * s, (xs.max() + 1) * s, (ys.max() + 1) * s)
    box = (box[0] + roi[0] * s, box[1] + roi[1] * s, box[2] + roi[0] * s, box[3] + roi[1] * s)
    found = pose_net.person_pose(ctx.photo.pixels, box)
    if found is None:
        return None
    return pose_net.Pose(found.xy * ctx.scale - np.array(roi[:2], np.float32), found.score)


@dataclass(frozen=True)
class Head:
    """A head the pose net placed on a person without a detected face (seen from behind, turned away, small): the
    face box it stands in for (``box``, XYXY work px, what :func:`head_crop` and :func:`hair_map` read of a face)
    and the disk of the head itself (``middle``: the head keypoints' middle, ``radius``), from which hair grows."""

    box: tuple[float, float, float, float]
    middle: tuple[float, float]
    radius: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    def above(self, shape: tuple[int, int], offset: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Each pixel's height over the head keypoints' middle (eyes and ears), in face box heights, the photo's up
        taken as the head's (``shape``, ``offset`` as in :func:`disk`)."""
        rows = np.arange(shape[0], dtype=np.float32)[:, None] + offset[1]
        return np.broadcast_to((self.middle[1] - rows) / self.height, shape)

    def disk(self, shape: tuple[int, int], offset: tuple[int, int] = (0, 0)) -> np.ndarray:
        """The head's disk (bool ``shape``, whose pixel 0, 0 is work pixel ``offset``)."""
        out = np.zeros(shape, np.uint8)
        cx, cy = self.middle[0] - offset[0], self.middle[1] - offset[1]
        cv2.circle(out, (int(round(cx)), int(round(cy))), max(1, int(round(self.radius))), 1, -1)
        return out.astype(bool)


def pose_head(pose, person: np.ndarray, min_px: float = 2.0) -> Head | None:
    """The head of a person without a detected face, from their ``pose`` (keypoints in work pixels; ``person``: their
    bool mask, work size); None when the pose does not place one in the photo, or one under ``min_px`` wide.

    Its centre is the middle of the sure head keypoints (nose, eyes, ears: seen from behind the net still finds the
    ears). Its face width is the largest of three estimates, each of which shrinks when the person turns or leans
    (measured on the 18 people with a detected face of the portraits, t1, basketball1, ultralytics_bus, scenetext01:
    ear to ear 1.0-1.16 face widths facing the camera, shoulder to shoulder 1.65-2.3, head to shoulders' middle
    0.7-1.95): the span of the sure head keypoints over ``HEAD_EARS``, the shoulders' width over ``HEAD_SHOULDERS``,
    the head's height over the shoulders' middle over ``HEAD_NECK``. Without two sure head keypoints (``HEAD_POINTS``)
    and a sure shoulder, or three without one (``HEAD_POINTS_ALONE``), there is no head; nor when fewer of those
    keypoints lie on the person mask (within ``HEAD_ON_PERSON`` face widths of it) or under ``HEAD_IN_PHOTO`` of the
    head's disk lies in the photo: a person whose head is cut off by the photo's top or hidden behind something (the
    pose net still guesses keypoints there, beyond the person's outline: scenetext01's man on the left)."""
    from segmenters.pose import MIN_SCORE, NAMES

    sure = [pose.xy[NAMES.index(n)] for n in HEAD_KEYPOINTS if pose.score[NAMES.index(n)] >= MIN_SCORE]
    shoulder = pose.mid("left_shoulder", "right_shoulder")
    if len(sure) < (HEAD_POINTS if shoulder is not None else HEAD_POINTS_ALONE):
        return None
    centre = np.mean(sure, axis=0)
    pts = np.array(sure, np.float32)
    span = float(np.max(np.linalg.norm(pts[:, None] - pts[None], axis=-1)))  # ear to ear facing the camera or away
    sizes = [span / HEAD_EARS]
    if shoulder is not None:
        sizes.append(float(np.linalg.norm(centre - shoulder)) / HEAD_NECK)
    ls, rs = pose.point("left_shoulder"), pose.point("right_shoulder")
    if ls is not None and rs is not None:
        sizes.append(float(np.linalg.norm(ls - rs)) / HEAD_SHOULDERS)
    fw = max(sizes)
    if fw < min_px:
        return None
    cx, cy = float(centre[0]), float(centre[1])
    half = HEAD_TALL * fw / 2
    head = Head(
        (cx - fw / 2, cy + HEAD_DROP * fw - half, cx + fw / 2, cy + HEAD_DROP * fw + half), (cx, cy), HEAD_RADIUS * fw
    )
    if head.disk(person.shape).sum() < HEAD_IN_PHOTO * np.pi * head.radius**2:
        return None
    k = max(3, int(2 * HEAD_ON_PERSON * fw) | 1)
    near = cv2.dilate(person.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    h, w = person.shape
    on = sum(1 for x, y in pts if 0 <= int(y) < h and 0 <= int(x) < w and near[int(y), int(x)])
    if on < (HEAD_POINTS if shoulder is not None else HEAD_POINTS_ALONE):
        return None
    return head


def _capsule(shape: tuple[int, int], a: np.ndarray, b: np.ndarray, radius: float) -> np.ndarray:
    """Pixels within ``radius`` of the segment a-b (x, y)."""
    m = np.zeros(shape, np.uint8)
    cv2.line(m, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 1, max(1, int(2 * radius)))
    cv2.circle(m, (int(b[0]), int(b[1])), max(1, int(radius)), 1, -1)
    return m.astype(bool)


def hands_skin(lab: np.ndarray, own, cloth_p: np.ndarray, pose, shape: tuple[int, int], garment=None) -> np.ndarray:
    """Skin of the hands and forearms from the pose: around each sure wrist (``HAND_REACH`` forearm lengths past
    it, as wide as ``HAND_WIDTH`` of one) every pixel of the person's own skin colour (``own``, from their face) is
    skin unless PAN is all but certain of clothes (``HAND_CLOTH``: a skin-coloured sleeve or glove; on a group crop
    PAN calls many hands clothes, less surely); along the forearm (elbow to wrist), where PAN is not sure of
    clothes (under ``CLOTH_SURE``: a sleeve stays clothes). ``garment``: a Lab Gaussian of the clothes PAN is surest
    of on the person (:func:`worn_colour`); a pixel of the skin colour this far from it (Mahalanobis over
    ``ARM_DE``) is skin whatever PAN says (a bare forearm held in front of a plain top, which PAN calls the top:
    scenetext01's woman's forearm before her red jacket)."""
    out = np.zeros(shape, bool)
    colour = skin_like(lab, own)
    if garment is not None:
        colour_off = colour & (_mahalanobis(lab, garment) > ARM_DE**2)
    else:
        colour_off = np.zeros(shape, bool)
    for side in ("left", "right"):
        elbow, wrist = pose.point(f"{side}_elbow"), pose.point(f"{side}_wrist")
        if elbow is None or wrist is None:
            continue
        arm = wrist - elbow
        length = float(np.linalg.norm(arm))
        if length < 2:
            continue
        tip = wrist + arm * HAND_REACH
        hand = _capsule(shape, wrist, tip, HAND_WIDTH * length)
        fore = _capsule(shape, elbow, wrist, 0.5 * HAND_WIDTH * length)
        out |= colour & ((hand & (cloth_p < HAND_CLOTH)) | (fore & (cloth_p < CLOTH_SURE)))
        out |= colour_off & (hand | fore)
    return out


def worn_colour(lab: np.ndarray, body: np.ndarray, cloth_p: np.ndarray):
    """A Lab Gaussian of the clothes PAN is surest of on ``body`` (over ``WORN_SURE``; None under ``WORN_MIN`` px)."""
    px = lab[body & (cloth_p > WORN_SURE)]
    return _gauss(px) if len(px) >= WORN_MIN else None


def shins_skin(lab: np.ndarray, cloth_p: np.ndarray, pose, body: np.ndarray) -> np.ndarray:
    """Bare shins from the pose: along each sure shin (knee to ankle, ``SHIN_WIDTH`` of its length wide), the person's
    pixels PAN is not sure are clothes (under ``CLOTH_SURE``) and whose colour is unlike the garment over that leg (Lab
    Mahalanobis over ``SHIN_DE`` from PAN's sure clothes on the thigh and the shin) are skin. PAN calls small bare legs
    background (darknet_kite's walkers), and they have no face whose colour could make them skin; a leg without sure
    clothes on it (nothing to tell skin from) is left as it was. The caller leaves out the feet (``feet_zone``): a boot
    is as unlike the trousers and PAN calls it background as well (darknet_person's boots: 104 px of skin with them)."""
    out = np.zeros(body.shape, bool)
    for side in ("left", "right"):
        hip, knee, ankle = (pose.point(f"{side}_{k}") for k in ("hip", "knee", "ankle"))
        if knee is None or ankle is None:
            continue
        shin = ankle - knee
        length = float(np.linalg.norm(shin))
        if length < 3:
            continue
        r = SHIN_WIDTH * length
        leg = _capsule(body.shape, knee, ankle, r)
        cloth = leg | (_capsule(body.shape, hip, knee, r) if hip is not None else leg)
        px = lab[cloth & body & (cloth_p > 1 - CLOTH_SURE / 2)]
        if len(px) < 30:
            continue
        far = _mahalanobis(lab, _gauss(px)) > SHIN_DE**2
        out |= leg & body & (cloth_p < CLOTH_SURE) & far
    return out


def warm_colour(lab: np.ndarray) -> np.ndarray:
    """Pixels of a colour bare skin can have (any complexion, in the light and in shadow): a warm hue (Lab hue angle
    ``WARM_HUE`` degrees), some chroma (``WARM_CHROMA``) and not black (``WARM_LIGHT``). For a person without a face
    whose own skin colour could be learnt; blue, green, grey, white and black cloth are not warm."""
    a, b = lab[..., 1], lab[..., 2]
    hue = np.degrees(np.arctan2(b, a))
    return (hue >= WARM_HUE[0]) & (hue <= WARM_HUE[1]) & (np.hypot(a, b) >= WARM_CHROMA) & (lab[..., 0] >= WARM_LIGHT)


def bare_legs(lab: np.ndarray, body: np.ndarray, cloth_p: np.ndarray, pose, own) -> tuple[np.ndarray, np.ndarray]:
    """(skin, footwear) below the knees and on the lower thighs, told from the garment worn at the hips: along each
    leg the pose is sure of (hip and knee), the garment's colour is learnt just under the hip (``LEG_SAMPLE``, as
    fractions of hip to knee; a Lab Gaussian), and the leg's pixels from ``LEG_FROM`` of the thigh down to the ankle
    (or as far again below the knee) that are far from it (Mahalanobis over ``LEG_DE``) are not that garment: skin
    where they have the person's own skin colour (``own``; a person without one: a warm colour, :func:`warm_colour`)
    and PAN is not sure of clothes (``CLOTH_SURE``), footwear where not (socks, a boot's shaft: below the knee, in pieces that
    reach the shin's lower half). Shorts and a skirt end above bare legs PAN calls background (darknet_kite's walkers seen
    from behind: their calves were lower clothes); socks and boots are not the trousers (messi5, darknet_person)."""
    skin = np.zeros(body.shape, bool)
    feet = np.zeros(body.shape, bool)
    colour = skin_like(lab, own) if own is not None else warm_colour(lab)
    for side in ("left", "right"):
        hip, knee, ankle = (pose.point(f"{side}_{k}") for k in ("hip", "knee", "ankle"))
        if knee is None and hip is not None and ankle is not None:  # a knee the pose is unsure of: halfway
            knee = (hip + ankle) / 2
        if hip is None or knee is None:
            continue
        thigh = knee - hip
        length = float(np.linalg.norm(thigh))
        if length < 3:
            continue
        r = SHIN_WIDTH * length
        lo, hi = LEG_SAMPLE
        px = lab[body & _capsule(body.shape, hip + lo * thigh, hip + hi * thigh, r)][:, 1:]
        if len(px) < 20:
            continue
        foot = ankle if ankle is not None else knee + thigh
        leg = body & _capsule(body.shape, hip + LEG_FROM * thigh, knee, r) | body & _capsule(body.shape, knee, foot, r)
        far = leg & (_mahalanobis(lab[..., 1:], _gauss(px)) > LEG_DE**2)  # a, b: the fold's shading is no other thing
        skin |= far & colour & (cloth_p < CLOTH_SURE)
        if ankle is not None:
            rest = far & ~colour
            low = _capsule(body.shape, (knee + ankle) / 2, ankle, r)  # the shin's lower half
            feet |= _touching(rest & _capsule(body.shape, knee, ankle, r), low)
    return skin, feet


def cut_off_shins(lower: np.ndarray, t: np.ndarray, pose) -> np.ndarray:
    """Pieces of ``lower`` (lower clothes) that do not reach the hips (``t``, :func:`torso_axis`: under ``HIPS_BAND``
    torso lengths past the hip line) and lie mostly (over half) along a shin the pose is sure of (knee to ankle,
    ``SHIN_WIDTH`` of its length wide): socks and boots the bare knees part from the shorts (messi5's socks), footwear."""
    shins = np.zeros(lower.shape, bool)
    for side in ("left", "right"):
        knee, ankle = pose.point(f"{side}_knee"), pose.point(f"{side}_ankle")
        if knee is not None and ankle is not None and float(np.linalg.norm(ankle - knee)) >= 3:
            shins |= _capsule(lower.shape, knee, ankle, SHIN_WIDTH * float(np.linalg.norm(ankle - knee)))
    if not shins.any():
        return np.zeros(lower.shape, bool)
    n, labels = cv2.connectedComponents(lower.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(lower.shape, bool)
    size = np.bincount(labels.ravel(), minlength=n)
    on_shin = np.bincount(labels[shins], minlength=n)
    hips = np.zeros(n, bool)
    hips[np.unique(labels[lower & (t < HIPS_BAND)])] = True
    cut = (~hips) & (on_shin > 0.5 * size)
    cut[0] = False
    return cut[labels]


def head_edge(face: np.ndarray, above: np.ndarray, fh: float) -> np.ndarray:
    """The band ``FACE_EDGE`` face heights wide around the face mesh's oval, higher than ``EDGE_ABOVE`` face heights
    over the chin (``above``): where PAN's "skin" is the face's own border, the ears or grey hair beside them (the
    oval runs inside the jaw and the temples), not the body's skin, and where what PAN is unsure is clothes is a
    hair parting or a brow, not clothes. Left to no label: the face and the hair parsers own the head."""
    k = max(3, int(FACE_EDGE * fh)) | 1
    ring = cv2.dilate(face.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    return ring & (above > EDGE_ABOVE)


def jaw_shadow(lab: np.ndarray, skin: np.ndarray, face: np.ndarray, above: np.ndarray, frame) -> np.ndarray:
    """The face's lower rim that the face mesh's oval leaves out: the mesh's jaw landmarks lie on the jaw's front,
    a little inside its edge (most on a full or an old face: the jowls, the chin's underside), and the band between is
    face to the eye and in the hand labels, not the neck's skin. The edge is the shadow the jaw casts on the neck:
    under the oval's lower part (below ``EDGE_ABOVE``), in each of ``JAW_SECTORS`` sectors of directions about the
    face's centre, the lightness of ``skin`` (Lab L) by distance from the oval (whole pixels, up to ``CHIN_REACH``
    face heights; the sector and ``JAW_POOL`` neighbours either side) is read, and where its darkest step is
    ``CHIN_DARK`` darker than the skin at the oval, the sector's skin out to that step is the face's. A sector whose
    skin only grows lighter (a lit neck, a chin with no shadow under it) keeps the oval."""
    out = np.zeros(face.shape, bool)
    reach = max(3, int(CHIN_REACH * frame.fh))
    dist = cv2.distanceTransform((~face).astype(np.uint8), cv2.DIST_L2, 5)
    band = skin & ~face & (dist <= reach) & (above <= EDGE_ABOVE)
    if band.sum() < 3 * reach:
        return out
    ys, xs = np.nonzero(band)
    dx, dy = xs - frame.centre[0], ys - frame.centre[1]
    down = -(dx * frame.up[0] + dy * frame.up[1])
    side = dx * frame.right[0] + dy * frame.right[1]
    sector = np.clip(((np.arctan2(side, down) + np.pi / 2) / np.pi * JAW_SECTORS).astype(int), 0, JAW_SECTORS - 1)
    step = np.clip(dist[ys, xs].astype(int), 0, reach - 1)
    light = lab[ys, xs, 0]
    for k in range(JAW_SECTORS):
        sel = sector == k
        pool = np.abs(sector - k) <= JAW_POOL
        if sel.sum() < 2 * reach // 3:
            continue
        count = np.bincount(step[pool], minlength=reach)
        prof = np.bincount(step[pool], light[pool], minlength=reach) / np.maximum(count, 1)
        ok = count >= 2
        if not ok[:2].any():
            continue
        prof = np.where(ok, prof, np.inf)
        low = int(np.argmin(prof))
        if low > 0 and prof[:2][ok[:2]].mean() - prof[low] >= CHIN_DARK:
            out[ys[sel & (step <= low)], xs[sel & (step <= low)]] = True
    return out


def torso_axis(pose, shape: tuple[int, int], up: np.ndarray | None) -> tuple[np.ndarray, float] | None:
    """(t, length): for every pixel its signed distance past the hip line (the line through the hips, their middle
    when both are sure, square to the torso: shoulders' middle to hips' middle, the face's ``up`` without
    shoulders), in torso lengths (shoulders to hips; 0 without shoulders: t is then in pixels); None without a
    sure hip."""
    hip = pose.mid("left_hip", "right_hip")
    if hip is None:
        return None
    shoulder = pose.mid("left_shoulder", "right_shoulder")
    length = float(np.linalg.norm(hip - shoulder)) if shoulder is not None else 0.0
    if length > 2:
        down = (hip - shoulder) / length
    elif up is not None:
        down, length = -np.asarray(up, np.float32), 0.0
    else:
        down, length = np.array([0.0, 1.0], np.float32), 0.0
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xs - hip[0]) * down[0] + (ys - hip[1]) * down[1]
    return (t / length if length > 2 else t), length


def hip_split(pose, shape: tuple[int, int], up: np.ndarray | None) -> np.ndarray | None:
    """Pixels below the hip line (lower body) from the pose (see :func:`torso_axis`); None without a sure hip."""
    axis = torso_axis(pose, shape, up)
    return None if axis is None else axis[0] > 0


def feet_zone(pose, shape: tuple[int, int]) -> np.ndarray:
    """The feet from the pose: around each sure ankle whose knee is sure, the pixels past ``FOOT_ABOVE`` shin
    lengths above the ankle (along knee to ankle) and within ``FOOT_REACH`` shin lengths of it (a shoe, a
    boot's foot)."""
    out = np.zeros(shape, bool)
    h, w = shape
    ys = xs = None
    for side in ("left", "right"):
        knee, ankle = pose.point(f"{side}_knee"), pose.point(f"{side}_ankle")
        if knee is None or ankle is None:
            continue
        shin = ankle - knee
        length = float(np.linalg.norm(shin))
        if length < 2:
            continue
        if ys is None:
            ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        dx, dy = xs - ankle[0], ys - ankle[1]
        along = (dx * shin[0] + dy * shin[1]) / length
        out |= (along > -FOOT_ABOVE * length) & (dx * dx + dy * dy < (FOOT_REACH * length) ** 2)
    return out


def _gauss(px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return px.mean(0), np.linalg.inv(np.cov(px.T) + np.eye(px.shape[1]) * 4.0)


def _mahalanobis(lab: np.ndarray, model: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    d = lab - model[0]
    return np.einsum("...i,ij,...j->...", d, model[1], d)


def garment_split(lab: np.ndarray, clothes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Lower clothes among ``clothes``, given ``t`` (:func:`torso_axis`, torso lengths past the hip line). A
    jacket's hem hangs below the hips and trousers rise above them, so near the line (``GARMENT_BAND``) each
    pixel goes to the garment whose colour it is closer to: the upper one sampled on the torso above the band,
    the lower one on the thighs below it (Lab Gaussians). Where either sample is small or the two garments are
    alike in colour (``GARMENT_DE``), or the two colour models do not tell their own samples apart
    (``GARMENT_SELF``: a striped shirt, a shadow), the hip line itself parts them."""
    lo, hi = GARMENT_BAND
    below = clothes & (t > 0)
    up_px = lab[clothes & (t > lo - 0.4) & (t <= lo)]
    low_px = lab[clothes & (t >= hi) & (t < hi + 0.4)]
    if len(up_px) < 30 or len(low_px) < 30:
        return below
    upper_m, lower_m = _gauss(up_px), _gauss(low_px)
    if float(np.linalg.norm(upper_m[0] - lower_m[0])) < GARMENT_DE:
        return below
    # the two models must tell their own samples apart (striped shirts, shadows: they do not)
    own_up = float((_mahalanobis(up_px, upper_m) < _mahalanobis(up_px, lower_m)).mean())
    own_low = float((_mahalanobis(low_px, lower_m) < _mahalanobis(low_px, upper_m)).mean())
    if min(own_up, own_low) < GARMENT_SELF:
        return below
    band = clothes & (t > lo) & (t < hi)
    nearer_lower = _mahalanobis(lab, lower_m) < _mahalanobis(lab, upper_m)
    out = (below & ~band) | (band & nearer_lower)
    return _drop_small(_open(out, 3), 0.2 * out.sum(), keep_near=below & ~band) & clothes


def _square_crop(pixels: np.ndarray, cx: float, cy: float, side: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A square crop of ``pixels`` centred at (cx, cy) (replicated border outside); and its box x0, y0, x1, y1."""
    H, W = pixels.shape[:2]
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x1, y1 = x0 + max(1, int(round(side))), y0 + max(1, int(round(side)))
    crop = pixels[max(0, y0) : min(H, y1), max(0, x0) : min(W, x1)]
    crop = cv2.copyMakeBorder(crop, max(0, -y0), max(0, y1 - H), max(0, -x0), max(0, x1 - W), cv2.BORDER_REPLICATE)
    return crop, (x0, y0, x1, y1)


def _paste_max(target: np.ndarray, values: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """``target[box] = max(target[box], values)`` with the box clipped to ``target``."""
    h, w = target.shape
    x0, y0, x1, y1 = box
    sx0, sy0, sx1, sy1 = max(0, -x0), max(0, -y0), min(x1 - x0, w - x0), min(y1 - y0, h - y0)
    if sx1 > sx0 and sy1 > sy0:
        region = target[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
        np.maximum(region, values[sy0:sy1, sx0:sx1], out=region)


def head_crop(ctx: ParseContext, face, k: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A square crop of the full-resolution photo ``k`` face sizes wide around ``face`` (work px, centred a
    little below the face's centre), and its box in work pixels."""
    s = 1.0 / ctx.scale
    side = k * max(face.width, face.height)
    cx, cy = face.centre[0], face.centre[1] + 0.1 * face.height
    crop, _ = _square_crop(ctx.photo.pixels, cx * s, cy * s, side * s)
    _, box = _square_crop(ctx.work, cx, cy, side)
    return crop, box


def pan_head_hair(ctx: ParseContext, faces: list) -> list[np.ndarray]:
    """PAN's hair probability on a tight crop (``PAN_HEAD_CROP`` face sizes) around each face, at the crop's
    work size. PAN sees light and grey hair that the MediaPipe net misses, but only when the head fills its
    input: on a person-sized crop thin grey strands beside the face vanish. Several heads share one PAN
    pass: a 2x2 mosaic of 256 px crops for up to four, 3x3 of 170 px beyond (t1's six heads: one pass, hair
    IoU 0.744 vs 0.743 with two 2x2 passes), so a group costs about one pass, not one per face.

    Each head is seen a second time on a crop ``PAN_HEAD_TIGHT`` face sizes wide (about the head alone), in a pass
    (or mosaic) of its own, and each pixel takes the larger of the two answers. Round 14 (h14hair): grey hair is
    lost because both nets call it something else (Grace Hopper's labelled hair beside her cap: the MediaPipe net's
    median probability 0.04, PAN's hair 0.01, PAN's skin 1.0: PAN takes grey hair for skin), and PAN's hair there
    grows as the head fills more of its input (share of her labelled hair over 0.5: 0.09 on a 3.2 face sizes
    crop, 0.25 on 2.0, 0.36 on 1.6). The tighter view alone loses long hair that runs out of it (a 1.5 crop in
    place of 2.0: messi5 0.865 -> 0.702, basketball1 0.697 -> 0.078), hence both. Measured on the portrait sets
    (bench/parse_quality.py --hair-only): grace_hopper 0.206 -> 0.270, t1~grey 0.670 -> 0.676, t1~white 0.481 ->
    0.490, the 14 other heads within 0.001. In a mosaic of two the tighter view lost its gain (256 px tiles:
    grace_hopper 0.204), so it costs one more PAN pass (one per nine heads in a group)."""
    wide = [head_crop(ctx, f, PAN_HEAD_CROP) for f in faces]
    out = _pan_heads(wide)
    if PAN_HEAD_TIGHT:
        tight = [head_crop(ctx, f, PAN_HEAD_TIGHT) for f in faces]
        for m, (_, wb), (_, tb), tm in zip(out, wide, tight, _pan_heads(tight)):
            _paste_max(m, tm, (tb[0] - wb[0], tb[1] - wb[1], tb[2] - wb[0], tb[3] - wb[1]))
    return out


def _pan_heads(crops: list) -> list[np.ndarray]:
    """PAN's hair probability for each (crop, box) of ``crops`` at its box's size: one pass for one crop, mosaics
    of several (:func:`pan_head_hair`)."""
    from segmenters.nets import pan_probabilities

    out: list[np.ndarray] = []
    if len(crops) == 1:
        crop, box = crops[0]
        bw = box[2] - box[0]
        return [pan_probabilities(crop, (bw, bw))[2]]
    grid = 2 if len(crops) <= 4 else 3
    tile = 512 // grid
    for i in range(0, len(crops), grid * grid):
        batch = crops[i : i + grid * grid]
        mosaic = np.zeros((grid * tile, grid * tile, 3), np.uint8)
        for j, (crop, _) in enumerate(batch):
            r, c = divmod(j, grid)
            mosaic[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = cv2.resize(
                crop, (tile, tile), interpolation=cv2.INTER_AREA
            )
        hair = pan_probabilities(mosaic)[2]
        for j, (_, box) in enumerate(batch):
            r, c = divmod(j, grid)
            bw = box[2] - box[0]
            out.append(
                cv2.resize(
                    hair[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile], (bw, bw), interpolation=cv2.INTER_LINEAR
                )
            )
    return out


def hair_map(ctx: ParseContext, face, roi: tuple[int, int, int, int], pan_head: np.ndarray | None = None) -> np.ndarray:
    """(2, h, w) hair probabilities over ``roi`` (x0, y0, x1, y1 work px): [0] from MediaPipe's hair net on a
    head-and-shoulders crop (``HAIR_CROP`` face sizes) around ``face`` (work px), taken from the
    full-resolution photo; [1] PAN's hair on a tighter head crop (``pan_head``, from :func:`pan_head_hair`;
    zeros without it)."""
    from segmenters.nets import hair_probability

    x0, y0, x1, y1 = roi
    out = np.zeros((2, y1 - y0, x1 - x0), np.float32)
    crop, box = head_crop(ctx, face, HAIR_CROP)
    bw = box[2] - box[0]
    _paste_max(out[0], hair_probability(crop, (bw, bw)), (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0))
    if pan_head is not None:
        _, box = head_crop(ctx, face, PAN_HEAD_CROP)
        _paste_max(out[1], pan_head, (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0))
    return out


def fuse_hair(
    mp: np.ndarray,
    pan: np.ndarray,
    allowed: np.ndarray,
    side_ring: np.ndarray,
    crown: tuple[np.ndarray, np.ndarray, float] | None = None,
    over: float = CROWN_PIECE_ABOVE,
    clip: bool = False,
) -> np.ndarray:
    """Hair from the two nets' probabilities (same shape), within ``allowed``.

    Each net has a known blind spot, so each region is judged on what both say:
    - a region the MediaPipe net calls hair is hair unless PAN gives it almost no support (``HAT_PAN_SUPPORT``,
      mean PAN hair over the region): the MediaPipe net takes a dark hat for hair, PAN does not;
    - a region only PAN calls hair is hair when it touches ``side_ring`` (beside the face, above the chin):
      grey and white hair that the MediaPipe net misses. PAN alone elsewhere (a shiny collar) is not.

    ``crown`` (``above``: each pixel's height over the chin in face heights; ``cloth``: PAN's clothes probability;
    the face's area, width x height, in px) adds the crown rule (round 23): PAN is blind to hair more often than the
    veto assumed, not only on white and grey hair but on a small or turned head (basketball1's player: PAN's mean
    hair 0.000 over the net's 410 px of his crown, 93 % of them labelled hair). A region without PAN's support is
    still hair when it is large (``CROWN_PIECE`` of the face), lies over the face (``CROWN_PIECE_ABOVE``) and PAN
    does not call it clothes (``CROWN_PIECE_CLOTH``: a hat is clothes to PAN). On the three portrait sets the veto
    dropped 4 regions over the face larger than 0.5 of it (basketball1, messi5~grey, messi5~white, camera~white:
    88-98 % hair); every other region it dropped lies below the chin (dark garments beside long hair, up to 0.26 of
    the face) or is a speck (under 0.04 of the face). Measured (bench/parse_quality.py --no-time): basketball1 0.871
    -> 0.893, messi5~grey 0.854 -> 0.881, messi5~white 0.812 -> 0.883, camera~white 0.877 -> 0.876; the four portraits
    unchanged.

    ``over``: the height (``above``'s unit) the region's median must reach, ``CROWN_PIECE_ABOVE`` over a face mesh's
    chin. Round 24 (h24hair, ``POSE_CROWN``): a head the pose placed without a face mesh (turned away, bowed, small)
    had no crown rule, so the veto dropped what only the MediaPipe net saw: scenetext01's woman, head bowed in profile
    at the photo's edge (a 36 px face box the mesh did not confirm), MediaPipe hair over 0.9 on 63 % of her 741 work px
    of hair, PAN's hair 0.04 there on every crop tried (2.0 to 8 face sizes: at most 0.36, and only at 6). Her
    ``above`` is the height over the head keypoints' middle in face box heights (``Head.above``) and ``over``
    ``POSE_CROWN_ABOVE`` (0: over the eyes and ears), as the box's own chin is a guess: hair 0 -> 0.44 (0.28 and 0.27
    with the photo at 0.5x and 1.6x). ``clip`` (``POSE_CROWN_CLIP``, for such a head) keeps only the region's part over
    ``over``: the net's hair ran on down the front of her profile and her neck, which no net calls face or skin (PAN's
    skin is near 0 on her face): 0.44 -> 0.53 (0.5x 0.28 -> 0.37, 1.6x 0.27 -> 0.32). With the face detector off (every
    head a pose's) the crown rule and the clip change none of 10 portraits (messi5, basketball1, t1's three crops,
    astronaut, camera, grace_hopper, two white recolours). PAN's clothes remain the only cue against a dark hat:
    darknet_person's beanie at 35 % light or under a 60 % haze (PAN's clothes 0.13-0.26 over it) becomes hair (about
    320 work px); at full light and at 0.5x / 1.6x it stays out."""
    out = np.zeros(mp.shape, bool)
    for cand, other, keep_if in (
        ((mp > 0.5) & allowed, pan, "support"),
        ((pan > 0.5) & (mp <= 0.5) & allowed, mp, "side"),
    ):
        n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
        for i in range(1, n):
            comp = labels == i
            if keep_if == "support":
                ok = float(other[comp].mean()) >= HAT_PAN_SUPPORT
                if not ok and crown is not None:
                    above, cloth, area = crown
                    ok = (
                        float(comp.sum()) >= CROWN_PIECE * area
                        and float(np.median(above[comp])) >= over
                        and float(cloth[comp].mean()) < CROWN_PIECE_CLOTH
                    )
                    if ok and clip:
                        comp &= above > over
            else:
                ok = bool((comp & side_ring).any())
            if ok:
                out |= comp
    return out


def pan_maps(ctx: ParseContext, person: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
    """(3, h, w) PAN probabilities skin, clothes, hair over ``roi`` (work px), from a crop around ``person``
    (its box plus a margin) taken from the full-resolution photo."""
    from segmenters.nets import pan_probabilities

    rx0, ry0, rx1, ry1 = roi
    out = np.zeros((3, ry1 - ry0, rx1 - rx0), np.float32)
    ys, xs = np.nonzero(person)
    if len(ys) == 0:
        return out
    pad = int(0.06 * max(ys.max() - ys.min(), xs.max() - xs.min())) + 2
    x0, y0 = max(rx0, xs.min() - pad + rx0), max(ry0, ys.min() - pad + ry0)
    x1, y1 = min(rx1, xs.max() + pad + 1 + rx0), min(ry1, ys.max() + pad + 1 + ry0)
    s = 1.0 / ctx.scale
    H, W = ctx.photo.height, ctx.photo.width
    crop = ctx.photo.pixels[int(y0 * s) : min(H, int(round(y1 * s))), int(x0 * s) : min(W, int(round(x1 * s)))]
    out[:, y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0] = pan_probabilities(np.ascontiguousarray(crop), (x1 - x0, y1 - y0))
    return out


def _roi(person: np.ndarray, face) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1, work px) holding the person, the reach of their hair and the hair net's crop."""
    h, w = person.shape
    ys, xs = np.nonzero(person)
    if len(ys) == 0:
        return None
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    if face is not None:
        half = HAIR_CROP * max(face.width, face.height) / 2 + 2
        cx, cy = face.centre[0], face.centre[1] + 0.1 * face.height
        x0, x1 = min(x0, int(cx - half)), max(x1, int(cx + half) + 1)
        y0, y1 = min(y0, int(cy - half)), max(y1, int(cy + half) + 1)
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def hat_under_clothes(
    hair: np.ndarray,
    above: np.ndarray,
    cloth: np.ndarray,
    person: np.ndarray,
    face_height: float,
    net_hair: np.ndarray | None = None,
) -> np.ndarray:
    """The pieces of ``hair`` that are the brim of a hat: a piece lying above the forehead line (``HAT_SHARE``
    of it over ``HAT_LINE`` face heights from the chin, ``above``) with clothing on top of it (PAN's clothes
    probability ``cloth`` over ``HAT_CLOTH`` on average in the band of the person just above the piece). Hair
    has sky or a wall above it, not cloth; the hair net takes a dark brim for hair, PAN calls the crown of
    the hat clothes. With ``net_hair`` (what the hair net called hair) only its pieces are candidates, so
    grey hair that PAN alone found beside the face stays hair."""
    out = np.zeros(hair.shape, bool)
    cand = hair & net_hair if net_hair is not None else hair
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    k = max(3, int(0.25 * face_height)) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    for i in range(1, n):
        piece = labels == i
        if (above[piece] > HAT_LINE).mean() < HAT_SHARE:
            continue
        top = float(np.percentile(above[piece], 90))
        band = cv2.dilate(piece.astype(np.uint8), ker).astype(bool) & ~hair & person & (above > top)
        if band.sum() >= 20 and float(cloth[band].mean()) >= HAT_CLOTH:
            out |= piece
    return out


def head_rest(
    person: np.ndarray,
    hair: np.ndarray,
    face: np.ndarray,
    skin_p: np.ndarray,
    cloth_p: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame,
    worn: np.ndarray,
    rgb: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(more hair, hat) from what is left of the person's head over the forehead once hair and face are found
    (``segmenters.hair.crown_rest``; with ``HAT_CROWN`` off, all of it is hat, the rule before round 16)."""
    head = person & (np.abs(across) < 1.25) & (above > 0.95) & ~hair & ~face & (skin_p < 0.5)
    if not HAT_CROWN:
        return np.zeros(hair.shape, bool), _drop_small(_open(head, 5), 0.12 * frame.fw * frame.fh) | worn
    return crown_rest(_open(head, 5), hair, person, face, above, across, frame, worn, rgb)


def parse_person_nets(
    ctx: ParseContext,
    person: np.ndarray,
    face,
    fp,
    use_hair_net: bool,
    pan_all: np.ndarray | None = None,
    pan_head: np.ndarray | None = None,
    other_faces: np.ndarray | None = None,
    head: Head | None = None,
    pose=None,
    headless: bool = False,
) -> dict[str, tuple[np.ndarray, str]]:
    """Labels for one person (work size) from PAN (+ the hair net on the head, + the face mesh, + the pose net).
    ``other_faces``: the faces of everyone else (work size); a person mask that overlaps a neighbour's face
    does not make that face this person's skin or clothes. ``head``: where ``face`` is None or the face mesh did
    not confirm it, the head the pose placed (:func:`faceless_heads`): the hair nets run on it in place of the face.
    ``pose``: the person's pose in work pixels when the caller has it already (else it is found here).
    ``headless``: the pose says this person's head is not in the photo: no hair at all (PAN's hair alone would take
    a dark collar or a bag for it).

    All the work happens inside the person's box (``_roi``); the masks are pasted into work size at the end."""
    h, w = person.shape
    on = head if head is not None else face  # the head the hair nets look at
    roi = _roi(person, on)
    if roi is None:
        return {}
    x0, y0, x1, y1 = roi
    box = (slice(y0, y1), slice(x0, x1))
    P = person[box]
    local: dict[str, tuple[np.ndarray, str]] = {}
    skin_p, cloth_p, pan_hair = pan_maps(ctx, P, roi) if pan_all is None else pan_all[:, y0:y1, x0:x1]
    face_m = np.zeros(P.shape, bool)
    frame = face_frame(fp.landmarks) if fp is not None and fp.landmarks is not None else None
    across = above = None
    if frame is not None:
        frame = Frame(
            frame.chin - (x0, y0),
            frame.top - (x0, y0),
            frame.up,
            frame.right,
            frame.fh,
            frame.fw,
            frame.centre - (x0, y0),
        )
        across, above = frame.coords(P.shape)
    if fp is not None:
        region = fp.region[box]
        face_m = region & P if (region & P).sum() > 0.5 * region.sum() else region.copy()
        local["face"] = (face_m, FACE_SOURCE)
    if on is not None and use_hair_net:
        reach = max(3, int(HAIR_REACH * on.width)) | 1
        near = cv2.dilate(P.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))).astype(bool)
        mp, pan_h = hair_map(ctx, on, roi, pan_head)
        cloth = (cloth_p > 0.5) & (cloth_p > np.maximum(pan_hair, pan_h)) & (mp < HAIR_SURE)
        if above is not None:  # beside and above the face, PAN's clothes do not veto a fairly sure hair net
            cloth &= ~((mp > HAIR_OVER_CLOTH) & (above > HAIR_OVER_CLOTH_ABOVE))
        allowed = near & ~face_m & ~cloth
        if above is not None:  # a fringe over the forehead: the face mesh's oval runs under it
            allowed |= face_m & (mp > HAIR_SURE) & (above > FRINGE_ABOVE)
        if frame is not None and above is not None:  # beside the face (a third of its width), chin up
            ring = (
                cv2.dilate(
                    face_m.astype(np.uint8),
                    cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, int(0.33 * frame.fw)) | 1,) * 2),
                ).astype(bool)
                & (above > 0.25)
                & (above < 1.0)
            )
        elif head is not None:  # no face mesh: PAN's own hair counts on the head's disk
            ring = head.disk(P.shape, (x0, y0))
        else:
            ring = np.zeros(P.shape, bool)
        crown = (above, cloth_p, frame.fw * frame.fh) if frame is not None and above is not None else None
        over = CROWN_PIECE_ABOVE
        if crown is None and head is not None and POSE_CROWN:  # the head the pose placed, without a face mesh
            crown, over = (head.above(P.shape, (x0, y0)), cloth_p, head.width * head.height), POSE_CROWN_ABOVE
        hair = fuse_hair(
            mp, pan_h, allowed, ring, crown if CROWN_RULE else None, over, POSE_CROWN_CLIP and frame is None
        )
        if head is not None:  # hair grows from the head: no piece away from it (a dark coat)
            hair = _touching(hair, head.disk(P.shape, (x0, y0)))
        hair_src = HAIR_SOURCE + " + " + PAN_HAIR_SOURCE
    elif headless:
        hair = np.zeros(P.shape, bool)
        hair_src = PAN_HAIR_SOURCE
    else:
        hair = (pan_hair > 0.5) & (pan_hair >= np.maximum(skin_p, cloth_p)) & P & ~face_m
        hair_src = PAN_HAIR_SOURCE
        if above is not None:  # hair is on the head: above the shoulders
            hair &= above > -1.2
    if on is not None:
        opened = _open(hair)
        hair = _drop_small(opened, 0.02 * on.width**2)
        if use_hair_net and SIDE_TUFTS:  # grey tufts beside the face that PAN alone sees are small, not specks
            hair |= side_tufts(opened & ~hair, ring, mp)
    worn = np.zeros(P.shape, bool)
    if frame is not None and above is not None and hair.any():
        worn = hat_under_clothes(
            hair, above, cloth_p, P, frame.fh, mp > 0.5 if face is not None and use_hair_net else None
        )
        if across is not None:  # a brim lies above the face, not beside it
            under = hair_under_brim(worn, face_m, above, across, cloth_p)
            worn &= ~follow_image(under, worn, ctx.work[box], frame.fh)  # its cut lines on the photo's edges
        hair = hair & ~worn
    if face is not None and use_hair_net and frame is not None and above is not None and across is not None:
        hair |= silhouette_hair(  # grey / white hair the nets miss
            P, hair, face_m, skin_p, cloth_p, above, across, frame, worn
        )
        hair = grow_hair(hair, P, face_m, ctx.work[box], above, across, frame, worn)  # by the person's hair colour
        if TEMPLE_RULE:  # the oval's upper corners where PAN sees the hair beside the face go on (the temples)
            hair |= temple_hair(hair, face_m, pan_h, above, across)
        if HAIR_LENGTH:  # below the chin, hair has the colour of the person's own crown (not a dark strap)
            hair &= ~unlike_crown(hair, ctx.work[box], above, frame)
    if on is not None and use_hair_net and OFF_PERSON:  # off the person, only where the MediaPipe net says hair
        hair &= ~off_person(hair, P, mp)
    if on is not None and use_hair_net and HAIR_SNAP and ctx.photo.width / ctx.shape[1] < SNAP_UPSCALED:
        hair = snap_to_edges(hair, ctx.work[box], HAIR_SNAP, face_m)  # the hair's outline on the photo's own edges
    local["hair"] = (hair, hair_src)
    if "face" in local and (hair & face_m).any():
        face_m = face_m & ~hair
        local["face"] = (face_m, FACE_SOURCE)
    hat = np.zeros(P.shape, bool)
    if frame is not None and above is not None and across is not None:
        more, hat = head_rest(P, hair, face_m, skin_p, cloth_p, above, across, frame, worn, ctx.work[box])
        if more.any():
            hair = hair | more
            local["hair"] = (hair, hair_src)
        if hat.any():
            local["hat"] = (hat, HAT_SOURCE)
    body = P & ~face_m & ~hair & ~hat
    if other_faces is not None:
        body &= ~other_faces[box]
    skin = body & (skin_p > 0.5) & (skin_p >= cloth_p)
    if P.any() and np.ptp(np.nonzero(P)[0]) >= SKIN_OPEN_MIN:  # a small person's arms and legs are a few px wide
        skin = _open(skin, 3)
    if frame is not None and above is not None and face_m.any():
        zone = head_edge(face_m, above, frame.fh)
        edge = (skin | (cloth_p < EDGE_CLOTH)) & zone  # the head's edge: skin, or what PAN is unsure is clothes
        skin &= ~edge
        body &= ~edge
    if pose is not None:
        pose = type(pose)(pose.xy - np.array(roi[:2], np.float32), pose.score)
    else:
        pose = _pose(ctx, P, roi)
    lab = _lab(np.ascontiguousarray(ctx.work[box]))
    own = None
    if fp is not None and "face" in local:
        feats = np.zeros(P.shape, bool)
        for m in fp.labels.values():
            feats |= m[box]
        own = skin_model(lab, face_m, feats)
    if own is not None and UNSURE_SKIN < 1:  # PAN's unsure skin must have the face's own skin colour
        skin &= (skin_p >= UNSURE_SKIN) | skin_like(lab, own)
    garment = worn_colour(lab, body, cloth_p) if ARM_DE else None
    if own is not None and garment is not None:  # PAN sure of skin and clothes: the face's colour, unlike the clothes
        off = _mahalanobis(lab, garment) > ARM_DE**2
        skin |= body & (skin_p > 0.5) & skin_like(lab, own) & off
        skin &= skin_like(lab, own) | off  # not the face's colour and like the clothes: PAN's skin bleeding over them
    mesh_area = float(face_m.sum())
    if frame is not None and above is not None and own is not None and CHIN_REACH > 0:
        under = jaw_shadow(lab, skin & skin_like(lab, own) if JAW_TONE else skin, face_m, above, frame)
        if under.any():
            face_m = face_m | under
            skin &= ~under
            body &= ~under
            local["face"] = (face_m, FACE_SOURCE)
    if own is not None and pose is not None:
        skin |= body & hands_skin(lab, own, cloth_p, pose, P.shape, garment)
    elif own is None and pose is not None and SURE_SKIN < 1:  # no face mesh: the colour of what PAN is sure is skin
        sure = skin_model(lab, body & (skin_p > SURE_SKIN), np.zeros(P.shape, bool))
        if sure is not None:
            skin |= body & hands_skin(lab, sure, cloth_p, pose, P.shape, garment)
    if pose is not None and SHIN_DE > 0:
        skin |= _open(shins_skin(lab, cloth_p, pose, body) & ~feet_zone(pose, P.shape), 3)
    footwear = np.zeros(P.shape, bool)
    if pose is not None and LEG_DE > 0:
        legs, footwear = bare_legs(lab, body & ~skin, cloth_p, pose, own)
        skin |= legs
    if own is not None and GROW > 0:
        grown = _open(body & skin_like(lab, own) & (cloth_p < GROW), 5)
        skin |= _drop_small(grown, GROW_MIN * mesh_area)
    local["skin"] = (skin, PAN_SOURCE)
    clothes = body & ~skin
    axis = torso_axis(pose, P.shape, frame.up if frame is not None else None) if pose is not None else None
    if axis is not None:
        if axis[1] > 0 and GARMENT_DE > 0:
            lower = garment_split(lab, clothes, axis[0])
        else:
            lower = clothes & (axis[0] > 0)
        upper = clothes & ~lower
        if FOOT_REACH > 0:
            feet = clothes & (feet_zone(pose, P.shape) | footwear)
            if axis[1] > 0 and LEG_DE > 0:
                feet |= cut_off_shins(lower & ~feet, axis[0], pose)
            if feet.any():
                lower &= ~feet
                upper &= ~feet
                local["shoes"] = (feet, PAN_SOURCE)
    elif above is not None:
        upper = clothes & (above > -HIP_BELOW_CHIN)
        lower = clothes & (above <= -HIP_BELOW_CHIN)
    else:
        ys = np.nonzero(P)[0] + y0
        top, bottom = int(ys.min()), int(ys.max())
        rows = np.arange(y0, y1)[:, None]
        whole_body = bottom < h - 2 and (bottom - top) > 0.05 * h  # feet in the photo: a standing person
        hip = top + 0.5 * (bottom - top) if whole_body else h
        upper, lower = clothes & (rows < hip), clothes & (rows >= hip)
    if frame is not None and above is not None and "shoes" not in local:
        feet_visible = (person[-2:].sum() < 0.02 * frame.fw) and (above[P].min() < -FEET_BELOW_CHIN)
        if feet_visible:
            shoes = P & (above < above[P].min() + 0.35) & ~skin
            lower &= ~shoes
            upper &= ~shoes
            local["shoes"] = (shoes, PAN_SOURCE)
    local["upper clothes"] = (upper, PAN_SOURCE)
    local["lower clothes"] = (lower, PAN_SOURCE)
    out: dict[str, tuple[np.ndarray, str]] = {}
    for label, (m, src) in local.items():
        full = np.zeros((h, w), bool)
        full[box] = m
        out[label] = (full, src)
    return out


def _touching(mask: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """The connected pieces of ``mask`` that touch ``zone``."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    keep = np.zeros(n, bool)
    keep[np.unique(labels[zone & mask])] = True
    keep[0] = False
    return keep[labels]


def _others(face_parts: dict, mine: int | None, shape: tuple[int, int]) -> np.ndarray | None:
    """The union of the face regions of the faces other than ``mine`` (None when there are none)."""
    regions = [fp.region for k, fp in face_parts.items() if k != mine]
    if not regions:
        return None
    out = np.zeros(shape, bool)
    for r in regions:
        out |= r
    return out


def faceless_heads(
    ctx: ParseContext, masks: list[np.ndarray], meshed: set[int], boxes: dict
) -> tuple[dict, dict, set[int]]:
    """For each person but the ``meshed`` ones (whose face the face mesh confirmed): their pose in work pixels
    (``_pose``, which the parse needs anyway), and the head it places (:func:`pose_head`) where it places one. A
    person with a face box the mesh did not confirm (``boxes``: person -> face; often the back of a head or a profile,
    the box on an ear or a bit of hair) keeps the head only where the box's centre lies on its disk (the same head),
    made as wide as the box when the box is wider. A head under ``HEAD_MIN_PX`` is left to PAN's hair as before. Two
    dicts by person, and the people without a face whose head is not in the photo: the pose is sure of a shoulder but places no head (cut off by the photo's top, hidden)."""
    poses: dict[int, object] = {}
    heads: dict[int, Head] = {}
    headless: set[int] = set()
    for i, pm in enumerate(masks):
        if i in meshed:
            continue
        roi = _roi(pm, None)
        if roi is None:
            continue
        pose = _pose(ctx, pm[roi[1] : roi[3], roi[0] : roi[2]], roi)
        if pose is None:
            continue
        pose = type(pose)(pose.xy + np.array(roi[:2], np.float32), pose.score)
        poses[i] = pose
        head = pose_head(pose, pm)
        face = boxes.get(i)
        if head is None and face is None and pose.mid("left_shoulder", "right_shoulder") is not None:
            headless.add(i)
        if head is not None and max(head.width, face.width if face is not None else 0.0) < HEAD_MIN_PX:
            continue  # a far-away head: PAN's hair as before
        if head is not None and face is not None:
            cx, cy = face.centre
            if np.hypot(cx - head.middle[0], cy - head.middle[1]) > head.radius:
                continue
            if face.width > head.width:
                head = _widened(head, face.width / head.width)
        if head is not None:
            heads[i] = head
    return poses, heads, headless


def _widened(head: Head, k: float) -> Head:
    """``head`` with its face box and disk ``k`` times as wide, about the same points."""
    (cx, cy), my = head.centre, head.middle[1]
    hw, hh = head.width * k / 2, head.height * k / 2
    return Head((cx - hw, my + (cy - my) * k - hh, cx + hw, my + (cy - my) * k + hh), head.middle, head.radius * k)


def _pan_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The crop ``pan_maps`` takes around ``mask`` (XYXY work px, before clipping), None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    pad = int(0.06 * max(ys.max() - ys.min(), xs.max() - xs.min())) + 2
    return int(xs.min()) - pad, int(ys.min()) - pad, int(xs.max()) + pad + 1, int(ys.max()) + pad + 1


def pan_groups(ctx: ParseContext, masks: list[np.ndarray]) -> list[np.ndarray | None]:
    """Per person (``masks``, work size): PAN's maps of the group they stand in ((3, h, w) over the work size, one
    pass shared by the group), or None (``parse_person_nets`` gives them a pass of their own). With at most ``GROUP``
    people everyone has their own pass. With more, the people whose crops overlap (chained) are a group and share one
    pass over their box (a crowd: their crops would overlap anyway); one whose crop meets no one's keeps a pass of their
    own, unless there are more than ``PAN_PASSES`` groups (then, as before round 24, one pass over everyone). A person
    far away beside a group used to pull everyone into one pass over a box reaching them, at a lower resolution for
    all (darknet_kite: a man on the far beach took the two walkers' upper clothes 0.707 -> 0.666)."""
    n = len(masks)
    if sum(bool(m.any()) for m in masks) <= GROUP:  # (an empty mask: a person who gets no parts, far_people)
        return [None] * n
    full = (0, 0, ctx.shape[1], ctx.shape[0])
    boxes = [_pan_box(m) for m in masks]
    group = list(range(n))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            a, b = boxes[i], boxes[j]
            if a is None or b is None:
                continue
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                group[root(i)] = root(j)
    members: dict[int, list[int]] = {}
    for i in range(n):
        if boxes[i] is not None:
            members.setdefault(root(i), []).append(i)
    if len(members) > PAN_PASSES:
        shared = pan_maps(ctx, np.logical_or.reduce(masks), full)
        return [shared] * n
    out: list[np.ndarray | None] = [None] * n
    for ids in members.values():
        if len(ids) > 1:
            shared = pan_maps(ctx, np.logical_or.reduce([masks[i] for i in ids]), full)
            for i in ids:
                out[i] = shared
    return out


def far_people(masks: list[np.ndarray], shape: tuple[int, int]) -> set[int]:
    """The people (indices of ``masks``) smaller than ``segmenters.person.MIN_PART`` of the photo: people far away the
    person parser keeps only where the detector boxes them (``person.small_boxed``), a few dozen work px each. They
    get no hair, skin or clothes parts: PAN and the hair nets see a blob of a dozen pixels across (as for heads under
    ``HEAD_MIN_PX``)."""
    from segmenters.person import MIN_PART

    return {i for i, m in enumerate(masks) if m.sum() < MIN_PART * shape[0] * shape[1]}


def parse_nets(ctx: ParseContext) -> ParseOutput:
    from segmenters.nets import HAIR, net_available

    po = ctx.need("person")
    fpo = ctx.need("face_parts")
    fo = ctx.need("faces")
    if po is None or po.data is None:
        return ParseOutput(parts=[], data=ClothesData(np.zeros(ctx.shape, bool)), source=PAN_SOURCE)
    people = po.data
    faces = fo.data if fo is not None else []
    face_parts = {fp.face: fp for fp in (fpo.data if fpo is not None and fpo.data else [])}
    use_hair_net = net_available(HAIR)
    far = far_people(people.masks, ctx.shape)
    pan_of = pan_groups(ctx, [np.zeros(ctx.shape, bool) if i in far else m for i, m in enumerate(people.masks)])
    parts: list[Part] = []
    union = np.zeros(ctx.shape, bool)
    merged: dict[str, np.ndarray] = {}
    owners = {}
    for i in range(len(people.masks)):
        mine = [k for k, owner in people.face_owner.items() if owner == i]
        if mine:
            owners[i] = max(mine, key=lambda j: faces[j].width)
    meshed = {i for i, k in owners.items() if k in face_parts and face_parts[k].landmarks is not None}
    boxes = {i: faces[k] for i, k in owners.items()}
    poses, found, headless = faceless_heads(ctx, people.masks, meshed, boxes) if use_hair_net else ({}, {}, set())
    heads = pan_head_hair(ctx, [faces[k] for k in owners.values()]) if use_hair_net and owners else []
    pan_head = dict(zip(owners, heads))
    if found:  # PAN's passes of their own: the faces' mosaics stay as they were
        pan_head |= dict(zip(found, pan_head_hair(ctx, list(found.values()))))
    for i, pm in enumerate(people.masks):
        union |= pm
        k = owners.get(i)
        if i in far:
            continue
        labels = parse_person_nets(
            ctx,
            pm,
            faces[k] if k is not None else None,
            face_parts.get(k) if k is not None else None,
            use_hair_net,
            pan_of[i],
            pan_head.get(i),
            _others(face_parts, k, ctx.shape),
            found.get(i),
            poses.get(i),
            i in headless,
        )
        for label, (m, src) in labels.items():
            if m.any():
                parts.append(Part(label, m, src, None, person=i))
                merged[label] = merged[label] | m if label in merged else m
    return ParseOutput(parts=parts, data=ClothesData(union, merged), source=PAN_SOURCE)


def parse_offline(ctx: ParseContext) -> ParseOutput:
    po = ctx.need("person")
    fpo = ctx.need("face_parts")
    if po is None or po.data is None:
        return ParseOutput(parts=[], data=ClothesData(np.zeros(ctx.shape, bool)), source=OFFLINE_HEURISTIC)
    people = po.data
    faces_of: dict[int, list] = {}
    for fp in fpo.data if fpo is not None and fpo.data else []:
        owner = people.face_owner.get(fp.face)
        if owner is not None:
            faces_of.setdefault(owner, []).append(fp)
    lab = _lab(ctx.work)
    parts: list[Part] = []
    union = np.zeros(ctx.shape, bool)
    merged: dict[str, np.ndarray] = {}
    for i, pm in enumerate(people.masks):
        union |= pm
        fps = faces_of.get(i, [])
        fp = max(fps, key=lambda f: f.region.sum()) if fps else None
        feats = None
        if fp is not None:
            feats = np.zeros(ctx.shape, bool)
            for m in fp.labels.values():
                feats |= m
        labels = parse_person(ctx.work, lab, pm, fp.landmarks if fp else None, fp.region if fp else None, feats)
        for label, m in labels.items():
            if m.any():
                parts.append(Part(label, m, OFFLINE_HEURISTIC, None, person=i))
                merged[label] = merged[label] | m if label in merged else m
    return ParseOutput(parts=parts, data=ClothesData(union, merged), source=OFFLINE_HEURISTIC)


class ClothesParser:
    name = "clothes"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        from segmenters.nets import PAN, net_available

        if self.manager.ready(ROLE):
            return parse_full(self.manager, ctx)
        if net_available(PAN):
            return parse_nets(ctx)
        return parse_offline(ctx)


@PARSERS.register("clothes")
def build(manager: ModelManager) -> ClothesParser:
    return ClothesParser(manager)
