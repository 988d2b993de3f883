#!/usr/bin/python3
"""Reference numbers for Narrator's model-variant unit tests, computed independently of the Java code.

Written from the public definitions (Hugging Face's OPTForCausalLM and CLIPVisionModel, flamingo-mini's
PerceiverResampler, GatedCrossAttentionBlock and FlamingoProcessor), in float64 with plain torch operations, on tiny
random weights stored under Narrator's tensor names. Writes, under src/test/resources/reference/:

  opt-pre-ln.json, opt-post-ln.json   a bare OPT decoder (pre-LN like opt-125m; post-LN with project_in/out like
                                      opt-350m): its config section, weights, token sequences and their logits
  flamingo-mini-style/                a whole model directory of flamingo-mini's variants (OPT post-LN, CLIP
                                      last_hidden_state, resampler with to_k/to_v and squared ReLU, cross-attention
                                      before every 2nd layer starting at 0, "<" tokens as media markers, </s> as BOS,
                                      <EOC> as the end of chunk) and reference.json: pixels, prompts, their token ids,
                                      logits and greedy continuations, and the logits of a prompt followed by a
                                      continuation whose "<" is text (as a generated one is)

Run from the repository root:  /usr/bin/python3 src/test/python/model_variants_reference.py
(Debian's python3-torch; the output is deterministic for a given torch build.)
"""
import json
import math
import os
import re
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "reference")
EPS = 1e-5


# ---------------------------------------------------------------- weights

