"""Every role's file list against the recorded file tree of its pinned repository.

``tests/data/hub_trees/<role>.json`` records, from public records (each entry says which page, and whether
it was confirmed at the pinned revision), the files of each repo at the manifest's revision. This test
fails when a listed file (or glob) does not exist there, when the loader needs a file the list does not
fetch (config, weights, tokenizer, scheduler...), or when the tree is for another repo or revision. It
is what would have caught the inpaint role listing fp32 ``*.safetensors`` that do not exist at its
revision. ``python app.py --verify-models`` checks the same against the live hub.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.models import ModelRole, load_manifest, match_files

TREES = Path(__file__).parent / "data" / "hub_trees"
ROLES = load_manifest()


def tree_of(role: str) -> dict:
    path = TREES / f"{role}.json"
    assert path.exists(), f"no recorded tree for role '{role}': add tests/data/hub_trees/{role}.json"
    return json.loads(path.read_text())


def loader_needs(spec: ModelRole, tree: dict) -> list[str]:
    """The files the role's loader opens (what must be in its file list), from the loaders' own rules."""
    from faces.insight import (
        ANALYSIS_FILES,
        ROLE_ANALYSIS,
        ROLE_SWAPPER,
        SWAPPER_FILE,
    )

    v = f".{spec.variant}" if spec.variant else ""
    b = spec.backend
    if b == "transformers.SamModel":  # SamModel + SamImageProcessorPil, safetensors only
        return ["config.json", "preprocessor_config.json", "model.safetensors"]
    if b == "transformers.Sam2Model":  # our own preprocessing (Sam2Processor needs torchvision)
        return ["config.json", "model.safetensors"]
    if b == "transformers.SegformerForSemanticSegmentation":
        return ["config.json", "model.safetensors"]
    if b == "transformers.CLIPSegForImageSegmentation":  # load_clipseg: model, our preprocessing, CLIP BPE tokenizer
        return [
            "config.json",
            "preprocessor_config.json",
            "model.safetensors",
            "vocab.json",
            "merges.txt",
            "tokenizer_config.json",
        ]
    if b == "transformers.Sam3Model":  # load_sam3: model, processor_config.json sizes, CLIP tokenizer
        return ["config.json", "processor_config.json", "model.safetensors", "tokenizer_config.json"]
    if b == "diffusers.AutoPipelineForInpainting":
        need = ["model_index.json"]
        for c in tree["model_index_components"]:
            if c == "scheduler":
                need.append("scheduler/scheduler_config.json")
            elif c.startswith("text_encoder"):
                need += [f"{c}/config.json", f"{c}/model{v}.safetensors"]
            elif c.startswith("tokenizer"):
                need += [
                    f"{c}/{f}" for f in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")
                ]
            elif c in ("unet", "vae"):
                need += [f"{c}/config.json", f"{c}/diffusion_pytorch_model{v}.safetensors"]
            elif c == "feature_extractor":
                need.append("feature_extractor/preprocessor_config.json")
            elif c == "safety_checker":
                continue  # loaded with safety_checker=None
            else:
                raise AssertionError(f"unknown diffusers component {c}")
        return need
    if b.startswith("diffusers.lora"):
        return ["pytorch_lora_weights.safetensors"]
    if b == "diffusers.AutoencoderTiny":
        return ["config.json", "diffusion_pytorch_model.safetensors"]
    if b == "onnxruntime":
        return ["lama_fp32.onnx"]  # load_lama prefers it
    if b == "insightface.model_zoo" and spec.role == ROLE_ANALYSIS:
        return list(ANALYSIS_FILES.values())
    if b == "insightface.model_zoo" and spec.role == ROLE_SWAPPER:
        return [SWAPPER_FILE]
    raise AssertionError(f"role {spec.role}: no loader rule for backend {b}; add one here")


def check(spec: ModelRole, tree: dict) -> list[str]:
    """Problems of ``spec`` against ``tree`` (empty when none)."""
    problems = []
    if (tree["repo"], tree["revision"]) != (spec.repo, spec.revision):
        problems.append(
            f"tree is for {tree['repo']}@{tree['revision'][:8]}, manifest pins {spec.repo}@{spec.revision[:8]}"
        )
    paths = [f["path"] for f in tree["files"] if not f["path"].endswith("/")]
    chosen, missing = match_files(spec.files, paths)
    problems += [f"listed {m!r} is not in the tree at {spec.revision[:8]}" for m in missing]
    problems += [
        f"the loader needs {n!r}, which the file list does not fetch"
        for n in loader_needs(spec, tree)
        if n not in chosen
    ]
    problems += [f"sha256 given for {f!r}, which is not fetched" for f in spec.sha256 if f not in chosen]
    return problems


@pytest.mark.parametrize("role", sorted(ROLES))
def test_file_list_resolves_against_the_recorded_tree(role):
    spec = ROLES[role]
    tree = tree_of(role)
    assert tree["sources"], "a tree must say where it comes from"
    for f in tree["files"]:
        assert isinstance(f["confirmed"], bool) and "source" in f
    assert check(spec, tree) == []


def test_every_tree_belongs_to_a_role():
    assert sorted(p.stem for p in TREES.glob("*.json")) == sorted(ROLES)


def test_a_renamed_file_fails():
    """The check is not vacuous: the old inpaint list (fp32 safetensors), a renamed weight, a glob that
    matches nothing and a dropped tokenizer are all caught."""
    from dataclasses import replace

    spec, tree = ROLES["inpaint"], tree_of("inpaint")
    old = tuple(f.replace(".fp16.safetensors", ".safetensors") for f in spec.files)
    assert any("text_encoder/model.safetensors" in p for p in check(replace(spec, files=old, variant=None), tree))
    renamed = tuple(f.replace("unet/diffusion_pytorch_model.fp16", "unet/diffusion_model.fp16") for f in spec.files)
    assert any("unet/diffusion_model.fp16.safetensors" in p for p in check(replace(spec, files=renamed), tree))
    assert any("'sched/*'" in p for p in check(replace(spec, files=spec.files + ("sched/*",)), tree))
    dropped = tuple(f for f in spec.files if f != "tokenizer/*")
    assert any("tokenizer/vocab.json" in p for p in check(replace(spec, files=dropped), tree))
    sam = ROLES["sam"]
    assert check(replace(sam, files=("config.json", "preprocessor_config.json", "model.bin")), tree_of("sam"))
    moved = dict(
        tree_of("lama"),
        files=[dict(f, path=f["path"].replace("lama_fp32", "lama32")) for f in tree_of("lama")["files"]],
    )
    assert check(ROLES["lama"], moved)
