"""`qa-bot index --cluster`: a real `dask scheduler` and two `dask worker` processes on
127.0.0.1 (from this venv), builds through the real CLI, compared with a local build."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from qa_bot.cluster.local import QUIET, ProcessCluster, free_port
from qa_bot.config import Config, CorpusConfig, IndexConfig
from qa_bot.embedder import MODEL_DIM, MODEL_NAME
from qa_bot.engine import Engine
from qa_bot.index.store import IndexStore

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUESTION = "Who is North Korea's ambassador to the United Nations?"
ENV = {**os.environ, **QUIET}
CITIES = ["Leeds", "Bristol", "Cardiff", "Dundee", "Exeter", "Norwich", "Truro", "Bangor"]
THINGS = ["library", "bridge", "tram line", "swimming pool", "school", "clinic"]


def article(n: int) -> str:
    """A small generated article in the seed's shape (label, title, paragraphs)."""
    city, thing = CITIES[n % len(CITIES)], THINGS[n % len(THINGS)]
    paragraphs = []
    for p in range(3):
        paragraphs.append(
            f"The {city} council voted {n + 5} to {p + 2} on Tuesday to fund a new {thing}. "
            f"Work on the {thing} is due to start in {2030 + p + n} and cost {n * 3 + p} million "
            f"pounds. Councillor Ada Number{n}x{p} said residents had waited long enough.")
    return f"local\n\n{city} Backs New {thing.title()} ({n})\n\n" + "\n\n".join(paragraphs) + "\n"


def make_corpus(folder: Path, n: int = 10) -> Path:
    folder.mkdir(parents=True)
    for seed in (REPO / "seeds").iterdir():
        shutil.copy(seed, folder / seed.name)
    for i in range(n):
        (folder / f"gen_{i:02d}.txt").write_text(article(i), encoding="utf-8")
    return folder


def qa_bot(cwd: Path, *args: str, env: dict | None = None, timeout: float = 240
           ) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "qa-bot"), *args], cwd=cwd, env=env or ENV,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with ProcessCluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c.start(2)


@pytest.fixture(scope="module")
def builds(cluster, tmp_path_factory):
    """The same corpus built locally (index-local) and through the cluster (index-cluster),
    both by the `qa-bot` command from the same folder."""
    base = tmp_path_factory.mktemp("builds")
    make_corpus(base / "corpus")
    local = qa_bot(base, "--index-dir", "index-local", "index", "corpus", "--json")
    assert local.returncode == 0, local.stderr
    remote = qa_bot(base, "--index-dir", "index-cluster", "index", "corpus", "--json",
                    "--cluster", cluster.address)
    assert remote.returncode == 0, remote.stderr
    return base


def config(base: Path, index: str) -> Config:
    return Config(corpus=CorpusConfig(paths=["corpus"]), index=IndexConfig(dir=index),
                  base_dir=base)


def load(index_dir: Path):
    return IndexStore(index_dir).load(MODEL_NAME, MODEL_DIM)


def assert_same_index(a: Path, b: Path) -> None:
    """Same chunks and keys; chunk vectors within 1e-5 cosine; sentence vectors (stored as
    float16, see qa_bot/index/segment.py) within 1e-5 once both are normalised."""
    ga, gb = load(a), load(b)
    assert list(ga.chunks) == list(gb.chunks) and len(ga.chunks) > 10
    assert ga.live_keys() == gb.live_keys()
    assert ga.documents.keys() == gb.documents.keys()
    cos = (ga.all_vectors() * gb.all_vectors()).sum(axis=1)
    assert cos.min() >= 1 - 1e-5
    sa, sb = ga.all_sentence_vectors(), gb.all_sentence_vectors()
    sa /= np.linalg.norm(sa, axis=1, keepdims=True)
    sb /= np.linalg.norm(sb, axis=1, keepdims=True)
    assert sa.shape == sb.shape and (sa * sb).sum(axis=1).min() >= 1 - 1e-5


def answer_of(engine: Engine) -> tuple:
    a = engine.ask(QUESTION)
    return a.answered, a.answer, [(c.doc_id, c.start, c.end, c.quote) for c in a.citations]


def test_cluster_build_equals_local_build(builds):
    assert_same_index(builds / "index-local", builds / "index-cluster")
    local = answer_of(Engine(config(builds, "index-local")))
    remote = answer_of(Engine(config(builds, "index-cluster")))
    assert local == remote and local[0] and "Kim Song" in local[1]


