"""Sync reports, the embedding cache, generations and refusal of foreign indexes, with the
real model and real FAISS on small corpora."""

import json
import shutil
from pathlib import Path

import pytest

from qa_bot.errors import IndexCorruptError, IndexIncompatibleError, InputError
from qa_bot.index import CURRENT

from conftest import RAIL, SEED, make_config, segment_file

FERRY = """transport

Ferry Resumes

The island ferry sailed again on Tuesday after its engine was repaired in dry dock.
"""
ARTICLE = """economy

Harbour Trade Rises

Shipping through the harbour rose by a fifth in March, the port authority said.

Officials credited the new container crane, which was installed in January.
"""


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def titles(engine) -> set[str]:
    return {meta["title"] for meta in engine.generation().documents.values()}


def test_sync_reports_are_exact_and_only_changes_are_embedded(tmp_path, make_engine):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    harbour = write(corpus / "harbour.txt", ARTICLE)
    engine = make_engine(make_config(tmp_path, ["corpus"]))

    r1 = engine.sync(progress=False)
    assert sorted(Path(a).name for a in r1.added) == sorted([SEED.name, "harbour.txt"])
    assert (r1.updated, r1.removed, r1.unchanged) == ([], [], 0)
    total = len(engine.generation().chunks)
    assert r1.chunks_embedded == total > 2

    r2 = engine.sync(progress=False)
    assert (r2.added, r2.updated, r2.removed, r2.unchanged, r2.chunks_embedded) == \
        ([], [], [], 2, 0)
    assert r2.generation == r1.generation

    harbour_chunks = [c for c in engine.generation().chunks if c.title == "Harbour Trade Rises"]
    write(harbour, ARTICLE + "\nA second crane is due in the autumn, officials added.\n")
    r3 = engine.sync(progress=False)
    assert len(r3.updated) == 1 and r3.updated[0].endswith("harbour.txt")
    assert r3.unchanged == 1
    new_harbour = [c for c in engine.generation().chunks if c.title == "Harbour Trade Rises"]
    changed = {c.text for c in new_harbour} - {c.text for c in harbour_chunks}
    assert r3.chunks_embedded == len(changed) >= 1

    write(corpus / "new.md", "# Rail strike\n\nTrains stopped on Friday.\n")
    harbour.unlink()
    r4 = engine.sync(progress=False)
    assert [Path(a).name for a in r4.added] == ["new.md"]
    assert [Path(a).name for a in r4.removed] == ["harbour.txt"]
    assert r4.unchanged == 1 and r4.chunks_embedded == 1
    titles = {c.title for c in engine.generation().chunks}
    assert "Harbour Trade Rises" not in titles and "Rail strike" in titles

    # a rebuild from scratch embeds nothing: the cache serves every chunk
    r5 = engine.sync(full=True, progress=False)
    assert len(r5.added) == 2 and r5.chunks_embedded == 0


def test_dry_run_touches_nothing(tmp_path, make_engine):
    write(tmp_path / "c" / "a.txt", ARTICLE)
    engine = make_engine(make_config(tmp_path, ["c"]))
    r = engine.sync(dry_run=True, progress=False)
    assert [Path(a).name for a in r.added] == ["a.txt"] and r.chunks_embedded >= 1
    assert not (tmp_path / "index" / CURRENT).exists()
    assert not (tmp_path / "index" / "cache.sqlite").exists()  # read, never created
    assert engine.sync(progress=False).chunks_embedded == r.chunks_embedded


