"""Ready-made choices the browser and the API offer: prompt presets, sky presets, anonymisation levels and
the looks "Variants" renders. Data only; the editors named here are in the registry (editors/registry.py)."""

from __future__ import annotations

from typing import Any

from editors.sky import PRESETS as _SKY

PROMPT_PRESETS = {
    "hair: bald": "bald head, smooth bare scalp, natural skin, photo",
    "hair: short blond": "short blond hair, natural hair texture, photo",
    "hair: long red": "long wavy red hair, photo",
    "sky: winter with snow clouds": "winter sky with heavy snow clouds, soft light",
    "sky: dramatic sunset": "dramatic sunset sky, orange and purple clouds",
    "clothes: denim jacket": "a denim jacket, realistic fabric, photo",
    "clothes: leopard print": "leopard print fabric garment, photo",
    "clothes: black leather": "black leather jacket, photo",
    "wall: red brick": "a red brick wall, photo",
}
# Anonymisation levels: after the faces, these labelled parts are restyled too (part, editor, params).
ANON_LEVELS: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "Faces only": (),
    "Faces + cartoon background": (("background", "cartoon", {}),),
    "Faces + cartoon background + restyled clothes": (
        ("background", "cartoon", {}),
        ("upper clothes", "texture", {"texture": "camouflage"}),
        ("lower clothes", "texture", {"texture": "denim"}),
    ),
}

# What "Variants" renders for the selected segment: (caption, editor, params).
VARIANTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("as-is", "", {}),
    ("denim", "texture", {"texture": "denim"}),
    ("leopard", "texture", {"texture": "leopard"}),
    ("crocodile", "texture", {"texture": "crocodile"}),
    ("leather", "texture", {"texture": "leather"}),
    ("knit", "texture", {"texture": "knit"}),
    ("plaid", "texture", {"texture": "plaid"}),
    ("camouflage", "texture", {"texture": "camouflage"}),
    ("red", "recolour", {"target": "#c0262d"}),
    ("cartoon", "cartoon", {}),
)

# the sky editor's presets, in its own order (editors/sky.py)
SKY_PRESETS: tuple[str, ...] = tuple(_SKY)
