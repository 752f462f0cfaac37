"""Rebuild the face gallery (``python assets/faces/build_gallery.py``): crops, meshes and manifest.json.

Real faces come only from public-domain photos that ship inside PyPI wheels:
- ``astronaut``: scikit-image ``skimage.data.astronaut()`` (Eileen Collins, NASA photo, public domain);
- ``grace_hopper``: matplotlib ``mpl-data/sample_data/grace_hopper.jpg`` (US Navy photo, public domain).
Synthetic faces (no real person's face; what ``anonymize`` method=swap uses) are generated from those:
- ``synthetic_average``: both faces warped onto their mean face-mesh shape and their textures averaged;
- ``synthetic_a`` / ``synthetic_b``: the same mean shape with 3:1 and 1:3 morphs of the two textures (the
  eye region from the heavier face only, so no ghost glasses): morphs of two people, no real person.
Each entry stores the image, its 468-point face mesh (.npy, image pixels) and its licence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from segmenters import face_identity as fi  # noqa: E402
from segmenters.face_parts import FACE_OVAL, LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE  # noqa: E402

CANVAS = (256, 320)  # w, h of synthetic faces


def real_photos() -> dict[str, tuple[np.ndarray, str]]:
    import matplotlib
    from PIL import Image
    from skimage import data

    hopper = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    return {
        "astronaut": (data.astronaut(), "public domain (NASA photo of Eileen Collins; skimage.data.astronaut, scikit-image wheel)"),
        "grace_hopper": (np.array(Image.open(hopper).convert("RGB")),
                         "public domain (US Navy photo of Grace Hopper; matplotlib mpl-data/sample_data/grace_hopper.jpg)"),
    }


def crop_face(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    face = fi.largest_face(img, "gallery photo", backend="offline")
    x0, y0, x1, y1 = fi.padded_box(face.mesh, img.shape, 0.25 * face.size)
    return np.ascontiguousarray(img[y0:y1, x0:x1]), face.mesh - np.array([x0, y0], np.float32)


def align(mesh: np.ndarray) -> np.ndarray:
    """Similarity transform of a mesh onto the canvas: eyes level, fixed eye distance and position."""
    le, re = mesh[RIGHT_EYE].mean(0), mesh[LEFT_EYE].mean(0)
    d = re - le
    ang = np.arctan2(d[1], d[0])
    s = 0.34 * CANVAS[0] / np.linalg.norm(d)
    c, si = np.cos(-ang) * s, np.sin(-ang) * s
    R = np.array([[c, -si], [si, c]])
    p = (mesh - (le + re) / 2) @ R.T
    return (p + np.array([CANVAS[0] / 2, CANVAS[1] * 0.42])).astype(np.float32)


def to_canvas(img: np.ndarray, mesh: np.ndarray, shape_mesh: np.ndarray) -> np.ndarray:
    tris = fi.triangulate(shape_mesh)
    warped, covered = fi.warp_mesh(img, mesh, shape_mesh, tris, (0, 0, CANVAS[0], CANVAS[1]))
    return warped


def region(mesh: np.ndarray, idx: list[int], grow: float) -> np.ndarray:
    m = fi.polygon_mask((CANVAS[1], CANVAS[0]), cv2.convexHull(mesh[idx])[:, 0]).astype(np.float32)
    return cv2.GaussianBlur(cv2.dilate(m, np.ones((int(grow), int(grow)), np.uint8)), (0, 0), grow / 2)


def main() -> None:
    entries = []
    crops = {}
    for name, (img, licence) in real_photos().items():
        crop, mesh = crop_face(img)
        crops[name] = (crop, mesh)
        cv2.imwrite(str(HERE / f"{name}.png"), crop[..., ::-1])
        np.save(HERE / f"{name}.mesh.npy", mesh.astype(np.float32))
        entries.append({"name": name, "file": f"{name}.png", "mesh": f"{name}.mesh.npy", "synthetic": False,
                        "licence": licence, "description": "real person (public-domain photo)"})
    aligned = {n: align(m) for n, (_, m) in crops.items()}
    mean_shape = np.mean(list(aligned.values()), axis=0).astype(np.float32)
    tex = {}
    for n, (crop, mesh) in crops.items():
        t = to_canvas(crop, mesh, mean_shape)
        tex[n] = t
    a, b = (tex[n].astype(np.float32) for n in ("astronaut", "grace_hopper"))
    # equalise colour before mixing (the two photos are lit differently)
    oval = fi.polygon_mask((CANVAS[1], CANVAS[0]), mean_shape[FACE_OVAL])
    b = fi.colour_transfer(b.astype(np.uint8), oval, a.astype(np.uint8), oval).astype(np.float32)
    avg = (a + b) / 2
    eyes = np.clip(region(mean_shape, LEFT_EYE + LEFT_BROW, 19) + region(mean_shape, RIGHT_EYE + RIGHT_BROW, 19), 0, 1)[..., None]
    # morphs: astronaut weight 0.75 (eyes 1.0: no ghost of the other face's glasses) and 0.25 (eyes 0.0)
    mix_a = (0.75 * a + 0.25 * b) * (1 - eyes) + a * eyes
    mix_b = (0.25 * a + 0.75 * b) * (1 - eyes) + b * eyes
    synth = {"synthetic_average": (avg, "mean shape and mean texture of the two gallery faces"),
             "synthetic_a": (mix_a, "mean shape; 3:1 morph of the two gallery faces (eyes of the first)"),
             "synthetic_b": (mix_b, "mean shape; 1:3 morph of the two gallery faces (eyes of the second)")}
    for n, (img, desc) in synth.items():
        out = np.clip(cv2.bilateralFilter(img.astype(np.float32), 5, 12, 3) + 0.5, 0, 255).astype(np.uint8)
        cv2.imwrite(str(HERE / f"{n}.png"), out[..., ::-1])
        np.save(HERE / f"{n}.mesh.npy", mean_shape)
        entries.append({"name": n, "file": f"{n}.png", "mesh": f"{n}.mesh.npy", "synthetic": True,
                        "licence": "public domain (derived by build_gallery.py from the two public-domain photos)",
                        "description": f"synthetic identity (not a real person): {desc}"})
    (HERE / "manifest.json").write_text(json.dumps({"faces": entries}, indent=2) + "\n")
    print("\n".join(e["name"] for e in entries))


if __name__ == "__main__":
    main()
