"""What the subcommands share: the engine (its index built on first use), questions checked
as UTF-8, and JSON lines in and out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from qa_bot.config import Config
from qa_bot.errors import InputError
from qa_bot.terminal import count

if TYPE_CHECKING:  # the engine (and its models) load only for the commands that ask
    from qa_bot.engine import Engine


def engine_for(cfg: Config) -> Engine:
    from qa_bot.engine import Engine

    return Engine(cfg)


def ensure_index(engine: Engine) -> None:
    """Build the index from the configured corpus when there is none yet."""
    if not engine.has_index():
        engine.store.check_owner()  # a wrong --index-dir says so before anything is built
        for path in engine.cfg.corpus_paths:  # from the config's folder, as sync reads them
            if not path.exists():
                raise InputError(f"{path}: no such file or directory, so no index can be built "
                                 f"in {engine.cfg.index_dir} (run qa-bot in the folder of its "
                                 f"config.toml, or pass --config or --index-dir)")
        paths = ", ".join(str(p) for p in engine.cfg.corpus.paths)
        print(f"No index yet in {engine.cfg.index_dir}: building it from {paths} first.",
              file=sys.stderr)
        report = engine.sync()
        print(f"Indexed {count(len(report.added), 'document')} "
              f"({count(report.chunks_embedded, 'chunk')}).",
              file=sys.stderr)


def text_options(args: argparse.Namespace) -> dict:
    """to_text options: bold answer phrase on a terminal only (not in pipes, nor with
    NO_COLOR set), the other passages with -v or --top-k."""
    bold = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return {"bold": bold, "verbose": args.verbose or args.top_k is not None}


def checked(question: str) -> str:
    """The question, refused when it holds undecodable bytes (a non-UTF-8 argument)."""
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the question is not valid UTF-8") from None
    return question


def emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def json_lines(answer_one) -> None:
    """One question per stdin line (read as bytes) -> one JSON object per line, flushed:
    `answer_one(question)` returns the object to print (None: print nothing). A line that
    is not UTF-8 or that the engine refuses gets {"error", "line"}; the batch goes on."""
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            question = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            emit({"error": f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at "
                            f"{exc.start})", "line": number})
            continue
        if not question:
            continue
        try:
            obj = answer_one(question)
        except InputError as exc:
            obj = {"error": str(exc), "line": number}
        if obj is not None:
            emit(obj)
