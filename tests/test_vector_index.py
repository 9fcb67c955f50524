"""Vector search by segment size: flat (exact) below the threshold, inverted lists above,
parameters in the manifest, rows and vectors kept exactly, centroids trained once and
reused (real FAISS k-means, real model)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import qa_bot.index.vectors as vector_index
from qa_bot.index.vectors import VectorPart, ivf_params

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


def exact_top(x: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    return np.argsort(-(queries @ x.T), axis=1, kind="stable")[:, :k]


def test_flat_part_is_exact_and_skips_deleted_rows(tmp_path):
    x = clustered_unit_vectors(300)
    np.save(tmp_path / "vectors.npy", x)
    part = VectorPart(tmp_path, 300, 384)
    live = np.ones(300, dtype=bool)
    live[exact_top(x, x[:1], 3)[0][1:]] = False  # the two next best rows of query 0
    for i in range(20):
        scores, rows = part.search(x[i], 5, live)
        got = rows[np.argsort(-scores, kind="stable")]
        assert got.tolist() == [r for r in exact_top(x, x[i:i + 1], 7)[0] if live[r]][:5]
    assert np.array_equal(part.get(np.array([7, 3])), x[[7, 3]])


def test_ivf_part_keeps_rows_and_recall_reading_only_its_lists(tmp_path):
    x, queries = np.split(clustered_unit_vectors(8200), [8000])
    params = vector_index.write_ivf(tmp_path, x, [])
    assert params["type"] == "ivf" and params["trained"] and params["n"] == 8000
    assert 1 <= vector_index.nprobe_for(params["nlist"]) <= params["nlist"] \
        <= 8000 // vector_index.TRAIN_PER_LIST
    part = VectorPart(tmp_path, 8000, 384, params)
    assert part.ivf and isinstance(part.vectors, np.memmap)  # opened, not read
    rows = np.array([4321, 0, 7999])
    assert np.array_equal(part.get(rows), x[rows])  # the sync and merges reuse them
    live = np.ones(8000, dtype=bool)
    live[::2] = False
    recall = []
    for q, want in zip(queries, exact_top(x, queries)):
        _, got = part.search(q, 10, np.ones(8000, dtype=bool))
        recall.append(len(set(got.tolist()) & set(want.tolist())) / 10)
        assert live[part.search(q, 10, live)[1]].all()
    assert np.mean(recall) >= 0.95


def test_large_segments_reuse_trained_centroids(tmp_path):
    x = clustered_unit_vectors(8000)
    (tmp_path / "a").mkdir()
    first = vector_index.write_ivf(tmp_path / "a", x[:4000], [])
    trained = VectorPart(tmp_path / "a", 4000, 384, first).quantizer
    assert trained.trained_for == 4000 and trained.id == first["quantizer"]
    (tmp_path / "b").mkdir()
    again = vector_index.write_ivf(tmp_path / "b", x, [trained])  # 8,000 <= 16 x 4,000
    assert not again["trained"] and again["quantizer"] == first["quantizer"]
    assert np.array_equal(np.load(tmp_path / "b" / "ivf.centroids.npy"), trained.centroids)
    small = vector_index.Quantizer(trained.centroids, trained_for=100)  # outgrown
    (tmp_path / "c").mkdir()
    assert vector_index.write_ivf(tmp_path / "c", x, [small])["trained"]


def test_engine_builds_and_answers_from_an_ivf_generation(tmp_path, make_engine,
                                                          monkeypatch):
    """Past the threshold a segment holds IVF, its manifest entry says so, and questions
    and incremental syncs work the same; the small segment of a sync is flat, and a merge
    into a large segment reuses the centroids (nothing is trained again)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    monkeypatch.setattr(vector_index, "FLAT_MAX", 4)
    engine = make_engine(make_config(tmp_path, ["corpus"]))
    engine.sync(progress=False)
    gen = engine.generation()
    (entry,) = gen.manifest["segments"]
    assert entry["vector_index"]["type"] == "ivf" and entry["vector_index"]["trained"]
    assert entry["vector_index"]["n"] == len(gen.chunks) > 4
    assert gen.segments[0].vectors.ivf
    answer = engine.ask("Who is North Korea's ambassador to the United Nations?")
    assert answer.citations and "Kim Song" in " ".join(c.passage for c in answer.citations)
    before = gen.all_vectors()
    (corpus / "extra.txt").write_text("Harbour news\n\nShipping rose in March.\n",
                                      encoding="utf-8")
    report = engine.sync(progress=False)
    after = engine.generation()
    assert report.chunks_embedded == 1 and len(after.chunks) == len(gen.chunks) + 1
    assert [s["vector_index"]["type"] for s in after.manifest["segments"]] == \
        ["ivf", "flat"]
    assert engine.ask("When did shipping rise?").citations[0].title == "Harbour news"
    rows = {c.text: i for i, c in enumerate(after.chunks)}
    for i, c in enumerate(gen.chunks):
        assert np.array_equal(after.all_vectors()[rows[c.text]], before[i])
    engine.sync(progress=False, merge=True)
    (merged,) = engine.generation().manifest["segments"]
    assert merged["vector_index"]["quantizer"] == entry["vector_index"]["quantizer"]
    assert not merged["vector_index"]["trained"]
    assert engine.ask("When did shipping rise?").citations[0].title == "Harbour news"


@pytest.mark.parametrize("n", [50_001, 1_000_000, 10_000_000])
def test_ivf_params_scale(n):
    p = ivf_params(n)
    assert p["nlist"] & (p["nlist"] - 1) == 0  # a power of two
    assert 2 * n ** 0.5 <= p["nlist"] <= 8 * n ** 0.5
    assert p["train"] == min(n, p["nlist"] * vector_index.TRAIN_PER_LIST)
