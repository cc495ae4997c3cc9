"""The report cache (hookdebate.store_reports): `report` (md, html, json), `claims` and `positions`
of a thread with a stored analysis are served from the store while their inputs are the ones they
were made from, byte for byte what computing them afresh gives, and made afresh when an input
changes (a new message in the thread, one elsewhere in the archive for a report, the link rules)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hookdebate.cli import main
from hookdebate.store import Store
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]
LOOPHOLE = ROOT / "tests/data/bpf-map-loophole-2022.mbox"  # 22 messages, findings, a debate of one thread
OTHER = ROOT / "tests/data/securityfs-linefeed-nak.mbox"
KINDS = ("md", "html", "json")


def _split():
    """The thread's messages but its last reply, and that reply."""
    msgs = list(iter_mbox(LOOPHOLE))
    last = max((m for m in msgs if m.in_reply_to), key=lambda m: m.date)
    return [m for m in msgs if m is not last], last


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database with the thread (less its last reply) and its stored analysis."""
    path = tmp_path_factory.mktemp("cache") / "t.db"
    first, _ = _split()
    Store(path).add_messages(first)
    assert main(["positions", "--db", str(path), "--json"]) == 0
    return path


@pytest.fixture()
def db(template, tmp_path, capsys):
    path = tmp_path / "h.db"
    src, dst = sqlite3.connect(template), sqlite3.connect(path)
    src.backup(dst)  # whole, WAL included (a plain copy of the file could miss what the WAL holds)
    src.close()
    dst.close()
    capsys.readouterr()
    return path


def _run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _report(capsys, db, fmt) -> str:
    return _run(capsys, "report", "--db", str(db), "--format", fmt)


def _rows(db) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {kind: (digest, doc) for kind, digest, doc in conn.execute("select kind, digest, doc from report_cache")}
    finally:
        conn.close()


def _plant(db, kind: str, value) -> None:
    """Replace what the cache holds for kind (its digest kept) with value, so that a command
    printing value shows the cache was read."""
    conn = sqlite3.connect(db)
    with conn:
        doc = json.loads(conn.execute("select doc from report_cache where kind = ?", [kind]).fetchone()[0])
        doc["claims" if kind == "claims" else "positions" if kind == "positions" else "text"] = value
        assert conn.execute("update report_cache set doc = ? where kind = ?", [json.dumps(doc), kind]).rowcount == 1
    conn.close()


def _fresh(db, fmt: str) -> str:
    """The report made afresh, the way thread_report makes it on a miss (nothing read from the cache)."""
    from hookdebate.reporting import _thread_report_text

    return _thread_report_text(Store(db), None, fmt, None, fmt == "html")[0]


@pytest.mark.parametrize("fmt", KINDS)
def test_a_cached_report_is_the_report_made_afresh(db, capsys, fmt):
    first = _report(capsys, db, fmt)  # made, then kept
    assert fmt in _rows(db)
    again = _report(capsys, db, fmt)  # served from the store
    assert again == first
    fresh = _fresh(db, fmt)
    assert again == fresh  # the HTML's pictures too: hookdebate.report.svg draws the same bytes each time
    if fmt == "html":
        assert "data:image/svg+xml;base64," in again
    if fmt == "json":
        assert json.loads(again)["messages"] == 21
    # it really is read from the store: what is planted there is what is printed
    _plant(db, fmt, "PLANTED\n")
    assert _report(capsys, db, fmt) == "PLANTED\n"


def test_claims_and_positions_cached_equal_afresh(tmp_path, capsys):
    """On the embedded thread (an empty database gets it), whose claims have verdicts."""
    from analysis import positions_json
    from analysis.link import claims_with_verdicts, link_claims
    from hookdebate.pipeline import analyze_thread

    db = tmp_path / "h.db"
    _report(capsys, db, "md")
    claims = _run(capsys, "claims", "--db", str(db), "--json")
    positions = _run(capsys, "positions", "--db", str(db), "--json")
    text = _run(capsys, "claims", "--db", str(db))
    assert {"claims", "positions"} <= set(_rows(db))
    assert _run(capsys, "claims", "--db", str(db), "--json") == claims
    assert _run(capsys, "positions", "--db", str(db), "--json") == positions
    assert _run(capsys, "claims", "--db", str(db)) == text
    a = analyze_thread(Store(db))
    assert json.loads(claims) == claims_with_verdicts(a, link_claims(a))
    assert json.loads(positions) == positions_json(a)
    judged = {v["supports_claim"] for c in json.loads(claims) for v in c["verdicts"]}
    assert judged == {True, False, None}
    # filters apply to the cached rows
    factual = json.loads(_run(capsys, "claims", "--db", str(db), "--json", "--type", "factual"))
    assert factual and all(c["type"] == "factual" for c in factual)
    assert len(factual) < len(json.loads(claims))
    _plant(db, "claims", [])
    _plant(db, "positions", {"thread": "planted", "proposal": "", "participants": [], "messages": []})
    assert _run(capsys, "claims", "--db", str(db), "--json") == "[]\n"
    assert json.loads(_run(capsys, "positions", "--db", str(db), "--json"))["thread"] == "planted"


def test_a_new_message_in_the_thread_is_not_served_the_old_report(db, capsys):
    outs = {fmt: _report(capsys, db, fmt) for fmt in ("md", "json")}
    _run(capsys, "claims", "--db", str(db), "--json")
    _run(capsys, "positions", "--db", str(db), "--json")
    for kind in ("md", "json", "claims", "positions"):
        _plant(db, kind, [] if kind == "claims" else {} if kind == "positions" else "PLANTED\n")
    _, last = _split()
    Store(db).add_messages([last])
    for fmt in ("md", "json"):
        out = _report(capsys, db, fmt)
        assert out != "PLANTED\n" and out != outs[fmt]
        assert out == _fresh(db, fmt)
    assert json.loads(_report(capsys, db, "json"))["messages"] == 22
    assert _run(capsys, "claims", "--db", str(db), "--json") != "[]\n"
    assert json.loads(_run(capsys, "positions", "--db", str(db), "--json"))["thread"]


def test_a_message_elsewhere_in_the_archive_renews_the_report_not_the_claims(db, capsys):
    """The report's debate section reads the whole archive; claims and positions read the thread."""
    _report(capsys, db, "md")
    _run(capsys, "claims", "--db", str(db), "--json")
    _plant(db, "md", "PLANTED\n")
    _plant(db, "claims", [])
    Store(db).add_messages(iter_mbox(OTHER))  # another thread
    thread = ["--thread", _split()[1].in_reply_to]
    assert _run(capsys, "report", "--db", str(db), "--format", "md", *thread) != "PLANTED\n"
    assert _run(capsys, "claims", "--db", str(db), "--json", *thread) == "[]\n"


