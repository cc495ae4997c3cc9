"""The SQLite store: the only place in hookdebate that talks SQL.

Built on sqlite-utils. Stages hand it frozen dataclasses; it hands the same
dataclasses back. Writes of one call happen in one transaction, so a failed
ingest leaves what was stored before untouched.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable


def _import_sqlite_utils():
    """sqlite-utils imports numpy and pandas when present, only to map their scalar types
    on insert, which hookdebate never inserts; numpy alone is 0.1-0.3 s of every command's
    start-up (matplotlib brings it). Import it with those two hidden."""
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # makes `import numpy` raise ImportError
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            del sys.modules[name]
    return sqlite_utils


sqlite_utils = None  # imported by _LazyDatabase when a command first needs it


class _LazyDatabase:
    """The store's sqlite_utils.Database, made on first use of anything but .conn,
    read-only .execute() and .table_names(): opening one thread from the index needs no
    more, and importing sqlite-utils (click, dateutil, pluggy) is about half of such a
    command's start-up."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._real = None

    def _db(self):
        if self._real is None:
            global sqlite_utils
            if sqlite_utils is None:
                sqlite_utils = _import_sqlite_utils()
            self._real = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._real

    def execute(self, sql: str, parameters=None):
        if sql.lstrip()[:6].lower() != "select":  # writes: sqlite-utils' commit rules
            return self._db().execute(sql, parameters)
        return self.conn.execute(sql, parameters) if parameters is not None else self.conn.execute(sql)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("select name from sqlite_master where type = 'table'")]

    def __getitem__(self, name):
        return self._db()[name]

    def __getattr__(self, name):
        return getattr(self._db(), name)

from hookdebate.errors import HookdebateError
from hookdebate.store_threads import ThreadIndexMixin
from mailrecords import Message

SCHEMA_VERSION = 1

# Message columns that are plain text; tuples are stored as JSON lists.
_TUPLE_COLUMNS = ("references", "to", "cc", "list_ids")


@dataclass(frozen=True)
class IngestResult:
    added: int
    skipped: int  # already stored (same Message-ID)
    duplicates: int = 0  # archive copies of a Message-ID already stored, kept aside


_MESSAGE_COLUMNS = tuple(Message.__dataclass_fields__)


def _message_values(message: Message) -> tuple:
    """The row of `messages` for a message, in _MESSAGE_COLUMNS order + date_utc.

    (dataclasses.asdict deep-copies every field; this is the same row without that.)
    """
    date = message.date
    return (
        message.message_id, message.subject, message.from_name, message.from_address,
        date.isoformat() if date else None, message.date_raw, message.in_reply_to,
        json.dumps(list(message.references)), message.body, message.raw, message.origin,
        json.dumps(list(message.to)), json.dumps(list(message.cc)),
        json.dumps(list(message.list_ids)), int(message.duplicate_of_archive),
        # ISO strings with different offsets do not sort chronologically; UTC ones do.
        date.astimezone(timezone.utc).isoformat() if date else None,
    )


def _message_from_row(row: dict) -> Message:
    values = {k: row[k] for k in Message.__dataclass_fields__ if k in row}
    values["date"] = datetime.fromisoformat(row["date"]) if row["date"] else None
    for column in _TUPLE_COLUMNS:
        values[column] = tuple(json.loads(row[column] or "[]"))
    values["duplicate_of_archive"] = bool(row["duplicate_of_archive"])
    return Message(**values)


_INSERT_MESSAGE = "insert into messages ({}) values ({})".format(
    ", ".join(f"[{c}]" for c in (*_MESSAGE_COLUMNS, "date_utc")), ", ".join("?" * (len(_MESSAGE_COLUMNS) + 1)))


