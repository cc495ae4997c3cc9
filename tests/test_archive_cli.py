"""`hookdebate threads`, `search` and the fast open of one thread, on real threads."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
MBOXES = ["create-user-ns-v5-nack.mbox", "securityfs-linefeed-nak.mbox", "lsm-boot-reporting-v2.mbox",
          "xfs-capable-noaudit-reviewed.mbox", "landlock-chmod-chown.mbox", "bpf-getxattr-v5.mbox"]


def hd(*args, db, check=True):
    proc = subprocess.run([sys.executable, "-m", "hookdebate", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def one_line_error(proc):
    assert proc.returncode == 2
    assert proc.stderr.startswith("hookdebate: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "hd.db"
    hd("ingest", *(str(DATA / m) for m in MBOXES), "--no-progress", db=path)
    return path


@pytest.fixture(scope="module")
def listing(db):
    return json.loads(hd("threads", "--json", db=db).stdout)["threads"]


def test_threads_lists_every_thread_with_its_figures(db, listing):
    from analysis import split_threads
    from hookdebate.store import Store

    scratch = split_threads(Store(db).messages())
    assert len(listing) == len(scratch)
    assert sorted(t["messages"] for t in listing) == sorted(len(t) for t in scratch)
    for t in listing:
        assert {"id", "root", "subject", "messages", "people", "first", "last", "contested"} <= set(t)
        assert t["first"] <= t["last"]
    # recent first by default
    assert [t["last"] for t in listing] == sorted((t["last"] for t in listing), reverse=True)


def test_threads_filters_and_sorts(db, listing):
    by_size = json.loads(hd("threads", "--json", "--sort", "size", db=db).stdout)["threads"]
    assert [t["messages"] for t in by_size] == sorted((t["messages"] for t in listing), reverse=True)
    big = json.loads(hd("threads", "--json", "--min-messages", "20", db=db).stdout)["threads"]
    assert big and all(t["messages"] >= 20 for t in big)
    assert len(big) == sum(1 for t in listing if t["messages"] >= 20)
    many = json.loads(hd("threads", "--json", "--min-people", "5", db=db).stdout)["threads"]
    assert all(t["people"] >= 5 for t in many) and len(many) == sum(1 for t in listing if t["people"] >= 5)
    subj = json.loads(hd("threads", "--json", "--subject", "LINE FEED", db=db).stdout)["threads"]
    assert [t["subject"] for t in subj] == ["[PATCH 0/3] Append line feed to files in securityfs"]
    # 2022-05-06 is the securityfs thread's last day; --until is inclusive
    until = json.loads(hd("threads", "--json", "--until", "2022-05-06", db=db).stdout)["threads"]
    assert any("line feed" in t["subject"] for t in until)
    assert all(t["first"] < "2022-05-07" for t in until)
    since = json.loads(hd("threads", "--json", "--since", "2022-08-01", db=db).stdout)["threads"]
    assert all(t["last"] >= "2022-08-01" for t in since) and len(since) < len(listing)


def test_threads_from_person(db):
    from hookdebate.store import Store

    store = Store(db)
    rows = json.loads(hd("threads", "--json", "--from", "serge", db=db).stdout)["threads"]
    assert rows
    for t in rows:
        ids = store.thread_message_ids(t["id"])
        assert any("serge" in (m.from_name + m.from_address).lower() for m in store.messages(ids))
    everyone = json.loads(hd("threads", "--json", db=db).stdout)["threads"]
    others = {t["id"] for t in everyone} - {t["id"] for t in rows}
    for tid in others:
        assert not any("serge" in (m.from_name + m.from_address).lower()
                       for m in store.messages(store.thread_message_ids(tid)))


@pytest.mark.parametrize("args", [
    ["--since", "2023-13-01"], ["--until", "yesterday"], ["--from", "nobody-of-that-name"],
    ["--min-messages", "-1"], ["--sort", "loudest"], ["--since", "2023-05-01", "--until", "2023-04-01"],
])
def test_threads_bad_input_is_one_line(db, args):
    proc = hd("threads", *args, db=db, check=False)
    if "--sort" in args:  # argparse's own usage error, also exit 2 and no traceback
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
    else:
        one_line_error(proc)


def test_thread_opens_one_thread_by_any_message(db, listing):
    t = max(listing, key=lambda t: t["messages"])
    from hookdebate.store import Store

    some = Store(db).thread_message_ids(t["id"])[-1]
    out = json.loads(hd("thread", some, "--json", db=db).stdout)
    assert out["root"] == t["root"] and len(out["messages"]) == t["messages"]
    one_line_error(hd("thread", "no-such-message@example.org", db=db, check=False))
    several = hd("positions", db=db, check=False)
    one_line_error(several)
    assert f"holds {len(listing)} threads" in several.stderr


def test_search_prefixes(db):
    from hookdebate.store import Store

    store = Store(db)
    out = json.loads(hd("search", "--json", "s:securityfs", db=db).stdout)
    assert out["threads"] and all("securityfs" in h["subject"].lower() for h in out["hits"])
    assert set(out) >= {"threads", "hits"}
    for h in out["hits"]:
        assert {"message_id", "thread", "subject", "from", "date", "snippet"} <= set(h)
    # f: and d:
    out = json.loads(hd("search", "--json", "--hits", "1000", "f:serge d:20220301..20220302", db=db).stdout)
    assert out["hits"]
    for h in out["hits"]:
        assert "serge" in (h["from"] + h["address"]).lower() and "2022-03-01" <= h["date"] < "2022-03-03"
    # plain words and phrases
    out = json.loads(hd("search", "--json", '"user namespace"', db=db).stdout)
    assert out["hits"]
    for h in out["hits"]:
        m = store.messages([h["message_id"]])[0]
        assert re.search(r"user[\s_]+namespace", (m.subject + " " + m.body).lower())


def _split(body):
    new = "\n".join(l for l in body.split("\n") if not l.lstrip().startswith(">")).lower()
    quoted = "\n".join(l for l in body.split("\n") if l.lstrip().startswith(">")).lower()
    return new, quoted


def test_search_new_and_quoted_text(db):
    from hookdebate.store import Store

    store = Store(db)
    nq = json.loads(hd("search", "--json", "--hits", "1000", "nq:nack", db=db).stdout)["hits"]
    q = json.loads(hd("search", "--json", "--hits", "1000", "q:nack", db=db).stdout)["hits"]
    b = json.loads(hd("search", "--json", "--hits", "1000", "b:nack", db=db).stdout)["hits"]
    assert nq and q
    for h in nq:
        assert "nack" in _split(store.messages([h["message_id"]])[0].body)[0]
    for h in q:
        assert "nack" in _split(store.messages([h["message_id"]])[0].body)[1]
    ids = lambda hits: {h["message_id"] for h in hits}
    assert ids(nq) | ids(q) == ids(b)
    assert ids(q) - ids(nq)  # quoted only: a reply quoting the NACK


@pytest.mark.parametrize("query", ['unbalanced "quote', "t:someone", "d:2023-13-01", "d:..",
                                   "f:nobody-of-that-name", "d:20230501..20230401", "   ", "s:***"])
def test_search_bad_query_is_one_line(db, query):
    one_line_error(hd("search", query, db=db, check=False))


def test_commands_have_help():
    for cmd in ("threads", "search", "analyze"):
        proc = subprocess.run([sys.executable, "-m", "hookdebate", cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "--json" in proc.stdout and "--db" in proc.stdout
