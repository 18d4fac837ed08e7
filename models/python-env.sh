#!/usr/bin/env bash
# Prints the path of a Python venv holding models/requirements.txt, creating it on first use.
# The venv lives outside the repository, keyed by a hash of the pinned requirements, so a change
# to the pins makes a fresh one and nothing large is ever committed.
#   PY="$(models/python-env.sh)/bin/python"; "$PY" models/make_demo_model.py
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
hash="$(sha256sum "$req" | cut -c1-12)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/reelcast/py-$hash"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
