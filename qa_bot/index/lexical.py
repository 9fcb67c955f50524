"""BM25 over chunk texts: lower-cased word tokens, English stop words removed, Snowball
(PyStemmer) stems. Title and section are part of each chunk's lexical text.

Each segment keeps its own postings (`Postings`: term -> rows and term frequencies, and
every row's length), never statistics. `LexicalIndex` scores the live rows of several
segments with statistics combined at query time (N and the mean length over the live
rows, a term's df counted over its live postings), so its scores are those of one BM25
over the live rows (bm25s's "lucene" variant: idf = log(1 + (N - df + 0.5) / (df + 0.5)),
tf / (tf + k1 (1 - b + b len / mean len))), whatever the number of segments."""

from __future__ import annotations

import functools
import mmap
import re
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

from qa_bot.index.files import open_array

# Words of two letters or more, and a name of initials joined by "&" as one word ("AT&T",
# "M&S", "S&P", "R&D": split, each is a single letter and no word at all).
_WORD = re.compile(r"(?u)\b[^\W_]{1,3}(?:&[^\W_]{1,3})+\b|\b\w\w+\b")
EMPTY = "\u2205"  # the one term of a text without content words
FILES = ("terms.txt", "terms.offsets.npy", "indptr.npy", "rows.npy", "tf.npy", "lengths.npy")


# bm25s's English stop words (bm25s.stopwords.STOPWORDS_EN, the Lucene list), kept here so
# a start does not import bm25s and scipy for 33 words (~0.2 s); a test checks they agree.
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with"))


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# How words are read. An index records it with its chunking settings, so a change re-reads
# every document at the next sync (the embedding cache serves the vectors).
TERMS_SETTING = "words of 2+ letters, names of initials joined by &"
# A name of two capitalised words joined by "&" ("Marks & Spencer", "Standard & Poor's")
# also counts as its initials ("m&s", "s&p"), so that either form finds the other.
_AMPERSAND_NAME = re.compile(r"\b([A-Z])[a-z][\w'\u2019]*\s*&\s*([A-Z])[a-z]")


def terms(text: str) -> list[str]:
    """The stemmed content words of text, in order, then the initials of its names joined
    by "&" (_AMPERSAND_NAME)."""
    stop = STOPWORDS
    words = [w for w in _WORD.findall(text.lower()) if w not in stop]
    if "&" in text:
        words += [f"{a}&{b}".lower() for a, b in _AMPERSAND_NAME.findall(text)]
    return _stemmer().stemWords(words)


class SortedTerms:
    """A segment's vocabulary as stored: the terms in sorted order, newline-separated UTF-8
    in terms.txt, term t at txt[off[t]:off[t + 1] - 1]. Looked up by binary search on the
    memory-mapped file, so opening it parses nothing."""

    def __init__(self, blob: bytes | mmap.mmap, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def term(self, t: int) -> str:
        return self.blob[int(self.offsets[t]):int(self.offsets[t + 1]) - 1].decode("utf-8")

    def get(self, term: str) -> int | None:
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.term(mid) < term:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self) and self.term(lo) == term else None


