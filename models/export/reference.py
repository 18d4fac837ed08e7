"""Reference outputs of diffusers' own WanPipeline for the parity test:

    "$PY" models/export/reference.py --from <tiny diffusers dir> --out test/fixtures/wan-tiny/reference

Runs WanPipeline (from_pretrained, as a user would) from the initial latents Reelcast draws for
the same seed (the numpy twin of activities/generate/noise.ts), for UniPC and flow-match Euler,
with and without guidance, and writes what the TypeScript test compares against: the text
embeddings, the latents after every step and the decoded frames, as raw little-endian float32
files described by reference.json. Deterministic (CPU, float32).

With --lora FILE [--lora-scale S] the transformer runs with that LoRA applied. diffusers' own
`pipe.load_lora_weights` needs the peft package, which the exporter's pinned venv does not have, so
the LoRA is applied here the way peft's LoraLayer computes it at run time, unmerged and written
independently of the exporter's merge: each targeted linear layer's output gets
scale * alpha / rank * (x @ A^T) @ B^T added by a forward hook.
"""

import argparse
import importlib.util
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# One prompt that needs WanPipeline's prompt_clean (double html.unescape, whitespace collapse).
PROMPT = "  a dog running on the beach at sunset &amp;amp; waves,\n golden   hour "
NEGATIVE = "low quality, blurry, static frame"
REQUEST = {"seed": 7, "frames": 9, "height": 32, "width": 64, "steps": 4, "shift": 5.0, "textTokens": 16}
CASES = [("unipc", 5.0), ("unipc", 1.0), ("euler", 5.0), ("euler", 1.0)]


def reelcast_noise(seed, count):
    spec = importlib.util.spec_from_file_location(
        "make_fixtures", os.path.join(ROOT, "test", "unit", "generate", "fixtures", "make_fixtures.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.gaussian_noise(seed, count)


def apply_lora(transformer, path, scale):
    """peft's unmerged LoRA forward, as hooks: y = W x + b + scale * alpha / r * B (A x)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    weights = load_file(path)
    with safe_open(path, framework="pt") as fh:
        meta = json.loads((fh.metadata() or {}).get("lora_adapter_metadata", "{}"))
    rank, alpha = meta.get("transformer.r"), meta.get("transformer.lora_alpha")
    layers = dict(transformer.named_modules())
    hooked = 0
    for key in weights:
        if not key.endswith(".lora_A.weight"):
            continue
        name = key[len("transformer."):-len(".lora_A.weight")]
        a = weights[key]
        b = weights[f"transformer.{name}.lora_B.weight"]
        factor = scale * (alpha if alpha is not None else a.shape[0]) / (rank if rank is not None else a.shape[0])

        def hook(_module, inputs, output, a=a, b=b, factor=factor):
            return output + factor * torch.nn.functional.linear(torch.nn.functional.linear(inputs[0], a), b)

        layers[name].register_forward_hook(hook)
        hooked += 1
    return hooked


def main():
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler, WanPipeline

    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lora", help="a LoRA .safetensors (diffusers layout) to apply to the transformer")
    ap.add_argument("--lora-scale", type=float, default=1.0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    pipe = WanPipeline.from_pretrained(args.src, torch_dtype=torch.float32)
    lora = None
    if args.lora:
        lora = {"file": os.path.basename(args.lora), "scale": args.lora_scale,
                "layers": apply_lora(pipe.transformer, args.lora, args.lora_scale)}
    r = REQUEST
    channels = pipe.transformer.config.in_channels
    st, ss = pipe.vae_scale_factor_temporal, pipe.vae_scale_factor_spatial
    shape = [1, channels, (r["frames"] - 1) // st + 1, r["height"] // ss, r["width"] // ss]
    noise = reelcast_noise(r["seed"], int(np.prod(shape))).reshape(shape)

    files = {}

    def write(name, array):
        a = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
        a.tofile(os.path.join(args.out, name + ".f32"))
        files[name] = {"file": name + ".f32", "shape": list(a.shape)}
        return name

    write("noise", noise)
    with torch.no_grad():
        pos, neg = pipe.encode_prompt(
            PROMPT, NEGATIVE, do_classifier_free_guidance=True, max_sequence_length=r["textTokens"]
        )
    write("text.prompt", pos.numpy())
    write("text.negative", neg.numpy())

    cases = []
    for kind, guidance in CASES:
        if kind == "unipc":
            pipe.scheduler = UniPCMultistepScheduler(
                prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000,
                flow_shift=r["shift"],
            )
        else:
            pipe.scheduler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=r["shift"])
        steps = []

        def on_step(_pipe, i, _t, kw, steps=steps):
            steps.append(kw["latents"].detach().numpy().copy())
            return {}

        out = pipe(
            prompt=PROMPT, negative_prompt=NEGATIVE, height=r["height"], width=r["width"], num_frames=r["frames"],
            num_inference_steps=r["steps"], guidance_scale=guidance, latents=torch.from_numpy(noise.copy()),
            max_sequence_length=r["textTokens"], output_type="np", callback_on_step_end=on_step,
        )
        name = f"{kind}.g{guidance:g}"
        cases.append({
            "name": name,
            "sampler": kind,
            "guidance": guidance,
            "sigmas": [float(s) for s in pipe.scheduler.sigmas],
            "timesteps": [float(t) for t in pipe.scheduler.timesteps],
            "latents": [write(f"{name}.latents.{i}", s) for i, s in enumerate(steps)],
            # [frames, height, width, 3] in [0, 1]: WanPipeline's output_type="np".
            "frames": write(f"{name}.frames", out.frames[0]),
        })
    with open(os.path.join(args.out, "reference.json"), "w") as fh:
        json.dump({"prompt": PROMPT, "negative": NEGATIVE, "request": r, "cases": cases, "tensors": files,
                   **({"lora": lora} if lora else {})}, fh, indent=1)
        fh.write("\n")
    print(f"reference: {len(cases)} cases in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
