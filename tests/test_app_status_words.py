"""The status line in plain words (round 15, a stranger's drive at 1366x768): the anonymize note names faces by their
numbers (#1 from the left, as the Numbered faces tab), with a plain reason for a hidden one; Apply says which look it put on (the stormy sky, the
colour), not the editor's list of everything it can do."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from app.edit_panel import applied_look, say_what_was_applied
from app.faces_panel import anonymize_note, anonymize_words, anonymized_status
from app.words import chip, layer_title, parts_note, plain_status

HOPELESS = "the best of 2 tries (synthetic_young_wide_light, anti-face) reached only 0.575 < 0.75; too far under it"


def _swap(i: int) -> dict:
    return {"face": i, "done": "swap to synthetic_average", "verified": True}


def _blur(i: int, why: str) -> dict:
    return {"face": i, "done": f"blur of the head ({why})", "why": why, "verified": True}


def test_anonymize_note_names_faces_by_their_numbers_in_plain_words_and_short():
    """Round 20's drive on t1.jpg at 1366x768: the status ran to three lines ("... 5 faces swapped for made-up faces
    (each checked by a face recogniser). The 3rd face from the left is blurred instead: no made-up face looked
    different enough to a face recogniser.") and pushed the photo down, naming the face "3rd from the left" beside
    a Numbered faces tab that showed #3. Now the face is named as the tab shows it, and the whole status is short
    enough for the status line's two lines (about 84 characters each beside the photo at 1366 px)."""
    report = [_swap(0), _swap(1), _blur(2, HOPELESS), _swap(3), _swap(4), _swap(5)]
    note = anonymize_note(report, everyone=True)
    assert note == (
        " 5 swapped for made-up faces, checked by a face recogniser; face #3 blurred: no made-up face hid who it is."
    )
    status = anonymized_status(["faces"], 1) + note
    assert len(status) <= 155, (len(status), status)
    for jargon in ("0.575", "outline", "proportions", "anti-face", "synthetic_", "from the left", "3rd"):
        assert jargon not in note, jargon


def test_anonymize_note_groups_hidden_faces_by_reason_and_counts_in_words():
    mesh = "no face mesh (too small, hidden or in profile)"
    note = anonymize_note([_blur(0, mesh), _blur(10, mesh), _swap(1)])
    assert note == (
        " 1 swapped for a made-up face, checked by a face recogniser; faces #1 and #11 blurred: too small, turned"
        " away or partly hidden to swap."
    )
    assert anonymize_note([_swap(0), _swap(1)]) == " All 2 swapped for made-up faces, checked by a face recogniser."
    unchecked = {**_swap(0), "verified": False}
    assert anonymize_note([unchecked]) == " 1 swapped for a made-up face, unchecked (dlib is not installed)."
    solid = {
        "face": 1,
        "done": "solid of the head (x; still dlib's same person blurred, 0.50)",
        "why": "x",
        "verified": True,
    }
    assert anonymize_note([solid]) == " Face #2 covered: a swap could not hide it."
    assert anonymize_note([_blur(0, HOPELESS)], everyone=True) == " The face blurred: no made-up face hid who it is."
    assert anonymize_note([]) == ""


