#!/usr/bin/python3
"""Tiny random-weight checkpoints in the released layouts of OpenFlamingo 3B / 4B / 9B, with reference outputs.

Writes, under --out (src/test/resources/checkpoints/openflamingo in the repository):
  vision/                          open_clip ViT-L-14 "openai" as the hub copy (timm/vit_large_patch14_clip_224.openai)
                                   holds it: open_clip_pytorch_model.bin (a whole CLIP's state dict), the same
                                   tensors as open_clip_model.safetensors, and open_clip_config.json (the tiny sizes)
  mpt-1b-redpajama-200b/           the LM repo of 3B (MosaicGPT): config.json, pytorch_model.bin (F32), tokenizer files
  RedPajama-INCITE-Base-3B-v1/     the LM repo of 4B (GPT-NeoX): config.json, pytorch_model.bin (F16 + bool buffers)
  mpt-7b/                          the LM repo of 9B (MPT): config.json, 3 F32 shards + pytorch_model.bin.index.json
  OpenFlamingo-{3B-vitl-mpt1b,4B-vitl-rpj3b,9B-vitl-mpt7b}/checkpoint.pt   the released bare state dicts
  OpenFlamingo-3B-training/checkpoint_1.pt   a training checkpoint of 3B ({'model_state_dict': {'module.…'}, …})
  reference/                       test images, vision.json (preprocessing + patch tokens), openflamingo-{3b,4b,9b}.json
                                   (resampled tokens, token ids, log-probabilities, greedy and forced generation),
                                   manifest.json (size + SHA-256 of every file, real-size checks)

Run with Debian's interpreter (torch 1.13 + numpy + PIL; no transformers, open_clip or einops):
  /usr/bin/python3 src/test/python/openflamingo_fixtures.py --out src/test/resources/checkpoints/openflamingo

Everything is seeded; a second run writes byte-identical files. The reference math is written from the public
definitions (open_flamingo's factory.py / flamingo.py / flamingo_lm.py / helpers.py / train_utils.py, open_clip
2.16–2.23, mosaicml/examples v0.0.4's MosaicGPT, MPT-7B's modeling code, transformers' GPT-NeoX, tokenizers' BPE) and
works in float64 on the tensors read back from the written files, merged exactly as OpenFlamingo merges them.
"""

import argparse
import collections
import copy
import json
import math
import os
import shutil
import sys
import unicodedata

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flamingo_fixtures as ff  # noqa: E402  (GPT-2 pre-tokenizer and byte table, writers, the shared test images)

SEED = 20240611
GREEDY_STEPS = 8
MIN_GREEDY_MARGIN = 0.05           # top-1 minus top-2 logit at every greedy step, far above F32 rounding

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)   # open_clip constants.OPENAI_DATASET_MEAN / _STD
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

EOC, MEDIA, PAD = "<|endofchunk|>", "<image>", "<PAD>"
ENDOFTEXT, PADDING = "<|endoftext|>", "<|padding|>"

# ----------------------------------------------------------------------------------------------------------------
# Sizes. Names, layouts, dtypes and file formats are the released ones; only the numbers are small.
# ----------------------------------------------------------------------------------------------------------------

# open_clip ViT-L-14 is image 224, patch 14, width 1024, 24 layers, head_width 64 (16 heads), mlp_ratio 4, QuickGELU;
# text: context 77, vocab 49408, width 768, 12 heads, 12 layers; embed_dim 768.
VISION = dict(image_size=42, patch_size=7, width=24, layers=2, head_width=6, mlp_ratio=4.0)
TEXT = dict(context_length=8, vocab_size=64, width=16, heads=2, layers=1)
EMBED_DIM = 16

# OpenFlamingo's PerceiverResampler(dim=vis_dim) defaults: depth 6, dim_head 64, heads 8, num_latents 64, ff_mult 4;
# GatedCrossAttentionBlock defaults: dim_head 64, heads 8, ff_mult 4. Heads stay 8 here (the default an import
# assumes); dim_head is to_q's rows / 8.
PERCEIVER = dict(depth=2, dim_head=4, heads=8, num_latents=6, ff_mult=4)
XATTN = dict(dim_head=4, heads=8, ff_mult=4)

N_MERGES = 39                       # tokenizer: 2 specials + 256 bytes + 39 merges + 3 space runs = 300 (real: 50277)
SPACE_RUNS = [4, 3, 2]              # gpt-neox-20b adds runs of 24 … 2 spaces (ids 50254 … 50276) as added tokens
LM_VOCAB = 320                      # config vocab_size, padded like 50432 (a multiple of 64)

FAMILIES = {
    "3b": dict(
        name="OpenFlamingo-3B-vitl-mpt1b", lm_repo="mpt-1b-redpajama-200b", lm_kind="mosaic_gpt", xattn_every=1,
        hub_lm="anas-awadalla/mpt-1b-redpajama-200b", reference="openflamingo-3b.json",
        weight_seed=SEED + 2, residual_gain=8.0, embed_scale=1.5,
        lm=dict(d_model=32, n_heads=4, n_layers=3, mlp_ratio=4, max_seq_len=64, vocab_size=LM_VOCAB),
        gates=[(0.6, -0.5), (-0.8, 0.7), (0.9, 0.4)]),
    "4b": dict(
        name="OpenFlamingo-4B-vitl-rpj3b", lm_repo="RedPajama-INCITE-Base-3B-v1", lm_kind="gpt_neox", xattn_every=2,
        hub_lm="togethercomputer/RedPajama-INCITE-Base-3B-v1", reference="openflamingo-4b.json",
        weight_seed=SEED + 3, residual_gain=4.0, embed_scale=1.0, head_scale=10.0,
        lm=dict(hidden_size=32, num_attention_heads=4, num_hidden_layers=4, intermediate_size=128, rotary_pct=1.0,
                rotary_emb_base=10000, use_parallel_residual=False, max_position_embeddings=64, layer_norm_eps=1e-5,
                vocab_size=LM_VOCAB),
        gates=[(0.7, 0.5), (-0.6, -0.9)]),
    "9b": dict(
        name="OpenFlamingo-9B-vitl-mpt7b", lm_repo="mpt-7b", lm_kind="mpt", xattn_every=4,
        hub_lm="anas-awadalla/mpt-7b", reference="openflamingo-9b.json",
        weight_seed=SEED + 4, residual_gain=8.0, embed_scale=1.5,
        lm=dict(d_model=32, n_heads=4, n_layers=8, expansion_ratio=4, max_seq_len=64, vocab_size=LM_VOCAB),
        gates=[(0.8, -0.6), (-0.7, 0.5)]),
    # Not a release: the 4B layout on a Pythia-style GPT-NeoX (rotary on a quarter of each head, parallel residual),
    # the two options RedPajama-INCITE-Base-3B-v1 does not use, so that an implementation of them is tested too.
    "4b-variant": dict(
        name="OpenFlamingo-4B-variant-pythia-style", lm_repo="gpt-neox-variant-pythia-style", lm_kind="gpt_neox",
        xattn_every=2, hub_lm=None, reference="openflamingo-4b-variant.json", variant=True,
        weight_seed=SEED + 4, residual_gain=4.0, embed_scale=1.0, head_scale=10.0,
        prompts=("zero_shot", "few_shot", "text_first"),
        lm=dict(hidden_size=32, num_attention_heads=2, num_hidden_layers=4, intermediate_size=128, rotary_pct=0.25,
                rotary_emb_base=10000, use_parallel_residual=True, max_position_embeddings=64, layer_norm_eps=1e-5,
                vocab_size=LM_VOCAB),
        gates=[(0.5, -0.8), (-0.7, 0.6)]),
}

# weight_seed, residual_gain, embed_scale, head_scale: picked from a scan of seeds SEED + 1 … for greedy margins
# >= MIN_GREEDY_MARGIN at every step and greedy continuations that are not one token repeated.

# The real sizes, for the file-size checks (hub listings: GB = 1e9 bytes, three significant digits).
REAL = dict(
    vision=dict(VISION, image_size=224, patch_size=14, width=1024, layers=24, head_width=64),
    text=dict(context_length=77, vocab_size=49408, width=768, heads=12, layers=12), embed_dim=768,
    perceiver=dict(depth=6, dim_head=64, heads=8, num_latents=64, ff_mult=4),
    xattn=dict(dim_head=64, heads=8, ff_mult=4),
    tokenizer_len=50277,
    lm={"3b": dict(d_model=2048, n_heads=16, n_layers=24, mlp_ratio=4, max_seq_len=2048, vocab_size=50432),
        "4b": dict(hidden_size=2560, num_attention_heads=32, num_hidden_layers=32, intermediate_size=10240,
                   rotary_pct=1.0, rotary_emb_base=10000, use_parallel_residual=False, max_position_embeddings=2048,
                   layer_norm_eps=1e-5, vocab_size=50432),
        "9b": dict(d_model=4096, n_heads=32, n_layers=32, expansion_ratio=4, max_seq_len=2048, vocab_size=50432)},
    files={"vision": 1.71e9,                           # timm/vit_large_patch14_clip_224.openai (whole CLIP, F32)
           "3b": dict(checkpoint=4.19e9, lm=[5.25e9]),         # mpt-1b pytorch_model.bin F32
           "4b": dict(checkpoint=5.01e9, lm=[5.69e9]),         # RedPajama pytorch_model.bin F16 + BoolStorage
           "9b": dict(checkpoint=5.54e9, lm=[9.95e9, 9.93e9])},  # anas-awadalla/mpt-7b: first two of three F32 shards
)

# Captions for the tokenizer's merges (the prompts' words, a few more).
BPE_CORPUS = [
    "Output:a cat", "Output:two dogs", "Output:", "the video shows", "a cat on the road", "two dogs play",
    "a square moves", "Output:a red car on the road", "the video shows a square", "two cats and two dogs",
    "an image of a cat", "Output:an image of two dogs on the road",
]

IMAGES = {  # name: (file, width, height, mode, folder) — A, B, C, F0..F2 are the shared images of ../reference/images
    "A": ("a_45x30.png", 45, 30, "RGB", "shared"),
    "B": ("b_20x64_gray.png", 20, 64, "L", "shared"),
    "C": ("c_100x75.png", 100, 75, "RGB", "shared"),
    "D": ("d_41x30.png", 41, 30, "RGB", "own"),       # resized to 57x42: torchvision's round() crops at 8, not 7
    "F0": ("frame0_50x40.png", 50, 40, "RGB", "shared"),
    "F1": ("frame1_50x40.png", 50, 40, "RGB", "shared"),
    "F2": ("frame2_50x40.png", 50, 40, "RGB", "shared"),
}

MEDIA_ITEMS = {  # a media item is F frames (F = 1 in OpenFlamingo's training) resampled into one set of latents
    "A": ["A"], "B": ["B"], "C": ["C"], "D": ["D"], "F1": ["F1"], "V3": ["F0", "F1", "F2"],
}

PROMPTS = [  # name, text, media items in order (OpenFlamingo's eval format: "<image>Output:{caption}<|endofchunk|>\n")
    ("zero_shot", "<image>Output:", ["A"]),
    ("few_shot", "<image>Output:a cat<|endofchunk|>\n<image>Output:two dogs<|endofchunk|>\n<image>Output:",
     ["B", "C", "D"]),
    ("text_first", "the video shows<image>Output:", ["F1"]),
    ("video_frames", "<image>Output:", ["V3"]),
    ("text_only", "Output:a cat  on the road", []),
]

# Tokenization cases (reference/tokenization.json): the prompts and texts that exercise the space-run added tokens,
# NFC, the special tokens in running text. The ids were checked against Hugging Face tokenizers 0.21 (DJL 0.36's
# libtokenizers) on the written tokenizer.json plus OpenFlamingo's three tokens: identical.
TOKENIZATION_TEXTS = ["a  b   c    d     e      f", "Output:\n\n<image>x<|endofchunk|> <image> y", "\u00fc caf\u00e9",
                      "cafe\u0301 (NFC)", "it's 12 o'clock!!  ", " leading", "<PAD><|padding|><|endoftext|>"]

# generate() with a continuation forced token by token: the prompt has two images; a generated <image> re-conditions
# the media locations on itself alone (flamingo_lm.py L135-150), so it and every later token attend to image 1.
FORCED = ("forced_media_in_generation", "<image>Output:a cat<|endofchunk|><image>Output:", ["A", "C"],
          ["two", MEDIA, " dogs", EOC])


# ----------------------------------------------------------------------------------------------------------------
# gpt-neox-20b's tokenizer as tokenizer.json describes it (tokenizers' AddedVocabulary, NFC, ByteLevel, BPE).
# ----------------------------------------------------------------------------------------------------------------

