"""The one error wrapper every event handler goes through: errors -> what a user (or an API client) is told.

Our own errors (``core.errors.FacetError``: bad input, a model that is unavailable, a limit reached) are
shown as they are; anything else is logged with its traceback and summarised by its class name, never a
traceback, a server path or a library message. The server keeps serving either way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from app.face_numbers import user_words
from core.errors import FacetError

log = logging.getLogger(__name__)


def user_message(exc: BaseException, where: str) -> str:
    """What the user is told about ``exc`` raised in handler ``where`` (face numbers counted from 1, as the user
    counts them: app/face_numbers.py)."""
    if isinstance(exc, FacetError):
        return user_words(str(exc))
    log.error("handler %s failed", where, exc_info=exc)
    return f"Something went wrong ({exc.__class__.__name__})."


def guarded(fn: Callable | None = None, *, warn: Callable[..., Any] | None = None):
    """Wrap an event handler (``@guarded`` or ``@guarded(warn=...)``).

    Without ``warn`` an error reaches the caller as ``gr.Error`` with the user message (API clients get it as
    an exception; the page as an error toast). With ``warn(message, *args)`` the page gets a warning toast
    and whatever ``warn`` returns for the handler's outputs (e.g. the session as it was, its status line
    saying what went wrong), so no component shows an error badge. ``functools.wraps`` keeps the signature:
    Gradio injects ``gr.SelectData``, ``gr.Progress`` and ``gr.Request`` by annotation and default."""

    def deco(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                message = user_message(exc, f.__name__)
                if warn is None:
                    raise gr.Error(message, print_exception=False) from None
                if not isinstance(exc, FacetError):
                    message = message[:-1] + "; your photo and segments are kept."
                gr.Warning(message)
                return warn(message, *args)

        return wrapped

    return deco(fn) if fn is not None else deco
