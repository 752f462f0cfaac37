"""Face numbers as the user reads and types them: from 1, left to right, like the people on the part chips.

Round 20, a stranger's drive: the *Numbered faces* tab, the status after *Find* and the 'Which faces' box counted
faces from #0 while the chips said "person 1"; the CLI's ``--param faces=`` and the API's ``faces`` took 0-based
numbers too. Every place a user reads or types a face number now counts from 1. Inside (``faces.detect``, the
editors' ``faces`` and ``mapping`` parameters, ``Face.index``) faces stay 0-based; this module is the one
translation between the two, used by the Faces panel, ``/edit`` and ``app.cli``.

An old caller's "0,2" gets a clear message (there is no face 0: the faces are numbered from 1), not a silent edit of
the wrong faces; "2" alone cannot be told apart and means the 2nd face from the left now.
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import BadInput

FACE_EDITORS = ("faceswap", "anonymize")  # the editors whose ``faces`` / ``mapping`` name faces by number
EVERY = ("", "all", "*")  # as faces.detect.parse_indices reads "every face"
EXAMPLE = "1,3"
NUMBERED_FROM_1 = (
    "faces are numbered from 1, left to right, as on the Numbered faces tab (what was face 0 is face 1 now)"
)


def user_numbers(text: str | None) -> list[int] | None:
    """'1,3' / '1 3' / '1;3' -> [1, 3] (the user's numbers, each once, in the order typed); None for every face.
    ``BadInput`` for a word, a 0 or a negative number."""
    if text is None or str(text).strip().lower() in EVERY:
        return None
    out: list[int] = []
    for tok in str(text).replace(";", ",").replace(" ", ",").split(","):
        if not tok:
            continue
        try:
            n = int(tok)
        except ValueError:
            raise BadInput(f"faces: {tok[:40]!r} is not a face number; use 'all' or numbers like {EXAMPLE}") from None
        if n < 1:
            raise BadInput(f"faces: there is no face {n}; {NUMBERED_FROM_1}")
        if n not in out:
            out.append(n)
    if not out:
        raise BadInput(f"faces: {str(text)[:40]!r} names no face; use 'all' or numbers like {EXAMPLE}")
    return out


def editor_faces(text: str | None) -> str:
    """The user's 'Which faces' ('all', '1,3') -> the editors' 0-based spec ('all', '0,2')."""
    numbers = user_numbers(text)
    return "all" if numbers is None else ",".join(str(n - 1) for n in numbers)


def _mapping(spec: Any) -> Any:
    """faceswap's ``mapping`` with 1-based face keys ('1=grace_hopper; 2=me.png' or a dict) -> 0-based keys."""
    if isinstance(spec, dict):
        return {editor_faces(str(k)): v for k, v in spec.items()}
    if not isinstance(spec, str) or not spec.strip():
        return spec
    parts = []
    for part in spec.replace("\n", ";").split(";"):
        face, sep, target = part.strip().partition("=")
        if not part.strip():
            continue
        if not sep:  # the editor says what an entry must look like
            parts.append(part.strip())
            continue
        parts.append(f"{editor_faces(face.strip())}={target.strip()}")
    return "; ".join(parts)


def editor_params(editor: str, params: dict[str, Any]) -> dict[str, Any]:
    """A copy of a face editor's params as the user gave them (1-based ``faces`` and ``mapping`` keys) with the
    editor's 0-based numbers; any other editor's params unchanged."""
    if editor not in FACE_EDITORS:
        return params
    out = dict(params)
    if "faces" in out and out["faces"] is not None:
        out["faces"] = editor_faces(str(out["faces"]))
    if "mapping" in out:
        out["mapping"] = _mapping(out["mapping"])
    return out


def _shown(spec: Any) -> Any:
    """An editor's 0-based 'faces' ('0,2', 'all') as the user numbers them ('1,3'); anything else as it is."""
    if not isinstance(spec, str) or not re.fullmatch(r"[0-9 ,;]*[0-9][0-9 ,;]*", spec):
        return spec
    return ",".join(str(int(t) + 1) for t in re.split(r"[ ,;]+", spec.strip(" ,;")) if t)


def shown_params(editor: str, params: dict[str, Any]) -> dict[str, Any]:
    """A face editor's recorded params (0-based ``faces``, ``mapping`` as '0=grace_hopper; 1=...') as the user
    numbers the faces (the edits list, Undo); any other editor's params unchanged. The inverse of `editor_params`."""
    if editor not in FACE_EDITORS:
        return params
    out = dict(params)
    if "faces" in out:
        out["faces"] = _shown(out["faces"])
    mapping = out.get("mapping")
    if isinstance(mapping, dict):
        out["mapping"] = {_shown(str(k)): v for k, v in mapping.items()}
    elif isinstance(mapping, str) and mapping.strip():
        entries = [e.strip().partition("=") for e in mapping.split(";") if e.strip()]
        out["mapping"] = "; ".join(f"{_shown(k.strip())}{sep}{v}" for k, sep, v in entries)
    return out


_NO_FACE = re.compile(r"there is no face (\d+); the photo has (\d+) face\(s\), numbered 0 to (\d+)")
_CHOSEN = re.compile(r"none of the chosen faces \(([0-9, ;]+)\)")
_MAPPED = re.compile(r"mapping target for face (\d+)")


def user_words(message: str) -> str:
    """An editor's message about face numbers in the user's numbering (faces.detect counts from 0):
    'there is no face 3; the photo has 3 face(s), numbered 0 to 2' -> 'there is no face 4; the photo has 3
    face(s), numbered 1 to 3'. Every other message unchanged."""

    def no_face(m: re.Match[str]) -> str:
        count = int(m.group(2))
        return f"there is no face {int(m.group(1)) + 1}; the photo has {count} face(s), numbered 1 to {count}"

    def chosen(m: re.Match[str]) -> str:
        numbers = [int(t) + 1 for t in re.split(r"[ ,;]+", m.group(1)) if t]
        return f"none of the chosen faces ({','.join(map(str, numbers))})"

    # the swap target as the Faces tool names it (faces.gallery says "the target image 'uploaded image'")
    message = message.replace("the target image 'uploaded image'", "the uploaded target face image")
    message = _NO_FACE.sub(no_face, message)
    message = _CHOSEN.sub(chosen, message)
    return _MAPPED.sub(lambda m: f"mapping target for face {int(m.group(1)) + 1}", message)


def user_report(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An editor's per-face report rows with ``face`` counted from 1 (as the CLI prints them)."""
    return [{**row, "face": int(row["face"]) + 1} if "face" in row else dict(row) for row in report]