def test_the_anonymize_status_keeps_to_two_lines_however_many_faces_and_edits():
    """Round 22's drive at 1366x768: on a 24 MP group photo (eight faces: four swapped, two blurred for the
    expression, two for a swap that still looked like them) the status ran to three lines (225 characters), and with
    the cartoon background's longer first sentence it was longer still. The note is said shorter, step by step, until
    the whole status fits ``STATUS_ROOM``; what fits already is said in full."""
    from app.faces_panel import STATUS_ROOM

    expression = "every variant changed the expression (mouth 0.31 > 0.2)"
    report = [_swap(0), _blur(1, expression), _swap(2), _blur(3, HOPELESS), _swap(4), _blur(5, expression), _swap(6)]
    report.append(_blur(7, HOPELESS))
    said = anonymized_status(["faces"], 1)
    full = anonymize_note(report, everyone=True)
    assert len(said + full) > STATUS_ROOM, "the drive's case is one that did not fit"
    note = anonymize_note(report, everyone=True, room=STATUS_ROOM - len(said))
    assert note == " 4 swapped for made-up faces; faces #2, #4, #6 and #8 blurred: a swap could not hide them."
    for first in (
        anonymized_status(["faces", "background"], 2),
        anonymized_status(["faces", "background", "clothes"], 3),
    ):
        for rows in (report, [_swap(i) for i in range(6)], [_blur(i, HOPELESS) for i in range(30)]):
            status = first + anonymize_note(rows, everyone=True, room=STATUS_ROOM - len(first))
            assert len(status) <= STATUS_ROOM, (len(status), status)
            assert "swapped" in status or "blurred" in status, status
    many = anonymize_note([_blur(i, HOPELESS) for i in range(30)], room=50)
    assert many == " 30 faces blurred: a swap could not hide them.", many
    assert anonymize_note(report, room=25) == " 4 swapped, 4 blurred.", "at the least, the counts"
    short = [_swap(0), _swap(1), _swap(2)]  # what fits is said in full, the recogniser's check with it
    assert anonymize_note(short, room=STATUS_ROOM - len(said)) == anonymize_note(short)


def test_while_faces_are_edited_the_status_says_what_runs_and_that_a_big_photo_is_slow():
    """Round 22's drive: Anonymize on a 24.9 MP group photo ran 140 s while the status still said "Loaded ... Pick
    one (step 2)" under a dimmed "processing" timer. The first step says what runs, for which faces, and that a big
    photo takes a while; a small photo is not warned about."""
    from app.faces_panel import busy_words

    assert busy_words("Anonymizing", "all", 1.1) == "Anonymizing every face …"
    assert busy_words("Swapping", "1,3", 1.1) == "Swapping faces #1 and #3 …"
    assert busy_words("Anonymizing", "2", 24.9) == "Anonymizing face #2 … (a 25 MP photo takes longer)"
    assert busy_words("Anonymizing", "x", 0.3) == "Anonymizing every face …"  # the click then says what is wrong


def test_an_exclude_click_that_removed_nothing_says_so():
    """Round 22's drive on a windmill: an Exclude (−) click on the door, outside the selected sky, answered "24.2% of
    the photo selected" again, as if it had been ignored."""
    from app.words import exclude_missed

    said = exclude_missed("segment 1", 0.242)
    assert said.startswith("segment 1: 24.2% of the photo selected.") and "outside the selection" in said
    assert plain_status(said) == said and len(said) <= 155


def test_the_anonymize_button_names_the_faces_as_the_note_does():
    """Round 16: the button said "Anonymize everyone" for 'Which faces' 0,2; it names those faces the way the note
    after the click does, and "everyone" only for all of them. Round 20: the numbers typed count from 1, and the
    button and the note write them as the Numbered faces tab does (#1, #3), not by their place from the left
    (a 0 is no face: the click says why)."""
    for everyone in ("all", "", " ALL ", "*"):
        assert anonymize_words(everyone) == "Anonymize everyone"
    assert anonymize_words("1,3") == "Anonymize faces #1 and #3"
    assert anonymize_words("3 1 3") == "Anonymize faces #1 and #3"
    assert anonymize_words("2") == "Anonymize face #2"
    assert anonymize_words("1;2;4") == "Anonymize faces #1, #2 and #4"
    for unreadable in ("the tall one", ",", "-1", "0,2"):
        assert anonymize_words(unreadable) == "Anonymize the chosen faces"
    note = anonymize_note([_blur(0, HOPELESS), _blur(2, HOPELESS)])
    assert note.startswith(" Faces #1 and #3 blurred"), note


