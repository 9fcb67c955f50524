"""Answer -> what a front end shows. Front ends render; they never retrieve.

One layout in both front ends: the answer once, its answer phrase (Citation.highlight) in
bold; under it only the sources the answer cites (Citation.cited), without repeating a quote
the answer already shows; the other nearest passages only on request (`-v` in the CLI, the
"More passages" button in Telegram), never under "Sources". A declined answer says so and
names the nearest articles, never as sources."""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass, replace
from typing import Sequence

from qa_bot.answering import Answer, Citation

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
    lines, pos = [], 0
    for line in textwrap.wrap(flat, width, initial_indent=indent, subsequent_indent=indent):
        body = line[len(indent):]
        at = flat.find(body, pos)
        pos = at + len(body)
        if not (on and bold and at >= 0):
            lines.append(line)
            continue
        out, inside = [indent], False
        for i, ch in enumerate(body):
            flag = any(a <= at + i < b for a, b in bold)
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
            lines += [f"[{c.n}] {c.title}", f"    {location(c)}"]
        else:
            lines.append(f"[{c.n}] {location(c)}")
        title = c.title
        if c.quote not in answer_text:
            text, span = quoted(c.quote), highlight_in_quote(c)
            shift = 1 if text != c.quote else 0  # the opening “
            bold = [(span[0] + shift, span[1] + shift)] if span else []
            lines.append(_fill(text, width, bold, "    ", on, off))
        lines.append(f"    {c.source}, characters {c.start}-{c.end}")
    return lines


def to_text(answer: Answer, width: int = 100, bold: bool = False,
            verbose: bool = False) -> str:
    """An Answer for the terminal. `bold`: the answer phrase in ANSI bold (only for a
    terminal); `verbose`: also the nearest passages the answer does not cite."""
    on, off = (ANSI_BOLD, ANSI_NORMAL) if bold else ("", "")
    lines = [_fill(answer.answer, width, answer_highlights(answer), "", on, off)]
    sources = cited(answer)
    if sources:
        lines += ["", "Sources:", *_passage_lines(sources, width, answer.answer, on, off)]
    if not answer.answered and answer.citations:
        lines += ["", "Nearest articles:"]
        lines += [f"- {c.title} ({c.source})" for c in nearest_articles(answer)]
    others = more_passages(answer)
    if verbose and others:
        lines += ["", "More passages:", *_passage_lines(others, width, answer.answer, on, off)]
    return "\n".join(lines).rstrip() + "\n"


def to_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False)


# ---- Telegram HTML -------------------------------------------------------------------
# Telegram's HTML parse mode: only <b> <i> <u> <s> <a> <code> <pre> <blockquote> and the
# entities &lt; &gt; &amp; &quot; are understood, and a message holds at most 4096 UTF-16
# code units. Every piece of corpus or user text goes through `esc`; markup is only ever
# added around whole escaped pieces, so a split never falls inside a tag or an entity.

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


def _quote_spans(c: Citation) -> tuple[Span, ...]:
    """A citation's quote, its answer phrase bold (the blockquote marks it as a quote, so
    no quotation marks are added)."""
    span = highlight_in_quote(c)
    return _bold(c.quote, [span] if span else [])


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


def telegram_messages(answer: Answer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """An Answer as Telegram HTML messages: the answer with its answer phrase in bold (and
    nothing else: the [n] markers stay plain), then only the sources it cites; a declined
    answer says so and names the nearest articles. The other passages are for
    `more_passages_messages` (a button)."""
    blocks = [Block(_bold(answer.answer, answer_highlights(answer)))]
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
    blocks = [Block((("b", f"{len(docs)} documents"),))]
    for d in docs:
        topic = f" [{d['topic']}]" if d.get("topic") else ""
        when = str(d.get("indexed_at", ""))[:10]
        blocks.append(Block((("", "• "), ("b", str(d.get("title", ""))),
                             ("", f"{topic} — {d.get('source', '')}, indexed {when}"))))
    return pack(blocks, limit)


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
