#!/usr/bin/env bash
# Runs one benchmark of bench/: compiles the TypeScript into dist/bench, then
# runs the compiled file with the pinned Node. Benchmarks print numbers and ratios; none fails on
# time. Extra arguments go to the benchmark.
#
#   scripts/bench.sh                 the list of benchmarks
#   scripts/bench.sh plan            bench/plan.bench.ts
#   scripts/bench.sh transcode --quick
set -euo pipefail
cd "$(dirname "$0")/.."

names=$(cd bench && ls ./*.bench.ts | sed 's#^\./##; s#\.bench\.ts$##')
if [ $# = 0 ]; then
  echo "usage: scripts/bench.sh NAME [args...]   (or: make bench NAME=... ARGS=...)" >&2
  echo "benchmarks: $(echo $names)" >&2
  exit 2
fi
name=$1
shift
if ! grep -qx "$name" <<<"$names"; then
  echo "bench: no benchmark \"$name\"; there are: $(echo $names)" >&2
  exit 2
fi

[ -f node_modules/.reelcast-node-bin ] && PATH="$(cat node_modules/.reelcast-node-bin):$PATH"
npx tsc -p tsconfig.json --outDir dist/bench
exec node "dist/bench/bench/$name.bench.js" "$@"