class Postings:
    """One segment's inverted index. Invariant: the postings of term t (vocab: term ->
    t, terms in sorted order) are rows[indptr[t]:indptr[t + 1]] (ascending) with tf[...]
    occurrences each; lengths[r] is the number of terms of row r (1 for a text without
    any)."""

    def __init__(self, vocab: dict[str, int] | SortedTerms, indptr: np.ndarray,
                 rows: np.ndarray, tf: np.ndarray, lengths: np.ndarray):
        self.vocab, self.indptr, self.rows, self.tf, self.lengths = \
            vocab, indptr, rows, tf, lengths

    @classmethod
    def build(cls, texts: list[str]) -> "Postings":
        """Postings of `texts` (row r is texts[r]). Collected as flat int32 arrays, not
        Python objects per posting: a million texts stay well under a gigabyte."""
        ids: dict[str, int] = {}
        term_of, row_of, tf_of = array("i"), array("i"), array("i")
        lengths = np.zeros(len(texts), dtype=np.int32)
        for r, text in enumerate(texts):
            words = terms(text) or [EMPTY]
            lengths[r] = len(words)
            for w, n in Counter(words).items():
                term_of.append(ids.setdefault(w, len(ids)))
                row_of.append(r)
                tf_of.append(n)
        words = sorted(ids)
        rank = np.empty(len(ids), dtype=np.int64)
        rank[[ids[w] for w in words]] = np.arange(len(words))
        term = rank[np.frombuffer(term_of, dtype=np.int32)] if term_of else rank[:0]
        order = np.argsort(term, kind="stable")  # by term, rows ascending within a term
        indptr = np.concatenate([[0], np.cumsum(np.bincount(term, minlength=len(words)))])
        rows = np.frombuffer(row_of, dtype=np.int32)[order] if row_of else np.zeros(0, np.int32)
        tf = np.frombuffer(tf_of, dtype=np.int32)[order] if tf_of else np.zeros(0, np.int32)
        return cls({w: i for i, w in enumerate(words)}, indptr.astype(np.int64),
                   rows.astype(np.int32), tf.astype(np.int32), lengths)

    def save(self, folder: Path, prefix: str = "") -> None:
        words = sorted(self.vocab, key=self.vocab.get)  # built in sorted order
        if words != sorted(words):
            raise ValueError("postings of an unsorted vocabulary")
        blob = [w.encode("utf-8") + b"\n" for w in words]
        (folder / f"{prefix}terms.txt").write_bytes(b"".join(blob))
        np.save(folder / f"{prefix}terms.offsets.npy",
                np.concatenate([[0], np.cumsum([len(b) for b in blob])]).astype(np.int64))
        for name, array in (("indptr", self.indptr), ("rows", self.rows), ("tf", self.tf),
                            ("lengths", self.lengths)):
            np.save(folder / f"{prefix}{name}.npy", array)

    @classmethod
    def load(cls, folder: Path, n_rows: int, prefix: str = "") -> "Postings":
        """Memory-mapped files: nothing is parsed. Raises ValueError when the files do not
        agree with each other or with `n_rows`."""
        arrays = [open_array(folder / f"{prefix}{name}.npy")
                  for name in ("terms.offsets", "indptr", "rows", "tf", "lengths")]
        offsets, indptr, rows, tf, lengths = arrays
        size = (folder / f"{prefix}terms.txt").stat().st_size
        with open(folder / f"{prefix}terms.txt", "rb") as f:
            blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        vocab = SortedTerms(blob, offsets)
        if len(offsets) < 1 or int(offsets[-1]) != size or len(indptr) != len(vocab) + 1 \
                or len(rows) != len(tf) or int(indptr[-1]) != len(rows) \
                or lengths.shape != (n_rows,):
            raise ValueError("BM25 postings that do not fit together")
        return cls(vocab, indptr, rows, tf, lengths)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        t = self.vocab.get(term)
        if t is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        return self.rows[self.indptr[t]:self.indptr[t + 1]], \
            self.tf[self.indptr[t]:self.indptr[t + 1]]


class LexicalIndex:
    """BM25 over the live rows of segments laid end to end: segment i's row r is row
    bases[i] + r. Deleted rows score 0 and count in no statistic."""

    K1 = 0.9
    B = 0.4

    def __init__(self, parts: list[Postings], live: list[np.ndarray]):
        self.parts = parts
        self.live = live  # per part: bool per row
        self.whole = [bool(m.all()) for m in live]  # parts without a deleted row
        self.bases = np.concatenate([[0], np.cumsum([len(p.lengths) for p in parts])])
        self.n_rows = int(self.bases[-1])
        self.n_live = int(sum(int(m.sum()) for m in live))
        total = sum(float(np.asarray(p.lengths, dtype=np.float64)[m].sum())
                    for p, m in zip(parts, live))
        self.avg_len = total / self.n_live if self.n_live else 1.0

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        """One segment of `texts`, every row live."""
        return cls([Postings.build(texts)], [np.ones(len(texts), dtype=bool)])

    def save(self, folder: Path) -> None:
        """The postings of a one-segment index (as `build` makes)."""
        (part,) = self.parts
        part.save(folder)

    @classmethod
    def load(cls, folder: Path, n_rows: int) -> "LexicalIndex":
        return cls([Postings.load(folder, n_rows)], [np.ones(n_rows, dtype=bool)])

    def _live_postings(self, term: str) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(part, rows, tf) of the term's postings in live rows, part by part."""
        out = []
        for i, (part, live) in enumerate(zip(self.parts, self.live)):
            rows, tf = part.postings(term)
            if len(rows) and self.whole[i]:
                out.append((i, np.asarray(rows), np.asarray(tf)))
            elif len(rows):
                keep = live[rows]
                out.append((i, np.asarray(rows[keep]), np.asarray(tf[keep])))
        return out

    def document_frequency(self, term: str) -> int:
        """How many live rows hold the stemmed term."""
        return sum(len(r) for _, r, _ in self._live_postings(term))

    def _idf(self, df: int) -> float:
        return float(np.log1p((self.n_live - df + 0.5) / (df + 0.5)))

    def idf(self, words: list[str]) -> np.ndarray:
        """BM25's idf of each stemmed term over the live rows; a term no live row holds
        gets the idf of df = 0."""
        return np.array([self._idf(self.document_frequency(w)) for w in words],
                        dtype=np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (0 where no query term occurs, and for deleted rows).
        A term repeated in the query counts each time, as in bm25s."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        k1, b = np.float32(self.K1), np.float32(self.B)
        slope = np.float32(self.K1 * self.B / self.avg_len)
        for term, times in Counter(terms(query)).items():
            found = self._live_postings(term)
            df = sum(len(r) for _, r, _ in found)
            if not df:
                continue
            weight = np.float32(times * self._idf(df))
            for i, rows, tf in found:
                length = np.asarray(self.parts[i].lengths[rows], dtype=np.float32)
                tf = tf.astype(np.float32)
                out[self.bases[i] + rows] += weight * tf / (k1 * (1 - b) + slope * length + tf)
        return out
