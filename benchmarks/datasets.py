"""Public benchmark data read in place from ../shared/benchmarks and written out as corpus
files (one .txt per SciFact abstract / SQuAD paragraph) under the git-ignored
benchmarks/cache/, so the engine indexes them exactly as it indexes user files.

Invariant: a corpus file's stem is the benchmark's own id, so `path.stem` maps a retrieved
document back to its qrels / paragraph id."""

from __future__ import annotations

import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "benchmarks"
CACHE = ROOT / "cache"


def _one_line(text: str) -> str:
    """Blank lines would split a paragraph in two: collapse all white space."""
    return re.sub(r"\s+", " ", text).strip()


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.write_text(text, encoding="utf-8")


# ---- SciFact --------------------------------------------------------------------------
@dataclass
class SciFact:
    corpus_dir: Path
    queries: dict[str, str]  # query id -> claim
    train: dict[str, dict[str, int]]  # query id -> {doc id: relevance}
    test: dict[str, dict[str, int]]


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        q, d, s = line.split("\t")
        out.setdefault(q, {})[d] = int(s)
    return out


def scifact(shared: Path = SHARED) -> SciFact:
    src = shared / "scifact"
    corpus_dir = CACHE / "scifact" / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with open(src / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            title, text = _one_line(d["title"]), _one_line(d["text"])
            body = f"{title}\n\n{text}\n" if title else f"{text}\n"
            _write_if_changed(corpus_dir / f"{d['_id']}.txt", body)
    with open(src / "queries.jsonl", encoding="utf-8") as f:
        queries = {q["_id"]: q["text"] for q in map(json.loads, f)}
    return SciFact(corpus_dir, queries, _qrels(src / "qrels" / "train.tsv"),
                   _qrels(src / "qrels" / "test.tsv"))


# ---- SQuAD ----------------------------------------------------------------------------
@dataclass
class Question:
    qid: str
    text: str
    answers: list[str]
    paragraph: str  # corpus file stem of its paragraph
    article: str


@dataclass
class Squad:
    dirs: dict[str, Path]  # "tune" / "test" -> folder of that half's paragraph files
    articles: dict[str, list[str]]  # half -> article titles
    questions: dict[str, list[Question]]  # half -> its questions


def squad(shared: Path = SHARED, seed: int = 13) -> Squad:
    """SQuAD v1.1 dev, its 48 articles split at random (fixed seed) into a tuning half and a
    test half; every paragraph is one file `<article index>-<paragraph index>.txt` whose
    title line is the article title."""
    with zipfile.ZipFile(shared / "squad" / "dev-v1.1.json.zip") as z:
        data = json.loads(z.read("dev-v1.1.json"))["data"]
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    half_of = {a: ("tune" if i < len(data) // 2 else "test") for i, a in enumerate(order)}
    dirs = {h: CACHE / "squad" / h for h in ("tune", "test")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    articles: dict[str, list[str]] = {"tune": [], "test": []}
    questions: dict[str, list[Question]] = {"tune": [], "test": []}
    for a, art in enumerate(data):
        half = half_of[a]
        title = art["title"].replace("_", " ")
        articles[half].append(title)
        for p, para in enumerate(art["paragraphs"]):
            stem = f"{a:02d}-{p:03d}"
            _write_if_changed(dirs[half] / f"{stem}.txt", f"{title}\n\n{_one_line(para['context'])}\n")
            for qa in para["qas"]:
                questions[half].append(Question(qa["id"], qa["question"].strip(),
                                                [x["text"] for x in qa["answers"]], stem, title))
    return Squad(dirs, articles, questions)
