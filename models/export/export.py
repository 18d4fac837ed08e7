"""Exports a Diffusers Wan2.2 TI2V checkpoint to a Reelcast model directory (models/README.md):

    reelcast model export --from <diffusers dir> --out <model dir> [--precision fp16|fp32]
                          [--lora <style.safetensors> [--lora-scale S]]
    # or directly, in the exporter's venv:
    "$PY" models/export/export.py --from <diffusers dir> --out <model dir> [--precision fp16|fp32]

Reads each component with diffusers'/transformers' own classes (one at a time, so RAM holds one
model), and writes text_encoder.onnx, transformer.onnx, vae_decoder.onnx, tokenizer.json and
manifest.json. Graphs over 2 GB keep their weights in `<graph>.onnx.data` next to them.

Where an op does not export, it is rewritten here in an equivalent form (the parity test in
test/unit/generate/wan-parity.test.ts checks the exported graphs against diffusers' pipeline):
- RoPE: diffusers keeps float64 cos/sin tables and writes the rotated pairs with strided slice
  assignment; here the tables are float32 constants and the pairs are stacked and flattened.
- RMSNorm (attention q/k): torch.nn.RMSNorm has no ONNX op before opset 23; written out as
  x * rsqrt(mean(x^2) + eps) * weight, in float32.
- Timestep: TI2V feeds one timestep per latent token (expand_timesteps); the graph's `timestep`
  input is float32 [batch, tokens] as the pipeline builds it, tokens = T * (h/2) * (w/2).
- VAE decode: diffusers decodes one latent frame at a time with a Python-side feature cache (a
  list holding tensors, None and a "Rep" string). Exported as two graphs of one loop step each,
  the cache as tensors in and out (VaeDecoderStepExport): vae_decoder.onnx for the first latent
  frame, vae_decoder_step.onnx for each one after it. Clips of any length decode in the memory
  of one step, and frames stream to the encoder as they come; the exporter checks the steps
  against diffusers' decode of a whole clip before it writes them. Its
  nearest-exact x2 upsampling is exported as nearest (the same pixels for a factor of 2). The
  latents' mean/std (vae.config.latents_mean/std) are folded in: the graph takes the sampler's
  latents as diffusers' pipeline hands them to vae.decode after `latents / (1/std) + mean`.
- LoRA (--lora): a Wan2.2 LoRA (diffusers/PEFT layout, lora_A/lora_B or lora_down/lora_up, with
  an alpha per module or in diffusers' adapter metadata; the original Wan layout converted by
  diffusers' own WanPipeline.lora_state_dict) is merged into the transformer's linear layers
  before export, in float32: W += scale * alpha / rank * B @ A (a lora_B bias adds to the bias).
  The style is then its own model directory; its manifest records the LoRA's sha256 and scale.
- Text encoder: umT5 is kept in float32 whatever --precision says (T5 overflows in fp16), and
  the rows past the prompt's tokens are zeroed inside the graph, as WanPipeline does.
"""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

OPSET = 17
TWO_GB = 2 * 1024**3


def log(msg):
    print(f"export: {msg}", file=sys.stderr, flush=True)


class Fail(Exception):
    """A problem with the input a person can fix; printed without a traceback."""


# ---------------------------------------------------------------------------------------------
# Exportable rewrites


class RMSNormExport(torch.nn.Module):
    """torch.nn.RMSNorm written out (no ONNX RMSNormalization op before opset 23)."""

    def __init__(self, norm):
        super().__init__()
        self.eps = norm.eps if norm.eps is not None else torch.finfo(torch.float32).eps
        self.weight = norm.weight

    def forward(self, x):
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).type_as(x)


