"""Step 3, the "pick the look" panel: editor choice and controls, turned into (editor name, params); Apply.

Only Gradio and UI values here; the editors themselves live in editors/.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.errors import guarded
from app.uploads import read_upload
from app.view import PageView, session, show_result
from app.words import applied_look
from core.errors import BadInput
from editors.assets import names as style_names
from editors.style import NAMES as STYLE_NAMES
from studio.presets import SKY_PRESETS
from studio.services import Services
from studio.session import EditorSession

LOOKS = {
    "Texture": "texture",
    "Recolour": "recolour",
    "Neural style": "style",
    "Cartoon": "cartoon",
    "Sky preset": "sky",
}
OWN_TEXTURE = "your own image…"


@dataclass
class EditControls:
    look: gr.Radio
    texture: gr.Dropdown
    texture_file: gr.File
    texture_scale: gr.Slider
    colour: gr.ColorPicker
    recolour_mode: gr.Radio
    hue: gr.Slider
    saturation: gr.Slider
    lightness: gr.Slider
    style: gr.Dropdown
    style_file: gr.File
    style_strength: gr.Slider
    palette: gr.Slider
    cartoon_colours: gr.Slider
    cartoon_outline: gr.Slider
    sky: gr.Dropdown
    feather: gr.Slider
    seed: gr.Number
    groups: dict[str, gr.Group]
    sky_relight: gr.Checkbox
    apply: gr.Button
    variants: gr.Button
    cartoon_background: gr.Button

    def inputs(self) -> list[gr.components.Component]:
        return [
            self.look,
            self.texture,
            self.texture_file,
            self.texture_scale,
            self.colour,
            self.recolour_mode,
            self.hue,
            self.saturation,
            self.lightness,
            self.style,
            self.style_file,
            self.style_strength,
            self.palette,
            self.cartoon_colours,
            self.cartoon_outline,
            self.sky,
            self.feather,
            self.seed,
            self.sky_relight,
        ]


def render() -> EditControls:
    """Step 3 in the current column (the tools' first tab): the look, its few controls, then Apply (kept high: it
    must stay in view beside the photo on a 1366x768 screen), then the rarer options folded. Only the controls the
    chosen look and its mode use are shown (recolour: the colour picker, or the three shift sliders)."""
    with gr.Column(elem_id="facet-look-panel"):
        look = gr.Radio(list(LOOKS), value="Texture", label="Look", elem_id="facet-look")
        groups: dict[str, gr.Group] = {}
        with gr.Group(visible=True) as groups["texture"]:
            texture = gr.Dropdown(
                style_names("texture") + [OWN_TEXTURE], value="denim", label="Texture", elem_id="facet-texture"
            )
            texture_scale = gr.Slider(0.2, 4.0, value=1.0, step=0.1, label="Pattern size")
            texture_file = gr.File(
                label="Your texture (image)",
                file_types=["image"],
                visible=False,
                elem_id="facet-texture-file",
                height=124,  # the empty box's "Drop File Here - or - Click to Upload" whole
            )
        with gr.Group(visible=False) as groups["recolour"]:
            with gr.Row():
                recolour_mode = gr.Radio(
                    ["Target colour", "Shift hue / saturation / lightness"],
                    value="Target colour",
                    label="Recolour by",
                    scale=3,
                    elem_id="facet-recolour-mode",
                )
                colour = gr.ColorPicker("#1e6fd9", label="Target colour", elem_id="facet-colour", scale=1, min_width=80)
            hue = gr.Slider(-180, 180, value=0, step=1, label="Hue shift (°)", visible=False, elem_id="facet-hue")
            saturation = gr.Slider(0, 3, value=1, step=0.05, label="Saturation ×", visible=False)
            lightness = gr.Slider(-60, 60, value=0, step=1, label="Lightness shift", visible=False)
        with gr.Group(visible=False) as groups["style"]:
            # by name (round 23: a slider of numbers 0-25 and "neural style 0" in the status line); the value is
            # the style's number, as the API's apply_edit takes it
            style = gr.Dropdown(
                [(name, i) for i, name in enumerate(STYLE_NAMES)],
                value=0,
                label="Built-in style",
                elem_id="facet-style",
            )
            style_strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength")
            style_file = gr.File(label="Or a style image", file_types=["image"], height=124, elem_id="facet-style-file")
            palette = gr.Slider(
                0,
                16,
                value=0,
                step=1,
                # one line (round 24's drive: "Reduce the style image to N colours first (0 = off)" took two, and
                # with a style image Apply ran past the bottom of a 1366x768 window)
                label="Style image's colours (0 = all)",
                visible=False,  # it acts on an uploaded style image only: shown with one
                elem_id="facet-palette",
            )
        with gr.Group(visible=False) as groups["cartoon"]:
            cartoon_colours = gr.Slider(2, 24, value=8, step=1, label="Colours")
            cartoon_outline = gr.Slider(0, 1, value=1, step=0.05, label="Outline darkness")
        with gr.Group(visible=False) as groups["sky"]:
            sky = gr.Dropdown(list(SKY_PRESETS), value="sunset", label="Sky preset (select the sky first)")
            sky_relight = gr.Checkbox(
                True, label="Relight the foreground to match the new sky", elem_id="facet-sky-relight"
            )
        with gr.Row():
            apply = gr.Button("Apply", variant="primary", size="md", elem_id="facet-apply", min_width=80)
            variants = gr.Button("Show variants", size="md", elem_id="facet-variants-btn", min_width=80)
        with gr.Accordion("More: feather, seed, quick looks", open=False, elem_id="facet-more"):
            with gr.Row():
                feather = gr.Slider(-1, 40, value=-1, step=1, label="Feather px (-1 = auto)")
                seed = gr.Number(0, precision=0, label="Seed", minimum=0, maximum=2**31 - 1)
            cartoon_background = gr.Button(
                "Quick look: cartoon background behind the people", size="sm", elem_id="facet-cartoon-bg"
            )
    return EditControls(
        look,
        texture,
        texture_file,
        texture_scale,
        colour,
        recolour_mode,
        hue,
        saturation,
        lightness,
        style,
        style_file,
        style_strength,
        palette,
        cartoon_colours,
        cartoon_outline,
        sky,
        feather,
        seed,
        groups,
        sky_relight,
        apply,
        variants,
        cartoon_background,
    )


# the variants' gallery into view (it sits under the photo; the photo's column is sticky, so the page scrolls it up)
# (once the page has drawn it: it is hidden until the reply arrives)
SHOW_VARIANTS = """() => setTimeout(() => {
    const g = document.querySelector('#facet-variants');
    if (g && g.getClientRects().length) g.scrollIntoView({block: 'nearest'});
}, 300)"""


def style_image_set(style_file) -> tuple[dict, dict]:
    """The style image was uploaded or removed: (palette slider, built-in style dropdown) updates. With an image,
    the image is what applies (apply_look), so the dropdown is greyed out and says so (round 24's drive: it still
    showed "pastel gold" though the image was applied)."""
    has = style_file is not None
    label = "Built-in style (your image applies)" if has else "Built-in style"
    return gr.update(visible=has), gr.update(interactive=not has, label=label)


def listen(c: EditControls, view: PageView, gallery: gr.Gallery, services: Services) -> None:
    """Show the chosen look's controls; Apply (``/apply_edit``), Show variants, pick a variant, the quick look
    (``/cartoon_background``)."""

    def show(look: str):
        chosen = LOOKS.get(look, "texture")
        return [gr.update(visible=name == chosen) for name in c.groups]

    c.look.change(show, [c.look], list(c.groups.values()), api_visibility="private", queue=False)

    def recolour_by(mode: str):
        shift = mode != "Target colour"
        return [gr.update(visible=not shift)] + [gr.update(visible=shift)] * 3

    c.recolour_mode.change(
        recolour_by,
        [c.recolour_mode],
        [c.colour, c.hue, c.saturation, c.lightness],
        api_visibility="private",
        queue=False,
    )
    c.style_file.change(style_image_set, [c.style_file], [c.palette, c.style], api_visibility="private", queue=False)
    c.texture.change(
        lambda t: gr.update(visible=t == OWN_TEXTURE),
        [c.texture],
        [c.texture_file],
        api_visibility="private",
        queue=False,
    )

    @view.event()
    def on_apply(s: EditorSession, *values: Any) -> None:
        editor, params, seed = to_request(*values, owner=s, settings=services.settings)
        s.apply_edit(editor, params, seed, services)
        s.status = say_what_was_applied(s.status, editor, params)

    @view.event()
    def on_cartoon_background(s: EditorSession) -> None:
        background = next((p for p in s.parts if p.label == "background"), None)
        if background is None or not any(p.label.startswith("person") for p in s.parts):
            raise BadInput("no people were found in this photo, so there is no 'background' to cartoon")
        s.use_part(background.id)
        s.apply_edit("cartoon", {}, 0, services)
        s.status = say_what_was_applied(s.status, "cartoon", {})

    # round 19: the status line says what was rendered and where (it kept the pick's words: the gallery sits under the
    # photo, below a 1366x768 window's edge, so nothing seemed to happen), and the gallery is brought into view
    @guarded(warn=lambda message, *args: (gr.update(visible=False), [], f"⚠ {message}"))
    def on_variants(s: Any) -> tuple[Any, list[tuple[str, dict[str, Any]]], str]:
        s = session(s)
        t0 = time.perf_counter()
        found = s.variants(services)
        s.status = (
            f"{len(found)} variants of '{s.segment().label}' rendered in {time.perf_counter() - t0:.1f} s; "
            "click one under the photo to apply it at full size."
        )
        gallery_items = [(img, caption) for img, caption, _, _ in found]
        found_choices = [(name, params) for _, _, name, params in found]
        return gr.update(value=gallery_items, visible=True), found_choices, s.status

    @view.event()
    def on_variant_pick(s: EditorSession, choices: list, evt: gr.SelectData) -> None:
        index = int(evt.index if not isinstance(evt.index, (list, tuple)) else evt.index[0])
        if not 0 <= index < len(choices):
            raise BadInput("that variant is gone; render the variants again")
        editor, params = choices[index]
        if not editor:
            s.status = "Kept as-is."
            return
        s.apply_edit(editor, dict(params), 0, services)
        # round 20's drive: "Applied Texture (denim, leopard, crocodile, ... or your own image) to 'building'"
        s.status = say_what_was_applied(s.status, editor, dict(params))

    models = {"concurrency_id": "models"}
    everything = view.outputs()
    choices = gr.State([])
    # Apply is disabled while it runs (a double click cannot stack two layers); the session also refuses a
    # second concurrent edit (studio/session.py EditBusy), for clients that bypass the button
    # and the status line says what runs at once, readable: the spinner sits on the photo only (round 18: the line
    # kept "Next: pick the look and Apply", dimmed under "processing | 2.1s", for the seconds a big photo takes)
    applied = c.apply.click(
        applying,
        [view.state, c.look],
        [c.apply, view.status],
        queue=False,
        api_visibility="private",
        show_progress="hidden",
    )
    applied = applied.then(
        on_apply,
        [view.state, *c.inputs()],
        everything,
        api_name="apply_edit",
        show_progress_on=[view.canvas],
        **models,
    )
    show_result(
        applied.then(lambda: gr.update(interactive=True), None, [c.apply], queue=False, api_visibility="private")
    )
    c.variants.click(
        on_variants, [view.state], [gallery, choices, view.status], api_visibility="private", **models
    ).then(None, None, None, js=SHOW_VARIANTS, queue=False, api_visibility="private")
    show_result(gallery.select(on_variant_pick, [view.state, choices], everything, api_visibility="private", **models))
    show_result(
        c.cartoon_background.click(
            on_cartoon_background, [view.state], everything, api_name="cartoon_background", **models
        )
    )


def to_request(
    look,
    texture,
    texture_file,
    texture_scale,
    colour,
    recolour_mode,
    hue,
    saturation,
    lightness,
    style,
    style_file,
    style_strength,
    palette,
    cartoon_colours,
    cartoon_outline,
    sky,
    feather,
    seed,
    sky_relight=True,
    owner: Any = None,
    settings: Any = None,
) -> tuple[str, dict[str, Any], int]:
    """UI values -> (editor name, params, seed). Images only ever come from this session's (``owner``) uploads,
    read into arrays here (``app.uploads``): editors never see a path."""
    editor = LOOKS.get(look)
    if editor is None:
        raise BadInput(f"unknown look {look!r}")
    params: dict[str, Any] = {"feather": float(feather if feather is not None else -1)}
    if editor == "texture":
        if texture == OWN_TEXTURE:
            if texture_file is None:
                raise BadInput("upload your texture image first (or pick a built-in texture)")
            params["texture"] = read_upload(texture_file, owner, "texture", settings)
        elif texture in style_names("texture"):
            params["texture"] = texture
        else:
            raise BadInput(f"unknown texture {texture!r}")
        params["scale"] = float(texture_scale)
    elif editor == "recolour":
        if recolour_mode == "Target colour":
            params["target"] = _hex(colour)
        else:
            params.update(hue_shift=float(hue), saturation=float(saturation), lightness=float(lightness))
    elif editor == "style":
        if style_file is not None:
            params["style_image"] = read_upload(style_file, owner, "style image", settings)
            if palette:
                params["reduce_palette"] = int(palette)
        else:
            if style is None:
                raise BadInput("pick a built-in style (or upload a style image)")
            params["style"] = int(style)
        params["strength"] = float(style_strength)
    elif editor == "cartoon":
        params.update(colours=int(cartoon_colours), outline=float(cartoon_outline))
    elif editor == "sky":
        params["preset"] = sky
        params["relight"] = bool(sky_relight) if sky_relight is not None else True
    try:
        seed_value = int(seed if seed is not None else 0)
    except (TypeError, ValueError):
        raise BadInput("the seed must be a whole number") from None
    if not 0 <= seed_value < 2**31:
        raise BadInput("the seed must be between 0 and 2147483647")
    return editor, params, seed_value


def applying(state: Any, look: str) -> tuple[Any, Any]:
    """Apply's first step, at once: the button disabled, and the status line saying what runs (unchanged when there
    is nothing to apply to: the edit's own message says why)."""
    seg = state.segment() if isinstance(state, EditorSession) else None
    if seg is None or not seg.mask.any():
        return gr.update(interactive=False), gr.update()
    return gr.update(interactive=False), f"Applying {(look or 'the look').lower()} to '{seg.label}' …"


def say_what_was_applied(status: str, editor: str, params: dict[str, Any]) -> str:
    """'Applied <the editor's long name> to 'sky' ...' -> 'Applied the stormy sky to 'sky' ...'."""
    look = applied_look(editor, params)
    if look is None or not status.startswith("Applied ") or " to '" not in status:
        return status
    return f"Applied {look} to '" + status.split(" to '", 1)[1]


def _hex(colour: str | None) -> str:
    """Gradio colour pickers may answer '#rrggbb' or 'rgba(r, g, b, a)'; the recolour editor wants hex."""
    if not colour:
        raise BadInput("pick a target colour")
    colour = colour.strip()
    if colour.startswith("rgb"):
        nums = colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]
        return "#" + "".join(f"{max(0, min(255, round(float(n)))):02x}" for n in nums)
    return colour
