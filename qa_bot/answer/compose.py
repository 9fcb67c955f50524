"""Ranked passages -> an Answer: the sentence (or two) of the corpus that answer the
question, the answer phrase marked inside it, and one Citation per quote: the answer's
quotes first (two sentences that follow each other in a passage make one quote), then
the other nearest passages, one each.

Two stages: every sentence of the best CANDIDATE_PASSAGES passages is scored by features
(qa_bot/answer/features.py); the RERANK best are read by the reader (a small cross-encoder,
qa_bot/answer/reader.py) and ranked by a linear model over its verdict and the features.
The confidence is a logistic model over the best sentence's evidence
(qa_bot/answer/confidence.py). All weights are fitted on the tuning half of the news
question set (`python -m benchmarks.fit_news`).

Invariants: see qa_bot/answer/types.py; in addition no two citations quote the same text,
near-duplicate passages appear once, and [1] is the answer's passage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.answer.features import Encode, QueryTerms, Scored, collapse_duplicates, \
    score_sentences
from qa_bot.answer.question import answer_cues, focus_text, missing_figures, \
    new_answer_type, span_type
from qa_bot.answer.confidence import confidence_of, sigmoid
from qa_bot.answer.reader import Reader, Reading
from qa_bot.answer.types import NOT_ANSWERED, Answer, Citation
from qa_bot.chunking import Sentence
from qa_bot.retrieval import Hit
from qa_bot.index import Generation

# The second best sentence (of any passage) joins the answer when its final score is within
# this margin of the best (`python -m benchmarks.fit_news` prints what each margin buys).
SECOND_SENTENCE_MARGIN = 0.5


# The reader (qa_bot/answer/reader.py) reads the RERANK best sentences, by feature score, of
# the CANDIDATE_PASSAGES best passages; the final score weighs its verdict with the features.
CANDIDATE_PASSAGES = 6
RERANK = 12
FINAL_FEATURES = ("reader", "span_prob", "cosine", "idf_overlap", "passage_dense",
                  "passage_rank", "answer_type", "who_name", "why_reason", "new_entities",
                  "same_article", "top_article", "lead", "already_quoted", "answer_logit",
                  "span_type", "focus", "bias")
_F = {name: i for i, name in enumerate(FINAL_FEATURES)}
FINAL_WEIGHTS = np.array([0.298, 1.181, 2.061, 1.282, 1.806, 0.471, 0.735,
                          0.573, 0.904, -0.125, 0.456, 1.522, -0.611, 0.164,
                          0.224, 0.642, 3.408, 0.0], dtype=np.float32)
# The answer phrase is marked when the reader's span probability reaches this.
HIGHLIGHT_MIN = 0.2


@dataclass
class Candidate:
    """A sentence the reader read: its feature score, the reader's verdict, the final
    features (FINAL_FEATURES order) and the final score that ranks it."""

    scored: Scored
    reading: Reading | None
    final: np.ndarray
    score: float


def read_candidates(scored: list[Scored], hits: list[Hit], gen: Generation, question: str,
                    reader: Reader | None, articles: tuple[str, ...] = (),
                    reader_question: str | None = None,
                    quoted: tuple[tuple[str, int], ...] = ()) -> list[Candidate]:
    """The RERANK best sentences by feature score, read by the reader (when there is one)
    with `reader_question` (default `question`), scored by FINAL_WEIGHTS; best first.
    `articles` and `quoted` are the previous answer's documents and (doc id, start) of its
    quoted sentences: a follow-up asks for something the previous answer did not say."""
    top = sorted(scored, key=lambda s: -s.score)[:RERANK]
    readings = reader.read(reader_question or question, [s.text for s in top]) if reader \
        else [None] * len(top)
    top_doc = gen.chunks[hits[0].row].doc_id
    out = []
    for s, r in zip(top, readings):
        chunk = gen.chunks[hits[s.hit].row]
        lead = float(chunk.ordinal == 0 and s.sentence == chunk.sentences[0])
        f = np.array([r.relevance if r else 0.0, r.span_prob if r else 0.0,
                      *s.features[:5], *answer_cues(question, s.text),
                      float(chunk.doc_id in articles), float(chunk.doc_id == top_doc), lead,
                      float((chunk.doc_id, s.sentence.start) in quoted),
                      r.answer_logit if r else 0.0,
                      span_type(question, s.text, r.span if r else None), s.focus, 1.0],
                     dtype=np.float32)
        out.append(Candidate(s, r, f, float(f @ FINAL_WEIGHTS)))
    return sorted(out, key=lambda c: -c.score)


def confidence_features(hits: list[Hit], read: list[Candidate], gen: Generation,
                        qt: QueryTerms, question: str) -> np.ndarray:
    """Evidence that the passages answer the question (confidence.CONFIDENCE_FEATURES): the
    reader's verdict on the best sentence and its final score, the best passage cosine, the
    sentence's idf overlap, the share of the (retrieval) query's idf mass in the top
    passage, the reader's span probability, the lead of the best sentence over the next,
    the rarest question term the best sentence's passage and the sentence itself lack,
    whether the sentence holds a date, figure or name the question asks for and does not
    state, the share of the question's own figures its passage lacks, and how much the
    reader prefers its answer span to "no answer"."""
    best = read[0]
    top = gen.chunks[hits[0].row]
    margin = best.score - read[1].score if len(read) > 1 else 1.0
    passage = gen.chunks[hits[best.scored.hit].row]
    f = best.final
    return np.array([f[_F["reader"]], best.score, max(h.dense for h in hits),
                     best.scored.features[1], qt.coverage(top.embed_text), f[_F["span_prob"]],
                     min(margin, 3.0), qt.rarest_missing(passage.embed_text),
                     qt.rarest_missing(best.scored.text),
                     new_answer_type(question, best.scored.text), f[_F["who_name"]],
                     missing_figures(question, passage.embed_text), f[_F["answer_logit"]],
                     1.0], dtype=np.float32)


def _highlight(c: Candidate) -> tuple[int, int] | None:
    r = c.reading
    if r is None or r.span is None or r.span_prob < HIGHLIGHT_MIN:
        return None
    base = c.scored.sentence.start
    return base + r.span[0], base + r.span[1]


def _citation(n: int, hit: Hit, gen: Generation, sent: Sentence, text: str, score: float,
              cited: bool = False, highlight: tuple[int, int] | None = None) -> Citation:
    c = gen.chunks[hit.row]
    meta = gen.documents.of_row(hit.row)
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
    query: str = ""  # what retrieval searched with and the reader read (a follow-up's
    # question with its context); the question itself when it stands alone

    @property
    def confidence(self) -> float:
        return confidence_of(self.confidence_features)


def rank(question: str, query_vec: np.ndarray, hits: list[Hit], gen: Generation,
         encode: Encode, top_k: int, retrieval_question: str | None = None,
         reader: Reader | None = None, articles: tuple[str, ...] = (),
         quoted: tuple[tuple[str, int], ...] = ()) -> Ranking | None:
    """Score the sentences of ranked hits retrieved with `query_vec`, the embedding of
    `retrieval_question` (the question plus follow-up context; default the question).
    Sentences are feature-scored against the question itself, then the best few read by
    `reader` with the retrieval question (so "he" comes with the name it stands for);
    `articles` are the previous answer's documents, which a follow-up prefers, and `quoted`
    the (doc id, start) of the sentences it quoted.
    None when there is nothing to read."""
    hits = collapse_duplicates(hits, gen.chunks)[:max(top_k, CANDIDATE_PASSAGES)]
    if not hits:
        return None
    retrieval_question = retrieval_question or question
    qt = QueryTerms(question, gen)
    focus = focus_text(question)
    extra = ([question] if retrieval_question != question else []) + \
        ([focus] if focus != question else [])
    vecs = encode(extra) if extra else None
    question_vec = query_vec if retrieval_question == question else vecs[0]
    focus_vec = vecs[-1] if focus != question else question_vec
    scored = score_sentences(hits, gen, question_vec, qt, encode, question, focus_vec)
    if not scored:
        return None
    read = read_candidates(scored, hits, gen, question, reader, articles, retrieval_question,
                           quoted)
    rqt = qt if retrieval_question == question else QueryTerms(retrieval_question, gen)
    return Ranking(question, hits, scored, read,
                   confidence_features(hits, read, gen, rqt, question), retrieval_question)


def _blocks(chosen: list[Candidate], hits: list[Hit], gen: Generation
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


def _quote(block: list[Candidate], hits: list[Hit], gen: Generation
           ) -> tuple[Sentence, str]:
    """One quote for a block of adjacent sentences: the first sentence's place, spanning
    to the last one's end, text sliced from the passage (so verbatim)."""
    first, last = block[0].scored.sentence, block[-1].scored.sentence
    chunk = gen.chunks[hits[block[0].scored.hit].row]
    span = Sentence(first.start, last.end, first.paragraph, first.page)
    return span, chunk.text[first.start - chunk.start:last.end - chunk.start]


