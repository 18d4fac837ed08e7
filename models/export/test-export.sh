#!/usr/bin/env bash
# `make test-export`: rebuilds the tiny Wan2.2 checkpoint from its seeds, exports it with
# `reelcast model export`, records diffusers' WanPipeline outputs for it, and runs the parity test
# (test/unit/generate/wan-parity.test.ts) on the fresh copy; the same for the checkpoint with a
# tiny random LoRA merged (`model export --lora`, into wan-tiny/lora); and the umT5-shaped
# tokenizer's ids (umt5-tokenizer.test.ts, from wan-tiny/umt5-tokenizer). Needs the exporter's venv (installed
# into the tool cache on first use: 3.1 GB download; `make test` starts that install in the
# background before its jest suite and runs this script after it, see scripts/run-tests.js). With
# --update it also replaces the committed fixture test/fixtures/wan-tiny with the fresh one.
# REELCAST_JEST_JSON=<file>: the parity test's jest results also go there as JSON (run-tests.js).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
start=$(date +%s)
stage="installing the exporter's Python packages (models/export/requirements.txt)"
trap 'echo "test-export: FAILED while $stage; the lines above say why." >&2' ERR
venv="$(models/python-env.sh models/export/requirements.txt)"
py="$venv/bin/python"
echo "test-export: exporter venv ready after $(( $(date +%s) - start )) s ($venv)"
work="$(mktemp -d "${TMPDIR:-/tmp}/reelcast-wan-tiny.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="building the tiny Wan2.2 checkpoint and exporting it"
ckpt="$work/wan2.2-tiny-diffusers"
"$py" models/export/build_tiny.py --out "$ckpt" --lora "$work/ink-wash.safetensors" \
  --umt5-tokenizer "$work/wan-tiny/umt5-tokenizer"
node bin/reelcast.js model export --from "$ckpt" --out "$work/wan-tiny/model" \
  --precision fp32 --text-tokens 16 --fps 8 --id wan2.2-tiny-test
"$py" models/export/reference.py --from "$ckpt" --out "$work/wan-tiny/reference"
node bin/reelcast.js model export --from "$ckpt" --out "$work/wan-tiny/fp16/model" \
  --precision fp16 --text-tokens 16 --fps 8 --id wan2.2-tiny-test-fp16
node bin/reelcast.js model export --from "$ckpt" --out "$work/wan-tiny/lora/model" \
  --precision fp32 --text-tokens 16 --fps 8 --id wan2.2-tiny-test+ink-wash@0.8 \
  --lora "$work/ink-wash.safetensors" --lora-scale 0.8
"$py" models/export/reference.py --from "$ckpt" --out "$work/wan-tiny/lora/reference" \
  --lora "$work/ink-wash.safetensors" --lora-scale 0.8
stage="running the parity tests (wan-parity, umt5-tokenizer) on the fresh export"
json=()
[ -n "${REELCAST_JEST_JSON:-}" ] && json=(--json "--outputFile=$REELCAST_JEST_JSON")
WAN_TINY_DIR="$work/wan-tiny" node "$(node -p 'require.resolve("jest/bin/jest")')" --ci ${json[@]+"${json[@]}"} \
  test/unit/generate/wan-parity.test.ts test/unit/generate/umt5-tokenizer.test.ts
if [ "${1:-}" = "--update" ]; then
  rm -rf test/fixtures/wan-tiny
  cp -r "$work/wan-tiny" test/fixtures/wan-tiny
  echo "test-export: test/fixtures/wan-tiny updated ($(du -sh test/fixtures/wan-tiny | cut -f1))"
fi
echo "test-export: $(( $(date +%s) - start )) s"
