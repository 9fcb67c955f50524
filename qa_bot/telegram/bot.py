"""QaBot: what the handlers share, held in `application.bot_data["qa"]`: the engine and its
retrieval threads, the durable memory of chats, quotas, access rules and the index lock.
It holds no Telegram connection itself."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from telegram import Message, Update

from qa_bot.answer import Answer
from qa_bot.config import Config
from qa_bot.engine import Engine
from qa_bot.telegram.memory import Memory
from qa_bot.telegram.state import StateStore
from qa_bot.telegram.updates import Debouncer, UserQuota

log = logging.getLogger("qa_bot.telegram")
REFUSED_KEPT = 10_000
LATE_AFTER_S = 60.0


class QaBot:
    def __init__(self, cfg: Config, engine: Engine, store: StateStore):
        self.cfg = cfg
        self.tg = cfg.telegram
        self.engine = engine
        self.store = store
        self.memory = Memory(store, engine, self.tg.history_turns)
        self.pool = ThreadPoolExecutor(max_workers=self.tg.workers,
                                       thread_name_prefix="qa-retrieval")
        self.quota = UserQuota(self.tg.rate_limit_per_minute)
        self.inline_quota = UserQuota(self.tg.inline_per_minute)
        self.debouncer = Debouncer(self.tg.inline_debounce_s)
        self.refused: collections.OrderedDict[tuple[int, int], None] = collections.OrderedDict()
        self.index_lock = asyncio.Lock()  # one sync at a time: /reindex or an upload

    # ---- access ----
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
            while len(self.refused) > REFUSED_KEPT:
                self.refused.popitem(last=False)
            await msg.reply_text(
                "Sorry, this bot only answers the people and chats it was set up for. "
                f"If you think you should have access, ask its owner to add your user id "
                f"({uid}).")
        return False

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

    # ---- work off the event loop ----
    async def in_pool(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(fn, *args))

    async def ask(self, question: str, chat_id: int | None = None) -> Answer:
        """Answer in the retrieval pool: in the chat's conversation (which passes its
        earlier Answers as history and keeps this one), or alone without a chat."""
        if chat_id is None:
            return await self.in_pool(self.engine.ask, question)
        return await self.in_pool(self.memory.chat(chat_id).conversation.ask, question)

    async def indexed(self, doc_id: str) -> bool:
        """Whether the live index still holds this document."""
        gen = await self.in_pool(self.engine.generation)
        return doc_id in gen.documents

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()


def preface(msg: Message, now: Callable[[], float] = time.time) -> str:
    """A line to open the reply with: that it is late (the question waited more than a
    minute, e.g. across a restart), or that it answers an edited question."""
    asked = msg.edit_date or msg.date
    waited = now() - asked.timestamp() if asked else 0.0
    if waited > LATE_AFTER_S:
        minutes = int(waited // 60)
        ago = f"{minutes} minutes" if minutes > 1 else "a minute"
        return f"Sorry for the late answer: you asked this {ago} ago, while I was unavailable."
    if msg.edit_date:
        return "Your edited question, answered again:"
    return ""
