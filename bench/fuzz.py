"""Long fuzzing runs through the command line (issue 15, deliver 6).

    python bench/fuzz.py --cases 500 [--seed 0] [--jobs 2] [--commands ingest,thread,...] [--isolate]

Each case is one hostile input file from tests/hostile_mail.py (a generated hostile thread, or
real messages of tests/data mutated: bit flips, truncation, splices; an mbox, a gzip whole or
cut short or damaged, or one message): `ingest` into a fresh database, then on its largest
thread `thread`, `positions`, `report --format md|html|json`. Each run is ok (exit 0/1: stored,
or stored with warnings), noisy (ok, but stderr has lines that are not the tool's warnings, e.g.
a library's), a clear error (exit 2 and one line "hookdebate: error: ..."), a traceback (or any
other exit), or a hang (over --timeout s, default 60). The input of every traceback or hang is
kept in tests/data/fuzz/ (tests/test_fuzz.py replays each one).

How a command runs. By default each job has one long-lived worker process that imports
hookdebate (and loads spaCy) once and runs every command through the CLI's real entry point,
hookdebate.cli.main, with the argv `python -m hookdebate` would get, in the case's directory,
with the same environment, stdin /dev/null and file descriptors 1 and 2 pointed at files (so a C
library's output is caught as a process's would be). What a subprocess would turn into a
traceback is one here too: an exception escaping main() is printed by traceback.print_exc()
and exits 1, SystemExit is an exit status as the interpreter makes it, a dead worker is its
signal; the classification reads the same exit status and stderr. The hang limit is the
parent's: a command over --timeout has its worker killed (and a new one started); that run is
a hang. Python warnings are reset for each command (catch_warnings), as a fresh process has
them. --isolate runs each command as its own `python -m hookdebate` subprocess instead (six
start-ups per case, ~2 s of CPU each on this machine); --compare N runs the first N cases both
ways in this run, prints both modes' time and the cases classified differently (the run then
exits 1).

Printed: tried / ok / clear errors / tracebacks / hangs, per command with its median and
slowest time, and the slowest case as a ratio to the anchor: the same command on a real
7-message thread (tests/data/securityfs-linefeed-nak.mbox) measured in the same run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile_mail as H  # noqa: E402

COMMANDS = ("ingest", "thread", "positions", "report-md", "report-html", "report-json")
ANCHOR = ROOT / "tests" / "data" / "securityfs-linefeed-nak.mbox"
RECYCLE_RSS_MB = 1500  # a worker past this is replaced between commands (caches, matplotlib figures)


def argv_for(command: str, src: Path, db: Path, thread: str | None, out: Path) -> list[str]:
    """hookdebate's arguments (after `python -m hookdebate`) for one command of a case."""
    if command == "ingest":
        return ["ingest", str(src), "--db", str(db), "--no-progress"]
    sel = ["--thread", thread] if thread else []
    if command == "thread":
        return ["thread", "--db", str(db), "--json"] + sel
    if command == "positions":
        return ["positions", "--db", str(db), "--json"] + sel
    fmt = command.split("-", 1)[1]
    return ["report", "--db", str(db), "--format", fmt, "-o", str(out / f"r.{fmt}")] + sel


def classify(returncode: int | None, stderr: bytes, timeout: float) -> tuple[str, str]:
    """(outcome, detail) of one command run from its exit status (None: stopped at the timeout)
    and its stderr."""
    if returncode is None:
        return "hang", f"over {timeout:.0f} s"
    err = stderr.decode("utf-8", "replace")
    lines = [line for line in err.splitlines() if line.strip()]
    if "Traceback" in err or returncode not in (0, 1, 2):
        tail = lines[-1] if lines else f"exit {returncode}"
        return "traceback", tail[:300]
    stray = [line for line in lines if not line.startswith(("hookdebate: warning:", "hookdebate: error:"))]
    if returncode == 2:
        errors = [line for line in lines if line.startswith("hookdebate: error:")]
        if len(errors) != 1:
            return "traceback", f"exit 2 with {len(errors)} error lines"
        return "clear", errors[0][:200]
    if stray:  # finished, but said something else too (a library's warning)
        return "noisy", stray[0][:200]
    return "ok", ""


