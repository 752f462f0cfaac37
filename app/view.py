"""What the page shows for a session: the named `PageView` (components) and how a session renders into them.

Every UI action acts on the caller's `EditorSession` (the page's ``gr.State``) and then renders the parts of
the page it changes. The API's session endpoints (``/upload``, ``/use_part``, ``/edit``, ...) return all of
`FIELDS` in that order, so a ``gradio_client`` result is ``(canvas, status, segments, name, download, parts,
layers, compare, other)`` (the state is not sent to clients): ``view[1]`` is the status line, ``view[5]`` the
labelled parts. ``PageView.index(name)`` gives a field's position in that tuple.
"""

from __future__ import annotations

import base64
import functools
import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData
from PIL import Image

from app.errors import guarded
from app.words import chip, layer_title, parts_note, plain_status
from studio.session import EditorSession

# the order of a session endpoint's outputs (the API's result tuple, after the hidden state)
FIELDS = ("state", "canvas", "status", "segments", "name", "download", "parts", "layers", "compare", "other")
# what a click on the photo changes at once (the painted mask); the segment list etc. follow in a second event
CLICK = ("state", "canvas", "status")
# (and the labelled parts: the chip of a part picked by a click shows selected, a refined one no longer does)
SELECTION = ("segments", "name", "download", "other", "parts")
PREVIEW_QUALITY = 90  # JPEG quality of the canvas preview (the export is full size and lossless or q95)


# The photo column's open tab, and a turn back to its Photo tab (a page-only step). Round 19: after *Find and number
# them* the column stayed on *Numbered faces*, which shows the photo as it was when the faces were found, through
# Anonymize, Apply, undo and chip picks: a stranger saw the old faces and no outline. A result (`SHOW_RESULT`) turns
# back to the photo unless *Before / after* is open (it shows the result too); a pick (`SHOW_PICK`) turns back unless
# the photo is open (only the photo draws the outline). On a phone the scroll to the photo follows once it is drawn.
_TABS_JS = """const PHOTO_TAB = () => {
        const t = document.querySelector('#facet-tabs button[role=tab][aria-selected=true]');
        return t ? t.innerText.trim() : 'Photo';
    };
    const SHOW_PHOTO_TAB = () => {
        const b = [...document.querySelectorAll('#facet-tabs button[role=tab]')].find(t => t.innerText.trim() === 'Photo');
        if (b) b.click();
    };"""


# After an action whose result is the photo (Apply, a variant, undo / redo of an edit, anonymize, remove): when less
# than half of the photo is in view, bring it to the middle of the window. On a phone (one column) Apply sits
# ~1000 px under the photo and the result was drawn out of sight (round 17: at 390x844 the photo's bottom was at
# y -650 after Apply); where the photo column is sticky (1000 px and wider) the photo is in view and nothing moves.
SHOW_RESULT = (
    """() => {
    """
    + _TABS_JS
    + """
    const show = () => {
        const c = document.querySelector('#facet-canvas');
        if (!c) return;
        const r = c.getBoundingClientRect();
        const seen = Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0);
        if (seen < r.height / 2) c.scrollIntoView({block: 'center'});
    };
    if (['Photo', 'Before / after'].includes(PHOTO_TAB())) return show();
    SHOW_PHOTO_TAB();
    setTimeout(show, 150);
}"""
)


def show_result(event: Any) -> Any:
    """``event.then``: bring the photo into view after it ran (`SHOW_RESULT`); a page-only step, no server call."""
    return event.then(None, None, None, js=SHOW_RESULT, queue=False, api_visibility="private")


# After a pick (a part's chip, words, a segment, undo / clear clicks, grow, combine) on a narrow screen, where the
# columns stack and the photo scrolls away: when less than 90 % of the photo is in view, bring the photo's column
# (the status line, then the photo) to the top of the window; the parts list follows the photo there (app/ui.py), so
# the chip just tapped stays in view under the outline. Round 17: at 390x844 with the parts list at the top of the
# window the photo's bottom was at y -229 after a chip pick, the outline drawn out of sight. Where the photo column
# is sticky (1000 px and wider) nothing moves.
SHOW_PICK = (
    """() => {
    """
    + _TABS_JS
    + """
    const show = () => {
        if (window.innerWidth >= 1000) return;
        const c = document.querySelector('#facet-canvas');
        const col = document.querySelector('#facet-col-photo');
        if (!c || !col) return;
        const r = c.getBoundingClientRect();
        const seen = Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0);
        if (seen < 0.9 * r.height) col.scrollIntoView({block: 'start'});
    };
    if (PHOTO_TAB() === 'Photo') return show();
    SHOW_PHOTO_TAB();
    setTimeout(show, 150);
}"""
)


