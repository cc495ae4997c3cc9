"""Long fuzzing runs through the command line (issue 15, deliver 6).

    python bench/fuzz.py --cases 500 [--seed 0] [--jobs 2] [--commands ingest,thread,...]

Each case is one hostile input file from tests/hostile_mail.py (a generated hostile thread, or
real messages of tests/data mutated: bit flips, truncation, splices; an mbox, a gzip whole or
cut short or damaged, or one message), run as subprocesses: `ingest` into a fresh database,
then on its largest thread `thread`, `positions`, `report --format md|html|json`. Each run is
ok (exit 0/1: stored, or stored with warnings), noisy (ok, but stderr has lines that are not
the tool's warnings, e.g. a library's), a clear error (exit 2 and one line "hookdebate: error:
..."), a traceback (or any other exit), or a hang (over --timeout s, default 60). The input of every traceback
or hang is kept in tests/data/fuzz/ (tests/test_fuzz.py replays each one).

Printed: tried / ok / clear errors / tracebacks / hangs, per command with its median and
slowest time, and the slowest case as a ratio to the anchor: the same command on a real
7-message thread (tests/data/securityfs-linefeed-nak.mbox) measured in the same run.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile_mail as H  # noqa: E402

COMMANDS = ("ingest", "thread", "positions", "report-md", "report-html", "report-json")
ANCHOR = ROOT / "tests" / "data" / "securityfs-linefeed-nak.mbox"


def _argv(command: str, src: Path, db: Path, thread: str | None, out: Path) -> list[str]:
    base = [sys.executable, "-m", "hookdebate"]
    if command == "ingest":
        return base + ["ingest", str(src), "--db", str(db), "--no-progress"]
    sel = ["--thread", thread] if thread else []
    if command == "thread":
        return base + ["thread", "--db", str(db), "--json"] + sel
    if command == "positions":
        return base + ["positions", "--db", str(db), "--json"] + sel
    fmt = command.split("-", 1)[1]
    return base + ["report", "--db", str(db), "--format", fmt, "-o", str(out / f"r.{fmt}")] + sel


def _classify(proc, seconds: float, timeout: float) -> tuple[str, str]:
    if proc is None:
        return "hang", f"over {timeout:.0f} s"
    err = proc.stderr.decode("utf-8", "replace")
    lines = [line for line in err.splitlines() if line.strip()]
    if "Traceback" in err or proc.returncode not in (0, 1, 2):
        tail = lines[-1] if lines else f"exit {proc.returncode}"
        return "traceback", tail
    stray = [line for line in lines if not line.startswith(("hookdebate: warning:", "hookdebate: error:"))]
    if proc.returncode == 2:
        errors = [line for line in lines if line.startswith("hookdebate: error:")]
        if len(errors) != 1:
            return "traceback", f"exit 2 with {len(errors)} error lines"
        return "clear", errors[0][:200]
    if stray:  # finished, but said something else too (a library's warning)
        return "noisy", stray[0][:200]
    return "ok", ""


def _largest_thread(db: Path) -> str | None:
    """The root of the database's largest thread (None without messages or for an id the
    command line cannot carry)."""
    from hookdebate.store import Store

    try:
        store = Store(db, create=False)
        if not store.count_messages():
            return None
        store.ensure_thread_index()
        for t in store.largest_threads(5):
            if "\x00" not in t["root"] and not t["root"].startswith("-"):
                return t["root"]
    except Exception:
        return None
    return None


def run_case(src: Path, commands, timeout: float, work: Path) -> list[dict]:
    """Every command on one input file → [{command, outcome, detail, seconds}]."""
    db = work / "f.db"
    results = []
    thread = None
    env = dict(os.environ, HOOKDEBATE_DB=str(db), NO_COLOR="1")
    for command in commands:
        if command != "ingest" and thread is None:
            thread = _largest_thread(db)
            if thread is None:
                break  # nothing stored: the other commands have nothing to read
        start = time.perf_counter()
        try:
            proc = subprocess.run(_argv(command, src, db, thread, work), capture_output=True, timeout=timeout,
                                  cwd=work, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            proc = None
        seconds = time.perf_counter() - start
        outcome, detail = _classify(proc, seconds, timeout)
        results.append({"command": command, "outcome": outcome, "detail": detail, "seconds": seconds})
    return results


def _shown(path: Path) -> str:
    """path relative to the checkout when it is in it (--keep may name any directory)."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _keep(src: Path, results: list[dict], keep_dir: Path) -> Path | None:
    bad = [r for r in results if r["outcome"] in ("traceback", "hang")]
    if not bad:
        return None
    data = src.read_bytes()
    suffix = "".join(src.suffixes) or ".mbox"
    name = f"{bad[0]['command']}-{bad[0]['outcome']}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    keep_dir.mkdir(parents=True, exist_ok=True)
    (keep_dir / name).write_bytes(data)
    return keep_dir / name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="case i is drawn from random.Random(seed + i)")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds after which a command is a hang")
    ap.add_argument("--commands", default=",".join(COMMANDS),
                    help=f"comma-separated, in order, from {','.join(COMMANDS)} (ingest first)")
    ap.add_argument("--keep", type=Path, default=ROOT / "tests" / "data" / "fuzz",
                    help="where the inputs of tracebacks and hangs are kept")
    ap.add_argument("--no-keep", action="store_true")
    args = ap.parse_args()
    commands = [c for c in args.commands.split(",") if c]
    unknown = set(commands) - set(COMMANDS)
    if unknown or commands[:1] != ["ingest"]:
        ap.error(f"--commands: from {','.join(COMMANDS)}, ingest first")

    pool = H.seeds()
    tmp = Path(tempfile.mkdtemp(prefix="hookdebate-fuzz-"))
    try:
        # the anchor: the same commands on a real thread, in this run
        (tmp / "anchor").mkdir()
        anchor = {r["command"]: r for r in run_case(ANCHOR, commands, max(args.timeout, 300), tmp / "anchor")}
        bad_anchor = [r for r in anchor.values() if r["outcome"] not in ("ok", "noisy")]
        if bad_anchor:
            print(f"anchor failed: {bad_anchor}")
            return 2
        print("anchor (a real 7-message thread): " + ", ".join(f"{c} {r['seconds']:.2f} s" for c, r in anchor.items()),
              flush=True)

        def one(i: int):
            rng = random.Random(args.seed + i)
            name, data = H.case(rng, pool)
            work = tmp / f"case-{i}"
            work.mkdir()
            src = work / name
            src.write_bytes(data)
            results = run_case(src, commands, args.timeout, work)
            kept = None if args.no_keep else _keep(src, results, args.keep)
            shutil.rmtree(work, ignore_errors=True)
            return i, name, len(data), results, kept

        all_results: list[tuple] = []
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            for n, (i, name, size, results, kept) in enumerate(ex.map(one, range(args.cases)), 1):
                all_results.append((i, name, size, results))
                for r in results:
                    if r["outcome"] in ("traceback", "hang"):
                        print(f"case {args.seed + i} ({name}, {size:,} bytes): {r['command']} {r['outcome']}: "
                              f"{r['detail']}" + (f" -> kept as {_shown(kept)}" if kept else ""), flush=True)
                if n % 25 == 0:
                    print(f"... {n} cases, {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    runs = [(i, name, size, r) for i, name, size, results in all_results for r in results]
    kinds = ("ok", "noisy", "clear", "traceback", "hang")
    count = {k: sum(1 for *_, r in runs if r["outcome"] == k) for k in kinds}
    print(f"\nfuzz: {len(all_results)} cases (seeds {args.seed}..{args.seed + args.cases - 1}), {len(runs)} command runs: "
          f"tried {len(runs)}, ok {count['ok']}, noisy {count['noisy']}, clear errors {count['clear']}, "
          f"tracebacks {count['traceback']}, hangs (> {args.timeout:.0f} s) {count['hang']}; "
          f"{time.perf_counter() - started:.0f} s")
    noisy = sorted({r["detail"] for *_, r in runs if r["outcome"] == "noisy"})
    for line in noisy[:5]:
        print(f"  noisy: {line}")
    for c in commands:
        mine = [r for *_, r in runs if r["command"] == c]
        if not mine:
            continue
        secs = [r["seconds"] for r in mine]
        by = {k: sum(1 for r in mine if r["outcome"] == k) for k in kinds}
        print(f"  {c:12} {len(mine):5} runs: ok {by['ok']}, noisy {by['noisy']}, clear {by['clear']}, "
              f"tracebacks {by['traceback']}, "
              f"hangs {by['hang']}; median {statistics.median(secs):.2f} s, slowest {max(secs):.2f} s "
              f"({max(secs) / anchor[c]['seconds']:.1f}x the anchor's {anchor[c]['seconds']:.2f} s)")
    if runs:
        i, name, size, r = max(runs, key=lambda x: x[3]["seconds"])
        print(f"slowest case: seed {args.seed + i} ({name}, {size:,} bytes), {r['command']} {r['seconds']:.2f} s = "
              f"{r['seconds'] / anchor[r['command']]['seconds']:.1f}x the anchor")
    return 1 if count["traceback"] or count["hang"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
