"""The first stage of a sync: what changed. The corpus files under the given roots are
compared with the live generation's manifest by content hash; nothing is chunked,
embedded or written. `qa-bot index --dry-run` prints exactly this plan (with the number of
chunks the sync would embed, counted by the indexer); `indexer.apply` carries it out."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qa_bot.documents import Document, Discovery, display_path, doc_id_for, load_document, \
    read_file, content_hash
from qa_bot.errors import DocumentError, InputError
from qa_bot.index.doctable import DocumentTable


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
    merged: int = 0  # segments merged into others (qa_bot/index/merge.py)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "removed": self.removed,
                "unchanged": self.unchanged, "chunks_embedded": self.chunks_embedded,
                "skipped": self.skipped, "generation": self.generation,
                "dry_run": self.dry_run, "merged": self.merged}


@dataclass
class Plan:
    """What a sync will do. Invariants: `fresh` holds exactly the added and updated
    documents, parsed, and `entries` their new metadata; `dropped` the documents whose
    entries (and rows) the new generation deletes: the updated and the removed ones;
    `stats` the newer file stats of documents read again without a change (doctable.py),
    the old generation's included. Every other live document is kept as it is."""

    report: SyncReport
    fresh: dict[str, Document]
    entries: dict[str, dict]
    dropped: set[str]
    stats: dict[str, list[int]]
    modes: dict[str, int]  # permission bits of each read source
    private: bool  # a source others may not read: the index files holding it are 0600

    @property
    def changed(self) -> bool:
        return self.report.changed


# A file whose size and modification time are those recorded is unchanged without being
# read, if it had not been modified for STABLE_NS when it was read (as git's "racy clean"
# rule: a write within the file system's clock tick cannot then go unseen).
STABLE_NS = 2_000_000_000


def _meta(doc: Document, doc_id: str, path: Path, mode: int, st: os.stat_result,
          read_ns: int) -> dict:
    return {"id": doc_id, "source": doc.source, "path": str(path), "title": doc.title,
            "topic": doc.topic, "hash": doc.content_hash, "paragraphs": len(doc.paragraphs),
            "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "private": not mode & 0o004, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "read_ns": read_ns}


def _stat_unchanged(prev: tuple, st: os.stat_result) -> bool:
    """prev: (size, mtime_ns, read_ns, ...) as recorded (DocumentTable.files)."""
    size, mtime, read_ns = prev[:3]
    return (size, mtime) == (st.st_size, st.st_mtime_ns) and st.st_mtime_ns < read_ns - STABLE_NS


class Roots:
    """The corpus roots of a sync, as the walk's normalized absolute paths."""

    def __init__(self, roots: list[Path]):
        self.tops = [os.path.abspath(r) for r in roots]
        self.under = tuple(os.path.join(top, "") for top in self.tops)  # "root/": prefixes

    def hold(self, path: str) -> bool:
        """`path` (normalized, absolute) is a root or lies below one."""
        return path in self.tops or path.startswith(self.under)

    def outside(self, recorded: dict[str, str]) -> list[Path]:
        """The `recorded` paths outside the roots that are files still: what a full
        rebuild reads again besides the roots (the others are gone: removed)."""
        return [Path(p) for p in sorted(set(recorded.values()))
                if not self.hold(p) and os.path.isfile(p)]

    def gone(self, held: list[str]) -> list[str]:
        """The roots no longer on disk that hold some of the `held` paths (what the index
        holds): a sync removes those documents ("qa-bot index deleted.txt")."""
        return [top for top, under in zip(self.tops, self.under) if not os.path.lexists(top)
                and any(p == top or p.startswith(under) for p in held)]

    def empty(self, paths: list[str]) -> list[str]:
        """The roots that are folders holding none of `paths`."""
        return [top for top, under in zip(self.tops, self.under)
                if os.path.isdir(top) and not any(p.startswith(under) for p in paths)]


KINDS = "(.txt, .md, .html and .pdf files are read)"


def make_plan(found: Discovery, roots: list[Path], old: DocumentTable | None,
              same_settings: bool, max_bytes: int, warn: Callable[[str], None],
              dry_run: bool = False, recorded: dict[str, str] | None = None) -> Plan:
    """Compare the files `found` under `roots` with `old` (the live generation's documents;
    `same_settings`: chunked with today's settings). A document that cannot be read is
    skipped with a warning, and kept as indexed if it was. `recorded` (a full rebuild,
    `old` None): id -> path of every document the index held; those not read again
    (their file gone or unreadable) are reported removed. Nothing to index (no document
    under the roots and none removed, or an index left empty) is an InputError; a root
    folder without documents is a warning."""
    report = SyncReport(skipped=list(found.skipped), dry_run=dry_run)
    for line in found.skipped:
        warn(line)
    fresh: dict[str, Document] = {}
    entries: dict[str, dict] = {}
    stats = dict(old.stats) if old is not None else {}
    files = old.files if old is not None else {}
    modes: dict[str, int] = {}
    seen: set[str] = set()
    for name, walked in zip(found.paths, found.stats):
        doc_id = doc_id_for(name, normalized=True)
        seen.add(doc_id)
        prev = files.get(doc_id)
        if prev and same_settings and _stat_unchanged(prev, walked):
            modes[doc_id] = stat.S_IMODE(walked.st_mode)
            report.unchanged += 1
            continue
        path = Path(name)
        try:
            st = os.stat(path)
            read_ns = time.time_ns()
            raw, modes[doc_id] = read_file(path, max_bytes)
            if prev and same_settings and old[doc_id]["hash"] == content_hash(raw):
                stats[doc_id] = [st.st_size, st.st_mtime_ns, read_ns]  # kept when a build writes
                report.unchanged += 1
                continue
            doc = load_document(path, raw)
        except (DocumentError, OSError) as exc:
            if isinstance(exc, OSError):  # vanished or unreadable since the walk
                exc = DocumentError(f"{display_path(path)}: cannot read ({exc.strerror}), "
                                    f"skipped")
            report.skipped.append(str(exc))
            warn(str(exc))
            if prev:  # keep what was indexed rather than lose it
                report.unchanged += 1
            continue
        (report.updated if prev else report.added).append(display_path(path))
        fresh[doc_id] = doc
        entries[doc_id] = _meta(doc, doc_id, path, modes[doc_id], st, read_ns)
    dropped = {d for d in fresh if d in files}
    within = Roots(roots)
    for doc_id, held in files.items():
        if doc_id in seen:
            continue
        if within.hold(held[4]):
            report.removed.append(old[doc_id]["source"])
            dropped.add(doc_id)
        else:
            report.unchanged += 1
    for doc_id in dropped:
        stats.pop(doc_id, None)
    if recorded is not None:
        report.removed = sorted(display_path(Path(p)) for i, p in recorded.items()
                                if i not in fresh)
    if not found.paths and (old is None or not dropped or len(old) <= len(dropped)):
        raise InputError(f"no documents found in {', '.join(map(display_path, roots))} {KINDS}")
    for top in within.empty(found.paths):
        warn(f"{display_path(Path(top))}: no documents found {KINDS}")
    private = any(not mode & 0o004 for mode in modes.values()) or (
        old is not None and old.any_private(set(modes) | dropped))
    return Plan(report, fresh, entries, dropped, stats, modes, private)
