"""Generation in the real page (headless Debian Chromium), with a tiny random inpainting pipeline and LCM-LoRA
loaded through FACET_MODEL_INPAINT / FACET_MODEL_INPAINT_FAST: pick a part, type a prompt, see the per-step
progress and the variants with their seeds, apply one. (Random weights make noise, not a jacket: this tests the
path a user takes, not the quality of a model.)"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import launch_app
from tests.test_browser import ARGS, CHROMIUM, _canvas_pixels, _fresh_upload, _tool

pytestmark = pytest.mark.browser

# every progress text the page shows, collected by a MutationObserver (the tiny model's steps are quick)
WATCH_PROGRESS = """() => {
  window.__facetProgress = new Set();
  const grab = () => {
    for (const m of document.body.innerText.matchAll(/denoising step (\\d+) of (\\d+)/g)) window.__facetProgress.add(m[0]);
  };
  new MutationObserver(grab).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def gen_url(tmp_path_factory):
    from tests.tiny_models import make_tiny_inpaint, make_tiny_lcm_lora

    base = make_tiny_inpaint(tmp_path_factory.mktemp("tiny-inpaint-ui"))
    lora = make_tiny_lcm_lora(tmp_path_factory.mktemp("tiny-lcm-ui"), base)
    mp = pytest.MonkeyPatch()
    mp.setenv("FACET_MODEL_INPAINT", str(base))
    mp.setenv("FACET_MODEL_INPAINT_FAST", str(lora))
    demo, url = launch_app()  # after the variables: the UI checks the weights when it is built
    yield url
    demo.close()
    mp.undo()


def test_prompt_progress_variants_apply(gen_url, astronaut_path, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            original = _fresh_upload(page, gen_url, astronaut_path, artifacts / "browser-gen-before.png")
            page.locator("#facet-parts").get_by_text("upper clothes", exact=False).first.click()
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('upper clothes')", timeout=30_000
            )
            _tool(page, "Generate")
            assert "ready" in page.locator("#facet-gen-note").inner_text()
            page.locator("#facet-prompt textarea").fill("a denim jacket")
            page.evaluate(WATCH_PROGRESS)
            page.click("#facet-generate")
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('click one to apply it')",
                timeout=120_000,
            )
            seen = page.evaluate("() => [...window.__facetProgress]")
            assert any(s.endswith("of 4") for s in seen), seen  # 2 variants x 2 fast CPU steps on one bar
            gallery = page.locator("#facet-generated")
            captions = gallery.inner_text()
            assert "seed 0" in captions and "seed 1" in captions, captions
            page.screenshot(path=str(artifacts / "browser-gen-variants.png"), full_page=True)
            gallery.locator("img").nth(1).click()
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('Applied variant')", timeout=60_000
            )
            assert "seed 1" in page.locator("#facet-status").inner_text()
            page.wait_for_timeout(800)
            after = _canvas_pixels(page, artifacts / "browser-gen-applied.png")
            h, w = after.shape[:2]
            suit = (slice(int(400 / 512 * h), int(440 / 512 * h)), slice(int(60 / 512 * w), int(100 / 512 * w)))
            wall = (slice(int(40 / 512 * h), int(80 / 512 * h)), slice(int(310 / 512 * w), int(350 / 512 * w)))
            assert np.abs(after[suit] - original[suit]).mean() > 10, "the jacket was regenerated"
            assert np.abs(after[wall] - original[wall]).mean() < 2, "the wall is untouched"
            assert "inpaint on upper clothes" in page.locator("#facet-layers").inner_text()
        except Exception:
            page.screenshot(path=str(artifacts / "browser-gen-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
