"""A Ranking -> an Answer: the sentence (or two) of the corpus that answer the question,
the answer phrase marked inside it, and one Citation per quote: the answer's quotes first
(two sentences that follow each other in a passage make one quote: qa_bot/answer/quotes.py),
then the other nearest passages, one each (how sentences are ranked:
qa_bot/answer/ranking.py). It decides; quotes.py cuts the quotes.

Invariants: see qa_bot/answer/types.py; in addition no two citations quote the same
sentence (nor two copies of it, quotes.SAME_SENTENCE), near-duplicate passages appear
once, and [1] is the answer's passage."""

from __future__ import annotations

from qa_bot.answer.features import Scored
from qa_bot.answer.phrase import of_asked_kind, whole_date
from qa_bot.answer.people import lacks_asked_person, lacks_person_asked_about, who_is
from qa_bot.answer.kinds import SCORE, asked_pattern
from qa_bot.answer.question import lacks_asked_kind, lacks_asked_name, new_answer_type, \
    span_type, unnamed_asked_thing
from qa_bot.answer.quotes import citation, quote, quote_blocks, same_sentence, with_reason
from qa_bot.answer.relations import fact_not_given
from qa_bot.answer.ranking import Candidate, Ranking
from qa_bot.answer.reasons import asks_why, gives_reason, reason_after, reason_phrase
from qa_bot.answer.types import NOT_ANSWERED, Answer, Citation
from qa_bot.answer.unknown import unknown_name, unknown_year
from qa_bot.index import Generation
from qa_bot.retrieval import Hit

# The second best sentence (of any passage) joins the answer when its final score is within
# this margin of the best (`python -m benchmarks.fit_news` prints what each margin buys).
SECOND_SENTENCE_MARGIN = 0.5
# The answer phrase is marked when the reader's span probability reaches HIGHLIGHT_MIN, or
# HIGHLIGHT_MIN_OF_KIND when it is of the kind the question asks for (a new name for "who",
# a date for "when": question.span_type). On the tuning answers whose sentence holds the
# gold, the second rule marks 26 more phrases, 19 of them holding it (91.8 -> 90.4% of
# marked phrases hold it; "Kim Song" for the seed's ambassador, at 0.18). A question that
# asks why has the reason its best sentence gives marked instead, when it gives one after
# a cue of cause (reasons.reason_phrase: "due to stronger demand from China"): of the 41
# tuning answers to why-questions that hold the gold, the reader's span marked 8 phrases,
# 2 holding it; the reason, with the reader's span where no cue is found, marks 27,
# 19 holding it.
HIGHLIGHT_MIN = 0.2
HIGHLIGHT_MIN_OF_KIND = 0.1
def _highlight(c: Candidate, question: str, best: bool, block: list[Candidate]
               ) -> tuple[int, int] | None:
    """The answer phrase of candidate `c` in source offsets. For a why-question only the
    reason the answer's best sentence gives (a second sentence's reason is often of
    something else; the reader's phrase is rarely a reason). Else, when `c` is the best
    sentence and the question asks who a named person is, what it says they are
    (people.AskedWho.description, in any sentence of its quote `block`); for a score the
    score; else the reader's span when sure enough and of the asked kind (a date grown
    whole: phrase.whole_date), else the sentence's phrase of the asked kind
    (phrase.of_asked_kind), else the reader's span when sure enough; None for neither."""
    base = c.scored.sentence.start
    if asks_why(question):  # the reader's phrase is rarely the reason: a figure, a name
        found = reason_phrase(c.scored.text) if best else None
        return (base + found[0], base + found[1]) if found else None
    asked = who_is(question) if best else None
    for d in block if asked and asked.who else []:
        found = asked.description(d.scored.text)
        if found:
            return d.scored.sentence.start + found[0], d.scored.sentence.start + found[1]
    r = c.reading
    scores = list(SCORE.finditer(c.scored.text)) if asked_pattern(question) is SCORE else []
    if scores:  # the score itself, not "8 March having lost 2-1": the reader's, else the last
        inside = [m for m in scores if r and r.span and r.span[0] <= m.start() < r.span[1]]
        return base + (inside or scores)[-1].start(), base + (inside or scores)[-1].end()
    span = r.span if r is not None and r.span_prob >= HIGHLIGHT_MIN_OF_KIND else None
    kind = span_type(question, c.scored.text, span)
    if span and (kind > 0 or (kind == 0 and r.span_prob >= HIGHLIGHT_MIN)):
        span = whole_date(question, c.scored.text, span)
        return base + span[0], base + span[1]
    found = of_asked_kind(question, c.scored.text, r.span[0] if r and r.span else None)
    if found:  # "How old is the oldest?": "114", not the reader's "23,000 centenarians"
        return base + found[0], base + found[1]
    if span and r.span_prob >= HIGHLIGHT_MIN:
        return base + span[0], base + span[1]
    return None


def _article(c: Candidate, hits: list[Hit], gen: Generation) -> str:
    """The whole document the candidate sentence comes from (Generation.article_text)."""
    return gen.article_text(gen.chunks[hits[c.scored.hit].row].doc_id)


