"""public-inbox v2 git epochs and maildirs → messages, streaming.

An epoch is a git repository in which every commit adds one message as the blob
``m``. We list commits oldest first with ``git rev-list --reverse`` and read the
blobs through one ``git cat-file --batch`` process, so a list-year never sits in
memory whole. Incremental: pass the last commit ingested for an epoch and only
the commits after it are read.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from scraper.errors import ScrapeError
from scraper.mail import parse_message
from scraper.model import Message


def is_git_repo(path: Path) -> bool:
    path = Path(path)
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def is_maildir(path: Path) -> bool:
    return all((Path(path) / d).is_dir() for d in ("cur", "new", "tmp"))


def find_epochs(path: Path) -> list[Path]:
    """A directory → its epoch repositories in order (empty list when none).

    Accepts one epoch (a clone of lore's /<list>/0, bare or not), a v2 inbox
    (git/0.git, git/1.git ...), or a directory of epoch clones (0, 1, ... or 0.git ...).
    """
    path = Path(path)
    if is_git_repo(path) and not (path / "git").is_dir():
        return [path]
    for base in (path / "git", path):
        if not base.is_dir():
            continue
        found = []
        for child in base.iterdir():
            m = re.fullmatch(r"(\d+)(?:\.git)?", child.name)
            if m and child.is_dir() and is_git_repo(child):
                found.append((int(m.group(1)), child))
        if found:
            return [p for _, p in sorted(found)]
    return []


def is_public_inbox_epoch(repo: Path) -> bool:
    """A public-inbox epoch's every commit holds one message as the file `m` (or, for a
    removal, `d`); an empty repository or a source tree has neither at HEAD."""
    for name in ("m", "d"):
        proc = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"HEAD:{name}"],
                              capture_output=True)
        if proc.returncode == 0:
            return True
    return False


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ScrapeError(f"{repo}: git {args[0]} failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return proc.stdout


@dataclass
class EpochProgress:
    """Filled in while iterating: the last commit read per epoch (for the store's state)."""

    last_commit: dict[str, str]


def epoch_key(repo: Path) -> str:
    return f"epoch:{Path(repo).resolve()}"


def count_new_commits(repo: Path, since_commit: str | None) -> int:
    rng = f"{since_commit}..HEAD" if since_commit else "HEAD"
    return int(_git(repo, "rev-list", "--count", rng).strip() or 0)


def flag_duplicates(messages: Iterator[Message], seen: set[str]) -> Iterator[Message]:
    """Mark a Message-ID already in `seen` duplicate_of_archive; add each to `seen`."""
    for msg in messages:
        if msg.message_id in seen:
            msg = replace(msg, duplicate_of_archive=True)
        seen.add(msg.message_id)
        yield msg


def iter_epoch_raws(repo: Path, since_commit: str | None = None,
                    progress: EpochProgress | None = None) -> Iterator[tuple[bytes, str]]:
    """(raw bytes, origin) of every message added after since_commit, oldest first."""
    repo = Path(repo)
    if since_commit:
        check = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{since_commit}^{{commit}}"],
                               capture_output=True)
        if check.returncode != 0:
            since_commit = None  # history rewritten (or another repo): read everything
    rng = f"{since_commit}..HEAD" if since_commit else "HEAD"
    rev = subprocess.Popen(["git", "-C", str(repo), "rev-list", "--reverse", rng],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cat = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    key = epoch_key(repo)
    try:
        # Feed commits to cat-file from a thread so pipes never deadlock.
        import threading

        commits: list[str] = []
        lock = threading.Condition()
        done = [False]

        def feed():
            try:
                for line in rev.stdout:
                    c = line.strip().decode()
                    with lock:
                        commits.append(c)
                        lock.notify()
                    cat.stdin.write(f"{c}:m\n".encode())
                cat.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
            finally:
                with lock:
                    done[0] = True
                    lock.notify()

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        index = 0
        out = cat.stdout
        while True:
            header = out.readline()
            if not header:
                break
            with lock:
                while index >= len(commits) and not done[0]:
                    lock.wait()
                commit = commits[index] if index < len(commits) else "?"
            index += 1
            parts = header.split()
            if len(parts) >= 2 and parts[1] == b"missing":
                # a commit that removed a message (public-inbox "purge"/"rm"): nothing to read
                if progress is not None:
                    progress.last_commit[key] = commit
                continue
            size = int(parts[2])
            raw = out.read(size)
            out.read(1)  # trailing LF
            if progress is not None:
                progress.last_commit[key] = commit
            yield raw, f"git:{repo}@{commit}"
        t.join()
        rev.wait()
        if rev.returncode not in (0, None):
            err = rev.stderr.read().decode(errors="replace").strip()
            raise ScrapeError(f"{repo}: git rev-list failed: {err.splitlines()[-1] if err else rev.returncode}")
    finally:
        for proc in (cat, rev):
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def iter_maildir_raws(path: Path) -> Iterator[tuple[bytes, str]]:
    """(raw bytes, origin) of every message file of a maildir (new/ and cur/)."""
    path = Path(path)
    files = sorted(p for d in ("new", "cur") for p in (path / d).iterdir() if p.is_file())
    if not files:
        raise ScrapeError(f"{path}: maildir holds no messages")
    for f in files:
        yield f.read_bytes(), f"maildir:{f}"


def iter_maildir(path: Path) -> Iterator[Message]:
    for raw, origin in iter_maildir_raws(path):
        yield parse_message(raw, origin=origin)
