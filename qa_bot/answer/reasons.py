"""Reasons: whether a question asks why and a sentence gives a reason (the final ranking's
`why_reason` cue), a follow-up that asks only why ("Why?", "But why?", "Why the delay?",
"How come?"), and the reason phrase marked in an answer to any why-question.

"Why?" asks the reason for what the previous answer quoted, and news gives a reason next
to the fact it explains ("Masai missed the national trials in early February. [...] She
had an ankle problem.") or in the same sentence ("... out for the season with an ankle
injury"). So the sentences around the quoted ones are read too, and the one right after or
before a quoted sentence gains NEAR_WEIGHT (a quarter of it two sentences away), as does
the quoted sentence itself when it gives a reason (gives_reason).

The reason phrase is what follows a cue of cause ("due to", "after", "in a bid to") to the
end of its clause, or a cause named whole ("with an ankle injury"): always a slice of the
sentence. Pure functions of the texts and of the sentence order of an article."""

from __future__ import annotations

import re

from qa_bot.chunking import Sentence
from qa_bot.index import Generation

_ASKS_WHY = re.compile(r"^\W*((and|but|so)\s+)?(why|how\s+come|what\s+(caused|prompted|led)|"
                       r"for\s+what\s+reasons?|what('s|\s+(is|was|were|are))\s+the\s+reasons?)"
                       r"\b", re.I)
# Cues of cause or purpose that the reason follows ("due to stronger demand from China",
# "after troops opened fire", "in a bid to halt the auction"), and a cause named whole
# ("with an ankle injury", "through suspension"). Not "as" before a clause: as often "as it
# affects" or "as expected" as a cause; nor "as a result" without "of": "As a result he
# misses the final" is the consequence, its reason comes before it.
_CUES = (r"because(?:\s+of)?|due\s+to|as\s+a\s+result\s+of|owing\s+to|thanks\s+to|amid|"
         r"following|after|in\s+order\s+to|so\s+as\s+to|so\s+that|"
         r"in\s+an?\s+(?:[\w-]+\s+)?(?:bid|attempt|effort)\s+to|"
         r"(?:aims?|aimed|aiming|hopes?|hoped|hoping|seeking|seeks?)\s+to|"
         r"to(?=\s+(?:boost|cut|help|avoid|reduce|fund|protect|prevent|save|attract|create|"
         r"stop)\b)")
_NAMED_CAUSE = (r"(?:with|through)\s+((?:an?\s+|his\s+|her\s+|their\s+)?(?:[\w-]+\s+){0,2}?"
                r"(?:injury|illness|knock|strain|virus|infection|suspension|a\s+ban))")
# What gives a reason (the `why_reason` cue of the final ranking): those, a verb of cause
# ("driving breweries to", "prompted", "the problem lies with"), a claim of one ("which
# he says were sold cheaply") or an injury, an illness, an ailment, a ban (why someone
# misses a game: "troubled by a sore hip", "an ankle problem"). "Since" only where it
# opens a clause (", since the firm needed cash"): "has since been forgotten", "struggled
# since the retirement of" tell when; "reason" only as the reason for or behind
# something, not "every reason to believe".
_REASON = re.compile(
    r"\b(?:" + _CUES + "|" + _NAMED_CAUSE + r"|(?:(?<=,\s)|(?<=^))since(?!\s+(?:then|\d))|"
    r"reasons?\s+(?:for|why|is|was|being|behind)|blamed|fears?|concerns?|"
    r"injur(?:y|ies|ed)|illness|sickness|virus|infection|suspended|sore|"
    r"(?:troubled|hampered|plagued)\s+by|(?:hip|knee|back|ankle|groin|hamstring|calf|thigh|"
    r"shoulder|neck|foot|elbow|wrist|heel|achilles)\s+(?:problems?|trouble|complaint)|"
    r"(?:broken|fractured?)\s+"
    r"(?:\w+\s+)?(?:arm|leg|ankle|wrist|foot|hand|nose|jaw|bone|thumb|finger|toe|rib|hip)s?|"
    r"driv(?:ing|en)|leading\s+to|(?:has|have|had)\s+(?:hit|hurt|dented|dampened|boosted|"
    r"fuelled|lifted|helped)|forc(?:ing|ed)|prompt(?:ed|ing)|meaning|caused|"
    r"(?:problem|trouble|cause)\s+(?:lies|is|was)|so\s+(?:the|it|he|she|they|we)|"
    r"which\s+(?:he|she|they)\s+says?|for\s+(?:not\s+)?(?:failing|refusing|breaking|breaching|"
    r"missing|taking|using|testing|being|having|making|allegedly|his\s+part|her\s+part))\b",
    re.I)


