"""Files of the index: the one atomic writer, fsyncs, checksums and the crash hook.

A file is written whole to a temp name, fsynced and renamed over its final name (then its
folder fsynced): a reader sees the old file or the new one, never a part."""

from __future__ import annotations

import json
import os
import signal
import threading
import zlib
from pathlib import Path

import numpy as np


def crash_point(name: str) -> None:
    """Test hook for crash safety: SIGKILL this very process at the named point of a build
    when QA_BOT_CRASH_AT names it (a real kill, as by the OOM killer or a power cut)."""
    if os.environ.get("QA_BOT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


_NPY_HEADERS = threading.Lock()
_AST_RACE_RETRIES = 3


def open_array(path: Path) -> np.ndarray:
    """A stored .npy file, memory-mapped read-only. np.load parses its header with
    ast.literal_eval, which CPython 3.11 can fail with a SystemError ("AST constructor
    recursion depth mismatch", python/cpython#106905) while another thread builds an AST
    too (another engine loading a generation, a module compiled on first import): a sound
    index would be called corrupt. Headers are read one at a time, and a header that hit
    the race is read again (the data is mapped, not read: both cost microseconds)."""
    for _ in range(_AST_RACE_RETRIES - 1):
        try:
            with _NPY_HEADERS:
                return np.load(path, mmap_mode="r")
        except SystemError:
            continue
    with _NPY_HEADERS:
        return np.load(path, mmap_mode="r")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomic(tmp: Path, path: Path) -> None:
    """fsync the finished file `tmp`, rename it over `path`, fsync the folder."""
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes, tmp: Path | None = None, mode: int = 0o644) -> None:
    """Write `data` to `tmp` (default `.NAME.tmp` beside `path`), then replace_atomic.
    Callers inside an index hold its lock, so the fixed temp name is theirs alone."""
    tmp = tmp or path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # debris of a killed build; O_CREAT keeps an old mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0),
                 mode)
    with open(fd, "wb") as f:
        f.write(data)
    replace_atomic(tmp, path)


def crc32_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return crc


def file_records(folder: Path) -> dict[str, dict]:
    """{"size", "crc32"} of every file below `folder`, by path relative to it."""
    return {p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "crc32": crc32_of(p)}
            for p in sorted(folder.rglob("*")) if p.is_file()}


# A load checks the CRC-32 of every file of a segment of up to this many bytes (the newest
# segments, and every segment of an index of up to some 30,000 chunks); a larger segment
# (a merged one of a big index: reading gigabytes would make every start take seconds) is
# checked by size at a load, and whole when written, when merged and by `index --verify`.
LOAD_CRC_MAX = 256 << 20


def records_size(entry: dict) -> int:
    """The bytes of the files a manifest segment entry records."""
    files = entry.get("files")
    return sum(int(r.get("size") or 0) for r in files.values() if isinstance(r, dict)) \
        if isinstance(files, dict) else 0


def file_problem(folder: Path, manifest: dict, checksums: bool = True) -> str | None:
    """None when every file the manifest's `files` lists is in `folder` with its recorded
    size (and CRC-32, if `checksums`); else one line naming the first file that is not."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return f"{folder}: the manifest records none of its files"
    for rel, record in files.items():
        path = folder / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts or not isinstance(record, dict):
            return f"{folder}: bad file entry {ascii(rel)} in the manifest"
        try:
            size = path.stat().st_size
            if record.get("size") not in (None, size):
                return (f"{path}: {size} bytes where the manifest records {record['size']} "
                        f"(truncated or overwritten)")
            if checksums and record.get("crc32") not in (None, crc32_of(path)):
                return f"{path}: damaged (its CRC-32 is not the one the manifest records)"
        except OSError:
            return f"{path}: missing from the index"
    return None


SELF_CRC = "manifest_crc32"  # the manifest's own checksum, over everything else in it


def _canonical(manifest: dict) -> str:
    rest = {k: v for k, v in manifest.items() if k != SELF_CRC}
    return json.dumps(rest, sort_keys=True, ensure_ascii=False)


def manifest_crc32(manifest: dict) -> int:
    """CRC-32 of the manifest's content without SELF_CRC (canonical JSON: key order and
    whitespace do not count, every value does)."""
    return zlib.crc32(_canonical(manifest).encode("utf-8"))


def sealed(manifest: dict) -> tuple[dict, bytes]:
    """(the manifest with its own CRC-32, its file's bytes): the canonical JSON the CRC is
    taken over, with the CRC added last, so a big manifest is serialised once."""
    body = _canonical(manifest)
    crc = zlib.crc32(body.encode("utf-8"))
    data = f'{body[:-1]}, "{SELF_CRC}": {crc}}}' if body != "{}" else f'{{"{SELF_CRC}": {crc}}}'
    return dict(manifest, **{SELF_CRC: crc}), data.encode("utf-8")


def manifest_intact(manifest: dict) -> bool:
    """True unless the manifest records its CRC-32 and it differs (one written before the
    manifest checked itself is taken as it is)."""
    return SELF_CRC not in manifest or manifest[SELF_CRC] == manifest_crc32(manifest)

