"""Makes the tiny demo model set in models/demo/ (run from the repository root):

    PY="$(models/python-env.sh)/bin/python"; "$PY" models/make_demo_model.py

The graphs follow the Wan2.2 TI2V-5B contract (names, ranks, the shape rules) scaled down, with
random weights from a fixed seed: text encoder (input_ids, attention_mask -> hidden_states),
denoiser (latents [B,C,T,H,W], timestep [B], encoder_hidden_states -> noise_pred), VAE decoder
(latents -> video [B,3,F,H*16,W*16] in [-1,1], F = 4*(T-1)+1). It produces abstract moving colour,
not real video. Running the script twice gives the same bytes.
"""

import json
import os
import sys


import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo")
OPSET = 17

# Wan2.2 TI2V-5B -> demo: 48 -> 16 latent channels, umT5 4096 x 512 -> 64 x 32 tokens,
# same VAE stride 4x16x16 and patch 1x2x2, so the frame/size rules are the real ones.
LATENT_CHANNELS = 16
TEXT_DIM = 64
TEXT_TOKENS = 32
HIDDEN = 64
PATCH = (1, 2, 2)
VAE_STRIDE = (4, 16, 16)
VAE_HIDDEN = 16
FREQ_DIM = 32

CORPUS = [
    "a bright summer sale banner with floating shapes and warm colours",
    "happy holidays from our team, snow falling over a cozy cabin at night",
    "new collection launch: sneakers spinning slowly on a pastel background",
    "black friday deals, bold neon letters pulsing to the beat",
    "spring campaign with blooming flowers, soft light and a calm ocean",
    "coffee pouring into a cup, steam rising, morning light in the kitchen",
    "celebrate the new year with fireworks over the city skyline",
    "valentine hearts drifting across a pink sky, cinematic, slow motion",
    "back to school: notebooks, pencils and a sunny classroom",
    "halloween pumpkins glowing in a misty forest, spooky and playful",
    "low quality, blurry, distorted, watermark, text artifacts, static frame",
    "overexposed, worst quality, jpeg artifacts, ugly, deformed, still picture",
    "product close up rotating on a turntable, studio lighting, 4k",
    "a dog running on the beach at sunset, waves, golden hour",
    "mountain landscape timelapse with clouds moving fast",
]


class Graph:
    """A tiny ONNX graph builder: deterministic names, weights from one seeded generator."""

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array, hint="c"):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, shape, scale, hint="w"):
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32), hint)

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def linear(self, x, fan_in, fan_out, scale=1.0, bias=True):
        y = self.op("MatMul", [x, self.weight((fan_in, fan_out), scale / np.sqrt(fan_in))])
        return self.op("Add", [y, self.weight((fan_out,), 0.02, "b")]) if bias else y

    def layer_norm(self, x, dim):
        return self.op(
            "LayerNormalization",
            [x, self.const(np.ones(dim, np.float32)), self.const(np.zeros(dim, np.float32))],
            axis=-1,
            epsilon=1e-6,
        )

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def dims(self, x, indices):
        """int64 [len(indices)] tensor holding the runtime sizes of x at those axes."""
        return self.op("Gather", [self.op("Shape", [x]), self.const(np.array(indices, np.int64))], axis=0)

    def model(self, inputs, outputs):
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="reelcast")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def text_encoder(rng):
    g = Graph("text_encoder", rng)
    vocab = VOCAB_SIZE
    emb = g.weight((vocab, TEXT_DIM), 1.0, "token_embedding")
    pos = g.weight((TEXT_TOKENS, TEXT_DIM), 0.1, "position_embedding")
    x = g.op("Add", [g.op("Gather", [emb, "input_ids"], axis=0), pos])
    # One masked self-attention layer and an MLP: enough to make every token depend on the prompt.
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [g.const(np.float32(1)), mask]), g.const(np.float32(-1e4))])
    bias = g.op("Unsqueeze", [bias, g.const(np.array([1], np.int64))])  # [B,1,L]
    h = g.layer_norm(x, TEXT_DIM)
    q, k, v = (g.linear(h, TEXT_DIM, TEXT_DIM) for _ in range(3))
    scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])])
    scores = g.op("Add", [g.op("Mul", [scores, g.const(np.float32(1 / np.sqrt(TEXT_DIM)))]), bias])
    attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    x = g.op("Add", [x, g.linear(attn, TEXT_DIM, TEXT_DIM)])
    h = g.layer_norm(x, TEXT_DIM)
    x = g.op("Add", [x, g.linear(g.silu(g.linear(h, TEXT_DIM, 2 * TEXT_DIM)), 2 * TEXT_DIM, TEXT_DIM)])
    x = g.layer_norm(x, TEXT_DIM)
    # Wan zeroes the context past the prompt's tokens; the denoiser sees the same.
    out = g.op("Mul", [x, g.op("Unsqueeze", [mask, g.const(np.array([2], np.int64))])])
    g.nodes.append(helper.make_node("Identity", [out], ["hidden_states"]))
    return g.model(
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", TEXT_TOKENS]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", TEXT_TOKENS]),
        ],
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", TEXT_TOKENS, TEXT_DIM])],
    )


