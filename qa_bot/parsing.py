"""Text -> paragraphs: the parsing shared by every loader (plain text, Markdown, and the
extracted text of HTML and PDF). Every span is a character range of the text it was
parsed from: `text[p.start:p.end]` is the paragraph, verbatim."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import DocumentError

MAX_HEADING_WORDS = 10
MAX_HEADING_CHARS = 80
MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based among the document's body paragraphs
    start: int
    end: int
    section: str = ""
    page: int | None = None


def display_path(path: Path | str) -> str:
    """The path relative to the cwd when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.path.join(os.getcwd(), "")
    return absolute[len(cwd):] if absolute.startswith(cwd) else absolute


def _blocks(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the runs of non-blank lines in text[start:end], trimmed of white space."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    block_start: int | None = None
    block_end = start
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        line = text[pos:line_end]
        if line.strip():
            if block_start is None:
                block_start = pos + (len(line) - len(line.lstrip()))
            block_end = pos + len(line.rstrip())
        elif block_start is not None:
            spans.append((block_start, block_end))
            block_start = None
        pos = line_end + 1
    if block_start is not None:
        spans.append((block_start, block_end))
    return spans


def is_heading(line: str) -> bool:
    """A short ALL-CAPS line; a long upper-case line is wire copy, i.e. a paragraph."""
    s = line.strip()
    return (
        "\n" not in s
        and any(c.isalpha() for c in s)
        and s == s.upper()
        and len(s) <= MAX_HEADING_CHARS
        and len(s.split()) <= MAX_HEADING_WORDS
        and not s.endswith((".", ",", ";"))
    )


def _is_topic_label(block: str) -> bool:
    s = block.strip()
    return "\n" not in s and 0 < len(s) <= 30 and len(s.split()) <= 3 and s == s.lower() \
        and not s.endswith((".", "?", "!"))


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip() or path.name


def parse_text(text: str, path: Path) -> tuple[str, str, list[Paragraph]]:
    """(topic, title, paragraphs) of a plain-text article (see README: document shape)."""
    blocks = _blocks(text)
    topic = ""
    title = ""
    if len(blocks) >= 3 and _is_topic_label(text[slice(*blocks[0])]) \
            and "\n" not in text[slice(*blocks[1])]:
        topic = text[slice(*blocks[0])]
        title = text[slice(*blocks[1])]
        blocks = blocks[2:]
    elif len(blocks) >= 2 and "\n" not in text[slice(*blocks[0])] \
            and len(text[slice(*blocks[0])]) <= MAX_TITLE_CHARS:
        title = text[slice(*blocks[0])]
        blocks = blocks[1:]
    else:
        title = _title_from_name(path)
    paragraphs: list[Paragraph] = []
    section = ""
    for start, end in blocks:
        if is_heading(text[start:end]):
            section = text[start:end]
            continue
        paragraphs.append(Paragraph(len(paragraphs) + 1, start, end, section))
    return topic, title, paragraphs


_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)


def parse_markdown(text: str, path: Path) -> tuple[str, str, list[Paragraph]]:
    """`#` headings are sections; a first-level heading before any paragraph is the title."""
    title = ""
    section = ""
    paragraphs: list[Paragraph] = []
    pos = 0
    headings = list(_MD_HEADING.finditer(text))
    spans = [(m.start(), m.end(), m) for m in headings] + [(len(text), len(text), None)]
    for h_start, h_end, match in spans:
        for start, end in _blocks(text, pos, h_start):
            paragraphs.append(Paragraph(len(paragraphs) + 1, start, end, section))
        if match is not None:
            heading = match.group(2).strip()
            if not title and not paragraphs and len(match.group(1)) == 1:
                title = heading
            else:
                section = heading
        pos = h_end
    return "", title or _title_from_name(path), paragraphs


@dataclass(frozen=True)
class Parsed:
    """What a loader extracts from a file; paragraph offsets refer to `text`."""

    text: str
    topic: str
    title: str
    paragraphs: list[Paragraph]


def decode(raw: bytes, source: str) -> str:
    if not raw.strip():
        raise DocumentError(f"{source}: empty file, skipped")
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{source}: binary file, skipped")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{source}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}), skipped"
        ) from None