def test_a_damaged_cache_row_is_recomputed(db, capsys):
    want = _report(capsys, db, "md")
    for doc in ("not json at all", json.dumps({"format": "other", "version": 1, "kind": "md", "text": "X"}),
                json.dumps({"format": "hookdebate.thread-report-cache", "version": 1, "kind": "md", "text": 3}),
                json.dumps(["a", "list"])):
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update report_cache set doc = ? where kind = 'md'", [doc])
        conn.close()
        assert _report(capsys, db, "md") == want


def test_changed_link_rules_are_not_served_the_old_report(db, tmp_path):
    """A fresh process (the fingerprints are computed once per process) reading the data from a
    copy whose link rules differ by one byte: the cache made with the first copy is not used."""
    data = tmp_path / "data"
    data.mkdir()
    for d in (ROOT / "data").iterdir():
        if d.name != "link":
            (data / d.name).symlink_to(d)
    shutil.copytree(ROOT / "data" / "link", data / "link")
    env = {**os.environ, "HOOKDEBATE_DATA": str(data)}

    def report():
        r = subprocess.run([sys.executable, "-m", "hookdebate", "report", "--db", str(db), "--format", "md"],
                           capture_output=True, text=True, env=env, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        return r.stdout

    want = report()
    _plant(db, "md", "PLANTED\n")
    assert report() == "PLANTED\n"  # same data: served from the store
    rules = data / "link" / "rules.json"
    rules.write_text(rules.read_text() + "\n")
    assert report() == want


def test_files_beside_the_report_are_made_afresh(db, capsys, tmp_path):
    """md with pictures and --map write files next to the report: never served from the store."""
    _report(capsys, db, "md")
    _plant(db, "md", "PLANTED\n")
    out = tmp_path / "r.md"
    assert main(["report", "--db", str(db), "--format", "md", "--map", str(tmp_path / "map")]) == 0
    assert capsys.readouterr().out != "PLANTED\n" and (tmp_path / "map.graphml").exists()
    assert main(["report", "--db", str(db), "--pictures", "-o", str(out)]) == 0
    assert out.read_text() != "PLANTED\n" and (tmp_path / "r-timeline.svg").exists()


def test_html_is_made_and_served_without_matplotlib(db, capsys):
    """The HTML's pictures are hookdebate.report.svg's, so its cache key names no matplotlib: a
    Python that cannot import matplotlib is served the kept HTML report and, once that is gone,
    makes the same bytes itself."""
    first = _report(capsys, db, "html")
    code = ("import sys; sys.modules['matplotlib'] = None; from hookdebate.cli import main; "
            "raise SystemExit(main(sys.argv[1:]))")
    argv = [sys.executable, "-c", code, "report", "--db", str(db), "--format", "html"]
    served = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0 and served.stdout == first, served.stderr
    conn = sqlite3.connect(db)
    with conn:
        assert conn.execute("delete from report_cache where kind = 'html'").rowcount == 1
    conn.close()
    made = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0 and made.stdout == first, made.stderr
    assert "html" in _rows(db)