def test_nothing_to_embed_needs_no_cluster(builds, cluster):
    """A second run with nothing new embeds nothing, so it never contacts the scheduler
    (an unreachable address is not even tried)."""
    run = qa_bot(builds, "--index-dir", "index-cluster", "index", "corpus", "--json",
                 "--cluster", f"tcp://127.0.0.1:{free_port()}")
    assert run.returncode == 0, run.stderr
    assert '"chunks_embedded": 0' in run.stdout


def test_scheduler_unreachable_is_one_line_and_keeps_the_index(builds, tmp_path):
    shutil.copytree(builds / "index-local", tmp_path / "index")
    (tmp_path / "new.txt").write_text(article(42), encoding="utf-8")
    before = (tmp_path / "index" / "CURRENT").read_text()
    run = qa_bot(tmp_path, "--index-dir", "index", "index", str(builds / "corpus"), "new.txt",
                 "--json", "--cluster", f"tcp://127.0.0.1:{free_port()}",
                 env={**ENV, "QA_BOT_CLUSTER_TIMEOUT": "2"})
    assert run.returncode == 1 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa-bot: error: cannot reach the Dask "
                                                   "scheduler"), run.stderr
    assert "previous index is intact" in lines[0]
    assert (tmp_path / "index" / "CURRENT").read_text() == before
    assert "new.txt" not in str(load(tmp_path / "index").documents)
    bad = qa_bot(tmp_path, "--index-dir", "index", "index", "new.txt", "--cluster", "nowhere")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "tcp://HOST:PORT" in bad.stderr


def test_a_scheduler_without_workers_is_one_line(builds, tmp_path):
    shutil.copytree(builds / "index-local", tmp_path / "index")
    (tmp_path / "new.txt").write_text(article(43), encoding="utf-8")
    with ProcessCluster(tmp_path / "procs") as empty:
        empty.start(0)
        run = qa_bot(tmp_path, "--index-dir", "index", "index", "new.txt", "--cluster",
                     empty.address, env={**ENV, "QA_BOT_CLUSTER_TIMEOUT": "3"})
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert "no Dask worker joined the scheduler within 3 s" in run.stderr
    assert load(tmp_path / "index").name == load(builds / "index-local").name


def test_workers_refused_when_their_fingerprint_differs(cluster, builds):
    """Every worker reports this machine's fingerprint; a coordinator expecting another
    one (other onnxruntime) refuses them all before any work, naming each; a batch sent
    anyway is refused by the worker itself."""
    from qa_bot.cluster import ClusterError
    from qa_bot.cluster.coordinator import ClusterEmbedder
    from qa_bot.cluster.worker import differences, embed_batch, fingerprint

    with cluster.client() as client:
        assert list(client.run(fingerprint).values()) == [fingerprint()] * 2
        embedder = ClusterEmbedder(client, cluster.address, "0" * 64)
        embedder.expected = dict(fingerprint(), onnxruntime="0.0.1")
        with pytest.raises(ClusterError, match=r"worker refused.*onnxruntime .* there, "
                                               r"0\.0\.1 here") as info:
            embedder._check_workers(timeout=10)
        assert str(info.value).count("tcp://127.0.0.1:") == 2
        future = client.submit(embed_batch, ["a text"], "0" * 64, embedder.expected)
        with pytest.raises(RuntimeError, match="worker refused: onnxruntime"):
            future.result(timeout=30)
    assert differences(fingerprint(), fingerprint()) == ""