class RopeExport(torch.nn.Module):
    """WanRotaryPosEmbed with float32 tables: returns cos, sin as [1, tokens, 1, head_dim]."""

    def __init__(self, rope):
        super().__init__()
        self.patch_size = rope.patch_size
        self.split = [rope.t_dim, rope.h_dim, rope.w_dim]
        self.register_buffer("cos", rope.freqs_cos.float(), persistent=False)
        self.register_buffer("sin", rope.freqs_sin.float(), persistent=False)

    def forward(self, hidden_states):
        _, _, frames, height, width = hidden_states.shape
        p_t, p_h, p_w = self.patch_size
        ppf, pph, ppw = frames // p_t, height // p_h, width // p_w
        out = []
        for table in (self.cos, self.sin):
            f, h, w = table.split(self.split, dim=1)
            grid = torch.cat(
                [
                    f[:ppf].view(ppf, 1, 1, -1).expand(ppf, pph, ppw, -1),
                    h[:pph].view(1, pph, 1, -1).expand(ppf, pph, ppw, -1),
                    w[:ppw].view(1, 1, ppw, -1).expand(ppf, pph, ppw, -1),
                ],
                dim=-1,
            )
            out.append(grid.reshape(1, ppf * pph * ppw, 1, -1))
        return tuple(out)


