"""Settings read once from the environment (FACET_* variables), with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


WATERMARK_POLICIES = ("generative", "always", "never")


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
    # FACET_CLOSED_TTL_S: the session of a closed tab (Gradio's unload: the tab closed, reloaded or lost its
    # connection) is freed after this, if sooner: a closed 24 MP tab holds about 1.1 GB (bench/memory_sessions.py)
    closed_ttl_s: int = 600
    # FACET_MAX_SESSIONS: Gradio keeps ~0.35 MB of bookkeeping for every session it has seen, even freed ones,
    # up to this many (its default is 10000: ~3.4 GB); beyond it the least recently used session is dropped
    max_sessions: int = 1000
    max_layers: int = 50  # FACET_MAX_LAYERS: older edits are merged into the photo (no undo); 0 = unbounded
    # Flood limits per session and minute (0 = off): edits (apply, variants, generate, remove, faces,
    # cartoon background) and uploads each get max_edits_per_minute; clicks get max_clicks_per_minute.
    max_edits_per_minute: int = 30  # FACET_MAX_EDITS_PER_MINUTE
    max_clicks_per_minute: int = 240  # FACET_MAX_CLICKS_PER_MINUTE
    click_model: str = "sam2"  # FACET_CLICK_MODEL: sam2 (SAM 2.1, the default) | sam1 (SAM ViT)
    # Flood limits per client address and minute (0 = off), over all of that address's sessions, so a script
    # opening new sessions is limited too (core/limits.py). Behind a reverse proxy, list the proxy's
    # addresses in FACET_TRUSTED_PROXIES (comma-separated IPs or CIDR ranges): only then is the client taken
    # from X-Forwarded-For.
    max_edits_per_minute_per_ip: int = 120  # FACET_MAX_EDITS_PER_MINUTE_PER_IP
    max_uploads_per_minute_per_ip: int = 60  # FACET_MAX_UPLOADS_PER_MINUTE_PER_IP
    max_clicks_per_minute_per_ip: int = 960  # FACET_MAX_CLICKS_PER_MINUTE_PER_IP
    trusted_proxies: str = ""  # FACET_TRUSTED_PROXIES
    # Provenance (studio/provenance.py, studio/credentials.py). FACET_WATERMARK: generative (the invisible mark
    # only on exports with pixels made by a trained generative model) | always | never.
    watermark: str = "generative"  # FACET_WATERMARK
    c2pa_cert: str = ""  # FACET_C2PA_CERT: PEM certificate chain (signer first) for Content Credentials
    c2pa_key: str = ""  # FACET_C2PA_KEY: its PEM private key; both unset = a locally generated signer
    data_dir: str = ""  # FACET_DATA_DIR: per-user data (the local signer); default $XDG_DATA_HOME/facet
    # FACET_MEMORY_BUDGET_MB: the memory all edits running at once may take (their estimated peak, see
    # core/budget.py); an edit that alone needs more is refused before it starts, one that would exceed it
    # beside others waits up to FACET_MEMORY_WAIT_S, then is refused. 0 = no limit.
    memory_budget_mb: float = 6144.0
    memory_wait_s: float = 30.0  # FACET_MEMORY_WAIT_S
    host: str = "127.0.0.1"  # FACET_HOST
    port: int = 7860  # FACET_PORT

    @classmethod
    def from_env(cls) -> Settings:
        values: dict = {}
        # Without FACET_HOST / FACET_PORT, the platform's Gradio variables apply (a Hugging Face Space sets
        # GRADIO_SERVER_NAME=0.0.0.0 and expects port 7860); on a Space (SPACE_ID set) the default host is
        # 0.0.0.0, the container's external interface. Local runs stay on 127.0.0.1.
        if os.environ.get("GRADIO_SERVER_NAME") or os.environ.get("SPACE_ID"):
            values["host"] = os.environ.get("GRADIO_SERVER_NAME") or "0.0.0.0"
        if os.environ.get("GRADIO_SERVER_PORT"):
            try:
                values["port"] = int(os.environ["GRADIO_SERVER_PORT"])
            except ValueError as exc:
                raise ValueError(f"GRADIO_SERVER_PORT={os.environ['GRADIO_SERVER_PORT']!r} is not a valid int") from exc
        for f in fields(cls):
            raw = os.environ.get("FACET_" + f.name.upper())
            if raw is None:
                continue
            kind: type = type(f.default)
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"FACET_{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
        return cls(**values)

    def __post_init__(self) -> None:
        if self.watermark not in WATERMARK_POLICIES:
            raise ValueError(f"FACET_WATERMARK={self.watermark!r}: use one of {', '.join(WATERMARK_POLICIES)}")
        if bool(self.c2pa_cert) != bool(self.c2pa_key):
            raise ValueError("FACET_C2PA_CERT and FACET_C2PA_KEY go together: set both or neither")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1e6)
