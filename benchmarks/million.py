"""The 1,000,000-chunk benchmark (issue 13): build, cold ask, warm ask, one-document sync.

    python -m benchmarks.million                      # every part, 1,000,000 chunks
    python -m benchmarks.million --only corpus        # write the corpus only (or any of:
                                                      # build cold warm sync)
    python -m benchmarks.million --chunks 50000       # a smaller run (its own folder)
    python -m benchmarks.million --out PATH           # results elsewhere (default
                                                      # benchmarks/results/million.json)

Run with HF_HUB_OFFLINE=1 and OPENBLAS_NUM_THREADS=1 from the project root. To measure a
fixed commit while the tree changes: `git archive REV qa_bot | tar -x -C DIR`, then from
another folder `PYTHONPATH=DIR:/work/main python -m benchmarks.million ...` (the CLI children
inherit it; a CODE_VERSION file in DIR names the code in the results). Parts merge into the
results file; each records the date and qa_bot version it ran on.

corpus: natural documents read in place from ../shared/benchmarks (a BBC article, a SciFact
title + abstract, a SQuAD Wikipedia article: its paragraphs, title first), replicated into
distinct editions (edition k: paragraphs rotated by k, the title naming the edition) until
the project's own chunker (counted on a sample) says the index will hold >= N chunks. Files
go to benchmarks/cache/million/corpus/<folder of 1000>/ and are reused when present.

build: `qa_bot.indexer.sync` in this process, wall time and peak RSS; bytes of the index on
disk (segments, generations, texts) and per chunk; the embedding cache apart. The vectors
come from a stand-in embedder derived from real MiniLM vectors (see StandInEmbedder), so
the build costs minutes, not the ~10 hours the model would take; texts, chunking, BM25,
FAISS, sentences and manifest are all real. An index that no longer loads (another format
version) is rebuilt with --full semantics: cleared but for its embedding cache, which
serves every vector again.

cold: the real CLI, `qa-bot --config C ask Q --json`, as a child process, alternating with
the same command over a seed index (one article), one warm-up each then 5 rounds each:
median wall time, their ratio, peak RSS of each child (/usr/bin/time).

warm: an Engine over the 1M index asks 200 questions (SQuAD dev and BBC news questions,
query vectors by the real model): p50/p95 of `engine.ask`, of the query embedding and of
the retrieval alone (`qa_bot.retrieval.search`, BM25 included).

sync: with the real model loaded and a first sync with nothing changed done (its time is
reported: the floor of any sync), one document gets a new paragraph and `Engine.sync` runs:
wall time and bytes written, 3 rounds, a different document each round; the files get
their generated text back and a last sync brings the index in line.
Results: benchmarks/results/million.json."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.sync import disk_bytes, written_bytes
from qa_bot.config import Config, CorpusConfig, IndexConfig
from qa_bot.embedder import MODEL_DIM

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "benchmarks"
CACHE = ROOT / "cache"
RESULTS = ROOT / "results"
PROJECT = ROOT.parent
SEEDS = PROJECT / "seeds"
QA_BOT = PROJECT / ".venv" / "bin" / "qa-bot"
POOL_CACHES = [CACHE / "bbc" / "cache.sqlite", *sorted((CACHE / "squad").glob("*/cache.sqlite"))]
SIGMA = 0.02
PER_FOLDER = 1000
COLD_QUESTION = "How much did Time Warner's movie business earn in the final quarter of 2004?"


# ---- the stand-in embedder ----------------------------------------------------------------
def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def load_pool(paths: list[Path] = POOL_CACHES) -> np.ndarray:
    """Every real MiniLM vector in the given embedding caches (float32 blobs of dim 384,
    optionally followed by their CRC-32), one row each, duplicates dropped."""
    seen: set[str] = set()
    rows: list[np.ndarray] = []
    for path in paths:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for key, blob in db.execute("SELECT key, vec FROM vectors"):
            if key not in seen and len(blob) in (4 * MODEL_DIM, 4 * MODEL_DIM + 4):
                seen.add(key)
                rows.append(np.frombuffer(blob[:4 * MODEL_DIM], dtype=np.float32))
        db.close()
    pool = np.stack(rows)
    return pool / np.linalg.norm(pool, axis=1, keepdims=True)


class StandInEmbedder:
    """pool[stable_hash(text) % len(pool)] + Gaussian noise (SIGMA per dimension, seeded by
    the hash), renormalised: a real MiniLM vector per text, picked by the text, made unique."""

    name = "stand-in"
    dim = MODEL_DIM
    pool: np.ndarray | None = None

    def __init__(self) -> None:
        if StandInEmbedder.pool is None:
            StandInEmbedder.pool = load_pool()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        pool = StandInEmbedder.pool
        hashes = [stable_hash(t) for t in texts]
        out = pool[[h % len(pool) for h in hashes]].astype(np.float32)
        for i, h in enumerate(hashes):
            out[i] += SIGMA * np.random.default_rng(h).standard_normal(self.dim, np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    @staticmethod
    def description() -> str:
        n = len(StandInEmbedder.pool) if StandInEmbedder.pool is not None else 0
        return (f"stand-in: per text, one of {n} real all-MiniLM-L6-v2 vectors (read from the "
                f"embedding caches of benchmarks/cache/bbc and benchmarks/cache/squad/*) "
                f"picked by sha256(text) % {n}, plus Gaussian noise sigma {SIGMA} per "
                f"dimension seeded by the same hash, renormalised to unit length; query "
                f"vectors (cold, warm, sync) come from the real model")


# ---- the corpus ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BaseDoc:
    name: str  # source-id, unique
    topic: str
    title: str
    paragraphs: tuple[str, ...]

    def edition(self, k: int) -> str:
        """Edition k: paragraphs rotated by k, the title naming the edition."""
        r = k % len(self.paragraphs)
        paras = self.paragraphs[r:] + self.paragraphs[:r]
        return f"{self.topic}\n\n{self.title} (edition {k + 1})\n\n" + "\n\n".join(paras) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def bbc_docs() -> list[BaseDoc]:
    out = []
    for path in sorted((SHARED / "bbc").glob("*/*.txt")):
        blocks = [_one_line(b) for b in path.read_text(encoding="utf-8").split("\n\n")]
        blocks = [b for b in blocks if b]
        if len(blocks) >= 2:
            out.append(BaseDoc(f"bbc-{path.parent.name}-{path.stem}", path.parent.name,
                               blocks[0], tuple(blocks[1:])))
    return out


def scifact_docs() -> list[BaseDoc]:
    out = []
    with open(SHARED / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            title, text = _one_line(d["title"]).rstrip("."), _one_line(d["text"])
            if title and text:
                out.append(BaseDoc(f"scifact-{d['_id']}", "science", title[:180], (text,)))
    return out


def squad_articles(name: str) -> list[dict]:
    with zipfile.ZipFile(SHARED / "squad" / f"{name}.json.zip") as z:
        return json.loads(z.read(f"{name}.json"))["data"]


def squad_docs() -> list[BaseDoc]:
    out = []
    for split in ("dev-v1.1", "train-v1.1-rebuilt"):
        for a, art in enumerate(squad_articles(split)):
            paras = tuple(_one_line(p["context"]) for p in art["paragraphs"])
            out.append(BaseDoc(f"squad-{split.split('-')[0]}-{a:03d}", "wikipedia",
                               art["title"].replace("_", " "), paras))
    return out


def base_docs() -> list[BaseDoc]:
    return bbc_docs() + scifact_docs() + squad_docs()


def chunks_per_doc(docs: list[BaseDoc], sample: int, seed: int = 13) -> tuple[float, int]:
    """(mean chunks per document edition, documents counted): the project's own chunker
    with the default settings, on a random sample of editions 1..3 of the documents."""
    from qa_bot.chunking import Chunker, token_counter
    from qa_bot.documents import load_document
    from qa_bot.embedder import tokenizer_file

    cfg = Config()
    chunker = Chunker(token_counter(str(tokenizer_file())), cfg.chunking.max_tokens,
                      cfg.chunking.target_tokens)
    rng = random.Random(seed)
    picked = rng.sample(docs, min(sample, len(docs)))
    total = 0
    for d in picked:
        raw = d.edition(rng.randint(0, 2)).encode("utf-8")
        total += len(chunker.chunk(load_document(Path(f"/sample/{d.name}.txt"), raw)))
    return total / len(picked), len(picked)


def pristine(path: Path) -> str:
    """The text a corpus file was written with (its name says document and edition)."""
    name, edition = path.stem.rsplit("-e", 1)
    doc = next(d for d in base_docs() if d.name == name)
    return doc.edition(int(edition) - 1)


def write_corpus(base: Path, target_chunks: int) -> dict:
    """The corpus for `target_chunks` (sized on a sample, 2% to spare), or the one already
    written for it. Returns its description (also stored as corpus.json)."""
    info_file = base / "corpus.json"
    if info_file.exists():
        info = json.loads(info_file.read_text())
        if info.get("target_chunks") == target_chunks:
            return info
    t = time.perf_counter()
    docs = base_docs()
    rng = random.Random(5)
    rng.shuffle(docs)  # sources interleaved, so a partial edition is a mix of them
    per_doc, sampled = chunks_per_doc(docs, 600)
    n_docs = math.ceil(target_chunks * 1.02 / per_doc)
    corpus = base / "corpus"
    count = 0
    for k in range(math.ceil(n_docs / len(docs))):
        for d in docs:
            if count == n_docs:
                break
            folder = corpus / f"{count // PER_FOLDER:04d}"
            if count % PER_FOLDER == 0:
                folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{d.name}-e{k + 1:02d}.txt").write_text(d.edition(k), encoding="utf-8")
            count += 1
    info = {"target_chunks": target_chunks, "base_documents": len(docs),
            "base_by_source": {s: sum(d.name.startswith(s) for d in docs)
                               for s in ("bbc", "scifact", "squad")},
            "documents": count, "editions": math.ceil(n_docs / len(docs)),
            "sample_documents": sampled, "sample_chunks_per_document": round(per_doc, 3),
            "estimated_chunks": round(count * per_doc), "bytes": disk_bytes(corpus),
            "write_s": round(time.perf_counter() - t, 1)}
    info_file.write_text(json.dumps(info, indent=1) + "\n")
    print(f"corpus: {count} documents ({info['editions']} editions of {len(docs)}), about "
          f"{info['estimated_chunks']} chunks, in {info['write_s']} s", file=sys.stderr)
    return info


# ---- configs ------------------------------------------------------------------------------
def config(base: Path) -> Config:
    return Config(corpus=CorpusConfig(paths=[str(base / "corpus")]),
                  index=IndexConfig(dir=str(base / "index")), base_dir=base)


def config_file(path: Path, corpus: Path, index: Path) -> Path:
    path.write_text(f'[corpus]\npaths = ["{corpus}"]\n\n[index]\ndir = "{index}"\n',
                    encoding="utf-8")
    return path


# ---- build --------------------------------------------------------------------------------
def clear_index(index: Path) -> None:
    """Remove every file of the index but its embedding cache (and lock and marker): what
    `qa-bot index --full` builds from, without the old generations it keeps for rollback."""
    keep = ("cache.sqlite", "QA_BOT_INDEX", ".lock")
    for p in index.iterdir():
        if p.name.startswith(keep):
            continue
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


def sync_or_rebuild(cfg: Config, embedder_factory, **kw):
    """indexer.sync; an index another format version wrote ("run `qa-bot index --full`")
    is cleared but for its embedding cache and built again (the cache serves)."""
    from qa_bot.errors import QaBotError
    from qa_bot.indexer import sync

    try:
        return sync(cfg, embedder_factory=embedder_factory, **kw), False
    except QaBotError as exc:
        if "--full" not in str(exc):
            raise
        print(f"rebuilding: {exc}", file=sys.stderr)
        clear_index(cfg.index_dir)
        return sync(cfg, embedder_factory=embedder_factory, **kw), True


def index_loads(base: Path) -> bool:
    """Whether the index exists and this qa_bot reads it (False for one that asks for
    `qa-bot index --full`: another format version)."""
    from qa_bot.engine import Engine
    from qa_bot.errors import QaBotError

    if not (base / "index" / "CURRENT").exists():
        return False
    try:
        Engine(config(base)).generation()
        return True
    except QaBotError as exc:
        if "--full" not in str(exc):
            raise
        print(f"the index needs a rebuild: {exc}", file=sys.stderr)
        return False


def index_bytes(index: Path) -> dict:
    """Bytes on disk of the index apart from the embedding cache and the ONNX export."""
    total = disk_bytes(index)
    cache = sum(p.stat().st_size for p in index.glob("cache.sqlite*"))
    model = disk_bytes(index / "model") if (index / "model").exists() else 0
    parts = {p.name: disk_bytes(p) for p in index.iterdir() if p.is_dir() and p.name != "model"}
    return {"index": total - cache - model, "cache": cache, "onnx_model": model,
            "by_folder": {k: parts[k] for k in sorted(parts)}}


def bench_build(base: Path) -> dict | None:
    """Sync the index with the corpus with the stand-in embedder; None when nothing
    changed (the index of an earlier run serves as it is)."""
    cfg = config(base)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    report, rebuilt = sync_or_rebuild(cfg, StandInEmbedder, progress=False, lock_timeout=60)
    wall = time.perf_counter() - t
    if not report.changed and not rebuilt:
        print("build: the index is up to date", file=sys.stderr)
        return None
    from qa_bot.engine import Engine

    gen = Engine(cfg).generation()
    chunks = len(gen.chunks)
    sizes = index_bytes(cfg.index_dir)
    out = {"wall_s": round(wall, 1), "peak_rss_mb": round(resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024), "rss_before_mb": round(rss0 / 1024),
        "full_rebuild": rebuilt, "documents": len(report.added) + len(report.updated)
        + report.unchanged, "chunks": chunks, "chunks_embedded": report.chunks_embedded,
        "segments": len(gen.segments), "merged": report.merged, "disk_bytes": sizes,
        "disk_bytes_per_chunk": round(sizes["index"] / chunks, 1)}
    print(f"build: {out['documents']} documents, {chunks} chunks in {wall:.0f} s, peak RSS "
          f"{out['peak_rss_mb']} MB, index {sizes['index'] / 2**30:.2f} GiB "
          f"({out['disk_bytes_per_chunk']:.0f} B/chunk), cache {sizes['cache'] / 2**30:.2f} GiB",
          file=sys.stderr)
    return out


# ---- cold ---------------------------------------------------------------------------------
def timed_child(cmd: list[str], env: dict) -> tuple[float, int, int, str]:
    """(wall s, peak RSS MB, exit code, stdout) of one child process. The RSS comes from
    /usr/bin/time: a child forked from this (large) process would report this process's
    RSS as its own peak (the high-water mark survives exec)."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", *cmd], env=env,
                          capture_output=True)
    wall = time.perf_counter() - t
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    rss = int(err[-1].split("=")[1]) if err and err[-1].startswith("maxrss_kb=") else -1
    out = proc.stdout.decode("utf-8", "replace").strip() or "\n".join(err[:-1])
    return wall, round(rss / 1024), proc.returncode, out


