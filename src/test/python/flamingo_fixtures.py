#!/usr/bin/python3
"""Tiny random-weight checkpoints in the released layouts of dhansmair's flamingo-tiny and flamingo-mini.

Writes, under --out (src/test/resources/checkpoints in the repository):
  flamingo-tiny-layout/   release folder: config.json (19 keys) + pytorch_model.bin (pre-LN OPT, like OPT-125m)
  flamingo-mini-layout/   the same with a post-LN OPT and project_in/project_out (like OPT-350m)
  flamingo-later-save/    a save by today's code: flamingo-tiny's tensors plus flamingo.vision_encoder.vision_model.*
  opt-tiny-repo/, opt-mini-repo/   the OPT repo files the import reads (config.json, vocab.json, merges.txt, ...)
  clip-repo/              a CLIPModel repo as on the hub (config.json, preprocessor_config.json, .bin + .safetensors)
  clip-repo-today/        the same CLIP weights as safetensors only, with today's preprocessor_config.json format
  reference/              test images (PNG) and reference outputs (JSON) computed in float64 from the saved files

Run with Debian's interpreter (torch 1.13 + numpy + PIL; no transformers):
  /usr/bin/python3 src/test/python/flamingo_fixtures.py --out src/test/resources/checkpoints

Everything is seeded; a second run writes byte-identical files. The reference math below is written from the
public definitions (flamingo-mini at HEAD 8a8feae and 974b741; transformers' OPT, CLIP, CLIPImageProcessor and
GPT-2 byte-level BPE) and works on the tensors read back from the saved files, by checkpoint name.
"""

import argparse
import collections
import hashlib
import json
import math
import os
import shutil
import struct
import sys
import unicodedata
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

SEED = 20240528
GREEDY_STEPS = 8
MIN_GREEDY_MARGIN = 0.05          # top-1 minus top-2 logit at every greedy step, far above F32 rounding

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# ----------------------------------------------------------------------------------------------------------------
# Sizes. Key names and structure follow the releases; only the numbers are small.
# ----------------------------------------------------------------------------------------------------------------

CLIP_VISION = dict(hidden_size=32, intermediate_size=64, num_attention_heads=4, num_hidden_layers=2,
                   image_size=42, patch_size=7, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5)
CLIP_TEXT = dict(hidden_size=24, intermediate_size=48, num_attention_heads=2, num_hidden_layers=1,
                 max_position_embeddings=16, vocab_size=99, hidden_act="quick_gelu", layer_norm_eps=1e-5)
CLIP_PROJECTION_DIM = 16

N_MERGES = 41                      # tokenizer size = 4 specials + 256 bytes + 41 merges = 301 (OPT: 50265)
OPT_VOCAB_SIZE = 304               # padded beyond the tokenizer like OPT's 50272

# weight_seed: picked from a scan of SEED + 10.. and SEED + 20.. for wide greedy margins (all >= MIN_GREEDY_MARGIN)
LAYOUTS = {
    "tiny": dict(
        name="flamingo-tiny-layout", repo="opt-tiny-repo", lm_id="facebook/opt-125m", weight_seed=SEED + 17,
        opt=dict(hidden_size=32, ffn_dim=64, num_hidden_layers=3, num_attention_heads=4, word_embed_proj_dim=32,
                 do_layer_norm_before=True, max_position_embeddings=64),
        flamingo=dict(xattn_every=2, xattn_dim_head=12, xattn_heads=2, xattn_ff_mult=4, xattn_act="sqrelu",
                      resampler_depth=2, resampler_dim_head=8, resampler_heads=2, resampler_num_latents=5,
                      resampler_num_time_embeds=4, resampler_ff_mult=4, resampler_act="sqrelu"),
        gates=[(0.5, -0.7), (0.9, -0.4)]),
    "mini": dict(
        name="flamingo-mini-layout", repo="opt-mini-repo", lm_id="facebook/opt-350m", weight_seed=SEED + 27,
        opt=dict(hidden_size=40, ffn_dim=80, num_hidden_layers=2, num_attention_heads=4, word_embed_proj_dim=24,
                 do_layer_norm_before=False, max_position_embeddings=48),
        flamingo=dict(xattn_every=1, xattn_dim_head=8, xattn_heads=3, xattn_ff_mult=4, xattn_act="sqrelu",
                      resampler_depth=2, resampler_dim_head=6, resampler_heads=3, resampler_num_latents=4,
                      resampler_num_time_embeds=4, resampler_ff_mult=4, resampler_act="sqrelu"),
        gates=[(0.6, -0.5), (-0.8, 0.7)]),
}

# The sizes of the real releases, for the file-size check (flamingo-mini's wiki page "Model Configurations").
REAL_RELEASES = {
    "flamingo-tiny": dict(bytes=1_067_905_561, opt=dict(hidden_size=768, ffn_dim=3072, num_hidden_layers=12,
                          num_attention_heads=12, word_embed_proj_dim=768, do_layer_norm_before=True,
                          max_position_embeddings=2048), vocab_size=50272,
                          flamingo=dict(xattn_every=1, xattn_dim_head=64, xattn_heads=8, xattn_ff_mult=4,
                                        xattn_act="sqrelu", resampler_depth=6, resampler_dim_head=64,
                                        resampler_heads=8, resampler_num_latents=64, resampler_num_time_embeds=4,
                                        resampler_ff_mult=4, resampler_act="sqrelu"), dim_visual=1024),
    "flamingo-mini": dict(bytes=3_339_122_001, opt=dict(hidden_size=1024, ffn_dim=4096, num_hidden_layers=24,
                          num_attention_heads=16, word_embed_proj_dim=512, do_layer_norm_before=False,
                          max_position_embeddings=2048), vocab_size=50272,
                          flamingo=dict(xattn_every=1, xattn_dim_head=128, xattn_heads=16, xattn_ff_mult=4,
                                        xattn_act="sqrelu", resampler_depth=6, resampler_dim_head=128,
                                        resampler_heads=16, resampler_num_latents=64, resampler_num_time_embeds=4,
                                        resampler_ff_mult=4, resampler_act="sqrelu"), dim_visual=1024),
}

# Captions and prompts. No whitespace next to <EOC>: transformers' slow tokenizer of 2022 strips it there, the fast
# one keeps it, and these fixtures stay on the ground both agree on.
BPE_CORPUS = [
    "<image>caption one", "<image>caption two", "<image>", "A video <image>shows", "<image>a square moves",
    "a photo of a cat on the grass", "an image of a red car on the road", "two dogs play in the snow",
    "the video shows a person walking", "a close up of an image of a square", "one caption, two captions",
    "a video of a square that moves on the screen", "shows a cat", "an image shows a car",
]

IMAGES = {  # name: (file, width, height, PIL mode)
    "A": ("a_45x30.png", 45, 30, "RGB"),
    "B": ("b_20x64_gray.png", 20, 64, "L"),
    "C": ("c_100x75.png", 100, 75, "RGB"),
    "F0": ("frame0_50x40.png", 50, 40, "RGB"),
    "F1": ("frame1_50x40.png", 50, 40, "RGB"),
    "F2": ("frame2_50x40.png", 50, 40, "RGB"),
}

MEDIA_ITEMS = {  # a media item is T frames (T <= resampler_num_time_embeds) resampled into one set of visual tokens
    "A": ["A"], "B": ["B"], "C": ["C"],
    "V3": ["F0", "F1", "F2"], "V2a": ["F0", "F1"], "V2b": ["F1", "F2"],
}

PROMPTS = [  # name, text, media items in order (all media of one prompt have the same frame count)
    ("zero_shot", "<image>", ["A"]),
    ("few_shot", "<image>caption one<EOC><image>caption two<EOC><image>", ["B", "C", "A"]),
    ("video", "A video <image>shows", ["V3"]),
    ("two_clips", "<image>a square moves<EOC><image>", ["V2a", "V2b"]),
    ("text_only", "caption one", []),
]

EOC = "<EOC>"

