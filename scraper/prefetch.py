"""Run an iterator in a background thread, a bounded queue ahead of its consumer.

Parsing (Python) then overlaps with the consumer's SQLite work (C, GIL released).
Exceptions are re-raised in the consumer at the point they happened.
"""
from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


def prefetch(iterable: Iterable[T], maxsize: int = 512, chunk: int = 64) -> Iterator[T]:
    q: queue.Queue = queue.Queue(maxsize=max(1, maxsize // chunk))
    stop = threading.Event()

    def work():
        batch = []
        try:
            for item in iterable:
                batch.append(item)
                if len(batch) >= chunk:
                    while not stop.is_set():
                        try:
                            q.put(("items", batch), timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                    batch = []
            q.put(("items", batch))
            q.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(("items", batch))
            q.put(("error", exc))

    t = threading.Thread(target=work, daemon=True)
    t.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "items":
                yield from value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