def denoiser(rng):
    g = Graph("denoiser", rng)
    c, d = LATENT_CHANNELS, HIDDEN
    # Patch embedding as Wan does it: a Conv3d with kernel = stride = patch.
    pe_w = g.weight((d, c, *PATCH), 1 / np.sqrt(c * 4), "patch_embedding")
    grid = g.op("Conv", ["latents", pe_w, g.weight((d,), 0.02, "b")], kernel_shape=list(PATCH), strides=list(PATCH))
    grid_dims = g.dims(grid, [2, 3, 4])  # T, H/2, W/2
    tokens = g.op("Transpose", [g.op("Reshape", [grid, g.const(np.array([0, 0, -1], np.int64))])], perm=[0, 2, 1])

    # Timestep: sinusoidal embedding -> MLP -> scale and shift (Wan's adaLN modulation, one block).
    half = FREQ_DIM // 2
    freqs = np.exp(-np.log(10000.0) * np.arange(half, dtype=np.float32) / half).astype(np.float32)
    t = g.op("Cast", ["timestep"], to=TensorProto.FLOAT)
    angles = g.op("Mul", [g.op("Unsqueeze", [t, g.const(np.array([1], np.int64))]), g.const(freqs)])
    temb = g.op("Concat", [g.op("Cos", [angles]), g.op("Sin", [angles])], axis=1)
    temb = g.linear(g.silu(g.linear(temb, FREQ_DIM, d)), d, 4 * d, scale=0.3)
    temb = g.op("Unsqueeze", [temb, g.const(np.array([1], np.int64))])  # [B,1,4d]
    scale1, shift1, scale2, shift2 = (
        g.op("Slice", [temb, g.const(np.array([i * d], np.int64)), g.const(np.array([(i + 1) * d], np.int64)), g.const(np.array([2], np.int64))])
        for i in range(4)
    )

    def modulate(x, scale, shift):
        return g.op("Add", [g.op("Mul", [g.layer_norm(x, d), g.op("Add", [scale, g.const(np.float32(1))])]), shift])

    # Cross-attention from every latent token to the text context.
    ctx = g.linear("encoder_hidden_states", TEXT_DIM, d)
    h = modulate(tokens, scale1, shift1)
    q = g.linear(h, d, d, bias=False)
    k = g.linear(ctx, d, d, bias=False)
    v = g.linear(ctx, d, d, bias=False)
    scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])]), g.const(np.float32(1 / np.sqrt(d)))])
    attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    x = g.op("Add", [tokens, g.linear(attn, d, d)])
    h = modulate(x, scale2, shift2)
    x = g.op("Add", [x, g.linear(g.silu(g.linear(h, d, 2 * d)), 2 * d, d)])

    # Head back to the latent grid: tokens -> [B,d,T,h,w] -> ConvTranspose (the unpatchify).
    x = g.op("Transpose", [g.layer_norm(x, d)], perm=[0, 2, 1])
    bd = g.const(np.array([0, d], np.int64))
    x = g.op("Reshape", [x, g.op("Concat", [bd, grid_dims], axis=0)])
    head_w = g.weight((d, c, *PATCH), 0.5 / np.sqrt(d), "head")
    out = g.op("ConvTranspose", [x, head_w, g.weight((c,), 0.02, "b")], kernel_shape=list(PATCH), strides=list(PATCH))
    g.nodes.append(helper.make_node("Identity", [out], ["noise_pred"]))
    return g.model(
        [
            helper.make_tensor_value_info("latents", TensorProto.FLOAT, ["batch", c, "latent_frames", "latent_height", "latent_width"]),
            helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", TEXT_TOKENS, TEXT_DIM]),
        ],
        [helper.make_tensor_value_info("noise_pred", TensorProto.FLOAT, ["batch", c, "latent_frames", "latent_height", "latent_width"])],
    )


