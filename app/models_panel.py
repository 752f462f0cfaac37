"""The Models panel: one folded line at the top of the page (the banner) that opens to the details.

Its line says how many model roles run on a classical or packaged stand-in; opened, it names each of them
and why, how to get the full models, every role's state (``services.models_status()``, also the API's
``/models``) and the licences (non-commercial ones named). Models fetched on first use can fail later (a
missing repo, a bad file): a timer keeps the line current.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from studio.services import PREFETCH_HINT, Services


@dataclass
class ModelsPanel:
    accordion: gr.Accordion
    details: gr.Markdown
    roles: gr.JSON


ROUGHER = "results are rougher (open for which)"


def headline(services: Services) -> str:
    """The banner's line, in plain words (round 17: "11 model roles use classical or packaged stand-ins" told a
    stranger nothing; now what it means for the result): the details name each role and its stand-in."""
    degraded = services.degraded_roles()
    if not degraded:
        return "Models: every role has its full model (open for the list and the licences)"
    n = len(degraded)
    if not services.manager.online:
        return f"⚠ Offline mode: small built-in models stand in for {n} full ones, so {ROUGHER}"
    return f"⚠ {n} full models could not be fetched: small built-in ones stand in, so {ROUGHER}"


def packaged_noncommercial() -> list[str]:
    """The packaged model files on this machine whose licence does not allow commercial use, or was not verified
    (``commercial = false`` in core/packaged.toml: the npm detector, pose net, matte, recognisers, age net), one
    name per model (``nanodet``, not its graph and weights apart), in the file's order."""
    from core import assets

    names: list[str] = []
    for name, spec in assets.load_packaged().items():
        stem = Path(spec.member).stem
        if not spec.commercial and stem not in names and assets.packaged_available(name):
            names.append(stem)
    return names


def details(services: Services) -> str:
    degraded = services.degraded_roles()
    lines = [f"- **{role}**: {why}" for role, why in degraded.items()]
    text = ("\n".join(lines) + f"\n\nTo get the full models, {PREFETCH_HINT}.\n\n") if lines else ""
    noncommercial = [f"`{r}` ({spec.repo})" for r, spec in services.manager.roles.items() if not spec.commercial]
    packaged = packaged_noncommercial()
    return (
        text
        + (
            "Every model's licence is recorded in `core/manifest.toml` and `core/packaged.toml`, textures' in "
            "`assets/styles/manifest.json`."
        )
        + (
            " **Non-commercial licence** (results made with these full models may not be used "
            "commercially): " + ", ".join(noncommercial) + "."
            if noncommercial
            else ""
        )
        + (
            " **Offline models in use without a verified commercial licence** (treat results as "
            "non-commercial): " + ", ".join(f"`{n}`" for n in packaged) + "."
            if packaged
            else ""
        )
    )


def render(services: Services) -> ModelsPanel:
    with gr.Accordion(headline(services), open=False, elem_id="facet-banner") as accordion:
        body = gr.Markdown(details(services), elem_id="facet-models-details")
        roles = gr.JSON(label="Model roles", elem_id="facet-models")
    return ModelsPanel(accordion, body, roles)


def listen(panel: ModelsPanel, services: Services) -> None:
    def refresh() -> tuple[Any, str, list[dict[str, Any]]]:
        return gr.update(label=headline(services)), details(services), services.models_status()

    def line() -> Any:
        return gr.update(label=headline(services))

    # the roles' state when the panel is opened; the line itself every few seconds (no API endpoints: /models is)
    panel.accordion.expand(
        refresh,
        None,
        [panel.accordion, panel.details, panel.roles],
        queue=False,
        api_visibility="private",
        show_progress="hidden",
    )
    gr.Timer(5).tick(line, None, panel.accordion, queue=False, api_visibility="private", show_progress="hidden")
