"""Lexical search at scale (issue 13): our per-segment BM25 (`Postings` / `LexicalIndex`)
against tantivy, fed the same tokens.

    .venv/bin/pip install tantivy                 # benchmark only, not a project dependency
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.lexical             # everything (~20 min)
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.lexical --rows 100000   # a quick look
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.lexical --reuse    # keep the built indexes

Same tokens: tantivy indexes `" ".join(terms(text))` (our lower-cased, stop-word-free,
Snowball-stemmed terms) with a whitespace tokenizer and no filter, so both engines see the
same terms. tantivy's BM25 is fixed at k1 1.2, b 0.75 (Lucene idf); it stores each
document's length as a one-byte "fieldnorm" (exact below 40 terms, rounded down above).

Measured:
- equality: SciFact (5,183 abstracts, 8 segments of ours; tantivy in 8 commits, which its
  merge policy makes one segment, and in 4 commits, left as 4) and its 300 test claims,
  tantivy against our LexicalIndex at k1 1.2, b 0.75 (scores / (1 + k1), top-10 lists),
  and against ours with lengths rounded as tantivy's fieldnorms;
- SciFact test nDCG@10, BM25 only, one row per abstract (title + text);
- scale: `--rows` (1,000,000) chunk-sized texts (60-120 words) cut from SQuAD train + dev
  paragraphs, SciFact abstracts and BBC articles, replicated with small variations (sentences
  rotated, one dropped); 8 segments of rows / 8 each (ours: one `Postings` per segment;
  tantivy: one commit per segment, one indexing thread, its default merge policy). Build
  time (tokenising included), size on disk, cold open (a fresh process: open the index and
  answer one query), latency p50 / p95 of 200 SQuAD dev questions returning the top 100
  rows, wall and CPU time (the machine is shared), peak RSS of each phase (each runs in its
  own process). Ours is timed two ways: `scores()` of every row then
  qa_bot.retrieval.top_rows (as the retriever does), and a sparse top-k touching only the
  rows holding a query term; plus the CPU of the dense path's whole-array steps alone.
  tantivy: its search + the row ids read from a fast field.

Results -> benchmarks/results/lexical.json, and a summary table on stdout. Indexes are
written under benchmarks/cache/lexical/ (git-ignored)."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from qa_bot.index.lexical import EMPTY, LexicalIndex, Postings, terms
from qa_bot.retrieval import top_rows

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "benchmarks"
CACHE = ROOT / "cache" / "lexical"
RESULTS = ROOT / "results"
SEGMENTS = 8
TOP = 100
QUESTIONS = 200
INSTALL = "tantivy is not installed: run `.venv/bin/pip install tantivy` (benchmark only)"
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def tantivy_module():
    try:
        import tantivy
    except ImportError:
        print(INSTALL)
        sys.exit(2)
    return tantivy


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process, all threads (tantivy's indexing and merging threads
    too): a fairer clock than the wall on a shared, loaded machine."""
    return time.process_time()


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# ---- the corpus ------------------------------------------------------------------------
def _sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(re.sub(r"\s+", " ", text).strip()) if s]


def _pieces(text: str, low: int = 60, high: int = 120) -> list[list[str]]:
    """Consecutive sentences packed into pieces of `low` to `high` words (a longer single
    sentence is a piece of its own; a short tail joins the piece before)."""
    out: list[list[str]] = []
    cur: list[str] = []
    n = 0
    for s in _sentences(text):
        w = len(s.split())
        if cur and n + w > high and n >= low:
            out.append(cur)
            cur, n = [], 0
        cur.append(s)
        n += w
    if cur:
        if out and n < low:
            out[-1] = out[-1] + cur
        elif n >= low // 2:
            out.append(cur)
    return out


def _squad_texts(name: str) -> list[str]:
    with zipfile.ZipFile(SHARED / "squad" / name) as z:
        data = json.loads(z.read(z.namelist()[0]))["data"]
    return [p["context"] for a in data for p in a["paragraphs"]]


