"""Retrieval and answer quality through the engine: SciFact (BEIR test), SQuAD v1.1 dev
paragraphs (held-out half of the articles), abstention (held-out-article protocol) and
two-turn follow-ups. Results -> benchmarks/results/quality*.json.

    python -m benchmarks.quality                 # everything (first run indexes ~20 min)
    python -m benchmarks.quality --quick         # SQuAD on 300 questions, SciFact 100 queries
    python -m benchmarks.quality --only squad    # scifact | squad | abstention | followups
    python -m benchmarks.quality --fit           # = python -m benchmarks.fit_news (news tuning half)
    python -m benchmarks.quality --tune-fusion   # fusion grid on SciFact train + SQuAD tune

Indexes are built by `Engine.sync` under benchmarks/cache/ (git-ignored); every index of a
data set shares one embedding cache, so each text is embedded once."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import random
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import datasets
from qa_bot.config import Config, load_config, with_index_dir
from qa_bot.embedder import load_embedder
from qa_bot.errors import IndexIncompatibleError
from qa_bot.index import IndexStore
from qa_bot.engine import Engine
from qa_bot.answer.followups import resolve
from qa_bot.retrieval import rank_documents

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
DIALOGUES = ROOT / "data" / "followups.json"
MODES = {  # changes to the configured [retrieval]; "default" is the configured pipeline
    "dense": {"mode": "dense", "sentence_weight": 0.0},
    "bm25": {"mode": "bm25"},
    "hybrid-rrf": {"mode": "hybrid", "fusion": "rrf", "sentence_weight": 0.0},
    "hybrid-weighted": {"mode": "hybrid", "fusion": "weighted", "sentence_weight": 0.0},
    "default": {},
}
DOC_LIMIT = 300  # chunk hits taken to rank documents (Recall@100 needs ~100 documents)


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


class MemoEmbedder:
    """The real embedder with a memo of texts already seen, so a benchmark that asks many
    questions over the same passages embeds each sentence once. Vectors are unchanged."""

    def __init__(self):
        self.inner = load_embedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.memo: dict[str, np.ndarray] = {}
        self.calls = 0
        self.seconds = 0.0

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            t0 = time.perf_counter()
            self.memo.update(zip(todo, self.inner.encode(todo, progress=progress)))
            self.seconds += time.perf_counter() - t0
        self.calls += 1
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


_EMBEDDER: MemoEmbedder | None = None


def embedder() -> MemoEmbedder:
    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = MemoEmbedder()
    return _EMBEDDER


def engine_for(base: Config, name: str, paths: list[Path], seed_cache: str | None = None,
               sentence_vectors: bool = True) -> Engine:
    """An Engine over benchmarks/cache/<name>/, synced with `paths` (a no-op when current).
    `sentence_vectors=False` (SciFact: retrieval only) skips the answer-time sentence
    vectors, which do not change any ranking."""
    base = dataclasses.replace(base, answer=dataclasses.replace(
        base.answer, sentence_vectors=sentence_vectors and base.answer.sentence_vectors))
    index_dir = datasets.CACHE / name
    cache = index_dir / "cache.sqlite"
    if seed_cache and not cache.exists():
        index_dir.mkdir(parents=True, exist_ok=True)
        IndexStore(index_dir).claim()  # marked as ours before the shared cache moves in
        shutil.copy(datasets.CACHE / seed_cache / "cache.sqlite", cache)
    eng = Engine(with_index_dir(base, index_dir), embedder_factory=embedder)
    t0 = time.perf_counter()
    # an index written before sentence vectors existed, or in an older format, is rebuilt
    # (the embedding cache serves its vectors)
    try:
        full = sentence_vectors and eng.has_index() and not eng.generation().has_sentences
    except IndexIncompatibleError:
        full = True
    report = eng.sync(paths, full=full, progress=True)
    log(f"index {name}: {len(report.added)} added, {report.unchanged} unchanged, "
        f"{report.chunks_embedded} chunks embedded, {time.perf_counter() - t0:.0f} s")
    return eng


def with_retrieval(eng: Engine, **changes) -> Engine:
    """The same engine (same loaded index) under other retrieval settings."""
    eng.cfg = dataclasses.replace(eng.cfg, retrieval=dataclasses.replace(eng.cfg.retrieval,
                                                                         **changes))
    return eng


def doc_ranking(eng: Engine, query: str, vec: np.ndarray) -> list[str]:
    """Corpus-file stems, best first (a document scores as its best chunk)."""
    gen = eng.generation()
    _, hits = eng.retrieve(query, DOC_LIMIT, vec)
    return [Path(gen.documents[d]["path"]).stem for d, _ in rank_documents(gen, hits)]


# ---- metrics --------------------------------------------------------------------------
def ndcg_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    good = {d for d, r in rel.items() if r > 0}
    return len(good & set(ranked[:k])) / len(good) if good else 0.0


def mrr_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if rel.get(d, 0) > 0), 0.0)


def retrieval_metrics(runs: list[tuple[list[str], dict[str, int]]]) -> dict[str, float]:
    n = max(len(runs), 1)
    return {
        "ndcg@10": sum(ndcg_at(r, q) for r, q in runs) / n,
        "recall@1": sum(recall_at(r, q, 1) for r, q in runs) / n,
        "recall@5": sum(recall_at(r, q, 5) for r, q in runs) / n,
        "recall@10": sum(recall_at(r, q, 10) for r, q in runs) / n,
        "recall@100": sum(recall_at(r, q, 100) for r, q in runs) / n,
        "mrr@10": sum(mrr_at(r, q) for r, q in runs) / n,
        "queries": len(runs),
    }


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(shown: str, golds: list[str]) -> bool:
    s = f" {normalize(shown)} "
    return any(f" {normalize(g)} " in s for g in golds if normalize(g))


def quote_failures(eng: Engine, answer) -> int:
    """Citations whose quote or highlight is not the source text at its offsets (a
    highlight must also lie inside its quote), plus repeated quotes."""
    gen = eng.generation()
    bad = 0
    for c in answer.citations:
        text = eng.store.document_text(gen.documents[c.doc_id]["hash"])
        bad += text[c.start:c.end] != c.quote
        if c.highlight:
            h0, h1 = c.highlight
            bad += not (c.start <= h0 < h1 <= c.end and text[h0:h1].strip() == text[h0:h1])
    bad += len(answer.citations) - len({c.quote for c in answer.citations})
    return bad


# ---- SciFact ----------------------------------------------------------------------------
def run_scifact(base: Config, split: str, limit: int | None, modes=MODES) -> dict:
    sf = datasets.scifact()
    eng = engine_for(base, "scifact/index-all", [sf.corpus_dir], sentence_vectors=False)
    qrels = sf.test if split == "test" else sf.train
    qids = sorted(qrels, key=int)[:limit] if limit else sorted(qrels, key=int)
    vecs = eng.encode([sf.queries[q] for q in qids])
    out = {}
    for mode, changes in modes.items():
        with_retrieval(eng, **{**dataclasses.asdict(base.retrieval), **changes})
        t0 = time.perf_counter()
        runs = [(doc_ranking(eng, sf.queries[q], v), qrels[q]) for q, v in zip(qids, vecs)]
        out[mode] = retrieval_metrics(runs)
        out[mode]["ms_per_query"] = 1000 * (time.perf_counter() - t0) / len(qids)
        log(f"scifact {split} {mode}: ndcg@10 {out[mode]['ndcg@10']:.4f}")
    return out


# ---- SQuAD ------------------------------------------------------------------------------
def squad_engines(base: Config) -> tuple[datasets.Squad, dict[str, Engine]]:
    """The full index (both halves) and one index per half."""
    sq = datasets.squad()
    full = engine_for(base, "squad/index-all", [sq.dirs["tune"], sq.dirs["test"]])
    only = {h: engine_for(base, f"squad/index-{h}", [sq.dirs[h]], seed_cache="squad/index-all")
            for h in ("tune", "test")}
    return sq, {"all": full, **only}


def sample(questions: list, limit: int | None, seed: int = 7) -> list:
    if not limit or limit >= len(questions):
        return questions
    return random.Random(seed).sample(questions, limit)


def run_squad_retrieval(base: Config, half: str, limit: int | None, modes=MODES) -> dict:
    """Paragraph retrieval of `half`'s questions over all 2,067 paragraphs, per mode."""
    sq, engines = squad_engines(base)
    eng = engines["all"]
    qs = sample(sq.questions[half], limit)
    vecs = eng.encode([q.text for q in qs])
    out: dict = {}
    for mode, changes in modes.items():
        with_retrieval(eng, **{**dataclasses.asdict(base.retrieval), **changes})
        runs = [(doc_ranking(eng, q.text, v), {q.paragraph: 1}) for q, v in zip(qs, vecs)]
        out[mode] = retrieval_metrics(runs)
        log(f"squad {half} {mode}: mrr@10 {out[mode]['mrr@10']:.4f}")
    with_retrieval(eng, **dataclasses.asdict(base.retrieval))
    return out


