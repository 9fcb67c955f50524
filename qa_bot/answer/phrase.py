"""The answer phrase's boundaries inside a sentence: the reader's span (word pieces) made
into what a reader would mark: whole words ("15-year-old", not "15-year"), a figure with
its currency sign, its qualifier and what it counts ("more than 7,000 staff", "$1.29").

Invariant: `phrase` returns None or a non-empty (start, end) slice of the sentence that
holds the given span's words, starts and ends on a word boundary and carries no leading or
trailing space or punctuation other than a figure's currency sign or per cent sign. A name
is marked to its end ("LG Card", not "LG")."""

from __future__ import annotations

import re

from qa_bot.answer.kinds import AGE_AROUND, DATE_PHRASE, DAY, NUMBER, YEAR_OR_DATE, \
    asked_pattern

_TRIM = " \t\n,.;:!?\"'“”‘’()[]—–-"
_JOINERS = "-'’.,/"  # inside a word or a figure: "15-year-old", "Egwin's", "1,692", "3.5"
_CURRENCY = "$£€¥"
_QUALIFIER = re.compile(
    r"(?:\b(?:more|less|fewer|higher|lower)\s+than|\bat\s+(?:least|most)|\bup\s+to|"
    r"\bas\s+(?:many|much|few|little)\s+as|\b(?:just\s+)?(?:over|under)|\babout|\baround|"
    r"\bsome|\balmost|\bnearly|\broughly|\bapproximately|\bonly)\s+$", re.I)
_RANGE_START = {"between": " and ", "from": " to "}
_YEAR = re.compile(r"(1\d|20)\d\d")
_UNIT = re.compile(r" ([a-z][a-z-]+|[A-Z]{2,4})\b")
_NOT_UNIT = frozenset(
    "a an the of to in on at for from with by as and or but nor than that which who whom "
    "whose when where while after before since until till was were is are be been being "
    "has have had will would could should can may might must do did does these those "
    "its their his her our your my last next ago per each every this into onto over under "
    "against between during about around says said say".split())


# Capitalised words that continue no name ("Chelsea But ..." after a dash or in a list)
_NOT_NAME = frozenset(
    "the a an but and or in on at for with by from as if when while after before since "
    "he she it they we i you this that these those his her their its our my there then "
    "yet so now".split())
_POSSESSIVE = re.compile(r"['’]s?$")  # "Chelsea's Didier Drogba" is two names


def _word(ch: str) -> bool:
    return ch.isalnum()


def _widen(s: str, start: int, end: int) -> tuple[int, int]:
    """To whole words, through joiners that have word characters on both sides."""
    while start > 0 and (_word(s[start - 1]) or (
            s[start - 1] in _JOINERS and start > 1 and _word(s[start - 2])
            and start < len(s) and _word(s[start]))):
        start -= 1
    while end < len(s) and (_word(s[end]) or (
            s[end] in _JOINERS and end + 1 < len(s) and _word(s[end + 1])
            and _word(s[end - 1]))):
        end += 1
    return start, end


def _figure(s: str, start: int, end: int) -> tuple[int, int]:
    """A figure's currency sign, qualifier ("more than", "about") or range opener
    ("between ... and"), and the word it counts ("300 jobs", "1,692 patients"); not for a
    bare year ("2004 sales" is no answer phrase)."""
    text = s[start:end]
    if not any(c.isdigit() for c in text):
        return start, end
    if start > 0 and s[start - 1] in _CURRENCY:
        start -= 1
    if end < len(s) and s[end] == "%":
        end += 1
        text = s[start:end]
    head = s[:start]
    for opener, joint in _RANGE_START.items():
        if joint in text and head.lower().endswith(opener + " "):
            return start - len(opener) - 1, end
    q = _QUALIFIER.search(head)
    if q:
        start = q.start()
    if not _YEAR.fullmatch(text) and (text[-1].isdigit() or text[-1] in "mkn"):
        u = _UNIT.match(s, end)
        if u and u.group(1).lower() not in _NOT_UNIT:
            end = u.end()
    return start, end


def phrase(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """The answer phrase around sentence[start:end] (see the module's invariant)."""
    start, end = _widen(sentence, start, end)
    while start < end and sentence[start] in _TRIM:
        start += 1
    while end > start and sentence[end - 1] in _TRIM:
        end -= 1
    if end <= start:
        return None
    start, end = _whole_name(sentence, start, end)
    return _figure(sentence, start, end)


def _whole_name(s: str, start: int, end: int) -> tuple[int, int]:
    """A span that ends inside a run of capitalised words takes the rest of the run
    ("Geneva Motor" -> "Geneva Motor Show", "LG" -> "LG Card"). Not backwards: the words
    before a name are as often a title the question states ("Prime Minister Tony Blair")."""
    last = s[:end].split(" ")[-1]
    if last[:1].isupper() and not _POSSESSIVE.search(last):
        while True:
            after = re.match(r" ([A-Z][\w'’&-]*[\w])", s[end:])
            if not after or after.group(1).lower() in _NOT_NAME:
                break
            end += after.end()
    return start, end


def of_asked_kind(question: str, sentence: str, near: int | None) -> tuple[int, int] | None:
    """The phrase of the kind the question asks for (kinds.asked_pattern: a date, an age, a
    sum of money, a count...; not any figure) that the sentence holds and the question does
    not state, bounded as `phrase` bounds it: the one nearest `near` (where the reader's
    span starts) when there are several; None when there are several and no `near`."""
    pattern = asked_pattern(question)
    if pattern is None or pattern is NUMBER:
        return None
    if pattern is YEAR_OR_DATE:
        found = [m.span() for m in DATE_PHRASE.finditer(sentence)]
        found += [m.span() for m in DAY.finditer(sentence)]
    else:
        found = [_core(sentence, m) for m in pattern.finditer(sentence)]
        found = [f for f in found if NUMBER.search(sentence, f[0], f[1])]  # not "dollars"
    q = question.lower()
    found = [f for f in found if f[1] > f[0] and sentence[f[0]:f[1]].lower() not in q]
    if not found or (len(found) > 1 and near is None):
        return None
    start, end = min(found, key=lambda f: (abs(f[0] - near) if near is not None else 0, f))
    return phrase(sentence, start, end)


def _core(sentence: str, m: re.Match) -> tuple[int, int]:
    """A match without the words the age pattern needs around the age (kinds.AGE_AROUND)."""
    start, end = m.span()
    while cut := AGE_AROUND.search(sentence[start:end]):
        if cut.start() == 0:
            start += cut.end()
        else:
            end = start + cut.start()
    return start, end


def whole_date(question: str, sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """For a question that asks when, the span grown to the date it is part of ("October"
    -> "late October", "16 March" -> "16 March 2004"); else the span."""
    if asked_pattern(question) is not YEAR_OR_DATE:
        return span
    for m in DATE_PHRASE.finditer(sentence):
        if m.start() < span[1] and span[0] < m.end():
            return min(span[0], m.start()), max(span[1], m.end())
    return span
