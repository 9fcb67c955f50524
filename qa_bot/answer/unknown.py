"""What the corpus never names: a year or a name a question asks about that no document
holds, so that whatever the corpus says, it says nothing of that (compose declines the
question, naming the name). Functions of the question, the index's document frequency
and the passages retrieved for the question."""

from __future__ import annotations

import difflib
import re
from typing import Callable

from qa_bot.answer.names import CALENDAR, initials_of, name_spans, unaccented
from qa_bot.index.lexical import terms

_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")


def unknown_year(question: str, document_frequency: Callable[[str], int]) -> str | None:
    """A year the question names ("Who won Wimbledon in 2012?") that no document of the
    corpus holds: the corpus cannot tell what happened then."""
    return next((y for y in _YEAR.findall(question) if document_frequency(y) == 0), None)


# A capitalised word that opens no question and is no acronym ("BMJ") nor an adjective
# of place ("Ivorian", "Norwegian", "Shakespearean", "Qatari", "Danish", "Maltese"): news
# writes those other ways ("British Medical Journal", "Ivory Coast's").
_UNKNOWN_NAME = re.compile(r"(?<=[\w,;:]\s)(?-i:[A-Z][a-z]+)(?<!an|ni|ri|sh|se|ch)"
                           r"(?=['\u2019]s\b|[\s,.?!;:]|$)")


_CAPITALISED_RUN = re.compile(r"\b[A-Z\u00c0-\u00de][\w.-]*(?: [A-Z\u00c0-\u00de][\w.-]*)*")
# How like a name of the passages a name must be to be taken for it (difflib's ratio):
# "Kllbrandon" is 0.9 like "Kilbrandon", "Obama" only 0.8 like "Osama".
NEAR_NAME = 0.82
_MONTHS_SHORT = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())


def _capitalised_words(passages: list[str]) -> set[str]:
    """The capitalised words of the passages, folded, without stops ("U.N." -> "un"), and
    each two that follow each other written as one ("Super Bowl" -> "superbowl")."""
    words = [unaccented(w.replace(".", "").lower()).split() for p in passages
             for w in _CAPITALISED_RUN.findall(p)]
    return {w for run in words for w in run} | \
        {a + b for run in words for a, b in zip(run, run[1:])}


def unknown_name(question: str, document_frequency: Callable[[str], int],
                 passages: list[str]) -> str | None:
    """A name the question asks about ("What did Obama say about Iraq?") that no document
    of the corpus holds, nor anything like it in the `passages` retrieved for it (written
    with accents, "Céloron" for "Celeron", or a slip or two away, "Kilbrandon" for
    "Kllbrandon"; as one word, "Super Bowl" for "Superbowl"; or by the initials of the name
    it is part of, "UN" for "United Nations"): whatever the corpus says, it says nothing of
    that. Only a capitalised word inside the question counts (a question typed in lower
    case names nothing we can tell from a word); acronyms and adjectives of place do not."""
    seen: set[str] | None = None
    for found in _UNKNOWN_NAME.finditer(question):
        word = found.group(0)
        stems = terms(word)
        if not stems or word.lower() in CALENDAR or word.lower() in _MONTHS_SHORT \
                or any(document_frequency(t) > 0 for t in stems):
            continue
        if seen is None:
            seen = _capitalised_words(passages)
        span = next(((a, b) for a, b in name_spans(question) if a <= found.start() < b),
                    (found.start(), found.end()))
        short = initials_of(question[span[0]:span[1]])
        like = difflib.get_close_matches(unaccented(word.lower()), seen, n=1, cutoff=NEAR_NAME)
        if (len(short) < 2 or short.lower() not in seen) and not like:
            return word
    return None
