"""The bot's durable state: one SQLite file (`[telegram] state_dir`/telegram.sqlite).

- `updates`: every update the bot has taken from Telegram, written (and fsynced) before
  Telegram is told it arrived, `sent` counting the messages of its reply that went out,
  `done` once all did. Pending rows are answered at the next start (from the first message
  not sent); a known update_id is a duplicate and is dropped.
- `answers`: each answer sent, by the key its buttons carry, with the update it answered
  (a replayed update re-sends the same answer instead of asking again).
- `chats`: each chat's conversation, as the keys of its last answers.

Rows are forgotten by age (`prune`), never by count. All methods are thread-safe."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from qa_bot.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL,
                                    received REAL NOT NULL, done REAL,
                                    sent INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS updates_pending ON updates (done) WHERE done IS NULL;
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, chat_id INTEGER NOT NULL,
                                    update_id INTEGER, created REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_update ON answers (update_id);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created);
CREATE TABLE IF NOT EXISTS chats (chat_id INTEGER PRIMARY KEY, history TEXT NOT NULL,
                                  updated REAL NOT NULL);
"""
DONE_UPDATES_KEPT_S = 2 * 86400  # Telegram re-sends an unconfirmed update for 24 h at most
DB_NAME = "telegram.sqlite"


class StateStore:
    def __init__(self, state_dir: Path, name: str = DB_NAME, clock=time.time):
        self.path = state_dir / name
        self.clock = clock
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"[telegram] state_dir: cannot use {self.path} ({exc})") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    # ---- updates ----
    def add_update(self, update_id: int, body: dict) -> bool:
        """Keep a fetched update (fsynced: it survives a crash of the process or the
        machine). False if it was known already: a duplicate."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=FULL")
            try:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO updates (update_id, body, received) VALUES (?, ?, ?)",
                    (update_id, json.dumps(body, ensure_ascii=False), self.clock()))
            finally:
                self._db.execute("PRAGMA synchronous=NORMAL")
            return cur.rowcount == 1

    def mark_done(self, update_id: int) -> None:
        self._run("UPDATE updates SET done = ? WHERE update_id = ?", (self.clock(), update_id))

    def sent(self, update_id: int) -> int:
        """How many messages of the reply to this update went out already."""
        row = self._run("SELECT sent FROM updates WHERE update_id = ?", (update_id,)).fetchone()
        return row[0] if row else 0

    def mark_sent(self, update_id: int, count: int) -> None:
        self._run("UPDATE updates SET sent = ? WHERE update_id = ?", (count, update_id))

    def pending(self) -> list[tuple[int, dict, float]]:
        """(update_id, body, received) of every update not answered yet, oldest first."""
        rows = self._run("SELECT update_id, body, received FROM updates WHERE done IS NULL "
                         "ORDER BY update_id").fetchall()
        return [(uid, json.loads(body), received) for uid, body, received in rows]

    # ---- answers and conversations ----
    def save_answer(self, chat_id: int, update_id: int | None, answer: dict) -> str:
        """Store an answer; its key (12 hex digits) for the buttons."""
        key = secrets.token_hex(6)
        self._run("INSERT INTO answers (key, chat_id, update_id, created, body) "
                  "VALUES (?, ?, ?, ?, ?)",
                  (key, chat_id, update_id, self.clock(), json.dumps(answer, ensure_ascii=False)))
        return key

    def answer(self, chat_id: int, key: str) -> dict | None:
        row = self._run("SELECT body FROM answers WHERE key = ? AND chat_id = ?",
                        (key, chat_id)).fetchone()
        return json.loads(row[0]) if row else None

    def answer_for_update(self, update_id: int) -> tuple[str, dict] | None:
        """The answer already given to this update (before a crash), if any."""
        row = self._run("SELECT key, body FROM answers WHERE update_id = ? "
                        "ORDER BY created DESC LIMIT 1", (update_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def history(self, chat_id: int) -> list[str]:
        row = self._run("SELECT history FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
        return json.loads(row[0]) if row else []

    def set_history(self, chat_id: int, keys: list[str]) -> None:
        self._run("INSERT INTO chats (chat_id, history, updated) VALUES (?, ?, ?) "
                  "ON CONFLICT (chat_id) DO UPDATE SET history = excluded.history, "
                  "updated = excluded.updated", (chat_id, json.dumps(keys), self.clock()))

    # ---- age ----
    def prune(self, keep_days: float) -> int:
        """Forget answers and conversations older than `keep_days` and answered updates
        older than two days; the number of rows removed."""
        now = self.clock()
        old = now - keep_days * 86400
        with self._lock:
            removed = sum(self._db.execute(sql, (t,)).rowcount for sql, t in (
                ("DELETE FROM answers WHERE created < ?", old),
                ("DELETE FROM chats WHERE updated < ?", old),
                ("DELETE FROM updates WHERE done IS NOT NULL AND done < ?",
                 now - DONE_UPDATES_KEPT_S)))
        return removed
