"""One edit, the same from the browser (studio/session.py) and the command line (app/cli.py): the editor by
name, its run on the photo (memory budget, soft edge, timing), and the layer that records it.

    editor = build_editor("texture", services.manager)           # BadInput naming the choices if unknown
    after, seconds = run_editor(editor, before, mask, params, seed, settings, alpha)
    layer = edit_layer(layer_id, "upper clothes", "texture", editor, params, seed, before, after, seconds)

Images are RGB uint8 HxWx3, masks bool HxW of the image's size.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.budget import guarded
from core.errors import BadInput
from studio.layers import Layer, layer_from_result


def build_editor(name: str, manager: Any) -> Any:
    """The registered editor ``name`` (editors/registry.py), built on ``manager``; BadInput when there is none."""
    from editors import EDITORS

    if name not in EDITORS:
        raise BadInput(f"unknown editor {name!r}; choose one of {', '.join(EDITORS.names())}")
    return EDITORS.build(name, manager)


def run_editor(editor: Any, image: np.ndarray, mask: np.ndarray, params: dict[str, Any], seed: int | None,
               settings: Any, alpha: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Apply ``editor`` to ``image`` inside ``mask``: refused before any work when the edit would not fit the
    memory budget (core/budget.py, FACET_MEMORY_BUDGET_MB); crop editors blend with the mask's soft edge
    (``alpha``, else computed here). Returns the full-size result and the seconds the editor took."""
    if mask.shape != image.shape[:2]:
        raise BadInput(f"the mask is {mask.shape[1]}x{mask.shape[0]}, the photo {image.shape[1]}x{image.shape[0]}")
    if not mask.any():
        raise BadInput("the mask is empty: nothing to edit")
    t0 = time.perf_counter()
    with guarded(editor, image.shape, mask, settings):
        after = editor.apply(image, mask, params, seed, **soft_edge_kwargs(editor, image, mask, params, alpha))
    return after, time.perf_counter() - t0


def edit_layer(layer_id: int, segment: str, editor_name: str, editor: Any, params: dict[str, Any],
               seed: int | None, before: np.ndarray, after: np.ndarray, seconds: float) -> Layer:
    """The layer recording one applied edit: the pixels it changed, with the editor's model ids and its own
    generative flag (what the export's provenance says, studio/provenance.py)."""
    return layer_from_result(layer_id, segment, editor_name, params, seed, before, after, seconds,
                             tuple(getattr(editor, "model_ids", ()) or ()), generative=editor.generative)


def soft_edge_kwargs(editor: Any, image: np.ndarray, mask: np.ndarray, params: dict[str, Any],
                     alpha: np.ndarray | None) -> dict[str, Any]:
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
