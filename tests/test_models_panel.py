"""The Models panel names the packaged offline models whose licence does not allow commercial use (or was not
verified), so a user sees it in the page, not only in core/packaged.toml."""

from __future__ import annotations

from types import SimpleNamespace

from app import models_panel
from core import assets


def _services() -> SimpleNamespace:
    return SimpleNamespace(degraded_roles=dict, manager=SimpleNamespace(roles={}))


def test_packaged_noncommercial_models_on_this_machine_are_named(monkeypatch):
    present = {"nanodet_graph", "nanodet_weights", "deeplab_ade20k"}
    monkeypatch.setattr(assets, "packaged_available", lambda name: name in present)
    assert models_panel.packaged_noncommercial() == ["nanodet"]  # one name for graph + weights; ADE is Apache-2.0
    text = models_panel.details(_services())
    assert "without a verified commercial licence" in text and "`nanodet`" in text
    assert "rvm" not in text and "deeplab" not in text  # absent, and commercial, files are not named


def test_no_packaged_noncommercial_models_no_line(monkeypatch):
    monkeypatch.setattr(assets, "packaged_available", lambda name: False)
    assert models_panel.packaged_noncommercial() == []
    assert "without a verified commercial licence" not in models_panel.details(_services())


def test_every_noncommercial_packaged_file_is_named_when_present(monkeypatch):
    monkeypatch.setattr(assets, "packaged_available", lambda name: True)
    named = models_panel.packaged_noncommercial()
    want = {"nanodet", "movenet-lightning", "rvm", "mobilefacenet", "mobileface", "faceres"}
    assert want <= set(named), named
    assert not {"deeplab_ade20k", "centerface", "hair_segmentation"} & set(named)
