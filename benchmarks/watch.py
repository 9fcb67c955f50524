"""Breaking news at archive scale: from an article's file write to a running engine's answer.

    python -m benchmarks.watch [--articles 10]
    python -m benchmarks.watch --million     # the 1,000,000-chunk index of benchmarks.million

`qa-bot index --watch` runs as a subprocess beside an in-process Engine that stands for the
Telegram bot (the bot answers through the same Engine, which switches to a new generation
when CURRENT names one). The corpus is the 10,000-document one of `python -m
benchmarks.sync` (built there first). For each of N new articles, written one at a time
into the corpus folder, the clock runs from the write until the engine's answer to a
question only that article answers is answered and cites it first. The engine polls every
50 ms, so a figure is at most 50 ms late. The new articles are removed and synced away at
the end. Results: benchmarks/results/watch.json. With --million, the same over the corpus
and index of `python -m benchmarks.million` (168,456 documents, 1,050,473 chunks; the new
articles go into one of its folders of 1,000 files): benchmarks/results/watch-million.json."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.sync import CACHE, RESULTS, config
from qa_bot.embedder import load_embedder
from qa_bot.engine import Engine
from qa_bot.index.onnx_export import index_export

BIN = Path(sys.executable).parent
TIMEOUT_S = 60.0


def breaking(k: int) -> tuple[str, str]:
    """(article text, a question only it answers)."""
    town = f"Wexmoor-{k}"
    text = (f"news\n\nBridge at {town} opened\n\nThe new Harlan bridge at {town} was opened "
            f"on Tuesday by mayor Odile Brassen-{k}, after nine years of work and a cost of "
            f"{40 + k} million pounds.\n\nTraffic is expected to cross from next week.\n")
    return text, f"Who opened the Harlan bridge at {town}?"


def wait_for_watch(proc: subprocess.Popen) -> None:
    """Until the watch has done its first sync and says it is watching."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 600
    for line in proc.stderr:
        if line.startswith("watching"):
            return
        if time.monotonic() > deadline:
            break
    raise RuntimeError("qa-bot index --watch did not start")


def bench_watch(n: int, million: bool = False) -> dict:
    if million:
        from benchmarks import million as big

        base = big.CACHE / "million"
        corpus, cfg = base / "corpus", big.config(base)
        folder = corpus / "0042"
    else:
        base = CACHE / "sync-10000"
        corpus = folder = base / "corpus"
        cfg = config(base, corpus)
    if not (base / "index" / "CURRENT").exists():
        raise SystemExit(f"{base}: build it first (python -m benchmarks.million --only "
                         f"build, or python -m benchmarks.sync --only sync)")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    model = load_embedder(index_export(base / "index"))
    proc = subprocess.Popen([str(BIN / "qa-bot"), "--index-dir", str(base / "index"), "index",
                             str(corpus), "--watch"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    written: list[Path] = []
    runs = []
    try:
        wait_for_watch(proc)
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe flowing
        engine = Engine(cfg, embedder_factory=lambda: model)
        engine.ask("Who opened the bridge?")  # warm: model, reader, generation loaded
        for k in range(n):
            text, question = breaking(k)
            path = folder / f"breaking-{k:02d}.txt"
            written.append(path)
            t0 = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            seconds = None
            while time.perf_counter() - t0 < TIMEOUT_S:
                answer = engine.ask(question)
                if answer.answered and answer.citations[0].source.endswith(path.name):
                    seconds = time.perf_counter() - t0
                    break
                time.sleep(0.05)
            runs.append({"article": path.name, "seconds": round(seconds, 3) if seconds else None})
            print(f"{path.name}: answered after {seconds:.2f} s" if seconds else
                  f"{path.name}: not answered within {TIMEOUT_S:.0f} s", file=sys.stderr)
            time.sleep(1.0)  # the next article is news of another minute
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for path in written:
            path.unlink(missing_ok=True)
        Engine(cfg, embedder_factory=lambda: model).sync(progress=False, lock_timeout=120)
    times = [r["seconds"] for r in runs if r["seconds"] is not None]
    documents = len(engine.generation().documents)
    return {"documents": documents, "articles": n, "runs": runs,
            "answered": len(times), "median_s": round(statistics.median(times), 3)
            if times else None, "max_s": max(times, default=None), "target_s": 2.0,
            "load_at_start": os.getloadavg()[0]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=10)
    p.add_argument("--million", action="store_true", help="over the 1,000,000-chunk index")
    args = p.parse_args()
    result = {"date": time.strftime("%Y-%m-%d %H:%M"),
              **bench_watch(args.articles, args.million)}
    RESULTS.mkdir(exist_ok=True)
    name = "watch-million.json" if args.million else "watch.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
