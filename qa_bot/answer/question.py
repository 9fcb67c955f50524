"""What a question asks for, and whether a sentence or the reader's answer phrase gives it:
a date for "when", a height, an age, a duration or an amount for "how tall / old / long /
much", a sum of money for "how much ... pay", a figure for other "how many", a score, a
name for "who / which / where", a reason for "why" (whose cues
qa_bot/answer/reasons.py owns); the question's own figures. Its names and focus:
qa_bot/answer/names.py; a year or a name no document holds: qa_bot/answer/unknown.py. Pure
functions of the texts: no index, no model."""

from __future__ import annotations

import re

from qa_bot.answer.names import names
from qa_bot.answer.reasons import asks_why, gives_reason

# A year, not a clock time ("at 1815 GMT" is no year)
_YEAR_OR_DATE = re.compile(
    r"\b((1\d{3}|20\d{2})(?!\s*(gmt|bst|cet|et|hrs|hours|local\s+time)\b)|"
    r"\d{1,2}(st|nd|rd|th)?\s+century|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|\d+s)\b", re.I)
# A day named by its name or relative to the report ("on Wednesday", "tomorrow"): news
# says when this way, but so many of its sentences do that it only half answers "when".
_DAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
                  r"tonight|yesterday|tomorrow)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
                     r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
                     r"dozen|half|percent)\b", re.I)
_ASKS_WHEN = re.compile(r"^\W*(and\s+)?((on|by|from|until|till|before|after)\s+)?(when|what\s+"
                        r"(year|date|day|month|century|decade)|in\s+what\s+(year|century|decade)|"
                        r"since\s+when)\b|\bwhat\s+(is|was|will\s+be)\s+the\s+([\w-]+\s+){0,2}?"
                        r"(deadline|date)\b", re.I)
_ASKS_NUMBER = re.compile(r"\bhow\s+(many|much|long|old|far|high|tall|large|big|often)\b|"
                          r"\bwhat\s+(percentage|percent|number|amount|proportion)\b", re.I)


_COUNT = r"(\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
    r"twenty|thirty|forty|fifty|hundred|several|few|half)"
_TIME_UNIT = r"(years?|months?|weeks?|days?|hours?|minutes?|seconds?|mins?|hrs?|decades?|" \
    r"centur(y|ies)|nights?|seasons?|games?|matches?|rounds?|laps?)"
_LENGTH = r"\d[\d.,]*\s*(m|cm|mm|km|mi|ft|feet|foot|metres?|meters?|kilomet(re|er)s?|" \
    r"inch(es)?|miles?|yards?)\b"
# "What is the new deadline", "What was France's economic growth", "To what level did it
# raise its rate": a noun of the asked kind after "what is the" (or "X's"), up to two
# words before it that are no preposition ("the reason for the loss" asks for no amount)
_WHAT_THE = (r"\bwhat\s+(is|was|were|are|will\s+be|would\s+be)\s+(the\s+|[\w'.-]+['\u2019]s\s+)"
             r"((?!(of|for|behind|in|on|at|to|with|about)\b)[\w-]+\s+){0,2}?")
_VALUE_ASKED = (_WHAT_THE + r"(growth|rate|level|offer|bid|fee|price|cost|rebate|salary|wage|fine|"
                r"value|valuation|budget|deficit|surplus|profit|loss|turnover|revenues?|earnings|"
                r"figure)\b|\b(to|at)\s+what\s+(level|rate|price)\b")
# a match score: "3-1", not a run of days ("the weekend of 12-13 March")
SCORE = re.compile(r"(?<![\d-])\d{1,3}\s?-\s?\d{1,3}(?![\d-])(?!\s*(jan|feb|mar|apr|may|jun|jul|"
                   r"aug|sep|oct|nov|dec)[a-z]*\b)", re.I)
_MONEY_VERBS = (r"pay|pays|paid|paying|cost|costs|costing|spend|spends|spent|spending|worth|"
                r"money|cash|fees?|salary|wages?|earn|earns|earned|earning|damages|fined|"
                r"charge|charged|charging|compensation|prize|bonus|invest|invested|investing|"
                r"raise|raised|raising|borrow|borrowed|owe|owes|owed|bought|sold|sell|buy|bid")
