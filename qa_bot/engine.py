"""The facade every front end uses: `ask(question, history) -> Answer`,
`sync(paths) -> SyncReport`, `documents()`. Safe to call from several threads; a new index
generation written by any process is picked up before the next question."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from qa_bot.answer import Answer
from qa_bot.answer.alone import keeps_alone
from qa_bot.answer.compose import compose
from qa_bot.answer.ranking import CANDIDATE_PASSAGES, Ranking, cased_question, rank
from qa_bot.answer.followups import FollowUp, resolve
from qa_bot.answer.people import initials
from qa_bot.answer.spelling import mended
from qa_bot.answer.reasons import asks_only_why
from qa_bot.answer.typed import SMALL_TALK_REPLIES, as_read, small_talk, typed_lower
from qa_bot.config import Config
from qa_bot.embedder import MODEL_DIM, MODEL_NAME, Embedder, load_embedder
from qa_bot.errors import InputError, QaBotError
from qa_bot.indexer import SyncReport, sync
from qa_bot.index.onnx_export import index_export
from qa_bot.answer.reader import MODEL_FILE, Reader
from qa_bot.retrieval import Hit, cosines, search
from qa_bot.index import Generation, IndexStore

log = logging.getLogger(__name__)


def with_articles(gen: Generation, hits: list[Hit], article_rows: list[int],
                  query_vec: np.ndarray) -> list[Hit]:
    """`hits`, with the chunk rows of a follow-up's previous answer (`article_rows`) placed
    right after the best hit when they are not among the top hits already, so their
    sentences are read too."""
    if not article_rows or not hits:
        return hits
    top = {h.row for h in hits[:CANDIDATE_PASSAGES]}
    rows = [r for r in article_rows if r not in top]
    if not rows:
        return hits
    cos = cosines(gen, query_vec, rows)
    extra = [Hit(r, hits[0].score, cos[r], 0.0) for r in sorted(rows, key=lambda r: -cos[r])]
    moved = set(rows)
    return [hits[0], *extra, *(h for h in hits[1:] if h.row not in moved)]


class Engine:
    def __init__(self, cfg: Config, embedder_factory: Callable[[], Embedder] | None = None):
        self.cfg = cfg
        self.store = IndexStore(cfg.index_dir)
        self._build_store = IndexStore(cfg.index_dir)  # its syncs' own: parsed once
        self._embedder_factory = embedder_factory or (  # ONNX (no torch) if the index has it
            lambda: load_embedder(index_export(self.store.root)))
        self._embedder: Embedder | None = None
        self._reader: Reader | None = None
        self._reader_missing = False
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

    @property
    def reader(self) -> Reader | None:
        """The answer reader (qa_bot/answer/reader.py); None, with one warning, if its model
        file is missing, so answers fall back to the feature score."""
        with self._load_lock:
            if self._reader is None and not self._reader_missing:
                if MODEL_FILE.is_file():
                    self._reader = Reader(MODEL_FILE)
                else:
                    self._reader_missing = True
                    log.warning("no answer reader at %s: sentences chosen by features only",
                                MODEL_FILE)
            return self._reader

    def preload(self) -> None:
        """Start loading the query embedder in a background thread, so that it overlaps
        the loading of the index (both run mostly in C code, on the two cores)."""
        def load() -> None:
            try:
                self.embedder
                self.reader
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

    def rows_of(self, gen: Generation, articles: tuple[str, ...]) -> list[int]:
        """Chunk rows of the given documents in row order (the generation's manifest knows
        each document's rows)."""
        return [r for a in articles for r in gen.rows_of(a)]

    def has_index(self) -> bool:
        return self.store.exists()

    def retrieve(self, query: str, limit: int, query_vec: np.ndarray | None = None
                 ) -> tuple[np.ndarray, list[Hit]]:
        """(query vector, the best `limit` chunk hits) under the configured retrieval."""
        if query_vec is None:
            query_vec = self.encode([query])[0]
        return query_vec, search(self.generation(), query_vec, query, self.cfg.retrieval,
                                 limit=limit)

    def read(self, question: str) -> str:
        """The question as answers read it: as a chat types it (typed.as_read), its typing
        slips mended from the live index's words (spelling.mended)."""
        return mended(as_read(question), self.generation().lexical.document_frequency)

    def ask(self, question: str, history: list[Answer] | None = None,
            top_k: int | None = None) -> Answer:
        """Answer one question; `history` holds the earlier Answers of the conversation
        (oldest first; see qa_bot/answer/conversation.py)."""
        return self.ask_detailed(question, history, top_k)[0]

    def ask_detailed(self, question: str, history: list[Answer] | None = None,
                     top_k: int | None = None, query_vec: np.ndarray | None = None
                     ) -> tuple[Answer, Ranking | None]:
        """`ask`, plus the Ranking it was decided from. The question is read as a chat
        types it (typed.as_read: "Hi! who won" -> "who won?"), its typing slips mended from
        the corpus's words (spelling.mended: "boguht" -> "bought"), and the Answer holds it
        so read. A message that asks nothing ("Thanks!"), or "Why?" with no answer before
        it to ask about, gets its small-talk reply: not answered, nothing cited, nothing
        searched. `query_vec`, when given, must be the
        embedding of `followups.resolve(self.read(question), history, ...).query`."""
        if not question.strip():
            raise InputError("empty question: ask something about the documents")
        reply = small_talk(question)
        if reply is not None:
            return Answer(question.strip(), False, reply), None
        k = top_k if top_k is not None else self.cfg.retrieval.top_k
        if k < 1:
            raise InputError(f"--top-k must be at least 1, got {k}")
        gen = self.generation()
        question = self.read(question)
        limit = max(k * 4, 20)
        follow = resolve(question, history, self.cfg.retrieval.history_turns)
        if not follow.quoted and asks_only_why(question, bare=True):  # nothing to ask why of
            return Answer(question, False, SMALL_TALK_REPLIES["why"]), None
        hits = None
        searched_alone: tuple[np.ndarray | None, list[Hit] | None] = (None, None)
        if query_vec is None and follow.query != question and typed_lower(question):
            # Typed in lower case: whether "its" follows a name of the question shows
            # once its passages show which words are names.
            query_vec, hits = self.retrieve(question, limit)
            cased = cased_question(question, hits, gen)
            as_cased = resolve(cased, history, self.cfg.retrieval.history_turns)
            if as_cased.query == cased:
                follow = FollowUp(question)  # it stands alone
            else:  # its names show now, and whether to ask it alone too
                searched_alone = query_vec, hits
                query_vec, hits = None, None
                follow = dataclasses.replace(follow, also_alone=as_cased.also_alone)
        answer, ranking = self._answer(question, follow, k, limit, query_vec, hits)
        if follow.also_alone:  # asked alone too, its search reused (answer/alone.py)
            alone = self._answer(question, FollowUp(question), k, limit, *searched_alone)
            if keeps_alone(question, gen, follow, (answer, ranking), alone):
                return alone
        return answer, ranking

    def _answer(self, question: str, follow: FollowUp, k: int, limit: int,
                query_vec: np.ndarray | None = None, hits: list[Hit] | None = None
                ) -> tuple[Answer, Ranking | None]:
        """Search as `follow` says (reusing `query_vec` / `hits` when given), rank, compose."""
        gen = self.generation()
        if query_vec is None:
            query_vec = self.encode([follow.query])[0]
        if hits is None:
            lexical = " ".join([follow.query, *initials(question)])  # "BA" for British Airways
            hits = search(gen, query_vec, lexical, self.cfg.retrieval, limit=limit)
        hits = with_articles(gen, hits, self.rows_of(gen, follow.articles), query_vec)
        ranking = rank(question, query_vec, hits, gen, self.encode, k,
                       retrieval_question=follow.query, reader=self.reader,
                       reader_question=follow.reader_query or None,
                       articles=follow.articles, quoted=follow.quoted,
                       may_stray=follow.may_stray)
        answer = compose(ranking, gen, k, self.cfg.answer.max_sentences,
                         self.cfg.retrieval.min_confidence, question)
        return answer, ranking

    def sync(self, paths: list[Path] | None = None, *, full: bool = False,
             dry_run: bool = False, progress: bool = True,
             lock_timeout: float = 10.0, merge: bool = False) -> SyncReport:
        return sync(self.cfg, paths, full=full, dry_run=dry_run,
                    embedder_factory=lambda: self.embedder, progress=progress,
                    lock_timeout=lock_timeout, merge=merge, store=self._build_store)

    def documents(self) -> list[dict]:
        """What is indexed: one dict per document (source, title, topic, hash, ...)."""
        gen = self.generation()
        internal = ("id", "segment", "row", "size", "mtime_ns", "read_ns")
        return [dict({k: v for k, v in meta.items() if k not in internal},
                     doc_id=doc_id, chunks=meta.get("chunks", 0))
                for doc_id, meta in sorted(gen.documents.items(),
                                           key=lambda kv: kv[1]["source"])]
