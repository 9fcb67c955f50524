"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the bot.

It speaks the wire contract python-telegram-bot uses (POST `/bot<token>/<method>`, form or
JSON bodies, `{"ok": ..., "result": ...}` answers, errors by HTTP status) and checks what
Telegram checks: the token, HTML parse mode (allowed tags only, balanced, valid entities),
text length (1-4096 UTF-16 units after parsing), callback data (<= 64 bytes), inline results
(<= 50, unique ids). Every call is recorded; failures (429 with retry_after, 5xx) can be
injected per method, and sends can be made slow (delivered, answered late). Tests push
updates (messages, edits, photos with captions, documents, button presses, inline queries),
which `getUpdates` serves by long polling with offsets, as Telegram does: an update is gone
only once a later offset confirms it, and can be re-delivered. Documents are served by
`getFile` and `/file/bot<token>/<path>`."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "qa_test_bot"
LIMIT = 4096

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
                 "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=(?:\"[^\"<>]*\"|'[^'<>]*'))?)*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ENTITY_TEXT = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}
_STRING_FIELDS = {"text", "parse_mode", "action", "url", "secret_token", "callback_query_id",
                  "inline_query_id", "next_offset", "language_code", "message_text",
                  "switch_pm_text", "switch_pm_parameter", "drop_pending_updates_str"}


