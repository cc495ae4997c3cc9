"""Fuzzing (issue 15, deliver 6): hostile headers, charsets, MIME trees, dates and Message-IDs,
and real messages with bytes flipped, cut short or spliced, never make the tool fail other than
by a one-line error. Bounded example counts here (derandomized: the normal suite is repeatable);
`bench/fuzz.py --cases N` runs the same generators through the CLI for as long as one wants and
keeps every input that failed in tests/data/fuzz/, which test_every_kept_failure_... replays.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import sys
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile_mail as H
from hookdebate.cli import main
from hookdebate.report import mdsafe
from hookdebate.store import Store
from scraper.errors import ScrapeError
from scraper.mail import parse_message
from scraper.mbox import iter_raw_mbox, iter_raw_mbox_bytes

FUZZ_DIR = Path(__file__).resolve().parent / "data" / "fuzz"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz as FZ  # noqa: E402 - bench/fuzz.py: the long runs' harness
POOL = H.seeds()
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_message(m) -> None:
    """What every parsed message must be, however hostile its bytes."""
    assert isinstance(m.message_id, str) and m.message_id
    assert isinstance(m.subject, str) and isinstance(m.body, str) and isinstance(m.from_name, str)
    if m.date is not None:
        assert m.date.tzinfo is not None
        m.date.astimezone(timezone.utc)  # the store writes the UTC form
    assert all(isinstance(d, str) and "\n" not in d for d in m.defects)
    assert m.parent_id is None or isinstance(m.parent_id, str)


def parse_all(raws) -> list:
    out = []
    for raw in raws:
        try:
            m = parse_message(raw, "fuzz")
        except ScrapeError:
            continue  # no mail: the caller leaves it out with a warning
        check_message(m)
        out.append(m)
    return out


def store_and_thread(msgs) -> None:
    store = Store(":memory:")
    store.add_messages(msgs)
    again = store.add_messages(msgs)
    assert again.added == 0  # idempotent
    store.ensure_thread_index()
    stored = store.message_ids()
    assert stored == {m.message_id for m in msgs}
    seen = set()
    for t in store.largest_threads(len(stored) + 1):
        seen |= {m.message_id for m in store.thread_messages(t["id"])}
    assert seen == stored


# -- generated: headers, charsets, MIME trees, dates, Message-IDs ------------------------------
@FUZZ
@given(st.randoms(use_true_random=False))
def test_generated_threads_parse_store_and_thread(rng):
    raws = H.generated(rng, deep_ok=False)  # (nesting near the limit: test_mime_nesting_at_depth)
    store_and_thread(parse_all(raws))


@FUZZ
@given(name=st.binary(max_size=40), value=st.binary(max_size=300), charset=st.sampled_from(H.CHARSETS),
       mid=st.binary(max_size=60), date=st.text(max_size=60))
def test_any_header_bytes(name, value, charset, mid, date):
    raw = (b"From: A <a@example.org>\nSubject: s\nMessage-ID: <" + mid + b">\nDate: " + date.encode("utf-8", "replace")
           + b"\nContent-Type: text/plain; charset=\"" + charset.encode("utf-8", "replace") + b"\"\n"
           + name + b": " + value + b"\n\nbody\n")
    (m,) = parse_all([raw])  # From and Subject are there: always a message, never an exception


@pytest.mark.parametrize("kind", ["multipart", "rfc822"])
@pytest.mark.parametrize("depth", [0, 1, 7, 120, 1200])
def test_mime_nesting_at_depth(depth, kind):
    rng = random.Random(depth)
    raw = b"From: a@b.example\nSubject: deep\nMessage-ID: <deep@x>\n" + H.deep(rng, depth, kind)
    (m,) = parse_all([raw])
    assert "deep text" in m.body  # decoded, or kept as raw text when too deep


# -- mutated real messages: byte flips, truncation, splices -----------------------------------
@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_real_messages(rng):
    raws = [H.mutated(rng, POOL) for _ in range(rng.randint(1, 4))]
    store_and_thread(parse_all(raws))


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mbox_and_gzip_splitting_never_fails_but_cleanly(rng, tmp_path_factory):
    name, data = H.case(rng, POOL, deep_ok=False)
    path = tmp_path_factory.mktemp("case") / name
    path.write_bytes(data)
    warnings = []
    try:
        raws = list(iter_raw_mbox(path, warn=warnings.append))
    except ScrapeError as exc:
        assert "\n" not in str(exc)
        return
    assert all("\n" not in w for w in warnings)
    if name.endswith(".gz") and not warnings and data[:2] == b"\x1f\x8b":  # read whole: the same as gunzip
        assert raws == list(iter_raw_mbox_bytes(gzip.decompress(data)))
    parse_all(raws)


# -- Markdown: any text renders as itself -----------------------------------------------------
_MD_ALPHABET = st.sampled_from(list("abcXYZ019 .:/@-_*`~|[]()!<>&#;=+\\'\"\t\u00e9\u201c") +
                               ["http://", "https://", "www.", "javascript:", "mailto:", "&lt;", "&#60;", ".org",
                                ".sh", "<script>", "](", "![", "\n", "1. ", "# "])


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(_MD_ALPHABET, max_size=30).map("".join))
def test_any_text_renders_as_itself_in_markdown(text):
    from test_markdown_inert import RENDERERS, assert_inert, render

    for name, fn in RENDERERS:
        parsed = render(mdsafe.text(text), name, fn)
        assert_inert(parsed, where=(name, text))
        assert "".join(parsed.text).strip() == " ".join(text.split()), (name, text, mdsafe.text(text))


# -- every input that ever failed stays a test ---------------------------------------------------
# bench/fuzz.py keeps the input of each traceback or hang here; once fixed, expected.json records
# the class each command's run has now (ok, noisy, clear), and this replays the case as fuzz.py
# does (ingest, then each command on the largest thread), in this process through the CLI's
# main() with the fuzz harness's own classification.
KEPT = sorted(p for p in FUZZ_DIR.glob("*") if p.is_file() and p.suffix not in (".md", ".json")) if FUZZ_DIR.is_dir() else []
EXPECTED = json.loads((FUZZ_DIR / "expected.json").read_text()) if (FUZZ_DIR / "expected.json").is_file() else {}


def test_every_kept_input_has_its_expected_outcomes():
    assert sorted(EXPECTED) == [p.name for p in KEPT]  # a new kept failure: fix it, then record it
    assert all(set(e) == set(FZ.COMMANDS) and set(e.values()) <= {"ok", "noisy", "clear"} for e in EXPECTED.values())


@pytest.mark.parametrize("path", KEPT, ids=[p.name for p in KEPT])
def test_every_kept_failure_is_a_clean_run_now(path, tmp_path):
    src = tmp_path / path.name
    src.write_bytes(path.read_bytes())
    results = FZ.run_case(src, FZ.COMMANDS, 600, tmp_path, in_process)
    got = {r["command"]: r["outcome"] for r in results}
    assert got == EXPECTED.get(path.name), [(r["command"], r["outcome"], r["detail"]) for r in results]


def in_process(argv, cwd, env, timeout):
    """bench/fuzz.py's runner, in this process (no hang limit: a test asserts no timings)."""
    rc = FZ.run_in_process(argv, str(cwd), env, str(cwd / ".stdout"), str(cwd / ".stderr"))
    return rc, (cwd / ".stderr").read_bytes(), 0.0, 0.0


