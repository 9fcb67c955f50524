"""The `qa-bot` command as a user runs it: real subprocesses, exit codes, exact streams."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO, SEED, segment_file

QUESTION = "Who is North Korea's ambassador to the United Nations?"


def qa_bot(*args: str, stdin: str | None = None, cwd: Path = REPO, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "qa_bot", *args], input=stdin, capture_output=True, text=True,
        cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=600)


def assert_one_line_error(proc, code: int, *needles: str):
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa-bot: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """First `ask` on an empty index dir: builds from seeds/ (the config's corpus), says so,
    and answers. Returns the index dir."""
    index = tmp_path_factory.mktemp("cli") / "index"
    proc = qa_bot("--index-dir", str(index), "ask", QUESTION)
    assert proc.returncode == 0, proc.stderr
    assert "No index yet" in proc.stderr and "building it from seeds" in proc.stderr
    assert "Kim Song" in proc.stdout.split("\n\n")[0]
    assert "Sources:" in proc.stdout and SEED.name in proc.stdout
    return index


def test_json_answers_from_stdin_hold_verbatim_quotes(built):
    questions = [QUESTION, "When did the party leaders tell members about the invasion?", "",
                 "Which banks were sanctioned?"]
    proc = qa_bot("--index-dir", str(built), "ask", "--json", "--top-k", "2",
                  stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["question"] for a in answers] == [q for q in questions if q]
    first = answers[0]
    assert first["answered"] is True and "Kim Song" in first["answer"]
    for a in answers:
        assert [c["n"] for c in a["citations"]] == [1, 2]
        for c in a["citations"]:
            text = (REPO / c["source"]).read_bytes().decode("utf-8")
            assert text[c["start"]:c["end"]] == c["quote"]
            assert c["quote"] in c["passage"] and c["title"] and c["paragraph"] >= 1
            assert f"[{c['n']}]" not in a["answer"] or c["quote"] in a["answer"]
    assert "Sberbank" in answers[2]["answer"] or "VTB" in answers[2]["answer"]


def test_index_json_report_and_docs(built):
    proc = qa_bot("--index-dir", str(built), "index", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["added"], report["updated"], report["removed"], report["unchanged"],
            report["chunks_embedded"]) == ([], [], [], 1, 0)
    docs = qa_bot("--index-dir", str(built), "docs")
    assert docs.returncode == 0
    assert "North Korea Claims the U.S. is the Root Cause of Ukraine Invasion" in docs.stdout
    assert docs.stdout.strip().endswith("\n1 document")


def test_user_errors_are_one_line_and_non_zero(built, tmp_path):
    assert_one_line_error(qa_bot("--index-dir", str(built), "ask", "   "), 2, "empty question")
    assert_one_line_error(qa_bot("--index-dir", str(built), "ask"), 2, "no question given")
    assert_one_line_error(qa_bot("--index-dir", str(built), "index", str(tmp_path / "nope")),
                          2, "nope", "no such file")
    assert_one_line_error(qa_bot("--index-dir", str(built), "index", "--wait", "-1"),
                          2, "--wait", "-1")
    bad = tmp_path / "bad.toml"
    bad.write_text("[retrieval]\ntop_k = -1\n")
    assert_one_line_error(qa_bot("--config", str(bad), "docs"), 2, "bad.toml", "top_k")
    assert_one_line_error(qa_bot("docs", env={"QA_BOT_CONFIG": str(tmp_path / "none.toml")}),
                          2, "none.toml", "not found")
    assert_one_line_error(qa_bot("--index-dir", str(tmp_path / "empty"), "docs"),
                          1, "no index yet")
    elsewhere = tmp_path / "elsewhere"  # no config.toml here: the default corpus is missing
    elsewhere.mkdir()
    assert_one_line_error(qa_bot("ask", QUESTION, cwd=elsewhere), 2, "seeds",
                          "no such file", "--config")
    assert list(elsewhere.iterdir()) == []  # nothing built, no empty index folder left
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("buy milk\n")
    for cmd in (["docs"], ["index", "--verify"], ["ask", QUESTION]):  # never "building"
        assert_one_line_error(qa_bot("--index-dir", str(foreign), *cmd), 2,
                              "not empty and not a qa-bot index")


def test_a_config_elsewhere_reads_its_corpus_from_its_own_folder(tmp_path):
    """Run from another folder with --config, the corpus paths are the config's (seeds/ next
    to it), so the first ask builds the index and answers: the check that names a missing
    corpus reads them as the sync does."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = qa_bot("--config", str(REPO / "config.toml"), "--index-dir", str(tmp_path / "idx"),
                  "ask", QUESTION, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert "building it from seeds" in proc.stderr and "Kim Song" in proc.stdout


