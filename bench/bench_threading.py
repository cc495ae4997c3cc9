"""hookdebate's threading vs public-inbox's own on the 2022 linux-security-module corpus.

One command: .venv/bin/python bench/bench_threading.py [--corpus PATH] [--repeat N]
Setup: a public-inbox v2 inbox of the corpus (public-inbox-init -V2, the epoch written
with git fast-import as tests/pi_server.py does), then `public-inbox-index` (indexlevel
basic: over.sqlite3 with its thread ids; timed, the anchor) and tests/pi_threads.pl, which
reads public-inbox's threading through its own Perl modules (thread id per message from
over.sqlite3, the /T/ view's parent from PublicInbox::SearchThread; checked against the
/T/ pages public-inbox-httpd serves for every thread). hookdebate ingests
the same mbox into a fresh store and threads it (analysis.threading: split_threads and
the parent edges; timed).
Prints: threads on each side, same-thread pair precision/recall of hookdebate against
public-inbox's thread ids, parent agreement with the /T/ view and with "last References
id present, else In-Reply-To", every disagreement by class with an example Message-ID,
and hookdebate's threading time as a ratio of public-inbox-index's in the same run.
The corpus is the one bench_ingest.py reads.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import pi_server  # noqa: E402
import pi_threading  # noqa: E402
from scraper.mbox import iter_raw_mbox  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus" / "linux-security-module-2022.mbox.gz"  # as bench_ingest.py


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each side (median)")
    args = ap.parse_args()
    if not pi_server.have_public_inbox():
        print("public-inbox is not installed")
        return 1
    if not args.corpus.exists():
        print(f"{args.corpus}: no such corpus (--corpus PATH)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-threading-"))
    try:
        env, inbox = pi_server.init_v2_inbox(work, "lsm", "basic", port=1)
        raws = list(iter_raw_mbox(args.corpus))
        pi_server.fast_import_epoch(inbox / "git" / "0.git", raws)
        n = len(raws)
        del raws
        pristine = work / "lsm.pristine"
        shutil.copytree(inbox, pristine, symlinks=True)
        pi_times = []
        for _ in range(args.repeat):
            shutil.rmtree(inbox)
            shutil.copytree(pristine, inbox, symlinks=True)
            t = time.perf_counter()
            subprocess.run(["public-inbox-index", str(inbox)], check=True, env=env, capture_output=True)
            pi_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        pi = pi_threading.pi_threading(inbox, env)
        pi_dump = time.perf_counter() - t
        # cross-check: the same parents as public-inbox-httpd's /T/ pages draw them
        server = pi_server.Server(work, env, name="lsm")
        try:
            drawn = pi_threading.http_present_parents(server.base, pi)
        finally:
            server.stop()
        same_drawn = sum(drawn.get(m) == p.present_parent for m, p in pi.items())

        db = work / "c.db"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hookdebate", "ingest", "--no-progress", str(args.corpus),
                        "--db", str(db)], check=True, capture_output=True, cwd=ROOT)
        ingest = time.perf_counter() - t
        from hookdebate.store import Store

        t = time.perf_counter()
        messages = Store(db).messages()
        load = time.perf_counter() - t
        hd_times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            pi_threading.hd_threading(messages)
            hd_times.append(time.perf_counter() - t)
        agreement = pi_threading.compare(messages, pi)

        print(f"corpus: {args.corpus} ({n} messages); load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
        print(f"public-inbox's parents read with SearchThread = as its /T/ pages over public-inbox-httpd draw "
              f"them: {same_drawn}/{len(pi)}")
        for line in agreement.lines():
            print(line)
        pi_t, hd_t = statistics.median(pi_times), statistics.median(hd_times)
        print(f"public-inbox-index (basic: over.sqlite3 with thread ids): {pi_t:.2f} s (median of {args.repeat}); "
              f"reading its threading with SearchThread: {pi_dump:.2f} s")
        print(f"hookdebate threading (split_threads + parent edges, {n} messages): {hd_t * 1000:.0f} ms "
              f"(median of {args.repeat}) = {hd_t / pi_t:.4f}x public-inbox-index's time "
              f"({pi_t / hd_t:.0f}x faster); with loading the messages from the store ({load:.2f} s): "
              f"{(hd_t + load) / pi_t:.3f}x; `hookdebate ingest` of the mbox.gz (parse + store, one run, "
              f"{ingest:.2f} s) + threading: {(ingest + hd_t) / pi_t:.2f}x")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
