"""The whole archive as a source: ingest, open one thread, list, search, analyze all.

One command: .venv/bin/python bench/bench_archive.py [--archive PATH] [--threads 100] [--skip-analyze]
[--store DB] [--only-analyze] [--repeat N]  (--store: a database the archive was ingested into before, e.g. by --keep DIR's
archive.db: part 1 is skipped and part 2 runs on it; its stored analyses and reports are kept)

Reads ../shared/corpus/linux-security-module-archive.mbox.gz (42,650 messages; not copied
into the repo) and data/corpus/linux-security-module-2022.mbox.gz. Figures, each with the
anchor measured in the same run:
1. ingest of the archive (fresh store, with the thread index): wall, msg/s, peak RSS; anchor:
   rebuilding the thread index alone from the stored messages (its share of the ingest).
2. opening one thread: `hookdebate thread MSGID` as a fresh process (start-up included), over
   N random threads of 2022, on the whole-archive store: median / p90 wall, peak RSS; anchor:
   public-inbox-httpd's /T/ page of the same threads, the 2022 inbox served on 127.0.0.1 (a
   warm, resident server: it pays no start-up). A wrong Message-ID; `positions`, `claims`,
   `report` (md, html, json) with a stored analysis on a sample: the first opening (which lays
   the result out and keeps it, hookdebate/store_reports.py; the debate postings index, which a
   report's debate section reads, rebuilt once before them and timed on its own) and the next
   (served from the store); `threads` and `search` on the archive.
Every timing is printed with the load average of the machine at that moment (1-minute) and the
command's CPU time (user + sys) beside its wall time: on a shared machine wall time follows the
load, CPU time much less.
3. `hookdebate analyze` of the 2022 list (5,853 messages) at --jobs 1 and --jobs 2: msg/s and
   scaling efficiency (rate2 / (2 * rate1)); a rerun with nothing new.
4. The same analyze on a Dask LocalCluster (2 worker processes on 127.0.0.1) against the local
   --jobs 2 run, on the threads active in 2022-08 (1,042 messages) to keep the run short.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
import pi_server  # noqa: E402

ARCHIVE = ROOT.parent.parent / "shared" / "corpus" / "linux-security-module-archive.mbox.gz"
if not ARCHIVE.exists():
    ARCHIVE = Path("/work/shared/corpus/linux-security-module-archive.mbox.gz")
CORPUS_2022 = ROOT / "data" / "corpus" / "linux-security-module-2022.mbox.gz"
HD = [sys.executable, "-m", "hookdebate"]


# A small launcher measures the command: a child forked straight from this process would
# count this process's memory (copied before exec) in its peak RSS.
_LAUNCH = ("import os, subprocess, sys, time; t = time.perf_counter(); "
           "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE); "
           "out, err = p.communicate(); w = time.perf_counter() - t; "
           "import resource; u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "sys.stderr.buffer.write(err[-400:]); "
           "sys.stdout.buffer.write(f'{w} {u.ru_maxrss} {u.ru_utime + u.ru_stime} {p.returncode}\\n'.encode() + out)")


def timed_rss(cmd, env=None, check=True):
    """(wall s, peak RSS MB, returncode, stdout, CPU s) of one fresh process running cmd."""
    p = subprocess.run([sys.executable, "-c", _LAUNCH, *map(str, cmd)], capture_output=True, env=env)
    head, _, out = p.stdout.partition(b"\n")
    wall, rss, cpu, rc = head.split()
    if check and rc != b"0":
        raise SystemExit(f"{' '.join(map(str, cmd))} failed: {p.stderr.decode()[-400:]}")
    return float(wall), int(rss) / 1024, int(rc), out, float(cpu)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def q(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--threads", type=int, default=100, help="random threads to open")
    ap.add_argument("--skip-analyze", action="store_true", help="only parts 1 and 2")
    ap.add_argument("--keep", type=Path, help="keep the work directory here")
    ap.add_argument("--store", type=Path, help="an archive database ingested before: skip part 1, run part 2 on it")
    ap.add_argument("--only-analyze", action="store_true", help="only parts 3 and 4 (analyze the 2022 list; Dask)")
    ap.add_argument("--repeat", type=int, default=1, help="part 3: run each --jobs value this many times")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # start-up as installed: with the byte-code caches
    rng = random.Random(13)
    out: dict = {}

    if args.only_analyze:
        return analyze_parts(args, work, env)

    # 1. ingest -------------------------------------------------------------------------
    db = args.store or work / "archive.db"
    if args.store:
        print(f"1. ingest: skipped, reading {args.store}")
    else:
        if db.exists():
            db.unlink()
        wall, rss, _, stdout, cpu = timed_rss([*HD, "ingest", str(args.archive), "--db", str(db), "--json",
                                               "--no-progress"], env)
        n = json.loads(stdout)[0]["read"]
        idx = subprocess.run([sys.executable, "-c", "import sys, time; from hookdebate.store import Store; "
                              "s = Store(sys.argv[1]); t = time.perf_counter(); s.rebuild_thread_index(); "
                              "print(time.perf_counter() - t, s.count_threads())", str(db)],
                             env=env, capture_output=True, text=True, check=True).stdout.split()
        index_s, nthreads = float(idx[0]), int(idx[1])
        print(f"1. ingest {args.archive.name}: {n} messages, {nthreads} threads in {wall:.1f} s "
              f"({n / wall:.0f} msg/s; CPU {cpu:.1f} s), peak RSS {rss:.0f} MB; the thread index alone rebuilt: "
              f"{index_s:.2f} s = {index_s / wall:.2f}x the ingest ({load()})")
        out["ingest"] = {"messages": n, "threads": nthreads, "seconds": wall, "rss_mb": rss, "index_seconds": index_s}

    # 2. open one thread --------------------------------------------------------------------
    from hookdebate.store import Store

    store = Store(db)
    rows = store.list_threads(since="2022-01-01T00:00:00+00:00", until="2023-01-01T00:00:00+00:00")
    rows = [r for r in rows if r["first"] >= "2022-01-01" and r["last"] < "2023-01-01"]
    sample = rng.sample(rows, min(args.threads, len(rows)))
    pi_work = work / "pi"
    if pi_work.exists():
        shutil.rmtree(pi_work)
    pi_env = pi_server.build_inbox(pi_work, CORPUS_2022, name="lsm")
    server = pi_server.Server(pi_work, pi_env, name="lsm")
    ours, theirs, rsses, cpus = [], [], [], []
    try:
        for r in sample:
            mid = rng.choice(store.thread_message_ids(r["id"]))
            url = server.base + urllib.parse.quote(mid, safe="@.+=-_~!$&*") + "/T/"
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=60) as resp:
                    resp.read()
            except urllib.error.HTTPError:  # not in the 2022 inbox: not a pair to compare
                continue
            theirs.append(time.perf_counter() - t)
            w, m, _, _, c = timed_rss([*HD, "thread", mid, "--db", str(db)], env)
            ours.append(w)
            rsses.append(m)
            cpus.append(c)
    finally:
        server.stop()
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"2. open a thread ({len(ours)} random 2022 threads, whole-archive store): "
          f"median {mo * 1000:.0f} ms (CPU {statistics.median(cpus) * 1000:.0f} ms), p90 {q(ours, 0.9) * 1000:.0f} ms, "
          f"max RSS {max(rsses):.0f} MB; "
          f"public-inbox-httpd /T/ (2022 inbox, warm server): median {mt * 1000:.0f} ms -> {mo / mt:.2f}x ({load()})")
    wrong = [timed_rss([*HD, "thread", f"no-such-{i}@example.org", "--db", str(db)], env, check=False)
             for i in range(5)]
    print(f"   wrong Message-ID refused: median {statistics.median(w[0] for w in wrong) * 1000:.0f} ms "
          f"(CPU {statistics.median(w[4] for w in wrong) * 1000:.0f} ms), "
          f"RSS {max(w[1] for w in wrong):.0f} MB (exit {wrong[0][2]}; {load()})")
    out["open"] = {"median_s": mo, "p90_s": q(ours, 0.9), "max_rss_mb": max(rsses), "pi_median_s": mt}

    # stored analyses: analyze a few threads of the sample, then open them
    by_size = sorted(sample, key=lambda r: r["messages"])
    few = [by_size[round(i * (len(by_size) - 1) / 7)] for i in range(8)]  # smallest to largest
    for r in few:
        timed_rss([*HD, "positions", "--thread", r["root"], "--db", str(db), "--json"], env)
    import sqlite3  # the laid-out results those runs kept: gone, so that a first opening is one

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("delete from report_cache")
        conn.execute("delete from debate_index")  # and the debate postings index: rebuilt once, timed here
    conn.close()
    before = load()
    w, m, _, _, c = timed_rss([*HD, "debate", few[-1]["root"], "--no-stance", "--json", "--db", str(db)], env, check=False)
    print(f"   the debate postings index rebuilt (the first debate or report after an ingest; with one debate): "
          f"{w * 1000:.0f} ms wall (CPU {c * 1000:.0f} ms), RSS {m:.0f} MB ({before} -> {load()})")
    out["debate_index"] = {"seconds": w, "cpu_s": c, "rss_mb": m}
    for cmd in (["positions"], ["claims"], ["report"], ["report", "--format", "html"], ["report", "--format", "json"]):
        span = f"{len(few)} threads of {min(r['messages'] for r in few)}-{max(r['messages'] for r in few)} msgs"
        for what in ("first opening", "opened again"):
            before = load()
            ws = [timed_rss([*HD, *cmd, "--thread", r["root"], "--db", str(db)], env) for r in few]
            print(f"   {' '.join(cmd)} with a stored analysis, {what} ({span}): "
                  f"median {statistics.median(w[0] for w in ws) * 1000:.0f} ms, max {max(w[0] for w in ws) * 1000:.0f} ms "
                  f"(CPU median {statistics.median(w[4] for w in ws) * 1000:.0f} ms, max {max(w[4] for w in ws) * 1000:.0f}), "
                  f"max RSS {max(w[1] for w in ws):.0f} MB ({before} -> {load()})")
    ws = [timed_rss([*HD, "threads", "--db", str(db), *extra], env)[0]
          for extra in ([], ["--sort", "size", "--since", "2023-01-01"], ["--from", "paul moore", "--min-people", "3"])]
    print(f"   threads: {', '.join(f'{w * 1000:.0f}' for w in ws)} ms (all; --sort size --since; --from --min-people; {load()})")
    ws = [timed_rss([*HD, "search", query, "--db", str(db)], env)[0]
          for query in ("authoritative hooks", 's:"user namespace" f:paul', "nq:nack d:20220101..20221231",
                        "q:CAP_BPF b:token")]
    print(f"   search: {', '.join(f'{w * 1000:.0f}' for w in ws)} ms (words; s:+f:; nq:+d:; q:+b:; {load()})")

    if args.skip_analyze:
        return 0
    return analyze_parts(args, work, env)


def analyze_parts(args, work: Path, env: dict) -> int:
    # 3. analyze the 2022 list ---------------------------------------------------------------
    base = work / "2022.db"
    if base.exists():
        base.unlink()
    subprocess.run([*HD, "ingest", str(CORPUS_2022), "--db", str(base), "--no-progress"], env=env,
                   check=True, capture_output=True)
    rates = {}
    for _ in range(args.repeat):
        for jobs in (1, 2):
            d = work / f"2022-j{jobs}.db"
            shutil.copy(base, d)
            before = load()
            w, m, _, stdout, cpu = timed_rss([*HD, "analyze", "--jobs", str(jobs), "--json", "--db", str(d),
                                              "--no-progress"], env)
            r = json.loads(stdout)
            rates.setdefault(jobs, []).append(r["messages"] / w)
            print(f"3. analyze 2022 --jobs {jobs}: {r['analyzed']} threads, {r['messages']} messages in {w:.1f} s "
                  f"= {rates[jobs][-1]:.1f} msg/s (wall incl. start-up); CPU {cpu:.0f} s (client and workers) = "
                  f"{1000 * cpu / r['messages']:.1f} ms per message; peak RSS of one process {m:.0f} MB "
                  f"({before} -> {load()})")
    rate1, rate2 = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"   scaling efficiency at 2 jobs: {rate2 / (2 * rate1):.2f} (rate 2 / 2 x rate 1, medians of {args.repeat})")
    w, _, _, stdout, _ = timed_rss([*HD, "analyze", "--json", "--db", str(work / "2022-j2.db")], env)
    print(f"   rerun with nothing new: {w:.2f} s ({json.loads(stdout)['skipped_current']} threads current)")


    # 4. Dask LocalCluster vs local on 2022-08 --------------------------------------------------
    try:
        import distributed
    except ImportError:
        print("4. dask: not installed (pip install 'hookdebate[distributed]'): skipped")
        return 0
    month = ["--since", "2022-08-01", "--until", "2022-08-31"]
    d_local, d_dask = work / "aug-local.db", work / "aug-dask.db"
    shutil.copy(base, d_local)
    shutil.copy(base, d_dask)
    wl, _, _, sl, cl = timed_rss([*HD, "analyze", *month, "--jobs", "2", "--json", "--db", str(d_local)], env)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        wd, _, _, sd, cd = timed_rss([*HD, "analyze", *month, "--json", "--scheduler", cluster.scheduler_address,
                                  "--db", str(d_dask)], env)
    rl, rd = json.loads(sl), json.loads(sd)
    print(f"4. 2022-08 ({rl['messages']} msgs): local --jobs 2 {wl:.1f} s ({rl['messages'] / wl:.1f} msg/s); "
          f"Dask LocalCluster 2 workers {wd:.1f} s ({rd['messages'] / wd:.1f} msg/s) -> {wd / wl:.2f}x the local time "
          f"(client CPU: local {cl:.0f} s with its workers, Dask client alone {cd:.1f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
