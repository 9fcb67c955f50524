"""The FAISS index over a generation's unit vectors (inner product = cosine), by size:

- up to FLAT_MAX vectors: exact search (`IndexFlatIP`); one query scans every vector,
  ~0.15 ms per 1,000 vectors on one core here, so ~7 ms at 50,000.
- above: IVF-Flat (inverted lists of full vectors, spherical k-means centroids), `nlist`
  ~ 4 sqrt(n) lists, `nprobe` lists scanned per query. The parameters were chosen with
  `python -m benchmarks.speed --only million` (benchmarks/results/speed-million.json).

Both keep the exact vectors (so `reconstruct` and the sync's vector reuse work), and the
search parameters are stored in the index file itself: a reader needs no settings."""

from __future__ import annotations

import math

import numpy as np

FLAT_MAX = 50_000
TRAIN_PER_LIST = 40  # k-means sample: this many vectors per list (faiss warns below 39)
NPROBE_FRACTION = 1 / 32  # lists scanned per query, as a share of nlist
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
    index.train(x[np.sort(sample)])
    index.add(x)
    index.make_direct_map()  # reconstruct(row) for the fusion and the sync
    index.nprobe = params["nprobe"]
    return index, dict(params, n=n)
