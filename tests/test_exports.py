"""Exports change only what was edited; the watermark policy; C2PA Content Credentials; download files written
once under unique names. Every check reads the exported file back from disk."""

from __future__ import annotations

import hashlib
import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from studio import credentials
from studio import provenance as pv
from editors.base import declared_provenance
from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import EditorSession
from core.settings import Settings

CLASSICAL = [
    ("recolour", {"target": "#c0262d"}),
    ("texture", {"texture": "leopard"}),
    ("cartoon", {}),
    ("sky", {"preset": "winter", "relight": False}),
    ("remove", {"method": "telea"}),
]


@pytest.fixture(scope="module")
def services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


def jacket(shape) -> np.ndarray:
    """A hand-placed ellipse over the astronaut's suit (photo pixels)."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.ellipse(mask, (140, 420), (110, 80), 0, 0, 360, 1, -1)
    return mask.astype(bool)


def read_back(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def session_with(services, astronaut_path, edits) -> EditorSession:
    s = EditorSession()
    s.load(load_photo(astronaut_path), services, parse=False)
    for name, params in edits:
        everything = declared_provenance(name).face_edit is not None  # face editors work on every face
        mask = np.ones((s.photo.height, s.photo.width), bool) if everything else jacket(s.photo.pixels.shape)
        s.apply_edit(name, params, 0, services, mask=mask, label="faces" if everything else "jacket")
    return s


@pytest.mark.parametrize("name,params", CLASSICAL, ids=[c[0] for c in CLASSICAL])
def test_a_classical_export_is_bit_identical_outside_the_edit(services, astronaut_path, name, params):
    """The exported PNG (read back from disk) keeps every pixel outside the mask and its feather band (remove:
    plus its automatic grow) bit-identical; no watermark; Content Credentials say what was done."""
    s = session_with(services, astronaut_path, [(name, params)])
    try:
        path = s.export("PNG", settings=Settings())
        out, original = read_back(path), s.photo.pixels
        mask = jacket(original.shape)
        band = 4 if name != "remove" else 4 + int(0.08 * 220) + 2  # feather (~1.8 px here); remove grows first
        near = cv2.dilate(mask.astype(np.uint8), np.ones((2 * band + 1, 2 * band + 1), np.uint8)) > 0
        assert np.array_equal(out[~near], original[~near]), f"{name}: pixels outside the edit changed"
        assert np.abs(out[mask].astype(int) - original[mask]).mean() > 3, f"{name}: the edit is in the file"
        assert not pv.read_watermark(out).found
        m = pv.read_metadata(path.read_bytes())
        assert m["edits"][0]["editor"] == name and not m["generative"] and m["watermarked"] is False
        found = credentials.read(path.read_bytes())
        assert found["state"] == "Valid" and not found["generated_by_ai"]
        assert [a["action"] for a in found["actions"]] == [
            "c2pa.opened",
            "c2pa.color_adjustments" if name == "recolour" else "c2pa.edited",
        ]
    finally:
        s.close()


def test_the_watermark_policy(services, astronaut_path):
    """generative (default): a face swap is marked, a recolour is not; always: both; never: neither."""
    swap = session_with(services, astronaut_path, [("faceswap", {"target": "synthetic_average"})])
    recolour = session_with(services, astronaut_path, [("recolour", {"target": "#2050d0"})])
    try:
        for policy, swapped, recoloured in (
            ("generative", True, False),
            ("always", True, True),
            ("never", False, False),
        ):
            settings = Settings(watermark=policy)
            a = pv.read_watermark(read_back(swap.export("PNG", settings=settings)))
            b = pv.read_watermark(read_back(recolour.export("PNG", settings=settings)))
            assert (a.found, b.found) == (swapped, recoloured), policy
            if swapped:
                assert a.flags["faces_swapped"]
    finally:
        swap.close()
        recolour.close()
    with pytest.raises(ValueError, match="FACET_WATERMARK"):
        Settings(watermark="sometimes")


def test_generative_editors_declare_it():
    from editors import EDITORS

    flags = {name: EDITORS.build(name, None).provenance.generative for name in EDITORS.names()}
    assert flags["inpaint"] and flags["style"] and flags["faceswap"] and flags["anonymize"]
    assert not any(flags[n] for n in ("recolour", "texture", "cartoon", "sky"))


def test_a_style_only_export_names_the_trained_network(services, astronaut_path):
    """Neural style is a trained model: the export's manifest lists its network (with sha256) and says a trained
    model was used; Content Credentials carry the model and the AI source type; the watermark is there."""
    s = session_with(services, astronaut_path, [("style", {"style": 3})])
    try:
        data = s.export("PNG", settings=Settings()).read_bytes()
        m = pv.read_metadata(data)
        assert m["trained_models_used"] and m["generative"]
        (edit,) = m["edits"]
        assert edit["editor"] == "style" and any(
            "multistyle26.onnx" in mid and "sha256:" in mid for mid in edit["models"]
        )
        found = credentials.read(data)
        assert found["actions"][1]["models"] == edit["models"] and found["generated_by_ai"]
        assert pv.read_watermark(read_back(io.BytesIO(data))).found
    finally:
        s.close()


def test_content_credentials_of_a_generative_export(services, astronaut_path):
    """A recolour then a face swap: C2PA validates with c2pa-python's Reader; opened (the uploaded photo, its
    SHA-256), colour adjustments, then an edit with compositeWithTrainedAlgorithmicMedia and its model ids."""
    import c2pa

    s = session_with(
        services, astronaut_path, [("recolour", {"target": "#2050d0"}), ("faceswap", {"target": "synthetic_average"})]
    )
    try:
        for fmt in ("PNG", "JPEG"):
            data = s.export(fmt, settings=Settings()).read_bytes()
            with c2pa.Reader("image/png" if fmt == "PNG" else "image/jpeg", io.BytesIO(data)) as reader:
                assert reader.get_validation_state() == "Valid"  # signed and intact; the local signer is untrusted
                active = reader.get_active_manifest()
            actions = next(a for a in active["assertions"] if a["label"].startswith("c2pa.actions"))["data"]["actions"]
            assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.color_adjustments", "c2pa.edited"]
            assert "digitalSourceType" not in actions[1]
            assert actions[2]["digitalSourceType"] == credentials.COMPOSITE
            assert (
                actions[2]["softwareAgent"]["name"] == "Facet faceswap" and actions[2]["parameters"]["org.facet.models"]
            )
            assert active["ingredients"][0]["title"] == "astronaut.png"
            assert active["signature_info"]["common_name"] == "Facet local signer"
            found = credentials.read(data)
            assert found["ingredient_sha256"] == hashlib.sha256(astronaut_path.read_bytes()).hexdigest()
            assert found["facet"]["faces_swapped"] and found["generated_by_ai"]
            assert pv.read_metadata(data)["faces_swapped"]  # Facet's own metadata is still there too
            report = pv.check(data, name=f"x.{fmt.lower()}")
            assert report.content_credentials["state"] == "Valid" and "Content Credentials (C2PA)" in report.verdict
            assert "Edited by Facet: recolour on jacket; faces swapped" in report.verdict
    finally:
        s.close()


def test_check_reads_c2pa_then_metadata(services, astronaut_path):
    """A signed export: the manifest comes from the C2PA assertion. A file changed after signing (one byte of
    a metadata chunk) is reported as not validating, and Facet's own metadata is read instead."""
    s = session_with(services, astronaut_path, [("recolour", {"target": "#2050d0"})])
    try:
        data = s.export("PNG", settings=Settings()).read_bytes()
    finally:
        s.close()
    fresh = pv.check(data, name="fresh.png")
    assert fresh.content_credentials["state"] == "Valid" and fresh.manifest["edits"][0]["editor"] == "recolour"
    assert fresh.summary()["content_credentials"]["actions"][1]["action"] == "c2pa.color_adjustments"
    old = pv._png_chunk(b"tEXt", b"Software\x00Facet")
    changed = data.replace(old, pv._png_chunk(b"tEXt", b"Software\x00Facex"))  # a text chunk edited after signing
    assert changed != data
    report = pv.check(changed, name="changed.png")
    assert report.content_credentials["state"] == "Invalid" and "do not validate" in report.verdict
    assert report.has_metadata and report.manifest["edits"][0]["editor"] == "recolour"