def show_pick(event: Any) -> Any:
    """``event.then``: bring the photo with its new outline into view on a narrow screen (`SHOW_PICK`); page-only."""
    return event.then(None, None, None, js=SHOW_PICK, queue=False, api_visibility="private")


def session(state: Any) -> EditorSession:
    """The caller's session (a new one on a fresh page), tagged with the request's address for the flood limits
    (core/limits.py)."""
    s = state if isinstance(state, EditorSession) else EditorSession()
    s.peer = peer()
    return s


def peer() -> tuple[str | None, str | None]:
    """(TCP peer address, X-Forwarded-For header) of the request being handled (Gradio sets it per event);
    which of them is the client is decided by core.limits.client_address with FACET_TRUSTED_PROXIES."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    if request is None:
        return None, None
    client = getattr(request, "client", None)
    try:
        forwarded = request.headers.get("x-forwarded-for")
    except Exception:
        forwarded = None
    return getattr(client, "host", None), forwarded


@dataclass
class PageView:
    """The components a session is rendered into (see the module docstring for the API order)."""

    state: gr.State
    canvas: gr.Image
    status: gr.Markdown
    segments: gr.Radio
    name: gr.Textbox
    download: gr.DownloadButton
    parts: gr.Radio
    layers: gr.CheckboxGroup
    compare: gr.ImageSlider
    other: gr.Dropdown

    @staticmethod
    def index(name: str) -> int:
        """Position of field ``name`` in an API client's result tuple (the state is not sent)."""
        return FIELDS.index(name) - 1

    def outputs(self, names: tuple[str, ...] = FIELDS) -> list[Any]:
        return [getattr(self, n) for n in names]

    def render(self, s: EditorSession, names: tuple[str, ...] = FIELDS, inline: bool = False) -> dict[Any, Any]:
        """``{component: value}`` for the fields ``names`` (only those are computed); ``inline``: the values as
        sent to the page, for an event registered with ``postprocess=False`` (`INLINE`: the canvas as a data URL
        in the event's own reply, no second request for an image file)."""
        render = {**RENDER, **INLINE} if inline else RENDER
        return {getattr(self, n): render[n](s) for n in names}

    def event(
        self, names: tuple[str, ...] = FIELDS, inline: bool = False, exclusive: bool = False
    ) -> Callable[[Callable], Callable]:
        """Decorate a UI handler ``fn(s, *values)`` that acts on the caller's session: its outputs are the
        fields ``names`` rendered afterwards, or, when it fails, the session as it was with a warning toast
        and the reason in the status line (``app.errors.guarded``). ``inline``: see `render`. ``exclusive``:
        one such handler at a time per session (its ``ui_lock``), for an event that bypasses Gradio's queue
        (``queue=False``: a direct POST that no concurrency limit serialises; two clicks of one session wait)."""

        def warn(message: str, state: Any, *values: Any) -> dict[Any, Any]:
            s = session(state)
            s.status = f"⚠ {message}"
            return self.render(s, names, inline)

        def deco(fn: Callable) -> Callable:
            @guarded(warn=warn)
            @functools.wraps(fn)  # keeps the signature: Gradio injects gr.SelectData by annotation
            def handler(state: Any, *values: Any) -> dict[Any, Any]:
                s = session(state)
                if not exclusive:
                    fn(s, *values)
                    return self.render(s, names, inline)
                with s.ui_lock:
                    fn(s, *values)
                    return self.render(s, names, inline)

            return handler

        return deco


def choices(s: EditorSession) -> list[tuple[str, int]]:
    return [(f"#{seg.id} {seg.label}" + ("" if seg.mask.any() else " (empty)"), seg.id) for seg in s.segments]


