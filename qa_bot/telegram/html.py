"""Answer -> Telegram HTML messages.

Telegram's HTML parse mode understands only <b> <i> <u> <s> <a> <code> <pre> <blockquote>
and the entities &lt; &gt; &amp; &quot;, and a message holds at most 4096 UTF-16 code units.
Every piece of corpus or user text goes through `esc`; markup is only ever added around
whole escaped pieces, so a split never falls inside a tag or an entity. The layout is the
terminal's (qa_bot.render): the answer once with its answer phrase bold, then only the
cited sources; the other passages on request."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Sequence

from qa_bot.answer import Answer, Citation
from qa_bot.render import answer_highlights, cited, highlight_in_quote, location, \
    more_passages, nearest_articles
from qa_bot.terminal import count


TELEGRAM_LIMIT = 4096
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


def _bold(text: str, ranges: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
    """`text` as spans, the (start, end) `ranges` of it in bold."""
    spans: list[Span] = []
    last = 0
    for a, b in ranges:
        if a >= last:  # an overlapping range is dropped
            spans += [("", text[last:a]), ("b", text[a:b])]
            last = b
    spans.append(("", text[last:]))
    return tuple(span for span in spans if span[1])


def running(text: str) -> str:
    """A sentence of a hard-wrapped file as running text: each line break that is no
    paragraph break ("three\nkilometres") shown as a space. Same length, so the answer
    phrase's offsets still hold; the JSON keeps the file's own text."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text)


def _quote_spans(c: Citation) -> tuple[Span, ...]:
    """A citation's quote, its answer phrase bold (the blockquote marks it as a quote, so
    no quotation marks are added)."""
    span = highlight_in_quote(c)
    return _bold(running(c.quote), [span] if span else [])


def _passage_blocks(citations: list[Citation], answer_text: str) -> list[Block]:
    """Each citation as '[n] title' (the title only when it differs from the one before),
    its section and paragraph in italics, then its quote unless the answer shows it."""
    blocks: list[Block] = []
    title = None
    for c in citations:
        if c.title != title:
            blocks.append(Block((("b", f"[{c.n}]"), ("", f" {c.title}")), keep_with_next=True))
            blocks.append(Block((("i", location(c)),)))
        else:
            blocks.append(Block((("b", f"[{c.n}]"), ("", " "), ("i", location(c)))))
        title = c.title
        if c.quote not in answer_text:
            blocks[-1] = replace(blocks[-1], keep_with_next=True)
            blocks.append(Block(_quote_spans(c), wrap="blockquote"))
    return blocks


def telegram_messages(answer: Answer, limit: int = TELEGRAM_LIMIT, preface: str = "") -> list[str]:
    """An Answer as Telegram HTML messages: the answer with its answer phrase in bold (and
    nothing else: the [n] markers stay plain), then only the sources it cites; a declined
    answer says so and names the nearest articles. The other passages are for
    `more_passages_messages` (a button). `preface`, if any, opens the first message in
    italics (e.g. that the answer is late)."""
    blocks = [Block((("i", preface),), keep_with_next=True)] if preface else []
    blocks.append(Block(_bold(running(answer.answer), answer_highlights(answer)),
                        gap="\n\n"))
    sources = cited(answer)
    if sources:
        blocks.append(Block((("b", "Sources"),), gap="\n\n", keep_with_next=True))
        blocks += _passage_blocks(sources, answer.answer)
    elif answer.citations:
        blocks.append(Block((("b", "Nearest articles"),), gap="\n\n", keep_with_next=True))
        blocks += [Block((("", f"• {c.title}"),)) for c in nearest_articles(answer)]
    return pack(blocks, limit)


def more_passages_messages(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The nearest passages the answer does not quote, each with where it is from and its
    quote (the "More passages" button)."""
    others = more_passages(answer)
    if not others:
        return pack([Block((("", "No other passages."),))], limit)
    heading = "More passages" if answer.answered else "Nearest passages"
    blocks = [Block((("b", heading),), keep_with_next=True)]
    blocks += _passage_blocks(others, "")
    return pack(blocks, limit)


def passage_messages(c: Citation, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The full passage of a citation with its provenance; the quoted sentence in bold."""
    at = c.passage.find(c.quote)
    body = _bold(c.passage, [(at, at + len(c.quote))] if at >= 0 else [])
    blocks = [
        Block((("b", f"[{c.n}] {c.title}"),)),
        Block((("i", location(c)),)),
        Block((("", f"{c.source}, characters {c.start}-{c.end}"),)),
        Block(body, wrap="blockquote"),
    ]
    return pack(blocks, limit)


def docs_messages(docs: list[dict], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """What is indexed: one line per document (title, topic, source, indexing date)."""
    if not docs:
        return pack([Block((("", "No documents are indexed yet."),))], limit)
    blocks = [Block((("b", count(len(docs), "document")),))]
    for d in docs:
        topic = f" [{d['topic']}]" if d.get("topic") else ""
        when = str(d.get("indexed_at", ""))[:10]
        blocks.append(Block((("", "• "), ("b", str(d.get("title", ""))),
                             ("", f"{topic} — {d.get('source', '')}, indexed {when}"))))
    return pack(blocks, limit)