class Weights:
    """Named float32 tensors, drawn in a fixed order from one generator."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.tensors = {}

    def normal(self, name, shape, std=0.3, mean=0.0):
        t = (torch.randn(*shape, generator=self.gen) * std + mean).float()
        self.tensors[name] = t
        return t

    def layer_norm(self, prefix, dim):
        self.normal(prefix + ".weight", (dim,), std=0.1, mean=1.0)
        self.normal(prefix + ".bias", (dim,), std=0.1)

    def linear(self, prefix, n_in, n_out, bias=True, std=None):
        self.normal(prefix + ".weight", (n_out, n_in), std=std if std is not None else 1.0 / math.sqrt(n_in))
        if bias:
            self.normal(prefix + ".bias", (n_out,), std=0.1)

    def __getitem__(self, name):
        return self.tensors[name].double()


def layer_norm(x, w, prefix):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS) * w[prefix + ".weight"] + w[prefix + ".bias"]


def linear(x, w, prefix, bias=True):
    y = x @ w[prefix + ".weight"].T
    return y + w[prefix + ".bias"] if bias else y


def heads(x, h):  # (B, T, H*hd) -> (B, H, T, hd)
    b, t, d = x.shape
    return x.reshape(b, t, h, d // h).transpose(1, 2)


def merge(x):  # (B, H, T, hd) -> (B, T, H*hd)
    b, h, t, hd = x.shape
    return x.transpose(1, 2).reshape(b, t, h * hd)


ACT = {
    "relu": torch.relu,
    "gelu": lambda x: torch.nn.functional.gelu(x),
    "sqrelu": lambda x: torch.relu(x) ** 2,
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
}


# ---------------------------------------------------------------- OPT (Hugging Face OPTForCausalLM)

def opt_weights(w, c):
    d, e = c["hidden_size"], c["word_embed_proj_dim"]
    p = "model.decoder."
    w.normal(p + "embed_tokens.weight", (c["vocab_size"], e), std=2.0)
    w.normal(p + "embed_positions.weight", (c["max_position_embeddings"] + 2, d), std=0.3)
    if e != d:
        w.linear(p + "project_out", d, e, bias=False)
        w.linear(p + "project_in", e, d, bias=False)
    if c["do_layer_norm_before"]:
        w.layer_norm(p + "final_layer_norm", d)
    for i in range(c["num_hidden_layers"]):
        q = p + "layers.%d." % i
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            w.linear(q + "self_attn." + proj, d, d)
        w.layer_norm(q + "self_attn_layer_norm", d)
        w.linear(q + "fc1", d, c["ffn_dim"])
        w.linear(q + "fc2", c["ffn_dim"], d)
        w.layer_norm(q + "final_layer_norm", d)


def opt_embed(w, c, ids):
    """One unpadded sequence (1, T): token embeddings (projected in) plus learned positions offset by 2."""
    p = "model.decoder."
    x = w[p + "embed_tokens.weight"][ids]
    if c["word_embed_proj_dim"] != c["hidden_size"]:
        x = linear(x, w, p + "project_in", bias=False)
    positions = torch.arange(ids.shape[1]) + 2
    return x + w[p + "embed_positions.weight"][positions]


def opt_layer(w, c, i, x):
    q = "model.decoder.layers.%d." % i
    h_count = c["num_attention_heads"]
    pre = c["do_layer_norm_before"]
    t = x.shape[1]
    residual = x
    h = layer_norm(x, w, q + "self_attn_layer_norm") if pre else x
    hd = c["hidden_size"] // h_count
    qs = heads(linear(h, w, q + "self_attn.q_proj") * hd ** -0.5, h_count)
    ks = heads(linear(h, w, q + "self_attn.k_proj"), h_count)
    vs = heads(linear(h, w, q + "self_attn.v_proj"), h_count)
    scores = qs @ ks.transpose(-1, -2)
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(causal, float("-inf"))
    attn = linear(merge(torch.softmax(scores, -1) @ vs), w, q + "self_attn.out_proj")
    x = residual + attn
    if not pre:
        x = layer_norm(x, w, q + "self_attn_layer_norm")
    residual = x
    h = layer_norm(x, w, q + "final_layer_norm") if pre else x
    h = linear(ACT[c["activation_function"]](linear(h, w, q + "fc1")), w, q + "fc2")
    x = residual + h
    if not pre:
        x = layer_norm(x, w, q + "final_layer_norm")
    return x


def opt_logits(w, c, x):
    p = "model.decoder."
    if c["do_layer_norm_before"]:
        x = layer_norm(x, w, p + "final_layer_norm")
    if c["word_embed_proj_dim"] != c["hidden_size"]:
        x = linear(x, w, p + "project_out", bias=False)
    return x @ w[p + "embed_tokens.weight"].T


def opt_forward(w, c, ids):
    x = opt_embed(w, c, ids)
    for i in range(c["num_hidden_layers"]):
        x = opt_layer(w, c, i, x)
    return opt_logits(w, c, x)


def write_opt_reference(name, c, seed, sequences):
    w = Weights(seed)
    opt_weights(w, c)
    logits = [opt_forward(w, c, torch.tensor([s])).squeeze(0).tolist() for s in sequences]
    out = {
        "text": dict(model_type="opt", **c),
        "tensors": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in w.tensors.items()},
        "sequences": sequences,
        "logits": logits,
    }
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(out, f)


# ---------------------------------------------------------------- CLIP vision (Hugging Face CLIPVisionModel)

def clip_weights(w, c):
    d, p = c["hidden_size"], c["patch_size"]
    n = (c["image_size"] // p) ** 2
    e = "vision_model.embeddings."
    w.normal(e + "class_embedding", (d,), std=0.5)
    w.normal(e + "patch_embedding.weight", (d, 3, p, p), std=0.2)
    w.normal(e + "position_embedding.weight", (n + 1, d), std=0.3)
    w.layer_norm("vision_model.pre_layrnorm", d)
    for i in range(c["num_hidden_layers"]):
        q = "vision_model.encoder.layers.%d." % i
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            w.linear(q + "self_attn." + proj, d, d)
        w.layer_norm(q + "layer_norm1", d)
        w.linear(q + "mlp.fc1", d, c["intermediate_size"])
        w.linear(q + "mlp.fc2", c["intermediate_size"], d)
        w.layer_norm(q + "layer_norm2", d)
    w.layer_norm("vision_model.post_layernorm", d)


def clip_last_hidden_state(w, c, pixels):
    """(N, 3, S, S) -> (N, P+1, D): class token first, the last layer's output before post_layernorm."""
    d, p = c["hidden_size"], c["patch_size"]
    e = "vision_model.embeddings."
    patches = torch.nn.functional.conv2d(pixels, w[e + "patch_embedding.weight"], stride=p)  # (N, D, S/p, S/p)
    patches = patches.flatten(2).transpose(1, 2)
    cls = w[e + "class_embedding"].expand(pixels.shape[0], 1, d)
    x = torch.cat([cls, patches], 1) + w[e + "position_embedding.weight"]
    x = layer_norm(x, w, "vision_model.pre_layrnorm")
    h_count = c["num_attention_heads"]
    hd = d // h_count
    for i in range(c["num_hidden_layers"]):
        q = "vision_model.encoder.layers.%d." % i
        h = layer_norm(x, w, q + "layer_norm1")
        qs = heads(linear(h, w, q + "self_attn.q_proj") * hd ** -0.5, h_count)
        ks = heads(linear(h, w, q + "self_attn.k_proj"), h_count)
        vs = heads(linear(h, w, q + "self_attn.v_proj"), h_count)
        x = x + linear(merge(torch.softmax(qs @ ks.transpose(-1, -2), -1) @ vs), w, q + "self_attn.out_proj")
        h = layer_norm(x, w, q + "layer_norm2")
        x = x + linear(ACT[c["hidden_act"]](linear(h, w, q + "mlp.fc1")), w, q + "mlp.fc2")
    return x


