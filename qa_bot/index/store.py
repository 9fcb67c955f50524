"""The index directory: generations switched by one atomic rename (the CURRENT-file
pattern), a content-addressed store of document texts, and an embedding cache.

The names inside the folder are those of qa_bot/index/layout.py.

A generation directory is complete before CURRENT names it, and is never modified after:
a reader that has read CURRENT sees one whole index. Its manifest records the size and
CRC-32 of each of its files; a load checks both, so damage is named, never served.
CURRENT is only a pointer: when it is missing or names no generation, the newest complete
generation (its files there with their recorded sizes) is live, with a warning.

Ownership: a build writes only into a folder that is empty, new or marked as ours, and
removes only names it made: its temp files (fixed names, below), generations the marker
lists (a build records each before it exists) or whose manifest names them, and
texts/<hash>.txt of the documents of a generation it removes. Anything else a user leaves
in the folder survives every build."""


from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from qa_bot.errors import IndexCorruptError, IndexMissingError
from qa_bot.index.cache import EmbeddingCache
from qa_bot.index.doctable import live_entries, read_ids
from qa_bot.index.files import file_problem, manifest_intact
from qa_bot.index.generation import Generation, load_generation, segments_problem
from qa_bot.index.layout import CURRENT, GEN_NAME, MANIFEST, SEG_NAME, SEGMENTS, cache_path, \
    number_of, text_path
from qa_bot.index.segment import Segment
from qa_bot.index.ownership import Ownership
from qa_bot.index.writing import Writing
from qa_bot.terminal import warning

_warned: set[tuple[str, str]] = set()  # (index dir, message): each warning once a process


