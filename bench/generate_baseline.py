"""Python baseline for bench/generate.bench.ts: the same clip as the TypeScript pipeline, with
onnxruntime + numpy on the same graphs, steps, seed, guidance, decode windows and ffmpeg master.

    PY="$(models/python-env.sh)/bin/python"
    "$PY" bench/generate_baseline.py --model models/demo --frames 16 --width 640 --height 480 \
        --steps 25 --guidance 7.5 --seed 42 --threads 2 --repeat 3 --out /tmp/py-master.mkv

Prints one JSON line: load and per-run wall times, per-step session.run and step times, the
sha256 of the frame bytes. With --serve it loads once, then runs one generation per line read
from stdin and prints one JSON line each, so the bench can alternate TypeScript and Python runs
(a shared machine's load then hits both alike). The noise and UniPC sampler are the independent numpy reference in
test/unit/generate/fixtures/make_fixtures.py (imported, not copied).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

sys.dont_write_bytecode = True  # no __pycache__ left in the test fixtures folder
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "unit", "generate", "fixtures"))
from make_fixtures import FlowUniPC, gaussian_noise  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    for name, default in (("frames", 16), ("width", 640), ("height", 480), ("steps", 25), ("seed", 42), ("threads", 2), ("repeat", 3)):
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--model", default="models/demo")
    ap.add_argument("--prompt", default="a bright summer sale banner with floating shapes")
    ap.add_argument("--negative", default="blurry, low quality")
    ap.add_argument("--out", default="/tmp/reelcast-py-master.mkv")
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()

    t_load = time.perf_counter()
    m = json.load(open(os.path.join(a.model, "manifest.json")))
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the TypeScript side
    sess = {k: ort.InferenceSession(os.path.join(a.model, g["files"]["fp32"]), so, providers=["CPUExecutionProvider"]) for k, g in m["graphs"].items()}
    tok = Tokenizer.from_file(os.path.join(a.model, m["tokenizer"]))
    load_s = time.perf_counter() - t_load

    if a.serve:
        print(json.dumps({"loadSeconds": load_s}), flush=True)
        for _ in sys.stdin:
            print(json.dumps(generate(a, m, sess, tok)), flush=True)
        return
    runs = []
    for _ in range(a.repeat):
        runs.append(generate(a, m, sess, tok))
    print(json.dumps({"loadSeconds": load_s, "runs": runs}))


def generate(a, m, sess, tok):
    t0 = time.perf_counter()
    L, C = m["textTokens"], m["latentChannels"]
    st, sh, sw = m["vaeStride"]
    ids = np.zeros((2, L), np.int64)
    mask = np.zeros((2, L), np.int64)
    for row, text in enumerate((a.prompt, a.negative)):
        e = tok.encode(text).ids[:L]
        ids[row, : len(e)] = e
        mask[row, : len(e)] = 1
    ctx = sess["textEncoder"].run(["hidden_states"], {"input_ids": ids, "attention_mask": mask})[0]

    T, h, w = (a.frames - 1 + st - 1) // st + 1, a.height // sh, a.width // sw
    x = gaussian_noise(a.seed, C * T * h * w).reshape(1, C, T, h, w)
    s = FlowUniPC(a.steps, m["scheduler"]["shift"])
    step_s, run_s = [], []
    for i in range(a.steps):
        t_step = time.perf_counter()
        feeds = {"latents": np.concatenate([x, x]), "timestep": np.full((2,), s.timesteps[i], np.float32), "encoder_hidden_states": ctx}
        t_run = time.perf_counter()
        v = sess["denoiser"].run(["noise_pred"], feeds)[0]
        run_s.append(time.perf_counter() - t_run)
        v = v[1:] + a.guidance * (v[:1] - v[1:])
        x = s.step(v, x)
        step_s.append(time.perf_counter() - t_step)

    t_decode = time.perf_counter()
    ff = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gbrp", "-s", f"{a.width}x{a.height}",
         "-framerate", str(m["fps"]), "-i", "pipe:0", "-an", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
         "-c:v", "ffv1", "-level", "3", "-g", "1", "-slices", "4", "-slicecrc", "1", "-pix_fmt", "gbrp", "-f", "matroska", a.out],
        stdin=subprocess.PIPE,
    )
    digest = hashlib.sha256()
    chunk, context = m["vaeDecode"]["chunkLatentFrames"], m["vaeDecode"]["contextLatentFrames"]
    chunk = chunk if chunk > 0 and context > 0 else T
    context = context if chunk < T else 0
    emitted = 0
    for start in range(0, T, chunk):
        if emitted >= a.frames:
            break
        lo, hi = max(0, start - context), min(T, start + chunk)
        video = sess["vaeDecoder"].run(["video"], {"latents": np.ascontiguousarray(x[:, :, lo:hi])})[0][0]
        skip = 0 if lo == start else st * (start - lo - 1) + 1
        keep = min(video.shape[1] - skip, a.frames - emitted)
        # float64 and round-half-even, as the TypeScript side's Uint8ClampedArray store does
        rgb = np.clip(np.rint((video[:, skip : skip + keep].astype(np.float64) + 1) * 127.5), 0, 255).astype(np.uint8)
        planes = np.ascontiguousarray(rgb[[1, 2, 0]].transpose(1, 0, 2, 3)).tobytes()  # gbrp per frame
        digest.update(planes)
        ff.stdin.write(planes)
        emitted += keep
    ff.stdin.close()
    if ff.wait() != 0:
        raise SystemExit("ffmpeg failed")
    return {"seconds": time.perf_counter() - t0, "decodeSeconds": time.perf_counter() - t_decode, "stepSeconds": step_s, "runSeconds": run_s, "framesSha256": digest.hexdigest()}


if __name__ == "__main__":
    main()
