"""Parse mail in a forked worker process while the caller reads and stores.

parse_message is pure Python (GIL-bound), so a thread only overlaps it with SQLite's C
code; a worker process runs it truly in parallel with the reading/splitting and the
store's writes. Ordered, bounded (a few chunks in flight, never the whole source), and
an error (ScrapeError for a bad message) is raised in the caller at that message.
Only raw bytes and their origin go to the worker; the Message comes back without its
raw (the caller still holds it), so nothing big is pickled twice.

Falls back to parsing in a background thread (scraper.prefetch) where fork is not the
safe default (not Linux) or with one CPU.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from collections import deque
from typing import Iterable, Iterator

from scraper.errors import ScrapeError
from scraper.mail import parse_message
from scraper.model import Message
from scraper.prefetch import prefetch


def _parse_chunk(items: list[tuple[bytes, str]], lenient: bool = False
                 ) -> tuple[list[Message | ScrapeError], BaseException | None]:
    out: list = []
    for raw, origin in items:
        try:
            msg = parse_message(raw, origin)
        except ScrapeError as exc:
            if not lenient:  # handed to the caller, after the messages before it
                return out, exc
            out.append(exc)
            continue
        except Exception as exc:
            return out, exc
        out.append(dataclasses.replace(msg, raw=b""))
    return out, None


def _usable() -> bool:
    return sys.platform == "linux" and (os.cpu_count() or 1) > 1


def _serial(items: Iterable[tuple[bytes, str]], lenient: bool = False) -> Iterator[Message | ScrapeError]:
    for raw, origin in items:
        if not lenient:
            yield parse_message(raw, origin)
            continue
        try:
            yield parse_message(raw, origin)
        except ScrapeError as exc:
            yield exc


def parse_in_thread(items: Iterable[tuple[bytes, str]], lenient: bool = False) -> Iterator[Message | ScrapeError]:
    """Parse in a background thread (overlaps only the caller's C work, e.g. SQLite).
    lenient: a message that is no mail is yielded as its ScrapeError, in its place,
    instead of raised (the caller skips it and goes on)."""
    return prefetch(_serial(items, lenient))


class ParallelParser:
    """Create before any thread starts (it forks); then .parse(items) once."""

    def __init__(self, chunk: int = 64, window: int = 8):
        self.chunk, self.window = chunk, window
        self.pool = None
        if _usable():
            import multiprocessing

            self.pool = multiprocessing.get_context("fork").Pool(1)

    def parse(self, items: Iterable[tuple[bytes, str]], lenient: bool = False) -> Iterator[Message | ScrapeError]:
        """lenient: as for parse_in_thread."""
        if self.pool is None:
            yield from parse_in_thread(items, lenient)
            return
        try:
            pending: deque = deque()
            batch: list[tuple[bytes, str]] = []

            def submit():
                pending.append(([raw for raw, _ in batch],
                                self.pool.apply_async(_parse_chunk, (batch, lenient))))

            def drain(keep: int):
                while len(pending) > keep:
                    raws, result = pending.popleft()
                    msgs, error = result.get()
                    for raw, msg in zip(raws, msgs):
                        yield msg if isinstance(msg, ScrapeError) else dataclasses.replace(msg, raw=raw)
                    if error is not None:
                        raise error

            for item in items:
                batch.append(item)
                if len(batch) >= self.chunk:
                    submit()
                    batch = []
                    yield from drain(self.window)
            if batch:
                submit()
            yield from drain(0)
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