def rotate(x, cos, sin):
    """diffusers' apply_rotary_emb with stack + flatten instead of strided assignment."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    c, s = cos[..., 0::2], sin[..., 1::2]
    return torch.stack([x1 * c - x2 * s, x1 * s + x2 * c], dim=-1).flatten(-2).type_as(x)


class AttnProcessorExport:
    """WanAttnProcessor for text-to-video (no image key/values), attention by plain SDPA."""

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None):
        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        q = attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (attn.heads, -1))
        k = attn.norm_k(attn.to_k(context)).unflatten(2, (attn.heads, -1))
        v = attn.to_v(context).unflatten(2, (attn.heads, -1))
        if rotary_emb is not None:
            q, k = rotate(q, *rotary_emb), rotate(k, *rotary_emb)
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        out = out.transpose(1, 2).flatten(2, 3).type_as(q)
        return attn.to_out[1](attn.to_out[0](out))


def make_transformer_exportable(transformer):
    if getattr(transformer.config, "image_dim", None) or getattr(transformer.config, "added_kv_proj_dim", None):
        raise Fail("this transformer takes image embeddings (an I2V model); Reelcast exports text-to-video (TI2V, T2V) models")
    transformer.rope = RopeExport(transformer.rope)
    for block in transformer.blocks:
        for attn in (block.attn1, block.attn2):
            attn.norm_q = RMSNormExport(attn.norm_q)
            attn.norm_k = RMSNormExport(attn.norm_k)
            attn.processor = AttnProcessorExport()
    return transformer


class TransformerExport(torch.nn.Module):
    def __init__(self, transformer):
        super().__init__()
        self.transformer = make_transformer_exportable(transformer)

    def forward(self, latents, timestep, encoder_hidden_states):
        return self.transformer(
            hidden_states=latents, timestep=timestep, encoder_hidden_states=encoder_hidden_states, return_dict=False
        )[0]


class TextEncoderExport(torch.nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        # WanPipeline keeps the first mask.sum() rows and zero-fills the rest: the mask is a prefix.
        return hidden * attention_mask.unsqueeze(-1).to(hidden.dtype)


class VaeDecoderStepExport(torch.nn.Module):
    """One latent frame of diffusers' AutoencoderKLWan._decode loop, with its feature cache as
    tensors in and out: `first` is the loop's i == 0 (first_chunk; no cache in; 1 frame out), else
    i >= 1 (the cache in as `cache_<k>`; stride_t frames out). Either writes the cache the next
    step takes as `next_cache_<k>`, every entry two frames long, so one step graph serves every
    i >= 1:
    - an entry the loop left one frame long (after i == 0) gets a zero frame in front: the causal
      convolution pads with zeros for the frames its cache lacks, so that is the same input;
    - the "Rep" sentinel of a time upsampler (i == 0 skips its time convolution) becomes two zero
      frames: at i == 1 diffusers runs that convolution with its zero padding and caches
      [zeros, x], which is what the zero cache gives.
    post_quant_conv (kernel 1), unpatchify and the clamp act on each frame alone."""

    def __init__(self, vae, first):
        super().__init__()
        self.vae = vae
        self.first = first
        z = vae.config.z_dim
        mean = torch.tensor(vae.config.latents_mean, dtype=torch.float32).view(1, z, 1, 1, 1)
        inv_std = 1.0 / torch.tensor(vae.config.latents_std, dtype=torch.float32).view(1, z, 1, 1, 1)
        self.register_buffer("mean", mean.to(vae.dtype), persistent=False)
        self.register_buffer("inv_std", inv_std.to(vae.dtype), persistent=False)
        from diffusers.models.autoencoders import autoencoder_kl_wan as wan_vae

        self.unpatchify = wan_vae.unpatchify
        self.upsampler_inputs = []
        for m in vae.decoder.modules():
            if isinstance(m, wan_vae.WanUpsample) and m.mode == "nearest-exact":
                if tuple(float(s) for s in m.scale_factor) != (2.0, 2.0):
                    raise Fail(f"VAE upsampling by {m.scale_factor}: only x2 is exported")
                m.mode = "nearest"  # floor((i + 0.5) / 2) == floor(i / 2): the same pixels at x2
            if first and isinstance(m, wan_vae.WanResample) and m.mode == "upsample3d":
                m.register_forward_pre_hook(lambda _m, args: self.upsampler_inputs.append(args[0]))

    def forward(self, latents, *cache):
        self.upsampler_inputs.clear()
        z = (latents / self.inv_std + self.mean).to(self.vae.dtype)
        x = self.vae.post_quant_conv(z)
        slots = self.vae._cached_conv_counts["decoder"]
        feat = [None] * slots if self.first else list(cache) + [None] * (slots - len(cache))
        used = [0]
        out = self.vae.decoder(x, feat_cache=feat, feat_idx=used, first_chunk=self.first)
        if self.vae.config.patch_size is not None:
            out = self.unpatchify(out, patch_size=self.vae.config.patch_size)
        out = torch.clamp(out, min=-1.0, max=1.0)
        upsampled = iter(self.upsampler_inputs)
        next_cache = []
        for entry in feat[: used[0]]:
            if isinstance(entry, str):  # "Rep"
                zero = torch.zeros_like(next(upsampled)[:, :, -1:])
                entry = torch.cat([zero, zero], 2)
            elif entry.shape[2] < 2:
                entry = torch.cat([torch.zeros_like(entry), entry], 2)
            next_cache.append(entry)
        return (out, *next_cache)


def check_vae_steps(vae, first, step, latent_frames=3):
    """The step graphs' arithmetic, before exporting it: latents decoded a frame at a time equal
    diffusers' own decode of the whole (a diffusers release that changes the loop fails here).
    Returns the number of cache entries."""
    z = vae.config.z_dim
    lat = torch.randn(1, z, latent_frames, 2, 2, generator=torch.Generator().manual_seed(0)).to(vae.dtype)
    with torch.no_grad():
        whole = vae.decode(lat / first.inv_std + first.mean, return_dict=False)[0].float()
        out, *cache = first(lat[:, :, :1])
        parts = [out]
        for i in range(1, latent_frames):
            out, *cache = step(lat[:, :, i : i + 1], *cache)
            parts.append(out)
    stepped = torch.cat(parts, 2).float()
    if stepped.shape != whole.shape:
        raise Fail(f"VAE step decode makes {tuple(stepped.shape)}, diffusers' decode {tuple(whole.shape)}")
    err = float((stepped - whole).abs().max())
    limit = 1e-5 if vae.dtype == torch.float32 else 2e-2
    if err > limit:
        raise Fail(f"VAE step decode differs from diffusers' decode by {err:.2e} (limit {limit:.0e}): "
                   "this diffusers release decodes differently; see models/export/export.py")
    log(f"VAE step decode = diffusers' decode over {latent_frames} latent frames (max difference {err:.1e})")
    return len(cache)


# ---------------------------------------------------------------------------------------------
# Export


# ---------------------------------------------------------------------------------------------
# LoRA


def read_lora(path):
    """The LoRA as {module: (A [r, in], B [out, r], alpha or None, B bias or None)}, keys relative to
    the transformer. Layouts: diffusers/PEFT (`transformer.<module>.lora_A.weight`), kohya-style
    (`lora_down`/`lora_up` + `.alpha`) and the original Wan one (`diffusion_model.`, converted by
    diffusers' WanPipeline.lora_state_dict)."""
    from diffusers import WanPipeline
    from safetensors import safe_open

    if not os.path.isfile(path):
        raise Fail(f"--lora {path}: no such file")
    try:
        with safe_open(path, framework="pt") as fh:
            meta = fh.metadata() or {}
        sd = WanPipeline.lora_state_dict(path)
    except Exception as err:  # noqa: BLE001 - a broken file is the user's to fix
        raise Fail(f"--lora {path}: not a LoRA safetensors file diffusers can read ({err})") from err
    default_alpha = None
    if meta.get("lora_adapter_metadata"):
        cfg = json.loads(meta["lora_adapter_metadata"])
        if cfg.get("transformer.alpha_pattern") or cfg.get("transformer.rank_pattern"):
            raise Fail(f"--lora {path}: per-module alpha/rank patterns are not supported; merge it with peft first")
        if cfg.get("transformer.lora_alpha") is not None:
            default_alpha = float(cfg["transformer.lora_alpha"])
    modules = {}
    unknown = []
    for key, value in sd.items():
        name = key[len("transformer."):] if key.startswith("transformer.") else key
        name = name.replace(".lora_down.", ".lora_A.").replace(".lora_up.", ".lora_B.")
        for suffix, slot in ((".lora_A.weight", 0), (".lora_B.weight", 1), (".alpha", 2), (".lora_B.bias", 3)):
            if name.endswith(suffix):
                entry = modules.setdefault(name[: -len(suffix)], [None, None, None, None])
                entry[slot] = value.float() if slot != 2 else float(value)
                break
        else:
            unknown.append(key)
    if unknown:
        raise Fail(f"--lora {path}: {len(unknown)} keys are not LoRA weights of the transformer, e.g. {unknown[:3]}")
    if not modules:
        raise Fail(f"--lora {path}: holds no LoRA weights")
    for name, (a, b, _alpha, _bias) in modules.items():
        if a is None or b is None:
            raise Fail(f"--lora {path}: {name} has only one of lora_A/lora_B")
    return {name: (a, b, alpha if alpha is not None else default_alpha, bias)
            for name, (a, b, alpha, bias) in modules.items()}


def merge_lora(transformer, lora, scale, path):
    """W += scale * alpha / rank * B @ A in each named linear layer (float32); returns the count."""
    layers = dict(transformer.named_modules())
    with torch.no_grad():
        for name, (a, b, alpha, bias) in sorted(lora.items()):
            layer = layers.get(name)
            if not isinstance(layer, torch.nn.Linear):
                what = "no such layer" if layer is None else f"a {type(layer).__name__}, not a linear layer"
                raise Fail(f"--lora {path}: {name}: {what} in this transformer (a LoRA for another model?)")
            rank = a.shape[0]
            if a.shape[1] != layer.in_features or b.shape != (layer.out_features, rank):
                raise Fail(f"--lora {path}: {name}: A {tuple(a.shape)} and B {tuple(b.shape)} do not fit "
                           f"[{layer.out_features}, {layer.in_features}] (a LoRA for another model size?)")
            factor = scale * (alpha / rank if alpha is not None else 1.0)
            layer.weight.add_((factor * (b @ a)).to(layer.weight.dtype))
            if bias is not None:
                if layer.bias is None:
                    raise Fail(f"--lora {path}: {name}: a lora_B bias for a layer without bias")
                layer.bias.add_((factor * bias).to(layer.bias.dtype))
    return len(lora)


def file_sha256(path):
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_graph(module, args, path, input_names, output_names, dynamic_axes):
    """TorchScript export (opset 17) to a temp file, then saved with external data when > 2 GB."""
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "graph.onnx")
        with torch.no_grad():
            torch.onnx.export(
                module, args, raw, dynamo=False, opset_version=OPSET, input_names=input_names,
                output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True,
            )
        model = onnx.load(raw, load_external_data=True)
        size = sum(t.ByteSize() for t in model.graph.initializer)
        name = os.path.basename(path)
        for stale in (path, path + ".data"):
            if os.path.exists(stale):
                os.remove(stale)
        if size > TWO_GB * 0.9:
            onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=name + ".data", size_threshold=1024)
        else:
            onnx.save_model(model, path)
    log(f"wrote {name} ({size / 1e6:.1f} MB of weights{', external data' if size > TWO_GB * 0.9 else ''})")


