"""The Telegram front end: a python-telegram-bot v22 Application around one Engine.

Invariants:
- The token comes only from $TELEGRAM_BOT_TOKEN and never reaches a log line (every log
  record is redacted when it is created, whatever logger or handler it goes to).
- Retrieval runs in a thread pool, never on the event loop; updates of one chat are handled
  one at a time in arrival order, different chats concurrently.
- Every text that reaches Telegram is HTML built by `qa_bot.render` (all corpus and user
  text escaped, messages within 4096 UTF-16 units).
- A failing handler is logged with its update id and the user is told; the bot keeps running.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup,
                      InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions,
                      Message, Update)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor,
                          CallbackQueryHandler, CommandHandler, ContextTypes, Defaults,
                          InlineQueryHandler, MessageHandler, filters)

from qa_bot import render
from qa_bot.answering import Answer, Citation
from qa_bot.config import Config
from qa_bot.conversation import Conversation
from qa_bot.engine import Engine
from qa_bot.errors import ConfigError, InputError, QaBotError

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
REDACTED = "[REDACTED]"
UPDATES = ["message", "callback_query", "inline_query"]
ANSWERS_KEPT = 20          # answers per chat whose citation buttons still work
CHATS_KEPT = 10_000        # chats whose state (history, answers) is kept in memory
INLINE_RESULTS_MAX = 50
TYPING_REFRESH_S = 4.5     # Telegram shows "typing..." for about 5 s

COMMANDS = [
    ("ask", "Ask a question about the documents"),
    ("docs", "What the bot knows: documents and dates"),
    ("reset", "Forget the follow-up context of this chat"),
    ("help", "How to use the bot"),
]
HELP = (
    "I answer questions about a collection of news articles, quoting the sentences that "
    "answer them, with their sources.\n\n"
    "In a private chat just send a question. In a group use /ask followed by the question, "
    "or reply to one of my messages. Follow-up questions (\"and when did he arrive?\") use "
    "the last answers of the chat; /reset forgets them.\n\n"
    "Tap a numbered button under an answer to read the full passage, or \"More passages\" "
    "for the other passages I found.\n"
    "/docs lists what I know. You can also type @{username} and a question in any chat."
)
SORRY = "Sorry, something went wrong while handling that. Please try again in a moment."

log = logging.getLogger("qa_bot.telegram")


# ---- secrets never reach the logs ------------------------------------------------------

_redacted: set[str] = set()
_factory_lock = threading.Lock()
_factory_installed = False


def redact(text: str) -> str:
    """`text` with every registered secret replaced by [REDACTED]."""
    for secret in _redacted:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def install_redaction(*secrets_: str | None) -> None:
    """Redact these secrets from every log record created from now on, in its message,
    arguments and traceback (httpx logs request URLs, and Bot API URLs hold the token)."""
    global _factory_installed
    _redacted.update(s for s in secrets_ if s)
    with _factory_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if not _redacted:
                return record
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
            if record.exc_info:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


# ---- plumbing: ordering, retries, quotas, threads ---------------------------------------

class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run one at a time in arrival order; other chats (and updates
    without a chat, such as inline queries) run concurrently."""

    def __init__(self, max_concurrent_updates: int = 256):
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        previous = self._tails.get(chat.id)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        self._tails[chat.id] = done
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)
            started = True
            await coroutine
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting for its turn
            done.set_result(None)
            if self._tails.get(chat.id) is done:
                del self._tails[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (30 requests/s overall, 20/min per group, waits out 429
    RetryAfter up to `max_retries` times), plus up to `max_retries` retries with backoff
    for timeouts and 5xx answers (NetworkError other than BadRequest)."""

    def __init__(self, max_retries: int = 3, backoff: float = 0.5, **kwargs: Any):
        super().__init__(max_retries=max_retries, **kwargs)
        self._network_retries = max_retries
        self._backoff = backoff

    async def process_request(self, callback, args, kwargs, endpoint, data,
                              rate_limit_args):  # type: ignore[no-untyped-def]
        for attempt in range(self._network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == self._network_retries:
                    raise
                delay = self._backoff * 2 ** attempt
                log.info("%s failed (%s); retry %d in %.1f s", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class UserQuota:
    """At most `per_minute` questions per user in any 60 s window (0: no limit)."""

    def __init__(self, per_minute: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.window, self.clock = per_minute, window, clock
        self._times: dict[int, collections.deque[float]] = {}

    def take(self, user_id: int) -> float:
        """0 if the user may ask now (and the question is counted), else seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        times = self._times.setdefault(user_id, collections.deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.per_minute:
            return times[0] + self.window - now
        times.append(now)
        if len(self._times) > CHATS_KEPT:
            for uid in [u for u, t in self._times.items() if not t or t[-1] <= now - self.window]:
                del self._times[uid]
        return 0.0


@dataclass
class ChatState:
    """What the bot remembers of one chat: its conversation (the last Answers, which
    follow-ups lean on) and its last answers by key (for the buttons), both bounded."""

    conversation: Conversation
    answers: collections.OrderedDict[str, Answer] = field(
        default_factory=collections.OrderedDict)

    def remember(self, answer: Answer) -> str:
        """Keep `answer` under a new short key (at most ANSWERS_KEPT are kept)."""
        key = secrets.token_hex(4)
        self.answers[key] = answer
        while len(self.answers) > ANSWERS_KEPT:
            self.answers.popitem(last=False)
        return key


def callback_data(key: str, n: int) -> str:
    """Button payload for citation n of answer `key`: 'p:<key>:<n>', well under 64 bytes."""
    return f"p:{key}:{n}"


def more_data(key: str) -> str:
    """Button payload for the other passages of answer `key`: 'm:<key>'."""
    return f"m:{key}"


_CALLBACK = re.compile(r"^p:([0-9a-f]{8}):(\d{1,3})$")
_MORE = re.compile(r"^m:([0-9a-f]{8})$")


def _passage_buttons(citations: list[Citation], key: str) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(label, callback_data=callback_data(key, c.n))]
            for c, label in zip(citations, render.button_labels(citations))]


