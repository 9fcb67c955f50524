"""The index directory: generations switched by one atomic rename (the CURRENT-file
pattern), a content-addressed store of document texts, and an embedding cache.

Layout of `embeddings/`:
    QA_BOT_INDEX         marker: this folder is a qa-bot index (first line: the format)
    CURRENT              name of the live generation (written to a temp file, then renamed)
    gen-000007/          manifest.json, chunks.jsonl, vectors.faiss, bm25/, sentences.npy
    texts/<sha256>.txt   the text each document's offsets refer to (shared by generations)
    cache.sqlite         embedding cache: key(model, embedded text) -> vector
    .lock                held by a build; readers never take it

A generation directory is complete before CURRENT names it, and is never modified after:
a reader that has read CURRENT sees one whole index. Its manifest records the size and
CRC-32 of each of its files; a load checks both, so damage is named, never served.
CURRENT is only a pointer: when it is missing or names no generation, the newest complete
generation (its files there with their recorded sizes) is live, with a warning.

Ownership: a build writes only into a folder that is empty, new or marked as ours, and
removes only names it made: its temp files (fixed names, below), generations the marker
lists (a build records each before it exists) or whose manifest names them, and
texts/<hash>.txt of the documents of a generation it removes. Anything else a user leaves
in the folder survives every build."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from qa_bot.chunking import Chunk, Sentence
from qa_bot.errors import IndexBusyError, IndexCorruptError, IndexDirError, \
    IndexIncompatibleError, IndexMissingError, IndexWriteError
from qa_bot import sentences
from qa_bot.lexical import LexicalIndex
from qa_bot.terminal import safe
from qa_bot.vector_index import build_vector_index, load_vector_index

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MARKER = "QA_BOT_INDEX"
MARKER_TEXT = (f"qa-bot index format {FORMAT_VERSION}\n"
               "This folder is managed by qa-bot: builds remove only the files they made.\n")
LEDGER_LINE = "generation "  # the marker's later lines: the generations builds made here
GEN_PREFIX = "gen-"
GEN_NAME = re.compile(r"gen-[0-9]{6,}")
HASH_NAME = re.compile(r"[0-9a-f]{64}")
# Names a folder may hold and still count as empty for a first build: the tracked
# README of embeddings/, and the lock file a dry run or an earlier refused build left.
EMPTY_ENOUGH = frozenset({"README.md", ".lock"})
# Temp names, fixed so the next build removes exactly these (builds hold the lock).
GEN_TMP = ".generation.tmp"
TEXT_TMP = ".text.tmp"  # inside texts/
TEMP_FILES = (f".{CURRENT}.tmp", f".{MARKER}.tmp", f"texts/{TEXT_TMP}")

_warned: set[tuple[str, str]] = set()  # (index dir, message): each warning once a process


def _stderr_warning(line: str) -> None:
    print(f"warning: {safe(line)}", file=sys.stderr, flush=True)


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


def write_file_atomic(path: Path, data: bytes, tmp: Path | None = None,
                      mode: int = 0o644) -> None:
    """Write `data` to `tmp` (default `.NAME.tmp` beside `path`), fsync, rename over
    `path`. Callers hold the index lock, so the fixed temp name is theirs alone."""
    tmp = tmp or path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # debris of a killed build; O_CREAT keeps an old mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0),
                 mode)
    with open(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def crc32_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return crc


def _file_records(folder: Path) -> dict[str, dict]:
    """{"size", "crc32"} of every file below `folder`, by path relative to it."""
    return {p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "crc32": crc32_of(p)}
            for p in sorted(folder.rglob("*")) if p.is_file()}


def file_problem(folder: Path, manifest: dict, checksums: bool = True) -> str | None:
    """None when every file the manifest's `files` lists is in `folder` with its recorded
    size (and CRC-32, if `checksums`); else one line naming the first file that is not.
    A manifest from before `files` was kept: chunks.jsonl and vectors.faiss exist."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        files = {"chunks.jsonl": {}, "vectors.faiss": {}}
    for rel, record in files.items():
        path = folder / rel
        if isinstance(record, int) and not isinstance(record, bool):
            record = {"size": record}  # written before checksums were kept
        if Path(rel).is_absolute() or ".." in Path(rel).parts or not isinstance(record, dict):
            return f"{folder / 'manifest.json'}: bad file entry {ascii(rel)}"
        try:
            size = path.stat().st_size
            if record.get("size") not in (None, size):
                return (f"{path}: {size} bytes where the manifest records {record['size']} "
                        f"(truncated or overwritten)")
            if checksums and record.get("crc32") not in (None, crc32_of(path)):
                return f"{path}: damaged (its CRC-32 is not the one the manifest records)"
        except OSError:
            return f"{path}: missing from the index"
    return None


