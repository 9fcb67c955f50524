"""Buttons under answers: their labels and their payloads.

A payload names a stored answer (`qa_bot.telegram.memory`), not the data itself:
'p:<key>:<n>' opens passage n of answer `key`, 'm:<key>' lists its other passages. Keys are
looked up in the chat the button was pressed in, and answers are kept for
`[telegram] keep_days`, so a button works after restarts and after any number of newer
answers. (PTB's arbitrary_callback_data keeps objects in one in-memory LRU of 1024 entries
for all chats and persists it only as a whole snapshot: bounded by count, not by age.)"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from qa_bot.answer import Answer, Citation
from qa_bot.render import QUOTE_CHARS, cited, more_passages

PASSAGE_PATTERN = r"^p:"
MORE_PATTERN = r"^m:"
_PAYLOAD = re.compile(r"^(p|m):([0-9a-f]{12})(?::(\d{1,3}))?$")


@dataclass(frozen=True)
class Payload:
    kind: str          # "p" (a passage) or "m" (more passages)
    key: str           # the stored answer
    n: int | None = None  # the citation, for "p"

    def encode(self) -> str:
        """At most 19 bytes, well under Telegram's 64."""
        return f"{self.kind}:{self.key}" + (f":{self.n}" if self.n is not None else "")

    @classmethod
    def decode(cls, data: object) -> Payload | None:
        m = _PAYLOAD.match(data) if isinstance(data, str) else None
        if not m or (m.group(1) == "p") != (m.group(3) is not None):
            return None
        return cls(m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None)


def _label_words(c: Citation) -> list[str]:
    return c.quote.strip().strip(QUOTE_CHARS).split()


def button_label(c: Citation, width: int = 40, skip: int = 0) -> str:
    """Plain text for a citation's button: '[n] ¶3 · first words of the quote…' (from word
    `skip` on, after '…', when given), cut to `width` characters at a word."""
    words = _label_words(c)
    head = f"[{c.n}] ¶{c.paragraph} · "
    label = head + ("…" if skip else "") + " ".join(words[skip:])
    if len(label) <= width:
        return label
    cut = label[:width - 1]
    if " " in cut[len(head) + 1:]:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,;:·") + "…"


def button_labels(citations: list[Citation], width: int = 40) -> list[str]:
    """`button_label` of each citation; citations whose labels would read the same after
    [n] (same paragraph, quotes that open alike) start from where their quotes differ."""
    labels = [button_label(c, width) for c in citations]
    tails = [label.split(" ", 1)[1] for label in labels]
    for i, c in enumerate(citations):
        alike = [_label_words(o) for j, o in enumerate(citations) if j != i
                 and tails[j] == tails[i]]
        if alike:
            words = _label_words(c)
            common = max(next((k for k, (a, b) in enumerate(zip(words, other)) if a != b),
                              min(len(words), len(other))) for other in alike)
            labels[i] = button_label(c, width, skip=max(common - 1, 0))
    return labels


def _passage_buttons(citations: list[Citation], key: str) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(label, callback_data=Payload("p", key, c.n).encode())]
            for c, label in zip(citations, button_labels(citations))]


def keyboard(answer: Answer, key: str) -> InlineKeyboardMarkup | None:
    """One button per cited source, opening its full passage, then one "More passages"
    (or, for a declined answer, "Nearest passages") button when there are others."""
    rows = _passage_buttons(cited(answer), key)
    others = more_passages(answer)
    if others:
        label = "More passages" if answer.answered else "Nearest passages"
        rows.append([InlineKeyboardButton(f"{label} ({len(others)})",
                                          callback_data=Payload("m", key).encode())])
    return InlineKeyboardMarkup(rows) if rows else None


def more_keyboard(answer: Answer, key: str) -> InlineKeyboardMarkup | None:
    """One button per passage of the "More passages" message."""
    rows = _passage_buttons(more_passages(answer), key)
    return InlineKeyboardMarkup(rows) if rows else None
