"""`qa-bot ask` and `qa-bot chat`: one question, or a conversation (follow-ups, /reset)."""

from __future__ import annotations

import argparse
import contextlib
import sys

from qa_bot.cli.common import checked, engine_for, ensure_index, json_lines, text_options
from qa_bot.config import Config
from qa_bot.errors import InputError
from qa_bot.terminal import safe


def cmd_ask(args: argparse.Namespace, cfg: Config) -> int:
    from qa_bot.render import to_json, to_text

    question = " ".join(args.question) if args.question else None  # unquoted: its words
    if question is None and not args.json:
        raise InputError("no question given (use `qa-bot ask \"QUESTION\"`, or --json "
                         "to read one question per line from stdin)")
    engine = engine_for(cfg)
    ensure_index(engine)
    engine.preload()  # the model loads while the index does
    if question is None:
        json_lines(lambda q: engine.ask(q, top_k=args.top_k).to_dict())
        return 0
    answer = engine.ask(checked(question), top_k=args.top_k)
    print(to_json(answer) if args.json else to_text(answer, typed=question,
                                                     **text_options(args)),
          end="\n" if args.json else "")
    return 0


CHAT_HELP = ("Ask about the documents; follow-ups may lean on the answer before (\"What did "
             "he say?\", \"Why?\"). /reset forgets the conversation, /help "
             "shows this, /quit (or Ctrl-D) leaves.")


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

    engine = engine_for(cfg)
    ensure_index(engine)
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
            json_lines(turn)
        return 0
    sys.stdin.reconfigure(errors="surrogateescape")  # a bad line is refused, not fatal
    options = text_options(args)
    print(CHAT_HELP)
    prompt = "? " if sys.stdin.isatty() else ""  # piped questions get answers, no prompts
    while True:
        try:
            question = input(prompt).strip()
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
                print(to_text(conversation.ask(checked(question), top_k=args.top_k),
                              typed=question, **options))
        except InputError as exc:
            print(f"qa-bot: {safe(exc)}")
