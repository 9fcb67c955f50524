"""Webhook mode's HTTP server (tornado, as PTB's own): Telegram POSTs each update with the
secret in X-Telegram-Bot-Api-Secret-Token. A wrong or missing secret gets 403, a body that
is not an update 400 (one log line), and an update is put on the durable queue (which
keeps it and drops a duplicate) before the 200 tells Telegram it arrived."""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update

log = logging.getLogger("qa_bot.telegram")
MAX_BODY_BYTES = 1_000_000


class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, bot: Any, queue: Any, secret: str) -> None:  # noqa: D401 - tornado
        self.bot, self.queue, self.secret = bot, queue, secret

    def _reply(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text)

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.info("webhook: request without the right secret token refused (403)")
            self._reply(403, "Forbidden")
            return
        update = self._parse(self.request.body)
        if update is None:
            self._reply(400, "Bad Request: not a Telegram update")
            return
        await self.queue.put(update)
        self._reply(200, "OK")

    def _parse(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("webhook: malformed update (%d bytes) refused: %s: %s", len(body),
                        type(exc).__name__, exc)
            return None
        if update is None or not isinstance(update.update_id, int):
            log.warning("webhook: a body without an update_id refused (%d bytes)", len(body))
            return None
        return update

    def log_exception(self, *args: Any) -> None:
        """Refusals are logged in one line above; nothing else to say."""


def start_server(bot: Any, queue: Any, secret: str, path: str, listen: str,
                 port: int) -> tornado.httpserver.HTTPServer:
    """Listen on listen:port at /path; stop with `server.stop()`."""
    app = tornado.web.Application([(re.escape(f"/{path}"), UpdateHandler,
                                    {"bot": bot, "queue": queue, "secret": secret})],
                                  log_function=lambda handler: None)
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES)
    server.listen(port, address=listen)
    return server
