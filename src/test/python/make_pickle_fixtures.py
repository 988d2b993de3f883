#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures of the checkpoint reader tests, with real torch.save.

Run with Debian's torch (`PYTHONHASHSEED=0 /usr/bin/python3 src/test/python/make_pickle_fixtures.py`, from the
repository root); it rewrites src/test/resources/checkpoints/pytorch/: small .bin files in torch.save's zip and legacy formats, damaged
and hostile copies of them, and expected.json with what a reader must find in each good file (every tensor's name in
order, dtype, shape and values as float32 bit patterns, so that the comparison is exact, NaN and -0.0 included).

Nothing here loads a hostile file: the pickle with a foreign global is built by pickling an object whose __reduce__
names os.system, which pickling records but never calls.
"""
import collections
import io
import json
import os
import pickle
import shutil
import sys
import zipfile

import torch

OUT = os.path.join("src", "test", "resources", "checkpoints", "pytorch")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # zip entry dates of the rewritten files, so that regenerating changes no bytes

DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def path(name):
    return os.path.join(OUT, name)


def bits(t):
    """The tensor's values, converted to float32 by torch, as unsigned 32-bit patterns in row-major order."""
    f = t.detach().contiguous().to(torch.float32).reshape(-1)
    return [v & 0xFFFFFFFF for v in f.view(torch.int32).tolist()]


def flatten(value, prefix=""):
    """The tensors of a saved object by dotted path: dict keys that are str or int, list and tuple indices."""
    out = []
    if isinstance(value, torch.Tensor):
        out.append((prefix, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, (str, int)) and not isinstance(k, bool):
                out.extend(flatten(v, k if prefix == "" else prefix + "." + str(k)))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            out.extend(flatten(v, str(i) if prefix == "" else prefix + "." + str(i)))
    return out


def describe(obj):
    return [{"name": str(n), "dtype": DTYPES[t.dtype], "shape": list(t.shape), "bits": bits(t)} for n, t in flatten(obj)]


class Tiny(torch.nn.Module):
    """A module whose state dict has the usual parts: weights, biases, a LayerNorm, an embedding, a buffer."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(5, 4)
        self.fc = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)
        self.register_buffer("position_ids", torch.arange(6).reshape(1, 6))


def state_dict():
    """F32 module weights (an OrderedDict with _metadata, as model.state_dict() gives) plus every dtype."""
    torch.manual_seed(1)
    sd = Tiny().state_dict()
    sd["half"] = torch.tensor([1.0, -2.5, 65504.0, 6e-8, float("inf"), -0.0, 0.1], dtype=torch.float16)
    sd["bf16"] = torch.tensor([1.0, -2.5, 3.0e38, 1e-40, float("-inf"), -0.0, 0.1], dtype=torch.bfloat16)
    sd["f64"] = torch.tensor([[1.0 / 3, -1e-300], [2.0 ** 60, 7.25]], dtype=torch.float64)
    sd["i32"] = torch.tensor([-(2 ** 31), 7, 2 ** 24], dtype=torch.int32)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.75)
    sd["empty"] = torch.zeros(0, 3)
    sd["nan"] = torch.tensor([float("nan")])
    return sd


def tied():
    """An LM whose head is its token embedding (two keys, one storage), in flamingo-mini's names."""
    torch.manual_seed(2)
    embed = torch.nn.Embedding(7, 4)
    head = torch.nn.Linear(4, 7, bias=False)
    head.weight = embed.weight
    sd = collections.OrderedDict()
    sd["flamingo.lm.model.decoder.embed_tokens.weight"] = embed.weight.detach()
    sd["flamingo.lm.model.decoder.final_layer_norm.weight"] = torch.ones(4)
    sd["flamingo.lm_head.weight"] = head.weight.detach()
    assert sd["flamingo.lm_head.weight"].data_ptr() == sd["flamingo.lm.model.decoder.embed_tokens.weight"].data_ptr()
    return sd


def views():
    """Tensors that view one storage: at an offset, transposed, with a step, one column, and a broadcast (stride 0)."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["rows_1_2"] = base[1:3]
    sd["transposed"] = base.t()
    sd["every_other_column"] = base[:, ::2]
    sd["column_1"] = base[:, 1]
    sd["tail"] = base.reshape(-1)[20:]
    sd["broadcast"] = torch.tensor([0.5, 1.5, 2.5]).expand(2, 3)
    assert not sd["transposed"].is_contiguous() and sd["rows_1_2"].storage_offset() == 6
    assert sd["broadcast"].stride() == (0, 1)
    return sd


def training():
    """A training checkpoint: the model's state dict under model_state_dict with DataParallel's module. prefix,
    an Adam optimizer's state after one step, and plain Python values."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(collections.OrderedDict(fc=torch.nn.Linear(3, 2), out=torch.nn.Linear(2, 1)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    model_sd = collections.OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
    return {
        "epoch": 3,
        "model_state_dict": model_sd,
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": 0.25,
        "config": {"lr": 1e-3, "betas": (0.9, 0.999), "name": "tiny", "flags": [True, None], "big": 2 ** 70},
    }


def legacy():
    """The legacy (non-zip) format, with tied weights and an offset view sharing storages."""
    torch.manual_seed(4)
    w = torch.randn(3, 4)
    sd = collections.OrderedDict()
    sd["w"] = w
    sd["w_tied"] = w
    sd["w_rows"] = w[1:]
    sd["h"] = torch.randn(5).to(torch.float16)
    sd["b"] = torch.randn(2, 2).to(torch.bfloat16)
    return sd


class Evil:
    """Pickles as a call of os.system; pickling records the call, only unpickling would make it."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def rewritten_zip(name, data_pkl_rewrite=None, truncate_entry=None):
    """Rewrites a torch.save zip: data.pkl through data_pkl_rewrite, or one entry cut short by truncate_entry=(suffix, bytes)."""
    src = zipfile.ZipFile(path(name))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if data_pkl_rewrite and info.filename.endswith("/data.pkl"):
                data = data_pkl_rewrite(data)
            if truncate_entry and info.filename.endswith(truncate_entry[0]):
                data = data[: len(data) - truncate_entry[1]]
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_TIME), data)
    return out.getvalue()


class FakeStorage:
    def __init__(self, key, storage_type, numel):
        self.key, self.storage_type, self.numel = key, storage_type, numel


class FakeTensor:
    """Pickles as torch.save pickles a tensor, with any size, stride and offset, valid or not."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class FakePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel)
        return None


def crafted(obj, storages):
    """A torch.save-style zip (archive/ prefix, as PyTorch 2 names it) around a hand-built pickle."""
    pkl = io.BytesIO()
    FakePickler(pkl, protocol=2).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        entries = [("archive/data.pkl", pkl.getvalue()), ("archive/byteorder", b"little")]
        entries += [("archive/data/" + key, data) for key, data in storages.items()]
        entries.append(("archive/version", b"3\n"))
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), data)
    return out.getvalue()


