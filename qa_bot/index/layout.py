"""The layout of an index directory: every name in it, in one place.

    QA_BOT_INDEX         marker: this folder is a qa-bot index (first line: the format)
    CURRENT              name of the live generation (written to a temp file, then renamed)
    gen-000007/          manifest.json, chunks.jsonl, vectors.faiss, bm25/, sentences.npy
    texts/<sha256>.txt   the text each document's offsets refer to (shared by generations)
    cache.sqlite         embedding cache: key(model, embedded text) -> vector
    model/<name>.onnx    the model's ONNX export (and its .json record), shared
    .lock                held by a build; readers never take it

Only `qa_bot/index/` builds paths inside the folder, from these names."""

from __future__ import annotations

import re
from pathlib import Path

FORMAT_VERSION = 1
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
LOCK = ".lock"
CACHE = "cache.sqlite"
TEXTS = "texts"
MODEL_FOLDER = "model"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.faiss"
BM25 = "bm25"
SENTENCES = "sentences.npy"


def text_path(root: Path, content_hash: str) -> Path:
    return root / TEXTS / f"{content_hash}.txt"


def cache_path(root: Path) -> Path:
    return root / CACHE
