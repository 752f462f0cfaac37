#!/usr/bin/env bash
# Set everything up (venv, test requirements, Debian chromium for the browser test) and run the
# whole test suite. Extra arguments go to pytest. Tests never touch the network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian chromium for the browser test" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
fi
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 FACET_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python -m pytest -q "$@"
