"""In headless Debian Chromium: a double click on Apply makes one layer (the button is disabled while the edit
runs); refused uploads (.txt, .pdf, a broken image) say why in the status line."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import test_browser
from tests.test_browser import _fresh_upload, _status

page = test_browser.page  # the module-scoped browser page fixture, shared with test_browser.py

pytestmark = pytest.mark.browser


def test_double_click_on_apply_makes_one_layer(page, app_url, astronaut_path, artifacts):
    try:
        _fresh_upload(page, app_url, astronaut_path, artifacts / "guard-uploaded.png")
        page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first.click()
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
        )
        page.wait_for_timeout(800)
        button = page.locator("#facet-apply")
        button.dblclick()
        # disabled while the edit runs (Gradio's own "once" trigger mode already drops a click that arrives while
        # the first is pending; the disabled button also stops one that comes later, and says so)
        page.wait_for_function("() => document.querySelector('#facet-apply').disabled", timeout=10_000)
        page.wait_for_function(
            "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=60_000
        )
        page.wait_for_function("() => !document.querySelector('#facet-apply').disabled", timeout=30_000)
        page.wait_for_timeout(1500)  # a second apply, had one started, would have finished by now
        layers = page.locator("#facet-layers").inner_text()
        assert "#1 denim texture on upper clothes" in layers and "#2" not in layers, layers
        button.click()  # enabled again: a later click is a real second edit
        page.wait_for_function("() => document.querySelector('#facet-layers').innerText.includes('#2')", timeout=60_000)
        page.screenshot(path=str(artifacts / "guard-double-click.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "guard-double-click-failure.png"), full_page=True)
        raise


def _broken_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()[:400]  # the header is fine, the pixels are cut off


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("notes.txt", b"just some text\n" * 20, "not an image Facet can read"),
        ("paper.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "not an image Facet can read"),
        ("broken.png", _broken_png(), "truncated or damaged"),
    ],
)
def test_a_refused_upload_says_why_in_the_status_line(page, app_url, tmp_path, artifacts, name, data, reason):
    page.goto(app_url)
    page.wait_for_selector("#facet-upload input[type=file]", state="attached")
    path = tmp_path / name
    path.write_bytes(data)
    page.set_input_files("#facet-upload input[type=file]", str(path))
    try:
        page.wait_for_function(
            f"() => document.querySelector('#facet-status').innerText.includes({reason!r})", timeout=30_000
        )
        assert name in _status(page) and _status(page).startswith("⚠")
    except Exception:
        page.screenshot(path=str(artifacts / f"guard-upload-{name}.png"), full_page=True)
        raise
    page.screenshot(path=str(artifacts / f"guard-upload-{name}.png"), full_page=True)
