"""On a 1366x768 laptop screen (headless Debian Chromium): after upload and picking a part, the Apply button and
the photo are in view together without scrolling, and after Apply the result is too (issue 15); scrolled down to the
last control, the photo and the status stay in view. Every panel's main action (upload, the parts, the looks, Apply
and Show variants with each look's controls, Anonymize, Remove, the download) is in view without scrolling once
its tool is open (issue 16: Anonymize sat at y=1789 and, with Recolour, Show variants ran past the bottom edge)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from tests.test_browser import _canvas_pixels, _status, _tool, _upload, page  # noqa: F401  (page: the module-scoped page)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@contextmanager
def at_laptop(page, failure_png: Path | None = None) -> Iterator[None]:  # noqa: F811  (page: a Playwright page)
    """The shared page at ``LAPTOP`` size for the block and at its own size again after it; when the block fails, a
    full-page screenshot to ``failure_png`` first (what the page showed)."""
    original_size = page.viewport_size
    page.set_viewport_size(LAPTOP)
    try:
        yield
    except Exception:
        if failure_png is not None:
            page.screenshot(path=str(failure_png), full_page=True)
        raise
    finally:
        page.set_viewport_size(original_size)


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
    with at_laptop(page, artifacts / "layout-1366-failure.png"):
        _upload(page, app_url, astronaut_path, settle_ms=800)
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
        # round 18: the edit by its number in the edits list and where to save it ("in 13 ms (layer #1)" before), in
        # the status line's two lines (a third would move the photo)
        assert "(edit #1). The Download tab saves it." in _status(page) and "layer" not in _status(page)
        assert page.locator("#facet-status").bounding_box()["height"] <= 43
        # scrolled down to the last control (the faces panel's button, a group photo's long parts list), the photo
        # and the status line beside it stay in view: the photo's column is sticky
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.scrollY") > 200, "the page is taller than the screen"
        page.screenshot(path=str(artifacts / "layout-1366-scrolled.png"))
        for selector in ("#facet-canvas img", "#facet-status"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], (selector, box)


CHIPS_BOX = """() => {
    const w = document.querySelector('#facet-parts .wrap:has(> label)');
    return {scroll: w.scrollHeight, client: w.clientHeight, top: w.scrollTop};
}"""


def test_a_group_photos_many_chips_scroll_in_their_box_and_apply_stays_in_view(page, app_url, artifacts):  # noqa: F811
    """Round 18, a stranger's drive at 1366x768: t1.jpg's 43 chips ran 950 px down the page, and a chip picked near the
    list's end left step 3 (Apply) above the window (y -310 after picking 'background'). The chips scroll in a box
    that ends inside the window: the last chip is reached and picked with the page where it was, Apply and the photo
    in view."""
    from tests import photos

    with at_laptop(page, artifacts / "layout-1366-many-chips-failure.png"):
        _upload(page, app_url, photos.path("t1"), settle_ms=800)
        page.evaluate("() => window.scrollTo(0, 0)")
        chips = page.locator("#facet-parts label")
        assert chips.count() >= 40, chips.count()
        page.screenshot(path=str(artifacts / "layout-1366-many-chips.png"))
        parts = _in_view(page, "#facet-parts")
        box = page.evaluate(CHIPS_BOX)
        assert box["scroll"] > box["client"] + 100, f"the chips scroll inside their box: {box}"
        last = chips.last
        last.scroll_into_view_if_needed()
        assert page.evaluate(CHIPS_BOX)["top"] > 0, "the box scrolled to its last chip"
        chip = last.bounding_box()
        assert parts["y"] <= chip["y"] and chip["y"] + chip["height"] <= parts["y"] + parts["height"] + 1, (chip, parts)
        label = last.inner_text().strip()
        last.click()
        page.wait_for_function(
            "(l) => document.querySelector('#facet-status').innerText.includes(`Selected '${l}'`)",
            arg=label,
            timeout=30_000,
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "layout-1366-many-chips-picked.png"))
        for selector in ("#facet-apply", "#facet-canvas img", "#facet-parts label.selected"):
            _in_view(page, selector)


def _shown(page, selector: str) -> bool:  # noqa: F811  (page: the fixture)
    """Whether the element is on the page with a size (Gradio leaves a hidden component out, or at no size)."""
    return page.evaluate(
        "(s) => { const e = document.querySelector(s); if (!e) return false;"
        " const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 }",
        selector,
    )


def test_every_panels_main_action_is_in_view_on_a_laptop_screen(page, app_url, astronaut_path, artifacts):  # noqa: F811
    with at_laptop(page, artifacts / "layout-1366-tools-failure.png"):
        _upload(page, app_url, astronaut_path)
        page.evaluate("() => window.scrollTo(0, 0)")
        _in_view(page, "#facet-upload")
        chip = page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first
        assert chip.bounding_box()["y"] + chip.bounding_box()["height"] <= LAPTOP["height"], "the parts are in view"
        chip.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.wait_for_timeout(300)
        # each look with its own controls: the look's choice, Apply and Show variants in view, each whole
        for look in ("Texture", "Recolour", "Neural style", "Cartoon", "Sky preset"):
            page.locator("#facet-look").get_by_text(look, exact=True).click()
            page.wait_for_timeout(400)
            page.screenshot(path=str(artifacts / f"layout-1366-look-{look.split()[0].lower()}.png"))
            for selector in ("#facet-look", "#facet-apply", "#facet-variants-btn"):
                _in_view(page, selector)
        # recolour shows the controls its mode uses: the target colour, or the three shift sliders
        page.locator("#facet-look").get_by_text("Recolour", exact=True).click()
        page.wait_for_timeout(400)
        assert _shown(page, "#facet-colour") and not _shown(page, "#facet-hue")
        page.locator("#facet-recolour-mode").get_by_text("Shift hue", exact=False).click()
        page.wait_for_timeout(400)
        assert _shown(page, "#facet-hue") and not _shown(page, "#facet-colour")
        page.screenshot(path=str(artifacts / "layout-1366-look-shift.png"))
        for selector in ("#facet-apply", "#facet-variants-btn"):
            _in_view(page, selector)
        # the other tools, each opened by its tab: its main action at the top, in view beside the photo
        for tool, selectors in (
            ("Faces", ("#facet-anonymize", "#facet-faces-which")),
            ("Generate", ("#facet-remove",)),
            ("Download", ("#facet-export", "#facet-download")),
        ):
            _tool(page, tool)
            page.wait_for_timeout(400)
            page.screenshot(path=str(artifacts / f"layout-1366-{tool.lower()}.png"))
            for selector in (*selectors, "#facet-canvas img"):
                _in_view(page, selector)
        # Find and number the faces shows them: the photo column turns to its "Numbered faces" tab
        _tool(page, "Faces")
        page.click("#facet-find-faces")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('found in')", timeout=60_000
        )
        page.wait_for_selector("#facet-faces img", timeout=30_000)
        page.wait_for_timeout(400)
        assert "1 face found" in _status(page), _status(page)
        _in_view(page, "#facet-faces img")
        page.screenshot(path=str(artifacts / "layout-1366-numbered-faces.png"))
        page.locator("#facet-tabs").get_by_role("tab", name="Photo", exact=True).click()
        _tool(page, "Download")
        # the download is one click: the full-size result arrives (and its link stays shown)
        with page.expect_download(timeout=60_000) as dl:
            page.click("#facet-export")
        assert dl.value.suggested_filename.endswith(".png"), dl.value.suggested_filename
        _in_view(page, "#facet-result")


PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1000}


def _page_box(page, selector: str) -> dict:  # noqa: F811  (page: the fixture)
    """The element's box in page coordinates (the viewport's box plus the scroll)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    scroll = page.evaluate("() => window.scrollY")
    return {**box, "y": box["y"] + scroll, "bottom": box["y"] + scroll + box["height"]}


