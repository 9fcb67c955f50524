"""Ranked passages -> an Answer: the sentence or two of the corpus that answer the question,
each followed by its [n] marker, and one Citation per passage quoting its best sentence.

Invariants: every quote is `document text[start:end]` verbatim; no two citations quote the
same text; near-duplicate passages (the same story in two files) appear once; the answer is
made only of quotes, so nothing is invented."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from qa_bot.chunking import Chunk, Sentence
from qa_bot.lexical import terms
from qa_bot.retrieval import Hit
from qa_bot.store import Generation

NOT_ANSWERED = "The indexed documents do not answer this question."
W_SENTENCE, W_OVERLAP, W_PASSAGE = 0.6, 0.2, 0.2
SECOND_SENTENCE_RATIO = 0.92
DUPLICATE_JACCARD = 0.8


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    section: str
    paragraph: int
    quote: str
    start: int
    end: int
    passage: str
    score: float
    page: int | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0

    def to_dict(self) -> dict:
        return {"question": self.question, "answered": self.answered, "answer": self.answer,
                "confidence": round(self.confidence, 4),
                "citations": [asdict(c) for c in self.citations]}


@dataclass
class _Scored:
    sentence: Sentence
    text: str
    score: float


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 5]) for i in range(max(len(words) - 4, 1))}


def collapse_duplicates(hits: list[Hit], chunks: list[Chunk]) -> list[Hit]:
    """Drop hits whose passage nearly repeats a better-ranked one (Jaccard of 5-word
    shingles >= DUPLICATE_JACCARD)."""
    kept: list[tuple[Hit, set]] = []
    for h in hits:
        sh = _shingles(chunks[h.row].text)
        if all(len(sh & s) / max(len(sh | s), 1) < DUPLICATE_JACCARD for _, s in kept):
            kept.append((h, sh))
    return [h for h, _ in kept]


def overlap(question_terms: set[str], text: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(terms(text))) / len(question_terms)


def compose(question: str, query_vec: np.ndarray, hits: list[Hit], gen: Generation,
            encode, top_k: int, max_sentences: int, threshold: float,
            retrieval_question: str | None = None) -> Answer:
    """Build the Answer from ranked hits. `encode(texts) -> unit vectors` embeds sentences;
    `retrieval_question` (the question with follow-up context) is used for lexical overlap."""
    hits = collapse_duplicates(hits, gen.chunks)[:top_k]
    if not hits:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)
    q_terms = set(terms(retrieval_question or question))
    per_hit: list[list[_Scored]] = []
    texts: list[str] = []
    for h in hits:
        c = gen.chunks[h.row]
        for s in c.sentences:
            texts.append(c.text[s.start - c.start:s.end - c.start])
    sent_vecs = encode(texts)
    i = 0
    for h in hits:
        c = gen.chunks[h.row]
        scored = []
        for s in c.sentences:
            text = texts[i]
            cos = float(sent_vecs[i] @ query_vec)
            score = W_SENTENCE * cos + W_OVERLAP * overlap(q_terms, text) + W_PASSAGE * h.dense
            scored.append(_Scored(s, text, score))
            i += 1
        per_hit.append(sorted(scored, key=lambda x: -x.score))

    citations: list[Citation] = []
    best_of: list[_Scored] = []
    quoted: set[str] = set()
    for h, scored in zip(hits, per_hit):
        pick = next((s for s in scored if s.text not in quoted), None)
        if pick is None:
            continue
        quoted.add(pick.text)
        c = gen.chunks[h.row]
        meta = gen.documents.get(c.doc_id, {})
        citations.append(Citation(
            n=len(citations) + 1, doc_id=c.doc_id, title=c.title,
            source=meta.get("source", ""), section=c.section,
            paragraph=pick.sentence.paragraph, quote=pick.text, start=pick.sentence.start,
            end=pick.sentence.end, passage=c.text, score=round(pick.score, 4),
            page=pick.sentence.page,
        ))
        best_of.append(pick)

    order = sorted(range(len(citations)), key=lambda j: -best_of[j].score)
    confidence = best_of[order[0]].score
    if confidence < threshold:
        return Answer(question, False, NOT_ANSWERED, citations, confidence)
    chosen = [order[0]]
    for j in order[1:max_sentences]:
        if best_of[j].score >= SECOND_SENTENCE_RATIO * confidence:
            chosen.append(j)
    answer = " ".join(f"{citations[j].quote} [{citations[j].n}]" for j in chosen)
    return Answer(question, True, answer, citations, confidence)