# -- the harness classifies in-process as a process would ---------------------------------------
def _both(argv, tmp_path, name):
    """(exit status, class) of argv through the in-process runner and as `python -m hookdebate`."""
    out = []
    for mode, run in (("in", in_process), ("sub", FZ.run_subprocess)):
        work = tmp_path / f"{name}-{mode}"
        work.mkdir()
        env = dict(os.environ, HOOKDEBATE_DB=str(work / "f.db"), NO_COLOR="1")
        rc, err, _, _ = run([a.replace("WORK", str(work)) for a in argv], work, env, 600)
        out.append((rc, FZ.classify(rc, err, 600)[0]))
    return out


@pytest.mark.parametrize("argv,outcome", [
    (["ingest", str(H.DATA / "securityfs-linefeed-nak.mbox"), "--db", "WORK/f.db", "--no-progress"], "ok"),
    (["ingest", "WORK/no-such.mbox", "--db", "WORK/f.db"], "clear"),  # one line, exit 2
    (["thread", "--no-such-option"], "clear"),                        # argparse: SystemExit(2)
    (["--version"], "ok"),                                            # SystemExit(0)
])
def test_in_process_runs_are_classified_as_subprocess_runs(argv, outcome, tmp_path):
    (a, b) = _both(argv, tmp_path, "x")
    assert a == b and a[1] == outcome, (a, b)


def test_an_exception_escaping_main_is_a_traceback_in_process(tmp_path, monkeypatch):
    import hookdebate.commands.thread as thread_cmd

    def boom(args):
        raise KeyError("escaped")

    monkeypatch.setattr(thread_cmd, "run", boom)
    rc, err, _, _ = in_process(["thread", "--db", str(tmp_path / "f.db")], tmp_path,
                               dict(os.environ, NO_COLOR="1"), 600)
    assert (rc, FZ.classify(rc, err, 600)[0]) == (1, "traceback")
    assert b"KeyError: 'escaped'" in err


def test_a_command_over_the_timeout_is_a_hang_and_the_worker_is_replaced(tmp_path):
    worker = FZ.Worker()
    try:
        env = dict(os.environ, NO_COLOR="1")
        argv = ["ingest", str(H.DATA / "securityfs-linefeed-nak.mbox"), "--db", str(tmp_path / "f.db"), "--no-progress"]
        rc, err, _, _ = worker.run(argv, tmp_path, env, 0)  # no time at all: the answer is never there in time
        assert FZ.classify(rc, err, 0)[0] == "hang" and worker.proc is None
        rc, err, _, _ = worker.run(argv, tmp_path, env, 600)  # a new worker
        assert (rc, FZ.classify(rc, err, 600)[0]) == (0, "ok") and worker.starts == 2
    finally:
        worker.stop()


def test_the_generators_reach_every_input_class():
    """The generators make what the issue's reproducers made (else the fuzzing proves less)."""
    rng = random.Random(1)
    defects = set()
    for _ in range(300):
        for raw in H.generated(rng, deep_ok=False):
            try:
                defects.update(d.split(":")[0].split(" '")[0] for d in parse_message(raw, "g").defects)
            except ScrapeError:
                pass
    assert {"unknown charset", "8-bit bytes in Message-ID", "no Message-ID", "date out of range"} <= defects, defects
    raw = b"From: a@b.example\nMessage-ID: <d@x>\n" + H.deep(rng, 1200, "multipart")
    assert "MIME parts nested too deeply to decode: body kept as raw text" in parse_message(raw, "g").defects
