"""Tuning, on tuning data only (SciFact train claims, the SQuAD tuning half of the articles):
the fusion grid, and the two small logistic models of qa_bot/answering.py (sentence score,
confidence) plus the abstention threshold. Prints what to paste into qa_bot/answering.py
and config.toml; writes only benchmarks/results/quality-tuning.json."""

from __future__ import annotations

import json

import numpy as np

from benchmarks import quality as qb
from qa_bot import answering
from qa_bot.config import Config
from qa_bot.engine import Engine


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


def _candidates(eng: Engine, q, vec: np.ndarray):
    """What compose() sees for this question: collapsed top-k hits, query terms, sentences."""
    gen = eng.generation()
    k = eng.cfg.retrieval.top_k
    _, hits = eng.retrieve(q.text, max(k * 4, 20), vec)
    hits = answering.collapse_duplicates(hits, gen.chunks)[:k]
    qt = answering.QueryTerms(q.text, gen)
    return gen, hits, qt, answering.score_sentences(hits, gen, vec, qt, eng.encode, q.text)


def fit(base: Config, limit: int = 1500) -> int:
    sq, engines = qb.squad_engines(base)
    qs = qb.sample(sq.questions["tune"], limit)
    vecs = engines["all"].encode([q.text for q in qs])

    xs, ys, group = [], [], []
    for i, (q, v) in enumerate(zip(qs, vecs)):
        _, hits, _, scored = _candidates(engines["all"], q, v)
        for s in scored:
            xs.append(s.features)
            ys.append(qb.contains_answer(s.text, q.answers))
            group.append(i)
    x, y, g = np.stack(xs), np.array(ys, dtype=np.float64), np.array(group)

    def top1(weights: np.ndarray) -> float:
        """Share of questions whose best-scored sentence holds a gold answer."""
        s = x @ weights
        best: dict[int, int] = {}
        for j, gi in enumerate(g):
            if gi not in best or s[j] > s[best[gi]]:
                best[gi] = j
        return float(np.mean([y[j] for j in best.values()]))

    w = fit_listwise(x, y, g)
    no_cos = fit_listwise(x[:, 1:], y, g)
    print(f"top-1 sentence accuracy, tune half: fitted {top1(w):.4f}; without the sentence "
          f"cosine {top1(np.concatenate([[0.0], no_cos])):.4f}; current weights "
          f"{top1(answering.SENTENCE_WEIGHTS.astype(np.float64)):.4f}; "
          f"cosine alone {top1(np.eye(x.shape[1])[0]):.4f}")
    print("no-cosine weights:", np.round(no_cos, 3).tolist())
    answering.SENTENCE_WEIGHTS = w.astype(np.float32)
    print("SENTENCE_FEATURES =", answering.SENTENCE_FEATURES)
    print("SENTENCE_WEIGHTS =", np.round(w, 3).tolist(), f"({len(ys)} sentences)")

    xc, yc = [], []
    for label, eng in ((1.0, engines["all"]), (0.0, engines["test"])):
        for q, v in zip(qs, vecs):
            gen, hits, qt, scored = _candidates(eng, q, v)
            best = max(scored, key=lambda s: s.score)
            xc.append(answering.confidence_features(hits, best, gen, qt))
            yc.append(label)
    xc_arr, yc_arr = np.stack(xc), np.array(yc)
    wc = fit_logistic(xc_arr, yc_arr)
    print("CONFIDENCE_FEATURES =", answering.CONFIDENCE_FEATURES)
    print("CONFIDENCE_WEIGHTS =", np.round(wc, 3).tolist())
    conf = 1 / (1 + np.exp(-(xc_arr @ wc)))
    pos, neg = conf[yc_arr == 1], conf[yc_arr == 0]
    print("threshold  declined_unanswerable  declined_answerable (tune half)")
    for t in np.arange(0.05, 0.96, 0.025):
        print(f"{t:.3f}  {np.mean(neg < t):.3f}  {np.mean(pos < t):.3f}")
    return 0


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

    from qa_bot.lexical import LexicalIndex
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
