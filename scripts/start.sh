#!/usr/bin/env bash
# Set everything up and start the editor on http://127.0.0.1:7860 (extra arguments go to app.py,
# e.g. --demo to preload models, --host 0.0.0.0 to listen on all interfaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
export GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"
