"""Composition of the stages: what the commands share.

The store holds messages; this module picks a thread out of them, runs the
analysis (cached in the store by the thread's set of Message-IDs), and knows
where the embedded default thread lives.
"""
from __future__ import annotations

import os
from pathlib import Path

from hookdebate.errors import HookdebateError
from hookdebate.store import Store, digest_of
from scraper.model import Message

DATA_DIR = Path(os.environ.get("HOOKDEBATE_DATA") or Path(__file__).resolve().parents[1] / "data")
DEFAULT_THREAD = DATA_DIR / "threads" / "authoritative-hooks.mbox"


def ingest_default_if_empty(store: Store) -> bool:
    """A fresh database gets the embedded thread. Returns True when it ingested."""
    if store.count_messages():
        return False
    from scraper import iter_mbox

    store.add_messages(iter_mbox(DEFAULT_THREAD))
    return True


def select_thread(store: Store, thread_msgid: str | None = None) -> list[Message]:
    """The messages of one thread, per DESIGN.md: the one containing thread_msgid, or the
    only thread in the database; several threads without a choice is an error."""
    from analysis import split_threads
    from scraper import bare_msgid

    messages = store.messages()
    if not messages:
        raise HookdebateError(f"{store.path}: no messages stored; run 'hookdebate ingest SOURCE' first")
    threads = split_threads(messages)
    if thread_msgid:
        wanted = bare_msgid(thread_msgid)
        for thread in threads:
            if any(m.message_id == wanted for m in thread):
                return thread
        raise HookdebateError(f"no stored thread contains Message-ID <{wanted}>")
    if len(threads) == 1:
        return threads[0]
    largest = sorted(threads, key=len, reverse=True)[:3]
    names = "; ".join(f"<{_root(t).message_id}> ({len(t)} msgs, {_root(t).subject[:50]!r})"
                      for t in largest)
    raise HookdebateError(f"the database holds {len(threads)} threads; pick one with --thread MSGID, e.g. {names}")


def _root(thread: list[Message]) -> Message:
    ids = {m.message_id for m in thread}
    for m in thread:
        if not m.parent_id or m.parent_id not in ids:
            return m
    return thread[0]


def _analysis_fingerprint() -> str:
    """Changes whenever the analysis code or its data changes, so a cached analysis
    made by an older hookdebate is never served."""
    import hashlib

    import analysis

    h = hashlib.sha256()
    roots = [Path(analysis.__file__).parent, DATA_DIR / "lexicon", DATA_DIR / "identities"]
    for root in roots:
        if root.exists():
            for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def analyze_thread(store: Store, thread_msgid: str | None = None):
    """ThreadAnalysis of the selected thread, from the cache when its messages are unchanged."""
    import analysis

    messages = select_thread(store, thread_msgid)
    digest = digest_of(messages) + ":" + _analysis_fingerprint()
    root = _root(messages).message_id
    cached = store.load_cached(root, digest)
    if cached is not None:
        return cached
    result = analysis.analyze(messages)
    store.save_analysis(result, digest)
    return result
