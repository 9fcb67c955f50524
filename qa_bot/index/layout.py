"""The layout of an index directory: every name in it, in one place.

    QA_BOT_INDEX         marker: this folder is a qa-bot index (first line: the format)
    CURRENT              name of the live generation (written to a temp file, then renamed)
    gen-000007/          manifest.json: the segments of this generation and their deletions
    segments/seg-000003/ an immutable batch of chunk rows (qa_bot/index/segment.py)
    texts/<sha256>.txt   the text each document's offsets refer to (shared by generations)
    cache.sqlite         embedding cache: key(model, embedded text) -> vector
    model/<name>.onnx    the model's ONNX export (and its .json record), shared
    .lock                held by a build; readers never take it

Only `qa_bot/index/` builds paths inside the folder, from these names."""

from __future__ import annotations

import re
from pathlib import Path

FORMAT_VERSION = 3  # 3: documents in their segments (2: in the manifest; 1: no segments)
CURRENT = "CURRENT"
MARKER = "QA_BOT_INDEX"
MARKER_TEXT = (f"qa-bot index format {FORMAT_VERSION}\n"
               "This folder is managed by qa-bot: builds remove only the files they made.\n")
LEDGER_LINE = "generation "  # the marker's later lines: the generations builds made here
GEN_PREFIX = "gen-"
GEN_NAME = re.compile(r"gen-[0-9]{6,}")
HASH_NAME = re.compile(r"[0-9a-f]{64}")
# Names a folder may hold and still count as empty for a first build: the tracked
# README of embeddings/, and the lock file a dry run or an earlier refused build left.
EMPTY_ENOUGH = frozenset({"README.md", ".lock"})
# Temp names, fixed so the next build removes exactly these (builds hold the lock).
GEN_TMP = ".generation.tmp"
TEXT_TMP = ".text.tmp"  # inside texts/
TEMP_FILES = (f".{CURRENT}.tmp", f".{MARKER}.tmp", f"texts/{TEXT_TMP}")
SEGMENTS = "segments"
SEG_PREFIX = "seg-"
SEG_NAME = re.compile(r"seg-[0-9]{6,}")
SEG_TMP = ".segment.tmp"  # inside segments/
SEG_LEDGER_LINE = "segment "
LOCK = ".lock"
CACHE = "cache.sqlite"
TEXTS = "texts"
MODEL_FOLDER = "model"
MANIFEST = "manifest.json"


def text_path(root: Path, content_hash: str) -> Path:
    return root / TEXTS / f"{content_hash}.txt"


def cache_path(root: Path) -> Path:
    return root / CACHE


def number_of(name: str) -> int:
    """The number of a generation or segment name (gen-000007 -> 7)."""
    return int(name.split("-", 1)[1])
