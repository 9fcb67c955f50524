"""BM25 over chunk texts with bm25s: lower-cased word tokens, English stop words removed,
Snowball (PyStemmer) stems. Title and section are part of each chunk's lexical text."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

_WORD = re.compile(r"(?u)\b\w\w+\b")


@functools.lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The stemmed content words of text, in order."""
    stop = _stopwords()
    words = [w for w in _WORD.findall(text.lower()) if w not in stop]
    return _stemmer().stemWords(words)


class LexicalIndex:
    """Scores every chunk row against a query; rows align with the chunk table."""

    K1 = 0.9
    B = 0.4

    def __init__(self, retriever, n_rows: int):
        self.retriever = retriever
        self.n_rows = n_rows

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25(k1=cls.K1, b=cls.B)
        corpus = [terms(t) or ["\u2205"] for t in texts]
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        if self.n_rows:
            self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, n_rows: int) -> "LexicalIndex":
        import bm25s

        if not n_rows:
            return cls(bm25s.BM25(k1=cls.K1, b=cls.B), 0)
        return cls(bm25s.BM25.load(str(folder), mmap=False), n_rows)

    def idf(self, words: list[str]) -> np.ndarray:
        """BM25's idf, log(1 + (N - df + 0.5) / (df + 0.5)), of each stemmed term over the
        chunk rows; a term no row holds gets the idf of df = 0."""
        n = self.n_rows
        vocab = self.retriever.vocab_dict if n else {}
        indptr = self.retriever.scores["indptr"] if n else np.zeros(1, dtype=np.int64)
        out = np.empty(len(words), dtype=np.float32)
        for i, w in enumerate(words):
            j = vocab.get(w)
            df = int(indptr[j + 1] - indptr[j]) if j is not None and j + 1 < len(indptr) else 0
            out[i] = np.log1p((n - df + 0.5) / (df + 0.5))
        return out

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (0 where no query term occurs)."""
        vocab = self.retriever.vocab_dict if self.n_rows else {}
        q = [t for t in terms(query) if t in vocab]
        if not q:
            return np.zeros(self.n_rows, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(q), dtype=np.float32)
