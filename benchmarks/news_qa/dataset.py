"""The news question set (benchmarks/news_qa/*.jsonl), written by the team over the BBC
articles in ../shared/benchmarks/bbc/ (read in place, never copied here).

Kinds: `answerable` (a question, its article, the short exact string a right answer
contains), `followup` (two turns, the second leaning on the first), `unanswerable` (on
the corpus's topics, but no article holds the answer; checked with grep) and `offtopic`.
Split: by article, a stable hash of the article path decides tuning or test; questions
without an article (unanswerable, off-topic) split by a hash of their id. Fit on
`tuning` only; report `test`."""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BBC = HERE.parent.parent.parent / "shared" / "benchmarks" / "bbc"
FILES = ("business.jsonl", "politics.jsonl", "sport.jsonl", "offtopic.jsonl",
         # written later, on tuning-half articles only (the test half is unchanged)
         "business-extra.jsonl", "politics-extra.jsonl", "sport-extra.jsonl",
         "offtopic-extra.jsonl", "bare-extra.jsonl",
         # short questions that name nothing and stand alone ("Who is the chancellor?"),
         # which a chat may take for follow-ups
         "short-extra.jsonl",
         # follow-ups that name nothing and hold no pronoun, in more than five words ("How
         # much was paid for the production unit?"), which only their context answers
         "implicit-extra.jsonl",
         # looked-up facts (birthplaces, founders, who runs a firm, a crowd, a capital...):
         # near misses the corpus does not state and answerable ones it does, written
         # after the fact check (answer/relations.py) was designed, to test it
         "nearmiss-extra.jsonl",
         # general knowledge about countries, people and firms the corpus names (a
         # language, a religion, an owner, a death...): near misses and answerable ones,
         # written after the general-knowledge facts (answer/facts/), to test them
         "general-extra.jsonl",
         # the same for the facts added after it (a country's GDP, government, head of
         # state; someone's nationality, agent, contract, age...), written after them
         "general2-extra.jsonl",
         # two-turn dialogues whose second turn asks only why ("Why?", "How come?"), a
         # third with the reason in the sentence the first answer quotes, written after
         # the reason rule (answer/reasons.py) to test it
         "reason-extra.jsonl",
         # "Who is <a person the corpus names>?", answered by what a sentence says they
         # are ("Cary Leahy, senior US economist at Deutsche Bank Securities"): the first
         # 20 written with the rule that such a sentence must name them
         # (answer/people.who_is), the last 10 after it, to test it
         "whois-extra.jsonl",
         # "When ...?" answered by a day ("on Wednesday"), which no earlier question was,
         # written to test the day rule (answer/kinds.DAY) after it was designed
         "days-extra.jsonl",
         # "What was the score?" / "By what score ...?" answered by a match score ("3-1"),
         # written after the score rule (answer/kinds._KINDS) to test it
         "scores-extra.jsonl",
         # "How old is <a person the corpus names>?" ("Ebbers, 63, ..."), written after
         # the who-is rule was widened to ages (answer/people.who_is), to test it
         "ages-extra.jsonl",
         # follow-ups asking for another item of the set the last answer named: "Who else?"
         "else-extra.jsonl",
         # a third batch in the first batch's style (paraphrased answerable questions, near
         # misses, follow-ups), on tuning-half articles no other item uses, written to fit
         # the answer's weights on: the reader was never trained on them
         "business-fit.jsonl", "politics-fit.jsonl", "sport-fit.jsonl")
KINDS = ("answerable", "followup", "unanswerable", "offtopic")


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str | None  # None: the corpus does not answer it


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    article: str | None  # "business/001.txt"
    turns: tuple[Turn, ...]
    type: str = ""
    # "extra" (*-extra.jsonl) and "fit" (*-fit.jsonl): written later, for the tuning half
    # only; the reader was trained on "extra", never on "fit"
    batch: str = "first"

    @property
    def split(self) -> str:
        if self.batch != "first":  # written for tuning only (on tuning-half articles)
            return "tuning"
        key = self.article or self.id
        return "test" if zlib.crc32(key.encode()) % 2 else "tuning"

    @property
    def fold(self) -> str:
        """Tuning items split again by the same key: fold "a" may train the reader while
        the answer's weights are fitted on fold "b" (`fit_news --fold b`)."""
        key = self.article or self.id
        return "a" if zlib.crc32(key.encode()) % 4 == 0 else "b"

    def answerable_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.answer is not None]


def parse(row: dict) -> Item:
    kind = row["kind"]
    if kind not in KINDS:
        raise ValueError(f"{row.get('id')}: unknown kind {kind!r}")
    if kind == "followup":
        turns = tuple(Turn(t["question"], t["answer"]) for t in row["turns"])
    else:
        turns = (Turn(row["question"], row.get("answer") if kind == "answerable" else None),)
    return Item(row["id"], kind, row.get("article"), turns, row.get("type", ""))


def load(split: str | None = None, kinds: tuple[str, ...] = KINDS) -> list[Item]:
    """Every item of the set (or of one split, `tuning` or `test`), file order."""
    items = []
    for name in FILES:
        path = HERE / name
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    item = parse(json.loads(line))
                    if name.endswith(("-extra.jsonl", "-fit.jsonl")):
                        item = dataclasses.replace(item, batch=name[:-6].rsplit("-", 1)[1])
                    items.append(item)
                except (ValueError, KeyError) as e:
                    raise ValueError(f"{path.name} line {n}: {e}") from None
    return [i for i in items if i.kind in kinds and (split is None or i.split == split)]


def article_text(article: str) -> str:
    return (BBC / article).read_text(encoding="utf-8")
