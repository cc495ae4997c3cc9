"""The store's side of `hookdebate debate`: message headers without bodies, bodies by
Message-ID, and full-text candidates (FTS5), so a debate is gathered from the whole stored
archive without loading every body (analysis.debate.Corpus over SQLite)."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from typing import Iterable

from analysis.debate import Corpus
from hookdebate.store import Store
from mailrecords import Message

_TOKEN = re.compile(r"\w+", re.U)


class StoreCorpus(Corpus):
    def __init__(self, store: Store):
        self.store = store
        self._headers: list[Message] | None = None

    def headers(self) -> list[Message]:
        if self._headers is None:
            rows = self.store.db.execute(
                "select message_id, subject, from_name, from_address, date, date_raw, in_reply_to, "
                "[references], origin from messages").fetchall()
            out = []
            for mid, subject, name, addr, date, date_raw, irt, refs, origin in rows:
                out.append(Message(
                    message_id=mid, subject=subject or "", from_name=name or "", from_address=addr or "",
                    date=datetime.fromisoformat(date) if date else None, date_raw=date_raw or "",
                    in_reply_to=irt, references=tuple(json.loads(refs or "[]")), body="", raw=b"",
                    origin=origin or ""))
            self._headers = out
        return self._headers

    def bodies(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            out.update(self.store.db.execute(
                f"select message_id, body from messages where message_id in ({','.join('?' * len(chunk))})",
                chunk).fetchall())
        return out

    def containing(self, phrases: Iterable[str]) -> set[str]:
        """Candidates from the FTS5 index (a phrase query per phrase, OR-ed); a superset of
        the messages whose body holds a phrase (the index also covers subjects, and stems)."""
        terms = []
        for p in dict.fromkeys(phrases):
            toks = _TOKEN.findall(p)
            if toks:
                terms.append('"' + " ".join(toks) + '"')
        out: set[str] = set()
        for start in range(0, len(terms), 200):
            query = " OR ".join(terms[start:start + 200])
            out.update(r[0] for r in self.store.db.execute(
                "select m.message_id from messages_fts f join messages m on m.rowid = f.rowid "
                "where messages_fts match ?", [query]).fetchall())
        return out

    def messages(self, ids: Iterable[str]) -> list[Message]:
        return self.store.messages(ids)


# The postings index in tables (one row per message, per posting and per key of its three
# indexes), so that a debate is gathered by looking up the few rows it reaches (SQL over indexed
# columns) instead of loading the archive's whole index: the report of one thread (its debate
# section) read a 23 MB document of the 42,650-message archive into 187 MB of Python objects.
_POSTINGS_TABLES_SQL = [
    'CREATE TABLE IF NOT EXISTS "debate_heads" ("message_id" TEXT PRIMARY KEY, "seq" INTEGER, "subject" TEXT, '
    '"from_name" TEXT, "from_address" TEXT, "ts" REAL, "parent" TEXT, "unit" TEXT)',
    'CREATE INDEX IF NOT EXISTS "debate_heads_parent" ON "debate_heads" ("parent", "seq")',
    'CREATE TABLE IF NOT EXISTS "debate_postings" ("root" TEXT PRIMARY KEY, "doc" TEXT)',
    'CREATE TABLE IF NOT EXISTS "debate_keys" ("kind" TEXT, "key" TEXT, "seq" INTEGER, "root" TEXT)',
    'CREATE INDEX IF NOT EXISTS "debate_keys_key" ON "debate_keys" ("kind", "key", "seq")',
]
_TABLES_FORMAT = "hookdebate.debate-postings-tables"
_TABLES_VERSION = 1
_INDEXES = ("by_author", "by_title", "by_patch_title")


def postings(store: Store, corpus: StoreCorpus | None = None):
    """The archive's postings (analysis.debate.Postings), kept in the store's postings tables
    and read from there row by row (StoredPostings); rebuilt when messages were added since
    (keyed by the number of messages, the last rowid and the code) or when what is stored is
    not of this format. On a read-only database that lacks them: built in memory."""
    from analysis.debate import Postings

    db = store.db
    key = "{}:{}:{}".format(*db.execute("select count(*), coalesce(max(rowid), 0) from messages").fetchone(),
                            _code_version())
    row = db.conn.execute("select key, doc from debate_index where name = 'postings-tables'").fetchone()
    if row and row[0] == key:
        stored = StoredPostings.open(store, row[1])
        if stored is not None:
            return stored
    result = Postings((corpus or StoreCorpus(store)).headers())
    if store.skip_cache_write("the debate index"):
        return result
    _save_postings(store, key, result)
    return result


def _save_postings(store: Store, key: str, p) -> None:
    """Replace the postings tables with p's rows (one write transaction; the JSON document that
    held the index before, name 'postings', is dropped)."""
    from analysis.output import date_to_json, posting_to_json

    order = {mid: i for i, mid in enumerate(p.parent_of)}
    meta = json.dumps({"format": _TABLES_FORMAT, "version": _TABLES_VERSION, "end": date_to_json(p.end)})
    with store.write("saving the debate index"):
        conn = store.db.conn
        for sql in _POSTINGS_TABLES_SQL:
            conn.execute(sql)
        for table in ("debate_heads", "debate_postings", "debate_keys"):
            conn.execute(f"delete from {table}")
        conn.executemany(
            "insert into debate_heads (message_id, seq, subject, from_name, from_address, ts, parent, unit) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            ((mid, order.get(mid), *head, p.parent_of.get(mid), p.unit_of.get(mid)) for mid, head in p._heads.items()))
        conn.executemany("insert into debate_postings (root, doc) values (?, ?)",
                         ((root, json.dumps(posting_to_json(x), ensure_ascii=False, separators=(",", ":")))
                          for root, x in p.postings.items()))
        conn.executemany("insert into debate_keys (kind, key, seq, root) values (?, ?, ?, ?)",
                         ((name, k, i, x.root) for name in _INDEXES for k, posts in getattr(p, name).items()
                          for i, x in enumerate(posts)))
        conn.execute("delete from debate_index where name = 'postings'")
        conn.execute("insert or replace into debate_index (name, key, doc) values ('postings-tables', ?, ?)", [key, meta])


_MISSING = object()


class _Rows:
    """A read-only mapping whose values are read from the store when first asked for (fetch(key)
    gives the value or _MISSING), each once: what gather() asks of Postings' dicts (get, [], in)."""

    def __init__(self, fetch, default=_MISSING):
        self._fetch, self._default, self._memo = fetch, default, {}

    def _value(self, key):
        try:
            return self._memo[key]
        except KeyError:
            v = self._memo[key] = self._fetch(key)
            return v

    def __getitem__(self, key):
        v = self._value(key)
        if v is _MISSING:
            if self._default is _MISSING:
                raise KeyError(key)
            return self._default()  # the indexes are defaultdict(list) in Postings
        return v

    def get(self, key, default=None):
        v = self._value(key)
        return default if v is _MISSING else v

    def __contains__(self, key) -> bool:
        return self._value(key) is not _MISSING


