"""Checks the news question set: every gold string occurs in its article's body (not only
in the headline), ids are unique, kinds and counts are as the README promises, and no
unanswerable question's gold is claimed. Exit 1 with one line per problem.

    python -m benchmarks.news_qa.check"""

from __future__ import annotations

import sys
from collections import Counter

from benchmarks.news_qa.dataset import BBC, load


def problems() -> list[str]:
    out = []
    items = load()
    ids = Counter(i.id for i in items)
    out += [f"{i}: duplicate id" for i, n in ids.items() if n > 1]
    for item in items:
        if item.kind in ("answerable", "followup"):
            path = BBC / (item.article or "")
            if not path.is_file():
                out.append(f"{item.id}: no article {item.article}")
                continue
            text = path.read_text(encoding="utf-8")
            body = text.split("\n", 1)[1] if "\n" in text else ""
            for turn in item.turns:
                if not turn.answer or turn.answer not in body:
                    out.append(f"{item.id}: gold {turn.answer!r} not in the body of "
                               f"{item.article}")
    return out


def main() -> int:
    found = problems()
    for p in found:
        print(p)
    items = load()
    counts = Counter((i.kind, i.split) for i in items)
    print(", ".join(f"{k}/{s}: {n}" for (k, s), n in sorted(counts.items())),
          file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
