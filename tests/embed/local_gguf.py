"""Test support for the local half of ext/embed: a GGUF v3 writer (numpy), tiny BERT models with
seeded random weights, and a float64 numpy reference of the BERT forward pass.

The writer follows ggml's docs/gguf.md: little-endian header, metadata, tensor infos, then the
data section aligned to general.alignment (32). Tensors are written the way llama.cpp's
convert_hf_to_gguf.py writes BERT: 2-D weights in the file type, 1-D tensors and the position /
token-type embeddings in F32, PyTorch Linear weights [out, in] stored as ne = [in, out].
"""

import math
import struct

import numpy as np

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_BF16 = 0, 1, 2, 8, 30
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
PHANTOM = "\u2581"


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(vtype, v):
    if vtype == STRING:
        return _str(v)
    if vtype == ARRAY:
        etype, items = v
        out = struct.pack("<IQ", etype, len(items))
        return out + b"".join(_value(etype, x) for x in items)
    fmt = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?",
           U64: "Q", I64: "q", F64: "d"}[vtype]
    return struct.pack("<" + fmt, v)


def quantize_q8_0(x):
    """ggml's reference quantize_row_q8_0: d = max|x| / 127, q = round(x / d), per 32 values."""
    blocks = x.astype(np.float32).reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0).astype(np.float32)
    q = np.round(blocks * inv[:, None] + 0.0).astype(np.int8)
    # roundf rounds half away from zero; numpy rounds half to even: fix the ties.
    scaled = blocks * inv[:, None]
    ties = np.abs(scaled - np.trunc(scaled)) == 0.5
    q = np.where(ties, (np.trunc(scaled) + np.sign(scaled)).astype(np.int8), q)
    out = bytearray()
    for i in range(blocks.shape[0]):
        out += np.float16(d[i]).tobytes() + q[i].tobytes()
    return bytes(out)


def quantize_q4_0(x):
    """ggml's reference quantize_row_q4_0: d = (signed max-magnitude value) / -8,
    q = min(15, trunc(x / d + 8.5)); low nibbles hold values 0-15, high nibbles 16-31."""
    out = bytearray()
    for b in x.astype(np.float32).reshape(-1, 32):
        mx = b[np.argmax(np.abs(b))]
        d = np.float32(mx / -8)
        inv = np.float32(1.0 / d) if d else np.float32(0)
        q = np.minimum(15, (b * inv + np.float32(8.5)).astype(np.int8)).astype(np.uint8)
        out += np.float16(d).tobytes() + (q[:16] | (q[16:] << 4)).astype(np.uint8).tobytes()
    return bytes(out)


def dequantize_q4_0(raw, shape):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8
    return (q * d).reshape(shape)


def dequantize_q8_0(raw, shape):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 34)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(shape)


def tensor_bytes(arr, ggml_type):
    if ggml_type == GGML_F32:
        return arr.astype("<f4").tobytes()
    if ggml_type == GGML_F16:
        return arr.astype("<f2").tobytes()
    if ggml_type == GGML_BF16:
        bits = arr.astype("<f4").view("<u4")
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
        return rounded.tobytes()
    if ggml_type == GGML_Q8_0:
        return quantize_q8_0(arr)
    if ggml_type == GGML_Q4_0:
        return quantize_q4_0(arr)
    raise ValueError(ggml_type)


def stored_values(arr, ggml_type):
    """The values the file really holds (after rounding/quantization), as float64."""
    raw = tensor_bytes(arr, ggml_type)
    if ggml_type == GGML_F32:
        return np.frombuffer(raw, "<f4").reshape(arr.shape).astype(np.float64)
    if ggml_type == GGML_F16:
        return np.frombuffer(raw, "<f2").reshape(arr.shape).astype(np.float64)
    if ggml_type == GGML_BF16:
        u = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
        return u.view(np.float32).reshape(arr.shape).astype(np.float64)
    if ggml_type == GGML_Q4_0:
        return dequantize_q4_0(raw, arr.shape).astype(np.float64)
    return dequantize_q8_0(raw, arr.shape).astype(np.float64)


