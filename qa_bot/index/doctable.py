"""The documents of a generation, kept where their chunks are: each segment holds the
entries of the documents whose rows it holds (every document has at least one chunk), so
a sync writes the entries of what changed and never the whole table.

Segment files (written by `write_entries`, read by `SegmentDocuments`):

    documents.jsonl           one document entry a line: its manifest metadata, with
                              "id", "row" (its first row in the segment) and "chunks"
    documents.offsets.npy     int64 (entries + 1): entry e is documents.jsonl[off[e]:off[e+1]]
    documents.ids.json        [[id, path, content hash], ...] in entry order (read whole)
    documents.stat.npy        int64 (entries, 4): size, mtime_ns, read_ns, private
    chunks.document.npy       int32 (rows,): the entry of each row

A generation's manifest marks deleted entries per segment ("deleted_docs" ranges, as rows
are marked) and keeps `stats`: newer size / mtime_ns / read_ns of documents whose content
did not change since their entry was written (folded into the entry by the next merge).
`DocumentTable` is the live entries of all segments as a read-only mapping id -> metadata;
nothing is decoded until asked for."""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from qa_bot.index.files import open_array

if TYPE_CHECKING:
    from qa_bot.index.generation import Generation

STAT_FIELDS = ("size", "mtime_ns", "read_ns")


def write_entries(folder: Path, entries: list[dict], rows: int) -> None:
    """Write the document files of a segment of `rows` rows; `entries` in row order, each
    with "id", "path", "row" and "chunks" (rows row..row+chunks-1 are its chunks)."""
    blob = [json.dumps(e, ensure_ascii=False).encode("utf-8") + b"\n" for e in entries]
    (folder / "documents.jsonl").write_bytes(b"".join(blob))
    np.save(folder / "documents.offsets.npy",
            np.concatenate([[0], np.cumsum([len(b) for b in blob])]).astype(np.int64))
    (folder / "documents.ids.json").write_text(
        json.dumps([[e["id"], e["path"], e["hash"]] for e in entries], ensure_ascii=False),
        encoding="utf-8")
    stat = np.array([[int(e.get(f, 0) or 0) for f in STAT_FIELDS] + [int(bool(e.get("private")))]
                     for e in entries], dtype=np.int64).reshape(len(entries), 4)
    np.save(folder / "documents.stat.npy", stat)
    of_row = np.full(rows, -1, dtype=np.int32)
    for i, e in enumerate(entries):
        of_row[e["row"]:e["row"] + e["chunks"]] = i
    if (of_row < 0).any():
        raise ValueError("a row without a document")
    np.save(folder / "chunks.document.npy", of_row)


class SegmentDocuments:
    """A segment's document entries, opened: every file memory-mapped now, the ids parsed
    when first needed. Raises ValueError when the files do not fit together or with
    `rows`, OSError when one is missing."""

    def __init__(self, folder: Path, rows: int):
        self.folder = folder
        self.offsets = open_array(folder / "documents.offsets.npy")
        self.stat = open_array(folder / "documents.stat.npy")
        self.of_row = open_array(folder / "chunks.document.npy")
        n = len(self.offsets) - 1
        size = (folder / "documents.jsonl").stat().st_size
        with open(folder / "documents.jsonl", "rb") as f:
            self.blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if n < 0 or int(self.offsets[-1]) != size or self.stat.shape != (n, 4) \
                or self.of_row.shape != (rows,):
            raise ValueError("document files that do not fit together")
        self.count = n
        # Opened now, parsed when first needed: a reader holding an older generation may
        # ask after a build dropped this segment's folder (keep_generations), and an open
        # file outlives its name.
        with open(folder / "documents.ids.json", "rb") as f:
            ids_size = os.fstat(f.fileno()).st_size
            self._ids_blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) \
                if ids_size else b""
        self._ids: list[list[str]] | None = None
        self._files: dict[str, tuple[int, int, int, int, str]] | None = None
        self._index: dict[str, int] | None = None

    @property
    def ids(self) -> list[list[str]]:
        """[id, path, content hash] of each entry."""
        if self._ids is None:
            self._ids = parse_ids(bytes(self._ids_blob), self.count)
        return self._ids

    @property
    def files(self) -> dict[str, tuple[int, int, int, int, str]]:
        """id -> (size, mtime_ns, read_ns, private, path) of every entry, deleted or not."""
        if self._files is None:
            stat = np.asarray(self.stat).tolist()
            self._files = {i[0]: (*st, i[1]) for i, st in zip(self.ids, stat)}
        return self._files

    @property
    def index(self) -> dict[str, int]:
        """id -> entry number (made once)."""
        if self._index is None:
            self._index = {i[0]: e for e, i in enumerate(self.ids)}
        return self._index

    def entry(self, e: int) -> dict:
        return json.loads(self.blob[int(self.offsets[e]):int(self.offsets[e + 1])])


