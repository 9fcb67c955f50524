"""First-stage sentence features: every sentence of the top passages scored against the
question without running a model (stored sentence vectors, idf overlap, answer-type cues),
crossheads left out and near-duplicate passages collapsed. The best of these go on to the
reader (qa_bot/answer/ranking.py).

Weights: fitted listwise (softmax over each question's sentences) on the tuning half of the
news question set by `python -m benchmarks.fit_news`; never on the test half."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from qa_bot.answer.names import initials_of
from qa_bot.answer.question import answer_type
from qa_bot.index import sentences
from qa_bot.chunking import Chunk, Sentence
from qa_bot.index.lexical import terms
from qa_bot.retrieval import Hit
from qa_bot.index import Generation

DUPLICATE_JACCARD = 0.8
# Sentence score = SENTENCE_WEIGHTS . sentence features (higher is better); only the
# ranking of a question's sentences matters.
SENTENCE_FEATURES = ("cosine", "idf_overlap", "passage_dense", "passage_rank", "answer_type",
                     "bias")
SENTENCE_WEIGHTS = np.array([4.341, 2.898, 2.952, 1.979, 1.809, 0.0], dtype=np.float32)

Encode = Callable[[list[str]], np.ndarray]


@dataclass
class Scored:
    """One candidate sentence of one passage, with its features and score."""

    hit: int  # index into the collapsed hits
    sentence: Sentence
    text: str
    features: np.ndarray
    score: float
    focus: float = 0.0  # cosine with the question's words without its names (focus_text)


@functools.lru_cache(maxsize=16384)
def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    """5-word shingles of a passage (cached: the same passages come back query after query)."""
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i:i + 5]) for i in range(max(len(words) - 4, 1)))


def jaccard(a: frozenset | set, b: frozenset | set) -> float:
    """|a & b| / |a | b| (0 for two empty sets): how near two texts are, as sets of their
    words or shingles."""
    return len(a & b) / max(len(a | b), 1)


def collapse_duplicates(hits: list[Hit], chunks: list[Chunk]) -> list[Hit]:
    """Drop hits whose passage nearly repeats a better-ranked one (Jaccard of 5-word
    shingles >= DUPLICATE_JACCARD)."""
    kept: list[tuple[Hit, frozenset]] = []
    for h in hits:
        sh = _shingles(chunks[h.row].text)
        if all(jaccard(sh, s) < DUPLICATE_JACCARD for _, s in kept):
            kept.append((h, sh))
    return [h for h, _ in kept]


# Irregular verb forms a stemmer leaves apart ("froze" / "freeze"): a question's term counts
# as present in a text that holds another form of it.
_IRREGULAR = {
    "be": "was were been", "begin": "began begun", "bring": "brought", "build": "built",
    "buy": "bought", "choose": "chose chosen", "come": "came", "cut": "cut",
    "do": "did done", "draw": "drew drawn", "drive": "drove driven", "eat": "ate eaten",
    "fall": "fell fallen", "feel": "felt", "fight": "fought", "find": "found",
    "fly": "flew flown", "forecast": "forecast", "freeze": "froze frozen",
    "get": "got gotten", "give": "gave given", "go": "went gone", "grow": "grew grown",
    "have": "had", "hold": "held", "hit": "hit", "keep": "kept", "know": "knew known",
    "lead": "led", "leave": "left", "lend": "lent", "lose": "lost", "make": "made",
    "meet": "met", "pay": "paid", "put": "put", "quit": "quit", "ride": "rode ridden",
    "rise": "rose risen", "run": "ran", "say": "said", "see": "saw seen", "sell": "sold",
    "send": "sent", "set": "set", "shut": "shut", "sing": "sang sung", "sink": "sank sunk",
    "speak": "spoke spoken", "spend": "spent", "stand": "stood", "steal": "stole stolen",
    "strike": "struck", "swim": "swam swum", "take": "took taken", "teach": "taught",
    "tell": "told", "think": "thought", "throw": "threw thrown", "win": "won",
    "withdraw": "withdrew withdrawn", "write": "wrote written",
}


@functools.lru_cache(maxsize=1)
def _lemma_of_stem() -> dict[str, str]:
    """Stem of an irregular form -> stem of its base form."""
    out: dict[str, str] = {}
    for base, forms in _IRREGULAR.items():
        for form in [base, *forms.split()]:
            for t in terms(form):
                out[t] = (terms(base) or [base])[0]
    return out


_CAPITALISED_RUN = re.compile(r"\b(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+\b")


@functools.lru_cache(maxsize=16384)
def match_terms(text: str) -> frozenset[str]:
    """The terms a question term is looked for among: text's stems, irregular forms folded
    to their base, and the acronyms of its capitalised names ("European Union" -> "eu")."""
    lemma = _lemma_of_stem()
    found = {lemma.get(t, t) for t in terms(text)}
    for run in _CAPITALISED_RUN.findall(text):
        found.add(initials_of(run).lower())
    return frozenset(found)


@functools.lru_cache(maxsize=1)
def _question_words() -> frozenset[str]:
    """Stems of wh-words and auxiliary verbs: a question has them, an answer need not."""
    return frozenset(terms("what who whom whose when where which why how do does did done "
                           "has have had was were been being is are will would could should "
                           "can may might must shall"))


# The word "how" asks with ("how far", "how much"): a question word, not a term an answer
# holds ("Lava flowed for three kilometres" answers "How far did the lava flow?"); in a small
# corpus that lacks it, its idf would outweigh every term the answer does hold.
_HOW_WHAT = re.compile(r"\bhow\s+(far|much|many|long|old|big|often|soon|high|tall|large)\b",
                       re.I)


class QueryTerms:
    """The question's distinct stemmed terms (wh-words and auxiliary verbs left out) and
    their idf in this generation."""

    def __init__(self, text: str, gen: Generation):
        aux = _question_words() | set(terms(" ".join(_HOW_WHAT.findall(text))))
        self.terms = [t for t in dict.fromkeys(terms(text)) if t not in aux]
        self.idf = dict(zip(self.terms, gen.lexical.idf(self.terms).tolist()))
        self.total = sum(self.idf.values())
        lemma = _lemma_of_stem()
        self._match = {t: lemma.get(t, t) for t in self.terms}

    def present(self, text: str) -> set[str]:
        """The question's terms that text holds (in any form match_terms knows)."""
        found = match_terms(text)
        return {t for t, m in self._match.items() if m in found}

    def coverage(self, text: str) -> float:
        """Share of the question's idf mass whose terms occur in text (0..1)."""
        if self.total <= 0:
            return 0.0
        present = self.present(text)
        return sum(v for t, v in self.idf.items() if t in present) / self.total

    def rarest_missing(self, text: str) -> float:
        """The idf of the rarest question term that `text` lacks, over the largest idf of
        the question's terms (0 when text holds them all): a question about a detail the
        passage never mentions ("her birthplace", "in 2008") scores high."""
        if not self.idf:
            return 0.0
        present = self.present(text)
        missing = [v for t, v in self.idf.items() if t not in present]
        return max(missing, default=0.0) / max(max(self.idf.values()), 1e-9)


