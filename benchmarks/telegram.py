"""The Telegram bot under load and an admin's upload, end to end: the real bot
(python-telegram-bot, AIORateLimiter at Telegram's 30 messages/s) against the tests' fake
Bot API server on 127.0.0.1, the real model and index.

    python -m benchmarks.telegram                 # both parts
    python -m benchmarks.telegram --only load     # 300 questions from 50 chats at once
    python -m benchmarks.telegram --only upload   # an admin's article, answerable how soon?

load: 50 chats each send 6 questions, all 300 queued at once (the tests' six-article
corpus); wall time to the last answer, median and p95 latency, and whether every chat's
answers came in its order (target: last answer within 11 s; Telegram's 30 messages/s make
10 s the floor). upload: on the seed index, an admin sends a .txt article; time to the
"Added" reply and to the answer of a question about it (target: within 5 s of the upload).
Results: benchmarks/results/telegram.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))

from fake_bot_api import FakeBotApi  # noqa: E402
from qa_bot.config import Config, CorpusConfig, IndexConfig, TelegramConfig  # noqa: E402
from qa_bot import engine as engine_module  # noqa: E402
from qa_bot.engine import Engine  # noqa: E402
from qa_bot.telegram.app import build_application, serve  # noqa: E402
from telegram_harness import CORPUS, lighthouse_doc  # noqa: E402

CACHE = ROOT / "cache" / "telegram"
QUESTIONS = ["Who won the football cup?", "When did the volcano erupt?",
             "Why did bread prices rise?", "Who is North Korea's ambassador to the UN?",
             "How many residents of Grindavik were evacuated?",
             "Who scored twice for the Rovers?"]
ADMIN = 4242
COMET = ("science\n\nA new comet is visible at dawn\n\nThe comet Tsuchinshan was discovered "
         "by the Purple Mountain Observatory and is visible at dawn this week.\n")


def engine_over(name: str, files: dict[str, str], **telegram) -> Engine:
    base = CACHE / name
    shutil.rmtree(base, ignore_errors=True)
    (base / "corpus").mkdir(parents=True)
    for fname, text in files.items():
        (base / "corpus" / fname).write_text(text, encoding="utf-8")
    cfg = Config(corpus=CorpusConfig(paths=["corpus"]), index=IndexConfig(dir="index"),
                 telegram=TelegramConfig(state_dir=tempfile.mkdtemp(prefix="qa-bench-"),
                                         **telegram), base_dir=base)
    engine = Engine(cfg)
    engine.sync(progress=False)
    engine.encode(["warm up"])
    return engine


async def bot(engine: Engine, body):
    api = FakeBotApi()
    await api.start()
    app = build_application(engine.cfg, api.token, engine, base_url=api.base_url)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(app, engine.cfg, stop, ready=ready, poll_timeout=2))
    await asyncio.wait_for(ready.wait(), 60)
    try:
        return await body(api)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await api.stop()


def replied_to(m: dict) -> int | None:
    return m["params"].get("reply_parameters", {}).get("message_id")


async def load(api: FakeBotApi) -> dict:
    pushed: dict[int, float] = {}
    asked: dict[int, list[int]] = {}
    t0 = time.monotonic()
    for round_ in range(6):
        for chat in range(50):
            u = api.message(5000 + chat, QUESTIONS[(chat + round_) % 6])
            asked.setdefault(5000 + chat, []).append(u["message"]["message_id"])
            pushed[u["message"]["message_id"]] = time.monotonic()
    answered: dict[int, float] = {}
    seen = [0]

    def all_answered() -> bool:
        for m in api.sent[seen[0]:]:
            if replied_to(m) in pushed:
                answered.setdefault(replied_to(m), time.monotonic())
        seen[0] = len(api.sent)
        return len(answered) == len(pushed)

    await api.wait_for(all_answered, 300)
    latencies = sorted(answered[i] - pushed[i] for i in pushed)
    in_order = all([replied_to(m) for m in api.sent_to(c) if replied_to(m)] == ids
                   for c, ids in asked.items())
    return {"questions": 300, "chats": 50, "answered": len(answered),
            "last_answer_s": round(max(answered.values()) - t0, 2),
            "median_latency_s": round(statistics.median(latencies), 2),
            "p95_latency_s": round(latencies[int(0.95 * len(latencies))], 2),
            "in_order": in_order, "requests": len(api.calls),
            "target_last_answer_s": 11}


async def upload(api: FakeBotApi) -> dict:
    t0 = time.monotonic()
    api.document(ADMIN, "comet.txt", COMET.encode())
    added = await api.wait_for(lambda: [m for m in api.sent_to(ADMIN)
                                        if m["text"].startswith("Added")], 60)
    t_added = time.monotonic() - t0
    q = api.message(ADMIN, "Which observatory discovered the comet Tsuchinshan?")
    reply = await api.wait_for(lambda: [m for m in api.sent_to(ADMIN)
                                        if replied_to(m) == q["message"]["message_id"]], 60)
    t_answer = time.monotonic() - t0
    return {"added_s": round(t_added, 2), "answer_s": round(t_answer, 2),
            "added_reply": added[0]["text"], "answer": reply[0]["text"][:300],
            "answer_cites_the_new_article": "A new comet is visible at dawn" in reply[0]["text"]
            or "Purple Mountain" in reply[0]["text"], "target_s": 5}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=["load", "upload"])
    args = p.parse_args()
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "machine": f"{os.cpu_count()} cores {platform.machine()}, load "
                                f"{os.getloadavg()[0]:.2f}", "python": platform.python_version(),
                     "answer_reader": engine_module.MODEL_FILE.is_file()}
    if args.only in (None, "load"):
        files = dict(CORPUS, **{"lighthouse.txt": lighthouse_doc()})
        engine = engine_over("load", files, rate_limit_per_minute=60)
        results["load"] = asyncio.run(bot(engine, load))
        print("load:", json.dumps(results["load"]))
    if args.only in (None, "upload"):
        seeds = {p.name: p.read_text(encoding="utf-8")
                 for p in (ROOT.parent / "seeds").iterdir() if p.is_file()}
        engine = engine_over("upload", seeds, admin_user_ids=[ADMIN],
                             inbox_dir=str(CACHE / "upload" / "inbox"))
        results["upload"] = asyncio.run(bot(engine, upload))
        print("upload:", json.dumps(results["upload"]))
    out = ROOT / "results" / "telegram.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
