"""Tuning, on tuning data only (SciFact train claims, the SQuAD tuning half of the articles):
the fusion grid and the title-line check; and the two small fitting routines the answer
models use (benchmarks/fit_news.py fits those on the news tuning half). Writes only
benchmarks/results/quality-tuning.json."""

from __future__ import annotations

import json

import numpy as np

from benchmarks import quality as qb
from qa_bot.config import Config


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 50
                 ) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (the last column is the bias,
    not regularised). Returns the weights."""
    x = x.astype(np.float64)
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / len(y) + reg * w
        hess = (x.T * (p * (1 - p))) @ x / len(y) + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_listwise(x: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float = 1e-3,
                 steps: int = 400, lr: float = 0.5) -> np.ndarray:
    """Weights (bias column left at 0) maximising, per question, the softmax probability of
    its sentences that hold the answer: a ranking objective, since only the top sentence
    of each question is shown. Questions with no such sentence are left out."""
    x = x.astype(np.float64)
    has_pos = {gi for gi, yi in zip(group, y) if yi > 0}
    keep = np.array([gi in has_pos for gi in group])
    x, y, group = x[keep], y[keep], group[keep]
    _, g = np.unique(group, return_inverse=True)
    n_groups = g.max() + 1
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        s = x @ w
        e = np.exp(s - s.max())
        z_all = np.bincount(g, weights=e, minlength=n_groups)
        z_pos = np.bincount(g, weights=e * y, minlength=n_groups)
        p_all = e / z_all[g]
        p_pos = e * y / z_pos[g]
        grad = ((p_all - p_pos)[:, None] * x).sum(0) / n_groups + l2 * w
        grad[-1] = 0.0
        w -= lr * grad
    return w


def tune_fusion(base: Config) -> int:
    """nDCG@10 on SciFact train and MRR@10 on the SQuAD tune half for each fusion setting;
    table printed and written to benchmarks/results/quality-tuning.json."""
    modes: dict[str, dict] = {"dense": {"mode": "dense", "sentence_weight": 0.0},
                              "bm25": {"mode": "bm25"}}
    modes.update({f"rrf k={k}": {"mode": "hybrid", "fusion": "rrf", "rrf_k": k,
                                 "sentence_weight": 0.0} for k in (10, 30, 60, 100)})
    for sw in (0.0, 0.5):
        modes.update({f"weighted w={w:.1f} sw={sw}": {
            "mode": "hybrid", "fusion": "weighted", "dense_weight": w, "sentence_weight": sw}
            for w in (0.3, 0.5, 0.6, 0.7, 0.8)})
    sci = qb.run_scifact(base, "train", None, modes)
    sq = qb.run_squad_retrieval(base, "tune", 800, modes)
    print(f"{'setting':<22} {'SciFact-train nDCG@10':>22} {'SQuAD-tune MRR@10':>18}")
    for m in modes:
        print(f"{m:<22} {sci[m]['ndcg@10']:>22.4f} {sq[m]['mrr@10']:>18.4f}")
    qb.RESULTS.mkdir(exist_ok=True)
    (qb.RESULTS / "quality-tuning.json").write_text(
        json.dumps({"machine": qb.machine(), "scifact_train": sci, "squad_tune_800": sq},
                   indent=1) + "\n", encoding="utf-8")
    return 0


def title_check(base: Config, limit: int = 800) -> int:
    """Does the "title - section" line help? BM25 and dense MRR@10 on the SQuAD tuning half
    over the same chunks scored with and without it (re-embeds 2,555 chunk texts)."""
    from pathlib import Path

    from qa_bot.index.lexical import LexicalIndex
    from qa_bot.retrieval import top_rows

    sq, engines = qb.squad_engines(base)
    eng = engines["all"]
    gen = eng.generation()
    qs = qb.sample(sq.questions["tune"], limit)
    stem = [Path(gen.documents[c.doc_id]["path"]).stem for c in gen.chunks]

    def mrr(rankings: list[list[int]]) -> float:
        docs = [list(dict.fromkeys(stem[r] for r in rows)) for rows in rankings]
        return float(np.mean([qb.mrr_at(d, {q.paragraph: 1}) for d, q in zip(docs, qs)]))

    qv = eng.encode([q.text for q in qs])
    bare = eng.encode([c.text for c in gen.chunks])
    for label, texts, vectors in (("with title", [c.embed_text for c in gen.chunks],
                                   gen.all_vectors()),
                                  ("without title", [c.text for c in gen.chunks], bare)):
        lex = LexicalIndex.build(texts)
        bm25 = mrr([top_rows(lex.scores(q.text), 100) for q in qs])
        dense = mrr([list(np.argsort(-(vectors @ v))[:100]) for v in qv])
        print(f"{label}: BM25 MRR@10 {bm25:.4f}, dense MRR@10 {dense:.4f}")
    return 0
