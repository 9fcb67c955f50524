"""The answer reader: a small cross-encoder (3 MiniLM layers, ONNX, shipped in
qa_bot/answer/models/) that reads a (question, sentence) pair and gives
  relevance  a logit: does this sentence answer the question?
  span       where in the sentence the answer phrase lies (SQuAD-style start/end), or that
             none does: the heads point at [CLS] (SQuAD 2.0-style "no answer").
Trained by `python -m benchmarks.train_reader` from the weights the model package ships;
run by onnxruntime, so the query path never imports torch.

Invariants: `read` returns one Reading per sentence, in input order; a Reading's span,
when present, is a non-empty slice `sentence[start:end]`, the answer phrase as
qa_bot/answer/phrase.py bounds it (whole words, a figure with its sign and unit)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.answer.phrase import phrase

MODEL_FILE = Path(__file__).resolve().parent / "models" / "reader.onnx"
MAX_TOKENS = 128  # the pair's word pieces, as in training
MAX_SPAN_TOKENS = 16


@dataclass(frozen=True)
class Reading:
    relevance: float  # logit; higher: the sentence answers the question
    span: tuple[int, int] | None  # character offsets of the answer phrase in the sentence
    span_prob: float  # probability of that span under the start/end heads (0..1)
    answer_logit: float = 0.0  # best span's start+end logits minus [CLS]'s ("no answer")


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


class Reader:
    def __init__(self, path: Path = MODEL_FILE, threads: int | None = None):
        from tokenizers import Tokenizer

        from qa_bot.embedder import onnx_session, tokenizer_file

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
        self.tokenizer.no_padding()
        self.session = onnx_session(path, threads)
        self._lock = threading.Lock()

    def read(self, question: str, sentences: list[str]) -> list[Reading]:
        if not sentences:
            return []
        encs = self.tokenizer.encode_batch([(question, s) for s in sentences])
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encs):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
            types[row, :len(e.ids)] = e.type_ids
        with self._lock:
            rel, starts, ends = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return [self._reading(float(r), s, e, enc, sent)
                for r, s, e, enc, sent in zip(rel, starts, ends, encs, sentences)]

    @staticmethod
    def _reading(relevance: float, start_logits: np.ndarray, end_logits: np.ndarray,
                 enc, sentence: str) -> Reading:
        """The best span over the sentence's word pieces (the pair's second sequence)."""
        tokens = [t for t, sid in enumerate(enc.sequence_ids) if sid == 1
                  and enc.offsets[t][1] > enc.offsets[t][0]]
        if not tokens:
            return Reading(relevance, None, 0.0, -10.0)
        ps = _softmax(start_logits[tokens])
        pe = _softmax(end_logits[tokens])
        n = len(tokens)
        joint = np.triu(np.outer(ps, pe)) - np.triu(np.outer(ps, pe), MAX_SPAN_TOKENS)
        i, j = np.unravel_index(int(np.argmax(joint)), joint.shape)
        span = phrase(sentence, enc.offsets[tokens[i]][0], enc.offsets[tokens[min(j, n - 1)]][1])
        best = float(start_logits[tokens[i]] + end_logits[tokens[min(j, n - 1)]])
        null = float(start_logits[0] + end_logits[0])
        return Reading(relevance, span, float(joint[i, j]) if span else 0.0,
                       float(np.clip(best - null, -10.0, 10.0)))
