"""A trustworthy index (issue 12): a build writes only into a folder that is empty or ours
and removes only what it made; CURRENT is a pointer, so losing it loses nothing; operator
mistakes are one line. Real files, the real model, real FAISS, real subprocesses."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.errors import IndexCorruptError, IndexDirError, IndexWriteError
from qa_bot.index import CURRENT, MARKER, IndexStore
from qa_bot.index.layout import FORMAT_VERSION

from conftest import HARBOUR, RAIL, REPO, SEED, make_config, segment_file

FERRY = """transport

Ferry Service Resumes

The island ferry sailed again on Tuesday after its engine was repaired in dry dock.
"""


def qa_bot(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_bot", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def one_line_error(proc: subprocess.CompletedProcess, code: int) -> str:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa-bot: error: "), proc.stderr
    return lines[0]


def warnings(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path below root with its bytes (None for folders)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def titles(engine) -> set[str]:
    return {d["title"] for d in engine.documents()}


# ---- 1. own only what we made --------------------------------------------------------

def test_a_foreign_folder_is_refused_and_nothing_in_it_is_touched(tmp_path):
    u = tmp_path / "u"
    (u / "texts").mkdir(parents=True)
    (u / "draft.tmp").write_text("x\n")
    (u / "texts" / "notes.txt").write_text("y\n")
    before = tree(u)
    line = one_line_error(qa_bot("--index-dir", str(u), "index", "seeds"), 2)
    assert str(u) in line and "empty or new directory" in line and MARKER in line
    line = one_line_error(qa_bot("--index-dir", str(u), "index", "--dry-run", "seeds"), 2)
    assert str(u) in line
    assert tree(u) == before  # not even a lock file


def test_a_new_empty_or_readme_only_folder_becomes_a_marked_index(tmp_path, make_engine):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "harbour.txt").write_text(HARBOUR)
    index = tmp_path / "index"
    index.mkdir()
    (index / "README.md").write_text("# my notes about this folder\n")
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    assert (index / MARKER).read_text().startswith(f"qa-bot index format {FORMAT_VERSION}\n")
    assert (index / "README.md").read_text() == "# my notes about this folder\n"
    assert titles(engine) == {"Harbour Trade Rises"}


def test_user_files_in_a_marked_index_survive_syncs_and_only_our_names_go(tmp_path,
                                                                          make_engine):
    c = tmp_path / "c"
    c.mkdir()
    (c / "harbour.txt").write_text(HARBOUR)
    (c / "rail.txt").write_text(RAIL)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    index = tmp_path / "index"
    rail_hash = engine.generation().documents[next(
        d for d, m in engine.generation().documents.items() if m["title"] == "Rail Strike Ends"
    )]["hash"]
    assert IndexStore(index).text_path(rail_hash).is_file()

    stray = {"draft.tmp": "x", "texts/notes.txt": "y", "texts/.half.tmp": "z",
             "gen-000009.tmp-77/keep.txt": "w", "gen-000042/notes.md": "mine",
             "texts/" + "a" * 64 + ".txt.bak": "v"}
    for rel, text in stray.items():
        (index / rel).parent.mkdir(parents=True, exist_ok=True)
        (index / rel).write_text(text)

    (c / "rail.txt").unlink()  # generation 2 (its own number is past gen-000042)
    engine.sync(progress=False)
    (c / "ferry.txt").write_text(FERRY)
    engine.sync(progress=False)  # a third: the first is pruned, with rail's text
    engine.sync(full=True, progress=False)
    assert titles(engine) == {"Harbour Trade Rises", "Ferry Service Resumes"}
    for rel, text in stray.items():
        assert (index / rel).read_text() == text, rel
    assert not IndexStore(index).text_path(rail_hash).exists()  # ours, by exact name
    gens = sorted(p.name for p in index.glob("gen-??????"))
    assert gens == ["gen-000042", "gen-000044", "gen-000045"]  # the user's, and 2 kept


def test_an_index_built_before_the_marker_is_adopted(tmp_path, make_engine):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "harbour.txt").write_text(HARBOUR)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    (tmp_path / "index" / MARKER).unlink()  # as an earlier qa-bot left it
    (tmp_path / "c" / "rail.txt").write_text(RAIL)
    report = engine.sync(progress=False)
    assert [Path(a).name for a in report.added] == ["rail.txt"]
    assert (tmp_path / "index" / MARKER).is_file()


# ---- 2. CURRENT is a pointer, not the index ---------------------------------------------

@pytest.fixture
def two_corpora(tmp_path) -> Path:
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    (tmp_path / "A" / "harbour.txt").write_text(HARBOUR)
    (tmp_path / "B" / "rail.txt").write_text(RAIL)
    return tmp_path


def test_a_lost_current_loses_no_generation(two_corpora):
    t = two_corpora
    idx = str(t / "index")
    assert qa_bot("--index-dir", idx, "index", "A", cwd=t).returncode == 0
    assert qa_bot("--index-dir", idx, "index", "B", cwd=t).returncode == 0
    gens = sorted(p.name for p in (t / "index").glob("gen-*"))
    assert gens == ["gen-000001", "gen-000002"]
    (t / "index" / CURRENT).unlink()

    proc = qa_bot("--index-dir", idx, "index", "A", "--json", cwd=t)
    assert proc.returncode == 0, proc.stderr
    (warning,) = warnings(proc)
    assert "CURRENT: missing" in warning and "gen-000002" in warning
    report = json.loads(proc.stdout)
    assert (report["unchanged"], report["removed"], report["generation"]) == \
        (2, [], "gen-000002")
    assert sorted(p.name for p in (t / "index").glob("gen-*")) == gens
    assert (t / "index" / CURRENT).read_text().strip() == "gen-000002"  # repaired

    (t / "index" / CURRENT).unlink()
    (t / "A" / "harbour.txt").write_text(HARBOUR + "\nA new crane arrives in May.\n")
    proc = qa_bot("--index-dir", idx, "index", "A", "--json", cwd=t)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["updated"] == ["A/harbour.txt"]
    docs = qa_bot("--index-dir", idx, "docs", cwd=t)
    assert "Rail Strike Ends" in docs.stdout and "Harbour Trade Rises" in docs.stdout


def test_readers_fall_back_to_the_newest_complete_generation(two_corpora, make_engine):
    t = two_corpora
    engine = make_engine(make_config(t, ["A", "B"]))
    engine.sync([t / "A"], progress=False)
    engine.sync([t / "B"], progress=False)  # gen-000002: both documents
    index = t / "index"
    (index / CURRENT).write_bytes(b"\xff\xfe\x00\x1b[2J garbage")

    proc = qa_bot("--index-dir", str(index), "ask", "--json", "Why did the train drivers "
                  "strike?")
    assert proc.returncode == 0, proc.stderr
    (warning,) = warnings(proc)
    assert "gen-000002" in warning and "\x1b" not in warning and "\x00" not in warning
    assert json.loads(proc.stdout)["citations"][0]["title"] == "Rail Strike Ends"

    # the newest generation is damaged (a truncated vector file): the one before serves
    vectors = segment_file(index, "gen-000002", "vectors.npy")  # its own, newest segment
    vectors.write_bytes(vectors.read_bytes()[:-10])
    (index / CURRENT).unlink()
    fresh = make_engine(engine.cfg)
    assert fresh.generation().name == "gen-000001"
    assert titles(fresh) == {"Harbour Trade Rises"}


def test_a_damaged_file_is_named_by_its_size_and_full_repairs(two_corpora, make_engine):
    t = two_corpora
    engine = make_engine(make_config(t, ["A"]))
    name = engine.sync(progress=False).generation
    vectors = segment_file(t / "index", name, "vectors.npy")
    vectors.write_bytes(vectors.read_bytes()[:-10])
    with pytest.raises(IndexCorruptError, match=r"vectors\.npy: \d+ bytes where the "
                                                r"manifest records \d+.*index --full"):
        make_engine(engine.cfg).ask("harbour")

    # every generation broken and CURRENT garbage: one line saying --full, and --full works
    (t / "index" / CURRENT).write_text("\x00\x00\x00")
    for cmd in (["docs"], ["ask", "Why did shipping rise?"]):
        line = one_line_error(qa_bot("--index-dir", str(t / "index"), *cmd), 1)
        assert "no complete generation" in line and "index --full" in line
    proc = qa_bot("--index-dir", str(t / "index"), "index", "--full", str(t / "A"))
    assert proc.returncode == 0, proc.stderr
    assert titles(make_engine(engine.cfg)) == {"Harbour Trade Rises"}


def test_the_repair_the_errors_name_keeps_every_folder(two_corpora):
    """The audit's case as an operator meets it: documents indexed from two folders, the
    index damaged, and the fix the error names, `index --full`, run with one folder: the
    plan and the rebuild keep both, and a folder with nothing to index is one line."""
    t = two_corpora
    idx = str(t / "index")
    for folder in ("A", "B"):
        assert qa_bot("--index-dir", idx, "index", folder, cwd=t).returncode == 0
    segment_file(t / "index", IndexStore(t / "index").current_name(),
                 "chunks.jsonl").write_text("garbage")
    assert "index --full" in one_line_error(qa_bot("--index-dir", idx, "docs", cwd=t), 1)
    kept = ["added: A/harbour.txt", "added: B/rail.txt"]
    proc = qa_bot("--index-dir", idx, "index", "--full", "--dry-run", "A", cwd=t)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == kept + [
        "2 added, 0 updated, 0 removed, 0 unchanged; 0 chunks would be embedded"]
    proc = qa_bot("--index-dir", idx, "index", "--full", "A", cwd=t)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[:-1] == kept and proc.stdout.splitlines()[-1].startswith(
        "2 added, 0 updated, 0 removed, 0 unchanged; 0 chunks were embedded; generation ")
    assert qa_bot("--index-dir", idx, "docs", cwd=t).stdout.strip().endswith("2 documents")
    (t / "C").mkdir()
    assert one_line_error(qa_bot("--index-dir", idx, "index", "C", cwd=t), 2) == (
        "qa-bot: error: no documents found in C (.txt, .md, .html and .pdf files are read)")


def test_a_full_rebuild_of_a_damaged_document_list_says_what_it_cannot_keep(
        two_corpora, make_engine, capsys):
    """What the index held is read as far as damage allows: a damaged live manifest gives
    way to the newest intact one, damaged document ids are passed over; one warning each,
    and the corpus paths are always read."""
    t = two_corpora
    engine = make_engine(make_config(t, ["A"]))
    engine.sync(progress=False)
    name = engine.sync([t / "B"], progress=False).generation
    ids = segment_file(t / "index", name, "documents.ids.json")  # B's segment
    manifest = t / "index" / name / "manifest.json"
    good = manifest.read_bytes()
    manifest.write_bytes(good.replace(b'"chunks": ', b'"chunks": 1', 1))
    capsys.readouterr()
    report = make_engine(engine.cfg).sync(full=True, dry_run=True, progress=False)
    assert [Path(a).name for a in report.added] == ["harbour.txt"]
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {manifest}: cannot be read; only the documents of gen-000001 and the "
        f"corpus paths are read again"]
    manifest.write_bytes(good)
    ids.write_text(ids.read_text().replace("rail", "tail"))
    report = make_engine(engine.cfg).sync(full=True, progress=False)
    assert [Path(a).name for a in report.added] == ["harbour.txt"]
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"warning: {ids}: damaged") and line.endswith(
        "of the documents it lists, only those under the corpus paths are read again")
    assert titles(make_engine(engine.cfg)) == {"Harbour Trade Rises"}


def test_bytes_overwritten_in_place_are_caught_by_the_checksum(two_corpora, make_engine):
    """The issue's cases: 64 random bytes in the vector file gave a wrong answer at
    confidence 1.0 and a sync that reported all unchanged; a chunk's `start` moved by 2
    gave an empty quote. Same sizes both: the CRC-32 in the manifest names the file."""
    t = two_corpora
    engine = make_engine(make_config(t, ["A"]))
    name = engine.sync(progress=False).generation
    gen = segment_file(t / "index", name, "")  # the generation's one segment
    pristine = {f: (gen / f).read_bytes() for f in ("vectors.npy", "chunks.jsonl")}

    vectors = bytearray(pristine["vectors.npy"])
    vectors[-200:-136] = os.urandom(64)
    (gen / "vectors.npy").write_bytes(bytes(vectors))
    with pytest.raises(IndexCorruptError, match=r"vectors\.npy: damaged.*index --full"):
        make_engine(engine.cfg).ask("Why did shipping rise?")
    with pytest.raises(IndexCorruptError, match=r"vectors\.npy: damaged"):
        make_engine(engine.cfg).sync(progress=False)  # never carried forward
    (gen / "vectors.npy").write_bytes(pristine["vectors.npy"])

    row = json.loads(pristine["chunks.jsonl"].splitlines()[0])
    moved = pristine["chunks.jsonl"].replace(f'"start": {row["start"]},'.encode(),
                                             f'"start": {row["start"] + 2},'.encode(), 1)
    assert moved != pristine["chunks.jsonl"] and len(moved) == len(pristine["chunks.jsonl"])
    (gen / "chunks.jsonl").write_bytes(moved)
    proc = qa_bot("--index-dir", str(t / "index"), "ask", "Why did shipping rise?")
    line = one_line_error(proc, 1)
    assert "chunks.jsonl: damaged" in line and "index --full" in line
    assert make_engine(engine.cfg).sync(full=True, progress=False).chunks_embedded == 0
    answer = make_engine(engine.cfg).ask("Why did shipping rise?")
    assert answer.citations[0].quote and "harbour" in answer.citations[0].quote


def test_a_manifest_changed_into_other_valid_json_is_caught_by_its_own_checksum(
        two_corpora, make_engine):
    """A bit flip that leaves the manifest valid JSON (a count, a deleted row): the
    manifest's CRC-32 of itself names it; never served, repaired by --full."""
    t = two_corpora
    engine = make_engine(make_config(t, ["A"]))
    name = engine.sync(progress=False).generation
    manifest = t / "index" / name / "manifest.json"
    pristine = manifest.read_bytes()
    changed = pristine.replace(b'"deleted": []', b'"deleted": [[0, 1]]', 1)
    assert changed != pristine
    manifest.write_bytes(changed)
    json.loads(manifest.read_bytes())  # still a manifest, as far as JSON goes
    with pytest.raises(IndexCorruptError, match=r"manifest\.json: damaged.*index --full"):
        make_engine(engine.cfg).ask("Why did shipping rise?")
    proc = qa_bot("--index-dir", str(t / "index"), "index", "--verify", cwd=t)
    assert proc.returncode == 1 and str(manifest) in proc.stderr, proc.stderr
    make_engine(engine.cfg).sync(full=True, progress=False)
    assert titles(make_engine(engine.cfg)) == {"Harbour Trade Rises"}