def read_json(path, what):
    if not os.path.isfile(path):
        raise Fail(f"{path} not found: --from must be a Diffusers checkpoint directory ({what})")
    with open(path) as fh:
        return json.load(fh)


def scheduler_settings(src):
    cfg = read_json(os.path.join(src, "scheduler", "scheduler_config.json"), "scheduler/scheduler_config.json")
    cls = cfg.get("_class_name")
    if cls == "UniPCMultistepScheduler":
        if cfg.get("prediction_type") != "flow_prediction" or not cfg.get("use_flow_sigmas"):
            raise Fail("scheduler: UniPC without flow_prediction/use_flow_sigmas is not a Wan flow scheduler")
        kind, shift = "unipc", cfg.get("flow_shift", 1.0)
    elif cls == "FlowMatchEulerDiscreteScheduler":
        kind, shift = "euler", cfg.get("shift", 1.0)
    else:
        raise Fail(f"scheduler: {cls} is not supported (UniPCMultistepScheduler or FlowMatchEulerDiscreteScheduler)")
    return {
        "kind": kind,
        "shift": float(shift),
        # Not in the checkpoint: WanPipeline's and Wan2.2 TI2V-5B's defaults.
        "steps": 50,
        "guidance": 5.0,
        "numTrainTimesteps": int(cfg.get("num_train_timesteps", 1000)),
    }


