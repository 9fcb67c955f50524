"""Answer -> what a front end shows. Front ends render; they never retrieve."""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass

from qa_bot.answering import Answer, Citation


def where(c: Citation) -> str:
    """'Title — Section, paragraph N' (and the page for PDFs)."""
    parts = [c.title]
    if c.section:
        parts.append(f" — {c.section}")
    parts.append(f", page {c.page}" if c.page is not None else "")
    parts.append(f", paragraph {c.paragraph}")
    return "".join(parts)


def to_text(answer: Answer, width: int = 100) -> str:
    lines = [textwrap.fill(answer.answer, width) if answer.answered else answer.answer, ""]
    if answer.citations:
        lines.append("Sources:" if answer.answered else "Nearest passages:")
    for c in answer.citations:
        lines.append(f"[{c.n}] {where(c)}")
        lines.append(textwrap.fill(f"“{c.quote}”", width, initial_indent="    ",
                                   subsequent_indent="    "))
        lines.append(f"    {c.source}, characters {c.start}-{c.end}")
    return "\n".join(lines).rstrip() + "\n"


def to_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False)


# ---- Telegram HTML -------------------------------------------------------------------
# Telegram's HTML parse mode: only <b> <i> <u> <s> <a> <code> <pre> <blockquote> and the
# entities &lt; &gt; &amp; &quot; are understood, and a message holds at most 4096 UTF-16
# code units. Every piece of corpus or user text goes through `esc`; markup is only ever
# added around whole escaped pieces, so a split never falls inside a tag or an entity.

TELEGRAM_LIMIT = 4096
_MARKER = re.compile(r"(\[\d+\])")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD_END = re.compile(r"(?<=\s)(?=\S)")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(s.encode("utf-16-le")) // 2


def esc(s: str) -> str:
    """Corpus or user text -> text safe inside Telegram HTML."""
    return html.escape(s, quote=False)


Span = tuple[str, str]  # (inline tag or "", plain text)


@dataclass(frozen=True)
class Block:
    """A paragraph of a message: plain-text spans, each optionally in one inline tag, the
    whole optionally in a block tag (`wrap`), preceded by `gap` unless it opens a message."""

    spans: tuple[Span, ...]
    wrap: str = ""
    gap: str = "\n"
    keep_with_next: bool = False  # start a new message rather than part from the next block


def _render(spans: tuple[Span, ...] | list[Span], wrap: str) -> str:
    body = "".join(f"<{t}>{esc(x)}</{t}>" if t else esc(x) for t, x in spans if x)
    return f"<{wrap}>{body}</{wrap}>" if wrap and body else body


def _cut(text: str, pattern: re.Pattern) -> list[str]:
    """text split after each match of pattern; the pieces concatenate back to text."""
    pieces, last = [], 0
    for m in pattern.finditer(text):
        if m.end() > last:
            pieces.append(text[last:m.end()])
            last = m.end()
    pieces.append(text[last:])
    return [p for p in pieces if p]


def _atoms(tag: str, text: str, budget: int) -> list[Span]:
    """`text` in pieces that each render within `budget`: sentences, else words, else
    characters (Python indexes code points, so a surrogate pair is never cut)."""
    out: list[Span] = []
    for sentence in _cut(text, _SENTENCE_END):
        if utf16_len(_render([(tag, sentence)], "")) <= budget:
            out.append((tag, sentence))
            continue
        for word in _cut(sentence, _WORD_END):
            if utf16_len(_render([(tag, word)], "")) <= budget:
                out.append((tag, word))
                continue
            piece = ""
            for ch in word:
                if piece and utf16_len(_render([(tag, piece + ch)], "")) > budget:
                    out.append((tag, piece))
                    piece = ""
                piece += ch
            if piece:
                out.append((tag, piece))
    return out


