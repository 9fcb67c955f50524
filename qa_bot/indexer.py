"""Sync the index with the corpus: documents are compared with the manifest by content
hash; only new or changed documents are re-chunked, and only chunks whose embedded text
was never embedded before (with this model) go through the model."""

from __future__ import annotations

import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.chunking import Chunk, Chunker, token_counter
from qa_bot.config import Config
from qa_bot.documents import Document, discover, display_path, doc_id_for, load_document, \
    read_file, content_hash
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, tokenizer_file
from qa_bot.errors import DocumentError, IndexWriteError, InputError
from qa_bot import sentences
from qa_bot.lexical import LexicalIndex
from qa_bot.terminal import safe
from qa_bot.onnx_export import try_export
from qa_bot.store import MARKER, EmbeddingCache, Generation, IndexStore, crash_point, \
    embed_key


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    skipped: list[str] = field(default_factory=list)
    generation: str | None = None
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "removed": self.removed,
                "unchanged": self.unchanged, "chunks_embedded": self.chunks_embedded,
                "skipped": self.skipped, "generation": self.generation,
                "dry_run": self.dry_run}


def chunk_settings(cfg: Config) -> dict:
    return {"max_tokens": cfg.chunking.max_tokens, "target_tokens": cfg.chunking.target_tokens,
            "splitter": "pysbd", "embed_text": "title - section\\ntext"}


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _warn(line: str) -> None:
    print(f"warning: {safe(line)}", file=sys.stderr)


def sync(cfg: Config, paths: list[Path] | None = None, **kw) -> SyncReport:
    """Bring the index in line with `paths` (default: the configured corpus); see _sync.
    An operating-system error on the way (read-only disk, permissions) is one line."""
    try:
        return _sync(cfg, paths, **kw)
    except OSError as exc:
        where = exc.filename or cfg.index_dir
        raise IndexWriteError(f"{where}: cannot write ({exc.strerror or exc}); the previous "
                              f"index is intact") from None


