"""Chosen sentences -> verbatim quotes and Citations: two sentences that follow each other
in a passage make one quote, a sentence two copies of a story share is one sentence
(SAME_SENTENCE), and a why-answer's reason after its sentence joins it (with_reason).

Invariant: every quote is a slice of its passage's text, so of the source file, at the
Citation's start..end."""

from __future__ import annotations

import dataclasses
import re

from qa_bot.answer.confidence import sigmoid
from qa_bot.answer.features import jaccard
from qa_bot.answer.ranking import Candidate
from qa_bot.answer.reasons import reason_phrase
from qa_bot.answer.types import Citation
from qa_bot.chunking import Sentence
from qa_bot.index import Generation
from qa_bot.retrieval import Hit

# Two sentences whose sets of words are at least this alike are one sentence in two copies
# of a story (the BBC set carries stories twice, a word changed: "at about 1230 GMT" / "at
# 1230 GMT"): the answer quotes it once. Two different facts in one sentence frame ("Sales
# rose 5% in 2004" / "Sales rose 7% in 2005") share far fewer. Not the 5-word shingles
# that collapse near-duplicate passages (features.collapse_duplicates): in a sentence of
# 20 words, one inserted word changes up to 5 of its 16 shingles.
SAME_SENTENCE = 0.8


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def same_sentence(a: str, b: str) -> bool:
    """One sentence in two copies of a story: word sets at least SAME_SENTENCE alike."""
    return jaccard(_words(a), _words(b)) >= SAME_SENTENCE


def citation(n: int, row: int, gen: Generation, sent: Sentence, text: str, score: float,
             cited: bool = False, highlight: tuple[int, int] | None = None) -> Citation:
    """Citation `n` quoting `text` (at `sent`) of chunk `row`, its score a probability."""
    c = gen.chunks[row]
    meta = gen.documents.of_row(row)
    return Citation(n=n, doc_id=c.doc_id, title=c.title, source=meta.get("source", ""),
                    section=c.section, paragraph=sent.paragraph, quote=text,
                    start=sent.start, end=sent.end, passage=c.text,
                    score=round(sigmoid(score), 4), page=sent.page, cited=cited,
                    highlight=highlight)


def quote_blocks(chosen: list[Candidate], hits: list[Hit], gen: Generation
                 ) -> list[list[Candidate]]:
    """The chosen sentences grouped into quotes: two sentences of one passage that follow
    each other make one quote (source order); every other sentence is a quote of its own.
    The best sentence's quote comes first."""
    place = []  # (passage, sentence number in it) of each chosen sentence
    for c in chosen:
        starts = [s.start for s in gen.chunks[hits[c.scored.hit].row].sentences]
        place.append((c.scored.hit, starts.index(c.scored.sentence.start)))

    blocks: list[list[int]] = []
    for i, (hit, at) in enumerate(place):
        near = next((b for b in blocks if any(
            place[j][0] == hit and abs(place[j][1] - at) == 1 for j in b)), None)
        if near is None:
            blocks.append([i])
        else:
            near.append(i)
    return [sorted((chosen[j] for j in b), key=lambda c: c.scored.sentence.start)
            for b in blocks]


def quote(block: list[Candidate], hits: list[Hit], gen: Generation) -> tuple[Sentence, str]:
    """One quote for a block of adjacent sentences: the first sentence's place, spanning
    to the last one's end, text sliced from the passage (so verbatim)."""
    first, last = block[0].scored.sentence, block[-1].scored.sentence
    chunk = gen.chunks[hits[block[0].scored.hit].row]
    span = Sentence(first.start, last.end, first.paragraph, first.page)
    return span, chunk.slice(first.start, last.end)


def with_reason(first: Citation, reason: tuple[int, Sentence], gen: Generation,
                score: float) -> list[Citation]:
    """The answer's first quote and the reason (reasons.reason_after) after it: one quote
    when the reason follows it in its passage, else a second quote; the reason phrase
    marked."""
    row, sent = reason
    chunk = gen.chunks[row]
    text = chunk.slice(sent.start, sent.end)
    found = reason_phrase(text)
    phrase = (sent.start + found[0], sent.start + found[1]) if found else None
    if chunk.start <= first.start and chunk.slice(first.end, sent.start).strip() == "":
        return [dataclasses.replace(first, quote=chunk.slice(first.start, sent.end),
                                    end=sent.end, highlight=phrase or first.highlight)]
    return [first, citation(2, row, gen, sent, text, score, cited=True, highlight=phrase)]
