"""Embedding on a Dask cluster (issue 11), on this machine: a scheduler and two workers as
processes (`qa_bot.cluster.local.ProcessCluster`, one thread each).

    python -m benchmarks.cluster                   # both parts -> benchmarks/results/cluster.json
    python -m benchmarks.cluster --only compare    # local vs cluster build, overhead per text
    python -m benchmarks.cluster --only kills      # 10 cluster builds killed at random moments

compare: the same BBC articles (read in place from ../shared/benchmarks/bbc/) built locally
and through the cluster, each from an empty index (no cache): the two indexes must hold the
same chunks and keys, vectors within 1e-5 cosine and the same answers; the coordinator's
own cost is the same build again with every vector in the cache (`--full`). The cluster's cost
per embedded text is measured two ways: idle worker time in the real build ((wall x worker
threads - compute) / texts) and a no-model run of the same batches (scheduling and transfer
only); bytes per text are the payloads (text out, float32 vectors back) and the loopback
interface's counters over the build (an upper bound: other processes use it too).

kills: a real `qa-bot index --cluster` process, each round over new articles, is sent
SIGKILL at a random moment of its first 80% (the coordinator), or one of the two workers is
(then a new worker is started); rounds go on until `--kills` kills landed while the build
was running (a kill drawn after the build had ended is recorded, not counted). After each kill the index must load and hold exactly the
previous or the new document set; then the same command is run again and must embed exactly
what the cache lacks (texts it embedded == rows it added to the cache)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from qa_bot.cluster import embedder_factory
from qa_bot.cluster.local import QUIET, ProcessCluster
from qa_bot.config import Config, CorpusConfig, IndexConfig
from qa_bot.embedder import MODEL_DIM, MODEL_NAME
from qa_bot.engine import Engine
from qa_bot.index.store import IndexStore

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "benchmarks" / "bbc"
CACHE = REPO / "benchmarks" / "cache" / "cluster"
RESULTS = REPO / "benchmarks" / "results" / "cluster.json"


def articles() -> list[Path]:
    """Every BBC article, in a fixed order mixing the five sections."""
    by_section = [sorted(d.glob("*.txt")) for d in sorted(BBC.iterdir()) if d.is_dir()]
    return [f for group in zip(*by_section) for f in group]


def config(index_dir: Path) -> Config:
    return Config(corpus=CorpusConfig(paths=[]), index=IndexConfig(dir=str(index_dir)),
                  base_dir=REPO)


def loopback_bytes() -> int:
    import psutil

    counters = psutil.net_io_counters(pernic=True)
    return counters["lo"].bytes_sent if "lo" in counters else 0


def compare_indexes(a: Path, b: Path, questions: list[str]) -> dict:
    ga = IndexStore(a).load(MODEL_NAME, MODEL_DIM)
    gb = IndexStore(b).load(MODEL_NAME, MODEL_DIM)
    sa, sb = ga.all_sentence_vectors(), gb.all_sentence_vectors()
    ea, eb = Engine(config(a)), Engine(config(b))
    same_answers = 0
    for q in questions:
        x, y = ea.ask(q), eb.ask(q)
        same_answers += (x.answer, [(c.doc_id, c.start, c.end) for c in x.citations]) == \
            (y.answer, [(c.doc_id, c.start, c.end) for c in y.citations])
    return {"same_chunks": list(ga.chunks) == list(gb.chunks) and ga.live_keys() == gb.live_keys(),
            "chunks": len(ga.chunks), "sentences": int(sa.shape[0]),
            "min_chunk_cosine": float((ga.all_vectors() * gb.all_vectors()).sum(1).min()),
            "min_sentence_cosine": float((sa * sb).sum(1).min()),
            "questions": len(questions), "same_answers": same_answers}


def scheduling_only(pc: ProcessCluster, n_tasks: int, batch: int) -> dict:
    """The cluster's cost without the model: tasks carrying `batch` texts of BBC length
    each that return (batch, 384) zeros, with the build's window of tasks in flight."""
    from distributed import as_completed

    texts = ["x" * 700] * batch
    with pc.client() as client:
        window = max(4, 2 * sum(client.nthreads().values()))
        slots = sum(client.nthreads().values())
        noop = lambda texts: np.zeros((len(texts), MODEL_DIM), np.float32)  # noqa: E731
        t = time.perf_counter()
        done = as_completed(loop=client.loop)
        submitted = 0
        for _ in range(min(window, n_tasks)):
            done.add(client.submit(noop, texts, pure=False))
            submitted += 1
        for future in done:
            future.result()
            future.release()
            if submitted < n_tasks:
                done.add(client.submit(noop, texts, pure=False))
                submitted += 1
        wall = time.perf_counter() - t
    return {"tasks": n_tasks, "texts_per_task": batch, "wall_s": round(wall, 3),
            "slot_s_per_task": round(wall * slots / n_tasks, 5),
            "slot_s_per_text": round(wall * slots / n_tasks / batch, 6)}


