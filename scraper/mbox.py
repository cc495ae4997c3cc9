"""Streaming mbox / mbox.gz reader: one message in memory at a time."""
from __future__ import annotations

import gzip
import io
import zlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from scraper.errors import ScrapeError

if TYPE_CHECKING:
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
    """Same as iter_raw_mbox for an mbox already in memory."""
    yield from _iter_lines(io.BytesIO(data), name)


def iter_raw_mbox_file(fh, name: str = "mbox") -> Iterator[bytes]:
    """Same as iter_raw_mbox for an open binary file (anything with .read(n)), e.g. a
    fetched t.mbox.gz inflating as it is read."""
    yield from _iter_lines(fh, name)


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

    Linear in the input, however big one message or line is: the buffer is a bytearray
    that grows in place and loses its front in place, and every search resumes where the
    previous one stopped (a 128 MB message costs what 128 small ones do).
    """
    buf = bytearray()
    base = 0  # offset in buf of the current message's "From " line
    eof = False

    def more() -> int:
        """Read a chunk, dropping what lies before `base`; → how far buf shifted."""
        nonlocal base, eof
        data = fh.read(_CHUNK)
        shift = base
        if base:
            del buf[:base]
        base = 0
        if data:
            buf.extend(data)
        eof = not data
        return shift

    # Before the first message: only whitespace-only lines; then a "From " line.
    # Invariant: buf[0] is at the start of a line.
    scan = 0
    while True:
        m = _NOT_BLANK.search(buf, scan)
        if m is None:
            if eof:
                return
            nl = buf.rfind(b"\n")
            if nl >= 0:
                del buf[:nl + 1]
            scan = len(buf)
            more()
            continue
        if len(buf) - m.start() < 6 and not eof:
            scan = m.start()
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
            scan = len(buf)
            scan -= more()
            nl = buf.find(b"\n", scan)
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
        with memoryview(buf) as view:
            message = bytes(view[body:sep])
        yield _finish(message)
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
    from scraper.mail import parse_message  # (the email package: not for a bare split)

    for raw, origin in iter_mbox_raws(path):
        yield parse_message(raw, origin=origin)
