"""`hookdebate analyze`: every selected thread, on several processes or a Dask LocalCluster,
stores what analyzing each thread alone gives; reruns skip what is current; an interrupted run
continues."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
SMALL = ["lsm-boot-reporting-v2.mbox", "securityfs-linefeed-nak.mbox", "xfs-capable-noaudit-reviewed.mbox"]


def hd(*args, db, check=True, env=None):
    proc = subprocess.run([sys.executable, "-m", "hookdebate", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=600, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def make_db(path: Path, mboxes=SMALL) -> Path:
    hd("ingest", *(str(DATA / m) for m in mboxes), "--no-progress", db=path)
    return path


def alone(store, tid):
    """What analyzing the thread by itself gives (the code path of `positions` on it)."""
    import analysis

    a = analysis.analyze(store.thread_messages(tid))
    return analysis.positions_json(a), analysis.claims_json(a)


def stored(store, tid):
    import analysis
    from hookdebate.pipeline import cached_analysis

    a = cached_analysis(store, tid)
    assert a is not None, f"thread {tid} has no current stored analysis"
    return analysis.positions_json(a), analysis.claims_json(a)


@pytest.fixture(scope="module")
def parallel_db(tmp_path_factory):
    db = make_db(tmp_path_factory.mktemp("par") / "hd.db")
    out = json.loads(hd("analyze", "--jobs", "2", "--json", db=db).stdout)
    return db, out


def test_parallel_run_equals_each_thread_alone(parallel_db):
    from hookdebate.store import Store

    db, out = parallel_db
    store = Store(db)
    threads = store.list_threads()
    assert out["analyzed"] == len(threads) == 3 and out["jobs"] == 2 and not out["failed"]
    assert out["messages"] == sum(t["messages"] for t in threads)
    for t in threads:
        assert stored(store, t["id"]) == alone(store, t["id"])
        assert t["analyzed"] if "analyzed" in t else True


def test_rerun_skips_what_is_current_and_redoes_a_grown_thread(parallel_db, tmp_path):
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(parallel_db[0], db)
    again = json.loads(hd("analyze", "--json", db=db).stdout)
    assert again["analyzed"] == 0 and again["skipped_current"] == 3
    # a new thread arrives: only it is analyzed
    hd("ingest", str(DATA / "create-user-ns-v5-nack.mbox"), "--no-progress", db=db)
    more = json.loads(hd("analyze", "--json", "--jobs", "1", db=db).stdout)
    assert more["analyzed"] == 1 and more["skipped_current"] == 3 and more["messages"] == 14


def test_filters_select_threads(parallel_db, tmp_path):
    import shutil

    db = tmp_path / "f.db"
    shutil.copy(parallel_db[0], db)
    out = json.loads(hd("analyze", "--json", "--subject", "line feed", db=db).stdout)
    assert out["selected"] == 1
    bad = hd("analyze", "--since", "2023-13-01", db=db, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    bad = hd("analyze", "--from", "nobody-of-that-name", db=db, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    bad = hd("analyze", "--jobs", "0", db=db, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_contested_sort_and_archive_report(parallel_db, tmp_path):
    db = parallel_db[0]
    rows = json.loads(hd("threads", "--json", "--sort", "contested", db=db).stdout)["threads"]
    scores = [t["contested"] for t in rows]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)
    for t in rows:
        sides = t["sides"]
        total = sum(v["messages"] for v in sides.values())
        expect = 2 * min(sides["support"]["messages"], sides["oppose"]["messages"]) / total
        assert abs(t["contested"] - expect) < 1e-3
    md = hd("report", "--archive", db=db).stdout
    from hookdebate.report import mdsafe

    assert "Most contested" in md and mdsafe.text(rows[0]["subject"]) in md  # escaped: mail text is inert
    html = tmp_path / "archive.html"
    hd("report", "--archive", "-o", str(html), db=db)
    text = html.read_text()
    assert "<svg" in text and rows[0]["subject"].replace("&", "&amp;") in text


# `hookdebate analyze` in a process that interrupts itself with a real SIGINT right after it has
# stored N threads (the real save, then the signal): an interruption at a defined point, whatever
# the speed of the machine or of the analysis
_INTERRUPT_AFTER = r"""
import os, signal, sys
# a process started in the background by a non-interactive shell inherits SIGINT ignored, and
# Python then installs no KeyboardInterrupt handler: a Ctrl-C is what this test is about
signal.signal(signal.SIGINT, signal.default_int_handler)
import hookdebate.pipeline as pipeline
save, after, saved = pipeline.save_thread_rows, int(sys.argv[1]), []
def save_then_interrupt(*args, **kwargs):
    save(*args, **kwargs)
    saved.append(args[1])
    if len(saved) == after:
        os.kill(os.getpid(), signal.SIGINT)
