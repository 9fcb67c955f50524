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
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np

from qa_bot import sentences
from qa_bot.chunking import Chunk, Sentence
from qa_bot.lexical import terms
from qa_bot.reader import Reader, Reading
from qa_bot.retrieval import Hit
from qa_bot.store import Generation

NOT_ANSWERED = "The indexed documents do not answer this question."
DUPLICATE_JACCARD = 0.8

# Sentence score = SENTENCE_WEIGHTS . sentence_features (higher is better), fitted by a
# listwise (softmax per question) objective: only the ranking of sentences matters.
SENTENCE_FEATURES = ("cosine", "idf_overlap", "passage_dense", "passage_rank", "answer_type",
                     "bias")
SENTENCE_WEIGHTS = np.array([3.669, 6.655, 0.938, 2.256, 1.326, 0.0], dtype=np.float32)
# A second sentence (of another passage) joins the answer when its final score is within
# this margin of the best.
SECOND_SENTENCE_MARGIN = 0.5

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
    cited: bool = False  # the answer quotes this citation (others are nearest passages)
    highlight: tuple[int, int] | None = None  # the answer phrase, source offsets in start..end

    def to_dict(self) -> dict:
        d = asdict(self)
        d["highlight"] = ({"start": self.highlight[0], "end": self.highlight[1]}
                          if self.highlight else None)
        return d


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
                "citations": [c.to_dict() for c in self.citations]}


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


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -500 else 0.0


# The reader (qa_bot/reader.py) reads the RERANK best sentences by the feature score of the
# CANDIDATE_PASSAGES best passages; the final score weighs its verdict with the features.
CANDIDATE_PASSAGES = 6
RERANK = 12
FINAL_FEATURES = ("reader", "features", "passage_rank", "same_article", "bias")
FINAL_WEIGHTS = np.array([1.0, 0.3, 0.5, 0.5, 0.0], dtype=np.float32)
# Confidence = sigmoid(CONFIDENCE_WEIGHTS . confidence_features).
CONFIDENCE_FEATURES = ("reader", "final", "top_dense", "best_overlap", "passage_coverage",
                       "bias")
CONFIDENCE_WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5, 0.5, -3.0], dtype=np.float32)
# The answer phrase is marked when the reader's span probability reaches this.
HIGHLIGHT_MIN = 0.2


@dataclass
class Candidate:
    """A sentence the reader read: its feature score, the reader's verdict, the final
    score that ranks it."""

    scored: Scored
    reading: Reading | None
    final: np.ndarray  # features, in FINAL_FEATURES order
    score: float


def read_candidates(scored: list[Scored], hits: list[Hit], gen: Generation, question: str,
                    reader: Reader | None, articles: tuple[str, ...] = ()) -> list[Candidate]:
    """The RERANK best sentences by feature score, read by the reader (when there is one)
    and scored by FINAL_WEIGHTS; best first."""
    top = sorted(scored, key=lambda s: -s.score)[:RERANK]
    readings = reader.read(question, [s.text for s in top]) if reader else [None] * len(top)
    out = []
    for s, r in zip(top, readings):
        same = float(gen.chunks[hits[s.hit].row].doc_id in articles)
        f = np.array([r.relevance if r else 0.0, s.score, 1.0 / (s.hit + 1), same, 1.0],
                     dtype=np.float32)
        out.append(Candidate(s, r, f, float(f @ FINAL_WEIGHTS)))
    return sorted(out, key=lambda c: -c.score)


def confidence_features(hits: list[Hit], best: Candidate, gen: Generation, qt: QueryTerms
                        ) -> np.ndarray:
    """Evidence that the passages answer the question: the reader's verdict on the best
    sentence and its final score, the best passage cosine, the sentence's idf overlap, the
    share of the (retrieval) query's idf mass in the top passage."""
    top = gen.chunks[hits[0].row]
    return np.array([best.final[0], best.score, max(h.dense for h in hits),
                     best.scored.features[1], qt.coverage(top.embed_text), 1.0],
                    dtype=np.float32)


def _highlight(c: Candidate) -> tuple[int, int] | None:
    r = c.reading
    if r is None or r.span is None or r.span_prob < HIGHLIGHT_MIN:
        return None
    base = c.scored.sentence.start
    return base + r.span[0], base + r.span[1]


