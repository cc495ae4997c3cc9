"""The SQLite store: the only place in hookdebate that talks SQL.

Built on sqlite-utils. Stages hand it frozen dataclasses; it hands the same
dataclasses back. Writes of one call happen in one transaction, so a failed
ingest leaves what was stored before untouched.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass
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
from hookdebate.store_reports import REPORT_CACHE_SQL, ReportCacheMixin
from hookdebate.store_threads import ThreadIndexMixin, ids_digest
from mailrecords import Message

# PRAGMA user_version of the schema this code writes. 0: a database from before versions
# (its analysis cache and debate index were pickles; migrated by dropping them, they are
# caches). 2: JSON caches (analysis.output), WAL. 3: messages.defects (what could not be
# decoded as written, Message.defects; a database of schema 0-2 gets the column, its messages
# none). A higher one is refused (a newer hookdebate).
SCHEMA_VERSION = 3

# The schema, as plain SQL run in one write transaction (sqlite-utils' create() and
# enable_fts() commit as they go, which two processes creating one database at once race on).
# It is the SQL sqlite-utils made for databases of schema 0, so those read the same.
_SCHEMA_SQL = [
    """CREATE TABLE IF NOT EXISTS "messages" ("message_id" TEXT PRIMARY KEY, "subject" TEXT,
       "from_name" TEXT, "from_address" TEXT, "date" TEXT, "date_utc" TEXT, "date_raw" TEXT,
       "in_reply_to" TEXT, "references" TEXT, "body" TEXT, "raw" BLOB NOT NULL, "origin" TEXT,
       "to" TEXT, "cc" TEXT, "list_ids" TEXT, "duplicate_of_archive" INTEGER, "defects" TEXT)""",
    'CREATE INDEX IF NOT EXISTS "idx_messages_date_utc" ON "messages" ("date_utc")',
    """CREATE VIRTUAL TABLE IF NOT EXISTS "messages_fts" USING FTS5 ("subject", "body",
       tokenize='porter', content="messages")""",
    """CREATE TRIGGER IF NOT EXISTS "messages_ai" AFTER INSERT ON "messages" BEGIN
  INSERT INTO "messages_fts" (rowid, "subject", "body") VALUES (new.rowid, new."subject", new."body");
END""",
    """CREATE TRIGGER IF NOT EXISTS "messages_ad" AFTER DELETE ON "messages" BEGIN
  INSERT INTO "messages_fts" ("messages_fts", rowid, "subject", "body") VALUES('delete', old.rowid, old."subject", old."body");
END""",
    """CREATE TRIGGER IF NOT EXISTS "messages_au" AFTER UPDATE ON "messages" BEGIN
  INSERT INTO "messages_fts" ("messages_fts", rowid, "subject", "body") VALUES('delete', old.rowid, old."subject", old."body");
  INSERT INTO "messages_fts" (rowid, "subject", "body") VALUES (new.rowid, new."subject", new."body");
