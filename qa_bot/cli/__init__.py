"""`qa-bot` command line. Global options (--config, --index-dir) come before the
subcommand. User errors print one line on stderr and exit non-zero; never a traceback."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from qa_bot.cli.index_commands import cmd_docs, cmd_index
from qa_bot.cli.questions import cmd_ask, cmd_chat
from qa_bot.config import Config, load_config, with_index_dir
from qa_bot.errors import QaBotError
from qa_bot.terminal import print_error

os.environ.setdefault("HF_HUB_OFFLINE", "1")


_GLOBAL_OPTIONS = ("--config", "--index-dir")


class _Parser(argparse.ArgumentParser):
    """argparse, with a hint for an option it does not know: the one meant ("--topk" ->
    "--top-k"), or that a global option goes before the command."""

    def error(self, message: str):
        bad = message.partition("unrecognized arguments: ")[2].split()
        hint = ""
        for word in (w for w in bad if w.startswith("-")):
            name = word.split("=")[0]
            if name in _GLOBAL_OPTIONS:
                hint = f" ({name} goes before the command: qa-bot {name} ... COMMAND ...)"
                break
            known = _option_strings(self)
            close = difflib.get_close_matches(name, known, n=1)
            if close:
                hint = f" (did you mean {close[0]}?)"
                break
        super().error(message + hint)


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option of the parser and of its commands ("--top-k", "--json", ...)."""
    out = []
    for action in parser._actions:
        out += action.option_strings
        if isinstance(action, argparse._SubParsersAction):  # the commands' own options
            for command in action.choices.values():
                out += _option_strings(command)
    return list(dict.fromkeys(out))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qa-bot", description="Cited answers from your articles.")
    p.add_argument("--config", metavar="PATH",
                   help="config file (default: $QA_BOT_CONFIG, else ./config.toml)")
    p.add_argument("--index-dir", metavar="DIR", help="index directory (overrides the config)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           parser_class=_Parser)

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
    ask.add_argument("question", nargs="*",
                     help="the question (quoting it is safest: the shell reads ? and ')")
    ask.add_argument("--top-k", type=int, metavar="N",
                     help="how many passages to show: the answer's and the nearest others")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("-v", "--verbose", action="store_true",
                     help="also show the nearest passages the answer does not cite")

    chat = sub.add_parser("chat", help="questions with follow-up context (/reset starts over)")
    chat.add_argument("--top-k", type=int, metavar="N",
                      help="how many passages to show: the answer's and the nearest others")
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