def _citation(n: int, hit: Hit, gen: Generation, sent: Sentence, text: str, score: float,
              cited: bool = False, highlight: tuple[int, int] | None = None) -> Citation:
    c = gen.chunks[hit.row]
    meta = gen.documents.get(c.doc_id, {})
    return Citation(n=n, doc_id=c.doc_id, title=c.title, source=meta.get("source", ""),
                    section=c.section, paragraph=sent.paragraph, quote=text,
                    start=sent.start, end=sent.end, passage=c.text,
                    score=round(sigmoid(score), 4), page=sent.page, cited=cited,
                    highlight=highlight)


@dataclass
class Ranking:
    """Everything an answer is decided from (what the fitting scripts look at)."""

    question: str
    hits: list[Hit]  # collapsed, best first
    scored: list[Scored]  # every sentence of the hits, feature-scored
    read: list[Candidate]  # the sentences the reader read, best first
    confidence_features: np.ndarray

    @property
    def confidence(self) -> float:
        return sigmoid(float(self.confidence_features @ CONFIDENCE_WEIGHTS))


def rank(question: str, query_vec: np.ndarray, hits: list[Hit], gen: Generation,
         encode: Encode, top_k: int, retrieval_question: str | None = None,
         reader: Reader | None = None, articles: tuple[str, ...] = ()) -> Ranking | None:
    """Score the sentences of ranked hits retrieved with `query_vec`, the embedding of
    `retrieval_question` (the question plus follow-up context; default the question).
    Sentences are feature-scored against the question itself, then the best few read by
    `reader` with the retrieval question (so "he" comes with the name it stands for);
    `articles` are the previous answer's documents, which a follow-up prefers.
    None when there is nothing to read."""
    hits = collapse_duplicates(hits, gen.chunks)[:max(top_k, CANDIDATE_PASSAGES)]
    if not hits:
        return None
    retrieval_question = retrieval_question or question
    qt = QueryTerms(question, gen)
    question_vec = query_vec if retrieval_question == question else encode([question])[0]
    scored = score_sentences(hits, gen, question_vec, qt, encode, question)
    if not scored:
        return None
    read = read_candidates(scored, hits, gen, retrieval_question, reader, articles)
    rqt = qt if retrieval_question == question else QueryTerms(retrieval_question, gen)
    return Ranking(question, hits, scored, read, confidence_features(hits, read[0], gen, rqt))


def compose(ranking: Ranking | None, gen: Generation, top_k: int, max_sentences: int,
            threshold: float, question: str = "") -> Answer:
    """The Answer: declined below `threshold`; else the best sentence, and the next best
    of another passage when it scores within SECOND_SENTENCE_MARGIN. The answer's passages
    are cited first ([1] is the best sentence's), then the other nearest passages, `top_k`
    in all; each quotes its best sentence."""
    if ranking is None:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)
    question, hits, scored, read = ranking.question, ranking.hits, ranking.scored, ranking.read
    best = read[0]
    confidence = ranking.confidence
    answered = confidence >= threshold
    chosen = [best] + [c for c in read[1:] if c.scored.hit != best.scored.hit][:max_sentences - 1]
    chosen = chosen[:1] + [c for c in chosen[1:] if c.score >= best.score - SECOND_SENTENCE_MARGIN]

    order = list(dict.fromkeys([c.scored.hit for c in chosen] + list(range(len(hits)))))
    best_of: dict[int, Scored] = {}
    for s in sorted(scored, key=lambda s: -s.score):
        best_of.setdefault(s.hit, s)
    pick = {c.scored.hit: c for c in chosen}
    citations: list[Citation] = []
    quoted: set[str] = set()
    for i in order:
        if len(citations) == top_k and i not in pick:
            continue
        c = pick.get(i)
        s = c.scored if c else best_of.get(i)
        if s is None or s.text in quoted:
            continue
        quoted.add(s.text)
        citations.append(_citation(
            len(citations) + 1, hits[i], gen, s.sentence, s.text,
            c.score if c else s.score, cited=answered and c is not None,
            highlight=_highlight(c) if c and answered else None))
    if not answered:
        return Answer(question, False, NOT_ANSWERED, citations, confidence)
    answer = " ".join(f"{c.quote} [{c.n}]" for c in citations if c.cited)
    return Answer(question, True, answer, citations, confidence)
