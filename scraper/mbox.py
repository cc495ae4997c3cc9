"""Streaming mbox / mbox.gz reader: one message in memory at a time."""
from __future__ import annotations

import gzip
import io
import zlib
import re
from pathlib import Path
from typing import Iterator

from scraper.errors import ScrapeError
from scraper.mail import parse_message
from scraper.model import Message

_FROM_LINE = re.compile(rb"^From \S+")
_MBOXRD_QUOTED = re.compile(rb"^>+From ")


def _open(path: Path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_raw_mbox(path: str | Path) -> Iterator[bytes]:
    """Yield each message's bytes, without the mbox 'From ' separator line.

    mboxrd quoting (">From " inside bodies) is undone so the bytes match what the
    archive received.
    """
    path = Path(path)
    if not path.exists():
        raise ScrapeError(f"{path}: no such file")
    if path.is_dir():
        raise ScrapeError(f"{path}: is a directory, not an mbox")
    try:
        with _open(path) as fh:
            yield from _iter_lines(fh, str(path))
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ScrapeError(f"{path}: cannot read: {exc}") from None


def iter_raw_mbox_bytes(data: bytes, name: str = "mbox") -> Iterator[bytes]:
    """Same as iter_raw_mbox for an mbox already in memory (e.g. a fetched t.mbox.gz)."""
    yield from _iter_lines(io.BytesIO(data), name)


_CHUNK = 1 << 20
_CANDIDATE = re.compile(rb"^From \S", re.M)  # a separator if the line before it is blank
_QUOTED = re.compile(rb"^>(?=>*From )", re.M)
_NOT_BLANK = re.compile(rb"[^ \t\r\n\x0b\x0c]")
_WS = b" \t\n\r\x0b\x0c"  # what \\S excludes


def _iter_lines(fh, name: str) -> Iterator[bytes]:
    """Split an mbox read in chunks (regex search, no per-line Python loop).

    A message starts at a line matching ``From \\S`` that is the first non-blank line
    of the file or follows a line that is exactly ``\\n`` / ``\\r\\n``; its bytes are the
    lines after that ``From `` line, mboxrd ``>From `` unquoted, minus the one blank line
    that separates it from the next message.
    """
    buf = b""
    base = 0  # offset in buf of the current message's "From " line
    eof = False

    def more() -> int:
        """Read a chunk, dropping what lies before `base`; → how far buf shifted."""
        nonlocal buf, base, eof
        data = fh.read(_CHUNK)
        shift = base
        buf = buf[base:] + data if data else buf[base:]
        base = 0
        eof = not data
        return shift

    # Before the first message: only whitespace-only lines; then a "From " line.
    while True:
        m = _NOT_BLANK.search(buf)
        if m is None:
            if eof:
                return
            more()
            continue
        if len(buf) - m.start() < 6 and not eof:
            more()
            continue
        break
    base = m.start()
    if buf.rfind(b"\n", 0, base) + 1 != base or not _CANDIDATE.match(buf, base):
        raise ScrapeError(f"{name}: not an mbox (no 'From ' line before the first message)")
    while True:
        # buf[base:] starts with a message's "From " line
        nl = buf.find(b"\n", base)
        while nl < 0 and not eof:
            more()
            nl = buf.find(b"\n", base)
        if nl < 0:  # the file ends on the "From " line: an empty message
            yield b""
            return
        body = nl + 1
        pos = body
        while True:
            sep = None
            i = buf.find(b"\nFrom ", pos - 1)
            while i >= 0:
                p = i + 1  # a line starting "From ": a separator after a blank line, if "From \\S"
                if ((buf[p - 2:p] == b"\n\n" or buf[p - 3:p] == b"\n\r\n")
                        and p + 5 < len(buf) and buf[p + 5] not in _WS):
                    sep = p
                    break
                i = buf.find(b"\nFrom ", p)
            if sep is not None:
                break
            if eof:
                sep = len(buf)
                break
            pos = max(body, len(buf) - 8)
            shift = more()
            body -= shift
            pos -= shift
        yield _finish(buf[body:sep])
        if sep >= len(buf):
            return
        base = sep


def _finish(message: bytes) -> bytes:
    # The separator's preceding blank line belongs to the mbox, not the message.
    if message in (b"\n", b"\r\n"):
        message = b""
    elif message.endswith(b"\n\n"):
        message = message[:-1]
    elif message.endswith(b"\n\r\n"):
        message = message[:-2]
    if b">From " in message:
        message = _QUOTED.sub(b"", message)
    return message


def iter_mbox_raws(path: str | Path) -> Iterator[tuple[bytes, str]]:
    """(raw bytes, origin) of every message; an mbox with none raises ScrapeError."""
    path = Path(path)
    count = 0
    for index, raw in enumerate(iter_raw_mbox(path)):
        count += 1
        yield raw, f"mbox:{path}#{index}"
    if count == 0:
        raise ScrapeError(f"{path}: no messages found (empty or not an mbox)")


def iter_mbox(path: str | Path) -> Iterator[Message]:
    """Yield parsed messages; a message that cannot be parsed raises ScrapeError."""
    for raw, origin in iter_mbox_raws(path):
        yield parse_message(raw, origin=origin)
