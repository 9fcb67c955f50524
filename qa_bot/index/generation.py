"""One generation of the index: its files, how they are written and read.

A generation folder holds manifest.json (model, dim, chunk settings, documents, and the
size and CRC-32 of every other file), chunks.jsonl (one chunk row a line, with its
embedding-cache key), vectors.faiss, bm25/ and sentences.npy. It is complete before
CURRENT names it and never modified after."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.chunking import Chunk, Sentence
from qa_bot.errors import IndexCorruptError, IndexIncompatibleError
from qa_bot.index import sentences
from qa_bot.index.files import SELF_CRC, crash_point, file_problem, file_records, fsync_dir, \
    manifest_crc32, manifest_intact
from qa_bot.index.layout import BM25, CHUNKS, FORMAT_VERSION, MANIFEST, SENTENCES, VECTORS
from qa_bot.index.lexical import LexicalIndex
from qa_bot.index.vectors import build_vector_index, load_vector_index


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


def load_generation(path: Path, model: str, dim: int) -> Generation:
    """The generation in folder `path`. Raises IndexCorruptError (naming the file) or
    IndexIncompatibleError (another format, model or dimension)."""
    name = path.name
    manifest_file = path / MANIFEST
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
        where = path / CHUNKS
        rows = [json.loads(line) for line in where.read_text(encoding="utf-8").splitlines()]
        chunks = [row_to_chunk(r) for r in rows]
        keys = [r["key"] for r in rows]
        where = path / VECTORS
        vectors = load_vector_index(where)
        if vectors.ntotal != len(chunks) or vectors.d != dim:
            raise ValueError(f"{vectors.ntotal} vectors of dim {vectors.d} for "
                             f"{len(chunks)} chunks")
        where = path / BM25
        lexical = LexicalIndex.load(where, len(chunks))
        where = path / SENTENCES
        sentence_vectors = sentences.load(path / SENTENCES, sum(len(c.sentences) for c in chunks), dim)
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{exc.filename or where}: missing from the index; "
                                f"run `qa-bot index --full`") from None
    except (IndexIncompatibleError, IndexCorruptError):
        raise
    except Exception as exc:  # any parse failure of a stored file
        raise IndexCorruptError(f"{where}: corrupt index file ({exc}); "
                                f"run `qa-bot index --full`") from None
    return Generation(name, path, manifest, chunks, keys, vectors, lexical, sentence_vectors)


def write_generation_files(tmp: Path, manifest: dict, chunks: list[Chunk], keys: list[str],
                           vectors: np.ndarray, lexical: LexicalIndex, name: str,
                           sentence_vectors: np.ndarray | None, private: bool = False) -> None:
    """Every file of the generation, then the manifest (which records their sizes),
    all fsynced."""
    import faiss

    tmp.mkdir(parents=True, mode=0o700 if private else 0o777)
    manifest = dict(manifest, format=FORMAT_VERSION, generation=name, chunks=len(chunks))
    with open(tmp / CHUNKS, "w", encoding="utf-8") as f:
        for c, k in zip(chunks, keys):
            row = chunk_to_row(c)
            row["key"] = k
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    crash_point("chunks-written")
    index, manifest["vector_index"] = build_vector_index(vectors, int(manifest["dim"]))
    faiss.write_index(index, str(tmp / VECTORS))
    (tmp / BM25).mkdir()
    lexical.save(tmp / BM25)
    if sentence_vectors is not None:
        sentences.save(tmp / SENTENCES, sentence_vectors)
    manifest["files"] = file_records(tmp)
    manifest[SELF_CRC] = manifest_crc32(manifest)
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                       encoding="utf-8")
    for p in sorted(tmp.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fsync_dir(tmp / BM25)
    fsync_dir(tmp)
