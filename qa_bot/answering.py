"""Ranked passages -> an Answer: the sentence or two of the corpus that answer the question,
each followed by its [n] marker, and one Citation per passage quoting its best sentence.

Invariants: every quote is `document text[start:end]` verbatim; no two citations quote the
same text; near-duplicate passages (the same story in two files) appear once; the answer is
made only of quotes, so nothing is invented; `confidence` is in [0, 1] and the answer is
declined (answered=False) exactly when it is below the threshold.

Sentence score and confidence are small logistic models whose weights were fitted on the
tuning half of the SQuAD dev articles (`python -m benchmarks.quality --fit`; never on the
half the benchmark reports)."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from qa_bot import sentences
from qa_bot.chunking import Chunk, Sentence
from qa_bot.lexical import terms
from qa_bot.retrieval import Hit
from qa_bot.store import Generation

NOT_ANSWERED = "The indexed documents do not answer this question."
DUPLICATE_JACCARD = 0.8

# Sentence score = SENTENCE_WEIGHTS . sentence_features (higher is better), fitted by a
# listwise (softmax per question) objective: only the ranking of sentences matters.
SENTENCE_FEATURES = ("cosine", "idf_overlap", "passage_dense", "passage_rank", "answer_type",
                     "bias")
SENTENCE_WEIGHTS = np.array([3.669, 6.655, 0.938, 2.256, 1.326, 0.0], dtype=np.float32)
# A second sentence joins the answer when its logit is within this margin of the best.
SECOND_SENTENCE_MARGIN = 0.5
# Confidence = sigmoid(CONFIDENCE_WEIGHTS . confidence_features).
CONFIDENCE_FEATURES = ("top_dense", "best_sentence", "best_overlap", "passage_coverage", "bias")
CONFIDENCE_WEIGHTS = np.array([0.883, 1.502, 0.173, 0.496, -11.394], dtype=np.float32)

Encode = Callable[[list[str]], np.ndarray]


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
class Scored:
    """One candidate sentence of one passage, with its features and score."""

    hit: int  # index into the collapsed hits
    sentence: Sentence
    text: str
    features: np.ndarray
    score: float


@functools.lru_cache(maxsize=16384)
def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    """5-word shingles of a passage (cached: the same passages come back query after query)."""
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i:i + 5]) for i in range(max(len(words) - 4, 1)))


def collapse_duplicates(hits: list[Hit], chunks: list[Chunk]) -> list[Hit]:
    """Drop hits whose passage nearly repeats a better-ranked one (Jaccard of 5-word
    shingles >= DUPLICATE_JACCARD)."""
    kept: list[tuple[Hit, frozenset]] = []
    for h in hits:
        sh = _shingles(chunks[h.row].text)
        if all(len(sh & s) / max(len(sh | s), 1) < DUPLICATE_JACCARD for _, s in kept):
            kept.append((h, sh))
    return [h for h, _ in kept]


class QueryTerms:
    """The question's distinct stemmed terms and their idf in this generation."""

    def __init__(self, text: str, gen: Generation):
        self.terms = list(dict.fromkeys(terms(text)))
        self.idf = dict(zip(self.terms, gen.lexical.idf(self.terms).tolist()))
        self.total = sum(self.idf.values())

    def coverage(self, text: str) -> float:
        """Share of the question's idf mass whose terms occur in text (0..1)."""
        if self.total <= 0:
            return 0.0
        present = set(terms(text))
        return sum(v for t, v in self.idf.items() if t in present) / self.total


def sentence_vectors(hits: list[Hit], gen: Generation, texts: list[str], encode: Encode
                     ) -> np.ndarray:
    """Unit vectors of the hits' sentences in order: read from the index when it stores
    them (qa_bot/sentences.py), else embedded now (an index built before they existed)."""
    if gen.sentence_vectors is None:
        return encode(texts)
    off = gen.sentence_offsets
    return np.concatenate([np.asarray(gen.sentence_vectors[off[h.row]:off[h.row + 1]])
                           for h in hits]).astype(np.float32)


_YEAR_OR_DATE = re.compile(
    r"\b(1\d{3}|20\d{2}|\d{1,2}(st|nd|rd|th)?\s+century|january|february|march|april|may|"
    r"june|july|august|september|october|november|december|\d+s)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
                     r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
                     r"dozen|half|percent)\b", re.I)
_ASKS_WHEN = re.compile(r"^\W*(and\s+)?(when|what\s+(year|date|day|month|century|decade)|"
                        r"in\s+what\s+(year|century|decade)|since\s+when)\b", re.I)
