"""Sentence vectors computed at index time, so answering never runs the model on passages.

Invariant: row i of a segment's `sentences.npy` is the unit vector of the i-th sentence
of the flattened sentence list (chunk rows in order, each chunk's sentences in order), i.e.
of `chunk.text[s.start - chunk.start:s.end - chunk.start]`. Vectors go through the same
embedding cache as chunks (key = model + sentence text), so a rebuild embeds only new text."""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np

from qa_bot.chunking import Chunk
from qa_bot.index.cache import EmbeddingCache, embed_key, embed_missing


def texts(chunk: Chunk) -> list[str]:
    """The chunk's sentences as text, in order."""
    return [chunk.text[s.start - chunk.start:s.end - chunk.start] for s in chunk.sentences]


def compute(chunks: list[Chunk], cache: EmbeddingCache, model: str, embed: Callable[[], object],
            progress: bool = False) -> np.ndarray:
    """(number of sentences, dim) float32 unit vectors; served by `cache` where it can,
    the rest by `embed()`'s model (then cached, batch by batch for a cluster)."""
    flat = [t for c in chunks for t in texts(c)]
    keys = [embed_key(model, t) for t in flat]
    known = cache.get_many(list(dict.fromkeys(keys)))
    todo = list(dict.fromkeys(k for k in keys if k not in known))
    if todo:
        text_of = dict(zip(keys, flat))
        order = sorted(todo, key=lambda k: len(text_of[k]))
        if progress:
            print(f"embedding {len(order)} sentences with {model}...", file=sys.stderr)
        known.update(embed_missing(embed(), order, [text_of[k] for k in order], cache,
                                   progress))
    if not keys:
        return np.zeros((0, cache.dim), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
