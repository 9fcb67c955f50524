"""Segments: a sync writes one new immutable segment and marks the rows of changed and
removed documents deleted; an index of many segments answers as one built at once (same
hits, same scores, same answers); BM25 statistics combine over segments; an index of the
older format is refused with the fix. Real model, real files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import HARBOUR, RAIL, SEED, make_config
from qa_bot.errors import IndexIncompatibleError
from qa_bot.index import merge
from qa_bot.index.layout import FORMAT_VERSION
from qa_bot.index.verify import verify
from qa_bot.index.lexical import LexicalIndex, Postings, terms
from quality_corpus import ARTICLES

VALVE = "Recall of heating systems widens"
QUESTIONS = ["Who won the Springfield mayoral election?", "ZX4471Q",
             "What award did Lindqvist receive at the festival?",
             "Why did shipping through the harbour rise?", "When did the train drivers strike?",
             "Who is North Korea's ambassador to the United Nations?"]


def manifest(index: Path) -> dict:
    return json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json")
                      .read_text())


def segment_files(index: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every segment file: (inode, mtime, bytes)."""
    return {p.relative_to(index).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns,
                                              p.read_bytes())
            for p in (index / "segments").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def indexes(embedder, tmp_path_factory) -> tuple:
    """(engine over an index grown by 12 syncs, engine over the same corpus built at once)."""
    from qa_bot.engine import Engine

    base = tmp_path_factory.mktemp("segments")
    corpus = base / "c"
    corpus.mkdir()
    grown = Engine(make_config(base, ["c"]), embedder_factory=lambda: embedder)
    with pytest.MonkeyPatch.context() as mp:  # no merges: every sync's segment stays
        mp.setattr(merge, "MERGE_AT", 1000)
        mp.setattr(merge, "EXPUNGE", 1.0)
        grow(grown, corpus)
    whole_base = base / "whole"
    whole_base.mkdir()
    whole = Engine(make_config(whole_base, [corpus]), embedder_factory=lambda: embedder)
    whole.sync(full=True, progress=False)
    return grown, whole


def grow(grown, corpus: Path) -> None:
    """12 syncs: 16 articles two at a time, then the seed and two more, an update and a
    removal, another update."""
    names = list(ARTICLES)
    for i in range(0, len(names), 2):  # 8 syncs of two articles each
        for n in names[i:i + 2]:
            (corpus / n).write_text(ARTICLES[n])
        grown.sync(progress=False)
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "harbour.txt").write_text(HARBOUR)
    grown.sync(progress=False)
    (corpus / "rail.txt").write_text(RAIL)
    grown.sync(progress=False)
    (corpus / "harbour.txt").write_text(HARBOUR + "\nA second crane is due in the autumn.\n")
    (corpus / "music.txt").unlink()
    grown.sync(progress=False)  # an update and a removal: rows marked deleted
    (corpus / "flood.txt").write_text(ARTICLES["flood.txt"] + "\nThe river fell on Tuesday.\n")
    grown.sync(progress=False)


def test_a_grown_index_has_many_segments_and_deletion_marks(indexes):
    grown, whole = indexes
    m = manifest(grown.cfg.index_dir)
    assert len(m["segments"]) >= 8
    assert any(s["deleted"] for s in m["segments"])  # harbour's and music's old rows
    assert len(manifest(whole.cfg.index_dir)["segments"]) == 1
    gen = grown.generation()
    assert len(gen.chunks) == len(whole.generation().chunks) == m["chunks"]
    assert sorted(c.text for c in gen.chunks) == sorted(c.text for c in whole.generation().chunks)


@pytest.mark.parametrize("question", QUESTIONS)
def test_many_segments_answer_as_one(indexes, question):
    grown, whole = indexes
    key = lambda eng, h: (eng.generation().chunks[h.row].doc_id,  # noqa: E731
                          eng.generation().chunks[h.row].ordinal)
    vec = grown.encode([question])[0]
    _, g_hits = grown.retrieve(question, 20, vec)
    _, w_hits = whole.retrieve(question, 20, vec)
    assert [key(grown, h) for h in g_hits] == [key(whole, h) for h in w_hits]
    for g, w in zip(g_hits, w_hits):  # equal but for float32 rounding (matrix shapes)
        assert g.lexical == pytest.approx(w.lexical, rel=1e-6, abs=1e-6)
        assert g.dense == pytest.approx(w.dense, abs=1e-5)
        assert g.score == pytest.approx(w.score, abs=1e-5)
    a, b = grown.ask(question), whole.ask(question)
    assert a.answer == b.answer and a.answered == b.answered
    assert [(c.doc_id, c.start, c.end, c.quote) for c in a.citations] == \
        [(c.doc_id, c.start, c.end, c.quote) for c in b.citations]


