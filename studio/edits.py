"""One edit, the same from the browser (studio/session.py) and the command line (app/cli.py): the editor by
name, its run on the photo (memory budget, soft edge, timing), and the layer that records it.

    editor = build_editor("texture", services.manager)           # BadInput naming the choices if unknown
    done = run_editor(editor, before, mask, params, seed, settings, alpha)   # a frozen EditResult
    layer = edit_layer(layer_id, "upper clothes", "texture", params, seed, before, done)

Images are RGB uint8 HxWx3, masks bool HxW of the image's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.budget import guarded
from core.errors import BadInput
from editors.base import Editor, EditResult
from studio.layers import Layer, layer_from_result


def build_editor(name: str, manager: Any) -> Editor:
    """The registered editor ``name`` (editors/registry.py), built on ``manager``; BadInput when there is none."""
    from editors import EDITORS

    if name not in EDITORS:
        raise BadInput(f"unknown editor {name!r}; choose one of {', '.join(EDITORS.names())}")
    return EDITORS.build(name, manager)


def run_editor(
    editor: Editor,
    image: np.ndarray,
    mask: np.ndarray,
    params: dict[str, Any],
    seed: int | None,
    settings: Any,
    alpha: np.ndarray | None = None,
) -> EditResult:
    """Apply ``editor`` to ``image`` inside ``mask``: refused before any work when the edit would not fit the
    memory budget (core/budget.py, FACET_MEMORY_BUDGET_MB); crop editors blend with the mask's soft edge
    (``alpha``, else computed here). Returns the editor's frozen EditResult (editors/base.py): the full-size
    image, the seconds it took, the models it ran and whether its pixels are generative."""
    if mask.shape != image.shape[:2]:
        raise BadInput(f"the mask is {mask.shape[1]}x{mask.shape[0]}, the photo {image.shape[1]}x{image.shape[0]}")
    if not mask.any():
        raise BadInput("the mask is empty: nothing to edit")
    with guarded(editor, image.shape, mask, settings):
        return editor.edit(image, mask, params, seed, **soft_edge_kwargs(editor, image, mask, params, alpha))


def edit_layer(
    layer_id: int,
    segment: str,
    editor_name: str,
    params: dict[str, Any],
    seed: int | None,
    before: np.ndarray,
    done: EditResult,
) -> Layer:
    """The layer recording one applied edit: the pixels it changed, with the models the editor ran and whether
    its result is generative (what the export's provenance says, studio/provenance.py)."""
    return layer_from_result(
        layer_id,
        segment,
        editor_name,
        params,
        seed,
        before,
        done.image,
        done.seconds,
        done.model_ids,
        generative=done.generative,
    )


def soft_edge_kwargs(
    editor: Any, image: np.ndarray, mask: np.ndarray, params: dict[str, Any], alpha: np.ndarray | None
) -> dict[str, Any]:
    """Crop editors composite with the mask's soft edge (core/edges.py): the segment's own when it has one,
    else one computed here from the photo within the feather width, so hair, fur and leaves blend and a
    hard edge stays hard. Other editors (inpaint, remove, faces) keep their own compositing."""
    from editors.base import CropEditor, auto_feather

    if not isinstance(editor, CropEditor) or mask.shape != image.shape[:2] or not mask.any():
        return {}
    if alpha is None:
        from core.edges import soft_edge

        feather = params.get("feather", -1.0) if isinstance(params.get("feather", -1.0), (int, float)) else -1.0
        alpha = soft_edge(np.asarray(image), mask, max(2.0, auto_feather(image.shape, float(feather))))
    return {"alpha": alpha}