def test_apply_says_which_sky_and_which_colour():
    sky = "Applied Sky presets (winter, stormy, toxic, sunset, cartoon) to 'sky' in 740 ms (layer #1)."
    assert say_what_was_applied(sky, "sky", {"preset": "stormy", "relight": False}) == (
        "Applied the stormy sky to 'sky' in 740 ms (layer #1)."
    )
    recolour = "Applied Recolour (hue / saturation / lightness or a target colour) to 'dog' in 3 ms (layer #1)."
    assert say_what_was_applied(recolour, "recolour", {"target": "#d92b1e"}) == (
        "Applied the colour red (#d92b1e) to 'dog' in 3 ms (layer #1)."
    )
    moved = {"hue_shift": 30.0, "saturation": 1.5, "lightness": 0.0}
    assert applied_look("recolour", moved) == "Recolour (hue +30°, saturation ×1.50)"
    assert applied_look("texture", {"texture": "denim"}) == "the denim texture"
    assert applied_look("texture", {"texture": "uploaded image 64x64 sha256:210c0cba63d8"}) == "your texture"
    assert applied_look("cartoon", {"colours": 8, "outline": 1.0}) == "the cartoon look (8 colours)"
    assert (
        applied_look("style", {"style": 3, "strength": 1.0}) == "the fiery swirls style"
    )  # round 23: "neural style 3"
    assert applied_look("style", {"style": 19, "strength": 0.5}) == "the starry blue style at 50 %"
    assert applied_look("style", {"style_image": np.zeros((4, 4, 3), np.uint8), "strength": 0.6}) == (
        "the style of your image at 60 %"
    )
    assert applied_look("inpaint", {"prompt": "a red jacket"}) is None  # the editor's own words stay
    assert say_what_was_applied("Kept as-is.", "sky", {"preset": "stormy"}) == "Kept as-is."


# -- round 17: backend names out of the chips and the status line (app/words.py) ------------------------------------
BACKEND_WORDS = ("GrabCut", "classical", "deeplab", "selfie-segmentation", "mediapipe", "pan-hair", "mask by")


def test_the_sessions_status_in_plain_words_for_a_stranger(astronaut_path):
    """The session's own messages (with the backend names, as studio writes them) come out in plain words: what
    happened, whether a full model, a small offline one or offline rules did it, and the next step."""
    from core.models import ModelManager
    from core.photo import load_photo
    from core.settings import Settings
    from core.types import ClickPrompt, Point, Segment
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    try:
        s.load(load_photo(astronaut_path), services, parse=False, prepare=True)
        assert "GrabCut" in s.status  # the session's own words name the click tool; the page's do not
        loaded = plain_status(s.status)
        assert loaded == "Loaded astronaut.png (512x512, 0.3 MP). Click on the part you want to change."
        s.select_prompt(ClickPrompt(points=(Point(100, 330),)), services)
        assert "mask by" in s.status
        clicked = plain_status(s.status)
        assert re.fullmatch(
            r"segment 1: [\d.]+% of the photo selected in [\d.]+ s \(a rough offline outline\)\. Next: pick the look"
            r" and Apply, or refine it with Include \(\+\) / Exclude \(−\) clicks\.",
            clicked,
        ), clicked
        mask = np.zeros((512, 512), bool)
        mask[:100] = True
        s.parts = [
            Segment(id=1, label="sky", mask=mask, source="deeplab-ade20k (offline)"),
            Segment(id=2, label="hat", mask=~mask, source="hair net + face mesh (offline, approximate)"),
            Segment(id=3, label="wall", mask=mask, source="segformer-ade20k"),
        ]
        said = []
        for part in (1, 2, 3):
            s.use_part(part)
            said.append(plain_status(s.status))
    finally:
        s.close()
    assert said == [
        "Selected 'sky' (found by a small offline model). Next: pick the look and Apply.",
        "Selected 'hat' (a rough guess by offline rules: check its edges). Next: pick the look and Apply.",
        "Selected 'wall' (found by the full model). Next: pick the look and Apply.",
    ]
    for text in (loaded, clicked, *said):
        for jargon in BACKEND_WORDS:
            assert jargon not in text, (jargon, text)
    assert (
        plain_status(
            "Loaded t1.jpg: 1280x886 (1.1 MP). GrabCut (offline, classical) ready in 0.21s; 43 labelled parts in 1.68s."
            " Pick a part or click on the photo."
        )
        == "Loaded t1.jpg (1280x886, 1.1 MP): 43 labelled parts found in 1.9 s. Pick one (step 2) or click on the photo."
    )
    # one part is "1 labelled part" (round 22's drive, the cat: "1 labelled parts found")
    assert plain_status(
        "Loaded cat.jpg: 451x300 (0.1 MP). GrabCut (offline, classical) ready in 0.21s; 1 labelled parts in 2.3s."
        " Pick a part or click on the photo."
    ) == ("Loaded cat.jpg (451x300, 0.1 MP): 1 labelled part found in 2.5 s. Pick one (step 2) or click on the photo.")
    assert plain_status("Edit #1 (texture on sky) undone.") == "Edit #1 (texture on sky) undone."  # others pass
    # after Apply: the edit by its number in the edits list, and where to save the result (round 18: "in 9 ms
    # (layer #1)", the list says "Edits", and nothing said what comes next)
    assert plain_status("Applied the denim texture to 'sky' in 9 ms (layer #1).") == (
        "Applied the denim texture to 'sky' (edit #1). The Download tab saves it."
    )
    cartoon = "Applied Cartoon (flat colours and outlines) to 'person 2 · upper clothes' in 83 ms (layer #12)."
    assert plain_status(cartoon) == (
        "Applied Cartoon (flat colours and outlines) to 'person 2 · upper clothes' (edit #12). The Download tab saves it."
    )


