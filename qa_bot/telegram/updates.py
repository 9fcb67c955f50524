"""The way updates travel: a durable queue (no update lost, none handled twice), per-chat
ordering, retries of Bot API calls, per-user quotas and the inline-query debounce."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any, Awaitable, Callable

from telegram import Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

from qa_bot.telegram.state import StateStore

log = logging.getLogger("qa_bot.telegram")
USERS_KEPT = 10_000


class DurableUpdateQueue(asyncio.Queue):
    """The Application's update queue. Polling puts each fetched update here before the
    next getUpdates confirms it to Telegram, the webhook before it answers 200: `put`
    writes the update to the StateStore first (fsynced), so a crash loses nothing, and
    drops an update_id seen before (Telegram re-sending an unconfirmed update)."""

    def __init__(self, store: StateStore):
        super().__init__()
        self.store = store
        self.duplicates = 0

    async def put(self, item: Any) -> None:
        if isinstance(item, Update):
            new = await asyncio.to_thread(self.store.add_update, item.update_id,
                                          item.to_dict())
            if not new:
                self.duplicates += 1
                log.info("update %s: already received, dropped", item.update_id)
                return
        await super().put(item)

    def replay(self, bot: Any) -> int:
        """Queue the updates a previous run took but did not answer; how many."""
        pending = self.store.pending()
        for _, body, _ in pending:
            self.put_nowait(Update.de_json(body, bot))
        return len(pending)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run one at a time in arrival order; other chats (and updates
    without a chat, such as inline queries) run concurrently. An update whose handling
    finished (answered, or failed and the user told) is marked done in the store."""

    def __init__(self, store: StateStore, max_concurrent_updates: int = 256):
        super().__init__(max_concurrent_updates)
        self.store = store
        self._tails: dict[int, asyncio.Future] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            self._done(update)
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
            self._done(update)
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting for its turn
            done.set_result(None)
            if self._tails.get(chat.id) is done:
                del self._tails[chat.id]

    def _done(self, update: object) -> None:
        if isinstance(update, Update):
            self.store.mark_done(update.update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (30 requests/s overall, 20/min per group, waits out 429
    RetryAfter up to `max_retries` times), plus up to `max_retries` retries with backoff
    for timeouts and 5xx answers (NetworkError other than BadRequest). Chat actions go
    straight out: Telegram's 30/s is about messages, and a late "typing..." is useless."""

    def __init__(self, max_retries: int = 3, backoff: float = 0.5, **kwargs: Any):
        super().__init__(max_retries=max_retries, **kwargs)
        self._network_retries = max_retries
        self._backoff = backoff

    async def process_request(self, callback, args, kwargs, endpoint, data,
                              rate_limit_args):  # type: ignore[no-untyped-def]
        if endpoint == "sendChatAction":  # "typing...": best effort and not a message, so
            return await callback(*args, **kwargs)  # never queued behind the answers
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
    """At most `per_minute` uses per user in any 60 s window (0: no limit)."""

    def __init__(self, per_minute: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.window, self.clock = per_minute, window, clock
        self._times: dict[int, collections.deque[float]] = {}

    def take(self, user_id: int) -> float:
        """0 if the user may go ahead now (and the use is counted), else seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        times = self._times.setdefault(user_id, collections.deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.per_minute:
            return times[0] + self.window - now
        times.append(now)
        if len(self._times) > USERS_KEPT:
            for uid in [u for u, t in self._times.items() if not t or t[-1] <= now - self.window]:
                del self._times[uid]
        return 0.0


class Debouncer:
    """`await settled(user)` is True when no newer call for the same user came within
    `delay` seconds: only the query a user paused on goes on to retrieval."""

    def __init__(self, delay: float):
        self.delay = delay
        self._latest: dict[int, int] = {}

    async def settled(self, user_id: int) -> bool:
        n = self._latest.get(user_id, 0) + 1
        self._latest[user_id] = n
        await asyncio.sleep(self.delay)
        if self._latest.get(user_id) != n:
            return False
        del self._latest[user_id]
        return True
