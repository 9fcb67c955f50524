"""The names a text states and the focus of a question: capitalised word runs ("Nikola
Tesla", "North Korea's") without the words that merely open them (a question word, a
title, "New"), and the question without them; a name's initials, and a text without its
accents, as names are often typed. Pure functions of the texts."""

from __future__ import annotations

import re
import unicodedata


# Months and days: a capitalised word that names when, not who or what ("May" is a name
# as often as a month, so it is not one of them).
CALENDAR = frozenset(
    "january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split())
_NAME = re.compile(r"\b[A-Z][\w'\u2019.&-]*(?:\s+(?:of|the|de|von|van|al|and)?\s*"
                   r"[A-Z][\w'\u2019.&-]*)*")
FUNCTION_WORDS = frozenset(
    "who whom whose what when where which why how and but or so did does do is are was were "
    "has have had can could will would should in on at for from to by of the a an as if "
    "i you we it he she they this that these those there then however also "
    "after before while although though since with without under over its his her their "
    "our my your".split())
# Not names either, though part of a run: a title, a number, "New" ("Mr Smith", "New York")
_NOT_NAMES = FUNCTION_WORDS | frozenset(
    "mr mrs ms dr one two three some many most more last next first new".split())
_POSSESSIVE = re.compile(r"['\u2019]s$")


def name_spans(text: str, not_names: frozenset[str] = _NOT_NAMES) -> list[tuple[int, int]]:
    """(start, end) of the capitalised word runs of text ("Nikola Tesla", "North Korea's"),
    without the leading words of `not_names` (a question or function word that merely
    starts a sentence; by default a title or "New" too)."""
    out = []
    for m in _NAME.finditer(text):
        words = [(w.start(), w.group(0)) for w in re.finditer(r"\S+", m.group(0))]
        while words and words[0][1].lower().rstrip(".,") in not_names:
            words = words[1:]
        if words:
            out.append((m.start() + words[0][0], m.end()))
    return out


def names(text: str) -> list[str]:
    """The names of text (name_spans), possessives and trailing stops dropped."""
    found = (_POSSESSIVE.sub("", text[a:b]).rstrip(".,") for a, b in name_spans(text))
    return [n for n in found if n]


def question_name_spans(question: str) -> list[tuple[int, int]]:
    """The names a question states ("Mr Smith", "New York" whole), without a lone
    capitalised word that opens it ("According to the TUC, ...", "Starting when?"): more
    often a word than a name."""
    return [(a, b) for a, b in name_spans(question, FUNCTION_WORDS)
            if a > 0 or " " in question[a:b]]


def focus_text(question: str) -> str:
    """The question without its names (question_name_spans; "What is the population of
    Argentina?" -> "What is the population of ?"): what it asks about the things it names.
    A sentence that only shares the names (an unrelated sentence about Argentina) is close
    to the question but not to its focus."""
    out, at = [], 0
    for a, b in question_name_spans(question):
        out.append(question[at:a])
        at = b
    out.append(question[at:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


_INITIALS_STOP = frozenset("of the and for".split())


def initials_of(name: str) -> str:
    """The first letters of a name's words but "of", "the", "and", "for" ("European Union"
    -> "EU", "Bank of England" -> "BE"): how news names a body after its first mention."""
    return "".join(w[0] for w in name.split() if w.lower() not in _INITIALS_STOP)


def unaccented(text: str) -> str:
    """text without its accents ("Yesün Temür" -> "Yesun Temur"), as names are often typed."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
