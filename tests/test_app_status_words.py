"""The status line in plain words (round 15, a stranger's drive at 1366x768): the anonymize note names faces from
the left, 1-based, with a plain reason for a hidden one; Apply says which look it put on (the stormy sky, the
colour), not the editor's list of everything it can do."""

from __future__ import annotations

from app.edit_panel import applied_look, say_what_was_applied
from app.faces_panel import anonymize_note, anonymize_words

HOPELESS = "the best of 2 tries (synthetic_young_wide_light, anti-face) reached only 0.575 < 0.75; too far under it"


def _swap(i: int) -> dict:
    return {"face": i, "done": "swap to synthetic_average", "verified": True}


def _blur(i: int, why: str) -> dict:
    return {"face": i, "done": f"blur of the head ({why})", "why": why, "verified": True}


def test_anonymize_note_names_faces_from_the_left_1_based_in_plain_words():
    note = anonymize_note([_swap(0), _swap(1), _blur(2, HOPELESS), _swap(3), _swap(4), _swap(5)])
    assert note == (
        " 5 faces swapped for made-up faces (each checked by a face recogniser). The 3rd face from the left is"
        " blurred instead: no made-up face looked different enough to a face recogniser."
    )
    for jargon in ("#", "0.575", "outline", "proportions", "anti-face", "synthetic_"):
        assert jargon not in note, jargon


def test_anonymize_note_groups_hidden_faces_by_reason_and_counts_in_words():
    mesh = "no face mesh (too small, hidden or in profile)"
    note = anonymize_note([_blur(0, mesh), _blur(10, mesh), _swap(1)])
    assert note == (
        " 1 face swapped for a made-up face (each checked by a face recogniser). The 1st and 11th faces from the"
        " left are blurred instead: too small, turned away or partly hidden to swap."
    )
    assert (
        anonymize_note([_swap(0), _swap(1)])
        == " All 2 faces swapped for made-up faces (each checked by a face recogniser)."
    )
    solid = {
        "face": 1,
        "done": "solid of the head (x; still dlib's same person blurred, 0.50)",
        "why": "x",
        "verified": True,
    }
    assert "The 2nd face from the left is covered instead: a swap could not hide it." in anonymize_note([solid])
    assert anonymize_note([]) == ""


def test_the_anonymize_button_names_the_faces_as_the_note_does():
    """Round 16: the button said "Anonymize everyone" for 'Which faces' 0,2; it names those faces the way the note
    after the click does (1-based from the left), and "everyone" only for all of them."""
    for everyone in ("all", "", " ALL ", "*"):
        assert anonymize_words(everyone) == "Anonymize everyone"
    assert anonymize_words("0,2") == "Anonymize the 1st and 3rd faces from the left"
    assert anonymize_words("2 0 2") == "Anonymize the 1st and 3rd faces from the left"
    assert anonymize_words("1") == "Anonymize the 2nd face from the left"
    assert anonymize_words("0;1;3") == "Anonymize the 1st, 2nd and 4th faces from the left"
    for unreadable in ("the tall one", ",", "-1"):
        assert anonymize_words(unreadable) == "Anonymize the chosen faces"
    note = anonymize_note([_blur(0, HOPELESS), _blur(2, HOPELESS)])
    assert "The 1st and 3rd faces from the left are blurred" in note


def test_apply_says_which_sky_and_which_colour():
    sky = "Applied Sky presets (winter, stormy, toxic, sunset, cartoon) to 'sky' in 740 ms (layer #1)."
    assert say_what_was_applied(sky, "sky", {"preset": "stormy", "relight": False}) == (
        "Applied the stormy sky to 'sky' in 740 ms (layer #1)."
    )
    recolour = "Applied Recolour (hue / saturation / lightness or a target colour) to 'dog' in 3 ms (layer #1)."
    assert say_what_was_applied(recolour, "recolour", {"target": "#d92b1e"}) == (
        "Applied Recolour (#d92b1e) to 'dog' in 3 ms (layer #1)."
    )
    moved = {"hue_shift": 30.0, "saturation": 1.5, "lightness": 0.0}
    assert applied_look("recolour", moved) == "Recolour (hue +30°, saturation ×1.50)"
    assert applied_look("texture", {"texture": "denim"}) == "the denim texture"
    assert applied_look("cartoon", {}) is None  # the editor's own name is plain enough
    assert say_what_was_applied("Kept as-is.", "sky", {"preset": "stormy"}) == "Kept as-is."
