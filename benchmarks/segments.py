"""Quality whatever the segment count (issue 13): the same corpus indexed in one sync and in
8 syncs of one eighth each (so >= 8 segments: the tiered merge waits for MERGE_AT of a
tier), then the same metrics on both.

    HF_HUB_OFFLINE=1 python -m benchmarks.segments                  # SciFact and news
    HF_HUB_OFFLINE=1 python -m benchmarks.segments --only scifact   # or: news
    HF_HUB_OFFLINE=1 python -m benchmarks.segments --parts 12       # another count

Measured:
- SciFact (5,183 abstracts, BEIR test, 300 claims): nDCG@10 (and recall, MRR) per retrieval
  mode, computed as benchmarks/quality.py does (documents ranked by their best chunk);
- the news test set (benchmarks/news_qa) over the 1,438 BBC articles: the answer contains
  the gold string, the first citation is the right article, and the rest of
  benchmarks/news.py's metrics.
The corpus files are copied to benchmarks/cache/segments/<set>-corpus/ in sorted order, one
eighth before each sync of the many-segment index (so each segment holds a contiguous run:
for the BBC set, mostly one topic), then the one-segment index syncs the full folder: both
indexes see the same paths and texts. Both are seeded with the data set's embedding cache
(benchmarks/cache/scifact/index-all, benchmarks/cache/bbc), so nothing is embedded twice.
Results -> benchmarks/results/segments.json."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import datasets, quality as qb
from benchmarks.news import evaluate
from benchmarks.news_qa.dataset import BBC, load
from qa_bot.config import Config, load_config
from qa_bot.engine import Engine

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
TOLERANCE = 0.003
NEWS_KEYS = ("answer_contains_gold", "first_citation_right_article",
             "answerable_wrongly_declined", "followups_right", "unanswerable_declined",
             "offtopic_declined", "verbatim_failures")


log = qb.log


def segment_count(eng: Engine) -> int:
    return len(eng.generation().manifest["segments"])


def copy_files(files: list[Path], src_root: Path, dest: Path) -> None:
    for f in files:
        target = dest / f.relative_to(src_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)


def build_pair(base: Config, name: str, src_root: Path, seed_cache: str, parts: int,
               sentence_vectors: bool) -> tuple[Engine, Engine, dict]:
    """(one-segment engine, many-segment engine, build facts). Both indexes are built
    afresh from the seed's embedding cache."""
    files = sorted(src_root.rglob("*.txt"))
    corpus = datasets.CACHE / "segments" / f"{name}-corpus"
    one, many = f"segments/{name}-1", f"segments/{name}-{parts}"
    for folder in (corpus, datasets.CACHE / one, datasets.CACHE / many):
        shutil.rmtree(folder, ignore_errors=True)
    corpus.mkdir(parents=True)
    counts = []
    t0 = time.perf_counter()
    for chunk in np.array_split(np.arange(len(files)), parts):
        copy_files([files[i] for i in chunk], src_root, corpus)
        eng = qb.engine_for(base, many, [corpus], seed_cache=seed_cache,
                            sentence_vectors=sentence_vectors)
        counts.append(segment_count(eng))
    many_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    single = qb.engine_for(base, one, [corpus], seed_cache=seed_cache,
                           sentence_vectors=sentence_vectors)
    facts = {"files": len(files), "syncs": parts, "segments_after_each_sync": counts,
             "segments_many": segment_count(eng), "segments_one": segment_count(single),
             "rows": len(single.generation().chunks),
             "build_s": {"many": round(many_s, 1), "one": round(time.perf_counter() - t0, 1)}}
    log(f"{name}: {facts}")
    if facts["segments_many"] < 8:
        raise SystemExit(f"{name}: only {facts['segments_many']} segments, 8 wanted")
    return single, eng, facts