def test_verify_checks_stored_texts_against_the_chunks(tmp_path, make_engine):
    """An HTML page's stored text is not the page (no hash to compare): every chunk must
    still be found at its offsets in it; --full writes a changed text again."""
    from qa_bot.index.verify import verify
    from test_lifecycle import HTML

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "bridge.html").write_text(HTML)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    assert verify(engine.cfg.index_dir) == []
    (meta,) = engine.generation().documents.values()
    text = IndexStore(tmp_path / "index").text_path(meta["hash"])
    original = text.read_text()
    text.write_text(original.replace("two million", "ten million"))
    (problem,) = verify(engine.cfg.index_dir)
    assert problem.startswith(f"{text}: chunk ") and "bridge.html" in problem
    assert "index --full" in problem
    engine.sync(full=True, progress=False)
    assert text.read_text() == original and verify(engine.cfg.index_dir) == []


def test_index_verify_names_every_problem_and_full_repairs_them(two_corpora, make_engine):
    """`qa-bot index --verify` as an operator runs it: a summary line and exit 0 on a whole
    index; on a damaged one every problem on its own `qa-bot: error:` line naming the file,
    exit 1, nothing touched; `index --full` repairs every kind it names."""
    t = two_corpora
    engine = make_engine(make_config(t, ["A", "B"]))
    engine.sync(progress=False)
    index = t / "index"
    verify = ("--index-dir", str(index), "index", "--verify")
    proc = qa_bot(*verify, cwd=t)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    (summary,) = proc.stdout.splitlines()
    assert summary.startswith("index verified: generation gen-000001, ") \
        and "2 documents" in summary and "chunks checked" in summary
    assert json.loads(qa_bot(*verify, "--json", cwd=t).stdout)["documents"] == 2

    # one fault of each kind verify knows, all at once
    store = IndexStore(index)
    gen = segment_file(index, store.current_name(), "")  # its one segment
    rail = next(m for m in engine.generation().documents.values() if m["title"] == "Rail "
                "Strike Ends")
    text = store.text_path(rail["hash"])
    vectors = bytearray((gen / "vectors.npy").read_bytes())
    vectors[-200:-136] = os.urandom(64)  # same size: only the CRC-32 sees it
    (gen / "vectors.npy").write_bytes(bytes(vectors))
    text.write_text(text.read_text().replace("nine-day", "ten-day"))
    (index / "cache.sqlite").write_bytes(b"not a database" * 100)
    (index / CURRENT).write_text("gen-999999\n")
    before = tree(index)
    proc = qa_bot(*verify, cwd=t)
    assert proc.returncode == 1 and proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert all(line.startswith("qa-bot: error: ") for line in lines), proc.stderr
    for needle in (f"{index / CURRENT}: names gen-999999", f"{gen / 'vectors.npy'}: damaged",
                   f"{index / 'cache.sqlite'}: damaged embedding cache"):
        assert sum(needle in line for line in lines) == 1, (needle, lines)
    assert tree(index) == before  # verify reads only
    proc = qa_bot(*verify, "--json", cwd=t)
    assert proc.returncode == 1 and not json.loads(proc.stdout)["verified"]

    one_line_error(qa_bot(*verify, "--full", cwd=t), 2)
    proc = qa_bot("--index-dir", str(index), "index", "--full", "A", "B", cwd=t)
    assert proc.returncode == 0, proc.stderr
    proc = qa_bot(*verify, cwd=t)
    assert proc.returncode == 0, proc.stderr
    assert text.read_text() == RAIL
    answer = json.loads(qa_bot("--index-dir", str(index), "ask", "--json", "Why did the "
                               "train drivers strike?", cwd=t).stdout)
    top = answer["citations"][0]
    assert (t / top["source"]).read_text()[top["start"]:top["end"]] == top["quote"]


