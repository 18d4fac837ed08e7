"""Builds a tiny Wan2.2-TI2V-shaped checkpoint in the Diffusers layout, offline and reproducibly:

    PY="$(models/python-env.sh models/export/requirements.txt)/bin/python"
    "$PY" models/export/build_tiny.py --out /tmp/wan-tiny-diffusers

The same component classes as Wan-AI/Wan2.2-TI2V-5B-Diffusers (UMT5EncoderModel,
WanTransformer3DModel, AutoencoderKLWan, UniPCMultistepScheduler, a fast tokenizer) with small
configs and weights from fixed seeds, saved with WanPipeline.save_pretrained, so the exporter reads
it exactly as it reads the real one. The structure is TI2V-5B's: 48 latent channels, patch 1x2x2,
VAE stride 4x16x16 (patch 2 x three x2 upsamples), residual VAE, expand_timesteps. The latents'
mean and std are not 0 and 1, so a missing or misplaced normalisation shows in the parity test.
No hub access: the tokenizer is built here with the `tokenizers` library.

With --lora FILE it also writes a tiny random LoRA for that transformer (a "brand style"), in the
layout diffusers saves (`transformer.<layer>.lora_A/lora_B.weight`, rank and alpha in the
`lora_adapter_metadata`), on the attention and feed-forward layers of every block.

With --umt5-tokenizer DIR it also writes a tokenizer shaped like umT5's (Wan2.2's text encoder):
a SentencePiece Unigram model trained here on a small made-up corpus with byte fallback and
SentencePiece's nmt_nfkc normalisation (its precompiled charsmap), as tokenizer.json, and
cases.json: the ids Python's `tokenizers` (what diffusers runs) gives for prompts that exercise
that normalisation, whitespace, unknown characters and byte fallback. The TypeScript tokenizer
must give the same ids (test/unit/generate/umt5-tokenizer.test.ts).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

TEXT_DIM = 32
SEED = 20250815


def build(out):
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel

    from make_demo_model import tokenizer as demo_tokenizer  # the demo's offline Unigram vocabulary

    tok = demo_tokenizer()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )

    torch.manual_seed(SEED)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=tok.get_vocab_size(), d_model=TEXT_DIM, d_kv=8, num_heads=4, d_ff=64, num_layers=2,
            relative_attention_num_buckets=32, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        )
    ).eval()
    torch.manual_seed(SEED + 1)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=48, out_channels=48,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
    ).eval()
    # Random init leaves some weights at exactly 0/1 (norm gains, zero biases): perturb every
    # parameter so that each op's weights matter for the parity test.
    _jitter(transformer, SEED + 2)
    rng = np.random.default_rng(SEED + 3)
    torch.manual_seed(SEED + 4)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
        dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True],
        scale_factor_spatial=16, scale_factor_temporal=4,
        latents_mean=[round(float(x), 4) for x in rng.uniform(-1.0, 1.0, 48)],
        latents_std=[round(float(x), 4) for x in rng.uniform(0.5, 2.5, 48)],
    ).eval()
    _jitter(vae, SEED + 5)
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=5.0
    )
    pipe = WanPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
        transformer=transformer, expand_timesteps=True,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    return pipe


LORA_RANK = 4
LORA_ALPHA = 8
LORA_TARGETS = ["attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "attn2.to_q", "attn2.to_out.0",
                "ffn.net.0.proj", "ffn.net.2"]


def build_lora(transformer, path):
    """A random rank-4 LoRA, strong enough to change every step's latents visibly."""
    from safetensors.torch import save_file

    layers = dict(transformer.named_modules())
    g = torch.Generator().manual_seed(SEED + 6)
    weights = {}
    for block in range(len(transformer.blocks)):
        for target in LORA_TARGETS:
            name = f"blocks.{block}.{target}"
            layer = layers[name]
            weights[f"transformer.{name}.lora_A.weight"] = torch.randn(LORA_RANK, layer.in_features, generator=g) * 0.3
            weights[f"transformer.{name}.lora_B.weight"] = torch.randn(layer.out_features, LORA_RANK, generator=g) * 0.1
    meta = {"transformer.r": LORA_RANK, "transformer.lora_alpha": LORA_ALPHA,
            "transformer.target_modules": sorted(LORA_TARGETS)}
    save_file(weights, path, metadata={"format": "pt", "lora_adapter_metadata": json.dumps(meta, sort_keys=True)})


