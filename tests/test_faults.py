"""Fault injection (issue 12): every file of an index truncated, deleted, overwritten with
garbage of the same size, or with 16 bytes changed in the middle (bit rot), in turn. Each case must end in a correct answer or in one
QaBotError line naming the damage (never a wrong answer, never another exception); a plain
sync must not carry damage forward; `sync(full=True)` (`qa-bot index --full`) must restore
an index that loads, answers correctly and holds correct stored texts."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from qa_bot.errors import QaBotError
from qa_bot.index.verify import verify
from qa_bot.index import IndexStore

from conftest import HARBOUR, RAIL, make_config, segment_file

QUESTION = "Why did shipping through the harbour rise?"

SEGMENT_FILES = ["chunks.jsonl", "chunks.offsets.npy", "chunks.document.npy", "vectors.npy",
                 "sentences.npy", "sentences.offsets.npy", "bm25.terms.txt",
                 "bm25.terms.offsets.npy", "bm25.indptr.npy", "bm25.rows.npy", "bm25.tf.npy",
                 "bm25.lengths.npy", "documents.jsonl", "documents.offsets.npy",
                 "documents.ids.json", "documents.stat.npy"]
# the live generation's manifest, and each file of the segment holding the harbour article
TARGETS = ["CURRENT", "QA_BOT_INDEX", "cache.sqlite", "texts/harbour", "live/manifest.json"] \
    + [f"segment/{f}" for f in SEGMENT_FILES]
FAULTS = ["truncated", "deleted", "garbage", "bitrot"]


@pytest.fixture(scope="module")
def template(tmp_path_factory, embedder) -> Path:
    """c/ (harbour.txt, rail.txt) and index/ with two generations, the live one holding
    both documents."""
    from qa_bot.engine import Engine

    base = tmp_path_factory.mktemp("faults")
    (base / "c").mkdir()
    (base / "c" / "harbour.txt").write_text(HARBOUR)
    engine = Engine(make_config(base, ["c"]), embedder_factory=lambda: embedder)
    engine.sync(progress=False)
    (base / "c" / "rail.txt").write_text(RAIL)
    engine.sync(progress=False)
    index = base / "index"
    folder = segment_file(index, IndexStore(index).current_name(), "x").parent
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted(SEGMENT_FILES), \
        "a segment file that the fault cases do not damage"
    return base


def inject(path: Path, fault: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if fault == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif fault == "deleted":
        path.unlink()
    elif fault == "garbage":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(len(data))))
    else:  # bitrot: 16 bytes in the middle changed, the size kept (parsers may not notice)
        at = len(data) // 2
        noise = bytes(b ^ (1 + rng.randrange(255)) for b in data[at:at + 16])
        path.write_bytes(data[:at] + noise + data[at + 16:])


def check_answer_or_one_line(engine, source: Path) -> str | None:
    """None for a correct answer (the harbour article, its quote verbatim at its offsets
    in the source), the message of a one-line QaBotError; anything else fails the test."""
    try:
        answer = engine.ask(QUESTION)
    except QaBotError as exc:
        assert "\n" not in str(exc) and str(exc), repr(exc)
        return str(exc)
    top = answer.citations[0]
    assert top.title == "Harbour Trade Rises", answer
    assert top.quote and source.read_text(encoding="utf-8")[top.start:top.end] == top.quote
    return None


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("target", TARGETS)
def test_damage_is_answered_right_or_named_and_full_repairs(template, tmp_path, make_engine,
                                                            target, fault):
    shutil.copytree(template / "index", tmp_path / "index",
                    ignore=shutil.ignore_patterns("model"))  # the ONNX export: shared
    (tmp_path / "index" / "model").symlink_to(template / "index" / "model")
    cfg = make_config(tmp_path, [template / "c"])
    source = template / "c" / "harbour.txt"
    store = IndexStore(tmp_path / "index")
    live = store.current_name()
    gen = store.load_generation(live, *_model())
    harbour_hash = next(d["hash"] for d in gen.documents.values()
                        if d["title"] == "Harbour Trade Rises")
    path = {"live": store.root / live, "texts": store.text_path(harbour_hash).parent,
            "segment": segment_file(store.root, live, "", which=0)}
    head, _, rest = target.partition("/")
    victim = (store.text_path(harbour_hash) if target == "texts/harbour"
              else path[head] / rest if head in path else store.root / target)
    inject(victim, fault, random.Random(f"{target} {fault}"))

    problems = verify(cfg.index_dir)  # `index --verify`: names the damage, touches nothing
    assert all("\n" not in p and "run `qa-bot index" in p for p in problems), problems
    if target not in ("QA_BOT_INDEX", "cache.sqlite"):
        assert any(str(victim) in p for p in problems), problems

    error = check_answer_or_one_line(make_engine(cfg), source)
    if head in ("live", "segment"):  # the live generation is damaged: named, never used
        assert error and str(victim) in error and "index --full" in error, error
        with pytest.raises(QaBotError, match=r"index --full"):
            make_engine(cfg).sync(progress=False)  # nor carried forward by a sync
    else:
        assert error is None
        make_engine(cfg).sync(progress=False)
        assert check_answer_or_one_line(make_engine(cfg), source) is None

    report = make_engine(cfg).sync(full=True, progress=False)
    assert sorted(Path(a).name for a in report.added) == ["harbour.txt", "rail.txt"]
    engine = make_engine(cfg)
    assert check_answer_or_one_line(engine, source) is None
    for meta in engine.generation().documents.values():
        assert store.document_text(meta["hash"]) == Path(meta["path"]).read_text()
    assert verify(cfg.index_dir) == []


def _model() -> tuple[str, int]:
    from qa_bot.embedder import MODEL_DIM, MODEL_NAME

    return MODEL_NAME, MODEL_DIM


def test_every_file_of_a_generation_is_covered(template):
    """The lists above are every file a generation and a segment hold (a new file joins
    the suite)."""
    store = IndexStore(template / "index")
    live = store.root / store.current_name()
    assert [p.name for p in live.iterdir()] == ["manifest.json"]
    for which in (0, -1):
        segment = segment_file(store.root, live.name, "", which)
        assert sorted(p.name for p in segment.iterdir()) == sorted(SEGMENT_FILES)
    assert os.path.isdir(template / "index" / "model")


@pytest.mark.parametrize("fault", FAULTS)
def test_a_damaged_onnx_export_is_never_used_and_a_sync_writes_it_again(template, tmp_path,
                                                                       make_engine, capsys,
                                                                       fault):
    from qa_bot.index.onnx_export import index_export, temp_name

    shutil.copytree(template / "index", tmp_path / "index")
    cfg = make_config(tmp_path, [template / "c"])
    export = index_export(tmp_path / "index")
    assert export is not None and export.parent == tmp_path / "index" / "model"
    intact = export.read_bytes()
    inject(export, fault, random.Random(fault))
    temp_name(export).write_bytes(b"half an export a killed build left")
    (export.parent / ".mine.tmp-1").write_text("a user's file")  # not a name we made
    capsys.readouterr()
    assert index_export(tmp_path / "index") is None  # sentence-transformers serves instead
    assert ("damaged ONNX export" in capsys.readouterr().err) is (fault != "deleted")
    assert any(str(export) in p and "ONNX" in p for p in verify(cfg.index_dir))
    report = make_engine(cfg).sync(progress=False)  # a plain sync repairs it
    assert report.unchanged == 2 and not report.changed
    assert index_export(tmp_path / "index") == export and export.read_bytes() == intact
    assert not temp_name(export).exists()
    assert (export.parent / ".mine.tmp-1").read_text() == "a user's file"
    assert verify(cfg.index_dir) == []