def _split_block(block: Block, limit: int) -> list[str]:
    """One block rendered as one or more HTML strings, each within `limit` units."""
    whole = _render(block.spans, block.wrap)
    if utf16_len(whole) <= limit:
        return [whole] if whole else []
    budget = limit - utf16_len(f"<{block.wrap}></{block.wrap}>" if block.wrap else "")
    parts: list[str] = []
    current: list[Span] = []
    size = 0
    for tag, text in block.spans:
        for atom in _atoms(tag, text, budget):
            cost = utf16_len(_render([atom], ""))
            if current and size + cost > budget:
                parts.append(_render(current, block.wrap))
                current, size = [], 0
            current.append(atom)
            size += cost
    if current:
        parts.append(_render(current, block.wrap))
    return parts


def _groups(blocks: list[Block]) -> list[list[Block]]:
    """Blocks chained by keep_with_next, each chain one group."""
    groups: list[list[Block]] = []
    for block in blocks:
        if groups and groups[-1][-1].keep_with_next:
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def pack(blocks: list[Block], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Blocks -> messages of at most `limit` UTF-16 units (markup included, so the parsed
    text is shorter still). Breaks fall between groups of blocks (see keep_with_next), else
    between blocks, else sentences, else words; each message is balanced, valid HTML with
    some visible text."""
    messages: list[str] = []
    current = ""

    def flush() -> None:
        nonlocal current
        if current.strip():
            messages.append(current.strip())
        current = ""

    for group in _groups(blocks):
        whole = "".join((b.gap if i else "") + _render(b.spans, b.wrap)
                        for i, b in enumerate(group))
        gap = group[0].gap
        if current and utf16_len(current + gap + whole) > limit \
                and utf16_len(whole) <= limit:
            flush()  # the group moves to a new message whole
        for block in group:
            for i, part in enumerate(_split_block(block, limit)):
                gap = block.gap if i == 0 else "\n"
                if current and utf16_len(current + gap + part) <= limit:
                    current += gap + part
                    continue
                flush()
                current = part
    flush()
    return messages


def _marked(text: str) -> tuple[Span, ...]:
    """Answer text with its [n] markers in bold."""
    return tuple(("b" if _MARKER.fullmatch(p) else "", p) for p in _MARKER.split(text) if p)


def telegram_messages(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """An Answer as Telegram HTML messages: the answer with bold [n] markers (or a plain
    'not answered'), then each source: [n] title — section, paragraph, and its quote."""
    blocks = [Block(_marked(answer.answer))]
    if answer.citations:
        heading = "Sources" if answer.answered else "Nearest passages"
        blocks.append(Block((("b", heading),), gap="\n\n"))
    for c in answer.citations:
        blocks.append(Block((("b", f"[{c.n}]"), ("", " " + where(c))), keep_with_next=True))
        blocks.append(Block((("i", f"“{c.quote}”"),), wrap="blockquote"))
    return pack(blocks, limit)


def passage_messages(c: Citation, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The full passage of a citation with its provenance; the quoted sentence in bold."""
    at = c.passage.find(c.quote)
    if at >= 0:
        body: tuple[Span, ...] = (("", c.passage[:at]), ("b", c.quote),
                                  ("", c.passage[at + len(c.quote):]))
    else:
        body = (("", c.passage),)
    blocks = [
        Block((("b", f"[{c.n}] {c.title}"),)),
        Block((("i", where(c).removeprefix(c.title).lstrip(" —,")),)),
        Block((("", f"{c.source}, characters {c.start}-{c.end}"),)),
        Block(body, wrap="blockquote"),
    ]
    return pack(blocks, limit)


def docs_messages(docs: list[dict], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """What is indexed: one line per document (title, topic, source, indexing date)."""
    if not docs:
        return pack([Block((("", "No documents are indexed yet."),))], limit)
    blocks = [Block((("b", f"{len(docs)} documents"),))]
    for d in docs:
        topic = f" [{d['topic']}]" if d.get("topic") else ""
        when = str(d.get("indexed_at", ""))[:10]
        blocks.append(Block((("", "• "), ("b", str(d.get("title", ""))),
                             ("", f"{topic} — {d.get('source', '')}, indexed {when}"))))
    return pack(blocks, limit)


def button_label(c: Citation, width: int = 40) -> str:
    """Plain text for a citation's button: '[n] title', cut to `width` characters."""
    label = f"[{c.n}] {c.title}"
    return label if len(label) <= width else label[:width - 1].rstrip() + "…"
