"""`qa-bot index --watch`: re-sync whenever supported files under the corpus change,
debounced, until interrupted. A failed sync is reported and the watch goes on.

The first pass syncs the whole corpus (catching up with what changed while nobody
watched); after that a sync walks only the folders where files changed (`changed_roots`),
so the walk costs what changed. The plan still compares with the whole document table
(removals), which grows with the corpus: 0.53 s a new article at a million chunks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from qa_bot.documents import LOADERS
from qa_bot.errors import QaBotError
from qa_bot.terminal import print_error

DEBOUNCE_MS = 1000


def changed_roots(changes: set[tuple[object, str]], roots: list[Path]) -> list[Path] | None:
    """The folders to re-sync for these changes: each changed path's folder when it lies
    within a corpus root, else the root holding the path; None (sync everything) when a
    root itself changed or a change lies outside every root."""
    out: set[Path] = set()
    for _, name in changes:
        p = Path(name)
        holders = [r for r in roots if r == p or r in p.parents]
        if not holders or p in roots:
            return None
        holder = max(holders, key=lambda r: len(r.parts))  # the innermost root
        folder = p.parent
        while holder in folder.parents and not folder.is_dir():  # a folder removed too
            folder = folder.parent
        out.add(folder if holder == folder or holder in folder.parents else holder)
    return sorted(out)


def watch(engine, paths: list[Path] | None, on_report: Callable, *,
          stop_event=None, debounce_ms: int = DEBOUNCE_MS) -> None:
    import watchfiles

    roots = [p.absolute() for p in (paths or engine.cfg.corpus_paths)]
    index_dir = engine.cfg.index_dir.absolute()

    def relevant(_change, path: str) -> bool:
        p = Path(path)
        return (p.suffix.lower() in LOADERS or p.is_dir() or not p.suffix) \
            and index_dir not in p.parents and not p.name.startswith(".")

    ready = False
    try:
        for changes in watchfiles.watch(*roots, watch_filter=relevant, debounce=debounce_ms,
                                        stop_event=stop_event, raise_interrupt=True,
                                        rust_timeout=500, yield_on_timeout=True):
            if ready and not changes:
                continue
            where = changed_roots(changes, roots) if ready else None
            try:  # the first pass catches up with changes made before the watcher ran
                report = engine.sync(where or paths, progress=False)
            except QaBotError as exc:
                print_error(exc)
                continue
            if report.changed:
                on_report(report)
            if not ready:
                ready = True
                print(f"watching {', '.join(str(r) for r in roots)} (Ctrl-C to stop)",
                      file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    print("stopped watching", file=sys.stderr, flush=True)