def sentence_vectors(hits: list[Hit], gen: Generation, texts: list[str], encode: Encode
                     ) -> np.ndarray:
    """Unit vectors of the hits' sentences in order: read from the index when it stores
    them (qa_bot/index/sentences.py), else embedded now (an index built without them)."""
    if not gen.has_sentences:
        return encode(texts)
    return gen.sentence_vectors_of([h.row for h in hits])[0]


def score_sentences(hits: list[Hit], gen: Generation, query_vec: np.ndarray, qt: QueryTerms,
                    encode: Encode, question: str = "", focus_vec: np.ndarray | None = None
                    ) -> list[Scored]:
    """Every sentence of the given passages, scored against the question (its vector
    `query_vec`, its terms `qt`, its wording for the answer type), with its cosine to
    `focus_vec` (the embedding of focus_text(question); default `query_vec`); `hits` in
    rank order."""
    texts: list[str] = []
    owners: list[tuple[int, Sentence]] = []
    for i, h in enumerate(hits):
        c = gen.chunks[h.row]
        for s, t in zip(c.sentences, sentences.texts(c)):
            texts.append(t)
            owners.append((i, s))
    if not texts:
        return []
    vectors = sentence_vectors(hits, gen, texts, encode)
    cos = vectors @ query_vec
    focus = cos if focus_vec is None else vectors @ focus_vec
    out = []
    for (i, s), t, cs, fc in zip(owners, texts, cos, focus):
        f = np.array([float(cs), qt.coverage(t), hits[i].dense, 1.0 / (i + 1),
                      answer_type(question, t), 1.0], dtype=np.float32)
        out.append(Scored(i, s, t, f, float(f @ SENTENCE_WEIGHTS), float(fc)))
    whole = [s for s in out if not is_crosshead(s.text)]
    return whole or out


_CROSSHEAD_WORDS = 7
_ENDS_SENTENCE = re.compile(r"[.!?:;\"'\u2019\u201d]\s*$")


def is_crosshead(text: str) -> bool:
    """A crosshead rather than a sentence ("Fourth seed", "Winners meet in final match"): a
    few words that end without a stop and name nothing (no figure, no capital after the
    first word). It answers nothing, so it is not a candidate when its passages hold any
    other line; a fixture or a table row ("Wolves v Millwall") names something and stays."""
    words = text.split()
    return (len(words) <= _CROSSHEAD_WORDS and not _ENDS_SENTENCE.search(text)
            and not any(ch.isdigit() for ch in text)
            and not any(w[:1].isupper() for w in words[1:]))
