"""The chunk invariants, on the seed and on documents built to stress them."""

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
