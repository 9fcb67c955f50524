"""The chunk invariants, on the seed and on documents built to stress them."""

import textwrap
from pathlib import Path

import pytest

from qa_bot.chunking import Chunker, split_sentences, token_counter
from qa_bot.documents import load_document
from qa_bot.embedder import tokenizer_file

from conftest import SEED


@pytest.fixture(scope="module")
def counter():
    return token_counter(str(tokenizer_file()))


def check_invariants(doc, chunks, counter, max_tokens):
    assert chunks, "a document with text yields chunks"
    covered = []
    for i, c in enumerate(chunks):
        assert c.ordinal == i and c.doc_id == doc.doc_id
        assert doc.text[c.start:c.end] == c.text
        assert counter.count(c.embed_text) <= max_tokens
        for s in c.sentences:
            assert c.start <= s.start < s.end <= c.end
        covered.extend((s.start, s.end) for s in c.sentences)
    assert covered == sorted(covered)
    assert all(a[1] <= b[0] for a, b in zip(covered, covered[1:])), "no sentence twice"
    for p in doc.paragraphs:  # every sentence of every paragraph lands in a chunk
        expected = split_sentences(doc.text, p.start, p.end)
        inside = [s for s in covered if p.start <= s[0] and s[1] <= p.end]
        assert inside[0][0] == expected[0][0] and inside[-1][1] == expected[-1][1]
        text = "".join(doc.text[a:b] for a, b in inside)
        assert text.replace(" ", "") == "".join(doc.text[a:b] for a, b in expected).replace(" ", "")


@pytest.mark.parametrize("max_tokens, target", [(200, 128), (64, 48), (254, 254)])
def test_seed_chunks_keep_the_invariants(counter, max_tokens, target):
    doc = load_document(SEED)
    chunks = Chunker(counter, max_tokens, target).chunk(doc)
    check_invariants(doc, chunks, counter, max_tokens)
    assert {c.section for c in chunks} >= {"", "A SECRET BACK AT HOME"}


def test_sentences_split_on_meaning_not_on_every_period():
    text = "The U.S. and the U.N. met at 9 a.m. in New York. Mr. Kim spoke first. Then he left."
    spans = split_sentences(text, 0, len(text))
    assert [text[a:b] for a, b in spans] == [
        "The U.S. and the U.N. met at 9 a.m. in New York.", "Mr. Kim spoke first.",
        "Then he left."]


def test_an_over_long_sentence_is_cut_not_truncated(tmp_path: Path, counter):
    words = " ".join(f"delegate{i} voted" for i in range(300))
    f = tmp_path / "long.txt"
    f.write_text(f"Long vote\n\nIntro sentence here. {words} and then it ended.\n\nShort one.\n")
    doc = load_document(f)
    chunks = Chunker(counter, 100, 80).chunk(doc)
    check_invariants(doc, chunks, counter, 100)
    joined = " ".join(c.text for c in chunks)
    assert "delegate0 voted" in joined and "delegate299 voted" in joined
    assert len(chunks) >= 6


def test_chunks_never_cross_sections(tmp_path: Path, counter):
    f = tmp_path / "s.md"
    f.write_text("# T\n\nAlpha one.\n\n## Beta\n\nBeta one. Beta two.\n\n## Gamma\n\nGamma one.\n")
    doc = load_document(f)
    chunks = Chunker(counter, 200, 128).chunk(doc)
    assert [(c.section, c.text) for c in chunks] == [
        ("", "Alpha one."), ("Beta", "Beta one. Beta two."), ("Gamma", "Gamma one.")]
    assert chunks[1].embed_text.startswith("T - Beta\n")


VOLCANO = ("The volcano on the island erupted at dawn on Tuesday, the first eruption in forty "
           "years. Lava flowed for three kilometres before it reached the sea. The new sea wall "
           "cost four hundred thousand pounds and took six weeks to build. The U.S. embassy "
           "sent two doctors. Villagers were moved to a school on the hill and nobody was "
           "hurt, officials said.")
LAVA = "Lava flowed for three\nkilometres before it reached the sea."  # as wrapped at 60
MEASURES = ["Increased spending on primary education to 71.56bn rupees ($1.6bn) over the "
            "next two years", "A freeze on petrol duty", "Pledged 102.16bn rupees ($2.3bn) "
            "for the victims of the tsunami in the south"]


def wrap(text: str, width: int = 60, **kw) -> str:
    """`text` hard-wrapped: each break replaces one space, so offsets match `text`'s."""
    return textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False, **kw)


def sentences_of(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, 0, len(text))]


def chunk_sentences(doc, counter) -> list[str]:
    """The text of every chunk sentence, the chunk invariants checked."""
    chunks = Chunker(counter, 200, 128).chunk(doc)
    check_invariants(doc, chunks, counter, 200)
    return [doc.text[s.start:s.end] for c in chunks for s in c.sentences]