def why_opening(question: str) -> int | None:
    """Where the opening that asks for a reason ends ("Why", "But how come", "What was the
    reason"), None when the question does not open so."""
    found = _ASKS_WHY.search(question)
    return found.end() if found else None


def asks_why(question: str) -> bool:
    """The question asks for a reason ("Why ...?", "How come?", "What caused ...?")."""
    return why_opening(question) is not None


def gives_reason(text: str) -> bool:
    """The sentence gives a reason or a purpose (_REASON)."""
    return bool(_REASON.search(text))


# "Why?", "But why?", "Why so?", "Why is that?", "Why the delay?", "How come?", "What was
# the reason?", "Why did he do that?": it opens by asking why (why_opening), and
# what follows is only words that lean back (_LEANING) and at most one noun after "the"
# ("the delay"); "Why do cats purr?" asks afresh.
_LEANING = frozenset(
    "did do does is was were are has have had be that it this these those he she they him "
    "her them his its their so not then there happen happened done decide decided want "
    "wanted for".split())
MAX_WORDS = 6
# How far from the quoted sentence, in sentences of its article, a reason is looked for.
NEAR = 2
# The bonus on the final score (ranking.read_candidates) of the sentence next to the quoted
# one, a quarter of it two sentences away. On the 56 why-dialogues of the tuning half
# (reason-extra.jsonl, bare-extra.jsonl's, one of the first batch) 13 were answered right
# without the rule, 17 with NEAR_WEIGHT 1, 18 with 2, 3 or 4, a half or a quarter two away.
NEAR_WEIGHT = 2.0


def asks_only_why(question: str, bare: bool = False) -> bool:
    """A short question that asks why and nothing more ("Why?", "Why the delay?"); `bare`:
    without even a noun of its own ("Why?", "How come?", "Why did he do that?"), so that
    without an answer before it there is nothing to search for."""
    opened = why_opening(question)
    if opened is None or len(question.split()) > MAX_WORDS:
        return False
    rest = re.findall(r"[a-z']+", question[opened:].lower())
    if "the" in rest and not bare:  # "the delay": one noun after "the"
        at = rest.index("the")
        rest = rest[:at] + rest[at + 2:]
    return all(word in _LEANING for word in rest)


def sentence_distances(gen: Generation, quoted: tuple[tuple[str, int], ...]
                       ) -> dict[tuple[str, int], int]:
    """(doc id, sentence start) -> how many sentences of its article lie between it and the
    nearest quoted sentence (0: quoted), for the sentences at most NEAR away."""
    out: dict[tuple[str, int], int] = {}
    for doc in dict.fromkeys(d for d, _ in quoted):
        starts = sorted({s.start for r in gen.rows_of(doc) for s in gen.chunks[r].sentences})
        where = {start: i for i, start in enumerate(starts)}
        for d, q in quoted:
            if d != doc or q not in where:
                continue
            for i in range(max(where[q] - NEAR, 0), min(where[q] + NEAR + 1, len(starts))):
                key = (doc, starts[i])
                out[key] = min(out.get(key, NEAR + 1), abs(i - where[q]))
    return out