# -- in-process: the worker's side ----------------------------------------------------------------
def run_in_process(argv: list[str], cwd: str, env: dict, stdout_path: str, stderr_path: str) -> int:
    """Run hookdebate.cli.main(argv) as `python -m hookdebate ARGV` would, in this process:
    cwd and environment set for the call, fds 1 and 2 on the given files, and the exit status
    the interpreter would give (an uncaught exception: its traceback on stderr, status 1)."""
    import gc
    import traceback
    import warnings

    from hookdebate.cli import main

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_argv = sys.argv
    saved_streams = sys.stdout, sys.stderr
    sys.stdout.flush()
    sys.stderr.flush()
    saved_fds = os.dup(1), os.dup(2)
    out_fd = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err_fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.close(out_fd)
    os.close(err_fd)
    # new sys.stdout/stderr on fds 1 and 2, made as the interpreter makes them for a file or pipe
    sys.stdout = _std_stream(1, sys.__stdout__, line_buffering=False)
    sys.stderr = _std_stream(2, sys.__stderr__, line_buffering=True)
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.argv = [str(ROOT / "hookdebate" / "__main__.py")] + list(argv)
        with warnings.catch_warnings():  # a fresh process's warning filters and once-registries
            try:
                code = main(list(argv))  # __main__: raise SystemExit(main())
                raise SystemExit(code)
            except SystemExit as exc:  # what the interpreter makes of SystemExit
                if exc.code is None:
                    rc = 0
                elif isinstance(exc.code, int):
                    rc = exc.code & 0xFF
                else:
                    print(exc.code, file=sys.stderr)
                    rc = 1
            except BaseException:  # escaped main(): what an uncaught exception prints
                traceback.print_exc()
                rc = 1
            gc.collect()  # (a __del__ failing now is reported here, not in the next command)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the interpreter reports a failed flush at exit
                traceback.print_exc()
                rc = 120
        return rc
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - reported above
                pass
        sys.stdout, sys.stderr = saved_streams
        os.dup2(saved_fds[0], 1)
        os.dup2(saved_fds[1], 2)
        os.close(saved_fds[0])
        os.close(saved_fds[1])
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv


def _std_stream(fd: int, like, line_buffering: bool):
    import io

    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or ("backslashreplace" if fd == 2 else "strict")
    return io.TextIOWrapper(io.BufferedWriter(io.FileIO(fd, "w", closefd=False)), encoding=encoding, errors=errors,
                            line_buffering=line_buffering)


