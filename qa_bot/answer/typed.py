"""How a question was typed, and how the answer reads it: what a chat says around it
dropped, its question mark added, capitals lowered (as_read); names capitalised when it
was typed in lower case, as its passages write them (truecase). Pure functions of the
texts."""

from __future__ import annotations

import re

from qa_bot.answer.names import FUNCTION_WORDS
from qa_bot.answer.spelling import one_slip

# What a chat says around a question: a greeting before it ("Hi! ..."), thanks after it
# ("...? Thanks!", "..., please?"; not "Who said please?"), a polite opening before it
# ("Can you tell me who ...", "Do you know for how long ...").
_ASKS = r"(?:who|whom|whose|what|when|where|which|why|how)\b"
_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|good\s+(?:morning|afternoon|evening))(?:\s+there)?"
    r"(?:\s*[,!.:]+\s*|\s+(?=" + _ASKS + r"|(?:can|could|do|does|did|is|are|was|were)\b))|"
    r"(?:ok(?:ay)?[\s,]+)?(?:thanks|thank\s+you)(?:\s+(?:very|so)\s+much)?\s*[,!.:]+\s*)",
    re.I)
_THANKS = re.compile(r"(?:(?<=[?.!])|\s*,)\s*\b(?:please|thanks|thank\s+you|thx|cheers)"
                     r"(?:\s+(?:very|so)\s+much)?\W*$", re.I)
_OPENING = re.compile(
    r"^\W*(?:(?:please\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|show)\s+me|"
    r"(?:please\s+)?tell\s+me|(?:do\s+you|does\s+any\s*one|does\s+anybody)\s+know|"
    r"i\s+(?:want|would\s+like|'d\s+like|\u2019d\s+like)\s+to\s+know|i\s+wonder)"
    r"[\s,:]+(?=(?:\w+\s+){0,2}" + _ASKS + ")", re.I)
# The order an opening leaves: "who the chancellor is" (-> "who is the chancellor"), "how
# old she is" and "which team it is" (-> "how old is she", "which team is it": a pronoun
# right after the asked phrase is the subject; in "what the reason for it was" it is not)
_VERB_LAST = re.compile(r"^((?:who|what|where|when|which)\b|how\s+\w+)\s+(.+?)"
                        r"(?<!\bit)(?<!\bhe)(?<!\bshe)(?<!\bthey)(?<!\bthis)(?<!\bthat)"
                        r"(?<!\bthere)\s+(is|was|are|were)\W*$", re.I)
_PRONOUN_VERB_LAST = re.compile(r"^((?:who|what|where|when|which|whose)(?:\s+\w+)?|how\s+\w+)"
                                r"\s+(it|he|she|they|this|that|these|those)\s+(is|was|are|were)"
                                r"\W*$", re.I)
# A message that asks nothing: greetings, thanks, goodbyes, or several ("ok thanks, bye!"),
# by the reply it gets (the first kind found, in this order)
_SMALL_TALK = {
    "bye": r"bye|bye\s+bye|goodbye|good\s+night|see\s+you(?:\s+later|\s+soon)?",
    "thanks": r"thanks|thank\s+you|thx|ty|cheers",
    "hello": r"hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening|day)|greetings",
    "ok": r"ok|okay|great|cool|perfect|nice|got\s+it|brilliant|excellent",
}
_SMALL_TALK_PHRASE = (r"(?:" + "|".join(_SMALL_TALK.values()) + r")(?:\s+(?:there|again|a\s+lot|"
                      r"so\s+much|very\s+much|all|everyone|bot))*")
_SMALL_TALK_ONLY = re.compile(_SMALL_TALK_PHRASE + r"(?:\s+(?:and\s+)?" + _SMALL_TALK_PHRASE + ")*")
_SMALL_TALK_MAX_WORDS = 8  # "ok thank you so much, bye bye" is seven
_SMALL_TALK_WORDS = frozenset(w for words in _SMALL_TALK.values()
                              for w in re.findall(r"[a-z]{3,}", words))