def _bbc_texts() -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace")
            for p in sorted((SHARED / "bbc").glob("*/*.txt"))]


def scifact_docs() -> tuple[list[str], list[str]]:
    """(ids, "title text") of the SciFact abstracts, file order."""
    ids, texts = [], []
    with open(SHARED / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
        for d in map(json.loads, f):
            ids.append(d["_id"])
            texts.append(f"{d['title']} {d['text']}".strip())
    return ids, texts


def base_pieces() -> list[list[str]]:
    """Every chunk-sized piece of the source texts, as its sentences (>= 2 sentences)."""
    texts = _squad_texts("train-v1.1-rebuilt.json.zip") + _squad_texts("dev-v1.1.json.zip") \
        + scifact_docs()[1] + _bbc_texts()
    return [p for t in texts for p in _pieces(t) if len(p) >= 2]


def variant(sents: list[str], v: int) -> str:
    """Variation v of a piece: v = 0 is the piece; then rotations of its sentences, and
    past those, rotations with one sentence dropped."""
    n = len(sents)
    r = v % n
    s = sents[r:] + sents[:r]
    if v >= n:
        del s[(v // n) % n]
    return " ".join(s)


def corpus_rows(pieces: list[list[str]], start: int, stop: int) -> list[str]:
    """Rows start..stop-1 of the corpus: row i is variation i // B of piece i % B."""
    b = len(pieces)
    return [variant(pieces[i % b], i // b) for i in range(start, stop)]


def squad_questions(n: int = QUESTIONS, seed: int = 5) -> list[str]:
    with zipfile.ZipFile(SHARED / "squad" / "dev-v1.1.json.zip") as z:
        data = json.loads(z.read("dev-v1.1.json"))["data"]
    qs = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
    return [qs[i] for i in np.random.default_rng(seed).choice(len(qs), n, replace=False)]


def bounds(rows: int, parts: int = SEGMENTS) -> list[tuple[int, int]]:
    edges = np.linspace(0, rows, parts + 1).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


# ---- our BM25 --------------------------------------------------------------------------
class Lucene12(LexicalIndex):
    """Our BM25 with tantivy's parameters."""

    K1 = 1.2
    B = 0.75


def ours_open(folder: Path, cls: type[LexicalIndex] = LexicalIndex) -> LexicalIndex:
    meta = json.loads((folder / "segments.json").read_text())
    parts = [Postings.load(folder / name, n) for name, n in meta]
    return cls(parts, [np.ones(len(p.lengths), dtype=bool) for p in parts])


def ours_build(folder: Path, texts_of, parts: list[tuple[int, int]]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    meta = []
    for i, (a, b) in enumerate(parts):
        seg = folder / f"seg-{i:02d}"
        seg.mkdir()
        Postings.build(texts_of(a, b)).save(seg)
        meta.append((seg.name, b - a))
        log(f"ours: segment {i} ({b - a} rows) peak RSS {peak_rss_mb():.0f} MB")
    (folder / "segments.json").write_text(json.dumps(meta))


def dense_top(index: LexicalIndex, query: str, k: int = TOP) -> list[tuple[int, float]]:
    """The retriever's way: `scores()` of every row, then qa_bot.retrieval.top_rows."""
    scores = index.scores(query)
    return [(r, float(scores[r])) for r in top_rows(scores, k)]


def sparse_top(index: LexicalIndex, query: str, k: int = TOP) -> list[tuple[int, float]]:
    """The same BM25 scores, computed only for rows holding a query term: each term's
    (row, contribution) pairs concatenated, summed per row, best k taken."""
    words = terms(query)
    rows, contrib = [], []
    cache: dict[str, list] = {}
    for w in words:
        if w not in cache:
            cache[w] = index._live_postings(w)
        found = cache[w]
        df = sum(len(r) for _, r, _ in found)
        if not df:
            continue
        idf = index._idf(df)
        for i, r, tf in found:
            length = np.asarray(index.parts[i].lengths[r], dtype=np.float64)
            norm = index.K1 * ((1 - index.B) + index.B * length / index.avg_len)
            rows.append(index.bases[i] + r.astype(np.int64))
            contrib.append((idf * (tf / (norm + tf))).astype(np.float32))
    if not rows:
        return []
    all_rows, all_c = np.concatenate(rows), np.concatenate(contrib)
    uniq, inverse = np.unique(all_rows, return_inverse=True)
    sums = np.zeros(len(uniq), dtype=np.float32)
    np.add.at(sums, inverse, all_c)  # float32, in term order: the dense path's sums exactly
    k = min(k, len(sums))
    part = np.argpartition(-sums, k - 1)[:k]
    order = part[np.lexsort((uniq[part], -sums[part]))]
    return [(int(uniq[j]), float(sums[j])) for j in order]


# ---- tantivy ---------------------------------------------------------------------------
def tv_schema():
    tv = tantivy_module()
    sb = tv.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name="ws", index_option="freq")
    sb.add_unsigned_field("row", stored=False, indexed=False, fast=True)
    return sb.build()


def tv_index(folder: Path, create: bool):
    tv = tantivy_module()
    if create:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    index = tv.Index(tv_schema(), path=str(folder), reuse=not create)
    index.register_tokenizer("ws", tv.TextAnalyzerBuilder(tv.Tokenizer.whitespace()).build())
    return index


def tv_text(text: str) -> str:
    return " ".join(terms(text) or [EMPTY])


def tv_build(folder: Path, texts_of, parts: list[tuple[int, int]]) -> dict:
    """One commit per part, one indexing thread (so a commit makes one segment when the
    heap holds it), tantivy's default merge policy; merges are waited for."""
    tv = tantivy_module()
    index = tv_index(folder, create=True)
    writer = index.writer(heap_size=1_000_000_000, num_threads=1)
    for i, (a, b) in enumerate(parts):
        for r, text in zip(range(a, b), texts_of(a, b)):
            doc = tv.Document()
            doc.add_text("body", tv_text(text))
            doc.add_unsigned("row", r)
            writer.add_document(doc)
        writer.commit()
        index.reload()
        log(f"tantivy: commit {i} -> {index.searcher().num_segments} segments, "
            f"peak RSS {peak_rss_mb():.0f} MB")
    writer.wait_merging_threads()
    index = tv_index(folder, create=False)
    return {"segments_after_merges": index.searcher().num_segments}


def tv_query(index, words: list[str]):
    tv = tantivy_module()
    schema = index.schema
    subs = [(tv.Occur.Should, tv.Query.term_query(schema, "body", w)) for w in words]
    return tv.Query.boolean_query(subs)


def tv_top(index, searcher, query: str, k: int = TOP) -> list[tuple[int, float]]:
    """Top k rows and tantivy scores, row ids read from the fast field."""
    words = terms(query)
    if not words:
        return []
    hits = searcher.search(tv_query(index, words), k, count=False).hits
    rows = searcher.fast_field_values("row", [a for _, a in hits])
    return [(int(r), float(s)) for (s, _), r in zip(hits, rows)]


# ---- equality and SciFact quality ------------------------------------------------------
def fieldnorm_table() -> np.ndarray:
    """tantivy's (Lucene's) one-byte length codes: lengths 0..39 exact, then 4 values per
    doubling (SmallFloat.byte4ToInt)."""
    def int4_to_long(i: int) -> int:
        bits, shift = i & 7, (i >> 3) - 1
        return bits if shift == -1 else (bits | 8) << shift

    return np.array([b if b < 24 else 24 + int4_to_long(b - 24) for b in range(256)])


def quantised(index: LexicalIndex) -> LexicalIndex:
    """`index` with every row length rounded down to a fieldnorm code (the mean length
    stays the exact one, as in tantivy)."""
    table = fieldnorm_table()
    parts = [Postings(p.vocab, p.indptr, p.rows, p.tf,
                      table[np.searchsorted(table, np.asarray(p.lengths), side="right") - 1])
             for p in index.parts]
    out = type(index)(parts, index.live)
    out.avg_len = index.avg_len
    return out


def ndcg10(ranked: list[str], rel: dict[str, int]) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    return dcg / sum(r / math.log2(i + 2) for i, r in enumerate(ideal))


def scifact_queries() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    src = SHARED / "scifact"
    with open(src / "queries.jsonl", encoding="utf-8") as f:
        queries = {q["_id"]: q["text"] for q in map(json.loads, f)}
    qrels: dict[str, dict[str, int]] = {}
    for line in (src / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        q, d, s = line.split("\t")
        qrels.setdefault(q, {})[d] = int(s)
    return queries, qrels


def compare(a: list[tuple[int, float]], b: list[tuple[int, float]], scale: float
            ) -> tuple[bool, float]:
    """(same rows in the same order, max |score diff|) of two top lists, b's scores / scale.
    Rows of equal score may come in either order: ties are compared as sets."""
    same = len(a) == len(b) and all(
        ra == rb or abs(sa - sb / scale) < 1e-4 for (ra, sa), (rb, sb) in zip(a, b))
    diff = max((abs(sa - sb / scale) for (_, sa), (_, sb) in
                zip(sorted(a, key=lambda x: -x[1]), sorted(b, key=lambda x: -x[1]))),
               default=0.0)
    return same, diff


def unmerged_check(texts: list[str], queries: dict[str, str], qids: list[str],
                   ref: LexicalIndex) -> dict:
    """tantivy merges 8 commits into one segment; 4 commits stay 4 segments (its default
    policy waits for 8 of a level): statistics over several tantivy segments."""
    folder = CACHE / "scifact-tantivy-4"
    tv_build(folder, lambda a, b: texts[a:b], bounds(len(texts), 4))
    index = tv_index(folder, create=False)
    searcher = index.searcher()
    checks = [compare(dense_top(ref, queries[q], 10), tv_top(index, searcher, queries[q], 10),
                      1 + Lucene12.K1) for q in qids]
    return {"segments_tantivy": searcher.num_segments,
            "top10_identical": sum(ok for ok, _ in checks),
            "max_abs_score_diff": max(d for _, d in checks)}


def phase_equality() -> dict:
    """SciFact in 8 segments each side: tantivy vs ours at k1 1.2, b 0.75; and nDCG@10."""
    ids, texts = scifact_docs()
    parts = bounds(len(texts))
    queries, qrels = scifact_queries()
    qids = sorted(qrels, key=int)
    ours_build(CACHE / "scifact-ours", lambda a, b: texts[a:b], parts)
    tv_info = tv_build(CACHE / "scifact-tantivy", lambda a, b: texts[a:b], parts)
    plain = ours_open(CACHE / "scifact-ours")
    l12 = ours_open(CACHE / "scifact-ours", Lucene12)
    l12q = quantised(l12)
    tvi = tv_index(CACHE / "scifact-tantivy", create=False)
    searcher = tvi.searcher()
    out: dict = {"corpus": "SciFact abstracts", "rows": len(texts), "queries": len(qids),
                 "segments_ours": len(parts), "segments_tantivy": searcher.num_segments,
                 **tv_info}
    for name, ref in (("exact_lengths", l12), ("fieldnorm_lengths", l12q)):
        same = 0
        worst = 0.0
        for q in qids:
            ok, diff = compare(dense_top(ref, queries[q], 10),
                               tv_top(tvi, searcher, queries[q], 10), 1 + Lucene12.K1)
            same += ok
            worst = max(worst, diff)
        out[f"vs_ours_k1_1.2_b_0.75_{name}"] = {"top10_identical": same,
                                                 "max_abs_score_diff": worst}
        log(f"equality ({name}): {same}/{len(qids)} identical top-10, max diff {worst:.2e}")
    out["vs_fieldnorm_lengths_tantivy_in_4_segments"] = unmerged_check(texts, queries, qids,
                                                                        l12q)
    checks = [compare(dense_top(plain, queries[q]), sparse_top(plain, queries[q]), 1.0)
              for q in qids]
    out["sparse_vs_dense_top100"] = {"identical": sum(ok for ok, _ in checks),
                                     "max_abs_score_diff": max(d for _, d in checks)}
    out["ndcg@10"] = {}
    for name, fn in (("ours k1 0.9 b 0.4 (shipped)", lambda q: dense_top(plain, q, 10)),
                     ("ours k1 1.2 b 0.75", lambda q: dense_top(l12, q, 10)),
                     ("tantivy (k1 1.2 b 0.75)", lambda q: tv_top(tvi, searcher, q, 10))):
        runs = [ndcg10([ids[r] for r, _ in fn(queries[q])], qrels[q]) for q in qids]
        out["ndcg@10"][name] = round(float(np.mean(runs)), 4)
    log(f"scifact nDCG@10: {out['ndcg@10']}")
    return out


# ---- scale phases (each in its own process) --------------------------------------------
def texts_fn(rows: int):
    pieces = base_pieces()
    log(f"{len(pieces)} base pieces, {rows} rows")
    return lambda a, b: corpus_rows(pieces, a, b)


def phase_build(engine: str, rows: int) -> dict:
    texts_of = texts_fn(rows)
    folder = CACHE / f"{engine}-{rows}"
    t0, c0 = time.perf_counter(), cpu_s()
    info = ours_build(folder, texts_of, bounds(rows)) if engine == "ours" \
        else tv_build(folder, texts_of, bounds(rows))
    secs, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {"build_s": round(secs, 1), "build_cpu_s": round(cpu, 1),
            "size_mb": round(folder_mb(folder), 1),
            "build_peak_rss_mb": round(peak_rss_mb()), **(info or {})}


def phase_tokenise(rows: int, sample: int = 20_000) -> dict:
    """Time of making the corpus text and of terms() alone, per row (a sample)."""
    texts_of = texts_fn(rows)
    t0 = cpu_s()
    texts = texts_of(0, sample)
    t1 = cpu_s()
    n = sum(len(terms(t)) for t in texts)
    t2 = cpu_s()
    return {"make_text_cpu_us_per_row": round(1e6 * (t1 - t0) / sample, 1),
            "terms_cpu_us_per_row": round(1e6 * (t2 - t1) / sample, 1),
            "terms_per_row": round(n / sample, 1),
            "words_per_row": round(sum(len(t.split()) for t in texts) / sample, 1)}


def opener(engine: str, rows: int):
    folder = CACHE / f"{engine.removesuffix('-sparse')}-{rows}"
    if engine == "tantivy":
        index = tv_index(folder, create=False)
        searcher = index.searcher()
        return lambda q: tv_top(index, searcher, q)
    index = ours_open(folder)
    return (lambda q: dense_top(index, q)) if engine == "ours" else \
        (lambda q: sparse_top(index, q))


def phase_cold(engine: str, rows: int) -> dict:
    q = squad_questions()[0]
    t0, c0 = time.perf_counter(), cpu_s()
    top = opener(engine, rows)
    t1 = time.perf_counter()
    top(q)
    t2, c2 = time.perf_counter(), cpu_s()
    return {"open_s": round(t1 - t0, 3), "open_and_first_query_s": round(t2 - t0, 3),
            "open_and_first_query_cpu_s": round(c2 - c0, 3),
            "cold_peak_rss_mb": round(peak_rss_mb())}


def dense_array_cost(rows: int, qs: list[str]) -> dict:
    """CPU of the dense path's whole-index parts alone, on the real queries' scores: a
    zeroed float32 score per row; argpartition + sort of the top 100 over all rows (the
    retriever before 9b81401); and over only the rows that scored (its top_rows now)."""
    index = ours_open(CACHE / f"ours-{rows}")
    zeros, select, touched = [], [], []
    for q in qs:
        scores = index.scores(q)
        c0 = cpu_s()
        np.zeros(index.n_rows, dtype=np.float32)
        c1 = cpu_s()
        part = np.argpartition(-scores, TOP - 1)[:TOP]
        part[np.argsort(-scores[part], kind="stable")]
        c2 = cpu_s()
        cand = np.flatnonzero(scores)
        if len(cand) > TOP:
            cand = cand[np.argpartition(-scores[cand], TOP - 1)[:TOP]]
        cand[np.argsort(-scores[cand], kind="stable")]
        c3 = cpu_s()
        zeros.append(c1 - c0)
        select.append(c2 - c1)
        touched.append(c3 - c2)
    return {"dense_zeros_cpu_p50_ms": round(1000 * float(np.median(zeros)), 3),
            "dense_top100_select_cpu_p50_ms": round(1000 * float(np.median(select)), 3),
            "scored_rows_top100_select_cpu_p50_ms": round(1000 * float(np.median(touched)), 3)}


def phase_query(engine: str, rows: int) -> dict:
    """p50 / p95 over the questions (after one warm-up pass), and the top 100 lists."""
    qs = squad_questions()
    top = opener(engine, rows)
    for q in qs[:20]:
        top(q)
    times, cpus, tops = [], [], []
    for q in qs:
        t0, c0 = time.perf_counter(), cpu_s()
        tops.append(top(q))
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - c0)
    ms, cms = np.array(times) * 1000, np.array(cpus) * 1000
    (CACHE / f"top-{engine}-{rows}.json").write_text(json.dumps(tops))
    rss = round(peak_rss_mb())  # before the measure below loads a second copy
    extra = dense_array_cost(rows, qs) if engine == "ours" else {}
    return {**extra, "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "mean_ms": round(float(ms.mean()), 2),
            "cpu_p50_ms": round(float(np.percentile(cms, 50)), 2),
            "cpu_p95_ms": round(float(np.percentile(cms, 95)), 2), "queries": len(qs),
            "query_peak_rss_mb": rss}


PHASES = {"build": phase_build, "cold": phase_cold, "query": phase_query}


def in_process(phase: str, engine: str, rows: int) -> dict:
    """Run one phase in a fresh interpreter (its own peak RSS, nothing warm)."""
    cmd = [sys.executable, "-m", "benchmarks.lexical", "--phase", phase, "--engine", engine,
           "--rows", str(rows)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT.parent)
    if res.returncode:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"{' '.join(cmd)} failed")
    sys.stderr.write(res.stderr)
    return json.loads(res.stdout.strip().splitlines()[-1])


def overlap(rows: int) -> dict:
    """The sparse top 100 against the dense one (score sequences; rows of equal score may
    differ, replicated texts tie), and tantivy's top 10 rows against ours (k1 0.9, b 0.4
    against its 1.2, 0.75)."""
    tops = {e: json.loads((CACHE / f"top-{e}-{rows}.json").read_text())
            for e in ("ours", "ours-sparse", "tantivy")}
    diff = max(max((abs(x[1] - y[1]) for x, y in zip(a, b)), default=0.0)
               for a, b in zip(tops["ours"], tops["ours-sparse"]))
    lengths = all(len(a) == len(b) for a, b in zip(tops["ours"], tops["ours-sparse"]))
    common = [len({r for r, _ in a} & {r for r, _ in b}) / max(len(a), 1)
              for a, b in zip(tops["ours"], tops["ours-sparse"])]
    top10 = [len({r for r, _ in a[:10]} & {r for r, _ in b[:10]}) / 10
             for a, b in zip(tops["ours"], tops["tantivy"])]
    return {"sparse_vs_dense_top100_max_score_diff": diff,
            "sparse_vs_dense_same_lengths": lengths,
            "sparse_vs_dense_rows_in_common": round(float(np.mean(common)), 4),
            "tantivy_vs_ours_top10_rows_in_common": round(float(np.mean(top10)), 3)}


def built(engine: str, rows: int, reuse: bool) -> dict:
    """The build phase's result; with `reuse`, that of the last build of this index (kept
    beside it) when there is one."""
    kept = CACHE / f"build-{engine}-{rows}.json"
    if reuse and kept.exists():
        return json.loads(kept.read_text())
    res = in_process("build", engine, rows)
    kept.write_text(json.dumps(res))
    return res


def scale(rows: int, reuse: bool) -> dict:
    out: dict = {"rows": rows, "segments": SEGMENTS, "top": TOP,
                 "tokenise": in_process("tokenise", "ours", rows)}
    for engine in ("ours", "tantivy"):
        out[engine] = built(engine, rows, reuse)
        log(f"{engine} build: {out[engine]}")
    for engine in ("ours", "ours-sparse", "tantivy"):
        res = out.setdefault(engine, {})
        res.update(in_process("cold", engine, rows))
        res.update(in_process("query", engine, rows))
        log(f"{engine}: {res}")
    out["agreement"] = overlap(rows)
    return out


def summary(res: dict) -> str:
    s = res["scale"]
    lines = [f"{s['rows']:,} rows, {s['segments']} segments, top {s['top']}, "
             f"{QUESTIONS} SQuAD dev questions",
             f"{'':14}{'build s':>9}{'cpu s':>8}{'disk MB':>9}{'segs':>6}{'open+1q s':>11}"
             f"{'p50 ms':>8}{'p95 ms':>8}{'cpu p50':>8}{'cpu p95':>8}{'RSS build':>10}"
             f"{'RSS query':>10}"]
    for e in ("ours", "ours-sparse", "tantivy"):
        r = {**s.get("ours" if e == "ours-sparse" else e, {}), **s[e]}
        segs = r.get("segments_after_merges", s["segments"])
        lines.append(f"{e:14}{r['build_s']:>9}{r['build_cpu_s']:>8}{r['size_mb']:>9}{segs:>6}"
                     f"{r['open_and_first_query_s']:>11}{r['p50_ms']:>8}{r['p95_ms']:>8}"
                     f"{r['cpu_p50_ms']:>8}{r['cpu_p95_ms']:>8}"
                     f"{r['build_peak_rss_mb']:>10}{r['query_peak_rss_mb']:>10}")
    eq = res["equality"]
    lines.append(f"SciFact nDCG@10 (BM25 only): {eq['ndcg@10']}")
    lines += [f"{k}: {v}" for k, v in eq.items() if k.startswith("vs_ours")]
    lines.append(f"agreement at scale: {s['agreement']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--phase", choices=["tokenise", *PHASES], help=argparse.SUPPRESS)
    p.add_argument("--engine", default="ours", help=argparse.SUPPRESS)
    p.add_argument("--skip-scale", action="store_true", help="equality and SciFact only")
    p.add_argument("--reuse", action="store_true",
                   help="keep the scale indexes of an earlier run (and its build figures)")
    args = p.parse_args(argv)
    tantivy_module()
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.phase == "tokenise":
        print(json.dumps(phase_tokenise(args.rows)))
        return 0
    if args.phase:
        res = PHASES[args.phase](args.engine, args.rows)
        res[f"{args.phase}_load_average"] = round(os.getloadavg()[0], 2)
        print(json.dumps(res))
        return 0
    from importlib.metadata import version

    res: dict = {"tantivy_version": version("tantivy"),
                 "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True,
                                          text=True, cwd=ROOT.parent).stdout.strip(),
                 "lexical_py_sha1": hashlib.sha1((ROOT.parent / "qa_bot" / "index" /
                                                 "lexical.py").read_bytes()).hexdigest(),
                 "load_average_at_start": os.getloadavg(),
                 "bm25": {"ours": "k1 0.9, b 0.4 (LexicalIndex.K1/B), Lucene idf, exact lengths",
                          "tantivy": "k1 1.2, b 0.75 fixed, Lucene idf, score x (1 + k1), "
                                     "lengths as one-byte fieldnorms"},
                 "equality": phase_equality()}
    if not args.skip_scale:
        res["scale"] = scale(args.rows, args.reuse)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("lexical.json" if args.rows == 1_000_000 else f"lexical-{args.rows}.json")
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    if "scale" in res:
        print(summary(res))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
