"""The pipeline skeleton on the real embedded thread: store, threading, identities, CLI errors."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookdebate.store import Store
from scraper import ScrapeError, iter_mbox

ROOT = Path(__file__).resolve().parents[1]
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
GOLD = json.loads((Path(__file__).parent / "gold-authoritative-hooks.json").read_text())


def hookdebate(*args: str, db: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hookdebate", *args, "--db", str(db)],
        capture_output=True, text=True, cwd=ROOT, **kw,
    )


@pytest.fixture(scope="module")
def messages():
    return list(iter_mbox(THREAD))


def test_embedded_thread_has_52_distinct_messages(messages):
    assert len(messages) == GOLD["thread"]["message_count"] == 52
    assert len({m.message_id for m in messages}) == 52


def test_store_round_trips_messages_and_raw_bytes(tmp_path, messages):
    store = Store(tmp_path / "t.db")
    result = store.add_messages(messages)
    assert (result.added, result.skipped) == (52, 0)
    back = {m.message_id: m for m in store.messages()}
    for m in messages:
        assert back[m.message_id] == m  # every field, raw bytes included


def test_reingest_is_idempotent(tmp_path, messages):
    store = Store(tmp_path / "t.db")
    store.add_messages(messages)
    again = store.add_messages(iter_mbox(THREAD))
    assert (again.added, again.skipped) == (0, 52)
    assert store.count_messages() == 52


def test_messages_come_back_in_utc_order(tmp_path, messages):
    store = Store(tmp_path / "t.db")
    store.add_messages(reversed(messages))
    dates = [m.date for m in store.messages()]
    assert dates == sorted(dates)


def test_full_text_search_finds_words_of_bodies(tmp_path, messages):
    store = Store(tmp_path / "t.db")
    store.add_messages(messages)
    hits = store.search("authoritative")
    assert hits and all("authoritative" in (m.body + m.subject).lower() for m in hits)


def test_failed_batch_stores_nothing_of_that_call(tmp_path, messages):
    store = Store(tmp_path / "t.db")
    store.add_messages(messages[:10])

    def poisoned():
        yield from messages[10:20]
        raise ScrapeError("boom")

    # A small batch size makes the store write several batches before the failure.
    with pytest.raises(ScrapeError):
        store.add_messages(poisoned(), batch_size=3)
    assert store.count_messages() == 10
    assert len(store.search("authoritative", limit=100)) <= 10  # FTS rolled back too
    # The store is still usable and a re-run of the same ingest stores the rest once.
    assert store.add_messages(messages).added == len(messages) - 10
    assert store.count_messages() == len(messages)


def test_one_root_and_parents_match_the_headers(messages):
    from analysis import build_tree

    tree = build_tree(messages)
    roots = [mid for mid, parent in tree.parent_of.items() if parent is None]
    assert roots == [GOLD["thread"]["root_message_id"]] == [tree.root_id]
    assert len(tree.order) == 52
    for gold in GOLD["messages"]:
        assert tree.parent_of[gold["message_id"]] == gold["in_reply_to"], gold["message_id"]


def test_addresses_merge_into_six_people(messages):
    from analysis import merge_identities

    people, author_of = merge_identities(messages)
    assert len(people) == len(GOLD["participants"]) == 6
    for gold in GOLD["participants"]:
        owners = {p.person_id for p in people if set(gold["addresses"]) & set(p.addresses)}
        assert len(owners) == 1, gold["name"]
        (person,) = [p for p in people if p.person_id in owners]
        assert set(person.addresses) == set(gold["addresses"])
    assert set(author_of) == {m.message_id for m in messages}


# -- command line ---------------------------------------------------------------------

def test_cli_ingest_twice_then_thread_tree(tmp_path):
    db = tmp_path / "cli.db"
    first = hookdebate("ingest", str(THREAD), db=db)
    assert first.returncode == 0, first.stderr
    second = hookdebate("ingest", str(THREAD), db=db)
    assert second.returncode == 0, second.stderr
    assert Store(db).count_messages() == 52
    tree = hookdebate("thread", "--json", db=db)
    assert tree.returncode == 0, tree.stderr
    rows = json.loads(tree.stdout)["messages"]
    assert len(rows) == 52 and rows[0]["depth"] == 0
    assert all(r["depth"] >= 1 for r in rows[1:])
    # a reply's Message-ID given as --thread (as every other command takes it) finds the same thread
    reply = rows[5]["message_id"]
    by_option = hookdebate("thread", "--json", "--thread", f"<{reply}>", db=db)
    assert by_option.returncode == 0, by_option.stderr
    assert json.loads(by_option.stdout)["messages"] == rows
    _assert_one_line_error(hookdebate("thread", rows[0]["message_id"], "--thread", reply, db=db))


def _assert_one_line_error(proc):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hookdebate: error:"), proc.stderr


@pytest.mark.parametrize("kind", ["missing", "not-mail", "bad-gzip"])
def test_bad_input_is_one_line_error_and_loses_nothing(tmp_path, kind):
    db = tmp_path / "bad.db"
    assert hookdebate("ingest", str(THREAD), db=db).returncode == 0
    source = tmp_path / f"{kind}.mbox"
    if kind == "not-mail":
        source.write_bytes(b"\x00\x01 this is a PNG, honest\n" * 20)
    elif kind == "bad-gzip":  # not one message can be read from it
        source = tmp_path / "bad.mbox.gz"
        source.write_bytes(gzip.compress(THREAD.read_bytes())[:300])
    proc = hookdebate("ingest", str(source), db=db)
    _assert_one_line_error(proc)
    store = Store(db)
    assert store.count_messages() == 52


def _warnings(proc):
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith("hookdebate: warning: ") for line in lines), proc.stderr
    return lines


def test_a_message_without_message_id_is_kept_flagged(tmp_path):
    db = tmp_path / "bad.db"
    raw = THREAD.read_bytes()
    first = raw.split(b"\nFrom MAILER-DAEMON")[0]
    other = first.replace(b"20230412043300.360803-1-andrii@kernel.org", b"new-one@example.org")
    broken = b"\n".join(l for l in first.split(b"\n") if not l.lower().startswith(b"message-id:"))
    source = tmp_path / "no-message-id.mbox"
    source.write_bytes(other + b"\n\n" + broken + b"\n")
    proc = hookdebate("ingest", str(source), db=db)
    assert proc.returncode == 0
    (line,) = _warnings(proc)
    assert "#1" in line and "no Message-ID" in line
    store = Store(db)
    assert store.count_messages() == 2 and store.has_message("new-one@example.org")


def test_a_truncated_mbox_gz_is_said_and_its_whole_messages_stored(tmp_path):
    db = tmp_path / "bad.db"
    source = tmp_path / "bad.mbox.gz"
    source.write_bytes(gzip.compress(THREAD.read_bytes())[:5000])
    proc = hookdebate("ingest", str(source), db=db)
    assert proc.returncode == 1  # some of the source could not be stored
    (line,) = _warnings(proc)
    stored = Store(db).count_messages()
    assert "truncated gzip" in line and f": {stored} whole messages read" in line and 0 < stored < 52


@pytest.mark.parametrize("kind", ["not-sqlite", "directory"])
def test_unusable_database_is_one_line_error_and_left_alone(tmp_path, kind):
    db = tmp_path / "notes.txt"
    if kind == "not-sqlite":
        db.write_bytes(b"my notes, not a database\n" * 10)
    else:
        db.mkdir()
    before = db.read_bytes() if kind == "not-sqlite" else None
    for args in (("ingest", str(THREAD)), ("thread",)):
        _assert_one_line_error(hookdebate(*args, db=db))
    if before is not None:
        assert db.read_bytes() == before


def test_help_does_not_import_spacy():
    code = ("import sys; from hookdebate.cli import build_parser; build_parser(); "
            "print('spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("data", [None, "elsewhere"])
def test_read_path_finds_the_data_dir_without_importing_semantics(tmp_path, data):
    """A read served from the store needs only the data directory's path (the fingerprints its
    cached results are checked against); hookdebate.pipeline gets it from semantics/datadir.py
    without importing the kernel model, and it is the directory semantics itself decides."""
    env = dict(os.environ)
    env.pop("HOOKDEBATE_DATA", None)
    want = ROOT / "data"
    if data:  # the same data, seen through another directory (the model reads it on import)
        want = tmp_path / "data"
        want.mkdir()
        for entry in (ROOT / "data").iterdir():
            (want / entry.name).symlink_to(entry)
        env["HOOKDEBATE_DATA"] = str(want)
    code = ("import sys; from hookdebate import pipeline; pipeline.analysis_fingerprint(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('semantics', 'analysis'))); "
            "d = pipeline.DATA_DIR; from semantics.datadir import data_dir; print(d == data_dir(), d)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    imported, same = out.stdout.splitlines()
    assert imported == "[]", out.stderr
    assert same == f"True {want}", out.stderr


def test_choosing_a_stored_thread_imports_no_mail_parser(tmp_path):
    """A Message-ID is made bare by mailrecords.bare_msgid, the ground floor's one rule: picking a
    stored thread (every read served from the store does) imports neither the scraper nor the
    email package."""
    db = tmp_path / "t.db"
    assert hookdebate("ingest", str(THREAD), db=db).returncode == 0
    code = ("import sys; from hookdebate.store import Store; from hookdebate.pipeline import select_thread_id; "
            f"print(select_thread_id(Store({str(db)!r}, create=False), '<20230412043300.360803-1-andrii@kernel.org>') > 0); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scraper', 'email')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.splitlines() == ["True", "[]"], out.stderr


@pytest.mark.parametrize("command", ["thread", "positions", "claims"])
def test_reading_a_missing_database_leaves_nothing_behind(tmp_path, command):
    """A typo in --db for a command that only reads: one-line error, and no empty database or
    directory created there."""
    db = tmp_path / "no-such-dir" / "typo.db"
    _assert_one_line_error(hookdebate(command, db=db))
    assert not db.parent.exists()


def test_replay_of_a_file_without_scenarios_is_an_error(tmp_path):
    empty = tmp_path / "none.json"
    empty.write_text("[]")
    proc = subprocess.run([sys.executable, "-m", "hookdebate", "replay", "--file", str(empty)],
                          capture_output=True, text=True, cwd=ROOT)
    _assert_one_line_error(proc)
    assert "holds no scenario" in proc.stderr
