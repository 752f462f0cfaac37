"""segmenters/hair.py snap_to_edges (round 22): the hair mask grows out to the photo's own edges, never farther than
its radius, never into the face mesh's oval, and loses nothing."""

from __future__ import annotations

import numpy as np

from segmenters.hair import snap_to_edges


def _head() -> tuple[np.ndarray, np.ndarray]:
    """A dark disc of hair (radius 30) on a light ground, 100 x 100, and its true mask."""
    yy, xx = np.mgrid[0:100, 0:100]
    disc = (yy - 50) ** 2 + (xx - 50) ** 2 < 30**2
    rgb = np.full((100, 100, 3), 220, np.uint8)
    rgb[disc] = (40, 30, 25)
    return rgb, disc


def test_the_outline_moves_onto_the_edge():
    rgb, disc = _head()
    yy, xx = np.mgrid[0:100, 0:100]
    short = (yy - 50) ** 2 + (xx - 50) ** 2 < 28**2  # two pixels inside the strands' edge
    out = snap_to_edges(short, rgb, 4)
    assert (out & ~disc).sum() == 0  # not onto the ground
    assert (disc & ~out).sum() < 0.2 * (disc & ~short).sum()  # the rim is taken
    assert not (short & ~out).any()  # nothing lost


def test_flat_colour_and_the_face_hold_it():
    rgb, disc = _head()
    flat = np.full_like(rgb, 128)  # no edge to go to (grey hair on a grey wall): the mask stays about where it was
    out = snap_to_edges(disc, flat, 4)
    assert (out & ~disc).sum() < 0.1 * disc.sum()
    yy, xx = np.mgrid[0:100, 0:100]
    short = (yy - 50) ** 2 + (xx - 50) ** 2 < 28**2
    face = np.zeros_like(disc)
    face[50:, :] = True  # the lower half is the face mesh's oval: nothing is added there
    out = snap_to_edges(short, rgb, 4, face)
    assert not (out & face & ~short).any()
    assert (out & ~face & ~short).any()
    assert not snap_to_edges(np.zeros_like(disc), rgb, 4).any()
