"""A stranger's path at 1366x768 (round 19, h19drive): what a first-time user hit when driving the real app on photos
that are not the usual portraits."""

from __future__ import annotations

import pytest

from tests.test_browser import _status, _tool, _upload, page  # noqa: F401  (page: the module-scoped page)
from tests.test_browser_layout import LAPTOP, at_laptop

pytestmark = pytest.mark.browser

SELECTED_TAB = "() => document.querySelector('#facet-tabs button[role=tab][aria-selected=true]').innerText.trim()"


def _canvas_shown(page) -> bool:  # noqa: F811  (page: the fixture)
    return page.evaluate(
        "() => { const i = document.querySelector('#facet-canvas img');"
        " return !!i && i.getClientRects().length > 0 && i.naturalWidth > 0 }"
    )


def test_after_find_faces_the_result_and_a_pick_show_on_the_photo(page, app_url, hopper_path, artifacts):  # noqa: F811
    """Round 19: after *Find and number them* the photo column stayed on *Numbered faces* (the photo as it was when
    the faces were found) through Anonymize, Apply and chip picks: the stranger saw the old faces and no outline."""
    with at_laptop(page, artifacts / "stranger-failure.png"):
        _upload(page, app_url, hopper_path)
        _tool(page, "Faces")
        page.click("#facet-find-faces")
        page.wait_for_function("() => document.querySelector('#facet-status').innerText.includes('found in')")
        page.wait_for_function(f"() => ({SELECTED_TAB})() === 'Numbered faces'", timeout=10_000)
        page.locator("#facet-anon-method label").filter(has_text="blur").first.click()
        page.click("#facet-anonymize")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Anonymized')", timeout=60_000
        )
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "stranger-anonymized.png"))
        assert page.evaluate(SELECTED_TAB) == "Photo", "the anonymized photo is shown, not the stale numbered faces"
        assert _canvas_shown(page)

        page.click("#facet-find-faces")  # back to the numbered faces, then pick a part: its outline is on the photo
        page.wait_for_function(f"() => ({SELECTED_TAB})() === 'Numbered faces'", timeout=30_000)
        page.locator("#facet-parts label").filter(has_text="upper clothes").first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes(\"Selected 'upper clothes'\")",
            timeout=30_000,
        )
        page.wait_for_timeout(800)
        assert page.evaluate(SELECTED_TAB) == "Photo", "the picked part's outline is shown"
        assert _canvas_shown(page)
        assert "Selected 'upper clothes'" in _status(page)

        page.locator("#facet-tabs").get_by_role("tab", name="Before / after").click()  # a result shows there: kept
        _tool(page, "3 · Look")
        page.click("#facet-apply")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=60_000
        )
        page.wait_for_timeout(800)
        assert page.evaluate(SELECTED_TAB) == "Before / after"


def test_show_variants_says_so_and_brings_them_into_view(page, app_url, hopper_path, artifacts):  # noqa: F811
    """Round 19: *Show variants* at 1366x768 rendered the gallery under the photo, below the window's bottom edge
    (y 753), and left the status line as it was: a stranger saw nothing happen."""
    with at_laptop(page, artifacts / "stranger-failure.png"):
        _upload(page, app_url, hopper_path)
        page.locator("#facet-parts label").filter(has_text="upper clothes").first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes(\"Selected 'upper clothes'\")",
            timeout=30_000,
        )
        page.click("#facet-variants-btn")
        page.wait_for_function(
            "() => { const g = document.querySelector('#facet-variants'); return g && g.querySelectorAll('img').length > 3 }",
            timeout=120_000,
        )
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "stranger-variants.png"))
        assert "variants of 'upper clothes'" in _status(page) and "under the photo" in _status(page), _status(page)
        first = page.locator("#facet-variants img").first.bounding_box()
        assert first is not None and first["y"] >= 0 and first["y"] + first["height"] <= LAPTOP["height"], first
