"""Sync the index with the corpus in two stages: `plan` (qa_bot/plan.py: what changed,
by content hash; all `--dry-run` does) and `apply`: only new or changed documents are
chunked, and only chunks whose embedded text was never embedded before (with this model)
go through the model (`embedder_factory`); then a new generation is written and made
live."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.chunking import Chunk, Chunker, token_counter
from qa_bot.config import Config
from qa_bot.documents import Document, discover
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, tokenizer_file
from qa_bot.errors import IndexWriteError
from qa_bot.index import sentences
from qa_bot.index.cache import EmbeddingCache, embed_key
from qa_bot.index.files import crash_point
from qa_bot.index.generation import Generation
from qa_bot.index.lexical import LexicalIndex
from qa_bot.index.onnx_export import try_export
from qa_bot.index.store import IndexStore
from qa_bot.plan import Plan, SyncReport, make_plan
from qa_bot.terminal import warning

__all__ = ["SyncReport", "sync"]


def chunk_settings(cfg: Config) -> dict:
    return {"max_tokens": cfg.chunking.max_tokens, "target_tokens": cfg.chunking.target_tokens,
            "splitter": "pysbd", "embed_text": "title - section\\ntext"}


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
    warn: Callable[[str], None] = warning,
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
    settings = chunk_settings(cfg)
    with store.lock(lock_timeout):
        if not dry_run:
            store.claim()
            store.remove_debris()
            if full:
                store.check_cache(MODEL_DIM)  # a rebuild never starts from a damaged cache
        old = store.load(MODEL_NAME, MODEL_DIM) if not full and store.exists() else None
        plan = make_plan(found, roots, old.documents if old else {},
                         old is not None and old.manifest.get("chunking") == settings,
                         int(cfg.corpus.max_file_mb * 1_000_000), warn, dry_run)
        if dry_run:
            plan.report.generation = old.name if old else None
            return plan.report
        apply(cfg, store, old, plan, settings, embedder_factory, progress)
    return plan.report


def apply(cfg: Config, store: IndexStore, old: Generation | None, plan: Plan, settings: dict,
          embedder_factory: Callable[[], Embedder], progress: bool) -> None:
    """Carry out `plan` (the lock held): chunk and embed what is fresh, write a new
    generation and make it live, prune old ones. Nothing changed (and the same ONNX
    export): nothing is written, but a lost CURRENT is pointed again."""
    report = plan.report
    onnx = try_export(store.root, store.warn)  # fast query path
    if old is not None and not report.changed and old.manifest.get("onnx") == onnx:
        store.repair_pointer(old.name)  # CURRENT was lost: the newest whole one
        if plan.private:  # a source made private since: no new text, same rule
            store.restrict_generations()
        report.generation = old.name
        return
    counter = token_counter(str(tokenizer_file()))
    chunker = Chunker(counter, cfg.chunking.max_tokens, cfg.chunking.target_tokens)
    fresh = {doc_id: (doc, chunker.chunk(doc)) for doc_id, doc in plan.fresh.items()}
    try:
        chunks, keys, vectors = _assemble(old, plan.documents, fresh, store, embedder_factory,
                                          report, progress)
        sentence_vectors = None
        if cfg.answer.sentence_vectors:
            cache = store.open_cache(MODEL_DIM)
            try:
                sentence_vectors = _sentence_vectors(old, chunks, keys, cache,
                                                     embedder_factory, progress)
            finally:
                cache.close()
        crash_point("embedded")
        for doc_id, (doc, _) in fresh.items():
            store.put_text(doc.content_hash, doc.text, plan.modes[doc_id])
    except (OSError, sqlite3.Error) as exc:
        raise IndexWriteError(f"{store.root}: cannot write ({exc}); the previous index "
                              f"is intact") from None
    lexical = LexicalIndex.build([c.embed_text for c in chunks])
    manifest = {"model": MODEL_NAME, "dim": MODEL_DIM, "chunking": settings,
                "onnx": onnx, "documents": plan.documents}
    report.generation = store.write_generation(manifest, chunks, keys, vectors, lexical,
                                               sentence_vectors, private=plan.private)
    if plan.private:
        store.restrict_generations()  # the earlier ones kept for rollback too
    known = {report.generation: manifest, **({old.name: old.manifest} if old else {})}
    store.prune(cfg.index.keep_generations, known)


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
    cache = store.open_cache(MODEL_DIM)
    try:
        known.update(cache.get_many(missing))
        todo = [k for k in missing if k not in known]
        if todo:
            text_of = {k: c.embed_text for c, k in zip(chunks, keys)}
            order = sorted(todo, key=lambda k: len(text_of[k]))  # similar lengths batch well
            if progress:
                print(f"embedding {len(order)} chunks with {MODEL_NAME}...", file=sys.stderr)
            vecs = embedder_factory().encode([text_of[k] for k in order], progress=progress)
            cache.put_many(order, vecs)
            known.update(zip(order, vecs))
            report.chunks_embedded = len(order)
    finally:
        cache.close()
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, MODEL_DIM), np.float32)
    return chunks, keys, vectors.astype(np.float32)