def write_gguf(path, kvs, tensors, alignment=32, version=3, magic=b"GGUF", offsets=None):
    """kvs: [(key, type, value)]; tensors: [(name, numpy array (rows, cols), ggml type)].
    The array's last axis is ne[0]. offsets overrides where the tensors are said to be (for
    malformed files). Returns the offsets of the tensors."""
    forced = offsets
    header = bytearray(magic + struct.pack("<IQQ", version, len(tensors), len(kvs)))
    for key, vtype, v in kvs:
        header += _str(key) + struct.pack("<I", vtype) + _value(vtype, v)
    blobs, offsets, off = [], [], 0
    forced = forced or None
    for name, arr, gtype in tensors:
        raw = tensor_bytes(arr, gtype)
        ne = list(reversed(arr.shape))
        header += _str(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n)
                                                                      for n in ne)
        at = forced[len(offsets)] if forced else off
        header += struct.pack("<IQ", gtype, at)
        offsets.append(at)
        blobs.append(raw)
        off += len(raw)
        off = (off + alignment - 1) // alignment * alignment
    pad = (-len(header)) % alignment
    data = bytearray()
    for raw, o in zip(blobs, offsets):
        if len(data) < o + len(raw):
            data += b"\0" * (o + len(raw) - len(data))
        data[o:o + len(raw)] = raw
    with open(path, "wb") as f:
        f.write(bytes(header) + b"\0" * pad + bytes(data))
    return offsets


SMALL_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "on",
               "mat", "hello", "world", "##s", "##ing", "play", "un", "##aff", "##able", ",", ".",
               "!", "a", "b", "c", "##a", "##b", "##c", "run", "fast", "slow", "bank", "river",
               "money", "i", "like", "straw", "##berries", "café", "##é"]


def hf_to_gguf_tokens(vocab):
    """Hugging Face WordPiece pieces -> llama.cpp's phantom-space form and token types."""
    toks, types = [], []
    for t in vocab:
        if t.startswith("[") and t.endswith("]"):
            toks.append(t)
            types.append(3)
        elif t.startswith("##"):
            toks.append(t[2:])
            types.append(1)
        else:
            toks.append(PHANTOM + t)
            types.append(1)
    return toks, types


def random_bert(rng, vocab=SMALL_VOCAB, d=64, heads=4, ff=128, layers=2, ctx=64, scale=0.3):
    """Random BERT weights in HF orientation: Linear weight [out, in]."""
    def mat(r, c):
        return (rng.standard_normal((r, c)) * scale / math.sqrt(c) * 4).astype(np.float32)

    def vec(n, center=0.0, s=0.1):
        return (center + rng.standard_normal(n) * s).astype(np.float32)

    w = {"tok": (rng.standard_normal((len(vocab), d)) * 0.5).astype(np.float32),
         "pos": (rng.standard_normal((ctx, d)) * 0.1).astype(np.float32),
         "typ": (rng.standard_normal((2, d)) * 0.1).astype(np.float32),
         "ln_w": vec(d, 1.0), "ln_b": vec(d), "layers": []}
    for _ in range(layers):
        w["layers"].append({
            "q": mat(d, d), "qb": vec(d), "k": mat(d, d), "kb": vec(d), "v": mat(d, d),
            "vb": vec(d), "o": mat(d, d), "ob": vec(d), "ln1_w": vec(d, 1.0), "ln1_b": vec(d),
            "up": mat(ff, d), "upb": vec(ff), "down": mat(d, ff), "downb": vec(d),
            "ln2_w": vec(d, 1.0), "ln2_b": vec(d)})
    w.update(vocab=list(vocab), d=d, heads=heads, ff=ff, ctx=ctx)
    return w


def bert_tensors(w, wtype):
    t = [("token_embd.weight", w["tok"], wtype),
         ("position_embd.weight", w["pos"], GGML_F32),
         ("token_types.weight", w["typ"], GGML_F32),
         ("token_embd_norm.weight", w["ln_w"], GGML_F32),
         ("token_embd_norm.bias", w["ln_b"], GGML_F32)]
    names = [("q", "attn_q"), ("k", "attn_k"), ("v", "attn_v"), ("o", "attn_output"),
             ("up", "ffn_up"), ("down", "ffn_down")]
    for i, L in enumerate(w["layers"]):
        for key, nm in names:
            t.append((f"blk.{i}.{nm}.weight", L[key], wtype))
            t.append((f"blk.{i}.{nm}.bias", L[key + "b"], GGML_F32))
        t.append((f"blk.{i}.attn_output_norm.weight", L["ln1_w"], GGML_F32))
        t.append((f"blk.{i}.attn_output_norm.bias", L["ln1_b"], GGML_F32))
        t.append((f"blk.{i}.layer_output_norm.weight", L["ln2_w"], GGML_F32))
        t.append((f"blk.{i}.layer_output_norm.bias", L["ln2_b"], GGML_F32))
    return t