def test_sentence_vectors_of_many_rows_are_those_of_each_row(indexes):
    grown, _ = indexes
    gen = grown.generation()
    rows = [int(r) for r in gen.live_rows()][::-3]  # every segment, out of order
    assert len({gen.locate(r)[0] for r in rows}) > 3
    vectors, counts = gen.sentence_vectors_of(rows)
    each = []  # read straight from each segment's stored arrays, row by row
    for r in rows:
        i, local = gen.locate(r)
        seg = gen.segments[i]
        off = seg.sentence_offsets
        each.append(np.asarray(seg.sentences[int(off[local]):int(off[local + 1])]))
    assert counts.tolist() == [len(gen.chunks[r].sentences) for r in rows]
    assert counts.tolist() == [len(v) for v in each]
    assert np.array_equal(vectors, np.concatenate(each))


def test_bm25_over_segments_scores_as_bm25s_over_the_live_rows():
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN

    from qa_bot.index.lexical import STOPWORDS

    assert STOPWORDS == frozenset(STOPWORDS_EN)  # the same words as bm25s removes

    texts = [t for t in ARTICLES.values()] + [HARBOUR, RAIL]
    parts = [Postings.build(texts[i:i + 3]) for i in range(0, len(texts), 3)]
    live = [np.ones(len(p.lengths), dtype=bool) for p in parts]
    live[0][1] = live[2][0] = live[2][2] = False  # deleted rows
    lex = LexicalIndex(parts, live)
    kept = [t for t, alive in zip(texts, np.concatenate(live)) if alive]
    ref = bm25s.BM25(k1=LexicalIndex.K1, b=LexicalIndex.B)
    ref.index([terms(t) or ["\u2205"] for t in kept], show_progress=False)
    for query in ["mayor election Springfield", "harbour crane harbour", "award festival",
                  "nothing matches zzzq"]:
        got = lex.scores(query)[np.concatenate(live)]
        q = [t for t in terms(query) if t in ref.vocab_dict]
        want = ref.get_scores(q) if q else np.zeros(len(kept))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert not lex.scores(query)[~np.concatenate(live)].any()  # deleted: never scored
    df = sum("mayor" in terms(t) for t in kept)  # the deleted wire copy not counted
    np.testing.assert_allclose(lex.idf(["mayor", "zzzq"]),
                               [np.log1p((len(kept) - df + 0.5) / (df + 0.5)),
                                np.log1p((len(kept) + 0.5) / 0.5)], rtol=1e-6)


def test_a_sync_writes_one_new_segment_and_never_rewrites_one(tmp_path, make_engine):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for n in ("mayor.txt", "valve.txt", "flood.txt"):
        (corpus / n).write_text(ARTICLES[n])
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    index = tmp_path / "index"
    before = segment_files(index)
    old = manifest(index)
    valve = next(m for m in engine.generation().documents.values()
                 if m["path"].endswith("valve.txt"))
    (corpus / "valve.txt").write_text(ARTICLES["valve.txt"] + "\nThe valve was recalled.\n")
    report = engine.sync(progress=False)
    assert report.updated and report.chunks_embedded >= 1
    after = segment_files(index)
    assert all(after[f] == before[f] for f in before)  # the same inode, time and bytes
    new = manifest(index)
    added = {s["name"] for s in new["segments"]} - {s["name"] for s in old["segments"]}
    assert len(added) == 1 and len(new["segments"]) == 2
    assert new["segments"][0]["deleted"] == [[valve["row"], valve["row"] + valve["chunks"]]]
    assert len(new["segments"][0]["deleted_docs"]) == 1  # its entry goes with its rows
    assert "recalled" in engine.ask("What happened to the valve?").answer

    # nothing changed: nothing written at all
    report = engine.sync(progress=False)
    assert not report.changed and segment_files(index) == after
    # every document removed from one segment: that segment leaves the generation
    for n in ("mayor.txt", "flood.txt"):
        (corpus / n).unlink()
    engine.sync(progress=False)
    assert [s["name"] for s in manifest(index)["segments"]] == list(added)


