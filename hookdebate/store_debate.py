"""The store's side of `hookdebate debate`: message headers without bodies, bodies by
Message-ID, and full-text candidates (FTS5), so a debate is gathered from the whole stored
archive without loading every body (analysis.debate.Corpus over SQLite)."""
from __future__ import annotations

import json
import re
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


def postings(store: Store, corpus: StoreCorpus | None = None):
    """The archive's postings (analysis.debate.Postings), kept in the store as one
    analysis.output document (JSON) and rebuilt when messages were added since (keyed by the
    number of messages, the last rowid and the code) or when what is stored is not such a
    document."""
    from analysis.debate import Postings
    from analysis.output import FormatError, postings_from_json, postings_to_json

    db = store.db
    key = "{}:{}:{}".format(*db.execute("select count(*), coalesce(max(rowid), 0) from messages").fetchone(),
                            _code_version())
    row = db.conn.execute("select key, doc from debate_index where name = 'postings'").fetchone()
    if row and row[0] == key:
        try:
            return postings_from_json(json.loads(row[1]))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, FormatError):
            pass  # not a document of this format: rebuild
    result = Postings((corpus or StoreCorpus(store)).headers())
    doc = json.dumps(postings_to_json(result), ensure_ascii=False, separators=(",", ":"))
    if store.skip_cache_write("the debate index"):
        return result
    with store.write("saving the debate index"):
        db.conn.execute("insert or replace into debate_index (name, key, doc) values ('postings', ?, ?)", [key, doc])
    return result


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