FILE_TYPE = {GGML_F32: 0, GGML_F16: 1, GGML_Q4_0: 2, GGML_Q8_0: 7, GGML_BF16: 32}


def bert_kvs(w, wtype, pooling=1, gguf_tokens=None, token_types=None):
    toks, types = hf_to_gguf_tokens(w["vocab"]) if gguf_tokens is None else (gguf_tokens,
                                                                              token_types)
    ids = {t: i for i, t in enumerate(w["vocab"])}
    return [
        ("general.architecture", STRING, "bert"),
        ("general.name", STRING, "strata-test-bert"),
        ("general.file_type", U32, FILE_TYPE[wtype]),
        ("general.quantization_version", U32, 2),
        ("bert.context_length", U32, w["ctx"]),
        ("bert.embedding_length", U32, w["d"]),
        ("bert.feed_forward_length", U32, w["ff"]),
        ("bert.block_count", U32, len(w["layers"])),
        ("bert.attention.head_count", U32, w["heads"]),
        ("bert.attention.layer_norm_epsilon", F32, 1e-12),
        ("bert.attention.causal", BOOL, False),
        ("bert.pooling_type", U32, pooling),
        ("tokenizer.ggml.model", STRING, "bert"),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, toks)),
        ("tokenizer.ggml.token_type", ARRAY, (I32, types)),
        ("tokenizer.ggml.token_type_count", U32, 2),
        ("tokenizer.ggml.bos_token_id", U32, ids.get("[CLS]", 101)),
        ("tokenizer.ggml.eos_token_id", U32, ids.get("[SEP]", 102)),
        ("tokenizer.ggml.unknown_token_id", U32, ids.get("[UNK]", 100)),
        ("tokenizer.ggml.seperator_token_id", U32, ids.get("[SEP]", 102)),
        ("tokenizer.ggml.padding_token_id", U32, ids.get("[PAD]", 0)),
        ("tokenizer.ggml.cls_token_id", U32, ids.get("[CLS]", 101)),
        ("tokenizer.ggml.mask_token_id", U32, ids.get("[MASK]", 103)),
    ]


def write_bert(path, w, wtype=GGML_F32, pooling=1):
    write_gguf(path, bert_kvs(w, wtype, pooling), bert_tensors(w, wtype))


_erf = np.vectorize(math.erf)


def _layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def reference_embedding(w, ids, pooling=1, stored_type=None):
    """float64 forward pass of HF BertModel + pooling + L2 norm. stored_type: use the weights as
    the file stores them in that type (None: the exact float32 weights)."""
    def W(a):
        return a.astype(np.float64) if stored_type is None else stored_values(a, stored_type)

    d, H = w["d"], w["heads"]
    hd = d // H
    ids = np.asarray(ids)
    x = W(w["tok"])[ids] + w["pos"][: len(ids)].astype(np.float64) + w["typ"][0]
    x = _layer_norm(x, w["ln_w"], w["ln_b"])
    for L in w["layers"]:
        q = x @ W(L["q"]).T + L["qb"]
        k = x @ W(L["k"]).T + L["kb"]
        v = x @ W(L["v"]).T + L["vb"]
        ctx = np.zeros_like(x)
        for h in range(H):
            s = slice(h * hd, (h + 1) * hd)
            a = q[:, s] @ k[:, s].T / math.sqrt(hd)
            a = np.exp(a - a.max(axis=1, keepdims=True))
            a /= a.sum(axis=1, keepdims=True)
            ctx[:, s] = a @ v[:, s]
        x = _layer_norm(x + ctx @ W(L["o"]).T + L["ob"], L["ln1_w"], L["ln1_b"])
        f = x @ W(L["up"]).T + L["upb"]
        f = 0.5 * f * (1 + _erf(f / math.sqrt(2)))
        x = _layer_norm(x + f @ W(L["down"]).T + L["downb"], L["ln2_w"], L["ln2_b"])
    e = x[0] if pooling == 2 else x[-1] if pooling == 3 else x.mean(axis=0)
    return e / np.linalg.norm(e)