def keyboard(answer: Answer, key: str) -> InlineKeyboardMarkup | None:
    """One button per cited source, opening its full passage, then one "More passages"
    (or, for a declined answer, "Nearest passages") button when there are others."""
    rows = _passage_buttons(render.cited(answer), key)
    others = render.more_passages(answer)
    if others:
        label = "More passages" if answer.answered else "Nearest passages"
        rows.append([InlineKeyboardButton(f"{label} ({len(others)})",
                                          callback_data=more_data(key))])
    return InlineKeyboardMarkup(rows) if rows else None


def more_keyboard(answer: Answer, key: str) -> InlineKeyboardMarkup | None:
    """One button per passage of the "More passages" message."""
    rows = _passage_buttons(render.more_passages(answer), key)
    return InlineKeyboardMarkup(rows) if rows else None


def normalise_base_url(url: str) -> str:
    """A Bot API server address as PTB wants it: 'http://host:port' becomes
    'http://host:port/bot'; URLs ending in /bot or holding {token} are kept."""
    url = url.strip().rstrip("/")
    return url if "{token}" in url or url.endswith("/bot") else url + "/bot"


@contextlib.asynccontextmanager
async def typing(bot: Any, chat_id: int):
    """Show 'typing...' in the chat while the body runs (refreshed every few seconds)."""
    async def keep_typing() -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("sendChatAction failed: %s", exc)
            await asyncio.sleep(TYPING_REFRESH_S)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---- the bot ---------------------------------------------------------------------------