def test_index_verify_finds_a_damaged_stored_text_and_a_moved_chunk(two_corpora,
                                                                    make_engine):
    t = two_corpora
    engine = make_engine(make_config(t, ["A"]))
    engine.sync(progress=False)
    index = t / "index"
    (meta,) = engine.generation().documents.values()
    text = IndexStore(index).text_path(meta["hash"])
    text.write_text(text.read_text().replace("a fifth", "a third"))
    proc = qa_bot("--index-dir", str(index), "index", "--verify", cwd=t)
    assert proc.returncode == 1, proc.stderr
    source = t / "A" / "harbour.txt"
    assert proc.stderr.splitlines() == [
        f"qa-bot: error: {text}: not the text of {source} (its hash differs); run "
        f"`qa-bot index --full`",
        f"qa-bot: error: {text}: chunk 0 of {source} is not at its offsets in this text; run "
        f"`qa-bot index --full`"]
    assert qa_bot("--index-dir", str(index), "index", "--full", "A", cwd=t).returncode == 0
    assert qa_bot("--index-dir", str(index), "index", "--verify", cwd=t).returncode == 0
    assert text.read_text() == HARBOUR


def test_a_damaged_marker_is_named_and_written_again(two_corpora, make_engine):
    t = two_corpora
    make_engine(make_config(t, ["A"])).sync(progress=False)
    marker = t / "index" / MARKER
    whole = marker.read_bytes()
    marker.write_bytes(whole[:10])
    proc = qa_bot("--index-dir", str(t / "index"), "index", "--verify", cwd=t)
    assert proc.stderr.splitlines() == [f"qa-bot: error: {marker}: damaged (it lists the "
                                        f"generations builds made here); run `qa-bot index`"]
    assert qa_bot("--index-dir", str(t / "index"), "index", "A", cwd=t).returncode == 0
    assert marker.read_bytes() == whole