def run_squad(base: Config, half: str, limit: int | None, modes=MODES) -> dict:
    """Retrieval per mode, then the answers of the configured pipeline through Engine.ask."""
    out: dict = {"half": half, **run_squad_retrieval(base, half, limit, modes)}
    sq, engines = squad_engines(base)
    eng = engines["all"]
    qs = sample(sq.questions[half], limit)
    out["articles"] = len(sq.articles[half])
    vecs = eng.encode([eng.read(q.text) for q in qs])  # as ask reads them
    right = right_if_forced = answered = fails = two = 0
    t0 = time.perf_counter()
    for q, v in zip(qs, vecs):
        ans, _ = eng.ask_detailed(q.text, query_vec=v)
        right += ans.answered and contains_answer(ans.answer, q.answers)
        forced = ans.answer if ans.answered else " ".join(c.quote for c in ans.citations[:1])
        right_if_forced += contains_answer(forced, q.answers)
        answered += ans.answered
        two += ans.answer.count(" [") >= 2
        fails += quote_failures(eng, ans)
    n = len(qs)
    out["answer"] = {"accuracy": right / n, "accuracy_never_declining": right_if_forced / n,
                     "answered": answered / n, "two_sentences": two / n,
                     "quote_failures": fails, "questions": n,
                     "ms_per_question": 1000 * (time.perf_counter() - t0) / n}
    log(f"squad {half} answer: {out['answer']}")
    return out


