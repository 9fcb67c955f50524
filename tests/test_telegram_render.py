"""Answer -> Telegram HTML: escaping, and splitting within 4096 UTF-16 units at paragraph,
sentence or word boundaries, never inside a tag or an entity. Checked with the fake Bot API's
Telegram-style HTML parser."""

from __future__ import annotations

import re

import pytest

from dataclasses import replace

from qa_bot.answer import NOT_ANSWERED, Answer, Citation
from qa_bot.telegram.html import (Block, docs_messages, more_passages_messages, pack,
                                  passage_messages, telegram_messages, utf16_len)
from qa_bot.telegram.keyboards import button_labels
from fake_bot_api import HtmlError, parse_html

NASTY = 'R&D at <Acme> & "Sons" <b>bold</b> <script>alert(1)</script> &amp; 😀 café'


def citation(n: int, quote: str, title: str = "Title", passage: str | None = None,
             cited: bool = False, phrase: str | None = None, doc_id: str | None = None
             ) -> Citation:
    """A citation at offset 100 * n of its file; `phrase` (inside the quote) highlighted."""
    passage = passage if passage is not None else f"Before. {quote} After."
    start = 100 * n
    highlight = None
    if phrase is not None:
        at = start + quote.index(phrase)
        highlight = (at, at + len(phrase))
    return Citation(n=n, doc_id=doc_id or f"d{n}", title=title, source=f"corpus/doc{n}.txt",
                    section="WORLD", paragraph=n, quote=quote, start=start,
                    end=start + len(quote), passage=passage, score=0.5, cited=cited,
                    highlight=highlight)


KIM = ("At an emergency U.N. session, North Korea’s ambassador, Kim Song, blamed the U.S. "
       "and its allies for their “hegemonic policy”.")
SPEECH = ("\"With these additional sanctions, we are targeting all who support Putin’s "
          "regime,” Josep Borrell said in a press release.")
PARTY = "The North Korean party leaders waited two days before delivering the news."
NK = "North Korea Claims the U.S. is the Root Cause of Ukraine Invasion"


def kim_answer() -> Answer:
    """The seed's answer as the engine gives it: [1] cited with "Kim Song" highlighted, two
    nearest passages of the same article not cited."""
    cites = [citation(1, KIM, NK, cited=True, phrase="Kim Song", doc_id="nk"),
             citation(2, SPEECH, NK, doc_id="nk"), citation(3, PARTY, NK, doc_id="nk")]
    return Answer("Who is North Korea's ambassador to the United Nations?", True,
                  f"{KIM} [1]", cites, 0.9)


def bold_texts(message: str) -> list[str]:
    return [parse_html(b) for b in re.findall(r"<b>(.*?)</b>", message)]


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


def test_declined_answer_says_so_and_names_the_nearest_articles_never_as_sources():
    cites = [citation(1, "Something nearby.", "Lighthouses", doc_id="a"),
             citation(2, "Something else nearby.", "Lighthouses", doc_id="a"),
             citation(3, "A third passage.", "Keepers & <Storms>", doc_id="b")]
    answer = Answer("q", False, NOT_ANSWERED, cites, 0.1)
    (message,) = telegram_messages(answer)
    text = parse_html(message)
    assert text.startswith(NOT_ANSWERED)
    assert "Nearest articles\n• Lighthouses\n• Keepers & <Storms>" in text  # each once
    assert "Sources" not in text and "nearby" not in text and "[1]" not in text
    (more,) = more_passages_messages(answer)
    more_text = parse_html(more)
    assert more_text.startswith("Nearest passages") and "Sources" not in more_text
    assert all(c.quote in more_text for c in cites)


def test_answer_phrase_is_bold_and_verbatim():
    answer = kim_answer()
    c = answer.citations[0]
    message = telegram_messages(answer)[0]
    answer_html = message.split("\n\n")[0]
    assert bold_texts(answer_html) == ["Kim Song"]  # the phrase alone is bold, not [1]
    source = " " * c.start + c.quote  # the file text the offsets point into
    assert source[c.highlight[0]:c.highlight[1]] == "Kim Song"
    assert parse_html(answer_html) == answer.answer  # nothing added or lost around it


def test_phrase_with_markup_is_escaped_inside_the_bold():
    quote = "The R&D budget of <Acme> rose to 5 million euros."
    c = citation(1, quote, cited=True, phrase="<Acme> rose to 5 million")
    (message,) = telegram_messages(Answer("q", True, f"{quote} [1]", [c], 0.9))
    assert "<b>&lt;Acme&gt; rose to 5 million</b>" in message
    assert parse_html(message).startswith(f"{quote} [1]")


