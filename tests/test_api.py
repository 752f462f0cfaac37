"""The app's API, called with gradio_client against the app launched in-process."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_segment_endpoint_returns_a_full_size_mask(client, astronaut_path):
    mask_path, summary = client.predict(
        handle_file(str(astronaut_path)), "[[100, 330, 1], [225, 130, 0]]", "", api_name="/segment"
    )
    mask = np.asarray(Image.open(mask_path))
    assert mask.shape == (512, 512) and mask[330, 100] == 255 and mask[130, 225] == 0
    assert summary["backend"].startswith("GrabCut") and summary["width"] == 512


def test_segment_endpoint_with_a_box(client, china_path):
    mask_path, summary = client.predict(handle_file(str(china_path)), "", "[0, 0, 640, 120]", api_name="/segment")
    mask = np.asarray(Image.open(mask_path))
    assert mask.shape == (427, 640) and mask[40, 300] == 255 and mask[200:].max() == 0


def test_models_endpoint(client):
    rows = client.predict(api_name="/models")
    assert {r["role"] for r in rows} >= {"sam", "sam_gpu"}


def test_bad_input_is_a_clear_error_and_the_server_keeps_serving(client, tmp_path, astronaut_path):
    junk = tmp_path / "holiday.jpg"
    junk.write_bytes(b"\x00" * 300)
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(junk)), "[[1, 1]]", "", api_name="/segment")
    with pytest.raises(Exception, match="points must be"):
        client.predict(handle_file(str(astronaut_path)), json.dumps({"x": 1}), "", api_name="/segment")
    with pytest.raises(Exception, match="outside"):
        client.predict(handle_file(str(astronaut_path)), "[[5000, 1]]", "", api_name="/segment")
    mask_path, _ = client.predict(handle_file(str(astronaut_path)), "[[100, 330]]", "", api_name="/segment")
    assert Image.open(mask_path).size == (512, 512)


def test_session_endpoints_keep_state_per_client(app_url, astronaut_path):
    client = Client(app_url, verbose=False)
    out = client.predict(handle_file(str(astronaut_path)), api_name="/upload")
    assert "astronaut.png" in out[1]  # status line
    out = client.predict(api_name="/undo")
    assert "nothing to undo" in out[1]  # a warning in the status line; the session is kept


def test_session_flow_pick_part_apply_export(app_url, astronaut_path):
    client = Client(app_url, verbose=False)
    out = client.predict(handle_file(str(astronaut_path)), api_name="/upload")
    parts = {label.split(" · ")[0]: value for label, value in out[5]["choices"]}
    assert "upper clothes" in parts
    out = client.predict(parts["upper clothes"], api_name="/use_part")
    assert "upper clothes" in out[1]
    out = client.predict(
        "Recolour",
        "denim",
        None,
        1.0,
        "#1e6fd9",
        "Target colour",
        0,
        1,
        0,
        0,
        None,
        1,
        0,
        8,
        1,
        "sunset",
        -1,
        0,
        api_name="/apply_edit",
    )
    assert "Applied" in out[1], out[1]
    path = client.predict("JPEG", api_name="/export")
    result = np.asarray(Image.open(path))
    original = np.asarray(Image.open(astronaut_path))
    assert result.shape == original.shape
    assert result[330, 100, 2] > result[330, 100, 0], "the suit is blue now"
    assert np.abs(result[60, 330].astype(int) - original[60, 330]).sum() < 20


def _readme_api_script() -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = text.index("```python", text.index("From Python, with `gradio_client`")) + len("```python")
    return text[start : text.index("```", start)]


def test_readme_api_example(app_url, astronaut_path):
    """The README's gradio_client script runs as written (photo and address substituted) and does what it says."""
    script = _readme_api_script().replace('"photo.jpg"', repr(str(astronaut_path)))
    script = script.replace('"http://127.0.0.1:7860/"', repr(app_url))
    scope: dict = {}
    exec(compile(script, "README.md", "exec"), scope)
    assert Image.open(scope["mask_png"]).size == (512, 512) and scope["summary"]["area"] > 0
    assert "upper clothes" in {row["label"] for row in scope["parts"]["segments"]}
    import zipfile

    assert len(zipfile.ZipFile(scope["masks_zip"]).namelist()) == len(scope["parts"]["segments"])
    assert "denim" in {look["name"] for look in scope["looks"]}
    assert "Undid" in scope["view"][1] or "undo" in scope["view"][1].lower(), scope["view"][1]
    result = np.asarray(Image.open(scope["result_path"]).convert("RGB"))
    original = np.asarray(Image.open(astronaut_path).convert("RGB"))
    assert result.shape == original.shape
    # leopard then denim, then the denim undone: the suit is leopard (changed), the wall is not
    assert np.abs(result[330, 100].astype(int) - original[330, 100]).sum() > 30
    assert np.abs(result[60, 330].astype(int) - original[60, 330]).sum() < 20


