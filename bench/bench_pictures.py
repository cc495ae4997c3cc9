"""The HTML report's pictures: the standard-library SVG writer (hookdebate/report/svg.py) against
matplotlib, and what that does to the first opening of an HTML report.

One command: .venv/bin/python bench/bench_pictures.py [--runs 5] [--baseline REV | --no-baseline]
[--thread MBOX]

On the embedded thread (data/threads/authoritative-hooks.mbox, 52 messages) ingested into a temp
store, `positions` run once (the stored analysis) and one `report --format md` (which caches the
v6.3 -> proposal variant diff in the store), then the report cache's md/html/json rows deleted:
1. the two pictures in this process from that thread's report dict: svg.timeline + svg.argument_map
   against the anchor, the same content drawn by matplotlib as SVG
   (hookdebate/report/matplotlib_drawing.py, what the HTML report inlined before): the first call
   (its imports included) and the median of --runs calls after it; CPU (process_time) and wall.
2. the first opening of `hookdebate report --format html -o FILE`: each run a child process on a
   fresh copy of that store (nothing of the report cached), its CPU (user + sys, getrusage of the
   children) and wall; median, min, max of --runs. Anchor in the same run: the first opening of
   `report --format md` the same way (no pictures). With --baseline REV (default below: main
   before the SVG writer), the html first opening by REV's code too (`git archive` into a temp
   dir, run with PYTHONPATH on it), run by run alternating with the working tree's.
The children run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed, one warm-up run
each), as an installed tool does. The 1-minute load average is printed beside each figure: on a
shared machine wall time follows the load, CPU time much less.
"""
from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
BASELINE = "182e1bd"  # main before the SVG writer: the pictures drawn by matplotlib


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _child_env(pythonpath: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _run_child(argv: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(CPU s, wall s) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def _prepare(tmp: Path, mbox: Path) -> Path:
    db = tmp / "template.db"
    env = _child_env(None)
    hd = [sys.executable, "-m", "hookdebate"]
    for argv in (["ingest", str(mbox), "--db", str(db), "--no-progress"], ["positions", "--db", str(db)],
                 ["report", "--format", "md", "--db", str(db)]):
        subprocess.run(hd + argv, cwd=ROOT, env=env, capture_output=True, check=True)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("delete from report_cache where kind in ('md', 'html', 'json')")
    conn.close()
    return db


def _fresh_copy(template: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    src, out = sqlite3.connect(template), sqlite3.connect(dst)
    src.backup(out)
    src.close()
    out.close()
    return dst


def _summary(label: str, xs: list[tuple[float, float]], loads: list[float], anchor: float | None = None) -> float:
    cpu = [c for c, _ in xs]
    wall = [w for _, w in xs]
    med = statistics.median(cpu)
    ratio = f"  = {med / anchor:.2f}x the anchor" if anchor else ""
    print(f"  {label}: CPU median {med * 1000:.0f} ms (min {min(cpu) * 1000:.0f}, max {max(cpu) * 1000:.0f}); "
          f"wall median {statistics.median(wall) * 1000:.0f} ms (min {min(wall) * 1000:.0f}, "
          f"max {max(wall) * 1000:.0f}); load {min(loads):.1f}-{max(loads):.1f}{ratio}")
    return med


def _pictures_in_process(template: Path, runs: int) -> None:
    from hookdebate.report import matplotlib_drawing, pictures, svg
    from hookdebate.reporting import build_report
    from hookdebate.store import Store

    report = build_report(Store(template), None)[0]
    tl, am = pictures.timeline_content(report), pictures.map_content(report)
    writers = (("anchor: matplotlib SVG (matplotlib_drawing, the pictures before)",
                lambda: (matplotlib_drawing.timeline(tl, "svg"), matplotlib_drawing.argument_map(am, "svg"))),
               ("stdlib SVG (hookdebate.report.svg)", lambda: (svg.timeline(tl), svg.argument_map(am))))
    print(f"== 1. the two pictures in process ({report['messages']} messages, {len(tl.people)} rows, "
          f"{len(am.nodes)} nodes, {sum(1 for _ in am.edges())} arrows)")
    anchor = None
    for label, draw in writers:
        times = []
        for _ in range(runs + 1):
            c, t = time.process_time(), time.perf_counter()
            out = draw()
            times.append((time.process_time() - c, time.perf_counter() - t))
        first, rest = times[0], times[1:]
        med = statistics.median(c for c, _ in rest)
        ratio = f" = 1/{anchor / med:.0f} of the anchor" if anchor else ""
        print(f"  {label}: first call {first[0] * 1000:.1f} ms CPU / {first[1] * 1000:.1f} ms wall (imports "
              f"included); then CPU median {med * 1000:.2f} ms, wall median "
              f"{statistics.median(w for _, w in rest) * 1000:.2f} ms over {runs}{ratio}; "
              f"{sum(len(x) for x in out):,} bytes; {_load()}")
        anchor = anchor or med


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", default=BASELINE, help=f"git revision for the html before (default {BASELINE})")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--thread", type=Path, default=THREAD)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pictures-") as tmp_name:
        tmp = Path(tmp_name)
        template = _prepare(tmp, args.thread)
        _pictures_in_process(template, args.runs)
        trees = [("md (anchor)", "md", ROOT, None), ("html", "html", ROOT, None)]
        if not args.no_baseline:
            base = tmp / "baseline"
            base.mkdir()
            archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            trees.append((f"html by {args.baseline}", "html", base, base))
        print(f"\n== 2. first opening of `hookdebate report --format FMT` ({args.thread.name}, stored analysis, "
              f"{args.runs} runs each, alternating)")
        results: dict[str, list] = {label: [] for label, *_ in trees}
        loads: dict[str, list] = {label: [] for label, *_ in trees}
        for i in range(args.runs + 1):  # run 0 warms up (writes the bytecode caches)
            for label, fmt, cwd, path in trees:
                db = _fresh_copy(template, tmp / "run.db")
                argv = [sys.executable, "-m", "hookdebate", "report", "--format", fmt, "--db", str(db),
                        "-o", str(tmp / f"r.{fmt}")]
                loads[label].append(os.getloadavg()[0])
                got = _run_child(argv, cwd, _child_env(path))
                if i:
                    results[label].append(got)
        if not args.no_baseline:  # the baseline really ran its own code
            probe = subprocess.run([sys.executable, "-c", "import hookdebate; print(hookdebate.__file__)"],
                                   cwd=base, env=_child_env(base), capture_output=True, text=True).stdout.strip()
            assert probe.startswith(str(base)), probe
        anchor = None
        for label, *_ in trees:
            med = _summary(label, results[label], loads[label], anchor)
            anchor = anchor or med
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
