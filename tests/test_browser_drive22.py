"""Round 22, a stranger's drive at 1366x768 (headless Debian Chromium): an Exclude (−) click that fell outside the
selection answered the same "24.2% of the photo selected" as if ignored (the outline is redrawn: 0.3% of it moved); Anonymize ran with the old status dimmed
under a timer and its button live (140 s on a 24 MP group photo). Now the click says where it fell, and the
faces' edit says at once what runs, with its button disabled until it is done."""

from __future__ import annotations

import pytest

from tests.test_browser import _status, _tool, _upload, page  # noqa: F401  (page: the module-scoped page)
from tests.test_browser_layout import LAPTOP, at_laptop

pytestmark = pytest.mark.browser


def _click(page, fx: float, fy: float) -> None:  # noqa: F811  (page: the fixture)
    img = page.locator("#facet-canvas img")
    box = img.bounding_box()
    img.click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def test_an_exclude_click_outside_the_selection_says_it_removed_nothing(page, app_url, astronaut_path, artifacts):  # noqa: F811
    with at_laptop(page, artifacts / "drive22-exclude-failure.png"):
        _upload(page, app_url, astronaut_path, settle_ms=800)
        page.locator("#facet-mode").get_by_text("Include (+)").click()
        _click(page, 100 / 512, 330 / 512)  # the orange suit
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('of the photo selected')", timeout=60_000
        )
        page.locator("#facet-mode").get_by_text("Exclude (−)").click()
        _click(page, 330 / 512, 60 / 512)  # the wall, outside the suit
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('outside the selection')", timeout=60_000
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "drive22-exclude-missed.png"))
        assert "of the photo selected" in _status(page)
        assert page.locator("#facet-status").bounding_box()["height"] <= 43, "two lines"


def test_anonymize_says_at_once_what_runs_and_waits_with_its_button_off(page, app_url, hopper_path, artifacts):  # noqa: F811
    with at_laptop(page, artifacts / "drive22-anonymize-failure.png"):
        _upload(page, app_url, hopper_path, settle_ms=800)
        _tool(page, "Faces")
        page.wait_for_timeout(300)
        page.click("#facet-anonymize")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Anonymizing every face')",
            timeout=5_000,
        )
        busy = page.locator("#facet-anonymize").is_disabled()
        page.wait_for_timeout(500)
        # the photo stays in view while its faces are edited (Gradio's full spinner blanked it, 140 s on 24 MP)
        photo = page.locator("#facet-canvas img").bounding_box()
        covered = page.evaluate(
            """() => { const r = document.querySelector('#facet-canvas img').getBoundingClientRect();
                       const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                       return !(e && e.tagName === 'IMG'); }"""
        )
        still = "Anonymizing" in _status(page)
        page.screenshot(path=str(artifacts / "drive22-anonymizing.png"))
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Anonymized')", timeout=120_000
        )
        page.wait_for_function("() => !document.querySelector('#facet-anonymize').disabled", timeout=10_000)
        assert busy, "the button is off while the faces are edited (a second click would stack a second edit)"
        if still:  # (a fast machine may finish first)
            assert photo is not None and photo["width"] >= 300 and not covered, ("the photo is shown", photo, covered)


LEGEND = """() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
    const l = document.querySelector('#facet-legend');
    const items = [...l.querySelectorAll('.legend button')].filter((b) => b.getBoundingClientRect().width > 0);
    return {base: box(l.querySelector('img.base-image')), masks: [...l.querySelectorAll('img.mask')].map(box),
            first: items.length ? box(items[0]) : null, n: items.length, legend: box(l.querySelector('.legend'))};
}"""


def test_the_parts_tab_shows_its_legend_in_the_window(page, app_url, astronaut_path, artifacts):  # noqa: F811
    """Round 22's drive at 1366x768: the Parts tab's picture took the tab's whole height and its legend (which colour
    is which part) began at y 761, under the window's edge. Now the legend's first entries are in view, and each part's
    layer still lies exactly on the picture (both shrink alike). A square photo (a wide one left room already)."""
    with at_laptop(page):
        _upload(page, app_url, astronaut_path, settle_ms=800)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.locator("#facet-tabs").get_by_role("tab", name="Parts").click()
        page.wait_for_function(
            "() => document.querySelectorAll('#facet-legend .legend button').length > 5", timeout=30_000
        )
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "drive22-parts-tab.png"))
        seen = page.evaluate(LEGEND)
        assert seen["first"] is not None and seen["first"][1] + seen["first"][3] <= LAPTOP["height"], seen["first"]
        assert seen["first"][1] >= seen["legend"][1] - 1, ("the first entry is not cut at the top", seen)
        assert seen["masks"] and all(m == seen["base"] for m in seen["masks"]), "the layers lie on the picture"
        assert seen["base"][3] >= 300, f"the picture is still large: {seen['base']}"


THUMBS = """() => {
    const g = document.querySelector('#facet-variants');
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    return {gallery: box(g), label: box(g.querySelector('label')),
            thumbs: [...g.querySelectorAll('.thumbnail-item')].map(box)};
}"""


def test_the_variants_thumbnails_are_whole_in_their_gallery(page, app_url, hopper_path, artifacts):  # noqa: F811
    """Round 22's drive at 1366x768: Show variants' five 100 px thumbnails a row ran 4 px past the photo column's
    right edge (the fifth column cut) and the gallery's label covered the first row's top."""
    with at_laptop(page):
        _upload(page, app_url, hopper_path, settle_ms=800)
        page.locator("#facet-parts label").filter(has_text="upper clothes").first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes(\"Selected 'upper clothes'\")",
            timeout=30_000,
        )
        page.click("#facet-variants-btn")
        page.wait_for_function(
            "() => document.querySelectorAll('#facet-variants .thumbnail-item').length > 5", timeout=120_000
        )
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "drive22-variants.png"))
        seen = page.evaluate(THUMBS)
        right, label_bottom = seen["gallery"][2], seen["label"][3]
        assert all(t[2] <= right + 0.5 for t in seen["thumbs"]), ("a thumbnail runs past the gallery", seen)
        assert min(t[1] for t in seen["thumbs"]) >= label_bottom - 0.5, ("the label covers the thumbnails", seen)