# ---------------------------------------------------------------- flamingo-mini's resampler and cross-attention

def feed_forward_weights(w, prefix, dim, mult):
    w.layer_norm(prefix + ".0", dim)
    w.linear(prefix + ".1", dim, dim * mult, bias=False)
    w.linear(prefix + ".3", dim * mult, dim, bias=False)


def feed_forward(w, prefix, x, act):
    return linear(ACT[act](linear(layer_norm(x, w, prefix + ".0"), w, prefix + ".1", bias=False)), w, prefix + ".3", bias=False)


def resampler_weights(w, c, dim):
    inner = c["heads"] * c["dim_head"]
    w.normal("perceiver.latents", (c["num_latents"], dim), std=1.0)
    w.normal("perceiver.frame_embs", (c["max_frames"], dim), std=0.5)  # flamingo-mini's time_pos_emb (T, 1, D)
    for i in range(c["depth"]):
        q = "perceiver.layers.%d.0." % i
        w.layer_norm(q + "norm_media", dim)
        w.layer_norm(q + "norm_latents", dim)
        w.linear(q + "to_q", dim, inner, bias=False)
        w.linear(q + "to_k", dim, inner, bias=False)
        w.linear(q + "to_v", dim, inner, bias=False)
        w.linear(q + "to_out", inner, dim, bias=False)
        feed_forward_weights(w, "perceiver.layers.%d.1" % i, dim, c["ff_mult"])
    w.layer_norm("perceiver.norm", dim)


def resample(w, c, frames):
    """(N, F, P, D) -> (N, V, D), F <= max_frames: time_pos_emb[:F] added per frame, frames flattened."""
    n, f, p, d = frames.shape
    x = (frames + w["perceiver.frame_embs"][:f].reshape(1, f, 1, d)).reshape(n, f * p, d)
    lat = w["perceiver.latents"].expand(n, -1, -1)
    h_count = c["heads"]
    for i in range(c["depth"]):
        q = "perceiver.layers.%d.0." % i
        xm = layer_norm(x, w, q + "norm_media")
        ln = layer_norm(lat, w, q + "norm_latents")
        qs = heads(linear(ln, w, q + "to_q", bias=False), h_count) * c["dim_head"] ** -0.5
        kv = torch.cat([xm, ln], 1)
        ks = heads(linear(kv, w, q + "to_k", bias=False), h_count)
        vs = heads(linear(kv, w, q + "to_v", bias=False), h_count)
        lat = lat + linear(merge(torch.softmax(qs @ ks.transpose(-1, -2), -1) @ vs), w, q + "to_out", bias=False)
        lat = lat + feed_forward(w, "perceiver.layers.%d.1" % i, lat, c["activation"])
    return layer_norm(lat, w, "perceiver.norm")


