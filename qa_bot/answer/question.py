"""Whether a sentence or the reader's answer phrase gives what a question asks for: the
kinds of qa_bot/answer/kinds.py (a date, a figure of the asked kind, a score), a name for
"who / which / where", a name asked for in so many words, a reason for "why" (whose cues
qa_bot/answer/reasons.py owns); the question's own figures. Its names and focus:
qa_bot/answer/names.py; a year or a name no document holds: qa_bot/answer/unknown.py. Pure
functions of the texts: no index, no model."""

from __future__ import annotations

import re

from qa_bot.answer.kinds import DAY, NUMBER, YEAR_OR_DATE, asked_pattern
from qa_bot.answer.names import names
from qa_bot.answer.reasons import asks_why, gives_reason


def lacks_asked_kind(question: str, texts: list[str]) -> bool:
    """The question asks for a height, an age, a duration or an amount (a kind narrower
    than any figure or date) and none of `texts` holds one the question does not state:
    "How tall is she?" is not answered by "4 Maria Sharapova (Russia)"."""
    pattern = asked_pattern(question)
    if pattern is None or pattern is YEAR_OR_DATE or pattern is NUMBER:
        return False
    return all(answer_type(question, t, new_only=True) < 0 for t in texts)


# "What is the name of the manager who ...?", "What is the title of her book?", "What did
# they call the baby?": asked for the name of a person, a place or a work in so many
# words. Not of anything ("What is the name of the fund ...?": "the 50 fund"), nor
# "What does the name Fresno mean?".
_ASKS_FOR_A_NAME = re.compile(
    r"\bwhat\s+(is|was|were|are)\s+the\s+names?\s+of\s+(the|a|an|his|her|their|its)\s+"
    r"([\w'-]+\s+){0,3}?(man|woman|boy|girl|person|manager|player|spokes(man|woman|person)|"
    r"official|executive|director|officer|minister|son|daughter|wife|husband|baby|child|"
    r"father|mother|brother|sister|street|road|village|town|hospital|school|horse|dog|ship|"
    r"book|album|film|song|novel|play)\b|\bwhat\s+(is|was|were|are)\s+the\s+titles?\s+of\b|"
    r"^\W*(and\s+)?what\s+(did|do|does|will|would)\b.*\b(name|call)\s+(the|their|his|her|"
    r"its|it|him|them)\b", re.I)


def asked_name_of(question: str) -> str:
    """What the question asks the name of in so many words, lower case ("What is the name
    of the man who ...?" -> "man"); "" when it asks for none or not of a named kind."""
    found = _ASKS_FOR_A_NAME.search(question)
    return (found.group(4) or "").lower() if found else ""


def lacks_asked_name(question: str, texts: list[str]) -> bool:
    """The question asks for a name in so many words and none of `texts` names anything
    the question does not: "What is the name of the manager who arranged the bribe?" is
    not answered by "A former senior manager at Monsanto arranged the bribe." On the
    tuning questions 2 more unanswerable ones declined, no answer lost."""
    if not _ASKS_FOR_A_NAME.search(question):
        return False
    q = question.lower()
    return not any(n.lower() not in q for t in texts for n in names(t))


# "Which corporate client hired GPW?": the thing a which-question asks to be named (the
# last word before its verb: "client"), and a mention of it that leaves it unnamed ("for
# a corporate client", "failed to win a contract in Iraq", "her local hospital"): an
# indefinite or possessive one with no name after it, in its sentence or the next one
# quoted, that the question does not hold ("a club in France, Lyon"; "... a Turkish
# company. Turkey's Everasia is reported to have won a contract" names it).
_WHICH_THING = re.compile(r"^\W*(?:and\s+)?(?:(?:in|at|from|for|by|with|to|on|of)\s+)?which\s+"
                          r"(?:[\w'-]+\s+){0,3}?([a-z][\w-]*?)s?\s+(?:is|was|were|are|did|"
                          r"does|do|has|have|had|will|would|could|can|[a-z]+(?:ed|s))\b", re.I)
_UNNAMING = (r"\b(?:a|an|one|another|some|unnamed|undisclosed|unidentified|his|her|their|"
             r"its)\s+(?:[\w-]+\s+){0,2}?")


