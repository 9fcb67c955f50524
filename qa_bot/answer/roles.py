"""The role a question asks about ("Who is the education secretary?" -> "education
secretary"), the sentences that name its holder next to it ("Education Secretary Ruth
Kelly"), and those that name it only with a qualifier the question does not use ("the
shadow education secretary", "Former Education Secretary ...", "ex-chancellor"): such a
sentence is about someone else, however many words it shares with the question. So is
one that names a firm's, club's or country's role only as another's ("Who is the chief
executive of Southcorp?" -> "Foster's chief executive": `held_by_another`).

Invariant: `role_holder` is 0 unless the question is "Who is the <role>?" (an "of" / "in"
phrase may follow) and names nothing."""

from __future__ import annotations

import re

from qa_bot.answer.facts.table import DEMONYMS
from qa_bot.answer.names import question_name_spans

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


# A role as a sentence names it, longest first ("chief executive officer" before "chief")
_ROLE_NOUN = re.compile(
    r"\b(?:chief\s+executive(?:\s+officer)?|chief\s+exec\w*|ceo|managing\s+director|"
    r"chair(?:man|woman)?|boss|director|chief|head|president|premier|minister|secretary|"
    r"coach|manager|captain|skipper|spokes(?:man|woman|person)|judge|referee|ambassador|"
    r"envoy|governor|mayor|editor|agent|king|queen|monarch|emperor)\b", re.I)
# Whose a role is: the capitalised words right before it ("WMC chief executive", "Foster's
# chief executive"), or after "of" / "at" ("Governor of the Reserve Bank")
_BEFORE = re.compile(r"((?:[A-Z][\w&.'\u2019-]*\s+(?:&\s+)?){1,5})$")
_AFTER = re.compile(r"\s+(?:of|at)\s+(?:the\s+)?((?:[A-Z][\w&.'\u2019-]*\s*){1,5})")
# Capitalised words that open a sentence or name the role itself, not whose it is
_NOT_WHOSE = frozenset(
    "a an the his her their its our my your but and so yet then meanwhile however also "
    "prime chief executive deputy vice acting former interim foreign home shadow".split())
# A nationality says whose a role is in other letters ("the Spanish president" for Spain's)
_DEMONYM = re.compile(rf"(?:{DEMONYMS})", re.I)
# Roles named by a portfolio ("Education Secretary"): the word before is not whose it is
_PORTFOLIO = re.compile(r"minister|secretary|premier", re.I)


def _whose(text: str, mention: re.Match) -> list[str]:
    """The words naming whose the mentioned role is, lower case ([] when none is said)."""
    after = _AFTER.match(text, mention.end())
    run = after.group(1) if after else ""
    if not run and not _PORTFOLIO.fullmatch(mention.group()):
        before = _BEFORE.search(text[:mention.start()])
        run = before.group(1) if before else ""
    words = [_POSSESSIVE.sub("", w.lower()) for w in _WORD.findall(run)]
    while words and words[0] in _NOT_WHOSE:
        words = words[1:]
    return [w for w in words if w not in _NOT_WHOSE and not _DEMONYM.fullmatch(w)]


def held_by_another(question: str, texts: list[str], says: list[re.Pattern]) -> bool:
    """Whether `texts` name the role a question asks the holder of ("Who is the chief
    executive of Southcorp?": `says` are the patterns of the asked roles' words) only as
    someone else's: every mention is another's ("Foster's chief executive", "Madrid
    president", "chief executive of WMC") or a lesser one (QUALIFIERS: "deputy chief
    executive"). False when the question names nothing (role_holder decides then), when
    no mention is found, or when any mention is the named one's or says nobody's ("chief
    executive Willie Walsh": it may be theirs), or when `texts` never name what the
    question names (a committee is named in many ways: "the Westminster committee" is
    "the Commons committee"). A word of the question's names counts as theirs when its
    first five letters match ("Bulgarian" for "Bulgaria"); a nationality ("Spanish")
    says nobody's."""
    spans = question_name_spans(question)
    if not spans:
        return False
    named = {w.lower()[:5] for a, b in spans for w in _WORD.findall(question[a:b])}
    said = {w.lower()[:5] for t in texts for w in _WORD.findall(t)}
    mentions = [(t, m) for t in texts for m in _ROLE_NOUN.finditer(t)
                if any(p.search(m.group()) for p in says)]
    if not mentions or not named & said:
        return False
    for text, m in mentions:
        before = _WORD.findall(text[:m.start()])[-1:]
        if before and before[0].lower().strip("-") in QUALIFIERS:
            continue  # "deputy chairman": not the chairman
        whose = _whose(text, m)
        if not whose or any(w[:5] in named for w in whose):
            return False
    return True


# "Who is India's defence minister?" asks for one portfolio's holder: "Finance Minister
# Palaniappan Chidambaram" holds another. The portfolio is the lower-case word before
# "minister" / "secretary" in the question ("defence", "foreign", "prime"); not a rank, a
# determiner or a nationality ("junior minister", "the minister", "French minister"); a
# capitalised word is as often a nationality our list lacks ("Freedonian minister").
_PORTFOLIO = re.compile(r"\b([a-z][a-z-]*)\s+(?:minister|secretary)\b")
_NOT_PORTFOLIO = QUALIFIERS | frozenset(
    "the a an his her their its our this that cabinet government senior new current "
    "which what whose".split())
_NATIONALITY = re.compile(r"(?i)^(?:" + DEMONYMS + r")$")


def other_portfolio(question: str, texts: list[str]) -> bool:
    """The question asks who holds a minister's or secretary's portfolio ("Who is India's
    defence minister?") and none of `texts` names that portfolio's word ("Finance
    Minister Palaniappan Chidambaram" is another's; a prime minister may be a "premier").
    False when it names none."""
    found = _PORTFOLIO.search(question)
    word = found.group(1) if found else ""
    if not word or word in _NOT_PORTFOLIO or _NATIONALITY.match(word):
        return False
    said = r"\b(?:prime|premier)" if word == "prime" else r"\b" + re.escape(word[:6])
    return not any(re.search(said, t, re.I) for t in texts)
