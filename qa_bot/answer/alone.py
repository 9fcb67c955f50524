"""Whether a question asked both as a follow-up and alone (followups.FollowUp.also_alone:
"When is the general election?" after a question on seats won) keeps the answer it gets
alone. Pure functions of the two answers, their rankings and the generation."""

from __future__ import annotations

from qa_bot.answer.confidence import left_for_nothing
from qa_bot.answer.features import QueryTerms
from qa_bot.answer.followups import SHORT_WORDS, FollowUp
from qa_bot.answer.ranking import Ranking
from qa_bot.answer.roles import role_holder
from qa_bot.answer.types import Answer
from qa_bot.index import Generation

# Such a question, when whole, may as well stand alone ("When is the general election?"
# after a question on seats won), so it is asked alone too (FollowUp.also_alone), and that
# answer is kept when its confidence is at least this much above the follow-up's. Tuning
# (with the first 15 short questions), asked in one conversation, margin none / 0 / 0.15 /
# 0.3: answers 72.0 / 72.7 / 72.7 / 72.7%, answerable wrongly declined 3.9 / 2.2 / 2.2 /
# 2.2%; follow-ups 60.0% throughout.
STANDS_ALONE_MARGIN = 0.15


def alone_is_better(question: str, follow_up: tuple[float, str], alone: tuple[float, str]
                    ) -> bool:
    """(confidence, best sentence) of a question that may stand alone (FollowUp.also_alone)
    asked as a follow-up and asked alone: alone is better when it is surer by
    STANDS_ALONE_MARGIN, or when it names who holds the role the question asks about and
    the follow-up does not ("Who is the culture secretary?" after a question on a
    minister's schooling; "Who was the referee?" after a match keeps the match's referee:
    roles.role_holder)."""
    if alone[0] >= follow_up[0] + STANDS_ALONE_MARGIN:
        return True
    return role_holder(question, alone[1]) > 0 >= role_holder(question, follow_up[1])


def _best(answer: Answer, ranking: Ranking | None) -> tuple[float, str]:
    """(confidence, best sentence) of an answer."""
    return answer.confidence, ranking.read[0].scored.text if ranking and ranking.read else ""


Decided = tuple[Answer, Ranking | None]


def _article_of(gen: Generation, ranking: Ranking | None) -> str:
    """The article a ranking's best sentence comes from ("" for none)."""
    if ranking is None or not ranking.read:
        return ""
    return gen.article_text(gen.chunks[ranking.hits[ranking.read[0].scored.hit].row].doc_id)


def _own_words_left(question: str, gen: Generation, as_follow_up: Decided, alone: Decided
                    ) -> bool:
    """The rarest word of the question is in the article it is answered from alone and not
    in the one it is answered from as a follow-up: its own words changed the topic ("how
    much did the tobacco case demand", typed after a question on WPP, names nothing but
    "tobacco" is not WPP's)."""
    qt = QueryTerms(question, gen)
    if not qt.idf:
        return False
    rarest = max(qt.idf, key=qt.idf.get)
    return rarest in qt.present(_article_of(gen, alone[1])) and \
        rarest not in qt.present(_article_of(gen, as_follow_up[1]))


def keeps_alone(question: str, gen: Generation, follow: FollowUp, as_follow_up: Decided,
                 alone: Decided) -> bool:
    """Whether the answer a question that may stand alone (FollowUp.also_alone) gets alone
    replaces the one it gets as a follow-up: when it is better (alone_is_better),
    when its own words changed the topic (_own_words_left) and alone it is answered, or
    when the question left the conversation for a topic the corpus lacks (a follow-up
    only for naming nothing: confidence.left_for_nothing), so that alone it is declined."""
    if alone_is_better(question, _best(*as_follow_up), _best(*alone)):
        return True
    if alone[0].answered and alone[0].confidence >= as_follow_up[0].confidence and \
            _own_words_left(question, gen, as_follow_up, alone):
        return True
    ranking, alone_ranking = as_follow_up[1], alone[1]
    return (follow.may_stray and ranking is not None and alone_ranking is not None
            and left_for_nothing(ranking.confidence_features,
                                 alone_ranking.confidence_features,
                                 says_enough=len(question.split()) > SHORT_WORDS))
