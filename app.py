"""Facet: read settings, build services, build the UI, launch. Nothing else.

python app.py               start the editor on http://127.0.0.1:7860
python app.py --demo        preload every model first, so the first click is as fast as the tenth
python app.py --prefetch    download every model in the manifest into the huggingface_hub cache
python app.py --verify-models  check every role's repo, revision, files and sha256 on the hub
                               (metadata only, nothing downloaded); exit 1 on a mismatch
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Facet photo editor")
    p.add_argument("--prefetch", action="store_true", help="download all models and exit")
    p.add_argument("--demo", action="store_true", help="preload models at start (demo mode)")
    p.add_argument(
        "--verify-models",
        action="store_true",
        help="check every role's repo, revision, file list and sha256 on the hub (no downloads)",
    )
    p.add_argument(
        "--host",
        help="interface to listen on (default FACET_HOST, else GRADIO_SERVER_NAME, else "
        "0.0.0.0 on a Space (SPACE_ID set), else 127.0.0.1)",
    )
    p.add_argument("--port", type=int, help="port (default FACET_PORT, else GRADIO_SERVER_PORT, else 7860)")
    args = p.parse_args(argv)
    if os.environ.get("SPACES_ZERO_GPU"):  # ZeroGPU: spaces must patch torch before anything imports it
        import spaces  # noqa: F401
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.host:
        os.environ["FACET_HOST"] = args.host
    if args.port:
        os.environ["FACET_PORT"] = str(args.port)

    from core.models import ModelManager
    from studio.services import build_services
    from core.settings import Settings

    settings = Settings.from_env()
    if args.verify_models:
        return verify_models(settings)
    if args.prefetch:
        manager = ModelManager(settings)
        if not manager.online:
            print("error: the model hub is unreachable (or HF_HUB_OFFLINE=1); cannot prefetch", file=sys.stderr)
            return 4
        # CUDA-only roles (the big SAM, SDXL) are fetched only on a machine that can run them
        names = [n for n, spec in manager.roles.items() if spec.device != "cuda" or manager.device == "cuda"]
        report = manager.prefetch(names)
        print(json.dumps(report, indent=2))
        return 0 if not any(v.startswith("error") for v in report.values()) else 4

    from app.ui import build_ui, launch

    services = build_services(settings, preload=args.demo or os.environ.get("FACET_DEMO") == "1")
    from core.gpu import on_zero_gpu

    if on_zero_gpu():
        from studio.services import place_for_zero_gpu

        place_for_zero_gpu(services)
    launch(build_ui(services), services)
    return 0


def verify_models(settings) -> int:
    """Print a table of every role checked against the hub; 0 all match, 1 a mismatch, 3 cannot check."""
    from core.models import (
        hub_endpoint,
        hub_reachable,
        load_manifest,
        offline_by_setting,
        verify_role,
        verify_table,
    )

    roles = load_manifest()
    probe = next(iter(roles.values())).repo
    if settings.offline == "1" or offline_by_setting() or not hub_reachable(settings.hub_probe_seconds * 3, probe):
        why = (
            "offline mode is on (HF_HUB_OFFLINE / FACET_OFFLINE)"
            if settings.offline == "1" or offline_by_setting()
            else f"the hub ({hub_endpoint()}) is unreachable"
        )
        print(f"cannot check the models: {why}. Run it on a machine with network access.", file=sys.stderr)
        return 3
    rows = [verify_role(spec) for spec in roles.values()]
    print(f"model roles checked against {hub_endpoint()} (metadata only):")
    print(verify_table(rows))
    bad = [r["role"] for r in rows if not r["ok"]]
    print(f"{len(rows) - len(bad)} of {len(rows)} roles match" + (f"; mismatched: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