def export(src, out, precision, text_tokens, model_id, fps, lora=None, lora_scale=1.0):
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import AutoTokenizer, UMT5EncoderModel

    index = read_json(os.path.join(src, "model_index.json"), "model_index.json")
    if index.get("_class_name") != "WanPipeline":
        raise Fail(f"{src}: model_index.json names {index.get('_class_name')}, expected WanPipeline (Wan2.2 TI2V/T2V)")
    if index.get("transformer_2") and index["transformer_2"][0]:
        raise Fail(f"{src}: a two-expert (A14B) checkpoint; Reelcast's contract has one denoiser (TI2V-5B)")
    expand = bool(index.get("expand_timesteps"))
    dtype = torch.float16 if precision == "fp16" else torch.float32
    weights = read_lora(lora) if lora else None  # a broken LoRA fails before any work is done
    os.makedirs(out, exist_ok=True)
    files = {}

    # Tokenizer: the fast tokenizer's tokenizer.json, read offline by the pipeline.
    tok = AutoTokenizer.from_pretrained(os.path.join(src, "tokenizer"))
    if not tok.is_fast:
        raise Fail("tokenizer: no fast (tokenizer.json) form; install `tokenizers` and retry")
    tok.backend_tokenizer.save(os.path.join(out, "tokenizer.json"))

    t0 = time.time()
    # Eager attention, and a trace with padding in it: with an all-ones mask transformers' mask
    # helpers take their no-padding shortcut and the traced graph would ignore the mask.
    enc = UMT5EncoderModel.from_pretrained(
        os.path.join(src, "text_encoder"), torch_dtype=torch.float32, attn_implementation="eager"
    ).eval()
    text_dim = enc.config.d_model
    ids = torch.ones(2, text_tokens, dtype=torch.int64)
    mask = torch.ones(2, text_tokens, dtype=torch.int64)
    mask[1, text_tokens // 2:] = 0
    save_graph(TextEncoderExport(enc), (ids, mask), os.path.join(out, "text_encoder.onnx"),
               ["input_ids", "attention_mask"], ["hidden_states"],
               {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "hidden_states": {0: "batch"}})
    del enc
    log(f"text encoder in {time.time() - t0:.0f} s")

    t0 = time.time()
    lora_info = None
    if lora:
        # Merged in float32 whatever the precision, then cast: the low-rank product is small.
        tr = WanTransformer3DModel.from_pretrained(os.path.join(src, "transformer"), torch_dtype=torch.float32).eval()
        count = merge_lora(tr, weights, lora_scale, lora)
        tr = tr.to(dtype)
        lora_info = {"file": os.path.basename(lora), "sha256": file_sha256(lora), "scale": lora_scale,
                     "layers": count}
        log(f"merged LoRA {os.path.basename(lora)} (scale {lora_scale:g}) into {count} layers")
    else:
        tr = WanTransformer3DModel.from_pretrained(os.path.join(src, "transformer"), torch_dtype=dtype).eval()
    channels = tr.config.in_channels
    patch = list(tr.config.patch_size)
    if tr.config.text_dim != text_dim:
        raise Fail(f"transformer text_dim {tr.config.text_dim} != text encoder width {text_dim}")
    vae_cfg = read_json(os.path.join(src, "vae", "config.json"), "vae/config.json")
    st = int(vae_cfg.get("scale_factor_temporal", 4))
    ss = int(vae_cfg.get("scale_factor_spatial", 8))
    # Trace at a small grid; every axis stays symbolic.
    lat = torch.randn(1, channels, 2, 2 * patch[1], 2 * patch[2], dtype=dtype)
    tokens = 2 * 2 * 2
    ts = torch.full((1, tokens) if expand else (1,), 500.0, dtype=torch.float32)
    ctx = torch.randn(1, text_tokens, text_dim, dtype=dtype)
    grid = {0: "batch", 2: "latent_frames", 3: "latent_height", 4: "latent_width"}
    save_graph(TransformerExport(tr), (lat, ts, ctx), os.path.join(out, "transformer.onnx"),
               ["latents", "timestep", "encoder_hidden_states"], ["noise_pred"],
               {"latents": grid, "timestep": {0: "batch", 1: "tokens"} if expand else {0: "batch"},
                "encoder_hidden_states": {0: "batch"}, "noise_pred": grid})
    del tr
    log(f"transformer in {time.time() - t0:.0f} s")

    t0 = time.time()
    vae = AutoencoderKLWan.from_pretrained(os.path.join(src, "vae"), torch_dtype=dtype).eval()
    z = vae.config.z_dim
    if z != channels:
        raise Fail(f"VAE z_dim {z} != transformer in_channels {channels}")
    first, step = VaeDecoderStepExport(vae, first=True), VaeDecoderStepExport(vae, first=False)
    caches = check_vae_steps(vae, first, step)
    lat = torch.randn(1, z, 1, 2, 2, dtype=dtype)
    with torch.no_grad():
        _, *cache = first(lat)
    names = [f"cache_{k}" for k in range(caches)]
    nexts = [f"next_{n}" for n in names]
    grid = {3: "latent_height", 4: "latent_width"}
    cache_axes = {k: {3: f"cache_{k}_height", 4: f"cache_{k}_width"} for k in range(caches)}
    save_graph(first, (lat,), os.path.join(out, "vae_decoder.onnx"), ["latents"], ["video", *nexts],
               {"latents": grid, "video": {3: "height", 4: "width"},
                **{nexts[k]: cache_axes[k] for k in range(caches)}})
    save_graph(step, (lat, *cache), os.path.join(out, "vae_decoder_step.onnx"), ["latents", *names],
               ["video", *nexts],
               {"latents": grid, "video": {3: "height", 4: "width"},
                **{names[k]: cache_axes[k] for k in range(caches)},
                **{nexts[k]: cache_axes[k] for k in range(caches)}})
    cache_dims = [[1, int(c.shape[1]), 2, f"cache_{k}_height", f"cache_{k}_width"] for k, c in enumerate(cache)]
    del vae, first, step
    log(f"VAE decoder (first latent frame, then one at a time with {caches} cache tensors) in {time.time() - t0:.0f} s")

    graph_files = {"textEncoder": "text_encoder.onnx", "denoiser": "transformer.onnx", "vaeDecoder": "vae_decoder.onnx",
                   "vaeDecoderStep": "vae_decoder_step.onnx"}
    for key, name in graph_files.items():
        files[key] = {precision: name}
    latent_dims = ["batch", channels, "latent_frames", "latent_height", "latent_width"]
    vae_latents = [1, channels, 1, "latent_height", "latent_width"]
    manifest = {
        "schemaVersion": 1,
        "id": model_id,
        "description": f"Wan2.2 exported from {os.path.basename(os.path.abspath(src))} by models/export/export.py "
                       f"({precision}; text encoder fp32; VAE decoded a latent frame at a time"
                       + (f"; LoRA {lora_info['file']} merged at scale {lora_scale:g}" if lora_info else "") + ")",
        "tokenizer": "tokenizer.json",
        "textTokens": text_tokens,
        "textDim": text_dim,
        "latentChannels": channels,
        "vaeStride": [st, ss, ss],
        "patch": patch,
        "fps": fps,
        "graphs": {
            "textEncoder": {
                "files": files["textEncoder"],
                "inputs": {"input_ids": ["batch", text_tokens], "attention_mask": ["batch", text_tokens]},
                "outputs": {"hidden_states": ["batch", text_tokens, text_dim]},
            },
            "denoiser": {
                "files": files["denoiser"],
                "guidanceBatch": 2,
                "inputs": {
                    "latents": latent_dims,
                    "timestep": ["batch", "tokens"] if expand else ["batch"],
                    "encoder_hidden_states": ["batch", text_tokens, text_dim],
                },
                "outputs": {"noise_pred": latent_dims},
            },
            "vaeDecoder": {
                "files": files["vaeDecoder"],
                "inputs": {"latents": vae_latents},
                "outputs": {"video": [1, 3, 1, "height", "width"], **dict(zip(nexts, cache_dims))},
            },
            "vaeDecoderStep": {
                "files": files["vaeDecoderStep"],
                "inputs": {"latents": vae_latents, **dict(zip(names, cache_dims))},
                "outputs": {"video": [1, 3, st, "height", "width"], **dict(zip(nexts, cache_dims))},
            },
        },
        "vaeDecode": {"chunkLatentFrames": 1, "contextLatentFrames": 0},
        "scheduler": scheduler_settings(src),
        **({"lora": lora_info} if lora_info else {}),
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description="Export a Diffusers Wan2.2 TI2V checkpoint to a Reelcast model directory.")
    ap.add_argument("--from", dest="src", required=True, help="Diffusers checkpoint directory (model_index.json)")
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--precision", choices=["fp16", "fp32"], default="fp16")
    ap.add_argument("--text-tokens", type=int, default=512, help="prompt length in tokens (WanPipeline: 512)")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--id", help="model id for the manifest (goes into every clip's content hash)")
    ap.add_argument("--lora", help="a Wan2.2 LoRA (.safetensors) to merge into the transformer: a brand style")
    ap.add_argument("--lora-scale", type=float, default=1.0, help="strength of the LoRA (default 1)")
    args = ap.parse_args(argv)
    model_id = args.id or f"{os.path.basename(os.path.abspath(args.src)).lower()}-onnx-{args.precision}"
    if args.lora and not args.id:
        stem = os.path.splitext(os.path.basename(args.lora))[0].lower()
        model_id += f"+{stem}@{args.lora_scale:g}"
    t0 = time.time()
    export(os.path.abspath(args.src), os.path.abspath(args.out), args.precision, args.text_tokens,
           model_id, args.fps, os.path.abspath(args.lora) if args.lora else None, args.lora_scale)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    log(f"done in {time.time() - t0:.0f} s: {args.out} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    try:
        main()
    except Fail as err:
        print(f"export: {err}", file=sys.stderr)
        sys.exit(2)
