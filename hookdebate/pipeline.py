"""Composition of the stages: what the commands share.

The store holds messages; this module picks a thread out of them, runs the
analysis (cached in the store by the thread's set of Message-IDs), and knows
where the embedded default thread lives.
"""
from __future__ import annotations

from pathlib import Path

from hookdebate.errors import HookdebateError
from hookdebate.store import Store
from mailrecords import Message


def _data_dir() -> Path:
    """semantics.data_dir() without importing semantics: its package imports the whole kernel
    model (15-35 ms of every read command, which needs only this path for the fingerprints its
    cached results are checked against). semantics/datadir.py, where the rule lives, imports
    nothing of the package; it is run here on its own, under a name of its own."""
    import importlib.util
    import sys

    if "semantics.datadir" in sys.modules:
        return sys.modules["semantics.datadir"].data_dir()
    spec = importlib.util.find_spec("semantics")  # the package's location, without importing it
    path = Path(spec.origin).parent / "datadir.py"
    mod = importlib.util.module_from_spec(importlib.util.spec_from_file_location("_hookdebate_datadir", path))
    mod.__spec__.loader.exec_module(mod)
    return mod.data_dir()


DATA_DIR = _data_dir()
DEFAULT_THREAD = DATA_DIR / "threads" / "authoritative-hooks.mbox"


def ingest_default_if_empty(store: Store) -> bool:
    """A fresh database gets the embedded thread. Returns True when it ingested."""
    if store.count_messages():
        return False
    from scraper import iter_mbox

    store.add_messages(iter_mbox(DEFAULT_THREAD))
    return True


def select_thread_id(store: Store, thread_msgid: str | None = None) -> int:
    """The stored thread id (see hookdebate.store_threads) per DESIGN.md: the thread
    containing thread_msgid, or the only thread in the database; several threads
    without a choice is an error. Reads the thread index only, never the archive."""
    from mailrecords import bare_msgid

    store.ensure_thread_index()
    if thread_msgid:
        wanted = bare_msgid(thread_msgid)
        tid = store.thread_id_of(wanted)
        if tid is None:
            raise HookdebateError(f"no stored thread contains Message-ID <{wanted}>")
        return tid
    n = store.count_threads()
    if n == 0:
        raise HookdebateError(f"{store.path}: no messages stored; run 'hookdebate ingest SOURCE' first")
    largest = store.largest_threads(3)
    if n == 1:
        return largest[0]["id"]
    names = "; ".join(f"<{t['root']}> ({t['messages']} msgs, {t['subject'][:50]!r})" for t in largest)
    raise HookdebateError(f"the database holds {n} threads; pick one with --thread MSGID, e.g. {names}")


def select_thread(store: Store, thread_msgid: str | None = None) -> list[Message]:
    """The messages of one thread (see select_thread_id), in tree order, as one snapshot of
    the store (an ingest running meanwhile is seen whole or not at all)."""
    store.ensure_thread_index()
    with store.snapshot():
        return store.thread_messages(select_thread_id(store, thread_msgid))


def _root(thread: list[Message]) -> Message:
    ids = {m.message_id for m in thread}
    for m in thread:
        if not m.parent_id or m.parent_id not in ids:
            return m
    return thread[0]


def code_fingerprint(*roots: Path) -> str:
    """A digest of every file under roots (code and data directories, or single files; __pycache__
    left out): what a cache stores beside its result so that a result of other code is never
    served. The one code digest: the analysis cache, the report cache, the variant diff's and the
    debate index's keys all use it."""
    import hashlib

    h = hashlib.sha256()
    for root in roots:
        if root.is_file():
            h.update(root.name.encode() + b"\0" + root.read_bytes())
        elif root.exists():
            for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _analysis_fingerprint() -> str:
    """Changes whenever the analysis code or its data changes, so a cached analysis
    made by an older hookdebate is never served."""
    import importlib.util

    analysis_dir = Path(importlib.util.find_spec("analysis").origin).parent  # without importing it
    return code_fingerprint(analysis_dir, DATA_DIR / "lexicon", DATA_DIR / "identities",
                            DATA_DIR / "stance")