class HtmlError(ValueError):
    pass


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Telegram-style parsing of an HTML parse-mode text; returns the visible text.
    Raises HtmlError (with Telegram's wording) on anything Telegram would refuse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise HtmlError(f"Can't parse entities: unsupported start tag at byte offset {i}")
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in _ALLOWED_TAGS:
                raise HtmlError(f'Can\'t parse entities: unsupported start tag "{name}" at byte '
                                f"offset {i}")
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlError(f'Can\'t parse entities: unmatched end tag at byte offset {i}, '
                                    f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"')
                stack.pop()
            else:
                if name == "a" and "href=" not in attrs:
                    raise HtmlError("Can't parse entities: a tag without href")
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise HtmlError(f"Can't parse entities: unsupported entity at byte offset {i}")
            e = m.group(0)
            out.append(_ENTITY_TEXT.get(e) or chr(int(e[3:-1], 16) if e[2] == "x" else int(e[2:-1])))
            i = m.end()
        elif ch == ">":
            raise HtmlError(f"Can't parse entities: unexpected > at byte offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise HtmlError(f'Can\'t parse entities: can\'t find end tag corresponding to start tag '
                        f'"{stack[-1]}"')
    return "".join(out)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None,
                 delay: float = 0.0):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after
        self.delay = delay  # seconds before answering: longer than the client waits = timeout


class FakeBotApi:
    """Start with `await api.start()`; `api.base_url` is what the bot's base_url should be."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME):
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[dict] = []            # messages the bot sent (with "html" and "text")
        self.errors: list[tuple[str, str]] = []  # (method, description) of refused calls
        self.webhook: dict | None = None
        self._updates: list[dict] = []
        self._next_update_id = 1000
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._changed = asyncio.Condition()
        self._failures: dict[str, list[ApiError]] = {}
        self._slow: dict[str, list[float]] = {}
        self._gates: dict[str, tuple[asyncio.Event, list[bool]]] = {}
        self.held = 0                         # requests waiting at a gate (see hold)
        self.files: dict[str, bytes] = {}     # file_id -> content, for getFile and downloads
        self.served: list[int] = []           # update_ids getUpdates returned, in order
        self.confirmed = 0                    # the highest offset a getUpdates call sent
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = False

    # ---- lifecycle ----
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                    shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # long polls return at once
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- test controls ----
    def fail(self, method: str, status: int, description: str = "injected failure",
             retry_after: int | None = None, times: int = 1, delay: float = 0.0) -> None:
        """The next `times` calls of `method` fail with `status` (429 with retry_after),
        after `delay` seconds (a delay past the client's timeout makes a lost request)."""
        self._failures.setdefault(method, []).extend(
            ApiError(status, description, retry_after, delay) for _ in range(times))

    def slow(self, method: str, delay: float, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, but answered only after
        `delay` seconds (a client that gives up first may send it again)."""
        self._slow.setdefault(method, []).extend([delay] * times)

    def hold(self, method: str) -> None:
        """Calls of `method` wait, not yet carried out, until `release`."""
        self._gates[method] = (asyncio.Event(), [True])

    def release(self, method: str, deliver: bool = True) -> None:
        """Let the held calls go on (deliver=False: they fail with 502, never carried out,
        as a request whose client died before it reached Telegram)."""
        gate, deliver_ = self._gates.pop(method)
        deliver_[0] = deliver
        gate.set()

    def redeliver(self, update: dict) -> None:
        """Serve an update again (Telegram re-sends one it thinks was not received)."""
        self._updates.append(update)
        self._updates.sort(key=lambda u: u["update_id"])
        self._new_update.set()

    def push(self, update: dict) -> dict:
        """Queue an update (an update_id is assigned) for getUpdates."""
        update = dict(update, update_id=self._next_update_id)
        self._next_update_id += 1
        self._updates.append(update)
        self._new_update.set()
        return update

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[dict]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until predicate() is truthy (re-checked after every call); return it."""
        async def loop() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result
        return await asyncio.wait_for(loop(), timeout)

    # ---- update builders ----
    @staticmethod
    def user(user_id: int, name: str = "Ann") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name}

    @staticmethod
    def chat(chat_id: int) -> dict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Ann"}
        return {"id": chat_id, "type": "supergroup", "title": "Readers"}

    def message(self, chat_id: int, text: str, user_id: int | None = None,
                reply_to: dict | None = None, date: float | None = None) -> dict:
        """Push a text message (sent at `date`, default now); a leading /command gets its
        bot_command entity."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(date or time.time()),
            "chat": self.chat(chat_id), "from": self.user(user_id or abs(chat_id)), "text": text,
        }
        m = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if m:
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": utf16_len(m.group(0))}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return self.push({"message": msg})

    def edit(self, update: dict, text: str) -> dict:
        """Push the edit of a message pushed before: the same message, new text."""
        msg = dict(update["message"], text=text, edit_date=int(time.time()))
        return self.push({"edited_message": msg})

    def photo(self, chat_id: int, caption: str, user_id: int | None = None) -> dict:
        """Push a photo with a caption."""
        return self.push({"message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": self.chat(chat_id), "from": self.user(user_id or abs(chat_id)),
            "caption": caption, "photo": [{"file_id": "ph1", "file_unique_id": "u-ph1",
                                           "width": 90, "height": 60, "file_size": 900}]}})

    def document(self, chat_id: int, file_name: str, content: bytes,
                 user_id: int | None = None, mime_type: str = "text/plain",
                 file_size: int | None = None) -> dict:
        """Push a document (its content kept for download); `file_size` may claim more."""
        file_id = f"doc{next(self._message_ids)}"
        self.files[file_id] = content
        return self.push({"message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": self.chat(chat_id), "from": self.user(user_id or abs(chat_id)),
            "document": {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                         "file_name": file_name, "mime_type": mime_type,
                         "file_size": len(content) if file_size is None else file_size}}})

    def press(self, message: dict, data: str, user_id: int) -> dict:
        """Push a button press on one of the bot's messages."""
        return self.push({"callback_query": {
            "id": str(next(self._message_ids)), "from": self.user(user_id),
            "chat_instance": "ci", "data": data, "message": message}})

    def inline(self, query: str, user_id: int) -> dict:
        return self.push({"inline_query": {
            "id": f"iq{next(self._message_ids)}", "from": self.user(user_id),
            "query": query, "offset": ""}})

    # ---- the server ----
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json() if request.can_read_body else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            if key in _STRING_FIELDS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method != "POST" and method != "getMe":
            return self._error(ApiError(405, "Method Not Allowed"))
        if request.match_info["token"] != self.token:
            self.errors.append((method, "Unauthorized"))
            return self._error(ApiError(401, "Unauthorized"))
        params = await self._params(request)
        if method in self._gates:
            gate, deliver = self._gates[method]
            self.held += 1
            await gate.wait()
            self.held -= 1
            if not deliver[0]:
                return self._error(ApiError(502, "Bad Gateway: held and dropped"))
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
        try:
            queued = self._failures.get(method)
            if queued:
                failure = queued.pop(0)
                await asyncio.sleep(failure.delay)
                return self._error(failure)
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            slow = self._slow.get(method)
            if slow:
                await asyncio.sleep(slow.pop(0))
        except ApiError as exc:
            self.errors.append((method, exc.description))
            return self._error(exc)
        finally:
            async with self._changed:
                self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.status,
                                "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return web.json_response(body, status=exc.status)

    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "QA", "username": self.username}

    def _check_text(self, text: Any, parse_mode: Any) -> str:
        if not isinstance(text, str):
            raise ApiError(400, "Bad Request: message text is empty")
        visible = text
        if parse_mode == "HTML":
            try:
                visible = parse_html(text)
            except HtmlError as exc:
                raise ApiError(400, f"Bad Request: {exc}") from None
        elif parse_mode is not None:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return visible

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: button text is empty")

    # ---- methods ----
    async def api_getMe(self, p: dict) -> dict:
        return self._bot_user()

    async def api_deleteWebhook(self, p: dict) -> bool:
        self.webhook = None
        return True

    async def api_setWebhook(self, p: dict) -> bool:
        if not p.get("url"):
            raise ApiError(400, "Bad Request: bad webhook: URL is empty")
        self.webhook = p
        return True

    async def api_setMyCommands(self, p: dict) -> bool:
        for c in p.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]) or not c["description"]:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def api_getUpdates(self, p: dict) -> list[dict]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + timeout
        self.confirmed = max(self.confirmed, offset)
        while True:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates:
                batch = self._updates[:limit]
                self.served += [u["update_id"] for u in batch]
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except asyncio.TimeoutError:
                return []

    async def api_sendMessage(self, p: dict) -> dict:
        chat_id = int(p["chat_id"])
        visible = self._check_text(p.get("text"), p.get("parse_mode"))
        self._check_markup(p.get("reply_markup"))
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self.chat(chat_id), "from": self._bot_user(), "text": visible}
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        record = dict(msg, html=p["text"], params=p)
        self.sent.append(record)
        return msg

    async def api_editMessageText(self, p: dict) -> dict:
        visible = self._check_text(p.get("text"), p.get("parse_mode"))
        for m in self.sent:
            if m["message_id"] == int(p.get("message_id", 0)):
                m.update(text=visible, html=p["text"])
                return {k: v for k, v in m.items() if k not in ("html", "params")}
        raise ApiError(400, "Bad Request: message to edit not found")

    async def api_sendChatAction(self, p: dict) -> bool:
        if p.get("action") not in ("typing", "upload_document", "find_location"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def api_answerCallbackQuery(self, p: dict) -> bool:
        if len(p.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def api_answerInlineQuery(self, p: dict) -> bool:
        results = p.get("results", [])
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id", "") for r in results]
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for r in results:
            if r.get("type") != "article" or not r.get("title"):
                raise ApiError(400, "Bad Request: RESULT_INVALID")
            content = r.get("input_message_content") or {}
            self._check_text(content.get("message_text"), content.get("parse_mode"))
        return True

    async def api_getFile(self, p: dict) -> dict:
        file_id = p.get("file_id")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files[file_id]), "file_path": f"documents/{file_id}"}

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])
