"""Writing an index directory (callers hold the lock): stored texts, new segments, a new
generation and the switch of CURRENT, the removal of a killed build's debris, of old
generations and of the segments no generation names. Mixed into IndexStore."""

from __future__ import annotations

import contextlib
import os
import shutil

import numpy as np

from qa_bot.chunking import Chunk
from qa_bot.errors import IndexWriteError
from qa_bot.index.doctable import live_entries, read_ids
from qa_bot.index.files import crash_point, fsync_dir, sealed, write_atomic
from qa_bot.index.layout import CURRENT, FORMAT_VERSION, GEN_PREFIX, GEN_TMP, HASH_NAME, \
    MANIFEST, SEG_NAME, SEG_PREFIX, SEG_TMP, SEGMENTS, TEMP_FILES, TEXT_TMP, number_of
from qa_bot.index.segment import write_segment


class Writing:
    """What a build writes (needs IndexStore's root, _opened, read_pointer, manifest,
    text_path, _generation_names, _segment_names, _owned, _ledger, _record)."""

    def put_text(self, content_hash: str, text: str, mode: int = 0o600) -> None:
        """Keep the text a document's offsets refer to (a copy there that differs, i.e. a
        damaged one, is written again); `mode` is the permission bits of its source: the
        copy never grants group or others more than the source does."""
        path = self.text_path(content_hash)
        mode = (mode & 0o066) | 0o600
        data = text.encode("utf-8")
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if same:
            have = path.stat().st_mode & 0o777
            if have & ~mode & 0o066:
                os.chmod(path, have & mode)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, tmp=path.parent / TEXT_TMP, mode=mode)

    def remove_debris(self) -> None:
        """What a killed build left: its temp files (by their fixed names) and, when
        CURRENT names a generation, generations and segments it wrote but never made live
        (newer than the live one and than every segment it names). With CURRENT broken,
        every generation and segment is kept."""
        for rel in TEMP_FILES:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (self.root / rel).unlink()
        shutil.rmtree(self.root / GEN_TMP, ignore_errors=True)
        shutil.rmtree(self.root / SEGMENTS / SEG_TMP, ignore_errors=True)
        live, _ = self.read_pointer()
        if live is None:
            return
        for n in self._generation_names():
            if number_of(n) > number_of(live) and self._owned(n):
                shutil.rmtree(self.root / n, ignore_errors=True)
        manifest = self.manifest(live)
        if manifest is None:
            return
        named = [number_of(str(e.get("name"))) for e in manifest.get("segments", [])
                 if isinstance(e, dict) and SEG_NAME.fullmatch(str(e.get("name")))]
        ledger = self._ledger()
        newer = [n for n in self._segment_names()  # written after the live generation
                 if number_of(n) > max(named, default=0) and n in ledger]
        for n in newer:
            shutil.rmtree(self.root / SEGMENTS / n, ignore_errors=True)
        if newer:
            self._record()

    def _drop_unused_segments(self, manifests: dict[str, dict] | None = None) -> None:
        """Remove the segments builds here made (the ledger lists them) that no generation
        names; nothing when a generation's manifest cannot be read (it may name them)."""
        used: set[str] = set()
        for n in self._generation_names():
            manifest = self.manifest(n, manifests)
            if manifest is None:
                return
            used.update(str(e.get("name")) for e in manifest.get("segments", [])
                        if isinstance(e, dict))
        dropped = [n for n in self._segment_names() if n not in used and n in self._ledger()]
        for n in dropped:
            shutil.rmtree(self.root / SEGMENTS / n, ignore_errors=True)
        if dropped:
            self._record()

    def repair_pointer(self, name: str) -> None:
        """Point CURRENT at `name` (a complete generation) if it does not already."""
        if self.read_pointer()[0] != name:
            write_atomic(self.root / CURRENT, (name + "\n").encode())

    def write_segment(self, chunks: list[Chunk], keys: list[str], vectors: np.ndarray,
                      sentence_vectors: np.ndarray | None, documents: list[dict],
                      private: bool = False, quantizers: list = ()) -> dict:
        """Write a new immutable segment of these rows and the entries of their documents
        (`documents`, see doctable.write_entries), reusing one of `quantizers` (the
        generation's IVF centroids) if it is large; returns its manifest entry {"name",
        "rows", "documents", "deleted", "deleted_docs", "files", "vector_index"}. It is in
        the ledger before it exists, so a killed build's segment is found and removed by
        the next one."""
        names = self._segment_names()
        name = f"{SEG_PREFIX}{number_of(names[-1]) + 1 if names else 1:06d}"
        folder = self.root / SEGMENTS
        folder.mkdir(exist_ok=True)
        tmp = folder / SEG_TMP
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            files, params = write_segment(tmp, chunks, keys, vectors, sentence_vectors,
                                          documents, private, quantizers)
        except (OSError, RuntimeError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            reason = getattr(exc, "strerror", None) or exc
            raise IndexWriteError(f"{self.root}: cannot write the new index ({reason}); "
                                  f"the previous index is intact") from None
        self._record(add={name})
        os.rename(tmp, folder / name)
        fsync_dir(folder)
        crash_point("segment-written")
        return {"name": name, "rows": len(chunks), "documents": len(documents),
                "deleted": [], "deleted_docs": [], "files": files, "vector_index": params}

    def write_generation(self, manifest: dict, private: bool = False) -> str:
        """Write a new generation (its manifest, which names its segments, all written
        before), then point CURRENT at it. Returns its name. Any failure before the rename
        of CURRENT leaves the previous generation live."""
        names = self._generation_names()
        name = f"{GEN_PREFIX}{number_of(names[-1]) + 1 if names else 1:06d}"
        tmp = self.root / GEN_TMP
        shutil.rmtree(tmp, ignore_errors=True)
        manifest, data = sealed(dict(manifest, format=FORMAT_VERSION, generation=name,
                                     files={}))
        try:
            tmp.mkdir(mode=0o700 if private else 0o777)
            write_atomic(tmp / MANIFEST, data, mode=0o600 if private else 0o644)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise IndexWriteError(f"{self.root}: cannot write the new index ({exc.strerror}); "
                                  f"the previous index is intact") from None
        self._record(add={name})  # before it exists: a crash leaves nothing unrecorded
        crash_point("before-rename")
        os.rename(tmp, self.root / name)
        fsync_dir(self.root)
        st = (self.root / name / MANIFEST).stat()
        self._manifests[(name, st.st_ino, st.st_mtime_ns, st.st_size)] = manifest
        crash_point("before-current")
        write_atomic(self.root / CURRENT, (name + "\n").encode())
        crash_point("after-current")
        return name

    def restrict_generations(self) -> None:
        """Every generation folder 0700 and its files 0600: only the owner reads the
        document text they hold (for an index of a source others may not read)."""
        folders = [self.root / n for n in self._generation_names() if self._owned(n)]
        folders += [self.root / SEGMENTS / n for n in self._segment_names()
                    if n in self._ledger()]
        for top in folders:
            for folder, dirs, files in os.walk(top):
                os.chmod(folder, 0o700)
                for f in files:
                    os.chmod(os.path.join(folder, f), 0o600)

    def prune(self, keep: int, manifests: dict[str, dict] | None = None) -> None:
        """Drop all but the newest `keep` generations (the live one counts) among those
        builds here made (see _owned), and the texts of their documents that no remaining
        generation uses. `manifests` (generation name -> manifest) spares re-reading."""
        live, _ = self.read_pointer()
        if live is None:
            return
        owned = [n for n in self._generation_names()
                 if n != live and self._owned(n, manifests)]
        kept = set(owned[::-1][: max(keep - 1, 0)])
        dropped: set[str] = set()
        for n in owned:
            if n not in kept:
                dropped.update(self._hashes(self.manifest(n, manifests)) or ())
                shutil.rmtree(self.root / n, ignore_errors=True)
        if len(kept) < len(owned):
            self._record()  # forgets the ones removed
        used: set[str] = set()
        for n in self._generation_names():
            hashes = self._hashes(self.manifest(n, manifests))
            if hashes is None:
                dropped = set()  # never delete texts a generation may use
            used.update(hashes or ())
        self._drop_unused_segments(manifests)
        for h in dropped - used:
            self.text_path(h).unlink(missing_ok=True)
        names = set(self._generation_names())
        self._gen_hashes = {k: v for k, v in self._gen_hashes.items()
                            if k.split(" ", 1)[0] in names}

    def _hashes(self, manifest: dict | None) -> set[str] | None:
        """Content hashes of a generation's live documents (well-formed ones: they name
        files); none for a manifest that cannot be read (not a generation of ours), None
        when the document ids of a segment it names cannot be read. Generations are
        immutable: each one's set is made once per store."""
        if manifest is None:
            return set()
        key = f"{manifest.get('generation')} {manifest.get('manifest_crc32')}"
        if key in self._gen_hashes:
            return self._gen_hashes[key]
        out: set[str] = set()
        try:
            for entry in manifest.get("segments", []):
                name = str(entry.get("name"))
                ids_key = f"{name} {entry['files']['documents.ids.json'].get('crc32')}"
                if ids_key not in self._ids:  # segments are immutable: read once
                    opened = self._opened.get(name)
                    ids = opened.documents.ids if opened is not None \
                        and opened.records == entry["files"] \
                        else read_ids(self.root / SEGMENTS / name)
                    hashes = [i[2] if HASH_NAME.fullmatch(i[2]) else "" for i in ids]
                    self._ids[ids_key] = (hashes, set(hashes) - {""})
                hashes, every = self._ids[ids_key]
                live = live_entries(entry, len(hashes))
                if live.all():
                    out |= every
                else:
                    out.update(hashes[e] for e in np.flatnonzero(live).tolist())
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return None
        out.discard("")
        self._gen_hashes[key] = out
        return out