def test_an_unquoted_question_is_asked_and_a_mistyped_option_is_named(built):
    """`qa-bot ask Who is ...?` (no quotes) asks the words as one question; an option it
    does not know gets the one meant, and a global option after the command where it goes."""
    words = QUESTION.split()
    proc = qa_bot("--index-dir", str(built), "ask", "--json", *words)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["question"] == QUESTION
    typo = qa_bot("--index-dir", str(built), "ask", "--topk", "2", QUESTION)
    assert typo.returncode == 2 and "Traceback" not in typo.stderr
    assert typo.stderr.strip().endswith("(did you mean --top-k?)"), typo.stderr
    late = qa_bot("ask", "--index-dir", str(built), QUESTION)
    assert late.returncode == 2 and "--index-dir goes before the command" in late.stderr


def test_corrupt_index_is_named_and_nothing_is_lost(built, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(built, copy)
    gen = (copy / "CURRENT").read_text().strip()
    chunks = segment_file(copy, gen, "chunks.jsonl")
    chunks.write_text(chunks.read_text()[:100])
    proc = qa_bot("--index-dir", str(copy), "ask", QUESTION)
    assert_one_line_error(proc, 1, "chunks.jsonl", "index --full")
    proc = qa_bot("--index-dir", str(copy), "index", "--full", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["chunks_embedded"] == 0
    assert "Kim Song" in qa_bot("--index-dir", str(copy), "ask", QUESTION).stdout


def test_chat_keeps_context_until_reset_and_leaves_on_eof(built):
    script = "\n".join([
        QUESTION,
        "",
        "/reset",
        "/weather tomorrow",
        "/help",
        "Which banks did the U.S. sanctions target?",
        "/quit",
        "never asked",
    ]) + "\n"
    proc = qa_bot("--index-dir", str(built), "chat", "--top-k", "1", stdin=script)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "(conversation forgotten)" in out
    # piped, it prompts for nothing: the output is the answers alone
    assert not any(line.startswith("? ") for line in out.splitlines()), out
    # a mistyped command is refused in one line, never answered as a question
    refused = "qa-bot: unknown command '/weather'"
    assert out.count(refused) == 1 and "/weather" not in out.split(refused)[1]
    assert out.count("/reset forgets the conversation") == 2  # the greeting and /help
    assert "Kim Song" in out and "Sberbank" in out and "never asked" not in out


# ---- scripted conversations and bad input -----------------------------------------------

def qa_bot_bytes(*args: str | bytes, stdin: bytes, index: Path):
    return subprocess.run(
        [sys.executable, "-m", "qa_bot", "--index-dir", str(index), *args], input=stdin,
        capture_output=True, cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("cli-seed") / "index"
    proc = qa_bot("--index-dir", str(index), "index", "--json")
    assert proc.returncode == 0, proc.stderr
    return index


def assert_verbatim(answer: dict) -> None:
    for c in answer["citations"]:
        text = (REPO / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"]:c["end"]] == c["quote"]


def test_chat_json_scripts_follow_ups_reset_and_survives_bad_bytes(seed_index):
    script = b"\n".join([
        QUESTION.encode(),
        b"What did he blame them for?",
        b"/reset",
        b"caf\xe9 \xff?",  # Latin-1, not UTF-8
        b"",
        b"What did he blame them for?",
        b"/help",
        b"/stats now",
        b"/quit",
        b"never asked",
    ]) + b"\n"
    proc = qa_bot_bytes("chat", "--json", stdin=script, index=seed_index)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout.decode("utf-8")
    lines = [json.loads(line) for line in out.splitlines()]  # JSON only: no greeting, no prompt
    assert len(lines) == 7
    first, follow, reset, error, again, help_, unknown = lines
    assert "/reset" in help_["help"] and set(help_) == {"help"}
    assert unknown == {"error": "unknown command '/stats': ask a question, or use /reset, "
                                "/help or /quit", "line": 8}
    assert first["question"] == QUESTION and follow["question"] == "What did he blame them for?"
    assert reset == {"reset": True}
    assert error["line"] == 4 and "UTF-8" in error["error"] and set(error) == {"error", "line"}
    assert again["question"] == "What did he blame them for?"
    for a in (first, follow, again):
        assert_verbatim(a)
        assert all(isinstance(c["cited"], bool) for c in a["citations"])
        assert all(c["cited"] is False for c in a["citations"]) or a["answered"]


def test_ask_json_gives_a_bad_line_an_error_object_and_goes_on(seed_index):
    proc = qa_bot_bytes("ask", "--json", stdin=QUESTION.encode() + b"\n\xc3\x28 broken\n"
                        b"Which banks were sanctioned?\n", index=seed_index)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    first, error, last = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert first["question"] == QUESTION and last["question"] == "Which banks were sanctioned?"
    assert error == {"error": "not valid UTF-8 (byte 0xc3 at 0)", "line": 2}


def test_a_question_argument_that_is_not_utf8_is_one_line(seed_index):
    proc = qa_bot_bytes("ask", b"caf\xe9?", stdin=b"", index=seed_index)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "qa-bot: error: the question is not valid UTF-8"


def test_piped_text_answer_has_no_escape_codes_and_verbose_adds_more_passages(seed_index):
    plain = qa_bot("--index-dir", str(seed_index), "ask", QUESTION)
    verbose = qa_bot("--index-dir", str(seed_index), "ask", "-v", QUESTION)
    assert plain.returncode == 0 and verbose.returncode == 0, plain.stderr + verbose.stderr
    assert "\x1b" not in plain.stdout and "\x1b" not in verbose.stdout
    assert "More passages:" not in plain.stdout and "More passages:" in verbose.stdout
    assert verbose.stdout.startswith(plain.stdout.rstrip("\n"))
    top_k = qa_bot("--index-dir", str(seed_index), "ask", "--top-k", "3", QUESTION)
    assert top_k.returncode == 0 and "More passages:" in top_k.stdout  # --top-k shows them


def test_a_question_read_with_a_mended_slip_says_how_it_was_read(seed_index):
    """A typing slip is mended from the corpus's words, and the answer opens by saying how
    the question was read; a question only tidied (capitals, no mark) gets no such line."""
    slipped = qa_bot("--index-dir", str(seed_index), "ask", QUESTION.replace("ambassador",
                                                                              "ambasador"))
    plain = qa_bot("--index-dir", str(seed_index), "ask", QUESTION.upper().rstrip("?"))
    assert slipped.returncode == 0 and plain.returncode == 0, slipped.stderr + plain.stderr
    first, blank, *rest = slipped.stdout.splitlines()
    assert first == f"(Read as “{QUESTION}”)" and blank == "" and "Kim Song" in " ".join(rest)
    assert not plain.stdout.startswith("(Read as") and "Kim Song" in plain.stdout


# ---- the terminal layout (render.to_text) -----------------------------------------------

def _answer(answered: bool = True):
    from qa_bot.answer import NOT_ANSWERED, Answer, Citation

    kim = ("At an emergency U.N. session, North Korea’s ambassador, Kim Song, blamed the U.S. "
           "and its allies for their “hegemonic policy”.")
    speech = "\"With these sanctions, we target Putin’s regime,” Borrell said."
    title = "North Korea Claims the U.S. is the Root Cause of Ukraine Invasion"
    at = 1122 + kim.index("Kim Song")
    cites = [
        Citation(1, "nk", title, "seeds/a.txt", "NORTH KOREA BLAMES", 3, kim, 1122,
                 1122 + len(kim), kim, 0.9, cited=answered,
                 highlight=(at, at + len("Kim Song")) if answered else None),
        Citation(2, "nk", title, "seeds/a.txt", "", 2, speech, 663, 663 + len(speech), speech,
                 0.5),
    ]
    if not answered:
        return Answer("q", False, NOT_ANSWERED, cites, 0.1)
    return Answer("q", True, f"{kim} [1]", cites, 0.9)


def test_text_layout_answer_once_bold_phrase_cited_source_only():
    from qa_bot.render import to_text

    answer = _answer()
    plain = to_text(answer)
    assert "\x1b" not in plain and plain.count("Kim Song") == 1  # not repeated as a quote
    assert plain.split("\n\n")[1] == (
        "Sources:\n[1] North Korea Claims the U.S. is the Root Cause of Ukraine Invasion\n"
        "    NORTH KOREA BLAMES, paragraph 3\n    seeds/a.txt, characters 1122-1248\n")
    assert "[2]" not in plain and "Borrell" not in plain
    bold = to_text(answer, bold=True)
    assert "\x1b[1mKim Song\x1b[22m" in bold and bold.count("\x1b[1m") == 1
    assert bold.replace("\x1b[1m", "").replace("\x1b[22m", "") == plain
    verbose = to_text(answer, verbose=True)
    more = verbose.split("More passages:\n")[1]
    assert more.startswith("[2] North Korea Claims")
    assert '    "With these sanctions, we target Putin’s regime,” Borrell said.\n' in more
    assert "Sources:" not in verbose.split("More passages:")[1]


def test_text_bold_phrase_wrapped_across_lines_stays_closed_per_line():
    from qa_bot.render import to_text

    answer = _answer()
    c = answer.citations[0]
    wide = replace(c, highlight=(c.start, c.end))  # the whole quote
    answer = replace(answer, citations=[wide, answer.citations[1]])
    out = to_text(answer, width=40, bold=True)
    body = out.split("\n\n")[0].splitlines()
    assert len(body) >= 3
    assert all(line.count("\x1b[1m") == line.count("\x1b[22m") == 1 for line in body)


def test_text_decline_names_nearest_articles_never_as_sources():
    from qa_bot.render import to_text

    out = to_text(_answer(answered=False))
    assert out == ("The indexed documents do not answer this question.\n\nNearest articles:\n"
                   "- North Korea Claims the U.S. is the Root Cause of Ukraine Invasion "
                   "(seeds/a.txt)\n")
    verbose = to_text(_answer(answered=False), verbose=True)
    assert "Sources" not in verbose and "More passages:\n[1] North Korea" in verbose
    assert "“At an emergency" in verbose  # quoted once, in “ ”
    assert "“\"With" not in verbose and "““" not in verbose  # no doubled quote marks
