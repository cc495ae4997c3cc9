"""The debate postings index kept in the store's tables (hookdebate.store_debate): what a debate
is gathered from is read row by row, and it is the index analysis.debate.Postings builds from
the same messages, so every debate comes out the same as gathered from the built index."""
from __future__ import annotations

from pathlib import Path

import pytest

from hookdebate.cli import main

ROOT = Path(__file__).resolve().parents[1]
MBOX = ROOT / "tests/data/debate-series.mbox.gz"  # five series under eleven names, pull requests, replies


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from hookdebate.store import Store

    path = tmp_path_factory.mktemp("index") / "h.db"
    assert main(["ingest", str(MBOX), "--db", str(path), "--no-progress"]) == 0
    return Store(path, create=False)


def _built(store):
    from analysis.debate import Postings
    from hookdebate.store_debate import StoreCorpus

    return Postings(StoreCorpus(store).headers())


def test_the_stored_index_is_the_built_one(store):
    from hookdebate.store_debate import StoredPostings, postings

    first = postings(store)  # builds it and keeps it in the tables
    stored = postings(store)
    assert not isinstance(first, StoredPostings) and isinstance(stored, StoredPostings)
    built = _built(store)
    assert stored.end == built.end
    children = {}
    for mid, parent in built.parent_of.items():
        if parent:
            children.setdefault(parent, []).append(mid)
    for mid in built._heads:
        assert stored.head(mid) == built.head(mid)
        assert stored.parent_of.get(mid) == built.parent_of.get(mid)
        assert stored.unit_of[mid] == built.unit_of[mid] and mid in stored.unit_of
        assert stored._children.get(mid, []) == children.get(mid, [])
        assert stored.posting_of(mid) == built.posting_of(mid)
    assert stored.posting_of("no-such@example.org") is None and "no-such@example.org" not in stored.unit_of
    for root, post in built.postings.items():
        assert stored.postings[root] == post and stored.postings[root] is stored.postings[root]
    for name in ("by_author", "by_title", "by_patch_title"):
        index = getattr(built, name)
        assert index and all(getattr(stored, name).get(k) == v for k, v in index.items())
        assert getattr(stored, name).get("no such key", ()) == () and getattr(stored, name)["no such key"] == []


def test_every_debate_is_the_one_gathered_from_the_built_index(store):
    from analysis import debate as D
    from hookdebate.debate import gather_debate
    from hookdebate.store_debate import StoreCorpus, StoredPostings, postings

    assert isinstance(postings(store), StoredPostings)
    built, corpus = _built(store), StoreCorpus(store)
    asked = [p.root for p in built.postings.values() if p.kind != "thread"]
    assert len(asked) > 40
    for root in asked:
        d = D.gather(root, corpus, postings=built)
        D.load_bodies(d, corpus)
        vers = D.versions(d)
        want = D.to_json(d, vers, None, [], D.outcome(d, vers, []))
        assert gather_debate(store, root, stance=False) == want, root


def test_a_new_message_renews_the_stored_index(store, tmp_path):
    from hookdebate.store_debate import StoredPostings, postings

    assert isinstance(postings(store), StoredPostings)
    mbox = tmp_path / "one.mbox"
    mbox.write_text("From x@y Thu Jan  1 00:00:00 2026\nMessage-ID: <late-1@example.org>\n"
                    "From: A Writer <a@example.org>\nDate: Thu, 01 Jan 2026 00:00:00 +0000\n"
                    "Subject: [PATCH] late: one more posting\n\nbody\n")
    assert main(["ingest", str(mbox), "--db", str(store.path), "--no-progress"]) == 0
    renewed = postings(store)
    assert not isinstance(renewed, StoredPostings) and "late-1@example.org" in renewed.unit_of
    again = postings(store)
    assert isinstance(again, StoredPostings) and again.postings["late-1@example.org"].title == "late: one more posting"