def serve(cmd_fd: int, res_fd: int) -> int:
    """The worker: one JSON request per line on cmd_fd, one JSON answer per line on res_fd."""
    import resource

    import hookdebate.cli  # noqa: F401 - imported once, for every command
    try:
        from analysis.nlp import get_nlp

        get_nlp()
    except Exception:  # noqa: BLE001 - a command says so itself
        pass
    res = os.fdopen(res_fd, "w", buffering=1)
    res.write(json.dumps({"ready": os.getpid()}) + "\n")
    with os.fdopen(cmd_fd, "r") as cmds:
        for line in cmds:
            req = json.loads(line)
            before = resource.getrusage(resource.RUSAGE_SELF)
            rc = run_in_process(req["argv"], req["cwd"], req["env"], req["stdout"], req["stderr"])
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rss = 0
            try:
                with open(f"/proc/{os.getpid()}/status") as f:
                    rss = next(int(x.split()[1]) // 1024 for x in f if x.startswith("VmRSS:"))
            except (OSError, StopIteration):
                pass
            res.write(json.dumps({"rc": rc, "cpu": cpu, "rss_mb": rss}) + "\n")
    return 0


# -- in-process: the parent's side --------------------------------------------------------------
class Worker:
    """One long-lived worker process, started when first needed, killed at a hang."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def _start(self) -> None:
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(cmd_r), str(res_w)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(cmd_r, res_w), start_new_session=True, cwd=ROOT)
        os.close(cmd_r)
        os.close(res_w)
        self.cmd = os.fdopen(cmd_w, "w", buffering=1)
        self.res = res_r
        self.buf = b""
        self.starts += 1
        ready = self._answer(600)  # the imports and spaCy, once
        if not ready or "ready" not in ready:
            self.stop()
            raise RuntimeError("the fuzz worker did not start")

    def _answer(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.res], [], [], left)
            if ready:
                chunk = os.read(self.res, 65536)
                if not chunk:
                    return {"dead": True}
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for f in (self.cmd,):
            try:
                f.close()
            except OSError:
                pass
        os.close(self.res)
        self.proc = None

    def run(self, argv, cwd: Path, env: dict, timeout: float) -> tuple[int | None, bytes, float, float]:
        """(exit status or None at the timeout, stderr, CPU seconds, wall seconds) of one command."""
        if self.proc is None:
            self._start()
        start = time.perf_counter()
        out, err = cwd / ".stdout", cwd / ".stderr"
        self.cmd.write(json.dumps({"argv": argv, "cwd": str(cwd), "env": env, "stdout": str(out),
                                   "stderr": str(err)}) + "\n")
        answer = self._answer(timeout)
        seconds = time.perf_counter() - start
        if answer is None:  # a hang: this worker is done
            self.stop()
            return None, _read(err), timeout, seconds
        if answer.get("dead"):  # the worker died in the command (a signal): as a subprocess would
            self.proc.wait()
            rc = self.proc.returncode
            self.stop()
            return rc, _read(err), 0.0, seconds
        if answer["rss_mb"] > RECYCLE_RSS_MB:
            self.stop()
        return answer["rc"], _read(err), answer["cpu"], seconds


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def run_subprocess(argv, cwd: Path, env: dict, timeout: float) -> tuple[int | None, bytes, float, float]:
    """The same as Worker.run, as one `python -m hookdebate` process (--isolate)."""
    start = time.perf_counter()
    out, err = cwd / ".stdout", cwd / ".stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.Popen([sys.executable, "-m", "hookdebate"] + argv, stdout=fo, stderr=fe,
                             stdin=subprocess.DEVNULL, cwd=cwd, env=env, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, _read(err), usage.ru_utime + usage.ru_stime, time.perf_counter() - start
        if time.monotonic() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            _, _, usage = os.wait4(p.pid, 0)
            p.returncode = -9
            return None, _read(err), usage.ru_utime + usage.ru_stime, time.perf_counter() - start
        time.sleep(0.02)


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


def run_case(src: Path, commands, timeout: float, work: Path, runner) -> list[dict]:
    """Every command on one input file → [{command, outcome, detail, seconds, cpu}]. runner is
    Worker().run or run_subprocess."""
    db = work / "f.db"
    results = []
    thread = None
    env = dict(os.environ, HOOKDEBATE_DB=str(db), NO_COLOR="1")
    for command in commands:
        if command != "ingest" and thread is None:
            thread = _largest_thread(db)
            if thread is None:
                break  # nothing stored: the other commands have nothing to read
        rc, err, cpu, seconds = runner(argv_for(command, src, db, thread, work), work, env, timeout)
        outcome, detail = classify(rc, err, timeout)
        results.append({"command": command, "outcome": outcome, "detail": detail, "seconds": seconds, "cpu": cpu})
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
    if sys.argv[1:2] == ["--worker"]:
        return serve(int(sys.argv[2]), int(sys.argv[3]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n")[3], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="case i is drawn from random.Random(seed + i)")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once (one worker each)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds after which a command is a hang")
    ap.add_argument("--commands", default=",".join(COMMANDS),
                    help=f"comma-separated, in order, from {','.join(COMMANDS)} (ingest first)")
    ap.add_argument("--isolate", action="store_true",
                    help="each command in its own `python -m hookdebate` process (slow: a start-up each); "
                         "the default runs the same main() with the same argv in a long-lived worker, "
                         "which classifies every run as this does (--compare checks it)")
    ap.add_argument("--compare", type=int, default=0, metavar="N",
                    help="run the first N cases in both modes too and check they classify every run alike")
    ap.add_argument("--keep", type=Path, default=ROOT / "tests" / "data" / "fuzz",
                    help="where the inputs of tracebacks and hangs are kept")
    ap.add_argument("--no-keep", action="store_true")
    args = ap.parse_args()
    commands = [c for c in args.commands.split(",") if c]
    unknown = set(commands) - set(COMMANDS)
    if unknown or commands[:1] != ["ingest"]:
        ap.error(f"--commands: from {','.join(COMMANDS)}, ingest first")
    mode = "subprocess per command" if args.isolate else "in-process workers"

    pool = H.seeds()
    tmp = Path(tempfile.mkdtemp(prefix="hookdebate-fuzz-"))
    local = threading.local()
    workers: list[Worker] = []
    lock = threading.Lock()

    def runner(argv, cwd, env, timeout):
        if args.isolate:
            return run_subprocess(argv, cwd, env, timeout)
        if not hasattr(local, "worker"):
            local.worker = Worker()
            with lock:
                workers.append(local.worker)
        return local.worker.run(argv, cwd, env, timeout)

    def draw(i: int, work: Path) -> tuple[str, Path, int]:
        name, data = H.case(random.Random(args.seed + i), pool)
        work.mkdir()
        src = work / name
        src.write_bytes(data)
        return name, src, len(data)

    try:
        # the anchor: the same commands on a real thread, in this run
        (tmp / "anchor").mkdir()
        anchor = {r["command"]: r for r in run_case(ANCHOR, commands, max(args.timeout, 300), tmp / "anchor", runner)}
        bad_anchor = [r for r in anchor.values() if r["outcome"] not in ("ok", "noisy")]
        if bad_anchor:
            print(f"anchor failed: {bad_anchor}")
            return 2
        print(f"mode: {mode}; load average {os.getloadavg()[0]:.1f}")
        print("anchor (a real 7-message thread): " + ", ".join(f"{c} {r['seconds']:.2f} s" for c, r in anchor.items()),
              flush=True)

        mismatches = 0
        if args.compare:
            # the same cases through both modes, one after the other (the load changes slowly)
            cmp_worker = Worker()
            modes = {"in-process": runner if not args.isolate else cmp_worker.run,
                     "subprocess": run_subprocess}
            spent = {m: [0.0, 0.0] for m in modes}
            n_runs = 0
            for i in range(args.compare):
                got = {}
                for m, run in modes.items():
                    name, src, _ = draw(i, tmp / f"cmp-{i}-{m}")
                    got[m] = run_case(src, commands, args.timeout, tmp / f"cmp-{i}-{m}", run)
                    spent[m][0] += sum(r["seconds"] for r in got[m])
                    spent[m][1] += sum(r["cpu"] for r in got[m])
                    shutil.rmtree(tmp / f"cmp-{i}-{m}", ignore_errors=True)
                a_, b_ = got["in-process"], got["subprocess"]
                n_runs += len(a_)
                if [(r["command"], r["outcome"]) for r in a_] != [(r["command"], r["outcome"]) for r in b_]:
                    mismatches += 1
                    print(f"compare: case {args.seed + i} ({name}) classified differently: in-process "
                          f"{[(r['command'], r['outcome'], r['detail']) for r in a_]} vs subprocess "
                          f"{[(r['command'], r['outcome'], r['detail']) for r in b_]}", flush=True)
            cmp_worker.stop()
            (iw, ic), (sw, sc) = spent["in-process"], spent["subprocess"]
            print(f"compare: the first {args.compare} cases both ways, {n_runs} runs each, {mismatches} cases "
                  f"classified differently; in-process {iw:.0f} s wall {ic:.0f} s CPU, subprocess {sw:.0f} s wall "
                  f"{sc:.0f} s CPU (subprocess / in-process: {sc / max(ic, 1e-9):.1f}x CPU, {sw / max(iw, 1e-9):.1f}x wall); "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)

        def one(i: int):
            work = tmp / f"case-{i}"
            name, src, size = draw(i, work)
            results = run_case(src, commands, args.timeout, work, runner)
            kept = None if args.no_keep else _keep(src, results, args.keep)
            shutil.rmtree(work, ignore_errors=True)
            return i, name, size, results, kept

        all_results: list[tuple] = []
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            for n, (i, name, size, results, kept) in enumerate(ex.map(one, range(args.cases)), 1):
                all_results.append((i, name, size, results))
                for r in results:
                    if r["outcome"] in ("traceback", "hang"):
                        print(f"case {args.seed + i} ({name}, {size:,} bytes): {r['command']} {r['outcome']}: "
                              f"{r['detail']}" + (f" -> kept as {_shown(kept)}" if kept else ""), flush=True)
                if n % 100 == 0:
                    print(f"... {n} cases, {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}",
                          flush=True)
        elapsed = time.perf_counter() - started
    finally:
        for w in workers:
            w.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    runs = [(i, name, size, r) for i, name, size, results in all_results for r in results]
    kinds = ("ok", "noisy", "clear", "traceback", "hang")
    count = {k: sum(1 for *_, r in runs if r["outcome"] == k) for k in kinds}
    restarts = sum(max(0, w.starts - 1) for w in workers)
    print(f"\nfuzz ({mode}): {len(all_results)} cases (seeds {args.seed}..{args.seed + args.cases - 1}), "
          f"{len(runs)} command runs: tried {len(runs)}, ok {count['ok']}, noisy {count['noisy']}, "
          f"clear errors {count['clear']}, tracebacks {count['traceback']}, hangs (> {args.timeout:.0f} s) {count['hang']}; "
          f"{elapsed:.0f} s wall, {sum(r['cpu'] for *_, r in runs):.0f} s CPU in commands"
          + ("" if args.isolate else f", {restarts} worker restarts") + f"; load average {os.getloadavg()[0]:.1f}")
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
              f"({max(secs) / anchor[c]['seconds']:.1f}x the anchor's {anchor[c]['seconds']:.2f} s), "
              f"CPU slowest {max(r['cpu'] for r in mine):.2f} s")
    if runs:
        i, name, size, r = max(runs, key=lambda x: x[3]["seconds"])
        print(f"slowest case: seed {args.seed + i} ({name}, {size:,} bytes), {r['command']} {r['seconds']:.2f} s = "
              f"{r['seconds'] / anchor[r['command']]['seconds']:.1f}x the anchor")
    return 1 if count["traceback"] or count["hang"] or mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
