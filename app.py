"""Facet: read settings, build services, build the UI, launch. Nothing else.

    python app.py               start the editor on http://127.0.0.1:7860
    python app.py --demo        preload every model first, so the first click is as fast as the tenth
    python app.py --prefetch    download every model in the manifest into the huggingface_hub cache
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
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1; 0.0.0.0 in Docker/Spaces)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.host:
        os.environ["FACET_HOST"] = args.host
    if args.port:
        os.environ["FACET_PORT"] = str(args.port)

    from core.models import ModelManager
    from core.services import build_services
    from core.settings import Settings

    settings = Settings.from_env()
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
    launch(build_ui(services), services)
    return 0


if __name__ == "__main__":
    sys.exit(main())