def main():
    if not os.path.isdir(os.path.join("src", "test")):
        sys.exit("run from the repository root")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    expected = {"torch_version": torch.__version__}

    good = {
        "state_dict.bin": (state_dict(), {}),
        "tied.bin": (tied(), {}),
        "views.bin": (views(), {}),
        "training.bin": (training(), {}),
        "protocol4.bin": (state_dict(), {"pickle_protocol": 4}),
        "legacy.bin": (legacy(), {"_use_new_zipfile_serialization": False}),
    }
    for name, (obj, kwargs) in good.items():
        torch.save(obj, path(name), **kwargs)
        expected[name] = describe(obj)

    # the 4 storage-sharing cases, checked here so the Java tests rely on real sharing
    z = zipfile.ZipFile(path("tied.bin"))
    expected["tied.bin.storages"] = sum(1 for n in z.namelist() if "/data/" in n)
    z = zipfile.ZipFile(path("views.bin"))
    expected["views.bin.storages"] = sum(1 for n in z.namelist() if "/data/" in n)

    # hostile and damaged files
    torch.save({"weight": torch.ones(2), "payload": Evil()}, path("foreign_global.bin"))
    with open(path("state_dict.bin"), "rb") as f:
        whole = f.read()
    with open(path("truncated.bin"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(path("legacy.bin"), "rb") as f:
        old = f.read()
    with open(path("legacy_truncated.bin"), "wb") as f:
        f.write(old[:-6])
    with open(path("short_storage.bin"), "wb") as f:
        f.write(rewritten_zip("tied.bin", truncate_entry=("/data/0", 4)))
    with open(path("bad_opcode.bin"), "wb") as f:
        f.write(rewritten_zip("tied.bin", data_pkl_rewrite=lambda d: d[:2] + b"\xff" + d[3:]))
    torch.save({"z": torch.zeros(2, dtype=torch.complex64)}, path("complex.bin"))
    four_floats = torch.arange(4, dtype=torch.float32).numpy().tobytes()
    with open(path("overflow.bin"), "wb") as f:
        f.write(crafted({"huge": FakeTensor(FakeStorage("0", torch.FloatStorage, 4), 0, (2 ** 62, 4), (4, 1))},
                        {"0": four_floats}))
    with open(path("out_of_range.bin"), "wb") as f:
        f.write(crafted({"past_end": FakeTensor(FakeStorage("0", torch.FloatStorage, 4), 2, (2, 2), (2, 1))},
                        {"0": four_floats}))
    with open(path("archive_prefix.bin"), "wb") as f:
        f.write(crafted({"w": FakeTensor(FakeStorage("0", torch.FloatStorage, 4), 1, (3,), (1,))}, {"0": four_floats}))
    expected["archive_prefix.bin"] = [{"name": "w", "dtype": "F32", "shape": [3], "bits": bits(torch.tensor([1.0, 2.0, 3.0]))}]
    # a TorchScript archive (torch.jit.save, as OpenAI's ViT-L-14.pt is one): code and constants beside data.pkl. Its
    # generated code lists Final constants in hash order: run with PYTHONHASHSEED=0 for the same bytes every time
    torch.manual_seed(5)
    torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2))), path("torchscript.pt"))
    with open(path("not_a_state_dict.bin"), "wb") as f:
        f.write(crafted(FakeTensor(FakeStorage("0", torch.FloatStorage, 4), 0, (4,), (1,)), {"0": four_floats}))

    # plain pickles of Python values, for the unpickler itself (not torch files)
    values = {"none": None, "true": True, "false": False, "small": 7, "negative": -300, "int32": -(2 ** 31),
              "big": 2 ** 70, "float": 0.1, "text": "héllo", "bytes": b"\x00\xff", "tuple": (1, "two", None),
              "list": [1, [2, 3], {"k": "v"}], "set": {4}, "frozen": frozenset({5}), 3: "int key"}
    for protocol in (2, 4, 5):
        with open(path(f"values_protocol{protocol}.pkl"), "wb") as f:
            pickle.dump(values, f, protocol=protocol)
    with open(path("values_protocol0.pkl"), "wb") as f:
        pickle.dump({"a": 1}, f, protocol=0)
    with open(path("object.pkl"), "wb") as f:
        pickle.dump(Tiny, f, protocol=2)  # a class: a global outside the allowlist

    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(path(name)):>8}  {name}")


if __name__ == "__main__":
    main()