def test_on_a_phone_the_look_tools_follow_the_picked_part(page, app_url, astronaut_path, artifacts):  # noqa: F811
    """Round 16: on a 390x844 phone the whole Pick panel (words, click modes, segments) came before the tools:
    Apply at y 2288, almost three screens down. The tools now come right after the parts (whose list scrolls
    within a few rows), the other ways to pick after them; the three columns at 1366 and 1920 px stay as they were."""
    original_size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        _upload(page, app_url, astronaut_path)
        chip = page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first
        chip.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "layout-390-picked.png"), full_page=True)
        photo, upload = _page_box(page, "#facet-canvas img"), _page_box(page, "#facet-upload")
        parts, tools, apply = (_page_box(page, s) for s in ("#facet-parts", "#facet-tools", "#facet-apply"))
        assert apply["bottom"] <= 1600, f"Apply within two screens (it was at y 2288): {apply}"
        assert apply["x"] >= 0 and apply["x"] + apply["width"] <= PHONE["width"], apply
        assert parts["height"] <= 260, f"the parts list is compact: {parts}"
        # the upload box first (step 1), then the photo with the parts right under it (round 17: the upload box sat
        # between them, and a chip picked with the list at the window's top drew its outline out of sight)
        order = [upload, photo, parts, tools, _page_box(page, "#facet-pick-more")]
        assert all(a["bottom"] <= b["y"] for a, b in zip(order, order[1:], strict=False)), order
        # the picked chip is in view inside the parts list's own scroll box
        picked = _page_box(page, "#facet-parts label.selected")
        assert parts["y"] <= picked["y"] and picked["bottom"] <= parts["bottom"] + 1, (picked, parts)
        # wider windows: the three columns side by side (photo, parts, tools), Apply in view beside the photo
        for size in ({"width": 1920, "height": 1080}, LAPTOP):
            page.set_viewport_size(size)
            page.evaluate("() => window.scrollTo(0, 0)")
            page.wait_for_timeout(400)
            page.screenshot(path=str(artifacts / f"layout-{size['width']}-after-phone.png"))
            photo, parts = _page_box(page, "#facet-canvas img"), _page_box(page, "#facet-parts")
            apply, more = _page_box(page, "#facet-apply"), _page_box(page, "#facet-pick-more")
            assert photo["x"] + photo["width"] <= parts["x"] < apply["x"], (size, photo, parts, apply)
            assert parts["bottom"] <= more["y"], (size, parts, more)
            assert 0 <= apply["y"] and apply["bottom"] <= size["height"], (size, apply)
        # a tablet (641-999 px): the photo and the parts side by side, the tools right under them, the other ways to
        # pick last (at 800x1000 the tools wrapped under the whole Pick panel: Apply at y 1852; now about 1008)
        page.set_viewport_size(TABLET)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(400)
        page.screenshot(path=str(artifacts / "layout-800-after-phone.png"), full_page=True)
        photo, parts, tools = (_page_box(page, s) for s in ("#facet-canvas img", "#facet-parts", "#facet-tools"))
        apply, more = _page_box(page, "#facet-apply"), _page_box(page, "#facet-pick-more")
        assert photo["x"] + photo["width"] <= parts["x"], (photo, parts)
        assert max(photo["bottom"], parts["bottom"]) <= tools["y"], (photo, parts, tools)
        assert apply["bottom"] <= more["y"], (apply, more)
        assert apply["bottom"] <= 1.2 * TABLET["height"], f"Apply about a screen down (it was at y 1852): {apply}"
    except Exception:
        page.screenshot(path=str(artifacts / "layout-390-failure.png"), full_page=True)
        raise
    finally:
        page.set_viewport_size(original_size)


