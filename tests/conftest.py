"""Shared fixtures: one real model per test session (a load costs seconds), real FAISS,
real files under tmp_path."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from qa_bot.config import Config, CorpusConfig, IndexConfig  # noqa: E402
from qa_bot.embedder import load_embedder  # noqa: E402
from qa_bot.engine import Engine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_08f9ce9d48cd81b3.txt"

# Two small articles in the seed's shape, for index tests.
HARBOUR = """economy

Harbour Trade Rises

Shipping through the harbour rose by a fifth in March, the port authority said.

Officials credited the new container crane, which was installed in January.
"""
RAIL = """transport

Rail Strike Ends

Train drivers returned to work on Friday after a nine-day strike over pay.

The union said members had accepted a raise of six percent over two years.
"""


@pytest.fixture(scope="session")
def embedder():
    return load_embedder()


def make_config(base: Path, paths: list[str | Path], **sections) -> Config:
    """A Config whose corpus is `paths` and whose index lives in base/index."""
    cfg = Config(corpus=CorpusConfig(paths=[str(p) for p in paths]),
                 index=IndexConfig(dir=str(base / "index")), base_dir=base)
    for name, values in sections.items():
        cfg = dataclasses.replace(cfg, **{name: dataclasses.replace(getattr(cfg, name),
                                                                   **values)})
    return cfg


@pytest.fixture
def make_engine(embedder):
    def _make(cfg: Config) -> Engine:
        return Engine(cfg, embedder_factory=lambda: embedder)

    return _make


@pytest.fixture(scope="session")
def seed_engine(embedder, tmp_path_factory) -> Engine:
    """An engine over a copy of the seed article, index built once per session."""
    base = tmp_path_factory.mktemp("seed")
    (base / "corpus").mkdir()
    shutil.copy(SEED, base / "corpus" / SEED.name)
    engine = Engine(make_config(base, ["corpus"]), embedder_factory=lambda: embedder)
    engine.sync(progress=False)
    return engine


def segment_file(index: Path, generation: str, name: str, which: int = -1) -> Path:
    """File `name` of a segment of `generation` (default its newest): where a test damages
    or inspects what a generation reads (the layout is qa_bot/index/segment.py's)."""
    import json

    manifest = json.loads((index / generation / "manifest.json").read_text())
    return index / "segments" / manifest["segments"][which]["name"] / name
