"""`qa-bot index` (sync, --verify, --watch, --cluster) and `qa-bot docs`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import TYPE_CHECKING

from qa_bot.cli.common import emit, engine_for
from qa_bot.config import Config
from qa_bot.errors import IndexDamagedError, IndexMissingError, InputError
from qa_bot.terminal import count, safe

if TYPE_CHECKING:
    from qa_bot.indexer import SyncReport


def print_report(report: SyncReport, as_json: bool) -> None:
    """A sync's report: one JSON line, or a line per changed document and a summary."""
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False), flush=True)
        return
    n = report.chunks_embedded
    verb = "would be" if report.dry_run else "was" if n == 1 else "were"
    for label, items in (("added", report.added), ("updated", report.updated),
                         ("removed", report.removed)):
        for item in items:
            print(f"{label}: {safe(item)}")
    print(f"{len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.removed)} removed, {report.unchanged} unchanged; "
          f"{count(n, 'chunk')} {verb} embedded"
          + (f"; {count(report.merged, 'segment')} merged" if report.merged else "")
          + (f"; generation {report.generation}" if report.generation else ""), flush=True)


def cmd_verify(args: argparse.Namespace, cfg: Config) -> int:
    """`index --verify`: every problem on stderr, one line each (through main), exit 1;
    else a one-line summary of what was checked, exit 0."""
    from qa_bot.index import IndexStore
    from qa_bot.index.verify import verified_counts, verify

    others = [f"--{o.replace('_', '-')}" for o in ("full", "dry_run", "watch", "merge")
              if getattr(args, o)] + [str(p) for p in args.paths]
    if others:
        raise InputError(f"--verify checks the index as it is; it takes no {others[0]}")
    store = IndexStore(cfg.index_dir)
    if not store.exists():
        store.check_owner()  # a folder of other files: say so, not "run qa-bot index"
        raise IndexMissingError(f"{cfg.index_dir}: no index yet; run `qa-bot index`")
    problems = verify(cfg.index_dir)
    if problems:
        if args.json:
            emit({"verified": False, "problems": problems})
        raise IndexDamagedError(problems)
    n = verified_counts(cfg.index_dir)
    if args.json:
        emit({"verified": True, **n})
    else:
        print(f"index verified: generation {n['generation']}, {count(n['files'], 'file')}, "
              f"{count(n['documents'], 'document')}, {count(n['chunks'], 'chunk')} checked",
              flush=True)
    return 0


def cmd_index(args: argparse.Namespace, cfg: Config) -> int:
    if not args.wait >= 0:  # also NaN
        raise InputError(f"--wait must be 0 or more seconds, got {args.wait:g}")
    if args.verify:
        return cmd_verify(args, cfg)
    address = cfg.index.cluster if args.cluster is None else args.cluster
    with contextlib.ExitStack() as stack:
        if address:  # dask is imported only here, and only once something is embedded
            from qa_bot.cluster import embedder_factory
            from qa_bot.engine import Engine

            engine = Engine(cfg, stack.enter_context(embedder_factory(address, cfg.index_dir)))
        else:
            engine = engine_for(cfg)
        report = engine.sync(args.paths or None, full=args.full, dry_run=args.dry_run,
                             progress=sys.stderr.isatty() or not args.json,
                             lock_timeout=args.wait, merge=args.merge)
        print_report(report, args.json)
        if args.watch:
            from qa_bot.watch import watch

            watch(engine, args.paths or None, lambda report: print_report(report, args.json))
    return 0


def cmd_docs(args: argparse.Namespace, cfg: Config) -> int:
    docs = engine_for(cfg).documents()
    if args.json:
        print(json.dumps(docs, ensure_ascii=False))
        return 0
    for d in docs:
        print(f"{safe(d['source'])}\t{safe(d['title'])}\t{count(d['chunks'], 'chunk')}\t"
              f"indexed {safe(d['indexed_at'])}")
    print(count(len(docs), "document"))
    return 0