UMT5_CASES = [
    "a dog running on the beach at sunset",
    "  A Dog   RUNNING\ton the\nbeach ",
    "\uff21\uff22\uff23 \uff44\uff4f\uff47",  # full-width letters (NFKC)
    "\ufb01ne \u00bd \u2460 \u2122",  # ligature, fraction, circled digit, trade mark
    "caf\u00e9 cafe\u0301 na\u00efve",  # composed and decomposed accents
    "\u6d77 \u5915\u65e5 \u6771\u4eac\u306e\u732b",  # CJK, some not in the vocabulary
    "emoji \U0001f436\U0001f305 ok",  # not in the vocabulary: UTF-8 bytes
    "nbsp\u00a0here zw\u200bsp x\u3000y",
    "tilde \uff5e wave\u301c",
    "ctrl\u0007bell",
    "\u2581lead",
    "Stra\u00dfe \u00dcBER",
    "\u2026\u2025 \u216b \u337f \u3314",
]

# Where NFKC and the tokenizer's own table (precompiled_charsmap) part ways. `tokenizers`, which
# diffusers runs, is the reference here: for the halfwidth grapheme of 6 bytes it normalises a
# character at a time and so differs from SentencePiece itself, which these cases do not check.
UMT5_TABLE_CASES = [
    "\uff76\uff9e\uff72\uff84\uff9e sale",
    "\u1100\u1161\u11a8 \uac01",
    "\U0001f469\u200d\U0001f467 family",
    "x\u0301\u0302 \u00a8 \u02dc \u2002en\u2003em",
    "\u2474 \u2488 \u32c0 \u33a1 \ufe4d\ufe4e \u2033",
]


def build_umt5_tokenizer(out):
    """A Unigram tokenizer built the way umT5's is (see the module's docstring), and its cases."""
    import io
    import random

    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    words = ("a dog running on the beach at sunset golden hour waves cat city night neon rain street coffee "
             "morning light product showcase ink wash pixel animation caf\u00e9 na\u00efve cr\u00e8me "
             "br\u00fbl\u00e9e \u00fcber stra\u00dfe \u6d77 \u5915\u65e5 \u732b \u6771\u4eac ciudad noche").split()
    rng = random.Random(SEED + 7)
    corpus = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(3000)]
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=proto, vocab_size=340, model_type="unigram",
        byte_fallback=True, normalization_rule_name="nmt_nfkc", character_coverage=1.0,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, num_threads=1, minloglevel=2,
    )
    model = sentencepiece_model_pb2.ModelProto()
    model.ParseFromString(proto.getvalue())
    tok = Tokenizer(Unigram([(p.piece, p.score) for p in model.pieces], unk_id=2, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(model.normalizer_spec.precompiled_charsmap),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always"),
    ])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    sp = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    cases = []
    for text in UMT5_CASES + UMT5_TABLE_CASES:
        ids = tok.encode(text).ids
        # The tokenizer.json must tokenize as SentencePiece itself does (then appends </s>).
        if text in UMT5_CASES:
            assert ids == sp.encode(text) + [1], (text, ids, sp.encode(text))
        cases.append({"text": text, "ids": ids})
    from tokenizers import __version__ as tokenizers_version

    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as f:
        f.write(f'{{"tokenizers": "{tokenizers_version}", "cases": [\n')
        f.write(",\n".join(json.dumps(case, ensure_ascii=False) for case in cases))
        f.write("\n]}\n")


def _jitter(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory to write the Diffusers checkpoint into")
    ap.add_argument("--lora", help="also write a tiny random LoRA for its transformer to this .safetensors file")
    ap.add_argument("--umt5-tokenizer", help="also write an umT5-shaped tokenizer and its Python ids to this directory")
    args = ap.parse_args()
    if args.umt5_tokenizer:
        build_umt5_tokenizer(args.umt5_tokenizer)
        print(f"wrote {args.umt5_tokenizer}", file=sys.stderr)
    pipe = build(args.out)
    if args.lora:
        build_lora(pipe.transformer, args.lora)
        print(f"wrote {args.lora} ({os.path.getsize(args.lora) / 1e3:.1f} kB)", file=sys.stderr)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f"wrote {args.out} ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
