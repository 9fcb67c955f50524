"""End to end: the real python-telegram-bot Application, wired by qa_bot.telegram, talks
HTTP to the fake Bot API server (tests/fake_bot_api.py) on 127.0.0.1, and answers with the
real Engine (real model, real FAISS, BM25) over a tiny corpus written into a temp folder."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
import signal
import sys
import time

import aiohttp
import pytest

from qa_bot.answer import NOT_ANSWERED
from qa_bot.config import with_index_dir
from qa_bot.answer.conversation import Conversation
from qa_bot.engine import Engine
from qa_bot.telegram.handlers import COMMANDS, SORRY
from qa_bot.telegram.html import telegram_messages
from qa_bot.telegram.redact import REDACTED, Redactor
from fake_bot_api import BOT_ID, TOKEN, FakeBotApi, parse_html
from telegram_harness import (ADMIN, MARKUP_SENTENCE, MARKUP_TITLE, answer_to, cli_env,  # noqa: F401
                              corpus, engine, exit_of, free_port, press_and_collect,
                              qa_bot_cmd, replied_to, run, running_bot)

pytestmark = pytest.mark.timeout(240)

# ---- conversation --------------------------------------------------------------------

def test_private_question_gets_a_cited_answer_and_the_token_stays_out_of_logs(engine, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="httpx")

    async def scenario():
        async with running_bot(engine) as api:
            q = api.message(1001, "Who is North Korea's ambassador to the United Nations?")
            (first, *_) = await answer_to(api, q)
            (thanks, *_) = await answer_to(api, api.message(1001, "thanks :)"))
            (slipped, *_) = await answer_to(api, api.message(1003, "Who is North Korea's "
                                                             "ambasador to the United Nations?"))
            follow = api.message(1001, "When was he appointed?")
            (second, *_) = await answer_to(api, follow)
            reset = api.message(1001, "/reset")
            await api.wait_for(lambda: any("new conversation" in m["text"]
                                           for m in api.sent_to(1001)))
            return api, q, first, thanks, slipped, second, reset

    api, q, first, thanks, slipped, second, reset = run(scenario())
    # small talk gets a reply of its own, with no sources and no buttons
    assert thanks["text"] == "You're welcome. Ask another question whenever you like."
    assert "reply_markup" not in thanks["params"]
    # a typing slip is mended, and the answer opens by saying how the question was read
    assert slipped["text"].startswith("Read as “Who is North Korea's ambassador to the "
                                      "United Nations?”") and "Kim Song" in slipped["text"]
    assert slipped["html"].startswith("<i>Read as")
    assert "Read as" not in first["text"]
    assert "Kim Song" in first["text"] and "[1]" in first["text"]
    assert "Sources" in first["text"] and "North Korea blames" in first["text"]
    assert "<b>[1]</b>" in first["html"]
    params = first["params"]
    assert params["parse_mode"] == "HTML"
    assert params["link_preview_options"] == {"is_disabled": True}
    buttons = [b for row in params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons and all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert len({b["text"] for b in buttons}) == len(buttons)
    expected = engine.ask(q["message"]["text"])
    assert all(first["text"].count(c.quote) == 1  # the answer once, not again as a quote
               for c in expected.citations if c.cited)
    assert "2014" in second["text"]  # the follow-up used the first question, past "thanks"
    # "typing..." before the answer; the commands registered at start
    actions = api.calls_of("sendChatAction")
    assert actions and actions[0].params == {"chat_id": 1001, "action": "typing"}
    assert actions[0].at <= next(c.at for c in api.calls_of("sendMessage"))
    (commands,) = api.calls_of("setMyCommands")
    assert [c["command"] for c in commands.params["commands"]] == [c for c, _ in COMMANDS]
    assert api.calls_of("deleteWebhook")
    # httpx logged the request URLs, and the token in them was redacted
    records = [r for r in caplog.records if r.name == "httpx"]
    assert records and all(TOKEN not in r.getMessage() for r in records)
    assert any(f"/bot{REDACTED}/sendMessage" in r.getMessage() for r in records)
    assert all(TOKEN not in caplog.handler.format(r) for r in caplog.records)


def test_redaction_covers_messages_arguments_and_tracebacks(caplog):
    secret = "987654:Secret-Token_for-redaction"
    redactor = Redactor()
    redactor.add(secret)
    redactor.install()
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        log.info("GET https://api.telegram.org/bot%s/getMe", secret)
        try:
            raise RuntimeError(f"failed at /bot{secret}/sendMessage")
        except RuntimeError:
            log.exception("request failed")
        log.info("url-encoded: token=987654%3ASecret-Token_for-redaction&x=1")
        log.info("lower-case: %s", secret.lower())
        log.info("percent-encoded in lower case: 987654%3asecret-token_for-redaction")
        log.info("the secret half alone: Secret-Token_for-redaction")
    text = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert "secret-token" not in text.lower()
    assert text.count(REDACTED) == 6  # the messages and the exception in the traceback


def test_group_ask_reply_and_ignored_messages(engine):
    group = -2001

    async def scenario():
        async with running_bot(engine) as api:
            a1 = api.message(group, "/ask@qa_test_bot When did the volcano erupt?", user_id=7)
            (ans1, *_) = await answer_to(api, a1)
            api.message(group, "hello everyone, nice weather", user_id=8)
            api.message(group, "/ask@some_other_bot Who won the football cup?", user_id=8)
            other = {"message_id": 999, "date": 0, "chat": api.chat(group),
                     "from": api.user(9), "text": "a human message"}
            api.message(group, "Who won the football cup?", user_id=8, reply_to=other)
            reply = api.message(group, "Who won the football cup?", user_id=8,
                                reply_to={k: ans1[k] for k in ("message_id", "date", "chat",
                                                              "from", "text")})
            (ans2, *_) = await answer_to(api, reply)
            bare = api.message(group, "/ask How much did bread prices rise?", user_id=7)
            (ans3, *_) = await answer_to(api, bare)
            return api, ans1, ans2, ans3

    api, ans1, ans2, ans3 = run(scenario())
    conversation = Conversation(engine, engine.cfg.telegram.history_turns)  # the group's
    expected = [conversation.ask(q) for q in ("When did the volcano erupt?",
                                              "Who won the football cup?",
                                              "How much did bread prices rise?")]
    assert ans1["from"]["id"] == BOT_ID
    assert [a["text"] for a in (ans1, ans2, ans3)] == \
        [parse_html(telegram_messages(e)[0]) for e in expected]
    # only the three questions were answered: plain, foreign and non-bot-reply messages not
    assert len([m for m in api.sent_to(group) if replied_to(m)]) == 3
    assert len(api.calls_of("sendChatAction")) == 3


def test_citation_button_shows_the_full_passage(engine):
    async def scenario():
        async with running_bot(engine) as api:
            q = api.message(1002, "How many residents of Grindavik were evacuated?")
            msgs = await answer_to(api, q)
            last = msgs[-1]
            buttons = [b["callback_data"] for row in last["reply_markup"]["inline_keyboard"]
                       for b in row]
            data = next((b for b in buttons if b.startswith("p:")), None)
            if data is None:  # declined: the passages are behind "Nearest passages"
                last = (await press_and_collect(api, 1002, last, buttons[-1]))[-1]
                data = last["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            message = {k: last[k] for k in ("message_id", "date", "chat", "from", "text")}
            presses = len(api.calls_of("answerCallbackQuery"))
            api.press(message, data, user_id=1002)
            passage = await api.wait_for(
                lambda: [m for m in api.sent_to(1002) if "characters" in m["text"]])
            api.press(message, "p:deadbeef:1", user_id=1002)
            await api.wait_for(lambda: len(api.calls_of("answerCallbackQuery")) == presses + 2)
            return api, passage[0], last

    api, passage, answer_msg = run(scenario())
    assert "four thousand residents" in passage["text"]
    assert "volcano.txt, characters" in passage["text"]
    assert "<blockquote>" in passage["html"] and "<b>About four thousand" in passage["html"]
    assert replied_to(passage) == answer_msg["message_id"]
    ok, stale = api.calls_of("answerCallbackQuery")[-2:]
    assert "text" not in ok.params
    assert "no longer" in stale.params["text"] and stale.params["show_alert"] is True


class CountingEngine(Engine):
    """The real engine, counting its retrievals."""

    asks = 0

    def ask(self, *args, **kwargs):
        self.asks += 1
        return super().ask(*args, **kwargs)


def test_inline_query_typed_as_20_updates_costs_at_most_2_retrievals_and_no_quota(engine,
                                                                                  embedder):
    counting = CountingEngine(engine.cfg, embedder_factory=lambda: embedder)
    query = "Who scored twice for the Rovers?"

    async def scenario():
        async with running_bot(counting, rate_limit_per_minute=2,
                               inline_debounce_s=0.5) as api:
            for i in range(1, 21):  # typed: one update per keystroke or two, 60 ms apart
                api.inline(query[:len(query) * i // 20], user_id=1020)
                await asyncio.sleep(0.06)
            api.inline("   ", user_id=1020)
            await api.wait_for(lambda: any(c.params["results"]
                                           for c in api.calls_of("answerInlineQuery")))
            await asyncio.sleep(1.0)
            inline_asks = counting.asks
            qs = [api.message(1020, "Why did bread prices rise?") for _ in range(2)]
            replies = [(await answer_to(api, q))[0]["text"] for q in qs]
            thanks = api.inline("thanks!", user_id=1021)["inline_query"]["id"]
            await api.wait_for(lambda: any(c.params["inline_query_id"] == thanks
                                           for c in api.calls_of("answerInlineQuery")))
            return api, inline_asks, replies, thanks

    api, inline_asks, replies, thanks = run(scenario())
    # small talk offers nothing to send to a chat
    (to_thanks,) = [c.params for c in api.calls_of("answerInlineQuery")
                    if c.params["inline_query_id"] == thanks]
    assert to_thanks["results"] == []
    calls = api.calls_of("answerInlineQuery")
    print(f"\ninline: 20 updates of one query -> {inline_asks} retrieval(s), "
          f"{len(calls)} answerInlineQuery call(s)", file=sys.stderr)
    assert 1 <= inline_asks <= 2
    assert all(c.params["is_personal"] is True for c in calls)
    (answered,) = [c.params for c in calls if c.params["results"]]
    results = answered["results"]
    assert 1 < len(results) <= 50 and len({r["id"] for r in results}) == len(results)
    expected = engine.ask(query)
    first = parse_html(results[0]["input_message_content"]["message_text"])
    assert first == parse_html(telegram_messages(expected)[0])
    # the private-chat quota (2 a minute) is untouched: both questions are answered
    assert not any("faster than I can keep up" in r for r in replies)


def test_more_passages_button_lists_the_passages_the_answer_does_not_cite(engine, embedder):
    wide = Engine(dataclasses.replace(
        engine.cfg, retrieval=dataclasses.replace(engine.cfg.retrieval, top_k=12)),
        embedder_factory=lambda: embedder)
    question = "What did the lighthouse keepers of Brittany do?"
    expected = wide.ask(question)
    others = [c for c in expected.citations if not c.cited]
    assert len(others) >= 2

    async def scenario():
        async with running_bot(wide) as api:
            q = api.message(1004, question)
            msgs = await answer_to(api, q)
            await asyncio.sleep(0.5)  # the rest of a split answer, if any
            msgs = [m for m in api.sent_to(1004)]
            more = msgs[-1]["reply_markup"]["inline_keyboard"][-1][0]
            listing = await press_and_collect(api, 1004, msgs[-1], more["callback_data"])
            passage_button = listing[-1]["reply_markup"]["inline_keyboard"][0][0]
            (passage, *_) = await press_and_collect(api, 1004, listing[-1],
                                                    passage_button["callback_data"], False)
            return msgs, more, listing, passage

    msgs, more, listing, passage = run(scenario())
    text = "\n".join(m["text"] for m in msgs)
    assert not any(f"[{c.n}] " in text for c in others)  # never beside the answer
    label = "More passages" if expected.answered else "Nearest passages"
    assert more["text"] == f"{label} ({len(others)})"
    shown = "\n".join(m["text"] for m in listing)
    assert shown.startswith(label) and "Sources" not in shown
    assert all(shown.count(f"[{c.n}] ") == 1 and c.quote in shown for c in others)
    assert all(len(m["text"].encode("utf-16-le")) // 2 <= 4096 for m in listing)
    assert all(m["html"].endswith("</blockquote>") for m in listing)  # whole passages
    assert "reply_markup" in listing[-1] and all("reply_markup" not in m for m in listing[:-1])
    buttons = [row[0]["text"] for row in listing[-1]["reply_markup"]["inline_keyboard"]]
    assert len(buttons) == len(others) and len(set(buttons)) == len(buttons)
    assert [b.split("]")[0] for b in buttons] == [f"[{c.n}" for c in others]
    assert "characters" in passage["text"] and others[0].quote in passage["text"]


def test_markup_in_documents_and_questions_is_escaped(engine):
    async def scenario():
        async with running_bot(engine) as api:
            q = api.message(1005, "What did the board of <b>Acme</b> & <script>x</script> "
                                  "approve for R&D?")
            msgs = await answer_to(api, q)
            api.message(1005, "/docs")
            await api.wait_for(lambda: any("documents" in m["text"] and
                                           replied_to(m) is None for m in api.sent_to(1005)))
            return api, msgs

    api, msgs = run(scenario())
    answer = msgs[0]
    assert MARKUP_SENTENCE in answer["text"] and MARKUP_TITLE in answer["text"]
    assert "&lt;script&gt;" in answer["html"] and "<script>" not in answer["html"]
    docs = [m for m in api.sent_to(1005) if "documents" in m["text"] and not replied_to(m)]
    assert MARKUP_TITLE in docs[0]["text"] and "lighthouse.txt" in docs[0]["text"]


def test_unanswerable_question_says_so_and_offers_the_nearest_passages(engine):
    async def scenario():
        async with running_bot(engine) as api:
            q = api.message(1017, "Which programming language did Guido van Rossum create?")
            return await answer_to(api, q)

    (msg, *_) = run(scenario())
    assert msg["text"].startswith("The indexed documents do not answer this question: none "
                                  "of them mentions “Guido”.\n")  # a name the corpus lacks
    assert "Nearest articles\n• " in msg["text"] and "Sources" not in msg["text"]
    assert "[1]" not in msg["text"]  # no passage is presented as a source
    (row,) = msg["reply_markup"]["inline_keyboard"]  # the passages can still be opened
    assert row[0]["text"].startswith("Nearest passages (")


def test_commands_help_usage_and_unknown(engine):
    async def scenario():
        async with running_bot(engine) as api:
            msgs = [api.message(1016, t) for t in ("/start", "/help", "/ask", "/frobnicate")]
            return [(await answer_to(api, m))[0]["text"] for m in msgs]

    start, help_, usage, unknown = run(scenario())
    assert start == help_ and "/ask" in help_ and "@qa_test_bot" in help_
    assert "Put the question after the command" in usage
    assert "try /help" in unknown


# ---- access and abuse ----------------------------------------------------------------

def test_unauthorised_users_and_chats_are_refused_once_and_nothing_is_retrieved(engine):
    async def scenario():
        async with running_bot(engine, allowed_user_ids=[1006],
                               allowed_chat_ids=[1006, -3001]) as api:
            api.message(3003, "Who won the football cup?")
            api.message(3003, "And who scored?")
            api.message(-3002, "/ask Who won the football cup?", user_id=1006)
            api.inline("football cup", user_id=3003)
            ok = api.message(1006, "Who won the football cup?")
            await answer_to(api, ok)
            await api.wait_for(lambda: api.sent_to(-3002) and len(api.sent_to(3003)) >= 1
                               and api.calls_of("answerInlineQuery"))
            await asyncio.sleep(0.5)
            return api

    api = run(scenario())
    (refusal,) = api.sent_to(3003)
    assert "only answers" in refusal["text"] and "3003" in refusal["text"]
    (group_refusal,) = api.sent_to(-3002)
    assert "only answers" in group_refusal["text"]
    assert {c.params["chat_id"] for c in api.calls_of("sendChatAction")} == {1006}
    (inline,) = api.calls_of("answerInlineQuery")
    assert inline.params["results"] == [] and inline.params["is_personal"] is True


def test_rate_limit_and_question_length(engine):
    async def scenario():
        async with running_bot(engine, rate_limit_per_minute=2, max_question_chars=80) as api:
            too_long = api.message(1007, "Why " + "really " * 30 + "did bread prices rise?")
            (long_reply,) = await answer_to(api, too_long)
            qs = [api.message(1007, "Why did bread prices rise?") for _ in range(3)]
            replies = [(await answer_to(api, q))[0] for q in qs]
            other = api.message(1008, "Why did bread prices rise?")
            (other_reply, *_) = await answer_to(api, other)
            return long_reply, replies, other_reply

    long_reply, replies, other_reply = run(scenario())
    assert "characters long" in long_reply["text"] and "80" in long_reply["text"]
    assert "twelve percent" in replies[0]["text"] and "twelve percent" in replies[1]["text"]
    assert "2 questions a minute" in replies[2]["text"] and "try again in" in replies[2]["text"]
    assert "twelve percent" in other_reply["text"]  # the quota is per user


# ---- robustness ----------------------------------------------------------------------

def test_429_5xx_and_timeouts_are_retried(engine):
    async def scenario():
        async with running_bot(engine, timeout=1.0) as api:
            api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
            api.fail("sendMessage", 502, "Bad Gateway")
            api.fail("sendMessage", 504, "lost", delay=1.5)  # the bot gives up after 1 s
            api.fail("sendChatAction", 500, "Internal Server Error", times=5)
            t0 = time.monotonic()
            q = api.message(1009, "Who won the football cup?")
            (ans, *_) = await answer_to(api, q)
            return api, time.monotonic() - t0, ans

    api, elapsed, ans = run(scenario())
    assert ans["text"] == parse_html(telegram_messages(engine.ask("Who won the football cup?"))[0])
    assert len(api.calls_of("sendMessage")) == 4  # 429, 502, timed out, then delivered
    assert elapsed >= 2.0  # waited out retry_after, then the timeout


def test_a_failing_handler_tells_the_user_and_the_bot_keeps_answering(engine, embedder,
                                                                     tmp_path, caplog):
    shutil.copytree(engine.cfg.index_dir, tmp_path / "index")
    fresh = Engine(with_index_dir(engine.cfg, tmp_path / "index"),
                   embedder_factory=lambda: embedder)
    current = tmp_path / "index" / "CURRENT"
    live = current.read_text()

    async def scenario():
        async with running_bot(fresh) as api:
            (tmp_path / "index" / "gen-999999").mkdir()  # empty: no engine can load it
            current.write_text("gen-999999\n")
            try:
                bad = api.message(1010, "Who won the football cup?")
                (sorry,) = await answer_to(api, bad)
            finally:
                current.write_text(live)
            good = api.message(1010, "Who won the football cup?")
            (ans, *_) = await answer_to(api, good)
            return bad, sorry, ans

    with caplog.at_level(logging.ERROR, logger="qa_bot.telegram"):
        bad, sorry, ans = run(scenario())
    assert sorry["text"] == SORRY
    assert ans["text"] == parse_html(telegram_messages(engine.ask("Who won the football cup?"))[0])
    assert any(f"update {bad['update_id']} failed" in r.getMessage() for r in caplog.records)


def test_webhook_checks_the_secret_refuses_malformed_bodies_and_drops_duplicates(engine,
                                                                                caplog):
    port = free_port()
    secret = "s3cret-Webhook_token"

    async def scenario():
        async with running_bot(engine, secret=secret, mode="webhook",
                               webhook_url="https://bot.example.test/qa-hook",
                               webhook_listen="127.0.0.1", webhook_port=port) as api:
            url = f"http://127.0.0.1:{port}/qa-hook"

            def update(text: str, uid: int) -> dict:
                u = api.message(uid, text)
                api._updates.clear()  # delivered by webhook, not getUpdates
                return u

            good = update("Who won the football cup?", 1013)
            bodies = [  # (headers, body): wrong or missing secret, then the right one ...
                ({"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                 update("Who won the football cup?", 1011)),
                ({}, update("Who won the football cup?", 1012)),
                ({"X-Telegram-Bot-Api-Secret-Token": secret}, good),
                ({"X-Telegram-Bot-Api-Secret-Token": secret}, good),  # ... delivered twice
                *(({"X-Telegram-Bot-Api-Secret-Token": secret}, bad) for bad in (
                    b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b"{}",
                    b'{"update_id": "x"}', b'{"update_id": 5, "message": {"text": "hi"}}'))]
            statuses = []
            async with aiohttp.ClientSession() as http:
                for headers, body in bodies:
                    kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
                    async with http.post(url, headers=headers, **kwargs) as r:
                        statuses.append(r.status)
            (ans, *_) = await api.wait_for(lambda: api.sent_to(1013))
            await asyncio.sleep(0.5)
            return api, statuses, ans, good

    with caplog.at_level(logging.WARNING):
        api, statuses, ans, good = run(scenario())
    assert statuses == [403, 403, 200, 200] + [400] * 6
    assert ans["text"] == parse_html(telegram_messages(engine.ask("Who won the football "
                                                                  "cup?"))[0])
    assert len([m for m in api.sent_to(1013) if replied_to(m)]) == 1  # the duplicate dropped
    assert not api.sent_to(1011) and not api.sent_to(1012)
    refused = [r for r in caplog.records if "webhook:" in r.getMessage()]
    assert len(refused) == 6 and not any(r.exc_info for r in refused)  # one line each
    (hook,) = api.calls_of("setWebhook")
    assert hook.params["url"] == "https://bot.example.test/qa-hook"
    assert hook.params["secret_token"] == secret
    assert not api.calls_of("getUpdates")


def test_captions_and_edits_are_questions_and_outsiders_get_nothing_from_reindex(engine):
    async def scenario():
        async with running_bot(engine, allowed_user_ids=[1301], admin_user_ids=[ADMIN]) as api:
            photo = api.photo(1301, "When did the volcano erupt?")
            (by_photo, *_) = await answer_to(api, photo)
            q = api.message(1301, "Who won the football cup?")
            (first, *_) = await answer_to(api, q)
            api.edit(q, "Why did bread prices rise?")
            await api.wait_for(lambda: len([m for m in api.sent_to(1301)
                                            if replied_to(m) == q["message"]["message_id"]]) == 2)
            api.message(1302, "/reindex")
            api.message(1302, "/reindex")
            api.message(1301, "/reindex")  # allowed, not an admin
            await api.wait_for(lambda: api.sent_to(1302) and len(api.sent_to(1301)) >= 4)
            await asyncio.sleep(0.5)
            edited = [m for m in api.sent_to(1301) if replied_to(m) == q["message"]["message_id"]]
            return api, by_photo, first, edited[-1]

    api, by_photo, first, edited = run(scenario())
    assert by_photo["text"] == parse_html(telegram_messages(
        engine.ask("When did the volcano erupt?"))[0])
    assert edited["text"].startswith("Your edited question, answered again:")
    assert edited["text"] != first["text"]
    (outsider,) = api.sent_to(1302)  # the one polite refusal, nothing about reindexing
    assert "only answers the people" in outsider["text"] and "reindex" not in outsider["text"]
    assert api.sent_to(1301)[-1]["text"] == "Only the bot's admins can reindex."


def test_a_failed_poll_is_one_log_line(engine, caplog):
    async def scenario():
        async with running_bot(engine) as api:
            await api.wait_for(lambda: api.calls_of("getUpdates"))
            api.fail("getUpdates", 502, "Bad Gateway")
            q = api.message(1303, "Who won the football cup?")
            await answer_to(api, q)
            return api

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    bot = [r for r in caplog.records if r.name.startswith(("telegram", "qa_bot.telegram"))]
    failed = [r for r in bot if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failed] == [
        "getUpdates failed (NetworkError: Bad Gateway); retrying"]
    assert not any(r.exc_info for r in bot if r.levelno >= logging.INFO)


def test_admin_reindex_picks_up_new_documents_without_restart(engine, corpus):
    async def scenario():
        async with running_bot(engine, admin_user_ids=[ADMIN]) as api:
            denied = api.message(1014, "/reindex")
            (no,) = await answer_to(api, denied)
            (corpus / "corpus" / "comet.txt").write_text(
                "science\n\nA new comet is visible at dawn\n\nThe comet Tsuchinshan was "
                "discovered by the Purple Mountain Observatory and is visible at dawn this "
                "week.\n", encoding="utf-8")
            api.message(ADMIN, "/reindex")
            done = await api.wait_for(lambda: [m for m in api.sent_to(ADMIN)
                                               if m["text"].startswith("Reindex done")], 120)
            q = api.message(ADMIN, "Which observatory discovered the comet Tsuchinshan?")
            (ans, *_) = await answer_to(api, q)
            return no, done[0], ans

    no, done, ans = run(scenario())
    assert "Only the bot's admins" in no["text"]
    assert "1 added, 0 updated, 0 removed" in done["text"] and "comet.txt" in done["text"]
    assert "Purple Mountain Observatory" in ans["text"]


def test_load_300_questions_from_50_chats_in_order(engine):
    questions = ["Who won the football cup?", "When did the volcano erupt?",
                 "Why did bread prices rise?", "Who is North Korea's ambassador to the UN?",
                 "How many residents of Grindavik were evacuated?",
                 "Who scored twice for the Rovers?"]

    async def scenario():
        async with running_bot(engine, rate_limit_per_minute=60) as api:
            t0 = time.monotonic()
            pushed: dict[int, float] = {}
            asked: dict[int, list[int]] = {}
            for round_ in range(6):
                for chat in range(50):
                    cid = 5000 + chat
                    u = api.message(cid, questions[(chat + round_) % 6])
                    asked.setdefault(cid, []).append(u["message"]["message_id"])
                    pushed[u["message"]["message_id"]] = time.monotonic()
            help_ = api.message(9999, "/help")  # queued behind 300 questions of other chats
            answered: dict[int, float] = {}

            def all_answered() -> bool:
                for m in api.sent[len(answered_seen):]:
                    answered_seen.append(m)
                    if replied_to(m) in pushed:
                        answered.setdefault(replied_to(m), time.monotonic())
                return len(answered) == 300

            answered_seen: list[dict] = []
            await api.wait_for(all_answered, 200)
            wall = time.monotonic() - t0
            latencies = sorted(answered[i] - pushed[i] for i in pushed)
            help_at = next(i for i, m in enumerate(api.sent)
                           if replied_to(m) == help_["message"]["message_id"])
            return api, asked, wall, latencies, help_at

    api, asked, wall, latencies, help_at = run(scenario())
    # the event loop never waited on retrieval: /help overtook most of the backlog
    assert help_at < len(api.sent) // 2
    print(f"\nload: 300 questions from 50 chats (all pushed at once) answered in {wall:.1f} s "
          f"wall time ({300 / wall:.1f} questions/s); slowest answer {latencies[-1]:.1f} s, "
          f"median {latencies[150]:.1f} s", file=sys.stderr)
    for cid, ids in asked.items():
        order = [replied_to(m) for m in api.sent_to(cid) if replied_to(m)]
        assert order == ids, f"chat {cid}: answers out of order or lost"
        assert all("Sources" in m["text"] or m["text"].startswith(NOT_ANSWERED)
                   for m in api.sent_to(cid))  # answers, not apologies


# ---- the command line ----------------------------------------------------------------


def test_missing_token_or_webhook_secret_is_one_line_and_exit_2(corpus, tmp_path):
    code, err = run(exit_of(qa_bot_cmd("telegram"), cli_env(corpus)))
    assert code == 2
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN is not set" in err
    code, err = run(exit_of(qa_bot_cmd("telegram"),
                            cli_env(corpus, TELEGRAM_BOT_TOKEN="garbage-token")))
    assert code == 2 and err.count("\n") == 1 and "is not a bot token" in err
    assert "garbage-token" not in err  # whatever was set is never echoed

    webhook = tmp_path / "webhook.toml"
    webhook.write_text('[telegram]\nmode = "webhook"\nwebhook_url = "https://x.test/hook"\n')
    code, err = run(exit_of(qa_bot_cmd("--config", str(webhook), "telegram"),
                            cli_env(corpus, TELEGRAM_BOT_TOKEN=TOKEN)))
    assert code == 2
    assert err.count("\n") == 1 and "TELEGRAM_WEBHOOK_SECRET" in err and TOKEN not in err


def test_rejected_token_is_one_line_and_exit_2(corpus):
    wrong = "111:WrongTokenWrongToken"

    async def scenario():
        api = FakeBotApi()
        await api.start()
        try:
            root = api.base_url.removesuffix("/bot")  # the server's root: /bot is appended
            return await exit_of(qa_bot_cmd("telegram", "--base-url", root),
                                 cli_env(corpus, TELEGRAM_BOT_TOKEN=wrong)), api
        finally:
            await api.stop()

    (code, err), api = run(scenario())
    assert code == 2, err
    assert err.count("\n") == 1 and "rejected TELEGRAM_BOT_TOKEN" in err
    assert wrong not in err
    assert api.errors == [("getMe", "Unauthorized")]  # it did reach the server


def test_sigterm_stops_a_polling_bot_cleanly(corpus, engine):
    async def scenario():
        api = FakeBotApi()
        await api.start()
        try:
            proc = await asyncio.create_subprocess_exec(
                *qa_bot_cmd("--index-dir", str(engine.cfg.index_dir), "telegram",
                            "--base-url", api.base_url),
                env=cli_env(corpus, TELEGRAM_BOT_TOKEN=TOKEN),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            await api.wait_for(lambda: proc.returncode is not None
                               or api.calls_of("getUpdates"), 120)
            q = api.message(1015, "Who won the football cup?")
            await answer_to(api, q, 60)
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            out, err = await asyncio.wait_for(proc.communicate(), 20)
            return proc.returncode, time.monotonic() - t0, err.decode(), api
        finally:
            await api.stop()

    code, took, err, api = run(scenario())
    assert code == 0, err
    assert took < 10
    assert TOKEN not in err
    assert api.calls_of("getUpdates")[-1].params.get("timeout") == 0  # updates marked read
