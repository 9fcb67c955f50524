"""Index lifecycle: formats, crash safety under real SIGKILLs, the build lock, a full disk,
hot reload in a running engine, and --watch."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.errors import IndexCorruptError
from qa_bot.index import IndexStore

from conftest import HARBOUR, RAIL, REPO, make_config

HTML = """<!DOCTYPE html><html><head><title>Bridge Reopens | Riverside Gazette</title></head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<div class="cookie">We use cookies to improve your experience. Accept all cookies.</div>
<article><h1>Bridge Reopens After Repairs</h1>
<p>The old stone bridge over the river reopened to traffic on Monday after eight months of
repairs costing two million pounds, the county council said.</p>
<h2>Traffic</h2>
<p>Engineers replaced the worn arches and widened the footpath, and buses will return to the
route from next week, according to the transport office.</p>
<p>Shops on the high street said trade had fallen by a third while the bridge was closed.</p>
</article>
<footer>Copyright 2024 Riverside Gazette. All rights reserved. Privacy policy.</footer>
</body></html>"""


def qa_bot(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_bot", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, **kw)


def make_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Port Authority Annual Review 2023")
    pdf.set_font("Helvetica", size=11)
    pages = [
        ("OVERVIEW", "The port handled a record 41 million tonnes of cargo in 2023, up from "
                     "36 million tonnes the year before, driven by grain exports."),
        ("FINANCES", "The authority reported an operating surplus of 12 million pounds and "
                     "plans to spend it on dredging the northern channel."),
    ]
    for heading, body in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, f"{heading}\n\n{body}")
    pdf.output(str(path))


def titles(engine) -> set[str]:
    return {d["title"] for d in engine.documents()}


@pytest.fixture(scope="module")
def template(tmp_path_factory, embedder) -> Path:
    """An index dir whose cache already holds HARBOUR and RAIL (so later builds of them need
    no model), and whose live generation holds HARBOUR only."""
    from qa_bot.engine import Engine

    base = tmp_path_factory.mktemp("tpl")
    (base / "c").mkdir()
    (base / "c" / "harbour.txt").write_text(HARBOUR)
    (base / "c" / "rail.txt").write_text(RAIL)
    engine = Engine(make_config(base, ["c"]), embedder_factory=lambda: embedder)
    engine.sync(progress=False)
    (base / "c" / "rail.txt").unlink()
    engine.sync(progress=False)
    return base


@pytest.fixture
def corpus(template, tmp_path) -> Path:
    """A private copy of the template: tmp_path/c (harbour.txt), tmp_path/index."""
    shutil.copytree(template / "c", tmp_path / "c")
    shutil.copytree(template / "index", tmp_path / "index")
    return tmp_path


def test_html_and_pdf_are_cited_against_the_text_kept_with_the_index(tmp_path, make_engine):
    c = tmp_path / "c"
    c.mkdir()
    (c / "bridge.html").write_text(HTML)
    make_pdf(c / "review.pdf")
    (c / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    engine = make_engine(make_config(tmp_path, ["c"]))
    report = engine.sync(progress=False)
    assert sorted(Path(a).name for a in report.added) == ["bridge.html", "review.pdf"]
    assert any("photo.jpg" in s and "unsupported" in s for s in report.skipped)
    gen = engine.generation()
    all_text = " ".join(ch.text for ch in gen.chunks)
    assert "cookies" not in all_text and "Copyright" not in all_text and "Sport" not in all_text
    assert titles(engine) == {"Bridge Reopens After Repairs", "Port Authority Annual Review 2023"}

    a = engine.ask("How much cargo did the port handle in 2023?", top_k=2)
    top = a.citations[0]
    assert "41 million tonnes" in top.quote and top.page == 1 and top.section == "OVERVIEW"
    b = engine.ask("What will the surplus be spent on?", top_k=2)
    assert "dredging" in b.citations[0].quote and b.citations[0].page == 2
    h = engine.ask("When will buses return to the bridge route?", top_k=2)
    assert "buses will return" in h.citations[0].quote and h.citations[0].section == "Traffic"
    store = IndexStore(engine.cfg.index_dir)
    for ans in (a, b, h):
        for cit in ans.citations:
            text = store.document_text(gen.documents[cit.doc_id]["hash"])
            assert text[cit.start:cit.end] == cit.quote


CRASH_POINTS = ["embedded", "chunks-written", "segment-written", "before-rename",
                "before-current", "after-current"]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_build_killed_at_any_point_leaves_a_whole_index(corpus, make_engine, point):
    (corpus / "c" / "rail.txt").write_text(RAIL)
    proc = qa_bot("--index-dir", str(corpus / "index"), "index", str(corpus / "c"),
                  env={"QA_BOT_CRASH_AT": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    engine = make_engine(make_config(corpus, ["c"]))
    expected = {"Harbour Trade Rises", "Rail Strike Ends"} if point == "after-current" \
        else {"Harbour Trade Rises"}
    assert titles(engine) == expected
    assert engine.ask("Why did shipping rise?").citations[0].title == "Harbour Trade Rises"

    report = engine.sync(progress=False)  # the next build finishes the job
    assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends"}
    assert report.chunks_embedded == 0
    index = corpus / "index"
    assert not [p for p in index.iterdir() if ".tmp" in p.name]
    live = (index / "CURRENT").read_text().strip()
    assert all(p.name <= live for p in index.glob("gen-*"))


def test_a_second_build_is_refused_while_one_runs_and_readers_go_on(corpus):
    store = IndexStore(corpus / "index")
    (corpus / "c" / "rail.txt").write_text(RAIL)
    with store.lock():
        proc = qa_bot("--index-dir", str(corpus / "index"), "index", str(corpus / "c"),
                      "--wait", "0.5")
        assert proc.returncode == 1
        assert proc.stderr.strip().endswith("try again when it ends")
        assert "another `qa-bot index` is running" in proc.stderr
        docs = qa_bot("--index-dir", str(corpus / "index"), "docs")
        assert docs.returncode == 0 and "Harbour Trade Rises" in docs.stdout


def test_a_full_disk_keeps_the_previous_index(corpus, make_engine):
    (corpus / "c" / "rail.txt").write_text(RAIL)

    def small_files():  # writes past 2 KB fail with EFBIG, like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    proc = qa_bot("--index-dir", str(corpus / "index"), "index", str(corpus / "c"),
                  preexec_fn=small_files)
    assert proc.returncode == 1, proc.stderr
    assert "previous index is intact" in proc.stderr and "Traceback" not in proc.stderr
    engine = make_engine(make_config(corpus, ["c"]))
    assert titles(engine) == {"Harbour Trade Rises"}
    assert not [p for p in (corpus / "index").iterdir() if ".tmp" in p.name]
    engine.sync(progress=False)
    assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends"}


def test_missing_manifest_or_generation_is_named_and_full_recovers(corpus, make_engine):
    index = corpus / "index"
    live = (index / "CURRENT").read_text().strip()
    (index / live / "manifest.json").unlink()
    cfg = make_config(corpus, ["c"])
    with pytest.raises(IndexCorruptError, match="manifest.json.*index --full"):
        make_engine(cfg).ask("harbour")
    proc = qa_bot("--index-dir", str(index), "ask", "Why did shipping rise?")
    assert proc.returncode == 1 and "manifest.json" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    (index / "CURRENT").write_text("gen-999999\n")  # dangling: the newest whole one serves
    assert make_engine(cfg).generation().name < live
    assert make_engine(cfg).sync(full=True, progress=False).chunks_embedded == 0
    top = make_engine(cfg).ask("Why did shipping rise?").citations[0]
    assert top.title == "Harbour Trade Rises"


def test_a_running_engine_answers_from_a_document_added_meanwhile(corpus, make_engine):
    engine = make_engine(make_config(corpus, ["c"]))
    before = engine.ask("Why did the train drivers strike?")
    assert before.citations[0].title == "Harbour Trade Rises"
    (corpus / "c" / "rail.txt").write_text(RAIL)
    proc = qa_bot("--index-dir", str(corpus / "index"), "index", str(corpus / "c"))
    assert proc.returncode == 0, proc.stderr
    after = engine.ask("Why did the train drivers strike?")
    assert after.citations[0].title == "Rail Strike Ends" and "strike" in after.answer


def test_an_engine_holding_a_pruned_generation_still_reads_it_whole(corpus, make_engine):
    """Builds prune all but `keep_generations` generations, and drop the segments no
    remaining one uses, while a running engine (another bot replica) may still hold one
    of them: it keeps reading that generation's documents and chunks whole, since its
    files were opened when it was loaded, until it switches to the live one."""
    cfg = make_config(corpus, ["c"])
    engine = make_engine(cfg)
    old = engine.generation()
    folders = [s.folder for s in old.segments]
    for text in (HARBOUR + "\nA later paragraph.\n", HARBOUR):
        (corpus / "c" / "harbour.txt").write_text(text)
        make_engine(cfg).sync(progress=False, full=True)
    assert not any(f.exists() for f in folders)  # pruned, and its segments dropped
    titles = {meta["title"] for meta in old.documents.values()}
    assert titles == {"Harbour Trade Rises"}
    (doc,) = old.documents
    assert all(old.chunks[r].doc_id == doc for r in old.rows_of(doc))
    assert engine.generation().name != old.name  # and it switches


@pytest.mark.timeout(300)
def test_watch_resyncs_on_change_until_interrupted(corpus, make_engine):
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_bot", "--index-dir", str(corpus / "index"), "index",
         str(corpus / "c"), "--watch", "--json"],
        cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        # Ctrl-C as in a terminal, even when the suite itself runs in the background
        # (a background job inherits SIGINT ignored, and Python then never raises it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert "unchanged" in proc.stdout.readline()  # the first sync's report
        line = proc.stderr.readline()
        while "watching" not in line:
            line = proc.stderr.readline()
        (corpus / "c" / "rail.txt").write_text(RAIL)
        report = proc.stdout.readline()
        assert '"added": [' in report and "rail.txt" in report
        engine = make_engine(make_config(corpus, ["c"]))
        assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends"}
        # a new folder, then its removal (which folders a watch re-syncs is
        # test_a_watch_resyncs_the_folders_where_files_changed's; here: nothing else lost)
        (corpus / "c" / "wire").mkdir()
        (corpus / "c" / "wire" / "rail-copy.txt").write_text(RAIL.replace("Rail", "Wire"))
        report = json.loads(proc.stdout.readline())
        assert [Path(a).name for a in report["added"]] == ["rail-copy.txt"]
        assert not report["removed"]
        shutil.rmtree(corpus / "c" / "wire")
        report = json.loads(proc.stdout.readline())
        assert len(report["removed"]) == 1 and "rail-copy.txt" in report["removed"][0]
        assert titles(engine) == {"Harbour Trade Rises", "Rail Strike Ends"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stopped watching" in err, err
    assert "KeyboardInterrupt" not in err, err  # no library chatter on Ctrl-C


def test_a_watch_resyncs_the_folders_where_files_changed(tmp_path):
    from qa_bot.watch import changed_roots

    c = tmp_path / "c"
    (c / "a").mkdir(parents=True)
    roots = [c]
    assert changed_roots({(1, str(c / "a" / "new.txt"))}, roots) == [c / "a"]
    assert changed_roots({(1, str(c / "top.txt")), (2, str(c / "a" / "x.txt"))},
                         roots) == [c, c / "a"]
    assert changed_roots({(3, str(c / "gone" / "deep" / "x.txt"))}, roots) == [c]
    assert changed_roots({(3, str(c))}, roots) is None  # a root itself: everything
    assert changed_roots({(1, str(tmp_path / "elsewhere.txt"))}, roots) is None
    single = [c / "a" / "one.txt"]  # a file given as the corpus
    assert changed_roots({(2, str(single[0]))}, single) is None


def test_oversized_and_vanished_files_are_skipped_by_name(tmp_path, make_engine):
    c = tmp_path / "c"
    c.mkdir()
    (c / "harbour.txt").write_text(HARBOUR)
    (c / "huge.txt").write_text("economy\n\nHuge\n\n" + "Words go on and on. " * 200)
    (c / "gone.txt").symlink_to(tmp_path / "deleted-meanwhile.txt")  # listed, then unreadable
    engine = make_engine(make_config(tmp_path, ["c"], corpus={"max_file_mb": 0.002}))
    report = engine.sync(progress=False)
    assert [Path(a).name for a in report.added] == ["harbour.txt"]
    assert any("huge.txt" in s and "max_file_mb" in s for s in report.skipped)
    assert any("gone.txt" in s and "vanished" in s for s in report.skipped)
