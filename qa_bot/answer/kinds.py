"""What a question asks for, as patterns: a date for "when", a height, an age, a duration,
a distance, a weight, an amount or a sum of money for "how tall / old / long / far / much",
a count for "how many", a figure for other "how" questions, a score for "what was the
score" (asked_pattern), each with the pattern a sentence that gives it matches. How they
are used: qa_bot/answer/question.py. Pure functions of the texts."""

from __future__ import annotations

import re

# A year, not a clock time ("at 1815 GMT" is no year)
_NOT_CLOCK = r"(?!\s*(gmt|bst|cet|et|hrs|hours|local\s+time)\b)"
YEAR_OR_DATE = re.compile(
    r"\b((1\d{3}|20\d{2})" + _NOT_CLOCK + r"|"
    r"\d{1,2}(st|nd|rd|th)?\s+century|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|\d+s)\b", re.I)
# A day named by its name or relative to the report ("on Wednesday", "tomorrow"): news
# says when this way, but so many of its sentences do that it only half answers "when".
DAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
                 r"tonight|yesterday|tomorrow)\b", re.I)
NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
                    r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
                    r"dozen|half|percent)\b", re.I)
# A date as a reader marks it: "16 March", "late March 2005", "2003", "the 1990s", "19th
# century" (months capitalised: "may" is a verb)
DATE_PHRASE = re.compile(
    r"\b((early|late|mid|(the\s+)?(end|start|beginning|middle)\s+of)[\s-]+)?"
    r"(\d{1,2}(st|nd|rd|th)?\s+)?(?-i:January|February|March|April|May|June|July|August|"
    r"September|October|November|December)(\s+\d{1,2}(st|nd|rd|th)?\b)?(,?\s+(1\d{3}|20\d{2})\b)?"
    r"|\b(1\d{3}|20\d{2})s?\b" + _NOT_CLOCK +
    r"|\b\d{1,2}(st|nd|rd|th)?\s+century\b", re.I)
# ("When he was in Italy, how much ...?" asks how much: its "when" opens a clause)
_ASKS_WHEN = re.compile(r"^\W*(and\s+)?((on|by|from|until|till|before|after)\s+)?(when(?!\s"
                        r"[^?]*,\s*(how|what|who|which|where|why)\b)|what\s+"
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
# Words that make a figure a sum of money ("86.7bn Swiss francs", "91m naira")
_CURRENCY_WORD = (r"dollars?|pounds|euros?|yen|yuan|naira|rand|baht|lira|francs?|rupees?|"
                  r"pence|cents?|roubles?|rubles?|pesos?|kroner|kronor|krona|dinars?|riyals?|"
                  r"rupiah|ringgit")
_MONEY = re.compile(r"[£$€¥]\s?\d|\d\s?p\b|\bRs\.?\s?\d|\b(" + _CURRENCY_WORD
                    + r"|usd|gbp|eur|chf|jpy)\b", re.I)
# What a match of the age pattern below holds around the age itself: "aged 57",
# "Redknapp, 57,", "was 22 when" (the age phrase marked is "57", "22": phrase.of_asked_kind)
AGE_AROUND = re.compile(r"^((age\s+of|aged?|was|is|were|turned|turns|reached)\s+|"
                        r"[A-Z][\w'\u2019-]*,\s)|(,|\s+(when|as|before|after))$")
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
    # ("How far will rates rise?", "How far do the plans take production?" ask for a
    # figure of any kind: a distance only for a way travelled, thrown or kicked)
    (re.compile(r"\bhow\s+far\s+(out|away|off|from)\b|\bhow\s+far\b.*\b(run|ran|travel|"
                r"travelled|traveled|walk|walked|swim|swam|throw|threw|thrown|jump|jumped|kick|"
                r"kicked|fly|flew|drive|drove|hit|flow|flowed|migrate|migrated|stretch|extend|"
                r"stretches|extends)\b|\bfrom\s+what\s+(distance|range)\b", re.I),
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
    # a sum of money: "How much is McDonald's paying MTV?" (or "What is the deal worth?",
    # "What fee did Norwich pay?": "for an undisclosed fee" says no sum)
    # is not answered by "400 million homes" ("By how much did spending rise?" asks for a
    # rate: the kind after this one)
    (re.compile(r"(?<!\bby\s)\bhow\s+much\s+(?!of\b)(?=.*\b(" + _MONEY_VERBS + r")\b)|"
                r"\bwhat\s+(is|was|were|are|will\s+be|would\s+be)\b.*\bworth\W*$|"
                r"\bwhat\s+(transfer\s+)?(fee|sum)\s+(did|does|do|will|would|has|had|is|was)\b",
                re.I),
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
                + _CURRENCY_WORD + r"|p)\b|\b" + _COUNT
                + r"[\s-]+" + _TIME_UNIT + r"\b|\b(half|halves|thirds?|quarters?|fifths?|"
                r"sixths?|sevenths?|eighths?|ninths?|tenths?|\w+ieths?|doubled?|tripled?|"
                r"trebled?)\b|"
                r"\b(one|\d+)\s+in\s+(two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
                re.I)),
)


# A count ("How many farmers ...?"): a number that is no sum of money and no year ("91m
# naira", "by 2008" count nothing; no gold of the 73 "how many" tuning questions holds
# either). A share may answer ("How many Victorians are Catholic?" -> "26.7%").
_ASKS_COUNT = re.compile(r"\bhow\s+many\b", re.I)
_COUNTED = re.compile(
    r"(?<![£$€¥\w.,])(?!(19|20)\d\d\b)(\d[\d,.]*\d|\d)(m|bn|k)?\b(?![.,]\d)"
    r"(?!(\s*(m|bn|million|billion))?(\s+(?-i:[A-Z])[a-z]+){0,2}\s*(" + _CURRENCY_WORD + r")\b)|"
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundreds?|thousands?|millions?|dozens?|several|half|single|both)\b", re.I)


def asked_pattern(question: str) -> re.Pattern | None:
    """What a sentence must hold to answer the question: a date for "when", a score, a
    height, a distance, an age, a duration, a sum of money, a weight or an amount
    (_KINDS, the first that matches), a count for "how many", a figure for other "how"
    questions; None when the question asks for none of these."""
    if _ASKS_WHEN.search(question):
        return YEAR_OR_DATE
    for asks, holds in _KINDS:
        if asks.search(question):
            return holds
    if _ASKS_COUNT.search(question):
        return _COUNTED
    return NUMBER if _ASKS_NUMBER.search(question) else None