def picked_part(s: EditorSession) -> int | None:
    """The labelled part the selection is, or None: the active segment was made from the part (its chip, a click
    in Pick part mode or words naming it: `EditorSession.use_part`) and its mask is still the part's, so clicks
    that refined it (or a grow / shrink) leave no chip shown selected, and undoing them shows it again."""
    seg = s.segment()
    if seg is None or seg.base is None:
        return None
    for part in s.parts:  # the label first: a mask comparison only for the part it was made from
        if part.label == seg.label and np.array_equal(seg.base, part.mask) and np.array_equal(seg.mask, part.mask):
            return part.id
    return None


def _parts(s: EditorSession) -> Any:
    """The chips in plain words ("sky", "hat (rough)"); the note under the title names the models (app/words.py)."""
    note = ""
    if s.photo is not None:
        note = parts_note((p.source for p in s.parts), len(s.parts), (p.label for p in s.parts))
        note += f". {s.parse_note}" if s.parse_note else ""
    return gr.update(choices=[(chip(p.label, p.source), p.id) for p in s.parts], value=picked_part(s), info=note)


def _layers(s: EditorSession) -> Any:
    layers = s.layers.layers
    return gr.update(
        choices=[(layer_title(layer.id, layer.editor, layer.segment, layer.params), layer.id) for layer in layers],
        value=[layer.id for layer in layers if layer.visible],
    )


def _download(s: EditorSession) -> Any:
    seg = s.segment()
    has_mask = seg is not None and bool(seg.mask.any())
    return gr.update(value=str(s.mask_file()) if has_mask else None, interactive=has_mask)


def _compare(s: EditorSession) -> Any:
    return (s.preview, s.result_preview()) if s.preview is not None and s.layers.layers else None


_PREVIEW_DIR: list[Path] = []


def preview_file(s: EditorSession) -> str | None:
    """The canvas (the result so far with the selection drawn over it) as a JPEG file, or None before a photo.

    Written here rather than by Gradio: Gradio encodes an array output as PNG or WebP at default settings, which
    took most of a click's time (~130 ms for a 0.2 MP preview on the loaded test machine, against ~2 ms for a
    JPEG); Gradio copies the file into its cache on return, so files here older than a minute are removed."""
    overlay = s.overlay()
    if overlay is None:
        return None
    if not _PREVIEW_DIR:
        _PREVIEW_DIR.append(Path(tempfile.mkdtemp(prefix="facet-preview-")))
    folder = _PREVIEW_DIR[0]
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > 60:
                old.unlink(missing_ok=True)
        except OSError:
            pass
    fd, path = tempfile.mkstemp(dir=folder, suffix=".jpg")
    with open(fd, "wb") as out:
        Image.fromarray(overlay).save(out, "JPEG", quality=PREVIEW_QUALITY, subsampling=0)
    return path


def preview_inline(s: EditorSession) -> dict[str, Any] | None:
    """The canvas (as `preview_file`) as the page's image value with the JPEG inline (a data URL), for an event with
    ``postprocess=False`` (the click on the photo): the browser paints it from the event's reply without asking for
    a file, and the server neither writes nor hashes and copies one (Gradio's cache) per click."""
    overlay = s.overlay()
    if overlay is None:
        return None
    out = io.BytesIO()
    Image.fromarray(overlay).save(out, "JPEG", quality=PREVIEW_QUALITY, subsampling=0)
    url = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    return ImageData(url=url, orig_name="photo.jpg").model_dump()


RENDER: dict[str, Callable[[EditorSession], Any]] = {
    "state": lambda s: s,
    "canvas": preview_file,
    "status": lambda s: plain_status(s.status),
    "segments": lambda s: gr.update(choices=choices(s), value=s.active),
    "name": lambda s: gr.update(value=seg.label if (seg := s.segment()) else ""),
    "download": _download,
    "parts": _parts,
    "layers": _layers,
    "compare": _compare,
    "other": lambda s: gr.update(choices=[(label, i) for label, i in choices(s) if i != s.active], value=None),
}
# the same fields as sent to the page, for an event with postprocess=False (`PageView.render` with ``inline``)
INLINE: dict[str, Callable[[EditorSession], Any]] = {
    "canvas": preview_inline,
    "status": lambda s: plain_status(s.status).strip(),
}