def bench_compare(n_docs: int) -> dict:
    base = CACHE / "compare"
    shutil.rmtree(base, ignore_errors=True)
    files = articles()[:n_docs]
    t = time.perf_counter()
    local = Engine(config(base / "local")).sync(files, progress=False)
    local_s = time.perf_counter() - t
    print(f"local build: {local_s:.1f} s, {local.chunks_embedded} chunks", file=sys.stderr)
    with ProcessCluster(base / "procs") as pc:
        pc.start(2)
        lo = loopback_bytes()
        with embedder_factory(pc.address, base / "cluster") as factory:
            engine = Engine(config(base / "cluster"), factory)
            t = time.perf_counter()
            remote = engine.sync(files, progress=False)
            cluster_s = time.perf_counter() - t
            stats = engine.embedder.stats  # type: ignore[attr-defined]
        lo = loopback_bytes() - lo
        print(f"cluster build: {cluster_s:.1f} s", file=sys.stderr)
        noop = scheduling_only(pc, 200, int(os.environ.get("QA_BOT_CLUSTER_BATCH", "64")))
    t = time.perf_counter()  # the coordinator's own work: the same build, all from the cache
    Engine(config(base / "cluster")).sync(files, full=True, progress=False)
    coordinator_s = time.perf_counter() - t
    slots = stats.workers  # one thread per worker
    questions = [f"What happened: {f.read_text(encoding='utf-8').splitlines()[0]}?"
                 for f in files[:20]]
    texts = stats.texts
    return {
        "documents": n_docs, "local_s": round(local_s, 2), "cluster_s": round(cluster_s, 2),
        "chunks_embedded": remote.chunks_embedded, "texts_embedded": texts,
        "identical": compare_indexes(base / "local", base / "cluster", questions),
        "cluster": {"workers": stats.workers, "tasks": stats.tasks,
                    "setup_s": round(stats.setup_s, 2), "embed_wall_s": round(stats.wall_s, 2),
                    "compute_s": round(stats.compute_s, 2),
                    "coordinator_other_s": round(cluster_s - stats.wall_s - stats.setup_s, 2),
                    "coordinator_only_s": round(coordinator_s, 2),
                    "model_bytes_per_worker": stats.model_bytes},
        "per_text": {
            "compute_slot_s": round(stats.compute_s / texts, 5),
            "idle_slot_s": round((stats.wall_s * slots - stats.compute_s) / texts, 5),
            "text_bytes_out": round(stats.bytes_out / texts),
            "vector_bytes_in": round(stats.bytes_in / texts),
            "loopback_bytes": round((lo - stats.model_bytes * (stats.workers + 1)) / texts),
        },
        "scheduling_only": noop,
    }


def cache_rows(index_dir: Path) -> int:
    if not (index_dir / "cache.sqlite").exists():
        return 0
    with sqlite3.connect(index_dir / "cache.sqlite") as db:
        return db.execute("SELECT count(*) FROM vectors").fetchone()[0]


def embedded(stderr: str) -> int:
    return sum(int(n) for n in re.findall(r"embedding (\d+) (?:chunks|sentences)", stderr))


def documents(index_dir: Path) -> set[str]:
    return {Path(d["path"]).name for d in Engine(config(index_dir)).documents()}


