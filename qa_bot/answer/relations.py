"""The fact a question asks about what it names, when it is one of the facts people look
up (qa_bot/answer/facts/: where someone was born, who runs a firm, a country's
population or language, who holds a role...); and whether a sentence says anything of
that fact, and the article it comes from anything of what the question names.

A sentence that says nothing of it does not answer the question, however much else it
shares with it: "Who is the chief executive of Inbev?" is not answered by "The deal gives
Inbev near-total control over the Russian brewer." News names firms, people and countries
in passing far more often than it states these facts, so this is a common way for a
question on the corpus's topics to go unanswered while the model, which reads topics
well and facts less well, is sure of the sentence. Pure functions of the texts (and of how
many passages hold a term)."""

from __future__ import annotations

from collections.abc import Callable

from qa_bot.answer.features import match_terms, terms
from qa_bot.answer.facts import RELATIONS, ROLE_FACTS
from qa_bot.answer.names import question_name_spans, unaccented
from qa_bot.answer.roles import held_by_another, other_portfolio


def asked_relations(question: str) -> list[str]:
    """The RELATIONS the question asks for ("Where was she born?" -> ["birth"])."""
    return [name for name, (asks, _) in RELATIONS.items() if asks.search(question)]


def states(facts: list[str], texts: list[str]) -> bool:
    """`texts` say something of each of the RELATIONS named `facts`."""
    said = " ".join(texts)
    return all(RELATIONS[name][1].search(said) for name in facts)


def fact_not_given(question: str, facts: tuple[str, ...], texts: list[str],
                   article: Callable[[], str], passages: Callable[[str], int]) -> bool:
    """Asked for the looked-up `facts`, `texts` (the sentences an answer would quote) do not
    give them: they say nothing of a fact (`states`), name the asked role only as another's
    (`role_of_another`), or come from an `article()` (read only when needed) that never
    names what the question asks about (`about_someone_else`). False when `facts` is empty."""
    return bool(facts) and (not states(list(facts), texts)
                            or role_of_another(question, facts, texts)
                            or about_someone_else(question, article(), passages))


def role_of_another(question: str, facts: tuple[str, ...] | list[str], texts: list[str]
                    ) -> bool:
    """The question asks who holds a role at what it names and `texts` name that role only
    as another's ("Who is the chief executive of Southcorp?" -> "Foster's chief executive";
    roles.held_by_another), or another minister's portfolio ("Who is India's defence
    minister?" -> "Finance Minister Palaniappan Chidambaram"; roles.other_portfolio)."""
    says = [RELATIONS[name][1] for name in facts if name in ROLE_FACTS]
    portfolio = {"minister", "secretary"} & set(facts)
    return bool(says) and (held_by_another(question, texts, says)
                           or bool(portfolio) and other_portfolio(question, texts))


def about_someone_else(question: str, article: str, passages: Callable[[str], int]) -> bool:
    """`article`, the one an answer comes from, never names the rarest of the question's
    names (fewest `passages` hold its rarest stemmed term): asked for a looked-up fact, the
    fact it states is someone else's ("What were Google's revenues in 2004?" answered from
    a story on GM's). The rarest name, not all: a question's other names are often a
    nationality or a name the article spells out. Accents do not count: "Yesun Temur" is
    named by "Yesün Temür". False when the question names nothing."""
    named = [(min(passages(t) for t in terms(n)), n)
             for n in (question[a:b] for a, b in question_name_spans(question)) if terms(n)]
    if not named:
        return False
    held = match_terms(article) | match_terms(unaccented(article))
    return not any(t in held for t in terms(unaccented(min(named)[1])))