SEEN = """() => {
    const r = document.querySelector('#facet-canvas img').getBoundingClientRect();
    return (Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0)) / r.height;
}"""


def test_on_a_phone_a_picked_part_is_shown_on_the_photo(page, app_url, astronaut_path, artifacts):  # noqa: F811
    """Round 17, a stranger on a 390x844 phone: with the parts list at the top of the window (where a reader of the
    list has it), a tapped chip drew its outline on a photo above the window (its bottom edge at y -229). After the
    pick the photo's column is brought to the top: the photo whole in view, the tapped chip still in view under it;
    on a laptop (the photo column is sticky) nothing scrolls."""
    original_size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        _upload(page, app_url, astronaut_path)
        page.evaluate("() => document.querySelector('#facet-parts').scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        assert page.evaluate(SEEN) < 0.5, "before the tap the photo is out of view (the test's premise)"
        page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.wait_for_function(f"() => ({SEEN})() >= 0.99", timeout=10_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "layout-390-pick-shown.png"))
        chip = page.locator("#facet-parts label.selected").bounding_box()
        assert chip is not None and 0 <= chip["y"] and chip["y"] + chip["height"] <= PHONE["height"], chip
        status = page.locator("#facet-status").bounding_box()
        assert status["y"] >= -1, f"the status line ('Selected ...') is in view too: {status}"
        shown = _canvas_pixels(page, artifacts / "layout-390-pick-canvas.png")
        h, w = shown.shape[:2]
        tinted = shown[int(420 / 512 * h), int(80 / 512 * w)]
        assert tinted[2] > tinted[0], f"the outline of the suit is what is shown (blue tint): {tinted}"
        # words select the part too, from the panel under the tools (two screens down): the photo comes into view
        page.fill("#facet-words textarea, #facet-words input", "hair")
        page.locator("#facet-words-btn").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert page.evaluate(SEEN) < 0.5
        page.click("#facet-words-btn")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('hair')", timeout=30_000
        )
        page.wait_for_function(f"() => ({SEEN})() >= 0.99", timeout=10_000)
        # a laptop: the photo column is sticky and in view; a pick leaves the page where it is
        page.set_viewport_size(LAPTOP)
        page.evaluate("() => window.scrollTo(0, 150)")
        page.wait_for_timeout(300)
        page.locator("#facet-parts").get_by_text("face", exact=True).first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes(\"'face'\")", timeout=30_000
        )
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.scrollY") == 150
    except Exception:
        page.screenshot(path=str(artifacts / "layout-390-pick-failure.png"), full_page=True)
        raise
    finally:
        page.set_viewport_size(original_size)


