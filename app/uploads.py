"""Files from clients reach the app only through Gradio's upload components, and editors only as arrays.

``read_upload`` turns what an upload component gives a handler (a path in Gradio's upload folder) into an RGB
array, after two checks:
- the file lies in Gradio's upload folder (Gradio checks this too for file inputs; checked again here so no
  other path can reach a reader through a handler);
- the file was uploaded for this session: the first session that uses an uploaded file owns it (keyed by
  the file's path, inode and modification time, so a fresh upload of the same bytes is a new file); another
  session that sends the same path (a path seen in a shared link or log) is refused. Stateless endpoints
  (``/parse``, ``/segment``) may not use a file a live session owns.

Gradio names an upload by its content's hash plus the client's file name, and it serves that file to anyone
who knows the path; the ownership check keeps such a path from becoming another session's photo, texture or
face.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadInput

MAX_CLAIMS = 20000
_claims: OrderedDict[tuple[str, int, int], Any] = OrderedDict()  # file key -> weakref to the owning session
_lock = threading.Lock()


def upload_path(file: Any) -> str | None:
    """The server path an upload component handed to a handler (a str or an object with ``.name``/``.path``)."""
    if file is None:
        return None
    if isinstance(file, (str, os.PathLike)):
        return str(file)
    for attr in ("path", "name"):
        value = getattr(file, attr, None)
        if isinstance(value, str):
            return value
    if isinstance(file, dict) and isinstance(file.get("path"), str):
        return file["path"]
    raise BadInput("the upload could not be read; upload the file again")


def _upload_folder() -> Path:
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def _uploaded(raw: str, path: Path) -> bool:
    """True when Gradio's upload route wrote this file (not a URL Gradio fetched, nor a result it cached).
    Outside a running app (direct calls in tests and scripts) only the folder check applies."""
    from gradio.context import LocalContext

    blocks = LocalContext.blocks.get(None)
    uploaded = getattr(blocks, "upload_file_set", None)
    if uploaded is None:
        return True
    return raw in uploaded or str(path) in uploaded


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_ino, st.st_mtime_ns


def claim(file: Any, owner: Any, what: str = "file") -> Path:
    """Check an upload's path and record ``owner`` (a session object, or None for a stateless call) as its
    user; ``BadInput`` when it is not an upload or belongs to another live session."""
    raw = upload_path(file)
    if raw is None:
        raise BadInput(f"upload the {what} first")
    try:
        path = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError):
        raise BadInput(f"the {what} upload is gone (uploads are kept for a while only); upload it again") from None
    folder = _upload_folder()
    if folder not in path.parents or not path.is_file() or not _uploaded(raw, path):
        raise BadInput(
            f"the {what} must be uploaded with the upload button (or gradio_client's handle_file); "
            "paths on the server and URLs are not read"
        )
    key = _key(path)
    with _lock:
        ref = _claims.get(key)
        holder = ref() if ref is not None else None
        if holder is not None and holder is not owner:
            raise BadInput(f"this {what} was uploaded in another session; upload it again from this page")
        if owner is not None and holder is None:
            _claims[key] = weakref.ref(owner)
            _claims.move_to_end(key)
            while len(_claims) > MAX_CLAIMS:
                _claims.popitem(last=False)
    return path


def read_upload(file: Any, owner: Any, what: str, settings: Any = None) -> np.ndarray:
    """An uploaded image -> RGB uint8 array (``claim`` checks first; decoding has the photo's checks)."""
    from core.photo import load_photo
    from editors.base import MIN_IMAGE_SIDE

    path = claim(file, owner, what)
    pixels = load_photo(str(path), settings, name=path.name).pixels
    if min(pixels.shape[:2]) < MIN_IMAGE_SIDE:
        raise BadInput(
            f"the {what} image is too small ({pixels.shape[1]}x{pixels.shape[0]}); use at least "
            f"{MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}"
        )
    return pixels


def guard_file_inputs(demo: Any) -> int:
    """Wrap every event handler of ``demo`` that takes a file component: before the handler runs, each file
    it is given must be an upload (``claim``) that no other live session owns; the owner is the handler's
    session (its ``gr.State`` input), or nobody for stateless endpoints. Returns how many handlers were wrapped.
    Handlers that need the file take it again with ``claim``/``read_upload``, which records the ownership."""
    import functools

    import gradio as gr

    wrapped_count = 0
    for block_fn in getattr(demo, "fns", {}).values():
        inputs = list(getattr(block_fn, "inputs", []) or [])
        files = [i for i, c in enumerate(inputs) if isinstance(c, (gr.File, gr.UploadButton))]
        if not files or block_fn.fn is None:
            continue
        for i in files:
            _refuse_urls(inputs[i])
        state = next((i for i, c in enumerate(inputs) if isinstance(c, gr.State)), None)
        fn = block_fn.fn

        def guarded(*args, __fn=fn, __files=tuple(files), __state=state, **kwargs):
            owner = args[__state] if __state is not None and __state < len(args) else None
            owner = owner if owner is not None and not isinstance(owner, (list, dict, str)) else None
            for i in __files:
                if i < len(args) and args[i] is not None:
                    for item in args[i] if isinstance(args[i], list) else [args[i]]:
                        try:
                            claim_check(item, owner)
                        except BadInput as exc:
                            raise gr.Error(str(exc), print_exception=False) from None
            return __fn(*args, **kwargs)

        block_fn.fn = functools.wraps(fn)(guarded)
        wrapped_count += 1
    return wrapped_count


def claim_check(file: Any, owner: Any) -> None:
    """``claim`` without recording: the file is an upload that no other live session owns."""
    raw = upload_path(file)
    if raw is None:
        return
    try:
        path = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError):
        return  # nothing there to read: the handler says what is missing (after its own checks, e.g. limits)
    if _upload_folder() not in path.parents or not path.is_file() or not _uploaded(raw, path):
        raise BadInput(
            "files must be uploaded with the upload button (or gradio_client's handle_file); "
            "paths on the server and URLs are not read"
        )
    with _lock:
        ref = _claims.get(_key(path))
        holder = ref() if ref is not None else None
    if holder is not None and holder is not owner:
        raise BadInput("this file was uploaded in another session; upload it again from this page")


URL_REFUSED = "URLs are not fetched: upload the file itself (the upload button, or gradio_client's handle_file)"


def _refuse_urls(component: Any) -> None:
    """Gradio downloads a file input given as an http(s) URL on the server before any handler runs; refuse that
    on this component with a clear message (no request leaves the server)."""
    import gradio as gr
    from gradio_client.utils import is_http_url_like

    if getattr(component, "_facet_no_urls", False):
        return
    real_sync, real_async = component.move_resource_to_block_cache, component.async_move_resource_to_block_cache

    def move(url_or_file_path):
        if isinstance(url_or_file_path, str) and is_http_url_like(url_or_file_path):
            raise gr.Error(URL_REFUSED, print_exception=False)
        return real_sync(url_or_file_path)

    async def move_async(url_or_file_path):
        if isinstance(url_or_file_path, str) and is_http_url_like(url_or_file_path):
            raise gr.Error(URL_REFUSED, print_exception=False)
        return await real_async(url_or_file_path)

    component.move_resource_to_block_cache = move
    component.async_move_resource_to_block_cache = move_async
    component._facet_no_urls = True


def display_name(path: Any) -> str:
    """The user's file name without Gradio's temp folders (never show server paths)."""
    if not path:
        return "photo"
    base = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return base[:120] or "photo"