def compose(ranking: Ranking | None, gen: Generation, top_k: int, max_sentences: int,
            threshold: float, question: str = "") -> Answer:
    """The Answer: declined below `threshold`; else the best sentence, and the next best
    (of any passage) when it scores within SECOND_SENTENCE_MARGIN; two sentences that
    follow each other in one passage make one quote. The answer's quotes are cited first
    ([1] is the best sentence's), then the other nearest passages, `top_k` in all; each
    quotes its best sentence."""
    if ranking is None:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)
    question, hits, scored, read = ranking.question, ranking.hits, ranking.scored, ranking.read
    best = read[0]
    confidence = ranking.confidence
    answered = confidence >= threshold
    chosen = [best] + [c for c in read[1:min(max_sentences, top_k)]
                       if c.score >= best.score - SECOND_SENTENCE_MARGIN]
    blocks = _blocks(chosen, hits, gen) if answered else []

    citations: list[Citation] = []
    quoted: set[str] = set()
    for block in blocks:
        sent, text = _quote(block, hits, gen)
        top = max(block, key=lambda c: c.score)
        quoted.update([text, *(c.scored.text for c in block)])
        citations.append(_citation(len(citations) + 1, hits[block[0].scored.hit], gen, sent,
                                   text, top.score, cited=True, highlight=_highlight(top)))
    cited_hits = {c.scored.hit for c in chosen} if answered else set()
    best_of: dict[int, Scored] = {}  # a passage's sentence not read: by its feature score
    for s in sorted(scored, key=lambda s: -s.score):
        best_of.setdefault(s.hit, s)
    best_read: dict[int, Candidate] = {}  # else the best the reader read
    for c in read:
        best_read.setdefault(c.scored.hit, c)
    order = [best.scored.hit] + [i for i in range(len(hits)) if i != best.scored.hit]
    for i in order:
        if len(citations) >= top_k:
            break
        if i in cited_hits:
            continue
        c = best_read.get(i)
        s = c.scored if c else best_of.get(i)
        if s is None or s.text in quoted:
            continue
        quoted.add(s.text)
        citations.append(_citation(len(citations) + 1, hits[i], gen, s.sentence, s.text,
                                   c.score if c else s.score))
    if not answered:
        return Answer(question, False, NOT_ANSWERED, citations, confidence)
    answer = " ".join(f"{c.quote} [{c.n}]" for c in citations if c.cited)
    return Answer(question, True, answer, citations, confidence)