def unnamed_asked_thing(question: str, texts: list[str]) -> bool:
    """A which-question's thing is mentioned in `texts`, and every mention leaves it
    unnamed: "Which corporate client hired GPW?" is not answered by "GPW was starting work
    on SSL, for a corporate client." A word of a name counts as the question's when one
    begins with the other's first five letters ("Iraq" for "Iraqi"; words of four letters
    or more: "a" begins no name). False when it asks
    no which-thing or `texts` never mention it (an answer need not repeat the noun: "Lyon"
    answers "Which club ...?")."""
    found = _WHICH_THING.search(question)
    if not found:
        return False
    thing = re.escape(found.group(1).lower())
    asked = [w.lower() for w in re.findall(r"\w+", question) if len(w) > 3]

    def new_word(word: str) -> bool:
        w = word.lower()
        return not any(a.startswith(w[:5]) or w.startswith(a[:5]) for a in asked)

    said = " ".join(texts)
    mentions = list(re.finditer(r"\b" + thing + r"s?\b", said, re.I))
    return bool(mentions) and all(
        re.search(_UNNAMING + r"$", said[:m.start()], re.I)
        and not any(new_word(w) for n in names(said[m.end():]) for w in re.findall(r"\w+", n))
        for m in mentions)


def answer_type(question: str, text: str, new_only: bool = False) -> float:
    """1 when the question asks for a date or a quantity (asked_pattern) and the sentence
    holds one, -1 when it asks for one and the sentence holds none, 0 for other questions
    and for a date asked when the sentence names only a day ("on Wednesday": DAY).
    With `new_only`, a date or quantity the question itself states does not count ("How
    much did it pay for the 36 planes?" is not answered by "36 planes")."""
    pattern = asked_pattern(question)
    if pattern is None:
        return 0.0
    q = question.lower()
    found = (m.group(0).lower() for m in pattern.finditer(text))
    if any(not new_only or not re.search(r"(?<!\w)" + re.escape(f) + r"(?!\w)", q)
           for f in found):  # a whole word of the question: "two" is not in "networks"
        return 1.0
    return 0.0 if pattern is YEAR_OR_DATE and DAY.search(text) else -1.0


def new_answer_type(question: str, text: str) -> float:
    return answer_type(question, text, new_only=True)


_FIGURE = re.compile(r"\d[\d,.:-]*\d|\d")


def missing_figures(question: str, text: str) -> float:
    """Share of the figures the question states ("in 2007", "the 3-1 win") that text lacks
    (0 when the question states none): a question about another year or match."""
    figures = set(_FIGURE.findall(question))
    if not figures:
        return 0.0
    return sum(f not in text for f in figures) / len(figures)


_ASKS_NAME = re.compile(r"^\W*(and\s+)?(who|whom|whose|which|where|(in|at|for|from|to)\s+"
                        r"(which|what)\s+\w+|what\s+(is|was|were|are)\s+the\s+names?)\b",
                        re.I)


def answer_cues(question: str, text: str) -> tuple[float, float, float]:
    """(the question asks for a name (who, which, where) and the sentence names something
    the question does not, the question asks why and the sentence gives a reason, the
    share of the sentence's names and figures that the question does not hold): signs
    that the sentence adds what the question asks for."""
    q = question.lower()
    found_names = names(text)
    found = found_names + _FIGURE.findall(text)
    new = [e for e in found if e.lower() not in q]
    who = (1.0 if any(n.lower() not in q for n in found_names) else -1.0) \
        if _ASKS_NAME.search(question) else 0.0
    why = (1.0 if gives_reason(text) else -1.0) if asks_why(question) else 0.0
    return who, why, len(new) / max(len(found), 1)


def span_type(question: str, text: str, span: tuple[int, int] | None) -> float:
    """Whether the reader's answer phrase is of the kind the question asks for: 1 when it
    is (a date for "when", a figure the question does not state for "how many", a name
    the question does not hold for "who" / "which" / "where"), -1 when it is not, 0 for
    other questions or no phrase. A phrase of the wrong kind is a sign the sentence is
    about the question's topic without answering it."""
    if span is None:
        return 0.0
    phrase = text[span[0]:span[1]]
    q = question.lower()
    pattern = asked_pattern(question)
    if pattern is YEAR_OR_DATE:
        ok = bool(pattern.search(phrase) or DAY.search(phrase))
    elif pattern is not None:
        ok = bool(pattern.search(phrase)) and phrase.lower() not in q
    elif _ASKS_NAME.search(question):
        ok = any(w[0].isupper() and w.lower() not in q for w in re.findall(r"\w+", phrase))
    else:
        return 0.0
    return 1.0 if ok else -1.0
