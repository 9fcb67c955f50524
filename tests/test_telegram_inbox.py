"""Admins add articles from the chat: a document or a link (fetched from a local HTTP
server on 127.0.0.1) is saved into the inbox folder, indexed, and answerable at once;
others are refused politely; bad or large files get one line and change nothing."""

from __future__ import annotations

import shutil

import pytest
from aiohttp import web

from qa_bot.config import with_index_dir
from qa_bot.engine import Engine
from telegram_harness import (ADMIN, answer_to, corpus, engine, run,  # noqa: F401
                              running_bot)

pytestmark = pytest.mark.timeout(240)
COMET = ("science\n\nA new comet is visible at dawn\n\nThe comet Tsuchinshan was discovered "
         "by the Purple Mountain Observatory and is visible at dawn this week.\n").encode()
PAGE = """<html><head><title>Glacier in the Alps lost a third of its ice</title></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | Subscribe now</nav>
<article><h1>Glacier in the Alps lost a third of its ice</h1>
<p>The Rhone glacier in the Swiss Alps has lost a third of its ice since 1990, according to
measurements published by the glaciology institute of Zurich on Tuesday.</p>
<p>Researchers said the summer heat waves of the last decade accelerated the melting, and
that the glacier's tongue retreated by nearly two hundred metres.</p></article>
<footer>Cookie settings. Copyright 2026 Example News.</footer></body></html>"""


@pytest.fixture
def own_engine(engine, embedder, tmp_path) -> Engine:
    """The shared index copied, so adding articles changes no other test's index."""
    shutil.copytree(engine.cfg.index_dir, tmp_path / "index")
    return Engine(with_index_dir(engine.cfg, tmp_path / "index"),
                  embedder_factory=lambda: embedder)


def replies(api, chat: int) -> list[str]:
    return [m["text"] for m in api.sent_to(chat)]


def test_an_admins_document_is_added_and_answerable_and_others_are_refused(own_engine,
                                                                           tmp_path):
    inbox = tmp_path / "inbox"
    before = {d["source"] for d in own_engine.documents()}

    async def scenario():
        async with running_bot(own_engine, admin_user_ids=[ADMIN],
                               inbox_dir=str(inbox)) as api:
            api.document(1201, "comet.txt", COMET)  # not an admin
            await api.wait_for(lambda: api.sent_to(1201))
            up = api.document(ADMIN, "../comet news!.txt", COMET)
            (added,) = await answer_to(api, up, 60)
            q = api.message(ADMIN, "Which observatory discovered the comet Tsuchinshan?")
            (answer, *_) = await answer_to(api, q)
            return api, added, answer

    api, added, answer = run(scenario())
    assert replies(api, 1201) == ["Thank you, but only the bot's admins can add articles. "
                                  "You can ask me questions about the ones I have."]
    assert added["text"].startswith("Added “A new comet is visible at dawn” (")
    assert (inbox / "comet-news-.txt").read_bytes() == COMET  # no way out of the inbox
    assert [p.name for p in inbox.iterdir()] == ["comet-news-.txt"]
    after = {d["source"] for d in own_engine.documents()}
    assert before < after and len(after) == len(before) + 1  # nothing indexed before lost
    assert "A new comet is visible at dawn" in answer["text"]  # answered from it (or named)


@pytest.mark.parametrize("name, content, size, words", [
    ("report.docx", b"PK\x03\x04", None, "I can add .txt, .md, .html and .pdf files; "
                                         "“report.docx” is none of them"),
    ("huge.pdf", b"%PDF-1.4", 50_000_000, "“huge.pdf” is 50.0 MB; I take files up to 20.0 MB"),
    ("latin1.txt", "war\n\nCaf\xe9 news\n\nA caf\xe9 opened.\n".encode("latin-1"), None,
     "“latin1.txt” was not added: "),
    ("empty.md", b"   \n", None, "“empty.md” was not added: empty file"),
    ("broken.pdf", b"%PDF-1.4 this is not a pdf", None, "“broken.pdf” was not added: "),
])
def test_bad_or_large_files_get_one_line_and_change_nothing(own_engine, tmp_path, name,
                                                            content, size, words):
    inbox = tmp_path / "inbox"
    before = own_engine.documents()

    async def scenario():
        async with running_bot(own_engine, admin_user_ids=[ADMIN],
                               inbox_dir=str(inbox)) as api:
            up = api.document(ADMIN, name, content, file_size=size)
            return await answer_to(api, up, 60)

    (reply,) = run(scenario())
    assert reply["text"].startswith(words) and "\n" not in reply["text"]
    assert not inbox.exists() or not any(inbox.iterdir())
    assert own_engine.documents() == before


def test_an_admins_link_is_fetched_reduced_to_the_article_and_added(own_engine, tmp_path):
    inbox = tmp_path / "inbox"

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def big(request: web.Request) -> web.Response:
        return web.Response(text="<p>" + "word " * 20_000 + "</p>", content_type="text/html")

    async def scenario():
        app = web.Application()
        app.router.add_get("/news/glacier", page)
        app.router.add_get("/big", big)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        root = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        try:
            async with running_bot(own_engine, admin_user_ids=[ADMIN], inbox_dir=str(inbox),
                                   max_upload_mb=0.05) as api:
                out = []
                for url in (f"{root}/news/glacier", f"{root}/big", f"{root}/missing"):
                    out.append((await answer_to(api, api.message(ADMIN, url), 60))[0]["text"])
                q = api.message(ADMIN, "How much ice has the Rhone glacier lost since 1990?")
                out.append((await answer_to(api, q))[0]["text"])
                return root, out
        finally:
            await runner.cleanup()

    root, (added, big_reply, missing, answer) = run(scenario())
    title = "Glacier in the Alps lost a third of its ice"
    assert added.startswith(f"Added “{title}” (")
    (saved,) = inbox.iterdir()
    text = saved.read_text(encoding="utf-8")
    assert saved.suffix == ".md" and text.startswith(f"# {title}\n")
    assert "lost a third of its ice since 1990" in text and f"Source: {root}/news/glacier" in text
    assert "Subscribe now" not in text and "Cookie settings" not in text  # article text only
    assert big_reply == f"The page at {root}/big is larger than 50 KB; nothing was added."
    assert missing == f"{root}/missing answered HTTP 404; nothing was added."
    assert title in answer
