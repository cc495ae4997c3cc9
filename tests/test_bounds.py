"""Bounded work on hostile threads (issue 15, Deliver 3): each reproducer of the issue as a test
of behaviour (the thread is reported, the text past a limit is read, no RecursionError under a
small recursion limit), never of wall-clock time; bench/bench_bounds.py measures the times."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import hostile
from analysis import build_tree, split_threads
from analysis.threading import _break_cycles, parents
from mailrecords import Message
from scraper.mail import parse_message
from scraper.mbox import iter_raw_mbox_bytes

ROOT = Path(__file__).resolve().parents[1]
HOOKDEBATE = [sys.executable, "-m", "hookdebate"]


def _messages(data: bytes) -> list[Message]:
    return [parse_message(raw, "mbox:test") for raw in iter_raw_mbox_bytes(data)]


def _run(*args, recursion_limit: int | None = None, check=True) -> subprocess.CompletedProcess:
    """hookdebate in a fresh process; with recursion_limit, under that Python recursion limit (a
    recursive walk over a 20,000-deep chain would need 20,000 frames)."""
    if recursion_limit is None:
        cmd = HOOKDEBATE + list(args)
    else:
        code = ("import sys; sys.setrecursionlimit(%d); from hookdebate.cli import main; "
                "sys.argv = ['hookdebate'] + sys.argv[1:]; sys.exit(main())" % recursion_limit)
        cmd = [sys.executable, "-c", code] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if check:
        assert p.returncode == 0, p.stderr[-2000:]
        assert "Traceback" not in p.stderr
    return p


# -- threading: the cycle check ------------------------------------------------------------

def _break_cycles_walking(parent_of: dict) -> dict:
    """The cycle check as it was: walk up from every message in turn (quadratic in depth)."""
    parent_of = dict(parent_of)
    for mid in list(parent_of):
        seen = {mid}
        cur = parent_of[mid]
        while cur is not None:
            if cur in seen:
                parent_of[mid] = None
                break
            seen.add(cur)
            cur = parent_of.get(cur)
    return parent_of


@pytest.mark.parametrize("seed", range(300))
def test_cycle_cuts_are_those_of_walking_up_from_every_message(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 14)
    ids = [f"m{i}" for i in range(n)]
    rng.shuffle(ids)
    parent_of = {mid: (rng.choice(ids + [None, None]) if rng.random() < 0.9 else f"missing{seed}")
                 for mid in ids}
    parent_of = {k: (None if v == k and rng.random() < 0.5 else v) for k, v in parent_of.items()}
    expected = _break_cycles_walking(parent_of)
    got = dict(parent_of)
    _break_cycles(got)
    assert got == expected


def test_a_forged_cycle_through_a_20000_deep_chain_is_cut_once():
    # the root names the last reply as its parent: every message is on one cycle
    n = 20_000
    parent_of = {f"c{i}": f"c{i - 1}" for i in range(1, n)}
    parent_of = {"c0": f"c{n - 1}", **parent_of}
    _break_cycles(parent_of)
    assert parent_of["c0"] is None and sum(v is None for v in parent_of.values()) == 1


def test_threading_a_20000_deep_chain_under_a_small_recursion_limit():
    msgs = _messages(hostile.deep_chain(20_000, quote=False))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)
    try:
        tree = build_tree(msgs)
        threads = split_threads(msgs)
        depth = tree.depths()
    finally:
        sys.setrecursionlimit(limit)
    assert tree.root_id == hostile.ROOT_ID and len(threads) == 1 and len(threads[0]) == 20_001
    assert max(depth.values()) == 20_000 and tree.order[-1] == "chain019999@example.org"
    assert parents(msgs)["chain019999@example.org"] == "chain019998@example.org"


def test_thread_command_on_a_20000_deep_chain(tmp_path):
    mbox = tmp_path / "chain.mbox"
    mbox.write_bytes(hostile.deep_chain(20_000, quote=False))
    db = str(tmp_path / "db")
    _run("ingest", "--db", db, str(mbox))
    out = _run("thread", "--db", db, "--json", recursion_limit=400).stdout
    rows = json.loads(out)["messages"]
    assert len(rows) == 20_001 and rows[-1]["depth"] == 20_000
    text = _run("thread", "--db", db, recursion_limit=400).stdout
    lines = text.splitlines()
    # the layout is bounded: deep replies are not indented 20,000 levels (40,000 spaces a line)
    assert max(len(x) for x in lines) < 400
    assert "20001 messages" in text and "[depth 20000]" in text


# -- analysis and report of a deep chain --------------------------------------------------

def test_report_of_a_deep_chain_under_a_small_recursion_limit(tmp_path):
    mbox = tmp_path / "chain.mbox"
    mbox.write_bytes(hostile.deep_chain(1_500))
    db = str(tmp_path / "db")
    _run("ingest", "--db", db, str(mbox))
    for fmt in ("json", "md", "html"):
        out = tmp_path / f"r.{fmt}"
        _run("report", "--db", db, "-o", str(out), "--map", str(tmp_path / "map"), recursion_limit=400)
        assert out.stat().st_size > 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["messages"] == 1_501 and len(r["timeline"]) == 1_501
    # the reply chain is read as one: each reply's quote is found in its parent
    assert {p["name"] for p in r["participants"]} == {"Proposer", "Reviewer One"}
    assert (tmp_path / "map.dot").read_text().startswith(("digraph", "strict digraph"))


def test_report_of_a_20000_deep_chain(tmp_path):
    """The issue's reproducer at its size (report ran over 5 minutes): a 20,000-deep chain, each
    reply quoting its parent, reported in every format by fresh processes under a recursion
    limit of 400 (a recursive walk would need 20,000 frames); the first report makes and keeps
    the analysis, the others lay it out."""
    n = 20_000
    mbox = tmp_path / "chain.mbox"
    mbox.write_bytes(hostile.deep_chain(n))
    db = str(tmp_path / "db")
    _run("ingest", "--db", db, str(mbox))
    for fmt in ("json", "md", "html"):
        _run("report", "--db", db, "-o", str(tmp_path / f"r.{fmt}"), recursion_limit=400)
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["messages"] == n + 1 and len(r["timeline"]) == n + 1
    assert {p["name"] for p in r["participants"]} == {"Proposer", "Reviewer One"}
    assert r["timeline"][-1]["message_id"] == f"chain{n - 1:06d}@example.org"
    md = (tmp_path / "r.md").read_text()
    assert f"{n + 1:,} messages" in md and f"chain{n - 1:06d}@example.org" in md
    assert max(map(len, md.splitlines())) < 2_000  # no line grows with the depth
    html = (tmp_path / "r.html").read_text()
    assert all(f"chain{i:06d}@example.org/" in html for i in (0, n // 2, n - 1))  # each message linked


def test_quotes_in_a_chain_deeper_than_the_ancestor_cap_are_still_attributed():
    from analysis.pipeline import MAX_ANCESTORS, analyze

    msgs = _messages(hostile.deep_chain(MAX_ANCESTORS + 30))
    a = analyze(msgs, stance="rules")
    last = f"chain{MAX_ANCESTORS + 29:06d}@example.org"
    quotes = [s for s in a.segments if s.message_id == last and s.kind == "quote"]
    assert quotes and quotes[0].quoted_message_id == f"chain{MAX_ANCESTORS + 28:06d}@example.org"


def _ancestors_walking_up(mid: str, tree, cap: int) -> list[str]:
    """A message's ancestors as they were found: walk up from it, at most cap of them; past
    the cap the root and the nearest cap - 1 (root first)."""
    up: list[str] = []
    cur = tree.parent_of.get(mid)
    while cur is not None:
        up.append(cur)
        cur = tree.parent_of.get(cur)
    up.reverse()
    return up if len(up) <= cap else [up[0]] + up[1 - cap:]


@pytest.mark.parametrize("seed", range(40))
def test_ancestors_from_the_depth_first_path_are_those_of_walking_up(seed):
    """_ancestors_in_order keeps the path from the root on a stack instead of walking up from
    each message; over random forests (deep branches past MAX_ANCESTORS, several roots), in
    build_tree's depth-first order and in an order that is not depth-first, the lists are the
    same, message for message."""
    from analysis.model import ThreadTree
    from analysis.pipeline import MAX_ANCESTORS, _ancestors_in_order

    rng = random.Random(seed)
    chain = rng.randint(1, 300)  # a reply chain first, past MAX_ANCESTORS for most seeds
    n = chain + rng.randint(0, 200)
    parent_of: dict[str, str | None] = {}
    for i in range(n):
        mid = f"m{i}"
        # then mostly the chain going on, sometimes a branch off any earlier message or a new root
        r = rng.random()
        parent_of[mid] = (None if i == 0 or (i >= chain and r < 0.03) else f"m{i - 1}" if i < chain or r < 0.7
                          else f"m{rng.randrange(i)}")
    by_id = {mid: Message(message_id=mid, subject="s", from_name="", from_address="a@example.org", date=None,
                          date_raw="", in_reply_to=p, references=(p,) if p else (), body="", raw=b"",
                          origin="test") for mid, p in parent_of.items()}
    tree = build_tree(by_id.values())
    assert tree.parent_of == parent_of
    shuffled = list(tree.order)
    rng.shuffle(shuffled)
    for order in (tree.order, tuple(shuffled)):
        t = ThreadTree(root_id=tree.root_id, parent_of=tree.parent_of, order=order)
        got = [(m.message_id, [a.message_id for a in up]) for m, up in _ancestors_in_order(t, by_id)]
        assert got == [(mid, _ancestors_walking_up(mid, t, MAX_ANCESTORS)) for mid in order]
    assert max(len(_ancestors_walking_up(mid, tree, 10 ** 9)) for mid in parent_of) >= chain - 1


# -- long bodies --------------------------------------------------------------------------

def test_pieces_cut_at_sentence_ends_then_spaces_then_hard():
    from analysis.pipeline import _pieces

    prose = hostile.prose(100_000, paragraph_sentences=None)
    pieces = _pieces(prose, 5_000)
    assert all(len(p) <= 5_000 for p in pieces) and len(pieces) >= 20
    assert all(p.endswith(".") for p in pieces[:-1])
    assert " ".join(pieces).split() == prose.split()  # nothing dropped
    words = hostile.prose(50_000, sentence_words=0, paragraph_sentences=None)
    pieces = _pieces(words, 5_000)
    assert all(len(p) <= 5_000 for p in pieces) and " ".join(pieces).split() == words.split()
    blob = "x" * 12_345
    assert [len(p) for p in _pieces(blob, 5_000)] == [5_000, 5_000, 2_345]
    assert _pieces("short text.", 5_000) == ["short text."]


def test_text_past_spacys_max_length_is_analyzed(monkeypatch):
    """A paragraph longer than the pipeline's max_length (E088 for a body over 5 M characters)
    is read in pieces: shown here with max_length lowered, so the test stays small."""
    from analysis import analyze
    from analysis.nlp import get_nlp

    nlp = get_nlp()
    monkeypatch.setattr(nlp, "max_length", 3_000)
    body = hostile.prose(40_000, paragraph_sentences=None, marker_every=2_000)
    body += " I object to this series, zqmarkend."
    msgs = _messages(hostile.root() + hostile._mail("long@example.org", body))
    a = analyze(msgs, stance="rules")
    text = " ".join(c.text for c in a.claims).lower()
    assert hostile.marker(0) in text and hostile.marker(19) in text and "zqmarkend" in text
    st = {s.message_id: s for s in a.message_stances}["long@example.org"]
    assert st.stance == "oppose" and any("zqmarkend" in e.quote for e in st.evidence)
    assert "read_in_part" not in a.extra


def test_past_the_full_reading_a_message_is_read_for_stance_cues(monkeypatch):
    from analysis import analyze, pipeline

    monkeypatch.setattr(pipeline, "FULL_READ_CHARS", 5_000)
    body = hostile.prose(30_000, marker_every=2_000) + "\n\nNAK, zqmarkend: this cannot go in."
    msgs = _messages(hostile.root() + hostile._mail("long@example.org", body))
    a = analyze(msgs, stance="rules")
    part = a.extra["read_in_part"]["long@example.org"]
    assert part["parsed"] < part["chars"] and part["chars"] > 25_000
    st = {s.message_id: s for s in a.message_stances}["long@example.org"]
    assert st.stance == "oppose" and any("zqmarkend" in e.quote for e in st.evidence)
    claims = " ".join(c.text for c in a.claims if c.message_id == "long@example.org").lower()
    assert hostile.marker(0) in claims and hostile.marker(14) not in claims  # claims: the parsed part


@pytest.mark.parametrize("shape", ["prose-3.4M", "sentence-1.9M"])
def test_a_multi_megabyte_body_is_parsed_in_bounded_pieces_and_read_to_its_end(monkeypatch, shape):
    """The issue's reproducers at their size: a 3.4 MB body (positions took 165 s and 10.9 GB:
    spaCy got each paragraph whole, all in one batch) and a 1.9 MB body that is one sentence
    (over 60 s). Every text spaCy parses is at most PIECE_CHARS, every batch at most
    BATCH_CHARS, the message is parsed up to FULL_READ_CHARS (and one piece), and the writer's NAK after
    the last megabyte is still read."""
    from analysis import analyze, pipeline
    from analysis.nlp import get_nlp

    nlp = get_nlp()
    real_pipe = nlp.pipe
    batches: list[list[int]] = []

    def pipe(jobs, *, as_tuples=False, batch_size=None, **kw):
        jobs = list(jobs)
        texts = [j[0] if as_tuples else j for j in jobs]
        if all(isinstance(t, str) for t in texts):  # (spaCy's as_tuples pipe calls pipe again with Docs)
            step = batch_size or nlp.batch_size
            batches.extend([len(t) for t in texts[i:i + step]] for i in range(0, len(texts), step))
        return real_pipe(jobs, as_tuples=as_tuples, batch_size=batch_size, **kw)

    monkeypatch.setattr(nlp, "pipe", pipe)
    if shape == "prose-3.4M":
        body = hostile.prose(3_400_000)
    else:
        body = hostile.prose(1_900_000, sentence_words=0, paragraph_sentences=None)
        assert "." not in body[:-1] and "\n" not in body
    body += "\n\nNAK, zqmarkend: this cannot go in."
    msgs = _messages(hostile.root() + hostile._mail("big@example.org", body))
    a = analyze(msgs, stance="rules")
    texts = [n for b in batches for n in b]
    assert texts and max(texts) <= pipeline.PIECE_CHARS
    assert max(sum(b) for b in batches) <= pipeline.BATCH_CHARS
    part = a.extra["read_in_part"]["big@example.org"]
    # pieces are parsed until FULL_READ_CHARS is reached: the last one may go past it
    assert part["chars"] > 1_800_000 and part["parsed"] < pipeline.FULL_READ_CHARS + pipeline.PIECE_CHARS
    assert sum(texts) <= part["parsed"] + 1_000  # the message's parsed part and the short root
    claims = " ".join(c.text for c in a.claims if c.message_id == "big@example.org").lower()
    assert hostile.marker(0) in claims  # the start was read in full
    st = {s.message_id: s for s in a.message_stances}["big@example.org"]
    assert st.stance == "oppose" and any("zqmarkend" in e.quote for e in st.evidence)  # and the end for cues


def test_a_body_over_five_million_characters_is_reported(tmp_path):
    body = hostile.prose(5_200_000, marker_every=100_000) + "\n\nNAK, zqmarkend: this cannot go in."
    mbox = tmp_path / "big.mbox"
    mbox.write_bytes(hostile.root() + hostile._mail("big@example.org", body))
    db = str(tmp_path / "db")
    _run("ingest", "--db", db, str(mbox))
    _run("report", "--db", db, "-o", str(tmp_path / "r.json"))
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["messages"] == 2
    who = {p["name"]: p for p in r["participants"]}
    assert any("zqmarkend" in e["quote"] for e in who["Reviewer One"]["evidence"])


# -- report layout ------------------------------------------------------------------------

def test_a_huge_from_name_is_bounded_in_the_report():
    from analysis import analyze
    from hookdebate.report import build, render_html, render_markdown
    from hookdebate.report import pictures as P
    from hookdebate.report.data import NAME_MAX

    a = analyze(_messages(hostile.big_from_name(1_000_000)), stance="rules")
    r = build(a, None)
    assert max(len(p["name"]) for p in r["participants"]) <= NAME_MAX
    assert max(len(t["author"]) for t in r["timeline"]) <= NAME_MAX
    md = render_markdown(r, {})
    html = render_html(r, {"timeline": P.timeline(r), "argument-map": P.argument_map(r)})
    assert len(md) < 100_000 and len(html) < 400_000 and "Name0 Name1" in md


def test_a_huge_subject_is_bounded_in_the_report():
    from analysis import analyze
    from hookdebate.report import build, render_markdown
    from hookdebate.report.data import SUBJECT_MAX

    a = analyze(_messages(hostile.big_subject(500_000)), stance="rules")
    r = build(a, None)
    assert max(len(t["subject"]) for t in r["timeline"]) <= SUBJECT_MAX
    assert len(render_markdown(r, {})) < 100_000


def test_year_9999_dates_in_the_html_timeline():
    from analysis import analyze
    from hookdebate.report import build, render_html
    from hookdebate.report import pictures as P
    from hookdebate.report.data import utc_iso

    msgs = _messages(hostile.far_date())
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59)))
    msgs.append(Message(message_id="far-zone@example.org", subject="Re: [PATCH] bpf: authoritative hooks",
                        from_name="Reviewer Three", from_address="three@example.org", date=far,
                        date_raw="Fri, 31 Dec 9999 23:59:59 -2359", in_reply_to=hostile.ROOT_ID,
                        references=(hostile.ROOT_ID,), body="This looks good to me.", raw=b"", origin="test"))
    a = analyze(msgs, stance="rules")
    r = build(a, None)
    # dates stay datetimes until rendered; the one past 9999 in UTC keeps its own zone
    assert all(isinstance(t["date"], datetime) for t in r["timeline"])
    assert any(utc_iso(t["date"]) == "9999-12-31T23:59:59-23:59" for t in r["timeline"])
    svg = P.timeline(r)
    # 9999-12-31 UTC is drawn; 9999-12-31 -23:59 (past year 9999 in UTC) is listed, not drawn
    assert svg.startswith(b"<?xml") and b"Reviewer One" in svg and b"Reviewer Three" not in svg
    assert "Reviewer Three" in render_html(r, {"timeline": svg})


def test_pictures_of_a_thread_with_thousands_of_people():
    from analysis import analyze
    from hookdebate.report import build
    from hookdebate.report import pictures as P

    a = analyze(_messages(hostile.wide_thread(700)), stance="rules")
    r = build(a, None)
    assert len(r["participants"]) == 701
    svg = P.timeline(r).decode()
    assert "others" in svg and svg.count("Person ") <= P.MAX_ROWS + 5
    assert "others" in P.argument_map(r).decode()
