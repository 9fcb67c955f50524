"""Answer quality on our news question set (benchmarks/news_qa/) over the 1,438 BBC articles,
through the engine and the same Conversation the CLI chat and the Telegram bot use.

    python -m benchmarks.news                  # the test half -> results/news-test.json
    python -m benchmarks.news --split tuning   # the tuning half (what fitting may look at)
    python -m benchmarks.news --limit 40       # a quick look
    python -m benchmarks.news --split tuning --quick --out /tmp/t.json
                                               # each item in its own conversation only

Measures: the first citation is the question's article; the answer shown contains the gold
string; follow-ups (second turns, asked after their first turn) answered right; questions
no article answers, and off-topic ones, declined; answerable ones wrongly declined; every
quote and highlight a verbatim slice of its source; warm latency per question. Then the
whole set again in one conversation, as a chat that never says /reset asks it (every
question after the one before, the items in a fixed random order, so that off-topic
questions follow on-topic ones as in a chat): a question that stands alone must not be
taken for a follow-up of the one before (`one_conversation`). And typed in lower case, as
people type in chats, each item in its own conversation (`lower_case`) and all in one
(`lower_case_one_conversation`)."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks import quality as qb
from benchmarks.news_qa.dataset import BBC, Item, load
from qa_bot.answer import Answer
from qa_bot.config import load_config
from qa_bot.answer.conversation import Conversation
from qa_bot.engine import Engine

RESULTS = Path(__file__).resolve().parent / "results"


def bbc_engine() -> Engine:
    return qb.engine_for(load_config(None), "bbc", [BBC])


def is_article(eng: Engine, doc_id: str, article: str) -> bool:
    """The indexed document is the article ("business/001.txt"), or a copy of it (the BBC
    set repeats a few stories under two file names: same title line)."""
    path = Path(eng.generation().documents[doc_id]["path"])
    if path.parts[-2:] == tuple(article.split("/")):
        return True
    gold = (BBC / article).read_text(encoding="utf-8")
    return path.read_text(encoding="utf-8").split("\n", 1)[0] == gold.split("\n", 1)[0]


def right_article(eng: Engine, answer: Answer, article: str) -> bool:
    """The first citation is the article, or a copy of it."""
    return bool(answer.citations) and is_article(eng, answer.citations[0].doc_id, article)


def highlight_text(answer: Answer) -> str:
    return " ".join(c.quote[c.highlight[0] - c.start:c.highlight[1] - c.start]
                    for c in answer.citations if c.cited and c.highlight)


def evaluate(eng: Engine, items: list[Item], one_conversation: bool = False,
             lower: bool = False) -> dict:
    """The measures over `items`, each item asked in a new Conversation, or all of them in
    one with `one_conversation`; with `lower`, every question typed in lower case."""
    stats: Counter = Counter()
    failures: list[dict] = []
    latencies: list[float] = []
    words: list[int] = []  # length of each answered answerable turn's answer
    turns = eng.cfg.telegram.history_turns

    def ask(conv: Conversation, question: str) -> Answer:
        t0 = time.perf_counter()
        a = conv.ask(question.lower() if lower else question)
        latencies.append(time.perf_counter() - t0)
        stats["verbatim_failures"] += qb.quote_failures(eng, a)
        return a

    shared = Conversation(eng, turns)
    if one_conversation:  # as a chat mixes them: off-topic after on-topic, and so on
        items = random.Random(0).sample(items, len(items))
    for item in items:
        conv = shared if one_conversation else Conversation(eng, turns)
        if item.kind in ("unanswerable", "offtopic"):
            a = ask(conv, item.turns[0].question)
            stats[f"{item.kind}"] += 1
            stats[f"{item.kind}_declined"] += not a.answered
            if a.answered:
                failures.append({"id": item.id, "kind": f"{item.kind} answered",
                                 "question": item.turns[0].question, "answer": a.answer,
                                 "confidence": round(a.confidence, 3)})
            continue
        answers = [ask(conv, t.question) for t in item.turns]
        last, turn = answers[-1], item.turns[-1]
        key = "followup" if item.kind == "followup" else "answerable"
        stats[key] += 1
        ok = last.answered and qb.contains_answer(last.answer, [turn.answer])
        stats[f"{key}_right"] += ok
        stats[f"{key}_article"] += right_article(eng, last, item.article)
        stats[f"{key}_declined"] += not last.answered
        if last.answered:
            words.append(sum(len(c.quote.split()) for c in last.citations if c.cited))
        hl = highlight_text(last)
        stats[f"{key}_highlighted"] += bool(hl)
        stats[f"{key}_highlight_right"] += bool(hl) and qb.contains_answer(hl, [turn.answer])
        if not ok:
            kind = ("declined" if not last.answered else
                    "wrong article" if not right_article(eng, last, item.article) else
                    "right article, wrong sentence")
            failures.append({"id": item.id, "kind": kind, "type": item.type,
                             "question": turn.question, "gold": turn.answer,
                             "answer": last.answer, "confidence": round(last.confidence, 3),
                             **({"first_answer": answers[0].answer}
                                if item.kind == "followup" else {})})

    def share(num: str, den: str) -> float | None:
        return round(stats[num] / stats[den], 4) if stats[den] else None

    lat = np.array(latencies) * 1000
    return {
        "counts": {k: stats[k] for k in ("answerable", "followup", "unanswerable", "offtopic")},
        "answer_contains_gold": share("answerable_right", "answerable"),
        "first_citation_right_article": share("answerable_article", "answerable"),
        "answerable_wrongly_declined": share("answerable_declined", "answerable"),
        "highlight_shown": share("answerable_highlighted", "answerable"),
        "highlight_contains_gold": share("answerable_highlight_right", "answerable"),
        "followups_right": share("followup_right", "followup"),
        "followups_right_article": share("followup_article", "followup"),
        "unanswerable_declined": share("unanswerable_declined", "unanswerable"),
        "offtopic_declined": share("offtopic_declined", "offtopic"),
        "verbatim_failures": stats["verbatim_failures"],
        "answer_words": {"mean": round(float(np.mean(words)), 1),
                         "p90": round(float(np.percentile(words, 90)), 1)} if words else {},
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1),
                       "p95": round(float(np.percentile(lat, 95)), 1)} if len(lat) else {},
        "failures_by_kind": dict(Counter(f["kind"] for f in failures)),
        "failures": failures,
    }


# The seed article's questions in tests/ (the last is a follow-up of the first).
SEED_QUESTIONS = ["Who is North Korea's ambassador to the United Nations?",
                  "When did the party leaders tell members about the invasion?",
                  "Which banks were sanctioned?", "What did the EU freeze?"]
SEED_FOLLOW_UP = ("Who is North Korea's ambassador to the United Nations?",
                  "What did he blame them for?")


def seed_margins() -> dict:
    """Confidence minus threshold for the seed questions, on the seed index (embeddings/,
    built by `qa-bot index` if missing)."""
    from benchmarks.sync import rebuild_if_older

    cfg = load_config(None)
    eng = Engine(cfg)
    if not eng.has_index():
        eng.sync(progress=False)
    rebuild_if_older(eng)

    def row(a: Answer) -> dict:
        return {"answered": a.answered, "answer": a.answer,
                "margin": round(a.confidence - cfg.retrieval.min_confidence, 3)}

    out = {q: row(eng.ask(q)) for q in SEED_QUESTIONS}
    conv = Conversation(eng, cfg.telegram.history_turns)
    conv.ask(SEED_FOLLOW_UP[0])
    out[" / ".join(SEED_FOLLOW_UP)] = row(conv.ask(SEED_FOLLOW_UP[1]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "test"), default="test")
    ap.add_argument("--limit", type=int, help="at most this many items of each kind")
    ap.add_argument("--out", help="results file (default results/news-<split>.json)")
    ap.add_argument("--quick", action="store_true",
                    help="only the pass with each item in its own conversation")
    args = ap.parse_args(argv)
    items = load(args.split)
    if args.limit:
        seen: Counter = Counter()
        items = [i for i in items if (seen.update([i.kind]) or seen[i.kind] <= args.limit)]
    eng = bbc_engine()
    eng.ask("warm up")  # loads the index, the embedder and the reader
    t0 = time.time()
    res = evaluate(eng, items)
    res["seconds"] = round(time.time() - t0)
    res["by_batch"] = by_batch(items, res["failures"])
    if args.quick:
        return write(res, args)
    chat = evaluate(eng, items, one_conversation=True)
    res["one_conversation"] = {k: chat[k] for k in (
        "answer_contains_gold", "first_citation_right_article", "answerable_wrongly_declined",
        "followups_right", "unanswerable_declined", "offtopic_declined", "verbatim_failures")}
    lower = evaluate(eng, items, lower=True)
    res["lower_case"] = {k: lower[k] for k in res["one_conversation"]}
    both = evaluate(eng, items, one_conversation=True, lower=True)
    res["lower_case_one_conversation"] = {k: both[k] for k in res["one_conversation"]}
    res["seed"] = seed_margins()
    res["machine"] = qb.machine()
    return write(res, args)


def by_batch(items: list[Item], failures: list[dict]) -> dict:
    """Right / asked per batch ("first", "extra", "fit") and kind, so a change can be read
    off each batch: answerable and follow-up turns right, unanswerable and off-topic
    declined."""
    failed = {f["id"] for f in failures}
    out: dict = {}
    for item in items:
        cell = out.setdefault(item.kind, {}).setdefault(item.batch, [0, 0])
        cell[0] += item.id not in failed
        cell[1] += 1
    return {kind: {b: f"{r}/{n}" for b, (r, n) in sorted(cells.items())}
            for kind, cells in out.items()}


def write(res: dict, args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else RESULTS / f"news-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: v for k, v in res.items() if k not in ("failures", "machine", "seed")}
    if "seed" in res:
        summary["seed_margins"] = {q: r["margin"] for q, r in res["seed"].items()}
    print(json.dumps(summary, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
