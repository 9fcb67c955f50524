"""The coordinator's side of a cluster build: connect to the Dask scheduler, refuse the
build when any worker's fingerprint differs, ship the ONNX export once per worker, then
send texts in batches and yield their vectors as they come back.

Invariants: at most `window` batches are in flight (the coordinator's memory and the
scheduler's queue stay bounded whatever the corpus); every batch is yielded exactly once,
in completion order, with the input indices it covers; any failure of the cluster is one
ClusterError line, never a traceback."""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from qa_bot.cluster import ClusterError
from qa_bot.cluster.worker import ModelPlugin, differences, embed_batch, fingerprint
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, _progress_bar
from qa_bot.errors import InputError

BATCH = int(os.environ.get("QA_BOT_CLUSTER_BATCH", "64"))  # texts per task
TIMEOUT = float(os.environ.get("QA_BOT_CLUSTER_TIMEOUT", "20"))  # connect / first worker
AGAIN = ("the previous index is intact and the vectors already returned are kept in the "
         "cache: run the same command again to continue")


@dataclass
class Stats:
    """What a build sent through the cluster (for the benchmark and docs/scale.md)."""
    tasks: int = 0
    texts: int = 0
    bytes_out: int = 0      # text sent to workers (UTF-8)
    bytes_in: int = 0       # vectors returned (float32)
    compute_s: float = 0.0  # seconds workers spent in the model, all workers added up
    wall_s: float = 0.0     # seconds from the first submit to the last result, per call
    workers: int = 0
    setup_s: float = 0.0    # connecting, checking the workers, shipping the model
    model_bytes: int = 0    # the ONNX export, sent once to each worker


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "scheduler-connection-lost" in text:
        return "lost the connection to the scheduler"
    return text if len(text) < 200 else text[:197] + "..."


class ClusterEmbedder:
    """An Embedder (`encode(texts, progress)`) whose model runs on a Dask cluster;
    `encode_batches` yields (input indices, vectors) as batches complete."""

    name = MODEL_NAME
    dim = MODEL_DIM

    def __init__(self, client, address: str, onnx_sha256: str, batch: int = BATCH):
        self.client = client
        self.address = address
        self.onnx_sha256 = onnx_sha256
        self.batch = batch
        self.expected = fingerprint()
        self.stats = Stats()

    @classmethod
    def connect(cls, address: str, index_dir: Path, batch: int = BATCH,
                timeout: float = TIMEOUT) -> "ClusterEmbedder":
        """Connect, check every worker's fingerprint, ship the index's ONNX export (written
        by the build before any embedding) to the workers."""
        from distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port

        from qa_bot.index.onnx_export import ensure_export

        started = time.perf_counter()
        for name in ["distributed", *logging.root.manager.loggerDict]:  # errors: one line
            if name.startswith("distributed"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            parse_host_port(parse_address(address)[1])
        except (ValueError, TypeError) as exc:
            raise InputError(f"--cluster {address}: not a scheduler address "
                             f"({_reason(exc)}); expected tcp://HOST:PORT") from None
        try:
            entry = ensure_export(index_dir)
        except Exception as exc:  # noqa: BLE001 - the workers need the export
            raise ClusterError(f"the ONNX export of the model failed ({_reason(exc)}); a "
                               f"cluster build needs it, build without --cluster") from None
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} "
                               f"({_reason(exc)}); the previous index is intact") from None
        self = cls(client, address, entry["sha256"], batch)
        try:
            self._check_workers(timeout)
            data = (index_dir / entry["file"]).read_bytes()
            client.register_plugin(ModelPlugin(data, entry["sha256"]))
            self.stats.model_bytes = len(data)
        except ClusterError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - scheduler lost while preparing
            self.close()
            raise ClusterError(f"{address}: the cluster failed before any work "
                               f"({_reason(exc)}); the previous index is intact") from None
        self.stats.setup_s = time.perf_counter() - started
        return self

    def _check_workers(self, timeout: float) -> None:
        """Refuse the build, before any work, when no worker joins within `timeout` or a
        worker's fingerprint differs from this machine's (each one named)."""
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise ClusterError(f"{self.address}: no Dask worker joined the scheduler within "
                               f"{timeout:g} s; start some (docs/scale.md)") from None
        found = self.client.run(fingerprint)
        bad = [f"{addr} ({differences(self.expected, fp)})"
               for addr, fp in sorted(found.items()) if fp != self.expected]
        if bad:
            raise ClusterError(f"worker refused, its model or libraries differ from this "
                               f"machine's: {'; '.join(bad)}; install the same qa-bot "
                               f"environment there")
        self.stats.workers = len(found)

    def _submit(self, run: str, number: int, texts: list[str]):
        self.stats.tasks += 1
        self.stats.bytes_out += sum(len(t.encode("utf-8")) for t in texts)
        return self.client.submit(embed_batch, texts, self.onnx_sha256, self.expected,
                                  key=f"qa-bot-embed-{run}-{number}")

    def encode_batches(self, texts: list[str], progress: bool = False
                       ) -> Iterator[tuple[list[int], np.ndarray]]:
        """(indices into `texts`, their vectors) per batch, as batches complete. A lost
        worker's batches are recomputed by the others (Dask); a lost scheduler, a batch
        failing on every worker or a refused worker raises ClusterError."""
        from distributed import as_completed

        starts = iter(range(0, len(texts), self.batch))
        run = uuid.uuid4().hex[:12]
        pending: dict[str, tuple[int, int]] = {}
        started = time.perf_counter()
        done = None
        try:
            window = max(4, 2 * sum(self.client.nthreads().values()))
            done = as_completed(loop=self.client.loop)

            def submit_next() -> None:
                lo = next(starts, None)
                if lo is not None:
                    hi = min(lo + self.batch, len(texts))
                    future = self._submit(run, self.stats.tasks, texts[lo:hi])
                    pending[future.key] = (lo, hi)
                    done.add(future)

            for _ in range(window):
                submit_next()
            with _progress_bar(len(texts), progress) as bar:
                for future in done:
                    lo, hi = pending.pop(future.key)
                    vectors, seconds = future.result()
                    future.release()
                    self.stats.texts += hi - lo
                    self.stats.bytes_in += vectors.nbytes
                    self.stats.compute_s += seconds
                    submit_next()
                    bar.update(hi - lo)
                    yield list(range(lo, hi)), vectors
        except Exception as exc:  # noqa: BLE001 - any cluster failure is one line
            if done is not None:
                with contextlib.suppress(Exception):  # the scheduler may be gone
                    self.client.cancel(list(done.futures))
            raise ClusterError(f"{self.address}: the cluster build stopped "
                               f"({_reason(exc)}); {AGAIN}") from None
        self.stats.wall_s += time.perf_counter() - started

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows, vectors in self.encode_batches(texts, progress):
            out[rows] = vectors
        return out

    def close(self) -> None:
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - a lost scheduler cannot be closed politely
            pass