CONVENTIONS = {
    "source": "github.com/dhansmair/flamingo-mini HEAD 8a8feae (today's code) and 974b741 (the code of the day the "
              "weights were uploaded); transformers' OPT, CLIP, CLIPImageProcessor and GPT-2 tokenizer",
    "input_ids": "OPT tokenizer with add_bos_token: '</s>' (id 2) first; '<image>' is plain text ('<', 'image', '>')",
    "eoc": "'<EOC>' added to the tokenizer at id len(vocab.json); embeddings have config vocab_size + 1 rows",
    "media_locations": "1 where input_ids is encode('<')[-1] or encode(' <')[-1] (the '<' and 'Ġ<' tokens)",
    "text_time": "cumsum(media_locations); a token attends to the visual tokens of media number text_time",
    "log_probs": "HEAD rule: a token with text_time 0 (before the first media) gets a zero cross-attention output; "
                 "the gated feed-forward applies to every token. *_974b741 fields: that row attends uniformly to "
                 "all visual tokens of the sequence instead",
    "greedy": "generate with use_cache: prompt in one call, then one token per call; media_locations stays the "
              "prompt's, so every generated token has text_time = the prompt's media count (last media)",
    "positions": "OPT learned positions: token t (0-based, no padding) uses row t + 2 of embed_positions",
    "visual": "CLIP last_hidden_state (class token first, before post_layernorm) per frame; + time_pos_emb[:T]; "
              "frames flattened (T*P); resampled to resampler_num_latents tokens per media item",
}


# ----------------------------------------------------------------------------------------------------------------
# Byte-level BPE in GPT-2's format (tokenization_gpt2.py): bytes -> printable unicode, a pre-tokenizer, ranked merges.
# ----------------------------------------------------------------------------------------------------------------

def byte_to_unicode():
    """GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 and up, in byte order."""
    printable = set(range(ord("!"), ord("~") + 1)) | set(range(ord("¡"), ord("¬") + 1)) | set(
        range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_ENCODER = byte_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def _is_letter(c):
    return unicodedata.category(c).startswith("L")


def _is_number(c):
    return unicodedata.category(c).startswith("N")


def pretokenize(text):
    """GPT-2's split  's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+  by hand."""
    pieces, i, n = [], 0, len(text)

    def run(start, pred):
        j = start
        while j < n and pred(text[j]):
            j += 1
        return j

    def other(c):
        return not c.isspace() and not _is_letter(c) and not _is_number(c)

    while i < n:
        if text[i] == "'":
            hit = next((s for s in ("s", "t", "re", "ve", "m", "ll", "d") if text.startswith(s, i + 1)), None)
            if hit is not None:
                pieces.append(text[i:i + 1 + len(hit)])
                i += 1 + len(hit)
                continue
        start = i + 1 if text[i] == " " and i + 1 < n else i
        matched = False
        for pred in (_is_letter, _is_number, other):
            if start < n and pred(text[start]) and not (start == i and text[i] == " "):
                j = run(start, pred)
                pieces.append(text[i:j])
                i, matched = j, True
                break
        if matched:
            continue
        if text[i].isspace():
            j = run(i, str.isspace)
            if j < n and j - i >= 2:
                j -= 1                  # \s+(?!\S): leave the last space to prefix the next word
            pieces.append(text[i:j])
            i = j
            continue
        pieces.append(text[i])          # not reached for well-formed text; kept total
        i += 1
    assert "".join(pieces) == text
    return pieces


def check_pretokenize():
    """On ASCII text \\p{L} and \\p{N} are [A-Za-z] and [0-9], so Python's re can run GPT-2's expression itself:
    compare the hand-written split with it on random strings of letters, digits, quotes, punctuation, spaces."""
    import random
    import re
    pattern = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
    rng = random.Random(SEED)
    for _ in range(20000):
        text = "".join(rng.choice("ab Z9'<>.,\n\t  sl") for _ in range(rng.randint(0, 12)))
        assert pattern.findall(text) == pretokenize(text), repr(text)


def to_symbols(piece):
    return "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))


def train_merges(texts, n_merges, forced):
    """A small deterministic BPE trainer: the forced merges first, then the most frequent pair (ties: smallest)."""
    words = collections.Counter()
    for text in texts:
        for segment in text.split(EOC):
            for piece in pretokenize(segment):
                words[tuple(to_symbols(piece))] += 1

    def apply(merge, word):
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == merge:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        return tuple(out)

    merges = []
    for merge in forced:
        merges.append(merge)
        words = collections.Counter({apply(merge, w): c for w, c in words.items()})
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for w, c in words.items():
            for pair in zip(w, w[1:]):
                pairs[pair] += c
        if not pairs:
            raise ValueError("BPE corpus too small for %d merges" % n_merges)
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = collections.Counter()
        for w, c in words.items():
            merged[apply(best, w)] += c
        words = merged
    return merges


class OptTokenizer:
    """OPT's tokenizer as flamingo-mini's FlamingoProcessor sets it up: GPT-2 BPE, BOS '</s>' (id 2) prepended
    (add_bos_token), pad = eos, '<EOC>' added at id len(vocab)."""

    SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]

    def __init__(self, vocab, merges):
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.eoc_id = len(self.vocab)
        self.added = {EOC: self.eoc_id}
        self.no_split = [EOC, "</s>", "<pad>"]           # added tokens and the special tokens' strings
        self.bos_id = self.vocab["</s>"]
        self.eos_id = self.vocab["</s>"]
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token[self.eoc_id] = EOC

    def bpe(self, symbols):
        word = list(symbols)
        while len(word) > 1:
            pairs = [(self.ranks.get((a, b), math.inf), k) for k, (a, b) in enumerate(zip(word, word[1:]))]
            rank = min(p[0] for p in pairs)
            if rank == math.inf:
                break
            first, second = self.merges[rank]
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def split_added(self, text):
        parts, i, start = [], 0, 0
        while i < len(text):
            hit = next((t for t in sorted(self.no_split, key=len, reverse=True) if text.startswith(t, i)), None)
            if hit is None:
                i += 1
                continue
            if start < i:
                parts.append((text[start:i], False))
            parts.append((hit, True))
            i += len(hit)
            start = i
        if start < len(text):
            parts.append((text[start:], False))
        return parts

    def tokens(self, text):
        out = []
        for part, is_added in self.split_added(text):
            if is_added:
                out.append(part)
                continue
            for piece in pretokenize(part):
                out.extend(self.bpe(to_symbols(piece)))
        return out

    def token_id(self, token):
        return self.added[token] if token in self.added else self.vocab[token]

    def encode(self, text, add_bos=True):
        for t in self.no_split:
            assert (" " + t) not in text and (t + " ") not in text, "keep whitespace away from " + t
        ids = [self.token_id(t) for t in self.tokens(text)]
        return ([self.bos_id] if add_bos else []) + ids

    def decode(self, ids):
        text = "".join(self.id_to_token[i] for i in ids)
        return bytearray(BYTE_DECODER[c] for c in text).decode("utf-8") if text else ""

    def media_location_ids(self):
        """FlamingoProcessor.leq_ids: [encode("<")[-1], encode(" <")[-1]] with the BOS prepended."""
        return [self.encode("<")[-1], self.encode(" <")[-1]]


def build_tokenizer():
    merges = train_merges(BPE_CORPUS, N_MERGES, forced=[("Ġ", "<")])
    symbols = [BYTE_ENCODER[b] for b in range(256)] + [a + b for a, b in merges]
    assert len(set(symbols)) == len(symbols), "a merge produced a byte symbol again"
    order = np.random.RandomState(SEED).permutation(len(symbols))   # OPT's ids are not in byte order either
    vocab = {s: i for i, s in enumerate(OptTokenizer.SPECIALS)}
    for new_id, k in enumerate(order):
        vocab[symbols[k]] = len(OptTokenizer.SPECIALS) + new_id
    vocab = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    return OptTokenizer(vocab, merges)


# ----------------------------------------------------------------------------------------------------------------
# Module trees with the attribute names of the real code, so that state_dict() yields the real keys in the real order.
# They hold weights only; the reference math further down reads the saved tensors by name.
# ----------------------------------------------------------------------------------------------------------------

class OptAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)


class OptDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.self_attn = OptAttention(d)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, c["ffn_dim"])
        self.fc2 = nn.Linear(c["ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)


class OptDecoder(nn.Module):
    def __init__(self, c, rows):
        super().__init__()
        d, p = c["hidden_size"], c["word_embed_proj_dim"]
        self.embed_tokens = nn.Embedding(rows, p)
        self.embed_positions = nn.Embedding(c["max_position_embeddings"] + 2, d)   # OPT's offset of 2
        if p != d:
            self.project_out = nn.Linear(d, p, bias=False)
            self.project_in = nn.Linear(p, d, bias=False)
        if c["do_layer_norm_before"]:
            self.final_layer_norm = nn.LayerNorm(d)
        self.layers = nn.ModuleList([OptDecoderLayer(c) for _ in range(c["num_hidden_layers"])])


class OptModel(nn.Module):
    def __init__(self, c, rows):
        super().__init__()
        self.decoder = OptDecoder(c, rows)


class SquaredReLU(nn.Module):
    def forward(self, x):
        return torch.relu(x) ** 2


def feed_forward(dim, mult, act):
    acts = {"sqrelu": SquaredReLU, "gelu": nn.GELU, "relu": nn.ReLU}
    inner = int(dim * mult)
    return nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, inner, bias=False), acts[act](),
                         nn.Linear(inner, dim, bias=False))