def bytes_in_vocab_order():
    """GPT-2's bytes_to_unicode list order (printable Latin-1 first, then the 68 others): the order of ids 2..257."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    return printable + [b for b in range(256) if b not in printable]


class NeoxTokenizer:
    """tokenizers' pipeline for gpt-neox-20b's tokenizer.json: (1) cut out the added tokens that are not normalized
    (the special ones) on the raw text, leftmost-longest; (2) NFC-normalize each remaining piece; (3) cut out the
    normalized added tokens (the space runs) on it, leftmost-longest; (4) split the rest with GPT-2's pattern
    (ByteLevel, no prefix space), map bytes to symbols, apply BPE merges by rank. No BOS/EOS is added (ByteLevel
    post-processor)."""

    def __init__(self, vocab, merges, added):
        self.vocab = dict(vocab)                    # model vocabulary, content -> id
        self.merges = list(merges)
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.added = list(added)                    # [dict(id, content, special, normalized)] in file order
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        for a in self.added:
            self.id_to_token[a["id"]] = a["content"]

    def __len__(self):                              # transformers' len(tokenizer): vocabulary with added tokens
        return len(set(self.vocab.values()) | {a["id"] for a in self.added})

    def add_special_tokens(self, contents):
        """PreTrainedTokenizerFast.add_special_tokens: special, not normalized, no strip; id = len(tokenizer)."""
        for c in contents:
            if any(a["content"] == c for a in self.added):
                continue
            self.added.append(dict(id=len(self), content=c, special=True, normalized=False))
            self.id_to_token[self.added[-1]["id"]] = c

    def token_id(self, content):
        for a in self.added:
            if a["content"] == content:
                return a["id"]
        return self.vocab[content]

    @staticmethod
    def _split(text, contents):
        """Leftmost-longest matches of the contents in text: [(piece, is_added)]."""
        parts, i, start = [], 0, 0
        ordered = sorted(contents, key=len, reverse=True)
        while i < len(text):
            hit = next((c for c in ordered if text.startswith(c, i)), None)
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

    def bpe(self, symbols):
        word = list(symbols)
        while len(word) > 1:
            ranked = [(self.ranks.get((a, b), math.inf), k) for k, (a, b) in enumerate(zip(word, word[1:]))]
            rank = min(r for r, _ in ranked)
            if rank == math.inf:
                break
            first, second = self.merges[rank]
            out, k = [], 0
            while k < len(word):
                if k + 1 < len(word) and word[k] == first and word[k + 1] == second:
                    out.append(first + second)
                    k += 2
                else:
                    out.append(word[k])
                    k += 1
            word = out
        return word

    def tokens(self, text):
        raw = [a["content"] for a in self.added if not a["normalized"]]
        normed = [a["content"] for a in self.added if a["normalized"]]
        out = []
        for piece, is_added in self._split(text, raw):
            if is_added:
                out.append(piece)
                continue
            for sub, sub_added in self._split(unicodedata.normalize("NFC", piece), normed):
                if sub_added:
                    out.append(sub)
                    continue
                for word in ff.pretokenize(sub):
                    out.extend(self.bpe(ff.to_symbols(word)))
        return out

    def encode(self, text):
        return [self.token_id(t) for t in self.tokens(text)]

    def decode(self, ids):
        text = ""
        for i in ids:
            t = self.id_to_token[i]
            if any(a["id"] == i for a in self.added):
                text += t
            else:
                text += bytearray(ff.BYTE_DECODER[c] for c in t).decode("utf-8")
        return text


def train_merges(texts, n_merges):
    """A deterministic BPE trainer over the pre-tokenized corpus: most frequent pair first, ties by the smaller pair."""
    words = collections.Counter()
    for text in texts:
        for piece in ff.pretokenize(text):
            words[tuple(ff.to_symbols(piece))] += 1

    def apply(merge, word):
        out, k = [], 0
        while k < len(word):
            if k + 1 < len(word) and (word[k], word[k + 1]) == merge:
                out.append(word[k] + word[k + 1])
                k += 2
            else:
                out.append(word[k])
                k += 1
        return tuple(out)

    merges = []
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


def build_tokenizer():
    merges = train_merges(BPE_CORPUS, N_MERGES)
    vocab = {ENDOFTEXT: 0, PADDING: 1}
    for b in bytes_in_vocab_order():
        vocab[ff.BYTE_ENCODER[b]] = len(vocab)
    for a, b in merges:
        assert a + b not in vocab, "a merge produced an existing symbol"
        vocab[a + b] = len(vocab)
    added = [dict(id=0, content=ENDOFTEXT, special=True, normalized=False),
             dict(id=1, content=PADDING, special=True, normalized=False)]
    for n in SPACE_RUNS:                            # not in the model vocabulary: ids after it, as in gpt-neox-20b
        added.append(dict(id=len(vocab) + len(added) - 2, content=" " * n, special=False, normalized=True))
    return NeoxTokenizer(vocab, merges, added)


def tokenizer_json(tok):
    """tokenizer.json as gpt-neox-20b's (the layout the MPT and RedPajama repos ship; tokenizers' pretty JSON)."""
    def added(a):
        return collections.OrderedDict([("id", a["id"]), ("special", a["special"]), ("content", a["content"]),
                                        ("single_word", False), ("lstrip", False), ("rstrip", False),
                                        ("normalized", a["normalized"])])
    byte_level = collections.OrderedDict([("type", "ByteLevel"), ("add_prefix_space", False), ("trim_offsets", True)])
    model = collections.OrderedDict([
        ("type", "BPE"), ("dropout", None), ("unk_token", None), ("continuing_subword_prefix", None),
        ("end_of_word_suffix", None), ("fuse_unk", False), ("vocab", tok.vocab),
        ("merges", ["%s %s" % m for m in tok.merges])])
    return collections.OrderedDict([
        ("version", "1.0"), ("truncation", None), ("padding", None), ("added_tokens", [added(a) for a in tok.added]),
        ("normalizer", {"type": "NFC"}), ("pre_tokenizer", byte_level), ("post_processor", byte_level),
        ("decoder", byte_level), ("model", model)])


# ----------------------------------------------------------------------------------------------------------------
# Module trees with the attribute names (and registration order) of the real code, so that state_dict(),
# named_parameters() and OpenFlamingo's own filtering behave as they do on the real models. Weights only: the
# reference math further down reads the written tensors by name.
# ----------------------------------------------------------------------------------------------------------------

class OcResidualAttentionBlock(nn.Module):          # open_clip transformer.py ResidualAttentionBlock
    def __init__(self, width, heads, mlp_ratio, device=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, device=device)
        self.attn = nn.MultiheadAttention(width, heads, device=device)
        self.ln_2 = nn.LayerNorm(width, device=device)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(width, hidden, device=device)), ("gelu", nn.Identity()),     # QuickGELU: no weights
            ("c_proj", nn.Linear(hidden, width, device=device))]))


class OcTransformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio=4.0, device=None):
        super().__init__()
        self.resblocks = nn.ModuleList([OcResidualAttentionBlock(width, heads, mlp_ratio, device)
                                        for _ in range(layers)])


class OcVisionTransformer(nn.Module):               # open_clip VisionTransformer (no attentional pool)
    def __init__(self, v, output_dim, device=None):
        super().__init__()
        grid = v["image_size"] // v["patch_size"]
        w = v["width"]
        self.conv1 = nn.Conv2d(3, w, kernel_size=v["patch_size"], stride=v["patch_size"], bias=False, device=device)
        self.class_embedding = nn.Parameter(torch.zeros(w, device=device))
        self.positional_embedding = nn.Parameter(torch.zeros(grid * grid + 1, w, device=device))
        self.ln_pre = nn.LayerNorm(w, device=device)
        self.transformer = OcTransformer(w, v["layers"], w // v["head_width"], v["mlp_ratio"], device)
        self.ln_post = nn.LayerNorm(w, device=device)
        self.proj = nn.Parameter(torch.zeros(w, output_dim, device=device))


class OcCLIP(nn.Module):                            # open_clip model.py CLIP: visual, text tower, logit_scale
    def __init__(self, v, t, embed_dim, device=None):
        super().__init__()
        self.visual = OcVisionTransformer(v, embed_dim, device)
        self.transformer = OcTransformer(t["width"], t["layers"], t["heads"], 4.0, device)
        self.token_embedding = nn.Embedding(t["vocab_size"], t["width"], device=device)
        self.positional_embedding = nn.Parameter(torch.zeros(t["context_length"], t["width"], device=device))
        self.ln_final = nn.LayerNorm(t["width"], device=device)
        self.text_projection = nn.Parameter(torch.zeros(t["width"], embed_dim, device=device))
        self.logit_scale = nn.Parameter(torch.ones([], device=device) * math.log(1 / 0.07))


def remove_biases(root):
    """MosaicGPT / MPT __init__ with no_bias: every module's bias Parameter, LayerNorms included, is unregistered."""
    for module in root.modules():
        if hasattr(module, "bias") and isinstance(module.bias, nn.Parameter):
            module.register_parameter("bias", None)


class MosaicAttention(nn.Module):                   # examples v0.0.4 layers/attention.py MultiheadAttention
    def __init__(self, d, qk_ln, device=None):
        super().__init__()
        self.Wqkv = nn.Linear(d, 3 * d, device=device)
        if qk_ln:
            self.q_ln = nn.LayerNorm(d, device=device)
            self.k_ln = nn.LayerNorm(d, device=device)
        self.out_proj = nn.Linear(d, d, device=device)


class MosaicMlp(nn.Module):
    def __init__(self, d, ratio, device=None):
        super().__init__()
        self.mlp_up = nn.Linear(d, ratio * d, device=device)
        self.mlp_down = nn.Linear(ratio * d, d, device=device)


class MosaicBlock(nn.Module):                       # gpt_blocks.py GPTBlock
    def __init__(self, c, device=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["d_model"], device=device)
        self.attn = MosaicAttention(c["d_model"], True, device)
        self.ln_2 = nn.LayerNorm(c["d_model"], device=device)
        self.mlp = MosaicMlp(c["d_model"], c["mlp_ratio"], device)


class MosaicGPT(nn.Module):                         # mosaic_gpt.py MosaicGPT (alibi: no wpe; logits from wte)
    def __init__(self, c, device=None):
        super().__init__()
        self.transformer = nn.ModuleDict({"wte": nn.Embedding(c["vocab_size"], c["d_model"], device=device)})
        self.transformer.update({"emb_drop": nn.Dropout(0.0)})
        self.transformer.update({"blocks": nn.ModuleList([MosaicBlock(c, device) for _ in range(c["n_layers"])])})
        self.transformer.update({"ln_f": nn.LayerNorm(c["d_model"], device=device)})
        remove_biases(self)

    def get_input_embeddings(self):                 # OpenFlamingo's EmbeddingFnMixin for mpt-1b (factory.py L72-82)
        return self.transformer.wte

    def set_input_embeddings(self, e):
        self.transformer.wte = e


class MptAttention(nn.Module):                      # MPT-7B attention.py MultiheadAttention, qk_ln false
    def __init__(self, d, device=None):
        super().__init__()
        self.Wqkv = nn.Linear(d, 3 * d, device=device)
        self.out_proj = nn.Linear(d, d, device=device)


class MptMlp(nn.Module):
    def __init__(self, d, ratio, device=None):
        super().__init__()
        self.up_proj = nn.Linear(d, ratio * d, device=device)
        self.down_proj = nn.Linear(ratio * d, d, device=device)


class MptBlock(nn.Module):                          # MPT-7B blocks.py MPTBlock
    def __init__(self, c, device=None):
        super().__init__()
        self.norm_1 = nn.LayerNorm(c["d_model"], device=device)
        self.attn = MptAttention(c["d_model"], device)
        self.norm_2 = nn.LayerNorm(c["d_model"], device=device)
        self.ffn = MptMlp(c["d_model"], c["expansion_ratio"], device)


class MptModel(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["d_model"], device=device)
        self.emb_drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList([MptBlock(c, device) for _ in range(c["n_layers"])])
        self.norm_f = nn.LayerNorm(c["d_model"], device=device)
        remove_biases(self)


class MPTForCausalLM(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.transformer = MptModel(c, device)

    def get_input_embeddings(self):
        return self.transformer.wte

    def set_input_embeddings(self, e):
        self.transformer.wte = e


class NeoxRotary(nn.Module):                        # transformers 4.28 RotaryEmbedding: inv_freq persistent
    def __init__(self, dim, base, device=None):
        super().__init__()
        if device == "meta":
            inv_freq = torch.empty(dim // 2, device="meta")
        else:
            inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq)


class NeoxAttention(nn.Module):                     # transformers 4.28 GPTNeoXAttention (bias/masked_bias persistent)
    def __init__(self, c, device=None):
        super().__init__()
        n = c["max_position_embeddings"]
        head = c["hidden_size"] // c["num_attention_heads"]
        if device == "meta":
            bias, masked = torch.empty(1, 1, n, n, dtype=torch.bool, device="meta"), torch.empty((), device="meta")
        else:
            bias, masked = torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), torch.tensor(-1e9)
        self.register_buffer("bias", bias)
        self.register_buffer("masked_bias", masked)
        self.rotary_emb = NeoxRotary(int(head * c["rotary_pct"]), c["rotary_emb_base"], device)
        self.query_key_value = nn.Linear(c["hidden_size"], 3 * c["hidden_size"], device=device)
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"], device=device)


