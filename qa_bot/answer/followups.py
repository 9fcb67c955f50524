"""Follow-up questions ("What did he say?", "the company", "Why?"): what an earlier turn
lends to the next one.

A follow-up is searched with the names of the earlier questions *and* of the sentences the
earlier answers quoted (so "he" can be the person an answer named, not only one a question
named), and it stays in the article of the previous answer unless another article clearly
answers better (the answer scorer weighs `articles`). A question that stands alone is
left untouched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.answer.coreference import with_person
from qa_bot.answer.names import CALENDAR, names, question_name_spans
from qa_bot.answer.reasons import asks_only_why, why_of_quote
from qa_bot.answer.types import Answer

_ANAPHORA = re.compile(
    # a pronoun, but not the one a reporting verb of the question introduces ("Which
    # minister said he ..."), nor "that" as a conjunction ("warned that ...")
    r"(?<!said )(?<!says )(?<!warned )(?<!claimed )(?<!admitted )(?<!insisted )"
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|these|those|then|"
    r"the same|also|else)\b|"
    # "there", but not the existential one ("How many teaspoons are there in ...?", "said
    # there was")
    r"(?<!said )(?<!says )(?<!warned )(?<!claimed )(?<!admitted )(?<!insisted )"
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )\bthere\b|"
    r"\b(in|at|on|of|for|from|to|about|by|with|after|before|since|during)\s+that\b|"
    r"\bthat\s*\?\s*$|"
    # a description, but not one the question goes on to pin down ("the coach of ...")
    r"\bthe (company|firm|group|bank|club|team|side|party|minister|player|coach|manager|"
    r"country|deal|plan|bill|report|star|champion|chief executive|chief(?! executive)|"
    r"airline|carmaker|lender|retailer|brand|cartel|regulator|agency|union|chairman|boss|"
    r"president|band|singer|film|album|car|ban)\b"
    r"(?!\s+(of|on|for|in|at|who|whom|whose|that|which|from|with)\b)",
    re.I)
# "And how much?", "But why?", "What about Britain?": a question that opens by joining on.
_JOINS_ON = re.compile(r"^\W*(and|but|so|plus|then|what about|how about)\b", re.I)
MAX_NAMES = 8
# A question of at most this many words that names nothing leans on the turn before ("Up
# by how much?", "Who was the referee?"). Tuning, 3 / 5 words: follow-ups 59.2 / 60.0%
# right; off-topic questions asked in one conversation 92.5 / 90.6% declined (more short
# ones are taken for follow-ups; confidence.strays_off_topic declines most again).
SHORT_WORDS = 5
# A longer question that names nothing leans on the turn before through a definite
# description ("the production unit", "the winger"); "How many players are on a water polo
# team?" asks afresh. Implicit follow-ups of the tuning half (implicit-extra.jsonl, 45):
# as asked alone, 20 right; both ways, up to 12 words, 31.
LONGER_WORDS = 12
_DEFINITE = re.compile(r"\bthe\b", re.I)


# A question a reader could ask with nothing before it opens with a wh-word and a verb
# ("Who is the chancellor?", "When does the ban start?", "Who chairs the committee?"), or
# is a wh-question of four words or more with its verb last; a fragment ("Starting
# when?", "Up by how much?", "Why?", "What about Brent?") cannot stand alone. The wh-word
# may follow a preposition ("Over what distance will the athlete race?", "Against which
# opponents was he sent off?"; not "By how much?"): tuning follow-ups 65.9 -> 67.1% right
# with it (3 implicit ones more, 1 less), every other figure as before.
_WHOLE_QUESTION = re.compile(
    r"^\W*(?:(?:to|over|against|by|in|at|for|from|on|with|under|of|during|since|until|after|"
    r"before|into|through|between|among|towards?)\s+)?"
    r"(?:(?:who|whom|whose|what|when|where|which|why|how(?:\s+(?:many|much|long|old|far|"
    r"big))?)(?:(?:\s+\w+)?\s+(?:is|was|are|were|do|does|did|has|have|had|will|would|can|"
    r"could|should)\b"
    # or in the order "Can you tell me ..." leaves: "how much oil prices rose"
    r"|(?:\s+[\w'-]+){3,}\W*$)|who\s+\w+s\b)", re.I)


def may_stand_alone(question: str) -> bool:
    """A short nameless question that is a whole question (_WHOLE_QUESTION): worth asking
    alone as well as a follow-up (qa_bot/answer/alone.py)."""
    return bool(_WHOLE_QUESTION.search(question))


# A second question joined on ("What causes hiccups, and how can I stop them?"): its
# pronouns may lean on the first.
_SECOND_CLAUSE = re.compile(r"(,\s*|\s)(and|but|or)\s+(how|why|what|when|where|who|which|"
                            r"whom|whose|is|are|was|were|can|could|do|does|did|will|would|"
                            r"should)\b", re.I)


def _is_fragment(question: str) -> bool:
    """At most SHORT_WORDS words and not a whole question ("Why?", "Over how long?", "What
    about Brent?", "And in Scotland?"): its verb is the turn before's."""
    return len(question.split()) <= SHORT_WORDS and not may_stand_alone(question)


def _leans_back(question: str) -> bool:
    """A pronoun or "the company" that neither a name of the question nor a question
    joined on comes before: "its" in "When did Vestey buy its farms?" is Vestey's, "them"
    in "What causes hiccups, and how can I stop them?" the hiccups, "he" in "What did he
    tell Blair?" someone named before."""
    first_name = min((a for a, _ in question_name_spans(question)), default=len(question))
    joined = _SECOND_CLAUSE.search(question)
    before = min(first_name, joined.start() if joined else len(question))
    return any(m.start() < before for m in _ANAPHORA.finditer(question))


def asked_about(question: str) -> list[str]:
    """The names a fragment that joins on asks about, when it asks nothing else ("What
    about Japan?", "And in Scotland?" -> ["Japan"], ["Scotland"]; "And what did Blair
    say?" -> []): the sentence that answers it names them."""
    joined = _JOINS_ON.search(question)
    if not joined:
        return []
    rest = question[joined.end():]
    found = names(rest)
    for n in found:
        rest = rest.replace(n, " ")
    return found if len(re.findall(r"\w+", rest)) <= 2 else []


def _says_it_follows(question: str) -> bool:
    """A pronoun or "the company" (_leans_back), or an opening "And" / "But" / "What
    about": the question says it leans on the turn before."""
    return _leans_back(question) or bool(_JOINS_ON.search(question))


def _topic_names(question: str) -> list[str]:
    """The names of the question that are no month or day (question_name_spans, CALENDAR:
    "By how much did January sales rise?", "What happened on Thursday?" name nothing)."""
    spans = [question[a:b] for a, b in question_name_spans(question)]
    return [n for n in spans
            if any(w.lower() not in CALENDAR for w in re.findall(r"[A-Za-z]{2,}", n))]


def _names_a_topic(question: str) -> bool:
    """The question names something other than a month or a day (_topic_names)."""
    return bool(_topic_names(question))


def _short_and_nameless(question: str) -> bool:
    """At most SHORT_WORDS words and no name: "Why?", "Who was the referee?", "Starting
    when?" ("Who wrote Hamlet?" names what it asks about)."""
    return len(question.split()) <= SHORT_WORDS and not _names_a_topic(question)


def _longer_and_nameless(question: str) -> bool:
    """A whole question of more than SHORT_WORDS words, at most LONGER_WORDS, that names
    nothing but something definite ("How much was paid for the production unit?", "What
    injury has kept the winger out?"): it may lean on the turn before, or stand alone, so it
    is asked both ways (FollowUp.also_alone)."""
    return (len(question.split()) <= LONGER_WORDS and not _names_a_topic(question)
            and bool(_DEFINITE.search(question)) and may_stand_alone(question))


def _names_what_it_read(question: str, last: Answer) -> bool:
    """Every name the question holds (months and days aside) is in the passages the
    previous answer quoted: "What does the English FA think?" after an answer from a story
    that reports what the English FA thinks may lean on it, or ask afresh."""
    named = _topic_names(question)
    read = " ".join(c.passage for c in last.citations if c.cited)
    return bool(named) and all(n in read for n in named)


def is_follow_up(question: str) -> bool:
    """A question that leans on the turn before: it says so (_says_it_follows), or it is
    short and names nothing (_short_and_nameless)."""
    return _says_it_follows(question) or _short_and_nameless(question)


@dataclass(frozen=True)
class FollowUp:
    """How to search and read one question of a conversation."""

    query: str  # what retrieval searches with (and the reader reads, unless reader_query)
    articles: tuple[str, ...] = ()  # doc ids the previous answer came from
    quoted: tuple[tuple[str, int], ...] = ()  # (doc id, start) of its quoted sentences
    # a follow-up only for being short and naming nothing ("What is photosynthesis?"): it
    # may as well start another topic (confidence.strays_off_topic)
    may_stray: bool = False
    # it may as well stand alone, so the engine asks it alone too (answer/alone.py): a
    # whole short question that names nothing ("Who is the chancellor?"), one whose
    # pronoun comes before a name of its own ("In his New Year message, which prison did
    # Charles Kennedy name?": "his" may be Kennedy's), or one that names only what the
    # previous answer's passages name ("What does the English FA think?": tuning, 1 more
    # follow-up right of 245 fresh, in one conversation and in lower case; no other
    # figure moved)
    also_alone: bool = False
    # what the reader reads when it is not `query`: "Why <the quoted sentence>?" for
    # "Why?" (reasons.why_of_quote), or the question with "he" / "she" replaced by the
    # person the previous turn is about (coreference.with_person)
    reader_query: str = ""


def resolve(question: str, history: list | None, turns: int) -> FollowUp:
    """`history`: the earlier turns, oldest first, each an Answer (or a bare question).
    A follow-up is prefixed by the names of the turns of its topic (the previous answer's
    quoted sentences first), or by their questions whole when they name nothing; a
    fragment ("Why?", "What about Brent?") by the question before it too. The topic
    is the last question that stood alone and the follow-ups since, at most `turns` turns:
    what a chat asked before that is another topic. A question that is a follow-up only
    for being short and naming nothing stands alone after a declined turn: that turn gave
    it nothing to lean on ("Who is the chancellor?" after "What is the boiling point of
    water?" is not about water). A question whose names are all in the passages the
    previous answer quoted is asked both as a follow-up and alone (_names_what_it_read)."""
    if not history or turns <= 0:
        return FollowUp(question)
    says_it = _says_it_follows(question)
    named_before = False
    if not says_it:  # a follow-up, if at all, for being nameless or naming what it read
        last = history[-1]
        if not isinstance(last, str) and not last.answered:
            return FollowUp(question)
        nameless = _short_and_nameless(question) or _longer_and_nameless(question)
        named_before = not nameless and not isinstance(last, str) \
            and _names_what_it_read(question, last)
        if not nameless and not named_before:
            return FollowUp(question)
    found: list[str] = []
    why_of = ""
    earlier_questions: list[str] = []
    articles: tuple[str, ...] = ()
    said: tuple[tuple[str, int], ...] = ()
    topic: list = []  # the turns of its topic, oldest first
    for i, turn in enumerate(reversed(history[-turns:])):
        q = turn if isinstance(turn, str) else turn.question
        earlier_questions.insert(0, q)
        topic.insert(0, turn)
        quoted = [] if isinstance(turn, str) or not turn.answered else \
            [c for c in turn.citations if c.cited]
        if i == 0 and quoted:
            why_of = quoted[0].quote  # "Why?" asks why it holds
            articles = tuple(dict.fromkeys(c.doc_id for c in quoted))
            said = tuple((c.doc_id, c.start) for c in quoted)
        found += names(q) + [n for c in quoted for n in names(c.quote)]
        if not is_follow_up(q):
            break
    own = {n.lower() for n in names(question)}
    context = [n for n in dict.fromkeys(found) if n.lower() not in own][:MAX_NAMES]
    if not context:
        context = earlier_questions
    elif _is_fragment(question):  # "Why?" asks about what the turn before asked
        context.append(earlier_questions[-1])
    names_later = says_it and not _JOINS_ON.search(question) \
        and bool(question_name_spans(question))
    also_alone = names_later or named_before or (not says_it and may_stand_alone(question)
                                                 and not asks_only_why(question))
    return FollowUp(" ".join([*context, question]), articles, said,
                    may_stray=not says_it and not asks_only_why(question),
                    also_alone=also_alone,
                    reader_query=why_of_quote(question, why_of) or with_person(question, topic)
                    or "")
