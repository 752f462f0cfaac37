"""Faces: find and number them, swap them to a gallery or uploaded face, anonymize everyone. API names
``find_faces``, ``swap_faces``, ``anonymize``."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from app.edit_panel import say_what_was_applied
from app.errors import guarded
from app.face_numbers import EXAMPLE, editor_faces, user_numbers
from app.uploads import read_upload
from app.view import PageView, session, show_result
from core.errors import BadInput
from editors.faceswap import gallery_names
from studio.presets import ANON_LEVELS
from studio.services import Services
from studio.session import EditorSession


@dataclass
class FacesPanel:
    find: gr.Button
    which: gr.Textbox
    gallery: gr.Dropdown
    target_file: gr.File
    by_gender: gr.Checkbox
    swap: gr.Button
    method: gr.Radio
    level: gr.Radio
    anonymize: gr.Button


def render() -> FacesPanel:
    # which faces (numbered by Find), then anonymizing them (one click), then the swap to a chosen face: both actions
    # are in view at the top of the tab on a 1366x768 screen. Round 20's drive: Swap faces sat at y 1024 under the
    # gallery and the upload box, and a stranger did not find it; the radios are compact (app/ui.py CSS), the swap
    # button sits beside the gallery face it swaps to, and the rarer settings (your own face, by gender) open under it
    with gr.Column(elem_id="facet-faces-panel"):
        with gr.Row():
            # one line beside Find at 1366x768 (round 22's drive: "Which faces: 'all' or numbers like 1,3 (as
            # numbered on the photo)" ran to three lines and pushed the tool down 40 px); the numbers are those Find
            # writes on the photo beside it, and the placeholder (an empty box is everyone) says so
            which = gr.Textbox(
                "all",
                label=f"Which faces: all, or {EXAMPLE}",
                placeholder=f"all, or numbers like {EXAMPLE} as on the photo",
                max_lines=1,
                elem_id="facet-faces-which",
                scale=3,
            )
            find = gr.Button("Find and number them", size="sm", elem_id="facet-find-faces", scale=2, min_width=80)
        method = gr.Radio(
            ["swap", "blur", "pixelate", "solid"],
            value="swap",
            label="Anonymize by (swap: a made-up face, same expression)",
            elem_id="facet-anon-method",
        )
        level = gr.Radio(list(ANON_LEVELS), value="Faces only", label="Anonymize", elem_id="facet-anon-level")
        anonymize = gr.Button("Anonymize everyone", variant="primary", elem_id="facet-anonymize")
        with gr.Row(equal_height=False, elem_id="facet-swap-row"):
            gallery = gr.Dropdown(
                gallery_names(),
                value="synthetic_average",
                label="Swap to (gallery face)",
                elem_id="facet-target-gallery",
                scale=3,
            )
            swap = gr.Button("Swap faces", size="md", elem_id="facet-swap", scale=1, min_width=124)
        with gr.Accordion("Swap to your own face, or by gender", open=False, elem_id="facet-swap-more"):
            target_file = gr.File(
                label="Your target face (used instead of the gallery face)",
                file_types=["image"],
                height=124,
                elem_id="facet-target-file",
            )
            by_gender = gr.Checkbox(False, label="Only faces of the target's gender (full models)")
        gr.Markdown(
            "The full face-swap model (`inswapper_128`, used when downloaded) is licensed for "
            "**non-commercial research only**; the offline swap warps a face mesh.",
            elem_id="facet-inswapper-licence",
        )
    return FacesPanel(find, which, gallery, target_file, by_gender, swap, method, level, anonymize)


def _numbered(indices: list[int]) -> str:
    """[0, 2] -> 'faces #1 and #3', [2] -> 'face #3': faces (``Face.index``, from 0) as the Numbered faces tab and
    Find's status write them (round 20's drive: the status said "the 3rd face from the left" beside a tab that
    showed #3)."""
    names = [f"#{i + 1}" for i in sorted(indices)]
    if len(names) == 1:
        return f"face {names[0]}"
    return "faces " + ", ".join(names[:-1]) + " and " + names[-1]


def anonymize_words(which: str | None) -> str:
    """The Anonymize button's words for the 'Which faces' text: 'Anonymize everyone' for 'all', 'Anonymize faces #1
    and #3' for '1,3' (numbered from 1 as on the photo, as the status names them after), 'Anonymize the chosen faces'
    for a text that is not face numbers (the click then says why)."""
    try:
        numbers = user_numbers(which)
    except BadInput:
        return "Anonymize the chosen faces"
    if numbers is None:
        return "Anonymize everyone"
    return f"Anonymize {_numbered([n - 1 for n in numbers])}"


