"""Speed and scale benchmarks -> benchmarks/results/speed-<part>.json (docs/speed.md).

    python -m benchmarks.speed                           # every part
    python -m benchmarks.speed --only cold,warm          # cold | warm | build | million | bm25
    python -m benchmarks.speed --only million --n 200000 # a smaller synthetic index

Ratios are measured within one run (alternating the two sides), because the machine is
shared: absolute seconds move with the load, which each result file records.
- cold: `qa-bot ask` wall time on the seed index (a fresh process each time) against
  `python -c "import sentence_transformers"` and against the naive path (same CLI,
  sentence-transformers embedder).
- warm: `Engine.ask` latency over 1,000 SciFact claims, answer extraction included, on an
  index of the SciFact corpus built by `Engine.sync` (benchmarks/cache/scifact/index-speed).
- build: passages/s of the build's embedder against plain
  `SentenceTransformer.encode(batch_size=32)` on the same SciFact chunks.
- million: 1,000,000 synthetic unit vectors (384-d): build time, resident memory of the
  loaded index, search p50/p95 and recall@10 against exact search, per nprobe.
- bm25: `LexicalIndex` over 1,000,000 synthetic short texts: build, memory, latency."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
RESULTS = ROOT / "results"
CACHE = ROOT / "cache"
PARTS = ("cold", "warm", "build", "million", "bm25")
QUESTION = "Who is North Korea's ambassador to the United Nations?"


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                open("/proc/cpuinfo", encoding="utf-8") if line.startswith("model name")), "")
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def ms(values: list[float]) -> dict:
    """p50/p95/mean of durations given in seconds, in milliseconds."""
    return {"p50_ms": round(pct(values, 50) * 1e3, 2), "p95_ms": round(pct(values, 95) * 1e3, 2),
            "mean_ms": round(statistics.fmean(values) * 1e3, 2), "n": len(values)}


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/status", encoding="utf-8") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def save(part: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"speed-{part}.json"
    result = {"part": part, "machine": machine(), **result}
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    log(f"{part}: wrote {path.relative_to(REPO)}")
    return path


def env() -> dict:
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, env=env(), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


# ---- cold ------------------------------------------------------------------------------
NAIVE = ("import sys, qa_bot.engine as e; e.index_export = lambda d: None; "
         "from qa_bot.cli import main; sys.exit(main(sys.argv[1:]))")


def part_cold(rounds: int) -> dict:
    """Fresh processes, alternating: fast CLI, import sentence_transformers, naive CLI."""
    index = CACHE / "seed-index"
    qa = str(REPO / ".venv" / "bin" / "qa-bot")
    if not (index / "CURRENT").exists():
        subprocess.run([qa, "--index-dir", str(index), "index", str(REPO / "seeds")],
                       check=True, cwd=REPO, env=env(), stdout=subprocess.DEVNULL)
    cmds = {
        "qa_bot_ask": [qa, "--index-dir", str(index), "ask", QUESTION],
        "import_sentence_transformers": [sys.executable, "-c", "import sentence_transformers"],
        "naive_ask": [sys.executable, "-c", NAIVE, "--index-dir", str(index), "ask", QUESTION],
        "python_startup": [sys.executable, "-c", "pass"],
    }
    for cmd in cmds.values():  # warm the page cache once
        wall(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for r in range(rounds):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd))
        log(f"cold round {r + 1}/{rounds}: " +
            ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    return {"rounds": rounds, "median_s": med, "all_s": times,
            "ratio_ask_to_import_st": round(med["qa_bot_ask"] / med["import_sentence_transformers"], 3),
            "ratio_naive_to_ask": round(med["naive_ask"] / med["qa_bot_ask"], 2),
            "targets": {"ask_s": 1.5, "ratio_ask_to_import_st": 0.2}}


# ---- warm ------------------------------------------------------------------------------
def scifact_engine(docs: int = 0):
    """Engine over the SciFact corpus files (benchmarks/datasets.py writes them; `docs` > 0
    takes the first `docs` files by name), index in benchmarks/cache/scifact/index-speed[-N].
    The embedding cache is seeded from the quality benchmark's index of the same corpus
    when that one holds more vectors."""
    from benchmarks import datasets
    from qa_bot.config import load_config, with_index_dir
    from qa_bot.engine import Engine

    sf = datasets.scifact()
    corpus, index_dir = sf.corpus_dir, CACHE / "scifact" / "index-speed"
    if docs:
        corpus = CACHE / "scifact" / f"corpus-first{docs}"
        corpus.mkdir(parents=True, exist_ok=True)
        for f in sorted(sf.corpus_dir.glob("*.txt"))[:docs]:
            if not (corpus / f.name).exists():
                shutil.copy(f, corpus / f.name)
        index_dir = CACHE / "scifact" / f"index-speed-first{docs}"
    index_dir.mkdir(parents=True, exist_ok=True)
    mine, theirs = index_dir / "cache.sqlite", CACHE / "scifact" / "index-all" / "cache.sqlite"
    if theirs.exists() and (not mine.exists() or theirs.stat().st_size > mine.stat().st_size):
        shutil.copy(theirs, mine)
    eng = Engine(with_index_dir(load_config(REPO / "config.toml"), index_dir))
    t0 = time.perf_counter()
    report = eng.sync([corpus], progress=True)
    log(f"scifact index: {len(report.added)} added, {report.chunks_embedded} chunks embedded, "
        f"{time.perf_counter() - t0:.0f} s")
    return eng, sf


def part_warm(n_questions: int, docs: int) -> dict:
    eng, sf = scifact_engine(docs)
    questions = list(sf.queries.values())[:n_questions]
    gen = eng.generation()
    for q in questions[:20]:  # load the model, the index, the caches
        eng.ask(q)
    total, encode, retrieve = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        eng.ask(q)
        total.append(time.perf_counter() - t0)
    for q in questions[:200]:  # where the time goes, on a subset
        t0 = time.perf_counter()
        vec = eng.encode([q])[0]
        t1 = time.perf_counter()
        eng.retrieve(q, 20, query_vec=vec)
        t2 = time.perf_counter()
        encode.append(t1 - t0)
        retrieve.append(t2 - t1)
    return {"questions": len(questions), "corpus_docs": docs or "all", "chunks": len(gen.chunks),
            "documents": len(gen.documents), "embedder": type(eng.embedder).__name__,
            "vector_index": gen.manifest.get("vector_index"),
            "sentence_vectors_in_index": getattr(gen, "sentence_vectors", None) is not None,
            "ask": ms(total), "profile_200": {"encode_question": ms(encode),
                                              "retrieve_top20": ms(retrieve)},
            "targets": {"p50_ms": 15, "p95_ms": 30}}


# ---- build -----------------------------------------------------------------------------
def part_build(n_chunks: int, rounds: int, docs: int) -> dict:
    """The same chunks through plain sentence-transformers (batch 32, its own length
    sort) and through the build's ONNX embedder, alternating, best round of each."""
    from sentence_transformers import SentenceTransformer

    from qa_bot.embedder import MODEL_MAX_TOKENS, OnnxEmbedder, model_dir
    from qa_bot.index.onnx_export import index_export

    from qa_bot.index.sentences import texts as sentence_texts

    eng, _ = scifact_engine(docs)
    every = list(eng.generation().chunks)
    chunks = random.Random(0).sample(every, min(n_chunks, len(every)))
    st = SentenceTransformer(str(model_dir()), device="cpu")
    st.max_seq_length = MODEL_MAX_TOKENS
    onnx = OnnxEmbedder(index_export(eng.store.root))
    out = {"rounds": rounds, "target_ratio": 1.5}
    # the chunks (the issue's measure), then the same chunks' sentences, which an index
    # with sentence vectors (the default) also embeds
    for label, texts in (("chunks", [c.embed_text for c in chunks]),
                         ("sentences", [t for c in chunks for t in sentence_texts(c)])):
        runs: dict[str, list[float]] = {"sentence_transformers_bs32": [], "onnx_build": []}
        vecs = {}
        for r in range(rounds):
            t0 = time.perf_counter()
            vecs["st"] = st.encode(texts, batch_size=32, normalize_embeddings=True)
            runs["sentence_transformers_bs32"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            vecs["onnx"] = onnx.encode(texts)
            runs["onnx_build"].append(time.perf_counter() - t0)
            log(f"build {label} round {r + 1}/{rounds}: " +
                ", ".join(f"{k} {len(texts) / v[-1]:.1f}/s" for k, v in runs.items()))
        rate = {k: round(len(texts) / min(v), 2) for k, v in runs.items()}
        tokens = [len(e.ids) for e in onnx.tokenizer.encode_batch(texts)]
        out[label] = {
            "texts": len(texts), "mean_tokens": round(statistics.fmean(tokens), 1),
            "passages_per_s": rate, "seconds": runs,
            "ratio": round(rate["onnx_build"] / rate["sentence_transformers_bs32"], 3),
            "min_cosine_onnx_vs_st": float((vecs["st"] * vecs["onnx"]).sum(axis=1).min())}
    both = {k: min(out["chunks"]["seconds"][k]) + min(out["sentences"]["seconds"][k])
            for k in ("sentence_transformers_bs32", "onnx_build")}
    out["chunks_and_sentences_ratio"] = round(both["sentence_transformers_bs32"]
                                              / both["onnx_build"], 3)
    return out


# ---- million ---------------------------------------------------------------------------
def topic_unit_vectors(n: int, dim: int, rng: np.random.Generator, topics: int,
                       centers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors, each 0.7 * a random topic direction + 0.71 * isotropic noise
    (cosine ~0.7 to its topic, ~0.5 between two of the same topic, ~0 across topics)."""
    if centers is None:
        centers = rng.standard_normal((topics, dim), dtype=np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    x = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 100_000):
        m = min(100_000, n - i)
        noise = rng.standard_normal((m, dim), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        block = 0.7 * centers[rng.integers(0, len(centers), m)] + 0.71 * noise
        x[i:i + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return x, centers


def uniform_unit_vectors(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    x = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 100_000):
        m = min(100_000, n - i)
        block = rng.standard_normal((m, dim), dtype=np.float32)
        x[i:i + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return x


def exact_top(x: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k rows by inner product, by blocks (no second copy of x)."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), k), dtype=np.int64)
    for i in range(0, len(x), 200_000):
        s = queries @ x[i:i + 200_000].T
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        cand_i = np.concatenate([best_i, part + i], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, order, 1), np.take_along_axis(cand_i, order, 1)
    return best_i


def search_stats(index, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> dict:
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, rows = index.search(q[None], k)
        times.append(time.perf_counter() - t0)
        found.append(rows[0])
    recall = np.mean([len(set(a) & set(b[:k])) / k for a, b in zip(found, truth)])
    return dict(ms(times), recall_at_10=round(float(recall), 4))


LOAD_RSS = """
import json, sys, time
from pathlib import Path
import numpy as np
from qa_bot.index.vectors import VectorPart
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')) / 1024
n, before, t0 = int(sys.argv[2]), rss(), time.perf_counter()
part = VectorPart(Path(sys.argv[1]), n, 384, json.loads(sys.argv[3]))
q = np.asarray(part.vectors[0], dtype=np.float32)
part.search(q, 100, np.ones(n, dtype=bool))
print(json.dumps({"load_and_first_search_s": round(time.perf_counter() - t0, 3),
                  "rss_mb": round(rss() - before, 1)}))
"""


class PartIndex:
    """A segment's VectorPart behind the faiss search signature the sweep uses."""

    def __init__(self, part, n: int):
        self.part, self.live = part, np.ones(n, dtype=bool)

    @property
    def nprobe(self) -> int:
        return self.part.nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self.part.nprobe = value

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, q in enumerate(queries):
            s, r = self.part.search(q, k, self.live)
            order = np.argsort(-s, kind="stable")
            scores[i, :len(s)], rows[i, :len(s)] = s[order], r[order]
        return scores, rows


def build_part(x: np.ndarray, folder: Path) -> tuple[PartIndex, dict]:
    """An IVF segment's vector files for x, written into `folder` and opened."""
    from qa_bot.index.vectors import VectorPart, write_ivf

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    params = write_ivf(folder, x, [])
    return PartIndex(VectorPart(folder, len(x), x.shape[1], params), len(x)), params


def loaded_rss(path: Path, n: int, params: dict) -> dict:
    """Open time (with a first search) and resident memory added, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", LOAD_RSS, str(path), str(n), json.dumps(params)],
                         check=True, capture_output=True, text=True, env=env())
    return json.loads(out.stdout)


def part_million(n: int, n_queries: int, uniform: bool) -> dict:
    import faiss

    from qa_bot.index.vectors import FLAT_MAX

    dim, rng = 384, np.random.default_rng(0)
    faiss.omp_set_num_threads(1)  # searches as the engine runs them (qa_bot/index/vectors.py)
    t0 = time.perf_counter()
    x, centers = topic_unit_vectors(n, dim, rng, topics=max(n // 100, 10))
    queries, _ = topic_unit_vectors(n_queries, dim, rng, 0, centers)
    log(f"million: {n} vectors generated in {time.perf_counter() - t0:.0f} s, rss {rss_mb()} MiB")
    truth = exact_top(x, queries, 100)
    result: dict = {"n": n, "dim": dim, "queries": n_queries,
                    "data": "unit vectors around n/100 random topic directions (cos ~0.7 to "
                            "the topic); queries drawn the same way",
                    "search_threads": 1, "build_threads": os.cpu_count()}
    flat_sizes = {}  # exact search cost by size: where flat stops being fast enough
    for m in sorted({m for m in (5_000, 10_000, 20_000, 50_000, 100_000, 200_000) if m < n} | {n}):
        flat = faiss.IndexFlatIP(dim)
        flat.add(x[:m])
        t = []
        for q in queries[:50]:
            t1 = time.perf_counter()
            flat.search(q[None], 10)
            t.append(time.perf_counter() - t1)
        flat_sizes[m] = ms(t)
        del flat
    result["flat_search_by_size"] = flat_sizes
    log(f"million: flat p50 by size {{m: p50}} = "
        f"{ {m: v['p50_ms'] for m, v in flat_sizes.items()} }")

    t0 = time.perf_counter()
    folder = CACHE / "speed-million" / "ivf"
    index, params = build_part(x, folder)
    result["build_s"] = round(time.perf_counter() - t0, 1)
    result["params"] = params
    result["flat_max"] = FLAT_MAX
    log(f"million: built {params} in {result['build_s']} s, rss {rss_mb()} MiB")
    sweep = {}
    for nprobe in (4, 8, 16, 32, 64, 128, 256):
        index.nprobe = nprobe
        sweep[nprobe] = search_stats(index, queries, truth)
        log(f"million: nprobe {nprobe}: {sweep[nprobe]}")
    result["nprobe_sweep"] = sweep
    index.nprobe = params["nprobe"]
    result["default"] = sweep.get(params["nprobe"]) or search_stats(index, queries, truth)
    t = []
    for q in queries:  # what the engine asks: the 100 dense candidates of a hybrid search
        t1 = time.perf_counter()
        index.search(q[None], 100)
        t.append(time.perf_counter() - t1)
    result["default_k100"] = ms(t)
    result["file_mb"] = round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1)
    result["loaded"] = loaded_rss(folder, n, params)
    result["vectors_alone_mb"] = round(n * dim * 4 / 2**20, 1)
    del index
    shutil.rmtree(folder)
    if uniform:  # the worst case: no structure at all, every vector equally far
        xu = uniform_unit_vectors(n, dim, rng)
        qu = uniform_unit_vectors(n_queries, dim, rng)
        tu = exact_top(xu, qu, 10)
        t0 = time.perf_counter()
        index, params = build_part(xu, CACHE / "speed-million" / "ivf-uniform")
        build_s = round(time.perf_counter() - t0, 1)
        del xu
        result["uniform"] = {"build_s": build_s, "params": params, "nprobe_sweep": {}}
        for nprobe in (32, 128, 512):
            index.nprobe = nprobe
            result["uniform"]["nprobe_sweep"][nprobe] = search_stats(index, qu, tu)
            log(f"million uniform: nprobe {nprobe}: {result['uniform']['nprobe_sweep'][nprobe]}")
        del index
        shutil.rmtree(CACHE / "speed-million" / "ivf-uniform")
    result["peak_rss_mb"] = peak_rss_mb()
    result["targets"] = {"p50_ms": 5, "recall_at_10": 0.95}
    return result


# ---- bm25 ------------------------------------------------------------------------------
BM25_RSS = """
import json, sys, time
from pathlib import Path
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')) / 1024
import bm25s, Stemmer, numpy
from qa_bot.index.lexical import LexicalIndex
before = rss(); t0 = time.perf_counter(); ix = LexicalIndex.load(Path(sys.argv[1]), int(sys.argv[2]))
print(json.dumps({"load_s": round(time.perf_counter() - t0, 2), "rss_mb": round(rss() - before, 1)}))
"""


def synthetic_texts(n: int, rng: random.Random, vocab: list[str], weights: list[float]
                    ) -> list[str]:
    lengths = [rng.randint(6, 20) for _ in range(n)]
    words = rng.choices(vocab, weights=weights, k=sum(lengths))
    out, i = [], 0
    for m in lengths:
        out.append(" ".join(words[i:i + m]))
        i += m
    return out


def part_bm25(n: int, n_queries: int) -> dict:
    """Zipf-distributed words from a 50,000-word synthetic vocabulary, 6-20 per text."""
    from qa_bot.index.lexical import LexicalIndex
    from qa_bot.retrieval import top_rows

    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = list(dict.fromkeys("".join(rng.choices(letters, k=rng.randint(3, 10)))
                               for _ in range(60_000)))[:50_000]
    weights = [1 / (r + 1) for r in range(len(vocab))]
    texts = synthetic_texts(n, rng, vocab, weights)
    queries = synthetic_texts(n_queries, rng, vocab, weights)
    queries = [" ".join(q.split()[:5]) for q in queries]
    t0 = time.perf_counter()
    lex = LexicalIndex.build(texts)
    build_s = round(time.perf_counter() - t0, 1)
    del texts
    folder = CACHE / "speed-million" / "bm25"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    lex.save(folder)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    times = []
    for q in queries:
        t1 = time.perf_counter()
        top_rows(lex.scores(q), 100)  # what the hybrid search does with it
        times.append(time.perf_counter() - t1)
    out = subprocess.run([sys.executable, "-c", BM25_RSS, str(folder), str(n)], check=True,
                         capture_output=True, text=True, env=env(), cwd=REPO)
    shutil.rmtree(folder, ignore_errors=True)
    return {"n": n, "queries": n_queries, "build_s": build_s, "files_mb": round(size, 1),
            "loaded": json.loads(out.stdout), "query_top100": ms(times),
            "peak_rss_mb": peak_rss_mb()}


# ---- docs/speed.md ---------------------------------------------------------------------
def load_result(part: str) -> dict | None:
    path = RESULTS / f"speed-{part}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def table_rows() -> list[tuple[str, str, str, str]]:
    """(measure, result, target, when/load) from the result files present."""
    rows = []
    mark = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    if (r := load_result("cold")):
        m = r["median_s"]
        rows.append(("cold `qa-bot ask` (seed index), median wall",
                     f"{m['qa_bot_ask']:.2f} s; `import sentence_transformers` "
                     f"{m['import_sentence_transformers']:.2f} s (ratio "
                     f"{r['ratio_ask_to_import_st']:.2f}); naive ask {m['naive_ask']:.2f} s",
                     f"<= 1.5 s: {mark(m['qa_bot_ask'] <= 1.5)}; <= 0.2x: "
                     f"{mark(r['ratio_ask_to_import_st'] <= 0.2)}", r["machine"]))
    if (r := load_result("warm") or load_result("warm-first1000")):
        a = r["ask"]
        rows.append((f"warm `Engine.ask`, {r['questions']} SciFact claims, "
                     f"{r['documents']} abstracts ({r['chunks']} chunks)",
                     f"p50 {a['p50_ms']:.1f} ms, p95 {a['p95_ms']:.1f} ms",
                     f"p50 <= 15: {mark(a['p50_ms'] <= 15)}; p95 <= 30: "
                     f"{mark(a['p95_ms'] <= 30)}", r["machine"]))
    if (r := load_result("build")):
        for label in ("chunks", "sentences"):
            b = r[label]
            ps = b["passages_per_s"]
            rows.append((f"build: {b['texts']} SciFact {label} (mean {b['mean_tokens']} tokens)",
                         f"{ps['onnx_build']:.1f}/s vs sentence-transformers bs32 "
                         f"{ps['sentence_transformers_bs32']:.1f}/s (x{b['ratio']:.2f})",
                         f">= 1.5x: {mark(b['ratio'] >= 1.5)}" if label == "chunks" else
                         f"chunks + sentences together: x{r['chunks_and_sentences_ratio']:.2f}",
                         r["machine"]))
    if (r := load_result("million")):
        from qa_bot.index.vectors import ivf_params

        # nprobe is a search-time setting: the row of the sweep the code now chooses
        nprobe = str(ivf_params(r["n"])["nprobe"])
        d = r["nprobe_sweep"].get(nprobe, r["default"])
        rows.append((f"1,000,000 vectors, {r['params']['type']} nlist "
                     f"{r['params']['nlist']} nprobe {nprobe}",
                     f"build {r['build_s']:.0f} s; p50 {d['p50_ms']:.2f} ms, p95 "
                     f"{d['p95_ms']:.2f} ms, recall@10 {d['recall_at_10']:.3f}; loaded "
                     f"{r['loaded']['rss_mb']:.0f} MiB RSS",
                     f"p50 <= 5 ms at recall >= 0.95: "
                     f"{mark(d['p50_ms'] <= 5 and d['recall_at_10'] >= 0.95)}", r["machine"]))
        if "uniform" in r:
            u = r["uniform"]["nprobe_sweep"]
            best = max(u, key=lambda k: u[k]["recall_at_10"])
            rows.append(("same, structureless uniform random vectors",
                         "; ".join(f"nprobe {k}: {v['p50_ms']:.1f} ms, recall "
                                   f"{v['recall_at_10']:.2f}" for k, v in u.items()),
                         f"recall 0.95: **missed** (best {u[best]['recall_at_10']:.2f})",
                         r["machine"]))
    if (r := load_result("bm25")):
        q = r["query_top100"]
        rows.append((f"BM25 over {r['n']:,} short texts",
                     f"build {r['build_s']:.0f} s; loaded {r['loaded']['rss_mb']:.0f} MiB RSS; "
                     f"query+top100 p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms",
                     "(reported)", r["machine"]))
    return rows


def write_report(path: Path = REPO / "docs" / "speed.md") -> None:
    """The performance table from the result files, with when and how loaded the
    machine was for each row."""
    lines = ["| measure | result | target | measured |", "| --- | --- | --- | --- |"]
    for what, result, target, m in table_rows():
        lines.append(f"| {what} | {result} | {target} | {m['date']}, {m['cores']} cores "
                     f"{m['cpu']}, load {m['load_avg_1m']} |")
    table = "\n".join(lines)
    begin, end = "<!-- speed-table:begin -->", "<!-- speed-table:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else f"{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{begin}\n{table}\n{end}{tail}", encoding="utf-8")
    log(f"wrote the table into {path.relative_to(REPO)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.speed")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts: {', '.join(PARTS)} (default: all)")
    p.add_argument("--n", type=int, default=1_000_000, help="synthetic index size")
    p.add_argument("--queries", type=int, default=1000, help="warm: SciFact questions")
    p.add_argument("--rounds", type=int, default=5, help="cold: rounds")
    p.add_argument("--docs", type=int, default=0,
                   help="warm/build: index only the first N SciFact abstracts (0: all 5,183)")
    p.add_argument("--build-chunks", type=int, default=800, help="build: chunks encoded")
    p.add_argument("--report", action="store_true",
                   help="only rewrite the table in docs/speed.md from the result files")
    p.add_argument("--no-uniform", action="store_true",
                   help="million: skip the structureless worst case")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parts = [] if args.report else [s.strip() for s in args.only.split(",") if s.strip()]
    for part in parts:
        if part not in PARTS:
            p.error(f"unknown part {part!r} (known: {', '.join(PARTS)})")
    for part in parts:
        log(f"{part}: start")
        if part == "cold":
            save(part, part_cold(args.rounds))
        elif part == "warm":
            save(part + (f"-first{args.docs}" if args.docs else ""),
                 part_warm(args.queries, args.docs))
        elif part == "build":
            save(part, part_build(args.build_chunks, 2, args.docs))
        elif part == "million":
            save(part if args.n == 1_000_000 else f"million-{args.n}",
                 part_million(args.n, 200, not args.no_uniform))
        elif part == "bm25":
            save(part, part_bm25(args.n, 200))
    write_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
