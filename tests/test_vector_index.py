"""Index types by size: flat (exact) below the threshold, IVF above, parameters in the
manifest and in the index file, rows and vectors kept exactly (real FAISS, real model)."""

from __future__ import annotations

import shutil

import faiss
import numpy as np
import pytest

import qa_bot.index.vectors as vector_index
from qa_bot.index.vectors import build_vector_index, ivf_params

from conftest import SEED, make_config


def clustered_unit_vectors(n: int, dim: int = 384, topics: int = 100, seed: int = 0
                           ) -> np.ndarray:
    """Unit vectors around random topic directions (cosine ~0.7 to their topic)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((topics, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    noise = rng.standard_normal((n, dim)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    x = 0.7 * centers[rng.integers(0, topics, n)] + 0.71 * noise
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_below_the_threshold_is_exact():
    x = clustered_unit_vectors(300)
    index, params = build_vector_index(x, 384, flat_max=300)
    assert params == {"type": "flat", "n": 300}
    scores, rows = index.search(x[:20], 5)
    assert rows[:, 0].tolist() == list(range(20))
    expected = np.argsort(-(x[:20] @ x.T), axis=1, kind="stable")[:, :5]
    assert (rows == expected).all()
    empty, params = build_vector_index(np.zeros((0, 384), np.float32), 384)
    assert (empty.ntotal, params["type"]) == (0, "flat")


def test_ivf_above_the_threshold_keeps_rows_params_and_recall(tmp_path):
    x, queries = np.split(clustered_unit_vectors(8200), [8000])
    index, params = build_vector_index(x, 384, flat_max=5000)
    assert params == dict(ivf_params(8000), n=8000) and params["type"] == "ivf-flat"
    assert 1 <= params["nprobe"] <= params["nlist"] <= 8000 // vector_index.TRAIN_PER_LIST
    faiss.write_index(index, str(tmp_path / "v.faiss"))
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    assert (loaded.ntotal, loaded.nlist, loaded.nprobe) == \
        (8000, params["nlist"], params["nprobe"])
    assert np.array_equal(loaded.reconstruct_n(0, 8000), x)  # the sync reuses them
    assert np.array_equal(loaded.reconstruct(4321), x[4321])  # the fusion reads one
    exact = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    _, approx = loaded.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(approx, exact)])
    assert recall >= 0.95


def test_engine_builds_and_answers_from_an_ivf_generation(tmp_path, make_engine,
                                                          monkeypatch):
    """Past the threshold a segment holds IVF, its manifest entry says so, and questions
    and incremental syncs work the same; the small segment of a sync is flat (nothing is
    trained again)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    monkeypatch.setattr(vector_index, "FLAT_MAX", 4)
    engine = make_engine(make_config(tmp_path, ["corpus"]))
    engine.sync(progress=False)
    gen = engine.generation()
    (entry,) = gen.manifest["segments"]
    assert entry["vector_index"]["type"] == "ivf-flat"
    assert entry["vector_index"]["n"] == len(gen.chunks) > 4
    assert isinstance(gen.segments[0].ivf, faiss.IndexIVFFlat)
    answer = engine.ask("Who is North Korea's ambassador to the United Nations?")
    assert answer.citations and "Kim Song" in " ".join(c.passage for c in answer.citations)
    before = gen.all_vectors()
    (corpus / "extra.txt").write_text("Harbour news\n\nShipping rose in March.\n",
                                      encoding="utf-8")
    report = engine.sync(progress=False)
    after = engine.generation()
    assert report.chunks_embedded == 1 and len(after.chunks) == len(gen.chunks) + 1
    assert [s["vector_index"]["type"] for s in after.manifest["segments"]] == \
        ["ivf-flat", "flat"]
    assert engine.ask("When did shipping rise?").citations[0].title == "Harbour news"
    rows = {c.text: i for i, c in enumerate(after.chunks)}
    for i, c in enumerate(gen.chunks):
        assert np.array_equal(after.all_vectors()[rows[c.text]], before[i])


@pytest.mark.parametrize("n", [50_001, 1_000_000, 10_000_000])
def test_ivf_params_scale(n):
    p = ivf_params(n)
    assert p["nlist"] & (p["nlist"] - 1) == 0  # a power of two
    assert 2 * n ** 0.5 <= p["nlist"] <= 8 * n ** 0.5
    assert p["train"] == min(n, p["nlist"] * vector_index.TRAIN_PER_LIST)