SMALL_TALK_REPLIES = {
    "bye": "Goodbye! Ask me about the news again whenever you like.",
    "thanks": "You're welcome. Ask another question whenever you like.",
    "hello": "Hello! Ask me a question about the news articles (who, what, when, where, why, "
             "how much) and I will quote the sentences that answer it, with their sources.",
    "ok": "Ask another question whenever you like.",
    # "Why?" with no answer before it to ask about (engine.Engine.ask_detailed)
    "why": "\u201cWhy?\u201d asks about an answer, and there is none to ask about: ask me a "
           "question about the news articles first.",
}
# What a chat puts after the question mark: "?!", "??", " :)"
_AFTER_MARK = re.compile(r"\?[^\w\s]*(?:\s+[^\w\s]+)*\s*$")


def as_read(question: str) -> str:
    """The question as the answer reads it: without what a chat says around it
    ("Hi! Can you tell me who the chancellor is? Thanks" -> "who is the chancellor?");
    ending in one question mark, which a chat often leaves out or follows with more ("who
    won" and "Who won?! :)" -> "who won?", "Who won?": the models learnt questions that
    end with one); in lower case when typed all in capitals (its names are then found as
    in a question typed in lower case: truecase). Never empty for a question with a word
    in it ("Thanks!" -> "Thanks?")."""
    typed = question.strip()
    question = _THANKS.sub("", _GREETING.sub("", typed, count=1), count=1).strip()
    asked = _OPENING.sub("", question, count=1)
    if asked != question:
        question = _PRONOUN_VERB_LAST.sub(r"\1 \3 \2?", _VERB_LAST.sub(r"\1 \3 \2?", asked))
    question = question.strip() if re.search(r"\w", question) else typed  # not ")"
    if question.isupper():
        question = question.lower()
    question = _AFTER_MARK.sub("?", question)  # "Who won?!", "Who won? :)"
    return question if question.endswith("?") else question.rstrip(" .!\u2026") + "?"


def _as_small_talk(word: str) -> str:
    """A word of three letters or more one typing slip from a small-talk word ("thnaks",
    "hellp", "yuo") as that word; any other word as it is."""
    if len(word) < 3 or word in _SMALL_TALK_WORDS:
        return word
    return next((w for w in sorted(one_slip(word)) if w in _SMALL_TALK_WORDS), word)


def small_talk(message: str) -> str | None:
    """The reply to a message that asks nothing: greetings, thanks or goodbyes alone ("Hi!",
    "ok, thanks :)", "Thanks, bye", "Thnaks!": a slip in such a word is read as the word),
    or no word at all ("\U0001F44D", ":)"); None for anything else. It is not a question,
    so it is neither answered nor declined, and a conversation does not keep it
    (conversation.kept)."""
    if message.strip() and not re.search(r"\w", message):
        return SMALL_TALK_REPLIES["ok"]
    words = re.findall(r"[a-z']+", message.lower())
    if not words or len(words) > _SMALL_TALK_MAX_WORDS:
        return None
    said = " ".join(_as_small_talk(w) for w in words)
    if not _SMALL_TALK_ONLY.fullmatch(said):
        return None
    return next(SMALL_TALK_REPLIES[kind] for kind, pattern in _SMALL_TALK.items()
                if re.search(r"\b(?:" + pattern + r")\b", said))


def typed_lower(question: str) -> bool:
    """No capital past the first letter: the names of the question do not show."""
    return not any(ch.isupper() for ch in question[1:])


def truecase(question: str, texts: list[str]) -> str:
    """A question typed in lower case with the words that `texts` always capitalise (where
    a sentence does not start with them) capitalised: "why did nestle's sales fall?" ->
    "why did Nestle's sales fall?", so its names are found as in a cased question. A
    question with a capital past its first letter is returned as it is."""
    if not typed_lower(question):
        return question
    text = " ".join(texts)

    def cased(m: re.Match) -> str:
        word = m.group(0)
        if word in FUNCTION_WORDS:
            return word
        seen = [t for t in re.finditer(r"(?<![\w'\u2019])" + re.escape(word) + r"\b", text,
                                       re.I)
                if not re.search(r"(^|[.!?\"\u201c\n]\s*)$", text[max(0, t.start() - 3):t.start()])]
        if seen and all(t.group(0)[0].isupper() for t in seen):
            return word[0].upper() + word[1:]
        return word

    return re.sub(r"(?<![\w'\u2019])[a-z][\w-]*", cased, question)
