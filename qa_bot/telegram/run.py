"""`qa-bot telegram`: the token from the environment, the engine warmed up, the bot served
until SIGINT or SIGTERM. Mistakes are one line on stderr and an exit code."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from functools import partial

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from qa_bot.config import Config
from qa_bot.engine import Engine
from qa_bot.errors import ConfigError, QaBotError
from qa_bot.telegram.app import build_application, serve
from qa_bot.telegram.redact import redactor

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
log = logging.getLogger("qa_bot.telegram")


def check_webhook(cfg: Config, secret: str | None) -> None:
    """Webhook mode needs a public https URL and a secret token; ConfigError otherwise."""
    tg = cfg.telegram
    if not tg.webhook_url.startswith("https://"):
        raise ConfigError(f"[telegram] webhook_url: webhook mode needs a public https:// URL, "
                          f"got {tg.webhook_url!r}")
    if not secret or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(f"webhook mode needs {SECRET_ENV}: 1-256 characters of "
                          f"A-Z, a-z, 0-9, _ and -")


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
    """`qa-bot telegram`: run until SIGINT/SIGTERM; returns 0. A missing or rejected token
    is a ConfigError (exit code 2), an unreachable server a QaBotError."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(f"{TOKEN_ENV} is not set (create a bot with @BotFather and "
                          f"export its token)")
    if not re.fullmatch(r"\d+:[\w-]+", token):  # never echoed: it may be a real secret
        raise ConfigError(f"{TOKEN_ENV} is not a bot token: @BotFather gives one of the form "
                          f"123456789:AA... (digits, a colon, then letters)")
    secret = os.environ.get(SECRET_ENV, "").strip() or None
    redactor.add(token, secret)
    redactor.install()
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
        raise ConfigError(f"the Bot API server rejected {TOKEN_ENV} "
                          f"({redactor.redact(str(exc))}); check the token @BotFather gave "
                          f"you") from None
    except (NetworkError, RetryAfter) as exc:
        raise QaBotError(f"cannot reach the Bot API server: "
                         f"{redactor.redact(str(exc))}") from None
    return 0