def _plain_reason(row: dict) -> str:
    """Why a face was hidden instead of swapped, in words a stranger reads (the editor's own reason is for bench)."""
    why = str(row.get("why") or row.get("done") or "")
    if why.startswith("cut by the photo's edge"):
        return "cut in half by the photo's edge"
    if why.startswith("no face mesh"):
        return "too small, turned away or partly hidden to swap"
    if "expression" in why:
        return "every made-up face changed its expression"
    if "looks pasted" in why:
        return "too small to swap without looking pasted on"
    if why.startswith(("the best of", "ArcFace")):
        return "no made-up face hid who it is"
    return "a swap could not hide it"


# the status line's two lines beside the photo on a 1366x768 laptop, in characters (about 84 a line, less what word
# wrapping loses): the Anonymize status is kept within it (round 20 and round 22's drives: three lines pushed the photo)
STATUS_ROOM = 155  # round 20: t1's 155-character status fitted the two lines


def anonymize_note(report: list[dict], everyone: bool = False, room: int | None = None) -> str:
    """' 5 swapped for made-up faces, checked by a face recogniser; face #3 blurred: <why, in plain words>.' Faces
    are named by their numbers as the Numbered faces tab shows them (#1 from the left); ``everyone``: the report
    covers every face of the photo, so a lone face is "the face". ``room``: the most characters the note may take
    (the status line's two lines less the status's first sentence, see ``STATUS_ROOM``); a longer note is said
    shorter, step by step: the recogniser's check is left out, then the hidden faces' reasons are said once for all
    of them, then the hidden faces are counted instead of named (round 22's drive on a 24 MP group photo: two
    reasons for four blurred faces ran the status to three lines)."""
    if not report:
        return ""
    note = ""
    for terse in range(5):
        note = _note(report, everyone, terse)
        if room is None or len(note) <= room:
            break
    return note


def _how(row: dict) -> str:
    """What Anonymize did to a face, by its report row's ``done``: 'swapped', 'covered' (a solid fill) or 'blurred'."""
    done = str(row.get("done", ""))
    return "swapped" if done.startswith("swap") else "covered" if done.startswith("solid") else "blurred"


def _note(report: list[dict], everyone: bool, terse: int) -> str:
    """``anonymize_note`` at one of its lengths: ``terse`` 0 says everything, 1 leaves out the recogniser's check, 2
    gives one reason for all the hidden faces, 3 counts them, 4 only counts (' 4 swapped, 4 blurred.')."""
    if terse >= 4:
        counts: dict[str, int] = {}
        for r in report:
            counts[_how(r)] = counts.get(_how(r), 0) + 1
        return " " + ", ".join(f"{n} {how}" for how, n in counts.items()).capitalize() + "."
    swaps = [r for r in report if _how(r) == "swapped"]
    hidden = [r for r in report if _how(r) != "swapped"]
    clauses = []
    if swaps:
        checked = all(r["verified"] for r in swaps)
        many = len(swaps) != 1
        clause = f"{'all ' if not hidden and many else ''}{len(swaps)} swapped for "
        clause += "made-up faces" if many else "a made-up face"
        if terse == 0:
            clause += ", checked by a face recogniser" if checked else ", unchecked (dlib is not installed)"
        elif not checked:
            clause += ", unchecked"
        clauses.append(clause)
    by_reason: dict[tuple[str, str], list[int]] = {}
    for r in hidden:
        why = _plain_reason(r) if terse < 2 else "a swap could not hide it"
        by_reason.setdefault((_how(r), why), []).append(int(r["face"]))
    for (how, why), indices in by_reason.items():
        # the photo's one face: no number to name it by (round 20's drive)
        if everyone and len(report) == 1:
            who = "the face"
        elif terse < 3:
            who = _numbered(indices)
        else:
            who = f"{len(indices)} face{'s' if len(indices) != 1 else ''}"
        if len(indices) > 1 and why == "a swap could not hide it":
            why = "a swap could not hide them"
        clauses.append(f"{who} {how}: {why}")
    note = "; ".join(clauses)
    return f" {note[0].upper()}{note[1:]}."


# the faces each session was last shown numbered (Find and number them): the photo's id and each face's box, so a
# number typed after an edit that hid or moved faces is not taken for another face (by the session's id, dropped
# when the session is collected)
_NUMBERED: dict[int, tuple[str, list[tuple[float, ...]]]] = {}