_FINGERPRINT: str | None = None


def analysis_fingerprint() -> str:
    """_analysis_fingerprint(), computed once per process."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _analysis_fingerprint()
    return _FINGERPRINT


def cache_key(thread_id: int) -> str:
    """The analysis cache key of a thread: its stable id, so a re-rooted thread (a late
    parent, or two parentless messages) is found under the same key it was saved under."""
    return f"thread:{thread_id}"


def thread_digest(store: Store, thread_id: int) -> str:
    """What a cached analysis of the thread must have been made from: its Message-IDs
    and the analysis code (read from the index, without loading a message)."""
    from hookdebate.store_threads import ids_digest

    return ids_digest(store.thread_message_ids(thread_id)) + ":" + analysis_fingerprint()


def cached_analysis(store: Store, thread_id: int):
    """The stored analysis of the thread when it is current, else None."""
    return store.load_cached(cache_key(thread_id), thread_digest(store, thread_id))


def save_thread_analysis(store: Store, thread_id: int, result, digest: str) -> None:
    """Store one thread's analysis (the store's cache and tables) and its summary row."""
    from hookdebate.store import analysis_rows

    if not store.skip_cache_write("the analysis"):  # a read-only store: the rows would not be kept
        save_thread_rows(store, thread_id, analysis_rows(result), digest)


def save_thread_rows(store: Store, thread_id: int, rows, digest: str) -> None:
    """save_thread_analysis of a hookdebate.store.AnalysisRows (what an `analyze` worker sends
    back): the analysis and the summary row in one transaction (one commit, not two)."""
    if store.skip_cache_write("the analysis"):
        return
    ids, fingerprint = digest.split(":")
    with store.write("saving the analysis"):
        store.save_analysis_rows(rows, digest, key=cache_key(thread_id))
        store.save_thread_summary(thread_id, rows.root, ids, fingerprint, rows.contested, rows.sides)


def analyze_thread(store: Store, thread_msgid: str | None = None):
    """ThreadAnalysis of the selected thread, from the cache when its messages are unchanged."""
    import analysis

    store.ensure_thread_index()
    with store.snapshot():  # the thread, its digest and its messages as of one state of the store
        tid = select_thread_id(store, thread_msgid)
        digest = thread_digest(store, tid)
        cached = store.load_cached(cache_key(tid), digest)
        if cached is not None:
            return cached
        messages = store.thread_messages(tid)
    result = analysis.analyze(messages)
    save_thread_analysis(store, tid, result, digest)
    return result


def thread_listing(store: Store, thread_msgid: str | None = None) -> tuple[dict, list[Message]]:
    """`thread --json`'s object, {"root", "messages": [{"message_id", "parent_id", "depth",
    "author", "date", "subject"}]} in lore's /T/ order (analysis.build_tree, authors through
    merge_identities), and the messages in that order (their dates as datetimes, for a text view).
    `hookdebate thread` is its options and this call."""
    from analysis import build_tree, merge_identities

    messages = select_thread(store, thread_msgid)
    tree = build_tree(messages)
    people, author_of = merge_identities(messages)
    names = {p.person_id: p.name for p in people}
    by_id = {m.message_id: m for m in messages}
    rows = []
    depth = tree.depths()
    for mid in tree.order:
        m = by_id[mid]
        rows.append({
            "message_id": mid,
            "parent_id": tree.parent_of.get(mid),
            "depth": depth[mid],
            "author": names.get(author_of.get(mid), m.from_name or m.from_address),
            "date": m.date.isoformat() if m.date else m.date_raw,
            "subject": m.subject,
        })
    return {"root": tree.root_id, "messages": rows}, [by_id[mid] for mid in tree.order]
