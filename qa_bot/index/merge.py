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
from dataclasses import dataclass

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
    if len(entries) > 1 or any(e.get("deleted") or e.get("deleted_docs") for e in entries):
        return [[e["name"] for e in entries]]
    return []


@dataclass
class Merged:
    """The live rows of the merged segments, in order, and their documents' entries."""

    chunks: list[Chunk]
    keys: list[str]
    vectors: np.ndarray
    sentences: np.ndarray | None
    documents: list[dict]


def live_rows(gen: Generation, names: list[str]) -> Merged:
    """The live rows and live document entries of the named segments of `gen`, segment by
    segment in manifest order, rows ascending; entries renumbered to the merged rows, with
    the generation's newer file stats folded in."""
    out = Merged([], [], np.zeros((0, int(gen.manifest["dim"])), np.float32), None, [])
    vectors, sentences = [], []
    with_sentences = True
    for i, (entry, segment, live) in enumerate(zip(gen.manifest["segments"], gen.segments,
                                                    gen.live)):
        if entry["name"] not in names:
            continue
        rows = np.flatnonzero(live)
        new_row = np.cumsum(live) - 1 + len(out.chunks)
        for r in rows:
            row = segment.row(int(r))
            out.chunks.append(row_to_chunk(row))
            out.keys.append(row["key"])
        for e in np.flatnonzero(gen.documents.live[i]).tolist():
            meta = gen.documents.meta(i, e)  # the newer file stats folded in
            del meta["segment"]
            meta["row"] = int(new_row[meta["row"]])
            out.documents.append(meta)
        vectors.append(segment.vectors.get(rows))
        if segment.sentences is None:
            with_sentences = False
        elif with_sentences:
            sentences.append(segment.sentence_vectors_of(rows)[0])
    dim = int(gen.manifest["dim"])
    if vectors:
        out.vectors = np.concatenate(vectors)
    if with_sentences:
        out.sentences = np.concatenate(sentences) if sentences else np.zeros((0, dim), np.float16)
    return out


def merged_manifest(manifest: dict, names: list[str], entry: dict, merged: Merged) -> dict:
    """`manifest` with the named segments replaced by the merged segment `entry` (at the
    place of the first of them); the file stats folded into its entries are dropped."""
    segments: list[dict] = []
    for e in manifest["segments"]:
        if e["name"] not in names:
            segments.append(e)
        elif entry not in segments:
            segments.append(entry)
    folded = {m["id"] for m in merged.documents}
    stats = {d: v for d, v in (manifest.get("stats") or {}).items() if d not in folded}
    rest = {k: v for k, v in manifest.items()
            if k not in ("generation", "files", "manifest_crc32")}
    return dict(rest, segments=segments, stats=stats)
