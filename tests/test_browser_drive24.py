"""Round 24, a stranger's drive at 1366x768 (headless Debian Chromium) with photos outside the labelled set. The "Or a
style image" box sat in the look's group, whose rule takes its children's borders away ("border: none": a width of
medium, the text's colour), and Gradio's dashed style on an empty File then drew a 3 px black dashed frame round it
(solid once a file was in); its two-line "Reduce the style image to N colours first (0 = off)" slider, shown with a
style image, pushed Apply to y 750-783, past the window's bottom. The Generate tab said "Remove still works, with an
offline fill (PatchMatch fill (offline))."."""

from __future__ import annotations

import pytest

from tests.test_browser import _tool, page  # noqa: F401  (page: the module-scoped page)
from tests.test_browser_drive23 import style_on_the_background
from tests.test_browser_layout import _in_view, at_laptop

pytestmark = pytest.mark.browser

BORDER = """(s) => { const c = getComputedStyle(document.querySelector(s));
    return {width: parseFloat(c.borderTopWidth), colour: c.borderTopColor, style: c.borderTopStyle}; }"""


def _no_dark_frame(page, selector: str) -> None:  # noqa: F811  (page: the fixture)
    b = page.evaluate(BORDER, selector)
    rgb = [int(v) for v in b["colour"][b["colour"].index("(") + 1 : -1].split(",")[:3]]
    assert b["width"] <= 1 or b["style"] == "none" or min(rgb) >= 150, (selector, b)


def test_the_style_image_box_has_no_black_frame_and_apply_stays_in_view(
    page,  # noqa: F811
    app_url,
    astronaut_path,
    hopper_path,
    artifacts,
):
    with at_laptop(page, artifacts / "drive24-style-file-failure.png"):
        style_on_the_background(page, app_url, astronaut_path)
        page.wait_for_selector("#facet-style-file", state="visible")
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "drive24-style-file-empty.png"))
        _no_dark_frame(page, "#facet-style-file")
        page.set_input_files("#facet-style-file input[type=file]", str(hopper_path))
        page.wait_for_selector("#facet-palette", state="visible")
        page.wait_for_timeout(500)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "drive24-style-file-filled.png"))
        _no_dark_frame(page, "#facet-style-file")
        # the built-in style dropdown says the image applies, not "pastel gold" (round 24's drive)
        page.wait_for_function("() => document.querySelector('#facet-style').innerText.includes('your image applies')")
        for selector in ("#facet-apply", "#facet-variants-btn", "#facet-palette"):
            _in_view(page, selector)
        _tool(page, "Generate")
        note = page.locator("#facet-gen-note").inner_text()
        assert "((" not in note.replace(" ", "") and "fill (offline))" not in note, note