def test_index_verify_without_an_index_is_one_line(tmp_path):
    line = one_line_error(qa_bot("--index-dir", str(tmp_path / "none"), "index", "--verify"),
                          1)
    assert "no index yet" in line and not (tmp_path / "none").exists()


# ---- 4. operator mistakes are one line --------------------------------------------------

def test_an_unusable_index_directory_is_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    for cmd in (["index", "seeds"], ["docs"], ["ask", "Who is Kim Song?"]):
        line = one_line_error(qa_bot("--index-dir", str(afile), *cmd), 2)
        assert str(afile) in line and "not a directory" in line
    assert afile.read_text() == "not a folder\n"
    line = one_line_error(qa_bot("--index-dir", "/", "index", "seeds"), 2)
    assert "qa-bot: error: /:" in line and "file system root" in line
    line = one_line_error(qa_bot("--index-dir", str(afile / "sub"), "index", "seeds"), 1)
    assert str(afile / "sub") in line


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody may write: a read-only tmpfs when root (who ignores modes)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        yield ro
        ro.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)],
                      capture_output=True).returncode != 0:
        pytest.skip("root, and no read-only mount possible here")
    try:
        yield ro
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def test_a_read_only_index_directory_is_one_line(read_only_dir):
    for index in (read_only_dir, read_only_dir / "index"):
        line = one_line_error(qa_bot("--index-dir", str(index), "index", "seeds"), 1)
        assert str(index) in line and "cannot write" in line


