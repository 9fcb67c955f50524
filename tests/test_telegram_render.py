"""Answer -> Telegram HTML: escaping, and splitting within 4096 UTF-16 units at paragraph,
sentence or word boundaries, never inside a tag or an entity. Checked with the fake Bot API's
Telegram-style HTML parser."""

from __future__ import annotations

import re

import pytest

from qa_bot.answering import Answer, Citation
from qa_bot.render import (Block, docs_messages, pack, passage_messages, telegram_messages,
                           utf16_len)
from fake_bot_api import HtmlError, parse_html

NASTY = 'R&D at <Acme> & "Sons" <b>bold</b> <script>alert(1)</script> &amp; 😀 café'


def citation(n: int, quote: str, title: str = "Title", passage: str | None = None) -> Citation:
    passage = passage if passage is not None else f"Before. {quote} After."
    start = 100 * n
    return Citation(n=n, doc_id=f"d{n}", title=title, source=f"corpus/doc{n}.txt",
                    section="WORLD", paragraph=n, quote=quote, start=start,
                    end=start + len(quote), passage=passage, score=0.5)


def visible(messages: list[str]) -> list[str]:
    return [parse_html(m) for m in messages]


def words(text: str) -> list[str]:
    return text.split()


def test_parser_rejects_what_telegram_rejects():
    for bad in ["<script>x</script>", "a < b", "R&D", "<b>open", "<b><i>x</b></i>", "&nbsp;",
                "x > y"]:
        with pytest.raises(HtmlError):
            parse_html(bad)
    assert parse_html("<b>a</b> &lt;&amp;&gt; <blockquote>q</blockquote>") == "a <&> q"


def test_answer_escapes_markup_and_keeps_it_as_text():
    c = citation(1, NASTY, title="<b>Bold</b> & <script>")
    answer = Answer("q <i>?</i>", True, f"{NASTY} [1]", [c], 0.9)
    (message,) = telegram_messages(answer)
    text = parse_html(message)
    assert NASTY in text and "<b>Bold</b> & <script>" in text
    assert "<b>[1]</b>" in message  # our own markup survives as markup
    assert "<script>" not in message


def test_not_answered_says_so_and_lists_nearest_passages():
    c = citation(1, "Something nearby.")
    answer = Answer("q", False, "The indexed documents do not answer this question.", [c], 0.1)
    text = parse_html(telegram_messages(answer)[0])
    assert text.startswith("The indexed documents do not answer this question.")
    assert "Nearest passages" in text and "Something nearby." in text


def test_long_answer_splits_between_sources_within_the_limit():
    quotes = [f"Sentence number {i} talks about lighthouses & keepers <{i}>. " * 6
              for i in range(1, 16)]
    cites = [citation(i, q.strip()) for i, q in enumerate(quotes, 1)]
    answer = Answer("q", True, f"{cites[0].quote} [1]", cites, 0.9)
    messages = telegram_messages(answer)
    assert len(messages) >= 2
    texts = visible(messages)
    assert all(utf16_len(m) <= 4096 for m in messages)
    joined = " ".join(texts)
    for i in range(1, 16):
        assert joined.count(f"[{i}] Title") == 1
    assert words(joined) == words(parse_html("\n".join(messages)))


@pytest.mark.parametrize("unit", ["Sentence with émoji 😀 & <tags>. ", "&&&&<<<>>> ",
                                  "😀" * 50 + " ", "x" * 5000])
def test_one_huge_block_splits_without_breaking_entities_or_surrogates(unit: str):
    text = unit * (9000 // len(unit) + 1)
    messages = pack([Block((("", "Head "), ("b", text), ("", " tail")), wrap="blockquote")])
    assert len(messages) >= 2
    texts = visible(messages)  # raises if a tag or an entity was cut
    assert all(utf16_len(m) <= 4096 for m in messages)
    assert all(m.startswith("<blockquote>") and m.endswith("</blockquote>") for m in messages)
    assert "".join(texts).replace(" ", "") == ("Head " + text + " tail").replace(" ", "")
    assert "\ufffd" not in "".join(texts)


def test_split_prefers_sentence_boundaries():
    sentences = [f"This is sentence {i} of a very long paragraph." for i in range(400)]
    messages = pack([Block((("", " ".join(sentences)),))])
    assert len(messages) >= 2
    for m in messages:
        assert re.search(r"paragraph\.$", parse_html(m))


def test_passage_view_has_provenance_and_bold_quote():
    c = citation(2, "The quote & more.", passage="Intro <x>. The quote & more. Outro.")
    (message,) = passage_messages(c)
    text = parse_html(message)
    assert "<b>The quote &amp; more.</b>" in message
    assert "corpus/doc2.txt, characters 200-217" in text
    assert "WORLD, paragraph 2" in text and "Intro <x>." in text


def test_docs_listing_escapes_titles():
    docs = [{"source": "a.txt", "title": "<b>A</b> & B", "topic": "war",
             "indexed_at": "2026-11-27T10:00:00Z", "chunks": 3}]
    (message,) = docs_messages(docs)
    text = parse_html(message)
    assert "<b>A</b> & B [war] — a.txt, indexed 2026-11-27" in text
    assert parse_html(docs_messages([])[0]) == "No documents are indexed yet."
