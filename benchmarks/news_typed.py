"""Answers when every question of the news set is typed as people type in a chat: without
its question mark, all in capitals, after a greeting, after "Can you tell me", before
thanks, with a typing slip. Each item in its own conversation, through benchmarks.news.evaluate; the tuning
half by default (what choices may look at).

    python -m benchmarks.news_typed                  # -> results/news-typed-tuning.json
    python -m benchmarks.news_typed --split test     # once per change set, to report"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable

from benchmarks import quality as qb
from benchmarks.news import RESULTS, bbc_engine, evaluate
from benchmarks.news_qa.dataset import Item, load


def with_a_slip(question: str) -> str:
    """The question with the two middle letters of its longest word (of six letters or
    more, the first if several) swapped: "bought" -> "boguht"."""
    words = list(re.finditer(r"[A-Za-z]{6,}", question))
    if not words:
        return question
    m = max(words, key=lambda w: len(w.group(0)))
    word, i = m.group(0), len(m.group(0)) // 2
    return question[:m.start()] + word[:i - 1] + word[i] + word[i - 1] + word[i + 1:] + \
        question[m.end():]


TYPED: dict[str, Callable[[str], str]] = {
    "as written": lambda q: q,
    "without its question mark": lambda q: q.rstrip(" ?"),
    "all in capitals": str.upper,
    "after 'Hi! '": lambda q: "Hi! " + q,
    "before ' Thanks!'": lambda q: q + " Thanks!",
    "after 'Can you tell me '": lambda q: "Can you tell me " + q[:1].lower() + q[1:],
    "with a slip (two letters of its longest word swapped)": with_a_slip,
}
MEASURES = ("answer_contains_gold", "first_citation_right_article", "followups_right",
            "unanswerable_declined", "offtopic_declined", "answerable_wrongly_declined",
            "verbatim_failures")


def typed_as(items: list[Item], typed: Callable[[str], str]) -> list[Item]:
    """The items with every turn's question rewritten by `typed`."""
    return [dataclasses.replace(i, turns=tuple(dataclasses.replace(t, question=typed(t.question))
                                               for t in i.turns)) for i in items]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "test"), default="tuning")
    args = ap.parse_args(argv)
    items = load(args.split)
    eng = bbc_engine()
    res: dict = {"split": args.split}
    for name, typed in TYPED.items():
        got = evaluate(eng, typed_as(items, typed))
        res[name] = {k: got[k] for k in MEASURES}
        print(name, json.dumps(res[name]), file=sys.stderr, flush=True)
    res["machine"] = qb.machine()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"news-typed-{args.split}.json"
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
