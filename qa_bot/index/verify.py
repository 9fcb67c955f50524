"""`qa-bot index --verify`: every problem of the index, one line each naming the file and
the fix (reads only; `qa-bot index --full` repairs what it names)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qa_bot.embedder import MODEL_DIM, MODEL_NAME
from qa_bot.errors import IndexCorruptError, IndexIncompatibleError
from qa_bot.index.cache import EmbeddingCache
from qa_bot.index.files import file_problem
from qa_bot.index.layout import CURRENT, MANIFEST, MARKER, SEGMENTS, cache_path
from qa_bot.index.onnx_export import index_export


def _segment_files(root: Path, manifest: dict) -> list[tuple[Path, str, dict]]:
    """(segment folder, file name, its record) of every file the manifest's segments list."""
    out = []
    for entry in manifest.get("segments") or []:
        if isinstance(entry, dict) and isinstance(entry.get("files"), dict):
            folder = root / SEGMENTS / str(entry.get("name"))
            out.extend((folder, rel, record) for rel, record in entry["files"].items())
    return out


def verify_generation(store, model: str, dim: int) -> list[str]:
    """Every problem of the live generation, one line each (empty: all is well): each
    file's size and CRC-32, then the files parse and agree, every stored text is there
    (a .txt or .md one matching its document's hash) and holds every chunk's text and
    sentences at their offsets."""
    name, why = store.read_pointer()
    problems = [] if name else [f"{store.root / CURRENT}: {why}; run `qa-bot index`"]
    name = store.current_name()
    if name is None:
        return problems + [f"{store.root}: no complete generation; run `qa-bot index --full`"]
    path = store.root / name
    manifest = store.manifest(name)
    if manifest is None:
        return problems + [f"{path / MANIFEST}: unreadable or damaged; run "
                           f"`qa-bot index --full`"]
    damaged = [f"{problem}; run `qa-bot index --full`"
               for folder, rel, record in _segment_files(store.root, manifest)
               if (problem := file_problem(folder, {"files": {rel: record}}))]
    if damaged:
        return problems + damaged
    try:
        gen = store.load_generation(name, model, dim)
    except (IndexCorruptError, IndexIncompatibleError) as exc:
        return problems + [str(exc)]
    texts: dict[str, str | None] = {}
    for doc_id, meta in gen.documents.items():
        file = store.text_path(meta["hash"])
        try:
            raw = file.read_bytes()
            texts[doc_id] = raw.decode("utf-8")
            if Path(meta["path"]).suffix.lower() in (".txt", ".md") \
                    and hashlib.sha256(raw).hexdigest() != meta["hash"]:
                problems.append(f"{file}: not the text of {meta['source']} (its hash "
                                f"differs); run `qa-bot index --full`")
        except (OSError, UnicodeDecodeError) as exc:
            texts[doc_id] = None
            problems.append(f"{file}: the text of {meta['source']} is unreadable "
                            f"({getattr(exc, 'strerror', None) or exc}); run "
                            f"`qa-bot index --full`")
    bad_docs: set[str] = set()
    for c in gen.chunks:
        text = texts.get(c.doc_id)
        if text is None or c.doc_id in bad_docs:
            continue
        if text[c.start:c.end] != c.text or not all(
                c.start <= s.start < s.end <= c.end for s in c.sentences):
            bad_docs.add(c.doc_id)
            meta = gen.documents[c.doc_id]
            problems.append(f"{store.text_path(meta['hash'])}: chunk {c.ordinal} of "
                            f"{meta['source']} is not at its offsets in this text; run "
                            f"`qa-bot index --full`")
    return problems


def verify(index_dir: Path) -> list[str]:
    """Every problem of the index, one line each naming the file and the fix (empty: all
    is well): the live generation (see IndexStore.verify), the ONNX export and the
    embedding cache. Reads only; `qa-bot index --full` repairs what it names."""
    from qa_bot.index.store import IndexStore

    store = IndexStore(index_dir, warn=lambda line: None)  # the problems say it all
    problems = store.verify(MODEL_NAME, MODEL_DIM)
    marker = store.marker_problem()
    if marker:
        problems.append(f"{store.root / MARKER}: {marker} (it lists the generations builds "
                        f"made here); run `qa-bot index`")
    name = store.current_name()
    gen_onnx = (store.manifest(name) or {}).get("onnx") if name else None
    if isinstance(gen_onnx, dict) and index_export(store.root) is None:
        problems.append(f"{store.root / gen_onnx['file']}: damaged or missing ONNX export; "
                        f"run `qa-bot index`")
    cache_file = cache_path(store.root)
    if cache_file.is_file():
        problem = EmbeddingCache.check_file(cache_file)
        if problem:
            problems.append(problem)
    return problems


def verified_counts(index_dir: Path) -> dict:
    """What `verify` checked, for its summary line: the live generation's name and its
    numbers of files (its own, plus the stored texts, the ONNX export and the cache),
    documents and chunks."""
    from qa_bot.index.store import IndexStore

    store = IndexStore(index_dir, warn=lambda line: None)
    name = store.current_name()
    manifest = (store.manifest(name) if name else None) or {}
    files = _segment_files(store.root, manifest) + [(store.root, MANIFEST, {})]
    docs = manifest.get("document_count")
    docs = docs if isinstance(docs, int) else 0
    extra = (index_export(store.root) is not None) + (cache_path(store.root)).is_file()
    return {"generation": name, "files": len(files) + docs + extra,
            "documents": docs, "chunks": manifest.get("chunks", 0)}