class PerceiverAttentionLayer(nn.Module):
    def __init__(self, dim, dim_head, heads):
        super().__init__()
        inner = dim_head * heads
        self.norm_media = nn.LayerNorm(dim)
        self.norm_latents = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(dim, inner, bias=False)
        self.to_v = nn.Linear(dim, inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)


class PerceiverResampler(nn.Module):
    def __init__(self, dim, f):
        super().__init__()
        self.latents = nn.Parameter(torch.zeros(f["resampler_num_latents"], dim))
        self.time_pos_emb = nn.Parameter(torch.zeros(f["resampler_num_time_embeds"], 1, dim))
        self.layers = nn.ModuleList([
            nn.ModuleList([PerceiverAttentionLayer(dim, f["resampler_dim_head"], f["resampler_heads"]),
                           feed_forward(dim, f["resampler_ff_mult"], f["resampler_act"])])
            for _ in range(f["resampler_depth"])])
        self.norm = nn.LayerNorm(dim)


class MaskedCrossAttention(nn.Module):
    def __init__(self, dim, dim_visual, dim_head, heads):
        super().__init__()
        inner = dim_head * heads
        self.norm = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim_visual, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)


class GatedCrossAttentionBlock(nn.Module):
    def __init__(self, dim, dim_visual, f):
        super().__init__()
        self.attn = MaskedCrossAttention(dim, dim_visual, f["xattn_dim_head"], f["xattn_heads"])
        self.alpha_attn = nn.Parameter(torch.tensor([0.]))
        self.ffw = feed_forward(dim, f["xattn_ff_mult"], f["xattn_act"])
        self.alpha_ffw = nn.Parameter(torch.tensor([0.]))


class ModifiedLMBlock(nn.Module):
    def __init__(self, lm_block, dim, dim_visual, f):
        super().__init__()
        self.xattn_block = GatedCrossAttentionBlock(dim, dim_visual, f)
        self.lm_block = lm_block


class ClipAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)


class ClipMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.fc2 = nn.Linear(c["intermediate_size"], c["hidden_size"])


class ClipEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.self_attn = ClipAttention(d)
        self.layer_norm1 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.mlp = ClipMlp(c)
        self.layer_norm2 = nn.LayerNorm(d, eps=c["layer_norm_eps"])


class ClipEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([ClipEncoderLayer(c) for _ in range(c["num_hidden_layers"])])


class ClipVisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.patch_embedding = nn.Conv2d(c["num_channels"], d, kernel_size=c["patch_size"], stride=c["patch_size"],
                                         bias=False)
        positions = (c["image_size"] // c["patch_size"]) ** 2 + 1
        self.position_embedding = nn.Embedding(positions, d)
        # persistent (saved, int64 [1, positions]) in the transformers of 2021-2023 that wrote these files
        self.register_buffer("position_ids", torch.arange(positions).expand((1, -1)))


class ClipVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.embeddings = ClipVisionEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])    # sic: the real attribute name
        self.encoder = ClipEncoder(c)
        self.post_layernorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])


class ClipTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))


class ClipTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = ClipTextEmbeddings(c)
        self.encoder = ClipEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class ClipModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.text_model = ClipTextTransformer(CLIP_TEXT)
        self.vision_model = ClipVisionTransformer(CLIP_VISION)
        self.visual_projection = nn.Linear(CLIP_VISION["hidden_size"], CLIP_PROJECTION_DIM, bias=False)
        self.text_projection = nn.Linear(CLIP_TEXT["hidden_size"], CLIP_PROJECTION_DIM, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(2.6592))


class ClipVisionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.vision_model = ClipVisionTransformer(CLIP_VISION)


class FlamingoOpt(nn.Module):
    """FlamingoBaseModel + FlamingoOPT: 974b741 registers resampler, lm, lm_head; HEAD puts vision_encoder first."""

    def __init__(self, opt, f, vocab_size, dim_visual, with_vision):
        super().__init__()
        if with_vision:
            self.vision_encoder = ClipVisionModel()
        self.resampler = PerceiverResampler(dim_visual, f)
        rows = vocab_size + 1                       # resize_token_embeddings(vocab_size + 1)
        self.lm = OptModel(opt, rows)
        self.lm_head = nn.Linear(opt["word_embed_proj_dim"], rows, bias=False)
        self.lm_head.weight = self.lm.decoder.embed_tokens.weight      # tied: one Parameter, one storage
        layers = self.lm.decoder.layers
        for i in range(len(layers)):
            if i % f["xattn_every"] == 0:
                layers[i] = ModifiedLMBlock(layers[i], opt["hidden_size"], dim_visual, f)


class FlamingoModel(nn.Module):
    def __init__(self, opt, f, vocab_size, dim_visual, with_vision=False):
        super().__init__()
        self.flamingo = FlamingoOpt(opt, f, vocab_size, dim_visual, with_vision)


# ----------------------------------------------------------------------------------------------------------------
# Seeded random weights, scaled so that activations stay O(1) and the next-token distributions are peaked.
# ----------------------------------------------------------------------------------------------------------------

def init_weights(model, seed, gates=()):
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g)

    flamingo = getattr(model, "flamingo", None)
    tied_head = flamingo.lm_head if flamingo is not None else None      # filled as the embedding it is

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.2 * randn(*module.weight.shape))
                module.bias.copy_(0.1 * randn(*module.bias.shape))
            elif isinstance(module, nn.Linear):
                if module is tied_head:
                    continue
                module.weight.copy_(randn(*module.weight.shape) / math.sqrt(module.in_features))
                if module.bias is not None:
                    module.bias.copy_(0.1 * randn(*module.bias.shape))
            elif isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.copy_(randn(*module.weight.shape) / math.sqrt(fan_in))
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(0.5 * randn(*module.weight.shape))
            elif isinstance(module, PerceiverResampler):
                module.latents.copy_(randn(*module.latents.shape))
                module.time_pos_emb.copy_(0.5 * randn(*module.time_pos_emb.shape))
            elif isinstance(module, ClipVisionEmbeddings):
                module.class_embedding.copy_(0.5 * randn(*module.class_embedding.shape))
        blocks = [m for m in model.modules() if isinstance(m, GatedCrossAttentionBlock)]
        for k, block in enumerate(blocks):
            attn, ffw = gates[k % len(gates)]
            block.alpha_attn.fill_(attn)          # non-zero gates: the released ones are trained, not 0
            block.alpha_ffw.fill_(ffw)


# ----------------------------------------------------------------------------------------------------------------
# Files: torch.save, a small safetensors writer, JSON configs.
# ----------------------------------------------------------------------------------------------------------------

def plain_state_dict(module):
    """What transformers' save_pretrained hands to torch.save since 4.18 (shard_checkpoint): a plain dict of the
    state_dict's tensors in its order, tied tensors still sharing storage."""
    return {k: v for k, v in module.state_dict().items()}


def write_json(path, obj, sort_keys=True):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=sort_keys)
        fh.write("\n")


