#!/usr/bin/python3
"""A tiny OPT-style tokenizer folder and reference tokenizations for ByteLevelBpeTokenizerFileTest.

GPT-2's byte-level BPE (OPT uses the same), implemented here from its description with the Python standard library
only (Debian's Python has no `regex` module, so the pre-tokenizer below scans with unicodedata categories):
  1. added tokens are cut out of the text first, leftmost and longest match first; each piece between them is
     tokenized alone;
  2. the pre-tokenizer splits a piece by GPT-2's pattern, alternatives tried in this order at each position:
       's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
  3. each pre-token's UTF-8 bytes are mapped to printable characters (bytes_to_unicode: the printable Latin-1
     bytes stand for themselves, the other 68 bytes for U+0100 onwards in byte order);
  4. BPE: repeatedly merge every occurrence, left to right, of the adjacent pair with the lowest merge rank until
     no adjacent pair has a rank.
Decoding maps token characters back to bytes and reads them as UTF-8 (invalid sequences become U+FFFD).

Writes src/test/resources/tokenizer/opt-tiny/ (run from the repository root with /usr/bin/python3):
  vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json   an OPT repo's tokenizer files, tiny:
      <s> <pad> </s> <unk> at ids 0-3 as in OPT, then the 256 byte symbols, then the tokens of the merges learned
      from the corpus below; the config files name </s> (bos, eos, unk) and <pad> exactly as OPT's do
  cases.json   for each text: the ids and tokens with <EOC> added after the vocabulary (as flamingo-mini adds it),
               and the decoded text with and without the special tokens
"""
import json
import os
import sys
import unicodedata

OUT = os.path.join("src", "test", "resources", "tokenizer", "opt-tiny")
FAIRSEQ_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0..3 of OPT's vocab.json
EXTRA = "<EOC>"
MERGES = 400

WHITE_SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
               0x205F, 0x3000}  # Unicode White_Space: what \s matches


def is_space(c):
    return ord(c) in WHITE_SPACE


def is_letter(c):
    return unicodedata.category(c).startswith("L")


def is_number(c):
    return unicodedata.category(c).startswith("N")


def is_other(c):
    return not (is_space(c) or is_letter(c) or is_number(c))


def pre_tokenize(text):
    """GPT-2's pattern, alternative by alternative as a backtracking regex engine tries them."""
    out = []
    i, n = 0, len(text)
    while i < n:
        end = None
        for contraction in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d"):
            if text.startswith(contraction, i):
                end = i + len(contraction)
                break
        if end is None:
            start = i + 1 if text[i] == " " and i + 1 < n else i  # the optional leading space of the next three
            for klass in (is_letter, is_number, is_other):
                j = start
                while j < n and klass(text[j]):
                    j += 1
                if j > start:
                    end = j
                    break
                if start != i:  # ' ?' may also match nothing: try the class at i itself
                    j = i
                    while j < n and klass(text[j]):
                        j += 1
                    if j > i:
                        end = j
                        break
        if end is None and is_space(text[i]):
            j = i
            while j < n and is_space(text[j]):
                j += 1
            if j == n:
                end = j  # \s+(?!\S) at the end of the text: the whole run
            elif j - i >= 2:
                end = j - 1  # \s+(?!\S) backs off one so the last space goes with the next word
            else:
                end = j  # \s+
        if end is None:
            raise AssertionError("no alternative matched at %d in %r" % (i, text))
        out.append(text[i:end])
        i = end
    return out


