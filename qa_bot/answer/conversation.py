"""One conversation: the earlier turns (each question with the Answer it got) that a
follow-up leans on. Both front ends keep one per chat and ask through it, so "he", "the
company" and "why?" are resolved the same way in the terminal and in Telegram.

Invariant: `history` holds at most `turns` Answers, oldest first, none of them small talk
(`kept`); `reset()` empties it."""

from __future__ import annotations

import collections
from typing import Protocol

from qa_bot.answer import Answer
from qa_bot.answer.typed import small_talk


class Asks(Protocol):
    def ask(self, question: str, history: list[Answer] | None = None,
            top_k: int | None = None) -> Answer: ...


def kept(answer: Answer) -> bool:
    """Whether a turn joins the conversation's history: every question, answered or
    declined, but not small talk ("Thanks!"), so a follow-up after it leans on the
    question before it."""
    return small_talk(answer.question) is None


class Conversation:
    def __init__(self, engine: Asks, turns: int = 3):
        self.engine = engine
        self.history: collections.deque[Answer] = collections.deque(maxlen=max(turns, 1))

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer `question` in the light of the earlier turns, and remember it."""
        answer = self.engine.ask(question, history=list(self.history), top_k=top_k)
        if kept(answer):
            self.history.append(answer)
        return answer

    def reset(self) -> None:
        self.history.clear()