def test_an_index_of_the_older_format_is_refused_with_the_fix(tmp_path, make_engine):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HARBOUR)
    engine = make_engine(make_config(tmp_path, ["c"]))
    name = engine.sync(progress=False).generation
    path = tmp_path / "index" / name / "manifest.json"
    m = json.loads(path.read_text())
    m.pop("manifest_crc32")
    path.write_text(json.dumps(dict(m, format=2)))  # as a qa-bot before doc tables wrote it
    with pytest.raises(IndexIncompatibleError) as info:
        make_engine(engine.cfg).ask("Why did shipping rise?")
    assert "\n" not in str(info.value) and str(info.value).endswith(
        f"index format 2, this qa-bot reads {FORMAT_VERSION}; run `qa-bot index --full`")
    report = make_engine(engine.cfg).sync(full=True, progress=False)
    assert report.chunks_embedded == 0 and report.generation != name
    assert "fifth" in make_engine(engine.cfg).ask("How much did shipping rise?").answer


def harbour_then_rail(tmp_path: Path, make_engine):
    """An engine over c/ with harbour.txt indexed, and rail.txt written since."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HARBOUR)
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    (corpus / "rail.txt").write_text(RAIL)
    return engine


def test_a_killed_builds_segment_is_removed_by_the_next_build(tmp_path, make_engine):
    import subprocess
    import sys

    engine = harbour_then_rail(tmp_path, make_engine)
    proc = subprocess.run([sys.executable, "-m", "qa_bot", "--index-dir", str(tmp_path / "index"),
                           "index", str(tmp_path / "c")], capture_output=True, text=True,
                          env=dict(os.environ, QA_BOT_CRASH_AT="segment-written"))
    assert proc.returncode == -9, proc.stderr
    index = tmp_path / "index"
    assert len(list((index / "segments").iterdir())) == 2  # written, never named
    engine.sync(progress=False)
    names = {s["name"] for s in manifest(index)["segments"]}
    assert {p.name for p in (index / "segments").iterdir()} == names and len(names) == 2
    assert {c.title for c in make_engine(engine.cfg).generation().chunks} == \
        {"Harbour Trade Rises", "Rail Strike Ends"}


def test_merge_makes_one_segment_and_answers_stay(indexes, tmp_path, make_engine):
    grown, whole = indexes
    shutil.copytree(grown.cfg.index_dir, tmp_path / "index")
    engine = make_engine(make_config(tmp_path, [grown.cfg.corpus_paths[0]]))
    before = len(manifest(tmp_path / "index")["segments"])
    report = engine.sync(merge=True, progress=False)
    assert not report.changed and report.chunks_embedded == 0 and report.merged == before
    (segment,) = manifest(tmp_path / "index")["segments"]
    assert segment["deleted"] == []
    assert verify(tmp_path / "index") == []
    for question in QUESTIONS:
        a, b = engine.ask(question), whole.ask(question)
        assert a.answer == b.answer
        assert [(c.doc_id, c.quote) for c in a.citations] == \
            [(c.doc_id, c.quote) for c in b.citations]
    assert engine.sync(merge=True, progress=False).merged == 0  # one segment: done


def test_the_tiered_policy_merges_a_full_tier(tmp_path, make_engine):
    corpus = tmp_path / "c"
    corpus.mkdir()
    engine = make_engine(make_config(tmp_path, ["c"]))
    merged = []
    for name in list(ARTICLES)[:12]:  # one small segment a sync
        (corpus / name).write_text(ARTICLES[name])
        merged.append(engine.sync(progress=False).merged)
    assert merged == [0] * 9 + [10, 0, 0]  # the 10th segment of tier 0 merged the tier
    segments = manifest(tmp_path / "index")["segments"]
    assert len(segments) == 3 and segments[0]["rows"] >= 10
    assert engine.ask("ZX4471Q").citations[0].title == VALVE
    # a segment mostly deleted is rewritten with its tier (now the tier of its live rows)
    for name in list(ARTICLES)[:10]:
        if name != "valve.txt":
            (corpus / name).unlink()
    report = engine.sync(progress=False)
    assert report.merged == 3 and len(manifest(tmp_path / "index")["segments"]) == 1
    assert verify(tmp_path / "index") == []
    assert engine.ask("ZX4471Q").citations[0].title == VALVE


def test_a_merge_killed_at_any_point_leaves_a_whole_index(tmp_path, make_engine):
    import subprocess
    import sys

    corpus = tmp_path / "c"
    corpus.mkdir()
    engine = make_engine(make_config(tmp_path, ["c"]))
    for name in ("mayor.txt", "valve.txt", "flood.txt"):
        (corpus / name).write_text(ARTICLES[name])
        engine.sync(progress=False)
    command = [sys.executable, "-m", "qa_bot", "--index-dir", str(tmp_path / "index"),
               "index", "--merge", str(corpus)]
    for point in ("chunks-written", "segment-written", "before-current"):
        proc = subprocess.run(command, capture_output=True, text=True,
                              env=dict(os.environ, QA_BOT_CRASH_AT=point))
        assert proc.returncode == -9, proc.stderr
        fresh = make_engine(engine.cfg)
        assert len(fresh.generation().manifest["segments"]) == 3  # the one before
        assert fresh.ask("ZX4471Q").citations[0].title == VALVE
    proc = subprocess.run(command, capture_output=True, text=True)
    assert proc.returncode == 0 and "3 segments merged" in proc.stdout, proc.stderr
    index = tmp_path / "index"
    names = {s["name"] for s in manifest(index)["segments"]}
    assert len(names) == 1 and verify(index) == []
    assert not [p for p in index.rglob("*") if ".tmp" in p.name]


def test_a_file_unchanged_since_it_was_read_is_not_read_again(tmp_path, make_engine):
    """Size and modification time as recorded, and the file had not changed for 2 s when
    it was read: unchanged without reading it (how a sync of 10,000 files stays fast).
    Any write that moves the time or the size is seen."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    harbour = corpus / "harbour.txt"
    harbour.write_text(HARBOUR)
    old = harbour.stat().st_mtime_ns - 10_000_000_000
    os.utime(harbour, ns=(old, old))
    engine = make_engine(make_config(tmp_path, ["c"]))
    engine.sync(progress=False)
    same_size = HARBOUR.replace("fifth", "sixth")
    harbour.write_text(same_size)
    os.utime(harbour, ns=(old, old))  # the time put back by hand: taken as unchanged
    report = engine.sync(progress=False)
    assert not report.changed and report.unchanged == 1
    harbour.write_text(same_size)  # a real write moves the time
    report = engine.sync(progress=False)
    assert len(report.updated) == 1
    assert "sixth" in engine.ask("How much did shipping rise?").answer