def test_a_configured_certificate_is_used(tmp_path, services, astronaut_path):
    credentials.generate_local_signer(tmp_path / "mine")
    settings = Settings(c2pa_cert=str(tmp_path / "mine" / "chain.pem"), c2pa_key=str(tmp_path / "mine" / "key.pem"))
    assert credentials.ensure_signer(settings) == "configured"
    s = session_with(services, astronaut_path, [("recolour", {"target": "#2050d0"})])
    try:
        found = credentials.read(s.export("PNG", settings=settings).read_bytes())
        assert found["state"] == "Valid"
    finally:
        s.close()
    with pytest.raises(ValueError, match="go together"):
        Settings(c2pa_cert=str(tmp_path / "mine" / "chain.pem"))
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    bad = Settings(c2pa_cert=str(broken), c2pa_key=str(broken))
    s = session_with(services, astronaut_path, [("recolour", {"target": "#2050d0"})])
    try:
        with pytest.raises(Exception, match="could not be signed"):
            s.export("PNG", settings=bad)
    finally:
        s.close()


def test_the_local_signer_lives_in_the_user_data_folder(tmp_path):
    settings = Settings(data_dir=str(tmp_path / "data"))
    assert credentials.ensure_signer(settings) == "local"
    key = tmp_path / "data" / "c2pa" / "key.pem"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    first = key.read_bytes()
    credentials._material.cache_clear()
    credentials.ensure_signer(settings)
    assert key.read_bytes() == first  # made once, then reused