SELF_CRC = "manifest_crc32"  # the manifest's own checksum, over everything else in it


def manifest_crc32(manifest: dict) -> int:
    """CRC-32 of the manifest's content without SELF_CRC (canonical JSON: key order and
    whitespace do not count, every value does)."""
    rest = {k: v for k, v in manifest.items() if k != SELF_CRC}
    return zlib.crc32(json.dumps(rest, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def manifest_intact(manifest: dict) -> bool:
    """True unless the manifest records its CRC-32 and it differs (one written before the
    manifest checked itself is taken as it is)."""
    return SELF_CRC not in manifest or manifest[SELF_CRC] == manifest_crc32(manifest)


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
    """One index directory. Readers call current_name/load (never write, never lock);
    a build calls check_owner, then under lock(): claim, remove_debris, put_text,
    write_generation, prune."""

    def __init__(self, root: Path, warn: Callable[[str], None] = _stderr_warning):
        self.root = root
        self.warn = warn
        self._complete: dict[tuple[str, int, int, int], bool] = {}  # (name, manifest stat)

    # ---- the pointer ---------------------------------------------------------------
    def read_pointer(self) -> tuple[str | None, str]:
        """(name, "") when CURRENT names an existing generation directory, else
        (None, why): "missing", "empty", "unreadable (...)", "names ..., which ..."."""
        try:
            with open(self.root / CURRENT, "rb") as f:
                raw = f.read(256)
        except FileNotFoundError:
            return None, "missing"
        except NotADirectoryError:
            raise self._not_a_directory() from None
        except OSError as exc:
            return None, f"unreadable ({exc.strerror})"
        name = raw.decode("utf-8", "replace").strip()
        if not name:
            return None, "empty"
        if not GEN_NAME.fullmatch(name):
            return None, f"holds {ascii(name[:40])}, not a generation name"
        if not (self.root / name).is_dir():
            return None, f"names {name}, which does not exist"
        return name, ""

    def current_name(self) -> str | None:
        """The live generation: the one CURRENT names, else (with one warning) the newest
        complete one, else None."""
        name, why = self.read_pointer()
        if name is not None:
            return name
        for n in reversed(self._generation_names()):
            if self.is_complete(n):
                line = f"{self.root / CURRENT}: {why}; using the newest complete generation, {n}"
                if (str(self.root), line) not in _warned:
                    _warned.add((str(self.root), line))
                    self.warn(line)
                return n
        return None

    def exists(self) -> bool:
        """Something of an index is here (CURRENT or a generation), whole or not: load()
        gives it, or names what is wrong with it."""
        name, why = self.read_pointer()  # IndexDirError when the "directory" is a file
        return name is not None or why != "missing" or bool(self._generation_names())

    def is_complete(self, name: str) -> bool:
        """Its manifest loads and names it, and its files have the recorded sizes (the
        checksums are checked when it is loaded)."""
        path = self.root / name
        try:
            st = (path / "manifest.json").stat()
        except OSError:
            return False
        key = (name, st.st_ino, st.st_mtime_ns, st.st_size)
        if key not in self._complete:  # generations are immutable: checked once
            manifest = self.manifest(name)
            self._complete[key] = (manifest is not None
                                   and file_problem(path, manifest, checksums=False) is None)
        return self._complete[key]

    def manifest(self, name: str, known: dict[str, dict] | None = None) -> dict | None:
        """The manifest of generation `name` (from `known`, the caller's, when there) if it
        loads and names that generation."""
        if known and name in known:
            return known[name]
        try:
            m = json.loads((self.root / name / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return m if isinstance(m, dict) and m.get("generation") == name \
            and manifest_intact(m) else None

    # ---- reading -------------------------------------------------------------------
    def load(self, model: str, dim: int) -> Generation:
        """The live generation. Raises IndexMissingError, IndexCorruptError (naming the
        file) or IndexIncompatibleError (another model or dimension)."""
        name = self.current_name()
        if name is None:
            if self.exists():
                _, why = self.read_pointer()
                raise IndexCorruptError(f"{self.root}: no complete generation ({CURRENT} "
                                        f"{why}); run `qa-bot index --full`")
            raise IndexMissingError(f"{self.root}: no index yet; run `qa-bot index`")
        return self.load_generation(name, model, dim)

    def load_generation(self, name: str, model: str, dim: int) -> Generation:
        path = self.root / name
        manifest_file = path / "manifest.json"
        where = manifest_file
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
            if manifest.get("format") != FORMAT_VERSION:
                raise IndexIncompatibleError(
                    f"{manifest_file}: index format {manifest.get('format')!r}, this qa-bot "
                    f"reads {FORMAT_VERSION}; run `qa-bot index --full`")
            if manifest.get("model") != model or manifest.get("dim") != dim:
                raise IndexIncompatibleError(
                    f"{manifest_file}: index built with {manifest.get('model')} "
                    f"(dim {manifest.get('dim')}), this qa-bot uses {model} (dim {dim}); "
                    f"run `qa-bot index --full`")
            if not manifest_intact(manifest):
                raise IndexCorruptError(f"{manifest_file}: damaged (its CRC-32 is not the one "
                                        f"it records); run `qa-bot index --full`")
            problem = file_problem(path, manifest)
            if problem:
                raise IndexCorruptError(f"{problem}; run `qa-bot index --full`")
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

    def verify(self, model: str, dim: int) -> list[str]:
        """Every problem of the live generation, one line each (empty: all is well): each
        file's size and CRC-32, then the files parse and agree, every stored text is there
        (a .txt or .md one matching its document's hash) and holds every chunk's text and
        sentences at their offsets."""
        name, why = self.read_pointer()
        problems = [] if name else [f"{self.root / CURRENT}: {why}; run `qa-bot index`"]
        name = self.current_name()
        if name is None:
            return problems + [f"{self.root}: no complete generation; run `qa-bot index --full`"]
        path = self.root / name
        manifest = self.manifest(name)
        if manifest is None:
            return problems + [f"{path / 'manifest.json'}: unreadable or damaged; run "
                               f"`qa-bot index --full`"]
        files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
        damaged = [f"{problem}; run `qa-bot index --full`" for rel, record in files.items()
                   if (problem := file_problem(path, {"files": {rel: record}}))]
        if damaged:
            return problems + damaged
        try:
            gen = self.load_generation(name, model, dim)
        except (IndexCorruptError, IndexIncompatibleError) as exc:
            return problems + [str(exc)]
        texts: dict[str, str | None] = {}
        for doc_id, meta in gen.documents.items():
            file = self.text_path(meta["hash"])
            try:
                raw = file.read_bytes()
                texts[doc_id] = raw.decode("utf-8")
                if Path(meta["path"]).suffix.lower() in (".txt", ".md") \
                        and hashlib.sha256(raw).hexdigest() != meta["hash"]:
                    problems.append(f"{file}: not the text of {meta['source']} (its hash "
                                    f"differs); run `qa-bot index --full`")
            except (OSError, UnicodeDecodeError) as exc:
                texts[doc_id] = None
                problems.append(f"{file}: the text of {meta['source']} is unreadable "
                                f"({getattr(exc, 'strerror', None) or exc}); run "
                                f"`qa-bot index --full`")
        bad_docs: set[str] = set()
        for c in gen.chunks:
            text = texts.get(c.doc_id)
            if text is None or c.doc_id in bad_docs:
                continue
            if text[c.start:c.end] != c.text or not all(
                    c.start <= s.start < s.end <= c.end for s in c.sentences):
                bad_docs.add(c.doc_id)
                meta = gen.documents[c.doc_id]
                problems.append(f"{self.text_path(meta['hash'])}: chunk {c.ordinal} of "
                                f"{meta['source']} is not at its offsets in this text; run "
                                f"`qa-bot index --full`")
        return problems

    def text_path(self, content_hash: str) -> Path:
        return self.root / "texts" / f"{content_hash}.txt"

    def document_text(self, content_hash: str) -> str:
        return self.text_path(content_hash).read_text(encoding="utf-8")

    # ---- ownership (before and under the lock) --------------------------------------
    def check_owner(self) -> None:
        """Raise IndexDirError unless the folder is missing, empty (but for EMPTY_ENOUGH
        names), marked as qa-bot's, or an index an earlier qa-bot built. Writes nothing."""
        root = self.root
        if os.path.realpath(root) == os.path.realpath(os.sep):
            raise IndexDirError(f"{root}: the file system root cannot hold the index; pick an "
                                f"empty or new directory (--index-dir or [index] dir)")
        if not os.path.lexists(root):
            return
        if not root.is_dir():
            raise self._not_a_directory()
        try:
            names = set(os.listdir(root))
        except OSError as exc:
            raise IndexWriteError(f"{root}: cannot read the index directory "
                                  f"({exc.strerror})") from None
        if MARKER in names:
            self._check_marker()
        elif not names <= EMPTY_ENOUGH and not self._legacy_index(names):
            raise IndexDirError(
                f"{root}: not empty and not a qa-bot index (no {MARKER} file); pick an empty "
                f"or new directory (--index-dir or [index] dir), qa-bot will not mix its files "
                f"with others")

    def _not_a_directory(self) -> IndexDirError:
        return IndexDirError(f"{self.root}: not a directory; the index needs a folder of its "
                             f"own (--index-dir or [index] dir)")

    def _check_marker(self) -> None:
        path = self.root / MARKER
        try:
            with open(path, "rb") as f:
                first = f.readline(200).decode("utf-8", "replace").split()
        except OSError as exc:
            raise IndexWriteError(f"{path}: unreadable ({exc.strerror})") from None
        if first[:3] == ["qa-bot", "index", "format"] and len(first) == 4 \
                and first[3].isdigit() and int(first[3]) > FORMAT_VERSION:
            raise IndexIncompatibleError(f"{path}: index format {first[3]}, this qa-bot "
                                         f"writes {FORMAT_VERSION}; use a newer qa-bot or "
                                         f"another directory")

    def _legacy_index(self, names: set[str]) -> bool:
        """An index built before the marker existed: CURRENT and a generation whose
        manifest names it."""
        return CURRENT in names and any(self.manifest(n) is not None
                                        for n in names if GEN_NAME.fullmatch(n))

    def claim(self) -> None:
        """Check ownership again (under the lock) and write the marker if missing (listing
        the generations of an index an earlier qa-bot built)."""
        self.check_owner()
        if self.marker_problem():  # missing or damaged: written again, whole
            self._record(add={n for n in self._generation_names() if self.manifest(n)})

    def marker_problem(self) -> str | None:
        """None when the marker is there and opens with its first line; else why not."""
        try:
            with open(self.root / MARKER, "rb") as f:
                head = f.read(len(MARKER_TEXT))
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"unreadable ({exc.strerror})"
        return None if head == MARKER_TEXT.encode() else "damaged"

    def _ledger(self) -> set[str]:
        """The generations the marker lists."""
        try:
            lines = (self.root / MARKER).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return set()
        names = {line[len(LEDGER_LINE):].strip() for line in lines.splitlines()
                 if line.startswith(LEDGER_LINE)}
        return {n for n in names if GEN_NAME.fullmatch(n)}

    def _record(self, add: set[str] = frozenset()) -> None:
        """Rewrite the marker: the generations it lists that still exist, plus `add`."""
        names = {n for n in self._ledger() if (self.root / n).is_dir()} | set(add)
        lines = [f"{LEDGER_LINE}{n}\n" for n in sorted(names)]
        write_file_atomic(self.root / MARKER, (MARKER_TEXT + "".join(lines)).encode())

    def _owned(self, name: str, manifests: dict[str, dict] | None = None) -> bool:
        """A generation a build here made: the marker lists it, or its manifest names it."""
        return name in self._ledger() or self.manifest(name, manifests) is not None

    # ---- writing (callers hold the lock) ------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float = 10.0) -> Iterator[None]:
        """Held by a build for its whole run; a second build waits `timeout` seconds, then
        gets IndexBusyError. Readers never take it."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / ".lock"))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexBusyError(f"{self.root}: another `qa-bot index` is running (it holds "
                                 f"{self.root / '.lock'}); try again when it ends") from None
        except OSError as exc:
            raise IndexWriteError(f"{self.root}: cannot write the index directory "
                                  f"({exc.strerror or exc}); check its owner and mode, or pick "
                                  f"another (--index-dir or [index] dir)") from None
        try:
            yield
        finally:
            lock.release()

    def put_text(self, content_hash: str, text: str, mode: int = 0o600) -> None:
        """Keep the text a document's offsets refer to (a copy there that differs, i.e. a
        damaged one, is written again); `mode` is the permission bits of its source: the
        copy never grants group or others more than the source does."""
        path = self.text_path(content_hash)
        mode = (mode & 0o066) | 0o600
        data = text.encode("utf-8")
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if same:
            have = path.stat().st_mode & 0o777
            if have & ~mode & 0o066:
                os.chmod(path, have & mode)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, data, tmp=path.parent / TEXT_TMP, mode=mode)

    def _generation_names(self) -> list[str]:
        """Names of the generation directories, oldest first."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        names = [e.name for e in entries
                 if GEN_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
        return sorted(names, key=lambda n: int(n[len(GEN_PREFIX):]))

    def remove_debris(self) -> None:
        """What a killed build left: its temp files (by their fixed names) and, when
        CURRENT names a generation, generations it wrote but never made CURRENT (newer
        than the live one). With CURRENT broken, every generation is kept."""
        for rel in TEMP_FILES:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (self.root / rel).unlink()
        shutil.rmtree(self.root / GEN_TMP, ignore_errors=True)
        live, _ = self.read_pointer()
        if live is None:
            return
        for n in self._generation_names():
            if int(n[len(GEN_PREFIX):]) > int(live[len(GEN_PREFIX):]) and self._owned(n):
                shutil.rmtree(self.root / n, ignore_errors=True)

    def repair_pointer(self, name: str) -> None:
        """Point CURRENT at `name` (a complete generation) if it does not already."""
        if self.read_pointer()[0] != name:
            write_file_atomic(self.root / CURRENT, (name + "\n").encode())

    def write_generation(self, manifest: dict, chunks: list[Chunk], keys: list[str],
                         vectors: np.ndarray, lexical: LexicalIndex,
                         sentence_vectors: np.ndarray | None = None,
                         private: bool = False) -> str:
        """Write a complete new generation, then point CURRENT at it. Returns its name.
        Any failure before the rename of CURRENT leaves the previous generation live.
        `private` (a source others may not read): its folder is created 0700, so no one
        else ever reads a file of it (restrict_generations makes the files 0600)."""
        names = self._generation_names()
        number = int(names[-1][len(GEN_PREFIX):]) + 1 if names else 1
        name = f"{GEN_PREFIX}{number:06d}"
        tmp = self.root / GEN_TMP
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            self._write_tmp(tmp, manifest, chunks, keys, vectors, lexical, name,
                            sentence_vectors, private)
        except (OSError, RuntimeError) as exc:  # faiss reports write errors as RuntimeError
            shutil.rmtree(tmp, ignore_errors=True)
            reason = getattr(exc, "strerror", None) or exc
            raise IndexWriteError(f"{self.root}: cannot write the new index ({reason}); "
                                  f"the previous index is intact") from None
        self._record(add={name})  # before it exists: a crash leaves nothing unrecorded
        crash_point("before-rename")
        os.rename(tmp, self.root / name)
        fsync_dir(self.root)
        crash_point("before-current")
        write_file_atomic(self.root / CURRENT, (name + "\n").encode())
        crash_point("after-current")
        return name

    def _write_tmp(self, tmp: Path, manifest: dict, chunks: list[Chunk], keys: list[str],
                   vectors: np.ndarray, lexical: LexicalIndex, name: str,
                   sentence_vectors: np.ndarray | None, private: bool = False) -> None:
        """Every file of the generation, then the manifest (which records their sizes),
        all fsynced."""
        import faiss

        tmp.mkdir(parents=True, mode=0o700 if private else 0o777)
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
        if sentence_vectors is not None:
            sentences.save(tmp, sentence_vectors)
        manifest["files"] = _file_records(tmp)
        manifest[SELF_CRC] = manifest_crc32(manifest)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                           encoding="utf-8")
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        fsync_dir(tmp / "bm25")
        fsync_dir(tmp)

    def restrict_generations(self) -> None:
        """Every generation folder 0700 and its files 0600: only the owner reads the
        document text they hold (for an index of a source others may not read)."""
        for name in (n for n in self._generation_names() if self._owned(n)):
            for folder, dirs, files in os.walk(self.root / name):
                os.chmod(folder, 0o700)
                for f in files:
                    os.chmod(os.path.join(folder, f), 0o600)

    def prune(self, keep: int, manifests: dict[str, dict] | None = None) -> None:
        """Drop all but the newest `keep` generations (the live one counts) among those
        builds here made (see _owned), and the texts of their documents that no remaining
        generation uses. `manifests` (generation name -> manifest) spares re-reading."""
        live, _ = self.read_pointer()
        if live is None:
            return
        owned = [n for n in self._generation_names()
                 if n != live and self._owned(n, manifests)]
        kept = set(owned[::-1][: max(keep - 1, 0)])
        dropped: set[str] = set()
        for n in owned:
            if n not in kept:
                dropped.update(_hashes(self.manifest(n, manifests) or {}))
                shutil.rmtree(self.root / n, ignore_errors=True)
        if len(kept) < len(owned):
            self._record()  # forgets the ones removed
        live_manifest = self.manifest(live, manifests)
        if live_manifest is None:
            return  # never delete texts the live generation may use
        used = _hashes(live_manifest)
        for n in self._generation_names():
            used.update(_hashes(self.manifest(n, manifests) or {}))
        for h in dropped - used:
            self.text_path(h).unlink(missing_ok=True)


def _hashes(manifest: dict) -> set[str]:
    """Content hashes of a manifest's documents (only well-formed ones: they name files)."""
    docs = manifest.get("documents")
    if not isinstance(docs, dict):
        return set()
    return {d["hash"] for d in docs.values()
            if isinstance(d, dict) and isinstance(d.get("hash"), str)
            and HASH_NAME.fullmatch(d["hash"])}


SQLITE_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary result codes)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in SQLITE_DAMAGED


class EmbeddingCache:
    """key -> float32 vector, in SQLite (crash safe, survives --full). Each blob ends with
    the CRC-32 of the vector, so a changed vector reads as missing (and is embedded again),
    never as a wrong one; older blobs without it are taken as they are. A damaged file is
    only a cache: it is moved aside to `cache.sqlite.damaged` (with a warning naming it)
    and a new one started, so it never blocks a build."""

    def __init__(self, path: Path, dim: int, warn: Callable[[str], None] = _stderr_warning):
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
        out: dict[str, np.ndarray] = {}
        try:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})"
                for k, blob in self.db.execute(q, part):
                    vec = self._vector(blob)
                    if vec is not None:
                        out[k] = vec
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._set_aside(exc)
            return {}
        return out

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

    def _vector(self, blob: object) -> np.ndarray | None:
        """The vector a blob holds, or None when it is not one (wrong size, or its CRC-32
        does not match)."""
        if not isinstance(blob, bytes):
            return None
        size = self.dim * 4
        if len(blob) == size + 4:
            if zlib.crc32(blob[:size]) != int.from_bytes(blob[size:], "little"):
                return None
        elif len(blob) != size:
            return None
        return np.frombuffer(blob, dtype=np.float32, count=self.dim)

    def _put(self, rows: list[tuple[str, bytes]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self.db.close()