def _remember(s: EditorSession, photo_id: str, boxes: list[tuple[float, ...]]) -> None:
    if id(s) not in _NUMBERED:
        weakref.finalize(s, _NUMBERED.pop, id(s), None)
    _NUMBERED[id(s)] = (photo_id, boxes)


def _same_faces(shown: list[tuple[float, ...]], now: list[tuple[float, ...]]) -> bool:
    """The faces found now are the ones numbered before: as many, each centre within half a face width of its own."""
    if len(shown) != len(now):
        return False
    for (a0, a1, a2, a3), (b0, b1, b2, b3) in zip(shown, now):
        if abs((a0 + a2) - (b0 + b2)) / 2 > (a2 - a0) / 2 or abs((a1 + a3) - (b1 + b3)) / 2 > (a3 - a1) / 2:
            return False
    return True


def check_numbers(s: EditorSession, which: str | None, services: Services) -> str:
    """The editors' faces for the 'Which faces' text, checked against the faces on the photo now: a number past the
    last face, or numbers typed after an edit renumbered the faces (round 20's drive: after 2 and 4 of t1's six
    faces were blurred, Find's '3' named the 5th face, since only four were found on the result), are refused with
    what to do."""
    faces = editor_faces(which)
    if faces == "all":
        return faces
    now = [tuple(float(v) for v in f.box) for f in s.faces(services)]
    numbers = [int(i) + 1 for i in faces.split(",")]
    shown = _NUMBERED.get(id(s))
    if shown is not None and s.photo is not None and shown[0] == s.photo.id and not _same_faces(shown[1], now):
        raise BadInput(
            f"the faces have changed since they were numbered ({len(shown[1])} then, {len(now)} on the photo now: an "
            "edit hid or moved some); press Find and number them again to see the numbers, then choose"
        )
    if not now:
        raise BadInput("no face found in this photo")
    if max(numbers) > len(now):
        raise BadInput(
            f"there is no face {max(numbers)}; the photo has {len(now)} face{'s' if len(now) != 1 else ''}, "
            f"numbered 1 to {len(now)} (Find and number them shows them)"
        )
    return faces


def anonymized_status(done: list[str], added: int) -> str:
    """'Anonymized the faces and background (2 edits; Undo edit takes back one at a time).'; for one edit 'Anonymized
    the faces (Undo edit takes it back).' ``added``: the edits this Anonymize made (round 19: the count was every
    edit of the session, "3 layers" after one anonymize on a photo with two earlier edits)."""
    what = " and ".join([", ".join(done[:-1]), done[-1]] if len(done) > 1 else done)
    if added == 1:  # short: the status line holds two lines (round 20's drive)
        return f"Anonymized the {what} (Undo edit takes it back)."
    return f"Anonymized the {what} ({added} edits; Undo edit takes back each)."  # shorter (round 22): see STATUS_ROOM


def busy_words(doing: str, which: str | None, megapixels: float) -> str:
    """The status line while Anonymize or Swap faces runs: 'Anonymizing every face … (a 25 MP photo takes longer)'. A
    big photo is said to be slower (round 22's drive at 24.9 MP on two cores: 140 s before faces over 192 px were
    swapped on a smaller copy, 14 s after; t1 at 1.1 MP: 8 s)."""
    try:
        numbers = user_numbers(which)
    except BadInput:
        numbers = None
    who = "every face" if numbers is None else _numbered([n - 1 for n in numbers])
    slow = f" (a {megapixels:.0f} MP photo takes longer)" if megapixels >= BIG_MP else ""
    return f"{doing} {who} …{slow}"


BIG_MP = 8  # from here on the status warns that the faces' edit takes longer (t1 at 1.1 MP: 8 s; 24.9 MP: 14 s)


def busy_step(state: Any, doing: str, which: str | None) -> tuple[Any, Any]:
    """Anonymize's and Swap faces' first step, at once: the button disabled, the status saying what runs (unchanged
    without a photo: the edit's own message says why)."""
    s = state if isinstance(state, EditorSession) else None
    if s is None or s.photo is None:
        return gr.update(interactive=False), gr.update()
    return gr.update(interactive=False), busy_words(doing, which, s.photo.width * s.photo.height / 1e6)


