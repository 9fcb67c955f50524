"""A follow-up that asks only why ("Why?", "But why?", "Why the delay?", "How come?"): it
asks the reason for what the previous answer quoted, and news gives a reason next to the
fact it explains ("Masai missed the national trials in early February. [...] She had an
ankle problem.") or in the same sentence ("... out for the season with an ankle injury").

So the sentences around the quoted ones are read too, and the one right after or before a
quoted sentence gains NEAR_WEIGHT (a quarter of it two sentences away), as does the quoted
sentence itself when it gives a reason (question.gives_reason). Pure functions
of the texts and of the sentence order of the previous answer's article."""

from __future__ import annotations

import re

from qa_bot.answer.question import gives_reason
from qa_bot.index import Generation

# "Why?", "But why?", "Why so?", "Why is that?", "Why the delay?", "How come?", "What was
# the reason?", "Why did he do that?": it opens by asking why, and what follows is only
# words that lean back (_LEANING) and at most one noun after "the" ("the delay"); "Why do
# cats purr?" asks afresh.
_WHY = re.compile(r"^\W*(?:(?:and|but|so)\s+)?(?:why|how\s+come|for\s+what\s+reasons?|"
                  r"what(?:'s|\s+(?:is|was|were|are))\s+the\s+reasons?|"
                  r"what\s+(?:caused|prompted))\b", re.I)
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


def asks_only_why(question: str) -> bool:
    """A short question that asks why and nothing more ("Why?", "Why the delay?")."""
    opened = _WHY.search(question)
    if not opened or len(question.split()) > MAX_WORDS:
        return False
    rest = re.findall(r"[a-z']+", question[opened.end():].lower())
    if "the" in rest:  # "the delay": one noun after "the"
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


def reason_bonus(distance: int | None, text: str) -> float:
    """What a sentence `distance` sentences from the quoted one gains as the answer to
    "Why?": NEAR_WEIGHT next to it, a quarter of it two away; the quoted sentence itself gains
    NEAR_WEIGHT only when it gives a reason."""
    if distance is None:
        return 0.0
    if distance == 0:
        return NEAR_WEIGHT if gives_reason(text) else 0.0
    return NEAR_WEIGHT / distance ** 2
