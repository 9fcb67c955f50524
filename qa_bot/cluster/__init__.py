"""Embedding on a Dask distributed cluster (`qa-bot index --cluster tcp://host:8786`).

The coordinator (the `qa-bot index` process) reads, chunks and hashes the documents and
writes the index as a local build does; only texts missing from the embedding cache go to
the workers, in batches, and their vectors are put into the cache batch by batch as they
come back (see `indexer.embed_missing`), so a build stopped at any point keeps them.

This module imports no dask: `dask` and `distributed` are imported only when a cluster
is used (`coordinator.py` on the coordinator, `worker.py` on the workers)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

from qa_bot.errors import QaBotError


class ClusterError(QaBotError):
    """The cluster cannot be used or was lost (scheduler unreachable, no workers, a worker
    refused, a batch failed); the previous index is intact and the cache keeps every vector
    already returned."""


@contextlib.contextmanager
def embedder_factory(address: str, index_dir: Path) -> Iterator[Callable[[], object]]:
    """A factory for `Engine(cfg, embedder_factory=...)`: the first call connects to the
    scheduler at `address` (and ships the model); the client is closed on exit. A build
    with nothing to embed never connects."""
    made: list = []

    def factory():
        if not made:
            from qa_bot.cluster.coordinator import ClusterEmbedder

            made.append(ClusterEmbedder.connect(address, index_dir))
        return made[0]

    try:
        yield factory
    finally:
        for embedder in made:
            embedder.close()
