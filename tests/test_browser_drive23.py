"""Round 23, a stranger's drive at 1366x768 (headless Debian Chromium). The built-in styles were numbers: a slider 0-25
and "Applied neural style 0" in the status line; each now has its name in the chooser, the status line and the edits
list (editors.style.NAMES). The "Check a photo" tab's upload box kept the checked file, so a second photo needed the ×
first, and at 100 px its empty box hid its icon and cut "Click to Upload" in half; now it empties once the photo is
read (the verdict names the file) and its empty box is whole, as the main upload box since round 22."""

from __future__ import annotations

import pytest

from tests.test_browser import _status, _upload, page  # noqa: F401  (page: the module-scoped page)
from tests.test_browser_layout import at_laptop

pytestmark = pytest.mark.browser

BOX = """() => {
    const q = s => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect();
                     return {top: r.top, bottom: r.bottom}; };
    return {box: q('#facet-check-upload'), label: q('#facet-check-upload [data-testid=block-label]'),
            icon: q('#facet-check-upload [data-testid=upload-icon] svg'),
            text: q('#facet-check-upload [data-testid=upload-text]')};
}"""


def _check_box_is_empty_and_whole(page) -> None:  # noqa: F811  (page: the fixture)
    page.wait_for_selector("#facet-check-upload [data-testid=upload-icon]")
    g = page.evaluate(BOX)
    assert g["icon"] is not None and g["icon"]["top"] >= g["label"]["bottom"] - 0.5, ("the label covers the icon", g)
    assert g["text"]["bottom"] <= g["box"]["bottom"] + 0.5, ("'Click to Upload' runs out of the box", g)


def test_the_check_tab_takes_a_second_photo_without_the_cross(
    page,  # noqa: F811
    app_url,
    astronaut_path,
    hopper_path,
    artifacts,
):
    with at_laptop(page, artifacts / "drive23-check-failure.png"):
        page.goto(app_url)
        page.get_by_role("tab", name="Check a photo").click()
        _check_box_is_empty_and_whole(page)
        for photo in (astronaut_path, hopper_path):
            page.set_input_files("#facet-check-upload input[type=file]", str(photo))
            page.wait_for_function(
                "(name) => document.querySelector('#facet-check-verdict').innerText.includes(name + ': ')",
                arg=photo.name,
                timeout=60_000,
            )
            assert "No Facet marks found" in page.locator("#facet-check-verdict").inner_text()
            _check_box_is_empty_and_whole(page)  # the drop zone is back without the ×: it takes the next photo
        page.screenshot(path=str(artifacts / "drive23-check-second.png"))


def style_on_the_background(page, app_url: str, path) -> None:  # noqa: F811  (page: the fixture)
    """Upload ``path``, pick its "background" chip and the Neural style look (the drive tests' first steps)."""
    _upload(page, app_url, path)
    page.locator("#facet-parts label").filter(has_text="background").click()
    page.wait_for_function("() => document.querySelector('#facet-status').innerText.includes('Selected')")
    page.locator("#facet-look").get_by_label("Neural style").check()


def test_a_built_in_style_is_picked_by_its_name_and_named_after_apply(
    page,  # noqa: F811
    app_url,
    astronaut_path,
    artifacts,
):
    with at_laptop(page, artifacts / "drive23-style-failure.png"):
        style_on_the_background(page, app_url, astronaut_path)
        page.locator("#facet-style input").click()
        page.get_by_role("option", name="starry blue").click()
        assert page.locator("#facet-style input").input_value() == "starry blue"
        page.locator("#facet-apply").click()
        page.wait_for_function(
            "() => /^Applied|⚠/.test(document.querySelector('#facet-status').innerText)", timeout=60_000
        )
        page.screenshot(path=str(artifacts / "drive23-style-named.png"))
        assert _status(page).startswith("Applied the starry blue style to 'background'"), _status(page)
        assert page.locator("#facet-layers label").all_inner_texts() == ["#1 starry blue style on background"]


def test_the_download_says_it_is_saving_while_it_writes(
    page,  # noqa: F811
    app_url,
    astronaut_path,
    artifacts,
):
    """Round 23's drive: a 12 MP PNG took 8 s to write with the last edit's words still on the status line and the
    button live. Every status line the page shows is recorded (a MutationObserver): "Saving ..." comes first, with
    the button off, then what was saved, with the button on again."""
    from tests.test_browser import _tool

    with at_laptop(page, artifacts / "drive23-saved-failure.png"):
        _upload(page, app_url, astronaut_path)
        page.evaluate(
            """() => { window.seen = [];
                const status = document.querySelector('#facet-status');
                new MutationObserver(() => window.seen.push([status.innerText,
                    document.querySelector('#facet-export').disabled])).observe(status,
                    {subtree: true, childList: true, characterData: true}); }"""
        )
        _tool(page, "Download")
        with page.expect_download(timeout=60_000):
            page.click("#facet-export")
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.startsWith('Saved')", timeout=30_000
        )
        page.wait_for_function("() => !document.querySelector('#facet-export').disabled", timeout=10_000)
        seen = page.evaluate("window.seen")
        saving = [disabled for text, disabled in seen if text.startswith("Saving the full-size result (PNG, 512x512)")]
        assert saving and all(saving), seen
        page.screenshot(path=str(artifacts / "drive23-saved.png"))