def read_ids(folder: Path, count: int | None = None) -> list[list[str]]:
    """A segment's documents.ids.json, checked. Raises ValueError or OSError."""
    return parse_ids((folder / "documents.ids.json").read_bytes(), count)


def parse_ids(raw: bytes, count: int | None = None) -> list[list[str]]:
    """The [id, path, content hash] entries of a documents.ids.json, checked (`count` of
    them when given). Raises ValueError."""
    ids = json.loads(raw.decode("utf-8"))
    if not isinstance(ids, list) or (count is not None and len(ids) != count) or not all(
            isinstance(i, list) and len(i) == 3 and all(isinstance(x, str) for x in i)
            for i in ids):
        raise ValueError("documents.ids.json does not fit documents.jsonl")
    return ids


def live_entries(entry: dict, count: int) -> np.ndarray:
    """True for each document entry of a manifest segment entry that is not deleted."""
    live = np.ones(count, dtype=bool)
    for start, end in entry.get("deleted_docs", []):
        live[start:end] = False
    return live


class DocumentTable(Mapping):
    """The generation's live documents: id -> metadata (with "segment", its row in that
    segment and its number of chunks). Built from the segments' own tables, each made once
    (segments are immutable); an entry is decoded only when asked for."""

    def __init__(self, gen: "Generation"):
        self.gen = gen
        self.docs = [s.documents for s in gen.segments]
        self.live = [live_entries(e, d.count)
                     for e, d in zip(gen.manifest["segments"], self.docs)]
        self.stats: dict = gen.manifest.get("stats") or {}
        self._files: dict[str, tuple[int, int, int, int, str]] | None = None

    def locate(self, doc_id: str) -> tuple[int, int] | None:
        """(segment index, entry index) of the document's live entry, None if none."""
        for i, (docs, live) in enumerate(zip(self.docs, self.live)):
            e = docs.index.get(doc_id)
            if e is not None and live[e]:
                return i, e
        return None

    def meta(self, i: int, e: int) -> dict:
        """Entry e of segment i, with its segment's name and the newer stats applied."""
        meta = self.docs[i].entry(e)
        meta["segment"] = self.gen.manifest["segments"][i]["name"]
        if meta["id"] in self.stats:
            meta.update(zip(STAT_FIELDS, self.stats[meta["id"]]))
        return meta

    def __getitem__(self, doc_id: str) -> dict:
        at = self.locate(doc_id)
        if at is None:
            raise KeyError(doc_id)
        return self.meta(*at)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.locate(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return int(sum(int(m.sum()) for m in self.live))

    def of_row(self, row: int) -> dict:
        """The metadata of the document a generation row belongs to."""
        i, r = self.gen.locate(row)
        return self.meta(i, int(self.docs[i].of_row[r]))

    @property
    def files(self) -> dict[str, tuple[int, int, int, int, str]]:
        """id -> (size, mtime_ns, read_ns, private, path) of each live document (the
        newer stats applied): what a sync's plan compares the corpus with. Each segment's
        table is made once (segments are immutable), a generation's from them."""
        if self._files is None:
            files: dict[str, tuple[int, int, int, int, str]] = {}
            dead: set[str] = set()
            for docs, live in zip(self.docs, self.live):
                files.update(docs.files)  # every entry; a document has one live entry
                if not live.all():
                    dead.update(docs.ids[e][0] for e in np.flatnonzero(~live).tolist())
            for doc_id in dead:  # the live entry, if another segment holds one
                files.pop(doc_id)
                if (at := self.locate(doc_id)) is not None:
                    files[doc_id] = self.docs[at[0]].files[doc_id]
            for doc_id, (size, mtime, read) in self.stats.items():
                if doc_id in files:
                    files[doc_id] = (size, mtime, read, *files[doc_id][3:])
            self._files = files
        return self._files

    def any_private(self, besides: set[str]) -> bool:
        """Some live document not in `besides` came from a source others may not read."""
        return any(f[3] and doc_id not in besides for doc_id, f in self.files.items())
