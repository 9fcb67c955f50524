"""One generation of the index: a manifest naming immutable segments, with the rows of
each that are deleted.

gen-NNNNNN/manifest.json holds the model, dim, chunk settings and ONNX export, the
segments in row order (each with its numbers of rows and of document entries, its deleted
row and entry ranges and the size and CRC-32 of each of its files) and the newer file
stats of some documents (see doctable.py). It is small: the documents themselves are
entries of the segments that hold their rows. A generation is complete before CURRENT names it and never modified
after; segments are shared by generations and never modified at all.

Rows: segment i's row r is the generation's row bases[i] + r. A deleted row is never a
hit, never counted by BM25, and not among `chunks` when iterated."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from qa_bot.chunking import Chunk
from qa_bot.errors import IndexCorruptError, IndexIncompatibleError
from qa_bot.index.doctable import DocumentTable
from qa_bot.index.files import LOAD_CRC_MAX, file_problem, manifest_intact, records_size
from qa_bot.index.layout import FORMAT_VERSION, MANIFEST, SEGMENTS
from qa_bot.index.lexical import LexicalIndex
from qa_bot.index.segment import Segment
from qa_bot.index.vectors import SegmentVectors

FIX = "run `qa-bot index --full`"


def live_mask(entry: dict) -> np.ndarray:
    """True for each row of a manifest segment entry that is not deleted."""
    live = np.ones(int(entry["rows"]), dtype=bool)
    for start, end in entry.get("deleted", []):
        live[start:end] = False
    return live


def segments_problem(root: Path, manifest: dict, checksums: bool = True) -> str | None:
    """None when every file of every segment the manifest names is there with its recorded
    size (and CRC-32, if `checksums`), else one line naming the first that is not."""
    segments = manifest.get("segments")
    if not isinstance(segments, list):
        return f"{manifest.get('generation')}/{MANIFEST}: no segment list"
    for entry in segments:
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
            return f"{manifest.get('generation')}/{MANIFEST}: bad segment entry"
        problem = file_problem(root / SEGMENTS / str(entry.get("name")), entry, checksums)
        if problem:
            return problem
    return None


class ChunkTable:
    """The chunk rows of a generation: `table[row]` decodes one row (deleted or not);
    iterating and len() see the live rows only."""

    def __init__(self, gen: "Generation"):
        self.gen = gen

    def __getitem__(self, row: int) -> Chunk:
        i, r = self.gen.locate(row)
        return self.gen.segments[i].chunk(r)

    def __len__(self) -> int:
        return self.gen.live_count

    def __iter__(self) -> Iterator[Chunk]:
        for row in self.gen.live_rows():
            yield self[int(row)]


@dataclass
class Generation:
    """One loaded, immutable generation of the index."""

    name: str
    path: Path
    manifest: dict
    segments: list[Segment]
    live: list[np.ndarray]  # per segment: bool per row
    bases: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.bases = np.concatenate([[0], np.cumsum([s.rows for s in self.segments])]
                                    ).astype(np.int64)
        self.live_count = int(sum(int(m.sum()) for m in self.live))
        self.segment_base = {e["name"]: int(b)
                             for e, b in zip(self.manifest["segments"], self.bases)}
        self.chunks = ChunkTable(self)
        self.documents = DocumentTable(self)
        self.lexical = LexicalIndex([s.postings for s in self.segments], self.live)
        self.vectors = SegmentVectors([s.vectors for s in self.segments], self.live,
                                      int(self.manifest["dim"]))

    @property
    def has_sentences(self) -> bool:
        return bool(self.segments) and all(s.sentences is not None for s in self.segments)

    def locate(self, row: int) -> tuple[int, int]:
        """(segment index, row within it) of a generation row."""
        i = int(np.searchsorted(self.bases, row, side="right")) - 1
        return i, row - int(self.bases[i])

    def live_rows(self) -> np.ndarray:
        if not self.segments:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.concatenate(self.live))

    def rows_of(self, doc_id: str) -> list[int]:
        """The document's chunk rows, in order."""
        m = self.documents.get(doc_id) or {}
        if not m.get("chunks"):
            return []
        start = self.segment_base[m["segment"]] + m["row"]
        return list(range(start, start + m["chunks"]))

    def article_text(self, doc_id: str) -> str:
        """The document's title and the text of its chunks, in order: what it says, whole."""
        rows = self.rows_of(doc_id)
        return " ".join([self.chunks[rows[0]].title, *(self.chunks[r].text for r in rows)]) \
            if rows else ""

    def sentence_vectors_of(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(float32 unit vectors of the sentences of `rows`, row after row; the number of
        sentences of each row): one gather per segment (needs has_sentences)."""
        at = np.asarray(rows, dtype=np.int64)
        seg = np.searchsorted(self.bases, at, side="right") - 1
        counts = np.zeros(len(at), dtype=np.int64)
        found = {}
        for i in np.unique(seg).tolist():
            found[i], counts[seg == i] = self.segments[i].sentence_vectors_of(
                at[seg == i] - self.bases[i])
        out = np.zeros((int(counts.sum()), int(self.manifest["dim"])), dtype=np.float32)
        owner = np.repeat(seg, counts)  # the segment of each sentence, in output order
        for i, vectors in found.items():
            out[owner == i] = vectors
        return out, counts

    def quantizers(self) -> list:
        """The IVF centroids of its segments, those trained for the most rows first."""
        found = {p.quantizer.id: p.quantizer for p in (s.vectors for s in self.segments)
                 if p.ivf}
        return sorted(found.values(), key=lambda q: -q.trained_for)

    def all_vectors(self) -> np.ndarray:
        """The chunk vectors of the live rows, in row order (as `chunks` iterates)."""
        return self.vectors.get([int(r) for r in self.live_rows()])

    def live_keys(self) -> list[str]:
        """The embedding cache keys of the live rows, in row order."""
        return [self.segments[i].row(r)["key"] for i, r in map(self.locate, self.live_rows())]

    def all_sentence_vectors(self) -> np.ndarray:
        """The sentence vectors of the live rows, in row order (needs has_sentences)."""
        return self.sentence_vectors_of(self.live_rows().tolist())[0]


def read_manifest(path: Path, model: str, dim: int, manifest: dict | None = None) -> dict:
    """The manifest of the generation in folder `path` (`manifest`: already read and found
    intact by the caller), checked: its format, model and dimension, its own CRC-32."""
    manifest_file = path / MANIFEST
    intact = manifest is not None
    if manifest is None:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexIncompatibleError(
            f"{manifest_file}: index format {manifest.get('format')!r}, this qa-bot "
            f"reads {FORMAT_VERSION}; {FIX}")
    if manifest.get("model") != model or manifest.get("dim") != dim:
        raise IndexIncompatibleError(
            f"{manifest_file}: index built with {manifest.get('model')} "
            f"(dim {manifest.get('dim')}), this qa-bot uses {model} (dim {dim}); {FIX}")
    if not intact and not manifest_intact(manifest):
        raise IndexCorruptError(f"{manifest_file}: damaged (its CRC-32 is not the one "
                                f"it records); {FIX}")
    return manifest


def load_generation(path: Path, model: str, dim: int,
                    opened: dict[str, Segment] | None = None,
                    manifest: dict | None = None) -> Generation:
    """The generation in folder `path`. Every file of its segments is checked (size, and
    CRC-32 in segments of up to LOAD_CRC_MAX bytes) unless `opened` (segment name -> Segment, the caller's) already holds it with
    the same file records (a name is reused only by a segment no generation named).
    Raises IndexCorruptError (naming the file) or IndexIncompatibleError."""
    root = path.parent
    opened = {} if opened is None else opened
    where = path / MANIFEST
    try:
        manifest = read_manifest(path, model, dim, manifest)
        segments, live = [], []
        for entry in manifest["segments"]:
            name = entry["name"]
            where = root / SEGMENTS / name
            if name not in opened or opened[name].records != entry["files"]:
                whole = records_size(entry) <= LOAD_CRC_MAX
                problem = file_problem(where, entry, checksums=whole)
                if problem:
                    raise IndexCorruptError(f"{problem}; {FIX}")
                opened[name] = Segment(where, int(entry["rows"]), dim,
                                       entry.get("vector_index"))
                opened[name].records = entry["files"]
            segments.append(opened[name])
            live.append(live_mask(entry))
        where = path / MANIFEST
        gen = Generation(path.name, path, manifest, segments, live)
        for entry, segment in zip(manifest["segments"], segments):
            if entry.get("documents") != segment.documents.count:
                raise ValueError(f"{entry['name']} holds {segment.documents.count} "
                                 f"documents, not {entry.get('documents')}")
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{exc.filename or where}: missing from the index; "
                                f"{FIX}") from None
    except (IndexIncompatibleError, IndexCorruptError):
        raise
    except Exception as exc:  # any parse failure of a stored file
        raise IndexCorruptError(f"{where}: corrupt index file ({exc}); {FIX}") from None
    return gen