def xattn_weights(w, prefix, c, dim, dim_visual):
    inner = c["heads"] * c["dim_head"]
    w.normal(prefix + "attn_gate", (1,), std=0.5, mean=0.6)  # non-zero gates, so that the media matter
    w.normal(prefix + "ff_gate", (1,), std=0.5, mean=-0.6)
    w.layer_norm(prefix + "attn.norm", dim)
    w.linear(prefix + "attn.to_q", dim, inner, bias=False)
    w.linear(prefix + "attn.to_kv", dim_visual, 2 * inner, bias=False)
    w.linear(prefix + "attn.to_out", inner, dim, bias=False)
    feed_forward_weights(w, prefix + "ff", dim, c["ff_mult"])


def xattn(w, prefix, c, y, visual, media_locations):
    """flamingo-mini's GatedCrossAttentionBlock: y (1, T, D), visual (1, M, V, Dv), media_locations (1, T) bool."""
    b, m, v, dv = visual.shape
    h_count = c["heads"]
    text_time = media_locations.long().cumsum(-1)  # (1, T)
    qs = heads(linear(layer_norm(y, w, prefix + "attn.norm"), w, prefix + "attn.to_q", bias=False) * c["dim_head"] ** -0.5, h_count)
    k, vv = linear(visual.reshape(b, m * v, dv), w, prefix + "attn.to_kv", bias=False).chunk(2, -1)
    ks, vs = heads(k, h_count), heads(vv, h_count)
    sim = qs @ ks.transpose(-1, -2)  # (1, H, T, M*V)
    media_time = (torch.arange(m) + 1).repeat_interleave(v)
    visible = text_time[:, None, :, None] == media_time[None, None, None, :]
    sim = sim.masked_fill(~visible, -torch.finfo(sim.dtype).max)
    alphas = torch.softmax(sim - sim.amax(-1, keepdim=True), -1)
    alphas = alphas.masked_fill((text_time == 0)[:, None, :, None], 0.0)
    out = linear(merge(alphas @ vs), w, prefix + "attn.to_out", bias=False)
    y = y + torch.tanh(w[prefix + "attn_gate"]) * out
    return y + torch.tanh(w[prefix + "ff_gate"]) * feed_forward(w, prefix + "ff", y, c["activation"])


# ---------------------------------------------------------------- a tiny byte-level BPE (GPT-2 / OPT style)

WORDS = ["a", "cat", "dog", "red", "blue", "photo", "of", "image"]
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def bpe_vocab():
    chars = sorted(set("".join(WORDS)) | {"<", ">", "\u0120"})
    tokens = list(SPECIALS) + chars
    merges = []

    def chain(word):
        cur = word[0]
        for ch in word[1:]:
            if (cur, ch) not in merges:
                merges.append((cur, ch))
            cur += ch
            if cur not in tokens:
                tokens.append(cur)

    for word in WORDS:
        chain(word)
        chain("\u0120" + word)
    chain("\u0120<")
    return tokens, merges


