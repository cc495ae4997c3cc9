"""The store's data-only formats (analysis.output) and its refusals: every stored shape
round-trips through JSON; a cache blob that is a pickle is never loaded (no command runs);
a database that is not hookdebate's, or from a newer one, is refused unchanged; one of the
schema before versions is migrated."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
LOOPHOLE_2022 = ROOT / "tests" / "data" / "bpf-map-loophole-2022.mbox"
CORPUS_2022 = ROOT / "data" / "corpus" / "linux-security-module-2022.mbox.gz"


def _hd(db, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "hookdebate", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", params=[THREAD, LOOPHOLE_2022], ids=["embedded-2023", "loophole-2022"])
def analysis_of(request):
    import analysis
    from scraper import iter_mbox

    return analysis.analyze(list(iter_mbox(request.param)))


def test_analysis_round_trips_through_json(analysis_of):
    from analysis.output import analysis_from_json, analysis_to_json, claims_json, positions_json

    a = analysis_of
    assert a.claims and a.segments and a.reply_pairs and a.positions  # a real analysis, not an empty one
    inline = json.loads(json.dumps(analysis_to_json(a)))
    back = analysis_from_json(inline)
    assert back == a
    assert [m.raw for m in back.messages] == [m.raw for m in a.messages]
    assert [m.date.isoformat() for m in back.messages] == [m.date.isoformat() for m in a.messages]
    by_ids = json.loads(json.dumps(analysis_to_json(a, messages="ids")))
    assert by_ids["messages"] is None and "raw" not in json.dumps(by_ids)
    assert analysis_from_json(by_ids, {m.message_id: m for m in a.messages}) == a
    # the contracts drawn from it are the same
    assert positions_json(back) == positions_json(a) and claims_json(back) == claims_json(a)


def test_a_document_of_another_format_or_version_is_refused(analysis_of):
    from analysis.output import FormatError, analysis_from_json, analysis_to_json

    doc = analysis_to_json(analysis_of)
    for bad in (dict(doc, version=99), dict(doc, format="something-else"), [doc], "x"):
        with pytest.raises(FormatError):
            analysis_from_json(bad)
    with pytest.raises(FormatError):  # messages by id without the messages
        analysis_from_json(analysis_to_json(analysis_of, messages="ids"))


def test_postings_round_trip_on_the_2022_archive():
    from analysis.debate import Postings
    from analysis.output import postings_from_json, postings_to_json
    from scraper import iter_mbox

    p = Postings(iter_mbox(CORPUS_2022))
    assert len(p.postings) > 500
    q = postings_from_json(json.loads(json.dumps(postings_to_json(p))))
    for attr in ("_heads", "end", "parent_of", "unit_of", "postings", "by_author", "by_title", "by_patch_title"):
        assert getattr(q, attr) == getattr(p, attr), attr
    some = next(iter(p.unit_of))
    assert q.head(some) == p.head(some) and q.posting_of(some) == p.posting_of(some)
    assert q.by_title["no such title"] == []  # still a defaultdict, as Postings builds it


class _Boom:
    """Unpickling this runs a shell command (what a crafted database did before)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickled_cache_blob_runs_nothing_and_is_recomputed(tmp_path):
    db = tmp_path / "evil.db"
    assert _hd(db, "ingest", str(THREAD)).returncode == 0
    first = _hd(db, "positions", "--json")
    assert first.returncode == 0, first.stderr
    marker = tmp_path / "pwned"
    conn = sqlite3.connect(db)
    (n,) = conn.execute("select count(*) from analysis_cache").fetchone()
    assert n == 1
    with conn:
        conn.execute("update analysis_cache set blob = ?", [pickle.dumps(_Boom(marker))])
        # what positions lays out is kept too (hookdebate.store_reports): a pickle there is ignored as well
        assert conn.execute("update report_cache set doc = ?", [pickle.dumps(_Boom(marker))]).rowcount == 1
        conn.execute("insert or replace into debate_index (name, key, doc) values ('postings', 'x', ?)",
                     [pickle.dumps(_Boom(marker))])
    conn.close()
    again = _hd(db, "positions", "--json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout  # recomputed, same answer
    debate = _hd(db, "debate", "<20230412043300.360803-1-andrii@kernel.org>", "--json")
    assert debate.returncode == 0, debate.stderr
    assert not marker.exists()
    # and what is stored now is a JSON document again
    blob = sqlite3.connect(db).execute("select blob from analysis_cache").fetchone()[0]
    assert json.loads(blob)["format"] == "hookdebate.thread-analysis"
    doc = sqlite3.connect(db).execute("select doc from report_cache where kind = 'positions'").fetchone()[0]
    assert json.loads(doc)["format"] == "hookdebate.thread-report-cache"
    # pickle's own loader would have run it: the test's payload is real
    pickle.loads(pickle.dumps(_Boom(marker)))
    assert marker.exists()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(db: Path, *words: str):
    before = _sha(db)
    for args in (("positions",), ("ingest", str(LOOPHOLE_2022)), ("threads",)):
        r = _hd(db, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        line = r.stderr.strip()
        assert "\n" not in line and "Traceback" not in line, line
        for w in words:
            assert w in line, line
    assert _sha(db) == before  # left unchanged
    assert not Path(str(db) + "-wal").exists()


def test_a_foreign_messages_table_is_refused_unchanged(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("create table messages (id integer primary key, text text)")
    conn.execute("insert into messages (text) values ('hello')")
    conn.commit()
    conn.close()
    _refused(db, "not a hookdebate database", "lacks")


def test_a_database_without_its_full_text_index_is_refused_unchanged(tmp_path):
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("pragma journal_mode = delete")  # one file, to compare
    conn.execute("drop table messages_fts")
    conn.commit()
    conn.close()
    _refused(db, "not a hookdebate database", "messages_fts")


def test_a_database_from_a_newer_hookdebate_is_refused_unchanged(tmp_path):
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("pragma journal_mode = delete")
    conn.execute("pragma user_version = 7")
    conn.close()
    _refused(db, "newer hookdebate", "schema 7")


def test_other_files_are_refused_in_one_line(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("not sqlite at all\n" * 100)
    d = tmp_path / "dir.db"
    d.mkdir()
    for db in (text, d):
        r = _hd(db, "positions")
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_schema_0_database_is_migrated(tmp_path):
    """What hookdebate wrote before schema versions: user_version 0, the cache and the debate
    index as pickles (made here as that code made them)."""
    db = tmp_path / "old.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    want = _hd(db, "positions", "--json")
    marker = tmp_path / "pwned"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("pragma user_version = 0")
        conn.execute("drop table debate_index")
        conn.execute("create table debate_index (name text primary key, key text, blob blob)")
        conn.execute("insert into debate_index values ('postings', 'k', ?)", [pickle.dumps(_Boom(marker))])
        conn.execute("update analysis_cache set blob = ?", [pickle.dumps(_Boom(marker))])
    conn.close()
    got = _hd(db, "positions", "--json")
    assert got.returncode == 0, got.stderr
    assert got.stdout == want.stdout and not marker.exists()
    conn = sqlite3.connect(db)
    assert conn.execute("pragma user_version").fetchone()[0] == 3
    assert {r[1] for r in conn.execute("pragma table_info(debate_index)")} == {"name", "key", "doc"}
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_a_schema_2_database_gets_the_defects_column(tmp_path):
    """Schema 2 (JSON caches, WAL) had no messages.defects: opened with write access it is
    migrated to 3 (ALTER TABLE ADD COLUMN, its messages flagged with nothing), reads the same,
    and what is ingested afterwards keeps its defects."""
    from hookdebate.store import SCHEMA_VERSION, Store

    assert SCHEMA_VERSION == 3
    db = tmp_path / "v2.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    want = _hd(db, "thread")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute('alter table messages drop column "defects"')
        conn.execute("pragma user_version = 2")
    assert "defects" not in {r[1] for r in conn.execute("pragma table_info(messages)")}
    conn.close()
    got = _hd(db, "thread")
    assert got.returncode == 0 and got.stdout == want.stdout, got.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("pragma user_version").fetchone()[0] == 3
    assert "defects" in {r[1] for r in conn.execute("pragma table_info(messages)")}
    assert conn.execute("select count(*) from messages where defects is not null").fetchone()[0] == 0
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()
    hostile = (b"From x@y Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\nSubject: odd date\n"
               b"Message-ID: <v2-then-3@example.org>\nDate: Fri, 31 Dec 9999 23:59:59 -2359\n\nbody\n")
    (tmp_path / "h.mbox").write_bytes(hostile)
    r = _hd(db, "ingest", str(tmp_path / "h.mbox"))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    (m,) = [m for m in Store(db).messages() if m.message_id == "v2-then-3@example.org"]
    assert m.defects and m.date is None
    # an old message reads back with no defects
    assert all(not m.defects for m in Store(db).messages() if m.message_id != "v2-then-3@example.org")


def test_a_damaged_database_is_one_line(tmp_path):
    """Pages overwritten in the middle of a real database: the commands that read them say so
    in one line, exit 2 (sqlite3's 'database disk image is malformed' was a traceback)."""
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.execute("pragma journal_mode = delete")
    conn.close()
    data = bytearray(db.read_bytes())
    start = len(data) // 3
    data[start:start + 8192] = b"Z" * 8192
    db.write_bytes(bytes(data))
    for args in (("positions",), ("search", "bpf")):
        r = _hd(db, *args)
        assert r.returncode in (0, 2), (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 1, r.stderr
    assert any(_hd(db, *a).returncode == 2 for a in (("positions",), ("search", "bpf")))


def test_a_thread_s_rows_are_replaced_through_an_index(tmp_path):
    """save_analysis deletes a thread's stances and claims by root_id before writing them again:
    through an index (a scan per thread made analyze quadratic in the store), which a database
    made before the index gets on its next writable opening."""
    from hookdebate.store import Store

    db = tmp_path / "x.db"
    Store(db).db.conn.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("drop index idx_claims_root_id")
    conn.close()
    store = Store(db)
    for table in ("message_stances", "positions", "claims"):
        plan = " ".join(r[-1] for r in store.db.conn.execute(
            f"explain query plan delete from [{table}] where root_id = ?", ["x"]))
        assert "USING" in plan and "INDEX" in plan, (table, plan)