END""",
    # extra copies of a Message-ID that an archive stores more than once
    """CREATE TABLE IF NOT EXISTS "message_duplicates" ("message_id" TEXT, "sha256" TEXT, "raw" BLOB,
       "origin" TEXT, PRIMARY KEY ("message_id", "sha256"))""",
    'CREATE TABLE IF NOT EXISTS "people" ("person_id" TEXT PRIMARY KEY, "name" TEXT)',
    'CREATE TABLE IF NOT EXISTS "addresses" ("address" TEXT PRIMARY KEY, "person_id" TEXT, "names" TEXT)',
    """CREATE TABLE IF NOT EXISTS "thread_edges" ("message_id" TEXT PRIMARY KEY, "parent_id" TEXT,
       "root_id" TEXT, "position" INTEGER)""",
    """CREATE TABLE IF NOT EXISTS "message_stances" ("message_id" TEXT PRIMARY KEY, "root_id" TEXT,
       "author" TEXT, "stance" TEXT, "confidence" REAL, "evidence" TEXT)""",
    """CREATE TABLE IF NOT EXISTS "positions" ("root_id" TEXT, "person_id" TEXT, "name" TEXT,
       "messages" INTEGER, "stance" TEXT, "confidence" REAL, "evidence" TEXT,
       PRIMARY KEY ("root_id", "person_id"))""",
    """CREATE TABLE IF NOT EXISTS "claims" ("claim_id" TEXT PRIMARY KEY, "root_id" TEXT, "message_id" TEXT,
       "author" TEXT, "text" TEXT, "type" TEXT, "cites" TEXT, "responds_to" TEXT, "relation" TEXT)""",
    # save_analysis deletes a thread's rows by root_id before writing them again: without these
    # each save scanned the whole table (analyze of the 2022 list: 8% of its time, growing
    # with the store)
    'CREATE INDEX IF NOT EXISTS "idx_message_stances_root_id" ON "message_stances" ("root_id")',
    'CREATE INDEX IF NOT EXISTS "idx_claims_root_id" ON "claims" ("root_id")',
    """CREATE TABLE IF NOT EXISTS "scenarios" ("scenario_id" TEXT, "root_id" TEXT, "source" TEXT,
       "body" TEXT, PRIMARY KEY ("root_id", "scenario_id"))""",
    """CREATE TABLE IF NOT EXISTS "verdicts" ("root_id" TEXT, "claim_id" TEXT, "scenario_id" TEXT,
       "kernel" TEXT, "outcome" TEXT, "supports_claim" INTEGER, "reason" TEXT, "trace" TEXT,
       PRIMARY KEY ("root_id", "claim_id", "scenario_id", "kernel"))""",
    # blob: an analysis.output document (JSON text, never anything executable)
    'CREATE TABLE IF NOT EXISTS "analysis_cache" ("root_id" TEXT PRIMARY KEY, "digest" TEXT, "blob" BLOB)',
    'CREATE TABLE IF NOT EXISTS "state" ("key" TEXT PRIMARY KEY, "value" TEXT)',
    # the debate postings index: one analysis.output document (JSON)
    'CREATE TABLE IF NOT EXISTS "debate_index" ("name" TEXT PRIMARY KEY, "key" TEXT, "doc" TEXT)',
    # what opening a thread lays out (report text, claims rows): JSON documents, hookdebate.store_reports
    REPORT_CACHE_SQL,
]

# What makes a database hookdebate's: these tables with (at least) these columns.
_REQUIRED = {
    "messages": set(),  # filled below from _MESSAGE_COLUMNS
    "messages_fts": {"subject", "body"},
}

# Message columns that are plain text; tuples are stored as JSON lists.
_TUPLE_COLUMNS = ("references", "to", "cc", "list_ids", "defects")


@dataclass(frozen=True)
class IngestResult:
    added: int
    skipped: int  # already stored (same Message-ID)
    duplicates: int = 0  # archive copies of a Message-ID already stored, kept aside


_MESSAGE_COLUMNS = tuple(Message.__dataclass_fields__)
# (defects came with schema 3: an older database lacks it and is migrated, not refused)
_REQUIRED["messages"] = {*_MESSAGE_COLUMNS, "date_utc"} - {"defects"}

_BUSY_MS = 30_000  # how long any statement waits for a lock
_WAIT_MS = 600_000  # how long a write waits for another process's write, once it said so


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
        json.dumps(list(message.defects)),
        # ISO strings with different offsets do not sort chronologically; UTC ones do.
        utc_sort_key(date) if date else None,
    )


def utc_sort_key(date: datetime) -> str:
    """The date in UTC as ISO text (date_utc: ISO strings in UTC sort chronologically). A date
    whose zone puts it past 9999-12-31 or before 0001-01-01 in UTC (datetime cannot hold it:
    '31 Dec 9999 23:59:59 -2359') is the last or the first instant there is, so it still sorts
    where it belongs."""
    try:
        return date.astimezone(timezone.utc).isoformat()
    except OverflowError:
        edge = datetime.max if date.year == 9999 else datetime.min
        return edge.replace(tzinfo=timezone.utc).isoformat()


def _message_from_row(row: dict) -> Message:
    values = {k: row[k] for k in Message.__dataclass_fields__ if k in row}
    values["date"] = datetime.fromisoformat(row["date"]) if row["date"] else None
    for column in _TUPLE_COLUMNS:
        values[column] = tuple(json.loads(row.get(column) or "[]"))  # defects: none before schema 3
    values["duplicate_of_archive"] = bool(row["duplicate_of_archive"])
    return Message(**values)


_INSERT_MESSAGE = "insert into messages ({}) values ({})".format(
    ", ".join(f"[{c}]" for c in (*_MESSAGE_COLUMNS, "date_utc")), ", ".join("?" * (len(_MESSAGE_COLUMNS) + 1)))


class Store(ThreadIndexMixin, ReportCacheMixin):
    """A hookdebate database. Create with a path; the schema is made on first use.

    A database is refused without being changed when it is not hookdebate's (no `messages`
    table with the columns written here, or its full-text index missing) or when a newer
    hookdebate made it (PRAGMA user_version above SCHEMA_VERSION); one of schema 0 is migrated.
    Journal mode WAL: readers never wait for a writer, and read a consistent snapshot (see
    snapshot()); writers take turns (write(): one waits and says so)."""

    def __init__(self, path: str | Path, create: bool = True, notice=None):
        """create=False: the commands that only read (thread, positions, claims)
        refuse a path where no database is, instead of leaving an empty one (and its
        directories) behind a typo. notice: called with a one-line message when a write
        waits for another process (default: printed on stderr)."""
        self.path = Path(path)
        self._said_read_only = False
        self.notice = notice or (lambda text: print(f"hookdebate: {text}", file=sys.stderr, flush=True))
        if not create and str(path) != ":memory:" and not self.path.exists():
            raise HookdebateError(f"{path}: no hookdebate database there; run 'hookdebate ingest SOURCE --db {path}' first")
        try:
            if str(path) != ":memory:":
                if self.path.is_dir():
                    raise HookdebateError(f"{path}: is a directory, not a hookdebate database")
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # sqlite-utils on first use, without plugins (no scan of every package's entry points)
                self.db = _LazyDatabase(sqlite3.connect(str(self.path), timeout=_BUSY_MS / 1000))
            else:
                self.db = _LazyDatabase(sqlite3.connect(":memory:"))
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:  # not SQLite, locked, read-only...
            raise HookdebateError(f"{path}: cannot use as a hookdebate database: {_sqlite_reason(exc)}") from None

    # -- transactions -----------------------------------------------------
    @contextmanager
    def write(self, what: str = "write"):
        """One write transaction (BEGIN IMMEDIATE): all of it or nothing. When another process
        is writing, says so (self.notice) and waits up to 10 minutes. A full disk, a read-only
        database and the like are a HookdebateError naming the database; nothing of this
        transaction is stored then. Nested in an open transaction: a savepoint of it."""
        conn = self.db.conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT nested_write")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO nested_write")
                    conn.execute("RELEASE nested_write")
                raise
            conn.execute("RELEASE nested_write")
            return
        self._begin_immediate()
        try:
            yield
            conn.commit()
        except BaseException as exc:
            if conn.in_transaction:  # SQLite rolls back by itself on some errors (SQLITE_FULL)
                conn.rollback()
            if isinstance(exc, sqlite3.OperationalError):
                raise HookdebateError(f"{self.path}: {what} failed, nothing of it was stored: "
                                      f"{_sqlite_reason(exc)}") from None
            raise

    def _begin_immediate(self) -> None:
        conn = self.db.conn
        conn.execute("PRAGMA busy_timeout = 50")
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise HookdebateError(f"{self.path}: cannot write: {_sqlite_reason(exc)}") from None
            self.notice(f"{self.path}: another process is writing to this database; waiting for it "
                        f"(up to {_WAIT_MS // 60000} minutes)")
            conn.execute(f"PRAGMA busy_timeout = {_WAIT_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise HookdebateError(f"{self.path}: cannot write: {_sqlite_reason(exc)}") from None
            self.notice(f"{self.path}: the other writer is done; writing")
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")

    def skip_cache_write(self, what: str) -> bool:
        """True on a read-only database, for a write the command can do without (a cache, the
        analysis tables): the command answers from what it computed and says once that it is
        not kept. Writes that are the command's purpose (ingest) go through write() and fail."""
        if self._writable():
            return False
        if not self._said_read_only:
            self.notice(f"{self.path}: read-only; {what} is not kept (computed again next time)")
            self._said_read_only = True
        return True

    @contextmanager
    def snapshot(self):
        """Reads that see one state of the database however many statements they take (a read
        transaction; in WAL mode a writer goes on meanwhile and is seen after). Inside a
        transaction already: just that one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.commit()  # nothing was written; ends the read transaction

    # -- schema -----------------------------------------------------------
    def _inspect(self) -> tuple[int, dict[str, set[str]]]:
        conn = self.db.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {}
        for (name,) in conn.execute("select name from sqlite_master where type = 'table'"):
            tables[name] = {r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")}
        return version, tables

    def _indexes_present(self) -> bool:
        """Every index of _SCHEMA_SQL is there (a database made before one was added gets it
        on its next writable opening)."""
        have = {name for (name,) in self.db.conn.execute("select name from sqlite_master where type = 'index'")}
        return all(_index_name(q) in have for q in _SCHEMA_SQL if _index_name(q))

    def _refuse_foreign(self, version: int, tables: dict[str, set[str]]) -> None:
        if version > SCHEMA_VERSION:
            raise HookdebateError(f"{self.path}: made by a newer hookdebate (schema {version}; this one "
                                  f"knows up to {SCHEMA_VERSION}); use that version, or another --db")
        for name, columns in _REQUIRED.items():
            if name not in tables:
                what = "its full-text index (table messages_fts) is missing" if name == "messages_fts" \
                    else f"it has no {name} table"
                raise HookdebateError(f"{self.path}: not a hookdebate database ({what}); "
                                      "left unchanged; use another --db")
            missing = columns - tables[name]
            if missing:
                raise HookdebateError(f"{self.path}: not a hookdebate database (table {name} lacks "
                                      f"{', '.join(sorted(missing))}); left unchanged; use another --db")

    def _ensure_schema(self) -> None:
        version, tables = self._inspect()
        if tables:
            self._refuse_foreign(version, tables)
            if version == SCHEMA_VERSION and all(_table_name(q) in tables for q in _SCHEMA_SQL
                                                 if _table_name(q)) and self._thread_index_tables_present(tables) \
                    and self._indexes_present():
                self._use_wal()
                return
        if not self._writable():
            if not tables:
                raise HookdebateError(f"{self.path}: read-only, and no hookdebate database yet")
            if version < 2:
                raise HookdebateError(f"{self.path}: made by an older hookdebate (schema {version}) and "
                                      "read-only: open it once with write access to migrate it")
            return  # an older-shaped schema 2-3 database (2: no defects column): read what is there
        self._use_wal()
        with self.write("creating the schema"):
            version, tables = self._inspect()  # another process may have made it meanwhile
            if tables:
                self._refuse_foreign(version, tables)
            conn = self.db.conn
            if tables and version < 2:
                # schema 0 kept the analysis cache and the debate index as pickles: caches, so
                # dropped (recomputed on use), never loaded
                if "analysis_cache" in tables:
                    conn.execute("delete from analysis_cache")
                conn.execute("drop table if exists debate_index")
            for sql in _SCHEMA_SQL:
                conn.execute(sql)
            if tables and "defects" not in tables.get("messages", ()):
                # schema 0-2: messages stored before Message.defects, so none recorded
                conn.execute('ALTER TABLE "messages" ADD COLUMN "defects" TEXT')
            self._ensure_thread_index_schema()
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _writable(self) -> bool:
        if str(self.path) == ":memory:":
            return True
        return os.access(self.path, os.W_OK) if self.path.exists() else os.access(self.path.parent, os.W_OK)

    def _use_wal(self) -> None:
        """WAL journal (kept in the file once set). Left as it is on a read-only database."""
        if str(self.path) == ":memory:" or not self._writable():
            return
        conn = self.db.conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; atomic always

    # -- messages ---------------------------------------------------------
    def add_messages(self, messages: Iterable[Message], batch_size: int = 500) -> IngestResult:
        """Store messages not yet stored (by Message-ID). Idempotent.

        The whole call is one transaction (Store.write): if the iterable raises part
        way (a bad message in an mbox) or the disk fills, nothing of this call is stored;
        another process writing at the same time is waited for.

        Bulk path: once a call has more than batch_size new messages, the FTS insert
        trigger is dropped for the rest of the call and the new rows are indexed with
        one INSERT ... SELECT at the end, then the trigger is recreated, all inside the
        same savepoint (a failure rolls the DDL back too). The index ends up with the
        same content as row-by-row triggers give, at about half the cost. (Indexing
        each batch as it is written instead measured slower: FTS5 flushes its pending
        terms at every statement savepoint, so more, smaller segments to merge.)
        """
        added = skipped = duplicates = 0
        batch: list[tuple] = []
        dup_rows: list[dict] = []
        conn = self.db.conn
        bulk: tuple[int, str] | None = None  # (max rowid before, trigger SQL) once bulk
        bulk_tried = False
        added_ids: list[str] = []  # for the thread index
        # sqlite-utils' insert_all commits after each chunk, which would leave half
        # a failed ingest behind; plain executemany inside one transaction keeps the
        # whole call atomic (and is the faster path for bulk ingest). The Message-IDs
        # already stored are read inside it: another ingest may have stored some meanwhile.
        with self.write("storing messages"):
            known = self.message_ids()
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
        return self.db.conn.execute("select count(*) from messages").fetchone()[0]

    def messages(self, message_ids: Iterable[str] | None = None) -> list[Message]:
        """Messages in date order (all of them, or those named)."""
        if message_ids is None:
            rows = self._rows("select * from messages order by date_utc, message_id")
        else:
            ids = list(message_ids)
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows.extend(self._rows(f"select * from messages where message_id in ({','.join('?' * len(chunk))})",
                                       chunk))
            rows.sort(key=lambda r: (r["date_utc"] or "", r["message_id"]))
        return [_message_from_row(r) for r in rows]

    def _rows(self, sql: str, parameters=()) -> list[dict]:
        """The rows of a select as dicts by column name (what sqlite-utils' rows_where gives,
        without importing it: a read needs no more than sqlite3)."""
        cursor = self.db.conn.execute(sql, parameters)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def search(self, query: str, limit: int = 20) -> list[Message]:
        """Full-text search (FTS5) over subjects and bodies."""
        rows = self.db["messages"].search(query, limit=limit)
        return [_message_from_row(r) for r in rows]

    # -- state ------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self.db.conn.execute("select value from state where key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str, cache: bool = False) -> None:
        """cache: the value is a cache (skipped on a read-only database)."""
        if cache and self.skip_cache_write("a cached result"):
            return
        with self.write("saving state"):
            self.db.conn.execute("insert or replace into state (key, value) values (?, ?)", [key, value])

    # -- analysis ---------------------------------------------------------
    def load_cached(self, root_id: str, digest: str):
        """The cached ThreadAnalysis saved under root_id when it was made from `digest`, else
        None. The cache holds analysis.output JSON documents (messages by Message-ID, read back
        from `messages`); anything else in it (a pickle of schema 0, a document of another
        format version, text that is not JSON) is ignored and recomputed, never executed."""
        from analysis.output import FormatError, analysis_from_json

        row = self.db.conn.execute(
            "select blob from analysis_cache where root_id = ? and digest = ?", [root_id, digest]
        ).fetchone()
        if row is None:
            return None
        try:
            doc = json.loads(row[0])
            ids = doc["message_ids"] if isinstance(doc, dict) else None
            if not isinstance(ids, list):
                return None
            messages = {m.message_id: m for m in self.messages(ids)}
            return analysis_from_json(doc, messages)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, FormatError):
            return None  # UnicodeDecodeError and JSONDecodeError are ValueErrors

    def save_cached(self, analysis, digest: str, key: str) -> None:
        """Only the cache entry (what a debate's per-version analyses keep)."""
        if self.skip_cache_write("the analysis"):
            return
        from analysis.output import analysis_to_json

        with self.write("saving the analysis cache"):
            self.db.conn.execute("insert or replace into analysis_cache (root_id, digest, blob) values (?, ?, ?)",
                                 [key, digest, _document_text(analysis_to_json(analysis, messages="ids"))])

    def save_analysis(self, analysis, digest: str, key: str | None = None) -> None:
        """Store a ThreadAnalysis: people, addresses, edges, stances, positions, claims.
        key: the cache key load_cached finds it by (default: the root's Message-ID)."""
        if not self.skip_cache_write("the analysis"):  # a read-only store: the rows would not be kept
            self.save_analysis_rows(analysis_rows(analysis), digest, key)

    def save_analysis_rows(self, rows: "AnalysisRows", digest: str, key: str | None = None) -> None:
        """save_analysis of rows made by analysis_rows() (in this process or in a worker)."""
        if self.skip_cache_write("the analysis"):
            return
        root = rows.root
        with self.write("saving the analysis"):
            conn = self.db.conn
            conn.execute("insert or replace into analysis_cache (root_id, digest, blob) values (?, ?, ?)",
                         [key or root, digest, rows.document])
            self._drop_report_cache(key or root)
            conn.executemany("insert or replace into people (person_id, name) values (?, ?)", rows.people)
            conn.executemany("insert or replace into addresses (address, person_id, names) values (?, ?, ?)",
                             rows.addresses)
            conn.executemany("insert or replace into thread_edges (message_id, parent_id, root_id, position) "
                             "values (?, ?, ?, ?)", rows.edges)
            for table in ("message_stances", "positions", "claims"):
                conn.execute(f"delete from [{table}] where root_id = ?", [root])
            conn.executemany("insert or replace into message_stances (message_id, root_id, author, stance, "
                             "confidence, evidence) values (?, ?, ?, ?, ?, ?)", rows.message_stances)
            conn.executemany("insert or replace into positions (root_id, person_id, name, messages, stance, "
                             "confidence, evidence) values (?, ?, ?, ?, ?, ?, ?)", rows.positions)
            conn.executemany("insert or replace into claims (claim_id, root_id, message_id, author, text, "
                             "type, cites, responds_to, relation) values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.claims)

    def save_verdicts(self, root_id: str, scenarios: Iterable[tuple[str, str, dict]],
                      verdicts: Iterable[dict]) -> None:
        """scenarios: (scenario_id, source, scenario JSON); verdicts: rows with claim_id,
        scenario_id, kernel, outcome, supports_claim, reason, trace (list)."""
        if self.skip_cache_write("the verdicts"):
            return
        with self.write("saving verdicts"):
            conn = self.db.conn
            conn.execute("delete from scenarios where root_id = ?", [root_id])
            conn.execute("delete from verdicts where root_id = ?", [root_id])
            conn.executemany("insert or replace into scenarios (scenario_id, root_id, source, body) "
                             "values (?, ?, ?, ?)",
                             [(sid, root_id, source, json.dumps(body, sort_keys=True))
                              for sid, source, body in scenarios])
            conn.executemany(
                "insert or replace into verdicts (root_id, claim_id, scenario_id, kernel, outcome, "
                "supports_claim, reason, trace) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [(root_id, v["claim_id"], v["scenario_id"], v["kernel"], v["outcome"],
                  None if v.get("supports_claim") is None else int(v["supports_claim"]), v["reason"],
                  json.dumps(v.get("trace", []))) for v in verdicts])


