"""What runs on a Dask worker: the model arrives once per worker (`ModelPlugin`, the
coordinator's ONNX export as bytes, checked by SHA-256), is loaded once per worker process
(onnxruntime, no torch), and `embed_batch` turns texts into unit vectors.

Invariant: a worker embeds only when its `fingerprint()` (model files, onnxruntime and
tokenizers versions, the pooling code) equals the coordinator's, so every vector is the
one a local build would compute."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import threading
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

# Files of the model package that do not change what the model computes.
_NOT_MODEL = {"README.md", ".gitattributes"}
_models: dict[str, Path] = {}  # ONNX SHA-256 -> the file written on this worker
_loaded: dict[str, object] = {}  # ONNX SHA-256 -> its OnnxEmbedder
_lock = threading.Lock()


@functools.cache
def fingerprint() -> dict[str, str]:
    """What the vectors depend on besides the ONNX graph: a SHA-256 over the model
    package's files (tokenizer, config, weights), the onnxruntime and tokenizers versions
    and the source of the pooling code. Computed once per process."""
    from qa_bot.embedder import MODEL_NAME, OnnxEmbedder, model_dir

    root = model_dir()
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in _NOT_MODEL):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    code = hashlib.sha256(inspect.getsource(OnnxEmbedder).encode()).hexdigest()
    return {"model": MODEL_NAME, "model_files": h.hexdigest()[:16],
            "onnxruntime": version("onnxruntime"), "tokenizers": version("tokenizers"),
            "pooling_code": code[:16]}


def differences(expected: dict[str, str], found: dict[str, str]) -> str:
    """'' when equal, else the differing entries as 'key X there, Y here'."""
    keys = sorted(set(expected) | set(found))
    return ", ".join(f"{k} {found.get(k, '?')} there, {expected.get(k, '?')} here"
                     for k in keys if expected.get(k) != found.get(k))


class ModelPlugin(WorkerPlugin):
    """The ONNX export, sent once to every worker (also to workers that join later: the
    scheduler keeps registered plugins); written into the worker's local directory."""

    idempotent = True  # registered again by the next build: not sent again

    def __init__(self, data: bytes, sha256: str):
        self.data = data
        self.sha256 = sha256
        self.name = f"qa-bot-model-{sha256[:12]}"

    def setup(self, worker) -> None:
        path = Path(worker.local_directory) / f"qa-bot-{self.sha256[:12]}.onnx"
        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise ValueError(f"the model arrived damaged (SHA-256 differs from {self.sha256})")
        if not path.is_file() or path.stat().st_size != len(self.data):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(self.data)
            os.replace(tmp, path)
        _models[self.sha256] = path
        self.data = b""  # the worker keeps the file, not a copy in memory


def _embedder(sha256: str):
    """This process's OnnxEmbedder for the export `sha256`, loaded on first use.
    Threads: QA_BOT_ONNX_THREADS, else onnxruntime's default (all cores)."""
    from qa_bot.embedder import OnnxEmbedder

    with _lock:
        if sha256 not in _loaded:
            if sha256 not in _models:
                raise RuntimeError(f"this worker has not received the model {sha256[:12]}")
            threads = int(os.environ.get("QA_BOT_ONNX_THREADS", "0")) or None
            _loaded[sha256] = OnnxEmbedder(_models[sha256], threads=threads)
        return _loaded[sha256]


def embed_batch(texts: list[str], sha256: str, expected: dict[str, str]
                ) -> tuple[np.ndarray, float]:
    """(unit vectors of `texts`, seconds spent computing them). Refuses (RuntimeError) on
    a worker whose fingerprint differs from the coordinator's `expected`."""
    mine = fingerprint()
    if mine != expected:
        raise RuntimeError(f"worker refused: {differences(expected, mine)}")
    model = _embedder(sha256)  # loaded once per process, not counted as computing
    started = time.perf_counter()
    vectors = model.encode(texts)
    return vectors, time.perf_counter() - started