def test_on_a_phone_apply_shows_its_result(page, app_url, astronaut_path, artifacts):  # noqa: F811
    """Round 17, a stranger on a 390x844 phone: Apply sits about a screen under the photo, and the result was drawn
    out of sight (the photo's bottom edge above the window after the tap). After Apply, and after Undo edit, the
    photo is brought into view; on a laptop (the photo column is sticky) nothing scrolls."""
    original_size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        _upload(page, app_url, astronaut_path)
        page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.locator("#facet-apply").scroll_into_view_if_needed()
        assert page.evaluate(SEEN) < 0.5, "before the tap the photo is out of view (the test's premise)"
        page.click("#facet-apply")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=60_000
        )
        page.wait_for_function(f"() => ({SEEN})() >= 0.99", timeout=10_000)
        page.screenshot(path=str(artifacts / "layout-390-applied.png"))
        page.locator("#facet-undo-edit").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert page.evaluate(SEEN) < 0.5
        page.click("#facet-undo-edit")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('undone')", timeout=30_000
        )
        page.wait_for_function(f"() => ({SEEN})() >= 0.99", timeout=10_000)
        # a laptop: Apply beside the sticky photo; the page stays where it is
        page.set_viewport_size(LAPTOP)
        page.evaluate("() => window.scrollTo(0, 120)")
        page.click("#facet-apply")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=60_000
        )
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.scrollY") == 120
    except Exception:
        page.screenshot(path=str(artifacts / "layout-390-apply-failure.png"), full_page=True)
        raise
    finally:
        page.set_viewport_size(original_size)


def test_on_a_laptop_the_faces_tools_two_actions_and_anonymizes_status_fit(page, app_url, artifacts):  # noqa: F811
    """Round 20, a stranger's drive on t1.jpg (six faces) at 1366x768: (1) *Swap faces* sat at y 1024 under the
    gallery and the upload box, below the window: the stranger did not find it. Both of the Faces tool's actions
    (Anonymize, and Swap faces beside the gallery face it swaps to) and the way to your own target face are in view
    with the page at the top. (2) After Anonymize the status ran to three lines, named the blurred face "the 3rd
    face from the left" beside a Numbered faces tab that showed #3, and pushed the photo 21 px down. The status
    stays in its two lines, the photo where it was, and the face is named as the tab numbers it."""
    from tests import photos

    with at_laptop(page, artifacts / "layout-1366-faces-t1-failure.png"):
        _upload(page, app_url, photos.path("t1"), settle_ms=800)
        _tool(page, "Faces")
        page.wait_for_timeout(500)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "layout-1366-faces-t1.png"))
        for selector in ("#facet-faces-which", "#facet-anon-method", "#facet-anonymize", "#facet-target-gallery"):
            _in_view(page, selector)
        # round 22's drive: the 'Which faces' label ran to three lines beside Find (59 px) and pushed the tool down
        which = page.locator("#facet-faces-which [data-testid='block-info']")
        assert which.bounding_box()["height"] <= 24, f"one line: {which.inner_text()!r} {which.bounding_box()}"
        swap, gallery = _in_view(page, "#facet-swap"), _in_view(page, "#facet-target-gallery")
        assert swap["y"] < gallery["y"] + gallery["height"] and gallery["x"] + gallery["width"] <= swap["x"], (
            "Swap faces sits beside the gallery face it swaps to",
            swap,
            gallery,
        )
        more = _in_view(page, "#facet-swap-more")
        assert "your own face" in page.locator("#facet-swap-more").inner_text(), "the upload is named, not hidden"
        assert more["y"] > swap["y"]
        photo = _in_view(page, "#facet-canvas img")
        page.click("#facet-anonymize")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Anonymized')", timeout=300_000
        )
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "layout-1366-faces-t1-anonymized.png"))
        said = _status(page)
        assert "from the left" not in said and not re.search(r"\d(st|nd|rd|th) face", said), said
        if "blurred" in said or "covered" in said:  # on the drive: "face #3 blurred: no made-up face hid who it is"
            assert re.search(r"faces? #\d+( and #\d+)? (blurred|covered)", said), said
        assert page.locator("#facet-status").bounding_box()["height"] <= 43, f"two lines: {said}"
        assert _in_view(page, "#facet-canvas img")["y"] == photo["y"], "the photo did not move"
