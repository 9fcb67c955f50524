"""Look at the Telegram layout as a reader sees it: an answer's messages (and, with --more,
the "More passages" message) rendered as chat bubbles with their buttons, screenshotted with
headless Chromium (Debian's `chromium`).

    qa-bot ask --json "Who is North Korea's ambassador to the United Nations?" > /tmp/a.json
    .venv/bin/python -m benchmarks.telegram_screenshot /tmp/a.json --highlight "Kim Song" \\
        --more --out /tmp/answer.png

`--highlight PHRASE` marks PHRASE inside the cited quote that holds it (to see the layout
before the engine fills `highlight` itself). Telegram's tags are plain HTML; newlines -> <br>."""

from __future__ import annotations

import argparse
import html
import json
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from qa_bot.answer import Answer, Citation
from qa_bot.render import read_as
from qa_bot.telegram import html as tg_html
from qa_bot.telegram.keyboards import keyboard, more_keyboard

CSS = """
body { margin:0; padding:16px; background:#8fb98a; font-size:15px; line-height:1.35;
  background-image:radial-gradient(#a6c99c 2px, transparent 2px); background-size:24px 24px;
  font-family:-apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; }
.q { margin:0 0 10px auto; max-width:420px; width:fit-content; background:#effdde;
  border-radius:14px 14px 4px 14px; padding:7px 11px; box-shadow:0 1px 1px #0002; }
.bubble { max-width:460px; background:#fff; border-radius:14px 14px 14px 4px;
  padding:7px 11px 8px; box-shadow:0 1px 1px #0002; margin-bottom:6px; word-wrap:break-word; }
.bubble blockquote { margin:4px 0; padding:2px 8px 2px 10px; border-left:3px solid #3390ec;
  background:#3390ec14; border-radius:4px; }
.kb { max-width:482px; margin-bottom:12px; }
.btn { background:#0000002e; color:#fff; border-radius:8px; padding:8px 10px; margin-top:4px;
  text-align:center; font-size:14px; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
"""


def load(path: Path, phrase: str | None = None) -> Answer:
    """An Answer from `qa-bot ask --json` output; `phrase` highlighted in the cited quote
    that holds it."""
    d = json.loads(path.read_text(encoding="utf-8"))
    cites = []
    for c in d["citations"]:
        h = c.pop("highlight", None)
        c = Citation(**c, highlight=(h["start"], h["end"]) if h else None)
        if phrase and c.cited and phrase in c.quote:
            at = c.start + c.quote.index(phrase)
            c = replace(c, highlight=(at, at + len(phrase)))
        cites.append(c)
    return Answer(d["question"], d["answered"], d["answer"], cites, d["confidence"])


def page(question: str, bubbles: list[tuple[list[str], list[str]]]) -> str:
    """A chat: the question, then each group of messages with its buttons under it."""
    parts = [f"<html><head><meta charset='utf-8'><style>{CSS}</style></head><body>",
             f"<div class='q'>{html.escape(question)}</div>"]
    for messages, buttons in bubbles:
        parts += [f"<div class='bubble'>{m.replace(chr(10), '<br>')}</div>" for m in messages]
        if buttons:
            parts.append("<div class='kb'>" + "".join(
                f"<div class='btn'>{html.escape(b)}</div>" for b in buttons) + "</div>")
    return "".join(parts) + "</body></html>"


def labels(markup) -> list[str]:
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


def screenshot(doc: str, out: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "answer.html"
        page_path.write_text(doc, encoding="utf-8")
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={Path(tmp) / 'profile'}", f"--screenshot={out}",
             f"--window-size=600,{height}", page_path.as_uri()],
            check=True, capture_output=True, timeout=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("answer", type=Path, help="an Answer JSON (qa-bot ask --json)")
    p.add_argument("--highlight", metavar="PHRASE")
    p.add_argument("--more", action="store_true", help="also press 'More passages'")
    p.add_argument("--out", type=Path, default=Path("/tmp/answer.png"))
    p.add_argument("--height", type=int, default=1150)
    p.add_argument("--typed", metavar="QUESTION",
                   help="the question as typed (the answer then says how it was read)")
    args = p.parse_args()
    answer = load(args.answer, args.highlight)
    key = "0123456789ab"
    opening = read_as(args.typed, answer) if args.typed else ""
    bubbles = [(tg_html.telegram_messages(answer, preface=opening),
                labels(keyboard(answer, key)))]
    if args.more:
        bubbles.append((tg_html.more_passages_messages(answer),
                        labels(more_keyboard(answer, key))))
    screenshot(page(args.typed or answer.question, bubbles), args.out, args.height)
    print(args.out)


if __name__ == "__main__":
    main()