_ASKS_NUMBER = re.compile(r"\bhow\s+(many|much|long|old|far|high|tall|large|big|often)\b|"
                          r"\bwhat\s+(percentage|percent|number|amount|proportion)\b", re.I)


def answer_type(question: str, text: str) -> float:
    """1 when the question asks for a date or a quantity and the sentence holds one, -1 when
    it asks for one and the sentence holds none, 0 for other questions."""
    if _ASKS_WHEN.search(question):
        return 1.0 if _YEAR_OR_DATE.search(text) else -1.0
    if _ASKS_NUMBER.search(question):
        return 1.0 if _NUMBER.search(text) else -1.0
    return 0.0


def score_sentences(hits: list[Hit], gen: Generation, query_vec: np.ndarray, qt: QueryTerms,
                    encode: Encode, question: str = "") -> list[Scored]:
    """Every sentence of the given passages, scored against the question (its vector
    `query_vec`, its terms `qt`, its wording for the answer type); `hits` in rank order."""
    texts: list[str] = []
    owners: list[tuple[int, Sentence]] = []
    for i, h in enumerate(hits):
        c = gen.chunks[h.row]
        for s, t in zip(c.sentences, sentences.texts(c)):
            texts.append(t)
            owners.append((i, s))
    if not texts:
        return []
    cos = sentence_vectors(hits, gen, texts, encode) @ query_vec
    out = []
    for (i, s), t, cs in zip(owners, texts, cos):
        f = np.array([float(cs), qt.coverage(t), hits[i].dense, 1.0 / (i + 1),
                      answer_type(question, t), 1.0], dtype=np.float32)
        out.append(Scored(i, s, t, f, float(f @ SENTENCE_WEIGHTS)))
    return out


def confidence_features(hits: list[Hit], best: Scored, gen: Generation, qt: QueryTerms
                        ) -> np.ndarray:
    """Evidence that the passages answer the question: best passage cosine, best sentence
    score and its idf overlap, share of the (retrieval) query's idf mass in the top passage."""
    top = gen.chunks[hits[0].row]
    return np.array([max(h.dense for h in hits), best.score, best.features[1],
                     qt.coverage(top.embed_text), 1.0], dtype=np.float32)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -500 else 0.0


def compose(question: str, query_vec: np.ndarray, hits: list[Hit], gen: Generation,
            encode: Encode, top_k: int, max_sentences: int, threshold: float,
            retrieval_question: str | None = None) -> Answer:
    """Build the Answer from ranked hits retrieved with `query_vec`, the embedding of
    `retrieval_question` (the question plus follow-up context; default the question).
    Sentences are chosen by the question itself (embedded with `encode` when the two differ),
    the confidence weighs the evidence for the retrieval question."""
    hits = collapse_duplicates(hits, gen.chunks)[:top_k]
    if not hits:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)
    retrieval_question = retrieval_question or question
    qt = QueryTerms(question, gen)
    question_vec = query_vec if retrieval_question == question else encode([question])[0]
    scored = score_sentences(hits, gen, question_vec, qt, encode, question)
    by_hit: dict[int, list[Scored]] = {}
    for s in sorted(scored, key=lambda s: -s.score):
        by_hit.setdefault(s.hit, []).append(s)

    citations: list[Citation] = []
    picks: list[Scored] = []
    quoted: set[str] = set()
    for i, h in enumerate(hits):
        pick = next((s for s in by_hit.get(i, []) if s.text not in quoted), None)
        if pick is None:
            continue
        quoted.add(pick.text)
        c = gen.chunks[h.row]
        meta = gen.documents.get(c.doc_id, {})
        citations.append(Citation(
            n=len(citations) + 1, doc_id=c.doc_id, title=c.title,
            source=meta.get("source", ""), section=c.section,
            paragraph=pick.sentence.paragraph, quote=pick.text, start=pick.sentence.start,
            end=pick.sentence.end, passage=c.text, score=round(sigmoid(pick.score), 4),
            page=pick.sentence.page,
        ))
        picks.append(pick)
    if not citations:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)

    order = sorted(range(len(picks)), key=lambda j: -picks[j].score)
    best = picks[order[0]]
    rqt = qt if retrieval_question == question else QueryTerms(retrieval_question, gen)
    confidence = sigmoid(float(confidence_features(hits, best, gen, rqt) @ CONFIDENCE_WEIGHTS))
    if confidence < threshold:
        return Answer(question, False, NOT_ANSWERED, citations, confidence)
    chosen = [order[0]] + [j for j in order[1:max_sentences]
                           if picks[j].score >= best.score - SECOND_SENTENCE_MARGIN]
    answer = " ".join(f"{citations[j].quote} [{citations[j].n}]" for j in chosen)
    return Answer(question, True, answer, citations, confidence)
