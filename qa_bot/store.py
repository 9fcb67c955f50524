"""The index directory: generations switched by one atomic rename (the CURRENT-file
pattern), a content-addressed store of document texts, and an embedding cache.

Layout of `embeddings/`:
    CURRENT              name of the live generation (written to a temp file, then renamed)
    gen-000007/          manifest.json, chunks.jsonl, vectors.faiss, bm25/
    texts/<sha256>.txt   the text each document's offsets refer to (shared by generations)
    cache.sqlite         embedding cache: key(model, embedded text) -> vector
    .lock                held by a build; readers never take it

A generation directory is complete before CURRENT names it, and is never modified after:
a reader that has read CURRENT sees one whole index."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from qa_bot.chunking import Chunk, Sentence
from qa_bot.errors import IndexBusyError, IndexCorruptError, IndexIncompatibleError, \
    IndexMissingError, IndexWriteError
from qa_bot import sentences
from qa_bot.lexical import LexicalIndex
from qa_bot.vector_index import build_vector_index, load_vector_index

FORMAT_VERSION = 1
CURRENT = "CURRENT"
GEN_PREFIX = "gen-"


def crash_point(name: str) -> None:
    """Test hook for crash safety: SIGKILL this very process at the named point of a build
    when QA_BOT_CRASH_AT names it (a real kill, as by the OOM killer or a power cut)."""
    if os.environ.get("QA_BOT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def embed_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode("utf-8")).hexdigest()[:32]


def chunk_to_row(c: Chunk) -> dict:
    return {"doc_id": c.doc_id, "ordinal": c.ordinal, "start": c.start, "end": c.end,
            "text": c.text, "title": c.title, "section": c.section, "paragraph": c.paragraph,
            "sentences": [[s.start, s.end, s.paragraph, s.page] for s in c.sentences]}


def row_to_chunk(row: dict) -> Chunk:
    sents = tuple(Sentence(*s) for s in row["sentences"])
    return Chunk(row["doc_id"], row["ordinal"], row["start"], row["end"], row["text"],
                 row["title"], row["section"], row["paragraph"], sents)


@dataclass
class Generation:
    """One loaded, immutable generation of the index."""

    name: str
    path: Path
    manifest: dict
    chunks: list[Chunk]
    keys: list[str]  # embedding-cache key of each chunk row
    vectors: "object"  # faiss.Index over the rows, inner product on unit vectors
    lexical: LexicalIndex
    sentence_vectors: np.ndarray | None = None  # see qa_bot/sentences.py; None: not stored

    @functools.cached_property
    def sentence_offsets(self) -> np.ndarray:
        """Rows offsets[r]..offsets[r + 1] of sentence_vectors belong to chunk row r."""
        return sentences.offsets(self.chunks)

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    def doc_rows(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            rows.setdefault(c.doc_id, []).append(i)
        return rows

    def all_vectors(self) -> np.ndarray:
        n = self.vectors.ntotal
        if n == 0:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_n(0, n)


class IndexStore:
    def __init__(self, root: Path):
        self.root = root

    # ---- reading -------------------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{self.root / CURRENT}: unreadable ({exc}); "
                                    f"run `qa-bot index --full`") from None
        return name or None

    def exists(self) -> bool:
        return self.current_name() is not None

    def load(self, model: str, dim: int) -> Generation:
        """The live generation. Raises IndexMissingError, IndexCorruptError (naming the
        file) or IndexIncompatibleError (another model or dimension)."""
        name = self.current_name()
        if name is None:
            raise IndexMissingError(f"{self.root}: no index yet; run `qa-bot index`")
        return self.load_generation(name, model, dim)

    def load_generation(self, name: str, model: str, dim: int) -> Generation:
        path = self.root / name
        manifest_file = path / "manifest.json"
        where = manifest_file
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT_VERSION:
                raise IndexIncompatibleError(
                    f"{manifest_file}: index format {manifest.get('format')!r}, this qa-bot "
                    f"reads {FORMAT_VERSION}; run `qa-bot index --full`")
            if manifest.get("model") != model or manifest.get("dim") != dim:
                raise IndexIncompatibleError(
                    f"{manifest_file}: index built with {manifest.get('model')} "
                    f"(dim {manifest.get('dim')}), this qa-bot uses {model} (dim {dim}); "
                    f"run `qa-bot index --full`")
            where = path / "chunks.jsonl"
            rows = [json.loads(line) for line in where.read_text(encoding="utf-8").splitlines()]
            chunks = [row_to_chunk(r) for r in rows]
            keys = [r["key"] for r in rows]
            where = path / "vectors.faiss"
            vectors = load_vector_index(where)
            if vectors.ntotal != len(chunks) or vectors.d != dim:
                raise ValueError(f"{vectors.ntotal} vectors of dim {vectors.d} for "
                                 f"{len(chunks)} chunks")
            where = path / "bm25"
            lexical = LexicalIndex.load(where, len(chunks))
            where = path / sentences.FILE
            sentence_vectors = sentences.load(path, sum(len(c.sentences) for c in chunks), dim)
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"{exc.filename or where}: missing from the index; "
                                    f"run `qa-bot index --full`") from None
        except (IndexIncompatibleError, IndexCorruptError):
            raise
        except Exception as exc:  # any parse failure of a stored file
            raise IndexCorruptError(f"{where}: corrupt index file ({exc}); "
                                    f"run `qa-bot index --full`") from None
        return Generation(name, path, manifest, chunks, keys, vectors, lexical, sentence_vectors)

    def text_path(self, content_hash: str) -> Path:
        return self.root / "texts" / f"{content_hash}.txt"

    def document_text(self, content_hash: str) -> str:
        return self.text_path(content_hash).read_text(encoding="utf-8")

    # ---- writing (callers hold the lock) ------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float = 10.0) -> Iterator[None]:
        """Held by a build for its whole run; a second build waits `timeout` seconds, then
        gets IndexBusyError. Readers never take it."""
        from filelock import FileLock, Timeout

        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".lock"))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexBusyError(f"{self.root}: another `qa-bot index` is running (it holds "
                                 f"{self.root / '.lock'}); try again when it ends") from None
        try:
            yield
        finally:
            lock.release()

    def put_text(self, content_hash: str, text: str) -> None:
        path = self.text_path(content_hash)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, text.encode("utf-8"))

    def _generation_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and p.name.startswith(GEN_PREFIX) and p.name[4:].isdigit())

    def remove_debris(self) -> None:
        """Half-written generations, temp files, and complete generations that a killed
        build wrote but never made CURRENT (newer than the live one)."""
        if not self.root.is_dir():
            return
        current = self.current_name() or ""
        for p in self.root.iterdir():
            if ".tmp" in p.name:
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        for n in self._generation_names():
            if n > current:
                shutil.rmtree(self.root / n, ignore_errors=True)
        texts = self.root / "texts"
        if texts.is_dir():
            for p in texts.iterdir():
                if ".tmp" in p.name:
                    p.unlink(missing_ok=True)

    def write_generation(self, manifest: dict, chunks: list[Chunk], keys: list[str],
                         vectors: np.ndarray, lexical: LexicalIndex,
                         sentence_vectors: np.ndarray | None = None) -> str:
        """Write a complete new generation, then point CURRENT at it. Returns its name.
        Any failure before the rename of CURRENT leaves the previous generation live."""
        names = self._generation_names()
        number = int(names[-1][4:]) + 1 if names else 1
        name = f"{GEN_PREFIX}{number:06d}"
        tmp = self.root / f"{name}.tmp-{os.getpid()}"
        try:
            self._write_tmp(tmp, manifest, chunks, keys, vectors, lexical, name)
            if sentence_vectors is not None:
                sentences.save(tmp, sentence_vectors)
                with open(tmp / sentences.FILE, "rb") as f:
                    os.fsync(f.fileno())
                fsync_dir(tmp)
        except (OSError, RuntimeError) as exc:  # faiss reports write errors as RuntimeError
            shutil.rmtree(tmp, ignore_errors=True)
            reason = getattr(exc, "strerror", None) or exc
            raise IndexWriteError(f"{self.root}: cannot write the new index ({reason}); "
                                  f"the previous index is intact") from None
        crash_point("before-rename")
        os.rename(tmp, self.root / name)
        fsync_dir(self.root)
        crash_point("before-current")
        write_file_atomic(self.root / CURRENT, (name + "\n").encode())
        crash_point("after-current")
        return name

    def _write_tmp(self, tmp: Path, manifest: dict, chunks: list[Chunk], keys: list[str],
                   vectors: np.ndarray, lexical: LexicalIndex, name: str) -> None:
        import faiss

        tmp.mkdir(parents=True)
        manifest = dict(manifest, format=FORMAT_VERSION, generation=name, chunks=len(chunks))
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c, k in zip(chunks, keys):
                row = chunk_to_row(c)
                row["key"] = k
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        crash_point("chunks-written")
        index, manifest["vector_index"] = build_vector_index(vectors, int(manifest["dim"]))
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        (tmp / "bm25").mkdir()
        lexical.save(tmp / "bm25")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                           encoding="utf-8")
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(tmp / "bm25")
        fsync_dir(tmp)

    def prune(self, keep: int, manifests: dict[str, dict] | None = None) -> None:
        """Drop all but the newest `keep` generations and texts none of them uses.
        `manifests` (generation name -> manifest) spares re-reading ones the caller has."""
        manifests = manifests or {}
        current = self.current_name()
        names = [n for n in self._generation_names() if n != current]
        kept = ([current] if current else []) + names[::-1][: max(keep - 1, 0)]
        for n in names:
            if n not in kept:
                shutil.rmtree(self.root / n, ignore_errors=True)
        used: set[str] = set()
        for n in kept:
            try:
                m = manifests.get(n) or json.loads(
                    (self.root / n / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return  # never delete texts on an unreadable manifest
            used.update(d["hash"] for d in m["documents"].values())
        texts = self.root / "texts"
        if texts.is_dir():
            for p in texts.iterdir():
                if p.suffix == ".txt" and p.stem not in used:
                    p.unlink(missing_ok=True)


class EmbeddingCache:
    """key -> float32 vector, in SQLite (crash safe, survives --full)."""

    def __init__(self, path: Path, dim: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        try:
            self.db = sqlite3.connect(str(path))
            self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        except sqlite3.DatabaseError:  # a corrupt cache is only a cache: start afresh
            path.unlink(missing_ok=True)
            self.db = sqlite3.connect(str(path))
            self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})"
            for k, blob in self.db.execute(q, part):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (self.dim,):
                    out[k] = vec
        return out

    def put_many(self, keys: list[str], vectors: np.ndarray) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)],
            )

    def close(self) -> None:
        self.db.close()
