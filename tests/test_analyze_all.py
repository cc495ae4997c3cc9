"""`hookdebate analyze`: every selected thread, on several processes or a Dask LocalCluster,
stores what analyzing each thread alone gives; reruns skip what is current; an interrupted run
continues."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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


def test_interrupted_run_continues(tmp_path):
    db = make_db(tmp_path / "int.db", SMALL + ["create-user-ns-v5-nack.mbox"])
    proc = subprocess.Popen([sys.executable, "-m", "hookdebate", "analyze", "--jobs", "1", "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import sqlite3

    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db) as c:
                done = c.execute("select count(*) from thread_analysis").fetchone()[0]
        except sqlite3.OperationalError:
            done = 0
        if done >= 1:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    with sqlite3.connect(db) as c:
        saved = c.execute("select count(*) from thread_analysis").fetchone()[0]
    assert 1 <= saved < 4
    out = json.loads(hd("analyze", "--json", "--jobs", "1", db=db).stdout)
    assert out["skipped_current"] == saved and out["analyzed"] == 4 - saved


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
