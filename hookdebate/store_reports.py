"""The store's cache of what opening a thread lays out: part of the store (the only SQL), kept in
its own file.

`report` (Markdown, HTML, JSON) and `claims` of a thread with a stored analysis would otherwise
link every claim to the kernel model, replay its scenarios, gather the thread's debate from the
archive and (for HTML) draw the pictures on each run; the result depends only on the thread's
messages, the code and data that made it (hookdebate.reporting.report_digest) and, for a
report, the archive's messages (the debate section). So it is kept in `report_cache`, one row
per thread and kind ("md", "html", "json": the report's text as the command writes it;
"claims": the rows of `claims --json`; "positions": the object of `positions --json`), under the digest of those inputs, and served only when
that digest is the present one. Each row is a JSON document (format, version, kind, and the text
or the rows): data only, read back by name, never executed; a row of another format or version,
or not JSON at all, is ignored (the caller recomputes and replaces it).
"""
from __future__ import annotations

import json
import sqlite3

REPORT_FORMAT = "hookdebate.thread-report-cache"
REPORT_VERSION = 1

# the kinds a row may hold, and the field of the document that holds it
_FIELD = {"md": "text", "html": "text", "json": "text", "claims": "claims", "positions": "positions"}

REPORT_CACHE_SQL = ('CREATE TABLE IF NOT EXISTS "report_cache" ("key" TEXT, "kind" TEXT, "digest" TEXT, '
                    '"doc" TEXT, PRIMARY KEY ("key", "kind"))')


class ReportCacheMixin:
    """Store methods of the report cache (hookdebate.store.Store mixes this in)."""

    def archive_key(self) -> str:
        """What the debate section of a report reads beyond its thread: the archive's messages,
        as their number and the last rowid (an ingest only adds messages, so any ingest that
        stores one changes it; the debate postings index is keyed the same way)."""
        n, last = self.db.conn.execute("select count(*), coalesce(max(rowid), 0) from messages").fetchone()
        return f"{n}.{last}"

    def load_report_cache(self, key: str, kind: str, digest: str):
        """The cached text (md, html, json), rows (claims) or object (positions) of the thread saved under key when it
        was made from `digest`, else None (also for a row that is not a document of this format,
        and on a read-only database made before the table)."""
        field = _FIELD[kind]
        try:
            row = self.db.conn.execute("select doc from report_cache where key = ? and kind = ? and digest = ?",
                                       [key, kind, digest]).fetchone()
        except sqlite3.OperationalError:  # no such table (read-only, older)
            return None
        if row is None:
            return None
        try:
            doc = json.loads(row[0])
        except (ValueError, TypeError):  # not JSON (UnicodeDecodeError, JSONDecodeError are ValueErrors)
            return None
        if (not isinstance(doc, dict) or doc.get("format") != REPORT_FORMAT or doc.get("version") != REPORT_VERSION
                or doc.get("kind") != kind):
            return None
        value = doc.get(field)
        if kind == "claims":
            return value if isinstance(value, list) and all(isinstance(r, dict) for r in value) else None
        if kind == "positions":
            return value if isinstance(value, dict) else None
        return value if isinstance(value, str) else None

    def save_report_cache(self, key: str, kind: str, digest: str, value) -> None:
        """Keep value (text, the claims rows, the positions object) under key and kind, made from digest (replacing what
        was there). Skipped on a read-only database (said once, Store.skip_cache_write)."""
        doc = {"format": REPORT_FORMAT, "version": REPORT_VERSION, "kind": kind, _FIELD[kind]: value}
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        if self.skip_cache_write("the report"):
            return
        with self.write("saving the report cache"):
            self.db.conn.execute("insert or replace into report_cache (key, kind, digest, doc) values (?, ?, ?, ?)",
                                 [key, kind, digest, text])

    def _drop_report_cache(self, key: str) -> None:
        """Inside a write: forget what was laid out from the thread's previous analysis."""
        self.db.conn.execute("delete from report_cache where key = ?", [key])
