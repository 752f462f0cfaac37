#!/usr/bin/env bash
# Set everything up (venv, test requirements, Debian chromium for the browser test), check lint, format, types
# and layers (scripts/lint.sh), then run the whole test suite. Extra arguments go to pytest. Tests never touch
# the network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
# Debian chromium for the browser tests; opencv-doc, darknet, four wallpaper packages, jigzo-data and palapeli-data
# (two puzzle games' photos) for their sample photos (tests/photos.py: the labelled set and
# tests/labels/presence/presence.json)
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/doc/opencv-doc/examples/data ] || [ ! -f /usr/share/darknet/data/dog.jpg ] \
   || [ ! -f /usr/share/backgrounds/mate/nature/Storm.jpg ] || [ ! -d /usr/share/wallpapers/EveningGlow ] \
   || [ ! -f /usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg ] \
   || [ ! -f /usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg ] || [ ! -d /usr/share/games/jigzo/puzzles ] \
   || [ ! -f /usr/share/palapeli/collection/castle-maintenon.jpg ]; then
  echo "installing Debian chromium and opencv-doc (sample photos) for the tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium opencv-doc darknet \
    mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 jigzo-data \
    palapeli-data >/dev/null
fi
# round 15's hold-out reads five photos out of three Debian packages (tests/photos.py DEB_PHOTOS): downloaded into
# .cache/photos, not installed (tuxpaint-data 7.9 MB and puzzle-jigsaw 1.8 MB would pull in their games, digikam-data
# 11 MB opencv-data)
for pkg in tuxpaint-data puzzle-jigsaw digikam-data; do
  if ! ls .cache/photos/"${pkg}"_*.deb >/dev/null 2>&1; then
    # apt-get download needs the package lists: refresh them once if this machine's are missing or stale
    mkdir -p .cache/photos && (cd .cache/photos && { apt-get download -q "$pkg" >/dev/null 2>&1 \
      || { sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"; $sudo apt-get update -qq && apt-get download -q "$pkg" >/dev/null; }; })
  fi
done
# ultralytics' sample street photo (tests/photos.py ultralytics_bus) is read from its wheel: downloaded, not installed
if [ ! -f .cache/photos/ultralytics-8.4.190-py3-none-any.whl ]; then
  .venv/bin/python -m pip download -q --no-deps ultralytics==8.4.190 -d .cache/photos
fi
bash scripts/lint.sh
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 FACET_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python -m pytest -q "$@"
