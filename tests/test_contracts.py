"""The editor and segmenter contracts, checked for everything the registries hold (not a hand-written list):
every registered editor declares its provenance and returns a frozen EditResult from a real photo; every
registered click segmenter declares its models and answers a MaskResult naming them; the exports' face flags
and C2PA actions come from the editors' declarations, never from their names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from core.models import ModelManager
from core.settings import Settings
from core.types import ClickPrompt, MaskResult, Photo, Point
from editors import EDITORS
from editors.base import FACE_EDITS, EditResult, Editor, GenerativeEditor, Provenance, Variant, declared_provenance
from segmenters import SEGMENTERS
from segmenters.base import ClickSegmenter

ROOT = Path(__file__).resolve().parent.parent

# How to run an editor on the astronaut where its defaults cannot (a registered editor missing here runs with
# its defaults, so a new editor is checked too).
RUN_PARAMS = {
    "inpaint": {"prompt": "a smiling face", "steps": 2},
    "recolour": {"target": "#c0262d"},
    "anonymize": {"method": "blur"},
    "faceswap": {"backend": "offline"},
    "remove": {"method": "auto"},
}
REGION = (slice(40, 330), slice(120, 380))  # the astronaut's face and part of her suit (rows, cols)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="module")
def tiny_env(tmp_path_factory):
    """Tiny models for the roles a registered editor or segmenter needs, through FACET_MODEL_<ROLE>."""
    from tests.tiny_models import make_tiny_inpaint, make_tiny_sam, make_tiny_sam2

    mp = pytest.MonkeyPatch()
    mp.setenv("FACET_MODEL_INPAINT", str(make_tiny_inpaint(tmp_path_factory.mktemp("inpaint"))))
    mp.setenv("FACET_MODEL_SAM", str(make_tiny_sam(tmp_path_factory.mktemp("sam"))))
    mp.setenv("FACET_MODEL_SAM2", str(make_tiny_sam2(tmp_path_factory.mktemp("sam2"))))
    yield ModelManager(Settings(), online=False)
    mp.undo()


def test_every_editor_declares_its_provenance():
    assert EDITORS.names(), "no editor registered"
    for name in EDITORS.names():
        ed = EDITORS.build(name, None)
        assert isinstance(ed, Editor), name
        assert ed.name == name and ed.label, name
        prov = ed.provenance
        assert isinstance(prov, Provenance), name
        assert prov.face_edit is None or prov.face_edit in FACE_EDITS, name
        assert isinstance(prov.models, tuple) and all(isinstance(m, str) and m for m in prov.models), name
        assert prov.c2pa_action.startswith("c2pa."), name
        if prov.generative:  # pixels from a trained generative model: it must say which models it may run
            assert prov.models, f"{name} declares generative pixels but no trained model"
        assert declared_provenance(name) == prov
        # the generative protocol is declared by the class, and only those classes have generate()
        assert isinstance(ed, GenerativeEditor) == callable(getattr(type(ed), "generate", None)), name
        assert (GenerativeEditor in type(ed).__mro__) == isinstance(ed, GenerativeEditor), name
    assert declared_provenance("merged") == Provenance() and declared_provenance("no such editor").classical


def test_style_declares_the_trained_networks_it_runs():
    """A style-only export must not say "no trained model was used": the style editor names Magenta's networks
    (packaged files whose sha256 core/packaged.toml records)."""
    from core.assets import packaged_path

    ed = EDITORS.build("style", None)
    assert ed.provenance.generative and len(ed.provenance.models) == 3
    for name in ("style_multistyle26", "style_arbitrary_predict", "style_arbitrary_transform"):
        assert packaged_path(name).is_file()
        assert any(packaged_path(name).name in m for m in ed.provenance.models)


@pytest.mark.parametrize("name", EDITORS.names())
def test_every_editor_returns_a_frozen_edit_result(name, astronaut, tiny_env):
    ed = EDITORS.build(name, tiny_env)
    mask = np.zeros(astronaut.shape[:2], bool)
    mask[REGION] = True
    result = ed.edit(astronaut, mask, RUN_PARAMS.get(name, {}), 3)
    assert isinstance(result, EditResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.backend = "changed"  # type: ignore[misc]
    assert result.image.dtype == np.uint8 and result.image.shape == astronaut.shape
    assert not np.array_equal(result.image, astronaut), f"{name} changed nothing"
    assert result.backend and result.seconds > 0
    assert isinstance(result.report, tuple) and all(isinstance(r, dict) for r in result.report)
    prov = ed.provenance
    # the models a result names are among those the editor declares (a manifest role appears as repo@rev8)
    allowed = set(prov.models) | {tiny_env.model_id(r) for r in prov.models if r in tiny_env.roles}
    assert set(result.model_ids) <= allowed, (name, result.model_ids, allowed)
    if result.generative:
        assert prov.generative and result.model_ids, name
    if prov.classical:
        assert not result.generative and result.model_ids == (), name
    # apply is the same edit, the image only (editors are deterministic for a seed)
    again = ed.apply(astronaut, mask, RUN_PARAMS.get(name, {}), 3)
    assert np.array_equal(again, result.image), name


@pytest.mark.parametrize("name", [n for n in EDITORS.names() if isinstance(EDITORS.build(n, None), GenerativeEditor)])
def test_generative_editors_make_variants(name, astronaut, tiny_env):
    ed = EDITORS.build(name, tiny_env)
    mask = np.zeros(astronaut.shape[:2], bool)
    mask[REGION] = True
    variants = ed.generate(astronaut, mask, RUN_PARAMS.get(name, {}), 5)
    assert variants and all(isinstance(v, Variant) for v in variants)
    for v in variants:
        r = v.result()
        assert isinstance(r, EditResult) and r.image is v.image and r.generative == v.generative
        assert r.model_ids == ((v.model,) if v.generative else ()), "a classical fill names no trained model"


def test_the_session_refuses_generate_for_an_editor_without_the_protocol(tmp_path):
    from core.errors import BadInput
    from studio.services import build_services
    from studio.session import INCLUDE, EditorSession

    from skimage import data

    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    try:
        s.load(Photo(pixels=np.ascontiguousarray(data.astronaut()), name="a.png"), services, parse=False)
        s.click(225, 300, INCLUDE, services)
        for name in EDITORS.names():
            if not isinstance(EDITORS.build(name, None), GenerativeEditor):
                with pytest.raises(BadInput, match="makes no variants"):
                    s.generate(name, {}, 0, services)
    finally:
        s.close()


def _layer(editor: str, params: dict | None = None):
    from studio.layers import Layer

    changed = np.zeros((40, 40), bool)
    changed[5:35, 5:35] = True
    return Layer(
        1,
        "part",
        editor,
        dict(params or {}),
        0,
        (10, 10, 50, 50),
        changed,
        np.zeros((40, 40, 3), np.uint8),
        0.1,
        ("m",),
        generative=True,
    )


def test_export_flags_follow_each_editors_declaration():
    """For every registered editor, the manifest's face flags and the C2PA action are what it declares."""
    from studio import credentials
    from studio.provenance import build_manifest

    photo = Photo(pixels=np.zeros((64, 64, 3), np.uint8))
    for name in EDITORS.names():
        prov = declared_provenance(name)
        manifest = build_manifest([_layer(name)], photo)
        assert manifest["faces_swapped"] == (prov.face_edit == "swapped"), name
        assert manifest["faces_anonymized"] == (prov.face_edit == "anonymized"), name
        assert bool(manifest["face_boxes"]) == (prov.face_edit is not None), name
        action = credentials._action(manifest["edits"][0], False, 0.1)
        assert action["action"] == prov.c2pa_action, name


