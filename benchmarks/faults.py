"""Fault injection, the long run (issue 12): every file of a real index over BBC articles,
truncated, deleted, overwritten with garbage of the same size, or with one bit flipped,
in turn. Each case is run as an operator would, with the `qa-bot` command:

    1. `qa-bot ask --json QUESTION`: a correct answer (the article that answers it, every
       quote verbatim at its offsets in the source), one clear line (a non-zero exit, one
       `qa-bot: error:` line, no traceback), a wrong answer, or a traceback;
    2. `qa-bot index --verify`: does it exit 1 and name the damaged file?
    3. `qa-bot index --full`, then `index --verify` and the question again: repaired when
       both pass and the answer is correct.

    python -m benchmarks.faults                  # 30 articles, every file x 4 faults
    python -m benchmarks.faults --articles 12    # a quicker run
    python -m benchmarks.faults --only QA_BOT_INDEX   # re-run these files' rows

The corpus is read in place from ../shared/benchmarks/bbc/ and copied into the git-ignored
benchmarks/cache/faults/. Results: benchmarks/results/faults.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
BBC = REPO.parent / "shared" / "benchmarks" / "bbc"
WORK = ROOT / "cache" / "faults"
RESULTS = ROOT / "results"
TARGET_ARTICLE = "business-001.txt"  # Time Warner's quarterly results
QUESTION = "By how much did Time Warner's quarterly profits rise?"
EXPECTED = "76%"  # recorded, not required: answer wording depends on the reader model
FAULTS = ("truncated", "deleted", "garbage", "bitflip")


def qa_bot(base: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_bot", "--config", str(base / "config.toml"),
                           *args], capture_output=True, text=True, cwd=base, timeout=900,
                          env={**os.environ, "HF_HUB_OFFLINE": "1",
                               "TRANSFORMERS_VERBOSITY": "error"})


def make_corpus(n: int) -> Path:
    """n articles, a third from each of business, politics and sport (business/001 among
    them), copied under WORK/corpus."""
    corpus = WORK / "corpus"
    shutil.rmtree(WORK, ignore_errors=True)
    corpus.mkdir(parents=True)
    sections = ("business", "politics", "sport")
    for i in range(n):
        section = sections[i % 3]
        src = BBC / section / f"{i // 3 + 1:03d}.txt"
        shutil.copyfile(src, corpus / f"{section}-{src.name}")
    (WORK / "config.toml").write_text('[corpus]\npaths = ["corpus"]\n\n[index]\ndir = "index"\n')
    return corpus


def inject(path: Path, fault: str, rng: random.Random) -> None:
    """Damage `path`: cut to half its size, deleted, overwritten with random bytes of the
    same size, or one bit flipped in the middle (the size kept: most parsers miss it)."""
    data = path.read_bytes()
    at = len(data) // 2
    if fault == "deleted":
        path.unlink()
        return
    flipped = bytes([data[at] ^ (1 << rng.randrange(8))]) if data else b""
    path.write_bytes({"truncated": data[:at], "garbage": rng.randbytes(len(data)),
                      "bitflip": data[:at] + flipped + data[at + 1:]}[fault])


def outcome(proc: subprocess.CompletedProcess, corpus: Path) -> tuple[str, str]:
    """('correct' | 'one line' | 'wrong' | 'unclear' | 'traceback', detail)."""
    if "Traceback" in proc.stderr or proc.returncode not in (0, 1, 2):
        return "traceback", proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else \
            f"exit {proc.returncode}"
    errors = [line for line in proc.stderr.splitlines() if line.startswith("qa-bot: error: ")]
    if proc.returncode != 0:
        return ("one line" if len(errors) == 1 else "unclear"), " | ".join(errors)
    try:
        answer = json.loads(proc.stdout)
        top = answer["citations"][0]
        verbatim = all((corpus.parent / c["source"]).read_text(encoding="utf-8")
                       [c["start"]:c["end"]] == c["quote"] for c in answer["citations"])
    except (ValueError, KeyError, IndexError, OSError) as exc:
        return "wrong", f"unreadable answer ({exc})"
    if Path(top["source"]).name == TARGET_ARTICLE and answer["answered"] and verbatim:
        return "correct", answer["answer"][:160]
    return "wrong", f"top {top['source']}, answered {answer['answered']}, verbatim {verbatim}"


def index_files(index: Path) -> list[str]:
    """Every file of the index (relative paths), the live generation's as live/..., the
    older generation left out (it only serves when the live one is lost), the stored
    texts reduced to the target article's."""
    live = (index / "CURRENT").read_text().strip()
    out = []
    for p in sorted(index.rglob("*")):
        rel = p.relative_to(index).as_posix()
        if not p.is_file() or rel.startswith(".") or rel == "README.md":
            continue
        head = rel.split("/")[0]
        if head.startswith("gen-"):
            if head == live:
                out.append("live/" + rel.split("/", 1)[1])
        elif head != "texts":
            out.append(rel)
    return out + ["texts/<target article>"]