# ---- abstention -------------------------------------------------------------------------
def confidences(eng: Engine, qs: list, vecs: np.ndarray) -> list[float]:
    return [eng.ask_detailed(q.text, query_vec=v)[0].confidence for q, v in zip(qs, vecs)]


def run_abstention(base: Config, half: str, limit: int | None) -> dict:
    """`half`'s questions against the full index (answerable) and against the index of the
    other half only (not answerable): share declined at each threshold."""
    other = "tune" if half == "test" else "test"
    sq, engines = squad_engines(base)
    qs = sample(sq.questions[half], limit)
    pos, neg = (confidences(e, qs, e.encode([e.read(q.text) for q in qs]))  # as ask reads
                for e in (engines["all"], engines[other]))
    curve = []
    for t in np.round(np.arange(0.0, 1.0001, 0.025), 3):
        curve.append({"threshold": float(t),
                      "declined_unanswerable": float(np.mean([c < t for c in neg])),
                      "declined_answerable": float(np.mean([c < t for c in pos]))})
    t = base.retrieval.min_confidence
    at = {"threshold": t, "declined_unanswerable": float(np.mean([c < t for c in neg])),
          "declined_answerable": float(np.mean([c < t for c in pos]))}
    log(f"abstention {half} at {t}: {at}")
    return {"half": half, "questions": len(qs), "at_default": at, "curve": curve}


# ---- follow-ups -------------------------------------------------------------------------
def run_followups(base: Config) -> dict:
    """Second turns of the dialogues: is the gold paragraph among the top 1 / 3 documents
    when the question is asked alone, and with the first turn as history?"""
    dialogues = json.loads(DIALOGUES.read_text(encoding="utf-8"))
    sq, engines = squad_engines(base)
    eng = engines["all"]
    turns = eng.cfg.retrieval.history_turns
    res = {"alone": [0, 0], "with_history": [0, 0]}
    per = []
    for d in dialogues:
        first, second = d["turns"]
        gold = set(second["paragraphs"])
        row = {"question": second["question"]}
        for key, history in (("alone", None), ("with_history", [first["question"]])):
            query = resolve(second["question"], history, turns).query
            ranked = doc_ranking(eng, query, eng.encode([query])[0])
            rank = next((i + 1 for i, p in enumerate(ranked) if p in gold), None)
            res[key][0] += rank == 1
            res[key][1] += rank is not None and rank <= 3
            row[key] = rank
        per.append(row)
    n = len(dialogues)
    out = {k: {"hit@1": v[0] / n, "hit@3": v[1] / n} for k, v in res.items()}
    out["dialogues"] = n
    out["per_dialogue"] = per
    log(f"followups: {out['alone']} alone, {out['with_history']} with history")
    return out


