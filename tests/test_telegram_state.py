"""What must survive a crash or a restart: every question taken from Telegram is answered
once (the durable update store), duplicates from Telegram or the webhook are dropped, and
conversations and citation buttons outlive the process. Real bot, real engine, the fake
Bot API server on 127.0.0.1; the crash is a real `kill -9` of `qa-bot telegram`."""

from __future__ import annotations

import asyncio
import collections
import signal
import sys
import time
from pathlib import Path

import pytest

from qa_bot.config import parse_config
from qa_bot.answer.conversation import Conversation
from qa_bot.engine import Engine
from qa_bot.errors import ConfigError
from qa_bot.telegram.state import StateStore
from qa_bot.telegram.html import telegram_messages
from conftest import make_config
from fake_bot_api import TOKEN, FakeBotApi, parse_html
from telegram_harness import (CORPUS, answer_to, cli_env, corpus, engine,  # noqa: F401
                              press_and_collect, qa_bot_cmd, replied_to, run, running_bot)

pytestmark = pytest.mark.timeout(300)
QUESTIONS = ["Who won the football cup?", "When did the volcano erupt?",
             "Why did bread prices rise?", "Who scored twice for the Rovers?",
             "How many residents of Grindavik were evacuated?",
             "Who is North Korea's ambassador to the UN?"]
FOLLOW_UP = "When was he appointed?"


def first_replies(api: FakeBotApi) -> collections.Counter:
    """How many times each message was replied to (an answer's first message quotes it)."""
    return collections.Counter(replied_to(m) for m in api.sent if replied_to(m))


