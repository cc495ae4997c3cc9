"""`hookdebate fetch` of the 52-message thread vs `b4 -n mbox`, same local public-inbox-httpd.

One command: .venv/bin/python bench/bench_fetch.py [--runs N]
Both run as fresh processes with their caches off (hookdebate --no-cache, b4 -C),
so interpreter start-up is counted for both. Goal: hookdebate <= 0.8x b4's wall time.
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

MSGID = "20230412043300.360803-1-andrii@kernel.org"


def timed(cmd, **kw) -> tuple[float, float]:
    """→ (wall, CPU = user + sys) seconds of one run of cmd."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{cmd[0]} failed: {err.decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if not pi_server.have_public_inbox():
        print("public-inbox is not installed")
        return 1
    b4 = shutil.which("b4", path=str(Path(sys.executable).parent)) or shutil.which("b4")
    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    try:
        env = pi_server.build_inbox(work, ROOT / "data" / "threads" / "authoritative-hooks.mbox")
        server = pi_server.Server(work, env)
        try:
            (work / "b4out").mkdir()
            scratch = work / "b4repo"
            subprocess.run(["git", "init", "-q", str(scratch)], check=True)
            subprocess.run(["git", "-C", str(scratch), "config", "b4.midmask", server.base + "%s"], check=True)
            henv = dict(os.environ, HOME=str(work / "home"), XDG_CACHE_HOME=str(work / "cache"))
            hd = [sys.executable, "-m", "hookdebate", "fetch", MSGID, "-o", str(work / "h.mbox"),
                  "--lore-url", server.base, "--no-cache"]
            bb = [b4, "-n", "mbox", "-C", "-o", str(work / "b4out"), MSGID]
            timed(hd, env=henv, cwd=ROOT)  # warm the server
            timed(bb, env=henv, cwd=scratch)
            h_runs, b_runs = [], []
            for _ in range(args.runs):  # interleaved: both meet the same load
                h_runs.append(timed(hd, env=henv, cwd=ROOT))
                b_runs.append(timed(bb, env=henv, cwd=scratch))
            got = (work / "h.mbox").read_bytes().count(b"\nFrom mboxrd@z") + 1
            h, b = (statistics.median(w for w, _ in h_runs), statistics.median(w for w, _ in b_runs))
            hc, bc = (statistics.median(c for _, c in h_runs), statistics.median(c for _, c in b_runs))
            pairs = sorted(hw / bw for (hw, _), (bw, _) in zip(h_runs, b_runs))
            print(f"messages in hookdebate's mbox: {got}")
            print(f"hookdebate fetch: median {h:.3f} s wall, {hc:.3f} s CPU over {args.runs} runs")
            print(f"b4 -n mbox -C:    median {b:.3f} s wall, {bc:.3f} s CPU over {args.runs} runs")
            print(f"ratio hookdebate/b4: {h / b:.2f}x wall, {hc / bc:.2f}x CPU (goal <= 0.80x); "
                  f"run by run {pairs[0]:.2f}x..{pairs[-1]:.2f}x wall")
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
