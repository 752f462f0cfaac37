"""The application layer both the browser and the CLI call (studio/): one edit, export, presets, and the
session's whole-prompt and labelled-part entry points."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import BadInput
from core.models import ModelManager
from core.photo import encode_image, load_photo
from core.settings import Settings
from core.types import ClickPrompt, Point
from editors import EDITORS
from studio.edits import build_editor, edit_layer, run_editor
from studio.export import export_bytes, export_name
from studio.presets import ANON_LEVELS, SKY_PRESETS, VARIANTS
from studio.provenance import read_metadata
from studio.services import build_services
from studio.session import EditorSession


@pytest.fixture(scope="module")
def services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


@pytest.fixture(scope="module")
def photo(astronaut_path):
    return load_photo(astronaut_path)


def test_build_editor_names_the_choices(services):
    assert build_editor("recolour", services.manager).name == "recolour"
    with pytest.raises(BadInput, match=r"unknown editor 'explode'; choose one of anonymize, cartoon"):
        build_editor("explode", services.manager)


def test_one_edit_changes_only_the_mask_and_its_edge_and_records_a_layer(services, photo):
    editor = build_editor("recolour", services.manager)
    mask = np.zeros(photo.pixels.shape[:2], bool)
    mask[300:450, 60:170] = True
    done = run_editor(editor, photo.pixels, mask, {"target": "#1e6fd9"}, 0, services.settings)
    after = done.image
    assert after.shape == photo.pixels.shape and after.dtype == np.uint8 and done.seconds > 0
    band = np.zeros_like(mask)
    band[290:460, 50:180] = True  # the mask and its soft edge
    assert np.array_equal(after[~band], photo.pixels[~band])
    assert np.abs(after[mask].astype(int) - photo.pixels[mask]).mean() > 10
    layer = edit_layer(1, "suit", "recolour", {"target": "#1e6fd9"}, 0, photo.pixels, done)
    x0, y0, x1, y1 = layer.box
    assert band[y0:y1, x0:x1].all() and layer.editor == "recolour" and not layer.generative
    with pytest.raises(BadInput, match="the mask is empty"):
        run_editor(editor, photo.pixels, np.zeros_like(mask), {}, 0, services.settings)
    with pytest.raises(BadInput, match="the mask is 10x10"):
        run_editor(editor, photo.pixels, np.ones((10, 10), bool), {}, 0, services.settings)


def test_export_carries_provenance_only_with_an_edit(services, photo):
    plain = export_bytes(photo.pixels, [], photo, "PNG")
    assert plain == encode_image(photo.pixels, "PNG", photo.icc_profile) and read_metadata(plain) is None
    editor = build_editor("cartoon", services.manager)
    mask = np.zeros(photo.pixels.shape[:2], bool)
    mask[:200, 300:] = True
    done = run_editor(editor, photo.pixels, mask, {}, 0, services.settings)
    layer = edit_layer(1, "rocket", "cartoon", {}, 0, photo.pixels, done)
    marked = read_metadata(export_bytes(done.image, [layer], photo, "JPEG", 90, settings=services.settings))
    assert marked is not None and [e["editor"] for e in marked["edits"]] == ["cartoon"]
    assert export_name("my photo (1).HEIC", "jpeg") == "my_photo__1_-facet.jpg"


def test_presets_name_registered_editors_and_the_sky_editors_own_presets(services):
    assert SKY_PRESETS == build_editor("sky", services.manager).params_schema["preset"].choices
    named = {editor for _, editor, _ in VARIANTS if editor} | {e for level in ANON_LEVELS.values() for _, e, _ in level}
    assert named and named <= set(EDITORS.names())


def test_session_prepares_on_the_first_click_and_takes_a_whole_prompt(services, photo):
    session = EditorSession()
    try:
        session.load(photo, services, parse=False, prepare=False)
        assert session.prepared is None and "ready in" not in session.status
        with pytest.raises(BadInput, match="start with an include point"):
            session.select_prompt(ClickPrompt(points=(Point(10, 10, False),)), services)
        with pytest.raises(BadInput, match="outside"):
            session.select_prompt(ClickPrompt(points=(Point(9999, 1),)), services)
        result = session.select_prompt(ClickPrompt(points=(Point(100, 330), Point(225, 130, False))), services)
        assert session.prepared_by == services.click.name and session.segment().mask is result.mask
        assert result.mask[330, 100] and not result.mask[130, 225]
    finally:
        session.close()


def test_session_finds_labelled_parts_by_name(services, photo):
    session = EditorSession()
    try:
        session.load(photo, services, prepare=False)
        assert session.part_named("Upper Clothes").label == "upper clothes"
        assert session.part_named("spaceship") is None
        with pytest.raises(BadInput, match=r"no 'spaceship' found in .*; found: .*upper clothes"):
            session.require_part("spaceship")
        layer = session.apply_to_part("hair", "recolour", {"target": "#c0262d"}, 0, services, charge=False)
        assert layer is not None and layer.segment == "hair"
        assert read_metadata(session.export_bytes("PNG"))["edits"][0]["segment"] == "hair"
    finally:
        session.close()
