"""lei / public-inbox search syntax, compiled to the store's FTS5 index.

Supported (terms are ANDed, as lei does by default):
  word, "a phrase", word*      subject or body
  s:word  s:"a phrase"         subject
  b:...                        body (new and quoted text)
  nq:...                       new text only (lines not starting with '>')
  q:...                        quoted text only (lines starting with '>')
  f:text                       From: name or address contains text
  m:MSGID                      that message
  d:YYYYMMDD..YYYYMMDD         dated in that range (either end may be left out; d:YYYYMMDD is one day;
                               YYYY-MM-DD works too; UTC)
Words are matched as the index stores them (lower-cased, Porter-stemmed: "hooks" finds "hook").
lei prefixes this index cannot answer (t:, c:, a:, l:, dfn:, ...) are an error, not ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from hookdebate.errors import HookdebateError

SUPPORTED = ("s", "b", "nq", "q", "f", "m", "d")
# other prefixes lei/public-inbox know: refused by name rather than searched as text
UNSUPPORTED = ("t", "c", "a", "tc", "l", "bs", "rt", "dt", "z", "dfn", "dfa", "dfb", "dfhh", "dfctx",
               "dfpre", "dfpost", "dfblob", "patchid", "forpatchid", "changeid", "g", "kw", "L")

_TOKEN = re.compile(r'\s*(?:([A-Za-z]+):)?("([^"]*)"|[^\s"]+|")')


@dataclass
class Query:
    text: str
    fts: list[str] = field(default_factory=list)  # FTS5 expressions over messages_fts (ANDed)
    nq: list[str] = field(default_factory=list)  # FTS5 expressions for the new-text column
    q: list[str] = field(default_factory=list)  # ... for the quoted-text column
    body_terms: list[str] = field(default_factory=list)  # nq/q terms, also required of the body
    senders: list[str] = field(default_factory=list)  # f: fragments
    message_ids: list[str] = field(default_factory=list)
    since: str | None = None  # UTC ISO, inclusive
    until: str | None = None  # UTC ISO, exclusive


def _fts_string(value: str, phrase: bool) -> str:
    """One FTS5 string (a word or a phrase), quoted so that no character is FTS5 syntax."""
    prefix = not phrase and value.endswith("*") and len(value) > 1
    if prefix:
        value = value[:-1]
    words = re.findall(r"\w+", value)
    if not words:
        raise HookdebateError(f"search: {value!r} has no word to search for")
    text = '"' + " ".join(words) + '"'
    return text + " *" if prefix else text


def _day(text: str, query: str):
    try:
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise HookdebateError(f"search: d:{text} in {query!r} is not a date (YYYYMMDD or YYYY-MM-DD)") from None


def parse(text: str) -> Query:
    from hookdebate.archive import day_after, day_start

    if not text or not text.strip():
        raise HookdebateError("search: empty query")
    if text.count('"') % 2:
        raise HookdebateError(f"search: unbalanced quote in {text!r}")
    query = Query(text=text)
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:  # cannot happen with balanced quotes; be safe
            raise HookdebateError(f"search: cannot read {text[pos:]!r}")
        pos = m.end()
        prefix, raw, quoted = m.group(1), m.group(2), m.group(3)
        phrase = quoted is not None
        value = quoted if phrase else raw
        if prefix is not None and prefix not in SUPPORTED:
            if prefix in UNSUPPORTED:
                raise HookdebateError(f"search: {prefix}: is a lei prefix this index cannot answer "
                                      f"(supported: {' '.join(p + ':' for p in SUPPORTED)})")
            value, prefix, phrase = m.group(0).strip(), None, False  # 'http://...', 'CAP_BPF:': text
        if not value.strip():
            raise HookdebateError(f"search: {prefix + ':' if prefix else ''}{raw} has nothing to search for")
        if prefix is None:
            query.fts.append(_fts_string(value, phrase))
        elif prefix == "s":
            query.fts.append("subject : " + _fts_string(value, phrase))
        elif prefix == "b":
            query.fts.append("body : " + _fts_string(value, phrase))
        elif prefix in ("nq", "q"):
            s = _fts_string(value, phrase)
            getattr(query, prefix).append(f"{prefix} : {s}")
            query.body_terms.append("body : " + s)
        elif prefix == "f":
            query.senders.append(value.strip().lower())
        elif prefix == "m":
            query.message_ids.append(value.strip().strip("<>"))
        elif prefix == "d":
            lo, sep, hi = value.partition("..")
            if not sep:
                lo = hi = value
            if not lo and not hi:
                raise HookdebateError(f"search: d:{value} names no date")
            if lo:
                start = _day(lo, text)
                query.since = max(filter(None, (query.since, day_start(start))))
            if hi:
                end = _day(hi, text)
                query.until = min(filter(None, (query.until, day_after(end))))
            if query.since and query.until and query.until <= query.since:
                raise HookdebateError(f"search: d:{value} is an empty range")
    return query


def search(db, text: str, limit: int = 20, hits: int = 200) -> dict:
    """`search --json`'s object (docs/DESIGN.md): the `hits` best matching messages of the query
    `text` in the database `db`, grouped by thread, best first, at most `limit` threads, and the
    hits in them. The query is read before the database is opened (a bad query is its error, not
    the database's). `hookdebate search` is its options and this call."""
    from hookdebate.store import Store

    if limit < 1 or hits < 1:
        raise HookdebateError("--limit and --hits must be 1 or more")
    query = parse(text)
    store = Store(db, create=False)
    for sender in query.senders:
        if not store.find_people(sender):
            raise HookdebateError(f"search: f:{sender}: no stored message is from anyone of that name or address")
    found = store.search_messages(query, limit=hits)
    threads: dict[int, dict] = {}
    for h in found:
        t = threads.get(h["thread"])
        if t is None:
            if len(threads) >= limit:
                continue
            info = store.thread_info(h["thread"])
            t = threads[h["thread"]] = {"id": info["id"], "root": info["root"], "subject": info["subject"],
                                        "messages": info["messages"], "people": info["people"],
                                        "first": info["first"], "last": info["last"], "hits": 0,
                                        "message_ids": []}
        t["hits"] += 1
        t["message_ids"].append(h["message_id"])
    return {"query": query.text, "threads": list(threads.values()),
            "hits": [h for h in found if h["thread"] in threads]}