def vae_decoder(rng):
    g = Graph("vae_decoder", rng)
    c, st, sh, sw = LATENT_CHANNELS, *VAE_STRIDE
    # Causal in time (kernel 2 looks one latent frame back), like Wan's causal VAE: decoding a
    # window with one latent frame of context before it gives the same frames as decoding all.
    w1 = g.weight((VAE_HIDDEN, c, 2, 3, 3), 1 / np.sqrt(c * 18), "conv_in")
    h = g.op("Conv", ["latents", w1, g.weight((VAE_HIDDEN,), 0.02, "b")], kernel_shape=[2, 3, 3], pads=[1, 1, 1, 0, 1, 1])
    h = g.silu(h)
    w2 = g.weight((3 * st, VAE_HIDDEN, 1, 1, 1), 1.2 / np.sqrt(VAE_HIDDEN), "conv_out")
    h = g.op("Conv", [h, w2, g.weight((3 * st,), 0.1, "b")], kernel_shape=[1, 1, 1])  # [B,3*4,T,h,w]
    # A fixed Gaussian blur per channel (space only, so windows still decode exactly): soft blobs
    # of colour rather than per-latent-pixel noise. Gain 2.5 restores the contrast it takes away.
    ax = np.exp(-0.5 * (np.arange(-2, 3) / 1.2) ** 2)
    k2 = np.outer(ax, ax) / np.outer(ax, ax).sum() * 2.5
    blur = np.tile(k2.astype(np.float32)[None, None, None], (3 * st, 1, 1, 1, 1))
    h = g.op("Conv", [h, g.const(blur, "blur")], kernel_shape=[1, 5, 5], pads=[0, 2, 2, 0, 2, 2], group=3 * st)
    b_t_h_w = g.dims(h, [0, 2, 3, 4])
    b = g.op("Slice", [b_t_h_w, g.const(np.array([0], np.int64)), g.const(np.array([1], np.int64))])
    t = g.op("Slice", [b_t_h_w, g.const(np.array([1], np.int64)), g.const(np.array([2], np.int64))])
    hw = g.op("Slice", [b_t_h_w, g.const(np.array([2], np.int64)), g.const(np.array([4], np.int64))])
    # Each latent frame -> 4 frames; the first latent frame keeps only its last (Wan: F = 4(T-1)+1).
    h = g.op("Reshape", [h, g.op("Concat", [b, g.const(np.array([3, st], np.int64)), t, hw], axis=0)])
    h = g.op("Transpose", [h], perm=[0, 1, 3, 2, 4, 5])
    frames = g.op("Mul", [t, g.const(np.array([st], np.int64))])
    h = g.op("Reshape", [h, g.op("Concat", [b, g.const(np.array([3], np.int64)), frames, hw], axis=0)])
    h = g.op("Slice", [h, g.const(np.array([st - 1], np.int64)), g.const(np.array([2**62], np.int64)), g.const(np.array([2], np.int64))])
    # Spatial x16: fold frames into channels, bilinear resize (4-D), unfold.
    f = g.op("Sub", [frames, g.const(np.array([st - 1], np.int64))])
    h4 = g.op("Reshape", [h, g.op("Concat", [b, g.const(np.array([-1], np.int64)), hw], axis=0)])
    up = g.op("Resize", [h4, "", g.const(np.array([1, 1, sh, sw], np.float32))], mode="linear", coordinate_transformation_mode="half_pixel")
    big_hw = g.op("Mul", [hw, g.const(np.array([sh, sw], np.int64))])
    h = g.op("Reshape", [up, g.op("Concat", [b, g.const(np.array([3], np.int64)), f, big_hw], axis=0)])
    g.nodes.append(helper.make_node("Tanh", [h], ["video"]))
    return g.model(
        [helper.make_tensor_value_info("latents", TensorProto.FLOAT, ["batch", c, "latent_frames", "latent_height", "latent_width"])],
        [helper.make_tensor_value_info("video", TensorProto.FLOAT, ["batch", 3, "frames", "height", "width"])],
    )


def to_fp16(model):
    """fp16 weights; inputs and outputs stay as they are through Cast nodes at the edges.

    A real fp16 export computes in half precision on the GPU; onnxruntime's CPU build lacks fp16
    kernels for most of these ops, so the demo stores weights in fp16 (half the bytes) and computes
    in fp32 after a Cast. The float-typed inputs and outputs become float16, so the pipeline's
    float16 tensor path is exercised as a real fp16 export would exercise it.
    """
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    new_inits, casts = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size > 1:
            new_inits.append(numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=TensorProto.FLOAT))
        else:
            new_inits.append(init)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    edge = []
    for vi in g.input:
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
            edge.append(helper.make_node("Cast", [vi.name], [vi.name + "_fp32"], to=TensorProto.FLOAT))
            for node in g.node:
                for i, name in enumerate(node.input):
                    if name == vi.name:
                        node.input[i] = vi.name + "_fp32"
    for vo in g.output:
        if vo.type.tensor_type.elem_type == TensorProto.FLOAT:
            vo.type.tensor_type.elem_type = TensorProto.FLOAT16
            for node in g.node:
                for i, name in enumerate(node.output):
                    if name == vo.name:
                        node.output[i] = vo.name + "_fp32"
            edge.append(helper.make_node("Cast", [vo.name + "_fp32"], [vo.name], to=TensorProto.FLOAT16))
    inputs = {v.name for v in g.input}
    outputs = {v.name for v in g.output}
    head = [n for n in edge if n.input[0] in inputs]
    tail = [n for n in edge if n.output[0] in outputs]
    nodes = casts + head + list(g.node) + tail
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    return m


def tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # A SentencePiece-style Unigram vocabulary like umT5's, but ~200 pieces: every word of the
    # corpus above as a whole piece, plus single characters so any text encodes. Scores are
    # log frequencies. Built by hand rather than trained because the trainer is not reproducible.
    words = {}
    for line in CORPUS:
        for w in line.lower().replace(",", " , ").replace(":", " : ").split():
            words["\u2581" + w] = words.get("\u2581" + w, 0) + 1
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789.,:;!?'-\"()&%$#@+/"))
    specials = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces = [("\u2581", -2.0)] + [(c, -8.0) for c in chars]
    pieces += [(w, float(np.log(n) - 4.0)) for w, n in sorted(words.items())]
    tok = Tokenizer(models.Unigram(specials + pieces, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return tok


def save(model, name, external=False):
    path = os.path.join(OUT, name)
    if external:
        model = onnx.ModelProto.FromString(model.SerializeToString())  # saving moves the weights out
        # Large real graphs (> 2 GB) must keep weights outside the protobuf; exercise that path.
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=name + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, path)


def main():
    global VOCAB_SIZE
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    tok = tokenizer()
    tok.save(os.path.join(OUT, "tokenizer.json"))
    VOCAB_SIZE = tok.get_vocab_size()

    rng = np.random.default_rng(20250701)
    graphs = {"text_encoder": text_encoder(rng), "denoiser": denoiser(rng), "vae_decoder": vae_decoder(rng)}
    save(graphs["text_encoder"], "text_encoder.onnx", external=True)
    save(graphs["denoiser"], "denoiser.onnx")
    save(graphs["vae_decoder"], "vae_decoder.onnx")
    for name, m in graphs.items():
        save(to_fp16(m), f"{name}.fp16.onnx")

    io = {
        "textEncoder": {
            "inputs": {"input_ids": ["batch", TEXT_TOKENS], "attention_mask": ["batch", TEXT_TOKENS]},
            "outputs": {"hidden_states": ["batch", TEXT_TOKENS, TEXT_DIM]},
        },
        "denoiser": {
            "inputs": {
                "latents": ["batch", LATENT_CHANNELS, "latent_frames", "latent_height", "latent_width"],
                "timestep": ["batch"],
                "encoder_hidden_states": ["batch", TEXT_TOKENS, TEXT_DIM],
            },
            "outputs": {"noise_pred": ["batch", LATENT_CHANNELS, "latent_frames", "latent_height", "latent_width"]},
        },
        "vaeDecoder": {
            "inputs": {"latents": ["batch", LATENT_CHANNELS, "latent_frames", "latent_height", "latent_width"]},
            "outputs": {"video": ["batch", 3, "frames", "height", "width"]},
        },
    }
    files = {"textEncoder": "text_encoder", "denoiser": "denoiser", "vaeDecoder": "vae_decoder"}
    manifest = {
        "schemaVersion": 1,
        "id": "reelcast-demo-tiny-ti2v-v1",
        "description": "Tiny random-weight stand-in for Wan2.2 TI2V-5B: same contract, abstract moving colour, not real video.",
        "tokenizer": "tokenizer.json",
        "textTokens": TEXT_TOKENS,
        "textDim": TEXT_DIM,
        "latentChannels": LATENT_CHANNELS,
        "vaeStride": list(VAE_STRIDE),
        "patch": list(PATCH),
        "fps": 8,
        "graphs": {
            key: {"files": {"fp32": f"{stem}.onnx", "fp16": f"{stem}.fp16.onnx"}, **io[key]}
            for key, stem in files.items()
        },
        "vaeDecode": {"chunkLatentFrames": 2, "contextLatentFrames": 1},
        "scheduler": {"kind": "unipc", "shift": 5.0, "steps": 50, "guidance": 5.0, "numTrainTimesteps": 1000},
    }
    manifest["graphs"]["denoiser"]["guidanceBatch"] = 2
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