@dataclass(frozen=True)
class AnalysisRows:
    """A ThreadAnalysis as the rows save_analysis writes: strings, numbers and tuples only. Made
    where the analysis is made, so that what an `analyze` worker sends back to the one writing
    process is this, not the object graph (the 2022 list's analyses pickled: 162 MB, 1.3 s of
    CPU to pickle and unpickle; as these rows: the 73 MB of the stored documents)."""
    root: str
    document: str  # the analysis cache's JSON document (analysis_to_json, messages by id)
    people: list
    addresses: list
    edges: list
    message_stances: list
    positions: list
    claims: list
    contested: float | None  # hookdebate.archive.contested(): the thread summary's
    sides: dict


def _document_text(doc: dict) -> str:
    """An analysis cache document as stored (compact, UTF-8 kept)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def analysis_rows(analysis) -> AnalysisRows:
    """The rows of save_analysis for a ThreadAnalysis (no database needed)."""
    from analysis.output import analysis_to_json, evidence_to_json
    from hookdebate.archive import contested

    root = analysis.tree.root_id
    doc = analysis_to_json(analysis, messages="ids")
    names_by_address: dict[str, set[str]] = {}
    for m in analysis.messages:
        if m.from_name:
            names_by_address.setdefault(m.from_address, set()).add(m.from_name)
    claims = [(c["claim_id"], root, c["message_id"], c["author"], c["text"], c["type"], json.dumps(c["cites"]),
               json.dumps(c["responds_to"]) if c["responds_to"] is not None else None, c["relation"])
              for c in doc["claims"]]
    score, sides = contested(analysis)
    return AnalysisRows(
        root=root,
        document=_document_text(doc),
        people=[(p.person_id, p.name) for p in analysis.people],
        addresses=[(a, p.person_id, json.dumps(sorted(names_by_address.get(a, ()))))
                   for p in analysis.people for a in p.addresses],
        edges=[(mid, analysis.tree.parent_of.get(mid), root, i) for i, mid in enumerate(analysis.tree.order)],
        message_stances=[(s.message_id, root, s.author, s.stance, s.confidence,
                          json.dumps([evidence_to_json(e) for e in s.evidence])) for s in analysis.message_stances],
        positions=[(root, p.person_id, p.name, p.messages, p.stance, p.confidence,
                    json.dumps([evidence_to_json(e) for e in p.evidence])) for p in analysis.positions],
        claims=claims, contested=score, sides=sides)


def _table_name(sql: str) -> str | None:
    words = sql.replace('"', " ").split()
    if words[:2] == ["CREATE", "TABLE"] or words[:3] == ["CREATE", "VIRTUAL", "TABLE"]:
        return words[words.index("EXISTS") + 1]
    return None


def _index_name(sql: str) -> str | None:
    words = sql.replace('"', " ").split()
    return words[words.index("EXISTS") + 1] if words[:2] == ["CREATE", "INDEX"] else None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _sqlite_reason(exc: sqlite3.Error) -> str:
    """SQLite's message, with what it means for the user where that is not plain."""
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or "database or disk is full" in low:
        return "the disk (or the database's size limit) is full"
    if "readonly" in low or "read-only" in low:
        return "the database is read-only"
    if "not a database" in low:
        return "not an SQLite database"
    if _is_busy(exc):
        return "another process holds the database locked"
    return text


def digest_of(messages: Iterable[Message]) -> str:
    """Identity of a set of messages, for the analysis cache (store_threads.ids_digest of their ids)."""
    return ids_digest(m.message_id for m in messages)
