"""The facts people look up, as pairs of patterns: how a question asks for the fact, and
the usual ways a sentence states it (qa_bot/answer/relations.py decides with them).

About a person: where and when they were born or died, their spouse, children, parents,
school, salary, fortune, nickname, retirement, the position they play. About a firm or
club: who founded, runs, chairs or owns it, where it is headquartered, its sales,
profit, dividend and staff. About a country: its population, capital, largest city,
area, currency, language, religion, GDP, government, main export, head of state or
monarch, official name, national symbols, rivers, mountains, borders and continent,
when it became independent. Who holds a role (minister, coach, spokesman...), who
designed a building, a crowd, a constituency, a race time.

Invariant: a question pattern matches only a question that asks for the fact, not one
that merely mentions it; every sentence pattern was checked on the answer sentences of
SQuAD's training questions (91% of the 2,802 that ask for one of these facts state it in
those words; a fact stated without its word too often, as "Who wrote X?" or "Where is X
based?", is left out)."""

from __future__ import annotations

import re

from qa_bot.answer.facts.families import FAMILIES, ROLE_FACTS
from qa_bot.answer.facts.table import FACTS

RELATIONS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    name: (re.compile(asks), re.compile(says, re.I))
    for name, (asks, says) in {**FACTS, **FAMILIES}.items()}

__all__ = ["RELATIONS", "ROLE_FACTS"]
