"""`hookdebate ingest` of the 2022 linux-security-module corpus vs `public-inbox-index` of the same mail.

One command: .venv/bin/python bench/bench_ingest.py [--corpus PATH]
Setup (not timed against anything): write a public-inbox v2 epoch of the corpus with
`git fast-import` (one commit per message, blob `m`, as public-inbox-mda would).
Timed: `public-inbox-index` of that inbox (indexlevel basic, its cheapest; and full, the
default, as lore runs it), then `hookdebate ingest INBOX` (git epoch → SQLite with FTS) and
`hookdebate ingest CORPUS.mbox.gz`, each a fresh process into a fresh store; peak RSS and CPU
time (user+sys) of each are reported. Each is run --repeat times (full-level indexing
--full-repeat times) and the median wall time is compared: the machine is shared, and CPU
time is printed too because it moves much less with other load.
Goals: >= 20x faster, RSS <= 500 MB.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import pi_server  # noqa: E402
from scraper.mbox import iter_raw_mbox  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "linux-security-module-2022.mbox.gz"

_RSS = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime, r.returncode); "
        "sys.stderr.write(r.stderr.decode()[-400:])")


def run_measured(cmd, env, repeat: int = 1, before=None) -> tuple[float, float, float, float]:
    """→ (median wall s, min wall s, peak RSS MB, median CPU s) of cmd, each run a fresh child.

    before(): called before every run (e.g. to remove the store, so each run starts empty).
    """
    walls, rss, cpus = [], 0.0, []
    for _ in range(repeat):
        if before is not None:
            before()
        out = subprocess.run([sys.executable, "-c", _RSS, *cmd], env=env, capture_output=True, text=True)
        wall, rss_kb, cpu, rc = out.stdout.split()
        if rc != "0":
            raise SystemExit(f"{cmd[0]} failed: {out.stderr}")
        walls.append(float(wall))
        cpus.append(float(cpu))
        rss = max(rss, int(rss_kb) / 1024)
    return statistics.median(walls), min(walls), rss, statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each hookdebate ingest and of basic indexing")
    ap.add_argument("--full-repeat", type=int, default=1, help="runs of full-level indexing (~1 min each)")
    args = ap.parse_args()
    if not pi_server.have_public_inbox():
        print("public-inbox is not installed")
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        env, inbox = pi_server.init_v2_inbox(work, "lsm", "basic", port=1)
        t = time.perf_counter()
        raws = list(iter_raw_mbox(args.corpus))
        pi_server.fast_import_epoch(inbox / "git" / "0.git", raws)
        n = len(raws)
        del raws
        print(f"setup: {n} messages written to a v2 epoch with git fast-import in {time.perf_counter() - t:.1f} s")

        def fresh_index(inbox_dir):
            """Each timed run indexes from scratch: the inbox as it was before any indexing."""
            pristine = work / (inbox_dir.name + ".pristine")
            shutil.copytree(inbox_dir, pristine, symlinks=True)

            def restore():
                shutil.rmtree(inbox_dir)
                shutil.copytree(pristine, inbox_dir, symlinks=True)
            return restore

        print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
        restore_basic = fresh_index(inbox)
        pi = run_measured(["public-inbox-index", str(inbox)], env, args.repeat, restore_basic)
        # the default indexlevel (full, as lore runs it): a second inbox on a copy of the epoch
        _, full = pi_server.init_v2_inbox(work, "lsm-full", "full", port=1)
        shutil.rmtree(full / "git" / "0.git")
        shutil.copytree(work / "lsm.pristine" / "git" / "0.git", full / "git" / "0.git")
        pf = run_measured(["public-inbox-index", str(full)], env, args.full_repeat, fresh_index(full))
        hd = [sys.executable, "-m", "hookdebate", "ingest", "--no-progress"]

        def rm(db):
            return lambda: [p.unlink() for p in work.glob(db + "*")]

        ep = run_measured(hd + [str(inbox), "--db", str(work / "epoch.db")], env, args.repeat, rm("epoch.db"))
        # incremental re-run: nothing new, must be quick
        inc = run_measured(hd + [str(inbox), "--db", str(work / "epoch.db")], env)
        mb = run_measured(hd + [str(args.corpus), "--db", str(work / "mbox.db")], env, args.repeat, rm("mbox.db"))

        import sqlite3
        stored = sqlite3.connect(work / "epoch.db").execute("select count(*) from messages").fetchone()[0]
        dups = sqlite3.connect(work / "epoch.db").execute("select count(*) from message_duplicates").fetchone()[0]
        print(f"stored from the epoch: {stored} messages (+{dups} archive duplicates kept aside)")
        print(f"median of {args.repeat} runs ({args.full_repeat} for full); wall = median (min)")

        def line(label, m):
            wall, best, rss, cpu = m
            print(f"{label:36s}{wall:7.2f} s ({best:5.2f}) {n / wall:7.0f} msg/s  CPU {cpu:6.2f} s  "
                  f"peak RSS {rss:5.0f} MB")
        line("public-inbox-index (basic):", pi)
        line("public-inbox-index (full):", pf)
        line("hookdebate ingest <v2 inbox>:", ep)
        print(f"{'hookdebate ingest <inbox> again:':36s}{inc[0]:7.2f} s  (incremental, nothing new)")
        line("hookdebate ingest <corpus.mbox.gz>:", mb)
        for label, ref in (("basic", pi), ("full", pf)):
            print(f"speed-up vs public-inbox-index {label:5s} wall: epoch {ref[0] / ep[0]:5.1f}x, "
                  f"mbox.gz {ref[0] / mb[0]:5.1f}x;  CPU: epoch {ref[3] / ep[3]:5.1f}x, "
                  f"mbox.gz {ref[3] / mb[3]:5.1f}x")
        print("goal: >= 20x, peak RSS <= 500 MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
