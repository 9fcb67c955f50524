"""Which line breaks of a paragraph only wrap it (hard-wrapped .txt / .md, nearly every
PDF): there a sentence runs on. A break that ends a line shorter than the paragraph's width,
or stands by a list item, a heading or a table row, is a real one. Pure functions of the
text; offsets never move."""

from __future__ import annotations

import re
from collections import Counter

from qa_bot.documents import is_heading

WRAP_MAX = 160  # a longer line is a paragraph written on one line, not wrapped text
FILL = 0.9  # a wrapped line fills the paragraph's width but for the next word (some slack:
# PDF text is wrapped by glyph width, not by characters)
_ITEM = re.compile(r"[ \t]*([-*+•‣◦▪]|\d{1,3}[.)]|\(?[a-z]\)|\(\d{1,3}\))[ \t]")


def _item_kind(line: str) -> str | None:
    """'-', '0.', '(0)'...: the kind of list marker the line opens with, if any."""
    m = _ITEM.match(line)
    return re.sub(r"\w+", "0", m.group(1)) if m else None


def _is_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") or "\t" in s


def _heading_between(a: str, b: str) -> bool:
    """One of two lines is a heading and the other is not upper case (wire copy is upper
    case throughout: there a short upper-case line is wrapped text)."""
    return (is_heading(a) and b != b.upper()) or (is_heading(b) and a != a.upper())


def soft_breaks(text: str) -> list[int]:
    """Offsets of the line breaks in a paragraph that only wrap it: the line before fills
    the paragraph's width (the next word would not have fitted). A break stays hard, and
    ends a sentence as before, after a short line, beside a heading or a table row, and
    before a list item (a marker at least two lines open with, or after a line ending in
    ':'); every break of a paragraph with a line over WRAP_MAX characters is hard."""
    lines = text.split("\n")
    widths = [len(line.rstrip()) for line in lines]
    width = max(widths)
    if len(lines) < 2 or width > WRAP_MAX:
        return []
    kinds = [_item_kind(line) for line in lines]
    listed = {k for k, n in Counter(kinds).items() if k and n >= 2}
    soft: list[int] = []
    pos = 0
    for i, (a, b) in enumerate(zip(lines, lines[1:])):
        pos += len(a)
        words = b.split()
        hard = (not words or widths[i] + 1 + len(words[0]) <= FILL * width
                or (kinds[i + 1] is not None
                    and (kinds[i + 1] in listed or a.rstrip().endswith(":")))
                or _heading_between(a, b) or _is_row(a) or _is_row(b))
        if not hard:
            soft.append(pos)
        pos += 1
    return soft


def unwrapped(text: str) -> str:
    """`text` with each soft break (soft_breaks, and a "\r" before it) read as a space: the
    same length, so every offset into it is an offset into `text`. Text without soft
    breaks comes back as it is."""
    soft = soft_breaks(text)
    if not soft:
        return text
    chars = list(text)
    for i in soft:
        chars[i] = " "
        if chars[i - 1] == "\r":
            chars[i - 1] = " "
    return "".join(chars)
