"""Answer -> what a front end shows. Front ends render; they never retrieve."""

from __future__ import annotations

import json
import textwrap

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
