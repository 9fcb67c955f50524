"""Who "he" and "she" are: the person a follow-up's pronoun stands for, so that the reader
reads "What did Kim Song blame them for?" instead of the follow-up with its context's
names in front of it (what retrieval still searches with: followups.resolve).

The person is the previous turn's. If that turn asked who (who / whose / which), it is
the person its answer named and its question did not (the answer phrase first). Otherwise
it is the first person its question named, and failing that one its quoted sentences
named. A previous turn of the same topic that itself said "he", asked no who and named no
person ("What did he say?") passes the question on to the turn before it: the same "he"
goes on. A person is what qa_bot/answer/people.py says ("Tory MP Jonathan Sayeed" ->
"Jonathan Sayeed"; an answer phrase may be one word, "Gebrselassie").
"It" and "they" are left alone: resolved the same way they mostly picked the wrong
name, a country or an adjective ("What grade does India now give the country?")."""

from __future__ import annotations

import re

from qa_bot.answer.people import person
from qa_bot.answer.names import names
from qa_bot.answer.types import Answer

_PERSONAL = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
_ASKS_WHO = re.compile(r"^\W*(and\s+)?(who|whom|whose|which)\b", re.I)
# After "her", a word that shows it is not a possessive ("told her to", "gave her a")
_NOT_OWNED = frozenset(
    "a an the to in on at for with from about by that and or as out up down off back over "
    "into this".split())


def _named_person(last: Answer | str) -> str | None:
    """The person the previous turn (an Answer, or a bare question) is about."""
    if isinstance(last, str):
        return next(filter(None, map(person, names(last))), None)
    quoted = [c for c in last.citations if c.cited] if last.answered else []
    asked = last.question.lower()
    if _ASKS_WHO.search(last.question):
        for c in quoted:
            if c.highlight:
                phrase = person(c.quote[c.highlight[0] - c.start:c.highlight[1] - c.start],
                                one_word=True)
                if phrase and phrase.lower() not in asked:
                    return phrase
        for n in (n for c in quoted for n in names(c.quote)):
            p = person(n)
            if p and p.split()[-1].lower() not in asked:
                return p
    candidates = names(last.question) + [n for c in quoted for n in names(c.quote)]
    return next(filter(None, map(person, candidates)), None)


def _passes_on(turn: Answer | str) -> bool:
    """A turn that said "he" without asking who and named no person ("What did he say?"):
    its person is the turn before's."""
    asked = turn if isinstance(turn, str) else turn.question
    return bool(_PERSONAL.search(asked)) and not _ASKS_WHO.search(asked) \
        and not any(map(person, names(asked)))


def with_person(question: str, history: list[Answer | str] | None) -> str | None:
    """The question with its "he" / "she" / "his" / "her" replaced by the person the
    previous turn is about ("What job did he hold?" -> "What job did Franklin Raines
    hold?"), or None when it has no such pronoun, names a person itself (the pronoun may
    be that person's) or the turn names no person."""
    if not history or not _PERSONAL.search(question) or any(map(person, names(question))):
        return None  # "Which club in his homeland wants Thomas Hitzlsperger?": his own
    turn = next((t for t in reversed(history) if not _passes_on(t)), history[-1])
    who = _named_person(turn)
    if who is None:
        return None

    def replace(m: re.Match) -> str:
        word = m.group(1).lower()
        if word == "her":
            after = question[m.end():].split()
            owned = bool(after) and after[0][:1].isalpha() and after[0].lower() not in _NOT_OWNED
            return who + "'s" if owned else who
        return who + "'s" if word in ("his", "hers") else who

    return _PERSONAL.sub(replace, question)
