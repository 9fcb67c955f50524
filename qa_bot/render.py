"""Answer -> what a front end shows. Front ends render; they never retrieve.

One layout in both front ends: the answer once, its answer phrase (Citation.highlight) in
bold; under it only the sources the answer cites (Citation.cited), without repeating a quote
the answer already shows; the other nearest passages only on request (`-v` in the CLI, the
"More passages" button in Telegram), never under "Sources". A declined answer says so and
names the nearest articles, never as sources. The terminal layout is here; Telegram's HTML
is built from the same helpers in `qa_bot.telegram.html`."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Sequence

from qa_bot.answer import Answer, Citation
from qa_bot.terminal import CONTROL, is_control, safe

ANSI_BOLD, ANSI_NORMAL = "\x1b[1m", "\x1b[22m"
QUOTE_CHARS = "\"'“”‘’„‟«»‹›「」『』"


def location(c: Citation) -> str:
    """'Section, paragraph N' inside the article (with the date and page when known)."""
    date = getattr(c, "date", None)  # not a Citation field yet; shown once it is
    parts = [c.section, str(date or ""), f"page {c.page}" if c.page is not None else "",
             f"paragraph {c.paragraph}"]
    return ", ".join(p for p in parts if p)


def where(c: Citation) -> str:
    """'Title — Section, paragraph N' (and the date or page when known)."""
    return f"{c.title} — {location(c)}"


def quoted(text: str) -> str:
    """`text` between “ ” unless it already opens or closes with a quote mark (a quote that
    starts with a speaker's words would otherwise show doubled marks)."""
    if text[:1] in QUOTE_CHARS or text[-1:] in QUOTE_CHARS:
        return text
    return f"“{text}”"


def cited(answer: Answer) -> list[Citation]:
    """The citations the answer quotes (for an Answer without `cited` flags: the ones whose
    [n] marker the answer text holds). Empty when the answer is declined."""
    if not answer.answered:
        return []
    flagged = [c for c in answer.citations if c.cited]
    return flagged or [c for c in answer.citations if f"[{c.n}]" in answer.answer]


def more_passages(answer: Answer) -> list[Citation]:
    """The nearest passages the answer does not quote, in rank order."""
    shown = {c.n for c in cited(answer)}
    return [c for c in answer.citations if c.n not in shown]


def nearest_articles(answer: Answer) -> list[Citation]:
    """The first citation of each distinct article, in rank order."""
    seen: dict[str, Citation] = {}
    for c in answer.citations:
        seen.setdefault(c.doc_id or c.source or c.title, c)
    return list(seen.values())


def highlight_in_quote(c: Citation) -> tuple[int, int] | None:
    """The answer phrase as offsets into `c.quote`, or None (no highlight, or one that does
    not lie inside the quote)."""
    if not c.highlight:
        return None
    a, b = c.highlight[0] - c.start, c.highlight[1] - c.start
    return (a, b) if 0 <= a < b <= len(c.quote) else None


def answer_highlights(answer: Answer) -> list[tuple[int, int]]:
    """The answer phrases as (start, end) ranges of `answer.answer`, in order: one per cited
    quote that has a highlight and that the answer shows."""
    ranges = []
    for c in cited(answer):
        span, at = highlight_in_quote(c), answer.answer.find(c.quote)
        if span and at >= 0:
            ranges.append((at + span[0], at + span[1]))
    return sorted(ranges)


# ---- terminal ------------------------------------------------------------------------

def _fill(text: str, width: int, bold: Sequence[tuple[int, int]] = (), indent: str = "",
          on: str = "", off: str = "") -> str:
    """`text` wrapped to `width` (as textwrap.fill), the character ranges `bold` between
    `on` and `off`, closed at each line end so no escape leaks into the indentation."""
    flat = re.sub(r"\s", " ", text)  # what textwrap prints, character for character
    flags = [any(a <= i < b for a, b in bold) for i in range(len(flat))] if on and bold else []
    if CONTROL.search(flat):  # corpus text: no escape sequence reaches the terminal
        keep = [i for i, ch in enumerate(flat) if not is_control(ch)]
        flat, flags = "".join(flat[i] for i in keep), [flags[i] for i in keep] if flags else []
    lines, pos = [], 0
    for line in textwrap.wrap(flat, width, initial_indent=indent, subsequent_indent=indent):
        body = line[len(indent):]
        at = flat.find(body, pos)
        pos = at + len(body)
        if not (flags and at >= 0):
            lines.append(line)
            continue
        out, inside = [indent], False
        for i, ch in enumerate(body):
            flag = flags[at + i]
            if flag != inside:
                out.append(on if flag else off)
                inside = flag
            out.append(ch)
        lines.append("".join(out) + (off if inside else ""))
    return "\n".join(lines)


def _passage_lines(citations: list[Citation], width: int, answer_text: str, on: str,
                   off: str) -> list[str]:
    """Each citation: '[n] title' and its section and paragraph below (or '[n] section,
    paragraph' when the title is the one before), its quote unless the answer shows it, the
    file and character offsets."""
    lines: list[str] = []
    title = None
    for c in citations:
        if c.title != title:
            lines += [f"[{c.n}] {safe(c.title)}", f"    {safe(location(c))}"]
        else:
            lines.append(f"[{c.n}] {safe(location(c))}")
        title = c.title
        if c.quote not in answer_text:
            text, span = quoted(c.quote), highlight_in_quote(c)
            shift = 1 if text != c.quote else 0  # the opening “
            bold = [(span[0] + shift, span[1] + shift)] if span else []
            lines.append(_fill(text, width, bold, "    ", on, off))
        lines.append(f"    {safe(c.source)}, characters {c.start}-{c.end}")
    return lines


def read_as(typed: str, answer: Answer) -> str:
    """'Read as “...”' when the question was read with a word the typed one lacks (a typing
    slip mended: "boguht" -> "bought"), so that a reader sees what was answered; "" when it
    was only tidied (greeting, question mark, capitals, word order)."""
    words = set(re.findall(r"\w+", typed.lower()))
    if all(w in words for w in re.findall(r"\w+", answer.question.lower())):
        return ""
    return f"Read as {quoted(safe(answer.question))}"


def to_text(answer: Answer, width: int = 100, bold: bool = False,
            verbose: bool = False, typed: str = "") -> str:
    """An Answer for the terminal. `bold`: the answer phrase in ANSI bold (only for a
    terminal); `verbose`: also the nearest passages the answer does not cite; `typed`: the
    question as typed, to say how it was read when a word differs (read_as). Control
    characters of the corpus text and file names are dropped (qa_bot/terminal.py)."""
    on, off = (ANSI_BOLD, ANSI_NORMAL) if bold else ("", "")
    note = read_as(typed, answer) if typed else ""
    lines = [f"({note})", ""] if note else []
    lines.append(_fill(answer.answer, width, answer_highlights(answer), "", on, off))
    sources = cited(answer)
    if sources:
        lines += ["", "Sources:", *_passage_lines(sources, width, answer.answer, on, off)]
    if not answer.answered and answer.citations:
        lines += ["", "Nearest articles:"]
        lines += [f"- {safe(c.title)} ({safe(c.source)})" for c in nearest_articles(answer)]
    others = more_passages(answer)
    if verbose and others:
        lines += ["", "More passages:", *_passage_lines(others, width, answer.answer, on, off)]
    return "\n".join(lines).rstrip() + "\n"


def to_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False)
