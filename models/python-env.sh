#!/usr/bin/env bash
# Prints the path of a Python venv holding a pinned requirements file (default
# models/requirements.txt), creating it on first use. The venv lives in the tool cache
# (REELCAST_TOOL_CACHE, default ~/.cache/reelcast/tools), keyed by a hash of the requirements, so
# a change to the pins makes a fresh one and nothing large is ever committed.
#   PY="$(models/python-env.sh)/bin/python"; "$PY" models/make_demo_model.py
#   PY="$(models/python-env.sh models/export/requirements.txt)/bin/python"   # the exporter (torch)
#
# The venvs are made by uv (pinned below; itself installed once from PyPI into the tool cache,
# keyed by its version), which downloads in parallel: the exporter's 3.1 GB (torch and the CUDA
# libraries) installed in 32 s here against 156 s with pip, the same packages. Its download cache
# is the tool cache's uv-cache/, hard-linked into the venvs (no second copy on disk).
# Runs at the same time wait for one another on a lock (flock, where the system has it) and share
# one install.
#   models/python-env.sh --background models/export/requirements.txt
# starts that install at low priority (nice, ionice) and returns at once, logging to
# <venv>.log: `make test` overlaps the exporter's download with the jest suite, and
# test-export.sh's own call then waits for it. A failed install shows that log's last lines.
#
#   models/python-env.sh --lock models/export/requirements.in
# writes models/export/requirements.txt: the .in file's pins and every package they pull in,
# pinned, with the markers that make it hold on Linux, macOS and Windows (uv pip compile
# --universal), so two installs months apart get the same packages. Run it after changing a pin.
set -euo pipefail
UV_VERSION=0.13.9
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
background=0
compile=0
[ "${1:-}" = "--background" ] && { background=1; shift; }
[ "${1:-}" = "--lock" ] && { compile=1; shift; }
req="${1:-$here/requirements.txt}"
[ -f "$req" ] || { echo "python-env.sh: no requirements file $req" >&2; exit 2; }
hash="$(sha256sum "$req" | cut -c1-12)"
cache="${REELCAST_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reelcast/tools}"
venv="$cache/python-$hash"
mkdir -p "$cache"

if [ $background = 1 ]; then
  [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ] && exit 0
  # Without flock (macOS) two installs could not share: the first caller installs in the foreground.
  command -v flock >/dev/null 2>&1 || exit 0
  low=(nice -n 19)
  command -v ionice >/dev/null 2>&1 && low+=(ionice -c3)
  echo "python-env.sh: installing $(basename "$(dirname "$req")")/$(basename "$req") in the background; log: $venv.log" >&2
  REELCAST_PYTHON_ENV_LOGGED=1 nohup "${low[@]}" "$here/python-env.sh" "$req" >"$venv.log" 2>&1 </dev/null &
  exit 0
fi

# A failed install (this one, or one in the background before it) says where to look.
failed() {
  echo "python-env.sh: could not install $req into $venv (it needs python3 with venv and access to PyPI; the messages above say why)." >&2
  if [ -z "${REELCAST_PYTHON_ENV_LOGGED:-}" ] && [ -s "$venv.log" ]; then
    echo "python-env.sh: the last lines of the background install's log ($venv.log):" >&2
    tail -n 15 "$venv.log" | sed 's/^/  | /' >&2
  fi
}
trap 'failed' ERR

# Holds an exclusive lock on $1 until this script exits (fd $2).
lock() {
  command -v flock >/dev/null 2>&1 || return 0
  eval "exec $2>\"\$1\""
  flock "$2"
}

# uv, pinned, from PyPI into the tool cache (once per version).
uv_dir="$cache/uv-$UV_VERSION"
export UV_CACHE_DIR="$cache/uv-cache" UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
install_uv() {
  [ -f "$uv_dir/.complete" ] && return 0
  lock "$uv_dir.lock" 9
  if [ ! -f "$uv_dir/.complete" ]; then
    rm -rf "$uv_dir"
    python3 -m venv "$uv_dir" >&2
    "$uv_dir/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "uv==$UV_VERSION" >&2
    touch "$uv_dir/.complete"
  fi
}

if [ $compile = 1 ]; then
  case "$req" in *.in) ;; *) echo "python-env.sh --lock: expected a .in file, got $req" >&2; exit 2 ;; esac
  install_uv
  out="${req%.in}.txt"
  # 3.11: the oldest Python the exporter's packages support (diffusers needs it).
  "$uv_dir/bin/uv" pip compile --quiet --no-config --universal --python-version 3.11 \
    --custom-compile-command "models/python-env.sh --lock $req" \
    "$req" -o "$out" >&2
  echo "$out"
  exit 0
fi

if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  lock "$venv.lock" 8
  if [ ! -f "$venv/.complete" ]; then # another run may have made it while this one waited
    install_uv
    rm -rf "$venv"
    "$uv_dir/bin/uv" venv --quiet --no-config --python "$(command -v python3)" "$venv" >&2
    echo "python-env.sh: installing $(basename "$(dirname "$req")")/$(basename "$req") into $venv (once)" >&2
    "$uv_dir/bin/uv" pip install --quiet --no-config --python "$venv/bin/python" -r "$req" >&2
    touch "$venv/.complete"
    [ -n "${REELCAST_PYTHON_ENV_LOGGED:-}" ] || rm -f "$venv.log" # an earlier failure's log
  fi
fi
echo "$venv"
