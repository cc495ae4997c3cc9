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


def _iter_lines(fh, name: str) -> Iterator[bytes]:
    current: list[bytes] | None = None
    prev_blank = True
    for line in fh:
        if prev_blank and _FROM_LINE.match(line):
            if current is not None:
                yield _finish(current)
            current = []
            prev_blank = False
            continue
        if current is None:
            if line.strip():
                raise ScrapeError(f"{name}: not an mbox (no 'From ' line before the first message)")
            continue
        if _MBOXRD_QUOTED.match(line):
            line = line[1:]
        current.append(line)
        prev_blank = line in (b"\n", b"\r\n")
    if current is not None:
        yield _finish(current)


def _finish(lines: list[bytes]) -> bytes:
    # The separator's preceding blank line belongs to the mbox, not the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


def iter_mbox(path: str | Path) -> Iterator[Message]:
    """Yield parsed messages; a message that cannot be parsed raises ScrapeError."""
    path = Path(path)
    count = 0
    for index, raw in enumerate(iter_raw_mbox(path)):
        count += 1
        yield parse_message(raw, origin=f"mbox:{path}#{index}")
    if count == 0:
        raise ScrapeError(f"{path}: no messages found (empty or not an mbox)")


_HDR_MID = re.compile(rb"^Message-I[dD]:[ \t]*<?[^\s<>]", re.M | re.I)


def check_raw(raw: bytes, origin: str) -> None:
    """Cheap check that raw bytes are a mail with a Message-ID (what parse_message requires)."""
    head = raw.split(b"\n\n", 1)[0]
    if _HDR_MID.search(head):
        return
    parse_message(raw, origin)  # raises ScrapeError with the precise reason
    # (parse_message may still accept it, e.g. a folded header: fine)


def validate_mbox(path: str | Path) -> int:
    """Read the whole mbox once, checking every message, without keeping any. → count."""
    count = 0
    for index, raw in enumerate(iter_raw_mbox(path)):
        check_raw(raw, f"mbox:{path}#{index}")
        count += 1
    if count == 0:
        raise ScrapeError(f"{path}: no messages found (empty or not an mbox)")
    return count
