"""One segment: an immutable batch of chunk rows with all a question reads about them,
in files that are opened, not parsed (numpy arrays memory-mapped, a JSON-lines blob read
row by row through its offsets):

    chunks.jsonl           one chunk row a line (JSON, with its embedding-cache key)
    chunks.offsets.npy     int64 (rows + 1): row r is chunks.jsonl[off[r]:off[r + 1]]
    vectors.npy            float32 (rows, dim): unit chunk vectors (in list order if IVF)
    sentences.npy          float16 (sentences, dim): unit sentence vectors (optional)
    sentences.offsets.npy  int64 (rows + 1): row r's sentences are off[r]..off[r + 1]
    bm25.*                 the row's BM25 postings (qa_bot/index/lexical.py)
    documents.*            the entries of the documents of these rows (qa_bot/index/doctable.py)
    ivf.*                  above vectors.FLAT_MAX rows only: the inverted lists of the
                           vectors (qa_bot/index/vectors.py), with reused centroids

A segment is written whole into a temp folder, fsynced and renamed into place; after that
nothing writes to it. Deletions are not the segment's business: the generation manifest
marks rows deleted."""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

import numpy as np

from qa_bot.chunking import Chunk, Sentence
from qa_bot.index.doctable import SegmentDocuments, write_entries
from qa_bot.index.files import crash_point, file_records, fsync_dir, open_array
from qa_bot.index import vectors as vector_index
from qa_bot.index.lexical import Postings

SENTENCE_DTYPE = np.float16  # 2 bytes a dimension (see README: no quality lost)


def chunk_to_row(c: Chunk, key: str) -> dict:
    return {"doc_id": c.doc_id, "ordinal": c.ordinal, "start": c.start, "end": c.end,
            "text": c.text, "title": c.title, "section": c.section, "paragraph": c.paragraph,
            "sentences": [[s.start, s.end, s.paragraph, s.page] for s in c.sentences],
            "key": key}


def row_to_chunk(row: dict) -> Chunk:
    sents = tuple(Sentence(*s) for s in row["sentences"])
    return Chunk(row["doc_id"], row["ordinal"], row["start"], row["end"], row["text"],
                 row["title"], row["section"], row["paragraph"], sents)


def write_segment(folder: Path, chunks: list[Chunk], keys: list[str], vectors: np.ndarray,
                  sentence_vectors: np.ndarray | None, documents: list[dict],
                  private: bool = False, quantizers: list[vector_index.Quantizer] = ()
                  ) -> tuple[dict, dict]:
    """Write a segment into the new folder `folder`, every file fsynced; returns the
    {"size", "crc32"} of each file by name, and the vector index parameters. `documents`:
    the entries of the documents of these rows, in row order (see doctable.write_entries);
    `quantizers`: the IVF centroids the generation has, for a large segment to reuse."""
    folder.mkdir(parents=True, mode=0o700 if private else 0o777)
    write_entries(folder, documents, len(chunks))
    blob = [json.dumps(chunk_to_row(c, k), ensure_ascii=False).encode("utf-8") + b"\n"
            for c, k in zip(chunks, keys)]
    (folder / "chunks.jsonl").write_bytes(b"".join(blob))
    crash_point("chunks-written")
    np.save(folder / "chunks.offsets.npy",
            np.concatenate([[0], np.cumsum([len(b) for b in blob])]).astype(np.int64))
    if len(chunks) > vector_index.FLAT_MAX:
        params = vector_index.write_ivf(folder, vectors, list(quantizers))
    else:
        np.save(folder / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        params = {"type": "flat", "n": len(chunks)}
    if sentence_vectors is not None:
        np.save(folder / "sentences.npy", np.asarray(sentence_vectors, dtype=SENTENCE_DTYPE))
        np.save(folder / "sentences.offsets.npy", np.concatenate(
            [[0], np.cumsum([len(c.sentences) for c in chunks])]).astype(np.int64))
    Postings.build([c.embed_text for c in chunks]).save(folder, "bm25.")
    for p in folder.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    fsync_dir(folder)
    return file_records(folder), params


class Segment:
    """A segment opened for reading: its files are memory-mapped, nothing is parsed; chunk
    rows are decoded when asked for. Raises ValueError (naming no file: the caller knows
    the folder) when its files do not fit together or with `rows` and `dim`."""

    def __init__(self, folder: Path, rows: int, dim: int, vector_params: dict | None = None):
        self.folder = folder
        self.rows = rows
        self.records: dict = {}  # the manifest's records of its files, once checked
        self.offsets = open_array(folder / "chunks.offsets.npy")
        size = (folder / "chunks.jsonl").stat().st_size
        if self.offsets.shape != (rows + 1,) or int(self.offsets[-1]) != size:
            raise ValueError(f"chunks.offsets.npy does not fit chunks.jsonl ({rows} rows)")
        with open(folder / "chunks.jsonl", "rb") as f:
            self.blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self.vectors = vector_index.VectorPart(folder, rows, dim, vector_params)
        self.sentences: np.ndarray | None = None
        self.sentence_offsets: np.ndarray | None = None
        if (folder / "sentences.npy").exists():
            self.sentences = open_array(folder / "sentences.npy")
            self.sentence_offsets = open_array(folder / "sentences.offsets.npy")
            if self.sentence_offsets.shape != (rows + 1,) or self.sentences.shape != (
                    int(self.sentence_offsets[-1]), dim):
                raise ValueError("sentences.npy does not fit its offsets")
        self.postings = Postings.load(folder, rows, "bm25.")
        self.documents = SegmentDocuments(folder, rows)

    def row(self, r: int) -> dict:
        return json.loads(self.blob[int(self.offsets[r]):int(self.offsets[r + 1])])

    def chunk(self, r: int) -> Chunk:
        return row_to_chunk(self.row(r))

    def sentence_vectors_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the stored vectors of the sentences of local `rows`, row after row; the number
        of sentences of each row): one gather."""
        off = self.sentence_offsets
        starts = np.asarray(off[rows], dtype=np.int64)
        counts = np.asarray(off[np.asarray(rows) + 1], dtype=np.int64) - starts
        return np.asarray(self.sentences[spans(starts, counts)]), counts


def spans(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[0] .. starts[0] + counts[0] - 1, then starts[1] .., as one index array."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    return np.repeat(starts - ends + counts, counts) + np.arange(total)
