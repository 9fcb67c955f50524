"""Paragraph -> sentence spans: pysbd, with the closing quote marks it misplaces mended.

News quotes a speaker over several sentences and, when a quote runs on into the next
paragraph, leaves it open ('... in that direction. "If the imbalances ... past weeks."
Economists point out ...'). Counting quote marks, pysbd then takes closing marks for
opening ones and starts the next sentence with one ('" Economists point out ...'), or
makes a "sentence" of a paragraph's last mark alone. In the BBC set 452 of 23,771
sentences started so, and 285 were a lone mark. A mark that opens a pysbd sentence and is
followed by a space (or ends the paragraph) closes the sentence before, and goes with it.
The sentences pysbd runs together inside such a quote stay together: splitting them too
(at a stop and a closing mark before a capital) was measured and not kept (news tuning
questions +2 of 1,000, test half -4 of 188), since a quote run on keeps its speaker
('Poll added: "I gave the signal. [...] "The same thing happened when ...').
SPLIT_SETTING names this rule in an index's chunking settings.

Invariants: spans are trimmed, in order, do not overlap, and lie inside the paragraph; a
soft line break (qa_bot/wrapping.py) is read as a space, every other one ends a sentence.
Pure functions of the text."""

from __future__ import annotations

import functools
import re
import threading

from qa_bot.wrapping import unwrapped

SPLIT_SETTING = "pysbd, closing quote marks kept with their sentence"
_local = threading.local()
_STRAY_CLOSE = re.compile(r"['\u2019]?[\"\u201d](?=\s|$)")  # a closing mark opening a sentence


def _segmenter():
    seg = getattr(_local, "segmenter", None)
    if seg is None:
        import pysbd

        seg = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return seg


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (trimmed) covering text[start:end]. If pysbd ever returns text it
    cannot locate, the rest of the span becomes one sentence."""
    return [(start + a, start + b) for a, b in _spans(text[start:end])]


@functools.lru_cache(maxsize=65536)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    """split_sentences of one paragraph, relative to it. pysbd costs ~8 ms a paragraph
    here; remembered, a paragraph seen again (an updated article re-chunked by a watch,
    a wire story in several feeds) costs nothing. A paragraph without soft breaks goes to
    pysbd as it is."""
    text = unwrapped(text)
    cuts: set[int] = set()  # where one sentence ends and the next begins
    cursor = 0
    for sent in _segmenter().segment(text):
        s = sent.strip()
        if not s:
            continue
        found = text.find(s, cursor)
        if found == -1:
            break
        stray = _STRAY_CLOSE.match(text, found)
        if stray and found:  # '" Economists ...': the mark closes the sentence before
            cuts.add(stray.end())
        elif found:
            cuts.add(found)
        cursor = found + len(s)
    spans: list[tuple[int, int]] = []
    for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(text)]):
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((a + lead, a + len(piece.rstrip())))
    return tuple(spans)
