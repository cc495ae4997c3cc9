"""The store's thread index: part of the store (the only SQL), kept in its own file.

Threads are computed at ingest, by the same code that threads from scratch
(analysis.split_threads / build_tree), and kept incrementally: a new message is
threaded together with exactly the stored threads its arrival can change, so the
stored index always equals threading every stored message from scratch
(tests/test_thread_index.py checks that on random arrival orders of real mail).

Which stored threads can a batch of new messages change?
- every thread that names (as Message-ID, In-Reply-To or References, present or
  missing) an id the new messages name: they may join or merge;
- every thread holding a message whose subject key is one that a reply without
  reply headers has (analysis.threading's subject join: it joins the one earlier
  thread of its subject, so any message of that subject, and any merge of threads
  holding them, can make or unmake that join), closed under the same rule.
Re-threading the union of those threads and the new messages gives what threading
the whole archive would give for them, since every union threading makes stays
within a thread.

Thread identity is a small integer that never changes while the thread exists: a
thread that grows, gets a late parent (re-rooted), or merges with another keeps the
id of the part that held most of its messages (ties: the older id); a split's
largest part keeps it. Analysis results are cached under that id, so they survive
re-rooting.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Iterable, Iterator

from hookdebate.errors import HookdebateError
from mailrecords import Message

INDEX_VERSION = "1"
_STATE_KEY = "thread_index.version"
_CHUNK = 500

# Columns of a message the index needs (no bodies, no raw bytes).
_HEADER_COLUMNS = "message_id, subject, from_name, from_address, date, in_reply_to, [references]"


class _Header:
    """The header fields of a Message that threading and identity merging read (a Message
    without body and raw bytes, about 3x cheaper to make than the frozen dataclass)."""

    __slots__ = ("message_id", "subject", "from_name", "from_address", "date", "in_reply_to", "references")

    def __init__(self, row):
        mid, subject, from_name, from_address, date, irt, refs = row
        self.message_id, self.subject, self.from_name, self.from_address = (
            mid, subject or "", from_name or "", from_address or "")
        self.date = datetime.fromisoformat(date) if date else None
        self.in_reply_to = irt
        self.references = tuple(json.loads(refs)) if refs and refs != "[]" else ()


_header_message = _Header


def subject_key(subject: str | None) -> str | None:
    """The subject key threading's subject join compares, when specific enough (3+ words)."""
    from analysis.threading import _subject_key

    key = _subject_key(subject)
    return key if len(key.split()) >= 3 else None


def _is_subject_reply(m: Message) -> bool:
    from analysis.threading import _subject_reply

    return _subject_reply(m) is not None


def _named(m: Message) -> set[str]:
    names = {m.message_id, *m.references}
    if m.in_reply_to:
        names.add(m.in_reply_to)
    return names


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_THREAD_INDEX_SQL = [
    """CREATE TABLE IF NOT EXISTS "thread_messages" ("message_id" TEXT PRIMARY KEY, "thread_id" INTEGER,
       "parent_id" TEXT, "position" INTEGER, "skey" TEXT, "sreply" INTEGER)""",
    'CREATE INDEX IF NOT EXISTS "idx_thread_messages_thread_id_position" ON "thread_messages" ("thread_id", "position")',
    'CREATE INDEX IF NOT EXISTS "idx_thread_messages_skey" ON "thread_messages" ("skey")',
    'CREATE TABLE IF NOT EXISTS "thread_names" ("name" TEXT PRIMARY KEY, "thread_id" INTEGER)',
    'CREATE INDEX IF NOT EXISTS "idx_thread_names_thread_id" ON "thread_names" ("thread_id")',
    """CREATE TABLE IF NOT EXISTS "threads" ("thread_id" INTEGER PRIMARY KEY, "root_id" TEXT, "subject" TEXT,
       "messages" INTEGER, "people" INTEGER, "first" TEXT, "last" TEXT, "digest" TEXT)""",
    'CREATE INDEX IF NOT EXISTS "idx_threads_last" ON "threads" ("last")',
    """CREATE TABLE IF NOT EXISTS "thread_people" ("thread_id" INTEGER, "person_id" TEXT, "name" TEXT,
       "addresses" TEXT, "messages" INTEGER, PRIMARY KEY ("thread_id", "person_id"))""",
    # one row per analyzed thread: what the archive-wide commands read
    """CREATE TABLE IF NOT EXISTS "thread_analysis" ("thread_id" INTEGER PRIMARY KEY, "root_id" TEXT,
       "digest" TEXT, "fingerprint" TEXT, "contested" REAL, "sides" TEXT)""",
]
_THREAD_INDEX_TABLES = ("thread_messages", "thread_names", "threads", "thread_people", "thread_analysis")