def test_main_message_holds_the_answer_once_and_only_the_cited_sources():
    answer = kim_answer()
    (message,) = telegram_messages(answer)
    text = parse_html(message)
    assert text.count("Kim Song") == 1  # the quote is not repeated under its source
    assert "Sources\n[1] " + NK in text and "WORLD, paragraph 1" in text
    assert "[2]" not in text and "[3]" not in text
    assert SPEECH not in text and PARTY not in text
    (more,) = more_passages_messages(answer)
    more_text = parse_html(more)
    assert more_text.startswith("More passages") and "Sources" not in more_text
    assert SPEECH in more_text and PARTY in more_text and "[1]" not in more_text
    assert more_text.count(NK) == 1  # the same article's title is not repeated


def test_answer_without_cited_flags_cites_its_markers():
    """An Answer built before `cited` existed: the [n] markers say what it cites."""
    answer = kim_answer()
    answer = replace(answer, citations=[replace(c, cited=False) for c in answer.citations])
    text = parse_html(telegram_messages(answer)[0])
    assert "[1] " + NK in text and "[2]" not in text


def test_a_cited_quote_the_answer_does_not_show_is_quoted_under_its_source():
    c = citation(1, KIM, NK, cited=True, phrase="Kim Song")
    (message,) = telegram_messages(Answer("q", True, "Kim Song [1]", [c], 0.9))
    assert f"<blockquote>{KIM[:56]}<b>Kim Song</b>" in message


def test_no_doubled_quote_marks():
    answer = kim_answer()
    html = "\n".join(telegram_messages(answer) + more_passages_messages(answer))
    text = parse_html(html)
    assert SPEECH in text
    assert not re.search(r"[“”\"]{2}", text)


def test_button_labels_are_distinct_and_short():
    answer = kim_answer()
    labels = button_labels(answer.citations)
    assert labels[0] == "[1] ¶1 · At an emergency U.N. session…"
    assert labels[1].startswith("[2] ¶2 · With these")  # no stray quote mark
    tails = [label.split(" ", 1)[1] for label in labels]
    assert len(set(tails)) == 3 and all(len(label) <= 40 for label in labels)
    # two passages of one paragraph whose quotes open alike: widened until they differ
    same = [replace(citation(i, f"The keepers of the lighthouse at Ar-Men climbed, said "
                                f"witness {w}."), paragraph=4) for i, w in ((1, "A"), (2, "B"))]
    tails = [label.split(" ", 1)[1] for label in button_labels(same)]
    assert tails[0] != tails[1]


def test_more_passages_split_between_passages_within_the_limit():
    quotes = [f"Sentence number {i} talks about lighthouses & keepers <{i}>. " * 6
              for i in range(1, 16)]
    cites = [citation(i, q.strip(), title=f"Title {i}", cited=i == 1)
             for i, q in enumerate(quotes, 1)]
    answer = Answer("q", True, f"{cites[0].quote} [1]", cites, 0.9)
    (main,) = telegram_messages(answer)
    assert "[2]" not in parse_html(main)
    messages = more_passages_messages(answer)
    assert len(messages) >= 2
    texts = visible(messages)
    assert all(utf16_len(m) <= 4096 for m in messages)
    assert all(m.endswith("</blockquote>") for m in messages)  # each ends on a whole passage
    joined = " ".join(texts)
    for i in range(2, 16):
        assert joined.count(f"[{i}] Title {i}\n") == 1
    assert "[1] Title" not in joined
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


def test_a_wrapped_sentence_reads_as_running_text_with_its_phrase_bold():
    """A quote from a hard-wrapped file keeps the file's line break (the offsets and the JSON
    are the file's), but Telegram shows the sentence on one line, its phrase still bold."""
    lava = "Lava flowed for three\nkilometres before it reached the sea."
    c = citation(1, lava, "Eruption", cited=True, phrase="three\nkilometres")
    answer = Answer("How far did the lava flow?", True, f"{lava} [1]", [c], 0.9)
    message = telegram_messages(answer)[0]
    answer_html = message.split("\n\n")[0]
    assert parse_html(answer_html) == \
        "Lava flowed for three kilometres before it reached the sea. [1]"
    assert bold_texts(answer_html) == ["three kilometres"]
