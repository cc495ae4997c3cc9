"""Every HTTP fault of issue 15, at the default limits, through the command line.

One command: .venv/bin/python bench/bench_http_faults.py [--only NAME]
Each fault is served by tests/fault_server.py on 127.0.0.1 and met by a fresh
`hookdebate fetch` or `hookdebate ingest` process (caches in a scratch directory); the
table gives its exit status, wall time, peak RSS and the last stderr line. The goal: each
ends within 60 s (and well under 1 GB). The same faults, at small limits, are the tests of
tests/test_http_faults.py.
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
import fault_server as F  # noqa: E402
from scraper.lore import _mid_of  # noqa: E402
from scraper.mbox import iter_raw_mbox  # noqa: E402

MBOX = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
ROOT_MSGID = "20230412043300.360803-1-andrii@kernel.org"
RAWS = {_mid_of(r): r for r in iter_raw_mbox(MBOX)}


def q(mid: str) -> str:
    return quote(mid, safe="@!$&*+,;=:~")


def run(argv, work: Path) -> tuple[int, float, float, str]:
    env = dict(os.environ, HOME=str(work / "home"), XDG_CACHE_HOME=str(work / "cache"))
    t = time.monotonic()
    out = work / "stdout"
    with open(out, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "hookdebate", *argv], cwd=ROOT, env=env,
                                stdout=fh, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - t
    rc = os.waitstatus_to_exitcode(status)
    said = out.read_text(errors="replace").strip().splitlines()[-1:]
    lines = err.decode("utf-8", "replace").strip().splitlines()
    warned = sum(1 for line in lines if "warning:" in line)
    last = " | ".join(said + [f"{warned} warning(s)"] + lines[-1:])
    return rc, seconds, usage.ru_maxrss / 1024, last


def faults(srv: F.FaultServer, work: Path):
    """(name, what the server does, argv) for each fault; routes set as each is run."""
    gz = gzip.compress(MBOX.read_bytes())
    fetch = ["fetch", srv.base + ROOT_MSGID + "/", "-o", str(work / "out.mbox")]

    def stalled():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", F.stall(srv))
        return fetch

    def dripped():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", F.drip(srv, interval=1.0))
        return fetch

    def retry_after():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (429, {"Retry-After": "100000"}, b"slow down"))
        return fetch

    def huge_declared():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", F.stream(srv, 1536 << 20, declare=True))
        srv.route(f"/bpf/{ROOT_MSGID}/raw", F.stream(srv, 1536 << 20, declare=True))
        return fetch

    def huge_streamed():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", F.stream(srv, 1536 << 20, declare=False))
        srv.route(f"/bpf/{ROOT_MSGID}/raw", F.stream(srv, 1536 << 20, declare=False))
        return fetch

    def gzip_bomb():
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {}, F.gzip_bomb(1 << 30)))
        srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {}, RAWS[ROOT_MSGID]))
        return fetch

    def invented_references():
        n = {"i": 0}

        def invent(req):
            if not req.path.endswith("/raw"):
                return (404, {}, b"")
            n["i"] += 1
            mid = req.path.split("/")[2]
            return (200, {}, f"Message-ID: <{mid}>\nReferences: <g{n['i']}a@x> <g{n['i']}b@x>\n"
                             f"Subject: x\n\nbody\n".encode())
        srv.fallback = invent
        return fetch

    def truncated_mbox(page: bool):
        def setup():
            srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", F.chunked_cut(gz, len(gz) // 3))
            for mid, raw in RAWS.items():
                srv.route(f"/bpf/{q(mid)}/raw", (200, {}, raw))
            if page:  # the thread page lists every message, as public-inbox's /T/ does
                links = "".join(f'<a href="../../{q(mid)}/raw">raw</a>\n' for mid in RAWS)
                srv.route(f"/bpf/{ROOT_MSGID}/T/", (200, {"Content-Type": "text/html"},
                                                    f"<html><body>{links}</body></html>".encode()))
            return fetch
        return setup

    def raw_other_msgid():
        srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {}, next(r for m, r in RAWS.items() if m != ROOT_MSGID)))
        return fetch

    def html_error_page():
        page = b"<!DOCTYPE html><html><body>Oops</body></html>"
        srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {"Content-Type": "text/html"}, page))
        srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {"Content-Type": "text/html"}, page))
        return fetch

    def lwn_20000_links():
        page = work / "links.html"
        links = "".join(f"<a href='https://lore.kernel.org/bpf/m{i}@x/'>m{i} " for i in range(20000))
        page.write_text(f"<html><body><div class=ArticleText><p>{links}</p></div></body></html>")

        def thread(req):
            if not req.path.endswith("/t.mbox.gz"):
                return (404, {}, b"")
            mid = req.path.split("/")[2]
            return (200, {}, gzip.compress(f"From x\nMessage-ID: <{mid}>\nSubject: s\n\nb\n".encode()))
        srv.fallback = thread
        return ["ingest", str(page), "--lore-url", srv.base, "--db", str(work / "l.db"), "--no-progress"]

    return [
        ("stalled server", "accepts, never answers", stalled),
        ("headers dripped", "1 byte/s", dripped),
        ("Retry-After: 100000", "429", retry_after),
        ("1.5 GB body, declared", "Content-Length: 1.5 GB", huge_declared),
        ("1.5 GB body, streamed", "close-delimited", huge_streamed),
        ("gzip bomb", "1 MB t.mbox.gz → 1 GB", gzip_bomb),
        ("invented References", "every /raw names 2 new parents", invented_references),
        ("truncated t.mbox.gz, no /T/", "chunked, cut at 1/3", truncated_mbox(False)),
        ("truncated t.mbox.gz, /T/ lists 52", "chunked, cut at 1/3", truncated_mbox(True)),
        ("/raw with another Message-ID", "no t.mbox.gz", raw_other_msgid),
        ("HTML error page with 200", "t.mbox.gz and /raw", html_error_page),
        ("LWN page, 20,000 nested lore links", "each thread answered", lwn_20000_links),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="run only the faults whose name contains this")
    args = ap.parse_args()
    print(f"{'fault':36} {'rc':>3} {'seconds':>8} {'peak RSS':>9}  stdout | warnings | last line of stderr")
    worst = 0.0
    base = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        srv0 = F.FaultServer()
        names = [name for name, _, _ in faults(srv0, base)]
        srv0.close()
        for i, name in enumerate(names):
            if args.only and args.only.lower() not in name.lower():
                continue
            work = base / str(i)
            work.mkdir()
            srv = F.FaultServer()
            try:
                _, _, setup = faults(srv, work)[i]
                rc, seconds, rss, last = run(setup(), work)
            finally:
                srv.close()
            worst = max(worst, seconds)
            print(f"{name:36} {rc:>3} {seconds:>8.1f} {rss:>7.0f} MB  {last[:190]}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"slowest: {worst:.1f} s (goal: every fault ends within 60 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
