"""Full SegFormer backends through the real loader: tiny random models injected with FACET_MODEL_<ROLE>.

Each tiny model has the real model's ``id2label``; the classifier's bias is set so one chosen class wins
everywhere, which makes the label mapping (by name), the instance split and the paste-back checkable.
The packaged offline files are hidden (empty FACET_PACKAGED_DIR) so the people come from the clothes model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.models import ModelManager
from core.photo import load_photo
from core.settings import Settings
from core.types import Photo
from segmenters.parsing import SEP, is_approximate, parse_report

CLOTHES = [
    "Background",
    "Hat",
    "Hair",
    "Sunglasses",
    "Upper-clothes",
    "Skirt",
    "Pants",
    "Dress",
    "Belt",
    "Left-shoe",
    "Right-shoe",
    "Face",
    "Left-leg",
    "Right-leg",
    "Left-arm",
    "Right-arm",
    "Bag",
    "Scarf",
]
FACE = [
    "background",
    "skin",
    "nose",
    "eye_g",
    "l_eye",
    "r_eye",
    "l_brow",
    "r_brow",
    "l_ear",
    "r_ear",
    "mouth",
    "u_lip",
    "l_lip",
    "hair",
    "hat",
    "ear_r",
    "neck_l",
    "neck",
    "cloth",
]
ADE_KNOWN = {
    0: "wall",
    1: "building",
    2: "sky",
    3: "floor",
    4: "tree",
    6: "road",
    9: "grass",
    12: "person",
    16: "mountain",
    17: "plant",
    20: "car",
    21: "water",
    26: "sea",
}
ADE = [ADE_KNOWN.get(i, f"class_{i}") for i in range(150)]


def make_tiny_segformer(folder: Path, names: list[str], winner: str | None = None, seed: int = 0) -> Path:
    """A 4-stage, 8..16-wide SegFormer with ``names`` as id2label (+ a 64x64 PIL processor) in ``folder``."""
    import torch
    from transformers import SegformerConfig, SegformerForSemanticSegmentation
    from transformers.models.segformer.image_processing_pil_segformer import SegformerImageProcessorPil

    torch.manual_seed(seed)
    config = SegformerConfig(
        depths=[1, 1, 1, 1],
        hidden_sizes=[8, 8, 16, 16],
        num_attention_heads=[1, 1, 1, 1],
        decoder_hidden_size=16,
        mlp_ratios=[2, 2, 2, 2],
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
    )
    model = SegformerForSemanticSegmentation(config).eval()
    if winner is not None:
        with torch.no_grad():
            model.decode_head.classifier.weight.zero_()
            model.decode_head.classifier.bias.fill_(-5.0)
            model.decode_head.classifier.bias[names.index(winner)] = 5.0
    model.save_pretrained(folder)
    SegformerImageProcessorPil(size={"height": 64, "width": 64}).save_pretrained(folder)
    return folder


@pytest.fixture()
def no_packaged(monkeypatch, tmp_path):
    empty = tmp_path / "no-packaged"
    empty.mkdir()
    monkeypatch.setenv("FACET_PACKAGED_DIR", str(empty))
    for var in ("FACET_MODEL_CLOTHES", "FACET_MODEL_FACE_PARSING", "FACET_MODEL_SCENE"):
        monkeypatch.delenv(var, raising=False)


def manager() -> ModelManager:
    return ModelManager(Settings(), online=False)


def by_label(report):
    return {s.label: s for s in report.segments}


def test_loader_reads_labels_by_name_and_runs_without_torchvision(tmp_path):
    from segmenters.segformer import load_segformer, masks_by_name

    folder = make_tiny_segformer(tmp_path / "m", list(reversed(CLOTHES)), winner="Hair")
    loaded = load_segformer(folder, "cpu", None)
    assert loaded.id2label[0] == "Scarf" and loaded.id2label[len(CLOTHES) - 3] == "Hair"
    labels = np.full((4, 4), len(CLOTHES) - 3)
    from segmenters.clothes import CLOTHES_LABELS

    assert set(masks_by_name(labels, loaded.id2label, CLOTHES_LABELS)) == {"hair"}


def test_clothes_labels_map_by_name_with_a_shuffled_id2label(no_packaged, monkeypatch, tmp_path, astronaut_path):
    names = CLOTHES[::-1]  # same names, other indices
    monkeypatch.setenv("FACET_MODEL_CLOTHES", str(make_tiny_segformer(tmp_path / "c", names, winner="Pants")))
    report = parse_report(load_photo(astronaut_path), manager())
    segs = by_label(report)
    assert report.sources["clothes"] == "segformer-clothes"
    assert segs["lower clothes"].mask.all() and segs["lower clothes"].source == "segformer-clothes"
    assert not is_approximate(segs["lower clothes"]) and 0.9 < segs["lower clothes"].score <= 1.0
    assert "upper clothes" not in segs
    # no packaged selfie model: the people are what the clothes model did not call background
    assert segs["person 1"].mask.all() and segs["person 1"].source == "segformer-clothes"


def test_clothes_people_are_split_into_instances(no_packaged, monkeypatch, tmp_path, astronaut_path):
    monkeypatch.setenv("FACET_MODEL_CLOTHES", str(make_tiny_segformer(tmp_path / "c", CLOTHES, winner="Upper-clothes")))
    px = load_photo(astronaut_path).pixels
    two = Photo(np.ascontiguousarray(np.hstack([px, px])))  # two people side by side, one connected mask
    segs = by_label(parse_report(two, manager()))
    p1, p2 = segs["person 1"].mask, segs["person 2"].mask
    assert p1.shape == (512, 1024) and p1[:, :400].all() and p2[:, 624:].all() and not (p1 & p2).any()
    u1, u2 = segs[f"person 1{SEP}upper clothes"].mask, segs[f"person 2{SEP}upper clothes"].mask
    assert (u1 == p1).all() and (u2 == p2).all()
    assert segs["upper clothes"].mask.all()


def test_face_parsing_crops_are_pasted_back_inside_the_face_box(no_packaged, monkeypatch, tmp_path, astronaut_path):
    from segmenters.face_parts import CROP_SCALE
    from faces.detect import detect_faces

    monkeypatch.setenv("FACET_MODEL_FACE_PARSING", str(make_tiny_segformer(tmp_path / "f", FACE, winner="l_lip")))
    photo = load_photo(astronaut_path)
    report = parse_report(photo, manager())
    segs = by_label(report)
    assert report.sources["face_parts"] == "segformer-face-parsing"
    lips, faces = segs["lips"], segs["all faces"]
    assert lips.mask.shape == (512, 512) and lips.source == "segformer-face-parsing"
    assert (lips.mask == faces.mask).all()  # the whole crop said "lip"
    (face,) = detect_faces(photo.pixels, 1.0)
    x0, y0, x1, y1 = face.box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * CROP_SCALE / 2
    bx0, by0, bx1, by1 = lips.bbox
    assert bx0 >= cx - half - 2 and by0 >= max(0, cy - half - 2) and bx1 <= cx + half + 2 and by1 <= cy + half + 2
    assert lips.area >= 0.8 * (min(512, cy + half) - max(0, cy - half)) * 2 * half  # the crop, clipped to the photo
    assert not lips.mask[500, 10] and not lips.mask[5, 500]


def test_scene_maps_ade_names(no_packaged, monkeypatch, tmp_path, china_path):
    monkeypatch.setenv("FACET_MODEL_SCENE", str(make_tiny_segformer(tmp_path / "s", ADE, winner="sea")))
    photo = load_photo(china_path)
    segs = by_label(parse_report(photo, manager()))
    assert segs["water"].mask.all() and segs["water"].source == "segformer-ade20k"
    assert "sky" not in segs


def test_random_tiny_models_run_everything_full_size_and_deterministically(
    no_packaged, monkeypatch, tmp_path, hopper_path
):
    monkeypatch.setenv("FACET_MODEL_CLOTHES", str(make_tiny_segformer(tmp_path / "c", CLOTHES)))
    monkeypatch.setenv("FACET_MODEL_FACE_PARSING", str(make_tiny_segformer(tmp_path / "f", FACE)))
    monkeypatch.setenv("FACET_MODEL_SCENE", str(make_tiny_segformer(tmp_path / "s", ADE)))
    photo = load_photo(hopper_path)
    a = parse_report(photo, manager())
    b = parse_report(photo, manager())
    assert not a.errors, a.errors
    assert a.sources["clothes"] == "segformer-clothes" and a.sources["scene"] == "segformer-ade20k"
    assert [s.label for s in a.segments] == [s.label for s in b.segments]
    for s, t in zip(a.segments, b.segments):
        assert s.mask.shape == (600, 512) and s.mask.dtype == bool
        assert np.array_equal(s.mask, t.mask)
