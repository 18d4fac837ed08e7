#!/usr/bin/env bash
# `make test-export`: rebuilds the tiny Wan2.2 checkpoint from its seeds, exports it with
# `reelcast model export`, records diffusers' WanPipeline outputs for it, and runs the parity test
# (test/unit/generate/wan-parity.test.ts) on the fresh copy; the same for the checkpoint with a
# tiny random LoRA merged (`model export --lora`, into wan-tiny/lora). Needs the exporter's venv (installed
# into the tool cache on first use: ~3 GB download). With --update it also replaces the committed
# fixture test/fixtures/wan-tiny with the fresh one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
start=$(date +%s)
py="$(models/python-env.sh models/export/requirements.txt)/bin/python"
work="$(mktemp -d "${TMPDIR:-/tmp}/reelcast-wan-tiny.XXXXXX")"
trap 'rm -rf "$work"' EXIT
ckpt="$work/wan2.2-tiny-diffusers"
"$py" models/export/build_tiny.py --out "$ckpt" --lora "$work/ink-wash.safetensors"
node bin/reelcast.js model export --from "$ckpt" --out "$work/wan-tiny/model" \
  --precision fp32 --frames 9 --text-tokens 16 --fps 8 --id wan2.2-tiny-test
"$py" models/export/reference.py --from "$ckpt" --out "$work/wan-tiny/reference"
node bin/reelcast.js model export --from "$ckpt" --out "$work/wan-tiny/lora/model" \
  --precision fp32 --frames 9 --text-tokens 16 --fps 8 --id wan2.2-tiny-test+ink-wash@0.8 \
  --lora "$work/ink-wash.safetensors" --lora-scale 0.8
"$py" models/export/reference.py --from "$ckpt" --out "$work/wan-tiny/lora/reference" \
  --lora "$work/ink-wash.safetensors" --lora-scale 0.8
WAN_TINY_DIR="$work/wan-tiny" npx jest test/unit/generate/wan-parity.test.ts
if [ "${1:-}" = "--update" ]; then
  rm -rf test/fixtures/wan-tiny
  cp -r "$work/wan-tiny" test/fixtures/wan-tiny
  echo "test-export: test/fixtures/wan-tiny updated ($(du -sh test/fixtures/wan-tiny | cut -f1))"
fi
echo "test-export: $(( $(date +%s) - start )) s"