def bench_kills(n_kills: int, per_round: int, seed: int) -> dict:
    base = CACHE / "kills"
    shutil.rmtree(base, ignore_errors=True)
    rng = random.Random(seed)
    pool = articles()[::-1]  # other articles than the compare part's first ones
    index = base / "index"
    paths: list[Path] = []
    outcomes = []
    with ProcessCluster(base / "procs") as pc:
        pc.start(2)

        def command() -> list[str]:
            return [str(Path(sys.executable).parent / "qa-bot"), "--index-dir", str(index),
                    "index", *map(str, paths), "--cluster", pc.address]

        env = {**os.environ, **QUIET, "QA_BOT_CLUSTER_BATCH": "16"}
        paths += [pool.pop() for _ in range(per_round)]
        t = time.perf_counter()  # one whole build, to draw kill moments from its duration
        subprocess.run(command(), env=env, capture_output=True, check=True)
        duration = time.perf_counter() - t
        print(f"one uninterrupted cluster build: {duration:.1f} s", file=sys.stderr)
        while sum(o["mid_build"] for o in outcomes) < n_kills:  # a kill after the end: again
            k = len(outcomes)
            before = documents(index)
            paths += [pool.pop() for _ in range(per_round)]
            after = {p.name for p in paths}
            rows_start = cache_rows(index)
            target = rng.choice(["coordinator", "worker"])
            proc = subprocess.Popen(command(), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            delay = rng.uniform(0.3, 0.8 * duration)
            time.sleep(delay)
            mid_build = proc.poll() is None
            if target == "coordinator":
                proc.kill()
                code = proc.wait()
            else:
                pc.kill(rng.choice(pc.alive_workers()))
                code = proc.wait(timeout=600)
                pc.add_worker()
                pc.wait(2)
            try:
                docs = documents(index)
                state = "old" if docs == before else "new" if docs == after else "WRONG"
            except Exception as exc:  # an unreadable index is what must never happen
                state = f"LOST: {exc}"
            rows_kill = cache_rows(index)
            rerun = subprocess.run(command(), env=env, capture_output=True, text=True)
            rows_end = cache_rows(index)
            outcome = {"killed": target, "after_s": round(delay, 2), "mid_build": mid_build,
                       "exit": code,
                       "index": state, "rerun_exit": rerun.returncode,
                       "kept_from_killed_build": rows_kill - rows_start,
                       "rerun_embedded": embedded(rerun.stderr),
                       "rerun_added_to_cache": rows_end - rows_kill,
                       "round_texts": rows_end - rows_start,
                       "final": "new" if documents(index) == after else "WRONG"}
            outcomes.append(outcome)
            print(f"kill {k + 1:2d} ({target}) at {delay:5.2f} s (mid-build: {mid_build}): "
                  f"exit {code}, index {state}, "
                  f"kept {outcome['kept_from_killed_build']}/{outcome['round_texts']}, rerun "
                  f"embedded {outcome['rerun_embedded']}", file=sys.stderr)
    return {"kills": n_kills, "rounds": len(outcomes), "articles_per_round": per_round,
            "build_s": round(duration, 2),
            "index_losses": sum(o["index"] not in ("old", "new") for o in outcomes),
            "killed_mid_build": sum(o["mid_build"] for o in outcomes),
            "coordinator_kills": sum(o["killed"] == "coordinator" and o["mid_build"]
                                     for o in outcomes),
            "worker_kills": sum(o["killed"] == "worker" and o["mid_build"] for o in outcomes),
            "worker_kills_build_finished": sum(o["killed"] == "worker" and o["mid_build"]
                                               and o["exit"] == 0 for o in outcomes),
            "reruns_embedding_only_missing": sum(
                o["rerun_exit"] == 0 and o["rerun_embedded"] == o["rerun_added_to_cache"]
                and o["final"] == "new" for o in outcomes),
            "texts_kept_by_killed_builds": sum(o["kept_from_killed_build"] for o in outcomes),
            "outcomes": outcomes}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=["compare", "kills"])
    p.add_argument("--docs", type=int, default=200)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--per-round", type=int, default=12)
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    result.update({"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(),
                   "cores": os.cpu_count(), "load_at_start": os.getloadavg()[0]})
    if args.only in (None, "compare"):
        result["compare"] = bench_compare(args.docs)
    if args.only in (None, "kills"):
        result["kills"] = bench_kills(args.kills, args.per_round, args.seed)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "kills"}, indent=1))
    if "kills" in result:
        print({k: v for k, v in result["kills"].items() if k != "outcomes"})


if __name__ == "__main__":
    main()
