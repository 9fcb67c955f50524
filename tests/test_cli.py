"""The `qa-bot` command as a user runs it: real subprocesses, exit codes, exact streams."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SEED

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
    assert docs.stdout.strip().endswith("1 documents")


def test_user_errors_are_one_line_and_non_zero(built, tmp_path):
    assert_one_line_error(qa_bot("--index-dir", str(built), "ask", "   "), 2, "empty question")
    assert_one_line_error(qa_bot("--index-dir", str(built), "ask"), 2, "no question given")
    assert_one_line_error(qa_bot("--index-dir", str(built), "index", str(tmp_path / "nope")),
                          2, "nope", "no such file")
    bad = tmp_path / "bad.toml"
    bad.write_text("[retrieval]\ntop_k = -1\n")
    assert_one_line_error(qa_bot("--config", str(bad), "docs"), 2, "bad.toml", "top_k")
    assert_one_line_error(qa_bot("docs", env={"QA_BOT_CONFIG": str(tmp_path / "none.toml")}),
                          2, "none.toml", "not found")
    assert_one_line_error(qa_bot("--index-dir", str(tmp_path / "empty"), "docs"),
                          1, "no index yet")


def test_corrupt_index_is_named_and_nothing_is_lost(built, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(built, copy)
    gen = (copy / "CURRENT").read_text().strip()
    chunks = copy / gen / "chunks.jsonl"
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
        "Which banks did the U.S. sanctions target?",
        "/quit",
        "never asked",
    ]) + "\n"
    proc = qa_bot("--index-dir", str(built), "chat", "--top-k", "1", stdin=script)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("? ") >= 4 and "(conversation forgotten)" in out
    assert "Kim Song" in out and "Sberbank" in out and "never asked" not in out