class QaTelegramBot:
    """Handlers and per-chat state around one Engine. Build the Application with
    `build_application`; this class holds no Telegram connection itself."""

    def __init__(self, cfg: Config, engine: Engine):
        self.cfg = cfg
        self.tg = cfg.telegram
        self.engine = engine
        self.pool = ThreadPoolExecutor(max_workers=self.tg.workers,
                                       thread_name_prefix="qa-retrieval")
        self.quota = UserQuota(self.tg.rate_limit_per_minute)
        self.chats: collections.OrderedDict[int, ChatState] = collections.OrderedDict()
        self.refused: collections.OrderedDict[tuple[int, int], None] = collections.OrderedDict()
        self.reindexing = False

    # -- state and access --
    def state(self, chat_id: int) -> ChatState:
        st = self.chats.get(chat_id)
        if st is None:
            st = self.chats[chat_id] = ChatState(Conversation(self.engine,
                                                              self.tg.history_turns))
            while len(self.chats) > CHATS_KEPT:
                self.chats.popitem(last=False)
        else:
            self.chats.move_to_end(chat_id)
        return st

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.tg.admin_user_ids

    def allowed(self, user_id: int | None, chat_id: int | None) -> bool:
        """Admins always; others when each configured allow-list (users, chats) has them."""
        if self.is_admin(user_id):
            return True
        if self.tg.allowed_user_ids and user_id not in self.tg.allowed_user_ids:
            return False
        if self.tg.allowed_chat_ids and chat_id is not None \
                and chat_id not in self.tg.allowed_chat_ids:
            return False
        return True

    async def admit(self, update: Update) -> bool:
        """True if the sender may use the bot here; otherwise refuse politely, once per
        user and chat, and retrieve nothing."""
        user, chat = update.effective_user, update.effective_chat
        uid, cid = (user.id if user else None), (chat.id if chat else None)
        if self.allowed(uid, cid):
            return True
        log.info("refused user %s in chat %s", uid, cid)
        msg = update.effective_message
        key = (uid or 0, cid or 0)
        if msg is not None and key not in self.refused:
            self.refused[key] = None
            while len(self.refused) > CHATS_KEPT:
                self.refused.popitem(last=False)
            await msg.reply_text(
                "Sorry, this bot only answers the people and chats it was set up for. "
                f"If you think you should have access, ask its owner to add your user id "
                f"({uid}).")
        return False

    async def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer in the retrieval pool, off the event loop: through `conversation` (which
        passes its earlier Answers as history and keeps this one), else alone."""
        loop = asyncio.get_running_loop()
        asks = conversation.ask if conversation is not None else self.engine.ask
        return await loop.run_in_executor(self.pool, partial(asks, question))

    def check_question(self, question: str, user_id: int | None) -> str | None:
        """Why this question is not taken (too long, over quota), or None."""
        if len(question) > self.tg.max_question_chars:
            return (f"That question is {len(question)} characters long; please keep it under "
                    f"{self.tg.max_question_chars}.")
        wait = self.quota.take(user_id or 0)
        if wait > 0:
            return (f"You are asking faster than I can keep up with "
                    f"({self.tg.rate_limit_per_minute} questions a minute). "
                    f"Please try again in {max(1, round(wait))} s.")
        return None

    # -- questions --
    async def answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                     question: str) -> None:
        """Answer `question` in reply to the update's message, with citation buttons."""
        msg, chat = update.effective_message, update.effective_chat
        assert msg is not None and chat is not None
        if not await self.admit(update):
            return
        question = question.strip()
        if not question:
            await msg.reply_text("Put the question after the command, for example: "
                                 "<code>/ask Who won the election?</code>")
            return
        user_id = update.effective_user.id if update.effective_user else None
        problem = self.check_question(question, user_id)
        if problem:
            await msg.reply_text(render.esc(problem))
            return
        st = self.state(chat.id)
        started = time.monotonic()
        async with typing(context.bot, chat.id):
            try:
                answer = await self.ask(question, st.conversation)
            except InputError as exc:
                await msg.reply_text(render.esc(str(exc)))
                return
        log.info("update %s: chat %s, answered=%s in %.2f s", update.update_id, chat.id,
                 answer.answered, time.monotonic() - started)
        key = st.remember(answer)
        messages = render.telegram_messages(answer)
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            await msg.reply_text(text, do_quote=i == 0,
                                 reply_markup=keyboard(answer, key) if last else None)

    async def on_private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, context, update.effective_message.text or "")

    async def on_group_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply in a group is a question only when it answers one of the bot's messages."""
        msg = update.effective_message
        replied = msg.reply_to_message if msg else None
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return
        await self.answer(update, context, msg.text or "")

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text or ""
        parts = text.split(maxsplit=1)
        await self.answer(update, context, parts[1] if len(parts) > 1 else "")

    # -- commands --
    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.admit(update):
            return
        await update.effective_message.reply_text(
            render.esc(HELP.format(username=context.bot.username)))

    async def on_docs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.admit(update):
            return
        loop = asyncio.get_running_loop()
        docs = await loop.run_in_executor(self.pool, self.engine.documents)
        for text in render.docs_messages(docs):
            await update.effective_message.reply_text(text, do_quote=False)

    async def on_reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.admit(update):
            return
        self.state(update.effective_chat.id).conversation.reset()
        await update.effective_message.reply_text(
            "Done: the next question starts a new conversation.")

    async def on_unknown_command(self, update: Update,
                                 context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.admit(update):
            return
        await update.effective_message.reply_text("I don't know that command; try /help.")

    async def on_reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Admins only: sync the index with the corpus in a background thread, then report.
        Questions keep being answered from the old index until the new one is switched in."""
        msg = update.effective_message
        if not self.is_admin(update.effective_user.id if update.effective_user else None):
            await msg.reply_text("Only the bot's admins can reindex.")
            return
        if self.reindexing:
            await msg.reply_text("A reindex is already running.")
            return
        self.reindexing = True
        await msg.reply_text("Reindexing in the background; I will report when it is done.")
        context.application.create_task(self._reindex(msg), update=update)

    async def _reindex(self, msg: Message) -> None:
        try:
            report = await asyncio.to_thread(self.engine.sync, progress=False)
        except QaBotError as exc:
            log.warning("reindex failed: %s", exc)
            await msg.reply_text(render.esc(f"Reindex failed: {exc}"), do_quote=False)
            return
        except Exception:
            log.exception("reindex failed")
            await msg.reply_text("Reindex failed; the details are in the bot's log.",
                                 do_quote=False)
            return
        finally:
            self.reindexing = False
        lines = [f"Reindex done: {len(report.added)} added, {len(report.updated)} updated, "
                 f"{len(report.removed)} removed, {report.unchanged} unchanged "
                 f"({report.chunks_embedded} chunks embedded)."]
        for label, items in (("added", report.added), ("updated", report.updated),
                             ("removed", report.removed)):
            lines += [f"{label}: {item}" for item in items[:20]]
            if len(items) > 20:
                lines.append(f"... and {len(items) - 20} more {label}")
        blocks = [render.Block((("", line),)) for line in lines]
        for text in render.pack(blocks):
            await msg.reply_text(text, do_quote=False)

    # -- buttons and inline mode --
    async def pressed(self, update: Update, pattern: re.Pattern
                      ) -> tuple[Answer, re.Match, Message] | None:
        """The answer a button of this chat belongs to, its payload match and the message
        it sits under; None (the user told why) when not allowed or no longer known."""
        query = update.callback_query
        user_id = query.from_user.id if query.from_user else None
        chat = update.effective_chat
        if not self.allowed(user_id, chat.id if chat else None):
            await query.answer("Sorry, this bot is not available to you.", show_alert=True)
            return None
        m = pattern.match(query.data or "")
        st = self.chats.get(chat.id) if chat else None
        answer = st.answers.get(m.group(1)) if (m and st) else None
        if answer is None or not isinstance(query.message, Message) \
                or (pattern is _CALLBACK and not 1 <= int(m.group(2)) <= len(answer.citations)):
            await query.answer("I no longer have that answer; please ask again.",
                               show_alert=True)
            return None
        await query.answer()
        return answer, m, query.message

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A citation button: send its full passage with provenance."""
        found = await self.pressed(update, _CALLBACK)
        if found is None:
            return
        answer, m, message = found
        for text in render.passage_messages(answer.citations[int(m.group(2)) - 1]):
            await message.reply_text(text)

    async def on_more(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The "More passages" button: send the passages the answer does not quote, with a
        button per passage."""
        found = await self.pressed(update, _MORE)
        if found is None:
            return
        answer, m, message = found
        messages = render.more_passages_messages(answer)
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            await message.reply_text(text, do_quote=i == 0,
                                     reply_markup=more_keyboard(answer, m.group(1)) if last
                                     else None)

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """'@bot question' in any chat: the answer (and each passage) as inline results."""
        iq = update.inline_query
        question = iq.query.strip()
        if not question or not self.allowed(iq.from_user.id, None) \
                or self.check_question(question, iq.from_user.id):
            await iq.answer([], cache_time=0, is_personal=True)
            return
        answer = await self.ask(question)
        first = render.telegram_messages(answer)[0]
        summary = answer.answer if answer.answered else "No answer in the documents"
        results = [InlineQueryResultArticle(
            id="answer", title=summary[:100], description=question[:100],
            input_message_content=InputTextMessageContent(first))]
        for c in answer.citations[:INLINE_RESULTS_MAX - 1]:
            results.append(InlineQueryResultArticle(
                id=f"passage-{c.n}", title=f"[{c.n}] {c.title}"[:100],
                description=c.quote[:200],
                input_message_content=InputTextMessageContent(render.passage_messages(c)[0])))
        await iq.answer(results, cache_time=60, is_personal=False)

    # -- errors --
    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure with its update id; tell the user when there is one."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed: %s: %s", update_id, type(context.error).__name__,
                  context.error, exc_info=context.error)
        if not isinstance(update, Update):
            return
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(SORRY, show_alert=True)
            elif update.inline_query is not None:
                await update.inline_query.answer([], cache_time=0)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(SORRY)
        except TelegramError as exc:
            log.warning("update %s: could not tell the user: %s", update_id, exc)


def build_application(cfg: Config, token: str, engine: Engine, *, base_url: str | None = None,
                      rate_limiter: AIORateLimiter | None = None,
                      timeout: float = 10.0) -> Application:
    """The Application with every handler wired, not yet initialised or started. `timeout`
    bounds each Bot API call other than the long poll (then it is retried)."""
    tg = cfg.telegram
    install_redaction(token)
    bot = QaTelegramBot(cfg, engine)
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, do_quote=True,
                           allow_sending_without_reply=True,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(rate_limiter or RetryingRateLimiter(max_retries=tg.max_retries))
        .concurrent_updates(PerChatUpdateProcessor(256))
        .read_timeout(timeout).write_timeout(timeout).connect_timeout(timeout)
    )
    url = base_url or tg.base_url
    if url:
        builder = builder.base_url(normalise_base_url(url))
    app = builder.build()
    app.bot_data["qa"] = bot
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(["start", "help"], bot.on_help, filters=new))
    app.add_handler(CommandHandler("ask", bot.on_ask, filters=new))
    app.add_handler(CommandHandler("docs", bot.on_docs, filters=new))
    app.add_handler(CommandHandler("reset", bot.on_reset, filters=new))
    app.add_handler(CommandHandler("reindex", bot.on_reindex, filters=new))
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & filters.COMMAND,
                                   bot.on_unknown_command))
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & filters.TEXT,
                                   bot.on_private_text))
    app.add_handler(MessageHandler(new & filters.ChatType.GROUPS & filters.TEXT
                                   & ~filters.COMMAND & filters.REPLY, bot.on_group_reply))
    app.add_handler(CallbackQueryHandler(bot.on_button, pattern=r"^p:"))
    app.add_handler(CallbackQueryHandler(bot.on_more, pattern=r"^m:"))
    app.add_handler(InlineQueryHandler(bot.on_inline))
    app.add_error_handler(bot.on_error)
    return app


def webhook_path(webhook_url: str) -> str:
    """The path the webhook server listens on: the path of the public URL."""
    return urlsplit(webhook_url).path.strip("/")


def check_webhook(cfg: Config, secret: str | None) -> None:
    """Webhook mode needs a public https URL and a secret token; ConfigError otherwise."""
    tg = cfg.telegram
    if not tg.webhook_url.startswith("https://"):
        raise ConfigError(f"[telegram] webhook_url: webhook mode needs a public https:// URL, "
                          f"got {tg.webhook_url!r}")
    if not secret or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(f"webhook mode needs {SECRET_ENV}: 1-256 characters of "
                          f"A-Z, a-z, 0-9, _ and -")


async def serve(app: Application, cfg: Config, stop: asyncio.Event, *,
                webhook_secret: str | None = None,
                prepare: Callable[[], None] | None = None,
                ready: asyncio.Event | None = None, poll_timeout: int = 10) -> None:
    """Initialise (getMe: a rejected token raises InvalidToken), register the commands,
    run `prepare` in a thread, then take updates by polling or webhook (setting `ready`
    once they flow) until `stop` is set, and stop cleanly."""
    tg = cfg.telegram
    async with app:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        if prepare is not None:
            warm = _in_daemon_thread(prepare)
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({warm, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if stop.is_set():
                return
            warm.result()
        await app.start()
        try:
            if tg.mode == "webhook":
                await app.updater.start_webhook(
                    listen=tg.webhook_listen, port=tg.webhook_port,
                    url_path=webhook_path(tg.webhook_url), webhook_url=tg.webhook_url,
                    secret_token=webhook_secret, allowed_updates=UPDATES)
            else:
                await app.updater.start_polling(allowed_updates=UPDATES, timeout=poll_timeout)
            log.info("@%s is answering (%s)", app.bot.username, tg.mode)
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            if app.updater.running:
                await app.updater.stop()
            await app.stop()
            app.bot_data["qa"].pool.shutdown(wait=False, cancel_futures=True)


def _in_daemon_thread(fn: Callable[[], Any]) -> asyncio.Future:
    """Run fn in a daemon thread (so a signal during a long model load can still end the
    process) and return a future of its result."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future = loop.create_future()

    def settle(setter: Callable[[Any], None], value: Any) -> None:
        if not fut.done():
            setter(value)

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, fut.set_exception, exc)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, fut.set_result, result)

    threading.Thread(target=target, name="qa-warm-up", daemon=True).start()
    return fut


