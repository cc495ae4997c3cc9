"""The store under concurrency and faults, with real processes and real SQLite limits: two
ingests into one database at once both succeed (one waits and says so); a reader sees one
snapshot while an ingest runs; a full database (SQLite's max_page_count) or a read-only one
is a one-line error, exit 2, and nothing stored before is lost."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
LOOPHOLE_2022 = ROOT / "tests" / "data" / "bpf-map-loophole-2022.mbox"
STACKING = ROOT / "tests" / "data" / "lsm-stacking-next-6.1.mbox"
CORPUS_2022 = ROOT / "data" / "corpus" / "linux-security-module-2022.mbox.gz"


def _cmd(db, *args):
    return [sys.executable, "-m", "hookdebate", *args, "--db", str(db)]


def _hd(db, *args, timeout=300):
    return subprocess.run(_cmd(db, *args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _count(db) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from messages").fetchone()[0]
    finally:
        conn.close()


def _mbox_count(path: Path) -> int:
    from scraper import iter_mbox

    return len({m.message_id for m in iter_mbox(path)})


def _fts_complete(db) -> bool:
    conn = sqlite3.connect(db)
    try:
        n = conn.execute("select count(*) from messages").fetchone()[0]
        hits = conn.execute("select count(*) from messages_fts").fetchone()[0]
        ok = conn.execute("pragma integrity_check").fetchone()[0]
        conn.execute("insert into messages_fts(messages_fts) values('integrity-check')")
        return n == hits and ok == "ok"
    finally:
        conn.close()


def test_two_ingests_at_once_both_succeed(tmp_path):
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(THREAD)).returncode == 0
    a = subprocess.Popen(_cmd(db, "ingest", str(CORPUS_2022)), cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen(_cmd(db, "ingest", str(STACKING), str(LOOPHOLE_2022)), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = [p.communicate(timeout=600) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, outs
    assert "Traceback" not in outs[0][1] + outs[1][1]
    want = len({*_ids(THREAD), *_ids(CORPUS_2022), *_ids(STACKING), *_ids(LOOPHOLE_2022)})
    assert _count(db) == want
    assert _fts_complete(db)
    again = _hd(db, "ingest", str(STACKING), str(LOOPHOLE_2022))
    assert again.returncode == 0 and _count(db) == want  # each message once


def _ids(path):
    from scraper import iter_mbox

    return [m.message_id for m in iter_mbox(path)]


def test_a_writer_waits_for_another_and_says_so(tmp_path):
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(THREAD)).returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write in progress
    holder.execute("insert into state (key, value) values ('held', '1')")
    p = subprocess.Popen(_cmd(db, "ingest", str(LOOPHOLE_2022)), cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not any("waiting" in x for x in lines) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.2)
    err = "".join(lines)
    assert "another process is writing" in err and "waiting" in err, err
    time.sleep(1)
    assert p.poll() is None  # still waiting, not failed
    holder.execute("COMMIT")
    holder.close()
    p.wait(timeout=300)
    reader.join(timeout=10)
    assert p.returncode == 0, "".join(lines)
    assert _count(db) == 52 + _mbox_count(LOOPHOLE_2022)
    assert sqlite3.connect(db).execute("select value from state where key = 'held'").fetchone() == ("1",)


def test_a_reader_sees_one_snapshot_while_an_ingest_runs(tmp_path):
    from hookdebate.store import Store

    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(THREAD)).returncode == 0
    before = _hd(db, "thread", "--json").stdout
    store = Store(db)
    with store.snapshot():
        n0 = store.count_messages()
        p = subprocess.run(_cmd(db, "ingest", str(LOOPHOLE_2022)), cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stderr  # the writer was not blocked by the reader
        assert store.count_messages() == n0 == 52  # the reader still sees its snapshot
        assert len(store.message_ids()) == 52
    assert store.count_messages() == 52 + _mbox_count(LOOPHOLE_2022)  # and the ingest after it
    # a real command reading while a big ingest writes: answers, with the state before or after
    big = subprocess.Popen(_cmd(db, "ingest", str(CORPUS_2022)), cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    reads = []
    while big.poll() is None and len(reads) < 20:
        r = _hd(db, "thread", "<20230412043300.360803-1-andrii@kernel.org>", "--json")
        reads.append(r)
    big.communicate(timeout=600)
    assert big.returncode == 0
    assert reads and all(r.returncode == 0 and r.stdout == before for r in reads), reads[-1].stderr


class _LimitedConnect:
    """sqlite3.connect, then PRAGMA max_page_count: SQLite's own "database or disk is full"
    once the file would grow past `extra` pages more than it has."""

    def __init__(self, extra: int):
        self.extra = extra
        self.real = sqlite3.connect

    def __call__(self, *a, **kw):
        conn = self.real(*a, **kw)
        (pages,) = conn.execute("pragma page_count").fetchone()
        conn.execute(f"pragma max_page_count = {pages + self.extra}")
        return conn


def test_a_full_database_is_a_one_line_error_and_nothing_is_lost(tmp_path, monkeypatch, capsys):
    from hookdebate import cli
    from hookdebate import store as store_mod

    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(THREAD)).returncode == 0
    want = _hd(db, "thread", "--json").stdout
    monkeypatch.setattr(store_mod.sqlite3, "connect", _LimitedConnect(extra=20))
    rc = cli.main(["ingest", str(LOOPHOLE_2022), str(CORPUS_2022), "--db", str(db)])
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = [line for line in err.splitlines() if line.startswith("hookdebate: error")]
    assert len(lines) == 1 and "full" in lines[0] and "nothing of it was stored" in lines[0], err
    assert "Traceback" not in err and "savepoint" not in err
    monkeypatch.undo()
    assert _fts_complete(db)
    n = _count(db)
    assert n in (52, 52 + _mbox_count(LOOPHOLE_2022))  # each source whole or not at all
    assert _hd(db, "thread", "<20230412043300.360803-1-andrii@kernel.org>", "--json").stdout == want
    # the space back: the same ingest completes, each message once
    r = _hd(db, "ingest", str(LOOPHOLE_2022), str(CORPUS_2022))
    assert r.returncode == 0, r.stderr
    assert _count(db) == len({*_ids(THREAD), *_ids(LOOPHOLE_2022), *_ids(CORPUS_2022)})
    assert _fts_complete(db)


def test_a_full_database_while_saving_an_analysis(tmp_path, monkeypatch, capsys):
    from hookdebate import cli
    from hookdebate import store as store_mod

    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    monkeypatch.setattr(store_mod.sqlite3, "connect", _LimitedConnect(extra=0))
    rc = cli.main(["positions", "--db", str(db)])
    err = capsys.readouterr().err
    assert rc == 2 and "full" in err and len(err.strip().splitlines()) == 1, err
    monkeypatch.undo()
    assert sqlite3.connect(db).execute("select count(*) from analysis_cache").fetchone()[0] == 0
    assert _hd(db, "positions").returncode == 0


def _unprivileged() -> list[str]:
    """A prefix that runs a command without the power to write read-only files: nothing for
    a normal user; for root, a new user namespace (same uid, no capabilities over the files)."""
    if os.geteuid() != 0:
        return []
    import shutil

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-U", "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without unshare -U: a read-only file is writable")
    return [unshare, "-U"]


def test_a_read_only_database(tmp_path):
    db = tmp_path / "hd.db"
    assert _hd(db, "ingest", str(LOOPHOLE_2022)).returncode == 0
    want = _hd(db, "positions", "--json")
    assert want.returncode == 0
    n = _count(db)
    prefix = _unprivileged()
    db.chmod(0o444)
    try:
        r = subprocess.run([*prefix, *_cmd(db, "ingest", str(THREAD))], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "read-only" in r.stderr, r.stderr
        # reading what is stored still works
        again = subprocess.run([*prefix, *_cmd(db, "positions", "--json")], cwd=ROOT, capture_output=True,
                               text=True, timeout=300)
        assert again.returncode == 0 and again.stdout == want.stdout, again.stderr
    finally:
        db.chmod(0o644)
    # nothing cached: a reading command computes, answers and says it keeps nothing
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("delete from analysis_cache")
        conn.execute("delete from report_cache")  # what positions lays out is kept there too
    conn.close()
    db.chmod(0o444)
    try:
        fresh = subprocess.run([*prefix, *_cmd(db, "positions", "--json")], cwd=ROOT, capture_output=True,
                               text=True, timeout=300)
        assert fresh.returncode == 0 and fresh.stdout == want.stdout, fresh.stderr
        assert "read-only" in fresh.stderr and "not kept" in fresh.stderr, fresh.stderr
    finally:
        db.chmod(0o644)
    assert _count(db) == n and _fts_complete(db)