def byte_symbols():
    """bytes_to_unicode: byte -> the printable character that stands for it."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = byte_symbols()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def to_symbols(pre_token):
    return "".join(BYTE_TO_CHAR[b] for b in pre_token.encode("utf-8"))


def bpe(word, ranks):
    """Merge the lowest-ranked adjacent pair everywhere, left to right, until no pair has a rank."""
    parts = list(word)
    while len(parts) > 1:
        best = None
        for pair in zip(parts, parts[1:]):
            rank = ranks.get(pair)
            if rank is not None and (best is None or rank < ranks[best]):
                best = pair
        if best is None:
            break
        merged = []
        i = 0
        while i < len(parts):
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                merged.append(parts[i] + parts[i + 1])
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


def split_added(text, added):
    """Pieces of text and added tokens, added tokens found leftmost first, the longest at a position."""
    pieces = []
    start = i = 0
    by_length = sorted(added, key=len, reverse=True)
    while i < len(text):
        hit = next((t for t in by_length if text.startswith(t, i)), None)
        if hit is None:
            i += 1
            continue
        if i > start:
            pieces.append((text[start:i], False))
        pieces.append((hit, True))
        i += len(hit)
        start = i
    if start < len(text):
        pieces.append((text[start:], False))
    return pieces


def encode(text, vocab, ranks, added):
    tokens = []
    for piece, is_added in split_added(text, added):
        if is_added:
            tokens.append(piece)
            continue
        for pre in pre_tokenize(piece):
            tokens.extend(bpe(to_symbols(pre), ranks))
    return [added[t] if t in added else vocab[t] for t in tokens], tokens


def decode(tokens, skip):
    data = bytearray()
    for t in tokens:
        if t in skip:
            continue
        data.extend(CHAR_TO_BYTE[c] for c in t)
    return data.decode("utf-8", errors="replace")


CORPUS = [
    "<image>Output: a red circle moves to the left<EOC>",
    "<image>Output: two blue squares stay still<EOC> <image>Output: a green star appears<EOC>",
    "An image of a dog playing in the park. <image> A photo of a cat sitting on a sofa.",
    "The image shows three people walking down the street, and the image is bright.",
    "It's a sunny day; they're happy, we've seen it, I'm sure they'll come, he'd say.",
    "In 2023 there were 12345 images, 678 captions and 90 videos at 3.14 frames per second.",
    "Café, naïve, résumé, façade: accents in Ünïcödé text.",
    "日本語のテキストと画像。 中文文本。 Ελληνικά κείμενα. Русский текст.",
    "Emoji 😀 and 👍 and 🎉 in captions!",
    "    indented code\n\tand tabs\n\nnew paragraph   with   spaces   ",
    "<image><image> <image> images of images: <image>.",
] * 3 + ["the the the a a a of of in in on on image image photo photo"] * 5


def train(corpus, merges):
    """Greedy BPE on the corpus's pre-tokens: the most frequent adjacent pair each step (ties: the smallest pair)."""
    words = {}
    for text in corpus:
        for piece, is_added in split_added(text, {EXTRA: 0}):
            if not is_added:
                for pre in pre_tokenize(piece):
                    word = tuple(to_symbols(pre))
                    words[word] = words.get(word, 0) + 1
    learned = []
    for _ in range(merges):
        counts = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] = counts.get(pair, 0) + n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        learned.append(best)
        merged_words = {}
        for word, n in words.items():
            merged = tuple(bpe(word, {best: 0}))
            merged_words[merged] = merged_words.get(merged, 0) + n
        words = merged_words
    return learned


TEXTS = [
    "<image>Output: a red circle<EOC></s>",
    " <image> A photo of a dog.<EOC>",
    "<image>",
    " <image>",
    "<image>Output:",
    "Hello world! It's 2024, isn't it? I'll go; we've done... they'd say, I'm here, you're there.",
    "IT'S LOUD'S",
    "12345 678 3.14159 x2 2x 1,000,000",
    "a  b   c\n\n d \t e   ",
    "trailing spaces   ",
    "   leading spaces",
    "\n",
    "café naïve — 日本語のテキスト 😀👍 Ünïcödé Ελληνικά Русский",
    "non\u00a0breaking\u3000space",
    "<pad><pad>text</s>",
    "mid<EOC>text<EOC> <EOC>",
    "<s>literal<unk>",
    "images of <image><image>.",
    "",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    merges = train(CORPUS, MERGES)
    vocab = {}
    for t in FAIRSEQ_SPECIALS:
        vocab[t] = len(vocab)
    for b in range(256):
        vocab[BYTE_TO_CHAR[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    ranks = {pair: i for i, pair in enumerate(merges)}
    with open(os.path.join(OUT, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(OUT, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")
    added_token = lambda c: {"content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True,
                             "__type": "AddedToken"}
    with open(os.path.join(OUT, "special_tokens_map.json"), "w") as f:  # OPT's: bos, eos and unk are all </s>
        json.dump({"bos_token": added_token("</s>"), "eos_token": added_token("</s>"), "unk_token": added_token("</s>"),
                   "pad_token": added_token("<pad>")}, f)
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump({"errors": "replace", "unk_token": added_token("</s>"), "bos_token": added_token("</s>"),
                   "eos_token": added_token("</s>"), "pad_token": added_token("<pad>"), "add_prefix_space": False,
                   "add_bos_token": True, "special_tokens_map_file": None, "name_or_path": "opt-tiny"}, f, indent=2)
    specials = {"</s>": vocab["</s>"], "<pad>": vocab["<pad>"]}
    added = dict(specials)
    added[EXTRA] = len(vocab)  # flamingo-mini: tokenizer.add_tokens('<EOC>') -> the next id
    cases = []
    for text in TEXTS:
        ids, tokens = encode(text, vocab, ranks, added)
        cases.append({"text": text, "ids": ids, "tokens": tokens, "decoded": decode(tokens, set()),
                      "decoded_without_special": decode(tokens, set(added))})
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "src/test/python/byte_level_bpe_reference.py", "added": added, "cases": cases}, f,
                  ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", len(vocab), "tokens,", len(merges), "merges,", len(cases), "cases to", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
