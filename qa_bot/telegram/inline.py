"""Handlers of button presses (a cited passage, the other passages) and of inline queries
('@bot question' in any chat)."""

from __future__ import annotations

import logging

from telegram import InlineQueryResultArticle, InputTextMessageContent, Message, Update
from telegram.error import BadRequest

from qa_bot.answer import Answer
from qa_bot.telegram import html
from qa_bot.telegram.handlers import Context, qa_of
from qa_bot.telegram.keyboards import Payload, more_keyboard

log = logging.getLogger("qa_bot.telegram")
INLINE_RESULTS_MAX = 50
INLINE_CACHE_S = 30
GONE = "I no longer have that answer; please ask again."


async def tell(update: Update, text: str | None = None) -> None:
    """Answer the button press (a pop-up when `text`); a press replayed after a restart
    is too old to answer, which is no reason to stop."""
    try:
        await update.callback_query.answer(text, show_alert=bool(text))
    except BadRequest as exc:
        log.info("update %s: could not answer the button press: %s", update.update_id, exc)


async def pressed(update: Update, context: Context, kind: str
                  ) -> tuple[Answer, Payload, Message] | None:
    """The stored answer a button of this chat belongs to, its payload and the message it
    sits under; None (the user told why) when not allowed or not known."""
    qa, query, chat = qa_of(context), update.callback_query, update.effective_chat
    if not qa.allowed(query.from_user.id if query.from_user else None,
                      chat.id if chat else None):
        await tell(update, "Sorry, this bot is not available to you.")
        return None
    payload = Payload.decode(query.data)
    found = qa.memory.answer(chat.id, payload.key) if payload and chat else None
    if found is None or payload.kind != kind or not isinstance(query.message, Message) \
            or (kind == "p" and not 1 <= payload.n <= len(found.citations)):
        await tell(update, GONE)
        return None
    await tell(update)
    return found, payload, query.message


async def on_passage(update: Update, context: Context) -> None:
    """A citation button: its full passage with provenance, or, when the article has been
    removed from the index since, a plain line saying so."""
    found = await pressed(update, context, "p")
    if found is None:
        return
    answer, payload, message = found
    c = answer.citations[payload.n - 1]
    if not await qa_of(context).indexed(c.doc_id):
        await message.reply_text(html.esc(f"The article “{c.title}” ({c.source}) has since "
                                          f"been removed from the documents."))
        return
    for text in html.passage_messages(c):
        await message.reply_text(text)


async def on_more(update: Update, context: Context) -> None:
    """The "More passages" button: the passages the answer does not quote, with a button
    per passage."""
    found = await pressed(update, context, "m")
    if found is None:
        return
    answer, payload, message = found
    messages = html.more_passages_messages(answer)
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        await message.reply_text(text, do_quote=i == 0,
                                 reply_markup=more_keyboard(answer, payload.key) if last
                                 else None)


async def on_inline(update: Update, context: Context) -> None:
    """'@bot question' in any chat: once the user pauses typing, the answer (and each
    passage) as results cached for this user only. The allow-list comes before anything
    else, and inline answers have their own quota."""
    qa, iq = qa_of(context), update.inline_query
    question, uid = iq.query.strip(), iq.from_user.id
    if not question or len(question) > qa.tg.max_question_chars \
            or not qa.allowed(uid, None):
        await offer(update, [])
        return
    if not await qa.debouncer.settled(uid):
        return  # a newer query of this user replaced it; Telegram drops this one
    if qa.inline_quota.take(uid) > 0:
        await offer(update, [])
        return
    answer = await qa.ask(question)
    if not answer.answered and not answer.citations:  # small talk ("thanks"), or nothing
        await offer(update, [], INLINE_CACHE_S)    # found: nothing worth sending to a chat
        return
    summary = answer.answer if answer.answered else "No answer in the documents"
    results = [InlineQueryResultArticle(
        id="answer", title=summary[:100], description=question[:100],
        input_message_content=InputTextMessageContent(html.telegram_messages(answer)[0]))]
    for c in answer.citations[:INLINE_RESULTS_MAX - 1]:
        results.append(InlineQueryResultArticle(
            id=f"passage-{c.n}", title=f"[{c.n}] {c.title}"[:100], description=c.quote[:200],
            input_message_content=InputTextMessageContent(html.passage_messages(c)[0])))
    await offer(update, results, INLINE_CACHE_S)


async def offer(update: Update, results: list, cache_time: int = 0) -> None:
    """Answer the inline query, cached per user (is_personal): results for one user are
    never served to another. A query too old to answer (a replay) is logged."""
    try:
        await update.inline_query.answer(results, cache_time=cache_time, is_personal=True)
    except BadRequest as exc:
        log.info("update %s: could not answer the inline query: %s", update.update_id, exc)
