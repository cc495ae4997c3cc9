"""Streaming mbox / mbox.gz reader: one message in memory at a time."""
from __future__ import annotations

import io
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from scraper.errors import ScrapeError

if TYPE_CHECKING:
    from scraper.model import Message


class _Damaged(Exception):
    """The compressed stream ends early or is corrupt; raised by read() only once every byte
    that could be decompressed before the damage has been returned."""


class GzipStream:
    """A gzip file (one or more members) read in chunks, tolerant of damage: unlike gzip.open,
    whose buffered read() loses the data of the call that meets a truncation, every byte that
    decompresses is returned first; then read() raises _Damaged saying where and why. Each
    decompress call is bounded by the bytes asked for, so a small bomb never inflates whole."""

    def __init__(self, path: Path):
        self.fh = open(path, "rb")
        self.size = Path(path).stat().st_size
        self.compressed_read = 0  # compressed bytes read from the file
        self.out = 0  # uncompressed bytes returned
        self._d = zlib.decompressobj(wbits=31)
        self._fresh = True  # the decompressor has been given nothing yet (a member's start)
        self._input = b""  # compressed bytes not yet given to the decompressor
        self._damage: str | None = None

    def _feed(self) -> bytes | None:
        """The next compressed bytes for the decompressor; None at a clean end."""
        if self._d.unconsumed_tail:
            return self._d.unconsumed_tail
        if self._input:
            data, self._input = self._input, b""
            return data
        data = self.fh.read(1 << 16)
        self.compressed_read += len(data)
        if data:
            return data
        if not self._fresh:
            self._damage = (f"truncated gzip: the data ends inside a member after "
                            f"{self.compressed_read:,} compressed bytes")
        return None

    def read(self, n: int) -> bytes:
        chunks, have = [], 0
        while have < n and self._damage is None:
            data = self._feed()
            if data is None:
                break
            if self._fresh:
                stripped = data.lstrip(b"\0")  # zero padding between or after members (gzip allows it)
                if not stripped:
                    continue
                if stripped[:1] != b"\x1f":
                    self._damage = f"not gzip data after {self.compressed_read - len(data):,} compressed bytes"
                    break
                data, self._fresh = stripped, False
            try:
                out = self._d.decompress(data, n - have)
            except zlib.error as exc:
                self._damage = f"corrupt gzip data near compressed byte {self.compressed_read:,} ({exc})"
                break
            if out:
                chunks.append(out)
                have += len(out)
            if self._d.eof:  # a member ended; what follows it may start another
                self._input = self._d.unused_data
                self._d, self._fresh = zlib.decompressobj(wbits=31), True
        if not chunks and self._damage is not None:
            raise _Damaged(self._damage)
        data = b"".join(chunks)
        self.out += len(data)
        return data

    def close(self) -> None:
        self.fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_head(path: Path, n: int = 4096) -> bytes:
    """The first n bytes of a file, decompressed if it is gzip (as much as decompresses,
    for a damaged one); b"" when nothing does."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
        if magic != b"\x1f\x8b":
            probe.seek(0)
            return probe.read(n)
    with GzipStream(path) as gz:
        try:
            return gz.read(n)
        except _Damaged:
            return b""


def gzip_damage(path: Path) -> str:
    """What is wrong with a gzip file from which nothing decompresses."""
    with GzipStream(path) as gz:
        try:
            gz.read(1)
        except _Damaged as exc:
            return str(exc)
    return "it holds no data"


def _open(path: Path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return GzipStream(path)
    return open(path, "rb")


def iter_raw_mbox(path: str | Path, warn=None) -> Iterator[bytes]:
    """Yield each message's bytes, without the mbox 'From ' separator line.

    mboxrd quoting (">From " inside bodies) is undone so the bytes match what the
    archive received. What cannot be read whole (a truncated or corrupt gzip after some
    messages, a message over MAX_MESSAGE_BYTES) is left out and said through
    warn(one line), after the messages before it; without warn it raises ScrapeError
    there. A file of which not one message can be read raises ScrapeError.
    """
    for raw in _iter_path(path, warn):
        if raw is not None:
            yield raw


def _iter_path(path: str | Path, warn) -> Iterator[bytes | None]:
    path = Path(path)
    if not path.exists():
        raise ScrapeError(f"{path}: no such file")
    if path.is_dir():
        raise ScrapeError(f"{path}: is a directory, not an mbox")
    try:
        with _open(path) as fh:
            yield from _iter_lines(fh, str(path), warn)
    except OSError as exc:
        raise ScrapeError(f"{path}: cannot read: {exc}") from None


def iter_raw_mbox_bytes(data: bytes, name: str = "mbox") -> Iterator[bytes]:
    """Same as iter_raw_mbox for an mbox already in memory."""
    yield from iter_raw_mbox_file(io.BytesIO(data), name)


def iter_raw_mbox_file(fh, name: str = "mbox") -> Iterator[bytes]:
    """Same as iter_raw_mbox for an open binary file (anything with .read(n)), e.g. a
    fetched t.mbox.gz inflating as it is read."""
    for raw in _iter_lines(fh, name):
        if raw is not None:
            yield raw


_CHUNK = 1 << 20
# A message bigger than this is left out (with a warning) without being held in memory:
# a gzip bomb or a misplaced binary is not mail anyone sent to a list.
MAX_MESSAGE_BYTES = 64 << 20
_CANDIDATE = re.compile(rb"^From \S", re.M)  # a separator if the line before it is blank
_QUOTED = re.compile(rb"^>(?=>*From )", re.M)
_NOT_BLANK = re.compile(rb"[^ \t\r\n\x0b\x0c]")
_WS = b" \t\n\r\x0b\x0c"  # what \\S excludes
_MSGID_LINE = re.compile(rb"^Message-ID:[ \t]*(<[^<>\s]{1,200}>)", re.I | re.M)


def _iter_lines(fh, name: str, warn=None, max_message: int | None = None) -> Iterator[bytes | None]:
    """Split an mbox read in chunks (regex search, no per-line Python loop).

    A message starts at a line matching ``From \\S`` that is the first non-blank line
    of the file or follows a line that is exactly ``\\n`` / ``\\r\\n``; its bytes are the
    lines after that ``From `` line, mboxrd ``>From `` unquoted, minus the one blank line
    that separates it from the next message. A message over max_message bytes is not kept:
    None is yielded in its place (after warn). The buffer is a bytearray that grows by
    appending, so one big message costs linear time.
    """
    cap = MAX_MESSAGE_BYTES if max_message is None else max_message
    buf = bytearray()
    base = 0  # offset in buf of the current message's "From " line
    eof = False
    damage: str | None = None
    count = 0  # messages yielded (or left out for their size)

    def more(keep: int) -> int:
        """Read a chunk, dropping what lies before `keep`; → how far buf shifted."""
        nonlocal eof, damage
        try:
            data = fh.read(_CHUNK)
        except _Damaged as exc:
            data, damage = b"", str(exc)
        if keep:
            del buf[:keep]
        buf.extend(data)
        eof = not data
        return keep

    def damaged_end() -> None:
        """The source ended in damage: the message being read is cut off."""
        if count == 0:
            raise ScrapeError(f"{name}: cannot read: {damage}")
        read = f"{fh.out:,} uncompressed bytes" if hasattr(fh, "out") else "what was readable"
        mid = _MSGID_LINE.search(buf, base)
        cut = f" {mid.group(1).decode('ascii', 'replace')}" if mid else ""
        text = (f"{name}: {damage}: {count:,} whole messages read ({read}); the last message "
                f"(#{count}{cut}, {len(buf) - base:,} bytes of it), cut off, is left out")
        if warn is None:
            raise ScrapeError(text)
        warn(text)

    # Before the first message: only whitespace-only lines; then a "From " line.
    # Invariant: buf[0] is at the start of a line; whole blank lines are dropped as read.
    scan = 0
    while True:
        m = _NOT_BLANK.search(buf, scan)
        if m is None:
            if eof:
                if damage is not None:
                    damaged_end()
                return
            nl = buf.rfind(b"\n")
            if nl >= 0:
                del buf[:nl + 1]
            scan = len(buf)
            more(0)
            continue
        if len(buf) - m.start() < 6 and not eof:
            scan = m.start()
            more(0)
            continue
        break
    base = m.start()
    if buf.rfind(b"\n", 0, base) + 1 != base or not _CANDIDATE.match(buf, base):
        raise ScrapeError(f"{name}: not an mbox (no 'From ' line before the first message)")
    while True:
        # buf[base:] starts with a message's "From " line
        skipping = False  # over the cap: only looking for its end
        nl = buf.find(b"\n", base)
        while nl < 0 and not eof and len(buf) - base <= cap:
            scan = len(buf) - base  # (the search resumes: a long line costs linear time)
            more(base)
            base = 0
            nl = buf.find(b"\n", scan)
        if nl < 0 and eof:
            if damage is not None:
                damaged_end()
            else:  # the file ends on the "From " line: an empty message
                yield b""
            return
        if nl < 0:
            skipping, body = True, len(buf)
        else:
            body = nl + 1
        pos = body
        size = 0  # bytes of an oversized message already dropped
        while True:
            sep = None
            i = buf.find(b"\nFrom ", max(pos - 1, 0))
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
            if not skipping and len(buf) - base > cap:
                skipping = True
            if skipping:
                # keep the last 16 bytes: a separator may straddle the chunk edge
                keep = max(len(buf) - 16, 0)
                size += keep
                more(keep)
                base = body = 0
                pos = 8
                continue
            pos = max(body, len(buf) - 8)
            shift = more(base)
            base = 0
            body -= shift
            pos -= shift
        if sep >= len(buf) and damage is not None:
            damaged_end()
            return
        if skipping:
            warn_text = (f"{name}: message #{count} is larger than {cap:,} bytes "
                         f"({size + sep:,}): left out")
            if warn is None:
                raise ScrapeError(warn_text)
            warn(warn_text)
            yield None
        else:
            with memoryview(buf) as view:
                raw = bytes(view[body:sep])
            yield _finish(raw)
        count += 1
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


_FROM_LINE = re.compile(rb"^(>*From )", re.M)


def mboxrd_entry(raw: bytes, stamp: str = "Thu Jan  1 00:00:00 1970") -> bytes:
    """One message as an mboxrd entry: a From_ line, every ">*From " line of the message quoted
    with one more '>' (which _finish undoes: a message ending in a newline reads back as it was),
    a final newline if it lacks one, and the blank line that ends the entry."""
    body = _FROM_LINE.sub(rb">\1", raw)
    return f"From mboxrd@z {stamp}\n".encode() + body + (b"" if body.endswith(b"\n") else b"\n") + b"\n"


def write_mboxrd(path: str | Path, raws) -> int:
    """Write the messages to an mboxrd file, whole or not at all (a temporary file beside it,
    renamed over it), with today's date in the From_ lines as b4 mbox does; returns how many."""
    import os
    import time

    stamp = time.asctime(time.gmtime())
    tmp = f"{path}.tmp{os.getpid()}"
    n = 0
    try:
        with open(tmp, "wb") as fh:
            for raw in raws:
                fh.write(mboxrd_entry(raw, stamp))
                n += 1
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n


def iter_mbox_raws(path: str | Path, warn=None) -> Iterator[tuple[bytes, str]]:
    """(raw bytes, origin) of every message; an mbox with none raises ScrapeError. warn: as
    for iter_raw_mbox (a left-out message keeps its number: origins stay those of a whole read)."""
    path = Path(path)
    count = 0
    for index, raw in enumerate(_iter_path(path, warn)):
        count += 1
        if raw is not None:
            yield raw, f"mbox:{path}#{index}"
    if count == 0:
        raise ScrapeError(f"{path}: no messages found (empty or not an mbox)")


def iter_mbox(path: str | Path) -> Iterator[Message]:
    """Yield parsed messages; a message that cannot be parsed raises ScrapeError."""
    from scraper.mail import parse_message  # (the email package: not for a bare split)

    for raw, origin in iter_mbox_raws(path):
        yield parse_message(raw, origin=origin)