def test_session_api_click_edit_variants_and_errors(app_url, astronaut_path):
    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(astronaut_path)), api_name="/upload")
    with pytest.raises(Exception, match="mode must be one of"):
        client.predict(100, 330, "zoom", api_name="/click")
    view = client.predict(100, 330, "include", api_name="/click")
    assert "segment 1" in view[1]
    with pytest.raises(Exception, match="JSON object"):
        client.predict("recolour", "[1, 2]", 0, api_name="/edit")
    with pytest.raises(Exception, match="unknown editor"):
        client.predict("sharpen", "{}", 0, api_name="/edit")
    with pytest.raises(Exception, match="variant must be one of"):
        client.predict("tartan", api_name="/apply_variant")
    view = client.predict("recolour", json.dumps({"target": "#2050d0"}), 0, api_name="/edit")
    assert "Applied the colour blue (#2050d0) to 'segment 1'" in view[1], view[1]  # the page's words (round 20)
    path = client.predict("PNG", api_name="/export")
    result = np.asarray(Image.open(path).convert("RGB"))
    assert result[330, 100, 2] > result[330, 100, 0]  # the clicked suit is blue


def test_remove_offline_through_the_api_names_patchmatch(app_url, astronaut_path):
    """/remove (the button's endpoint) and /edit with the remove editor, offline: PatchMatch fills the
    selection (the round mission patch on the suit) and the status line names the method."""
    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(astronaut_path)), api_name="/upload")
    view = client.predict(165, 380, "include", api_name="/click")
    view = client.predict(7, api_name="/remove")
    assert "PatchMatch fill (offline)" in view[1] and "seed 7" in view[1]
    assert view[1].startswith("Removed 'segment 1': filled from its surroundings") and "(edit #1)" in view[1], view[1]
    path = client.predict("PNG", api_name="/export")
    before = np.asarray(Image.open(astronaut_path).convert("RGB")).astype(int)
    after = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert np.abs(after[370:390, 155:175] - before[370:390, 155:175]).mean() > 10  # the patch is gone
    assert np.abs(after[:100, :100] - before[:100, :100]).mean() < 3  # far away: as it was (export watermark)
    view = client.predict("remove", json.dumps({"method": "patchmatch", "shadow": False}), 0, api_name="/edit")
    assert "Applied Remove" in view[1]


def test_apply_generated_takes_the_number_the_gallery_shows(monkeypatch, tmp_path, astronaut_path):
    """Round 20's drive: the Generate gallery shows #1, #2 and the status says "Applied variant 2", but
    /apply_generated took a 0-based index. It takes ``number`` as the gallery shows it; an older script's ``index``
    (from 0) still works; a number 0, a number past the last variant, or a number and an index that disagree say why
    and apply nothing."""
    import gradio as gr

    from app.ui import build_ui
    from core.models import ModelManager
    from core.photo import load_photo
    from core.settings import Settings
    from studio.services import build_services
    from studio.session import INCLUDE, EditorSession
    from tests.tiny_models import make_tiny_inpaint

    monkeypatch.setenv("FACET_MODEL_INPAINT", str(make_tiny_inpaint(tmp_path / "tiny-inpaint")))
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    apply_generated = next(f.fn for f in build_ui(services).fns.values() if f.api_name == "apply_generated")
    s = EditorSession()
    try:
        s.load(load_photo(astronaut_path), services, parse=False)
        s.click(225, 130, INCLUDE, services)  # the face
        found = s.generate("inpaint", {"prompt": "a smiling face", "variants": 3, "steps": 2}, 11, services)
        assert [v.seed for v in found] == [11, 12, 13]
        for index, number, seed, said in (
            (None, 2, 12, "variant 2"),
            (1, None, 12, "variant 2"),
            (None, None, 11, "variant 1"),
            (2, 3, 13, "variant 3"),
        ):
            apply_generated(s, index, number)
            assert [layer.seed for layer in s.layers.layers] == [seed], (index, number)
            assert f"Applied {said} (seed {seed}" in s.status, s.status
            s.undo_edit()
        for index, number, why in (
            (None, 0, "numbered from 1, as the gallery shows them"),
            (None, 4, "there is no variant #4"),
            (0, 2, "not both: number 2 is index 1, not 0"),
            (-1, None, "index counts from 0"),
        ):
            with pytest.raises(gr.Error, match=why):
                apply_generated(s, index, number)
        assert not [layer for layer in s.layers.layers if layer.visible], "nothing was applied by a refused call"
    finally:
        s.close()


def test_apply_generated_documents_its_number_from_1(client):
    """The API page (view_api) says which way each parameter counts; a 0-based caller of ``number`` is told."""
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/apply_generated"]
    labels = {p["parameter_name"]: p["label"] for p in params["parameters"]}
    assert "from 1" in labels["number"] and "from 0" in labels["index_value"], labels
    with pytest.raises(Exception, match="numbered from 1"):
        client.predict(number=0, api_name="/apply_generated")
    with pytest.raises(Exception, match="generate some variants first"):
        client.predict(number=1, api_name="/apply_generated")
