"""Round 22, found in a stranger's drive at 1366x768 (headless Debian Chromium). To load a second photo the user had to
find and press the × of the upload box first (Gradio's File shows a loaded file with no drop zone), and the empty
box's upload icon was half hidden under the box's label (Gradio centres its icon and three lines in a 240 px minimum
inside the 124 px box). Now the box is empty again once a photo is read, so another is dropped or clicked in straight
away, and the empty box shows its icon whole under the label (app/select_panel.py, app/ui.py CSS). A cut-out PNG's
transparent border was offered as "sky" and a click there selected the white; now it is no part of the photo
(segmenters.parsing.without_transparent, EditorSession.in_picture)."""

from __future__ import annotations

import pytest

from tests.test_browser import _status, _upload, page  # noqa: F401  (page: the module-scoped page)
from tests.test_browser_layout import at_laptop

pytestmark = pytest.mark.browser

BOX = """() => {
    const q = s => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect();
                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
    return {box: q('#facet-upload'), label: q('#facet-upload [data-testid=block-label]'),
            icon: q('#facet-upload [data-testid=upload-icon] svg'), text: q('#facet-upload [data-testid=upload-text]')};
}"""


def _empty_box_is_whole(page, shot) -> None:  # noqa: F811  (page: the fixture)
    page.wait_for_selector("#facet-upload [data-testid=upload-icon]")
    page.wait_for_timeout(300)
    g = page.evaluate(BOX)
    page.locator("#facet-upload").screenshot(path=str(shot))
    assert g["icon"] is not None and g["label"] is not None, g
    assert g["icon"]["top"] >= g["label"]["bottom"] - 0.5, ("the label covers the upload icon", g)
    assert g["text"]["top"] >= g["box"]["top"] - 0.5 and g["text"]["bottom"] <= g["box"]["bottom"] + 0.5, (
        "the drop zone's icon and lines run out of the box",
        g,
    )


def test_a_second_photo_loads_without_pressing_the_cross_and_the_empty_box_is_whole(
    page,  # noqa: F811
    app_url,
    astronaut_path,
    hopper_path,
    artifacts,
):
    with at_laptop(page, artifacts / "reupload-failure.png"):
        page.goto(app_url)
        page.wait_for_selector("#facet-upload input[type=file]", state="attached")
        _empty_box_is_whole(page, artifacts / "reupload-empty.png")
        _upload(page, app_url, astronaut_path, settle_ms=800)
        assert "astronaut" in _status(page)
        # the drop zone is back without touching the ×: its file input takes the next photo at once
        page.wait_for_selector("#facet-upload input[type=file]", state="attached", timeout=10_000)
        _empty_box_is_whole(page, artifacts / "reupload-ready.png")
        first = page.locator("#facet-parts label").all_inner_texts()
        page.set_input_files("#facet-upload input[type=file]", str(hopper_path))
        page.wait_for_function(
            "() => { const t = document.querySelector('#facet-status').innerText;"
            " return t.includes('grace_hopper') && t.includes('labelled part'); }",
            timeout=90_000,
        )
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "reupload-second.png"))
        assert page.locator("#facet-upload input[type=file]").count() == 1, "the box is ready for a third photo"
        assert page.locator("#facet-parts label").all_inner_texts() != first, "the new photo's parts"


def test_a_cut_outs_transparent_border_is_no_part_and_a_click_there_selects_nothing(
    page,  # noqa: F811
    app_url,
    artifacts,
    tmp_path,
):
    from tests.test_transparent_png import BORDER, _cut_out

    png, _ = _cut_out()
    path = tmp_path / "cut-out.png"
    path.write_bytes(png)
    with at_laptop(page, artifacts / "upload22-transparent-failure.png"):
        _upload(page, app_url, path, settle_ms=800)
        chips = page.locator("#facet-parts label").all_inner_texts()
        assert chips and not [c for c in chips if c.strip().startswith("sky")], chips  # the border was offered as "sky"
        img = page.locator("#facet-canvas img")
        box = img.bounding_box()
        side = 512 + 2 * BORDER
        img.click(position={"x": box["width"] * 8 / side, "y": box["height"] * 300 / side})  # the left border
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('transparent area')", timeout=30_000
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "upload22-transparent-click.png"))
        assert page.locator("#facet-segments label").count() == 0, "a click on the transparent border made a segment"