def scifact_metrics(eng: Engine, sf: datasets.SciFact, base: Config
                    ) -> tuple[dict, dict[str, list[list[str]]]]:
    """quality.run_scifact's computation on this engine: every mode, the 300 test claims.
    Also the top-10 documents of each claim, per mode."""
    qids = sorted(sf.test, key=int)
    vecs = eng.encode([sf.queries[q] for q in qids])
    out, tops = {}, {}
    for mode, changes in qb.MODES.items():
        qb.with_retrieval(eng, **{**dataclasses.asdict(base.retrieval), **changes})
        runs = [(qb.doc_ranking(eng, sf.queries[q], v), sf.test[q]) for q, v in zip(qids, vecs)]
        out[mode] = {k: round(v, 4) for k, v in qb.retrieval_metrics(runs).items()}
        tops[mode] = [r[:10] for r, _ in runs]
    qb.with_retrieval(eng, **dataclasses.asdict(base.retrieval))
    return out, tops


def run_scifact(parts: int) -> dict:
    base = load_config(None)
    sf = datasets.scifact()
    if not (datasets.CACHE / "scifact" / "index-all" / "cache.sqlite").exists():
        qb.engine_for(base, "scifact/index-all", [sf.corpus_dir], sentence_vectors=False)
    single, many, facts = build_pair(base, "scifact", sf.corpus_dir, "scifact/index-all",
                                     parts, sentence_vectors=False)
    one_m, one_top = scifact_metrics(single, sf, base)
    many_m, many_top = scifact_metrics(many, sf, base)
    same = {m: sum(a == b for a, b in zip(one_top[m], many_top[m])) for m in qb.MODES}
    res = {"build": facts, "one_segment": one_m, f"{parts}_segments": many_m,
           "claims_with_identical_top10_documents": same}
    res["ndcg@10_difference"] = {
        m: round(res[f"{parts}_segments"][m]["ndcg@10"] - res["one_segment"][m]["ndcg@10"], 4)
        for m in qb.MODES}
    log(f"scifact nDCG@10 differences ({parts} - 1 segments): {res['ndcg@10_difference']}")
    return res


def news_metrics(eng: Engine) -> dict:
    eng.ask("warm up")
    res = evaluate(eng, load("test"))
    return {k: res[k] for k in (*NEWS_KEYS, "counts", "failures")}


def run_news(parts: int) -> dict:
    base = load_config(None)
    single, many, facts = build_pair(base, "bbc", BBC, "bbc", parts, sentence_vectors=True)
    one_m, many_m = news_metrics(single), news_metrics(many)
    same = one_m.pop("failures") == many_m.pop("failures")  # each with its answer shown
    res = {"build": facts, "one_segment": one_m, f"{parts}_segments": many_m,
           "identical_failure_lists": same}
    res["difference"] = {k: round(res[f"{parts}_segments"][k] - res["one_segment"][k], 4)
                         for k in NEWS_KEYS if res["one_segment"][k] is not None}
    log(f"news differences ({parts} - 1 segments): {res['difference']}")
    return res


def provenance() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=ROOT.parent).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"),
            "qa_bot_files_changed_since": git("status", "--short", "qa_bot").splitlines()}


def within(res: dict) -> dict:
    sci = res.get("scifact", {}).get("ndcg@10_difference", {})
    news = res.get("news", {}).get("difference", {})
    out = {}
    if sci:
        out["scifact_hybrid_ndcg@10"] = abs(sci["default"]) <= TOLERANCE
    if news:
        out["news_gold_in_answer"] = abs(news["answer_contains_gold"]) <= TOLERANCE
        out["news_first_citation"] = abs(news["first_citation_right_article"]) <= TOLERANCE
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("scifact", "news"), action="append")
    p.add_argument("--parts", type=int, default=8, help="syncs of the many-segment index")
    args = p.parse_args(argv)
    parts = args.only or ["scifact", "news"]
    out = RESULTS / "segments.json"
    res: dict = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    res.update({"machine": qb.machine(), "tolerance": TOLERANCE})
    if "scifact" in parts:
        res["scifact"] = {**provenance(), **run_scifact(args.parts)}
    if "news" in parts:
        res["news"] = {**provenance(), **run_news(args.parts)}
    res["within_tolerance"] = within(res)
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"within {TOLERANCE}: {res['within_tolerance']}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
