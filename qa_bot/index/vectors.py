"""The FAISS index over a generation's unit vectors (inner product = cosine), by size:

- up to FLAT_MAX vectors: exact search (`IndexFlatIP`); one query scans every vector,
  ~0.2-0.3 ms per 1,000 vectors on one core of the busy test machine, so ~5 ms at 20,000.
- above: IVF-Flat (inverted lists of full vectors, spherical k-means centroids), `nlist`
  ~ 4 sqrt(n) lists, nprobe = nlist / 64 lists scanned per query. Chosen with
  `python -m benchmarks.speed --only million` (benchmarks/results/speed-million.json): at
  1,000,000 topic-structured vectors, nlist 4096, nprobe 64 gave p50 3.2 ms at recall@10
  0.98 (nprobe 32: 1.7 ms, 0.978; 128: 5.9 ms, 0.988). HNSW was not taken: its build ran
  at ~500 vectors/s here (100,000 in 3-4 minutes, so ~40 minutes for a million), where IVF
  builds a million in ~5 minutes.

Both keep the exact vectors (so `reconstruct` and the sync's vector reuse work), and the
search parameters are stored in the index file itself: a reader needs no settings.
Searches run one question at a time, on one OpenMP thread: for one query the fork/join of a
second thread costs more than it saves (4x slower flat search measured on the busy 2-core
machine); builds use every core."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

FLAT_MAX = 20_000
TRAIN_PER_LIST = 40  # k-means sample: this many vectors per list (faiss warns below 39)
NPROBE_FRACTION = 1 / 64  # lists scanned per query, as a share of nlist
MIN_NPROBE = 16


def ivf_params(n: int) -> dict:
    """IVF settings for n vectors: nlist a power of two near 4 sqrt(n)."""
    nlist = min(2 ** round(math.log2(4 * math.sqrt(n))), max(1, n // TRAIN_PER_LIST))
    nprobe = max(MIN_NPROBE, int(nlist * NPROBE_FRACTION))
    return {"type": "ivf-flat", "nlist": nlist, "nprobe": min(nprobe, nlist),
            "train": min(n, nlist * TRAIN_PER_LIST)}


def build_vector_index(vectors: np.ndarray, dim: int, flat_max: int | None = None
                       ) -> tuple[object, dict]:
    """(faiss index holding `vectors` as rows 0..n-1, its parameters for the manifest).
    Rows must be unit vectors; the index ranks by inner product. Flat up to `flat_max`
    (default FLAT_MAX) vectors, IVF above."""
    import faiss

    flat_max = FLAT_MAX if flat_max is None else flat_max
    x = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    n = len(x)
    if n <= flat_max:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(x)
        return index, {"type": "flat", "n": n}
    params = ivf_params(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, params["nlist"], faiss.METRIC_INNER_PRODUCT)
    index.cp.spherical = True  # centroids on the unit sphere, like the data
    sample = np.random.default_rng(0).choice(n, params["train"], replace=False)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index.train(x[np.sort(sample)])
        index.add(x)
    finally:
        faiss.omp_set_num_threads(threads)
    index.make_direct_map()  # reconstruct(row) for the fusion and the sync
    index.nprobe = params["nprobe"]
    return index, dict(params, n=n)


def load_vector_index(path: Path) -> object:
    """Read an index written by `faiss.write_index`, set up for one query at a time."""
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss.read_index(str(path))


class SegmentVectors:
    """Inner-product search over the live rows of several segments' vector arrays
    (memory-mapped float32, unit rows), laid end to end as in Generation: exact (one
    matrix product) for a segment without an IVF index, else its IVF index asked for as
    many more rows as it has deleted ones; deleted rows are never returned."""

    def __init__(self, arrays: list[np.ndarray], live: list[np.ndarray], dim: int,
                 ivfs: list | None = None):
        self.arrays = arrays
        self.ivfs = ivfs or [None] * len(arrays)
        self.live = live
        self.d = dim
        self.bases = np.concatenate([[0], np.cumsum([len(a) for a in arrays])]).astype(np.int64)
        self.ntotal = int(sum(int(m.sum()) for m in live))

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        """The best `k` live rows for `query`: {row: inner product}."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        best: list[tuple[float, int]] = []
        for base, array, live, ivf in zip(self.bases, self.arrays, self.live, self.ivfs):
            if not len(array):
                continue
            if ivf is not None:
                want = min(len(array), k + int((~live).sum()))
                scores, rows = ivf.search(q.reshape(1, -1), want)
                best.extend((float(s), int(base + r)) for s, r in zip(scores[0], rows[0])
                            if r >= 0 and live[r])
                continue
            scores = np.asarray(array @ q, dtype=np.float32)
            scores[~live] = -np.inf
            n = min(k, int(live.sum()))
            if n <= 0:
                continue
            top = np.argpartition(-scores, n - 1)[:n]
            best.extend((float(scores[r]), int(base + r)) for r in top)
        best.sort(key=lambda sr: (-sr[0], sr[1]))
        return {row: score for score, row in best[:k]}

    def get(self, rows: list[int]) -> np.ndarray:
        """The vectors of the given rows, in that order."""
        out = np.zeros((len(rows), self.d), dtype=np.float32)
        if not rows:
            return out
        at = np.asarray(rows, dtype=np.int64)
        seg = np.searchsorted(self.bases, at, side="right") - 1
        for i in np.unique(seg):
            mask = seg == i
            out[mask] = self.arrays[i][at[mask] - self.bases[i]]
        return out