def bpe_encode(text, tokens, merges, eoc):
    """Added token <EOC> first, then GPT-2's pre-tokenization (enough of it for this alphabet), then BPE by rank."""
    ids = []
    rank = {m: i for i, m in enumerate(merges)}
    for part in re.split("(<EOC>)", text):
        if part == "<EOC>":
            ids.append(eoc)
            continue
        for piece in re.findall(r" ?[a-z]+| ?[<>]+|\s+", part):
            symbols = list(piece.replace(" ", "\u0120"))
            while True:
                pairs = [(rank.get((symbols[i], symbols[i + 1]), 1 << 30), i) for i in range(len(symbols) - 1)]
                if not pairs or min(pairs)[0] == 1 << 30:
                    break
                _, i = min(pairs)
                symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
            ids.extend(tokens.index(s) for s in symbols)
    return ids


def tokenizer_json(tokens, merges, eoc):
    added = [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
             for i, t in enumerate(SPECIALS)]
    added.append(dict(id=eoc, content="<EOC>", single_word=False, lstrip=False, rstrip=False, normalized=True, special=False))
    byte_level = dict(type="ByteLevel", add_prefix_space=False, trim_offsets=True, use_regex=True)
    return dict(version="1.0", truncation=None, padding=None, added_tokens=added, normalizer=None,
                pre_tokenizer=byte_level, post_processor=None, decoder=byte_level,
                model=dict(type="BPE", dropout=None, unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                           fuse_unk=False, byte_fallback=False, vocab={t: i for i, t in enumerate(tokens)},
                           merges=[a + " " + b for a, b in merges]))


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = dict(dtype="F32", shape=list(t.shape), data_offsets=[offset, offset + len(data)])
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = dict(format="pt")
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


# ---------------------------------------------------------------- the flamingo-mini-style model

