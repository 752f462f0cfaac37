"""Generate from a prompt (Stable Diffusion inpainting, variants with seeds), Cancel, and Remove (fill with the
background). API names ``generate``, ``cancel``, ``remove``; the variants go to the photo column's gallery and
``/apply_generated`` (app/api_panel.py) or a click on one applies it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.errors import guarded
from app.view import PageView, session, show_result
from app.words import SAVE
from core.masks import downscale
from editors.inpaint import available as inpaint_available
from editors.remove import RemoveEditor
from studio.presets import PROMPT_PRESETS
from studio.services import Services
from studio.session import EditorSession


@dataclass
class GeneratePanel:
    preset: gr.Dropdown
    prompt: gr.Textbox
    negative: gr.Textbox
    variants: gr.Slider
    fast: gr.Checkbox
    steps: gr.Slider
    guidance: gr.Slider
    strength: gr.Slider
    generate: gr.Button
    cancel: gr.Button
    remove: gr.Button

    def inputs(self) -> list[Any]:
        return [self.prompt, self.negative, self.variants, self.fast, self.steps, self.guidance, self.strength]


def render(services: Services) -> GeneratePanel:
    with gr.Column(elem_id="facet-generate-panel"):
        ready = inpaint_available(services.manager)
        gr.Markdown(
            "Stable Diffusion inpainting is ready."
            if ready
            else "**Generation is unavailable here**: the Stable Diffusion inpainting weights are not "
            "downloaded (run `python app.py --prefetch` on a machine with network access). "
            f"*Remove* still works: it fills the part from its surroundings with {RemoveEditor(services.manager).backend}.",
            elem_id="facet-gen-note",
        )
        preset = gr.Dropdown(list(PROMPT_PRESETS), value=None, label="Preset prompts", elem_id="facet-preset")
        prompt = gr.Textbox(
            label="What should the selected part become?",
            max_lines=3,
            placeholder="a denim jacket",
            elem_id="facet-prompt",
        )
        # the actions under the prompt, the rarer settings after them: in view on a 1366x768 screen
        with gr.Row():
            generate = gr.Button(
                "Generate", variant="primary", size="md", elem_id="facet-generate", interactive=ready, min_width=80
            )
            cancel = gr.Button(
                "Cancel", variant="stop", size="md", elem_id="facet-cancel", interactive=ready, min_width=80
            )
        remove = gr.Button("Remove (fill with background)", size="md", elem_id="facet-remove")
        negative = gr.Textbox(
            label="Avoid (negative prompt)",
            max_lines=2,
            value="blurry, deformed, low quality",
            elem_id="facet-negative",
        )
        with gr.Row():
            variants = gr.Slider(1, 4, value=2, step=1, label="Variants")
            fast = gr.Checkbox(True, label="Fast preview (LCM: 2 steps on a CPU, 4 on a GPU)")
        with gr.Row():
            steps = gr.Slider(0, 50, value=0, step=1, label="Steps (0 = auto)")
            guidance = gr.Slider(-1, 15, value=-1, step=0.5, label="Guidance (-1 = auto)")
            strength = gr.Slider(0.1, 1, value=1, step=0.05, label="Strength")
    return GeneratePanel(preset, prompt, negative, variants, fast, steps, guidance, strength, generate, cancel, remove)


def remove_words(label: str, backend: str, seed: int, number: int) -> str:
    """The status after Remove: what was removed, how it was filled (the method named) and the edit's number."""
    return f"Removed '{label}': filled from its surroundings by {backend}, seed {seed} (edit #{number}). {SAVE}."


def listen(p: GeneratePanel, view: PageView, gallery: gr.Gallery, seed: gr.Number, services: Services) -> None:
    def warn(message: str, state: Any, *values: Any) -> tuple[Any, str]:
        s = session(state)
        s.status = f"⚠ {message}"
        return gr.update(), s.status

    @guarded(warn=warn)
    def on_generate(state, prompt, negative, n, fast, steps, guidance, strength, seed_value, progress=gr.Progress()):
        s = session(state)
        cancel = threading.Event()
        s.cancel_event = cancel

        def step(i: int, total: int) -> None:
            progress((i, total), desc=f"denoising step {i} of {total}")

        params = {
            "prompt": prompt or "",
            "negative_prompt": negative or "",
            "variants": int(n),
            "fast": bool(fast),
            "steps": int(steps),
            "guidance": float(guidance),
            "strength": float(strength),
        }
        try:
            found = s.generate("inpaint", params, int(seed_value or 0), services, progress=step, cancel=cancel)
        finally:
            s.cancel_event = None
        h, w = s.preview.shape[:2]
        shown = [
            (downscale(v.image, max(h, w))[0], f"#{i + 1} · seed {v.seed} · {v.seconds:.1f}s")
            for i, v in enumerate(found)
        ]
        s.status = f"{len(found)} variant{'s' if len(found) > 1 else ''} by {found[0].backend}; click one to apply it."
        return gr.update(value=shown, visible=True), s.status

    def on_cancel(state: Any) -> str:
        event = getattr(session(state), "cancel_event", None)
        if event is None:
            return "Nothing is running."
        event.set()
        return "Cancelling after the current step…"

    @view.event()
    def on_generated_pick(s: EditorSession, evt: gr.SelectData) -> None:
        s.apply_variant(int(evt.index if not isinstance(evt.index, (list, tuple)) else evt.index[0]))

    @view.event()
    def on_remove(s: EditorSession, seed_value: Any) -> None:
        variants = s.generate("remove", {}, int(seed_value or 0), services)
        layer = s.apply_variant(0)
        # round 20's drive: "Applied variant 1 (seed 0, PatchMatch fill (offline)) to 'horse 4' (layer #1)." after a
        # click on Remove, which shows no variants; said as Apply says an edit, with the method and seed kept
        s.status = remove_words(layer.segment, variants[0].backend, variants[0].seed, layer.id)

    models = {"concurrency_id": "models"}
    state, everything = view.state, view.outputs()
    p.preset.input(
        lambda name: PROMPT_PRESETS.get(name, ""), [p.preset], [p.prompt], api_visibility="private", queue=False
    )
    p.generate.click(on_generate, [state, *p.inputs(), seed], [gallery, view.status], api_name="generate", **models)
    p.cancel.click(on_cancel, [state], [view.status], api_name="cancel", queue=False)
    show_result(gallery.select(on_generated_pick, [state], everything, api_visibility="private"))
    show_result(p.remove.click(on_remove, [state, seed], everything, api_name="remove", **models))