_MONEY = re.compile(r"[£$€¥]\s?\d|\d\s?p\b|\bRs\.?\s?\d|\b(dollars?|pounds|euros?|yen|"
                    r"yuan|naira|rand|baht|lira|francs?|rupees?|pence|cents?|roubles?|rubles?|"
                    r"pesos?|kroner|kronor|krona|dinars?|riyals?|rupiah|ringgit|usd|gbp|eur|chf|"
                    r"jpy)\b", re.I)
# Narrower than "a figure": what "how tall", "how old", "how long" and "how much" ask for,
# as pairs (the question asks for it, a sentence holds it); the first the question matches
# wins.
_KINDS = (
    # a match's score: "What was the score?", "By what score did they lose?" -> "3-1"
    (re.compile(r"\b(by\s+what\s+(score|scoreline)|what\s+(was|were|is)\s+the\s+((final|"
                r"half-time|full-time|match)\s+)?(score|scoreline))\b", re.I),
     SCORE),
    (re.compile(r"\bhow\s+(tall|high)\b|['\u2019]s\s+height\W*$|\bwhat\s+height\s+is\b", re.I),
     re.compile(_LENGTH + r"|\d+'\s*\d+", re.I)),
    # a distance: "How far out was the penalty?" -> "44 metres"
    (re.compile(r"\bhow\s+far\b(?!\s+back\b)(?!.*\bdates?\s+back\b)|"
                r"\bfrom\s+what\s+(distance|range)\b", re.I),
     re.compile(_LENGTH + r"|\b" + _COUNT + r"[\s-]+(yards?|metres?|meters?|kilomet(re|er)s?|"
                r"miles?|km)\b", re.I)),
    (re.compile(r"\bhow\s+old\b|\b(at\s+)?what\s+age\b|['\u2019]s\s+age\W*$", re.I),
     re.compile(r"\baged?\s+\d+|\bage\s+of\s+\d+|\d+-year-old|\b\d+\s+years?\s+old|"
                r"\(\d{2}\)|(?-i:[A-Z])[\w'\u2019-]*,\s\d{1,3},|"
                r"\b(was|is|were|turned|turns)\s+\d{1,3}\s+(when|as|before|after)\b|"
                r"\b(is|was|turned|turns|reached)\s+\d{1,3}(?=\s*[,;!)]|\.(?!\d)|\s*$)|"
                r"\b(teens|twenties|thirties|forties|fifties|sixties|seventies|eighties)\b", re.I)),
    (re.compile(r"\bhow\s+long\b|\bhow\s+many\s+" + _TIME_UNIT + r"|\bwhat\s+time\b|"
                r"\b(winning|finishing|race|lap)\s+time\b|" + _WHAT_THE + r"(suspension|ban|"
                r"sentence|jail\s+term)\b", re.I),
     re.compile(r"\b" + _COUNT + r"[\s-]+" + _TIME_UNIT + r"\b|\d+:\d+|\d+(\.\d+)?\s*(s|secs?)\b|"
                r"\b\d{1,4}\s*(gmt|bst|cet|am|pm)\b|\b(midnight|noon|midday)\b|" + _LENGTH, re.I)),
    # a sum of money: "How much is McDonald's paying MTV?" (or "What is the deal worth?")
    # is not answered by "400 million homes" ("By how much did spending rise?" asks for a
    # rate: the kind after this one)
    (re.compile(r"(?<!\bby\s)\bhow\s+much\s+(?!of\b)(?=.*\b(" + _MONEY_VERBS + r")\b)|"
                r"\bwhat\s+(is|was|were|are|will\s+be|would\s+be)\b.*\bworth\W*$", re.I),
     _MONEY),
    # a weight: "How much does he weigh?" is not answered by "the 101-year-old"
    (re.compile(r"\bhow\s+(much\b.*\bweigh|heavy)\b|\bwhat\b.*\bweigh\W*$", re.I),
     re.compile(r"\d\s*(kg|kilos?|kilogrammes?|kilograms?|lb|lbs|pounds|st|stone|tonnes?|tons?|"
                r"g|grams?|grammes?|ounces?|oz)\b|\bweigh(s|ed|ing)?\s+\w+", re.I)),
    (re.compile(r"\bhow\s+much\b|\bwhat\s+(percentage|percent|proportion|share|fraction|price)\b|"
                r"\bhow\s+expensive\b|\bwhat\s+(is|was|were|will\s+be|would\s+be)\s+the\s+"
                r"(cost|price)\b|\bwhat\b[^?]*\bcosts?\W*$|" + _VALUE_ASKED, re.I),
     re.compile(r"[£$€¥]\s?\d|\d\s*(%|(per\s?cent|percentage\s+points?|points?|bn|tn|m|k|p)\b)|"
                r"\b" + _COUNT + r"\s+(million|billion|trillion|acres|barrels|tonnes|tons|times|"
                r"rupees|dollars|pounds|euros|yen|yuan|pence|cents|p)\b|\b" + _COUNT
                + r"[\s-]+" + _TIME_UNIT + r"\b|\b(half|halves|thirds?|quarters?|fifths?|"
                r"sixths?|sevenths?|eighths?|ninths?|tenths?|doubled?|tripled?|trebled?)\b|"
                r"\b(one|\d+)\s+in\s+(two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
                re.I)),
)


