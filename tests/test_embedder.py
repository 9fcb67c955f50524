"""The ONNX query path against the sentence-transformers reference: same vectors (cosine
>= 0.999 per text) on a few hundred varied texts, same top-10 rankings on a small corpus,
and `qa-bot ask` on a built index never imports torch."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from qa_bot.embedder import MODEL_MAX_TOKENS, OnnxEmbedder, TorchEmbedder
from qa_bot.engine import Engine
from qa_bot.index.onnx_export import index_export

from conftest import REPO, SEED

UNICODE = [
    "Ça coûte 5 € à Zürich, naïve café façade.", "Москва и Киев: переговоры.",
    "東京で地震が発生しました。", "北京 上海 广州", "مرحبا بالعالم", "שלום עולם",
    "Emoji 🚀🔥 are fun 👍🏽", "ﬁne ligatures and ½ fractions, ² ³", "Ελληνικά γράμματα αβγ",
    "Tiếng Việt có dấu", "\u200bzero\u200bwidth\u200b", "tab\tseparated\tvalues",
    "ALL CAPS HEADLINE!!!", "mIxEd CaSe WoRdS",
]
PUNCT = ["", " ", "?", "!!!", "...", "—", "()[]{}", "#$%&*@", "a", "I", "42", "3.14159",
         "“quoted” ‘text’", "https://example.com/a?b=c&d=e", "e-mail: x@y.org", "\n\n"]


def varied_texts(n: int = 320, seed: int = 7) -> list[str]:
    """Seed-article sentences and paragraphs, random word salads from 1 to ~600 words
    (well past the 256 word-piece limit), unicode and punctuation oddities."""
    rng = random.Random(seed)
    article = SEED.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in article.split("\n\n") if p.strip()]
    sentences = [s for s in re.split(r"(?<=[.!?”])\s+", article) if s.strip()]
    words = article.split()
    texts = list(UNICODE) + list(PUNCT) + paragraphs + sentences
    while len(texts) < n:
        length = rng.choice([1, 2, 3, 5, 8, 13, 30, 60, 120, 200, 300, 600])
        salad = " ".join(rng.choice(words) for _ in range(length))
        if rng.random() < 0.2:
            salad = salad.upper()
        if rng.random() < 0.2:
            salad += " " + rng.choice(UNICODE)
        texts.append(salad)
    return texts[:n]


@pytest.fixture(scope="module")
def onnx_embedder(seed_engine: Engine) -> OnnxEmbedder:
    entry = seed_engine.generation().manifest["onnx"]
    path = seed_engine.store.root / entry["file"]
    assert index_export(seed_engine.store.root) == path
    return OnnxEmbedder(path)


@pytest.fixture(scope="module")
def both(embedder: TorchEmbedder, onnx_embedder: OnnxEmbedder):
    texts = varied_texts()
    return texts, embedder.encode(texts), onnx_embedder.encode(texts)


def test_texts_cover_the_cases(onnx_embedder: OnnxEmbedder):
    texts = varied_texts()
    counts = [len(e.ids) for e in onnx_embedder.tokenizer.encode_batch(texts)]
    assert len(texts) >= 300
    assert sum(c == MODEL_MAX_TOKENS for c in counts) >= 20  # truncated texts
    assert sum(c <= 8 for c in counts) >= 30  # very short ones
    assert any(not t.isascii() for t in texts) and "" in texts


def test_vectors_agree_per_text(both):
    texts, ref, fast = both
    assert fast.shape == ref.shape == (len(texts), 384) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cos = (ref * fast).sum(axis=1)
    worst = int(np.argmin(cos))
    assert cos[worst] >= 0.999, f"cosine {cos[worst]:.6f} for {texts[worst][:80]!r}"


def test_order_and_batching_do_not_change_vectors(onnx_embedder: OnnxEmbedder, both):
    texts, _, fast = both
    idx = list(range(0, len(texts), 7))[::-1]
    alone = np.stack([onnx_embedder.encode([texts[i]])[0] for i in idx[:12]])
    assert np.allclose(alone, fast[idx[:12]], atol=1e-5)
    assert np.allclose(onnx_embedder.encode([texts[i] for i in idx]), fast[idx], atol=1e-5)
    assert onnx_embedder.encode([]).shape == (0, 384)


def test_same_top10_rankings(both):
    """Every text queries the corpus of all the others: the two paths rank alike."""
    texts, ref, fast = both
    queries = [i for i, t in enumerate(texts) if len(t.split()) <= 30][:60]
    assert len(queries) >= 40
    for q in queries:
        s_ref, s_fast = ref @ ref[q], fast @ fast[q]
        s_ref[q] = s_fast[q] = -np.inf
        top_ref = np.argsort(-s_ref, kind="stable")[:10]
        top_fast = np.argsort(-s_fast, kind="stable")[:10]
        assert top_ref.tolist() == top_fast.tolist(), texts[q][:80]


def test_engine_uses_onnx_when_the_index_has_it(seed_engine: Engine, tmp_path):
    from conftest import make_config

    engine = Engine(seed_engine.cfg)  # default embedder: chosen from the index
    assert isinstance(engine.embedder, OnnxEmbedder)
    answer = engine.ask("Who is North Korea's ambassador to the United Nations?")
    assert answer.citations and "North Korea" in answer.citations[0].title
    empty = Engine(make_config(tmp_path, ["nothing"]))  # no index, no export
    assert isinstance(empty.embedder, TorchEmbedder)


def test_cli_ask_does_not_import_torch(seed_engine: Engine):
    """`qa-bot ask` in a fresh interpreter answers from the built index with torch and
    sentence-transformers absent from the imported modules."""
    driver = (
        "import sys, json\n"
        "from qa_bot.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'sentence_transformers', 'transformers'))\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy}), file=sys.stderr)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-c", driver, "--index-dir", str(seed_engine.store.root), "ask",
         "--json", "Who is North Korea's ambassador to the United Nations?"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report == {"rc": 0, "heavy": []}, proc.stderr
    assert json.loads(proc.stdout)["citations"]


def test_a_failed_export_falls_back_to_sentence_transformers(tmp_path, make_engine,
                                                             monkeypatch):
    """A corrupt copy in the machine cache: the build warns, indexes without the export,
    and questions go through sentence-transformers."""
    import shutil

    from conftest import make_config
    from qa_bot.index.onnx_export import export_file

    cache = tmp_path / "machine-cache"
    name = export_file(tmp_path).name
    cache.mkdir()
    (cache / name).write_bytes(b"not a model")
    (cache / name).with_suffix(".json").write_text(json.dumps({"sha256": "0" * 64}))
    monkeypatch.setenv("QA_BOT_CACHE", str(cache))
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    cfg = make_config(tmp_path, ["corpus"])
    make_engine(cfg).sync(progress=False)
    engine = Engine(cfg)
    assert engine.generation().manifest["onnx"] is None
    assert index_export(engine.store.root) is None
    assert isinstance(engine.embedder, TorchEmbedder)
    assert engine.ask("Who is North Korea's ambassador to the United Nations?").citations
