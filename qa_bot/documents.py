"""Files -> Documents. A Document keeps the decoded text of its file and the character
span of every paragraph in it: `doc.text[p.start:p.end]` is the paragraph, verbatim."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_bot.errors import DocumentError, InputError

MAX_HEADING_WORDS = 10
MAX_HEADING_CHARS = 80
MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based among the document's body paragraphs
    start: int
    end: int
    section: str = ""
    page: int | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str
    source: str  # the path as shown to users (relative to the cwd when inside it)
    title: str
    text: str  # what offsets refer to: the decoded file (or the extracted text)
    paragraphs: tuple[Paragraph, ...]
    content_hash: str  # sha256 of the file's bytes
    topic: str = ""


def display_path(path: Path | str) -> str:
    """The path relative to the cwd when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.path.join(os.getcwd(), "")
    return absolute[len(cwd):] if absolute.startswith(cwd) else absolute


def doc_id_for(path: Path) -> str:
    return hashlib.sha1(os.path.abspath(path).encode("utf-8")).hexdigest()[:12]


def _blocks(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the runs of non-blank lines in text[start:end], trimmed of white space."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    block_start: int | None = None
    block_end = start
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        line = text[pos:line_end]
        if line.strip():
            if block_start is None:
                block_start = pos + (len(line) - len(line.lstrip()))
            block_end = pos + len(line.rstrip())
        elif block_start is not None:
            spans.append((block_start, block_end))
            block_start = None
        pos = line_end + 1
    if block_start is not None:
        spans.append((block_start, block_end))
    return spans


def is_heading(line: str) -> bool:
    """A short ALL-CAPS line; a long upper-case line is wire copy, i.e. a paragraph."""
    s = line.strip()
    return (
        "\n" not in s
        and any(c.isalpha() for c in s)
        and s == s.upper()
        and len(s) <= MAX_HEADING_CHARS
        and len(s.split()) <= MAX_HEADING_WORDS
        and not s.endswith((".", ",", ";"))
    )


def _is_topic_label(block: str) -> bool:
    s = block.strip()
    return "\n" not in s and 0 < len(s) <= 30 and len(s.split()) <= 3 and s == s.lower() \
        and not s.endswith((".", "?", "!"))


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip() or path.name


def parse_text(text: str, path: Path) -> tuple[str, str, list[Paragraph]]:
    """(topic, title, paragraphs) of a plain-text article (see README: document shape)."""
    blocks = _blocks(text)
    topic = ""
    title = ""
    if len(blocks) >= 3 and _is_topic_label(text[slice(*blocks[0])]) \
            and "\n" not in text[slice(*blocks[1])]:
        topic = text[slice(*blocks[0])]
        title = text[slice(*blocks[1])]
        blocks = blocks[2:]
    elif len(blocks) >= 2 and "\n" not in text[slice(*blocks[0])] \
            and len(text[slice(*blocks[0])]) <= MAX_TITLE_CHARS:
        title = text[slice(*blocks[0])]
        blocks = blocks[1:]
    else:
        title = _title_from_name(path)
    paragraphs: list[Paragraph] = []
    section = ""
    for start, end in blocks:
        if is_heading(text[start:end]):
            section = text[start:end]
            continue
        paragraphs.append(Paragraph(len(paragraphs) + 1, start, end, section))
    return topic, title, paragraphs


_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)


def parse_markdown(text: str, path: Path) -> tuple[str, str, list[Paragraph]]:
    """`#` headings are sections; a first-level heading before any paragraph is the title."""
    title = ""
    section = ""
    paragraphs: list[Paragraph] = []
    pos = 0
    headings = list(_MD_HEADING.finditer(text))
    spans = [(m.start(), m.end(), m) for m in headings] + [(len(text), len(text), None)]
    for h_start, h_end, match in spans:
        for start, end in _blocks(text, pos, h_start):
            paragraphs.append(Paragraph(len(paragraphs) + 1, start, end, section))
        if match is not None:
            heading = match.group(2).strip()
            if not title and not paragraphs and len(match.group(1)) == 1:
                title = heading
            else:
                section = heading
        pos = h_end
    return "", title or _title_from_name(path), paragraphs


@dataclass(frozen=True)
class Parsed:
    """What a loader extracts from a file; paragraph offsets refer to `text`."""

    text: str
    topic: str
    title: str
    paragraphs: list[Paragraph]


def load_txt(raw: bytes, path: Path) -> Parsed:
    text = decode(raw, display_path(path))
    return Parsed(text, *parse_text(text, path))


def load_md(raw: bytes, path: Path) -> Parsed:
    text = decode(raw, display_path(path))
    return Parsed(text, *parse_markdown(text, path))


Loader = Callable[[bytes, Path], Parsed]
LOADERS: dict[str, Loader] = {".txt": load_txt, ".md": load_md}


def _register_formats() -> None:
    from qa_bot.formats import load_html, load_pdf

    LOADERS.update({".html": load_html, ".htm": load_html, ".pdf": load_pdf})


def decode(raw: bytes, source: str) -> str:
    if not raw.strip():
        raise DocumentError(f"{source}: empty file, skipped")
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{source}: binary file, skipped")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{source}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}), skipped"
        ) from None


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
    files: list[Path]
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
    found: dict[Path, None] = {}
    skipped: list[str] = []
    roots = [os.path.realpath(p) for p in paths]
    excluded = set()
    for d in exclude:
        with contextlib.suppress(OSError):
            st = os.stat(d)
            excluded.add((st.st_dev, st.st_ino))

    def take(p: Path, mode: int) -> None:
        if not stat.S_ISREG(mode):
            skipped.append(f"{display_path(p)}: not a regular file ({_kind(mode)}), skipped")
        elif p.suffix.lower() in LOADERS:
            found[p.absolute()] = None
        else:
            skipped.append(f"{display_path(p)}: unsupported file type, skipped")

    for given in paths:
        try:
            st = os.stat(given)
        except OSError:
            raise InputError(f"{display_path(given)}: no such file or directory") from None
        if not stat.S_ISDIR(st.st_mode):
            take(given, st.st_mode)
            continue
        seen_dirs: set[tuple[int, int]] = set()
        stack = [given]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
                if (st.st_dev, st.st_ino) in excluded:
                    continue
                if (st.st_dev, st.st_ino) in seen_dirs:
                    skipped.append(f"{display_path(folder)}: directory loop, skipped")
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                skipped.append(f"{display_path(folder)}: cannot list ({exc.strerror}), skipped")
                continue
            subdirs: list[Path] = []
            for e in entries:
                if e.name.startswith("."):
                    continue
                p = Path(folder, e.name)
                try:
                    if e.is_symlink():
                        target = os.path.realpath(p)
                        mode = os.stat(p).st_mode  # FileNotFoundError: broken link
                        if not follow_symlinks and not _inside(target, roots):
                            skipped.append(
                                f"{display_path(p)}: symbolic link out of the corpus paths "
                                f"(to {target}), skipped; [corpus] follow_symlinks = true "
                                f"follows it")
                            continue
                    else:
                        mode = e.stat(follow_symlinks=False).st_mode
                except FileNotFoundError:
                    skipped.append(f"{display_path(p)}: symbolic link to a file that vanished "
                                   f"or never was, skipped")
                    continue
                except OSError as exc:
                    skipped.append(f"{display_path(p)}: cannot read ({exc.strerror}), skipped")
                    continue
                if stat.S_ISDIR(mode):
                    subdirs.append(p)
                else:
                    take(p, mode)
            stack.extend(reversed(subdirs))
    return Discovery(sorted(found), skipped)


_register_formats()
