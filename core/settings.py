"""Settings read once from the environment (FACET_* variables), with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    max_upload_mb: float = 50.0  # FACET_MAX_UPLOAD_MB
    max_megapixels: float = 64.0  # FACET_MAX_MEGAPIXELS: larger photos are refused before decoding
    min_side: int = 16  # FACET_MIN_SIDE: smaller photos are refused
    preview_max_side: int = 1280  # FACET_PREVIEW_MAX_SIDE: what the browser shows; masks stay full size
    device: str = "auto"  # FACET_DEVICE: auto | cpu | cuda
    offline: str = "auto"  # FACET_OFFLINE: auto (probe the hub) | 1 (never touch the network) | 0
    hub_probe_seconds: float = 2.0  # FACET_HUB_PROBE_SECONDS
    session_ttl_s: int = 3600  # FACET_SESSION_TTL_S: idle sessions are freed after this
    # FACET_MAX_SESSIONS: Gradio keeps ~0.35 MB of bookkeeping for every session it has seen, even freed ones,
    # up to this many (its default is 10000: ~3.4 GB); beyond it the least recently used session is dropped
    max_sessions: int = 1000
    max_layers: int = 50  # FACET_MAX_LAYERS: older edits are merged into the photo (no undo); 0 = unbounded
    # Flood limits per session and minute (0 = off): edits (apply, variants, generate, remove, faces,
    # cartoon background) and uploads each get max_edits_per_minute; clicks get max_clicks_per_minute.
    max_edits_per_minute: int = 30  # FACET_MAX_EDITS_PER_MINUTE
    max_clicks_per_minute: int = 240  # FACET_MAX_CLICKS_PER_MINUTE
    # FACET_MEMORY_BUDGET_MB: the memory all edits running at once may take (their estimated peak, see
    # core/budget.py); an edit that alone needs more is refused before it starts, one that would exceed it
    # beside others waits up to FACET_MEMORY_WAIT_S, then is refused. 0 = no limit.
    memory_budget_mb: float = 6144.0
    memory_wait_s: float = 30.0  # FACET_MEMORY_WAIT_S
    host: str = "127.0.0.1"  # FACET_HOST
    port: int = 7860  # FACET_PORT

    @classmethod
    def from_env(cls) -> Settings:
        values = {}
        for f in fields(cls):
            raw = os.environ.get("FACET_" + f.name.upper())
            if raw is None:
                continue
            kind = type(f.default)
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"FACET_{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
        return cls(**values)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1e6)