def compose(ranking: Ranking | None, gen: Generation, top_k: int, max_sentences: int,
            threshold: float, question: str = "") -> Answer:
    """The Answer: declined below `threshold`, or with confidence 0 when the question
    names a year or a name no document holds (unknown.unknown_year, unknown_name: the
    decline names the name) or the sentences it would quote from the best sentence's
    article lack the height, age, duration or amount the question asks for
    (question.lacks_asked_kind) or a name it asks for in so many words
    (question.lacks_asked_name; a person's: people.lacks_asked_person) or name the thing a
    which-question asks about only as "a corporate client" (question.unnamed_asked_thing)
    or the person it asks
    about ("Who is Stuart Rose?": people.lacks_person_asked_about), or do not give
    the looked-up fact it asks for (where someone was born, who runs a firm: Ranking.facts,
    relations.fact_not_given); else the best
    sentence, and the next best (of any passage) when it scores within
    SECOND_SENTENCE_MARGIN; two sentences that follow each other in one passage make one
    quote. The answer's quotes are cited first ([1] is the best sentence's), then the
    other nearest passages, `top_k` in all; each quotes its best sentence."""
    if ranking is None:
        return Answer(question, False, NOT_ANSWERED, [], 0.0)
    question, hits, scored, read = ranking.question, ranking.hits, ranking.scored, ranking.read
    best = read[0]
    confidence = ranking.confidence
    answered = confidence >= threshold
    asked = who_is(ranking.cased or question)
    if asked and not answered and asked.named(best.scored.text,
                                              asked.in_full(_article(best, hits, gen))) \
            and (asked.who or new_answer_type(question, best.scored.text) > 0):
        # "Who is Cary Leahy?" asks only what the corpus says of him: a sentence that
        # names him says it (and his age, for "How old is he?"), however little the
        # question's own words tell the confidence (its vector is near nothing, its one
        # rare name near everything)
        answered, confidence = True, threshold
    distinct: list[Candidate] = []  # a sentence two articles share is quoted once
    for c in read:
        if not any(same_sentence(c.scored.text, d.scored.text) for d in distinct):
            distinct.append(c)
    chosen = [best] + [c for c in distinct[1:min(max_sentences, top_k)]
                       if c.score >= best.score - SECOND_SENTENCE_MARGIN]
    # what the answer's own article says: a second sentence from another story may hold a
    # sum or a name, but it does not make the best sentence answer the question
    doc = gen.chunks[hits[best.scored.hit].row].doc_id
    reason = None  # asked why, the sentences chosen give no reason: one right after may
    if asks_why(question) and not any(gives_reason(c.scored.text) for c in chosen):
        reason = reason_after(gen, doc, best.scored.sentence.start)
        chosen = [best] if reason else chosen
    said = [c.scored.text for c in chosen if gen.chunks[hits[c.scored.hit].row].doc_id == doc]
    unknown = unknown_name(question, gen.lexical.document_frequency,
                           [gen.chunks[h.row].text for h in hits])
    if unknown:
        answered, confidence = False, 0.0
    if answered and (unknown_year(question, gen.lexical.document_frequency)
                     or lacks_asked_kind(question, said) or lacks_asked_name(question, said)
                     or unnamed_asked_thing(question, said)
                     or lacks_asked_person(question, said)
                     or lacks_person_asked_about(ranking.cased or question, said)
                     or fact_not_given(ranking.cased or question, ranking.facts, said,
                                       lambda: _article(best, hits, gen),
                                       gen.lexical.document_frequency)):
        answered, confidence = False, 0.0
    blocks = quote_blocks(chosen, hits, gen) if answered else []

    citations: list[Citation] = []
    quoted: set[str] = set()
    for block in blocks:
        sent, text = quote(block, hits, gen)
        top = max(block, key=lambda c: c.score)
        quoted.update([text, *(c.scored.text for c in block)])
        citations.append(citation(len(citations) + 1, hits[block[0].scored.hit].row, gen,
                                  sent, text, top.score, cited=True,
                                  highlight=_highlight(top, ranking.cased or question,
                                                       top is best, block)))
    if reason and citations:
        citations[:1] = with_reason(citations[0], reason, gen, best.score)
        row, sent = reason
        quoted.update([gen.chunks[row].slice(sent.start, sent.end),
                       *(c.quote for c in citations)])
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
        if s is None or any(same_sentence(s.text, q) for q in quoted):
            continue
        quoted.add(s.text)
        citations.append(citation(len(citations) + 1, hits[i].row, gen, s.sentence, s.text,
                                  c.score if c else s.score))
    if not answered:
        reply = f"{NOT_ANSWERED[:-1]}: none of them mentions “{unknown}”." if unknown \
            else NOT_ANSWERED
        return Answer(question, False, reply, citations, confidence)
    answer = " ".join(f"{c.quote} [{c.n}]" for c in citations if c.cited)
    return Answer(question, True, answer, citations, confidence)
