"""Admins add articles from a private chat: a .txt, .md, .html or .pdf document, or a link
to a page. The article is checked first (the same loader the index uses), saved into
`[telegram] inbox_dir`, and that one path is synced, so nothing indexed before is touched;
the reply names what was added and its title. A link is fetched with a timeout and a size
cap and reduced to the article's text (trafilatura) as Markdown. Others get a polite no;
a file too large, of another kind or unreadable gets one line, and nothing is saved."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
from telegram import Update

from qa_bot.documents import display_path, load_document
from qa_bot.errors import DocumentError, QaBotError
from qa_bot.telegram import html
from qa_bot.telegram.bot import QaBot
from qa_bot.telegram.handlers import Context, qa_of

LINK = r"^\s*https?://\S+\s*$"
SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
FETCH_TIMEOUT_S = 15.0
NOT_ADMIN = ("Thank you, but only the bot's admins can add articles. You can ask me "
             "questions about the ones I have.")


class AddError(Exception):
    """Why an article was not added: one line for the admin."""


def safe_name(name: str) -> str:
    """A file name safe inside the inbox: no folders, no leading dot, plain characters."""
    stem = re.sub(r"[^\w.-]+", "-", Path(name).name).strip(".-")[:100]
    return stem or "article"


def mb(n: float) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} KB"


def page_to_markdown(page: str, url: str) -> tuple[str, str]:
    """An HTML page -> (title, Markdown of its main text: '# title', the article, the URL)."""
    import trafilatura

    text = trafilatura.extract(page, output_format="markdown", include_comments=False,
                               include_tables=True, with_metadata=False)
    if not text or not text.strip():
        raise AddError(f"I found no article text at {url}.")
    meta = trafilatura.extract_metadata(page)
    title = (meta.title if meta is not None and meta.title else "") or url
    return title, f"# {title}\n\n{text.strip()}\n\nSource: {url}\n"


def fetch(url: str, max_bytes: int) -> tuple[str, bytes]:
    """(file name, content) of the article at `url`: HTML reduced to Markdown, a PDF or
    plain text as is. AddError when it cannot be had within the timeout and size cap."""
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT_S, follow_redirects=True) as client:
            with client.stream("GET", url, headers={"User-Agent": "qa-bot"}) as r:
                if r.status_code != 200:
                    raise AddError(f"{url} answered HTTP {r.status_code}; nothing was added.")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise AddError(f"The page at {url} is larger than {mb(max_bytes)}; "
                                       f"nothing was added.")
                kind = r.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.HTTPError as exc:
        raise AddError(f"I could not fetch {url} ({type(exc).__name__}); nothing was "
                       f"added.") from None
    slug = safe_name(re.sub(r"^https?://", "", url).rstrip("/").replace("/", "-"))[:80]
    if kind == "application/pdf":
        return slug + ".pdf", bytes(body)
    if kind == "text/plain":
        return slug + ".txt", bytes(body)
    title, markdown = page_to_markdown(bytes(body).decode(r.encoding or "utf-8", "replace"), url)
    return safe_name(title.lower())[:80] + ".md", markdown.encode("utf-8")


def save(folder: Path, name: str, raw: bytes) -> tuple[Path, str]:
    """Check that the index can read the article, then write it into the inbox
    atomically; (its path, its title)."""
    path = folder / name
    try:
        doc = load_document(path, raw)
    except DocumentError as exc:
        reason = str(exc).removeprefix(f"{display_path(path)}: ").removesuffix(", skipped")
        raise AddError(f"“{name}” was not added: {reason}.") from None
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"  # hidden: a sync meanwhile never reads it
    tmp.write_bytes(raw)
    os.replace(tmp, path)
    return path, doc.title


async def add(update: Update, qa: QaBot, name: str, raw: bytes) -> None:
    """Save and index one article, then tell the admin what happened (one message)."""
    msg = update.effective_message
    folder = qa.cfg.resolve(qa.tg.inbox_dir)
    try:
        async with qa.index_lock:
            path, title = await qa.in_pool(save, folder, name, raw)
            report = await asyncio.to_thread(qa.engine.sync, [path], progress=False)
    except AddError as exc:
        await msg.reply_text(html.esc(str(exc)))
        return
    except QaBotError as exc:
        await msg.reply_text(html.esc(f"“{name}” was saved but not indexed: {exc}"))
        return
    done = "Added" if report.added else "Updated" if report.updated else "Already had"
    await msg.reply_text(html.esc(f"{done} “{title}” ({display_path(path)}). "
                                  f"You can ask about it now."))


async def allowed_to_add(update: Update, qa: QaBot) -> bool:
    msg = update.effective_message
    if not await qa.admit(update):
        return False
    if not qa.is_admin(update.effective_user.id if update.effective_user else None):
        await msg.reply_text(NOT_ADMIN)
        return False
    if not qa.tg.inbox_dir:
        await msg.reply_text("Adding articles is switched off: set [telegram] inbox_dir in "
                             "the bot's config.")
        return False
    return True


async def on_document(update: Update, context: Context) -> None:
    """A document in a private chat: an admin's new article; anyone else is thanked and
    told no."""
    qa, msg = qa_of(context), update.effective_message
    if not await allowed_to_add(update, qa):
        return
    doc, limit = msg.document, int(qa.tg.max_upload_mb * 1_000_000)
    name = safe_name(doc.file_name or "article.txt")
    if not name.lower().endswith(SUFFIXES):
        await msg.reply_text(html.esc(f"I can add .txt, .md, .html and .pdf files; “{name}” "
                                      f"is none of them, so nothing was added."))
        return
    if (doc.file_size or 0) > limit:
        await msg.reply_text(html.esc(f"“{name}” is {mb(doc.file_size)}; I take files up to "
                                      f"{mb(limit)}, so nothing was added."))
        return
    raw = bytes(await (await doc.get_file()).download_as_bytearray())
    if len(raw) > limit:
        await msg.reply_text(html.esc(f"“{name}” is larger than {mb(limit)}; nothing was "
                                      f"added."))
        return
    await add(update, qa, name, raw)


async def on_link(update: Update, context: Context) -> None:
    """An admin's message that is just a link: fetch the article and add it."""
    qa, msg = qa_of(context), update.effective_message
    if not await allowed_to_add(update, qa):
        return
    url = msg.text.strip()
    try:
        name, raw = await qa.in_pool(fetch, url, int(qa.tg.max_upload_mb * 1_000_000))
    except AddError as exc:
        await msg.reply_text(html.esc(str(exc)))
        return
    await add(update, qa, name, raw)
