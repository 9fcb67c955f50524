"""Where each answerable news question is lost, stage by stage (standalone questions of
benchmarks/news_qa/, each asked alone through the engine):

  retrieval   no sentence of the 6 passages the answer reads from (ranking.CANDIDATE_PASSAGES)
              is the gold sentence (the question's article, the gold string in it)
  reader      the gold sentence is in those passages, but not among the sentences the reader
              reads (ranking.RERANK, by first-stage score)
  ranking     the reader read it, and another sentence ranks first: at 2-3 or further down
  first       it ranks first
crossed with what the answer shows: the gold string, a wrong sentence of the right article,
another article, or a decline. Also the rank of the gold article among the retrieved
articles (1, 2-3, 4-6, further), which bounds the first citation.

    python -m benchmarks.news_stages                  # the tuning half, by batch
    python -m benchmarks.news_stages --split test     # the test half (to report, not to fit)

Writes benchmarks/results/news-stages-<split>.json."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from benchmarks import quality as qb
from benchmarks.news import RESULTS, bbc_engine, is_article, right_article
from benchmarks.news_qa.dataset import load
from qa_bot.answer.features import collapse_duplicates
from qa_bot.engine import Engine

STAGES = ("retrieval", "reader", "ranking 2-3", "ranking 4+", "first")
SHOWN = ("gold", "right article, wrong sentence", "wrong article", "declined")
ARTICLE_RANKS = ("1", "2-3", "4-6", "7+")


def stage_of(eng: Engine, question: str, article: str, gold: str) -> tuple[str, str, str]:
    """(stage, what the answer shows, rank of the gold article) for one question. The gold
    sentence is one of the article (or of a copy of it: news.is_article) holding the gold."""
    gen = eng.generation()
    answer, ranking = eng.ask_detailed(question)

    def good(s) -> bool:  # a Scored sentence of the ranking
        return qb.contains_answer(s.text, [gold]) and \
            is_article(eng, gen.chunks[ranking.hits[s.hit].row].doc_id, article)

    if ranking is None or not any(good(s) for s in ranking.scored):
        stage = "retrieval"
    else:
        at = next((i for i, c in enumerate(ranking.read) if good(c.scored)), None)
        stage = ("reader" if at is None else "first" if at == 0 else
                 "ranking 2-3" if at < 3 else "ranking 4+")
    shown = ("declined" if not answer.answered else
             "gold" if qb.contains_answer(answer.answer, [gold]) else
             "right article, wrong sentence" if right_article(eng, answer, article) else
             "wrong article")
    # the article's rank among the articles of a longer retrieval than the answer reads
    _, hits = eng.retrieve(eng.read(question), 40)
    docs = list(dict.fromkeys(gen.chunks[h.row].doc_id
                              for h in collapse_duplicates(hits, gen.chunks)))
    r = next((i + 1 for i, d in enumerate(docs) if is_article(eng, d, article)), 99)
    rank = "1" if r == 1 else "2-3" if r <= 3 else "4-6" if r <= 6 else "7+"
    return stage, shown, rank


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "test"), default="tuning")
    args = ap.parse_args(argv)
    eng = bbc_engine()
    eng.ask("warm up")
    table: dict[str, Counter] = {}
    ranks: dict[str, Counter] = {}
    for item in load(args.split, kinds=("answerable",)):
        turn = item.turns[0]
        stage, shown, rank = stage_of(eng, turn.question, item.article, turn.answer)
        for batch in (item.batch, "all"):
            table.setdefault(batch, Counter())[(stage, shown)] += 1
            ranks.setdefault(batch, Counter())[(rank, shown)] += 1
    if len(table) == 2:  # one batch (the test half): "all" says it again
        table.pop("all"), ranks.pop("all")
    res = {batch: {"by_stage": {st: {sh: t[(st, sh)] for sh in SHOWN} for st in STAGES},
                   "by_article_rank": {r: {sh: ranks[batch][(r, sh)] for sh in SHOWN}
                                       for r in ARTICLE_RANKS}}
           for batch, t in table.items()}
    res["machine"] = qb.machine()
    out = RESULTS / f"news-stages-{args.split}.json"
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    for batch, t in table.items():
        print(f"{batch}: stage -> {', '.join(SHOWN)}", file=sys.stderr)
        for st in STAGES:
            print(f"  {st:12} " + " ".join(f"{t[(st, sh)]:4}" for sh in SHOWN), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