def test_chips_say_the_part_and_the_note_names_the_models():
    assert chip("person 1 · hair", "mediapipe-hair (offline) + pan-hair (offline)") == "person 1 · hair"
    assert chip("hat", "hair net + face mesh (offline, approximate)") == "hat (rough)"
    assert chip("skin", "heuristic (offline, approximate)") == "skin (rough)"
    assert chip("sky", "segformer-ade20k") == "sky"
    group = ["deeplab-voc + selfie-segmentation (offline)", "mediapipe-hair (offline) + pan-hair (offline)"]
    assert parts_note(group, 3) == (
        "3 parts, found by the small offline models deeplab-voc, selfie-segmentation, mediapipe-hair, pan-hair"
    )
    assert parts_note(["deeplab-ade20k (offline)", "heuristic (offline, approximate)"], 2) == (
        "2 parts, found by the small offline model deeplab-ade20k; (rough): guessed by offline rules, check its edges"
    )
    assert parts_note(["segformer-ade20k", "segformer-clothes"], 2) == (
        "2 parts, found by the full models segformer-ade20k, segformer-clothes"
    )
    assert parts_note([], 0) == "0 parts"
    herd = ["deeplab-voc + nanodet boxes (offline)"] * 2
    for labels in (["horse 1", "horse 2"], ["sky", "person 2 · hair"]):
        assert parts_note(herd, 2, labels).endswith("; people and animals are numbered from the left"), labels
    for labels in (["sky", "all faces"], ["upper clothes"]):
        assert "numbered" not in parts_note(herd, 2, labels), labels


