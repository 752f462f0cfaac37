"""Check a photo outlines only the faces Facet changed (round 20, a stranger's drive: t1 with faces 1 and 3 pixelated
by the CLI, and *Check a photo* said "faces outlined: 6"). c2pa stored each face box, a JSON array of integers, as a
byte string (each value mod 256), the reader then dropped the boxes as malformed and outlined every face found;
studio/credentials.py now writes each box as an object and reads it back as a list."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
from PIL import Image

from core.settings import Settings
from core.types import Photo


def test_face_boxes_survive_the_content_credentials():
    from studio import credentials

    img = np.full((64, 64, 3), 128, np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    layer = SimpleNamespace(editor="anonymize", changed=np.ones((4, 4), bool), generative=False)
    boxes = [[53, 266, 179, 403], [463.5, 280, 580, 419]]
    facet = {
        "app": "Facet",
        "version": 1,
        "edits": [{"editor": "anonymize", "seed": 0}],
        "face_boxes": [{"box": b, "edit": "anonymized", "method": "pixelate"} for b in boxes],
        "faces_anonymized": True,
    }
    signed = credentials.sign(buf.getvalue(), "PNG", facet, [layer], Photo(pixels=img, name="x.png"), Settings())
    back = credentials.read(signed)
    assert back is not None and back["state"] != "Invalid"
    assert [fb["box"] for fb in back["facet"]["face_boxes"]] == boxes  # was base64 of 53, 10, 179, 147


def test_check_outlines_only_the_anonymized_face(tmp_path):
    from core.models import ModelManager
    from studio.provenance import check
    from studio.services import build_services
    from studio.session import EditorSession
    from tests.test_face_numbers import _two_faces

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    rgb = _two_faces()  # the astronaut (x < 512) beside Grace Hopper
    s = EditorSession()
    try:
        s.load(Photo(pixels=rgb, name="two.png"), services, parse=False, prepare=False)
        everything = np.ones(rgb.shape[:2], bool)
        s.apply_edit("anonymize", {"method": "pixelate", "faces": "1"}, 0, services, mask=everything, label="faces 2")
        out = tmp_path / "two-facet.jpg"
        out.write_bytes(s.export_bytes("JPEG", 92))
    finally:
        s.close()
    report = check(out, Settings())
    assert report.content_credentials is not None and report.content_credentials["state"] != "Invalid"
    (face,) = report.manifest["face_boxes"]
    assert face["box"][0] > 512, face  # Grace Hopper's, past the 256 a byte holds
    assert report.summary()["faces_marked"] == 1, report.summary()  # was 2: every face found
