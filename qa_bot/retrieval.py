"""Query -> ranked chunk rows: dense (FAISS inner product on unit vectors), lexical (BM25),
or both fused by reciprocal rank or by a weighted sum of normalised scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.config import RetrievalConfig
from qa_bot.store import Generation


@dataclass(frozen=True)
class Hit:
    row: int
    score: float  # the fused score that ranks hits (scale depends on the mode)
    dense: float  # cosine of query and chunk
    lexical: float  # BM25 score (0 when no query term occurs)


def dense_scores(gen: Generation, query_vec: np.ndarray, k: int) -> dict[int, float]:
    n = gen.vectors.ntotal
    if n == 0:
        return {}
    scores, rows = gen.vectors.search(query_vec.reshape(1, -1).astype(np.float32), min(k, n))
    return {int(r): float(s) for r, s in zip(rows[0], scores[0]) if r >= 0}


def top_rows(scores: np.ndarray, k: int) -> list[int]:
    k = min(k, len(scores))
    if k == 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    return [int(r) for r in part[np.argsort(-scores[part], kind="stable")] if scores[r] > 0]


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
    return fused


def search(gen: Generation, query_vec: np.ndarray, query_text: str,
           cfg: RetrievalConfig, limit: int | None = None) -> list[Hit]:
    """The best `limit` (default cfg.candidates) chunk rows for the query, best first."""
    limit = limit or cfg.candidates
    n = cfg.candidates
    lex_all = gen.lexical.scores(query_text) if cfg.mode != "dense" else None
    dense = dense_scores(gen, query_vec, n) if cfg.mode != "bm25" else {}
    lex_rank = top_rows(lex_all, n) if lex_all is not None else []
    dense_rank = sorted(dense, key=dense.get, reverse=True)  # type: ignore[arg-type]

    if cfg.mode == "dense":
        fused = dict(dense)
    elif cfg.mode == "bm25":
        fused = {r: float(lex_all[r]) for r in lex_rank}  # type: ignore[index]
    elif cfg.fusion == "rrf":
        fused = rrf([dense_rank, lex_rank], cfg.rrf_k)
    else:
        top_lex = float(lex_all[lex_rank[0]]) if lex_rank else 1.0  # type: ignore[index]
        fused = {}
        for r in set(dense_rank) | set(lex_rank):
            d = dense.get(r)
            if d is None:
                d = float(gen.vectors.reconstruct(r) @ query_vec)
            lx = float(lex_all[r]) / top_lex if top_lex > 0 else 0.0  # type: ignore[index]
            fused[r] = cfg.dense_weight * d + (1 - cfg.dense_weight) * lx
    ranked = sorted(fused, key=lambda r: (-fused[r], r))[:limit]
    hits = []
    for r in ranked:
        d = dense.get(r)
        if d is None:
            d = float(gen.vectors.reconstruct(r) @ query_vec)
        lx = float(lex_all[r]) if lex_all is not None else 0.0
        hits.append(Hit(r, float(fused[r]), d, lx))
    return hits