def reason_after(gen: Generation, doc: str, start: int) -> tuple[int, Sentence] | None:
    """(chunk row, sentence) of the first of the NEAR sentences after the one at `start` in
    article `doc` that gives a reason (gives_reason); None when none does. A story states
    what happened, then why: "Axa Sun Life has lowered bonus payouts. [...] Axa blamed a
    poor stock market performance for the cut." """
    after: dict[int, tuple[int, Sentence]] = {}
    for row in gen.rows_of(doc):
        for s in gen.chunks[row].sentences:
            if s.start > start:
                after.setdefault(s.start, (row, s))
    for row, s in [after[k] for k in sorted(after)][:NEAR]:
        if gives_reason(gen.chunks[row].slice(s.start, s.end)):
            return row, s
    return None


def reason_bonus(distance: int | None, text: str) -> float:
    """What a sentence `distance` sentences from the quoted one gains as the answer to
    "Why?": NEAR_WEIGHT next to it, a quarter of it two away; the quoted sentence itself gains
    NEAR_WEIGHT only when it gives a reason."""
    if distance is None:
        return 0.0
    if distance == 0:
        return NEAR_WEIGHT if gives_reason(text) else 0.0
    return NEAR_WEIGHT / distance ** 2


# What follows a cue is the reason, up to the end of its clause; a cause named whole is one.
_CAUSE = re.compile(r"\b(?:" + _CUES + r")\s+", re.I)
_CAUSE_WHOLE = re.compile(r"\b" + _NAMED_CAUSE + r"\b", re.I)
_CLAUSE_END = re.compile(r"[;:!?()\"\u201c\u201d]|,(?=\s)|(?<![A-Z])\.(?=\s|$)|\s[-\u2013\u2014]\s|"
                         r"\s(?:but|while|and\s+(?:said|says|added))\s")
MAX_REASON_WORDS = 12
# A cause blamed: "Axa blamed a poor stock market performance for the cut" (what lies
# between "blamed" and "for", within the clause).
_BLAMED = re.compile(r"\bblam(?:ed|es|ing)\s+((?:[^\s,;:]+\s+){0,%d}?[^\s,;:]+)\s+for\b"
                     % (MAX_REASON_WORDS - 1), re.I)


def reason_phrase(text: str) -> tuple[int, int] | None:
    """(start, end) in `text` of the reason it gives: what follows its first cue of cause
    to the end of that clause (at most MAX_REASON_WORDS words), a cause named whole
    ("an ankle injury") or a cause blamed ("blamed weak demand for"); None when it gives
    none this way."""
    blamed = _BLAMED.search(text)
    if blamed and not _CAUSE.search(text, 0, blamed.start()):
        return blamed.start(1), blamed.end(1)
    whole = _CAUSE_WHOLE.search(text)
    cue = _CAUSE.search(text)
    if whole and (not cue or whole.start() < cue.start()):
        return whole.start(1), whole.end(1)
    if not cue:
        return None
    end = _CLAUSE_END.search(text, cue.end())
    stop = end.start() if end else len(text.rstrip())
    words = list(re.finditer(r"\S+", text[cue.end():stop]))
    if not words:
        return None
    last = words[min(len(words), MAX_REASON_WORDS) - 1]
    return cue.end(), cue.end() + last.end()


def why_of_quote(question: str, quote: str) -> str:
    """What the reader reads for "Why?" (asks_only_why) after an answer that quoted
    `quote`: "Why <quote>?", the question a reason for that statement answers (SQuAD's
    shape, which the reader was trained on), rather than the earlier question's names.
    On the tuning dialogues 1 more second turn right (138 -> 139 of 206 in the second
    batch), nothing else moved. "" for any other question, or with no quote."""
    if not quote or not asks_only_why(question):
        return ""
    return f"Why {quote.strip().rstrip('.')}?"