class NeoxMlp(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(c["hidden_size"], c["intermediate_size"], device=device)
        self.dense_4h_to_h = nn.Linear(c["intermediate_size"], c["hidden_size"], device=device)


class NeoxLayer(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"], device=device)
        self.post_attention_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"], device=device)
        self.attention = NeoxAttention(c, device)
        self.mlp = NeoxMlp(c, device)


class NeoxModel(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.embed_in = nn.Embedding(c["vocab_size"], c["hidden_size"], device=device)
        self.layers = nn.ModuleList([NeoxLayer(c, device) for _ in range(c["num_hidden_layers"])])
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"], device=device)


class GPTNeoXForCausalLM(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.gpt_neox = NeoxModel(c, device)
        self.embed_out = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False, device=device)

    def get_input_embeddings(self):
        return self.gpt_neox.embed_in

    def set_input_embeddings(self, e):
        self.gpt_neox.embed_in = e


LM_CLASSES = {"mosaic_gpt": MosaicGPT, "mpt": MPTForCausalLM, "gpt_neox": GPTNeoXForCausalLM}
DECODER_LAYERS = {"mosaic_gpt": "transformer.blocks", "mpt": "transformer.blocks", "gpt_neox": "gpt_neox.layers"}
INPUT_EMBEDDING = {"mosaic_gpt": "transformer.wte.weight", "mpt": "transformer.wte.weight",
                   "gpt_neox": "gpt_neox.embed_in.weight"}


def lm_dim(kind, c):
    return c["hidden_size"] if kind == "gpt_neox" else c["d_model"]


def lm_layers(kind, c):
    return c["num_hidden_layers"] if kind == "gpt_neox" else c["n_layers"]


def resize_token_embeddings(lm, kind, rows):
    """PreTrainedModel.resize_token_embeddings(len(tokenizer)): a new Embedding with the first min(old, new) rows;
    an untied output Linear (GPT-NeoX embed_out, tie_word_embeddings false) likewise; MPT's head is wte itself."""
    old = lm.get_input_embeddings()
    new = nn.Embedding(rows, old.embedding_dim)
    with torch.no_grad():
        new.weight.copy_(old.weight[:rows])
    lm.set_input_embeddings(new)
    if kind == "gpt_neox":
        head = nn.Linear(lm.embed_out.in_features, rows, bias=False)
        with torch.no_grad():
            head.weight.copy_(lm.embed_out.weight[:rows])
        lm.embed_out = head


class FeedForward(nn.Sequential):                   # helpers.py FeedForward: LayerNorm, Linear, GELU, Linear
    def __init__(self, dim, mult, device=None):
        inner = int(dim * mult)
        super().__init__(nn.LayerNorm(dim, device=device), nn.Linear(dim, inner, bias=False, device=device), nn.GELU(),
                         nn.Linear(inner, dim, bias=False, device=device))


class PerceiverAttention(nn.Module):
    def __init__(self, dim, dim_head, heads, device=None):
        super().__init__()
        inner = dim_head * heads
        self.norm_media = nn.LayerNorm(dim, device=device)
        self.norm_latents = nn.LayerNorm(dim, device=device)
        self.to_q = nn.Linear(dim, inner, bias=False, device=device)
        self.to_kv = nn.Linear(dim, inner * 2, bias=False, device=device)
        self.to_out = nn.Linear(inner, dim, bias=False, device=device)


class PerceiverResampler(nn.Module):                # max_num_media / max_num_frames None: no media_time_embs/frame_embs
    def __init__(self, dim, p, device=None):
        super().__init__()
        self.latents = nn.Parameter(torch.zeros(p["num_latents"], dim, device=device))
        self.layers = nn.ModuleList([nn.ModuleList([PerceiverAttention(dim, p["dim_head"], p["heads"], device),
                                                    FeedForward(dim, p["ff_mult"], device)])
                                     for _ in range(p["depth"])])
        self.norm = nn.LayerNorm(dim, device=device)


class MaskedCrossAttention(nn.Module):
    def __init__(self, dim, dim_visual, dim_head, heads, device=None):
        super().__init__()
        inner = dim_head * heads
        self.norm = nn.LayerNorm(dim, device=device)
        self.to_q = nn.Linear(dim, inner, bias=False, device=device)
        self.to_kv = nn.Linear(dim_visual, inner * 2, bias=False, device=device)
        self.to_out = nn.Linear(inner, dim, bias=False, device=device)


class GatedCrossAttentionBlock(nn.Module):
    def __init__(self, dim, dim_visual, x, device=None):
        super().__init__()
        self.attn = MaskedCrossAttention(dim, dim_visual, x["dim_head"], x["heads"], device)
        self.attn_gate = nn.Parameter(torch.tensor([0.0], device=device))
        self.ff = FeedForward(dim, x["ff_mult"], device)
        self.ff_gate = nn.Parameter(torch.tensor([0.0], device=device))


class FlamingoLayer(nn.Module):                     # flamingo_lm.py FlamingoLayer
    def __init__(self, gated_cross_attn_layer, decoder_layer):
        super().__init__()
        self.gated_cross_attn_layer = gated_cross_attn_layer   # None: a plain attribute, no keys
        self.decoder_layer = decoder_layer


def get_path(obj, path):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_path(obj, path, value):
    head, _, last = path.rpartition(".")
    setattr(get_path(obj, head) if head else obj, last, value)


class Flamingo(nn.Module):
    """flamingo.py Flamingo + flamingo_lm.py init_flamingo on the LM: vision_encoder (= clip.visual), perceiver,
    lang_encoder with old_decoder_blocks, gated_cross_attn_layers (a block where (idx + 1) % n == 0, else None) and the
    decoder layers replaced by FlamingoLayers sharing those modules."""

    def __init__(self, visual, lm, kind, every, vis_dim, device=None, perceiver=PERCEIVER, xattn=XATTN):
        super().__init__()
        self.vision_encoder = visual
        self.perceiver = PerceiverResampler(vis_dim, perceiver, device)
        self.lang_encoder = lm
        blocks = get_path(lm, DECODER_LAYERS[kind])
        lm.old_decoder_blocks = blocks
        dim = lm_dim(kind, lm.cfg)
        lm.gated_cross_attn_layers = nn.ModuleList([
            GatedCrossAttentionBlock(dim, vis_dim, xattn, device) if (idx + 1) % every == 0 else None
            for idx, _ in enumerate(blocks)])
        set_path(lm, DECODER_LAYERS[kind], nn.ModuleList([
            FlamingoLayer(x, d) for x, d in zip(lm.gated_cross_attn_layers, lm.old_decoder_blocks)]))

    def freeze_like_factory(self, kind):
        """factory.py L104-112: freeze all; unfreeze perceiver, gated_cross_attn_layers and the LM input embeddings."""
        self.requires_grad_(False)
        self.perceiver.requires_grad_(True)
        self.lang_encoder.gated_cross_attn_layers.requires_grad_(True)
        self.lang_encoder.get_input_embeddings().requires_grad_(True)


def filter_state_dict_to_trainable(model, state_dict):
    """train_utils.py filter_state_dict_to_trainable: drop frozen parameters except names containing 'embed' (buffers
    are not parameters and stay), then every key of old_decoder_blocks, gated_cross_attn_layers and vision_encoder."""
    for name, p in model.named_parameters():
        if "fsdp" in name:
            continue
        if "embed" in name:
            continue
        if not p.requires_grad:
            name = name.replace("._checkpoint_wrapped_module", "")
            if name in state_dict:
                del state_dict[name]
    for name in [n for n in state_dict if "lang_encoder.old_decoder_blocks" in n
                 or "lang_encoder.gated_cross_attn_layers" in n or "vision_encoder" in n]:
        del state_dict[name]
    return state_dict


class DDP(nn.Module):
    """What DistributedDataParallel adds to names: the wrapped model under 'module'."""

    def __init__(self, module):
        super().__init__()
        self.module = module


# ----------------------------------------------------------------------------------------------------------------
# Seeded random weights, scaled so that activations stay O(1) and the next-token distributions are peaked.
# ----------------------------------------------------------------------------------------------------------------

RESIDUAL_OUTPUTS = ("out_proj", "mlp_down", "down_proj", "dense", "dense_4h_to_h", "to_out", "3")


def init_weights(model, seed, residual_gain=1.0, embed_scale=0.5, head_scale=1.0):
    """residual_gain scales the LM's residual-branch output projections, so that a token's own embedding does not
    dominate the final hidden state (with a tied head that makes random models repeat the last token); embed_scale and
    head_scale (GPT-NeoX's untied embed_out) set the logits' spread, so that greedy margins are wide."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g)

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.2 * randn(*module.weight.shape))
                if module.bias is not None:
                    module.bias.copy_(0.1 * randn(*module.bias.shape))
            elif isinstance(module, nn.Linear):
                gain = residual_gain if name.rsplit(".", 1)[-1] in RESIDUAL_OUTPUTS else 1.0
                gain = head_scale if name == "embed_out" else gain
                module.weight.copy_(gain * randn(*module.weight.shape) / math.sqrt(module.in_features))
                if module.bias is not None:
                    module.bias.copy_(0.1 * randn(*module.bias.shape))
            elif isinstance(module, nn.MultiheadAttention):
                module.in_proj_weight.copy_(randn(*module.in_proj_weight.shape) / math.sqrt(module.embed_dim))
                module.in_proj_bias.copy_(0.1 * randn(*module.in_proj_bias.shape))
            elif isinstance(module, nn.Conv2d):
                module.weight.copy_(randn(*module.weight.shape) / math.sqrt(module.weight[0].numel()))
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(embed_scale * randn(*module.weight.shape))
            elif isinstance(module, OcVisionTransformer):
                module.class_embedding.copy_(0.5 * randn(*module.class_embedding.shape))
                module.positional_embedding.copy_(0.5 * randn(*module.positional_embedding.shape))
                module.proj.copy_(randn(*module.proj.shape) / math.sqrt(module.proj.shape[0]))
            elif isinstance(module, OcCLIP):
                module.positional_embedding.copy_(0.5 * randn(*module.positional_embedding.shape))
                proj = module.text_projection
                proj.copy_(randn(*proj.shape) / math.sqrt(proj.shape[0]))
            elif isinstance(module, PerceiverResampler):
                module.latents.copy_(randn(*module.latents.shape))


# ----------------------------------------------------------------------------------------------------------------
# Files: hub-style JSON, sharded checkpoints, safetensors.
# ----------------------------------------------------------------------------------------------------------------

def write_hub_json(path, obj, sort_keys=True):
    """transformers' to_json_string / json.dump(indent=2): two-space indent, a newline at the end."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(obj, indent=2, sort_keys=sort_keys) + "\n")


def write_tokenizer_files(folder, tok, model_max_length, legacy_config):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(tokenizer_json(tok), indent=2, ensure_ascii=False))
    write_hub_json(os.path.join(folder, "special_tokens_map.json"),
                   {"bos_token": ENDOFTEXT, "eos_token": ENDOFTEXT, "unk_token": ENDOFTEXT})
    cfg = {"add_prefix_space": False, "bos_token": ENDOFTEXT, "eos_token": ENDOFTEXT,
           "model_max_length": model_max_length, "tokenizer_class": "GPTNeoXTokenizer", "unk_token": ENDOFTEXT}
    if legacy_config:       # mpt-1b's file (366 bytes): the cache path of gpt-neox-20b's special_tokens_map
        cfg["special_tokens_map_file"] = ("/root/.cache/huggingface/hub/models--EleutherAI--gpt-neox-20b/snapshots/"
                                          "4e49eadb5d14bd22f314ec3f45b69a87b88c7691/special_tokens_map.json")
    else:                   # RedPajama and mpt-7b (237 bytes)
        cfg["clean_up_tokenization_spaces"] = True
    write_hub_json(os.path.join(folder, "tokenizer_config.json"), cfg)


def mosaic_gpt_config(c):
    """anas-awadalla/mpt-1b-redpajama-200b config.json: MosaicGPTConfig's fields (attn_qk_ln, alibi, no_bias, …)."""
    return {
        "alibi": True, "alibi_bias_max": 8, "architectures": ["MosaicGPT"], "attn_clip_qkv": None, "attn_impl": "torch",
        "attn_pdrop": 0, "attn_qk_ln": True, "attn_uses_sequence_id": False,
        "auto_map": {"AutoConfig": "configuration_mosaic_gpt.MosaicGPTConfig",
                     "AutoModelForCausalLM": "mosaic_gpt.MosaicGPT"},
        "d_model": c["d_model"], "emb_init_std": None, "emb_init_uniform_lim": None, "emb_pdrop": 0,
        "embedding_fraction": 1.0, "fan_mode": "fan_in", "init_device": "cpu", "init_div_is_residual": True,
        "init_gain": 0, "init_nonlinearity": "relu", "init_std": 0.02, "logit_scale": None,
        "low_precision_layernorm": True, "max_seq_len": c["max_seq_len"], "mlp_ratio": c["mlp_ratio"],
        "model_type": "mosaic_gpt", "n_heads": c["n_heads"], "n_layers": c["n_layers"], "no_bias": True,
        "param_init_fn": "kaiming_normal_", "prefix_lm": False, "resid_pdrop": 0, "softmax_scale": None,
        "tokenizer_name": "EleutherAI/gpt-neox-20b", "torch_dtype": "float32", "transformers_version": "4.27.4",
        "use_cache": False, "verbose": 0, "vocab_size": c["vocab_size"],
    }


def mpt_config(c):
    """anas-awadalla/mpt-7b config.json (MPT-7B's MPTConfig at revision 68e1a8e): attention options in attn_config."""
    return {
        "_name_or_path": "mosaicml/mpt-7b", "architectures": ["MPTForCausalLM"],
        "attn_config": {"alibi": True, "alibi_bias_max": 8, "attn_impl": "torch", "attn_pdrop": 0,
                        "attn_type": "multihead_attention", "attn_uses_sequence_id": False, "clip_qkv": None,
                        "prefix_lm": False, "qk_ln": False, "softmax_scale": None},
        "auto_map": {"AutoConfig": "configuration_mpt.MPTConfig",
                     "AutoModelForCausalLM": "modeling_mpt.MPTForCausalLM"},
        "d_model": c["d_model"], "emb_pdrop": 0, "embedding_fraction": 1.0, "expansion_ratio": c["expansion_ratio"],
        "init_config": {"emb_init_std": None, "emb_init_uniform_lim": None, "fan_mode": "fan_in",
                        "init_div_is_residual": True, "init_gain": 0, "init_nonlinearity": "relu", "init_std": 0.02,
                        "name": "kaiming_normal_", "verbose": 0},
        "init_device": "cpu", "learned_pos_emb": True, "logit_scale": None, "max_seq_len": c["max_seq_len"],
        "model_type": "mpt", "n_heads": c["n_heads"], "n_layers": c["n_layers"], "no_bias": True,
        "norm_type": "low_precision_layernorm", "resid_pdrop": 0, "tokenizer_name": "EleutherAI/gpt-neox-20b",
        "torch_dtype": "float32", "transformers_version": "4.28.1", "use_cache": False, "verbose": 0,
        "vocab_size": c["vocab_size"],
    }


def gpt_neox_config(c):
    """togethercomputer/RedPajama-INCITE-Base-3B-v1 config.json (transformers 4.28.1's GPTNeoXConfig)."""
    return {
        "_name_or_path": "togethercomputer/RedPajama-INCITE-Base-3B-v1", "architectures": ["GPTNeoXForCausalLM"],
        "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu", "hidden_size": c["hidden_size"],
        "initializer_range": 0.02, "intermediate_size": c["intermediate_size"], "layer_norm_eps": c["layer_norm_eps"],
        "max_position_embeddings": c["max_position_embeddings"], "model_type": "gpt_neox",
        "num_attention_heads": c["num_attention_heads"], "num_hidden_layers": c["num_hidden_layers"],
        "rotary_emb_base": c["rotary_emb_base"], "rotary_pct": c["rotary_pct"], "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.28.1", "use_cache": True,
        "use_parallel_residual": c["use_parallel_residual"], "vocab_size": c["vocab_size"],
    }


def dtype_bytes(t):
    return t.element_size()


def shard_checkpoint(state_dict, max_shard_size):
    """transformers' shard_checkpoint: keys in state_dict order; a new shard when the next tensor would tip the current
    one over max_shard_size. Returns the shards and the index {"metadata": {"total_size"}, "weight_map"}."""
    shards, last, total = [collections.OrderedDict()], 0, 0
    for key, t in state_dict.items():
        size = t.numel() * dtype_bytes(t)
        if last + size > max_shard_size and len(shards[-1]) > 0:
            shards.append(collections.OrderedDict())
            last = 0
        shards[-1][key] = t
        last += size
        total += size
    names = ["pytorch_model-%05d-of-%05d.bin" % (i + 1, len(shards)) for i in range(len(shards))]
    weight_map = {k: names[i] for i, shard in enumerate(shards) for k in shard}
    return list(zip(names, shards)), {"metadata": {"total_size": total}, "weight_map": weight_map}


# ----------------------------------------------------------------------------------------------------------------
# Building and writing the three sources of each family.
# ----------------------------------------------------------------------------------------------------------------

def build_lm(kind, c, device=None):
    lm = LM_CLASSES[kind](c, device)
    lm.cfg = c
    return lm


def write_lm_repo(out, fam, tok):
    """The LM repo folder as on the hub, with the LM's own random ("pretrained") weights."""
    kind, c = fam["lm_kind"], fam["lm"]
    folder = os.path.join(out, fam["lm_repo"])
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(fam["weight_seed"])
    lm = build_lm(kind, c)
    init_weights(lm, fam["weight_seed"] + 100, residual_gain=fam["residual_gain"], embed_scale=fam["embed_scale"],
                 head_scale=fam.get("head_scale", 1.0))
    if kind == "mosaic_gpt":
        write_hub_json(os.path.join(folder, "config.json"), mosaic_gpt_config(c))
        write_hub_json(os.path.join(folder, "generation_config.json"),
                       {"_from_model_config": True, "transformers_version": "4.27.4", "use_cache": False})
        torch.save(lm.state_dict(), os.path.join(folder, "pytorch_model.bin"))      # an OrderedDict, F32
        write_tokenizer_files(folder, tok, c["max_seq_len"], legacy_config=True)
    elif kind == "gpt_neox":
        write_hub_json(os.path.join(folder, "config.json"), gpt_neox_config(c))
        write_hub_json(os.path.join(folder, "generation_config.json"),
                       {"_from_model_config": True, "bos_token_id": 0, "eos_token_id": 0,
                        "transformers_version": "4.28.1"})
        torch.save(copy.deepcopy(lm).half().state_dict(), os.path.join(folder, "pytorch_model.bin"))  # F16 + bool
        write_tokenizer_files(folder, tok, c["max_position_embeddings"], legacy_config=False)
    else:
        write_hub_json(os.path.join(folder, "config.json"), mpt_config(c))
        write_hub_json(os.path.join(folder, "generation_config.json"),
                       {"_from_model_config": True, "eos_token_id": 0, "transformers_version": "4.28.1",
                        "use_cache": False})
        sd = lm.state_dict()
        # shard like the hub's three F32 shards (9.95 GB, 9.93 GB, the rest under "10GB"): the tiny limit is the
        # smallest fraction of the total, from 37.6 % (10 / 26.6) up, that gives three shards
        total = sum(t.numel() * dtype_bytes(t) for t in sd.values())
        limit = next(total * pct // 1000 for pct in range(376, 1000)
                     if len(shard_checkpoint(sd, total * pct // 1000)[0]) == 3)
        shards, index = shard_checkpoint(sd, limit)
        assert len(shards) == 3, len(shards)
        for name, shard in shards:
            torch.save(shard, os.path.join(folder, name))
        write_hub_json(os.path.join(folder, "pytorch_model.bin.index.json"), index)
        write_tokenizer_files(folder, tok, c["max_seq_len"], legacy_config=False)
    return folder


def load_lm_repo(folder, kind):
    """The LM's state dict as from_pretrained reads it (shards merged), in the file's dtypes."""
    index = os.path.join(folder, "pytorch_model.bin.index.json")
    if os.path.exists(index):
        with open(index) as fh:
            weight_map = json.load(fh)["weight_map"]
        sd = collections.OrderedDict()
        for shard in sorted(set(weight_map.values())):
            sd.update(torch.load(os.path.join(folder, shard)))
        return sd
    return torch.load(os.path.join(folder, "pytorch_model.bin"))


def build_clip(out):
    folder = os.path.join(out, "vision")
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(SEED)
    clip = OcCLIP(VISION, TEXT, EMBED_DIM)
    init_weights(clip, SEED + 1)
    sd = clip.state_dict()                                   # OrderedDict with _metadata, as open_clip's hub file
    torch.save(sd, os.path.join(folder, "open_clip_pytorch_model.bin"))
    ff.write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), collections.OrderedDict(sd))
    with open(os.path.join(folder, "open_clip_config.json"), "w", encoding="utf-8") as fh:
        json.dump({"model_cfg": {"embed_dim": EMBED_DIM, "quick_gelu": True, "vision_cfg": {
            k: VISION[k] for k in ("image_size", "layers", "width", "head_width", "patch_size")},
            "text_cfg": dict(TEXT)}, "preprocess_cfg": {"mean": list(CLIP_MEAN), "std": list(CLIP_STD)}}, fh, indent=2)
    back = ff.read_safetensors(os.path.join(folder, "open_clip_model.safetensors"))
    loaded = torch.load(os.path.join(folder, "open_clip_pytorch_model.bin"))
    assert list(loaded) == list(sd) and set(back) == set(sd)
    for k in sd:
        assert torch.equal(back[k], sd[k]) and torch.equal(loaded[k], sd[k]), k
    return clip


def build_openflamingo(out, key, tok, clip):
    """factory.py create_model_and_transforms on the written LM repo and CLIP, then 'training': new perceiver and
    cross-attention weights, non-zero gates, moved input embeddings, two AdamW steps. Writes checkpoint.pt (and the
    training checkpoint for 3B) exactly as train_utils.save_checkpoint + the release clean-up produce them."""
    fam = FAMILIES[key]
    kind, c = fam["lm_kind"], fam["lm"]
    lm = build_lm(kind, c)
    lm.load_state_dict(load_lm_repo(os.path.join(out, fam["lm_repo"]), kind))     # from_pretrained: F32 module
    rows = len(tok) + 3                                                            # + <|endofchunk|>, <image>, <PAD>
    resize_token_embeddings(lm, kind, rows)
    visual = copy.deepcopy(clip.visual)
    model = Flamingo(visual, lm, kind, fam["xattn_every"], VISION["width"])
    model.freeze_like_factory(kind)

    g = torch.Generator().manual_seed(fam["weight_seed"] + 200)
    init_weights(model.perceiver, fam["weight_seed"] + 201)
    blocks = [b for b in lm.gated_cross_attn_layers if b is not None]
    for k, block in enumerate(blocks):
        init_weights(block, fam["weight_seed"] + 300 + k, residual_gain=fam["residual_gain"])   # as loud as the LM
        attn, ffw = fam["gates"][k % len(fam["gates"])]
        with torch.no_grad():
            block.attn_gate.fill_(attn)          # non-zero gates: the released ones are trained, not 0
            block.ff_gate.fill_(ffw)
    emb = lm.get_input_embeddings().weight
    with torch.no_grad():                    # trained input embeddings: every row moved (the LM file's rows are stale)
        emb.add_(0.5 * fam["embed_scale"] * torch.randn(emb.shape, generator=g))

    ddp = DDP(model)
    trainable = [(n, p) for n, p in ddp.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in trainable if "gated_cross_attn" in n], "weight_decay": 0.1},
        {"params": [p for n, p in trainable if "gated_cross_attn" not in n], "weight_decay": 0.0}], lr=1e-4)

    def lr_lambda(step):                       # transformers' get_constant_schedule_with_warmup(…, 1875)
        return float(step) / 1875.0 if step < 1875 else 1.0

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    for _ in range(2):
        for _, p in trainable:
            p.grad = 0.01 * torch.randn(p.shape, generator=g)
        optimizer.step()
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)

    model_state = filter_state_dict_to_trainable(ddp, ddp.state_dict())
    release = {k.replace("module.", ""): v for k, v in model_state.items()}        # 3B: "remove module prefix"
    folder = os.path.join(out, fam["name"])
    os.makedirs(folder, exist_ok=True)
    torch.save(release, os.path.join(folder, "checkpoint.pt"))
    if key == "3b":
        train_folder = os.path.join(out, "OpenFlamingo-3B-training")
        os.makedirs(train_folder, exist_ok=True)
        torch.save({"epoch": 1, "model_state_dict": model_state, "optimizer_state_dict": optimizer.state_dict(),
                    "lr_scheduler_state_dict": scheduler.state_dict()}, os.path.join(train_folder, "checkpoint_1.pt"))
    return model