def write_flamingo_mini_style():
    tokens, merges = bpe_vocab()
    eoc = len(tokens)
    vocab = eoc + 1
    lt, slt = tokens.index("<"), tokens.index("\u0120<")
    vision = dict(image_size=8, patch_size=4, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=32, layer_norm_eps=EPS, hidden_act="quick_gelu", image_mean=[0.5, 0.5, 0.5],
                  image_std=[0.25, 0.25, 0.25], resize_mode="center_crop", features="last_hidden_state")
    text = dict(vocab_size=vocab, max_position_embeddings=64, hidden_size=16, word_embed_proj_dim=8,
                num_hidden_layers=3, num_attention_heads=2, ffn_dim=32, do_layer_norm_before=False,
                activation_function="relu", layer_norm_eps=EPS)
    perceiver = dict(depth=2, heads=2, dim_head=8, num_latents=3, max_frames=4, ff_mult=2, kv_projection="separate",
                     activation="sqrelu")
    cross = dict(every_n_layers=2, heads=2, dim_head=8, ff_mult=2, only_attend_immediate_media=True,
                 placement="first_of_every_n", activation="sqrelu")
    special = dict(image=-1, end_of_chunk=eoc, eos=2, pad=2, media_text="<image>", end_of_chunk_text="<EOC>",
                   media_markers=[lt, slt], bos=2, trainable=[], banned=[])
    config = dict(model_type="flamingo", name="flamingo-mini-style-test", version="0", vision=vision,
                  text=dict(model_type="opt", **text), perceiver=perceiver, cross_attention=cross,
                  special_tokens=special,
                  generation=dict(max_new_tokens=20, num_beams=3, length_penalty=1.0, prompt_prefix=""))

    w = Weights(2024)
    clip_weights(w, vision)
    resampler_weights(w, perceiver, vision["hidden_size"])
    opt_weights(w, text)
    xattn_layers = [i for i in range(text["num_hidden_layers"]) if i % cross["every_n_layers"] == 0]
    for i in xattn_layers:
        xattn_weights(w, "gated_cross_attn_layers.%d." % i, cross, text["hidden_size"], vision["hidden_size"])

    gen = torch.Generator().manual_seed(7)
    s = vision["image_size"]
    media = {  # name -> pixels (F, 3, S, S), already normalised
        "one": torch.randn(1, 3, s, s, generator=gen).float(),
        "two": torch.randn(1, 3, s, s, generator=gen).float(),
        "clip": torch.randn(3, 3, s, s, generator=gen).float(),
    }
    prompts = [
        ("<image>", ["one"]),
        ("<image>a red cat<EOC><image>", ["two", "one"]),
        ("a photo of <image>", ["clip"]),
        ("<image>a blue dog<EOC><image>a photo<EOC><image>", ["one", "clip", "two"]),
    ]

    def visual_of(names):
        out = []
        for n in names:
            features = clip_last_hidden_state(w, vision, media[n].double())  # (F, P+1, D)
            out.append(resample(w, perceiver, features.unsqueeze(0)))  # (1, V, D)
        return torch.stack(out, 1)  # (1, M, V, D)

    def forward(ids, prompt_length, visual):
        ids_t = torch.tensor([ids])
        media_locations = torch.tensor([[(t in (lt, slt)) and j < prompt_length for j, t in enumerate(ids)]])
        x = opt_embed(w, text, ids_t)
        for i in range(text["num_hidden_layers"]):
            if i in xattn_layers:
                x = xattn(w, "gated_cross_attn_layers.%d." % i, cross, x, visual, media_locations)
            x = opt_layer(w, text, i, x)
        return opt_logits(w, text, x).squeeze(0)  # (T, W)

    cases = []
    for prompt, names in prompts:
        ids = [special["bos"]] + bpe_encode(prompt, tokens, merges, eoc)
        visual = visual_of(names)
        logits = forward(ids, len(ids), visual)
        generated = []
        for _ in range(6):  # greedy, recomputing everything; generated tokens are never media
            nxt = int(forward(ids + generated, len(ids), visual)[-1].argmax())
            if nxt in (eoc, special["eos"]):
                break
            generated.append(nxt)
        cases.append(dict(prompt=prompt, media=names, ids=ids, logits=logits.tolist(), greedy=generated))

    # a continuation holding media markers (" <image>"), as if generated: its markers are text, not media
    prompt_ids = [special["bos"]] + bpe_encode("a photo of <image>", tokens, merges, eoc)
    continuation = bpe_encode("a cat <image> red", tokens, merges, eoc)
    forced = forward(prompt_ids + continuation, len(prompt_ids), visual_of(["two"]))
    forced_case = dict(prompt="a photo of <image>", media=["two"], ids=prompt_ids, continuation=continuation,
                       logits=forced.tolist())

    out_dir = os.path.join(ROOT, "flamingo-mini-style")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(tokens, merges, eoc), f, ensure_ascii=False)
    tensors = dict(w.tensors)
    tensors["lm_head.weight"] = w.tensors["model.decoder.embed_tokens.weight"]  # the tied head, saved twice as released
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
    reference = dict(media={k: dict(shape=list(v.shape), values=v.flatten().tolist()) for k, v in media.items()},
                     cases=cases, forced=forced_case)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(reference, f)


def main():
    os.makedirs(ROOT, exist_ok=True)
    sequences = [[5, 9, 3, 17, 2, 11, 11, 4], [21, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
    write_opt_reference("opt-pre-ln.json", dict(vocab_size=24, max_position_embeddings=16, hidden_size=16,
                                                 word_embed_proj_dim=16, num_hidden_layers=2, num_attention_heads=4,
                                                 ffn_dim=32, do_layer_norm_before=True, activation_function="relu",
                                                 layer_norm_eps=EPS), 11, sequences)
    write_opt_reference("opt-post-ln.json", dict(vocab_size=24, max_position_embeddings=16, hidden_size=16,
                                                  word_embed_proj_dim=8, num_hidden_layers=2, num_attention_heads=4,
                                                  ffn_dim=32, do_layer_norm_before=False, activation_function="relu",
                                                  layer_norm_eps=EPS), 12, sequences)
    write_flamingo_mini_style()


if __name__ == "__main__":
    main()
