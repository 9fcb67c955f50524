"""Handlers of questions and commands (PTB style: `async def on_x(update, context)`); what
they share lives in the QaBot at `context.bot_data["qa"]`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from qa_bot.errors import InputError, QaBotError
from qa_bot.indexer import SyncReport
from qa_bot.render import read_as
from qa_bot.telegram import html
from qa_bot.telegram.bot import QaBot, preface
from qa_bot.telegram.keyboards import keyboard
from qa_bot.terminal import count

log = logging.getLogger("qa_bot.telegram")
Context = ContextTypes.DEFAULT_TYPE
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
    "In a private chat just send a question (a photo's caption counts too; edit a question "
    "and I answer it again). In a group use /ask followed by the question, or reply to one "
    "of my messages. Follow-up questions (\"and when did he arrive?\") use the last answers "
    "of the chat; /reset forgets them.\n\n"
    "Tap a numbered button under an answer to read the full passage, or \"More passages\" "
    "for the other passages I found.\n"
    "/docs lists what I know. You can also type @{username} and a question in any chat."
)
SORRY = "Sorry, something went wrong while handling that. Please try again in a moment."


def qa_of(context: Context) -> QaBot:
    return context.bot_data["qa"]


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


async def answer(update: Update, context: Context, question: str) -> None:
    """Answer `question` in reply to the update's message, with citation buttons. An
    update answered before a crash gets the stored answer again, not a new retrieval."""
    qa, msg, chat = qa_of(context), update.effective_message, update.effective_chat
    if not await qa.admit(update):
        return
    question = question.strip()
    if not question:
        await msg.reply_text("Put the question after the command, for example: "
                             "<code>/ask Who won the election?</code>")
        return
    earlier = qa.memory.earlier(update.update_id)
    if earlier is not None:
        key, reply = earlier
    else:
        problem = qa.check_question(question, update.effective_user.id
                                    if update.effective_user else None)
        if problem:
            await msg.reply_text(html.esc(problem))
            return
        started = time.monotonic()
        async with typing(context.bot, chat.id):
            try:
                reply = await qa.ask(question, chat.id)
            except InputError as exc:
                await msg.reply_text(html.esc(str(exc)))
                return
        log.info("update %s: chat %s, answered=%s in %.2f s", update.update_id, chat.id,
                 reply.answered, time.monotonic() - started)
        key = qa.memory.remember(chat.id, update.update_id, reply)
    opening = "\n".join(line for line in (preface(msg), read_as(question, reply)) if line)
    messages = html.telegram_messages(reply, preface=opening)
    for i in range(qa.store.sent(update.update_id), len(messages)):
        last = i == len(messages) - 1
        await msg.reply_text(messages[i], do_quote=i == 0,
                             reply_markup=keyboard(reply, key) if last else None)
        qa.store.mark_sent(update.update_id, i + 1)


def question_text(update: Update) -> str:
    msg = update.effective_message
    return (msg.text or msg.caption or "") if msg else ""


async def on_private_text(update: Update, context: Context) -> None:
    """A private message (text or a photo's caption, new or edited) is a question."""
    await answer(update, context, question_text(update))


async def on_group_reply(update: Update, context: Context) -> None:
    """A reply in a group is a question only when it answers one of the bot's messages."""
    replied = update.effective_message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    await answer(update, context, question_text(update))


async def on_ask(update: Update, context: Context) -> None:
    parts = question_text(update).split(maxsplit=1)
    await answer(update, context, parts[1] if len(parts) > 1 else "")


async def on_help(update: Update, context: Context) -> None:
    if await qa_of(context).admit(update):
        await update.effective_message.reply_text(
            html.esc(HELP.format(username=context.bot.username)))


async def on_docs(update: Update, context: Context) -> None:
    qa = qa_of(context)
    if not await qa.admit(update):
        return
    docs = await qa.in_pool(qa.engine.documents)
    for text in html.docs_messages(docs):
        await update.effective_message.reply_text(text, do_quote=False)


async def on_reset(update: Update, context: Context) -> None:
    qa = qa_of(context)
    if await qa.admit(update):
        qa.memory.reset(update.effective_chat.id)
        await update.effective_message.reply_text(
            "Done: the next question starts a new conversation.")


async def on_unknown_command(update: Update, context: Context) -> None:
    if await qa_of(context).admit(update):
        await update.effective_message.reply_text("I don't know that command; try /help.")


async def on_reindex(update: Update, context: Context) -> None:
    """Admins only: sync the index with the corpus in the background, then report.
    Questions keep being answered from the old index until the new one is switched in."""
    qa, msg = qa_of(context), update.effective_message
    if not await qa.admit(update):
        return
    if not qa.is_admin(update.effective_user.id if update.effective_user else None):
        await msg.reply_text("Only the bot's admins can reindex.")
        return
    if qa.index_lock.locked():
        await msg.reply_text("The index is being updated already; try again when it is done.")
        return
    await msg.reply_text("Reindexing in the background; I will report when it is done.")
    context.application.create_task(reindex(qa, msg), update=update)


async def reindex(qa: QaBot, msg: Any) -> None:
    async with qa.index_lock:
        try:
            report = await asyncio.to_thread(qa.engine.sync, progress=False)
        except QaBotError as exc:
            log.warning("reindex failed: %s", exc)
            await msg.reply_text(html.esc(f"Reindex failed: {exc}"), do_quote=False)
            return
        except Exception:
            log.exception("reindex failed")
            await msg.reply_text("Reindex failed; the details are in the bot's log.",
                                 do_quote=False)
            return
    for text in html.pack([html.Block((("", line),)) for line in report_lines(report)]):
        await msg.reply_text(text, do_quote=False)


def report_lines(report: SyncReport) -> list[str]:
    lines = [f"Reindex done: {len(report.added)} added, {len(report.updated)} updated, "
             f"{len(report.removed)} removed, {report.unchanged} unchanged "
             f"({count(report.chunks_embedded, 'chunk')} embedded)."]
    for label, items in (("added", report.added), ("updated", report.updated),
                         ("removed", report.removed)):
        lines += [f"{label}: {item}" for item in items[:20]]
        if len(items) > 20:
            lines.append(f"... and {len(items) - 20} more {label}")
    return lines


async def on_error(update: object, context: Context) -> None:
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
            await update.inline_query.answer([], cache_time=0, is_personal=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(SORRY)
    except TelegramError as exc:
        log.warning("update %s: could not tell the user: %s", update_id, exc)
