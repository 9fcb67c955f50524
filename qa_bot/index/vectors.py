"""Vector search over the segments' unit vectors (inner product = cosine), by size:

- a segment of up to FLAT_MAX rows: exact search, one matrix product over its memory-
  mapped vectors (~0.2-0.3 ms per 1,000 vectors on one core here, ~5 ms at 20,000).
- above: an inverted file (IVF). The segment's vectors are stored grouped by their nearest
  centroid (list), so a question reads the `nprobe` lists nearest to it, each one
  contiguous slice of the memory-mapped file, and nothing else: a cold start opens a
  million vectors without reading them. nlist ~ 4 sqrt(n) lists, nprobe = 3/256 of them
  (at least 16): on the 1,050,473-chunk index of `python -m benchmarks.million` (nlist
  4,096), 60 real questions against an exact scan gave recall@10 0.948 / 0.982 / 1.0 / 1.0
  at nprobe 16 / 32 / 48 / 64 for 1.0 / 1.9 / 2.7 / 3.7 ms: 48 it is. nprobe is a search
  setting, not stored data: an index written with another keeps working.

The coarse quantizer (the centroids, spherical k-means) is trained once and reused: a
segment written while the generation already has an IVF segment whose centroids were
trained on at least 1/REUSE_GROWTH of its rows takes those centroids (a merge of IVF
segments assigns rows to lists, it never trains); only a segment that outgrows every
quantizer trains a new one. Files of an IVF segment:

    vectors.npy         float32 (rows, dim): the unit vectors in list order
    ivf.centroids.npy   float32 (nlist, dim)
    ivf.lists.npy       int64 (nlist + 1): list l is positions lists[l]..lists[l + 1]
    ivf.order.npy       int32 (rows,): the row at each position
    ivf.position.npy    int32 (rows,): the position of each row"""

from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.index.files import open_array

FLAT_MAX = 20_000
TRAIN_PER_LIST = 40  # k-means sample: this many vectors per list (faiss warns below 39)
NPROBE_FRACTION = 3 / 256  # lists scanned per query, as a share of nlist
MIN_NPROBE = 16
REUSE_GROWTH = 16  # centroids trained on n rows serve segments of up to 16 n rows
IVF_FILES = ("ivf.centroids.npy", "ivf.lists.npy", "ivf.order.npy", "ivf.position.npy")


