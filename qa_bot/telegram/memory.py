"""What the bot remembers of each chat, across restarts: its conversation (the Answers a
follow-up leans on) and every answer its buttons may still open, kept in the StateStore
for `[telegram] keep_days`. Conversations are cached in memory (a bounded LRU); the store
is the truth."""

from __future__ import annotations

import collections
from dataclasses import dataclass

from qa_bot.answer import Answer
from qa_bot.answer.conversation import Asks, Conversation, kept
from qa_bot.telegram.state import StateStore

CHATS_CACHED = 10_000


@dataclass
class ChatMemory:
    conversation: Conversation
    keys: collections.deque[str]  # the stored keys of conversation.history, in step


class Memory:
    def __init__(self, store: StateStore, engine: Asks, turns: int):
        self.store, self.engine, self.turns = store, engine, max(turns, 1)
        self._chats: collections.OrderedDict[int, ChatMemory] = collections.OrderedDict()

    def chat(self, chat_id: int) -> ChatMemory:
        """The chat's conversation, loaded from the store on first use after a start."""
        mem = self._chats.get(chat_id)
        if mem is not None:
            self._chats.move_to_end(chat_id)
            return mem
        conversation = Conversation(self.engine, self.turns)
        keys: collections.deque[str] = collections.deque(maxlen=self.turns)
        for key in self.store.history(chat_id):
            stored = self.store.answer(chat_id, key)
            if stored is not None:  # an answer older than keep_days is gone
                conversation.history.append(Answer.from_dict(stored))
                keys.append(key)
        mem = self._chats[chat_id] = ChatMemory(conversation, keys)
        while len(self._chats) > CHATS_CACHED:
            self._chats.popitem(last=False)
        return mem

    def remember(self, chat_id: int, update_id: int | None, answer: Answer) -> str:
        """Store an answer the chat's conversation just gave; its key for the buttons."""
        key = self.store.save_answer(chat_id, update_id, answer.to_dict())
        if kept(answer):  # in step with the conversation's history
            mem = self.chat(chat_id)
            mem.keys.append(key)
            self.store.set_history(chat_id, list(mem.keys))
        return key

    def earlier(self, update_id: int) -> tuple[str, Answer] | None:
        """The answer given to this update before a restart, if it was stored."""
        found = self.store.answer_for_update(update_id)
        return (found[0], Answer.from_dict(found[1])) if found else None

    def answer(self, chat_id: int, key: str) -> Answer | None:
        stored = self.store.answer(chat_id, key)
        return Answer.from_dict(stored) if stored is not None else None

    def reset(self, chat_id: int) -> None:
        mem = self.chat(chat_id)
        mem.conversation.reset()
        mem.keys.clear()
        self.store.set_history(chat_id, [])