def test_the_edits_list_names_the_look_not_the_settings():
    """Round 17: '#1 texture on building (feather=-1.0, texture=denim, scale=1.0)' -> '#1 denim texture on building'."""
    assert layer_title(1, "texture", "building", {"feather": -1.0, "texture": "denim", "scale": 1.0}) == (
        "#1 denim texture on building"
    )
    assert (
        layer_title(2, "sky", "sky", {"feather": -1.0, "preset": "sunset", "relight": True}) == "#2 sunset sky on sky"
    )
    assert (
        layer_title(3, "recolour", "hair", {"feather": -1.0, "target": "#1e6fd9"}) == "#3 colour blue (#1e6fd9) on hair"
    )
    assert (
        layer_title(4, "style", "dog", {"feather": 4.0, "style": 7, "seed": 1})
        == "#4 yellow and blue blocks style on dog"
    )
    # an uploaded image is recorded by size and hash (never a path); the list calls it the user's
    mine = "uploaded image 64x64 sha256:210c0cba63d8"
    assert layer_title(5, "texture", "jacket", {"texture": mine}) == "#5 your texture on jacket"
    assert layer_title(6, "style", "sky", {"style_image": mine}) == "#6 style of your image on sky"
    assert layer_title(7, "inpaint", "sky", {"prompt": "storm", "seed": 3}) == "#7 inpaint on sky (prompt=storm)"


def test_the_offline_banner_says_what_it_means_for_the_result():
    """Round 17: '11 model roles use classical or packaged stand-ins' -> what a stranger needs: rougher results."""
    from app.models_panel import headline
    from core.models import ModelManager
    from core.settings import Settings
    from studio.services import build_services

    line = headline(build_services(Settings(), ModelManager(Settings(), online=False)))
    assert re.fullmatch(
        r"⚠ Offline mode: small built-in models stand in for \d+ full ones, so results are rougher \(open for which\)",
        line,
    ), line


def test_undo_redo_and_the_download_say_what_they_did_in_the_pages_words():
    """Round 18, a stranger's drive: Apply said "Applied the marble texture to 'road' (edit #1)" and the edits list
    "#1 marble texture on road", but Undo "Edit #1 (texture on road) undone" (the session's words); the Download tab
    left the status line as it was. The page's own handlers (the app built as it runs): Undo / Redo name the edit as
    the list does, and the download says the file it wrote (name, format, size in pixels and bytes, read back)."""
    from skimage import data

    from app.ui import build_ui
    from core.models import ModelManager
    from core.photo import Photo
    from core.settings import Settings
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    handlers = {f.api_name: f.fn for f in build_ui(services).fns.values() if f.api_name}

    def status(out: dict) -> str:
        return next(v for c, v in out.items() if getattr(c, "elem_id", None) == "facet-status")

    s = EditorSession()
    try:
        s.load(Photo(pixels=data.astronaut(), name="astronaut.png"), services, parse=False, prepare=False)
        road = np.zeros((512, 512), bool)
        road[380:] = True
        s.new_segment("road", base=road)
        layer = s.apply_edit("texture", {"texture": "marble", "scale": 1.0}, 0, services)
        listed = layer_title(layer.id, layer.editor, layer.segment, layer.params)
        assert listed == "#1 marble texture on road"
        assert status(handlers["undo_edit"](s)) == "Edit #1 (marble texture on road) undone."
        assert status(handlers["redo_edit"](s)) == "Edit #1 (marble texture on road) redone."
        for fmt, name, kind in (("PNG", "astronaut-facet.png", "PNG"), ("JPEG", "astronaut-facet.jpg", "JPEG")):
            path = Path(handlers["export"](s, fmt))
            size = path.stat().st_size
            amount = f"{size / 1024:.1f} KB" if size < 2**20 else f"{size / 2**20:.1f} MB"
            assert path.name == name
            assert plain_status(s.status) == (
                f"Saved the full-size result as {name} ({kind}, 512x512, {amount}); its link is under the button."
            )
    finally:
        s.close()


def test_anonymized_status_counts_this_actions_edits_not_the_sessions():
    """Round 19: after a cartoon and a style edit, one Anonymize said "(3 layers; Undo edit steps back)"."""
    assert anonymized_status(["faces"], 1) == "Anonymized the faces (Undo edit takes it back)."
    words = anonymized_status(["faces", "background", "upper clothes"], 3)
    assert words == "Anonymized the faces, background and upper clothes (3 edits; Undo edit takes back each)."