@pytest.mark.parametrize("width", [60, 48])
def test_a_line_break_that_wraps_a_paragraph_does_not_end_a_sentence(width):
    wrapped = wrap(VOLCANO, width)
    assert split_sentences(wrapped, 0, len(wrapped)) == split_sentences(VOLCANO, 0, len(VOLCANO))
    assert sentences_of(VOLCANO)[1:3] == [
        "Lava flowed for three kilometres before it reached the sea.",
        "The new sea wall cost four hundred thousand pounds and took six weeks to build."]


def test_lists_headings_table_rows_and_long_lines_keep_their_line_breaks():
    items = "\n".join(wrap(m, initial_indent="- ", subsequent_indent="  ") for m in MEASURES)
    assert [" ".join(s.split()) for s in sentences_of(f"These were promised:\n{items}")] == [
        "These were promised:", *(f"- {m}" for m in MEASURES)]
    table = "| Year | Tonnes |\n|------|--------|\n| 2022 | 36 million |\n| 2023 | 41 million |"
    assert sentences_of(table) == table.split("\n")
    text = wrap(VOLCANO[:140]) + "\nDAMAGE\n" + wrap(VOLCANO[141:])
    assert "DAMAGE" in sentences_of(text)
    lines = [VOLCANO, "The road stays shut", VOLCANO.upper()]  # one paragraph a line
    assert len(sentences_of("\n".join(lines))) == 2 * len(sentences_of(VOLCANO)) + 1


@pytest.mark.parametrize("name", ["volcano.txt", "volcano.md"])
def test_wrapped_files_chunk_into_whole_sentences_at_exact_offsets(tmp_path: Path, counter,
                                                                   name):
    items = "\n".join(wrap(m, initial_indent="- ", subsequent_indent="  ") for m in MEASURES)
    head = "# Island volcano erupts" if name.endswith(".md") else "Island volcano erupts"
    f = tmp_path / name
    f.write_text(f"{head}\n\n{wrap(VOLCANO)}\n\nThe council promised:\n{items}\n")
    doc = load_document(f)
    assert doc.title == "Island volcano erupts" and len(doc.paragraphs) == 2
    sents = chunk_sentences(doc, counter)
    assert [" ".join(s.split()) for s in sents] == [
        *sentences_of(VOLCANO), "The council promised:", *(f"- {m}" for m in MEASURES)]
    at = f.read_text().index("Lava")
    assert LAVA in sents and f.read_text()[at:at + len(LAVA)] == LAVA


def test_a_wrapped_pdf_chunks_into_whole_sentences_at_exact_offsets(tmp_path: Path, counter):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(100, 6, f"ERUPTION\n\n{VOLCANO}")  # 100 mm wide: six lines
    pdf.output(str(tmp_path / "volcano.pdf"))
    doc = load_document(tmp_path / "volcano.pdf")
    sents = chunk_sentences(doc, counter)
    assert doc.text.count("\n") >= 6 and sum("\n" in s for s in sents) >= 3
    assert [s.replace("\n", " ") for s in sents] == sentences_of(VOLCANO)
    assert doc.paragraphs[0].section == "ERUPTION" and doc.paragraphs[0].page == 1


def test_a_wrapped_sentence_is_quoted_whole_and_verbatim(tmp_path: Path, embedder):
    from qa_bot.engine import Engine

    from conftest import make_config

    (tmp_path / "c").mkdir()
    source = tmp_path / "c" / "volcano.txt"
    source.write_text(f"Island volcano erupts\n\n{wrap(VOLCANO)}\n")
    engine = Engine(make_config(tmp_path, ["c"]), embedder_factory=lambda: embedder)
    engine.sync(progress=False)
    answer = engine.ask("How far did the lava flow?", top_k=5)
    assert answer.answered and answer.citations[0].quote == LAVA
    c = answer.citations[0]
    assert source.read_text()[c.start:c.end] == LAVA


def test_a_closing_quote_mark_never_opens_a_sentence():
    """News leaves a quote open when it runs on into the next paragraph; counting marks,
    pysbd then starts the next sentence with the closing mark ('" Economists ...') or makes
    a sentence of a paragraph's last mark alone. Such a mark goes with the sentence it
    closes; what pysbd runs together inside a quote stays together (it keeps the speaker)."""
    text = ('Mr Ryan said: "We will need to see decisions. "If the imbalances are not '
            'adjusted, the market will decide." Economists say a weak dollar helps. "It is '
            'widely accepted that the risks will worsen." Ms Lee said rates had "slowed" '
            'but not much. "The Bank must juggle," she said. "Rates will hold." He left. '
            "Mr. Smith went to Washington. U.S. shares rose.")
    got = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    assert not any(s.startswith('"') and s[1:2].isspace() for s in got)
    assert got[1] == 'Economists say a weak dollar helps. "It is widely accepted that the ' \
        'risks will worsen."'
    assert got[-3:] == ["He left.", "Mr. Smith went to Washington.", "U.S. shares rose."]
    last = ('A spokesman for the fans said: "I can\'t see any deal working. "He isn\'t '
            'bringing any money into the club; he\'ll use ours."')
    assert [last[a:b] for a, b in split_sentences(last, 0, len(last))] == [last]
