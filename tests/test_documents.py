from pathlib import Path

import pytest

from qa_bot.documents import discover, is_heading, load_document
from qa_bot.errors import DocumentError, InputError

from conftest import SEED


def test_seed_shape_topic_title_sections_and_spans():
    doc = load_document(SEED)
    assert doc.topic == "war"
    assert doc.title == "North Korea Claims the U.S. is the Root Cause of Ukraine Invasion"
    sections = [p.section for p in doc.paragraphs]
    assert sections[0] == ""
    assert "NORTH KOREA BLAMES THE U.S. FOR RUSSIA’S INVASION" in sections
    assert "A SECRET BACK AT HOME" in sections
    assert [p.number for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
    raw = SEED.read_bytes().decode("utf-8")
    for p in doc.paragraphs:
        body = raw[p.start:p.end]
        assert body == body.strip() and body and "\n\n" not in body
        assert not is_heading(body)
    kim = next(p for p in doc.paragraphs if "Kim Song" in raw[p.start:p.end])
    assert kim.section == "NORTH KOREA BLAMES THE U.S. FOR RUSSIA’S INVASION"


def test_long_upper_case_line_is_a_paragraph_not_a_heading(tmp_path: Path):
    wire = ("MOSCOW, JAN 3 - THE SOVIET UNION SAID TODAY IT WOULD CUT GRAIN IMPORTS "
            "AFTER A POOR HARVEST, OFFICIALS TOLD REPORTERS AT A BRIEFING IN THE CAPITAL.")
    f = tmp_path / "wire.txt"
    f.write_text(f"grain\n\nSOVIET GRAIN\n\nMARKETS\n\n{wire}\n\nShort second paragraph.\n")
    doc = load_document(f)
    assert doc.title == "SOVIET GRAIN"
    assert [doc.text[p.start:p.end] for p in doc.paragraphs] == [wire, "Short second paragraph."]
    assert doc.paragraphs[0].section == "MARKETS"


def test_plain_text_without_the_shape_takes_title_from_first_line_or_name(tmp_path: Path):
    a = tmp_path / "notes.txt"
    a.write_text("Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n")
    assert load_document(a).title == "Harbour reopens"
    b = tmp_path / "city_council-minutes.txt"
    b.write_text("The council met on Tuesday. It voted to repair the bridge.\nIt adjourned.\n")
    doc = load_document(b)
    assert doc.title == "city council minutes"
    assert len(doc.paragraphs) == 1


def test_markdown_headings_are_sections(tmp_path: Path):
    f = tmp_path / "report.md"
    f.write_text("# Flood report\n\nRivers rose overnight.\n\n## Damage\n\nTwo bridges fell.\n"
                 "\nRoads closed.\n\n## Relief\nAid arrived by boat.\n")
    doc = load_document(f)
    assert doc.title == "Flood report"
    got = [(doc.text[p.start:p.end], p.section) for p in doc.paragraphs]
    assert got == [("Rivers rose overnight.", ""), ("Two bridges fell.", "Damage"),
                   ("Roads closed.", "Damage"), ("Aid arrived by boat.", "Relief")]


@pytest.mark.parametrize("content, why", [
    (b"", "empty"), (b"  \n\n ", "empty"), (b"\x00\x01binary\x00", "binary"),
    (b"caf\xe9 au lait\n", "not UTF-8"),
])
def test_unusable_files_raise_one_line_naming_the_file(tmp_path: Path, content, why):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DocumentError) as exc:
        load_document(f)
    msg = str(exc.value)
    assert "bad.txt" in msg and why in msg and "\n" not in msg


def test_discover_skips_hidden_and_unknown_and_survives_symlink_loops(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "two.md").write_text("y")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / ".hidden.txt").write_text("z")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    found = discover([tmp_path / "a"])
    assert [Path(p).name for p in found.paths] == ["one.txt", "two.md"]
    assert any("image.png" in s for s in found.skipped)
    with pytest.raises(InputError, match="no such file"):
        discover([tmp_path / "missing"])
