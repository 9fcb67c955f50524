"""Who a name is: a person ("Tory MP Jonathan Sayeed" -> "Jonathan Sayeed") or not
("British Airways", "Sunday Almeria"), and whether a question asks for a person ("Who
runs BA?", "Which Conservative MP ...?", "What is the name of the man who ...?") and a
sentence names one it does not.

A person is a name of two to four capitalised words, titles and party labels dropped,
with no word of an organisation, an event or a date (one word when `one_word`: an answer
phrase, "Gebrselassie"). Pure functions of the texts."""

from __future__ import annotations

import re

from qa_bot.answer.question import CALENDAR, asked_name_of, names
from qa_bot.answer.roles import HONORIFICS

# Words that open a name but are not part of the person's ("Tory MP", "Chancellor")
_TITLES = HONORIFICS | frozenset(
    "tory labour conservative liberal democrat lib dem mp mps chief executive chancellor "
    "minister secretary president prime prince princess king queen coach manager captain "
    "striker midfielder winger defender chairman boss judge director spokesman spokeswoman "
    "shadow home foreign us uk british english scottish welsh irish french german italian "
    "spanish american the".split())
# Words no person's name holds (nor a month or a day: "Sunday Almeria")
_NOT_A_PERSON = CALENDAR | frozenset(
    "airways airlines bank banks group party council cup open league union ltd inc corp "
    "corporation holdings motors club city united fc committee commission agency ministry "
    "office court house parliament government association federation board institute "
    "university college school times post news bbc fund trust company co plc assembly "
    "championship games olympics olympic prize awards award tour marathon grand slam "
    "nations series festival department service services network opec eu un nato".split())
# A surname a title opens ("Mr Smith", "Dr. Kerr")
_TITLED = re.compile(r"\b(?:%s)\.?\s+([A-Z][\w'\u2019-]+)" % "|".join(
    w.capitalize() for w in sorted(HONORIFICS)))
# What a "which / what" question asks for when it asks for a person ("Which Larne runner",
# "What relative of ..."): people by their role, trade, sport or kin.
_PERSON_NOUNS = (
    "player|mp|minister|runner|chiropractor|boss|executive|manager|coach|striker|midfielder|"
    "winger|defender|goalkeeper|keeper|captain|chairman|chairwoman|chief|director|spokesman|"
    "spokeswoman|secretary|leader|president|star|singer|actor|actress|author|writer|"
    "economist|analyst|official|lawyer|judge|man|woman|athlete|sprinter|champion|peer|lord|"
    "politician|candidate|founder|referee|businessman|tycoon|fly-half|scrum-half|full-back|"
    "centre|prop|lock|flanker|hooker|batsman|bowler|boxer|rider|driver|golfer|swimmer|"
    "jockey|trainer|relative|son|daughter|wife|husband|brother|sister|father|mother|head|"
    "owner|investor|banker|governor|mayor|ambassador|chancellor|envoy|negotiator|"
    "campaigner|activist|expert|professor|doctor|surgeon|columnist|journalist|editor|"
    "presenter|broadcaster|rival|opponent|team-mate|teammate|boy|girl|person|officer|"
    "spokesperson")
_PERSON_NOUN_SET = frozenset(_PERSON_NOUNS.split("|"))
_ASKS_PERSON = re.compile(r"^\W*(and\s+)?(who|whom|whose|(which|what)\s+([\w'-]+\s+){0,3}?"
                          rf"({_PERSON_NOUNS})s?)\b", re.I)


def person(name: str, one_word: bool = False) -> str | None:
    """The person a name is, titles dropped, or None when it is not one (module doc)."""
    words = re.sub(r"['\u2019]s\b", "", name).split()
    while words and words[0].lower() in _TITLES:
        words = words[1:]
    if not words or len(words) > 4 or (len(words) < 2 and not one_word):
        return None
    if any(w.lower().strip(".,") in _NOT_A_PERSON or not w[0].isupper() for w in words):
        return None
    return " ".join(words)


def _names_someone(question: str, text: str, titled: bool = False) -> bool:
    """`text` names a person whose last name the question does not hold (with `titled`, a
    name a title opens counts too: "Mr Smith")."""
    asked = question.lower()
    found = [person(n) for n in names(text)]
    if titled:
        found += [m.group(1) for m in _TITLED.finditer(text)]
    return any(p and p.split()[-1].lower() not in asked for p in found)


def lacks_asked_person(question: str, texts: list[str]) -> bool:
    """The question asks for a person's name in so many words (question.asked_name_of is
    one of the person nouns; a baby's or a child's may be a first name alone, so not those)
    and none of `texts` names a person it does not: "What is the name of the man who threw
    the slurry?" is not answered by "He said the man shouted ... in the name of Islam" (a
    name, but no person's)."""
    return asked_name_of(question) in _PERSON_NOUN_SET and \
        not any(_names_someone(question, t, titled=True) for t in texts)


def new_person(question: str, text: str) -> float:
    """For a question that asks for a person (who / whom / whose, or which / what and a
    person's role: "Which Conservative MP ..."): 1 when `text` names a person whose last
    name the question does not hold, -1 when it names none; 0 for other questions. "India's
    defence minister has opened the air show" names nobody who could be India's defence
    minister."""
    if not _ASKS_PERSON.search(question):
        return 0.0
    return 1.0 if _names_someone(question, text) else -1.0
