"""The facade every front end uses: `ask(question, history) -> Answer`,
`sync(paths) -> SyncReport`, `documents()`. Safe to call from several threads; a new index
generation written by any process is picked up before the next question."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.answering import Answer, compose
from qa_bot.config import Config
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, load_embedder
from qa_bot.errors import InputError, QaBotError
from qa_bot.indexer import SyncReport, sync
from qa_bot.onnx_export import index_export
from qa_bot.retrieval import Hit, search
from qa_bot.store import Generation, IndexStore

log = logging.getLogger(__name__)

_ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|"
    r"the same|also|else)\b", re.I)


def is_follow_up(question: str) -> bool:
    """A question that leans on the turn before: a pronoun, or too short to stand alone."""
    return bool(_ANAPHORA.search(question)) or len(question.split()) <= 3


_NAME = re.compile(r"\b[A-Z][\w'\u2019.-]*(?:\s+(?:of|the|de|von|van|al)?\s*[A-Z][\w'\u2019.-]*)*")
_NOT_NAMES = frozenset(
    "who whom whose what when where which why how and but or so did does do is are was were "
    "has have had can could will would should in on at for from to by of the a an as if "
    "i you we it he she they this that these those there then".split())


def names(question: str) -> list[str]:
    """Capitalised word runs of a question ("Nikola Tesla", "Super Bowl XLVIII"), without
    a capitalised question or function word that merely starts the sentence."""
    out = []
    for m in _NAME.finditer(question):
        words = m.group(0).split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if words:
            out.append(" ".join(words))
    return out


def retrieval_query(question: str, history: list[str] | None, turns: int) -> str:
    """The text retrieval searches with: the question, prefixed, when it is a follow-up, by
    the names in the last `turns` questions (or by those questions whole when they name
    nothing), so the earlier turn says who "he" is without outweighing the new question."""
    if not history or turns <= 0 or not is_follow_up(question):
        return question
    earlier = history[-turns:]
    context = [n for q in earlier for n in names(q)] or earlier
    return " ".join([*dict.fromkeys(context), question])


class Engine:
    def __init__(self, cfg: Config, embedder_factory: Callable[[], Embedder] | None = None):
        self.cfg = cfg
        self.store = IndexStore(cfg.index_dir)
        self._embedder_factory = embedder_factory or (  # ONNX (no torch) if the index has it
            lambda: load_embedder(index_export(self.store.root)))
        self._embedder: Embedder | None = None
        self._gen: Generation | None = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._load_lock:
            if self._embedder is None:
                self._embedder = self._embedder_factory()
            return self._embedder

    def preload(self) -> None:
        """Start loading the query embedder in a background thread, so that it overlaps
        the loading of the index (both run mostly in C code, on the two cores)."""
        def load() -> None:
            try:
                self.embedder
            except Exception:  # noqa: BLE001 - the next encode() raises it properly
                pass

        # Not a daemon: the interpreter waits for it at exit; killing it inside the native
        # runtime at shutdown aborts the process (exit -6) when a command fails fast.
        threading.Thread(target=load, name="preload-embedder").start()

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.embedder
        with self._encode_lock:
            return model.encode(texts)

    def generation(self) -> Generation:
        """The live generation, switched when CURRENT names a newer one (hot reload).
        While one thread loads the new generation, the others keep answering from the
        old one; if the new one cannot be read, the old one keeps serving."""
        name = self.store.current_name()
        gen = self._gen
        if gen is not None and gen.name == name:
            return gen
        if not self._gen_lock.acquire(blocking=gen is None):
            return gen  # type: ignore[return-value]
        try:
            if self._gen is None or self._gen.name != self.store.current_name():
                try:
                    self._gen = self.store.load(MODEL_NAME, MODEL_DIM)
                except QaBotError:
                    if self._gen is None:
                        raise
                    log.warning("keeping generation %s: the new one failed to load",
                                self._gen.name, exc_info=True)
            return self._gen
        finally:
            self._gen_lock.release()

    def has_index(self) -> bool:
        return self.store.exists()

    def retrieve(self, query: str, limit: int, query_vec: np.ndarray | None = None
                 ) -> tuple[np.ndarray, list[Hit]]:
        """(query vector, the best `limit` chunk hits) under the configured retrieval."""
        if query_vec is None:
            query_vec = self.encode([query])[0]
        return query_vec, search(self.generation(), query_vec, query, self.cfg.retrieval,
                                 limit=limit)

    def ask(self, question: str, history: list[str] | None = None,
            top_k: int | None = None) -> Answer:
        """Answer one question; `history` holds the earlier questions of the conversation."""
        return self.ask_detailed(question, history, top_k)[0]

    def ask_detailed(self, question: str, history: list[str] | None = None,
                     top_k: int | None = None, query_vec: np.ndarray | None = None
                     ) -> tuple[Answer, list[Hit]]:
        """`ask`, plus the ranked hits it was built from. `query_vec`, when given, must be
        the embedding of `retrieval_query(question, history, ...)` (benchmarks batch them)."""
        question = question.strip()
        if not question:
            raise InputError("empty question: ask something about the documents")
        k = top_k if top_k is not None else self.cfg.retrieval.top_k
        if k < 1:
            raise InputError(f"--top-k must be at least 1, got {k}")
        gen = self.generation()
        query = retrieval_query(question, history, self.cfg.retrieval.history_turns)
        if query_vec is None:
            query_vec = self.encode([query])[0]
        hits = search(gen, query_vec, query, self.cfg.retrieval, limit=max(k * 4, 20))
        answer = compose(question, query_vec, hits, gen, self.encode, k,
                         self.cfg.answer.max_sentences, self.cfg.retrieval.min_confidence,
                         retrieval_question=query)
        return answer, hits

    def sync(self, paths: list[Path] | None = None, *, full: bool = False,
             dry_run: bool = False, progress: bool = True,
             lock_timeout: float = 10.0) -> SyncReport:
        return sync(self.cfg, paths, full=full, dry_run=dry_run,
                    embedder_factory=lambda: self.embedder, progress=progress,
                    lock_timeout=lock_timeout)

    def documents(self) -> list[dict]:
        """What is indexed: one dict per document (source, title, topic, hash, ...)."""
        gen = self.generation()
        counts: dict[str, int] = {}
        for c in gen.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return [dict(meta, doc_id=doc_id, chunks=counts.get(doc_id, 0))
                for doc_id, meta in sorted(gen.documents.items(),
                                           key=lambda kv: kv[1]["source"])]