def random_nomic(rng, vocab=SMALL_VOCAB, d=64, heads=4, ff=96, layers=2, ctx=128, scale=0.3):
    """Random nomic-bert weights: fused Q/K/V [3d, d], SwiGLU (up and gate [ff, d]), no biases."""
    w = random_bert(rng, vocab, d, heads, ff, layers, ctx, scale)
    for L in w["layers"]:
        L["qkv"] = np.concatenate([L["q"], L["k"], L["v"]])
        L["gate"] = (rng.standard_normal((ff, d)) * scale * 4 / math.sqrt(d)).astype(np.float32)
    w["arch"] = "nomic-bert"
    return w


def nomic_tensors(w, wtype):
    t = [("token_embd.weight", w["tok"], wtype),
         ("token_types.weight", w["typ"], GGML_F32),
         ("token_embd_norm.weight", w["ln_w"], GGML_F32),
         ("token_embd_norm.bias", w["ln_b"], GGML_F32)]
    for i, L in enumerate(w["layers"]):
        t += [(f"blk.{i}.attn_qkv.weight", L["qkv"], wtype),
              (f"blk.{i}.attn_output.weight", L["o"], wtype),
              (f"blk.{i}.attn_output_norm.weight", L["ln1_w"], GGML_F32),
              (f"blk.{i}.attn_output_norm.bias", L["ln1_b"], GGML_F32),
              (f"blk.{i}.ffn_up.weight", L["up"], wtype),
              (f"blk.{i}.ffn_gate.weight", L["gate"], wtype),
              (f"blk.{i}.ffn_down.weight", L["down"], wtype),
              (f"blk.{i}.layer_output_norm.weight", L["ln2_w"], GGML_F32),
              (f"blk.{i}.layer_output_norm.bias", L["ln2_b"], GGML_F32)]
    return t


def write_nomic(path, w, wtype=GGML_F32, rope_base=1000.0):
    kvs = []
    for k, t, v in bert_kvs(w, wtype):
        if k.startswith("bert."):
            k = "nomic-bert." + k[5:]
        kvs.append((k, t, "nomic-bert" if k == "general.architecture" else v))
    kvs.append(("nomic-bert.rope.freq_base", F32, rope_base))
    write_gguf(path, kvs, nomic_tensors(w, wtype))


def _rope(x, heads, base):
    n, d = x.shape
    hd = d // heads
    half = hd // 2
    out = x.copy()
    for p in range(n):
        theta = p * base ** (-2.0 * np.arange(half) / hd)
        c, s = np.cos(theta), np.sin(theta)
        for h in range(heads):
            a = x[p, h * hd:h * hd + half]
            z = x[p, h * hd + half:(h + 1) * hd]
            out[p, h * hd:h * hd + half] = a * c - z * s
            out[p, h * hd + half:(h + 1) * hd] = a * s + z * c
    return out


def reference_nomic(w, ids, rope_base=1000.0):
    """float64 forward pass of nomic-bert as llama.cpp runs it (NeoX RoPE, SwiGLU, no biases)."""
    d, H = w["d"], w["heads"]
    hd = d // H
    ids = np.asarray(ids)
    x = w["tok"].astype(np.float64)[ids] + w["typ"][0]
    x = _layer_norm(x, w["ln_w"], w["ln_b"])
    for L in w["layers"]:
        q = _rope(x @ L["q"].T.astype(np.float64), H, rope_base)
        k = _rope(x @ L["k"].T.astype(np.float64), H, rope_base)
        v = x @ L["v"].T.astype(np.float64)
        ctx = np.zeros_like(x)
        for h in range(H):
            s = slice(h * hd, (h + 1) * hd)
            a = q[:, s] @ k[:, s].T / math.sqrt(hd)
            a = np.exp(a - a.max(axis=1, keepdims=True))
            a /= a.sum(axis=1, keepdims=True)
            ctx[:, s] = a @ v[:, s]
        x = _layer_norm(x + ctx @ L["o"].T, L["ln1_w"], L["ln1_b"])
        g = x @ L["gate"].T
        f = (g / (1 + np.exp(-g))) * (x @ L["up"].T)
        x = _layer_norm(x + f @ L["down"].T, L["ln2_w"], L["ln2_b"])
    e = x.mean(axis=0)
    return e / np.linalg.norm(e)
