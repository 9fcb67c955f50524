"""Who a name is: a person ("Tory MP Jonathan Sayeed" -> "Jonathan Sayeed") or not
("British Airways", "Sunday Almeria"), and whether a question asks for a person ("Who
runs BA?", "Which Conservative MP ...?", "What is the name of the man who ...?") and a
sentence names one it does not.

A person is a name of two to four capitalised words, titles and party labels dropped,
with no word of an organisation, an event or a date (one word when `one_word`: an answer
phrase, "Gebrselassie"). Pure functions of the texts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.answer.names import CALENDAR, initials_of, names
from qa_bot.answer.question import asked_name_of
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


# "Who is Stuart Rose?", "who was Keith Edelman", "And who's Rod Eddington?", "How old is
# Justin Gatlin?": a question that asks who a person it names is, or their age, and
# nothing more (group 1: "who", else an age).
_ABOUT_PERSON = re.compile(r"^\W*(?:and\s+)?(?:(who)(?:\s+(?:is|was)|['\u2019]s)|how\s+old\s+"
                           r"(?:is|was)|what\s+age\s+(?:is|was))\s+(.+?)[\s?.!]*$", re.I)


@dataclass(frozen=True)
class AskedWho:
    """The person a "Who is Stuart Rose?" (`who`) or "How old is Justin Gatlin?" question
    asks about. A sentence names them when it holds their whole name, or their last name
    as a whole word ("Rose", not "rose", "Aynsley-Rose") in an article that holds the whole
    name."""
    name: str
    who: bool = True

    def _word(self, word: str) -> re.Pattern:
        return re.compile(r"(?<![\w'\u2019-])%s(?![\w-])" % re.escape(word))

    def in_full(self, text: str) -> bool:
        return bool(self._word(self.name).search(text))

    def named(self, text: str, article_names_them: bool = True) -> bool:
        """`text` names the person (`article_names_them`: its article holds the whole
        name)."""
        return self.in_full(text) or (
            article_names_them and bool(self._word(self.name.split()[-1]).search(text)))

    def description(self, text: str) -> tuple[int, int] | None:
        """(start, end) in `text` of what it says the person is: the words after their
        name between commas ("Rod Eddington, BA's chief executive, said"; "Ros Coward,
        who wrote ...,") or the role before it ("Deutsche Bank economist Cary Leahy");
        None when it says neither way."""
        for name in (self.name, self.name.split()[-1]):
            found = self._word(name).search(text)
            if found:
                break
        else:
            return None
        head = text[:found.start()]
        enclosed = _ENCLOSED.search(head)  # "The club's managing director, Keith Edelman,"
        if enclosed and text[found.end():found.end() + 1] == ",":
            return enclosed.start(1), enclosed.end(1)
        after = _APPOSITION.match(text, found.end())
        if after and after.group(1).split()[0].lower() not in _NOT_APPOSITION:
            return after.start(1), after.end(1)
        before = _ROLE_BEFORE.search(head)
        if before and before.group(2).lower() in _PERSON_NOUN_SET and not any(
                w in _FUNCTION_WORDS for w in before.group(1).split()):
            return before.start(1), before.end(1)
        return None


# What follows a name between commas, at most 12 words ("Rod Eddington, BA's chief
# executive, said"), unless it is a verb or a conjunction ("Rose, said the firm")...
_APPOSITION = re.compile(r",\s+((?:[^\s,;:()\"]+\s+){0,11}[^\s,;:()\".]+)(?=\s*[,;:)]|\.?$|\.\s)")
_NOT_APPOSITION = frozenset("said says told added and but or who's he she".split())
# ... or, when the name itself stands between commas, the words before it ("The club's
# managing director, Keith Edelman, said"), from the sentence's start or a clause's
_ENCLOSED = re.compile(r"(?:^|[,;:\"]\s*)((?:[^\s,;:\"]+\s+){0,7}[^\s,;:\"]+),\s+$")
_FUNCTION_WORDS = frozenset("of the a an in on at to for by with from and or after".split())
# ... and the words before a name that end with a person's role ("Deutsche Bank economist
# Cary Leahy", "Wales hooker Mefin Davies")
_ROLE_BEFORE = re.compile(r"((?:[A-Z][\w&'\u2019.-]*\s+){0,4}(?:[a-z][\w-]*\s+){0,2}"
                          r"([a-z][\w-]*))\s+$")


def who_is(question: str) -> AskedWho | None:
    """The person a question asks about when it asks who they are or their age and nothing
    more ("Who is Stuart Rose?", "How old is Justin Gatlin?"); None for any other question
    ("Who is the chancellor?")."""
    found = _ABOUT_PERSON.match(question)
    who = person(found.group(2)) if found else None
    return AskedWho(who, bool(found.group(1))) if who else None


def initials(question: str) -> list[str]:
    """The initials (names.initials_of) of the question's names of two to four words that
    are no person's ("British Airways" -> "BA"; not "Gordon Brown"): news names a firm or
    a body in full once and by its initials after, so they are searched for too."""
    out = []
    for n in names(question):
        found = initials_of(n)
        if 2 <= len(found) <= 4 and person(n) is None and found.isupper():
            out.append(found)
    return out


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


def lacks_person_asked_about(question: str, texts: list[str]) -> bool:
    """The question asks who a named person is (who_is) and none of `texts` names them
    (their last name at least)."""
    asked = who_is(question)
    return asked is not None and not any(asked.named(t) for t in texts)


def new_person(question: str, text: str) -> float:
    """For a question that asks for a person (who / whom / whose, or which / what and a
    person's role: "Which Conservative MP ..."): 1 when `text` names a person whose last
    name the question does not hold, -1 when it names none; 0 for other questions. "India's
    defence minister has opened the air show" names nobody who could be India's defence
    minister."""
    if not _ASKS_PERSON.search(question):
        return 0.0
    return 1.0 if _names_someone(question, text) else -1.0
