"""On a 1366x768 laptop screen (headless Debian Chromium): after upload and picking a part, the Apply button and
the photo are in view together without scrolling, and after Apply the result is too (issue 15); scrolled down to the
last control, the photo and the status stay in view."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_browser import _canvas_pixels, _status, page  # noqa: F401  (page: the module-scoped browser page)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


UPLOAD_LABEL = """() => {
    const box = document.querySelector('#facet-upload');
    const label = box.querySelector('[data-testid="block-label"]');
    const r = label.getBoundingClientRect();
    let limit = box.getBoundingClientRect().right;
    for (const b of box.querySelectorAll('button')) {
        const q = b.getBoundingClientRect();
        if (q.width > 0 && q.left > r.left && q.top < r.bottom && q.bottom > r.top) limit = Math.min(limit, q.left);
    }
    const text = label.innerText.trim();
    return {text, scroll: label.scrollWidth, client: label.clientWidth, right: r.right, limit};
}"""


def _in_view(page, selector: str) -> dict:  # noqa: F811  (page: the fixture)
    """The element's bounding box, asserted inside the 1366x768 viewport with the page scrolled to the top."""
    assert page.evaluate("() => [window.scrollX, window.scrollY]") == [0, 0], "the page scrolled"
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= LAPTOP["width"] and box["y"] + box["height"] <= LAPTOP["height"], (selector, box)
    return box


def test_apply_and_the_result_stay_in_view_on_a_laptop_screen(page, app_url, astronaut_path, artifacts):  # noqa: F811
    original_size = page.viewport_size
    page.set_viewport_size(LAPTOP)
    try:
        page.goto(app_url)
        page.wait_for_selector("#facet-upload input[type=file]", state="attached")
        page.set_input_files("#facet-upload input[type=file]", str(astronaut_path))
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('labelled parts')", timeout=90_000
        )
        page.wait_for_timeout(800)
        page.evaluate("() => window.scrollTo(0, 0)")
        # the upload box's label (which formats are accepted) is read whole: not cut by its box nor under the
        # clear button (round 15: "(JPEG, PNG, WebP, GIF, BMP or TIFF" ran under the x at 1366 px)
        label = page.evaluate(UPLOAD_LABEL)
        assert "TIFF" in label["text"], label
        assert label["scroll"] <= label["client"] + 1 and label["right"] <= label["limit"] + 1, label
        before = _canvas_pixels(page, artifacts / "layout-1366-uploaded.png")
        page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "layout-1366-picked.png"))
        _in_view(page, "#facet-apply")
        photo = _in_view(page, "#facet-canvas img")
        assert photo["width"] >= 400 and photo["height"] >= 400, f"the photo is shown large enough: {photo}"
        page.click("#facet-apply")  # the default look: denim texture
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=60_000
        )
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "layout-1366-applied.png"))
        _in_view(page, "#facet-canvas img")
        _in_view(page, "#facet-status")
        after = _canvas_pixels(page, artifacts / "layout-1366-result.png")
        h, w = after.shape[:2]
        suit = (slice(int(0.78 * h), int(0.86 * h)), slice(int(0.12 * w), int(0.20 * w)))
        assert np.abs(after[suit] - before[suit]).mean() > 20, "the result (denim on the suit) is what is shown"
        assert "Applied" in _status(page)
        # scrolled down to the last control (the faces panel's button, a group photo's long parts list), the photo
        # and the status line beside it stay in view: the photo's column is sticky
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.scrollY") > 200, "the page is taller than the screen"
        page.screenshot(path=str(artifacts / "layout-1366-scrolled.png"))
        for selector in ("#facet-canvas img", "#facet-status"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], (selector, box)
    except Exception:
        page.screenshot(path=str(artifacts / "layout-1366-failure.png"), full_page=True)
        raise
    finally:
        page.set_viewport_size(original_size)