def test_non_finite_numbers_in_the_config_are_refused(tmp_path):
    for section, key, value in (("corpus", "max_file_mb", "inf"),
                                ("corpus", "max_file_mb", "nan"),
                                ("retrieval", "dense_weight", "-inf")):
        cfg = tmp_path / "bad.toml"
        cfg.write_text(f"[{section}]\n{key} = {value}\n")
        line = one_line_error(qa_bot("--config", str(cfg), "docs"), 2)
        assert "bad.toml" in line and f"[{section}] {key}" in line and "finite" in line


def test_stored_copies_keep_the_permission_bits_of_their_source(tmp_path, make_engine):
    c = tmp_path / "c"
    c.mkdir()
    secret = c / "secret.txt"
    secret.write_text(HARBOUR)
    secret.chmod(0o600)
    shared = c / "shared.txt"
    shared.write_text(RAIL)
    shared.chmod(0o644)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    store = IndexStore(tmp_path / "index")
    mode = {Path(m["path"]).name: stat.S_IMODE(store.text_path(m["hash"]).stat().st_mode)
            for m in engine.generation().documents.values()}
    assert mode == {"secret.txt": 0o600, "shared.txt": 0o644}


ESC_ARTICLE = """transport

Lighthouse \x1b]0;owned\x07Keeper \x1b[31mRetires\x1b[0m

The lighthouse keeper retired on Monday after forty years of \x1b[2Jservice on the rock.
"""