def write_reference_json(path, obj):
    """JSON with objects indented and each list of numbers (or strings) on one line, so that long float lists stay
    compact while the structure stays readable."""
    def scalar(v):
        return v is None or isinstance(v, (bool, int, float, str))

    def emit(v, depth):
        pad, inner = "  " * depth, "  " * (depth + 1)
        if isinstance(v, dict):
            if not v:
                return "{}"
            items = ["%s%s: %s" % (inner, json.dumps(k), emit(x, depth + 1)) for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and not all(scalar(x) for x in v):
            return "[\n" + ",\n".join(inner + emit(x, depth + 1) for x in v) + "\n" + pad + "]"
        return json.dumps(v, separators=(", ", ": "))

    with open(path, "w", encoding="utf-8") as fh:
        fh.write(emit(obj, 0))
        fh.write("\n")


def write_safetensors(path, tensors):
    """safetensors: u64 LE header length, JSON header (dtype, shape, data_offsets), raw little-endian data."""
    names = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    order = sorted(tensors, key=lambda n: (-tensors[n].element_size(), n))
    header, blobs, offset = {}, [], 0
    for name in order:
        t = tensors[name].contiguous()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for blob in blobs:
            fh.write(blob)


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    dtypes = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(dtypes[entry["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.astype(dtypes[entry["dtype"]]).reshape(entry["shape"]))
    return out


def storage_names_in_zip(path):
    """Maps each tensor key to the storage record it points at, by reading the pickle's persistent ids."""
    import pickle

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return lambda storage, *rest: storage
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if module == "torch" and name.endswith("Storage"):
                return name
            raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))

        def persistent_load(self, pid):
            return pid[2]                              # ('storage', type, key, location, numel)

    with zipfile.ZipFile(path) as zf:
        pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl"))
        return Reader(zf.open(pkl)).load(), zf.namelist()


def flamingo_release_config(layout, dim_visual, later_save):
    """The release config.json: FlamingoConfig's 16 fields + architectures, torch_dtype, transformers_version = 19
    keys (to_diff_dict drops PretrainedConfig defaults); today's FlamingoConfig adds the two freeze flags."""
    f = layout["flamingo"]
    cfg = dict(architectures=["FlamingoModel"], lm=layout["lm_id"], clip_model_type="openai/clip-vit-large-patch14",
               dim=layout["opt"]["hidden_size"], dim_visual=dim_visual, torch_dtype="float32",
               transformers_version="4.26.1" if later_save else "4.21.2")
    cfg.update(f)
    if later_save:
        cfg.update(freeze_language_model=True, freeze_vision_model=True)
    assert len(cfg) == (21 if later_save else 19), len(cfg)
    return cfg


def opt_repo_config(layout):
    o = layout["opt"]
    cfg = {
        "activation_dropout": 0.0, "activation_function": "relu", "architectures": ["OPTForCausalLM"],
        "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": o["do_layer_norm_before"],
        "dropout": 0.1, "eos_token_id": 2, "ffn_dim": o["ffn_dim"], "hidden_size": o["hidden_size"],
        "init_std": 0.02, "layerdrop": 0.0, "max_position_embeddings": o["max_position_embeddings"],
        "model_type": "opt", "num_attention_heads": o["num_attention_heads"],
        "num_hidden_layers": o["num_hidden_layers"], "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float16",
        "transformers_version": "4.21.0.dev0", "use_cache": True, "vocab_size": OPT_VOCAB_SIZE,
        "word_embed_proj_dim": o["word_embed_proj_dim"],
    }
    if not o["do_layer_norm_before"]:
        # like opt-350m's file; the fields added to OPTConfig in 2023 are spelled out here, left to their
        # defaults (true) in opt-tiny-repo exactly as the hub's opt-125m config.json leaves them out
        cfg.update({"_remove_final_layer_norm": False, "enable_bias": True, "layer_norm_elementwise_affine": True})
    return cfg


def added_token(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False,
            "single_word": False}


def write_opt_repo(path, layout, tok):
    os.makedirs(path, exist_ok=True)
    write_json(os.path.join(path, "config.json"), opt_repo_config(layout))
    with open(os.path.join(path, "vocab.json"), "w", encoding="utf-8") as fh:
        json.dump(tok.vocab, fh)                       # id order, non-ASCII escaped, as GPT-2's file
    with open(os.path.join(path, "merges.txt"), "w", encoding="utf-8") as fh:
        fh.write("#version: 0.2\n")
        for a, b in tok.merges:
            fh.write("%s %s\n" % (a, b))
    write_json(os.path.join(path, "tokenizer_config.json"), {
        "add_bos_token": True, "add_prefix_space": False, "bos_token": added_token("</s>"),
        "eos_token": added_token("</s>"), "errors": "replace", "name_or_path": "facebook/opt-30b",
        "pad_token": added_token("<pad>"), "special_tokens_map_file": None, "unk_token": added_token("</s>")},
        sort_keys=False)
    special = {k: {kk: vv for kk, vv in added_token(v).items() if kk != "__type"}
               for k, v in (("bos_token", "</s>"), ("eos_token", "</s>"), ("unk_token", "</s>"),
                            ("pad_token", "<pad>"))}
    write_json(os.path.join(path, "special_tokens_map.json"), special, sort_keys=False)


def pretrained_config_common():
    """The PretrainedConfig fields a 2022 CLIPConfig serialises inside text_config and vision_config."""
    return {
        "add_cross_attention": False, "architectures": None, "attention_dropout": 0.0, "bad_words_ids": None,
        "chunk_size_feed_forward": 0, "cross_attention_hidden_size": None, "decoder_start_token_id": None,
        "diversity_penalty": 0.0, "do_sample": False, "dropout": 0.0, "early_stopping": False,
        "encoder_no_repeat_ngram_size": 0, "exponential_decay_length_penalty": None, "finetuning_task": None,
        "forced_bos_token_id": None, "forced_eos_token_id": None, "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
        "initializer_factor": 1.0, "initializer_range": 0.02, "is_decoder": False, "is_encoder_decoder": False,
        "label2id": {"LABEL_0": 0, "LABEL_1": 1}, "length_penalty": 1.0, "max_length": 20, "min_length": 0,
        "no_repeat_ngram_size": 0, "num_beam_groups": 1, "num_beams": 1, "num_return_sequences": 1,
        "output_attentions": False, "output_hidden_states": False, "output_scores": False, "prefix": None,
        "problem_type": None, "pruned_heads": {}, "remove_invalid_values": False, "repetition_penalty": 1.0,
        "return_dict": True, "return_dict_in_generate": False, "sep_token_id": None, "task_specific_params": None,
        "temperature": 1.0, "tf_legacy_loss": False, "tie_encoder_decoder": False, "tie_word_embeddings": True,
        "tokenizer_class": None, "top_k": 50, "top_p": 1.0, "torch_dtype": None, "torchscript": False,
        "transformers_version": "4.21.0.dev0", "typical_p": 1.0, "use_bfloat16": False,
    }


def clip_repo_config():
    text = pretrained_config_common()
    text.update(CLIP_TEXT, model_type="clip_text_model", bos_token_id=0, eos_token_id=2, pad_token_id=1,
                projection_dim=CLIP_PROJECTION_DIM)
    vision = pretrained_config_common()
    vision.update(CLIP_VISION, model_type="clip_vision_model", bos_token_id=None, eos_token_id=None,
                  pad_token_id=None, projection_dim=CLIP_PROJECTION_DIM)
    sizes = ("hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers")
    return {
        "_name_or_path": "openai/clip-vit-large-patch14", "architectures": ["CLIPModel"], "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592, "model_type": "clip", "projection_dim": CLIP_PROJECTION_DIM,
        "text_config": text,
        "text_config_dict": dict({k: CLIP_TEXT[k] for k in sizes}, projection_dim=CLIP_PROJECTION_DIM),
        "torch_dtype": "float32", "transformers_version": None, "vision_config": vision,
        "vision_config_dict": dict({k: CLIP_VISION[k] for k in sizes + ("patch_size", "image_size")},
                                   projection_dim=CLIP_PROJECTION_DIM),
    }


def clip_preprocessor_hub():
    """openai/clip-vit-large-patch14's file: the CLIPFeatureExtractor format with integer size and crop_size."""
    return {"crop_size": CLIP_VISION["image_size"], "do_center_crop": True, "do_normalize": True, "do_resize": True,
            "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
            "resample": 3, "size": CLIP_VISION["image_size"]}


def clip_preprocessor_today():
    """The CLIPImageProcessor format transformers writes today."""
    s = CLIP_VISION["image_size"]
    return {"crop_size": {"height": s, "width": s}, "do_center_crop": True, "do_convert_rgb": True,
            "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": CLIP_MEAN,
            "image_processor_type": "CLIPImageProcessor", "image_std": CLIP_STD, "resample": 3,
            "rescale_factor": 1 / 255, "size": {"shortest_edge": s}}


# ----------------------------------------------------------------------------------------------------------------
# Test images and CLIP preprocessing (CLIPImageProcessor: RGB, shortest edge bicubic in uint8 via PIL, centre crop,
# rescale 1/255, normalise with CLIP's mean and std, channels first).
# ----------------------------------------------------------------------------------------------------------------

def make_image(name, width, height, mode, rng):
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    if name == "A":
        r = 255 * xx / max(width - 1, 1)
        g = 255 * yy / max(height - 1, 1)
        b = 128 + 100 * np.sin(xx / 3.0)
        disk = (xx - 30) ** 2 + (yy - 12) ** 2 < 64
        rgb = np.stack([np.where(disk, 230, r), np.where(disk, 20, g), np.where(disk, 30, b)], -1)
    elif name == "B":
        gray = 128 + 110 * np.sign(np.sin(yy / 2.5)) * (xx / (width - 1))
        return Image.fromarray(np.clip(gray + rng.randint(-8, 9, gray.shape), 0, 255).astype(np.uint8), "L")
    elif name == "C":
        checker = ((xx // 10 + yy // 10) % 2) * 200 + 20
        rgb = np.stack([checker, 255 - checker, 60 + xx], -1) + rng.randint(-20, 21, (height, width, 3))
    else:
        t = int(name[1])
        rgb = np.zeros((height, width, 3)) + np.array([30, 60, 170])
        x0, y0 = 6 + 14 * t, 12 + 3 * t
        inside = (xx >= x0) & (xx < x0 + 14) & (yy >= y0) & (yy < y0 + 14)
        rgb[inside] = [240, 200, 40]
        rgb += rng.randint(-6, 7, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def clip_preprocess(image, size, crop):
    """Returns (resized width, height), the cropped uint8 HWC array, and the float32 CHW pixel values."""
    image = image.convert("RGB")                                     # do_convert_rgb
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(size * long / short)                              # get_resize_output_image_size: truncation
    new_w, new_h = (size, new_long) if width <= height else (new_long, size)
    resized = np.asarray(image.resize((new_w, new_h), resample=Image.BICUBIC))   # uint8, PIL's bicubic (a = -0.5)
    top, left = (new_h - crop) // 2, (new_w - crop) // 2             # center_crop
    cropped = resized[top:top + crop, left:left + crop]
    scaled = (cropped.astype(np.float64) * (1 / 255)).astype(np.float32)          # rescale
    mean, std = np.array(CLIP_MEAN, dtype=np.float32), np.array(CLIP_STD, dtype=np.float32)
    pixels = ((scaled - mean) / std).astype(np.float32).transpose(2, 0, 1)       # normalize, channels first
    return (new_w, new_h), cropped, np.ascontiguousarray(pixels)


# ----------------------------------------------------------------------------------------------------------------
# Reference math in float64 over the saved tensors, by checkpoint name.
# ----------------------------------------------------------------------------------------------------------------

def ln(x, w, p, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), w[p + ".weight"], w[p + ".bias"], eps)


def lin(x, w, p, bias=True):
    y = x @ w[p + ".weight"].T
    return y + w[p + ".bias"] if bias else y


def split_heads(x, heads):                                   # (L, H*d) -> (H, L, d)
    return x.reshape(x.shape[0], heads, -1).transpose(0, 1)


def merge_heads(x):                                          # (H, L, d) -> (L, H*d)
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def act_fn(name, x):
    if name == "sqrelu":
        return torch.relu(x) ** 2
    if name == "gelu":
        return F.gelu(x)
    if name == "relu":
        return torch.relu(x)
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    raise ValueError(name)


def feed_forward_ref(x, w, p, act):                          # Sequential(LayerNorm, Linear, act, Linear): .0 .1 .3
    return lin(act_fn(act, lin(ln(x, w, p + ".0"), w, p + ".1", bias=False)), w, p + ".3", bias=False)


def clip_vision_ref(w, p, pixels, c):
    """CLIPVisionTransformer up to the encoder output: last_hidden_state (1 + patches, D), before post_layernorm."""
    x = torch.from_numpy(pixels).double()[None]                                       # (1, 3, S, S)
    patches = F.conv2d(x, w[p + "embeddings.patch_embedding.weight"], stride=c["patch_size"])[0]   # (D, g, g)
    patches = patches.flatten(1).T                                                    # (g*g, D), row-major
    h = torch.cat([w[p + "embeddings.class_embedding"][None], patches], 0)
    h = h + w[p + "embeddings.position_embedding.weight"][w[p + "embeddings.position_ids"][0]]
    h = ln(h, w, p + "pre_layrnorm", c["layer_norm_eps"])
    heads = c["num_attention_heads"]
    for i in range(c["num_hidden_layers"]):
        q = "%sencoder.layers.%d." % (p, i)
        x = ln(h, w, q + "layer_norm1", c["layer_norm_eps"])
        qs = split_heads(lin(x, w, q + "self_attn.q_proj") * (c["hidden_size"] // heads) ** -0.5, heads)
        ks = split_heads(lin(x, w, q + "self_attn.k_proj"), heads)
        vs = split_heads(lin(x, w, q + "self_attn.v_proj"), heads)
        h = h + lin(merge_heads(torch.softmax(qs @ ks.transpose(1, 2), -1) @ vs), w, q + "self_attn.out_proj")
        x = ln(h, w, q + "layer_norm2", c["layer_norm_eps"])
        h = h + lin(act_fn(c["hidden_act"], lin(x, w, q + "mlp.fc1")), w, q + "mlp.fc2")
    return h


def resampler_ref(w, feats, f):
    """PerceiverResampler: frames (T, P, Dv) + time_pos_emb[:T], flattened to (T*P, Dv); latents attend to
    concat(norm_media(frames), norm_latents(latents)); returns norm(latents) (q, Dv)."""
    p = "flamingo.resampler."
    T = feats.shape[0]
    x_f = (feats + w[p + "time_pos_emb"][:T]).reshape(-1, feats.shape[-1])
    lat = w[p + "latents"]
    heads, scale = f["resampler_heads"], f["resampler_dim_head"] ** -0.5
    for i in range(f["resampler_depth"]):
        a = "%slayers.%d.0." % (p, i)
        media, latn = ln(x_f, w, a + "norm_media"), ln(lat, w, a + "norm_latents")
        q = split_heads(lin(latn, w, a + "to_q", bias=False), heads) * scale
        kv_in = torch.cat([media, latn], 0)
        k = split_heads(lin(kv_in, w, a + "to_k", bias=False), heads)
        v = split_heads(lin(kv_in, w, a + "to_v", bias=False), heads)
        lat = lat + lin(merge_heads(torch.softmax(q @ k.transpose(1, 2), -1) @ v), w, a + "to_out", bias=False)
        lat = lat + feed_forward_ref(lat, w, "%slayers.%d.1" % (p, i), f["resampler_act"])
    return ln(lat, w, p + "norm")


def masked_cross_attention_ref(y, w, p, f, visual, text_time, rule, cached_kv):
    """MaskedCrossAttention. visual (N, q, Dv); text_time (L,) ints. A token attends to the q visual tokens of media
    number text_time (1-based). A row with no allowed key: softmax of equal scores = uniform over all N*q keys; HEAD
    (rule 'head') then zeroes rows with text_time == 0, 974b741 (rule '974b741') keeps them uniform."""
    heads, n_latents = f["xattn_heads"], f["resampler_num_latents"]
    q = split_heads(lin(ln(y, w, p + "norm"), w, p + "to_q", bias=False) * f["xattn_dim_head"] ** -0.5, heads)
    if cached_kv is None:
        kv = lin(visual.reshape(-1, visual.shape[-1]), w, p + "to_kv", bias=False)        # (N*q, 2*inner)
        inner = kv.shape[-1] // 2
        k, v = split_heads(kv[:, :inner], heads), split_heads(kv[:, inner:], heads)       # chunk(2, dim=-1)
    else:
        k, v = cached_kv
    n_keys = k.shape[1]
    media_time = torch.arange(n_keys) // n_latents + 1                                    # (S,)
    allowed = text_time[:, None] == media_time[None, :]                                   # (L, S)
    sim = q @ k.transpose(1, 2)                                                           # (H, L, S)
    sim = torch.where(allowed[None], sim, torch.full_like(sim, -torch.finfo(torch.float32).max))
    sim = sim - sim.amax(-1, keepdim=True)
    alphas = torch.softmax(sim, -1)
    if rule == "head":
        alphas = alphas.masked_fill((text_time == 0)[None, :, None], 0.0)
    out = lin(merge_heads(alphas @ v), w, p + "to_out", bias=False)
    return out, (k, v)


def opt_layer_ref(h, w, p, o, past):
    pre = o["do_layer_norm_before"]
    heads = o["num_attention_heads"]
    res = h
    x = ln(h, w, p + "self_attn_layer_norm") if pre else h
    q = split_heads(lin(x, w, p + "self_attn.q_proj") * (o["hidden_size"] // heads) ** -0.5, heads)
    k = split_heads(lin(x, w, p + "self_attn.k_proj"), heads)
    v = split_heads(lin(x, w, p + "self_attn.v_proj"), heads)
    if past is not None:
        k, v = torch.cat([past[0], k], 1), torch.cat([past[1], v], 1)
    L, S = q.shape[1], k.shape[1]
    causal = torch.arange(S)[None, :] <= (torch.arange(L)[:, None] + S - L)              # (L, S)
    sim = (q @ k.transpose(1, 2)).masked_fill(~causal[None], -math.inf)
    h = res + lin(merge_heads(torch.softmax(sim, -1) @ v), w, p + "self_attn.out_proj")
    if not pre:
        h = ln(h, w, p + "self_attn_layer_norm")
    res = h
    x = ln(h, w, p + "final_layer_norm") if pre else h
    h = res + lin(torch.relu(lin(x, w, p + "fc1")), w, p + "fc2")
    if not pre:
        h = ln(h, w, p + "final_layer_norm")
    return h, (k, v)


def flamingo_forward_ref(w, layout, ids, text_time, visual, rule="head", cache=None):
    """One forward of FlamingoModel for one sequence: ids (L,), text_time (L,), visual (N, q, Dv) or None.
    cache = {"xattn": [(k, v)...], "lm": [(k, v)...], "length": n} continues a previous call (HF past_key_values).
    Returns logits (L, vocab_size + 1) and the new cache."""
    o, f = layout["opt"], layout["flamingo"]
    d = "flamingo.lm.decoder."
    past_len = 0 if cache is None else cache["length"]
    if visual is None:                          # HEAD: dummy zeros (1 media); every text_time is then 0 anyway
        visual = torch.zeros(1, f["resampler_num_latents"], w["flamingo.resampler.latents"].shape[-1],
                             dtype=torch.float64)
    x = w[d + "embed_tokens.weight"][ids]                                                # (L, P)
    if d + "project_in.weight" in w:
        x = lin(x, w, d + "project_in", bias=False)                                      # (L, D)
    positions = torch.arange(past_len, past_len + len(ids)) + 2                          # all-ones mask, offset 2
    h = x + w[d + "embed_positions.weight"][positions]
    new_cache = {"xattn": [], "lm": [], "length": past_len + len(ids)}
    n_xattn = 0
    for i in range(o["num_hidden_layers"]):
        if i % f["xattn_every"] == 0:
            b = "%slayers.%d.xattn_block." % (d, i)
            cached = None if cache is None else cache["xattn"][n_xattn]
            a, kv = masked_cross_attention_ref(h, w, b + "attn.", f, visual, text_time, rule, cached)
            h = h + torch.tanh(w[b + "alpha_attn"]) * a
            h = h + torch.tanh(w[b + "alpha_ffw"]) * feed_forward_ref(h, w, b + "ffw", f["xattn_act"])
            new_cache["xattn"].append(kv)
            n_xattn += 1
            lp = "%slayers.%d.lm_block." % (d, i)
        else:
            lp = "%slayers.%d." % (d, i)
        h, kv = opt_layer_ref(h, w, lp, o, None if cache is None else cache["lm"][i])
        new_cache["lm"].append(kv)
    if d + "final_layer_norm.weight" in w:
        h = ln(h, w, d + "final_layer_norm")
    if d + "project_out.weight" in w:
        h = lin(h, w, d + "project_out", bias=False)
    return h @ w["flamingo.lm_head.weight"].T, new_cache


def cross_check_attention(w_lm, layout, w_clip):
    """The head split/merge, scaling and masks of the reference layers against torch's own multi-head attention
    (F.multi_head_attention_forward), on random inputs: a second path through the same tensors."""
    g = torch.Generator().manual_seed(SEED + 99)

    def mha(x, w, p, heads, causal):
        mask = torch.triu(torch.ones(len(x), len(x), dtype=torch.bool), 1) if causal else None
        out, _ = F.multi_head_attention_forward(
            x[:, None], x[:, None], x[:, None], x.shape[-1], heads, None, torch.cat(
                [w[p + "q_proj.bias"], w[p + "k_proj.bias"], w[p + "v_proj.bias"]]), None, None, False, 0.0,
            w[p + "out_proj.weight"], w[p + "out_proj.bias"], training=False, need_weights=False, attn_mask=mask,
            use_separate_proj_weight=True, q_proj_weight=w[p + "q_proj.weight"],
            k_proj_weight=w[p + "k_proj.weight"], v_proj_weight=w[p + "v_proj.weight"])
        return out[:, 0]

    o = layout["opt"]
    p = "flamingo.lm.decoder.layers.1."                     # layer 1: plain in tiny, wrapped in mini
    p = p + "lm_block." if p + "lm_block.fc1.weight" in w_lm else p
    h = torch.randn(7, o["hidden_size"], generator=g, dtype=torch.float64)
    mine, _ = opt_layer_ref(h, w_lm, p, o, None)
    pre = o["do_layer_norm_before"]
    x = ln(h, w_lm, p + "self_attn_layer_norm") if pre else h
    other = h + mha(x, w_lm, p + "self_attn.", o["num_attention_heads"], True)
    other = other if pre else ln(other, w_lm, p + "self_attn_layer_norm")
    x = ln(other, w_lm, p + "final_layer_norm") if pre else other
    other = other + lin(torch.relu(lin(x, w_lm, p + "fc1")), w_lm, p + "fc2")
    other = other if pre else ln(other, w_lm, p + "final_layer_norm")
    assert float((mine - other).abs().max()) < 1e-10, "OPT layer differs from torch's multi-head attention"

    c = CLIP_VISION
    q = "vision_model.encoder.layers.0."
    h = torch.randn(5, c["hidden_size"], generator=g, dtype=torch.float64)
    x = ln(h, w_clip, q + "layer_norm1", c["layer_norm_eps"])
    attn = mha(x, w_clip, q + "self_attn.", c["num_attention_heads"], False)
    heads = c["num_attention_heads"]
    qs = split_heads(lin(x, w_clip, q + "self_attn.q_proj") * (c["hidden_size"] // heads) ** -0.5, heads)
    ks = split_heads(lin(x, w_clip, q + "self_attn.k_proj"), heads)
    vs = split_heads(lin(x, w_clip, q + "self_attn.v_proj"), heads)
    mine = lin(merge_heads(torch.softmax(qs @ ks.transpose(1, 2), -1) @ vs), w_clip, q + "self_attn.out_proj")
    assert float((mine - attn).abs().max()) < 1e-10, "CLIP attention differs from torch's multi-head attention"


# ----------------------------------------------------------------------------------------------------------------
# Building, saving, checking.
# ----------------------------------------------------------------------------------------------------------------

def rounded(values, digits=9):
    return [float("%.*g" % (digits, v)) for v in np.asarray(values, dtype=np.float64).ravel()]


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def load_f64(path):
    sd = torch.load(path, map_location="cpu")
    return {k: (v.double() if v.is_floating_point() else v) for k, v in sd.items()}


def check_tied_storage(path):
    storages, names = storage_names_in_zip(path)
    head = storages["flamingo.lm_head.weight"]
    embed = storages["flamingo.lm.decoder.embed_tokens.weight"]
    assert head == embed, "lm_head and embed_tokens must share one storage record in %s" % path
    assert len(set(storages.values())) == len(storages) - 1, "only the head may share a storage"
    prefix = names[0].split("/")[0]
    return {"pickle_storage_of_both": head, "zip_prefix": prefix, "records": len(names)}


def real_release_param_bytes(spec):
    """Bytes of float32 data in a real release file: the module tree at real shapes (on the meta device, so nothing
    is allocated), each Parameter counted once (the tied head is the embedding's Parameter)."""
    model = _meta_model(dict(opt=spec["opt"], flamingo=spec["flamingo"]), spec["vocab_size"], spec["dim_visual"])
    tied = model.flamingo.lm_head.weight is model.flamingo.lm.decoder.embed_tokens.weight
    unique = {id(p): p for p in model.parameters()}.values()
    return 4 * sum(p.numel() for p in unique), tied, len(model.state_dict())


def _meta_model(layout, vocab_size, dim_visual):
    # torch 1.13 builds modules on 'meta' when the default tensor type cannot be switched; reset parameters there
    orig = nn.Module.register_parameter

    def on_meta(self, name, param):
        if param is not None and param.device.type != "meta":
            param = nn.Parameter(torch.empty(param.shape, device="meta"), requires_grad=param.requires_grad)
        return orig(self, name, param)

    nn.Module.register_parameter = on_meta
    try:
        return FlamingoModel(layout["opt"], layout["flamingo"], vocab_size, dim_visual)
    finally:
        nn.Module.register_parameter = orig


def build_clip(out):
    torch.manual_seed(SEED)
    clip = ClipModel()
    init_weights(clip, SEED + 1)
    repo = os.path.join(out, "clip-repo")
    today = os.path.join(out, "clip-repo-today")
    for d in (repo, today):
        os.makedirs(d, exist_ok=True)
        write_json(os.path.join(d, "config.json"), clip_repo_config())
    write_json(os.path.join(repo, "preprocessor_config.json"), clip_preprocessor_hub())
    write_json(os.path.join(today, "preprocessor_config.json"), clip_preprocessor_today())
    sd = clip.state_dict()                                  # an OrderedDict with _metadata, as 2021's save wrote it
    torch.save(sd, os.path.join(repo, "pytorch_model.bin"))
    flat = collections.OrderedDict((k, v) for k, v in sd.items())
    write_safetensors(os.path.join(repo, "model.safetensors"), flat)
    write_safetensors(os.path.join(today, "model.safetensors"), flat)
    back = read_safetensors(os.path.join(repo, "model.safetensors"))
    loaded = torch.load(os.path.join(repo, "pytorch_model.bin"))
    assert list(back) and set(back) == set(loaded) == set(sd)
    for k in sd:
        assert torch.equal(back[k], sd[k]) and torch.equal(loaded[k], sd[k]), k
    return clip


def build_layout(out, key, tok, clip):
    layout = LAYOUTS[key]
    dim_visual = CLIP_VISION["hidden_size"]
    model = FlamingoModel(layout["opt"], layout["flamingo"], OPT_VOCAB_SIZE, dim_visual)
    init_weights(model, layout["weight_seed"], layout["gates"])
    folder = os.path.join(out, layout["name"])
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), flamingo_release_config(layout, dim_visual, False))
    torch.save(plain_state_dict(model), os.path.join(folder, "pytorch_model.bin"))
    write_opt_repo(os.path.join(out, layout["repo"]), layout, tok)
    if key == "tiny":
        # today's code: the same resampler and LM, with the CLIP repo's vision tower inside as vision_encoder
        later = FlamingoModel(layout["opt"], layout["flamingo"], OPT_VOCAB_SIZE, dim_visual, with_vision=True)
        source = dict(model.state_dict())
        source.update({"flamingo.vision_encoder." + k: v for k, v in clip.state_dict().items()
                       if k.startswith("vision_model.")})
        assert set(later.state_dict()) == set(source)
        with torch.no_grad():
            for k, v in list(later.named_parameters()) + list(later.named_buffers()):
                v.copy_(source[k])
        folder_later = os.path.join(out, "flamingo-later-save")
        os.makedirs(folder_later, exist_ok=True)
        write_json(os.path.join(folder_later, "config.json"), flamingo_release_config(layout, dim_visual, True))
        torch.save(plain_state_dict(later), os.path.join(folder_later, "pytorch_model.bin"))
    return model


def expected_keys(layout):
    """The key list of a release file, written out from the module description in the issue and the sources."""
    o, f = layout["opt"], layout["flamingo"]
    keys = ["flamingo.resampler.latents", "flamingo.resampler.time_pos_emb"]
    for i in range(f["resampler_depth"]):
        a = "flamingo.resampler.layers.%d." % i
        for n in ("norm_media", "norm_latents"):
            keys += [a + "0.%s.weight" % n, a + "0.%s.bias" % n]
        keys += [a + "0.%s.weight" % n for n in ("to_q", "to_k", "to_v", "to_out")]
        keys += [a + "1.0.weight", a + "1.0.bias", a + "1.1.weight", a + "1.3.weight"]
    keys += ["flamingo.resampler.norm.weight", "flamingo.resampler.norm.bias"]
    d = "flamingo.lm.decoder."
    keys += [d + "embed_tokens.weight", d + "embed_positions.weight"]
    if o["word_embed_proj_dim"] != o["hidden_size"]:
        keys += [d + "project_out.weight", d + "project_in.weight"]
    if o["do_layer_norm_before"]:
        keys += [d + "final_layer_norm.weight", d + "final_layer_norm.bias"]
    for i in range(o["num_hidden_layers"]):
        p = "%slayers.%d." % (d, i)
        if i % f["xattn_every"] == 0:
            x = p + "xattn_block."
            keys += [x + "alpha_attn", x + "alpha_ffw", x + "attn.norm.weight", x + "attn.norm.bias"]
            keys += [x + "attn.%s.weight" % n for n in ("to_q", "to_kv", "to_out")]
            keys += [x + "ffw.0.weight", x + "ffw.0.bias", x + "ffw.1.weight", x + "ffw.3.weight"]
            p = p + "lm_block."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            keys += [p + "self_attn.%s.weight" % n, p + "self_attn.%s.bias" % n]
        keys += [p + "self_attn_layer_norm.weight", p + "self_attn_layer_norm.bias"]
        keys += [p + "fc1.weight", p + "fc1.bias", p + "fc2.weight", p + "fc2.bias"]
        keys += [p + "final_layer_norm.weight", p + "final_layer_norm.bias"]
    keys += ["flamingo.lm_head.weight"]
    return keys


def greedy_ref(w, layout, ids, text_time, visual, steps):
    """flamingo-mini's generate (greedy, use_cache): the prompt in one call, then one token per call with
    past_key_values; media_locations stays the PROMPT's, so MaskedCrossAttention takes
    text_time = cumsum(media_locations)[:, -1:] (the prompt's media count) for every generated token."""
    logits, cache = flamingo_forward_ref(w, layout, torch.tensor(ids), text_time, visual)
    rows, tokens, margins = [logits[-1]], [], []
    generated_time = int(text_time[-1])
    for step in range(steps):
        top = torch.topk(rows[-1], 2).values
        margins.append(float(top[0] - top[1]))
        tokens.append(int(torch.argmax(rows[-1])))
        if step + 1 == steps:
            break
        logits, cache = flamingo_forward_ref(w, layout, torch.tensor(tokens[-1:]), torch.tensor([generated_time]),
                                             None, cache=cache)
        rows.append(logits[-1])
    return tokens, torch.stack(rows), margins, generated_time


def reference_for_layout(out, key, tok, images_ref, clip_w):
    layout = LAYOUTS[key]
    w = load_f64(os.path.join(out, layout["name"], "pytorch_model.bin"))
    f = layout["flamingo"]
    assert list(w) == expected_keys(layout), "key list differs from the expected release layout"
    cross_check_attention(w, layout, clip_w)
    media = {}
    for name, frames in MEDIA_ITEMS.items():
        feats = torch.stack([images_ref[fr]["features"] for fr in frames])                # (T, P, Dv)
        media[name] = resampler_ref(w, feats, f)
    leq = tok.media_location_ids()
    prompts = []
    for pname, text, items in PROMPTS:
        ids = tok.encode(text)
        ml = torch.tensor([1 if i in leq else 0 for i in ids])
        assert int(ml.sum()) == len(items), (pname, ids)
        text_time = torch.cumsum(ml, 0)
        visual = torch.stack([media[m] for m in items]) if items else None
        logits, _ = flamingo_forward_ref(w, layout, torch.tensor(ids), text_time, visual)
        logp = torch.log_softmax(logits, -1)
        token_logp = [float(logp[i, ids[i + 1]]) for i in range(len(ids) - 1)]
        if pname == "zero_shot":       # the gates are open: another image moves the next-token distribution
            other, _ = flamingo_forward_ref(w, layout, torch.tensor(ids), text_time, media["C"][None])
            assert float((torch.log_softmax(other, -1) - logp).abs().max()) > 0.1, "images must matter"
        entry = {
            "name": pname, "text": text, "media": [MEDIA_ITEMS[m] for m in items], "media_items": items,
            "input_ids": ids, "tokens": [tok.id_to_token[i] for i in ids], "media_locations": ml.tolist(),
            "text_time": text_time.tolist(), "log_probs": [rounded(r) for r in logp],
            "token_log_probs": rounded(token_logp),
        }
        if items:
            legacy, _ = flamingo_forward_ref(w, layout, torch.tensor(ids), text_time, visual, rule="974b741")
            legacy_logp = torch.log_softmax(legacy, -1)
            entry["token_log_probs_974b741"] = rounded([float(legacy_logp[i, ids[i + 1]])
                                                        for i in range(len(ids) - 1)])
            entry["log_probs_974b741_first_row"] = rounded(legacy_logp[0])
        tokens, rows, margins, gen_time = greedy_ref(w, layout, ids, text_time, visual, GREEDY_STEPS)
        assert min(margins) > MIN_GREEDY_MARGIN, (key, pname, margins)
        # self-consistency: one full forward over prompt + generated tokens with the generate-time text_time
        full_ids = torch.tensor(ids + tokens[:-1])
        full_time = torch.cat([text_time, torch.full((len(tokens) - 1,), gen_time, dtype=text_time.dtype)])
        full, _ = flamingo_forward_ref(w, layout, full_ids, full_time, visual)
        diff = float((full[len(ids) - 1:] - rows).abs().max())
        assert diff < 1e-9, (key, pname, diff)
        step_logp = torch.log_softmax(rows, -1)
        entry["greedy"] = {
            "steps": GREEDY_STEPS, "tokens": tokens,
            "token_log_probs": rounded([float(step_logp[i, t]) for i, t in enumerate(tokens)]),
            "log_probs": [rounded(r) for r in step_logp], "min_top2_logit_margin": round(min(margins), 6),
            "text_time_of_generated_tokens": gen_time, "cached_vs_full_forward_max_abs_diff": diff,
            "generated_media_location_tokens": sum(1 for t in tokens if t in leq),
        }
        prompts.append(entry)
    return {
        "layout": layout["name"],
        "conventions": CONVENTIONS,
        "applies_to": [layout["name"]] + (["flamingo-later-save"] if key == "tiny" else []),
        "lm_repo": layout["repo"], "vision_repo": "clip-repo",
        "config": {"opt": layout["opt"], "flamingo": layout["flamingo"], "vocab_size": OPT_VOCAB_SIZE,
                   "embedding_rows": OPT_VOCAB_SIZE + 1, "dim_visual": CLIP_VISION["hidden_size"],
                   "alpha_attn_alpha_ffw": layout["gates"]},
        "special_tokens": {"bos": tok.bos_id, "eos": tok.eos_id, "pad": tok.eos_id, "eoc": tok.eoc_id,
                           "tokenizer_size_without_eoc": len(tok.vocab), "media_location_ids": leq,
                           "media_location_tokens": [tok.id_to_token[i] for i in leq]},
        "media_items": {name: {"frames": MEDIA_ITEMS[name], "visual_tokens_shape": list(t.shape),
                               "visual_tokens": rounded(t)} for name, t in media.items()},
        "prompts": prompts,
        "numbers": "float64 math over the float32 tensors of the saved file, rounded to 9 significant digits",
    }


def make_images(out):
    ref_dir = os.path.join(out, "reference", "images")
    os.makedirs(ref_dir, exist_ok=True)
    rng = np.random.RandomState(SEED)
    for name, (fname, width, height, mode) in IMAGES.items():
        img = make_image(name, width, height, mode, rng)
        assert img.mode == mode and img.size == (width, height)
        img.save(os.path.join(ref_dir, fname), format="PNG")


def clip_reference(out, clip_w):
    size = CLIP_VISION["image_size"]
    images_ref, doc = {}, {}
    for name, (fname, width, height, mode) in IMAGES.items():
        img = Image.open(os.path.join(out, "reference", "images", fname))
        img.load()
        (rw, rh), cropped, pixels = clip_preprocess(img, size, size)
        feats = clip_vision_ref(clip_w, "vision_model.", pixels, CLIP_VISION)
        images_ref[name] = {"features": feats}
        doc[name] = {
            "file": "images/" + fname, "width": width, "height": height, "mode": mode,
            "resized_width": rw, "resized_height": rh, "crop_uint8_hwc": cropped.ravel().tolist(),
            "pixel_values_chw": rounded(pixels), "last_hidden_state_shape": list(feats.shape),
            "last_hidden_state": rounded(feats),
        }
    return images_ref, {
        "vision_repo": "clip-repo",
        "preprocessing": {"shortest_edge": size, "crop": size, "resample": "PIL BICUBIC on uint8 RGB",
                          "rescale": "1/255 in float64, then float32", "mean": CLIP_MEAN, "std": CLIP_STD,
                          "layout": "pixel_values are channels-first (3, crop, crop); crop_uint8_hwc is the"
                                    " centre crop before rescaling, (crop, crop, 3)"},
        "vision_features": "CLIPVisionModel last_hidden_state: class token first, then patches row by row; "
                           "before post_layernorm",
        "images": doc,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder (src/test/resources/checkpoints)")
    args = parser.parse_args(argv)
    out = args.out
    torch.set_num_threads(1)
    for sub in ("flamingo-tiny-layout", "flamingo-mini-layout", "flamingo-later-save", "opt-tiny-repo",
                "opt-mini-repo", "clip-repo", "clip-repo-today", "reference"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(out, exist_ok=True)

    check_pretokenize()
    tok = build_tokenizer()
    for _, text, _ in PROMPTS:
        assert tok.decode(tok.encode(text, add_bos=False)) == text
    clip = build_clip(out)
    for key in LAYOUTS:
        build_layout(out, key, tok, clip)
    for layout in LAYOUTS.values():            # the written tokenizer files encode the prompts the same way
        repo = os.path.join(out, layout["repo"])
        with open(os.path.join(repo, "vocab.json"), encoding="utf-8") as fh:
            vocab = json.load(fh)
        with open(os.path.join(repo, "merges.txt"), encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        assert lines[0] == "#version: 0.2" and lines[-1] == ""
        reread = OptTokenizer(vocab, [tuple(line.split(" ")) for line in lines[1:-1]])
        for _, text, _ in PROMPTS:
            assert reread.encode(text) == tok.encode(text)

    checks = {}
    for key, layout in LAYOUTS.items():
        path = os.path.join(out, layout["name"], "pytorch_model.bin")
        checks[layout["name"]] = check_tied_storage(path)
        obj = torch.load(path)
        assert type(obj) is dict, "release files hold a plain dict (shard_checkpoint)"
        assert not any(k.startswith("flamingo.vision_encoder.") for k in obj)
    later_path = os.path.join(out, "flamingo-later-save", "pytorch_model.bin")
    checks["flamingo-later-save"] = check_tied_storage(later_path)
    later = torch.load(later_path)
    tiny = torch.load(os.path.join(out, LAYOUTS["tiny"]["name"], "pytorch_model.bin"))
    clip_sd = torch.load(os.path.join(out, "clip-repo", "pytorch_model.bin"))
    vision_keys = [k for k in later if k.startswith("flamingo.vision_encoder.")]
    assert vision_keys and all(k.startswith("flamingo.vision_encoder.vision_model.") for k in vision_keys)
    assert list(later)[:len(vision_keys)] == vision_keys, "today's code registers vision_encoder first"
    for k in vision_keys:
        assert torch.equal(later[k], clip_sd[k[len("flamingo.vision_encoder."):]]), k
    assert [k for k in later if k not in vision_keys] == list(tiny)
    for k in tiny:
        assert torch.equal(later[k], tiny[k]), k

    real = {}
    for name, spec in REAL_RELEASES.items():
        data_bytes, tied, keys = real_release_param_bytes(spec)
        per_key = (spec["bytes"] - data_bytes) / keys
        real[name] = {"float32_data_bytes": data_bytes, "file_bytes": spec["bytes"], "keys": keys,
                      "zip_and_pickle_bytes_per_key": round(per_key, 1), "tied_head": tied}
        # a second copy of the head or a vision tower would add megabytes; zip + pickle cost a few hundred per key
        assert tied and 100 < per_key < 500, (name, real[name])

    clip_w = {k: (v.double() if v.is_floating_point() else v) for k, v in clip_sd.items()}
    make_images(out)
    images_ref, clip_doc = clip_reference(out, clip_w)
    write_reference_json(os.path.join(out, "reference", "clip.json"), clip_doc)
    for key, layout in LAYOUTS.items():
        ref = reference_for_layout(out, key, tok, images_ref, clip_w)
        write_reference_json(os.path.join(out, "reference", layout["name"] + ".json"), ref)

    manifest = {}
    for root, _, files in sorted(os.walk(out)):
        for fname in sorted(files):
            path = os.path.join(root, fname)
            rel = os.path.relpath(path, out)
            if rel not in ("README.md", ".gitattributes", os.path.join("reference", "manifest.json")):
                manifest[rel] = {"bytes": os.path.getsize(path), "sha256": sha256(path)}
    write_json(os.path.join(out, "reference", "manifest.json"),
               {"seed": SEED, "tied_storage": checks, "real_release_sizes": real, "files": manifest})
    total = sum(v["bytes"] for v in manifest.values())
    print("wrote %d files, %.2f MB, under %s" % (len(manifest), total / 1e6, out))
    for name, info in real.items():
        print("%s: %d bytes of float32 data at real shapes in %d keys, file %d bytes: %.1f bytes of zip/pickle"
              " per key" % (name, info["float32_data_bytes"], info["keys"], info["file_bytes"],
                            info["zip_and_pickle_bytes_per_key"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