def test_cluster_is_imported_only_when_used():
    code = ("import sys, qa_bot.cli, qa_bot.engine, qa_bot.indexer, qa_bot.cluster; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def _cache_rows(index_dir: Path) -> int:
    """Vectors in the index's embedding cache; 0 before there is one. Opened read-only:
    a plain connect would create cache.sqlite in a folder the build has made but not yet
    marked as an index, and the build would then refuse the folder as not its own."""
    try:
        with sqlite3.connect(f"file:{index_dir / 'cache.sqlite'}?mode=ro", uri=True,
                             timeout=0.1) as db:
            return db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_two_engines_read_while_builds_swap_generations(builds, tmp_path):
    """Two engines (two bot replicas on one index directory) answer throughout builds
    that switch generations: every answer comes whole from one generation (each quote is
    one version's text at the cited offsets, never a mix), none fails, and both engines
    switch, ending on the last generation."""
    shutil.copytree(builds / "index-local", tmp_path / "index")
    cfg = dataclasses.replace(config(tmp_path, "index"), corpus=CorpusConfig(
        paths=[str(builds / "corpus"), "extra"]))
    changing = tmp_path / "extra" / "dundee.txt"
    changing.parent.mkdir()
    versions = [article(3).replace("Dundee", "Dunkeld"),
                article(3).replace("Dundee", "Dunkeld").replace("Tuesday", "Friday")]
    changing.write_text(versions[0], encoding="utf-8")
    assert Engine(cfg).sync(progress=False).added
    engines = [Engine(cfg), Engine(cfg)]
    stop = threading.Event()
    seen: list[set[str]] = [set(), set()]
    errors: list[BaseException] = []

    def read(n: int) -> None:
        while not stop.is_set():
            try:
                a = engines[n].ask("On which day did the Dunkeld council vote?")
                gen = engines[n].generation()
                assert a.answered and a.citations
                for c in a.citations:  # offsets and quote of one and the same version
                    assert any(t[c.start:c.end] == c.quote for t in texts_of(gen, c.doc_id))
                seen[n].add(gen.name)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
                return

    def texts_of(gen, doc_id: str) -> list[str]:
        path = Path(gen.documents[doc_id]["path"])
        return versions if path == changing else [path.read_text(encoding="utf-8")]

    threads = [threading.Thread(target=read, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            changing.write_text(versions[(i + 1) % 2], encoding="utf-8")
            assert Engine(cfg).sync(progress=False).updated
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    last = IndexStore(tmp_path / "index").current_name()
    assert all(last in s and len(s) >= 2 for s in seen), (seen, last)


def test_worker_killed_mid_build_the_build_finishes(cluster, builds, tmp_path):
    """SIGKILL one of the two workers once the first batches are back: its batches are
    computed by the other and the index equals the local build."""
    env = {**ENV, "QA_BOT_CLUSTER_BATCH": "4"}
    proc = subprocess.Popen([str(BIN / "qa-bot"), "--index-dir", str(tmp_path / "index"),
                             "index", "corpus", "--json", "--cluster", cluster.address],
                            cwd=builds, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _cache_rows(tmp_path / "index") == 0 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert proc.poll() is None, "the build ended before any kill"
        cluster.kill(cluster.workers[0])
        rows_at_kill = _cache_rows(tmp_path / "index")
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert rows_at_kill < _cache_rows(tmp_path / "index")  # work went on after the kill
    assert_same_index(builds / "index-local", tmp_path / "index")


def test_scheduler_lost_mid_build_then_rerun_embeds_only_what_the_cache_lacks(
        cluster, builds, tmp_path):
    """The scheduler SIGKILLed once the first batches are cached: one error line, exit 1,
    no generation written; the vectors returned before are kept, and a rerun through
    another scheduler embeds exactly the texts the cache lacks."""
    doomed = ProcessCluster(tmp_path / "doomed")
    index = tmp_path / "index"
    command = [str(BIN / "qa-bot"), "--index-dir", str(index), "index", "corpus", "--cluster"]
    env = {**ENV, "QA_BOT_CLUSTER_BATCH": "4"}
    proc = None
    try:
        doomed.start(1)
        proc = subprocess.Popen([*command, doomed.address], cwd=builds, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while _cache_rows(index) == 0 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        doomed.kill(doomed.scheduler)
        out, err = proc.communicate(timeout=120)
    finally:
        doomed.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [line for line in err.splitlines() if line.startswith("qa-bot:")]
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert len(lines) == 1 and "run the same command again" in lines[0], err
    assert not (index / "CURRENT").exists()  # no generation: nothing half-built serves
    kept = _cache_rows(index)
    assert kept > 0
    rerun = subprocess.run([*command, cluster.address], cwd=builds, env=env,
                           capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    embedded = sum(map(int, re.findall(r"embedding (\d+) (?:chunks|sentences)", rerun.stderr)))
    assert embedded == _cache_rows(index) - kept > 0
    assert_same_index(builds / "index-local", index)
