"""`hookdebate positions` and `hookdebate claims`: contracts through the CLI and the store."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
NAK = ROOT / "tests" / "data" / "securityfs-linefeed-nak.mbox"


def _db(tmp_path, *mboxes) -> Path:
    from hookdebate.store import Store
    from scraper import iter_mbox

    path = tmp_path / "hd.db"
    store = Store(path)
    for mbox in mboxes:
        store.add_messages(iter_mbox(mbox))
    return path


def _run(db, *args):
    return subprocess.run([sys.executable, "-m", "hookdebate", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def one_thread_db(tmp_path_factory):
    return _db(tmp_path_factory.mktemp("one"), THREAD)


def test_positions_json_contract(one_thread_db):
    r = _run(one_thread_db, "positions", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["thread"] == "20230412043300.360803-1-andrii@kernel.org"
    assert {p["stance"] for p in data["participants"]} <= {"support", "oppose", "mixed", "neutral"}
    assert len(data["messages"]) == 52


def test_claims_json_contract_and_stored(one_thread_db):
    r = _run(one_thread_db, "claims", "--json")
    assert r.returncode == 0, r.stderr
    claims = json.loads(r.stdout)
    keys = {"id", "message_id", "author", "text", "type", "cites", "responds_to", "relation", "scenarios", "verdicts"}
    assert claims and all(set(c) == keys for c in claims)
    for c in claims:
        assert c["scenarios"] == [v["scenario"] for v in c["verdicts"]]
        for v in c["verdicts"]:
            assert set(v) == {"scenario", "kernel", "outcome", "supports_claim"}
            assert v["supports_claim"] in (True, False, None) and v["outcome"]
    judged = [c for c in claims if c["verdicts"]]
    assert judged, "no claim of the embedded thread was linked to a verdict"
    import sqlite3

    con = sqlite3.connect(one_thread_db)
    assert con.execute("select count(*) from claims").fetchone()[0] == len(claims)
    assert con.execute("select count(*) from positions").fetchone()[0] == 6
    # every verdict printed is stored, with the trace of modeled kernel checks behind it
    stored = {(row[0], row[1]): json.loads(row[2]) for row in
              con.execute("select claim_id, scenario_id, trace from verdicts")}
    assert len(stored) == sum(len(c["verdicts"]) for c in claims)
    for c in judged:
        for v in c["verdicts"]:
            trace = stored[(c["id"], v["scenario"])]
            assert trace and all(set(t) == {"check", "models", "result"} for t in trace)
    assert con.execute("select count(*) from scenarios").fetchone()[0] == len(
        {v["scenario"] for c in claims for v in c["verdicts"]})


def test_human_output_and_filters(one_thread_db):
    r = _run(one_thread_db, "claims", "--type", "question", "--cites", "CAP_BPF")
    assert r.returncode == 0, r.stderr
    assert "(question" in r.stdout and "claim(s)" in r.stdout
    r = _run(one_thread_db, "claims")
    assert r.returncode == 0, r.stderr
    assert "model: " in r.stdout and " under " in r.stdout
    r = _run(one_thread_db, "positions")
    assert r.returncode == 0 and "stance: oppose" in r.stdout


def test_several_threads_need_a_choice(tmp_path):
    db = _db(tmp_path, THREAD, NAK)
    r = _run(db, "positions", "--json")
    assert r.returncode == 2 and "--thread" in r.stderr and "Traceback" not in r.stderr
    from scraper import iter_mbox

    mid = next(iter(iter_mbox(NAK))).message_id
    r = _run(db, "positions", "--json", "--thread", f"<{mid}>")
    assert r.returncode == 0, r.stderr
    pos = {p["name"]: p["stance"] for p in json.loads(r.stdout)["participants"]}
    assert pos["Casey Schaufler"] == "oppose"


def test_a_claim_is_the_same_in_claims_json_and_the_report(one_thread_db, tmp_path):
    """One serialization of a claim (analysis.output.claim_json): `claims --json` and `report
    --format json` give each claim the same fields, in each contract's key order."""
    r = _run(one_thread_db, "claims", "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    out = tmp_path / "r.json"
    r = _run(one_thread_db, "report", "--format", "json", "-o", str(out))
    assert r.returncode == 0, r.stderr
    reported = json.loads(out.read_text())["claims"]
    shared = ("id", "message_id", "author", "text", "type", "cites", "responds_to", "relation")
    assert [{k: c[k] for k in shared} for c in listed] == [{k: c[k] for k in shared} for c in reported]
    assert any(c["responds_to"] and c["responds_to"]["author"] for c in listed)
    assert list(listed[0]) == [*shared, "scenarios", "verdicts"]
    assert list(reported[0])[:9] == ["id", "message_id", "url", "author", "text", "type", "cites",
                                     "relation", "responds_to"]


def test_positions_and_claims_are_library_calls(one_thread_db):
    """`positions` and `claims` are options + hookdebate.reporting.thread_positions/thread_claims."""
    from hookdebate.reporting import thread_claims, thread_positions
    from hookdebate.store import Store

    store = Store(one_thread_db, create=False)
    for args, got in ((("positions", "--json"), thread_positions(store)), (("claims", "--json"), thread_claims(store))):
        r = _run(one_thread_db, *args)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == got and got
