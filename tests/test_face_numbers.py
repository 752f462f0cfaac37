"""Face numbers as the user reads and types them (round 20, a stranger's drive): from 1, left to right, like the
people on the part chips ("person 1"). Before, the Numbered faces tab, the status after Find, 'Which faces', the
CLI's ``--param faces=`` and the API's ``faces`` all counted from #0 (app/face_numbers.py). Also the words the same
drive met after a face swap, a lone anonymized face and a picked variant."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from skimage import data

from app.face_numbers import editor_faces, editor_params, user_report, user_words
from core.errors import BadInput


def _two_faces() -> np.ndarray:
    """The astronaut (left) beside Grace Hopper (right), both 512 px high: two faces, numbered 1 and 2."""
    from tests.photos import load

    hopper = load("grace_hopper")
    hopper = cv2.resize(hopper, (round(hopper.shape[1] * 512 / hopper.shape[0]), 512), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.hstack([data.astronaut(), hopper]))


def test_typed_face_numbers_count_from_1_and_face_0_is_refused_in_words():
    assert editor_faces("1,3") == "0,2"
    assert editor_faces(" 3 1 3 ") == "2,0"
    assert editor_faces("2;1") == "1,0"
    for every in ("all", "", " ALL ", "*", None):
        assert editor_faces(every) == "all"
    for old in ("0", "0,2", "-1"):  # an old caller's 0-based numbers: a clear message, never the wrong faces
        with pytest.raises(BadInput, match="numbered from 1"):
            editor_faces(old)
    for word in ("the tall one", ","):
        with pytest.raises(BadInput, match="1,3"):
            editor_faces(word)
    mapped = editor_params("faceswap", {"faces": "2", "mapping": "1=grace_hopper; 3=me.png"})
    assert mapped == {"faces": "1", "mapping": "0=grace_hopper; 2=me.png"}
    assert editor_params("faceswap", {"mapping": {"2": "x"}})["mapping"] == {"1": "x"}
    assert editor_params("texture", {"faces": "0"}) == {"faces": "0"}  # not a face editor: as given


def test_the_editors_face_messages_and_reports_read_in_the_users_numbers():
    said = user_words("anonymize: faces: there is no face 2; the photo has 2 face(s), numbered 0 to 1")
    assert said == "anonymize: faces: there is no face 3; the photo has 2 face(s), numbered 1 to 2"
    said = user_words("faceswap: none of the chosen faces (0,2) lies in the selection; the photo has 3 face(s)")
    assert said.startswith("faceswap: none of the chosen faces (1,3) lies")
    assert user_words("no 'sky' found in photo.jpg") == "no 'sky' found in photo.jpg"
    assert user_report([{"face": 0, "done": "blur"}, {"done": "x"}]) == [{"face": 1, "done": "blur"}, {"done": "x"}]


def test_the_numbered_faces_image_writes_1_over_the_first_face():
    """faces.draw writes ``index + 1``: the first face's label matches a rendered '1' better than a '0'."""
    from faces.detect import find_faces
    from faces.draw import draw_face_numbers

    rgb = data.astronaut()
    (face,) = find_faces(rgb)
    assert face.index == 0
    drawn = draw_face_numbers(rgb, [face])
    changed = (drawn != rgb).any(2)
    changed[int(face.box[1]) :] = False  # the label only: it sits above the face box
    ys, xs = np.nonzero(changed)
    label = changed[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]

    def glyph(text: str) -> np.ndarray:
        scale, thick = max(0.5, face.width / 60), max(1, round(512 / 400))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick + 3)
        canvas = np.zeros((th + base + 20, tw + 20), np.uint8)
        cv2.putText(canvas, text, (10, th + 10), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thick + 3, cv2.LINE_AA)
        ys, xs = np.nonzero(canvas)
        return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] > 0

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        b = cv2.resize(b.astype(np.uint8), (a.shape[1], a.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        return float((a & b).sum() / max(1, (a | b).sum()))

    assert iou(label, glyph("1")) > iou(label, glyph("0")) + 0.1


@pytest.fixture(scope="module")
def page():
    from app.ui import build_ui
    from core.models import ModelManager
    from core.settings import Settings
    from studio.services import build_services

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    handlers = {f.api_name: f.fn for f in build_ui(services).fns.values() if f.api_name}
    return services, handlers


def _status(out) -> str:
    if isinstance(out, tuple):
        return out[1]
    return next(v for c, v in out.items() if getattr(c, "elem_id", None) == "facet-status")


def test_find_anonymize_and_the_api_number_faces_from_1(page):
    """The page's own handlers on two faces: Find says '#1, #2'; Anonymize '2' blurs the right-hand face only;
    '0' (an old 0-based caller) and '3' (no such face) say why in the user's numbers and change nothing."""
    from core.photo import Photo
    from studio.session import EditorSession

    services, handlers = page
    rgb = _two_faces()
    half = data.astronaut().shape[1]
    s = EditorSession()
    try:
        s.load(Photo(pixels=rgb, name="two.png"), services, parse=False, prepare=False)
        assert _status(handlers["find_faces"](s)).endswith(": #1, #2")
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "0,2"))
        assert "there is no face 0; faces are numbered from 1" in said and not s.layers.layers, said
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "3"))
        assert "there is no face 3; the photo has 2 faces, numbered 1 to 2" in said, said
        assert not s.layers.layers
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "2"))
        assert said.startswith("Anonymized the faces (Undo edit takes it back)"), said
        changed = (np.asarray(s.result()) != rgb).any(2)
        assert changed[:, half:].any() and not changed[:, :half].any(), "face 2 is the right-hand one"
        handlers["undo_edit"](s)
        s.new_segment("everything", base=np.ones(rgb.shape[:2], bool))
        said = _status(handlers["edit"](s, "anonymize", json.dumps({"method": "blur", "faces": "1"}), 0))
        changed = (np.asarray(s.result()) != rgb).any(2)
        assert changed[:, :half].any() and not changed[:, half:].any(), "/edit's faces '1' is the left-hand one"
    finally:
        s.close()


