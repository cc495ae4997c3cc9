"""Build a public-inbox v2 inbox from an mbox fast, and serve it with public-inbox-httpd.

The epoch is written with `git fast-import` (one commit per message, blob `m`, as
public-inbox does), then `public-inbox-index` builds the indexes; that takes ~1 s
for 52 messages against ~20 s for public-inbox-mda.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.mbox import iter_raw_mbox  # noqa: E402


def have_public_inbox() -> bool:
    return all(shutil.which(t) for t in ("public-inbox-init", "public-inbox-index", "public-inbox-httpd"))


def fast_import_epoch(repo: Path, raws, ref: str = "refs/heads/master") -> None:
    """Write raws as a public-inbox epoch: each commit adds/replaces the blob `m`."""
    repo = Path(repo)
    if not (repo / "HEAD").exists():
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet", "--force"],
                            stdin=subprocess.PIPE)
    t = 1681274000
    parent = subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify", ref],
                            capture_output=True, text=True).stdout.strip()
    w = proc.stdin
    for i, raw in enumerate(raws):
        w.write(f"commit {ref}\n".encode())
        w.write(f"author A U Thor <a@example.org> {t + i} +0000\n".encode())
        w.write(f"committer public-inbox <pi@example.org> {t + i} +0000\n".encode())
        w.write(b"data 1\n\n")
        if i == 0 and parent:
            w.write(f"from {parent}\n".encode())
        w.write(f"M 100644 inline m\ndata {len(raw)}\n".encode())
        w.write(raw)
        w.write(b"\n")
    w.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_v2_inbox(workdir: Path, name: str, level: str = "basic", port: int = 0) -> tuple[dict, Path]:
    """An empty v2 inbox made by public-inbox-init, with its own PI_CONFIG and HOME under
    workdir: (the environment to run public-inbox's tools in, the inbox directory)."""
    workdir = Path(workdir)
    env = dict(os.environ, PI_CONFIG=str(workdir / "config"), HOME=str(workdir / "home"))
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    inbox = workdir / name
    subprocess.run(["public-inbox-init", "-V2", "-L", level, name, str(inbox),
                    f"http://127.0.0.1:{port}/{name}", f"{name}@example.org"],
                   check=True, env=env, capture_output=True)
    return env, inbox


def build_inbox(workdir: Path, mbox: Path, name: str = "bpf-lsm", port: int = 0,
                level: str = "basic") -> dict:
    """A v2 inbox of mbox's messages; level "medium" or "full" adds the Xapian search
    index (needed for search queries, e.g. the POST ?q=...&x=m mbox of a whole list)."""
    env, inbox = init_v2_inbox(workdir, name, level, port)
    fast_import_epoch(inbox / "git" / "0.git", list(iter_raw_mbox(mbox)))
    subprocess.run(["public-inbox-index", str(inbox)], check=True, env=env, capture_output=True)
    return env


class Server:
    def __init__(self, workdir: Path, env: dict, name: str = "bpf-lsm"):
        self.port = free_port()
        self.name = name
        self.base = f"http://127.0.0.1:{self.port}/{name}/"
        self.log = open(Path(workdir) / "httpd.log", "wb")
        self.proc = subprocess.Popen(["public-inbox-httpd", "-l", f"http://127.0.0.1:{self.port}"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("public-inbox-httpd exited")
                time.sleep(0.1)
        raise RuntimeError("public-inbox-httpd did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


if __name__ == "__main__":  # manual use: python tests/pi_server.py MBOX WORKDIR
    env = build_inbox(Path(sys.argv[2]), Path(sys.argv[1]))
    s = Server(Path(sys.argv[2]), env)
    print(s.base, flush=True)
    try:
        s.proc.wait()
    except KeyboardInterrupt:
        s.stop()
