"""`qa-bot` command line. Global options (--config, --index-dir) come before the
subcommand. User errors print one line on stderr and exit non-zero; never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from qa_bot.config import Config, load_config, with_index_dir
from qa_bot.errors import IndexDamagedError, IndexMissingError, InputError, QaBotError
from qa_bot.terminal import print_error, safe

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa-bot", description="Cited answers from your articles.")
    p.add_argument("--config", metavar="PATH",
                   help="config file (default: $QA_BOT_CONFIG, else ./config.toml)")
    p.add_argument("--index-dir", metavar="DIR", help="index directory (overrides the config)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ix = sub.add_parser("index", help="sync the index with the corpus")
    ix.add_argument("paths", nargs="*", type=Path,
                    help="files or folders (default: [corpus] paths of the config)")
    ix.add_argument("--full", action="store_true", help="rebuild from scratch")
    ix.add_argument("--dry-run", action="store_true", help="list what would change, touch nothing")
    ix.add_argument("--merge", action="store_true",
                    help="also merge every segment of the index into one")
    ix.add_argument("--verify", action="store_true",
                    help="check every file, checksum and quote of the index (reads only); "
                         "exit 1 naming each problem")
    ix.add_argument("--json", action="store_true", help="print the report as one JSON line")
    ix.add_argument("--watch", action="store_true",
                    help="keep running: re-sync whenever files under the paths change")
    ix.add_argument("--cluster", metavar="ADDRESS",
                    help="embed on the workers of this Dask scheduler (tcp://HOST:8786; "
                         "default [index] cluster; '' for this machine)")
    ix.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                    help="how long to wait for another running build (default 10)")

    ask = sub.add_parser("ask", help="answer one question (or one per stdin line with --json)")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--top-k", type=int, metavar="N", help="how many passages to cite")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("-v", "--verbose", action="store_true",
                     help="also show the nearest passages the answer does not cite")

    chat = sub.add_parser("chat", help="questions with follow-up context (/reset starts over)")
    chat.add_argument("--top-k", type=int, metavar="N")
    chat.add_argument("--json", action="store_true",
                      help="read one question per stdin line, print one Answer JSON per line")
    chat.add_argument("-v", "--verbose", action="store_true",
                      help="also show the nearest passages the answer does not cite")

    docs = sub.add_parser("docs", help="list the indexed documents")
    docs.add_argument("--json", action="store_true")

    tg = sub.add_parser("telegram", help="run the Telegram bot (token in TELEGRAM_BOT_TOKEN)")
    tg.add_argument("--base-url", metavar="URL", help="Bot API server (default: Telegram's)")
    return p


def _config(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config)
    return with_index_dir(cfg, args.index_dir) if args.index_dir else cfg


def _engine(cfg: Config):
    from qa_bot.engine import Engine

    return Engine(cfg)


def _ensure_index(engine) -> None:
    if not engine.has_index():
        paths = ", ".join(str(p) for p in engine.cfg.corpus.paths)
        print(f"No index yet in {engine.cfg.index_dir}: building it from {paths} first.",
              file=sys.stderr)
        report = engine.sync()
        print(f"Indexed {len(report.added)} documents ({report.chunks_embedded} chunks).",
              file=sys.stderr)


def print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False), flush=True)
        return
    verb = "would be" if report.dry_run else "were"
    for label, items in (("added", report.added), ("updated", report.updated),
                         ("removed", report.removed)):
        for item in items:
            print(f"{label}: {safe(item)}")
    print(f"{len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.removed)} removed, {report.unchanged} unchanged; "
          f"{report.chunks_embedded} chunks {verb} embedded"
          + (f"; {report.merged} segments merged" if report.merged else "")
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
    if not IndexStore(cfg.index_dir).exists():
        raise IndexMissingError(f"{cfg.index_dir}: no index yet; run `qa-bot index`")
    problems = verify(cfg.index_dir)
    if problems:
        if args.json:
            _emit({"verified": False, "problems": problems})
        raise IndexDamagedError(problems)
    n = verified_counts(cfg.index_dir)
    if args.json:
        _emit({"verified": True, **n})
    else:
        print(f"index verified: generation {n['generation']}, {n['files']} files, "
              f"{n['documents']} documents, {n['chunks']} chunks checked", flush=True)
    return 0


def cmd_index(args: argparse.Namespace, cfg: Config) -> int:
    if args.verify:
        return cmd_verify(args, cfg)
    address = cfg.index.cluster if args.cluster is None else args.cluster
    with contextlib.ExitStack() as stack:
        if address:  # dask is imported only here, and only once something is embedded
            from qa_bot.cluster import embedder_factory
            from qa_bot.engine import Engine

            engine = Engine(cfg, stack.enter_context(embedder_factory(address, cfg.index_dir)))
        else:
            engine = _engine(cfg)
        report = engine.sync(args.paths or None, full=args.full, dry_run=args.dry_run,
                             progress=sys.stderr.isatty() or not args.json,
                             lock_timeout=args.wait, merge=args.merge)
        print_report(report, args.json)
        if args.watch:
            from qa_bot.watch import watch

            watch(engine, args.paths or None, lambda report: print_report(report, args.json))
    return 0


def _text_options(args: argparse.Namespace) -> dict:
    """to_text options: bold answer phrase on a terminal only (not in pipes, nor with
    NO_COLOR set), the other passages with -v."""
    bold = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return {"bold": bold, "verbose": args.verbose}


def _checked(question: str) -> str:
    """The question, refused when it holds undecodable bytes (a non-UTF-8 argument)."""
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the question is not valid UTF-8") from None
    return question


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _json_lines(answer_one) -> None:
    """One question per stdin line (read as bytes) -> one JSON object per line, flushed:
    `answer_one(question)` returns the object to print (None: print nothing). A line that
    is not UTF-8 or that the engine refuses gets {"error", "line"}; the batch goes on."""
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            question = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            _emit({"error": f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at "
                            f"{exc.start})", "line": number})
            continue
        if not question:
            continue
        try:
            obj = answer_one(question)
        except InputError as exc:
            obj = {"error": str(exc), "line": number}
        if obj is not None:
            _emit(obj)


def cmd_ask(args: argparse.Namespace, cfg: Config) -> int:
    from qa_bot.render import to_json, to_text

    if args.question is None and not args.json:
        raise InputError("no question given (use `qa-bot ask \"QUESTION\"`, or --json "
                         "to read one question per line from stdin)")
    engine = _engine(cfg)
    _ensure_index(engine)
    engine.preload()  # the model loads while the index does
    if args.question is None:
        _json_lines(lambda q: engine.ask(q, top_k=args.top_k).to_dict())
        return 0
    answer = engine.ask(_checked(args.question), top_k=args.top_k)
    print(to_json(answer) if args.json else to_text(answer, **_text_options(args)),
          end="\n" if args.json else "")
    return 0


CHAT_HELP = "Ask about the documents. /reset forgets the conversation, /quit (or Ctrl-D) leaves."


def _chat_command(line: str) -> str | None:
    """The chat command a line is ("reset", "quit", "help"), None for a question; an
    unknown "/word" is refused (a slash-command typed by mistake is not a question)."""
    if not line.startswith("/"):
        return None
    word = line.split()[0].lower()
    known = {"/reset": "reset", "/quit": "quit", "/exit": "quit", "/help": "help",
             "/start": "help"}
    if word not in known:
        raise InputError(f"unknown command {line.split()[0]!r}: ask a question, or use "
                         "/reset, /help or /quit")
    return known[word]


def cmd_chat(args: argparse.Namespace, cfg: Config) -> int:
    from qa_bot.answer.conversation import Conversation
    from qa_bot.render import to_text

    engine = _engine(cfg)
    _ensure_index(engine)
    engine.preload()  # the model loads while the index does
    conversation = Conversation(engine, cfg.retrieval.history_turns)
    if args.json:
        def turn(question: str) -> dict | None:
            command = _chat_command(question)
            if command == "quit":
                raise EOFError
            if command == "reset":
                conversation.reset()
                return {"reset": True}
            if command == "help":
                return {"help": CHAT_HELP}
            return conversation.ask(question, top_k=args.top_k).to_dict()

        with contextlib.suppress(EOFError):
            _json_lines(turn)
        return 0
    sys.stdin.reconfigure(errors="surrogateescape")  # a bad line is refused, not fatal
    options = _text_options(args)
    print(CHAT_HELP)
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            continue
        try:
            command = _chat_command(question)
            if command == "quit":
                return 0
            if command == "reset":
                conversation.reset()
                print("(conversation forgotten)")
            elif command == "help":
                print(CHAT_HELP)
            else:
                print(to_text(conversation.ask(_checked(question), top_k=args.top_k),
                              **options))
        except InputError as exc:
            print(f"qa-bot: {safe(exc)}")


def cmd_docs(args: argparse.Namespace, cfg: Config) -> int:
    docs = _engine(cfg).documents()
    if args.json:
        print(json.dumps(docs, ensure_ascii=False))
        return 0
    for d in docs:
        print(f"{safe(d['source'])}\t{safe(d['title'])}\t{d['chunks']} chunks\t"
              f"indexed {safe(d['indexed_at'])}")
    print(f"{len(docs)} documents")
    return 0


def cmd_telegram(args: argparse.Namespace, cfg: Config) -> int:
    from qa_bot.telegram.run import run

    return run(cfg, base_url=args.base_url)


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "docs": cmd_docs,
            "telegram": cmd_telegram}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = _config(args)
        return COMMANDS[args.command](args, cfg)
    except QaBotError as exc:
        print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