def test_the_cli_takes_and_reports_faces_from_1(tmp_path, capsys):
    from PIL import Image

    from app.cli import main

    photo = tmp_path / "two.png"
    Image.fromarray(_two_faces()).save(photo)
    out = tmp_path / "out.png"
    args = ["edit", str(photo), "--segment", "all faces", "--editor", "anonymize", "--param", "method=blur"]
    assert main([*args, "--param", "faces=0", "--out", str(out)]) == 3
    assert "there is no face 0; faces are numbered from 1" in capsys.readouterr().err
    assert main([*args, "--param", "faces=5", "--out", str(out)]) == 3
    assert "there is no face 5; the photo has 2 face(s), numbered 1 to 2" in capsys.readouterr().err
    assert main([*args, "--param", "faces=2", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["params"]["faces"] == "2", summary  # as typed
    assert all(row["face"] == 2 for row in summary.get("faces", [])), summary
    edited = np.asarray(Image.open(out).convert("RGB"))
    changed = (edited.astype(int) - _two_faces()).any(2)
    assert changed[:, 512:].any() and not changed[:, :512].any()


def test_the_edits_list_names_the_faces_as_the_user_numbered_them():
    """Round 20's drive: after 'Which faces' 2,4 the edits list read '#1 anonymize on all faces (method=blur,
    faces=1,3)': the editor's own numbers, and "all" for two faces."""
    from app.face_numbers import shown_params
    from app.words import edit_status, layer_title

    title = layer_title(1, "anonymize", "faces 2,4", {"method": "blur", "faces": "1,3"})
    assert title == "#1 anonymize on faces 2,4 (method=blur, faces=2,4)"
    assert edit_status(1, "anonymize", "faces 2,4", {"method": "blur", "faces": "1,3"}, "undone") == (
        "Edit #1 (anonymize on faces 2,4 (method=blur, faces=2,4)) undone."
    )
    assert "faces=all" in layer_title(2, "anonymize", "all faces", {"method": "blur", "faces": "all"})
    mapped = shown_params("faceswap", {"mapping": "0=grace_hopper; 2=uploaded image 64x64 sha256:ab"})
    assert mapped["mapping"] == "1=grace_hopper; 3=uploaded image 64x64 sha256:ab"
    for user in ("1,3", "2", "all"):  # shown_params undoes editor_params
        assert shown_params("anonymize", editor_params("anonymize", {"faces": user}))["faces"] == user
    assert shown_params("texture", {"faces": "0"}) == {"faces": "0"}


def test_numbers_typed_after_an_edit_renumbered_the_faces_are_refused(page):
    """Round 20's drive on t1: Find numbered six faces; 'Which faces' 2,4 blurred two, after which only four faces
    are found on the result, so a swap of '3' went to the 5th face of Find's picture. The click now says the faces
    changed and to number them again; after Find the numbers are the new ones."""
    from core.photo import Photo
    from studio.session import EditorSession

    services, handlers = page
    rgb = _two_faces()
    s = EditorSession()
    try:
        s.load(Photo(pixels=rgb, name="two.png"), services, parse=False, prepare=False)
        assert _status(handlers["find_faces"](s)).endswith(": #1, #2")
        said = _status(handlers["anonymize"](s, "solid", "Faces only", "1"))
        assert said.startswith("Anonymized the faces (Undo edit takes it back)"), said
        # the solid mask hides face 1: one face is found on the result, and it was number 2 when numbered
        shown = s.faces(services)
        assert len(shown) == 1
        layers = len(s.layers.layers)
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "1"))
        assert "the faces have changed since they were numbered (2 then, 1 on the photo now" in said, said
        assert len(s.layers.layers) == layers
        assert _status(handlers["find_faces"](s)).endswith(": #1")
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "1"))
        assert said.startswith("Anonymized the faces (Undo edit takes it back)"), said
        said = _status(handlers["anonymize"](s, "blur", "Faces only", "all"))  # 'all' needs no numbers: both hidden
        assert "no face found in this photo" in said and "numbered" not in said, said
    finally:
        s.close()