class IndexStore(Ownership, Writing):
    """One index directory. Readers call current_name/load (never write, never lock);
    a build calls check_owner, then under lock(): claim, remove_debris, put_text,
    write_generation, prune (see Ownership and Writing)."""

    def __init__(self, root: Path, warn: Callable[[str], None] = warning):
        self.root = root
        self.warn = warn
        self._complete: dict[tuple[str, int, int, int], bool] = {}  # (name, manifest stat)
        self._opened: dict[str, Segment] = {}  # segments of the last load, checked then
        self._manifests: dict[tuple[str, int, int, int], dict | None] = {}
        self._ids: dict[str, tuple[list[str], set[str]]] = {}  # a segment's content hashes
        self._gen_hashes: dict[str, set[str]] = {}  # a generation's content hashes

    # ---- the pointer ---------------------------------------------------------------
    def read_pointer(self) -> tuple[str | None, str]:
        """(name, "") when CURRENT names an existing generation directory, else
        (None, why): "missing", "empty", "unreadable (...)", "names ..., which ..."."""
        try:
            with open(self.root / CURRENT, "rb") as f:
                raw = f.read(256)
        except FileNotFoundError:
            return None, "missing"
        except NotADirectoryError:
            raise self._not_a_directory() from None
        except OSError as exc:
            return None, f"unreadable ({exc.strerror})"
        name = raw.decode("utf-8", "replace").strip()
        if not name:
            return None, "empty"
        if not GEN_NAME.fullmatch(name):
            return None, f"holds {ascii(name[:40])}, not a generation name"
        if not (self.root / name).is_dir():
            return None, f"names {name}, which does not exist"
        return name, ""

    def current_name(self) -> str | None:
        """The live generation: the one CURRENT names, else (with one warning) the newest
        complete one, else None."""
        name, why = self.read_pointer()
        if name is not None:
            return name
        for n in reversed(self._generation_names()):
            if self.is_complete(n):
                line = f"{self.root / CURRENT}: {why}; using the newest complete generation, {n}"
                if (str(self.root), line) not in _warned:
                    _warned.add((str(self.root), line))
                    self.warn(line)
                return n
        return None

    def exists(self) -> bool:
        """Something of an index is here (CURRENT or a generation), whole or not: load()
        gives it, or names what is wrong with it."""
        name, why = self.read_pointer()  # IndexDirError when the "directory" is a file
        return name is not None or why != "missing" or bool(self._generation_names())

    def is_complete(self, name: str) -> bool:
        """Its manifest loads and names it, and its files have the recorded sizes (the
        checksums are checked when it is loaded)."""
        path = self.root / name
        try:
            st = (path / MANIFEST).stat()
        except OSError:
            return False
        key = (name, st.st_ino, st.st_mtime_ns, st.st_size)
        if key not in self._complete:  # generations are immutable: checked once
            manifest = self.manifest(name)
            self._complete[key] = (manifest is not None and segments_problem(
                self.root, manifest, checksums=False) is None)
        return self._complete[key]

    def manifest(self, name: str, known: dict[str, dict] | None = None) -> dict | None:
        """The manifest of generation `name` (from `known`, the caller's, when there) if it
        loads, names that generation and has its own CRC-32. Parsed once per store while
        the file stays the same (inode, time, size): generations are immutable."""
        if known and name in known:
            return known[name]
        path = self.root / name / MANIFEST
        try:
            st = path.stat()
            key = (name, st.st_ino, st.st_mtime_ns, st.st_size)
            if key not in self._manifests:
                m = json.loads(path.read_text(encoding="utf-8"))
                self._manifests[key] = m if isinstance(m, dict) and m.get(
                    "generation") == name and manifest_intact(m) else None
        except (OSError, ValueError):
            return None
        return self._manifests[key]

    # ---- reading -------------------------------------------------------------------
    def load(self, model: str, dim: int) -> Generation:
        """The live generation. Raises IndexMissingError, IndexCorruptError (naming the
        file) or IndexIncompatibleError (another model or dimension)."""
        name = self.current_name()
        if name is None:
            if self.exists():
                _, why = self.read_pointer()
                raise IndexCorruptError(f"{self.root}: no complete generation ({CURRENT} "
                                        f"{why}); run `qa-bot index --full`")
            self.check_owner()  # a folder of other files is no index to build either
            raise IndexMissingError(f"{self.root}: no index yet; run `qa-bot index`")
        return self.load_generation(name, model, dim)

    def load_generation(self, name: str, model: str, dim: int) -> Generation:
        """Generation `name`; segments the previous load opened (immutable, checked then)
        are reused, so a hot reload checks and opens only the new ones."""
        opened = dict(self._opened)
        gen = load_generation(self.root / name, model, dim, opened, self.manifest(name))
        self._opened = {s.folder.name: s for s in gen.segments}
        return gen

    def recorded_paths(self) -> dict[str, str]:
        """id -> source path of each live document of the live generation (CURRENT's, else
        the newest), read as far as damage allows and never raising for it: what `index
        --full` reads again besides the corpus paths. A damaged manifest: the newest intact
        one stands in; a segment whose document ids cannot be read is passed over (each
        with one warning); no generation at all: nothing."""
        names = self._generation_names()
        live = self.read_pointer()[0] or (names[-1] if names else None)
        order = ([live] + [n for n in reversed(names) if n != live]) if live else []
        for name in order:
            manifest = self.manifest(name)
            if manifest is None:
                continue
            if name != live:
                self.warn(f"{self.root / live / MANIFEST}: cannot be read; only the "
                          f"documents of {name} and the corpus paths are read again")
            return self._paths_of(manifest)
        if live:
            self.warn(f"{self.root}: no generation's manifest can be read; only the corpus "
                      f"paths are read again")
        return {}

    def _paths_of(self, manifest: dict) -> dict[str, str]:
        """id -> path of the live documents a manifest names (see recorded_paths)."""
        listed = manifest.get("documents")
        if isinstance(listed, dict):  # formats 1 and 2 listed them in the manifest
            return {i: m["path"] for i, m in listed.items()
                    if isinstance(m, dict) and isinstance(m.get("path"), str)}
        out: dict[str, str] = {}
        for entry in manifest.get("segments") or []:
            ids_file = self.root / SEGMENTS / str(entry.get("name")) / "documents.ids.json"
            try:
                problem = file_problem(ids_file.parent, {"files": {
                    ids_file.name: entry["files"][ids_file.name]}})
                if problem is None:
                    ids = read_ids(ids_file.parent, int(entry["documents"]))
                    live = live_entries(entry, len(ids))
                    out.update((i[0], i[1]) for i, ok in zip(ids, live) if ok)
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
                problem = f"{ids_file}: cannot be read ({exc})"
            if problem:
                self.warn(f"{problem}; of the documents it lists, only those under the "
                          f"corpus paths are read again")
        return out

    def verify(self, model: str, dim: int) -> list[str]:
        """Every problem of the live generation, one line each (see index/verify.py)."""
        from qa_bot.index.verify import verify_generation

        return verify_generation(self, model, dim)

    def open_cache(self, dim: int) -> EmbeddingCache:
        """The embedding cache of this index (created if missing); close it after use."""
        return EmbeddingCache(cache_path(self.root), dim, self.warn)

    def cached(self, dim: int, keys: list[str]) -> set[str]:
        """The `keys` the embedding cache holds, read only (see EmbeddingCache.holds)."""
        return EmbeddingCache.holds(cache_path(self.root), dim, keys)

    def check_cache(self, dim: int) -> None:
        """Move a damaged embedding cache aside (with a warning), if there is one."""
        if cache_path(self.root).is_file():
            cache = self.open_cache(dim)
            cache.check(repair=True)
            cache.close()

    def text_path(self, content_hash: str) -> Path:
        return text_path(self.root, content_hash)

    def document_text(self, content_hash: str) -> str:
        return self.text_path(content_hash).read_text(encoding="utf-8")

    def _generation_names(self) -> list[str]:
        """Names of the generation directories, oldest first."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        names = [e.name for e in entries
                 if GEN_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
        return sorted(names, key=number_of)

    def _segment_names(self) -> list[str]:
        """Names of the segment folders, oldest first."""
        try:
            entries = list(os.scandir(self.root / SEGMENTS))
        except OSError:
            return []
        return sorted((e.name for e in entries
                       if SEG_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)),
                      key=number_of)

