#!/usr/bin/python3
"""Reference logits for Narrator's MPT and GPT-NeoX decoder unit tests, computed independently of the Java code.

Written from the public definitions (MosaicML's MPT modeling code: ALiBi with gen_slopes, the fused Wqkv and the
query/key LayerNorm over the whole width, bias-free LayerNorms; Hugging Face's GPTNeoXForCausalLM: the fused
query_key_value laid out (heads, 3, head width), rotary embeddings in the rotate-half layout on rotary_pct of each
head, parallel or sequential residual, the untied embed_out), in float64 with plain torch operations, on tiny random
weights under Hugging Face's names. Each sequence is run alone, unpadded, from position 0, as the models see it. Writes,
under src/test/resources/reference/:

  mpt-qk-ln.json          MPT-1B's variant: q_ln/k_ln, no biases, 4 heads (a power of two)
  mpt-6-heads.json        MPT-7B's variant: no q/k LayerNorm, no biases, 6 heads (ALiBi's slopes for a head count that
                          is not a power of two)
  gpt-neox-parallel.json  Pythia's variant: parallel residual, rotary on a quarter of each head
  gpt-neox-sequential.json RedPajama-INCITE's variant: sequential residual, rotary on the whole head

Each file: the text section of a Narrator config, the weights, the token sequences and their logits.

Run from the repository root:  /usr/bin/python3 src/test/python/decoder_variants_reference.py
"""
import json
import math
import os

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "reference")
EPS = 1e-5


class Weights:
    """Named float32 tensors drawn in a fixed order from one generator."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.tensors = {}

    def normal(self, name, shape, std=0.3, mean=0.0):
        self.tensors[name] = (torch.randn(*shape, generator=self.gen) * std + mean).float()

    def layer_norm(self, prefix, dim, bias=True):
        self.normal(prefix + ".weight", (dim,), std=0.1, mean=1.0)
        if bias:
            self.normal(prefix + ".bias", (dim,), std=0.1)

    def linear(self, prefix, n_in, n_out, bias=True):
        self.normal(prefix + ".weight", (n_out, n_in), std=1.0 / math.sqrt(n_in))
        if bias:
            self.normal(prefix + ".bias", (n_out,), std=0.1)

    def __getitem__(self, name):
        return self.tensors[name].double()

    def get(self, name):
        return self.tensors[name].double() if name in self.tensors else None


def layer_norm(x, w, prefix):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    y = (x - mu) / torch.sqrt(var + EPS) * w[prefix + ".weight"]
    b = w.get(prefix + ".bias")
    return y if b is None else y + b


def linear(x, w, prefix):
    y = x @ w[prefix + ".weight"].T
    b = w.get(prefix + ".bias")
    return y if b is None else y + b


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def causal_softmax(scores):
    t, s = scores.shape[-2:]
    hidden = torch.triu(torch.ones(t, s, dtype=torch.bool), diagonal=1 + s - t)
    return torch.softmax(scores.masked_fill(hidden, float("-inf")), -1)


# ---------------------------------------------------------------- MPT

def mpt_slopes(n_heads, bias_max):
    """MPT's gen_slopes: 1 / 2^(k * bias_max / H') for k = 1..H', H' the next power of two; odd-numbered first when H' > H."""
    padded = 2 ** math.ceil(math.log2(n_heads))
    m = torch.arange(1, padded + 1, dtype=torch.float64) * (bias_max / padded)
    slopes = 1.0 / torch.pow(2, m)
    if padded != n_heads:
        slopes = torch.cat([slopes[1::2], slopes[::2]])[:n_heads]
    return slopes


def mpt_weights(w, c):
    d, nb = c["d_model"], not c["no_bias"]
    w.normal("transformer.wte.weight", (c["vocab_size"], d), std=1.0)
    for i in range(c["n_layers"]):
        p = "transformer.blocks.%d." % i
        w.layer_norm(p + "norm_1", d, nb)
        w.linear(p + "attn.Wqkv", d, 3 * d, nb)
        if c["qk_ln"]:
            w.layer_norm(p + "attn.q_ln", d, nb)
            w.layer_norm(p + "attn.k_ln", d, nb)
        w.linear(p + "attn.out_proj", d, d, nb)
        w.layer_norm(p + "norm_2", d, nb)
        w.linear(p + "ffn.up_proj", d, c["expansion_ratio"] * d, nb)
        w.linear(p + "ffn.down_proj", c["expansion_ratio"] * d, d, nb)
    w.layer_norm("transformer.norm_f", d, nb)