def test_escape_sequences_in_text_and_file_names_never_reach_the_terminal(tmp_path):
    """A document whose title, text and file name hold terminal escape sequences: the text
    output of index, docs and ask drops the control characters; JSON keeps them."""
    (tmp_path / "c").mkdir()
    name = "light\x1b[8mhouse.txt"
    (tmp_path / "c" / name).write_text(ESC_ARTICLE)
    idx = ("--index-dir", str(tmp_path / "index"))
    question = "When did the lighthouse keeper retire?"
    outputs = {"index": qa_bot(*idx, "index", "c", cwd=tmp_path),
               "docs": qa_bot(*idx, "docs", cwd=tmp_path),
               "ask": qa_bot(*idx, "ask", "-v", question, cwd=tmp_path),
               "missing": qa_bot(*idx, "index", "c/\x1b[2Jgone.txt", cwd=tmp_path)}
    for what, proc in list(outputs.items())[:3]:
        assert proc.returncode == 0, (what, proc.stderr)
        for stream in (proc.stdout, proc.stderr):
            assert not any(ch in stream for ch in "\x1b\x07\x9b"), (what, stream)
    assert "c/light[8mhouse.txt" in outputs["index"].stdout
    assert "Lighthouse ]0;ownedKeeper [31mRetires[0m" in outputs["docs"].stdout
    assert "c/light[8mhouse.txt" in outputs["ask"].stdout
    line = one_line_error(outputs["missing"], 2)  # an error naming a file: cleaned too
    assert "c/[2Jgone.txt" in line and "\x1b" not in line

    (doc,) = json.loads(qa_bot(*idx, "docs", "--json", cwd=tmp_path).stdout)
    assert doc["title"] == "Lighthouse \x1b]0;owned\x07Keeper \x1b[31mRetires\x1b[0m"
    assert doc["source"] == f"c/{name}"
    answer = json.loads(qa_bot(*idx, "ask", "--json", question, cwd=tmp_path).stdout)
    top = answer["citations"][0]
    assert top["source"] == f"c/{name}" and "\x1b" in top["title"]
    assert ESC_ARTICLE[top["start"]:top["end"]] == top["quote"]


def test_bold_ranges_stay_on_their_characters_when_controls_are_dropped():
    from qa_bot.render import _fill

    text = "ab\x1b[31mcd ef"
    out = _fill(text, 80, [(7, 9)], "", "<", ">")  # "cd" in the original
    assert out == "ab[31m<cd> ef"