class Store(ThreadIndexMixin):
    """A hookdebate database. Create with a path; the schema is made on first use."""

    def __init__(self, path: str | Path, create: bool = True):
        """create=False: the commands that only read (thread, positions, claims)
        refuse a path where no database is, instead of leaving an empty one (and its
        directories) behind a typo."""
        self.path = Path(path)
        if not create and str(path) != ":memory:" and not self.path.exists():
            raise HookdebateError(f"{path}: no hookdebate database there; run 'hookdebate ingest SOURCE --db {path}' first")
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # sqlite-utils on first use, without plugins (no scan of every package's entry points)
                self.db = _LazyDatabase(sqlite3.connect(str(self.path)))
            else:
                self.db = _LazyDatabase(sqlite3.connect(":memory:"))
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:  # not SQLite, a directory, locked, read-only...
            raise HookdebateError(f"{path}: cannot use as a hookdebate database: {exc}") from None

    # -- schema -----------------------------------------------------------
    def _ensure_schema(self) -> None:
        db = self.db
        if "messages" not in db.table_names():
            db["messages"].create(
                {
                    "message_id": str, "subject": str, "from_name": str, "from_address": str,
                    "date": str, "date_utc": str, "date_raw": str, "in_reply_to": str, "references": str,
                    "body": str, "raw": bytes, "origin": str, "to": str, "cc": str,
                    "list_ids": str, "duplicate_of_archive": int,
                },
                pk="message_id",
                not_null={"raw"},
            )
            db["messages"].create_index(["date_utc"])
            db["messages"].enable_fts(["subject", "body"], create_triggers=True, tokenize="porter")
        tables = {
            # Extra copies of a Message-ID that an archive stores more than once.
            "message_duplicates": ({"message_id": str, "sha256": str, "raw": bytes, "origin": str},
                                   ("message_id", "sha256")),
            "people": ({"person_id": str, "name": str}, "person_id"),
            "addresses": ({"address": str, "person_id": str, "names": str}, "address"),
            "thread_edges": ({"message_id": str, "parent_id": str, "root_id": str, "position": int},
                             "message_id"),
            "message_stances": ({"message_id": str, "root_id": str, "author": str, "stance": str,
                                 "confidence": float, "evidence": str}, "message_id"),
            "positions": ({"root_id": str, "person_id": str, "name": str, "messages": int,
                           "stance": str, "confidence": float, "evidence": str},
                          ("root_id", "person_id")),
            "claims": ({"claim_id": str, "root_id": str, "message_id": str, "author": str,
                        "text": str, "type": str, "cites": str, "responds_to": str,
                        "relation": str}, "claim_id"),
            "scenarios": ({"scenario_id": str, "root_id": str, "source": str, "body": str},
                          ("root_id", "scenario_id")),
            "verdicts": ({"root_id": str, "claim_id": str, "scenario_id": str, "kernel": str,
                          "outcome": str, "supports_claim": int, "reason": str, "trace": str},
                         ("root_id", "claim_id", "scenario_id", "kernel")),
            "analysis_cache": ({"root_id": str, "digest": str, "blob": bytes}, "root_id"),
            "state": ({"key": str, "value": str}, "key"),
        }
        for name, (columns, pk) in tables.items():
            if name not in db.table_names():
                db[name].create(columns, pk=pk)
        self._ensure_thread_index_schema()

    # -- messages ---------------------------------------------------------
    def add_messages(self, messages: Iterable[Message], batch_size: int = 500) -> IngestResult:
        """Store messages not yet stored (by Message-ID). Idempotent.

        The whole call is one transaction (a SAVEPOINT): if the iterable raises part
        way (a bad message in an mbox), nothing of this call is stored.

        Bulk path: once a call has more than batch_size new messages, the FTS insert
        trigger is dropped for the rest of the call and the new rows are indexed with
        one INSERT ... SELECT at the end, then the trigger is recreated, all inside the
        same savepoint (a failure rolls the DDL back too). The index ends up with the
        same content as row-by-row triggers give, at about half the cost. (Indexing
        each batch as it is written instead measured slower: FTS5 flushes its pending
        terms at every statement savepoint, so more, smaller segments to merge.)
        """
        added = skipped = duplicates = 0
        known = self.message_ids()
        batch: list[tuple] = []
        dup_rows: list[dict] = []
        conn = self.db.conn
        bulk: tuple[int, str] | None = None  # (max rowid before, trigger SQL) once bulk
        bulk_tried = False
        added_ids: list[str] = []  # for the thread index
        # sqlite-utils' insert_all commits after each chunk, which would leave half
        # a failed ingest behind; plain executemany inside one savepoint keeps the
        # whole call atomic (and is the faster path for bulk ingest).
        conn.execute("SAVEPOINT add_messages")
        try:
            for message in messages:
                if message.message_id in known:
                    if message.duplicate_of_archive:
                        dup_rows.append({
                            "message_id": message.message_id,
                            "sha256": hashlib.sha256(message.raw).hexdigest(),
                            "raw": message.raw, "origin": message.origin,
                        })
                        duplicates += 1
                    else:
                        skipped += 1
                    continue
                known.add(message.message_id)
                added_ids.append(message.message_id)
                batch.append(_message_values(message))
                added += 1
                if len(batch) >= batch_size:
                    if not bulk_tried:
                        bulk, bulk_tried = self._begin_bulk(), True
                    conn.executemany(_INSERT_MESSAGE, batch)
                    batch.clear()
            if batch:
                conn.executemany(_INSERT_MESSAGE, batch)
            if bulk is not None:
                self._end_bulk(*bulk)
            if dup_rows:
                self._insert_rows("message_duplicates", dup_rows, or_ignore=True)
            self._index_added(added_ids)
        except BaseException:
            conn.execute("ROLLBACK TO add_messages")
            conn.execute("RELEASE add_messages")
            raise
        conn.execute("RELEASE add_messages")
        if conn.in_transaction:  # the savepoint nested in an open transaction: make it durable
            conn.commit()
        return IngestResult(added=added, skipped=skipped, duplicates=duplicates)

    def _begin_bulk(self) -> tuple[int, str] | None:
        conn = self.db.conn
        row = conn.execute(
            "select sql from sqlite_master where type = 'trigger' and name = 'messages_ai'").fetchone()
        if row is None:  # no FTS trigger (an older or hand-made schema): nothing to defer
            return None
        start = conn.execute("select coalesce(max(rowid), 0) from messages").fetchone()[0]
        conn.execute("drop trigger messages_ai")
        return start, row[0]

    def _end_bulk(self, start: int, trigger_sql: str) -> None:
        conn = self.db.conn
        # rowids of a rowid table only grow while rows are appended (max+1), so the new
        # rows of this call are exactly those above the maximum seen before it
        conn.execute('insert into messages_fts (rowid, "subject", "body") '
                     'select rowid, "subject", "body" from messages where rowid > ? order by rowid',
                     [start])
        conn.execute(trigger_sql)

    def _insert_rows(self, table: str, rows: list[dict], or_ignore: bool = False) -> None:
        columns = list(rows[0])
        sql = "insert {}into [{}] ({}) values ({})".format(
            "or ignore " if or_ignore else "", table,
            ", ".join(f"[{c}]" for c in columns), ", ".join("?" * len(columns)))
        self.db.conn.executemany(sql, ([row[c] for c in columns] for row in rows))

    def message_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("select message_id from messages")}

    def has_message(self, message_id: str) -> bool:
        return self.db.execute(
            "select 1 from messages where message_id = ?", [message_id]
        ).fetchone() is not None

    def count_messages(self) -> int:
        return self.db["messages"].count

    def messages(self, message_ids: Iterable[str] | None = None) -> list[Message]:
        """Messages in date order (all of them, or those named)."""
        if message_ids is None:
            rows = self.db["messages"].rows_where(order_by="date_utc, message_id")
        else:
            ids = list(message_ids)
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows.extend(self.db["messages"].rows_where(
                    f"message_id in ({','.join('?' * len(chunk))})", chunk))
            rows.sort(key=lambda r: (r["date_utc"] or "", r["message_id"]))
        return [_message_from_row(r) for r in rows]

    def search(self, query: str, limit: int = 20) -> list[Message]:
        """Full-text search (FTS5) over subjects and bodies."""
        rows = self.db["messages"].search(query, limit=limit)
        return [_message_from_row(r) for r in rows]

    # -- state ------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        try:
            return self.db["state"].get(key)["value"]
        except sqlite_utils.db.NotFoundError:
            return None

    def set_state(self, key: str, value: str) -> None:
        self.db["state"].upsert({"key": key, "value": value}, pk="key")

    # -- analysis ---------------------------------------------------------
    def load_cached(self, root_id: str, digest: str):
        row = self.db.execute(
            "select blob from analysis_cache where root_id = ? and digest = ?", [root_id, digest]
        ).fetchone()
        if row is None:
            return None
        try:
            return pickle.loads(row[0])
        except Exception:  # a cache from an older code version: recompute
            return None

    def save_analysis(self, analysis, digest: str, key: str | None = None) -> None:
        """Store a ThreadAnalysis: people, addresses, edges, stances, positions, claims.
        key: the cache key load_cached finds it by (default: the root's Message-ID)."""
        root = analysis.tree.root_id
        db = self.db
        with db.conn:
            db["analysis_cache"].upsert(
                {"root_id": key or root, "digest": digest, "blob": pickle.dumps(analysis)}, pk="root_id")
            names_by_address: dict[str, set[str]] = {}
            for m in analysis.messages:
                if m.from_name:
                    names_by_address.setdefault(m.from_address, set()).add(m.from_name)
            db["people"].upsert_all(
                [{"person_id": p.person_id, "name": p.name} for p in analysis.people], pk="person_id")
            db["addresses"].upsert_all(
                [{"address": a, "person_id": p.person_id,
                  "names": json.dumps(sorted(names_by_address.get(a, ())))}
                 for p in analysis.people for a in p.addresses], pk="address")
            db["thread_edges"].upsert_all(
                [{"message_id": mid, "parent_id": analysis.tree.parent_of.get(mid),
                  "root_id": root, "position": i} for i, mid in enumerate(analysis.tree.order)],
                pk="message_id")
            for table in ("message_stances", "positions", "claims"):
                db[table].delete_where("root_id = ?", [root])
            db["message_stances"].insert_all(
                [{"message_id": s.message_id, "root_id": root, "author": s.author,
                  "stance": s.stance, "confidence": s.confidence,
                  "evidence": json.dumps([asdict(e) for e in s.evidence])}
                 for s in analysis.message_stances], pk="message_id", replace=True)
            db["positions"].insert_all(
                [{"root_id": root, "person_id": p.person_id, "name": p.name,
                  "messages": p.messages, "stance": p.stance, "confidence": p.confidence,
                  "evidence": json.dumps([asdict(e) for e in p.evidence])}
                 for p in analysis.positions], pk=("root_id", "person_id"), replace=True)
            db["claims"].insert_all(
                [{"claim_id": c.claim_id, "root_id": root, "message_id": c.message_id,
                  "author": c.author, "text": c.text, "type": c.type,
                  "cites": json.dumps(list(c.cites)),
                  "responds_to": json.dumps(asdict(c.responds_to)) if c.responds_to else None,
                  "relation": c.relation} for c in analysis.claims],
                pk="claim_id", replace=True)

    def save_verdicts(self, root_id: str, scenarios: Iterable[tuple[str, str, dict]],
                      verdicts: Iterable[dict]) -> None:
        """scenarios: (scenario_id, source, scenario JSON); verdicts: rows with claim_id,
        scenario_id, kernel, outcome, supports_claim, reason, trace (list)."""
        with self.db.conn:
            self.db["scenarios"].delete_where("root_id = ?", [root_id])
            self.db["verdicts"].delete_where("root_id = ?", [root_id])
            self.db["scenarios"].insert_all(
                [{"scenario_id": sid, "root_id": root_id, "source": source,
                  "body": json.dumps(body, sort_keys=True)} for sid, source, body in scenarios],
                pk=("root_id", "scenario_id"), replace=True)
            rows = []
            for v in verdicts:
                row = dict(v, root_id=root_id)
                row["trace"] = json.dumps(row.get("trace", []))
                if row.get("supports_claim") is not None:
                    row["supports_claim"] = int(row["supports_claim"])
                rows.append(row)
            self.db["verdicts"].insert_all(
                rows, pk=("root_id", "claim_id", "scenario_id", "kernel"), replace=True)


def digest_of(messages: Iterable[Message]) -> str:
    """Identity of a set of messages, for the analysis cache."""
    h = hashlib.sha256()
    for mid in sorted(m.message_id for m in messages):
        h.update(mid.encode() + b"\0")
    return h.hexdigest()
