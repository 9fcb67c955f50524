"""The index directory and everything in it; no other code knows its layout.

store (IndexStore: the pointer, loading, ownership, writing), generation (a manifest of
segments and their deletion marks), segment (one immutable batch of rows, memory-mapped),
merge (merging segments, the tiered policy), cache (embedding cache), lexical (BM25 per
segment, statistics combined at query time), vectors (flat and IVF search), sentences
(sentence vectors), onnx_export (the model's export kept in the index), verify
(`index --verify`), files (the atomic writer and checksums), layout (every name in it)."""

from qa_bot.index.cache import EmbeddingCache, embed_key
from qa_bot.index.generation import Generation
from qa_bot.index.layout import CURRENT, MARKER
from qa_bot.index.store import IndexStore

__all__ = ["CURRENT", "MARKER", "EmbeddingCache", "Generation", "IndexStore", "embed_key"]