def listen(p: FacesPanel, view: PageView, faces_image: gr.Image, photo_tabs: gr.Tabs, services: Services) -> None:
    """The Faces tool's events; ``photo_tabs``: the photo column's tabs, turned to the numbered faces once found."""

    def warn(message: str, state: Any) -> tuple[None, str]:
        s = session(state)
        s.status = f"⚠ {message}"
        return None, s.status

    @guarded(warn=warn)
    def on_find(state: Any) -> tuple[Any, str]:
        s = session(state)
        if s.photo is None:
            raise BadInput("upload a photo first")
        t0 = time.perf_counter()
        faces = s.faces(services)
        preview = s.faces_preview(services)
        _remember(s, s.photo.id, [tuple(float(v) for v in f.box) for f in faces])
        s.status = f"{len(faces)} face{'s' if len(faces) != 1 else ''} found in {time.perf_counter() - t0:.2f}s" + (
            ": " + ", ".join(f"#{f.index + 1}" for f in faces) if faces else "."
        )
        return preview, s.status

    @view.event()
    def on_swap(s: EditorSession, which: str, gallery_name: str, target_upload: Any, gender: bool) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        if target_upload is not None:  # this session's upload, read into an array: editors never see paths
            target: Any = read_upload(target_upload, s, "target face", services.settings)
        elif gallery_name in gallery_names():
            target = gallery_name
        else:
            raise BadInput("choose a target face from the gallery or upload one")
        chosen = (which or "all").strip() or "all"
        params = {"target": target, "faces": check_numbers(s, chosen, services), "by_gender": bool(gender)}
        everything = np.ones((s.photo.height, s.photo.width), bool)
        label = "all faces" if params["faces"] == "all" else f"faces {chosen}"
        s.apply_edit("faceswap", params, 0, services, mask=everything, label=label)
        s.status = say_what_was_applied(s.status, "faceswap", params)  # the face it put on, not the editor's name

    @view.event()
    def on_anonymize(s: EditorSession, method: str, level: str, which: str) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        faces = check_numbers(s, which, services)  # before anything is edited: a face 0, a word, a stale number
        everything = np.ones((s.photo.height, s.photo.width), bool)
        before = {layer.id for layer in s.layers.layers}
        s.apply_edit(
            "anonymize",
            {"method": method or "swap", "faces": faces},
            0,
            services,
            mask=everything,
            label="all faces" if faces == "all" else f"faces {(which or '').strip()}",
        )
        report = list(s.last_report)
        done = ["faces"]
        for part, editor, params in ANON_LEVELS.get(level, ()):
            if s.apply_to_part(part, editor, params, 0, services, charge=False) is not None:  # one action
                done.append(part)
        added = sum(layer.id not in before for layer in s.layers.layers)
        said = anonymized_status(done, added)
        s.status = said + anonymize_note(report, everyone=faces == "all", room=STATUS_ROOM - len(said))

    def show_faces(state: Any) -> Any:
        found = isinstance(state, EditorSession) and state.photo is not None
        return gr.Tabs(selected="faces") if found else gr.Tabs()

    models = {"concurrency_id": "models"}
    quiet = {"api_visibility": "private", "queue": False, "show_progress": "hidden"}
    state, everything = view.state, view.outputs()
    p.find.click(on_find, [state], [faces_image, view.status], api_name="find_faces", **models).then(
        show_faces, [state], [photo_tabs], api_visibility="private", queue=False
    )
    # as Apply (app/edit_panel.py): first, at once, the button disabled and the status line saying what runs; then the
    # edit, its timer on the photo only. Round 22's drive: Anonymize on a 24 MP group photo ran 140 s with the old
    # "Loaded ... Pick one" status dimmed under "processing", the parts list blanked, and the button still live
    swap_inputs = [state, p.which, p.gallery, p.target_file, p.by_gender]
    swapped = p.swap.click(lambda st, w: busy_step(st, "Swapping", w), [state, p.which], [p.swap, view.status], **quiet)
    # "minimal": the timer only, the photo stays in view (a full spinner blanked it for the whole edit)
    shown = {"show_progress_on": [view.canvas], "show_progress": "minimal"}
    swapped = swapped.then(on_swap, swap_inputs, everything, api_name="swap_faces", **shown, **models)
    show_result(swapped.then(lambda: gr.update(interactive=True), None, [p.swap], **quiet))
    # the button says what it will do: everyone, or the faces 'Which faces' names
    p.which.change(lambda which: gr.Button(anonymize_words(which)), [p.which], [p.anonymize], **quiet)
    hid = p.anonymize.click(
        lambda st, w: busy_step(st, "Anonymizing", w), [state, p.which], [p.anonymize, view.status], **quiet
    )
    hid = hid.then(
        on_anonymize,
        [state, p.method, p.level, p.which],
        everything,
        api_name="anonymize",
        **shown,
        **models,
    )
    show_result(hid.then(lambda: gr.update(interactive=True), None, [p.anonymize], **quiet))
