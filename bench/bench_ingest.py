"""`hookdebate ingest` of the 2022 linux-security-module corpus vs `public-inbox-index` of the same mail.

One command: .venv/bin/python bench/bench_ingest.py [--corpus PATH]
Setup (not timed against anything): write a public-inbox v2 epoch of the corpus with
`git fast-import` (one commit per message, blob `m`, as public-inbox-mda would).
Timed: `public-inbox-index` of that inbox (indexlevel basic, its cheapest), then
`hookdebate ingest INBOX` (git epoch → SQLite with FTS) and `hookdebate ingest CORPUS.mbox.gz`,
each a fresh process; peak RSS of each is reported. Goals: >= 20x faster, RSS <= 500 MB.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import pi_server  # noqa: E402
from scraper.mbox import iter_raw_mbox  # noqa: E402

CORPUS = Path("/work/shared/corpus/linux-security-module-2022.mbox.gz")

_RSS = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode); "
        "sys.stderr.write(r.stderr.decode()[-400:])")


def run_measured(cmd, env) -> tuple[float, float]:
    """→ (wall seconds, peak RSS MB) of cmd run in a fresh child."""
    out = subprocess.run([sys.executable, "-c", _RSS, *cmd], env=env, capture_output=True, text=True)
    wall, rss_kb, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{cmd[0]} failed: {out.stderr}")
    return float(wall), int(rss_kb) / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    if not pi_server.have_public_inbox():
        print("public-inbox is not installed")
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        env = dict(os.environ, PI_CONFIG=str(work / "config"), HOME=str(work / "home"))
        (work / "home").mkdir()
        inbox = work / "lsm"
        subprocess.run(["public-inbox-init", "-V2", "-L", "basic", "lsm", str(inbox),
                        "http://127.0.0.1:1/lsm", "lsm@example.org"], check=True, env=env, capture_output=True)
        t = time.perf_counter()
        raws = list(iter_raw_mbox(args.corpus))
        pi_server.fast_import_epoch(inbox / "git" / "0.git", raws)
        n = len(raws)
        del raws
        print(f"setup: {n} messages written to a v2 epoch with git fast-import in {time.perf_counter() - t:.1f} s")

        pi_wall, pi_rss = run_measured(["public-inbox-index", str(inbox)], env)
        # the default indexlevel (full, as lore runs it): a second inbox on a copy of the epoch
        full = work / "lsm-full"
        subprocess.run(["public-inbox-init", "-V2", "lsm-full", str(full),
                        "http://127.0.0.1:1/lsm-full", "lsm-full@example.org"], check=True, env=env, capture_output=True)
        shutil.rmtree(full / "git" / "0.git")
        shutil.copytree(inbox / "git" / "0.git", full / "git" / "0.git")
        pf_wall, pf_rss = run_measured(["public-inbox-index", str(full)], env)
        hd = [sys.executable, "-m", "hookdebate", "ingest", "--no-progress"]
        ep_wall, ep_rss = run_measured(hd + [str(inbox), "--db", str(work / "epoch.db")], env)
        # incremental re-run: nothing new, must be quick
        inc_wall, _ = run_measured(hd + [str(inbox), "--db", str(work / "epoch.db")], env)
        mb_wall, mb_rss = run_measured(hd + [str(args.corpus), "--db", str(work / "mbox.db")], env)

        import sqlite3
        stored = sqlite3.connect(work / "epoch.db").execute("select count(*) from messages").fetchone()[0]
        dups = sqlite3.connect(work / "epoch.db").execute("select count(*) from message_duplicates").fetchone()[0]
        print(f"stored from the epoch: {stored} messages (+{dups} archive duplicates kept aside)")
        print(f"public-inbox-index (basic):        {pi_wall:7.2f} s  {n / pi_wall:8.0f} msg/s  peak RSS {pi_rss:6.0f} MB")
        print(f"public-inbox-index (full):         {pf_wall:7.2f} s  {n / pf_wall:8.0f} msg/s  peak RSS {pf_rss:6.0f} MB")
        print(f"hookdebate ingest <v2 inbox>:      {ep_wall:7.2f} s  {n / ep_wall:8.0f} msg/s  peak RSS {ep_rss:6.0f} MB")
        print(f"hookdebate ingest <inbox> again:   {inc_wall:7.2f} s  (incremental, nothing new)")
        print(f"hookdebate ingest <corpus.mbox.gz>:{mb_wall:7.2f} s  {n / mb_wall:8.0f} msg/s  peak RSS {mb_rss:6.0f} MB")
        print(f"speed-up vs public-inbox-index basic: epoch {pi_wall / ep_wall:.1f}x, mbox.gz {pi_wall / mb_wall:.1f}x")
        print(f"speed-up vs public-inbox-index full:  epoch {pf_wall / ep_wall:.1f}x, mbox.gz {pf_wall / mb_wall:.1f}x (goal >= 20x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
