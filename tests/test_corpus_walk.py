"""The corpus walk reads regular files only, never more than max_file_mb of one, does not
follow symlinks out of the corpus unless asked, and passes over the index directory (issue
12). Real files, FIFOs, sockets and devices; `qa-bot index` as a subprocess where a hang
is the failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.config import load_config
from qa_bot.documents import discover, read_bytes
from qa_bot.errors import ConfigError, DocumentError

from conftest import HARBOUR, REPO, make_config

SECRET = """private

Board Minutes

The board agreed in secret to sell the northern warehouse to a rival firm.
"""


def qa_bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_bot", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,  # a hang fails the test
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def names(paths) -> list[str]:
    return [Path(p).name for p in paths]


@pytest.fixture
def hostile(tmp_path) -> Path:
    """c/: one good article, a FIFO and a socket named like articles, a link to /dev/zero,
    a link out of the corpus to a private file, and a link that stays inside."""
    c = tmp_path / "c"
    (c / "sub").mkdir(parents=True)
    (c / "harbour.txt").write_text(HARBOUR)
    os.mkfifo(c / "a.txt")
    (c / "z.txt").symlink_to("/dev/zero")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "minutes.txt").write_text(SECRET)
    (c / "passwd.txt").symlink_to(tmp_path / "private" / "minutes.txt")
    (c / "sub" / "again.txt").symlink_to(c / "harbour.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(c / "s.md"))
    sock.close()
    return tmp_path


def test_only_regular_files_inside_the_corpus_are_taken(hostile):
    found = discover([hostile / "c"])
    assert names(found.paths) == ["harbour.txt", "again.txt"]
    why = "\n".join(found.skipped)
    assert len(found.skipped) == 4
    assert "a.txt: not a regular file (a FIFO)" in why
    assert "s.md: not a regular file (a socket)" in why
    assert "z.txt: symbolic link out of the corpus paths (to /dev/zero)" in why
    assert "passwd.txt: symbolic link out of the corpus paths" in why
    assert "follow_symlinks = true" in why

    followed = discover([hostile / "c"], follow_symlinks=True)
    assert names(followed.paths) == ["harbour.txt", "passwd.txt", "again.txt"]
    assert any("z.txt: not a regular file (a device)" in s for s in followed.skipped)


def test_a_fifo_or_a_link_to_dev_zero_never_hangs_index(hostile):
    c = hostile / "c"
    for extra in (["--dry-run"], []):
        proc = qa_bot("--index-dir", str(hostile / "index"), "index", "--json", str(c), *extra,
                      cwd=hostile)
        assert proc.returncode == 0, proc.stderr
        assert '"added": ["c/harbour.txt", "c/sub/again.txt"]' in proc.stdout
        warned = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
        assert len(warned) == 4 and "Traceback" not in proc.stderr
    proc = qa_bot("--index-dir", str(hostile / "index"), "ask", "--json", "What did the board "
                  "agree in secret?", cwd=hostile)
    assert proc.returncode == 0 and "northern warehouse" not in proc.stdout


def test_follow_symlinks_is_a_checked_config_key(tmp_path):
    cfg = tmp_path / "qa.toml"
    cfg.write_text('[corpus]\nfollow_symlinks = "yes"\n')
    with pytest.raises(ConfigError, match=r"qa\.toml: \[corpus\] follow_symlinks: expected "
                                          r"true or false"):
        load_config(cfg)
    assert load_config(REPO / "config.toml").corpus.follow_symlinks is False
    assert "follow_symlinks = false" in (REPO / "config.toml").read_text()


def test_follow_symlinks_true_indexes_a_link_out_of_the_corpus(hostile, make_engine):
    os.unlink(hostile / "c" / "a.txt")
    os.unlink(hostile / "c" / "s.md")
    engine = make_engine(make_config(hostile, ["c"], corpus={"follow_symlinks": True}))
    report = engine.sync(progress=False)
    assert sorted(names(report.added)) == ["again.txt", "harbour.txt", "passwd.txt"]
    assert any("z.txt" in s and "a device" in s for s in report.skipped)


def test_no_file_is_read_past_max_file_mb(tmp_path):
    proc_file = Path("/proc/self/maps")  # a regular file whose size says 0
    if not proc_file.is_file() or os.stat(proc_file).st_size != 0:
        pytest.skip("no /proc here")
    with pytest.raises(DocumentError, match=r"over the 0\.001 MB limit \(\[corpus\] max_file_mb\)"):
        read_bytes(proc_file, 1000)
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    with pytest.raises(DocumentError, match=r"big\.txt: 0\.005 MB is over the 0\.001 MB limit"):
        read_bytes(big, 1000)
    assert len(read_bytes(big, 5000)) == 5000
    os.mkfifo(tmp_path / "f.txt")
    with pytest.raises(DocumentError, match="not a regular file"):
        read_bytes(tmp_path / "f.txt", 1000)  # returns at once: never waits for a writer


def test_an_index_inside_the_corpus_is_not_indexed(tmp_path, make_engine):
    c = tmp_path / "c"
    c.mkdir()
    (c / "harbour.txt").write_text(HARBOUR)
    cfg = make_config(tmp_path, ["c"], index={"dir": str(c / "index")})
    engine = make_engine(cfg)
    engine.sync(progress=False)
    assert list((c / "index" / "texts").glob("*.txt"))  # its texts are there to be found
    again = engine.sync(progress=False)
    assert (again.added, again.removed, again.unchanged) == ([], [], 1)
    assert [d["title"] for d in engine.documents()] == ["Harbour Trade Rises"]


def test_a_root_given_with_dot_dot_sees_its_removed_files(tmp_path, make_engine):
    """The walk normalizes paths; so does the plan's check of which indexed documents lie
    under the roots, or a file removed under `x/../c` would stay indexed."""
    from conftest import RAIL

    (tmp_path / "x").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "harbour.txt").write_text(HARBOUR)
    (tmp_path / "c" / "rail.txt").write_text(RAIL)
    engine = make_engine(make_config(tmp_path, [tmp_path / "x" / ".." / "c"]))
    assert len(engine.sync(progress=False).added) == 2
    (tmp_path / "c" / "rail.txt").unlink()
    report = engine.sync(progress=False)
    assert len(report.removed) == 1 and "rail.txt" in report.removed[0]
    assert len(engine.generation().documents) == 1