# A count ("How many farmers ...?"): a number that is no sum of money and no year ("91m
# naira", "by 2008" count nothing; no gold of the 73 "how many" tuning questions holds
# either). A share may answer
# ("How many Victorians are Catholic?" -> "26.7%").
_ASKS_COUNT = re.compile(r"\bhow\s+many\b", re.I)
_CURRENCY_WORD = (r"dollars?|pounds|euros?|yen|yuan|naira|francs?|rupees?|pence|cents?|roubles?|"
                  r"pesos?|dinars?|riyals?|rupiah|ringgit|rand")
_COUNTED = re.compile(
    r"(?<![£$€¥\w.,])(?!(19|20)\d\d\b)(\d[\d,.]*\d|\d)(m|bn|k)?\b(?![.,]\d)"
    r"(?!(\s*(m|bn|million|billion))?(\s+(?-i:[A-Z])[a-z]+){0,2}\s*(" + _CURRENCY_WORD + r")\b)|"
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundreds?|thousands?|millions?|dozens?|several|half|single|both)\b", re.I)


def asked_pattern(question: str) -> re.Pattern | None:
    """What a sentence must hold to answer the question: a date for "when", a height, an
    age, a duration or an amount for "how tall / old / long / much", a figure for other
    "how many" questions; None when the question asks for none of these."""
    if _ASKS_WHEN.search(question):
        return _YEAR_OR_DATE
    for asks, holds in _KINDS:
        if asks.search(question):
            return holds
    if _ASKS_COUNT.search(question):
        return _COUNTED
    return _NUMBER if _ASKS_NUMBER.search(question) else None


def lacks_asked_kind(question: str, texts: list[str]) -> bool:
    """The question asks for a height, an age, a duration or an amount (a kind narrower
    than any figure or date) and none of `texts` holds one the question does not state:
    "How tall is she?" is not answered by "4 Maria Sharapova (Russia)"."""
    pattern = asked_pattern(question)
    if pattern is None or pattern is _YEAR_OR_DATE or pattern is _NUMBER:
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


def answer_type(question: str, text: str, new_only: bool = False) -> float:
    """1 when the question asks for a date or a quantity (asked_pattern) and the sentence
    holds one, -1 when it asks for one and the sentence holds none, 0 for other questions
    and for a date asked when the sentence names only a day ("on Wednesday": _DAY).
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
    return 0.0 if pattern is _YEAR_OR_DATE and _DAY.search(text) else -1.0


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
    if pattern is _YEAR_OR_DATE:
        ok = bool(pattern.search(phrase) or _DAY.search(phrase))
    elif pattern is not None:
        ok = bool(pattern.search(phrase)) and phrase.lower() not in q
    elif _ASKS_NAME.search(question):
        ok = any(w[0].isupper() and w.lower() not in q for w in re.findall(r"\w+", phrase))
    else:
        return 0.0
    return 1.0 if ok else -1.0
