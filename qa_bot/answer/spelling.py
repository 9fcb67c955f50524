"""Typing slips in a question, mended from the corpus's own words: a word that neither the
index nor the model's English vocabulary holds ("boguht", "Glazwr") is replaced by the word
one slip away (a letter dropped or added, two swapped, one changed for its neighbour on the
keyboard) that most passages hold ("bought", "Glazer"). Words the index holds, English
words it lacks ("garage"), short words and function words are left as typed."""

from __future__ import annotations

import functools
import re
import string
from typing import Callable

from qa_bot.answer.names import FUNCTION_WORDS
from qa_bot.index.lexical import STOPWORDS, terms

# Shorter words are left alone: one slip away from a short word lie many real words
# ("purr" -> "pure"), and short words are seldom mistyped.
MIN_LETTERS = 5
# Longer words are left alone too: no English word or name is this long, and the words one
# slip away from a word of n letters number about 60 n (a pasted 10,000-letter "word" would
# take gigabytes).
MAX_LETTERS = 30
_WORD = re.compile(r"(?<![\w'\u2019-])[A-Za-z]{%d,%d}(?![\w'\u2019-])"
                   % (MIN_LETTERS, MAX_LETTERS))
_LETTERS = string.ascii_lowercase
# A changed letter is a neighbour on the keyboard ("thw" for "the"): a slip, where a letter
# changed for any other makes another word ("souffle" -> "shuffle", "runny" -> "runly").
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {c: {r2[j] for i2, r2 in enumerate(_ROWS) for j in range(len(r2))
             if abs(i2 - i) <= 1 and abs(j - k) <= 1 and r2[j] != c}
         for i, row in enumerate(_ROWS) for k, c in enumerate(row)}
# A word one slip away is taken when English holds it or at least this many passages do:
# the corpus's own slips ("Ivorial", "hoteleers") are held by one.
MIN_PASSAGES = 2


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole words of the embedding model's WordPiece vocabulary (about 22,000 common
    English words and names; no inflected form it splits, such as "chirping")."""
    from qa_bot.embedder import model_dir

    with open(model_dir() / "vocab.txt", encoding="utf-8") as f:
        return frozenset(w for w in (line.strip() for line in f) if w.isalpha())


def one_slip(word: str) -> set[str]:
    """Every lower-case word one typing slip from `word`: a letter dropped, two neighbours
    swapped, a letter changed for its neighbour on the keyboard, a letter added; none for
    a word of more than MAX_LETTERS letters."""
    w = word.lower()
    if len(w) > MAX_LETTERS:
        return set()
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    dropped = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in _NEAR.get(b[0], ())}
    added = {a + c + b for a, b in splits for c in _LETTERS}
    return (dropped | swapped | changed | added) - {w}


def mended(question: str, passages_holding: Callable[[str], int],
           is_word: Callable[[str], bool] = lambda w: w in english_words()) -> str:
    """The question with every word of MIN_LETTERS letters or more that no passage holds
    (`passages_holding(stemmed term)` is 0) and that is no English word (`is_word`, lower
    case) replaced by the word one slip away that the most passages hold (an English word,
    or one at least MIN_PASSAGES hold), in the case it was typed in; a word with no such
    neighbour is left as typed."""
    def mend(m: re.Match) -> str:
        word = m.group(0)
        low = word.lower()
        if low in FUNCTION_WORDS or low in STOPWORDS or is_word(low):
            return word
        stem = terms(low)
        if not stem or passages_holding(stem[0]) > 0:
            return word
        best, held = word, 0
        for candidate in sorted(one_slip(low)):
            found = terms(candidate)
            n = passages_holding(found[0]) if len(found) == 1 else 0
            if n > held and (n >= MIN_PASSAGES or is_word(candidate)):
                best, held = candidate, n
        if held == 0:
            return word
        if word.isupper():
            return best.upper()
        return best[0].upper() + best[1:] if word[0].isupper() else best

    return _WORD.sub(mend, question)