def seed_index(base: Path) -> Path:
    """A config over seeds/ with its own index, synced by `qa-bot index` with the real model
    (rebuilt with --full when the index format changed)."""
    cfg_path = config_file(base / "seed-config.toml", SEEDS, base / "seed-index")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [str(QA_BOT), "--config", str(cfg_path), "index"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 and "--full" in proc.stderr:
        proc = subprocess.run(cmd + ["--full"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return cfg_path


def bench_cold(base: Path, rounds: int = 5) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    configs = {"million": config_file(base / "config.toml", base / "corpus", base / "index"),
               "seed": seed_index(base)}
    cmds = {k: [str(QA_BOT), "--config", str(c), "ask", COLD_QUESTION, "--json"]
            for k, c in configs.items()}
    runs: dict[str, list[tuple[float, int]]] = {k: [] for k in cmds}
    answers = {}
    for r in range(rounds + 1):  # round 0: the warm-up of each
        for k, cmd in cmds.items():
            wall, rss, code, text = timed_child(cmd, env)
            if code != 0:
                raise RuntimeError(f"{' '.join(cmd)} exited {code}: {text[-500:]}")
            if r:
                runs[k].append((round(wall, 3), rss))
            answers[k] = json.loads(text.splitlines()[-1])
            print(f"cold ask ({k}, {'warm-up' if r == 0 else f'round {r}'}): {wall:.2f} s, "
                  f"{rss} MB", file=sys.stderr)
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    return {"question": COLD_QUESTION, "rounds": rounds,
            "command": "qa-bot --config C ask Q --json (a new process; files in the page cache)",
            "wall_s": {k: [w for w, _ in v] for k, v in runs.items()},
            "peak_rss_mb": {k: [m for _, m in v] for k, v in runs.items()},
            "median_s": {k: round(v, 3) for k, v in med.items()},
            "ratio": round(med["million"] / med["seed"], 2),
            "million_peak_rss_mb": max(m for _, m in runs["million"]),
            "answered": {k: a["answered"] for k, a in answers.items()},
            "million_answer": answers["million"]["answer"][:300],
            "target_s": 1.5, "target_ratio": 1.3, "target_rss_mb": 1024}


# ---- warm ---------------------------------------------------------------------------------
def questions(n: int, seed: int = 3) -> list[str]:
    """n/2 SQuAD dev questions and n/2 BBC news questions (answerable ones), at random."""
    rng = random.Random(seed)
    squad = [qa["question"].strip() for art in squad_articles("dev-v1.1")
             for p in art["paragraphs"] for qa in p["qas"]]
    news = []
    for topic in ("business", "politics", "sport"):
        with open(ROOT / "news_qa" / f"{topic}.jsonl", encoding="utf-8") as f:
            news += [q["question"] for q in map(json.loads, f) if q["kind"] == "answerable"]
    return rng.sample(squad, n // 2) + rng.sample(news, n - n // 2)


def percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 2),
            "p95_ms": round(float(np.percentile(a, 95)), 2),
            "mean_ms": round(float(a.mean()), 2), "max_ms": round(float(a.max()), 2)}


def bench_warm(base: Path, n: int = 200) -> dict:
    from qa_bot.engine import Engine
    from qa_bot.retrieval import search

    cfg = config(base)
    engine = Engine(cfg)
    t = time.perf_counter()
    gen = engine.generation()
    load_s = time.perf_counter() - t
    engine.ask("warm up: who won the final?")
    qs = questions(n)
    encode_ms, search_ms, ask_ms, answered = [], [], [], 0
    limit = max(cfg.retrieval.top_k * 4, 20)  # as Engine.ask_detailed asks
    for q in qs:
        t = time.perf_counter()
        vec = engine.encode([q])[0]
        encode_ms.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        search(gen, vec, q, cfg.retrieval, limit=limit)
        search_ms.append(1000 * (time.perf_counter() - t))
    for q in qs:
        t = time.perf_counter()
        answered += engine.ask(q).answered
        ask_ms.append(1000 * (time.perf_counter() - t))
    out = {"questions": n, "chunks": len(gen.chunks), "load_s": round(load_s, 2),
           "ask": percentiles(ask_ms), "retrieval": percentiles(search_ms),
           "query_embedding": percentiles(encode_ms), "answered": answered,
           "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           "target_p50_ms": 15, "target_p95_ms": 30}
    print(f"warm: ask p50 {out['ask']['p50_ms']} ms p95 {out['ask']['p95_ms']} ms; retrieval "
          f"p50 {out['retrieval']['p50_ms']} ms p95 {out['retrieval']['p95_ms']} ms; query "
          f"embedding p50 {out['query_embedding']['p50_ms']} ms", file=sys.stderr)
    return out


# ---- sync ---------------------------------------------------------------------------------
def bench_sync(base: Path, rounds: int = 3) -> dict:
    """One changed document per round (a different one each time), the model loaded."""
    from qa_bot.embedder import load_embedder
    from qa_bot.engine import Engine
    from qa_bot.index.onnx_export import index_export

    cfg = config(base)
    model = load_embedder(index_export(cfg.index_dir))  # as `qa-bot index --watch` runs it
    engine = Engine(cfg, embedder_factory=lambda: model)
    model.encode(["warm up"])
    files = sorted((base / "corpus").glob("*/*.txt"))
    targets = [files[(42 + k * len(files) // rounds) % len(files)] for k in range(rounds)]
    originals = {p: pristine(p).encode("utf-8") for p in targets}
    runs = []
    w, t = written_bytes(), time.perf_counter()
    noop = engine.sync(progress=False, lock_timeout=60)  # the first: it also loads the index
    first = {"wall_s": round(time.perf_counter() - t, 3), "bytes_written": written_bytes() - w,
             "changed": noop.changed}
    print(f"sync, nothing changed (the first of this engine): {first['wall_s']:.2f} s",
          file=sys.stderr)
    try:
        for k, target in enumerate(targets):
            with open(target, "a", encoding="utf-8") as f:
                f.write(f"\nA new paragraph was added in revision {k} of run {time.time_ns()}, "
                        f"after the board met again.\n")
            size = disk_bytes(cfg.index_dir)
            w, t = written_bytes(), time.perf_counter()
            report = engine.sync(progress=False, lock_timeout=60)
            wall = time.perf_counter() - t
            written = written_bytes() - w
            runs.append({"document": target.name, "wall_s": round(wall, 3),
                         "updated": len(report.updated), "unchanged": report.unchanged,
                         "chunks_embedded": report.chunks_embedded, "merged": report.merged,
                         "bytes_written": written, "index_bytes": size,
                         "written_share": round(written / size, 5)})
            print(f"sync, one changed document: {wall:.2f} s, {report.chunks_embedded} chunks "
                  f"embedded, {written / 2**20:.1f} MiB written", file=sys.stderr)
    finally:
        for p, raw in originals.items():
            p.write_bytes(raw)
        engine.sync(progress=False, lock_timeout=60)  # the index matches the corpus again
    return {"first_sync_nothing_changed": first, "rounds": runs,
            "best_wall_s": min(r["wall_s"] for r in runs),
            "segments_after": len(engine.generation().segments), "target_s": 2.0}


# ---- main ---------------------------------------------------------------------------------
def code_version() -> dict:
    """Which qa_bot ran: its folder, and the CODE_VERSION note of a snapshot beside it (a
    `git archive` of a commit on PYTHONPATH) or `git describe` of the project."""
    import qa_bot

    folder = Path(qa_bot.__file__).resolve().parent
    note = folder.parent / "CODE_VERSION"
    if note.exists():
        version = note.read_text().strip()
    else:
        git = ["git", "-C", str(PROJECT)]
        last = subprocess.run(git + ["log", "-1", "--format=%h", "--", "qa_bot"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--", "qa_bot"],
                               capture_output=True, text=True).stdout.strip()
        version = f"qa_bot as of {last}" + (" with uncommitted changes" if dirty else "")
    return {"qa_bot": str(folder), "version": version}


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=["corpus", "build", "cold", "warm", "sync"],
                   help="these parts only (the corpus is always there; the index is built "
                        "when a part needs it and it is missing or of another format)")
    p.add_argument("--chunks", type=int, default=1_000_000)
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--out", type=Path, help="results file (default: results/million.json, "
                   "results/million-<N>.json for another --chunks)")
    args = p.parse_args()
    default = args.chunks == 1_000_000
    base = CACHE / ("million" if default else f"million-{args.chunks}")
    base.mkdir(parents=True, exist_ok=True)
    out_file = args.out or RESULTS / ("million.json" if default else f"million-{args.chunks}.json")
    result = json.loads(out_file.read_text()) if out_file.exists() else {}
    stamp = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
             "code": code_version()["version"]}  # each part's own: parts merge across runs
    result.update({"date": stamp["date"], "machine": machine(), "code": code_version(),
                   "load_avg_start": os.getloadavg(),
                   "target_chunks": args.chunks})
    StandInEmbedder()
    result["vectors"] = StandInEmbedder.description()
    parts = args.only or ["corpus", "build", "cold", "warm", "sync"]
    result["corpus"] = write_corpus(base, args.chunks)
    needs_index = any(x in parts for x in ("cold", "warm", "sync"))
    if "build" in parts or needs_index and not index_loads(base):
        build = bench_build(base)
        if build is not None:
            result["build"] = {**build, **stamp}
        save(result, out_file)
    benches = {"cold": lambda: bench_cold(base), "warm": lambda: bench_warm(base, args.questions),
               "sync": lambda: bench_sync(base)}
    for name, bench in benches.items():
        if name in parts:
            result[name] = {**bench(), **stamp}
            save(result, out_file)
    save(result, out_file)
    print(summary(result))


def save(result: dict, out_file: Path) -> None:
    """Write the results so far (each part as soon as it is measured)."""
    result["load_avg_end"] = os.getloadavg()
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(result, indent=1) + "\n")


def summary(r: dict) -> str:
    lines = [f"{r['corpus']['documents']} documents"]
    if "build" in r:
        b = r["build"]
        lines.append(f"build: {b['chunks']} chunks in {b['wall_s']} s, peak RSS "
                     f"{b['peak_rss_mb']} MB, index {b['disk_bytes']['index'] / 2**30:.2f} GiB "
                     f"= {b['disk_bytes_per_chunk']:.0f} B/chunk, embedding cache "
                     f"{b['disk_bytes']['cache'] / 2**30:.2f} GiB")
    if "cold" in r:
        c = r["cold"]
        lines.append(f"cold ask: {c['median_s']['million']} s vs seed {c['median_s']['seed']} s "
                     f"(x{c['ratio']}), peak RSS {c['million_peak_rss_mb']} MB "
                     f"(targets 1.5 s, x1.3, 1024 MB)")
    if "warm" in r:
        w = r["warm"]
        lines.append(f"warm: ask p50/p95 {w['ask']['p50_ms']}/{w['ask']['p95_ms']} ms, "
                     f"retrieval {w['retrieval']['p50_ms']}/{w['retrieval']['p95_ms']} ms "
                     f"(targets 15/30 ms)")
    if "sync" in r:
        s = r["sync"]
        lines.append(f"sync of one changed document: best {s['best_wall_s']} s of "
                     f"{[x['wall_s'] for x in s['rounds']]} (target 2 s)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
