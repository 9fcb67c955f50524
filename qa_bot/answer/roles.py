"""The role a question asks about ("Who is the education secretary?" -> "education
secretary"), the sentences that name its holder next to it ("Education Secretary Ruth
Kelly"), and those that name it only with a qualifier the question does not use ("the
shadow education secretary", "Former Education Secretary ...", "ex-chancellor"): such a
sentence is about someone else, however many words it shares with the question.

Invariant: `role_holder` is 0 unless the question is "Who is the <role>?" (an "of" / "in"
phrase may follow) and names nothing."""

from __future__ import annotations

import re

from qa_bot.answer.question import question_name_spans

# Words that make a role someone else's: another time (former, outgoing), another rank
# (deputy, junior) or the other side (shadow).
QUALIFIERS = frozenset(
    "shadow former ex deputy assistant junior acting vice interim outgoing previous late "
    "future prospective would-be caretaker honorary then".split())
# A title starts a name even when the question says it ("Lord Chancellor Lord Falconer").
HONORIFICS = frozenset("mr mrs ms miss dr sir lord lady baroness baron dame professor".split())
# "Who is the education secretary?": the role is what follows "who is / was the", up to
# the end or an "of" / "in" phrase. Only a question that names nothing: in "Who is the
# president of Tunisia?" a name by the role may be another country's president.
_ROLE = re.compile(r"^\W*(?:and\s+)?who\s+(?:is|was|'s|\u2019s)\s+the\s+"
                   r"((?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*)\s*(?:\?|$|\b(?:of|in|at|for)\b)",
                   re.I)
_WORD = re.compile(r"[\w'\u2019-]+")
_TOKEN = re.compile(r"[\w'\u2019.-]*\w|,")
_POSSESSIVE = re.compile(r"['\u2019]s$")


def asked_role(question: str) -> list[str]:
    """The lower-case words of the role a question that names nothing asks the holder of
    ("Who is the foreign secretary?" -> ["foreign", "secretary"]), [] when there is none."""
    found = _ROLE.search(question)
    if not found or question_name_spans(question):
        return []
    return found.group(1).lower().split()


def role_holder(question: str, text: str) -> float:
    """Whether `text` names who holds the role the question asks about: 1 when the role,
    unqualified, stands next to a name the question does not hold ("Education Secretary
    Ruth Kelly", "Ruth Kelly, the education secretary"), -1 when every mention of the role
    carries a qualifier the question does not use (QUALIFIERS: "the shadow education
    secretary", "ex-chancellor"), else 0 (no role asked, none named, or no name by it)."""
    role = asked_role(question)
    if not role:
        return 0.0
    asked = {w.lower() for w in _WORD.findall(question)}
    tokens = _TOKEN.findall(text)
    words = [_POSSESSIVE.sub("", t.lower()) for t in tokens]
    n, seen, qualified, held = len(role), 0, 0, False
    for i in range(len(words) - n + 1):
        first = words[i]
        prefixed = first.startswith("ex-") and first[3:] == role[0]
        if words[i + 1:i + n] != role[1:] or (first != role[0] and not prefixed):
            continue
        seen += 1
        before = set(words[max(0, i - 2):i]) | ({"ex"} if prefixed else set())
        if (before & QUALIFIERS) - asked:
            qualified += 1
            continue
        after = [t for t in tokens[i + n:i + n + 2] if t != ","][:1]
        prior = [t for t in tokens[max(0, i - 3):i] if t not in (",", "the", "The")][-1:]
        held = held or any(t[0].isupper() and (t.lower() in HONORIFICS or t.lower() not in asked)
                           and t.lower() not in QUALIFIERS for t in after + prior)
    if seen and qualified == seen:
        return -1.0
    return 1.0 if held else 0.0
