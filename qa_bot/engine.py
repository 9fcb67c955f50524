"""The facade every front end uses: `ask(question, history) -> Answer`,
`sync(paths) -> SyncReport`, `documents()`. Safe to call from several threads; a new index
generation written by any process is picked up before the next question."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.answering import Answer, compose
from qa_bot.config import Config
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, load_embedder
from qa_bot.errors import InputError
from qa_bot.indexer import SyncReport, sync
from qa_bot.onnx_export import index_export
from qa_bot.retrieval import search
from qa_bot.store import Generation, IndexStore

_ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|"
    r"the same|also|else)\b", re.I)


def is_follow_up(question: str) -> bool:
    """A question that leans on the turn before: a pronoun, or too short to stand alone."""
    return bool(_ANAPHORA.search(question)) or len(question.split()) <= 3


def retrieval_query(question: str, history: list[str] | None, turns: int) -> str:
    """The text retrieval searches with: the question, prefixed by the last `turns`
    questions when it is a follow-up."""
    if not history or turns <= 0 or not is_follow_up(question):
        return question
    return " ".join([*history[-turns:], question])


class Engine:
    def __init__(self, cfg: Config, embedder_factory: Callable[[], Embedder] | None = None):
        self.cfg = cfg
        self.store = IndexStore(cfg.index_dir)
        self._embedder_factory = embedder_factory or (  # ONNX (no torch) if the index has it
            lambda: load_embedder(index_export(self.store.root)))
        self._embedder: Embedder | None = None
        self._gen: Generation | None = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._load_lock:
            if self._embedder is None:
                self._embedder = self._embedder_factory()
            return self._embedder

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.embedder
        with self._encode_lock:
            return model.encode(texts)

    def generation(self) -> Generation:
        """The live generation, reloaded when CURRENT names a newer one."""
        name = self.store.current_name()
        gen = self._gen
        if gen is not None and gen.name == name:
            return gen
        with self._load_lock:
            if self._gen is None or self._gen.name != self.store.current_name():
                self._gen = self.store.load(MODEL_NAME, MODEL_DIM)
            return self._gen

    def has_index(self) -> bool:
        return self.store.exists()

    def ask(self, question: str, history: list[str] | None = None,
            top_k: int | None = None) -> Answer:
        question = question.strip()
        if not question:
            raise InputError("empty question: ask something about the documents")
        k = top_k if top_k is not None else self.cfg.retrieval.top_k
        if k < 1:
            raise InputError(f"--top-k must be at least 1, got {k}")
        gen = self.generation()
        query = retrieval_query(question, history, self.cfg.retrieval.history_turns)
        query_vec = self.encode([query])[0]
        hits = search(gen, query_vec, query, self.cfg.retrieval, limit=max(k * 4, 20))
        return compose(question, query_vec, hits, gen, self.encode, k,
                       self.cfg.answer.max_sentences, self.cfg.retrieval.min_confidence,
                       retrieval_question=query)

    def sync(self, paths: list[Path] | None = None, *, full: bool = False,
             dry_run: bool = False, progress: bool = True) -> SyncReport:
        return sync(self.cfg, paths, full=full, dry_run=dry_run,
                    embedder_factory=lambda: self.embedder, progress=progress)

    def documents(self) -> list[dict]:
        """What is indexed: one dict per document (source, title, topic, hash, ...)."""
        gen = self.generation()
        counts: dict[str, int] = {}
        for c in gen.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return [dict(meta, doc_id=doc_id, chunks=counts.get(doc_id, 0))
                for doc_id, meta in sorted(gen.documents.items(),
                                           key=lambda kv: kv[1]["source"])]