# ----------------------------------------------------------------------------------------------------------------
# Reference math in float64 over the written tensors, by checkpoint name.
# ----------------------------------------------------------------------------------------------------------------

def f64(sd):
    return {k: (v.double() if v.is_floating_point() else v) for k, v in sd.items()}


def ln(x, w, p, eps=1e-5):
    """LayerNorm by name; MosaicGPT / MPT LayerNorms have no bias (no_bias removed it)."""
    return F.layer_norm(x, (x.shape[-1],), w[p + ".weight"], w.get(p + ".bias"), eps)


def lin(x, w, p):
    y = x @ w[p + ".weight"].T
    b = w.get(p + ".bias")
    return y if b is None else y + b


def split_heads(x, heads):                                   # (L, H*d) -> (H, L, d): einops "n (h d) -> h n d"
    return x.reshape(x.shape[0], heads, -1).transpose(0, 1)


def merge_heads(x):                                          # (H, L, d) -> (L, H*d)
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def feed_forward_ref(x, w, p):                               # helpers.FeedForward: LN, Linear, exact GELU, Linear
    return lin(F.gelu(lin(ln(x, w, p + ".0"), w, p + ".1")), w, p + ".3")


def vit_ref(w, pixels, v):
    """open_clip VisionTransformer.forward up to the transformer output: (1 + g*g, width), class token first, patches
    row by row. Tokens returned by 2.16–2.22 are x[1:] (before ln_post); ≥ 2.23 returns ln_post(x)[1:]."""
    p = "visual."
    x = torch.from_numpy(pixels).double()[None]
    patches = F.conv2d(x, w[p + "conv1.weight"], stride=v["patch_size"])[0].flatten(1).T      # (g*g, W)
    h = torch.cat([w[p + "class_embedding"][None], patches], 0) + w[p + "positional_embedding"]
    h = ln(h, w, p + "ln_pre")
    width = v["width"]
    heads = width // v["head_width"]
    for i in range(v["layers"]):
        b = "%stransformer.resblocks.%d." % (p, i)
        a = ln(h, w, b + "ln_1")
        qkv = a @ w[b + "attn.in_proj_weight"].T + w[b + "attn.in_proj_bias"]                  # rows: q, k, v
        q, k, vv = (split_heads(t, heads) for t in qkv.split(width, -1))
        att = torch.softmax((q * (width // heads) ** -0.5) @ k.transpose(1, 2), -1)
        h = h + lin(merge_heads(att @ vv), w, b + "attn.out_proj")
        h = h + lin(quick_gelu(lin(ln(h, w, b + "ln_2"), w, b + "mlp.c_fc")), w, b + "mlp.c_proj")
    return h


def perceiver_ref(w, frames, p=PERCEIVER):
    """PerceiverResampler for one media item: frames (F, v, D) flattened frame-major to (F*v, D) (no frame_embs, no
    media_time_embs in the releases); each layer latents += attn(x, latents) with keys/values from
    cat(norm_media(x), norm_latents(latents)) through the fused to_kv (first half k, second half v), then latents +=
    ff(latents); returns norm(latents) (num_latents, D)."""
    x = frames.reshape(-1, frames.shape[-1])
    lat = w["perceiver.latents"]
    for i in range(p["depth"]):
        a = "perceiver.layers.%d.0." % i
        xm, lm_ = ln(x, w, a + "norm_media"), ln(lat, w, a + "norm_latents")
        q = split_heads(lin(lm_, w, a + "to_q"), p["heads"]) * p["dim_head"] ** -0.5
        kv = lin(torch.cat([xm, lm_], 0), w, a + "to_kv")
        k, v = (split_heads(t, p["heads"]) for t in kv.chunk(2, -1))
        sim = q @ k.transpose(1, 2)
        att = torch.softmax(sim - sim.amax(-1, keepdim=True), -1)
        lat = lin(merge_heads(att @ v), w, a + "to_out") + lat
        lat = feed_forward_ref(lat, w, "perceiver.layers.%d.1" % i) + lat
    return ln(lat, w, "perceiver.norm")


def gated_xattn_ref(y, w, p, visual, text_time, x=XATTN):
    """GatedCrossAttentionBlock: y += tanh(attn_gate)·attn(y, media) then y += tanh(ff_gate)·ff(y). visual (N, n, Dv):
    media j (1-based) owns keys [(j-1)·n, j·n); a token attends only to media text_time (only_attend_immediate_media);
    tokens with text_time 0 get a zero attention output. visual None: no media at all (the output is zero)."""
    if visual is not None:
        q = split_heads(lin(ln(y, w, p + "attn.norm"), w, p + "attn.to_q"), x["heads"]) * x["dim_head"] ** -0.5
        kv = lin(visual.reshape(-1, visual.shape[-1]), w, p + "attn.to_kv")
        k, v = (split_heads(t, x["heads"]) for t in kv.chunk(2, -1))
        media_time = torch.arange(visual.shape[0]).repeat_interleave(visual.shape[1]) + 1
        allowed = text_time[:, None] == media_time[None, :]
        sim = (q @ k.transpose(1, 2)).masked_fill(~allowed[None], -torch.finfo(torch.float64).max)
        att = torch.softmax(sim - sim.amax(-1, keepdim=True), -1)
        att = att.masked_fill((text_time == 0)[None, :, None], 0.0)
        y = y + torch.tanh(w[p + "attn_gate"]) * lin(merge_heads(att @ v), w, p + "attn.to_out")
    return y + torch.tanh(w[p + "ff_gate"]) * feed_forward_ref(y, w, p + "ff")


def alibi_slopes(heads, bias_max=8):
    """MosaicGPT alibi_bias (examples v0.0.4) and MPT gen_slopes: 2^-(bias_max·h/H), h = 1..H (H a power of two)."""
    assert heads & (heads - 1) == 0, "the fixtures keep H a power of two, where both codes agree"
    return torch.tensor([2.0 ** (-bias_max * h / heads) for h in range(1, heads + 1)], dtype=torch.float64)


def attend(q, k, v, bias=None):
    """q (H, L, d) scaled already; k, v (H, S, d); causal over absolute positions (queries are the last L)."""
    L, S = q.shape[1], k.shape[1]
    sim = q @ k.transpose(1, 2)
    if bias is not None:
        sim = sim + bias
    causal = torch.arange(S)[None, :] <= torch.arange(S - L, S)[:, None]
    sim = sim.masked_fill(~causal[None], -math.inf)
    return torch.softmax(sim, -1) @ v


def mpt_layer_ref(h, w, p, c, kind, past):
    """MosaicGPT GPTBlock (ln_1, attn with q_ln/k_ln over the whole width, ln_2, mlp_up/mlp_down) or MPT-7B MPTBlock
    (norm_1, attn, norm_2, ffn.up_proj/down_proj): pre-LN, no biases, ALiBi -(i-j)·slope_h, scale 1/sqrt(d/H)."""
    d, heads = c["d_model"], c["n_heads"]
    n1, n2 = ("ln_1", "ln_2") if kind == "mosaic_gpt" else ("norm_1", "norm_2")
    qkv = lin(ln(h, w, p + n1), w, p + "attn.Wqkv")
    q, k, v = qkv.chunk(3, -1)                               # not interleaved: rows [q | k | v]
    if kind == "mosaic_gpt":
        q, k = ln(q, w, p + "attn.q_ln"), ln(k, w, p + "attn.k_ln")
    q, k, v = (split_heads(t, heads) for t in (q, k, v))
    if past is not None:
        k, v = torch.cat([past[0], k], 1), torch.cat([past[1], v], 1)
    L, S = q.shape[1], k.shape[1]
    rel = (torch.arange(S)[None, :] - torch.arange(S - L, S)[:, None]).double()          # j - i
    bias = alibi_slopes(heads)[:, None, None] * rel[None]
    h = h + lin(merge_heads(attend(q * (d / heads) ** -0.5, k, v, bias)), w, p + "attn.out_proj")
    mlp = ("mlp.mlp_up", "mlp.mlp_down") if kind == "mosaic_gpt" else ("ffn.up_proj", "ffn.down_proj")
    h = h + lin(F.gelu(lin(ln(h, w, p + n2), w, p + mlp[0])), w, p + mlp[1])
    return h, (k, v)


def rotary(x, positions, rot, base):
    """transformers GPT-NeoX: rotate the first `rot` dims of each head, halves (x1, x2) -> (x1·cos - x2·sin,
    x2·cos + x1·sin) with frequencies base^(-2i/rot); the other dims pass."""
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    freqs = positions.double()[:, None] * inv_freq[None]
    emb = torch.cat([freqs, freqs], -1)
    cos, sin = emb.cos(), emb.sin()
    xr, xp = x[..., :rot], x[..., rot:]
    half = rot // 2
    rotated = torch.cat([-xr[..., half:], xr[..., :half]], -1)
    return torch.cat([xr * cos + rotated * sin, xp], -1)


def neox_layer_ref(h, w, p, c, past, positions):
    """GPTNeoXLayer: query_key_value viewed (L, H, 3·hs) — per head [q | k | v] (interleaved by head) —, rotary on
    rotary_pct of each head, scale 1/sqrt(hs), dense; parallel residual x + attn(ln1 x) + mlp(ln2 x), or sequential
    a = x + attn(ln1 x); a + mlp(ln2 a)."""
    heads = c["num_attention_heads"]
    hs = c["hidden_size"] // heads
    eps = c["layer_norm_eps"]
    qkv = lin(ln(h, w, p + "input_layernorm", eps), w, p + "attention.query_key_value")
    qkv = qkv.reshape(qkv.shape[0], heads, 3 * hs).transpose(0, 1)                        # (H, L, 3hs)
    q, k, v = qkv[..., :hs], qkv[..., hs:2 * hs], qkv[..., 2 * hs:]
    rot = int(hs * c["rotary_pct"])
    q, k = rotary(q, positions, rot, c["rotary_emb_base"]), rotary(k, positions, rot, c["rotary_emb_base"])
    if past is not None:
        k, v = torch.cat([past[0], k], 1), torch.cat([past[1], v], 1)
    attn = lin(merge_heads(attend(q * hs ** -0.5, k, v)), w, p + "attention.dense")
    mlp = lambda x: lin(F.gelu(lin(x, w, p + "mlp.dense_h_to_4h")), w, p + "mlp.dense_4h_to_h")  # noqa: E731
    if c["use_parallel_residual"]:
        h = h + attn + mlp(ln(h, w, p + "post_attention_layernorm", eps))
    else:
        a = h + attn
        h = a + mlp(ln(a, w, p + "post_attention_layernorm", eps))
    return h, (k, v)


def flamingo_forward_ref(w, fam, ids, text_time, visual, cache=None):
    """One forward of the merged OpenFlamingo model for one sequence (FlamingoLayer: gated cross-attention, then the
    decoder layer). ids (L,), text_time (L,), visual (N, n, Dv) or None. cache = {"lm": [(k, v)], "length"} continues a
    previous call (the LM's past_key_values; cross-attention keys are recomputed from the media each call, as
    OpenFlamingo does). Returns logits (L, rows) and the new cache."""
    kind, c = fam["lm_kind"], fam["lm"]
    past_len = 0 if cache is None else cache["length"]
    layers = lm_layers(kind, c)
    new = {"lm": [], "length": past_len + len(ids)}
    h = w["lm." + INPUT_EMBEDDING[kind]][ids]
    positions = torch.arange(past_len, past_len + len(ids))
    for i in range(layers):
        if (i + 1) % fam["xattn_every"] == 0:
            h = gated_xattn_ref(h, w, "xattn.%d." % i, visual, text_time)
        past = None if cache is None else cache["lm"][i]
        if kind == "gpt_neox":
            h, kv = neox_layer_ref(h, w, "lm.gpt_neox.layers.%d." % i, c, past, positions)
        else:
            h, kv = mpt_layer_ref(h, w, "lm.transformer.blocks.%d." % i, c, kind, past)
        new["lm"].append(kv)
    if kind == "gpt_neox":
        h = ln(h, w, "lm.gpt_neox.final_layer_norm", c["layer_norm_eps"])
        logits = h @ w["lm.embed_out.weight"].T
    else:
        h = ln(h, w, "lm.transformer." + ("ln_f" if kind == "mosaic_gpt" else "norm_f"))
        logits = h @ w["lm.transformer.wte.weight"].T                                    # tied head
    return logits, new


def merged_weights(out, key, rows):
    """What OpenFlamingo runs with, from the three written files: the LM file (shards merged; F16 upcast), its input
    embedding (and GPT-NeoX's untied embed_out) cut to `rows` by resize_token_embeddings, then checkpoint.pt loaded with
    strict=False: perceiver.*, the gated cross-attention blocks and the trained input embedding (and embed_out) replace
    what they name. Keys: 'lm.<LM file name>', 'perceiver.*', 'xattn.<layer>.<block key>', 'visual.*'."""
    fam = FAMILIES[key]
    kind = fam["lm_kind"]
    lm = load_lm_repo(os.path.join(out, fam["lm_repo"]), kind)
    ckpt = torch.load(os.path.join(out, fam["name"], "checkpoint.pt"))
    clip = torch.load(os.path.join(out, "vision", "open_clip_pytorch_model.bin"))
    w = {}
    for k, v in lm.items():
        if v.is_floating_point():
            w["lm." + k] = v.double()
    emb = "lm." + INPUT_EMBEDDING[kind]
    w[emb] = w[emb][:rows]
    if kind == "gpt_neox":
        w["lm.embed_out.weight"] = w["lm.embed_out.weight"][:rows]
    used = set()
    for k, v in ckpt.items():
        if k.startswith("perceiver."):
            w[k] = v.double()
            used.add(k)
        elif ".gated_cross_attn_layer." in k:
            layer = int(k.split(".")[3])
            w["xattn.%d.%s" % (layer, k.split(".gated_cross_attn_layer.", 1)[1])] = v.double()
            used.add(k)
        elif k.startswith("lang_encoder.") and ".decoder_layer." not in k:
            name = "lm." + k[len("lang_encoder."):]
            assert name in w and w[name].shape == v.shape, k
            w[name] = v.double()
            used.add(k)
    ignored = [k for k in ckpt if k not in used]
    assert all(".decoder_layer.attention." in k for k in ignored), ignored          # GPT-NeoX buffers only
    for k, v in clip.items():
        if k.startswith("visual."):
            w[k] = v.double()
    return w, ignored


# ----------------------------------------------------------------------------------------------------------------
# Images and open_clip's preprocessing (image_transform(224, is_train=False) of open_clip 2.16–2.23).
# ----------------------------------------------------------------------------------------------------------------

def make_image_d(width, height):
    """41x30 RGB: fine vertical stripes (period 3) and a diagonal ramp, so a one-pixel crop shift changes the pixels."""
    rng = np.random.RandomState(SEED + 5)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    stripes = np.where(xx % 3 == 0, 220.0, 40.0)
    rgb = np.stack([stripes, 255 * (xx + yy) / (width + height - 2), 128 + 90 * np.cos(yy / 2.0)], -1)
    rgb += rng.randint(-10, 11, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def image_path(out, name):
    fname, _, _, _, where = IMAGES[name]
    if where == "shared":
        return os.path.join(out, "..", "reference", "images", fname)
    return os.path.join(out, "reference", "images", fname)


def open_clip_preprocess(image, size):
    """Compose([Resize(size, BICUBIC), CenterCrop(size), _convert_to_rgb, ToTensor(), Normalize(mean, std)]) on a PIL
    image: torchvision resizes with PIL (the image's own mode, before the RGB conversion) so that the short side is
    `size` and the long side int(size·long/short); center_crop takes top = int(round((h - size) / 2)) (Python's
    round: half to even), left likewise; ToTensor divides by 255 in float32; Normalize subtracts and divides in float32.
    Returns the resized size, the crop offsets, the uint8 crop (HWC) and the float32 pixels (CHW)."""
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    resized = image.resize((new_w, new_h), Image.BICUBIC) if (new_w, new_h) != (w, h) else image.copy()
    top, left = int(round((new_h - size) / 2.0)), int(round((new_w - size) / 2.0))
    cropped = resized.crop((left, top, left + size, top + size)).convert("RGB")
    arr = np.asarray(cropped)
    x = torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    x = x.sub(torch.tensor(CLIP_MEAN, dtype=torch.float32)[:, None, None]).div(
        torch.tensor(CLIP_STD, dtype=torch.float32)[:, None, None])
    return (new_w, new_h), (top, left), arr, x.numpy()


def normalize_table():
    """(256, 3) float32: ToTensor + Normalize of every uint8 level per channel. The same as transformers'
    CLIPImageProcessor (u · (1/255) in float64, then float32, then (x - mean) / std in float32): asserted."""
    u = torch.arange(256, dtype=torch.uint8)[:, None].expand(256, 3)
    x = u.to(torch.float32).div(255)
    table = x.sub(torch.tensor(CLIP_MEAN, dtype=torch.float32)).div(torch.tensor(CLIP_STD, dtype=torch.float32))
    hf = (u.numpy().astype(np.float64) * (1 / 255)).astype(np.float32)
    hf = (hf - np.array(CLIP_MEAN, dtype=np.float32)) / np.array(CLIP_STD, dtype=np.float32)
    assert np.array_equal(hf.astype(np.float32), table.numpy())
    return table.numpy()


NORMALIZE_TABLE = normalize_table()
PIXELS_SPELLED_OUT = ("A", "D")


def vision_reference(out, clip_w):
    size = VISION["image_size"]
    feats, doc = {}, {}
    for name, (fname, width, height, mode, where) in IMAGES.items():
        img = Image.open(image_path(out, name))
        img.load()
        assert img.size == (width, height) and img.mode == mode, name
        (rw, rh), (top, left), crop, pixels = open_clip_preprocess(img, size)
        if mode == "L":          # resizing before or after the RGB conversion agrees for grayscale
            _, _, crop_rgb_first, _ = open_clip_preprocess(img.convert("RGB"), size)
            assert np.array_equal(crop, crop_rgb_first)
        x = vit_ref(clip_w, pixels, VISION)
        tokens = x[1:]
        after = ln(x, clip_w, "visual.ln_post")[1:]
        feats[name] = {"before_ln_post": tokens, "after_ln_post": after}
        doc[name] = {
            "file": ("../../reference/images/" if where == "shared" else "images/") + fname, "width": width,
            "height": height, "mode": mode, "resized_width": rw, "resized_height": rh, "crop_top": top,
            "crop_left": left, "crop_top_floor": (rh - size) // 2, "crop_left_floor": (rw - size) // 2,
            "crop_uint8_hwc": crop.ravel().tolist(),
            "patch_tokens_shape": list(tokens.shape), "patch_tokens": ff.rounded(tokens),
            "patch_tokens_after_ln_post": ff.rounded(after),
        }
        expected = NORMALIZE_TABLE[crop.reshape(-1, 3), [0, 1, 2]].reshape(crop.shape).transpose(2, 0, 1)
        assert np.array_equal(expected, pixels), "pixels = the per-level table applied to the crop"
        if name in PIXELS_SPELLED_OUT:
            doc[name]["pixel_values_chw"] = ff.rounded(pixels)
    return feats, {
        "vision_files": ["vision/open_clip_pytorch_model.bin", "vision/open_clip_model.safetensors"],
        "config": {"vision_cfg": VISION, "heads": VISION["width"] // VISION["head_width"], "embed_dim": EMBED_DIM,
                   "act": "QuickGELU x·sigmoid(1.702x)", "layer_norm_eps": 1e-5},
        "preprocessing": {
            "size": size, "resize": "PIL Image.resize(BICUBIC) on the image's own mode, before convert('RGB'); short "
                                    "side = size, long side = int(size*long/short); no resize when already that size",
            "center_crop": "top = int(round((h - size) / 2.0)), left = int(round((w - size) / 2.0)); Python round is "
                           "half-to-even (crop_*_floor: what (h - size) // 2 would give, for contrast)",
            "to_tensor": "uint8 / 255 in float32", "normalize": "(x - mean) / std in float32",
            "mean": list(CLIP_MEAN), "std": list(CLIP_STD),
            "normalize_table": ff.rounded(NORMALIZE_TABLE),
            "layout": "crop_uint8_hwc is (size, size, 3) after the crop and RGB conversion; normalize_table (256, 3) "
                      "is the float32 pixel value of every uint8 level per channel (pixel_values_chw[c, y, x] = "
                      "normalize_table[crop[y, x, c], c]); pixel_values_chw (3, size, size) spelled out for "
                      + " and ".join(PIXELS_SPELLED_OUT)},
        "features": "patch_tokens: the (grid*grid, width) tokens after the last resblock, class token dropped, BEFORE "
                    "ln_post (open_clip 2.16–2.22, what OpenFlamingo was trained with); patch_tokens_after_ln_post: "
                    "open_clip ≥ 2.23 (final_ln_after_pool False applies ln_post to every token)",
        "images": doc,
    }


# ----------------------------------------------------------------------------------------------------------------
# OpenFlamingo's generate() with the KV cache, and the reference of one family.
# ----------------------------------------------------------------------------------------------------------------

def run_generation(w, fam, ids, visual, media_id, steps=None, forced=None):
    """Flamingo.generate: _use_cached_vision_x is set, the media are encoded once; the prompt goes in one call, whose
    media_locations = (ids == <image>) condition the layers (text_time = cumsum). Then HF generate passes one token per
    call with past_key_values. flamingo_lm.py L135-150: if that token is not <image>, use_cached_media — text_time =
    count_nonzero(the conditioned media_locations) (the prompt's image count: the last image); if it is <image>, the
    layers are re-conditioned on [True] alone: text_time 1 (the FIRST image) for it and every later token."""
    ml = [i == media_id for i in ids]
    text_time = torch.cumsum(torch.tensor(ml, dtype=torch.int64), 0)
    logits, cache = flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, visual)
    rows, tokens, fed_times, margins = [logits[-1]], [], [], []
    n = len(forced) if forced is not None else steps
    for step in range(n):
        top = torch.topk(rows[-1], 2).values
        margins.append(float(top[0] - top[1]))
        tok = forced[step] if forced is not None else int(torch.argmax(rows[-1]))
        tokens.append(tok)
        if forced is None and step + 1 == n:
            break
        if tok == media_id:
            ml = [True]
            t = 1
        else:
            t = sum(ml)
        fed_times.append(t)
        logits, cache = flamingo_forward_ref(w, fam, torch.tensor([tok]), torch.tensor([t]), visual, cache=cache)
        rows.append(logits[-1])
    rows = torch.stack(rows)
    full_ids = torch.tensor(ids + tokens[:len(fed_times)])
    full_time = torch.cat([text_time, torch.tensor(fed_times, dtype=torch.int64)])
    full, _ = flamingo_forward_ref(w, fam, full_ids, full_time, visual)
    diff = float((full[len(ids) - 1:] - rows).abs().max())
    assert diff < 1e-9, ("cached decoding differs from one full forward", diff)
    return tokens, rows, fed_times, margins, diff


def family_reference(out, key, tok, feats):
    fam = FAMILIES[key]
    kind = fam["lm_kind"]
    rows = len(tok)
    w, ignored = merged_weights(out, key, rows)
    media_id, eoc_id, pad_id = tok.token_id(MEDIA), tok.token_id(EOC), tok.token_id(PAD)
    media = {}
    for name, frames in MEDIA_ITEMS.items():
        media[name] = perceiver_ref(w, torch.stack([feats[f]["before_ln_post"] for f in frames]))
    prompts = []
    for pname, text, items in PROMPTS:
        if "prompts" in fam and pname not in fam["prompts"]:
            continue
        ids = tok.encode(text)
        ml = [1 if i == media_id else 0 for i in ids]
        assert sum(ml) == len(items), (pname, ids)
        text_time = torch.cumsum(torch.tensor(ml), 0)
        visual = torch.stack([media[m] for m in items]) if items else None
        logits, _ = flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, visual)
        logp = torch.log_softmax(logits, -1)
        if pname == "zero_shot":      # the gates are open: another image moves the next-token distribution
            other, _ = flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, media["C"][None])
            assert float((torch.log_softmax(other, -1) - logp).abs().max()) > 0.1, "images must matter"
        if pname == "text_only":      # no <image>: text_time 0 everywhere, any media give the same output
            other, _ = flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, media["A"][None])
            assert float((other - logits).abs().max()) < 1e-12
        entry = {
            "name": pname, "text": text, "media_items": items, "media_frames": [MEDIA_ITEMS[m] for m in items],
            "input_ids": ids, "tokens": [tok.id_to_token[i] for i in ids], "media_locations": ml,
            "text_time": text_time.tolist(), "log_probs_shape": list(logp.shape),
            "log_probs": [ff.rounded(r) for r in logp],
            "token_log_probs": ff.rounded([float(logp[i, ids[i + 1]]) for i in range(len(ids) - 1)]),
        }
        tokens, steps, fed, margins, diff = run_generation(w, fam, ids, visual, media_id, steps=GREEDY_STEPS)
        assert min(margins) > MIN_GREEDY_MARGIN, (key, pname, margins)
        step_logp = torch.log_softmax(steps, -1)
        entry["greedy"] = {
            "steps": GREEDY_STEPS, "tokens": tokens, "token_strings": [tok.id_to_token[t] for t in tokens],
            "token_log_probs": ff.rounded([float(step_logp[i, t]) for i, t in enumerate(tokens)]),
            "last_log_probs": ff.rounded(step_logp[-1]), "min_top2_logit_margin": round(min(margins), 6),
            "text_time_of_fed_tokens": fed, "cached_vs_full_forward_max_abs_diff": diff,
            "first_endofchunk_index": tokens.index(eoc_id) if eoc_id in tokens else None,
            "generated_media_tokens": sum(1 for t in tokens if t == media_id),
        }
        prompts.append(entry)

    fname, text, items, pieces = FORCED
    ids = tok.encode(text)
    forced = [i for piece in pieces for i in tok.encode(piece)]
    visual = torch.stack([media[m] for m in items])
    tokens, steps, fed, margins, diff = run_generation(w, fam, ids, visual, media_id, forced=forced)
    step_logp = torch.log_softmax(steps, -1)
    assert fed[forced.index(media_id)] == 1 and fed[0] == len(items)
    forced_entry = {
        "name": fname, "text": text, "media_items": items, "input_ids": ids,
        "tokens": [tok.id_to_token[i] for i in ids], "continuation": forced,
        "continuation_strings": [tok.id_to_token[t] for t in forced], "text_time_of_fed_tokens": fed,
        "continuation_log_probs": ff.rounded([float(step_logp[i, t]) for i, t in enumerate(forced)]),
        "log_probs": [ff.rounded(r) for r in step_logp], "cached_vs_full_forward_max_abs_diff": diff,
        "note": "rows: the distribution before each continuation token, then after the last one (len + 1)",
    }

    ids = tok.encode(PROMPTS[0][1])
    text_time = torch.cumsum(torch.tensor([1 if i == media_id else 0 for i in ids]), 0)
    after = perceiver_ref(w, feats["A"]["after_ln_post"][None])
    logits, _ = flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, after[None])
    logp = torch.log_softmax(logits, -1)
    ln_post_variant = {
        "prompt": PROMPTS[0][0], "media_items": ["A"], "visual_tokens": ff.rounded(after),
        "token_log_probs": ff.rounded([float(logp[i, ids[i + 1]]) for i in range(len(ids) - 1)]),
        "last_log_probs": ff.rounded(logp[-1]),
        "max_abs_diff_vs_main_last_row": round(float((logp[-1] - torch.log_softmax(
            flamingo_forward_ref(w, fam, torch.tensor(ids), text_time, media["A"][None])[0], -1)[-1]).abs().max()), 6),
    }

    c = fam["lm"]
    layers = lm_layers(kind, c)
    return {
        "family": key, "release": fam["name"], "lm_repo": fam["lm_repo"], "hub_lm": fam["hub_lm"],
        "files": {"checkpoint": fam["name"] + "/checkpoint.pt", "vision": "vision/open_clip_pytorch_model.bin",
                  "lm": fam["lm_repo"],
                  "training_checkpoint": "OpenFlamingo-3B-training/checkpoint_1.pt" if key == "3b" else None},
        "config": {"lm_kind": kind, "lm": c, "cross_attn_every_n_layers": fam["xattn_every"],
                   "xattn_layers": [i for i in range(layers) if (i + 1) % fam["xattn_every"] == 0],
                   "perceiver": PERCEIVER, "xattn": XATTN, "vis_dim": VISION["width"],
                   "embedding_rows": rows, "attn_gate_ff_gate": {
                       str(i): [float(w["xattn.%d.attn_gate" % i]), float(w["xattn.%d.ff_gate" % i])]
                       for i in range(layers) if (i + 1) % fam["xattn_every"] == 0}},
        "special_tokens": {"endoftext": tok.token_id(ENDOFTEXT), "endofchunk": eoc_id, "media": media_id,
                           "pad": pad_id, "tokenizer_len_in_repo": rows - 3, "tokenizer_len": rows, "bos": None,
                           "generate_eos": eoc_id},
        "checkpoint_keys_ignored_by_the_reference": ignored,
        "media_items": {name: {"frames": MEDIA_ITEMS[name], "visual_tokens_shape": list(t.shape),
                               "visual_tokens": ff.rounded(t)} for name, t in media.items()},
        "prompts": prompts,
        "forced_generation": forced_entry,
        "ln_post_variant": ln_post_variant,
        "numbers": "float64 math over the tensors of the written files, rounded to 9 significant digits",
    }