def test_download_files_are_written_once_under_unique_names(services, astronaut_path):
    s = session_with(services, astronaut_path, [("recolour", {"target": "#2050d0"})])
    try:
        a, b = s.export("PNG", settings=Settings()), s.export("PNG", settings=Settings())
        assert a != b and a.name == b.name == "astronaut-facet.png"
        first = a.read_bytes()
        s.apply_edit("texture", {"texture": "denim"}, 0, services, mask=jacket(s.photo.pixels.shape), label="jacket")
        c = s.export("PNG", settings=Settings())
        assert a.read_bytes() == first and c.read_bytes() != first  # the older file was not rewritten
        seg = s.new_segment("jacket", base=jacket(s.photo.pixels.shape))
        m1 = s.mask_file()
        assert s.mask_file() == m1  # unchanged mask: the same file
        s.grow(4)
        m2 = s.mask_file()
        assert m2 != m1 and m1.exists() and m2.name == m1.name == "jacket-mask.png"
        assert not list(m2.parent.glob(".part-*"))  # no temp file left behind
        assert seg.id == s.active
        folder = a.parent.parent
    finally:
        s.close()
    assert not folder.exists()  # cleaned up with the session


def test_the_check_tab_shows_content_credentials(app_url, astronaut_path):
    """Through the API: upload, edit, export, then /check_photo on the export shows the C2PA manifest."""
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(astronaut_path)), api_name="/upload")
    client.predict(100, 330, "include", api_name="/click")
    client.predict("recolour", json.dumps({"target": "#2050d0"}), 0, api_name="/edit")
    path = client.predict("PNG", api_name="/export")
    verdict, _overlay, report = client.predict(handle_file(path), api_name="/check_photo")
    c2pa = report["content_credentials"]
    assert c2pa["state"] == "Valid" and c2pa["signer"]["common_name"] == "Facet local signer"
    assert [a["action"] for a in c2pa["actions"]] == ["c2pa.opened", "c2pa.color_adjustments"]
    assert "Content Credentials (C2PA)" in verdict and "not on a public trust list" in verdict
    assert "Edited by Facet: recolour" in verdict and not report["watermark_found"]


def test_cli_check_reads_content_credentials(services, astronaut_path, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    s = session_with(services, astronaut_path, [("texture", {"texture": "denim"})])
    try:
        path = s.export("JPEG", settings=Settings())
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", "check", str(path)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            timeout=300,
        )
    finally:
        s.close()
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["content_credentials"]["state"] == "Valid"
    assert [a["action"] for a in report["content_credentials"]["actions"]] == ["c2pa.opened", "c2pa.edited"]
    assert "Edited by Facet: texture (denim) on jacket" in report["verdict"] and not report["watermark_found"]


def test_a_prompted_inpaint_export_carries_the_mark(monkeypatch, tmp_path_factory, astronaut_path):
    """Generated pixels (a tiny diffusion model through the real loader): the export is watermarked and its
    Content Credentials name the model with compositeWithTrainedAlgorithmicMedia; a classical remove is not."""
    from studio.session import INCLUDE
    from tests.tiny_models import make_tiny_inpaint

    monkeypatch.setenv("FACET_MODEL_INPAINT", str(make_tiny_inpaint(tmp_path_factory.mktemp("tiny-inpaint"))))
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    try:
        s.load(load_photo(astronaut_path), services, parse=False)
        s.click(225, 130, INCLUDE, services)
        s.generate("inpaint", {"prompt": "a smiling face", "variants": 1, "steps": 2}, 5, services)
        s.apply_variant(0)
        data = s.export("PNG", settings=Settings()).read_bytes()
        assert pv.read_watermark(read_back(io.BytesIO(data))).found
        found = credentials.read(data)
        edit = found["actions"][1]
        assert found["state"] == "Valid" and edit["digitalSourceType"] == credentials.COMPOSITE
        assert edit["agent"] == "Facet inpaint" and edit["models"] and found["facet"]["generative"]
        s.undo_edit()
        s.generate("remove", {"method": "telea"}, 0, services)
        s.apply_variant(0)
        data = s.export("PNG", settings=Settings()).read_bytes()
        assert not pv.read_watermark(read_back(io.BytesIO(data))).found
        assert not credentials.read(data)["generated_by_ai"]
    finally:
        s.close()
