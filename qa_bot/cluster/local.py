"""A Dask scheduler and workers as processes on this machine (`dask scheduler`, `dask
worker` of the running Python environment), for the tests, the benchmark and for trying
`--cluster` without other machines. Every process it starts is ended by `close()`, by PID.

Workers run with one task thread and one onnxruntime thread each (QA_BOT_ONNX_THREADS=1),
without a nanny: a SIGKILLed worker stays dead, as a lost machine would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
QUIET = {"HF_HUB_OFFLINE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
         "QA_BOT_ONNX_THREADS": "1"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProcessCluster:
    """`start(n)` a scheduler on a free port of 127.0.0.1 and n workers; logs in `folder`."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, **QUIET, **(env or {})}
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{name}.log", "ab") as log:
            return subprocess.Popen([str(BIN / "dask"), *args], env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def start(self, workers: int = 2, timeout: float = 60) -> "ProcessCluster":
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1",
                                                   "--port", port, "--no-dashboard"])
        for _ in range(workers):
            self.add_worker()
        self.wait(workers, timeout)
        return self

    def add_worker(self) -> subprocess.Popen:
        n = len(self.workers)
        proc = self._spawn(f"worker{n}", [
            "worker", self.address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
            "--no-dashboard", "--name", f"w{n}", "--local-directory", str(self.folder / f"w{n}")])
        self.workers.append(proc)
        return proc

    def alive_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL one of our processes and reap it."""
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def client(self, timeout: float = 30):
        from distributed import Client

        return Client(self.address, timeout=timeout, set_as_default=False)

    def wait(self, n: int, timeout: float = 60) -> None:
        """Until the scheduler answers and n workers are registered with it."""
        with self.client(timeout) as client:
            if n:
                client.wait_for_workers(n, timeout=timeout)

    def close(self) -> None:
        for proc in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            self.kill(proc)

    def __enter__(self) -> "ProcessCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
