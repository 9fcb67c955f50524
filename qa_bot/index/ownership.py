"""Ownership of an index directory: a build writes only into a folder that is empty, new
or marked as ours (the QA_BOT_INDEX marker, whose later lines list the generations builds
made there), and removes only what it made. Mixed into IndexStore."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from qa_bot.errors import IndexBusyError, IndexDirError, IndexIncompatibleError, \
    IndexWriteError
from qa_bot.index.files import write_atomic
from qa_bot.index.layout import CURRENT, EMPTY_ENOUGH, FORMAT_VERSION, GEN_NAME, LEDGER_LINE, \
    LOCK, MARKER, MARKER_TEXT, SEG_LEDGER_LINE, SEG_NAME, SEGMENTS


class Ownership:
    """The marker, the ledger of generations and the build lock (needs IndexStore's root,
    manifest, _generation_names)."""

    def check_owner(self) -> None:
        """Raise IndexDirError unless the folder is missing, empty (but for EMPTY_ENOUGH
        names), marked as qa-bot's, or an index an earlier qa-bot built. Writes nothing."""
        root = self.root
        if os.path.realpath(root) == os.path.realpath(os.sep):
            raise IndexDirError(f"{root}: the file system root cannot hold the index; pick an "
                                f"empty or new directory (--index-dir or [index] dir)")
        if not os.path.lexists(root):
            return
        if not root.is_dir():
            raise self._not_a_directory()
        try:
            names = set(os.listdir(root))
        except OSError as exc:
            raise IndexWriteError(f"{root}: cannot read the index directory "
                                  f"({exc.strerror})") from None
        if MARKER in names:
            self._check_marker()
        elif not names <= EMPTY_ENOUGH and not self._legacy_index(names):
            raise IndexDirError(
                f"{root}: not empty and not a qa-bot index (no {MARKER} file); pick an empty "
                f"or new directory (--index-dir or [index] dir), qa-bot will not mix its files "
                f"with others")

    def _not_a_directory(self) -> IndexDirError:
        return IndexDirError(f"{self.root}: not a directory; the index needs a folder of its "
                             f"own (--index-dir or [index] dir)")

    def _check_marker(self) -> None:
        path = self.root / MARKER
        try:
            with open(path, "rb") as f:
                first = f.readline(200).decode("utf-8", "replace").split()
        except OSError as exc:
            raise IndexWriteError(f"{path}: unreadable ({exc.strerror})") from None
        if first[:3] == ["qa-bot", "index", "format"] and len(first) == 4 \
                and first[3].isdigit() and int(first[3]) > FORMAT_VERSION:
            raise IndexIncompatibleError(f"{path}: index format {first[3]}, this qa-bot "
                                         f"writes {FORMAT_VERSION}; use a newer qa-bot or "
                                         f"another directory")

    def _legacy_index(self, names: set[str]) -> bool:
        """An index built before the marker existed: CURRENT and a generation whose
        manifest names it."""
        return CURRENT in names and any(self.manifest(n) is not None
                                        for n in names if GEN_NAME.fullmatch(n))

    def claim(self) -> None:
        """Check ownership again (under the lock) and write the marker if missing (listing
        the generations of an index an earlier qa-bot built)."""
        self.check_owner()
        if self.marker_problem():  # missing or damaged: written again, whole
            manifests = [m for n in self._generation_names() if (m := self.manifest(n))]
            self._record(add={m["generation"] for m in manifests} | {
                str(e.get("name")) for m in manifests for e in m.get("segments", [])
                if isinstance(e, dict) and SEG_NAME.fullmatch(str(e.get("name")))})

    def marker_problem(self) -> str | None:
        """None when the marker is there and opens with its first line; else why not."""
        try:
            with open(self.root / MARKER, "rb") as f:
                head = f.read(len(MARKER_TEXT))
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"unreadable ({exc.strerror})"
        return None if head == MARKER_TEXT.encode() else "damaged"

    def _ledger(self) -> set[str]:
        """The generations and segments the marker lists."""
        try:
            lines = (self.root / MARKER).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return set()
        names = {line.split(" ", 1)[1].strip() for line in lines.splitlines()
                 if line.startswith((LEDGER_LINE, SEG_LEDGER_LINE))}
        return {n for n in names if GEN_NAME.fullmatch(n) or SEG_NAME.fullmatch(n)}

    def _exists(self, name: str) -> bool:
        folder = self.root / SEGMENTS / name if SEG_NAME.fullmatch(name) else self.root / name
        return folder.is_dir()

    def _record(self, add: set[str] = frozenset()) -> None:
        """Rewrite the marker: the generations and segments it lists that still exist,
        plus `add`."""
        names = {n for n in self._ledger() if self._exists(n)} | set(add)
        lines = [f"{SEG_LEDGER_LINE if SEG_NAME.fullmatch(n) else LEDGER_LINE}{n}\n"
                 for n in sorted(names)]
        write_atomic(self.root / MARKER, (MARKER_TEXT + "".join(lines)).encode())

    def _owned(self, name: str, manifests: dict[str, dict] | None = None) -> bool:
        """A generation a build here made: the marker lists it, or its manifest names it."""
        return name in self._ledger() or self.manifest(name, manifests) is not None

    @contextlib.contextmanager
    def lock(self, timeout: float = 10.0) -> Iterator[None]:
        """Held by a build for its whole run; a second build waits `timeout` seconds, then
        gets IndexBusyError. Readers never take it."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / LOCK))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexBusyError(f"{self.root}: another `qa-bot index` is running (it holds "
                                 f"{self.root / LOCK}); try again when it ends") from None
        except OSError as exc:
            raise IndexWriteError(f"{self.root}: cannot write the index directory "
                                  f"({exc.strerror or exc}); check its owner and mode, or pick "
                                  f"another (--index-dir or [index] dir)") from None
        try:
            yield
        finally:
            lock.release()