def ivf_params(n: int) -> dict:
    """IVF settings for n vectors: nlist a power of two near 4 sqrt(n)."""
    nlist = min(2 ** round(math.log2(4 * math.sqrt(n))), max(1, n // TRAIN_PER_LIST))
    return {"nlist": nlist, "train": min(n, nlist * TRAIN_PER_LIST)}


def nprobe_for(nlist: int) -> int:
    return min(nlist, max(MIN_NPROBE, int(nlist * NPROBE_FRACTION)))


@dataclass
class Quantizer:
    """Trained centroids and the number of rows they were trained for."""

    centroids: np.ndarray
    trained_for: int

    @property
    def id(self) -> str:
        return f"{zlib.crc32(np.ascontiguousarray(self.centroids).tobytes()):08x}"

    def serves(self, n: int) -> bool:
        return n <= REUSE_GROWTH * self.trained_for


def train(x: np.ndarray) -> Quantizer:
    """Spherical k-means centroids for the rows of x (a seeded sample of them)."""
    import faiss

    params = ivf_params(len(x))
    sample = np.sort(np.random.default_rng(0).choice(len(x), params["train"], replace=False))
    kmeans = faiss.Kmeans(x.shape[1], params["nlist"], niter=20, spherical=True, seed=1234)
    with _all_cores():
        kmeans.train(np.ascontiguousarray(x[sample], dtype=np.float32))
    return Quantizer(np.asarray(kmeans.centroids, dtype=np.float32), len(x))


def assign(x: np.ndarray, centroids: np.ndarray, batch: int = 65536) -> np.ndarray:
    """The list (nearest centroid by inner product) of each row of x."""
    import faiss

    index = faiss.IndexFlatIP(centroids.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    out = np.empty(len(x), dtype=np.int64)
    with _all_cores():
        for a in range(0, len(x), batch):
            _, nearest = index.search(np.ascontiguousarray(x[a:a + batch], np.float32), 1)
            out[a:a + batch] = nearest[:, 0]
    return out


class _all_cores:
    """Builds use every core; searches run on one (set back on exit)."""

    def __enter__(self) -> None:
        import faiss

        self.threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)

    def __exit__(self, *exc: object) -> None:
        import faiss

        faiss.omp_set_num_threads(self.threads)


def write_ivf(folder: Path, vectors: np.ndarray, quantizers: list[Quantizer]) -> dict:
    """Write vectors.npy in list order and the ivf.* files of a segment; the centroids are
    the first of `quantizers` that serves this many rows, else trained now. Returns the
    segment's vector index parameters."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(x)
    quantizer = next((q for q in quantizers if q.serves(n)), None)
    trained = quantizer is None
    quantizer = quantizer or train(x)
    lists = assign(x, quantizer.centroids)
    order = np.argsort(lists, kind="stable").astype(np.int32)
    position = np.empty(n, dtype=np.int32)
    position[order] = np.arange(n, dtype=np.int32)
    nlist = len(quantizer.centroids)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(lists, minlength=nlist))])
    np.save(folder / "vectors.npy", x[order])
    np.save(folder / "ivf.centroids.npy", quantizer.centroids)
    np.save(folder / "ivf.lists.npy", bounds.astype(np.int64))
    np.save(folder / "ivf.order.npy", order)
    np.save(folder / "ivf.position.npy", position)
    return {"type": "ivf", "n": n, "nlist": nlist, "quantizer": quantizer.id,
            "trained_for": quantizer.trained_for, "trained": trained}


class VectorPart:
    """One segment's vectors, memory-mapped: exact search, or its inverted lists when it
    has them. Local rows in, local rows out. Raises ValueError when files do not fit."""

    def __init__(self, folder: Path, rows: int, dim: int, params: dict | None = None):
        self.vectors = open_array(folder / "vectors.npy")
        if self.vectors.shape != (rows, dim) or self.vectors.dtype != np.float32:
            raise ValueError(f"vectors.npy holds {self.vectors.shape}, not ({rows}, {dim})")
        self.ivf = (folder / IVF_FILES[0]).exists()
        if self.ivf:
            self.centroids, self.lists, self.order, self.position = (
                open_array(folder / f) for f in IVF_FILES)
            nlist = len(self.centroids)
            if self.centroids.shape != (nlist, dim) or self.lists.shape != (nlist + 1,) \
                    or int(self.lists[-1]) != rows or self.order.shape != (rows,) \
                    or self.position.shape != (rows,):
                raise ValueError("ivf.* files that do not fit vectors.npy")
            self.nprobe = nprobe_for(nlist)
            self.quantizer = Quantizer(np.asarray(self.centroids),
                                       int((params or {}).get("trained_for") or rows))

    def __len__(self) -> int:
        return len(self.vectors)

    def get(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of the given local rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        at = np.asarray(self.position[rows], dtype=np.int64) if self.ivf else rows
        return np.asarray(self.vectors[at], dtype=np.float32)

    def search(self, q: np.ndarray, k: int, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, local rows) of up to k live rows, best among those it looks at."""
        if self.ivf:
            near = np.asarray(self.centroids @ q)
            probe = min(self.nprobe, len(near))
            lists = np.argpartition(-near, probe - 1)[:probe]
            bounds = np.asarray(self.lists)
            parts = [(int(bounds[l]), int(bounds[l + 1])) for l in lists]
            parts = [(a, b) for a, b in parts if b > a]
            if not parts:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            scores = np.concatenate([self.vectors[a:b] @ q for a, b in parts])
            rows = np.concatenate([self.order[a:b] for a, b in parts]).astype(np.int64)
        else:
            scores = np.asarray(self.vectors @ q, dtype=np.float32)
            rows = np.arange(len(scores), dtype=np.int64)
        keep = live[rows]
        scores, rows = scores[keep], rows[keep]
        if len(scores) > k:
            top = np.argpartition(-scores, k - 1)[:k]
            scores, rows = scores[top], rows[top]
        return scores.astype(np.float32), rows


class SegmentVectors:
    """Inner-product search over the live rows of several segments, laid end to end as in
    Generation (segment i's row r is row bases[i] + r); deleted rows are never returned."""

    def __init__(self, parts: list[VectorPart], live: list[np.ndarray], dim: int):
        self.parts = parts
        self.live = live
        self.d = dim
        self.bases = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        """The best `k` live rows for `query`: {row: inner product}."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        best: list[tuple[float, int]] = []
        for base, part, live in zip(self.bases, self.parts, self.live):
            if len(part) and k > 0:
                scores, rows = part.search(q, k, live)
                best.extend(zip(scores.tolist(), (rows + base).tolist()))
        best.sort(key=lambda sr: (-sr[0], sr[1]))
        return {int(row): float(score) for score, row in best[:k]}

    def get(self, rows: list[int]) -> np.ndarray:
        """The vectors of the given rows, in that order."""
        out = np.zeros((len(rows), self.d), dtype=np.float32)
        if not rows:
            return out
        at = np.asarray(rows, dtype=np.int64)
        seg = np.searchsorted(self.bases, at, side="right") - 1
        for i in np.unique(seg):
            mask = seg == i
            out[mask] = self.parts[i].get(at[mask] - self.bases[i])
        return out
