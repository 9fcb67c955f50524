"""The embedding cache: key(model, embedded text) -> float32 vector, in SQLite."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.terminal import warning


def embed_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode("utf-8")).hexdigest()[:32]


def embed_missing(embedder, keys: list[str], texts: list[str], cache: "EmbeddingCache",
                  progress: bool) -> dict[str, np.ndarray]:
    """key -> vector of `texts` (none of them in `cache`), each put into `cache`. An
    embedder with `encode_batches` (a cluster) has its vectors cached batch by batch as
    they come back, so a build stopped half way keeps them for the next run."""
    batches = getattr(embedder, "encode_batches", None)
    if batches is None:
        vecs = embedder.encode(texts, progress=progress)
        cache.put_many(keys, vecs)
        return dict(zip(keys, vecs))
    out: dict[str, np.ndarray] = {}
    for rows, vecs in batches(texts, progress=progress):
        part = [keys[r] for r in rows]
        cache.put_many(part, vecs)
        out.update(zip(part, vecs))
    return out


def _vector(blob: object, dim: int) -> np.ndarray | None:
    """The vector a blob holds, or None when it is not one (wrong size, or its CRC-32
    does not match)."""
    if not isinstance(blob, bytes):
        return None
    size = dim * 4
    if len(blob) == size + 4:
        if zlib.crc32(blob[:size]) != int.from_bytes(blob[size:], "little"):
            return None
    elif len(blob) != size:
        return None
    return np.frombuffer(blob, dtype=np.float32, count=dim)


def _select(db: sqlite3.Connection, keys: list[str], dim: int) -> dict[str, np.ndarray]:
    """key -> vector of the `keys` the database holds a sound vector for."""
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})"
        for k, blob in db.execute(q, part):
            vec = _vector(blob, dim)
            if vec is not None:
                out[k] = vec
    return out


SQLITE_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary result codes)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in SQLITE_DAMAGED


class EmbeddingCache:
    """key -> float32 vector, in SQLite (crash safe, survives --full). Each blob ends with
    the CRC-32 of the vector, so a changed vector reads as missing (and is embedded again),
    never as a wrong one; older blobs without it are taken as they are. A damaged file is
    only a cache: it is moved aside to `cache.sqlite.damaged` (with a warning naming it)
    and a new one started, so it never blocks a build."""

    def __init__(self, path: Path, dim: int, warn: Callable[[str], None] = warning):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dim = dim
        self.warn = warn
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._set_aside(exc)

    def _open(self) -> None:
        self.db = sqlite3.connect(str(self.path))
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")

    def _set_aside(self, exc: sqlite3.DatabaseError) -> None:
        with contextlib.suppress(AttributeError):  # no connection yet
            self.db.close()
        aside = self.path.with_name(self.path.name + ".damaged")
        for suffix in ("-journal", "-wal", "-shm", ""):  # a hot journal goes with its file
            src = self.path.with_name(self.path.name + suffix)
            if src.exists():
                os.replace(src, aside.with_name(aside.name + suffix))
        self.warn(f"{self.path}: damaged embedding cache ({exc}); moved aside to {aside.name}, "
                  f"starting a new one")
        self._open()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        try:
            return _select(self.db, keys, self.dim)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._set_aside(exc)
            return {}

    @staticmethod
    def holds(path: Path, dim: int, keys: list[str]) -> set[str]:
        """The `keys` the cache file at `path` has a sound vector for, read only: nothing
        created, changed or moved aside (a dry run). None of them when the file is missing
        or cannot be read, as a build would then embed them all."""
        if not path.is_file():
            return set()
        try:
            db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
            try:
                return set(_select(db, keys, dim))
            finally:
                db.close()
        except sqlite3.Error:
            return set()

    def put_many(self, keys: list[str], vectors: np.ndarray) -> None:
        rows = []
        for k, v in zip(keys, vectors):
            data = np.asarray(v, dtype=np.float32).tobytes()
            rows.append((k, data + zlib.crc32(data).to_bytes(4, "little")))
        try:
            self._put(rows)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._set_aside(exc)
            self._put(rows)

    def check(self, repair: bool = False) -> str | None:
        """SQLite's quick_check of the file: None when it passes, else one line naming the
        file (and, with `repair`, the file is moved aside and a new one started)."""
        try:
            rows = self.db.execute("PRAGMA quick_check").fetchall()
            if rows == [("ok",)]:
                return None
            exc = sqlite3.DatabaseError("; ".join(str(r[0]) for r in rows[:3]))
        except sqlite3.DatabaseError as err:
            exc = err
        if repair:
            self._set_aside(exc)
        return f"{self.path}: damaged embedding cache ({exc}); run `qa-bot index --full`"

    @staticmethod
    def check_file(path: Path) -> str | None:
        """`check` of the file at `path`, opened read-only (nothing moved, nothing
        created): None when it passes, else one line naming it and the fix."""
        try:
            db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            return f"{path}: unreadable embedding cache ({exc}); run `qa-bot index --full`"
        try:
            rows = db.execute("PRAGMA quick_check").fetchall()
            if rows == [("ok",)]:
                return None
            why = "; ".join(str(r[0]) for r in rows[:3])
        except sqlite3.Error as exc:
            why = str(exc)
        finally:
            db.close()
        return f"{path}: damaged embedding cache ({why}); run `qa-bot index --full`"

    def _put(self, rows: list[tuple[str, bytes]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self.db.close()