def test_a_large_segment_is_checked_by_size_at_load_and_whole_by_verify_and_merge(
        tmp_path, make_engine, monkeypatch):
    """Above LOAD_CRC_MAX bytes a segment's checksums are not read at every start (a
    merged segment of a big index is gigabytes): damage that keeps the size is then found
    by `--verify` and by a merge, which refuses to copy it; the live index stays."""
    from qa_bot.errors import IndexCorruptError
    from qa_bot.index import generation

    engine = harbour_then_rail(tmp_path, make_engine)
    live = engine.sync(progress=False).generation
    index = tmp_path / "index"
    damaged = index / "segments" / manifest(index)["segments"][0]["name"] / "vectors.npy"
    data = bytearray(damaged.read_bytes())
    data[-3] ^= 0x01  # one float of the last vector: the size kept, no parser notices
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(generation, "LOAD_CRC_MAX", 0)
    assert make_engine(engine.cfg).ask("Why did shipping through the harbour rise?").citations
    assert any(str(damaged) in p for p in verify(index))
    with pytest.raises(IndexCorruptError, match=r"vectors\.npy: damaged"):
        make_engine(engine.cfg).sync(merge=True, progress=False)
    assert manifest(index)["generation"] == live
    monkeypatch.setattr(generation, "LOAD_CRC_MAX", 256 << 20)  # small: checked whole
    with pytest.raises(IndexCorruptError, match=r"vectors\.npy: damaged"):
        make_engine(engine.cfg).ask("Why did shipping rise?")


def test_newer_file_stats_stay_in_the_manifest_until_a_merge_folds_them(tmp_path, make_engine):
    """A file touched without a change is read once (its hash is the same): its new stats
    go into the manifest, so the next sync does not read it again, and a merge folds them
    into the document's entry in the merged segment."""
    engine = harbour_then_rail(tmp_path, make_engine)
    index = tmp_path / "index"
    harbour = tmp_path / "c" / "harbour.txt"
    (doc_id,) = [d for d, m in engine.generation().documents.items()
                 if m["path"] == str(harbour)]
    touched = harbour.stat().st_mtime_ns - 60_000_000_000  # a minute earlier, same bytes
    os.utime(harbour, ns=(touched, touched))
    report = engine.sync(progress=False)  # rail.txt is new: a generation is written
    assert [Path(a).name for a in report.added] == ["rail.txt"] and report.unchanged == 1
    assert manifest(index)["stats"][doc_id][1] == touched
    assert engine.generation().documents.files[doc_id][1] == touched
    assert engine.generation().documents[doc_id]["mtime_ns"] == touched
    engine.sync(progress=False, merge=True)
    assert manifest(index)["stats"] == {} and len(manifest(index)["segments"]) == 1
    assert engine.generation().documents[doc_id]["mtime_ns"] == touched
