"""Loaders for formats whose citable text must be extracted: HTML (main text only, via
trafilatura, as Markdown so headings become sections) and PDF (pypdf, one page after
another; every paragraph knows its page). Offsets refer to the extracted text, which the
index keeps beside the citations."""

from __future__ import annotations

import logging
from pathlib import Path

from qa_bot.parsing import Paragraph, Parsed, _blocks, _title_from_name, decode, \
    display_path, is_heading, parse_markdown
from qa_bot.errors import DocumentError

PAGE_BREAK = "\n\n\f\n\n"  # between PDF pages in the extracted text


def load_html(raw: bytes, path: Path) -> Parsed:
    import trafilatura

    source = display_path(path)
    html = decode(raw, source)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    markdown = trafilatura.extract(html, output_format="markdown", include_comments=False,
                                   include_tables=True, with_metadata=False)
    if not markdown or not markdown.strip():
        raise DocumentError(f"{source}: no main text found in the HTML, skipped")
    meta = trafilatura.extract_metadata(html)
    _, title, paragraphs = parse_markdown(markdown, path)
    if meta is not None and meta.title and title == _title_from_name(path):
        title = meta.title
    return Parsed(markdown, "", title, paragraphs)


def _pdf_paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """PDF text rarely keeps blank lines: a paragraph also ends at a heading line, and
    after a line that ends a sentence well short of the page's full line width."""
    spans: list[tuple[int, int]] = []
    for b_start, b_end in _blocks(text, start, end):
        lines: list[tuple[int, int]] = []
        pos = b_start
        for line in text[b_start:b_end].split("\n"):
            lines.append((pos, pos + len(line)))
            pos += len(line) + 1
        width = max(e - s for s, e in lines)
        para_start = lines[0][0]
        for i, (s, e) in enumerate(lines):
            line = text[s:e].strip()
            last = i == len(lines) - 1
            next_heading = not last and is_heading(text[slice(*lines[i + 1])])
            short_end = line.endswith((".", "!", "?", "\"", "”")) and e - s < 0.8 * width
            if last or next_heading or is_heading(line) or short_end:
                seg = text[para_start:e]
                lead = len(seg) - len(seg.lstrip())
                if seg.strip():
                    spans.append((para_start + lead, para_start + len(seg.rstrip())))
                if not last:
                    para_start = lines[i + 1][0]
    return spans


def load_pdf(raw: bytes, path: Path) -> Parsed:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    source = display_path(path)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise DocumentError(f"{source}: encrypted PDF, skipped")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{source}: unreadable PDF ({exc}), skipped") from None
    text = ""
    paragraphs: list[Paragraph] = []
    section = ""
    for number, page_text in enumerate(pages, start=1):
        if text:
            text += PAGE_BREAK
        offset = len(text)
        text += page_text
        for start, end in _pdf_paragraphs(text, offset, len(text)):
            block = text[start:end]
            if is_heading(block):
                section = block
                continue
            paragraphs.append(Paragraph(len(paragraphs) + 1, start, end, section, number))
    if not text.strip():
        raise DocumentError(f"{source}: PDF has no extractable text (scanned?), skipped")
    title = meta_title.strip() or text.strip().splitlines()[0][:200] or _title_from_name(path)
    return Parsed(text, "", title, paragraphs)