# ---- table ------------------------------------------------------------------------------
def table(results: dict) -> str:
    """The markdown tables of the README's "Answer quality" section from a results file."""
    lines = []
    sci = results.get("scifact_test")
    if sci:
        lines += ["| SciFact test (300 claims) | nDCG@10 | Recall@10 | Recall@100 | MRR@10 |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {m} | {v['ndcg@10']:.3f} | {v['recall@10']:.3f} | "
                  f"{v['recall@100']:.3f} | {v['mrr@10']:.3f} |" for m, v in sci.items()]
        lines.append("")
    sq = results.get("squad_test_half")
    if sq:
        n = sq[next(m for m in MODES if m in sq)]["queries"]
        lines += [f"| SQuAD dev, test half ({sq.get('articles')} articles, {n} questions, "
                  f"2,067 paragraphs indexed) | Recall@1 | Recall@5 | MRR@10 |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| {m} | {sq[m]['recall@1']:.3f} | {sq[m]['recall@5']:.3f} | "
                  f"{sq[m]['mrr@10']:.3f} |" for m in MODES if m in sq]
        a = sq["answer"]
        lines += ["", f"Answers (default pipeline, `Engine.ask`): accuracy **{a['accuracy']:.3f}** "
                  f"(shown answer contains a gold answer; a declined question counts as wrong), "
                  f"{a['accuracy_never_declining']:.3f} if it never declined; "
                  f"answered {a['answered']:.3f}; two-sentence answers {a['two_sentences']:.3f}; "
                  f"quote failures **{a['quote_failures']}**; {a['ms_per_question']:.0f} ms "
                  f"per question.", ""]
    ab = results.get("abstention_test_half")
    if ab:
        d = ab["at_default"]
        lines += [f"Abstention, test half ({ab['questions']} questions, each asked against an "
                  f"index without its article and against the full index), at "
                  f"min_confidence {d['threshold']}: declined **{d['declined_unanswerable']:.3f}** "
                  f"of the unanswerable, wrongly declined **{d['declined_answerable']:.3f}** of "
                  f"the answerable.", ""]
    fu = results.get("followups")
    if fu:
        lines += [f"| Follow-ups ({fu['dialogues']} two-turn dialogues, 2nd turn) | hit@1 | "
                  f"hit@3 |", "| --- | --- | --- |",
                  f"| question alone | {fu['alone']['hit@1']:.3f} | {fu['alone']['hit@3']:.3f} |",
                  f"| with the first turn as history | {fu['with_history']['hit@1']:.3f} | "
                  f"{fu['with_history']['hit@3']:.3f} |"]
    return "\n".join(lines)


# ---- main -------------------------------------------------------------------------------
def machine() -> dict:
    """When and where a result was measured. The CPU's int8 dot product (VNNI or AVX2
    only) and the numeric packages' versions are there because scores, and so a close
    answer, differ between machines in the third decimal."""
    import os
    from importlib import metadata

    cpu, flags = "", set()
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines
                   if line.startswith("model name"))
        flags = set(next(line for line in lines if line.startswith("flags")).split())
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("onnxruntime", "torch", "transformers", "sentence-transformers"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "int8_dot": "vnni" if flags & {"avx512_vnni", "avx_vnni"} else
            "avx2" if "avx2" in flags else "", "packages": versions}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quality")
    p.add_argument("--quick", action="store_true", help="subsets: fewer queries/questions")
    p.add_argument("--only", choices=["scifact", "squad", "abstention", "followups"],
                   action="append", help="run only these parts (repeatable)")
    p.add_argument("--fit", action="store_true", help="refit answer weights on the tune half")
    p.add_argument("--tune-fusion", action="store_true",
                   help="fusion grid on SciFact train and the SQuAD tune half")
    p.add_argument("--title-check", action="store_true",
                   help="SQuAD tuning half scored with and without the title line")
    p.add_argument("--table", action="store_true",
                   help="print the markdown tables of benchmarks/results/quality.json")
    p.add_argument("--config", default=str(ROOT.parent / "config.toml"))
    args = p.parse_args(argv)
    if args.table:
        print(table(json.loads((RESULTS / "quality.json").read_text(encoding="utf-8"))))
        return 0
    base = load_config(args.config)
    if args.fit:
        from benchmarks.fit_news import main as fit

        return fit([])
    if args.title_check:
        from benchmarks.fit import title_check

        return title_check(base)
    if args.tune_fusion:
        from benchmarks.fit import tune_fusion

        return tune_fusion(base)
    parts = args.only or ["scifact", "squad", "abstention", "followups"]
    sci_n, sq_n = (100, 300) if args.quick else (None, None)
    results: dict = {"machine": machine(), "quick": args.quick,
                     "retrieval_config": dataclasses.asdict(base.retrieval)}
    if "scifact" in parts:
        results["scifact_test"] = run_scifact(base, "test", sci_n)
    if "squad" in parts:
        results["squad_test_half"] = run_squad(base, "test", sq_n)
    if "abstention" in parts:
        results["abstention_test_half"] = run_abstention(base, "test", sq_n)
    if "followups" in parts:
        results["followups"] = run_followups(base)
    RESULTS.mkdir(exist_ok=True)
    name = "quality-quick.json" if args.quick else "quality.json"
    out = RESULTS / name
    if args.only and out.exists():  # a partial run updates its parts of the last results
        results = {**json.loads(out.read_text(encoding="utf-8")), **results}
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
