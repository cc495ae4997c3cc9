"""Bounded work on hostile threads (issue 15, Deliver 3): each hostile input of the issue through
every command a user runs on it, in fresh processes, with wall time and peak RSS, each as a ratio
against the same command on the embedded thread (data/threads/, 52 real messages) in the same run.

Inputs (tests/hostile.py builds them; a short root and the hostile part):
  prose-3.4M        a reply of 3.4 MB of prose in paragraphs (the issue's 165 s / 10.9 GB)
  paragraph-3.4M    the same as one paragraph (no blank line)
  prose-5.2M        over spaCy's max_length of 5 M characters (E088: the thread could never be reported)
  prose-10M         the done criterion's largest message
  paragraph-10M     10 MB of prose as one paragraph
  sentence-1.9M     one sentence of 1.9 MB (no full stop, no blank line)
  sentence-10M      one sentence of 10 MB
  nospace-10M       10 MB without a space or a line break
  from-name-1M      a 1 MB From display name (the HTML report took 80 s)
  from-name-10M     a 10 MB From display name
  year-9999         replies dated 9999-12-31 and 0001-01-01 (the HTML timeline crashed)
  chain-20000       a reply chain 20,000 deep (thread 91 s, report over 5 minutes; 10.6 MB in all)

Commands: ingest, thread, positions (the analysis, stored), report md / html / json (from the
stored analysis, as a second command on a thread does). A command over --timeout seconds is
stopped and shown as such. The bound is read on CPU time (user + system of the command's
process): on a machine shared with other work wall time grows with the load average, which
each row prints.

    .venv/bin/python bench/bench_bounds.py [--only NAME[,NAME]] [--timeout 300]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402

THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
HOOKDEBATE = str(Path(sys.executable).with_name("hookdebate"))

INPUTS = {
    "prose-3.4M": lambda: hostile.big_body(3_400_000),
    "paragraph-3.4M": lambda: hostile.big_body(3_400_000, paragraph_sentences=None),
    "prose-5.2M": lambda: hostile.big_body(5_200_000),
    "prose-10M": lambda: hostile.big_body(10_000_000),
    "paragraph-10M": lambda: hostile.big_body(10_000_000, paragraph_sentences=None),
    "sentence-1.9M": lambda: hostile.one_sentence(1_900_000),
    "sentence-10M": lambda: hostile.one_sentence(10_000_000),
    "nospace-10M": lambda: hostile.no_spaces(10_000_000),
    "from-name-1M": lambda: hostile.big_from_name(1_000_000),
    "from-name-10M": lambda: hostile.big_from_name(10_000_000),
    "year-9999": hostile.far_date,
    "chain-20000": lambda: hostile.deep_chain(20_000),
}
COMMANDS = ("ingest", "thread", "positions", "md", "html", "json")


def _argv(cmd: str, db: str, mbox: str, out: str) -> list[str]:
    return {"ingest": [HOOKDEBATE, "ingest", "--db", db, mbox],
            "thread": [HOOKDEBATE, "thread", "--db", db],
            "positions": [HOOKDEBATE, "positions", "--db", db],
            "md": [HOOKDEBATE, "report", "--db", db, "-o", out + ".md"],
            "html": [HOOKDEBATE, "report", "--db", db, "-o", out + ".html"],
            "json": [HOOKDEBATE, "report", "--db", db, "-o", out + ".json"]}[cmd]


def _measure(argv: list[str], timeout: float) -> tuple[float, float, float, int | str]:
    """(wall seconds, CPU seconds (user + sys), peak RSS in MB, exit status or 'timeout') of one
    fresh process."""
    # GNU time reports the command's own peak RSS (a child's ru_maxrss would include the copy of
    # this process it was forked from, inputs and all)
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        argv = [str(gnu_time), "-f", "maxrss_kb=%M"] + argv
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            p.kill()
            pid, status, usage = os.wait4(p.pid, 0)
            return time.perf_counter() - t, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, "timeout"
        time.sleep(0.05)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    rc = os.waitstatus_to_exitcode(status)
    if "Traceback" in err:
        rc = f"{rc} (traceback)"
    rss = usage.ru_maxrss / 1024
    if "maxrss_kb=" in err:
        rss = int(err.rsplit("maxrss_kb=", 1)[1].split()[0]) / 1024
    return wall, usage.ru_utime + usage.ru_stime, rss, rc


def _run_all(name: str, data: bytes, work: Path, timeout: float) -> dict:
    d = work / name
    d.mkdir()
    mbox = d / "in.mbox"
    mbox.write_bytes(data)
    out = {}
    for cmd in COMMANDS:
        out[cmd] = _measure(_argv(cmd, str(d / "db"), str(mbox), str(d / "report")), timeout)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated input names (default: all)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a command is stopped")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(INPUTS)
    for n in names:
        if n not in INPUTS:
            ap.error(f"unknown input {n!r} (known: {', '.join(INPUTS)})")
    with tempfile.TemporaryDirectory(prefix="bench-bounds-") as tmp:
        work = Path(tmp)
        anchor = _run_all("embedded", THREAD.read_bytes(), work, args.timeout)
        print(f"anchor: the embedded thread (52 messages), in this run; load average {os.getloadavg()[0]:.1f}")
        print("  " + "  ".join(f"{c} {w:.2f}s wall {u:.2f}s CPU {r:.0f}MB" for c, (w, u, r, _rc) in anchor.items()))
        print()
        print(f"{'input':16} {'size':>7} {'command':9} {'wall':>8} {'x anchor':>8} {'CPU':>8} {'x anchor':>8} "
              f"{'peak RSS':>9} {'x anchor':>8} {'load':>5}")
        worst_wall = worst_cpu = worst_rss = 0.0
        for n in names:
            data = INPUTS[n]()
            res = _run_all(n, data, work, args.timeout)
            for c in COMMANDS:
                w, u, r, rc = res[c]
                worst_wall, worst_cpu, worst_rss = max(worst_wall, w), max(worst_cpu, u), max(worst_rss, r)
                flag = "" if rc == 0 else f"  rc={rc}"
                aw, au, ar, _ = anchor[c]
                print(f"{n:16} {len(data) / 1e6:6.1f}M {c:9} {w:7.1f}s {w / aw:7.1f}x {u:7.1f}s {u / au:7.1f}x "
                      f"{r:7.0f}MB {r / ar:7.1f}x {os.getloadavg()[0]:5.1f}{flag}", flush=True)
        print()
        print(f"worst command: {worst_cpu:.1f} s CPU, {worst_rss:.0f} MB peak RSS, {worst_wall:.1f} s wall "
              f"(load average now {os.getloadavg()[0]:.1f}; the issue's bound: 30 s, 1 GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