def _warm_up(engine: Engine) -> None:
    """Build the index if there is none, then load it and the model before the first
    question (the model alone takes seconds)."""
    if not engine.has_index():
        log.info("no index in %s yet: building it from %s", engine.cfg.index_dir,
                 ", ".join(engine.cfg.corpus.paths))
        report = engine.sync(progress=False)
        log.info("indexed %d documents", len(report.added))
    engine.generation()
    engine.encode(["warm up"])


async def _main(app: Application, cfg: Config, engine: Engine, secret: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, cfg, stop, webhook_secret=secret, prepare=partial(_warm_up, engine))


def run(cfg: Config, base_url: str | None = None) -> int:
    """`qa-bot telegram`: run until SIGINT/SIGTERM. Returns the exit code; a missing or
    rejected token is one line on stderr and exit code 2."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"qa-bot: error: {TOKEN_ENV} is not set (create a bot with @BotFather and "
              f"export its token)", file=sys.stderr)
        return 2
    secret = os.environ.get(SECRET_ENV, "").strip() or None
    install_redaction(token, secret)
    if cfg.telegram.mode == "webhook":
        check_webhook(cfg, secret)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = Engine(cfg)
    app = build_application(cfg, token, engine, base_url=base_url)
    try:
        asyncio.run(_main(app, cfg, engine, secret))
    except InvalidToken as exc:
        print(f"qa-bot: error: the Bot API server rejected {TOKEN_ENV} ({redact(str(exc))}); "
              f"check the token @BotFather gave you", file=sys.stderr)
        return 2
    except (NetworkError, RetryAfter) as exc:
        print(f"qa-bot: error: cannot reach the Bot API server: {redact(str(exc))}",
              file=sys.stderr)
        return 1
    return 0
