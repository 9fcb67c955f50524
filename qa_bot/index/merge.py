"""Merging segments, as Lucene does: the live rows of several segments are written into one
new segment and a new generation names it instead of them; their deleted rows go. Nothing
is embedded (vectors, sentence vectors, chunk rows and keys are copied) and nothing is
modified: a merge is a build like a sync (under the lock, the new segment then the new
generation then CURRENT), so a kill at any moment leaves the previous generation whole.

The tiered policy (`tiers`): segments are grouped by size, a tier holding segments of
TIER_BASE^k to TIER_BASE^(k+1) live rows; a tier with MERGE_AT segments or more is merged
into one (which may climb to the next tier), and a segment whose rows are more than
EXPUNGE deleted is rewritten with its tier. So a sync writes one small segment, and the
number of segments grows with the logarithm of the index, not with the number of syncs."""

from __future__ import annotations

import math

import numpy as np

from qa_bot.chunking import Chunk
from qa_bot.index.generation import Generation, live_mask
from qa_bot.index.segment import row_to_chunk

TIER_BASE = 10
MERGE_AT = 10
EXPUNGE = 0.5


def tiers(entries: list[dict]) -> list[list[str]]:
    """Groups of segment names (manifest segment entries in) the policy merges now."""
    by_tier: dict[int, list[dict]] = {}
    for e in entries:
        live = int(live_mask(e).sum())
        by_tier.setdefault(int(math.log(max(live, 1), TIER_BASE)), []).append(e)
    groups = []
    for members in by_tier.values():
        stale = any(1 - live_mask(e).mean() > EXPUNGE for e in members)
        if len(members) >= MERGE_AT or stale:
            groups.append([e["name"] for e in members])
    return groups


def everything(entries: list[dict]) -> list[list[str]]:
    """`qa-bot index --merge`: all segments into one (nothing when that is done already)."""
    if len(entries) > 1 or any(e.get("deleted") for e in entries):
        return [[e["name"] for e in entries]]
    return []


def live_rows(gen: Generation, names: list[str]) -> tuple[list[Chunk], list[str], np.ndarray,
                                                          np.ndarray | None]:
    """(chunks, keys, vectors, sentence vectors or None) of the live rows of the named
    segments of `gen`, segment by segment in manifest order, rows ascending."""
    chunks: list[Chunk] = []
    keys: list[str] = []
    vectors, sentences = [], []
    with_sentences = True
    for entry, segment, live in zip(gen.manifest["segments"], gen.segments, gen.live):
        if entry["name"] not in names:
            continue
        rows = np.flatnonzero(live)
        for r in rows:
            row = segment.row(int(r))
            chunks.append(row_to_chunk(row))
            keys.append(row["key"])
        vectors.append(np.asarray(segment.vectors[rows], dtype=np.float32))
        if segment.sentences is None:
            with_sentences = False
        elif with_sentences:
            off = segment.sentence_offsets
            sentences.extend(np.asarray(segment.sentences[int(off[r]):int(off[r + 1])])
                             for r in rows)
    dim = int(gen.manifest["dim"])
    sent = (np.concatenate(sentences) if sentences else np.zeros((0, dim), np.float16)) \
        if with_sentences else None
    return chunks, keys, np.concatenate(vectors) if vectors else np.zeros((0, dim)), sent


def merged_manifest(manifest: dict, names: list[str], entry: dict) -> dict:
    """`manifest` with the named segments replaced by the merged segment `entry` (at the
    place of the first of them), their documents' rows renumbered to match."""
    new_row: dict[str, np.ndarray] = {}  # old segment -> new row of each of its rows
    at = 0
    for e in manifest["segments"]:
        if e["name"] in names:
            live = live_mask(e)
            new_row[e["name"]] = np.cumsum(live) - 1 + at
            at += int(live.sum())
    documents = {}
    for doc_id, meta in manifest["documents"].items():
        if meta.get("segment") in new_row:
            meta = dict(meta, segment=entry["name"],
                        row=int(new_row[meta["segment"]][meta["row"]]))
        documents[doc_id] = meta
    segments: list[dict] = []
    for e in manifest["segments"]:
        if e["name"] not in names:
            segments.append(e)
        elif entry not in segments:
            segments.append(entry)
    rest = {k: v for k, v in manifest.items()
            if k not in ("generation", "files", "manifest_crc32")}
    return dict(rest, documents=documents, segments=segments)
