"""Provenance: the manifest of real edits, metadata round trips, the invisible watermark (survival, false
positives, visibility), check() verdicts and overlays, the CLI and the /check_photo API."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio import provenance as pv
from core.errors import BadInput
from studio.layers import Layer
from core.models import ModelManager
from core.photo import load_photo
from studio.services import build_services
from studio.session import EditorSession
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FACE = (184, 74, 268, 173)  # the astronaut's face (XYXY), as the offline detector finds it


def jpeg(rgb: np.ndarray, quality: int = 75) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def resize(rgb: np.ndarray, f: float = 0.5) -> np.ndarray:
    im = Image.fromarray(rgb)
    return np.asarray(im.resize((round(im.width * f), round(im.height * f)), Image.BICUBIC))


def crop(rgb: np.ndarray, f: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    y, x = (h - int(h * f)) // 2, (w - int(w * f)) // 2
    return np.ascontiguousarray(rgb[y : y + int(h * f), x : x + int(w * f)])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b) ** 2)))


ATTACKS = {
    "jpeg75": jpeg,
    "resize50": resize,
    "resize50+jpeg75": lambda x: jpeg(resize(x)),
    "jpeg75+resize50": lambda x: resize(jpeg(x)),
}


@pytest.fixture(scope="module")
def services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


@pytest.fixture(scope="module")
def photos(astronaut_path, china_path, hopper_path) -> dict[str, np.ndarray]:
    from skimage import data

    return {
        "astronaut": data.astronaut(),
        "coffee": data.coffee(),
        "chelsea": data.chelsea(),
        "rocket": data.rocket(),
        "china": load_photo(china_path).pixels,
        "hopper": load_photo(hopper_path).pixels,
    }


@pytest.fixture(scope="module")
def edited(services, astronaut_path):
    """A real session: leopard texture on the upper clothes, then every face anonymized (synthetic identity)."""
    s = EditorSession()
    s.load(load_photo(astronaut_path), services)
    s.use_part(next(p.id for p in s.parts if p.label == "upper clothes"))
    s.apply_edit("texture", {"texture": "leopard"}, 3, services)
    everything = np.ones((s.photo.height, s.photo.width), bool)
    # verify off: a checked swap may end in a blur (dlib margin), and the check below needs a face to outline
    s.apply_edit(
        "anonymize",
        {"method": "swap", "faces": "all", "verify": False},
        0,
        services,
        mask=everything,
        label="all faces",
    )
    yield s
    s.close()


@pytest.fixture(scope="module")
def exports(edited):
    return {fmt: edited.export(fmt) for fmt in ("PNG", "JPEG")}


# -- manifest -------------------------------------------------------------------------------------------


def test_manifest_of_real_edits(edited):
    layers = [layer for layer in edited.layers.layers if layer.visible]
    m = pv.build_manifest(layers, edited.photo)
    assert m["app"] == "Facet" and m["version"] == pv.MANIFEST_VERSION and m["time"].endswith("Z")
    assert m["image"] == {"width": 512, "height": 512}
    texture, anon = m["edits"]
    assert texture == {
        "editor": "texture",
        "segment": "upper clothes",
        "params": {"texture": "leopard"},
        "seed": 3,
        "models": [],
        "generative": False,
    }
    assert anon["generative"] and m["generative"]  # a swap to a synthetic identity
    assert anon["editor"] == "anonymize" and anon["segment"] == "all faces" and anon["seed"] == 0
    assert anon["params"]["method"] == "swap" and any("centerface" in mid for mid in anon["models"])
    assert m["faces_anonymized"] and not m["faces_swapped"]
    (face,) = m["face_boxes"]  # one face, where the astronaut's face is
    x0, y0, x1, y1 = face["box"]
    assert face["edit"] == "anonymized" and face["method"] == "swap"
    assert abs(x0 - FACE[0]) < 25 and abs(y0 - FACE[1]) < 25 and abs(x1 - FACE[2]) < 25 and abs(y1 - FACE[3]) < 25
    json.dumps(m)  # JSON-friendly


def test_manifest_drops_file_paths_and_notes_merged_layers(edited):
    params = {
        "target": "/tmp/gradio/8f3a/my face.png",
        "mapping": "0=grace_hopper; 1=/x/y.png",
        "texture_path": "/t.png",
    }
    swap = Layer(
        7,
        "faces all",
        "faceswap",
        params,
        0,
        (10, 10, 60, 70),
        np.ones((60, 50), bool),
        np.zeros((60, 50, 3), np.uint8),
        0.1,
        ("inswapper (inswapper_128)",),
    )
    merged = Layer(
        0, "merged", "merged", {}, None, (0, 0, 5, 5), np.ones((5, 5), bool), np.zeros((5, 5, 3), np.uint8), 0.0
    )
    recolour = Layer(
        8,
        "hair",
        "recolour",
        {"target": "#a0b0c0", "prompt": "a red/blue jacket"},
        1,
        (0, 0, 1, 1),
        np.zeros((1, 1), bool),
        np.zeros((1, 1, 3), np.uint8),
        0.0,
    )
    m = pv.build_manifest([merged, swap, recolour], edited.photo, merged=12)
    assert m["edits"][0]["editor"] == "merged" and "12 older edits" in m["edits"][0]["note"]
    params = m["edits"][1]["params"]
    assert params == {"target": "(uploaded image)", "mapping": "0=grace_hopper; 1=(uploaded image)"}
    assert "/" not in json.dumps(params)
    assert m["edits"][2]["params"]["prompt"] == "a red/blue jacket"  # not a path
    assert m["faces_swapped"] and m["face_boxes"] == [{"box": [10, 10, 60, 70], "edit": "swapped", "method": "swap"}]


def test_a_face_edit_merged_into_the_base_stays_in_the_manifest(services, astronaut_path):
    """With FACET_MAX_LAYERS reached, an old anonymize is merged into the base layer: the export still lists
    it (marked merged) with its face box and flag, and the watermark carries the face flag."""
    s = EditorSession()
    try:
        s.load(load_photo(astronaut_path), services)
        s.layers.max_layers = 2
        everything = np.ones((s.photo.height, s.photo.width), bool)
        s.apply_edit("anonymize", {"method": "blur"}, 0, services, mask=everything, label="all faces")
        s.use_part(next(p.id for p in s.parts if p.label == "upper clothes"))
        for colour in ("#2050d0", "#d02050", "#20d050"):
            s.apply_edit("recolour", {"target": colour}, 0, services)
        assert s.layers.merged == 2 and len(s.layers.history) == 2
        m = pv.read_metadata(s.export("PNG").read_bytes())
        assert [e["editor"] for e in m["edits"]] == ["anonymize", "recolour", "recolour", "recolour"]
        assert m["edits"][0]["merged"] and m["edits"][1]["merged"] and "merged" not in m["edits"][2]
        assert m["faces_anonymized"] and [b["method"] for b in m["face_boxes"]] == ["blur"]
        assert not m["generative"] and not m["watermarked"]  # blur and recolour are classical: no mark by default
        always = s.export("PNG", settings=Settings(watermark="always"))
        assert pv.read_watermark(np.asarray(Image.open(always).convert("RGB"))).flags["faces_anonymized"]
    finally:
        s.close()


def test_one_face_box_per_changed_region():
    changed = np.zeros((100, 300), bool)
    changed[10:60, 20:70] = True  # face 1
    changed[30:90, 200:260] = True  # face 2
    changed[35, 100] = True  # a stray pixel (rounding), not a face
    layer = Layer(
        1,
        "all faces",
        "anonymize",
        {"method": "blur"},
        0,
        (5, 7, 305, 107),
        changed,
        np.zeros((100, 300, 3), np.uint8),
        0.0,
    )
    assert pv.changed_boxes(layer) == [[25, 17, 75, 67], [205, 37, 265, 97]]


# -- metadata -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_metadata_round_trip_without_re_encoding(fmt, photos):
    from core.photo import encode_image

    manifest = {
        "app": "Facet",
        "version": 1,
        "image": {"width": 600, "height": 400},
        "edits": [{"editor": "recolour", "segment": 'sky <&> "ü"', "params": {"target": "#a0b0c0"}}],
        "faces_swapped": True,
        "face_boxes": [{"box": [1, 2, 30, 40], "edit": "swapped"}, {"box": "bad"}],
    }
    plain = encode_image(photos["coffee"], fmt, quality=90)
    tagged = pv.add_metadata(plain, manifest)
    back = pv.read_metadata(tagged)
    assert back["edits"] == manifest["edits"] and back["faces_swapped"] is True
    assert back["face_boxes"] == [{"box": [1.0, 2.0, 30.0, 40.0], "edit": "swapped", "method": ""}]  # malformed dropped
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(tagged))), np.asarray(Image.open(io.BytesIO(plain))))
    info = Image.open(io.BytesIO(tagged)).info
    assert "Facet" in (info["xmp"].decode() if fmt == "JPEG" else info["XML:com.adobe.xmp"])  # standard XMP too
    assert pv.read_metadata(plain) is None
    stripped = io.BytesIO()  # re-saving the pixels alone drops it
    Image.open(io.BytesIO(tagged)).save(stripped, format=fmt)
    assert pv.read_metadata(stripped.getvalue()) is None


def test_a_very_long_session_still_fits_one_jpeg_segment(photos):
    from core.photo import encode_image

    edits = [
        {"editor": "recolour", "segment": f"part {i}", "params": {"prompt": "x" * 200}, "seed": i, "models": []}
        for i in range(1000)
    ]
    manifest = {"app": "Facet", "version": 1, "edits": edits, "faces_swapped": False, "face_boxes": []}
    back = pv.read_metadata(pv.add_metadata(encode_image(photos["coffee"], "JPEG"), manifest))
    assert back["edits"][999] == {"editor": "recolour", "segment": "part 999", "seed": 999, "params": {}}


def test_foreign_or_broken_metadata_is_ignored(photos):
    from core.photo import encode_image

    plain = encode_image(photos["coffee"], "PNG")
    assert pv.read_metadata(pv.add_metadata(plain, {"app": "Other", "edits": []})) is None
    broken = plain.replace(b"IDAT", b"IDAT", 1)
    chunk = pv._itxt(pv.METADATA_KEY, "{not json")
    at = pv._first_idat(broken)
    assert pv.read_metadata(broken[:at] + chunk + broken[at:]) is None
    assert pv.read_metadata(b"not an image") is None


# -- watermark ------------------------------------------------------------------------------------------

FLAGS = {"edits": [{"editor": "anonymize"}], "faces_anonymized": True, "faces_swapped": False}


@pytest.fixture(scope="module")
def stamped(photos):
    return {name: pv.stamp(photos[name], FLAGS) for name in ("astronaut", "china", "hopper")}


def test_stamp_is_invisible_by_psnr_and_deterministic(photos, stamped):
    for name, marked in stamped.items():
        assert marked.shape == photos[name].shape and marked.dtype == np.uint8
        assert psnr(marked, photos[name]) >= 38.0, name
    assert np.array_equal(pv.stamp(photos["astronaut"], FLAGS), stamped["astronaut"])


@pytest.mark.parametrize("attack", ["none", *ATTACKS])
def test_watermark_survives_jpeg_and_resizing(stamped, attack):
    for name, marked in stamped.items():
        r = pv.read_watermark(marked if attack == "none" else ATTACKS[attack](marked))
        assert r.found and r.magic_agree >= pv.MIN_MAGIC, (name, attack, r.magic_agree)
        assert r.flags == {"edited": True, "faces_swapped": False, "faces_anonymized": True, "reserved": False}


def test_watermark_flags_for_a_face_swap(photos):
    r = pv.read_watermark(jpeg(resize(pv.stamp(photos["china"], {"edits": [{}], "faces_swapped": True}))))
    assert r.found and r.flags["faces_swapped"] and not r.flags["faces_anonymized"]


def test_no_false_positives_on_unmarked_photos(photos):
    seen = []
    for name, rgb in photos.items():
        for attack, f in {"as-is": lambda x: x, **ATTACKS}.items():
            r = pv.read_watermark(f(rgb))
            assert not r.found and r.flags == {}, (name, attack, r.magic_agree)
            seen.append(r.magic_agree)
    assert max(seen) <= 36 and 18 <= np.mean(seen) <= 30  # ~Binomial(48, 1/2): far below MIN_MAGIC = 42


def test_crops_lose_the_watermark(stamped):
    """Documented limit: the mark is tied to the whole frame, so even a 5 % crop loses it."""
    assert not pv.read_watermark(crop(stamped["china"], 0.95)).found


# -- export and check -----------------------------------------------------------------------------------


def test_export_carries_metadata_and_watermark(exports, edited):
    for fmt, path in exports.items():
        data = Path(path).read_bytes()
        m = pv.read_metadata(data)
        assert m is not None and [e["editor"] for e in m["edits"]] == ["texture", "anonymize"], fmt
        pixels = np.asarray(Image.open(path).convert("RGB"))
        assert pv.read_watermark(pixels).found
        assert psnr(pixels, np.asarray(edited.result())) > 36  # watermark (+ JPEG) only


def test_an_unedited_export_carries_no_marks(services, china_path):
    s = EditorSession()
    try:
        s.load(load_photo(china_path), services, parse=False)
        path = s.export("JPEG")
        assert pv.read_metadata(Path(path).read_bytes()) is None
        assert not pv.read_watermark(np.asarray(Image.open(path).convert("RGB"))).found
        report = pv.check(path)
        assert not report.edited_by_facet and report.verdict.startswith("No Facet marks found")
    finally:
        s.close()


def test_check_with_metadata(exports):
    report = pv.check(exports["JPEG"])
    assert report.has_metadata and report.watermark_found and report.bit_agreement >= pv.MIN_MAGIC / pv.NMAGIC
    assert report.verdict.startswith(
        "Edited by Facet: texture (leopard) on upper clothes; faces anonymized (synthetic identity)."
    )
    assert "watermark confirms" in report.verdict and report.faces_marked == 1
    summary = report.summary()
    assert summary["manifest"]["faces_anonymized"] and json.loads(json.dumps(summary)) == summary


def test_check_after_metadata_is_stripped_still_finds_anonymized_faces(exports, edited):
    pixels = np.asarray(Image.open(exports["PNG"]).convert("RGB"))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=85)  # pixels only: no metadata
    report = pv.check(buf.getvalue(), name="shared.jpg")
    assert not report.has_metadata and report.manifest is None and report.watermark_found
    assert report.watermark_flags["faces_anonymized"] and not report.watermark_flags["faces_swapped"]
    assert "metadata was removed" in report.verdict and "faces anonymized" in report.verdict
    assert report.faces_marked == 1
    shown = jpeg(pixels, 85)
    diff = np.abs(report.overlay.astype(int) - shown).sum(2) > 30
    x0, y0, x1, y1 = FACE
    assert diff[y0:y1, x0:x1].mean() > 0.1, "the face mesh is drawn over the face"
    assert not diff[300:, :].any() and not diff[:, 330:].any(), "nothing drawn away from the face"


def test_check_notices_metadata_without_watermark(exports, photos):
    from core.photo import encode_image

    manifest = pv.read_metadata(Path(exports["PNG"]).read_bytes())
    forged = pv.add_metadata(encode_image(photos["coffee"], "PNG"), manifest)  # metadata copied onto another photo
    report = pv.check(forged, name="forged.png")
    assert report.has_metadata and not report.watermark_found
    assert "watermark is missing" in report.verdict


def test_check_survives_hostile_metadata(stamped):
    from core.photo import encode_image

    hostile = {
        "app": "Facet",
        "edits": [1, "x", {"editor": "faceswap", "params": [1]}],
        "faces_swapped": True,
        "image": {"width": "wide"},
        "face_boxes": [{"box": [float("nan"), 0, 1e300, 5]}, {"box": [-50, -50, 5e4, 9]}, "junk", {"box": [1, 2]}],
    }
    data = pv.add_metadata(encode_image(stamped["astronaut"], "PNG"), hostile)
    report = pv.check(data, name="hostile.png")
    assert report.has_metadata and report.manifest["image"] == {} and report.manifest["edits"][0]["params"] == {}
    assert report.manifest["face_boxes"] == [{"box": [-50.0, -50.0, 5e4, 9.0], "edit": "", "method": ""}]
    assert report.verdict.startswith("Edited by Facet: faces swapped.") and report.overlay.shape == (512, 512, 3)


def test_check_refuses_what_load_photo_refuses(tmp_path):
    with pytest.raises(BadInput, match="not an image"):
        pv.check(b"\x00" * 300, name="junk.jpg")
    with pytest.raises(BadInput, match="no such file"):
        pv.check(tmp_path / "missing.png")


# -- CLI and API ----------------------------------------------------------------------------------------


def cli(*args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "FACET_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_check(exports, astronaut_path, tmp_path):
    r = cli("check", exports["JPEG"], "--overlay", tmp_path / "mesh.png")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["edited_by_facet"] and out["watermark_found"] and out["manifest"]["faces_anonymized"]
    assert Image.open(tmp_path / "mesh.png").size == (512, 512)
    r = cli("check", astronaut_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert not out["edited_by_facet"] and out["verdict"].startswith("No Facet marks found")
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\x00" * 300)
    r = cli("check", junk)
    assert r.returncode == 3 and "not an image" in r.stderr


def test_api_check_photo(app_url, exports, astronaut_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    verdict, overlay, report = client.predict(handle_file(str(exports["JPEG"])), api_name="/check_photo")
    assert "Edited by Facet" in verdict and report["watermark_found"] and report["has_metadata"]
    assert Image.open(overlay).size == (512, 512)
    verdict, _, report = client.predict(handle_file(str(astronaut_path)), api_name="/check_photo")
    assert "No Facet marks found" in verdict and not report["edited_by_facet"]