class StoredPostings:
    """analysis.debate.Postings read from the store's postings tables as gather() asks for them:
    the same postings, heads, parents, units and indexes (the same Posting object each time a
    posting is asked for), without loading the archive's."""

    @classmethod
    def open(cls, store: Store, meta: str):
        from analysis.output import date_from_json

        try:
            doc = json.loads(meta)
            if doc.get("format") != _TABLES_FORMAT or doc.get("version") != _TABLES_VERSION:
                return None
            end = date_from_json(doc["end"])
            store.db.conn.execute("select 1 from debate_heads, debate_postings, debate_keys limit 1")
        except (ValueError, TypeError, KeyError, AttributeError, sqlite3.OperationalError):
            return None
        self = cls()
        conn = store.db.conn
        self.end = end

        def head_row(mid):
            return conn.execute("select subject, from_name, from_address, ts, parent, unit from debate_heads "
                                "where message_id = ?", [mid]).fetchone() or _MISSING

        heads = _Rows(head_row)

        def column(i, absent_if_null=False):
            def fetch(mid):
                r = heads._value(mid)
                return _MISSING if r is _MISSING or (absent_if_null and r[i] is None) else r[i]
            return fetch

        self._heads = _Rows(lambda mid: (lambda r: r if r is _MISSING else tuple(r[:4]))(heads._value(mid)))
        self.parent_of = _Rows(column(4))  # None for a root, as in Postings
        self.unit_of = _Rows(column(5, absent_if_null=True))
        self._children = _Rows(lambda mid: [r[0] for r in conn.execute(
            "select message_id from debate_heads where parent = ? order by seq", [mid])] or _MISSING)

        def posting(root):
            from analysis.output import posting_from_json

            r = conn.execute("select doc from debate_postings where root = ?", [root]).fetchone()
            return _MISSING if r is None else posting_from_json(json.loads(r[0]))

        self.postings = _Rows(posting)
        for name in _INDEXES:
            setattr(self, name, _Rows(lambda k, name=name: [self.postings[r] for (r,) in conn.execute(
                "select root from debate_keys where kind = ? and key = ? order by seq", [name, k])] or _MISSING,
                default=list))
        return self

    def head(self, message_id: str):
        from analysis.debate import Head

        return Head(*self._heads[message_id])

    def posting_of(self, message_id: str):
        unit = self.unit_of.get(message_id)
        return self.postings.get(unit) if unit else None


def _code_version() -> str:
    """The code the postings are made by (hookdebate.pipeline.code_fingerprint of its modules)."""
    from pathlib import Path

    import analysis.debate
    import analysis.subjects
    import analysis.threading
    from hookdebate.pipeline import code_fingerprint

    return code_fingerprint(*(Path(m.__file__) for m in (analysis.debate, analysis.subjects, analysis.threading)))


def quote_candidates(store: Store, text: str, limit: int = 40) -> list[str]:
    """Message-IDs that may hold a quoted passage, from the FTS5 index: all of its longest
    words, then fewer of them until something matches (a quote is often re-wrapped or trimmed,
    never reworded word by word)."""
    words = sorted({w.lower() for w in _TOKEN.findall(text) if len(w) >= 4 and not w.isdigit()}, key=len, reverse=True)
    for n in (8, 6, 4, 3, 2):
        if len(words) < n and n != 2:
            continue
        query = " AND ".join(f'"{w}"' for w in words[:n])
        if not query:
            return []
        rows = store.db.execute(
            "select m.message_id from messages_fts f join messages m on m.rowid = f.rowid "
            "where messages_fts match ? order by rank limit ?", [query, limit]).fetchall()
        if rows:
            return [r[0] for r in rows]
    return []
