"""Model downloads in the page: the progress bar of the event that triggered an on-demand download.

``core.models.ModelManager`` reports every download (role, repo, file, sizes) to its ``default_reporter``;
``page_progress`` turns that into Gradio progress for whichever event is running in this thread (a click
that needs SAM, a parse that needs a parser, Generate, Remove, a face swap). Outside an event it does
nothing (the console shows huggingface_hub's own bars).
"""

from __future__ import annotations

import gradio as gr

from core.models import DownloadEvent


def page_progress(event: DownloadEvent) -> None:
    """Show ``event`` in the running event's progress bar: what is downloading, its size, how far."""
    done = (event.done, event.total) if event.total else None
    gr.Progress()(done, desc=event.text, unit="bytes")
