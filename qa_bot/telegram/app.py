"""Wiring: the Application with its handlers, and `serve` (polling or webhook until
stopped). `qa_bot.telegram.run` is `qa-bot telegram`.

Invariants:
- The token comes only from $TELEGRAM_BOT_TOKEN and never reaches a log line.
- Every update is in the state store before Telegram is told it arrived, and marked done
  once handled; what a crash left pending is answered at the next start.
- Retrieval runs in a thread pool, never on the event loop; updates of one chat are handled
  one at a time in arrival order, different chats concurrently.
- Every text that reaches Telegram is HTML built by `qa_bot.telegram.html`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from typing import Any, Callable
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler,
                          CommandHandler, Defaults, InlineQueryHandler, MessageHandler, filters)

from qa_bot.config import Config
from qa_bot.engine import Engine
from qa_bot.telegram import handlers as h
from qa_bot.telegram import inbox, inline
from qa_bot.telegram.bot import QaBot
from qa_bot.telegram.keyboards import MORE_PATTERN, PASSAGE_PATTERN
from qa_bot.telegram.redact import redactor
from qa_bot.telegram.state import StateStore
from qa_bot.telegram.updates import DurableUpdateQueue, PerChatUpdateProcessor, \
    RetryingRateLimiter
from qa_bot.telegram.webhook import start_server

UPDATES = ["message", "edited_message", "callback_query", "inline_query"]
SEND_TIMEOUT_S = 30.0  # long enough that a send timing out after it arrived is rare

log = logging.getLogger("qa_bot.telegram")


def normalise_base_url(url: str) -> str:
    """A Bot API server address as PTB wants it: 'http://host:port' becomes
    'http://host:port/bot'; URLs ending in /bot or holding {token} are kept."""
    url = url.strip().rstrip("/")
    return url if "{token}" in url or url.endswith("/bot") else url + "/bot"


def file_base_url(base_url: str) -> str:
    """Where files are downloaded from: 'http://host:port/bot' -> 'http://host:port/file/bot'."""
    return re.sub(r"/bot(\{token\})?$", r"/file/bot\1", base_url)


def add_handlers(app: Application, cfg: Config) -> None:
    new, any_ = filters.UpdateType.MESSAGE, filters.UpdateType.MESSAGES  # any_: edits too
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    text = filters.TEXT | filters.CAPTION
    admins = filters.User(user_id=cfg.telegram.admin_user_ids, allow_empty=False)
    app.add_handler(CommandHandler(["start", "help"], h.on_help, filters=new))
    app.add_handler(CommandHandler("ask", h.on_ask, filters=any_))
    app.add_handler(CommandHandler("docs", h.on_docs, filters=new))
    app.add_handler(CommandHandler("reset", h.on_reset, filters=new))
    app.add_handler(CommandHandler("reindex", h.on_reindex, filters=new))
    app.add_handler(MessageHandler(new & private & filters.COMMAND, h.on_unknown_command))
    app.add_handler(MessageHandler(new & private & filters.Document.ALL, inbox.on_document))
    app.add_handler(MessageHandler(new & private & admins & filters.Regex(inbox.LINK),
                                   inbox.on_link))
    app.add_handler(MessageHandler(any_ & private & text & ~filters.COMMAND, h.on_private_text))
    app.add_handler(MessageHandler(any_ & groups & text & ~filters.COMMAND & filters.REPLY,
                                   h.on_group_reply))
    app.add_handler(CallbackQueryHandler(inline.on_passage, pattern=PASSAGE_PATTERN))
    app.add_handler(CallbackQueryHandler(inline.on_more, pattern=MORE_PATTERN))
    app.add_handler(InlineQueryHandler(inline.on_inline))
    app.add_error_handler(h.on_error)


def build_application(cfg: Config, token: str, engine: Engine, *, base_url: str | None = None,
                      rate_limiter: AIORateLimiter | None = None,
                      timeout: float = SEND_TIMEOUT_S) -> Application:
    """The Application with every handler wired, not yet initialised or started. `timeout`
    bounds each Bot API call other than the long poll (then it is retried); the state
    store is opened in `[telegram] state_dir`, one file per bot."""
    tg = cfg.telegram
    redactor.add(token)
    redactor.install()
    store = StateStore(cfg.resolve(tg.state_dir), f"telegram-{token.partition(':')[0]}.sqlite")
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, do_quote=True,
                           allow_sending_without_reply=True,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(rate_limiter or RetryingRateLimiter(max_retries=tg.max_retries))
        .update_queue(DurableUpdateQueue(store))
        .concurrent_updates(PerChatUpdateProcessor(store, 256))
        .read_timeout(timeout).write_timeout(timeout).connect_timeout(min(timeout, 10.0))
    )
    url = base_url or tg.base_url
    if url:
        url = normalise_base_url(url)
        builder = builder.base_url(url).base_file_url(file_base_url(url))
    app = builder.build()
    app.bot_data["qa"] = QaBot(cfg, engine, store)
    add_handlers(app, cfg)
    return app


def webhook_path(webhook_url: str) -> str:
    """The path the webhook server listens on: the path of the public URL."""
    return urlsplit(webhook_url).path.strip("/")


def poll_failed(exc: TelegramError) -> None:
    """One line per failed getUpdates (PTB would log a traceback); polling goes on."""
    log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc)


async def serve(app: Application, cfg: Config, stop: asyncio.Event, *,
                webhook_secret: str | None = None,
                prepare: Callable[[], None] | None = None,
                ready: asyncio.Event | None = None, poll_timeout: int = 10) -> None:
    """Initialise (getMe: a rejected token raises InvalidToken), register the commands,
    run `prepare` in a thread, queue what the last run left unanswered, then take updates
    by polling or webhook (setting `ready` once they flow) until `stop` is set, and stop
    cleanly (the updates already taken are answered first)."""
    tg, qa = cfg.telegram, app.bot_data["qa"]
    server = None
    try:
        async with app:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in h.COMMANDS])
            if prepare is not None and not await _prepared(prepare, stop):
                return
            qa.store.prune(tg.keep_days)
            await app.start()
            try:
                replayed = app.update_queue.replay(app.bot)
                if replayed:
                    log.info("answering %d updates taken before the last stop", replayed)
                if tg.mode == "webhook":
                    await app.bot.set_webhook(tg.webhook_url, secret_token=webhook_secret,
                                              allowed_updates=UPDATES, max_connections=40)
                    server = start_server(app.bot, app.update_queue, webhook_secret or "",
                                          webhook_path(tg.webhook_url), tg.webhook_listen,
                                          tg.webhook_port)
                else:
                    await app.updater.start_polling(allowed_updates=UPDATES,
                                                    timeout=poll_timeout,
                                                    error_callback=poll_failed)
                log.info("@%s is answering (%s)", app.bot.username, tg.mode)
                if ready is not None:
                    ready.set()
                await stop.wait()
            finally:
                if server is not None:
                    server.stop()
                    await server.close_all_connections()
                if app.updater.running:
                    await app.updater.stop()
                await app.stop()
    finally:
        qa.close()


async def _prepared(prepare: Callable[[], None], stop: asyncio.Event) -> bool:
    """Run `prepare` in a daemon thread (so a signal during a long model load can still
    end the process); False if `stop` came first."""
    warm = _in_daemon_thread(prepare)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({warm, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if stop.is_set():
        return False
    warm.result()
    return True


def _in_daemon_thread(fn: Callable[[], Any]) -> asyncio.Future:
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