def test_a_dry_run_counts_the_chunks_the_sync_embeds(tmp_path, make_engine):
    """The plan counts what the sync will embed: new documents' chunks, a changed
    document's new chunks only, a text twice once, nothing the cache holds."""
    harbour = write(tmp_path / "c" / "harbour.txt", ARTICLE)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    write(harbour, ARTICLE + "\nA second crane is due in the autumn, officials added.\n")
    news = tmp_path / "news"
    write(news / "rail.txt", RAIL)
    write(news / "rail-again.txt", RAIL)  # the same text: embedded once
    shutil.copy(SEED, news / SEED.name)
    cache = tmp_path / "index" / "cache.sqlite"
    before = cache.read_bytes()
    plan = engine.sync([tmp_path / "c", news], dry_run=True, progress=False)
    assert cache.read_bytes() == before
    assert (len(plan.added), len(plan.updated)) == (3, 1)
    assert plan.chunks_embedded >= 3  # harbour's new chunk, rail's, the seed's
    done = engine.sync([tmp_path / "c", news], progress=False)
    assert done.chunks_embedded == plan.chunks_embedded
    # all in the cache now: a full rebuild embeds nothing, and its plan says so
    assert engine.sync(full=True, dry_run=True, progress=False).chunks_embedded == 0


def test_a_full_rebuild_keeps_documents_indexed_from_other_paths(tmp_path, make_engine):
    """`index --full` (the fix every damage message gives) reads again every document the
    index holds whose file is still there, plus the corpus paths: nothing indexed from
    another folder is lost, and a document whose file is gone is reported removed."""
    write(tmp_path / "c" / "harbour.txt", ARTICLE)
    news = tmp_path / "news"
    write(news / "rail.txt", RAIL)
    ferry = write(news / "ferry.txt", FERRY)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    engine.sync([news], progress=False)
    assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends", "Ferry Resumes"}

    plan = engine.sync(full=True, dry_run=True, progress=False)
    assert sorted(Path(a).name for a in plan.added) == ["ferry.txt", "harbour.txt", "rail.txt"]
    assert plan.removed == [] and plan.chunks_embedded == 0
    ferry.unlink()
    plan = engine.sync(full=True, dry_run=True, progress=False)
    assert [Path(r).name for r in plan.removed] == ["ferry.txt"]
    assert len(plan.added) == 2
    report = engine.sync(full=True, progress=False)
    assert (report.added, report.removed) == (plan.added, plan.removed)
    assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends"}

    # the repair of a damaged index, given only one of the folders: nothing lost either
    name = engine.generation().name
    segment_file(tmp_path / "index", name, "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError):
        make_engine(engine.cfg).ask("harbour")
    report = make_engine(engine.cfg).sync([news], full=True, progress=False)
    assert len(report.added) == 2 and report.removed == []
    assert titles(make_engine(engine.cfg)) == {"Harbour Trade Rises", "Rail Strike Ends"}


def test_a_path_given_again_after_its_file_is_gone_removes_its_documents(tmp_path,
                                                                         make_engine):
    """A file indexed by its path and then deleted is removed by `qa-bot index PATH` (its
    citations could no longer be checked against it), as a deleted folder's files are by
    the folder; a path the index never held is still no such file."""
    write(tmp_path / "c" / "harbour.txt", ARTICLE)
    news = tmp_path / "news"
    rail = write(news / "rail.txt", RAIL)
    write(news / "ferry.txt", FERRY)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    engine.sync([rail], progress=False)
    engine.sync([news / "ferry.txt"], progress=False)
    assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends", "Ferry Resumes"}
    rail.unlink()
    assert engine.sync(progress=False).removed == []  # the corpus paths: other paths stay
    report = engine.sync([rail], progress=False)
    assert [Path(r).name for r in report.removed] == ["rail.txt"] and not report.added
    assert titles(engine) == {"Harbour Trade Rises", "Ferry Resumes"}
    (news / "ferry.txt").unlink()
    news.rmdir()
    report = engine.sync([news], progress=False)  # a deleted folder: what it held goes
    assert [Path(r).name for r in report.removed] == ["ferry.txt"]
    assert titles(engine) == {"Harbour Trade Rises"}
    with pytest.raises(InputError, match="no such file"):
        engine.sync([tmp_path / "never.txt"], progress=False)


def test_bad_files_are_skipped_and_indexed_text_is_never_lost(tmp_path, make_engine):
    c = tmp_path / "c"
    good = write(c / "good.txt", ARTICLE)
    (c / "latin1.txt").write_bytes(b"caf\xe9\n")
    (c / "empty.txt").write_bytes(b"")
    engine = make_engine(make_config(tmp_path, ["c"]))
    r = engine.sync(progress=False)
    assert [Path(a).name for a in r.added] == ["good.txt"]
    assert any("latin1.txt" in s and "UTF-8" in s for s in r.skipped)
    assert any("empty.txt" in s for s in r.skipped)
    good.write_bytes(b"\xff\xfe broken now")
    r2 = engine.sync(progress=False)
    assert r2.removed == [] and r2.unchanged == 1
    assert any(ch.title == "Harbour Trade Rises" for ch in engine.generation().chunks)


def test_no_documents_is_an_input_error(tmp_path, make_engine, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no documents found"):
        make_engine(make_config(tmp_path, ["empty"])).sync(progress=False)

    # with an index: a folder with nothing to index is refused too, nothing written
    harbour = write(tmp_path / "c" / "harbour.txt", ARTICLE)
    engine = make_engine(make_config(tmp_path, ["c"]))
    name = engine.sync(progress=False).generation
    (tmp_path / "empty" / "notes.docx").write_bytes(b"PK")
    for dry_run in (True, False):
        with pytest.raises(InputError) as info:
            engine.sync([tmp_path / "empty"], dry_run=dry_run, progress=False)
        assert str(info.value).startswith(f"no documents found in {tmp_path / 'empty'} (")
    assert engine.generation().name == name
    # a folder without documents beside one with them: one warning naming it
    capsys.readouterr()
    write(tmp_path / "news" / "rail.txt", RAIL)
    report = engine.sync([tmp_path / "empty", tmp_path / "news"], progress=False)
    assert len(report.added) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {tmp_path / 'empty' / 'notes.docx'}: unsupported file type, skipped",
        f"warning: {tmp_path / 'empty'}: no documents found (.txt, .md, .html and .pdf "
        f"files are read)"]
    # a folder emptied of what was indexed from it: a sync, with the warning
    harbour.unlink()
    report = engine.sync(progress=False)
    assert [Path(r).name for r in report.removed] == ["harbour.txt"]
    assert f"warning: {tmp_path / 'c'}: no documents found" in capsys.readouterr().err


def test_the_report_counts_in_words(capsys):
    from qa_bot.cli.index_commands import print_report
    from qa_bot.plan import SyncReport

    print_report(SyncReport(added=["a.txt"], chunks_embedded=1, merged=1), False)
    print_report(SyncReport(unchanged=1, dry_run=True, chunks_embedded=1), False)
    print_report(SyncReport(updated=["a.txt"], chunks_embedded=2, merged=3), False)
    print_report(SyncReport(), False)
    assert capsys.readouterr().out.splitlines() == [
        "added: a.txt",
        "1 added, 0 updated, 0 removed, 0 unchanged; 1 chunk was embedded; 1 segment merged",
        "0 added, 0 updated, 0 removed, 1 unchanged; 1 chunk would be embedded",
        "updated: a.txt",
        "0 added, 1 updated, 0 removed, 0 unchanged; 2 chunks were embedded; "
        "3 segments merged",
        "0 added, 0 updated, 0 removed, 0 unchanged; 0 chunks were embedded"]


def test_foreign_model_and_corrupt_files_are_refused_with_the_fix(tmp_path, make_engine):
    write(tmp_path / "c" / "a.txt", ARTICLE)
    engine = make_engine(make_config(tmp_path, ["c"]))
    gen = engine.sync(progress=False).generation
    manifest_file = tmp_path / "index" / gen / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps(dict(manifest, model="other-model", dim=768)))
    fresh = make_engine(engine.cfg)
    with pytest.raises(IndexIncompatibleError, match="index --full"):
        fresh.ask("harbour")
    with pytest.raises(IndexIncompatibleError):
        fresh.sync(progress=False)
    assert fresh.sync(full=True, progress=False).chunks_embedded == 0
    assert "harbour rose" in fresh.ask("How much did shipping rise?").citations[0].quote

    gen = fresh.generation().name
    segment_file(tmp_path / "index", gen, "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="vectors.npy.*index --full"):
        make_engine(engine.cfg).ask("harbour")