def run(n_articles: int, only: list[str] | None) -> dict:
    corpus = make_corpus(n_articles)
    pristine = WORK / "pristine"
    last = sorted(corpus.iterdir())[-1]
    held = WORK / last.name
    shutil.move(last, held)  # two generations: the live one and one before it
    t = time.perf_counter()
    for step in range(2):
        proc = qa_bot(WORK, "--index-dir", str(pristine), "index")
        assert proc.returncode == 0, proc.stderr
        if step == 0:
            shutil.move(held, last)
    build_s = time.perf_counter() - t
    base = qa_bot(WORK, "--index-dir", str(pristine), "ask", "--json", QUESTION)
    baseline = outcome(base, corpus)
    assert baseline[0] == "correct", baseline
    docs = json.loads(qa_bot(WORK, "--index-dir", str(pristine), "docs", "--json").stdout)
    target_hash = next(d["hash"] for d in docs if Path(d["source"]).name == TARGET_ARTICLE)
    live = (pristine / "CURRENT").read_text().strip()
    targets = [f for f in index_files(pristine) if not only or any(o in f for o in only)]
    print(f"{len(docs)} articles indexed in {build_s:.0f} s; {len(targets)} files x "
          f"{len(FAULTS)} faults", file=sys.stderr)
    cases = []
    for target in targets:
        for fault in FAULTS:
            index = WORK / "index"
            shutil.rmtree(index, ignore_errors=True)
            shutil.copytree(pristine, index)
            rel = (f"texts/{target_hash}.txt" if target.startswith("texts/")
                   else target.replace("live/", f"{live}/", 1))
            victim = index / rel
            inject(victim, fault, random.Random(f"{target} {fault}"))
            t = time.perf_counter()
            state, detail = outcome(qa_bot(WORK, "ask", "--json", QUESTION), corpus)
            verify = qa_bot(WORK, "index", "--verify")
            named = verify.returncode == 1 and str(victim) in verify.stderr
            full = qa_bot(WORK, "index", "--full")
            after, _ = outcome(qa_bot(WORK, "ask", "--json", QUESTION), corpus)
            verified = qa_bot(WORK, "index", "--verify").returncode == 0
            repaired = full.returncode == 0 and after == "correct" and verified
            case = {"file": target, "fault": fault, "answer": state, "detail": detail,
                    "same_answer_as_intact": state == "correct" and detail == baseline[1],
                    "verify_exit": verify.returncode, "verify_names_file": named,
                    "verify_lines": [line for line in verify.stderr.splitlines()
                                     if line.startswith("qa-bot: error: ")],
                    "full_exit": full.returncode, "repaired": repaired,
                    "full_stderr": "" if full.returncode == 0 else full.stderr.strip()[-300:],
                    "seconds": round(time.perf_counter() - t, 1)}
            cases.append(case)
            print(f"{target:34s} {fault:9s} {state:9s} verify {verify.returncode} "
                  f"{'names it' if named else '        '} repaired {repaired}  {detail[:70]}",
                  file=sys.stderr)
    return {"articles": len(docs), "question": QUESTION, "expected_in_answer": EXPECTED,
            "baseline_answer": baseline[1], "build_s": round(build_s, 1), **tally(cases),
            "results": cases}


def tally(cases: list[dict]) -> dict:
    return {"cases": len(cases),
            "answers": {k: sum(c["answer"] == k for c in cases)
                        for k in ("correct", "one line", "wrong", "unclear", "traceback")},
            "repaired": sum(c["repaired"] for c in cases),
            "verify_named": sum(c["verify_names_file"] for c in cases),
            "same_answer_as_intact": sum(c["same_answer_as_intact"] for c in cases)}


def table(result: dict) -> str:
    """The README table: one row per file, one column per fault, each cell the first
    outcome / whether --full repaired it."""
    short = {"correct": "answer ok", "one line": "one line", "wrong": "**WRONG**",
             "unclear": "**unclear**", "traceback": "**traceback**"}
    rows: dict[str, dict[str, str]] = {}
    for c in result["results"]:
        rows.setdefault(c["file"], {})[c["fault"]] = \
            f"{short[c['answer']]}, {'repaired' if c['repaired'] else '**not repaired**'}"
    lines = ["| file | " + " | ".join(FAULTS) + " |", "| --- |" + " --- |" * len(FAULTS)]
    for f, cells in rows.items():
        lines.append(f"| `{f}` | " + " | ".join(cells.get(k, "") for k in FAULTS) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=30)
    p.add_argument("--only", nargs="*", help="only the files whose path holds one of these")
    args = p.parse_args()
    result = {"date": time.strftime("%Y-%m-%d"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version()},
              **run(args.articles, args.only)}
    out = RESULTS / "faults.json"
    if args.only and out.exists():  # re-run rows replace theirs in the full run's results
        old = json.loads(out.read_text())
        fresh = {(c["file"], c["fault"]): c for c in result["results"]}
        result = dict(old, rerun=sorted({c["file"] for c in result["results"]}),
                      results=[fresh.get((c["file"], c["fault"]), c) for c in old["results"]])
        result.update(tally(result["results"]))
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    print(f"{result['cases']} cases: {result['answers']}; repaired by --full: "
          f"{result['repaired']}/{result['cases']}; --verify named the file: "
          f"{result['verify_named']}/{result['cases']}")


if __name__ == "__main__":
    main()
