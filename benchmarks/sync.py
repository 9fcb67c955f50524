"""Incremental sync at scale, and crash safety under random kills.

    python -m benchmarks.sync                 # both parts
    python -m benchmarks.sync --only sync     # 10,000 documents, one changed
    python -m benchmarks.sync --only kills    # 20 SIGKILLs at random moments of real builds
    python -m benchmarks.sync --only verify   # `qa-bot index --verify` on the 10,000

sync: a synthetic corpus of 10,000 short news-like articles is indexed once (its initial
vectors come from a seeded stand-in embedder, so the set-up costs seconds, not the hour the
model would take; the chunk texts, BM25, FAISS and manifest are all real). Then one article
gets a new paragraph and `Engine.sync` runs with the real model, already loaded: the wall
time of that sync (model load excluded) and the chunks it embedded are the result.

kills: a real `qa-bot index` subprocess over a corpus that needs embedding is killed with
SIGKILL at a random moment, 20 times, each time after one more article was added; every
other time the command is `qa-bot index --merge` (a sync, then a merge of every segment),
killed at a random moment of its own duration. After each kill the index must load and
hold exactly the previous or the new document set, and a question asked then must quote
its source verbatim; a final sync must finish cleanly. Results:
benchmarks/results/sync.json."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from qa_bot.config import Config, CorpusConfig, IndexConfig
from qa_bot.embedder import MODEL_DIM, load_embedder
from qa_bot.engine import Engine

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / "cache"
RESULTS = ROOT / "results"
WORDS = ("harbour council minister strike railway election budget court police village "
         "hospital school river bridge market factory union farmers drought flood storm "
         "museum festival airport tax prices wages energy pipeline port cargo exports "
         "treaty border ceasefire talks summit protest mayor governor senate ruling appeal "
         "inquiry report figures growth decline record quarter season league final coach").split()


class StandInEmbedder:
    """Seeded unit vectors per text: only for filling the initial index quickly."""

    name = "stand-in"
    dim = MODEL_DIM

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


def article(i: int, rng: random.Random) -> str:
    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        return " ".join(words).capitalize() + "."

    paras = [" ".join(sentence() for _ in range(rng.randint(1, 3))) for _ in range(3)]
    return f"news\n\nReport number {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n\n" + \
        "\n\n".join(paras) + "\n"


def config(base: Path, corpus: Path) -> Config:
    return Config(corpus=CorpusConfig(paths=[str(corpus)]),
                  index=IndexConfig(dir=str(base / "index")), base_dir=base)


def disk_bytes(folder: Path) -> int:
    """Bytes the files below `folder` hold (what `du --apparent-size` counts)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def written_bytes() -> int:
    """Bytes this process has passed to write(2) so far (/proc/self/io `wchar`): the
    index files, the embedding cache and its journal, whatever a sync writes."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))


def rebuild_if_older(engine: Engine) -> None:
    """An index an older qa-bot wrote (its format refused with "run `qa-bot index
    --full`") is rebuilt from its embedding cache, so a benchmark measures this format."""
    from qa_bot.errors import IndexIncompatibleError

    try:
        engine.generation()
    except IndexIncompatibleError as exc:
        print(f"rebuilding: {exc}", file=sys.stderr)
        t = time.perf_counter()
        engine.sync(full=True, progress=False)
        print(f"rebuilt in {time.perf_counter() - t:.1f} s", file=sys.stderr)


def bench_sync(n_docs: int, seed: Path | None = None) -> dict:
    """`seed`: a folder holding corpus/ and index/cache.sqlite of an earlier run (read
    only): the corpus is copied and the cache serves the first build."""
    base = CACHE / f"sync-{n_docs}"
    corpus = base / "corpus"
    rng = random.Random(7)
    if not (base / "index" / "CURRENT").exists():
        shutil.rmtree(base, ignore_errors=True)
        if seed is not None:
            shutil.copytree(seed / "corpus", corpus)
            (base / "index").mkdir()
            from qa_bot.index import IndexStore

            IndexStore(base / "index").claim()
            shutil.copy(seed / "index" / "cache.sqlite", base / "index" / "cache.sqlite")
        else:
            corpus.mkdir(parents=True)
            for i in range(n_docs):
                (corpus / f"{i:05d}.txt").write_text(article(i, rng), encoding="utf-8")
        t = time.perf_counter()
        Engine(config(base, corpus), embedder_factory=StandInEmbedder).sync(progress=False)
        print(f"initial build of {n_docs} documents: {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
    rebuild_if_older(Engine(config(base, corpus), embedder_factory=StandInEmbedder))
    from qa_bot.index.onnx_export import index_export

    model = load_embedder(index_export(base / "index"))  # as `qa-bot index --watch` runs it
    engine = Engine(config(base, corpus), embedder_factory=lambda: model)
    model.encode(["warm up"])
    target = corpus / "00042.txt"
    original = target.read_text(encoding="utf-8")
    runs = []
    try:
        for k in range(3):
            target.write_text(original + f"\nA new paragraph was added, revision {k} of run "
                              f"{time.time_ns()}, after the council met again.\n",
                              encoding="utf-8")
            w, t = written_bytes(), time.perf_counter()
            report = engine.sync(progress=False)
            wall = time.perf_counter() - t
            written = written_bytes() - w
            size = disk_bytes(base / "index")
            runs.append({"wall_s": round(wall, 3), "updated": report.updated,
                         "unchanged": report.unchanged,
                         "chunks_embedded": report.chunks_embedded,
                         "bytes_written": written, "index_bytes": size,
                         "written_share": round(written / size, 5)})
            print(f"sync with one changed document: {wall:.2f} s, "
                  f"{report.chunks_embedded} chunks embedded, {written} bytes written "
                  f"({100 * written / size:.3f}% of {size / 2**20:.0f} MiB)", file=sys.stderr)
        w, t = written_bytes(), time.perf_counter()
        noop = engine.sync(progress=False)
        noop_wall = time.perf_counter() - t
        noop_written = written_bytes() - w
    finally:
        target.write_text(original, encoding="utf-8")
    chunks = len(engine.generation().chunks)
    return {"documents": n_docs, "chunks": chunks, "one_changed": runs,
            "best_wall_s": min(r["wall_s"] for r in runs),
            "max_written_share": max(r["written_share"] for r in runs),
            "segments": len(engine.generation().segments),
            "no_change": {"wall_s": round(noop_wall, 3), "bytes_written": noop_written,
                          "chunks_embedded": noop.chunks_embedded},
            "target_s": 0.5, "target_written_share": 0.02}


def bench_verify(n_docs: int) -> dict:
    """`qa-bot index --verify` on the 10,000-document index of bench_sync (built first if
    missing): every file's size and CRC-32, every stored text's hash, every chunk at its
    offsets. Wall time in process (best of 3) and of the whole command."""
    from qa_bot.index.verify import verify

    base = CACHE / f"sync-{n_docs}"
    if not (base / "index" / "CURRENT").exists():
        bench_sync(n_docs)
    cfg = config(base, base / "corpus")
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        problems = verify(cfg.index_dir)
        runs.append(round(time.perf_counter() - t, 3))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "qa_bot", "--index-dir", str(base / "index"),
                           "index", "--verify"], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    command_s = round(time.perf_counter() - t, 3)
    print(f"verify of {n_docs} documents: {min(runs):.2f} s in process, {command_s:.2f} s "
          f"as a command ({proc.stdout.strip() or proc.stderr.strip()})", file=sys.stderr)
    return {"documents": n_docs, "problems": problems, "in_process_s": runs,
            "best_s": min(runs), "command_s": command_s, "command_exit": proc.returncode,
            "command_output": proc.stdout.strip(), "target_s": 10.0}


def bench_kills(n_kills: int, seed: int) -> dict:
    base = CACHE / "kills"
    shutil.rmtree(base, ignore_errors=True)
    corpus = base / "corpus"
    corpus.mkdir(parents=True)
    rng = random.Random(seed)
    for i in range(3):
        (corpus / f"{i:03d}.txt").write_text(article(i, rng), encoding="utf-8")
    model = load_embedder()
    cfg = config(base, corpus)
    Engine(cfg, embedder_factory=lambda: model).sync(progress=False)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "qa_bot", "--index-dir", str(base / "index"), "index",
               str(corpus)]
    durations = {}
    for kind, extra in (("sync", []), ("merge", ["--merge"])):
        (corpus / f"09{len(durations)}.txt").write_text(article(999 - len(durations), rng),
                                                        encoding="utf-8")
        t = time.perf_counter()  # one whole build, to draw kill moments from its duration
        subprocess.run(command + extra, env=env, capture_output=True, check=True)
        durations[kind] = time.perf_counter() - t
        print(f"one uninterrupted {kind}: {durations[kind]:.1f} s", file=sys.stderr)
    outcomes = []
    for k in range(n_kills):
        kind = "merge" if k % 2 else "sync"
        duration = durations[kind]
        before = {Path(d["source"]).name for d in Engine(cfg).documents()}
        # new text every time, so the build has to embed (and so has a real duration)
        (corpus / f"{100 + k:03d}.txt").write_text(article(1000 + k, rng), encoding="utf-8")
        # every file now in the corpus: an earlier killed build may have left the
        # article before this one unindexed, and a whole build indexes it too
        after = {p.name for p in corpus.glob("*.txt")}
        proc = subprocess.Popen(command + (["--merge"] if kind == "merge" else []), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.1, duration)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        try:
            reader = Engine(cfg, embedder_factory=lambda: model)
            docs = {Path(d["source"]).name for d in reader.documents()}
            state = "old" if docs == before else "new" if docs == after else "WRONG"
            answer = reader.ask("Which council met again about the harbour budget?")
            verbatim = all((corpus / Path(c.source).name).read_text(encoding="utf-8")
                           [c.start:c.end] == c.quote for c in answer.citations)
        except Exception as exc:  # an unreadable index is exactly what must never happen
            state, verbatim = f"LOST: {exc}", False
        outcomes.append({"command": kind, "kill_after_s": round(delay, 2), "exit": code,
                         "index": state, "quotes_verbatim": verbatim})
        print(f"kill {k + 1:2d} ({kind}) at {delay:5.2f} s: exit {code}, index {state}, "
              f"quotes verbatim {verbatim}", file=sys.stderr)
    final = Engine(cfg, embedder_factory=lambda: model).sync(progress=False)
    debris = [p.name for p in (base / "index").iterdir() if ".tmp" in p.name]
    losses = sum(1 for o in outcomes if o["index"] not in ("old", "new"))
    return {"kills": n_kills, "index_losses": losses,
            "build_s": {k: round(v, 2) for k, v in durations.items()},
            "killed_mid_build": sum(1 for o in outcomes if o["exit"] == -signal.SIGKILL),
            "killed_mid_merge": sum(1 for o in outcomes if o["exit"] == -signal.SIGKILL
                                    and o["command"] == "merge"),
            "answers_not_verbatim": sum(1 for o in outcomes if not o["quotes_verbatim"]),
            "final_sync_documents": len(final.added) + len(final.updated) + final.unchanged,
            "debris_after_final_sync": debris, "outcomes": outcomes}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["sync", "kills", "verify"])
    p.add_argument("--docs", type=int, default=10_000)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--from", dest="source", type=Path, metavar="DIR",
                   help="copy the corpus and seed the embedding cache from DIR (the "
                        "sync-N folder of another checkout), instead of generating them")
    args = p.parse_args()
    RESULTS.mkdir(exist_ok=True)
    out_file = RESULTS / "sync.json"
    result = json.loads(out_file.read_text()) if out_file.exists() else {}
    result.update({"date": time.strftime("%Y-%m-%d"), "machine": {
        "cpus": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version()}})
    if args.only in (None, "sync"):
        result["sync"] = bench_sync(args.docs, args.source)
    if args.only in (None, "verify"):
        result["verify"] = bench_verify(args.docs)
    if args.only in (None, "kills"):
        result["kills"] = bench_kills(args.kills, args.seed)
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "kills"}, indent=1))
    if "kills" in result:
        print(f"kills: {result['kills']['index_losses']} index losses in "
              f"{result['kills']['kills']} kills")


if __name__ == "__main__":
    main()
