"""The stored thread index equals threading everything from scratch, whatever order mail
arrives in; thread identity survives growth, re-rooting and merges.

tests/data/archive-threading.mbox.gz: 444 real messages of the linux-security-module
archive, 55 threads chosen for their edge cases: every thread with a reply that names no
message (subject joins) and the threads sharing those subjects, threads with several
parentless messages (the 136-message bpfilter thread among them), and ordinary ones.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import build_tree, split_threads
from hookdebate.store import Store
from scraper import iter_mbox

DATA = Path(__file__).resolve().parent / "data"
ARCHIVE = DATA / "archive-threading.mbox.gz"


@pytest.fixture(scope="module")
def mail():
    return list(iter_mbox(ARCHIVE))


def from_scratch(messages) -> dict:
    """frozenset of ids -> (root, parents, order) by threading all of them at once."""
    out = {}
    for thread in split_threads(messages):
        tree = build_tree(thread)
        out[frozenset(m.message_id for m in thread)] = (
            tree.root_id, {m.message_id: tree.parent_of[m.message_id] for m in thread},
            tuple(m.message_id for m in thread))
    return out


def stored(store: Store) -> dict:
    conn = store.db.conn
    groups: dict[int, list] = {}
    for mid, tid, parent in conn.execute(
            "select message_id, thread_id, parent_id from thread_messages order by thread_id, position"):
        groups.setdefault(tid, []).append((mid, parent))
    roots = dict(conn.execute("select thread_id, root_id from threads"))
    assert set(roots) == set(groups)
    counts = dict(conn.execute("select thread_id, messages from threads"))
    out = {}
    for tid, rows in groups.items():
        assert counts[tid] == len(rows)
        out[frozenset(m for m, _ in rows)] = (roots[tid], dict(rows), tuple(m for m, _ in rows))
    return out


def test_extract_has_the_edge_cases(mail):
    threads = split_threads(mail)
    assert len(threads) >= 40
    multi_root = [t for t in threads if sum(1 for p in build_tree(t).parent_of.values() if p is None) > 1]
    assert len(multi_root) >= 8
    assert max(len(t) for t in threads) == 136  # bpfilter
    from hookdebate.store_threads import _is_subject_reply
    assert sum(1 for m in mail if _is_subject_reply(m)) >= 10


def test_one_ingest_equals_scratch(mail):
    store = Store(":memory:")
    store.add_messages(mail)
    assert stored(store) == from_scratch(store.messages())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), batches=st.integers(2, 40))
def test_incremental_equals_scratch_in_any_arrival_order(mail, seed, batches):
    rng = random.Random(seed)
    order = list(mail)
    rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, len(order)), batches - 1))
    store = Store(":memory:")
    ids_before: dict[str, int] = {}
    for start, end in zip([0, *cuts], [*cuts, len(order)]):
        store.add_messages(order[start:end])
        # identity: an id stays with (part of) its thread's messages; one that vanishes was
        # merged into a thread that kept another old id
        now = dict(store.db.conn.execute("select message_id, thread_id from thread_messages"))
        members: dict[int, list[str]] = {}
        for m, t in ids_before.items():
            members.setdefault(t, []).append(m)
        for tid, mids in members.items():
            after = {now[m] for m in mids}
            if tid in now.values():
                assert tid in after
            else:
                assert after <= set(ids_before.values())
        ids_before = now
    assert stored(store) == from_scratch(store.messages())


def test_late_parent_reroots_but_keeps_the_id(mail):
    thread = max(split_threads(mail), key=len)  # bpfilter, 136 messages
    root = build_tree(thread).root_id
    store = Store(":memory:")
    rest = [m for m in thread if m.message_id != root]
    store.add_messages(rest)
    tid = {store.thread_id_of(m.message_id) for m in rest}
    assert len(tid) == 1
    tid = tid.pop()
    before = store.thread_info(tid)
    assert before["root"] != root
    store.add_messages([m for m in thread if m.message_id == root])
    after = store.thread_info(tid)
    assert after["root"] == root and after["messages"] == len(thread)
    assert store.count_threads() == 1


def test_merge_keeps_the_larger_parts_id(mail):
    thread = max(split_threads(mail), key=len)
    tree = build_tree(thread)
    # children of the root arrive first with their subtrees, the root last: separate threads
    # until then only when nothing else links them; the root's arrival merges them into one
    by_size = {}
    for m in thread:
        by_size[m.message_id] = m
    root = tree.root_id
    store = Store(":memory:")
    store.add_messages([m for m in thread if m.message_id != root])
    ids_before = {store.thread_id_of(m.message_id) for m in thread if m.message_id != root}
    store.add_messages([by_size[root]])
    ids_after = {store.thread_id_of(m.message_id) for m in thread}
    assert len(ids_after) == 1 and ids_after <= ids_before


def test_index_of_an_older_database_is_built_on_first_use(mail, tmp_path):
    store = Store(tmp_path / "old.db")
    store.add_messages(mail[:50])
    # as a database from before the index: no index rows, no version
    conn = store.db.conn
    for table in ("thread_messages", "thread_names", "threads", "thread_people"):
        conn.execute(f"delete from {table}")
    conn.execute("delete from state where key = 'thread_index.version'")
    conn.commit()
    again = Store(tmp_path / "old.db")
    assert again.count_threads() == len(split_threads(again.messages()))
    again.add_messages(mail[50:])
    assert stored(again) == from_scratch(again.messages())


def test_a_failed_ingest_leaves_the_index_as_it_was(mail):
    store = Store(":memory:")
    store.add_messages(mail[:100])
    before = stored(store)

    def broken():
        yield from mail[100:150]
        raise ValueError("bad message")

    with pytest.raises(ValueError):
        store.add_messages(broken())
    assert stored(store) == before


def _small_multi_root(mail):
    threads = [t for t in split_threads(mail)
               if sum(1 for p in build_tree(t).parent_of.values() if p is None) > 1 and 3 <= len(t) <= 6]
    return min(threads, key=len)


def test_a_multi_root_thread_is_found_where_its_analysis_was_saved(mail, monkeypatch):
    """The bpfilter case: two parentless messages; the analysis must be found again, not
    recomputed on every command."""
    import analysis.pipeline
    from hookdebate import pipeline

    thread = _small_multi_root(mail)
    store = Store(":memory:")
    store.add_messages(thread)
    first = pipeline.analyze_thread(store, thread[-1].message_id)

    def no_recompute(*a, **k):
        raise AssertionError("analysis recomputed: the cache was missed")

    monkeypatch.setattr(analysis.pipeline, "analyze", no_recompute)
    for m in thread:  # by any of its messages
        again = pipeline.analyze_thread(store, m.message_id)
        assert again.tree.root_id == first.tree.root_id
    assert store.db.conn.execute("select count(*) from analysis_cache").fetchone()[0] == 1


def test_the_cache_key_survives_re_rooting(mail):
    from hookdebate import pipeline

    small = [t for t in split_threads(mail) if 4 <= len(t) <= 8
             and sum(1 for p in build_tree(t).parent_of.values() if p is None) == 1][0]
    root = build_tree(small).root_id
    store = Store(":memory:")
    store.add_messages([m for m in small if m.message_id != root])
    assert store.count_threads() == 1  # the replies name the missing root: one thread
    tid = store.thread_id_of(next(m.message_id for m in small if m.message_id != root))
    before = pipeline.analyze_thread(store)
    store.add_messages([m for m in small if m.message_id == root])  # the late root
    assert store.thread_id_of(root) == tid
    assert pipeline.cached_analysis(store, tid) is None  # its messages changed: stale
    after = pipeline.analyze_thread(store, root)
    assert after.tree.root_id == root != before.tree.root_id
    keys = [r[0] for r in store.db.conn.execute("select root_id from analysis_cache")]
    assert keys == [pipeline.cache_key(tid)]  # one entry, under the same key
    assert pipeline.cached_analysis(store, tid) is not None
