#!/usr/bin/python3
"""Reference outputs of CLIP's image preprocessing for ClipPreprocessingTest.

Reimplements the steps of Hugging Face's CLIPImageProcessor with PIL and numpy only (no transformers here):
convert to RGB; resize so the shortest side is `shortest_edge` with PIL's BICUBIC filter on the uint8 image, the
long side int(shortest_edge * long / short) (get_resize_output_image_size, default_to_square=False); centre crop
with top = (h - crop) // 2, left = (w - crop) // 2 (image_transforms.center_crop); rescale as
(x.astype(float64) * (1/255)).astype(float32) (image_transforms.rescale); normalise as (x - mean) / std in float32
with CLIP's mean and std (image_transforms.normalize); channels first.

Writes into src/test/resources/preprocess/ (run from the repository root with Debian's Python: /usr/bin/python3):
  <case>.png            the input image (RGB, 8 bits)
  <case>-crop.png       the uint8 image after resize and centre crop, S x S
  <case>-resized.png    for some cases: the whole resized image before the crop (tests the resampler alone)
  cases.json            the cases: input size, S, resized size, crop offsets, Pillow version
  normalize.bin         float32 little-endian (256, 3): the normalised value of every uint8 level per channel
  <case>-pixels.bin     for one case: the whole float32 little-endian (3, S, S) pixel_values
"""
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE = 1 / 255  # preprocessor_config.json's rescale_factor 0.00392156862745098 is this double

OUT = os.path.join("src", "test", "resources", "preprocess")


def resize_output_size(height, width, shortest_edge):
    """get_resize_output_image_size(default_to_square=False): (height, width) with the short side = shortest_edge."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def clip_steps(image, size):
    """The uint8 image after CLIP's resize and centre crop, plus the geometry used."""
    image = image.convert("RGB")
    pixels = np.array(image)  # (H, W, 3) uint8, as to_numpy_array gives
    h, w = pixels.shape[:2]
    new_h, new_w = resize_output_size(h, w, size)
    # image_transforms.resize: uint8 array -> PIL image, PIL resize (no reducing_gap), back to numpy
    resized = np.array(Image.fromarray(pixels).resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None))
    top = (new_h - size) // 2
    left = (new_w - size) // 2
    crop = resized[top:top + size, left:left + size]
    return resized, crop, (new_h, new_w), (top, left)


def rescale_normalize(crop):
    """(H, W, 3) uint8 -> (3, H, W) float32 as CLIPImageProcessor's rescale + normalize + channels-first."""
    x = (crop.astype(np.float64) * RESCALE).astype(np.float32)
    mean = np.array(CLIP_MEAN, dtype=x.dtype)
    std = np.array(CLIP_STD, dtype=x.dtype)
    x = (x - mean) / std
    return x.transpose(2, 0, 1)


def test_image(width, height, seed):
    """Smooth gradients and shapes with a band of noise: every resampling path meets edges, slopes and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * (x / max(1, width - 1))
    g = 255 * (y / max(1, height - 1))
    b = 128 + 127 * np.sin(x / 7.0 + y / 11.0)
    img = np.stack([r, g, b], axis=-1)
    for _ in range(6):  # hard-edged rectangles of flat colour (ringing and clipping at 0 and 255)
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        x1, y1 = x0 + rng.integers(1, max(2, width // 3)), y0 + rng.integers(1, max(2, height // 3))
        img[y0:y1, x0:x1] = rng.choice([0, 255], size=3)
    band = slice(height // 3, height // 3 + max(1, height // 40))  # full-range noise
    img[band] = rng.integers(0, 256, size=img[band].shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def random_image(width, height, seed):
    """Uniform noise: the hardest case for rounding."""
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


# name, width, height, S, kind, whether the whole resized image is kept
CASES = [
    ("hd-1280x720", 1280, 720, 224, "scene", False),       # a camera frame: downscale 3.2x, landscape
    ("vga-640x480", 640, 480, 224, "scene", True),         # 4:3, downscale 2.1x
    ("portrait-300x500", 300, 500, 224, "scene", False),   # portrait: the crop cuts top and bottom
    ("small-37x23-s96", 37, 23, 96, "noise", True),        # upscale 4.2x, odd sizes
    ("square-64", 64, 64, 64, "noise", False),             # already the size: no resampling at all
    ("tall-64x90", 64, 90, 64, "noise", False),            # short side already S: vertical pass only
    ("wide-90x64", 90, 64, 64, "noise", False),            # short side already S: horizontal pass only
    ("near-72x65-s64", 72, 65, 64, "noise", True),         # downscale by 1.016
    ("up-50x40-s56", 50, 40, 56, "noise", False),          # mild upscale
    ("odd-101x77-s33", 101, 77, 33, "noise", True),        # odd S: the crop offsets round down
    ("thin-3x50-s32", 3, 50, 32, "noise", False),          # extreme aspect, upscale 10.7x
    ("big-500x481-s15", 500, 481, 15, "scene", False),     # downscale 32x: wide filter support
]
PIXELS_CASE = "odd-101x77-s33"


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, width, height, size, kind, keep_resized in CASES:
        pixels = test_image(width, height, len(cases)) if kind == "scene" else random_image(width, height, len(cases))
        image = Image.fromarray(pixels, "RGB")
        image.save(os.path.join(OUT, name + ".png"), optimize=True)
        resized, crop, (new_h, new_w), (top, left) = clip_steps(Image.open(os.path.join(OUT, name + ".png")), size)
        Image.fromarray(np.ascontiguousarray(crop)).save(os.path.join(OUT, name + "-crop.png"), optimize=True)
        if keep_resized:
            Image.fromarray(resized).save(os.path.join(OUT, name + "-resized.png"), optimize=True)
        if name == PIXELS_CASE:
            rescale_normalize(crop).astype("<f4").tofile(os.path.join(OUT, name + "-pixels.bin"))
        cases.append({"name": name, "width": width, "height": height, "size": size,
                      "resized_width": new_w, "resized_height": new_h, "crop_left": left, "crop_top": top,
                      "resized_kept": keep_resized, "pixels_kept": name == PIXELS_CASE})
    levels = np.repeat(np.arange(256, dtype=np.uint8)[:, None, None], 3, axis=2).reshape(256, 1, 3)
    rescale_normalize(levels).transpose(1, 2, 0).reshape(256, 3).astype("<f4").tofile(os.path.join(OUT, "normalize.bin"))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "src/test/python/clip_preprocess_reference.py", "pillow": PIL.__version__,
                   "numpy": np.__version__, "mean": CLIP_MEAN, "std": CLIP_STD, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", len(cases), "cases to", OUT, "with Pillow", PIL.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
