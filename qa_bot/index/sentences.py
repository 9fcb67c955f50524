"""Sentence vectors computed at index time, so answering never runs the model on passages.

Invariant: row i of a segment's `sentences.npy` is the unit vector of the i-th sentence
of the flattened sentence list (chunk rows in order, each chunk's sentences in order), i.e.
of `chunk.slice(s.start, s.end)`. Vectors go through the same
embedding cache as chunks (key = model + sentence text), so a rebuild embeds only new text."""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np

from qa_bot.chunking import Chunk
from qa_bot.index.cache import EmbeddingCache, embed_key, embed_missing
from qa_bot.index.segment import SENTENCE_DTYPE


def texts(chunk: Chunk) -> list[str]:
    """The chunk's sentences as text, in order."""
    return [chunk.slice(s.start, s.end) for s in chunk.sentences]


BATCH = 65536  # sentences looked up and embedded at a time: memory stays bounded


def compute(chunks: list[Chunk], cache: EmbeddingCache, model: str, embed: Callable[[], object],
            progress: bool = False) -> np.ndarray:
    """(number of sentences, dim) unit vectors, stored precision (SENTENCE_DTYPE); served
    by `cache` where it can, the rest by `embed()`'s model (then cached). Worked through
    in batches of BATCH sentences, so a build of millions of sentences holds their
    vectors once, at 2 bytes a dimension, and nothing more."""
    flat = [t for c in chunks for t in texts(c)]
    out = np.zeros((len(flat), cache.dim), dtype=SENTENCE_DTYPE)
    embedder = None
    for at in range(0, len(flat), BATCH):
        part = flat[at:at + BATCH]
        keys = [embed_key(model, t) for t in part]
        known = cache.get_many(list(dict.fromkeys(keys)))
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            text_of = dict(zip(keys, part))
            order = sorted(todo, key=lambda k: len(text_of[k]))
            if progress:  # a line per batch that needs the model
                print(f"embedding {len(order)} sentences with {model}...", file=sys.stderr)
            embedder = embedder or embed()
            known.update(embed_missing(embedder, order, [text_of[k] for k in order], cache,
                                       progress))
        if keys:
            out[at:at + len(keys)] = np.stack([known[k] for k in keys])
    return out