def test_a_face_swap_and_a_lone_hidden_face_in_the_pages_words():
    """Round 20's drive on grace_hopper: "Applied Face swap to 'faces all' (edit #1)", the list "#1 faceswap on faces
    all (target=synthetic_average, faces=all, by_gender=False)", "The 1st face from the left is blurred instead" on a
    photo with one face, and "no face found in the target image 'uploaded image'" for a cat as the target."""
    from app.edit_panel import say_what_was_applied
    from app.faces_panel import anonymize_note
    from app.words import layer_title, plain_status

    applied = "Applied Face swap (a gallery face or your own) to 'all faces' in 812 ms (layer #1)."
    params = {"target": "synthetic_average", "faces": "all", "by_gender": False}
    assert plain_status(say_what_was_applied(applied, "faceswap", params)) == (
        "Applied the gallery face 'synthetic average' to 'all faces' (edit #1). The Download tab saves it."
    )
    yours = {**params, "target": np.zeros((8, 8, 3), np.uint8)}
    assert say_what_was_applied(applied, "faceswap", yours).startswith("Applied your target face to 'all faces'")
    assert layer_title(1, "faceswap", "all faces", params) == "#1 gallery face 'synthetic average' on all faces"
    recorded = {**params, "target": "uploaded image 8x8 sha256:0123456789ab", "faces": "1"}
    assert layer_title(2, "faceswap", "faces 2", recorded) == "#2 your target face on faces 2"
    lone = [
        {"face": 0, "done": "blur of the head (x)", "why": "the best of 2 tries reached only 0.5", "verified": True}
    ]
    assert anonymize_note(lone) == " Face #1 blurred: no made-up face hid who it is."  # 'Which faces' 1 of several
    assert anonymize_note(lone, everyone=True) == " The face blurred: no made-up face hid who it is."
    said = user_words("no face found in the target image 'uploaded image': use a photo where one face is clear")
    assert said.startswith("no face found in the uploaded target face image: use a photo")


def test_a_variant_and_the_cartoon_background_say_which_look_they_applied(page):
    """Round 20's drive on china.jpg: a picked variant said "Applied Texture (denim, leopard, crocodile, ... or your
    own image) to 'building'" (the editor's long name) where Apply says "Applied the leopard texture"."""
    from app.words import plain_status
    from core.photo import Photo
    from studio.session import EditorSession

    services, handlers = page
    s = EditorSession()
    try:
        s.load(Photo(pixels=data.astronaut(), name="astronaut.png"), services, parse=False, prepare=False)
        road = np.zeros((512, 512), bool)
        road[380:] = True
        s.new_segment("road", base=road)
        said = plain_status(_status(handlers["apply_variant"](s, "leopard")))
        assert said == "Applied the leopard texture to 'road' (edit #1). The Download tab saves it.", said
        said = plain_status(_status(handlers["edit"](s, "cartoon", "{}", 0)))
        assert said.startswith("Applied the cartoon look to 'road' (edit #2)"), said
    finally:
        s.close()


def test_a_picked_generated_variant_is_said_as_an_edit():
    from app.words import plain_status

    said = plain_status("Applied variant 2 (seed 1, SD 1.5 inpainting (LCM)) to 'upper clothes' (layer #3).")
    assert said == (
        "Applied variant 2 (seed 1, SD 1.5 inpainting (LCM)) to 'upper clothes' (edit #3). The Download tab saves it."
    )