class ThreadIndexMixin:
    """Mixed into Store: the thread index tables and the queries over them."""

    # -- schema -----------------------------------------------------------
    def _ensure_thread_index_schema(self) -> None:
        """The index tables (inside Store's schema transaction; plain SQL, no commit)."""
        for sql in _THREAD_INDEX_SQL:
            self.db.conn.execute(sql)

    def _thread_index_tables_present(self, tables) -> bool:
        return all(name in tables for name in _THREAD_INDEX_TABLES)

    # -- maintenance ------------------------------------------------------
    def thread_index_current(self) -> bool:
        row = self.db.conn.execute("select value from state where key = ?", [_STATE_KEY]).fetchone()
        return row is not None and row[0] == INDEX_VERSION

    def ensure_thread_index(self) -> None:
        """Build the index of a database made before it existed (once)."""
        if not self.thread_index_current():
            self.rebuild_thread_index()

    def rebuild_thread_index(self) -> None:
        conn = self.db.conn
        with self.write("building the thread index"):
            for table in ("thread_messages", "thread_names", "threads", "thread_people"):
                conn.execute(f"delete from [{table}]")
            rows = conn.execute(f"select {_HEADER_COLUMNS} from messages order by date_utc, message_id")
            self._rethread([_header_message(r) for r in rows], old={})
            self._set_state_raw(_STATE_KEY, INDEX_VERSION)

    def _set_state_raw(self, key: str, value: str) -> None:
        self.db.conn.execute("insert or replace into state (key, value) values (?, ?)", [key, value])

    def _index_added(self, new_ids: list[str]) -> None:
        """Thread messages just stored (called inside add_messages' transaction)."""
        if not new_ids:
            return
        conn = self.db.conn
        if not self.thread_index_current():
            # first index of this database (new or made before the index): all of it
            for table in ("thread_messages", "thread_names", "threads", "thread_people"):
                conn.execute(f"delete from [{table}]")
            rows = conn.execute(f"select {_HEADER_COLUMNS} from messages order by date_utc, message_id")
            self._rethread([_header_message(r) for r in rows], old={})
            self._set_state_raw(_STATE_KEY, INDEX_VERSION)
            return
        new = self._headers(new_ids)
        affected = self._affected_threads(new)
        old_ids: dict[str, int] = {}
        for chunk in _chunks(sorted(affected)):
            q = ",".join("?" * len(chunk))
            old_ids.update(conn.execute(
                f"select message_id, thread_id from thread_messages where thread_id in ({q})", chunk))
        msgs = self._headers(list(old_ids)) + new
        # the order store.messages() gives (date_utc, message_id): threading from scratch reads that
        msgs.sort(key=lambda m: (_utc(m) if m.date else "", m.message_id))
        self._rethread(msgs, old=old_ids, affected=affected)

    def _headers(self, ids: list[str]) -> list[Message]:
        out = []
        for chunk in _chunks(ids):
            q = ",".join("?" * len(chunk))
            out.extend(_header_message(r) for r in self.db.conn.execute(
                f"select {_HEADER_COLUMNS} from messages where message_id in ({q})", chunk))
        return out

    def _affected_threads(self, new: list[Message]) -> set[int]:
        conn = self.db.conn
        affected: set[int] = set()
        names = sorted(set().union(*(_named(m) for m in new)))
        for chunk in _chunks(names):
            q = ",".join("?" * len(chunk))
            affected.update(r[0] for r in conn.execute(
                f"select distinct thread_id from thread_names where name in ({q})", chunk))
        # subject joins: keys that some reply without reply headers has (stored or new)
        new_keys = {subject_key(m.subject) for m in new} - {None}
        new_reply_keys = {subject_key(m.subject) for m in new if _is_subject_reply(m)} - {None}
        reply_keys = {r[0] for r in conn.execute(
            "select distinct skey from thread_messages where sreply = 1 and skey is not null")}
        reply_keys |= new_reply_keys
        keys = new_keys & reply_keys
        done_keys: set[str] = set()
        done_threads: set[int] = set()
        while True:
            todo_keys = sorted(keys - done_keys)
            for chunk in _chunks(todo_keys):
                q = ",".join("?" * len(chunk))
                affected.update(r[0] for r in conn.execute(
                    f"select distinct thread_id from thread_messages where skey in ({q})", chunk))
            done_keys |= set(todo_keys)
            todo_threads = sorted(affected - done_threads)
            done_threads |= set(todo_threads)
            more: set[str] = set()
            for chunk in _chunks(todo_threads):
                q = ",".join("?" * len(chunk))
                more.update(r[0] for r in conn.execute(
                    f"select distinct skey from thread_messages where thread_id in ({q}) "
                    "and skey is not null", chunk))
            more = (more & reply_keys) - done_keys
            if not more:
                return affected
            keys |= more

    def _rethread(self, msgs: list[Message], old: dict[str, int], affected: Iterable[int] = ()) -> None:
        """Thread msgs (a union of whole stored threads and new messages) from scratch and
        replace those threads' rows. old: message_id -> its thread id before."""
        from analysis import build_tree, merge_identities, split_threads

        conn = self.db.conn
        groups = split_threads(msgs)
        # stable identity: each old id goes to the group holding most of its messages
        claims = []
        for gi, group in enumerate(groups):
            counts: dict[int, int] = {}
            for m in group:
                tid = old.get(m.message_id)
                if tid is not None:
                    counts[tid] = counts.get(tid, 0) + 1
            claims.extend((-n, tid, gi) for tid, n in counts.items())
        claims.sort()
        group_tid: dict[int, int] = {}
        used: set[int] = set()
        for _, tid, gi in claims:
            if gi not in group_tid and tid not in used:
                group_tid[gi] = tid
                used.add(tid)
        next_id = (conn.execute("select coalesce(max(thread_id), 0) from threads").fetchone()[0] or 0) + 1
        gone = set(affected) - used
        for chunk in _chunks(sorted(set(affected))):
            q = ",".join("?" * len(chunk))
            for table in ("thread_messages", "thread_names", "threads", "thread_people"):
                conn.execute(f"delete from [{table}] where thread_id in ({q})", chunk)
        for chunk in _chunks(sorted(gone)):
            q = ",".join("?" * len(chunk))
            conn.execute(f"delete from thread_analysis where thread_id in ({q})", chunk)
        tm_rows, name_rows, thread_rows, people_rows = [], [], [], []
        for gi, group in enumerate(groups):
            tid = group_tid.get(gi)
            if tid is None:
                tid, next_id = next_id, next_id + 1
            tree = build_tree(group)
            names: set[str] = set()
            for pos, m in enumerate(group):
                key = subject_key(m.subject)
                tm_rows.append((m.message_id, tid, tree.parent_of.get(m.message_id), pos, key,
                                int(_is_subject_reply(m))))
                names |= _named(m)
            name_rows.extend((n, tid) for n in names)
            people, author_of = merge_identities(group)
            counts: dict[str, int] = {}
            for pid in author_of.values():
                counts[pid] = counts.get(pid, 0) + 1
            people_rows.extend((tid, p.person_id, p.name, json.dumps(list(p.addresses)),
                                counts.get(p.person_id, 0)) for p in people)
            dated = sorted(_utc(m) for m in group if m.date)
            by_id = {m.message_id: m for m in group}
            thread_rows.append((tid, tree.root_id, by_id[tree.root_id].subject, len(group), len(people),
                                dated[0] if dated else None, dated[-1] if dated else None,
                                ids_digest(m.message_id for m in group)))
        conn.executemany("insert into thread_messages (message_id, thread_id, parent_id, position, skey, "
                         "sreply) values (?, ?, ?, ?, ?, ?)", tm_rows)
        # a name can be named by messages of one thread only (threading joins them)
        conn.executemany("insert or replace into thread_names (name, thread_id) values (?, ?)", name_rows)
        conn.executemany("insert into threads (thread_id, root_id, subject, messages, people, first, last, "
                         "digest) values (?, ?, ?, ?, ?, ?, ?, ?)", thread_rows)
        conn.executemany("insert into thread_people (thread_id, person_id, name, addresses, messages) "
                         "values (?, ?, ?, ?, ?)", people_rows)

    # -- reading ----------------------------------------------------------
    def thread_id_of(self, message_id: str) -> int | None:
        self.ensure_thread_index()
        row = self.db.conn.execute("select thread_id from thread_messages where message_id = ?",
                                   [message_id]).fetchone()
        return row[0] if row else None

    def thread_message_ids(self, thread_id: int) -> list[str]:
        """The thread's Message-IDs in tree order (as split_threads gives them)."""
        return [r[0] for r in self.db.conn.execute(
            "select message_id from thread_messages where thread_id = ? order by position", [thread_id])]

    def thread_messages(self, thread_id: int) -> list[Message]:
        """The thread's messages (whole), in tree order."""
        from hookdebate.store import _message_from_row

        cur = self.db.conn.execute(
            "select m.* from thread_messages t join messages m on m.message_id = t.message_id "
            "where t.thread_id = ? order by t.position", [thread_id])
        names = [d[0] for d in cur.description]
        return [_message_from_row(dict(zip(names, row))) for row in cur]

    def thread_info(self, thread_id: int) -> dict | None:
        row = self.db.conn.execute(
            "select thread_id, root_id, subject, messages, people, first, last, digest from threads "
            "where thread_id = ?", [thread_id]).fetchone()
        if row is None:
            return None
        return dict(zip(("id", "root", "subject", "messages", "people", "first", "last", "digest"), row))

    def count_threads(self) -> int:
        self.ensure_thread_index()
        return self.db.conn.execute("select count(*) from threads").fetchone()[0]

    def largest_threads(self, n: int = 3) -> list[dict]:
        self.ensure_thread_index()
        ids = [r[0] for r in self.db.conn.execute(
            "select thread_id from threads order by messages desc, first, thread_id limit ?", [n])]
        return [self.thread_info(t) for t in ids]

    def find_people(self, text: str) -> list[str]:
        """person_ids whose name or an address contains text (case-insensitive)."""
        like = f"%{text.lower()}%"
        return sorted({r[0] for r in self.db.conn.execute(
            "select distinct person_id from thread_people where lower(name) like ? or lower(addresses) like ?",
            [like, like])})

    def list_threads(self, *, since: str | None = None, until: str | None = None,
                     person: str | None = None, subject: str | None = None, min_messages: int = 0,
                     min_people: int = 0, sort: str = "recent", limit: int | None = None,
                     thread_ids: Iterable[int] | None = None) -> list[dict]:
        """Threads as dicts (id, root, subject, messages, people, first, last, contested).
        since/until: UTC ISO strings; a thread is in when it had a message in [since, until).
        person: a name or address fragment (see find_people); an unknown one gives []."""
        self.ensure_thread_index()
        where, params = [], []
        # each filter is one condition on the index's row and its one parameter, applied when given
        for condition, value in (("t.last >= ?", since), ("t.first < ?", until),
                                 ("lower(t.subject) like ?", subject and f"%{subject.lower()}%"),
                                 ("t.messages >= ?", min_messages), ("t.people >= ?", min_people)):
            if value:
                where.append(condition)
                params.append(value)
        if person:
            like = f"%{person.lower()}%"
            where.append("t.thread_id in (select thread_id from thread_people where lower(name) like ? "
                         "or lower(addresses) like ?)")
            params += [like, like]
        if thread_ids is not None:
            ids = sorted(set(thread_ids))
            where.append(f"t.thread_id in ({','.join('?' * len(ids))})" if ids else "0")
            params += ids
        order = {
            "recent": "t.last desc, t.thread_id",
            "size": "t.messages desc, t.last desc, t.thread_id",
            "people": "t.people desc, t.messages desc, t.thread_id",
            "contested": "(a.contested is null), a.contested desc, t.messages desc, t.thread_id",
        }[sort]
        sql = ("select t.thread_id, t.root_id, t.subject, t.messages, t.people, t.first, t.last, "
               "a.contested, a.digest = t.digest, a.sides from threads t "
               "left join thread_analysis a on a.thread_id = t.thread_id")
        if where:
            sql += " where " + " and ".join(where)
        sql += f" order by {order}"
        if limit:
            sql += f" limit {int(limit)}"
        out = []
        for r in self.db.conn.execute(sql, params):
            out.append({"id": r[0], "root": r[1], "subject": r[2], "messages": r[3], "people": r[4],
                        "first": r[5], "last": r[6], "contested": r[7],
                        "analyzed": bool(r[8]) if r[8] is not None else False,
                        "sides": json.loads(r[9]) if r[9] else None})
        return out

    # -- search -------------------------------------------------------------
    def search_messages(self, query, limit: int = 200) -> list[dict]:
        """Messages matching a parsed hookdebate.search.Query, best first (FTS5 rank, or
        newest first without words), each with its thread and a snippet."""
        self.ensure_thread_index()
        conn = self.db.conn
        where, params = [], []
        fts = list(query.fts) + list(query.body_terms)
        for sender in query.senders:
            where.append("(lower(m.from_name) like ? or lower(m.from_address) like ?)")
            params += [f"%{sender}%", f"%{sender}%"]
        if query.message_ids:
            where.append(f"m.message_id in ({','.join('?' * len(query.message_ids))})")
            params += query.message_ids
        if query.since:
            where.append("m.date_utc >= ?")
            params.append(query.since)
        if query.until:
            where.append("m.date_utc < ?")
            params.append(query.until)
        cols = ("m.message_id, m.subject, m.from_name, m.from_address, m.date_utc, tm.thread_id")
        post = bool(query.nq or query.q)
        if fts:
            sql = (f"select {cols}, snippet(messages_fts, 1, '[', ']', '…', 16), "
                   "snippet(messages_fts, 0, '[', ']', '…', 16), " + ("m.body" if post else "null") +
                   " from messages_fts join messages m on m.rowid = messages_fts.rowid "
                   "join thread_messages tm on tm.message_id = m.message_id where messages_fts match ?")
            params = [" AND ".join(f"({x})" for x in fts)] + params
            if where:
                sql += " and " + " and ".join(where)
            sql += " order by messages_fts.rank"
        else:
            sql = (f"select {cols}, null, null, null from messages m "
                   "join thread_messages tm on tm.message_id = m.message_id")
            if where:
                sql += " where " + " and ".join(where)
            sql += " order by m.date_utc desc"
        if not post:
            sql += f" limit {int(limit)}"
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise HookdebateError(f"search: the index cannot answer {query.text!r}: {exc}") from None
        if post:
            rows = self._filter_new_quoted(rows, query, limit)
        out = []
        for r in rows:
            snippet = r[6] if r[6] and "[" in r[6] else (r[7] if r[7] and "[" in r[7] else (r[6] or ""))
            out.append({"message_id": r[0], "subject": r[1], "from": r[2] or r[3], "address": r[3],
                        "date": r[4], "thread": r[5], "snippet": " ".join(snippet.split())})
        return out

    def _filter_new_quoted(self, rows: list, query, limit: int) -> list:
        """Keep the rows whose new text (nq:) / quoted text (q:) match: the candidates' bodies,
        split into the two, in a temporary FTS5 table with the store's own tokenizer."""
        mem = sqlite3.connect(":memory:")
        mem.execute("create virtual table t using fts5(nq, q, tokenize='porter')")
        mem.executemany("insert into t (rowid, nq, q) values (?, ?, ?)",
                        ((i, *_split_quoted(r[8] or "")) for i, r in enumerate(rows)))
        expr = " AND ".join(f"({x})" for x in query.nq + query.q)
        col = 0 if query.nq else 1
        kept = []
        for i, snip in mem.execute(f"select rowid, snippet(t, {col}, '[', ']', '…', 16) from t "
                                   "where t match ? order by rowid", [expr]):
            r = rows[i]
            kept.append((*r[:6], snip, None, None))
            if len(kept) >= limit:
                break
        mem.close()
        return kept

    # -- analysis summaries ------------------------------------------------
    def save_thread_summary(self, thread_id: int, root_id: str, digest: str, fingerprint: str,
                            contested: float | None, sides: dict) -> None:
        """digest: of the thread's Message-IDs (ids_digest); fingerprint: of the analysis code."""
        if self.skip_cache_write("the analysis"):
            return
        with self.write("saving the thread summary"):
            self.db.conn.execute(
                "insert or replace into thread_analysis (thread_id, root_id, digest, fingerprint, contested, "
                "sides) values (?, ?, ?, ?, ?, ?)",
                [thread_id, root_id, digest, fingerprint, contested, json.dumps(sides)])

    def current_summaries(self, fingerprint: str) -> set[int]:
        """Ids of the threads whose stored analysis was made from their present messages by
        this analysis code (what `analyze` skips)."""
        return {r[0] for r in self.db.conn.execute(
            "select a.thread_id from thread_analysis a join threads t using (thread_id) "
            "where a.digest = t.digest and a.fingerprint = ?", [fingerprint])}


def _split_quoted(body: str) -> tuple[str, str]:
    """(new text, quoted text) of a body: quoted lines start with '>' (after blanks)."""
    new, quoted = [], []
    for line in body.split("\n"):
        (quoted if line.lstrip().startswith(">") else new).append(line)
    return "\n".join(new), "\n".join(quoted)


def _utc(m: Message) -> str:
    from datetime import timezone

    from hookdebate.store import utc_sort_key

    d = m.date
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return utc_sort_key(d)


def ids_digest(ids: Iterable[str]) -> str:
    """The identity of a set of messages from their Message-IDs: the analysis cache's digest
    (store.digest_of is this of a list of messages)."""
    import hashlib

    h = hashlib.sha256()
    for mid in sorted(ids):
        h.update(mid.encode() + b"\0")
    return h.hexdigest()
