"""The limits of the scraper's network work: named defaults, in one place.

With these defaults every HTTP fault we know of ends within a minute: a server that
accepts and says nothing (idle_seconds), headers or a body dripped a byte a second
(request_seconds), `Retry-After: 100000` (retry_after_seconds: more is an error at
once), a body of gigabytes (response_bytes, counted while it streams), a gzip bomb
(mbox_bytes, counted while it inflates), a server that invents References
(walk_messages), an LWN page with thousands of lore links (article_links).

Change one with `hookdebate ... --http-limit NAME=VALUE` (repeatable) or
`LoreClient(NAME=VALUE)`; sizes take K, M or G (binary units).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from scraper.errors import ScrapeError


@dataclass(frozen=True)
class Limits:
    connect_seconds: float = 10.0
    """to open a connection (TCP and TLS)"""
    idle_seconds: float = 15.0
    """of silence from the server while an answer is awaited or streams"""
    request_seconds: float = 30.0
    """for one request and its whole answer (a socket timeout restarts with every byte)"""
    command_seconds: float = 300.0
    """for all the HTTP of one command (every request, retry and wait)"""
    retries: int = 3
    """retries of one request on 429, 5xx and refused or reset connections"""
    backoff_seconds: float = 0.5
    """first wait between retries (doubled each time) when the server names none"""
    retry_after_seconds: float = 20.0
    """the longest Retry-After honoured; a server asking for more is an error at once"""
    wait_seconds: float = 30.0
    """all retry waits of one command together"""
    min_interval_seconds: float = 0.1
    """between two requests (politeness)"""
    response_bytes: int = 64 << 20
    """one answer's body as received (compressed if it is)"""
    mbox_bytes: int = 128 << 20
    """a thread's or a search's mbox once inflated (a gzip bomb stops here)"""
    page_bytes: int = 8 << 20
    """an LWN page, fetched or saved (bs4 holds its whole tree: ~1 kB per tag)"""
    check_thread_page: int = 1
    """1: compare each thread mbox with the thread's /T/ page, fetched alongside (one request
    more per thread); 0: trust the mbox"""
    walk_messages: int = 200
    """messages fetched one by one (/raw) for one thread when its mbox is unusable"""
    article_links: int = 100
    """distinct mailing-list messages whose threads are fetched for one LWN article"""

    def replace(self, **changes) -> "Limits":
        names = {f.name: f for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise ScrapeError(f"unknown HTTP limit {name!r} (known: {', '.join(names)})")
        return dataclasses.replace(self, **changes)

    def with_overrides(self, items) -> "Limits":
        """NAME=VALUE strings (as given to --http-limit) → a copy with those values."""
        changes = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for item in items or ():
            name, sep, text = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in fields:
                raise ScrapeError(f"--http-limit {item}: expected NAME=VALUE, NAME one of "
                                  f"{', '.join(fields)}")
            changes[name] = _value(fields[name], text.strip(), item)
        return self.replace(**changes)


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMG]i?B?)?$", re.I)


def _value(field, text: str, item: str):
    kind = type(getattr(Limits, field.name))
    try:
        if kind is int:
            m = _SIZE.match(text)
            if not m:
                raise ValueError
            scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[(m.group(2) or "")[:1].lower()]
            value = int(float(m.group(1)) * scale)
        else:
            value = float(text)
    except ValueError:
        raise ScrapeError(f"--http-limit {item}: expected a number") from None
    if value < 0:
        raise ScrapeError(f"--http-limit {item}: must not be negative")
    return value


def describe() -> str:
    """One line per limit: name, default, meaning (for --help and the README)."""
    out = []
    for f in dataclasses.fields(Limits):
        out.append(f"{f.name}={getattr(Limits, f.name)}")
    return ", ".join(out)