pipeline.save_thread_rows = save_then_interrupt
from hookdebate.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_interrupted_run_continues(tmp_path):
    import sqlite3

    db = make_db(tmp_path / "int.db", SMALL + ["create-user-ns-v5-nack.mbox"])
    proc = subprocess.run([sys.executable, "-c", _INTERRUPT_AFTER, "2", "analyze", "--jobs", "1", "--db", str(db)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 130 and "interrupted" in proc.stderr, proc.stderr

    def rows(c):
        return (dict(c.execute("select thread_id, digest || fingerprint from thread_analysis")),
                dict(c.execute("select root_id, rowid || digest from analysis_cache")))

    with sqlite3.connect(db) as c:
        summaries, cache = rows(c)
    assert len(summaries) == 2 and len(cache) == 2  # what was stored before the signal is kept
    out = json.loads(hd("analyze", "--json", "--jobs", "1", db=db).stdout)
    assert (out["selected"], out["skipped_current"], out["analyzed"], out["failed"]) == (4, 2, 2, [])
    with sqlite3.connect(db) as c:
        after_summaries, after_cache = rows(c)
    # the two stored first are neither redone nor rewritten (a rewrite gives the cache row a new
    # rowid), and nothing is stored twice
    assert len(after_summaries) == 4 and len(after_cache) == 4
    assert {k: after_summaries[k] for k in summaries} == summaries
    assert {k: after_cache[k] for k in cache} == cache
    again = json.loads(hd("analyze", "--json", "--jobs", "1", db=db).stdout)
    assert (again["skipped_current"], again["analyzed"]) == (4, 0)


def test_dask_local_cluster_equals_local_run(parallel_db, tmp_path):
    distributed = pytest.importorskip("distributed")
    from hookdebate.store import Store

    db = make_db(tmp_path / "dask.db")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster:
        env = dict(os.environ, DASK_SCHEDULER_ADDRESS=cluster.scheduler_address)
        out = json.loads(hd("analyze", "--json", db=db, env=env).stdout)
    assert out["backend"] == "dask" and out["jobs"] == 2 and out["analyzed"] == 3 and not out["failed"]
    local, remote = Store(parallel_db[0]), Store(db)
    for t in remote.list_threads():
        tid_local = local.thread_id_of(t["root"])
        assert stored(remote, t["id"]) == stored(local, tid_local)


def test_unreachable_scheduler_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    db = make_db(tmp_path / "u.db", SMALL[:1])
    proc = hd("analyze", "--scheduler", "tcp://127.0.0.1:9", db=db, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_batches_keep_a_series_versions_together():
    """The versions of a series (same subject, tags and 'Re:' aside) go in one batch, so one
    worker's parse cache serves the text they repeat; each thread once, largest first otherwise."""
    from hookdebate.analyze_all import _batches

    todo = [{"id": 1, "messages": 30, "subject": "[PATCH v3 0/4] bpf: Add a token"},
            {"id": 2, "messages": 25, "subject": "[PATCH] lsm: fix a leak"},
            {"id": 3, "messages": 20, "subject": "[PATCH v2 0/4] bpf: Add a token"},
            {"id": 4, "messages": 10, "subject": "Re: [RFC PATCH 0/4] bpf: add a  token"},
            {"id": 5, "messages": 5, "subject": "[PATCH] selinux: typo"}]
    batches = [[r["id"] for r in b] for b in _batches(todo, 40)]
    assert batches == [[1, 3, 4], [2, 5]]
    assert [[r["id"] for r in b] for b in _batches(todo, 1)] == [[1], [2], [3], [4], [5]]
