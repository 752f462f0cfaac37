"""Select by words in the real page (headless Debian Chromium): type "sky" on a landscape, apply a sky preset,
see the sky change and the temple stay; an unknown word shows what can be selected."""

from __future__ import annotations

import numpy as np
import pytest

from tests import test_browser
from tests.test_browser import _canvas_pixels, _fresh_upload, _status

page = test_browser.page  # the module-scoped browser page fixture, shared with test_browser.py

pytestmark = pytest.mark.browser


def _type_words(page, text: str) -> None:
    box = page.locator("#facet-words textarea, #facet-words input").first
    box.fill(text)
    page.click("#facet-words-btn")


def test_type_sky_and_apply_a_sky_preset(page, app_url, china_path, artifacts):
    try:
        original = _fresh_upload(page, app_url, china_path, artifacts / "words-china.png")
        _type_words(page, "the unicorn")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('You can select')", timeout=30_000
        )
        assert "sky" in _status(page) and "water" in _status(page)
        _type_words(page, "sky")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Selected: sky')", timeout=30_000
        )
        assert "offline labels" in _status(page)
        assert "sky" in page.locator("#facet-segments").inner_text()
        page.wait_for_timeout(800)
        _canvas_pixels(page, artifacts / "words-sky-selected.png")
        page.locator("#facet-look").get_by_text("Sky preset").click()
        page.click("#facet-apply")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=90_000
        )
        page.wait_for_timeout(800)
        after = _canvas_pixels(page, artifacts / "words-sky-applied.png")
        page.screenshot(path=str(artifacts / "words-sky-page.png"), full_page=True)
        h, w = after.shape[:2]

        def patch(img, x, y):  # mean colour of a small patch around photo pixel (x, y) of the 640x427 photo
            cx, cy = int(x / 640 * w), int(y / 427 * h)
            return img[cy - 4 : cy + 5, cx - 4 : cx + 5].reshape(-1, 3).mean(axis=0)

        assert np.abs(patch(after, 560, 30) - patch(original, 560, 30)).sum() > 40, "the sky changed"
        assert np.abs(patch(after, 200, 300) - patch(original, 200, 300)).sum() < 12, "the temple did not"
        assert "sky on sky" in page.locator("#facet-layers").inner_text()
    except Exception:
        page.screenshot(path=str(artifacts / "words-failure.png"), full_page=True)
        raise