def _sync(
    cfg: Config,
    paths: list[Path] | None = None,
    *,
    full: bool = False,
    dry_run: bool = False,
    embedder_factory: Callable[[], Embedder],
    progress: bool = True,
    warn: Callable[[str], None] = _warn,
    lock_timeout: float = 10.0,
) -> SyncReport:
    """Bring the index in line with `paths` (default: the configured corpus).

    Documents under the given paths are added, updated or removed; documents indexed from
    other paths are kept. `full` starts from nothing (the embedding cache still serves).
    A failure before the final rename leaves the previous generation as it was."""
    store = IndexStore(cfg.index_dir, warn)
    store.check_owner()  # before anything is written there
    roots = [p.absolute() for p in (paths if paths else cfg.corpus_paths)]
    found = discover(roots, follow_symlinks=cfg.corpus.follow_symlinks, exclude=[store.root])
    report = SyncReport(skipped=list(found.skipped), dry_run=dry_run)
    for line in found.skipped:
        warn(line)
    settings = chunk_settings(cfg)
    max_bytes = int(cfg.corpus.max_file_mb * 1_000_000)

    with store.lock(lock_timeout):
        if not dry_run:
            store.claim()
            store.remove_debris()
        old: Generation | None = None
        if full and not dry_run and (store.root / "cache.sqlite").is_file():
            cache = EmbeddingCache(store.root / "cache.sqlite", MODEL_DIM, store.warn)
            cache.check(repair=True)  # a rebuild never starts from a damaged cache
            cache.close()
        if not full and store.exists():
            old = store.load(MODEL_NAME, MODEL_DIM)  # corrupt or foreign: the error says --full
        old_docs = old.documents if old else {}
        same_settings = old is not None and old.manifest.get("chunking") == settings

        counter = token_counter(str(tokenizer_file()))
        chunker = Chunker(counter, cfg.chunking.max_tokens, cfg.chunking.target_tokens)
        new_docs: dict[str, dict] = {}
        fresh: dict[str, tuple[Document, list[Chunk]]] = {}
        modes: dict[str, int] = {}  # permission bits of each fresh document's source
        seen: set[str] = set()
        for path in found.files:
            doc_id = doc_id_for(path)
            seen.add(doc_id)
            source = display_path(path)
            prev = old_docs.get(doc_id)
            try:
                raw, modes[doc_id] = read_file(path, max_bytes)
                if prev and prev["hash"] == content_hash(raw) and same_settings:
                    new_docs[doc_id] = prev
                    report.unchanged += 1
                    continue
                doc = load_document(path, raw)
            except DocumentError as exc:
                report.skipped.append(str(exc))
                warn(str(exc))
                if prev:  # keep what was indexed rather than lose it
                    new_docs[doc_id] = prev
                    report.unchanged += 1
                continue
            (report.updated if prev else report.added).append(source)
            if not dry_run:
                fresh[doc_id] = (doc, chunker.chunk(doc))
            new_docs[doc_id] = {"source": doc.source, "path": str(path), "title": doc.title,
                                "topic": doc.topic, "hash": doc.content_hash,
                                "paragraphs": len(doc.paragraphs),
                                "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "private": not modes[doc_id] & 0o004}
        for doc_id, meta in old_docs.items():
            if doc_id in seen:
                continue
            if _under(Path(meta["path"]), roots):
                report.removed.append(meta["source"])
            else:
                new_docs[doc_id] = meta
                report.unchanged += 1
        if not found.files and not new_docs:
            raise InputError("no documents found in " + ", ".join(display_path(r) for r in roots)
                             + " (.txt, .md, .html and .pdf files are read)")
        # a source others may not read: the index files holding its text are the owner's
        private = any(not mode & 0o004 for mode in modes.values()) or any(
            meta.get("private") for doc_id, meta in new_docs.items() if doc_id not in modes)
        onnx = None if dry_run else try_export(store.root, warn)  # fast query path
        if dry_run or (old is not None and not report.changed
                       and old.manifest.get("onnx") == onnx):
            if old is not None and not dry_run:
                store.repair_pointer(old.name)  # CURRENT was lost: the newest whole one
                if private:  # a source made private since: no new text, same rule
                    store.restrict_generations()
            report.generation = old.name if old else None
            return report

        try:
            chunks, keys, vectors = _assemble(old, new_docs, fresh, store, embedder_factory,
                                              report, progress)
            sentence_vectors = None
            if cfg.answer.sentence_vectors:
                cache = EmbeddingCache(store.root / "cache.sqlite", MODEL_DIM, store.warn)
                try:
                    sentence_vectors = _sentence_vectors(old, chunks, keys, cache,
                                                         embedder_factory, progress)
                finally:
                    cache.close()
            crash_point("embedded")
            for doc_id, (doc, _) in fresh.items():
                store.put_text(doc.content_hash, doc.text, modes[doc_id])
        except (OSError, sqlite3.Error) as exc:
            raise IndexWriteError(f"{store.root}: cannot write ({exc}); the previous index "
                                  f"is intact") from None
        lexical = LexicalIndex.build([c.embed_text for c in chunks])
        manifest = {"model": MODEL_NAME, "dim": MODEL_DIM, "chunking": settings,
                    "onnx": onnx, "documents": new_docs}
        report.generation = store.write_generation(manifest, chunks, keys, vectors, lexical,
                                                   sentence_vectors, private=private)
        if private:
            store.restrict_generations()  # the earlier ones kept for rollback too
        known = {report.generation: manifest, **({old.name: old.manifest} if old else {})}
        store.prune(cfg.index.keep_generations, known)
    return report


def verify(cfg: Config) -> list[str]:
    """Every problem of the index, one line each naming the file and the fix (empty: all
    is well): the live generation (see IndexStore.verify), the ONNX export and the
    embedding cache. Reads only; `qa-bot index --full` repairs what it names."""
    from qa_bot.onnx_export import index_export

    store = IndexStore(cfg.index_dir, warn=lambda line: None)  # the problems say it all
    problems = store.verify(MODEL_NAME, MODEL_DIM)
    marker = store.marker_problem()
    if marker:
        problems.append(f"{store.root / MARKER}: {marker} (it lists the generations builds "
                        f"made here); run `qa-bot index`")
    name = store.current_name()
    gen_onnx = (store.manifest(name) or {}).get("onnx") if name else None
    if isinstance(gen_onnx, dict) and index_export(store.root) is None:
        problems.append(f"{store.root / gen_onnx['file']}: damaged or missing ONNX export; "
                        f"run `qa-bot index`")
    cache_file = store.root / "cache.sqlite"
    if cache_file.is_file():
        problem = EmbeddingCache.check_file(cache_file)
        if problem:
            problems.append(problem)
    return problems


def verified_counts(cfg: Config) -> dict:
    """What `verify` checked, for its summary line: the live generation's name and its
    numbers of files (its own, plus the stored texts, the ONNX export and the cache),
    documents and chunks."""
    from qa_bot.onnx_export import index_export

    store = IndexStore(cfg.index_dir, warn=lambda line: None)
    name = store.current_name()
    manifest = (store.manifest(name) if name else None) or {}
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    docs = manifest.get("documents") if isinstance(manifest.get("documents"), dict) else {}
    extra = (index_export(store.root) is not None) + (store.root / "cache.sqlite").is_file()
    return {"generation": name, "files": len(files) + len(docs) + extra,
            "documents": len(docs), "chunks": manifest.get("chunks", 0)}


def _sentence_vectors(old: Generation | None, chunks: list[Chunk], keys: list[str],
                      cache: EmbeddingCache, embedder_factory: Callable[[], Embedder],
                      progress: bool) -> np.ndarray:
    """Sentence vectors aligned with `chunks` (see qa_bot/sentences.py): a chunk whose key
    the previous generation holds reuses its rows there; only the others are computed."""
    old_rows: dict[str, tuple[int, int]] = {}
    if old is not None and old.sentence_vectors is not None:
        offsets = old.sentence_offsets
        old_rows = {k: (int(offsets[r]), int(offsets[r + 1])) for r, k in enumerate(old.keys)}
    new = [i for i, k in enumerate(keys) if k not in old_rows]
    computed = sentences.compute([chunks[i] for i in new], cache, MODEL_NAME,
                                 embedder_factory, progress)
    parts: list[np.ndarray] = []
    at = 0
    new_set = set(new)
    for i, k in enumerate(keys):
        if i in new_set:
            n = len(chunks[i].sentences)
            parts.append(computed[at:at + n])
            at += n
        else:
            parts.append(old.sentence_vectors[slice(*old_rows[k])])  # type: ignore[union-attr]
    if not parts:
        return np.zeros((0, MODEL_DIM), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def embed_missing(embedder: Embedder, keys: list[str], texts: list[str],
                  cache: EmbeddingCache, progress: bool) -> dict[str, np.ndarray]:
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


def _assemble(old: Generation | None, new_docs: dict[str, dict],
              fresh: dict[str, tuple[Document, list[Chunk]]], store: IndexStore,
              embedder_factory: Callable[[], Embedder], report: SyncReport,
              progress: bool) -> tuple[list[Chunk], list[str], np.ndarray]:
    """Chunk rows, cache keys and vectors of the new generation, in document order;
    vectors come from the old generation, then the cache, then the model."""
    old_rows = old.doc_rows() if old else {}
    old_vectors = old.all_vectors() if old else None
    chunks: list[Chunk] = []
    keys: list[str] = []
    known: dict[str, np.ndarray] = {}
    for doc_id in new_docs:
        if doc_id in fresh:
            for c in fresh[doc_id][1]:
                chunks.append(c)
                keys.append(embed_key(MODEL_NAME, c.embed_text))
        else:
            for row in old_rows.get(doc_id, []):
                chunks.append(old.chunks[row])  # type: ignore[union-attr]
                keys.append(old.keys[row])  # type: ignore[union-attr]
                known[old.keys[row]] = old_vectors[row]  # type: ignore[index,union-attr]
    if old is not None:
        for doc_id in fresh:
            for row in old_rows.get(doc_id, []):
                known.setdefault(old.keys[row], old_vectors[row])  # type: ignore[index]
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    cache = EmbeddingCache(store.root / "cache.sqlite", MODEL_DIM, store.warn)
    try:
        known.update(cache.get_many(missing))
        todo = [k for k in missing if k not in known]
        if todo:
            text_of = {k: c.embed_text for c, k in zip(chunks, keys)}
            order = sorted(todo, key=lambda k: len(text_of[k]))  # similar lengths batch well
            embedder = embedder_factory()  # a cluster's failure to connect comes first
            if progress:
                print(f"embedding {len(order)} chunks with {MODEL_NAME}...", file=sys.stderr)
            known.update(embed_missing(embedder, order, [text_of[k] for k in order], cache,
                                       progress))
            report.chunks_embedded = len(order)
    finally:
        cache.close()
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, MODEL_DIM), np.float32)
    return chunks, keys, vectors.astype(np.float32)