def test_an_index_of_a_0600_source_is_readable_by_its_owner_only(tmp_path, make_engine):
    """Generations and segments hold document text (the manifest's titles, a segment's
    chunks.jsonl, BM25 vocabulary): with any source others may not read, their folders are
    0700 and their files 0600, from the start; a public corpus keeps the usual modes; a
    source made private later tightens the index too."""
    c = tmp_path / "c"
    c.mkdir()
    (c / "rail.txt").write_text(RAIL)
    (c / "rail.txt").chmod(0o644)
    engine = make_engine(make_config(tmp_path, ["c"]))
    index = tmp_path / "index"
    first = index / engine.sync(progress=False).generation
    assert stat.S_IMODE(first.stat().st_mode) & 0o005 == 0o005  # public: left as it was
    chunks = segment_file(index, first.name, "chunks.jsonl")
    assert stat.S_IMODE(chunks.stat().st_mode) & 0o004
    assert stat.S_IMODE(chunks.parent.stat().st_mode) & 0o005 == 0o005

    secret = c / "secret.txt"
    secret.write_text(HARBOUR)
    secret.chmod(0o600)
    engine.sync(progress=False)

    def others_can_read() -> list[str]:
        return [p.relative_to(index).as_posix() for p in index.rglob("*")
                if (p.parts[len(index.parts)].startswith("gen-")
                    or p.parent.name.startswith("seg-") or p.name.startswith("seg-"))
                and stat.S_IMODE(p.stat().st_mode) & 0o077]

    assert others_can_read() == []  # the new generation and the one kept for rollback
    secret_text = IndexStore(index).text_path(
        next(m["hash"] for m in engine.generation().documents.values()
             if m["title"] == "Harbour Trade Rises"))
    assert stat.S_IMODE(secret_text.stat().st_mode) == 0o600

    # a public source made private without a change of content: nothing to write, but
    # the generations holding its text are closed as well
    (secret).unlink()
    engine.sync(progress=False)
    gens = sorted(index.glob("gen-*")) + sorted(index.glob("segments/seg-*"))
    for g in gens:
        g.chmod(0o755)
        for f in g.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
    (c / "rail.txt").chmod(0o640)
    report = engine.sync(progress=False)
    assert not report.changed and others_can_read() == []
    answer = make_engine(engine.cfg).ask("Why did the train drivers strike?")
    assert answer.citations[0].title == "Rail Strike Ends"


def test_the_seed_index_folder_of_a_fresh_clone_is_accepted(tmp_path):
    """embeddings/ ships holding only its README: `make ask` must build there."""
    index = tmp_path / "embeddings"
    index.mkdir()
    (index / "README.md").write_bytes((REPO / "embeddings" / "README.md").read_bytes())
    proc = qa_bot("--index-dir", str(index), "ask", "Who is North Korea's ambassador to the "
                  "United Nations?")
    assert proc.returncode == 0, proc.stderr
    assert SEED.name in proc.stdout and (index / MARKER).is_file()


def test_store_errors_name_the_directory(tmp_path):
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(IndexDirError, match="not a directory"):
        IndexStore(afile).check_owner()
    with pytest.raises(IndexWriteError, match=str(afile / "sub")):
        with IndexStore(afile / "sub").lock():
            pass


def test_a_header_read_hit_by_cpythons_ast_race_is_read_again(tmp_path, monkeypatch):
    """np.load parses .npy headers with ast.literal_eval, which CPython 3.11 can fail with a
    SystemError when another thread builds an AST at the same time (seen once as a sound
    segment called corrupt while two engines read): the header is read again, and only a
    failure that persists reaches the caller."""
    import numpy as np

    from qa_bot.index import files

    np.save(tmp_path / "a.npy", np.arange(3))
    real, calls = np.load, []

    def racing(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=51, after=159)")
        return real(*args, **kwargs)

    monkeypatch.setattr(files.np, "load", racing)
    assert files.open_array(tmp_path / "a.npy").tolist() == [0, 1, 2] and len(calls) == 2

    def always(*args, **kwargs):
        raise SystemError("AST constructor recursion depth mismatch")

    monkeypatch.setattr(files.np, "load", always)
    with pytest.raises(SystemError):
        files.open_array(tmp_path / "a.npy")