async def start_bot(corpus: Path, engine, api: FakeBotApi, state: Path, log: Path):
    env = cli_env(corpus, f'state_dir = "{state}"\nrate_limit_per_minute = 0',
                  TELEGRAM_BOT_TOKEN=TOKEN)
    proc = await asyncio.create_subprocess_exec(
        *qa_bot_cmd("--index-dir", str(engine.cfg.index_dir), "telegram", "--base-url",
                    api.base_url),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"))
    polls = len(api.calls_of("getUpdates"))
    await api.wait_for(lambda: proc.returncode is not None
                       or len(api.calls_of("getUpdates")) > polls, 120)
    assert proc.returncode is None, log.read_text()
    return proc


def test_kill_9_with_30_questions_queued_then_restart_answers_each_once_in_order(
        corpus, engine, tmp_path):
    state, log = tmp_path / "state", tmp_path / "bot.log"

    async def scenario():
        api = FakeBotApi()
        await api.start()
        proc = None
        try:
            proc = await start_bot(corpus, engine, api, state, log)
            asked: dict[int, list[int]] = {}
            pushed = []
            for i in range(30):
                chat = 7000 + i % 3
                u = api.message(chat, QUESTIONS[(i // 3) % len(QUESTIONS)])
                asked.setdefault(chat, []).append(u["message"]["message_id"])
                pushed.append(u)
            last_id = pushed[-1]["update_id"]
            # Telegram has been told all 30 arrived (a later offset) ...
            await api.wait_for(lambda: api.confirmed > last_id, 60)
            # ... and the bot is in the middle of answering: its sends wait at the server
            await api.wait_for(lambda: len(first_replies(api)) >= 4, 60)
            api.hold("sendMessage")
            await api.wait_for(lambda: api.held >= 1, 60)
            await asyncio.sleep(0.3)
            before = len(first_replies(api))
            proc.kill()  # SIGKILL: no clean-up of any kind
            await proc.wait()
            api.release("sendMessage", deliver=False)  # what was in flight never arrived
            assert not api._updates  # Telegram holds nothing more for the bot
            for u in pushed:  # and re-sends them all anyway, as if the offset were lost
                api.redeliver(u)
            proc = await start_bot(corpus, engine, api, state, log)
            await api.wait_for(lambda: len(first_replies(api)) >= 30, 120)
            await asyncio.sleep(1.5)  # time for any second copy to show up
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
            return api, asked, before
        finally:
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()
            await api.stop()

    api, asked, before = run(scenario())
    counts = first_replies(api)
    print(f"\nkill -9: {before} of 30 answered before the kill; after the restart "
          f"{len(counts)} of 30 answered, {sum(counts.values()) - len(counts)} duplicates",
          file=sys.stderr)
    assert before < 30  # the kill did leave questions unanswered
    assert sorted(counts) == sorted(i for ids in asked.values() for i in ids)  # 30 of 30
    assert set(counts.values()) == {1}  # none twice
    for chat, ids in asked.items():
        order = [replied_to(m) for m in api.sent_to(chat) if replied_to(m)]
        assert order == ids, f"chat {chat}: answers out of order"
    text = log.read_text()
    assert "answering" in text and "taken before the last stop" in text
    assert TOKEN not in text


def test_an_update_sent_twice_is_answered_once_and_a_late_one_says_so(engine):
    async def scenario():
        async with running_bot(engine) as api:
            q = api.message(1101, "Who won the football cup?")
            await answer_to(api, q)
            api.redeliver(q)  # Telegram did not get the confirmation and sends it again
            late = api.message(1101, "When did the volcano erupt?", date=time.time() - 150)
            (late_reply, *_) = await answer_to(api, late)
            await asyncio.sleep(0.5)
            return api, q, late_reply

    api, q, late_reply = run(scenario())
    assert first_replies(api)[q["message"]["message_id"]] == 1
    assert late_reply["text"].startswith("Sorry for the late answer: you asked this "
                                         "2 minutes ago")
    assert "<i>Sorry for the late answer" in late_reply["html"]


def test_a_send_that_times_out_after_arriving_is_rarely_sent_twice(engine):
    """A send answered after 2 s: with the bot's default read timeout (30 s) it is waited
    for, one copy; with a 1 s timeout it is retried and arrives twice."""
    async def scenario(timeout: float):
        async with running_bot(engine, **({"timeout": timeout} if timeout else {})) as api:
            api.slow("sendMessage", 2.0)
            q = api.message(1102, "Who won the football cup?")
            await answer_to(api, q)
            await asyncio.sleep(2.5)
            return first_replies(api)[q["message"]["message_id"]]

    copies_default = run(scenario(0))
    copies_short = run(scenario(1.0))
    print(f"\nslow send (answered after 2 s): {copies_default} copy with the default timeout, "
          f"{copies_short} with a 1 s timeout", file=sys.stderr)
    assert copies_default == 1
    assert copies_short == 2  # the fault is real: a short timeout sends it twice


def test_conversation_and_buttons_survive_a_restart_and_100_newer_answers(engine, tmp_path):
    state = str(tmp_path / "state")
    chat = 1103
    question = "How many residents of Grindavik were evacuated?"

    async def first_run(api):
        async with running_bot(engine, api=api, state_dir=state) as api:
            q = api.message(chat, question)
            (first, *_) = await answer_to(api, q)
            return first

    async def busy_run(api):
        async with running_bot(engine, api=api, state_dir=state, rate_limit_per_minute=0):
            for i in range(100):
                api.message(chat, QUESTIONS[i % len(QUESTIONS)])
            await api.wait_for(lambda: len(first_replies(api)) == 101, 180)

    async def after_restart(api, first):
        async with running_bot(engine, api=api, state_dir=state):
            sent = len(api.sent_to(chat))
            under = {k: first[k] for k in ("message_id", "date", "chat", "from", "text")}
            buttons = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
            for b in buttons:
                api.press(under, b["callback_data"], user_id=chat)
            await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == len(buttons)
                               and len(api.sent_to(chat)) >= sent + len(buttons))
            shown = "\n".join(m["text"] for m in api.sent_to(chat)[sent:])
            follow = api.message(chat, FOLLOW_UP)
            (reply, *_) = await answer_to(api, follow)
            return buttons, shown, reply

    async def scenario():
        api = FakeBotApi()  # one server through the three runs: update ids go on rising
        await api.start()
        try:
            first = await first_run(api)
            await busy_run(api)
            return api, *(await after_restart(api, first))
        finally:
            await api.stop()

    api, buttons, shown, reply = run(scenario())
    alerts = [c.params.get("text") for c in api.calls_of("answerCallbackQuery")]
    assert alerts == [None] * len(buttons)  # no "I no longer have that answer"
    expected = engine.ask(question)
    assert expected.citations and all(c.quote in shown for c in expected.citations)
    # the follow-up was read in the light of the chat's last answers, as a conversation
    # that lived through both restarts would read it
    conversation = Conversation(engine, engine.cfg.telegram.history_turns)
    for q in [question] + [QUESTIONS[i % len(QUESTIONS)] for i in range(100)]:
        conversation.ask(q)
    alone = engine.ask(FOLLOW_UP)
    in_context = conversation.ask(FOLLOW_UP)
    assert alone.to_dict() != in_context.to_dict()  # the history does make a difference
    assert parse_html(telegram_messages(in_context)[0]) == reply["text"]


@pytest.mark.parametrize("key, value, words", [
    ("state_dir", " ", "must name a folder"), ("keep_days", 0, "must be positive"),
    ("inline_debounce_s", -1, "must not be negative"), ("max_upload_mb", 0, "positive"),
    ("inbox_dir", 3, "expected a string")])
def test_state_and_inbox_keys_are_checked(tmp_path, key, value, words):
    with pytest.raises(ConfigError, match=words):
        parse_config({"telegram": {key: value}}, "config.toml", tmp_path)


def test_a_button_of_a_removed_article_says_so(embedder, tmp_path):
    (tmp_path / "corpus").mkdir()
    for name in ("volcano.txt", "football.txt"):
        (tmp_path / "corpus" / name).write_text(CORPUS[name], encoding="utf-8")
    eng = Engine(make_config(tmp_path, ["corpus"]), embedder_factory=lambda: embedder)
    eng.sync(progress=False)

    async def scenario():
        async with running_bot(eng) as api:
            q = api.message(1104, "How many residents of Grindavik were evacuated?")
            last = (await answer_to(api, q))[-1]
            data = [b["callback_data"] for row in last["reply_markup"]["inline_keyboard"]
                    for b in row]
            if not data[0].startswith("p:"):  # declined: passages behind "Nearest passages"
                last = (await press_and_collect(api, 1104, last, data[-1]))[-1]
                data = [last["reply_markup"]["inline_keyboard"][0][0]["callback_data"]]
            (tmp_path / "corpus" / "volcano.txt").unlink()
            await asyncio.to_thread(eng.sync, progress=False)
            return await press_and_collect(api, 1104, last, data[0], buttons=False)

    (gone, *_) = run(scenario())
    assert gone["text"].startswith("The article “Iceland volcano erupts near Grindavik” (")
    assert gone["text"].endswith("volcano.txt) has since been removed from the documents.")


def test_answers_and_conversations_are_forgotten_by_age_not_count(tmp_path):
    now = [1_000_000.0]
    store = StateStore(tmp_path, clock=lambda: now[0])
    keys = [store.save_answer(1, i, {"n": i}) for i in range(500)]
    store.set_history(1, keys[-3:])
    now[0] += 29 * 86400
    store.prune(keep_days=30)
    assert store.answer(1, keys[0]) == {"n": 0} and store.history(1) == keys[-3:]
    assert store.answer(2, keys[0]) is None  # another chat's key opens nothing
    now[0] += 2 * 86400
    store.prune(keep_days=30)
    assert store.answer(1, keys[-1]) is None and store.history(1) == []