def test_a_target_colour_is_named_in_words():
    """Round 19, a stranger's drive: "Applied Recolour (#1e6fd9)" named no colour a person says. The nearest of
    ``words.COLOUR_WORDS`` by CIEDE2000: the CSS colours by their own names (and the picker's default blue)."""
    from app.words import colour_word

    css = {
        "#ff0000": "red", "#ffa500": "orange", "#ffff00": "yellow", "#008000": "green", "#006400": "dark green",
        "#40e0d0": "turquoise", "#0000ff": "blue", "#000080": "navy", "#800080": "purple", "#ffc0cb": "light pink",
        "#ffffff": "white", "#808080": "grey", "#000000": "black", "#1e6fd9": "blue", "#f5f5dc": "beige",
    }  # fmt: skip
    assert {h: colour_word(h) for h in css} == css
    assert colour_word("rgba(1, 2, 3, 1)") is None and colour_word("#12345") is None
    assert applied_look("recolour", {"target": "#000080"}) == "the colour navy (#000080)"


def test_every_built_in_style_has_its_own_name_in_the_chooser_and_the_words():
    """Round 23: the chooser was a slider of numbers 0-25 and the status line said "neural style 0"; each of the 26
    built-in styles now has a name of its own, shown in the chooser (its value stays the number the API takes), the
    status line, the edits list and the Check tab's verdict."""
    from app.edit_panel import render
    from editors.style import NAMES, NUM_BUILTIN, style_name
    from studio.provenance import _describe_edit

    assert len(NAMES) == NUM_BUILTIN == len(set(NAMES)) and all(n and n == n.strip() for n in NAMES)
    assert style_name(26) is None and style_name(-1) is None and style_name(True) is None and style_name("3") is None
    import gradio as gr

    with gr.Blocks():
        controls = render()
    assert controls.style.choices == [(name, i) for i, name in enumerate(NAMES)] and controls.style.value == 0
    for i, name in enumerate(NAMES):
        assert applied_look("style", {"style": i, "strength": 1.0}) == f"the {name} style"
        assert layer_title(1, "style", "sky", {"style": i}) == f"#1 {name} style on sky"
        assert "neural style" not in applied_look("style", {"style": i})
    assert _describe_edit({"editor": "style", "segment": "sky", "params": {"style": 0}}) == "style (pastel gold) on sky"


def test_an_include_click_that_selected_next_to_nothing_says_how_to_take_more():
    """Round 23's drive: a click on a dahlia's heart (sklearn's flower.jpg, parsed) selected 27 px and the status line
    said "0.0% of the photo selected ... Next: pick the look and Apply"; the dot hid under the click's own marker."""
    from types import SimpleNamespace

    from app.select_panel import SPECK, click_and_say_a_miss
    from app.words import speck_selected
    from studio.session import EXCLUDE, INCLUDE

    said = speck_selected("segment 1", 27, 27 / 273280)
    assert said.startswith("segment 1: only 27 px selected (0.01% of the photo).") and "Box (click 2 corners)" in said
    assert plain_status(said) == said and len(said) <= 175

    class Clicked:  # a session whose click selects ``pixels`` px of a 100x100 photo, as EditorSession.click sets it
        def __init__(self, pixels: int):
            self.seg = SimpleNamespace(label="segment 1", mask=np.zeros((100, 100), bool))
            self.pixels, self.status = pixels, "segment 1: mask by GrabCut ...; 0.1% of the photo."

        def segment(self):
            return self.seg

        def click(self, x, y, mode, services):
            mask = np.zeros((100, 100), bool)
            mask.flat[: self.pixels] = True
            self.seg.mask = mask

    few = round(SPECK * 10_000) - 1
    for pixels, mode, speck in ((few, INCLUDE, True), (few + 1, INCLUDE, False), (few, EXCLUDE, False)):
        s = Clicked(pixels)
        click_and_say_a_miss(s, 50, 50, mode, None)
        assert s.status.startswith("segment 1: only ") == speck, (pixels, mode, s.status)
