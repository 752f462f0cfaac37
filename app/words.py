"""The page's words for what the models did: plain words on the chips and in the status line; the model names in
the parts list's note and the photo's Parts tab (and the Models banner).

Round 17, a stranger's drive: the chips read "sky · deeplab-ade20k" and "person 1 · deeplab-voc +
selfie-segmentation", the status "GrabCut (offline, classical) ready in 2.47s" and "mask by GrabCut (offline,
classical) in 120 ms (310 ms with overhead)": names that mean nothing to someone who came to restyle a photo. A
part's chip now says what the part is ("sky", "person 2 · hair"), with "(rough)" only where offline rules guessed
it; the status line says what happened and what to do next, and whether a part or an outline came from the full
model, a small offline model or an offline rough guess. The backend names stay for whoever wants them: in the note
under the parts list's title ("3 parts, found by the small offline models deeplab-ade20k, deeplab-voc") and, part by
part, in the photo's Parts tab ("person 1 · hair · mediapipe-hair + pan-hair").

The session (studio/session.py) writes its status with the backend names (the CLI and logs show them; the API's
/parse gives each part's source); `plain_status` rewrites the three messages that carry them as the page (and the
API's status field) shows them, and passes every other message through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from app.face_numbers import shown_params
from editors.style import style_name

ROUGH = "rough"  # the chip's mark for a part guessed by offline rules (not a trained model)
FULL, OFFLINE = "full", "offline"


def kind(source: str) -> str:
    """'full' (a full model, e.g. SegFormer or SAM), 'offline' (a small packaged net) or 'rough' (offline rules:
    the source says "approximate", or "classical" for GrabCut's outline)."""
    if "approximate" in source or "classical" in source:
        return ROUGH
    return OFFLINE if "offline" in source else FULL


def model_names(source: str) -> list[str]:
    """'mediapipe-hair (offline) + pan-hair (offline)' -> ['mediapipe-hair', 'pan-hair']; the hand-made rules
    ('heuristic') are no model and are left out."""
    names = []
    for part in re.split(r"[+,]", re.sub(r"\([^)]*\)", "", source)):
        name = part.strip()
        if name and name != "heuristic" and name not in names:
            names.append(name)
    return names


def chip(label: str, source: str) -> str:
    """A labelled part's chip: what the part is, and "(rough)" when offline rules guessed it."""
    return f"{label} ({ROUGH})" if kind(source) == ROUGH else label


def legend_label(label: str, source: str) -> str:
    """A part in the photo's Parts tab (the legend over the photo), with the models that found it:
    'person 1 · hair · mediapipe-hair + pan-hair', 'hat · hair net + face mesh (rough)', 'skin · offline rules (rough)'."""
    names = " + ".join(model_names(source)) or "offline rules"
    return f"{label} · {names}" + (f" ({ROUGH})" if kind(source) == ROUGH else "")


NUMBERED = re.compile(r"^\S.* \d+(?: ·|$)")  # "horse 2", "person 3 · hair"


def parts_note(sources: Iterable[str], count: int, labels: Iterable[str] = ()) -> str:
    """The note under the parts list's title: how many, which models found them (by name), and, when people or
    animals are numbered, that the numbers go from the left (segmenters/person.py and objects.py number them by
    their place; "horse 1" was a horse at the photo's left edge a stranger had not noticed); the time is in the
    status line."""
    sources = list(sources)
    kinds = {kind(s) for s in sources}
    names: list[str] = []
    for source in sources:
        names += [n for n in model_names(source) if n not in names]
    note = f"{count} part{'s' if count != 1 else ''}"
    if names:
        who = "the full" if kinds <= {FULL} else "the small offline" if FULL not in kinds else "the"
        note += f", found by {who} model{'s' if len(names) > 1 else ''} {', '.join(names)}"
    if any(NUMBERED.match(label) for label in labels):
        note += "; people and animals are numbered from the left"
    if ROUGH in kinds:
        note += f"; ({ROUGH}): guessed by offline rules, check its edges"
    return note


def _how_found(source: str) -> str:
    return {
        FULL: "found by the full model",
        OFFLINE: "found by a small offline model",
        ROUGH: "a rough guess by offline rules: check its edges",
    }[kind(source)]


_LOADED = re.compile(
    r"^Loaded (?P<name>.+): (?P<size>\d+x\d+) \((?P<mp>[\d.]+ MP)\)(?P<notes> \(.*\))?\."
    r"(?: (?P<tool>.+) ready in (?P<ready>[\d.]+)s;)?(?: (?P<n>\d+) labelled parts in (?P<parse>[\d.]+)s\.)?"
    r" Pick a part or click on the photo\.$",
    re.S,
)
_PICKED = re.compile(r"^Selected '(?P<label>.+)' \((?P<source>.+)\); clicks now refine it\.$", re.S)
_CLICKED = re.compile(
    r"^(?P<label>.+): mask by (?P<backend>.+) in \d+ ms \((?P<total>\d+) ms with overhead\)"
    r"(?:, predicted IoU [\d.]+)?; (?P<share>[\d.]+%) of the photo\.$",
    re.S,
)
_APPLIED = re.compile(r"^Applied (?P<look>.+) to '(?P<label>.+)' in \d+ ms \(layer #(?P<n>\d+)\)\.$", re.S)
# a generated variant picked from the Generate tab's gallery (round 20's drive: "(layer #1)" and nothing on what next)
_VARIANT = re.compile(r"^Applied variant (?P<v>\d+) \((?P<how>.+)\) to '(?P<label>.+)' \(layer #(?P<n>\d+)\)\.$", re.S)
NEXT = "Next: pick the look and Apply"
# after Apply: the edit by the number the edits list gives it (the session says "layer"), and where to save the
# result (round 18, a stranger's drive: "in 13 ms (layer #1)" and no word on what comes next; the time of an edit
# that has just been seen drawn tells a stranger nothing)
SAVE = "The Download tab saves it"


def plain_status(status: str) -> str:
    """The session's status in plain words for the page (see the module docstring); other messages unchanged."""
    text = status.strip()
    if m := _LOADED.match(text):
        seconds = float(m["ready"] or 0) + float(m["parse"] or 0)
        head = f"Loaded {m['name']} ({m['size']}, {m['mp']}){m['notes'] or ''}"
        if m["n"] is None:
            return f"{head}. Click on the part you want to change."
        if m["n"] == "0":
            return f"{head}: no labelled parts found in {seconds:.1f} s. Click on the part you want to change."
        parts = "1 labelled part" if m["n"] == "1" else f"{m['n']} labelled parts"  # round 22: "1 labelled parts"
        return f"{head}: {parts} found in {seconds:.1f} s. Pick one (step 2) or click on the photo."
    if m := _PICKED.match(text):
        return f"Selected '{m['label']}' ({_how_found(m['source'])}). {NEXT}."
    if m := _CLICKED.match(text):
        how = "a rough offline outline" if kind(m["backend"]) == ROUGH else "outlined by the click model"
        return (
            f"{m['label']}: {m['share']} of the photo selected in {int(m['total']) / 1000:.1f} s ({how}). "
            f"{NEXT}, or refine it with Include (+) / Exclude (−) clicks."
        )
    if m := _APPLIED.match(text):
        return f"Applied {m['look']} to '{m['label']}' (edit #{m['n']}). {SAVE}."
    if m := _VARIANT.match(text):
        return f"Applied variant {m['v']} ({m['how']}) to '{m['label']}' (edit #{m['n']}). {SAVE}."
    return status


# colour words for a recolour's target (round 19, a stranger's drive: "Applied Recolour (#1e6fd9)" named no colour a
# person says): the nearest of these (CIEDE2000); (word, a colour it names), a word may name several
COLOUR_WORDS = (
    ("red", "#d62828"), ("dark red", "#8b1a1a"), ("orange", "#f77f00"), ("yellow", "#f5d000"), ("gold", "#c9a227"),
    ("olive", "#6b7a1f"), ("green", "#2a9d3a"), ("dark green", "#1e4d2b"), ("light green", "#9be08a"),
    ("teal", "#1a8f8f"), ("turquoise", "#30d5c8"), ("light blue", "#9fd0f0"), ("blue", "#1e6fd9"), ("blue", "#0000ff"),
    ("navy", "#14206e"), ("purple", "#7b3fb5"), ("lilac", "#c8a2e8"), ("pink", "#f06aa8"), ("light pink", "#f8c3cf"),
    ("brown", "#8b5a2b"), ("dark brown", "#4b2e1a"), ("beige", "#e8d5b0"), ("white", "#ffffff"),
    ("light grey", "#c8c8c8"), ("grey", "#8c8c8c"), ("dark grey", "#454545"), ("black", "#111111"),
)  # fmt: skip


def colour_word(hex_colour: str) -> str | None:
    """The nearest word of ``COLOUR_WORDS`` to '#rrggbb' (CIEDE2000); None for anything that is not that form."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", hex_colour or ""):
        return None
    from skimage.color import deltaE_ciede2000, rgb2lab

    names = [word for word, _ in COLOUR_WORDS]
    rgb = np.array([[[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in [hex_colour, *(c for _, c in COLOUR_WORDS)]]])
    lab = rgb2lab(rgb / 255.0)[0]
    return names[int(np.argmin(deltaE_ciede2000(lab[:1], lab[1:])))]


def applied_look(editor: str, params: dict[str, Any]) -> str | None:
    """The look Apply just put on, in words ('the stormy sky', 'the colour red (#d92b1e)', 'the fiery swirls style', 'the
    cartoon look (8 colours)'); None: the editor's name."""
    if editor == "sky":
        return f"the {params.get('preset')} sky" + (" (foreground relit to match)" if params.get("relight") else "")
    if editor == "recolour":
        if params.get("target"):
            word = colour_word(str(params["target"]))
            return f"the colour {word} ({params['target']})" if word else f"Recolour ({params['target']})"
        moves = [
            f"hue {params.get('hue_shift', 0.0):+.0f}°" if params.get("hue_shift") else "",
            f"saturation ×{params.get('saturation', 1.0):.2f}" if params.get("saturation", 1.0) != 1.0 else "",
            f"lightness {params.get('lightness', 0.0):+.0f}" if params.get("lightness") else "",
        ]
        return "Recolour (" + (", ".join(m for m in moves if m) or "no change") + ")"
    if editor == "texture" and isinstance(params.get("texture"), str) and not _uploaded(params["texture"]):
        return f"the {params['texture']} texture"
    if editor == "texture":
        return "your texture"
    if editor == "style":
        strength = params.get("strength", 1.0)
        at = f" at {round(100 * float(strength))} %" if isinstance(strength, (int, float)) and strength < 1 else ""
        if params.get("style_image") is not None:
            return f"the style of your image{at}"
        if (name := style_name(params.get("style"))) is not None:  # round 23: "neural style 0"
            return f"the {name} style{at}"
        if params.get("style") is not None:
            return f"neural style {params['style']}{at}"
        return None
    if editor == "cartoon":
        return "the cartoon look" + (f" ({params['colours']} colours)" if params.get("colours") else "")
    if editor == "faceswap" and not params.get("mapping"):  # round 20's drive: "Applied Face swap to 'faces all'"
        target = params.get("target")
        if isinstance(target, np.ndarray) or _uploaded(target):
            return "your target face"
        if isinstance(target, str) and target:
            return f"the gallery face '{target.replace('_', ' ')}'"
    return None


def _uploaded(value: Any) -> bool:
    """A layer records an uploaded image as 'uploaded image 64x64 sha256:...' (editors.assets); the list says 'yours'."""
    return isinstance(value, str) and value.startswith(("uploaded image", "(uploaded image)"))


HIDDEN_PARAMS = ("feather", "seed", "texture_path", "style_path")  # how, not what: the edits list leaves them out


def layer_title(number: int, editor: str, segment: str, params: dict[str, Any]) -> str:
    """An edit in the edits list: '#1 denim texture on building', '#2 sunset sky on sky', '#3 recolour (#1e6fd9) on
    hair'; another editor by its name with its settings but the feather ('#1 style on dog (style=mosaic)'), where the
    session's own title says '#1 texture on building (feather=-1.0, texture=denim, scale=1.0)'."""
    look = applied_look(editor, {k: v for k, v in params.items() if k != "relight"})
    if look is not None:
        look = look.removeprefix("the ")
        return f"#{number} {look[0].lower()}{look[1:]} on {segment}"
    params = shown_params(editor, params)  # faces numbered from 1, as the user typed them
    shown = ", ".join(f"{k}={'your image' if _uploaded(v) else v}" for k, v in params.items() if k not in HIDDEN_PARAMS)
    return f"#{number} {editor} on {segment}" + (f" ({shown})" if shown else "")


def edit_status(number: int, editor: str, segment: str, params: dict[str, Any], done: str) -> str:
    """Undo / Redo edit in the status line, the edit named as the edits list names it (`layer_title`): 'Edit #1
    (marble texture on road) undone.' (round 18, a stranger's drive: the list said "#1 marble texture on road" and
    Apply "the marble texture", but Undo "Edit #1 (texture on road) undone": the session's words, the editor's name)."""
    title = layer_title(number, editor, segment, params)
    return f"Edit #{number} ({title.removeprefix(f'#{number} ')}) {done}."


def saved_words(name: str, fmt: str, size: tuple[int, int], nbytes: int) -> str:
    """The status line after the Download tab wrote the result: the file's name, format, size in pixels and bytes
    (round 18, a stranger's drive: the status line still said what Apply had done, nothing of the download)."""
    amount, unit = float(nbytes), "B"
    for bigger in ("KB", "MB", "GB"):  # as the file's link under the button writes it (Gradio's prettyBytes)
        if amount <= 1024:
            break
        amount, unit = amount / 1024, bigger
    amount = f"{amount:.1f} {unit}"
    return f"Saved the full-size result as {name} ({fmt}, {size[0]}x{size[1]}, {amount}); its link is under the button."


def exclude_missed(label: str, share: float) -> str:
    """The status after an Exclude (−) click outside the selection that removed almost nothing (``share``: of the
    photo selected after it). Round 22's drive on a windmill: an exclude click on the door, outside the selected sky,
    answered "24.2% of the photo selected" again, as if it had been ignored."""
    return (
        f"{label}: {share:.1%} of the photo selected. That Exclude (−) click was outside the selection: "
        "click on what to take out of it."
    )


def speck_selected(label: str, pixels: int, share: float) -> str:
    """The status after an include click that selected next to nothing (``pixels``, ``share`` of the photo), instead
    of "0.0% of the photo selected ... Next: pick the look and Apply" (round 23's drive: a click on a dahlia's heart
    selected 27 px, hidden under the click's own marker)."""
    return (
        f"{label}: only {pixels} px selected ({share:.2%} of the photo). To take more, click again inside the part, "
        "or choose Box (click 2 corners) and click two corners around it."
    )