# ----------------------------------------------------------------------------------------------------------------
# Key layouts written out from the sources (independently of the module trees above).
# ----------------------------------------------------------------------------------------------------------------

def expected_checkpoint_keys(key, p=PERCEIVER):
    fam = FAMILIES[key]
    kind, c = fam["lm_kind"], fam["lm"]
    keys = ["perceiver.latents"]
    for i in range(p["depth"]):
        a = "perceiver.layers.%d." % i
        keys += [a + "0.norm_media.weight", a + "0.norm_media.bias", a + "0.norm_latents.weight",
                 a + "0.norm_latents.bias", a + "0.to_q.weight", a + "0.to_kv.weight", a + "0.to_out.weight",
                 a + "1.0.weight", a + "1.0.bias", a + "1.1.weight", a + "1.3.weight"]
    keys += ["perceiver.norm.weight", "perceiver.norm.bias", "lang_encoder." + INPUT_EMBEDDING[kind]]
    for i in range(lm_layers(kind, c)):
        layer = "lang_encoder.%s.%d." % (DECODER_LAYERS[kind], i)
        if (i + 1) % fam["xattn_every"] == 0:
            g = layer + "gated_cross_attn_layer."
            keys += [g + "attn_gate", g + "ff_gate", g + "attn.norm.weight", g + "attn.norm.bias",
                     g + "attn.to_q.weight", g + "attn.to_kv.weight", g + "attn.to_out.weight", g + "ff.0.weight",
                     g + "ff.0.bias", g + "ff.1.weight", g + "ff.3.weight"]
        if kind == "gpt_neox":
            keys += [layer + "decoder_layer.attention." + b for b in ("bias", "masked_bias", "rotary_emb.inv_freq")]
    if kind == "gpt_neox":
        keys += ["lang_encoder.embed_out.weight"]
    return keys


