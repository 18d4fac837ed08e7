#!/usr/bin/env bash
# Prints the path of a Python venv holding a pinned requirements file (default
# models/requirements.txt), creating it on first use. The venv lives in the tool cache
# (REELCAST_TOOL_CACHE, default ~/.cache/reelcast/tools), keyed by a hash of the requirements, so
# a change to the pins makes a fresh one and nothing large is ever committed.
#   PY="$(models/python-env.sh)/bin/python"; "$PY" models/make_demo_model.py
#   PY="$(models/python-env.sh models/export/requirements.txt)/bin/python"   # the exporter (torch)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="${1:-$here/requirements.txt}"
[ -f "$req" ] || { echo "python-env.sh: no requirements file $req" >&2; exit 2; }
hash="$(sha256sum "$req" | cut -c1-12)"
cache="${REELCAST_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reelcast/tools}"
venv="$cache/python-$hash"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  echo "python-env.sh: installing $(basename "$(dirname "$req")")/$(basename "$req") into $venv (once)" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --progress-bar off -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