def mpt_forward(w, c, ids):
    d, h = c["d_model"], c["n_heads"]
    hd = d // h
    t = ids.shape[0]
    x = w["transformer.wte.weight"][ids]  # (T, D)
    # MPT's bias: slope * (j - (S - 1)) per key j, the same for every query (a constant per row from the distance form)
    alibi = mpt_slopes(h, c["alibi_bias_max"]).view(h, 1, 1) * torch.arange(1 - t, 1, dtype=torch.float64).view(1, 1, t)
    for i in range(c["n_layers"]):
        p = "transformer.blocks.%d." % i
        a = layer_norm(x, w, p + "norm_1")
        q, k, v = linear(a, w, p + "attn.Wqkv").chunk(3, dim=-1)
        if c["qk_ln"]:
            q = layer_norm(q, w, p + "attn.q_ln")
            k = layer_norm(k, w, p + "attn.k_ln")
        q, k, v = (z.view(t, h, hd).transpose(0, 1) for z in (q, k, v))  # (H, T, hd)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd) + alibi
        out = (causal_softmax(scores) @ v).transpose(0, 1).reshape(t, d)
        x = x + linear(out, w, p + "attn.out_proj")
        m = layer_norm(x, w, p + "norm_2")
        x = x + linear(gelu(linear(m, w, p + "ffn.up_proj")), w, p + "ffn.down_proj")
    return layer_norm(x, w, "transformer.norm_f") @ w["transformer.wte.weight"].T


# ---------------------------------------------------------------- GPT-NeoX

def neox_weights(w, c):
    d, f = c["hidden_size"], c["intermediate_size"]
    w.normal("gpt_neox.embed_in.weight", (c["vocab_size"], d), std=1.0)
    for i in range(c["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % i
        w.layer_norm(p + "input_layernorm", d)
        w.layer_norm(p + "post_attention_layernorm", d)
        w.linear(p + "attention.query_key_value", d, 3 * d)
        w.linear(p + "attention.dense", d, d)
        w.linear(p + "mlp.dense_h_to_4h", d, f)
        w.linear(p + "mlp.dense_4h_to_h", f, d)
    w.layer_norm("gpt_neox.final_layer_norm", d)
    w.normal("embed_out.weight", (c["vocab_size"], d), std=0.5)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def neox_forward(w, c, ids):
    d, h = c["hidden_size"], c["num_attention_heads"]
    hd = d // h
    rd = int(hd * c["rotary_pct"])
    t = ids.shape[0]
    inv_freq = 1.0 / (c["rotary_emb_base"] ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    freqs = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # (T, rd)
    cos, sin = emb.cos(), emb.sin()

    def rotate(z):  # (H, T, hd)
        rot, rest = z[..., :rd], z[..., rd:]
        return torch.cat((rot * cos + rotate_half(rot) * sin, rest), dim=-1)

    x = w["gpt_neox.embed_in.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % i
        a = layer_norm(x, w, p + "input_layernorm")
        qkv = linear(a, w, p + "attention.query_key_value").view(t, h, 3 * hd).transpose(0, 1)  # (H, T, 3hd)
        q, k, v = rotate(qkv[..., :hd]), rotate(qkv[..., hd:2 * hd]), qkv[..., 2 * hd:]
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        attn = linear((causal_softmax(scores) @ v).transpose(0, 1).reshape(t, d), w, p + "attention.dense")

        def mlp(z):
            return linear(gelu(linear(z, w, p + "mlp.dense_h_to_4h")), w, p + "mlp.dense_4h_to_h")

        if c["use_parallel_residual"]:
            x = x + attn + mlp(layer_norm(x, w, p + "post_attention_layernorm"))
        else:
            x = x + attn
            x = x + mlp(layer_norm(x, w, p + "post_attention_layernorm"))
    return layer_norm(x, w, "gpt_neox.final_layer_norm") @ w["embed_out.weight"].T


# ---------------------------------------------------------------- output

def write(name, text, weights, forward, seed, sequences):
    w = Weights(seed)
    weights(w, text)
    logits = [forward(w, text, torch.tensor(s)).tolist() for s in sequences]
    out = {
        "text": text,
        "tensors": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in w.tensors.items()},
        "sequences": sequences,
        "logits": logits,
    }
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(out, f)


def main():
    os.makedirs(ROOT, exist_ok=True)
    sequences = [[5, 9, 3, 17, 2, 11, 11, 4], [21, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]]
    mpt = dict(model_type="mpt", vocab_size=24, max_seq_len=16, n_layers=2, expansion_ratio=4, alibi_bias_max=8.0,
               no_bias=True, layer_norm_epsilon=EPS)
    write("mpt-qk-ln.json", dict(mpt, d_model=16, n_heads=4, qk_ln=True), mpt_weights, mpt_forward, 21, sequences)
    write("mpt-6-heads.json", dict(mpt, d_model=24, n_heads=6, qk_ln=False), mpt_weights, mpt_forward, 22, sequences)
    neox = dict(model_type="gpt_neox", vocab_size=24, max_position_embeddings=16, num_hidden_layers=2,
                rotary_emb_base=10000.0, hidden_act="gelu", layer_norm_eps=EPS)
    write("gpt-neox-parallel.json", dict(neox, hidden_size=32, num_attention_heads=4, intermediate_size=64, rotary_pct=0.25,
                                         use_parallel_residual=True), neox_weights, neox_forward, 23, sequences)
    write("gpt-neox-sequential.json", dict(neox, hidden_size=24, num_attention_heads=3, intermediate_size=48, rotary_pct=1.0,
                                           use_parallel_residual=False), neox_weights, neox_forward, 24, sequences)


if __name__ == "__main__":
    main()