def expected_lm_keys(kind, c):
    if kind == "gpt_neox":
        keys = ["gpt_neox.embed_in.weight"]
        for i in range(c["num_hidden_layers"]):
            p = "gpt_neox.layers.%d." % i
            keys += [p + "input_layernorm.weight", p + "input_layernorm.bias", p + "post_attention_layernorm.weight",
                     p + "post_attention_layernorm.bias", p + "attention.bias", p + "attention.masked_bias",
                     p + "attention.rotary_emb.inv_freq", p + "attention.query_key_value.weight",
                     p + "attention.query_key_value.bias", p + "attention.dense.weight", p + "attention.dense.bias",
                     p + "mlp.dense_h_to_4h.weight", p + "mlp.dense_h_to_4h.bias", p + "mlp.dense_4h_to_h.weight",
                     p + "mlp.dense_4h_to_h.bias"]
        return keys + ["gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias", "embed_out.weight"]
    keys = ["transformer.wte.weight"]
    for i in range(c["n_layers"]):
        p = "transformer.blocks.%d." % i
        if kind == "mosaic_gpt":
            keys += [p + "ln_1.weight", p + "attn.Wqkv.weight", p + "attn.q_ln.weight", p + "attn.k_ln.weight",
                     p + "attn.out_proj.weight", p + "ln_2.weight", p + "mlp.mlp_up.weight", p + "mlp.mlp_down.weight"]
        else:
            keys += [p + "norm_1.weight", p + "attn.Wqkv.weight", p + "attn.out_proj.weight", p + "norm_2.weight",
                     p + "ffn.up_proj.weight", p + "ffn.down_proj.weight"]
    return keys + ["transformer.%s.weight" % ("ln_f" if kind == "mosaic_gpt" else "norm_f")]


def expected_clip_keys(v, t):
    keys = ["positional_embedding", "text_projection", "logit_scale", "visual.class_embedding",
            "visual.positional_embedding", "visual.proj", "visual.conv1.weight", "visual.ln_pre.weight",
            "visual.ln_pre.bias"]

    def blocks(prefix, layers):
        out = []
        for i in range(layers):
            b = "%stransformer.resblocks.%d." % (prefix, i)
            out += [b + "ln_1.weight", b + "ln_1.bias", b + "attn.in_proj_weight", b + "attn.in_proj_bias",
                    b + "attn.out_proj.weight", b + "attn.out_proj.bias", b + "ln_2.weight", b + "ln_2.bias",
                    b + "mlp.c_fc.weight", b + "mlp.c_fc.bias", b + "mlp.c_proj.weight", b + "mlp.c_proj.bias"]
        return out
    keys += blocks("visual.", v["layers"]) + ["visual.ln_post.weight", "visual.ln_post.bias"]
    return keys + blocks("", t["layers"]) + ["token_embedding.weight", "ln_final.weight", "ln_final.bias"]


# ----------------------------------------------------------------------------------------------------------------
# Cross-checks: a second path through the same tensors for the parts that are easy to get subtly wrong.
# ----------------------------------------------------------------------------------------------------------------

