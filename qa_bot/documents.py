"""Files -> Documents. A Document keeps the decoded text of its file and the character
span of every paragraph in it: `doc.text[p.start:p.end]` is the paragraph, verbatim."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_bot.errors import DocumentError, InputError
from qa_bot.formats import load_html, load_pdf
from qa_bot.parsing import Paragraph, Parsed, decode, display_path, is_heading, \
    parse_markdown, parse_text

__all__ = ["Document", "Paragraph", "LOADERS", "content_hash", "discover", "display_path",
           "doc_id_for", "is_heading", "load_document", "read_bytes", "read_file"]


@dataclass(frozen=True)
class Document:
    doc_id: str
    source: str  # the path as shown to users (relative to the cwd when inside it)
    title: str
    text: str  # what offsets refer to: the decoded file (or the extracted text)
    paragraphs: tuple[Paragraph, ...]
    content_hash: str  # sha256 of the file's bytes
    topic: str = ""


def doc_id_for(path: Path | str, normalized: bool = False) -> str:
    """A document's id: from its absolute path (`normalized`: `path` is already that)."""
    name = path if normalized else os.path.abspath(path)
    return hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:12]


def load_txt(raw: bytes, path: Path) -> Parsed:
    text = decode(raw, display_path(path))
    return Parsed(text, *parse_text(text, path))


def load_md(raw: bytes, path: Path) -> Parsed:
    text = decode(raw, display_path(path))
    return Parsed(text, *parse_markdown(text, path))


Loader = Callable[[bytes, Path], Parsed]
LOADERS: dict[str, Loader] = {".txt": load_txt, ".md": load_md, ".html": load_html,
                               ".htm": load_html, ".pdf": load_pdf}


def _limit_error(source: str, size: str, max_bytes: int) -> DocumentError:
    return DocumentError(f"{source}: {size} is over the {max_bytes / 1e6:g} MB limit "
                         f"([corpus] max_file_mb), skipped")


def read_file(path: Path, max_bytes: int | None = None) -> tuple[bytes, int]:
    """(bytes, permission bits) of a regular file, never more than `max_bytes` read:
    anything else (FIFO, device, socket, a file over the limit) is a DocumentError, and
    the open never blocks."""
    source = display_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DocumentError(f"{source}: vanished while reading, skipped") from None
    except OSError as exc:
        raise DocumentError(f"{source}: cannot read ({exc.strerror}), skipped") from None
    with open(fd, "rb") as f:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise DocumentError(f"{source}: not a regular file ({_kind(st.st_mode)}), "
                                    f"skipped")
            if max_bytes is not None and st.st_size > max_bytes:
                raise _limit_error(source, f"{st.st_size / 1e6:.3g} MB", max_bytes)
            raw = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(f"{source}: cannot read ({exc.strerror}), skipped") from None
    if max_bytes is not None and len(raw) > max_bytes:  # grew, or a size that lies
        raise _limit_error(source, "the file", max_bytes)
    return raw, stat.S_IMODE(st.st_mode)


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    return read_file(path, max_bytes)[0]


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def load_document(path: Path, raw: bytes | None = None) -> Document:
    """Parse one file. Raises DocumentError (one line naming the file) when unusable."""
    source = display_path(path)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(f"{source}: unsupported file type {path.suffix or '(none)'}, skipped")
    raw = read_bytes(path) if raw is None else raw
    parsed = loader(raw, path)
    if not parsed.paragraphs:
        raise DocumentError(f"{source}: no paragraphs of text found, skipped")
    return Document(
        doc_id=doc_id_for(path), source=source, title=parsed.title, text=parsed.text,
        paragraphs=tuple(parsed.paragraphs), content_hash=content_hash(raw), topic=parsed.topic,
    )


@dataclass
class Discovery:
    """Invariant: paths[i] (absolute and normalized; strings: a walk of a million files
    builds no Path objects) was found with stats[i] (os.stat, symlinks followed)."""

    paths: list[str]
    stats: list[os.stat_result]
    skipped: list[str]  # one line each: why a file under the given paths was not taken


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a plain file"


def _inside(target: str, roots: list[str]) -> bool:
    return any(target == r or target.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def discover(paths: list[Path], *, follow_symlinks: bool = False,
             exclude: list[Path] = ()) -> Discovery:
    """Supported regular files below `paths`, sorted, each once; nothing is opened.
    Missing paths are an InputError. Skipped, each with one line: hidden files, unknown
    extensions, FIFOs, devices and sockets, broken symlinks, directory loops and (unless
    `follow_symlinks`) symlinks that lead out of `paths`. The `exclude` directories (the
    index itself) are passed over silently."""
    found: dict[str, os.stat_result] = {}
    skipped: list[str] = []
    roots = [os.path.realpath(p) for p in paths]
    excluded = set()
    for d in exclude:
        with contextlib.suppress(OSError):
            st = os.stat(d)
            excluded.add((st.st_dev, st.st_ino))

    def take(p: str, name: str, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            skipped.append(f"{display_path(Path(p))}: not a regular file "
                           f"({_kind(st.st_mode)}), skipped")
        elif os.path.splitext(name)[1].lower() in LOADERS:
            found[p] = st
        else:
            skipped.append(f"{display_path(Path(p))}: unsupported file type, skipped")

    for given in paths:
        try:
            st = os.stat(given)
        except OSError:
            raise InputError(f"{display_path(given)}: no such file or directory") from None
        top = os.path.abspath(given)  # normalized: doc_id_for(p, normalized=True) holds
        if not stat.S_ISDIR(st.st_mode):
            take(top, os.path.basename(top), st)
            continue
        seen_dirs: set[tuple[int, int]] = set()
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
                if (st.st_dev, st.st_ino) in excluded:
                    continue
                if (st.st_dev, st.st_ino) in seen_dirs:
                    skipped.append(f"{display_path(Path(folder))}: directory loop, skipped")
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                entries = list(os.scandir(folder))  # in no order: the files are sorted last
            except OSError as exc:
                skipped.append(f"{display_path(Path(folder))}: cannot list ({exc.strerror}), "
                               f"skipped")
                continue
            subdirs: list[str] = []
            for e in entries:
                if e.name.startswith("."):
                    continue
                p = e.path  # folder + "/" + name, already built
                try:
                    if e.is_symlink():
                        target = os.path.realpath(p)
                        st = os.stat(p)  # FileNotFoundError: broken link
                        if not follow_symlinks and not _inside(target, roots):
                            skipped.append(
                                f"{display_path(Path(p))}: symbolic link out of the corpus "
                                f"paths (to {target}), skipped; [corpus] follow_symlinks = "
                                f"true follows it")
                            continue
                    else:
                        st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    skipped.append(f"{display_path(Path(p))}: symbolic link to a file that "
                                   f"vanished or never was, skipped")
                    continue
                except OSError as exc:
                    skipped.append(f"{display_path(Path(p))}: cannot read ({exc.strerror}), "
                                   f"skipped")
                    continue
                if stat.S_ISDIR(st.st_mode):
                    subdirs.append(p)
                else:
                    take(p, e.name, st)
            stack.extend(sorted(subdirs, reverse=True))
    order = sorted(found, key=lambda p: p.replace(os.sep, "\0"))  # as Path sorts: by part
    return Discovery(order, [found[p] for p in order], skipped)
