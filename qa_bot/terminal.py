"""Text for a terminal: corpus text and file names are data, never commands. Control
characters (C0 but tab and newline, DEL, C1: ESC and CSI start every terminal escape
sequence) and the bidirectional overrides that reorder what a reader sees are dropped.
JSON output keeps every character (json.dumps escapes them)."""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: object) -> str:
    """`text` as a string without control characters (tab and newline kept)."""
    return CONTROL.sub("", str(text))


def is_control(ch: str) -> bool:
    return CONTROL.match(ch) is not None


def warning(line: str) -> None:
    """The one way a warning reaches the user: `warning: LINE` on stderr."""
    import sys

    print(f"warning: {safe(line)}", file=sys.stderr, flush=True)


def print_error(exc: Exception) -> None:
    """The one place errors are printed: `qa-bot: error: LINE` on stderr, one per line of
    the error (a QaBotError may carry several, see errors.IndexDamagedError)."""
    import sys

    lines = exc.lines() if hasattr(exc, "lines") else [str(exc)]
    for line in lines:
        print(f"qa-bot: error: {safe(line)}", file=sys.stderr, flush=True)


def count(n: int, noun: str) -> str:
    """`n` and the noun, plural unless n is 1: "1 chunk", "0 chunks"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
