"""The ADE20K net as the scene parser runs it (segmenters/nets.py ``ade_probs_interpreter``): the file's trailing
upsamples cut, its atrous convolutions folded (core.models.fold_dilations), the batch norms the converter left after
them folded into the depthwise convolutions (core.models.fold_batch_norms) and XNNPACK's softmax appended (issue 11:
all parsers under 1.5 s for 1 MP). The edits change no float number beyond rounding, and the shipped probabilities
are the cut net's classes. These tests need the packaged nets and skip without them; none is timed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from segmenters import nets

PHOTOS = ("china", "t1")


@pytest.fixture
def ade_path():
    if nets.missing_nets():
        pytest.skip(f"packaged nets missing ({', '.join(nets.missing_nets())}): run scripts/fetch_packaged_models.py")
    from core.assets import packaged_path

    return packaged_path(nets.ADE)


def _answer(it: Any, photo: str) -> np.ndarray:
    from tests import photos

    x, _, _ = nets._deeplab_input(photos.load(photo))
    it.set_tensor(it.get_input_details()[0]["index"], x[None])
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])[0].astype(np.float64)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _edited(path: Any, *edits: Any) -> Any:
    from core.models import fold_dilations

    def edit(model: Any) -> None:
        fold_dilations(model)
        for e in edits:
            e(model)

    return nets.ade_logits_interpreter(path, edit)


def test_folding_the_batch_norms_changes_no_float_number(ade_path):
    """On the float32 net (weights dequantized, so that XNNPACK quantizes no activation on the fly), folding the ten
    MUL / ADD pairs after the atrous depthwise convolutions leaves the logits as they were, up to float rounding."""
    from core.models import dequantize_weights, fold_batch_norms, op_name, tflite_model

    folded: list[int] = []
    plain = _edited(ade_path, dequantize_weights)
    fold = _edited(ade_path, lambda m: folded.append(fold_batch_norms(m)), dequantize_weights)
    assert folded == [10]
    for photo in PHOTOS:
        a, b = _answer(plain, photo), _answer(fold, photo)
        assert a.shape == b.shape == (129, 129, 151)
        assert np.abs(a - b).max() < 1e-3 * np.abs(a).max(), photo
        assert (a.argmax(-1) == b.argmax(-1)).mean() > 0.999, photo
    # a chain whose MUL has another reader, or a depthwise convolution with its own activation, is left alone
    model = tflite_model(ade_path)
    assert fold_batch_norms(model) == 0  # before fold_dilations the MUL follows BATCH_TO_SPACE_ND, not the conv
    assert sum(op_name(model, op) == "MUL" for op in model.subgraphs[0].operators) == 10


def test_the_appended_softmax_answers_the_probabilities_of_the_logits(ade_path):
    """The net's own softmax (XNNPACK's, on both threads) gives numpy's softmax of the same net's logits."""
    from core.models import append_softmax, fold_batch_norms

    logits = _edited(ade_path, fold_batch_norms)
    probs = _edited(ade_path, fold_batch_norms, append_softmax)
    for photo in PHOTOS:
        p = _answer(probs, photo)
        assert np.abs(p - _softmax(_answer(logits, photo))).max() < 1e-5, photo
        assert np.abs(p.sum(-1) - 1).max() < 1e-5


def test_the_shipped_probabilities_are_the_cut_files_classes(ade_path):
    """What the scene parser runs against the cut file with numpy's softmax (how the parser read it before): the
    same class on nearly every grid cell. Not the same numbers: XNNPACK quantizes each activation to int8 on the fly
    before the file's int8 weights, and a folded batch norm moves those roundings a little."""
    old = nets.ade_logits_interpreter(ade_path)
    new = nets.ade_probs_interpreter(ade_path)
    for photo in PHOTOS:
        p, q = _softmax(_answer(old, photo)), _answer(new, photo)
        assert (p.argmax(-1) == q.argmax(-1)).mean() > 0.98, photo
        assert np.abs(p - q).max() < 0.15, photo
        assert np.abs(p - q).mean() < 1e-3, photo


def test_the_scene_parser_reads_the_shipped_net(ade_path, monkeypatch):
    """``ade_probabilities`` runs the edited net (its probabilities, not logits to be normalised again)."""
    from tests import photos

    built: list[str] = []
    real = nets.ade_probs_interpreter

    def spy(path: Any) -> Any:
        built.append(str(path))
        return real(path)

    from core.models import default_manager

    default_manager().evict("packaged:" + nets.ADE)
    monkeypatch.setattr(nets, "ade_probs_interpreter", spy)
    try:
        p = nets.ade_probabilities(photos.load("china"), flip=False, tiles=False)
    finally:
        default_manager().evict("packaged:" + nets.ADE)
    assert built == [str(ade_path)]
    assert np.abs(p.sum(-1) - 1).max() < 1e-5
