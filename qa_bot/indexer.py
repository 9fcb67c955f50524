"""Sync the index with the corpus in two stages: `plan` (qa_bot/plan.py: what changed,
by content hash; all `--dry-run` does) and `apply`: only new or changed documents are
chunked, and only chunks whose embedded text was never embedded before (with this model)
go through the model (`embedder_factory`); then a new generation is written and made
live."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.chunking import Chunk, Chunker, token_counter
from qa_bot.config import Config
from qa_bot.documents import Document, discover
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, tokenizer_file
from qa_bot.errors import IndexCorruptError, IndexWriteError
from qa_bot.index import sentences
from qa_bot.index.cache import embed_key, embed_missing
from qa_bot.index.doctable import live_entries
from qa_bot.index.files import crash_point, file_problem
from qa_bot.index.generation import Generation, live_mask
from qa_bot.index.layout import SEGMENTS
from qa_bot.index.lexical import TERMS_SETTING
from qa_bot.index.merge import everything, live_rows, merged_manifest, tiers
from qa_bot.index.onnx_export import try_export
from qa_bot.index.store import IndexStore
from qa_bot.plan import Plan, Roots, SyncReport, make_plan
from qa_bot.splitting import SPLIT_SETTING
from qa_bot.terminal import count, warning

__all__ = ["SyncReport", "sync"]


def chunk_settings(cfg: Config) -> dict:
    return {"max_tokens": cfg.chunking.max_tokens, "target_tokens": cfg.chunking.target_tokens,
            "splitter": SPLIT_SETTING, "terms": TERMS_SETTING,
            "embed_text": "title - section\\ntext"}


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
    merge: bool = False,
    store: IndexStore | None = None,
) -> SyncReport:
    """Bring the index in line with `paths` (default: the configured corpus).

    Documents under the given paths are added, updated or removed (a given path that is
    gone removes what the index held from it); documents indexed from other paths are
    kept. `full` starts from nothing (the embedding cache still serves): every document
    read (under the paths, and each the index held whose file is still there) is added;
    what the index held and is not read again is reported removed.
    `dry_run` also counts the chunks the sync would embed (chunking, reading the cache).
    After a change the tiered merge policy runs; `merge` merges every segment into one.
    `store`: the caller's store of this index, kept between its syncs (a watch), so what
    it has parsed and checked (immutable manifests and segments) is not read again.
    A failure before the final rename leaves the previous generation as it was."""
    store = store or IndexStore(cfg.index_dir, warn)
    store.check_owner()  # before anything is written there
    roots = [p.absolute() for p in (paths if paths else cfg.corpus_paths)]
    settings = chunk_settings(cfg)
    with store.lock(lock_timeout):
        if not dry_run:
            store.claim()
            store.remove_debris()
            if full:
                store.check_cache(MODEL_DIM)  # a rebuild never starts from a damaged cache
        old = store.load(MODEL_NAME, MODEL_DIM) if not full and store.exists() else None
        recorded = store.recorded_paths() if full else None
        gone = Roots(roots).gone([f[4] for f in old.documents.files.values()] if old else [])
        found = discover([r for r in roots if os.path.abspath(r) not in gone]
                         + Roots(roots).outside(recorded or {}),
                         follow_symlinks=cfg.corpus.follow_symlinks, exclude=[store.root])
        plan = make_plan(found, roots, old.documents if old else None,
                         old is not None and old.manifest.get("chunking") == settings,
                         int(cfg.corpus.max_file_mb * 1_000_000), warn, dry_run, recorded)
        if dry_run:
            plan.report.generation = old.name if old else None
            plan.report.chunks_embedded = _would_embed(cfg, store, old, plan)
            return plan.report
        apply(cfg, store, old, plan, settings, embedder_factory, progress)
        if plan.report.generation and (merge or old is None
                                       or plan.report.generation != old.name):
            _merge(cfg, store, plan, everything if merge else tiers)
    return plan.report


def _merge(cfg: Config, store: IndexStore, plan: Plan,
           groups_of: Callable[[list[dict]], list[list[str]]]) -> None:
    """Merge the segments of the generation just made live that `groups_of` groups, into
    one new generation (see qa_bot/index/merge.py); nothing when it groups none."""
    gen = store.load_generation(plan.report.generation, MODEL_NAME, MODEL_DIM)
    groups = groups_of(gen.manifest["segments"])
    if not groups:
        return
    manifest = gen.manifest
    for names in groups:
        for e in manifest["segments"]:  # read whole: check every byte, as a load does not
            if e["name"] in names and (problem := file_problem(
                    store.root / SEGMENTS / e["name"], e)):
                raise IndexCorruptError(f"{problem}; run `qa-bot index --full`")
        merged = live_rows(gen, names)
        entry = store.write_segment(merged.chunks, merged.keys, merged.vectors,
                                    merged.sentences, merged.documents, plan.private,
                                    gen.quantizers())
        manifest = merged_manifest(manifest, names, entry, merged)
        plan.report.merged += len(names)
    plan.report.generation = store.write_generation(manifest, private=plan.private)
    if plan.private:
        store.restrict_generations()
    store.prune(cfg.index.keep_generations, {plan.report.generation: manifest,
                                             gen.name: gen.manifest})


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
    fresh = _chunked(cfg, plan)
    chunks = [c for _, doc_chunks in fresh.values() for c in doc_chunks]
    keys = [embed_key(MODEL_NAME, c.embed_text) for c in chunks]
    try:
        vectors = _assemble(old, fresh, chunks, keys, store, embedder_factory, report, progress)
        sentence_vectors = None
        if cfg.answer.sentence_vectors:
            cache = store.open_cache(MODEL_DIM)
            try:
                sentence_vectors = sentences.compute(chunks, cache, MODEL_NAME,
                                                     embedder_factory, progress)
            finally:
                cache.close()
        crash_point("embedded")
        for doc_id, (doc, _) in fresh.items():
            store.put_text(doc.content_hash, doc.text, plan.modes[doc_id])
    except (OSError, sqlite3.Error) as exc:
        raise IndexWriteError(f"{store.root}: cannot write ({exc}); the previous index "
                              f"is intact") from None
    segments = _kept_segments(old, plan)
    if fresh:
        entries, row = [], 0
        for doc_id, (_, doc_chunks) in fresh.items():
            entries.append(dict(plan.entries[doc_id], row=row, chunks=len(doc_chunks)))
            row += len(doc_chunks)
        segments.append(store.write_segment(chunks, keys, vectors, sentence_vectors, entries,
                                            plan.private, old.quantizers() if old else []))
    manifest = {"model": MODEL_NAME, "dim": MODEL_DIM, "chunking": settings, "onnx": onnx,
                "segments": segments, "stats": plan.stats,
                "chunks": sum(int(live_mask(e).sum()) for e in segments),
                "document_count": sum(int(live_entries(e, e["documents"]).sum())
                                      for e in segments)}
    report.generation = store.write_generation(manifest, private=plan.private)
    if plan.private:
        store.restrict_generations()  # the earlier ones kept for rollback too
    known = {report.generation: manifest, **({old.name: old.manifest} if old else {})}
    store.prune(cfg.index.keep_generations, known)


def _chunked(cfg: Config, plan: Plan) -> dict[str, tuple[Document, list[Chunk]]]:
    """The fresh documents of `plan` with their chunks."""
    if not plan.fresh:
        return {}
    counter = token_counter(str(tokenizer_file()))
    chunker = Chunker(counter, cfg.chunking.max_tokens, cfg.chunking.target_tokens)
    return {doc_id: (doc, chunker.chunk(doc)) for doc_id, doc in plan.fresh.items()}


def _would_embed(cfg: Config, store: IndexStore, old: Generation | None, plan: Plan) -> int:
    """The chunks `apply` would embed (its report's chunks_embedded): the distinct chunk
    texts of the fresh documents that neither their rows in `old` nor the cache hold. The
    cache is only read (a dry run writes nothing)."""
    keys = {embed_key(MODEL_NAME, c.embed_text)
            for _, chunks in _chunked(cfg, plan).values() for c in chunks}
    keys -= set(_old_rows(old, list(plan.fresh))[1])
    return len(keys - store.cached(MODEL_DIM, list(keys)))


def _old_rows(old: Generation | None, doc_ids: list[str]) -> tuple[list[int], list[str]]:
    """The rows the documents `doc_ids` have in `old`, and their embedding cache keys."""
    if old is None:
        return [], []
    rows = [r for doc_id in doc_ids for r in old.rows_of(doc_id)]
    return rows, [old.segments[i].row(local)["key"] for i, local in map(old.locate, rows)]


def _kept_segments(old: Generation | None, plan: Plan) -> list[dict]:
    """The old generation's segment entries, with the entries and rows of the dropped
    (updated and removed) documents marked deleted; segments left without a live row are
    dropped."""
    if old is None:
        return []
    entries = [dict(e, deleted=[list(d) for d in e.get("deleted", [])],
                    deleted_docs=[list(d) for d in e.get("deleted_docs", [])])
               for e in old.manifest["segments"]]
    for doc_id in plan.dropped:
        i, at = old.documents.locate(doc_id)
        meta = old.documents.meta(i, at)
        entries[i]["deleted_docs"].append([at, at + 1])
        entries[i]["deleted"].append([meta["row"], meta["row"] + meta["chunks"]])
    for e in entries:
        e["deleted"], e["deleted_docs"] = _ranges(e["deleted"]), _ranges(e["deleted_docs"])
    return [e for e in entries if live_mask(e).any()]  # a live document has live rows


def _ranges(spans: list[list[int]]) -> list[list[int]]:
    """Sorted [start, end) spans with touching or overlapping ones joined."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _assemble(old: Generation | None, fresh: dict[str, tuple[Document, list[Chunk]]],
              chunks: list[Chunk], keys: list[str], store: IndexStore,
              embedder_factory: Callable[[], Embedder], report: SyncReport,
              progress: bool) -> np.ndarray:
    """Vectors of the new segment's `chunks` (cache keys `keys`): from the rows the
    changed documents had in the old generation, then the cache, then the model."""
    rows, old_keys = _old_rows(old, list(fresh))
    known: dict[str, np.ndarray] = dict(zip(old_keys, old.vectors.get(rows))) if rows else {}
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    cache = store.open_cache(MODEL_DIM)
    try:
        known.update(cache.get_many(missing))
        todo = [k for k in missing if k not in known]
        if todo:
            text_of = {k: c.embed_text for c, k in zip(chunks, keys)}
            order = sorted(todo, key=lambda k: len(text_of[k]))  # similar lengths batch well
            embedder = embedder_factory()  # a cluster's failure to connect comes first
            if progress:
                print(f"embedding {count(len(order), 'chunk')} with {MODEL_NAME}...",
                      file=sys.stderr)
            known.update(embed_missing(embedder, order, [text_of[k] for k in order], cache,
                                       progress))
            report.chunks_embedded = len(order)
    finally:
        cache.close()
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, MODEL_DIM), np.float32)
    return vectors.astype(np.float32)