def test_studio_and_core_hard_code_no_editor_names():
    """The application layer and core read the declarations: no comparison of an editor's name with a registered
    name, no list of editor names (the pseudo-editor "merged", the merged base layer, is not one)."""
    import re

    names = set(EDITORS.names())
    compare = re.compile(r"editor[\w.\]\[\"']*\s*(?:==|!=)\s*[\"'](\w+)[\"']")
    listed = re.compile(r"\b[A-Z_]*EDITORS\s*=\s*\(")
    files = sorted((ROOT / "studio").glob("*.py")) + sorted((ROOT / "core").glob("*.py"))
    for path in files:
        code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
        assert not listed.search(code), path.name
        assert not names & set(compare.findall(code)), (path.name, names & set(compare.findall(code)))


@pytest.mark.parametrize("name", SEGMENTERS.names())
def test_every_click_segmenter_honours_the_contract(name, astronaut, tiny_env):
    role = name if name in tiny_env.roles else None  # a segmenter that runs a manifest role is named after it
    seg = SEGMENTERS.build(name, tiny_env, role) if role else SEGMENTERS.build(name, tiny_env)
    assert isinstance(seg, ClickSegmenter) and seg.name == name and seg.label
    assert isinstance(seg.models, tuple)
    photo = Photo(pixels=astronaut, name="astronaut.png")
    prepared = seg.prepare(photo)
    result = seg.segment(photo, prepared, ClickPrompt(points=(Point(225, 300),)), None)
    assert isinstance(result, MaskResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.backend = "changed"  # type: ignore[misc]
    assert result.mask.dtype == bool and result.mask.shape == astronaut.shape[:2]
    assert result.backend == seg.label and result.model_ids == seg.models and result.seconds >= 0
    if role:  # a trained model: the result names its weights as the manager does
        assert seg.models == (tiny_env.model_id(role),)
    else:
        assert seg.models == ()