def cross_checks(clip_w, out):
    g = torch.Generator().manual_seed(SEED + 99)
    # open_clip attention == nn.MultiheadAttention's functional path (fused in_proj_weight rows q, k, v)
    b = "visual.transformer.resblocks.0."
    width = VISION["width"]
    x = torch.randn(9, width, generator=g, dtype=torch.float64)
    ref, _ = F.multi_head_attention_forward(
        x[:, None], x[:, None], x[:, None], width, width // VISION["head_width"], clip_w[b + "attn.in_proj_weight"],
        clip_w[b + "attn.in_proj_bias"], None, None, False, 0.0, clip_w[b + "attn.out_proj.weight"],
        clip_w[b + "attn.out_proj.bias"], training=False, need_weights=False)
    heads = width // VISION["head_width"]
    qkv = x @ clip_w[b + "attn.in_proj_weight"].T + clip_w[b + "attn.in_proj_bias"]
    q, k, v = (split_heads(t, heads) for t in qkv.split(width, -1))
    mine = lin(merge_heads(torch.softmax((q * (width // heads) ** -0.5) @ k.transpose(1, 2), -1) @ v), clip_w,
               b + "attn.out_proj")
    assert float((mine - ref[:, 0]).abs().max()) < 1e-10, "open_clip attention"

    # ALiBi: MosaicGPT's absolute form — bias (j - (max_seq_len - 1))·slope sliced to the last S keys, causal by
    # finfo.min — against the relative -(i - j)·slope used above, for a full pass and a cached single query
    heads, d, max_len = 4, 8, 64
    slopes = alibi_slopes(heads)
    for L, S in ((7, 7), (1, 9)):
        q = torch.randn(heads, L, d, generator=g, dtype=torch.float64)
        k = torch.randn(heads, S, d, generator=g, dtype=torch.float64)
        v = torch.randn(heads, S, d, generator=g, dtype=torch.float64)
        absolute = torch.arange(1 - max_len, 1, dtype=torch.float64)[None, None, :] * slopes[:, None, None]
        sim = q @ k.transpose(1, 2) + absolute[:, :, -S:]
        causal = ~torch.ones(max(L, S), max(L, S)).tril().bool()[-L:, -S:]
        sim = sim.masked_fill(causal[None], torch.finfo(torch.float64).min)
        literal = torch.softmax(sim, -1) @ v
        rel = (torch.arange(S)[None, :] - torch.arange(S - L, S)[:, None]).double()
        assert float((attend(q, k, v, slopes[:, None, None] * rel[None]) - literal).abs().max()) < 1e-12, "ALiBi"

    # rotary: rotate_half form == complex multiplication of the pairs (i, i + rot/2), positions with an offset
    rot, hs, base = 6, 8, 10000
    x = torch.randn(3, 5, hs, generator=g, dtype=torch.float64)
    pos = torch.arange(4, 9)
    mine = rotary(x, pos, rot, base)
    inv = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    z = torch.complex(x[..., :rot // 2], x[..., rot // 2:rot]) * torch.polar(
        torch.ones(5, rot // 2, dtype=torch.float64), pos.double()[:, None] * inv[None])
    assert float((torch.cat([z.real, z.imag, x[..., rot:]], -1) - mine).abs().max()) < 1e-12, "rotary"

    # GPT-NeoX's fused query_key_value is interleaved per head: rows [h·3hs, h·3hs + hs) are head h's query
    fam = FAMILIES["4b"]
    c = fam["lm"]
    sd = f64(load_lm_repo(os.path.join(out, fam["lm_repo"]), "gpt_neox"))
    p = "gpt_neox.layers.0.attention.query_key_value."
    hs = c["hidden_size"] // c["num_attention_heads"]
    x = torch.randn(4, c["hidden_size"], generator=g, dtype=torch.float64)
    qkv = (x @ sd[p + "weight"].T + sd[p + "bias"]).reshape(4, c["num_attention_heads"], 3 * hs)
    for h in (0, c["num_attention_heads"] - 1):
        rows = slice(h * 3 * hs, h * 3 * hs + hs)
        assert torch.allclose(qkv[:, h, :hs], x @ sd[p + "weight"][rows].T + sd[p + "bias"][rows], atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# A second, literal path in float32, written the way the sources compute (batch dims, absolute ALiBi bias sliced from
# max_seq_len, HF's rotary cos/sin cache gathered by position_ids, MaskedCrossAttention's use_cached_media branch and
# FlamingoLMMixin's conditioning state), run from the written files, against the float64 reference.
# ----------------------------------------------------------------------------------------------------------------

class LiteralOpenFlamingo:
    def __init__(self, w, fam):
        self.w = {k: v.float() for k, v in w.items()}
        self.fam, self.kind, self.c = fam, fam["lm_kind"], fam["lm"]
        self.media_locations = None          # FlamingoLayer.media_locations (the same for every layer)
        self.vis_x = None

    def lin(self, x, p):
        return lin(x, self.w, p)

    def ln(self, x, p, eps=1e-5):
        return ln(x, self.w, p, eps)

    def perceiver(self, x):                                   # x (b, T, F, v, D)
        b, T, Fr, v, D = x.shape
        x = x.reshape(b, T, Fr * v, D)
        lat = self.w["perceiver.latents"].expand(b, T, -1, -1)
        h, dh = PERCEIVER["heads"], PERCEIVER["dim_head"]
        for i in range(PERCEIVER["depth"]):
            a = "perceiver.layers.%d.0." % i
            xm, lt = self.ln(x, a + "norm_media"), self.ln(lat, a + "norm_latents")
            q = self.lin(lt, a + "to_q")
            k, v_ = self.lin(torch.cat((xm, lt), dim=-2), a + "to_kv").chunk(2, dim=-1)
            q, k, v_ = (t.reshape(*t.shape[:3], h, dh).permute(0, 3, 1, 2, 4) for t in (q, k, v_))
            q = q * dh ** -0.5
            sim = torch.einsum("...id,...jd->...ij", q, k)
            attn = (sim - sim.amax(dim=-1, keepdim=True)).softmax(dim=-1)
            out = torch.einsum("...ij,...jd->...id", attn, v_).permute(0, 2, 3, 1, 4).reshape(b, T, -1, h * dh)
            lat = self.lin(out, a + "to_out") + lat
            lat = feed_forward_ref(lat, self.w, "perceiver.layers.%d.1" % i) + lat
        return self.ln(lat, "perceiver.norm")

    def xattn(self, x, p, use_cached_media):                 # helpers.MaskedCrossAttention + gates, batch 1
        media = self.vis_x
        T_txt = x.shape[1]
        _, T_img, n = media.shape[:3]
        h, dh = XATTN["heads"], XATTN["dim_head"]
        y = self.ln(x, p + "attn.norm")
        q = self.lin(y, p + "attn.to_q")
        k, v = self.lin(media.reshape(1, T_img * n, -1), p + "attn.to_kv").chunk(2, dim=-1)
        q, k, v = (t.reshape(1, t.shape[1], h, dh).transpose(1, 2) for t in (q, k, v))
        q = q * dh ** -0.5
        sim = q @ k.transpose(-1, -2)
        media_time = torch.arange(T_img) + 1
        if use_cached_media:
            text_time = torch.count_nonzero(self.media_locations, dim=1)[:, None].expand(1, T_txt)
        else:
            text_time = self.media_locations.cumsum(dim=-1)
        mask = text_time[:, None, :, None] == media_time.repeat_interleave(n)[None, None, None, :]
        sim = sim.masked_fill(~mask, -torch.finfo(sim.dtype).max)
        attn = (sim - sim.amax(dim=-1, keepdim=True)).softmax(dim=-1)
        attn = attn.masked_fill((text_time == 0)[:, None, :, None], 0.0)
        out = self.lin((attn @ v).transpose(1, 2).reshape(1, T_txt, h * dh), p + "attn.to_out")
        x = out * torch.tanh(self.w[p + "attn_gate"]) + x
        return feed_forward_ref(x, self.w, p + "ff") * torch.tanh(self.w[p + "ff_gate"]) + x

    def mpt_attention(self, x, p, past, heads, max_len):     # examples attention.py / MPT-7B attention.py, torch impl
        q, k, v = self.lin(x, p + "Wqkv").chunk(3, dim=2)
        if self.kind == "mosaic_gpt":
            q, k = self.ln(q, p + "q_ln"), self.ln(k, p + "k_ln")
        if past is not None:
            k, v = torch.cat([past[0], k], dim=1), torch.cat([past[1], v], dim=1)
        present = (k, v)
        slopes = alibi_slopes(heads).float().view(1, heads, 1, 1)
        bias = torch.arange(1 - max_len, 1, dtype=torch.float32).view(1, 1, 1, max_len) * slopes
        s_q, s_k = q.shape[1], k.shape[1]
        bias = bias[:, :, -s_q:, -s_k:]
        qh = q.reshape(1, s_q, heads, -1).transpose(1, 2)
        kh = k.reshape(1, s_k, heads, -1).permute(0, 2, 3, 1)                   # b h d s: includes key.t()
        vh = v.reshape(1, s_k, heads, -1).transpose(1, 2)
        att = qh.matmul(kh) * (1 / math.sqrt(qh.shape[-1])) + bias
        s = max(s_q, s_k)
        causal = ~torch.ones(s, s, dtype=torch.float16).tril().bool()[-s_q:, -s_k:]
        att = att.masked_fill(causal.view(1, 1, s_q, s_k), torch.finfo(att.dtype).min).softmax(dim=-1)
        out = att.matmul(vh).transpose(1, 2).reshape(1, s_q, -1)
        return self.lin(out, p + "out_proj"), present

    def neox_attention(self, x, p, past, position_ids):      # transformers GPTNeoXAttention (4.28)
        c = self.c
        H = c["num_attention_heads"]
        hs = c["hidden_size"] // H
        rot = int(hs * c["rotary_pct"])
        qkv = self.lin(x, p + "query_key_value").view(1, x.shape[1], H, 3 * hs)
        q, k, v = (qkv[..., i * hs:(i + 1) * hs].permute(0, 2, 1, 3) for i in range(3))
        inv_freq = 1.0 / (c["rotary_emb_base"] ** (torch.arange(0, rot, 2).float() / rot))
        t = torch.arange(c["max_position_embeddings"], dtype=torch.float32)
        emb = torch.cat([torch.einsum("i,j->ij", t, inv_freq)] * 2, dim=-1)
        cos, sin = emb.cos()[position_ids][None, None], emb.sin()[position_ids][None, None]   # (1, 1, L, rot)

        def rotate_half(z):
            return torch.cat((-z[..., z.shape[-1] // 2:], z[..., :z.shape[-1] // 2]), dim=-1)
        qr, kr = q[..., :rot], k[..., :rot]
        q = torch.cat((qr * cos + rotate_half(qr) * sin, q[..., rot:]), dim=-1)
        k = torch.cat((kr * cos + rotate_half(kr) * sin, k[..., rot:]), dim=-1)
        if past is not None:
            k, v = torch.cat((past[0], k), dim=-2), torch.cat((past[1], v), dim=-2)
        q_len, k_len = q.shape[-2], k.shape[-2]
        mask = torch.tril(torch.ones(k_len, k_len, dtype=torch.bool))[k_len - q_len:k_len, :k_len]
        scores = torch.baddbmm(torch.zeros(H, q_len, k_len), q[0], k[0].transpose(1, 2), beta=1.0,
                               alpha=1.0 / math.sqrt(hs))
        scores = torch.where(mask, scores, torch.tensor(torch.finfo(scores.dtype).min))
        out = torch.matmul(scores.softmax(dim=-1), v[0])[None].permute(0, 2, 1, 3).reshape(1, q_len, H * hs)
        return self.lin(out, p + "dense"), (k, v)

    def lm_forward(self, input_ids, past):
        """FlamingoLMMixin.forward: condition media locations unless cached media are in use, then the LM."""
        media_locations = input_ids == self.media_id
        use_cached = self.media_locations is not None and not bool(media_locations.any())
        if not use_cached:
            self.media_locations = media_locations
        kind, c = self.kind, self.c
        x = self.w["lm." + INPUT_EMBEDDING[kind]][input_ids]
        past_len = 0 if past is None else past[0][0].shape[-2 if kind == "gpt_neox" else 1]
        position_ids = torch.arange(past_len, past_len + input_ids.shape[1])
        presents = []
        for i in range(lm_layers(kind, c)):
            if (i + 1) % self.fam["xattn_every"] == 0:
                x = self.xattn(x, "xattn.%d." % i, use_cached)
            layer_past = None if past is None else past[i]
            if kind == "gpt_neox":
                p = "lm.gpt_neox.layers.%d." % i
                eps = c["layer_norm_eps"]
                a, pres = self.neox_attention(self.ln(x, p + "input_layernorm", eps), p + "attention.", layer_past,
                                              position_ids)
                mlp = lambda z: self.lin(F.gelu(self.lin(z, p + "mlp.dense_h_to_4h")), p + "mlp.dense_4h_to_h")  # noqa
                if c["use_parallel_residual"]:
                    x = mlp(self.ln(x, p + "post_attention_layernorm", eps)) + a + x
                else:
                    a = a + x
                    x = mlp(self.ln(a, p + "post_attention_layernorm", eps)) + a
            else:
                p = "lm.transformer.blocks.%d." % i
                n1, n2, up, down = (("ln_1", "ln_2", "mlp.mlp_up", "mlp.mlp_down") if kind == "mosaic_gpt"
                                    else ("norm_1", "norm_2", "ffn.up_proj", "ffn.down_proj"))
                b, pres = self.mpt_attention(self.ln(x, p + n1), p + "attn.", layer_past, c["n_heads"],
                                             c["max_seq_len"])
                x = x + b
                x = x + self.lin(F.gelu(self.lin(self.ln(x, p + n2), p + up)), p + down)
            presents.append(pres)
        if kind == "gpt_neox":
            x = self.ln(x, "lm.gpt_neox.final_layer_norm", c["layer_norm_eps"])
            return x @ self.w["lm.embed_out.weight"].T, presents
        x = self.ln(x, "lm.transformer." + ("ln_f" if kind == "mosaic_gpt" else "norm_f"))
        return F.linear(x, self.w["lm.transformer.wte.weight"]), presents

    def generate(self, vision_x, ids, media_id, steps=None, forced=None):
        """Flamingo.generate + a greedy HF loop with past_key_values; returns the per-step log-softmax rows."""
        self.media_id = media_id
        self.media_locations = None
        self.vis_x = self.perceiver(vision_x) if vision_x is not None else torch.zeros(
            1, 1, PERCEIVER["num_latents"], VISION["width"])      # (b, T_img, n, D)
        logits, past = self.lm_forward(torch.tensor([ids]), None)
        rows, tokens = [logits[0, -1]], []
        n = len(forced) if forced is not None else steps
        for step in range(n):
            tok = forced[step] if forced is not None else int(rows[-1].argmax())
            tokens.append(tok)
            if forced is None and step + 1 == n:
                break
            logits, past = self.lm_forward(torch.tensor([[tok]]), past)
            rows.append(logits[0, -1])
        return tokens, torch.log_softmax(torch.stack(rows), -1)


def literal_check(out, key, tok, clip_sd, ref):
    """The literal float32 path from the files (vision included) against the float64 reference: prompt and generation
    log-probabilities within 1e-3, the same greedy tokens. Returns the largest difference seen."""
    fam = FAMILIES[key]
    w, _ = merged_weights(out, key, len(tok))
    model = LiteralOpenFlamingo(w, fam)
    clip = OcCLIP(VISION, TEXT, EMBED_DIM)
    clip.load_state_dict(clip_sd)
    visual = clip.visual
    media_id = tok.token_id(MEDIA)

    def vision_tokens(name):                                   # open_clip VisionTransformer, 2.16-2.22 tokens
        img = Image.open(image_path(out, name))
        _, _, _, pixels = open_clip_preprocess(img, VISION["image_size"])
        with torch.no_grad():
            x = visual.conv1(torch.from_numpy(pixels)[None])
            x = x.reshape(1, x.shape[1], -1).permute(0, 2, 1)
            x = torch.cat([visual.class_embedding + torch.zeros(1, 1, x.shape[-1]), x], dim=1)
            x = visual.ln_pre(x + visual.positional_embedding).permute(1, 0, 2)
            for r in visual.transformer.resblocks:
                a = r.ln_1(x)
                x = x + r.attn(a, a, a, need_weights=False)[0]
                hdn = r.mlp.c_fc(r.ln_2(x))
                x = x + r.mlp.c_proj(hdn * torch.sigmoid(1.702 * hdn))
            return x.permute(1, 0, 2)[0, 1:]

    worst = 0.0
    entries = {p["name"]: p for p in ref["prompts"]}
    with torch.no_grad():
        for pname, text, items in PROMPTS:
            if pname not in entries:
                continue
            frames = [[vision_tokens(f) for f in MEDIA_ITEMS[m]] for m in items]
            vision_x = torch.stack([torch.stack(fr) for fr in frames])[None] if items else None
            e = entries[pname]
            tokens, rows = model.generate(vision_x, e["input_ids"], media_id, steps=GREEDY_STEPS)
            assert tokens == e["greedy"]["tokens"], (key, pname, tokens, e["greedy"]["tokens"])
            lp = [float(rows[i, t]) for i, t in enumerate(tokens)]
            worst = max(worst, max(abs(a - b) for a, b in zip(lp, e["greedy"]["token_log_probs"])))
        fe = ref["forced_generation"]
        vision_x = torch.stack([torch.stack([vision_tokens(f) for f in MEDIA_ITEMS[m]])
                                for m in fe["media_items"]])[None]
        _, rows = model.generate(vision_x, fe["input_ids"], media_id, forced=fe["continuation"])
        lp = [float(rows[i, t]) for i, t in enumerate(fe["continuation"])]
        worst = max(worst, max(abs(a - b) for a, b in zip(lp, fe["continuation_log_probs"])))
    assert worst < 1e-3, (key, worst)
    return worst


# ----------------------------------------------------------------------------------------------------------------
# The real files' sizes from the same module trees at the real shapes (on the meta device: nothing is allocated).
# ----------------------------------------------------------------------------------------------------------------

def state_bytes(sd):
    return sum(t.numel() * t.element_size() for t in sd.values())


def real_sizes():
    """Bytes of tensor data each released file holds if its layout is the one written here, against the hub's listed
    sizes (GB = 1e9, three significant digits: within half a unit of the last digit, plus a few hundred bytes of zip
    and pickle per key)."""
    def close(data, listed, keys):
        return abs(data + 400 * keys - listed) <= 0.005e9 + 1000 * keys

    report, meta = {}, "meta"
    clip = OcCLIP(REAL["vision"], REAL["text"], REAL["embed_dim"], device=meta).state_dict()
    report["vision open_clip_pytorch_model.bin"] = (state_bytes(clip), REAL["files"]["vision"], len(clip))
    for key, fam in FAMILIES.items():
        if fam.get("variant"):
            continue
        kind, c = fam["lm_kind"], REAL["lm"][key]
        lm = build_lm(kind, c, device=meta)
        if kind == "gpt_neox":                                   # F16 file: floating tensors in half, bools as they are
            sd = lm.half().state_dict()
            report["%s %s pytorch_model.bin" % (key, fam["lm_repo"])] = (state_bytes(sd), REAL["files"][key]["lm"][0],
                                                                         len(sd))
            lm = build_lm(kind, c, device=meta)
        elif kind == "mpt":                                      # three ~10 GB F32 shards (shard_checkpoint "10GB")
            shards, _ = shard_checkpoint(lm.state_dict(), 10 * 10 ** 9)
            assert len(shards) == 3, len(shards)
            for (name, shard), listed in zip(shards, REAL["files"][key]["lm"]):
                report["%s %s %s" % (key, fam["lm_repo"], name)] = (state_bytes(shard), listed, len(shard))
        else:
            sd = lm.state_dict()
            report["%s %s pytorch_model.bin" % (key, fam["lm_repo"])] = (state_bytes(sd), REAL["files"][key]["lm"][0],
                                                                         len(sd))
        old = lm.get_input_embeddings()
        lm.set_input_embeddings(nn.Embedding(REAL["tokenizer_len"] + 3, old.embedding_dim, device=meta))
        if kind == "gpt_neox":
            lm.embed_out = nn.Linear(lm.embed_out.in_features, REAL["tokenizer_len"] + 3, bias=False, device=meta)
        visual = OcVisionTransformer(REAL["vision"], REAL["embed_dim"], device=meta)
        model = Flamingo(visual, lm, kind, fam["xattn_every"], REAL["vision"]["width"], device=meta,
                         perceiver=REAL["perceiver"], xattn=REAL["xattn"])
        model.freeze_like_factory(kind)
        ckpt = filter_state_dict_to_trainable(model, model.state_dict())
        assert list(ckpt) == expected_checkpoint_keys_real(key), key
        report["%s %s checkpoint.pt" % (key, fam["name"])] = (state_bytes(ckpt), REAL["files"][key]["checkpoint"],
                                                              len(ckpt))
    result = {}
    for name, (data, listed, keys) in report.items():
        ok = close(data, listed, keys)
        result[name] = {"tensor_bytes": data, "keys": keys, "hub_listed_bytes": int(listed), "consistent": ok}
        assert ok, (name, data, listed)
    return result


def expected_checkpoint_keys_real(key):
    fam = FAMILIES[key]
    saved = fam["lm"]
    fam["lm"] = REAL["lm"][key]
    try:
        return expected_checkpoint_keys(key, REAL["perceiver"])
    finally:
        fam["lm"] = saved


# ----------------------------------------------------------------------------------------------------------------
# Main.
# ----------------------------------------------------------------------------------------------------------------

OWN_FOLDERS = ["vision", "reference"] + [f["lm_repo"] for f in FAMILIES.values()] + \
              [f["name"] for f in FAMILIES.values()] + ["OpenFlamingo-3B-training"]


def reread_tokenizer(path):
    with open(path, encoding="utf-8") as fh:
        j = json.load(fh)
    assert j["normalizer"] == {"type": "NFC"} and j["pre_tokenizer"]["type"] == "ByteLevel"
    assert j["pre_tokenizer"]["add_prefix_space"] is False and j["post_processor"]["type"] == "ByteLevel"
    added = [dict(id=a["id"], content=a["content"], special=a["special"], normalized=a["normalized"])
             for a in j["added_tokens"]]
    return NeoxTokenizer(j["model"]["vocab"], [tuple(m.split(" ")) for m in j["model"]["merges"]], added)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder (src/test/resources/checkpoints/openflamingo)")
    args = parser.parse_args(argv)
    out = args.out
    torch.set_num_threads(1)
    if not os.path.isdir(os.path.join(out, "..", "reference", "images")):
        raise SystemExit("%s: the shared test images are missing (run flamingo_fixtures.py --out %s first)"
                         % (os.path.join(out, "..", "reference", "images"), os.path.dirname(os.path.abspath(out))))
    for sub in OWN_FOLDERS:
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(os.path.join(out, "reference", "images"), exist_ok=True)

    ff.check_pretokenize()
    base_tok = build_tokenizer()
    tok = copy.deepcopy(base_tok)
    tok.add_special_tokens([EOC, MEDIA])          # factory.py L57-63: additional_special_tokens, then the pad token
    tok.add_special_tokens([PAD])
    assert [tok.token_id(t) for t in (EOC, MEDIA, PAD)] == [len(base_tok), len(base_tok) + 1, len(base_tok) + 2]
    for _, text, _ in PROMPTS + [FORCED[:3]]:
        assert tok.decode(tok.encode(text)) == text, text

    clip = build_clip(out)
    for key, fam in FAMILIES.items():
        folder = write_lm_repo(out, fam, base_tok)
        reread = reread_tokenizer(os.path.join(folder, "tokenizer.json"))
        reread.add_special_tokens([EOC, MEDIA])
        reread.add_special_tokens([PAD])
        for _, text, _ in PROMPTS + [FORCED[:3]]:
            assert reread.encode(text) == tok.encode(text), text
        build_openflamingo(out, key, base_tok, clip)

    # layouts, dtypes, containers
    clip_sd = torch.load(os.path.join(out, "vision", "open_clip_pytorch_model.bin"))
    assert type(clip_sd) is collections.OrderedDict and list(clip_sd) == expected_clip_keys(VISION, TEXT)
    for key, fam in FAMILIES.items():
        kind = fam["lm_kind"]
        lm_sd = load_lm_repo(os.path.join(out, fam["lm_repo"]), kind)
        assert list(lm_sd) == expected_lm_keys(kind, fam["lm"]), key
        dtypes = {str(t.dtype) for t in lm_sd.values()}
        assert dtypes == ({"torch.float16", "torch.bool"} if kind == "gpt_neox" else {"torch.float32"}), dtypes
        ckpt = torch.load(os.path.join(out, fam["name"], "checkpoint.pt"))
        assert type(ckpt) is dict and list(ckpt) == expected_checkpoint_keys(key), key
        assert {str(t.dtype) for t in ckpt.values()} <= {"torch.float32", "torch.bool"}
        emb = ckpt["lang_encoder." + INPUT_EMBEDDING[kind]]
        assert emb.shape[0] == len(tok), "resize_token_embeddings(len(tokenizer)) shrinks to the tokenizer's length"
        assert not torch.equal(emb[:len(base_tok)].half().float() if kind == "gpt_neox" else emb[:len(base_tok)],
                               lm_sd[INPUT_EMBEDDING[kind]][:len(base_tok)].float()), "the trained embedding differs"
        if kind == "gpt_neox":
            assert torch.equal(ckpt["lang_encoder.embed_out.weight"], lm_sd["embed_out.weight"][:len(tok)].float())
        gates = [float(v) for k, v in ckpt.items() if k.endswith("_gate")]
        assert gates and all(abs(x) > 0.3 for x in gates), gates
    training = torch.load(os.path.join(out, "OpenFlamingo-3B-training", "checkpoint_1.pt"))
    assert list(training) == ["epoch", "model_state_dict", "optimizer_state_dict", "lr_scheduler_state_dict"]
    release = torch.load(os.path.join(out, FAMILIES["3b"]["name"], "checkpoint.pt"))
    assert list(training["model_state_dict"]) == ["module." + k for k in release]
    for k, v in release.items():
        assert torch.equal(training["model_state_dict"]["module." + k], v), k

    clip_w = f64(clip_sd)
    cross_checks(clip_w, out)
    img_d = make_image_d(*IMAGES["D"][1:3])
    img_d.save(image_path(out, "D"), format="PNG")
    feats, vision_doc = vision_reference(out, clip_w)
    assert vision_doc["images"]["D"]["crop_left"] != vision_doc["images"]["D"]["crop_left_floor"]
    ff.write_reference_json(os.path.join(out, "reference", "vision.json"), vision_doc)
    literal = {}
    for key, fam in FAMILIES.items():
        ref = family_reference(out, key, tok, feats)
        ref["vision_reference"] = "vision.json"
        ff.write_reference_json(os.path.join(out, "reference", fam["reference"]), ref)
        literal[key] = literal_check(out, key, tok, clip_sd, ref)

    cases = [t for _, t, _ in PROMPTS] + [FORCED[1]] + BPE_CORPUS + TOKENIZATION_TEXTS
    ff.write_reference_json(os.path.join(out, "reference", "tokenization.json"), {
        "tokenizer": "tokenizer.json of any LM repo here (the three are identical) + OpenFlamingo's added tokens",
        "added_by_openflamingo": {EOC: tok.token_id(EOC), MEDIA: tok.token_id(MEDIA), PAD: tok.token_id(PAD)},
        "len_in_repo": len(base_tok), "len_after": len(tok), "bos_or_eos_added": False,
        "cases": [{"text": t, "ids": tok.encode(t), "tokens": [tok.id_to_token[i] for i in tok.encode(t)]}
                  for t in cases]})

    sizes = real_sizes()
    manifest = {}
    for sub in sorted(OWN_FOLDERS):
        for root, _, files in sorted(os.walk(os.path.join(out, sub))):
            for fname in sorted(files):
                path = os.path.join(root, fname)
                rel = os.path.relpath(path, out)
                if rel != os.path.join("reference", "manifest.json"):
                    manifest[rel] = {"bytes": os.path.getsize(path), "sha256": ff.sha256(path)}
    ff.write_json(os.path.join(out, "reference", "manifest.json"),
                  {"seed": SEED, "real_release_sizes": sizes,
                   "literal_float32_path_max_abs_log_prob_diff": {k: float("%.3g" % v) for k, v in literal.items()},
                   "files": manifest})
    total = sum(v["bytes"] for v in manifest.values())
    print("wrote %d files, %.2f MB, under %s" % (len(manifest), total / 1e6, out))
    print("literal float32 path vs float64 reference, max |log-prob difference|: %s" % literal)
    for name, info in sizes.items():
        print("%-70s %14d bytes of tensors in %5d keys; hub lists %d" % (
            name, info["tensor_bytes"], info["keys"], info["hub_listed_bytes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
