"""Documents -> sentence-aligned chunks bounded by the model's own tokenizer.

Invariants (tested): `doc.text[c.start:c.end] == c.text`; every sentence span lies inside
its chunk and every sentence of the document lies in exactly one chunk; the text the model
embeds for a chunk (`embed_text`) is at most `max_tokens` word pieces, special ones included,
so nothing is truncated; chunks never cross documents or sections. A sentence runs on across
a line break that only wraps a paragraph (qa_bot/wrapping.py), so its text may hold a newline."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from qa_bot.documents import Document, Paragraph
from qa_bot.splitting import split_sentences


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    page: int | None = None


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    ordinal: int  # position within the document
    start: int
    end: int
    text: str
    title: str
    section: str
    paragraph: int  # the first paragraph the chunk covers
    sentences: tuple[Sentence, ...]

    @property
    def embed_text(self) -> str:
        return embed_text(self.title, self.section, self.text)

    def slice(self, start: int, end: int) -> str:
        """The text between source offsets `start` and `end` (inside the chunk): a
        sentence's or a quote's, verbatim."""
        return self.text[start - self.start:end - self.start]


def embed_text(title: str, section: str, text: str) -> str:
    """What the model reads for a chunk: title and section are evidence for the passage."""
    head = " - ".join(x for x in (title, section.title() if section.isupper() else section) if x)
    return f"{head}\n{text}" if head else text


class TokenCounter:
    """Counts word pieces with the model's tokenizer (special tokens included)."""

    def __init__(self, tokenizer_file: Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.no_truncation()
        self._tok.no_padding()
        self._memo: dict[str, int] = {}

    MEMO = 262_144  # counts of sentence texts remembered (a re-chunked article is free)

    def count(self, text: str) -> int:
        return len(self._tok.encode(text).ids)

    def count_many(self, texts: list[str]) -> list[int]:
        memo = self._memo  # shared by threads: read into `known`, never relied on after
        distinct = set(texts)
        known = {t: n for t in distinct if (n := memo.get(t)) is not None}
        todo = [t for t in distinct if t not in known]
        if todo:
            counted = dict(zip(todo, (len(e.ids) for e in self._tok.encode_batch(todo))))
            if len(memo) + len(counted) > self.MEMO:
                memo.clear()
            memo.update(counted)
            known.update(counted)
        return [known[t] for t in texts]

    def piece_starts(self, text: str) -> list[int]:
        """Character offsets where each word piece (no special tokens) starts."""
        enc = self._tok.encode(text, add_special_tokens=False)
        return [start for start, _ in enc.offsets]


class Chunker:
    def __init__(self, counter: TokenCounter, max_tokens: int = 200, target_tokens: int = 128):
        if target_tokens > max_tokens:
            raise ValueError("target_tokens exceeds max_tokens")
        self.counter = counter
        self.max_tokens = max_tokens
        self.target_tokens = target_tokens

    def _split_long(self, text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
        """Cut one over-long sentence at word-piece boundaries into pieces of <= budget."""
        starts = [start + o for o in self.counter.piece_starts(text[start:end])]
        pieces: list[tuple[int, int]] = []
        i = 0
        while i < len(starts):
            j = min(i + budget, len(starts))
            if j < len(starts):  # prefer to cut where a word starts
                k = j
                while k > i + budget // 2 and not text[starts[k] - 1].isspace():
                    k -= 1
                j = k if text[starts[k] - 1].isspace() else j
            piece_end = starts[j] if j < len(starts) else end
            seg = text[starts[i]:piece_end].rstrip()
            pieces.append((starts[i], starts[i] + len(seg)))
            i = j
        return [p for p in pieces if p[1] > p[0]]

    def sentences(self, doc: Document, para: Paragraph, budget: int) -> list[Sentence]:
        out: list[Sentence] = []
        spans = split_sentences(doc.text, para.start, para.end)
        sizes = self.counter.count_many([doc.text[s:e] for s, e in spans])
        for (s, e), size in zip(spans, sizes):
            if size - 2 > budget:
                out.extend(Sentence(a, b, para.number, para.page)
                           for a, b in self._split_long(doc.text, s, e, budget))
            else:
                out.append(Sentence(s, e, para.number, para.page))
        return out

    def chunk(self, doc: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        groups: list[list[Paragraph]] = []
        for para in doc.paragraphs:  # runs of paragraphs under one section (and page)
            if groups and groups[-1][-1].section == para.section \
                    and groups[-1][-1].page == para.page:
                groups[-1].append(para)
            else:
                groups.append([para])
        for group in groups:
            section = group[0].section
            overhead = self.counter.count(embed_text(doc.title, section, ""))
            budget = self.max_tokens - overhead
            target = max(self.target_tokens - overhead, budget // 2)
            if budget < 16:
                raise ValueError(f"{doc.source}: title too long for max_tokens")
            current: list[Sentence] = []
            used = 0
            for para in group:
                sents = self.sentences(doc, para, budget)
                sizes = self.counter.count_many([doc.text[s.start:s.end] for s in sents])
                sizes = [n - 2 for n in sizes]
                para_total = sum(sizes)
                if current and used + para_total > target:
                    chunks.append(self._make(doc, section, current, len(chunks)))
                    current, used = [], 0
                for sent, size in zip(sents, sizes):
                    if current and used + size > budget:
                        chunks.append(self._make(doc, section, current, len(chunks)))
                        current, used = [], 0
                    current.append(sent)
                    used += size
            if current:
                chunks.append(self._make(doc, section, current, len(chunks)))
        return self._enforce_budget(doc, chunks)

    def _make(self, doc: Document, section: str, sents: list[Sentence], ordinal: int) -> Chunk:
        start, end = sents[0].start, sents[-1].end
        return Chunk(doc.doc_id, ordinal, start, end, doc.text[start:end], doc.title, section,
                     sents[0].paragraph, tuple(sents))

    def _enforce_budget(self, doc: Document, chunks: list[Chunk]) -> list[Chunk]:
        """Exact check of each embedded text; a chunk over budget (word pieces merging
        across sentence joins) is split in two until all fit."""
        out: list[Chunk] = []
        queue = list(chunks)
        while queue:
            c = queue.pop(0)
            if self.counter.count(c.embed_text) <= self.max_tokens or len(c.sentences) == 1:
                out.append(c)
                continue
            half = len(c.sentences) // 2
            queue[:0] = [self._make(doc, c.section, list(c.sentences[:half]), 0),
                         self._make(doc, c.section, list(c.sentences[half:]), 0)]
        return [Chunk(c.doc_id, i, c.start, c.end, c.text, c.title, c.section, c.paragraph,
                      c.sentences) for i, c in enumerate(out)]


@functools.lru_cache(maxsize=4)
def token_counter(tokenizer_file: str) -> TokenCounter:
    return TokenCounter(Path(tokenizer_file))
