"""Query -> ranked chunk rows: dense (FAISS inner product on unit vectors), lexical (BM25),
or both fused by reciprocal rank or by a weighted sum of normalised scores.

Invariants: hits are sorted best first (ties by row), each row once; `Hit.dense` is the
cosine of query and chunk and `Hit.lexical` its BM25 score, whatever the mode; a document's
score is its best chunk's (`rank_documents`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.config import RetrievalConfig
from qa_bot.index import Generation


@dataclass(frozen=True)
class Hit:
    row: int
    score: float  # the fused score that ranks hits (scale depends on the mode)
    dense: float  # cosine of query and chunk
    lexical: float  # BM25 score (0 when no query term occurs)


def dense_scores(gen: Generation, query_vec: np.ndarray, k: int) -> dict[int, float]:
    return gen.vectors.search(query_vec, k)


SAMPLE_STEP = 64  # top_rows: one score in 64 sets the bar a row must reach


def top_rows(scores: np.ndarray, k: int) -> list[int]:
    """The rows of the k best positive scores, best first (ties by row). Exact, without
    sorting every scored row: the k-th best of every 64th score is a score that at least k
    rows reach, so only rows at or above it can be among the k best."""
    bar = 0.0
    sample = scores[::SAMPLE_STEP]
    if k and np.count_nonzero(sample > 0) >= k:
        bar = float(np.partition(sample, len(sample) - k)[len(sample) - k])
    rows = np.flatnonzero(scores >= bar) if bar > 0 else np.flatnonzero(scores > 0)
    k = min(k, len(rows))
    if k == 0:
        return []
    found = scores[rows]
    kth = np.partition(found, len(found) - k)[len(found) - k]
    rows, found = rows[found >= kth], found[found >= kth]  # ties at the k-th: all of them
    return [int(r) for r in rows[np.lexsort((rows, -found))][:k]]


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
    return fused


def weighted(dense: dict[int, float], lexical: dict[int, float], dense_weight: float
             ) -> dict[int, float]:
    """dense_weight * dense + (1 - dense_weight) * BM25 / best BM25, over the rows of
    `dense` (`lexical` must hold each of them). Scores do not depend on how many candidates
    were taken, so a longer candidate list never reorders the top."""
    top = max(lexical.values(), default=0.0)
    scale = 1.0 / top if top > 0 else 0.0
    return {r: dense_weight * d + (1 - dense_weight) * lexical[r] * scale
            for r, d in dense.items()}


def search(gen: Generation, query_vec: np.ndarray, query_text: str,
           cfg: RetrievalConfig, limit: int | None = None) -> list[Hit]:
    """The best `limit` (default cfg.candidates) chunk rows for the query, best first."""
    limit = limit or cfg.candidates
    n = max(cfg.candidates, limit)
    lex_all = gen.lexical.scores(query_text)
    dense = dense_scores(gen, query_vec, n) if cfg.mode != "bm25" else {}
    lex_rank = top_rows(lex_all, n) if cfg.mode != "dense" else []
    if cfg.mode == "hybrid" and cfg.fusion == "weighted":
        dense.update(cosines(gen, query_vec, sorted(set(lex_rank) - dense.keys())))
    chunk_cos = dict(dense)
    if cfg.sentence_weight > 0 and dense:
        dense = with_sentences(gen, query_vec, dense, cfg.sentence_weight)
    dense_rank = sorted(dense, key=lambda r: (-dense[r], r))

    if cfg.mode == "dense":
        fused = dict(dense)
    elif cfg.mode == "bm25":
        fused = {r: float(lex_all[r]) for r in lex_rank}
    elif cfg.fusion == "rrf":
        fused = rrf([dense_rank, lex_rank], cfg.rrf_k)
    else:
        fused = weighted(dense, {r: float(lex_all[r]) for r in dense}, cfg.dense_weight)
    ranked = sorted(fused, key=lambda r: (-fused[r], r))[:limit]
    chunk_cos.update(cosines(gen, query_vec, [r for r in ranked if r not in chunk_cos]))
    return [Hit(r, float(fused[r]), chunk_cos[r], float(lex_all[r])) for r in ranked]


def with_sentences(gen: Generation, query_vec: np.ndarray, dense: dict[int, float],
                   weight: float) -> dict[int, float]:
    """(1 - weight) * chunk cosine + weight * the best cosine of one of its sentences, for
    the given rows (needs the index's sentence vectors; without them, unchanged)."""
    if not gen.has_sentences or not dense:
        return dense
    rows = list(dense)
    vectors, lengths = gen.sentence_vectors_of(rows)
    cos = np.asarray(vectors @ query_vec, dtype=np.float32)
    firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    best = np.maximum.reduceat(cos, firsts) if len(cos) else np.zeros(len(rows))
    return {r: (1 - weight) * dense[r] + weight * (float(b) if n else dense[r])
            for r, b, n in zip(rows, best, lengths)}


def cosines(gen: Generation, query_vec: np.ndarray, rows: list[int]) -> dict[int, float]:
    """Cosine of the query with the given chunk rows (their stored unit vectors)."""
    if not rows:
        return {}
    vecs = gen.vectors.get(rows)
    return dict(zip(rows, (vecs @ query_vec).astype(float).tolist()))


def rank_documents(gen: Generation, hits: list[Hit]) -> list[tuple[str, float]]:
    """(doc_id, score) best first, a document scored by its best chunk among the hits."""
    best: dict[str, float] = {}
    for h in hits:
        doc = gen.chunks[h.row].doc_id
        if doc not in best:  # hits come best first
            best[doc] = h.score
    return list(best.items())
