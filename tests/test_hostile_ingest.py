"""Hostile mail on ingest (issue 15, deliver 1): every message that can be is stored with what
could be decoded and flagged (Message.defects); one that is no mail, or that a damaged source
cuts off, is left out with a one-line warning naming it; the rest of the source is stored; a
source that cannot be read at all is a one-line error (exit 2) storing nothing; re-running
stores nothing twice.

The inputs are real messages of the embedded thread (52 from linux-security-module) with one
header or structure made hostile, as the issue's reproducers did.
"""
from __future__ import annotations

import gzip
import re

import pytest

from conftest import THREAD_MBOX
from hookdebate.cli import main
from hookdebate.store import Store
from scraper.errors import ScrapeError
from scraper.mail import generated_msgid, parse_message
from scraper.mbox import iter_raw_mbox

RAWS = list(iter_raw_mbox(THREAD_MBOX))
SEP = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"


def msgid_of(raw: bytes) -> str:
    return re.search(rb"^Message-ID:\s*<([^>]+)>", raw, re.M | re.I).group(1).decode()


def set_header(raw: bytes, name: bytes, value: bytes | None) -> bytes:
    """raw with header `name` (every occurrence, continuation lines too) replaced by value
    (appended when absent; removed when value is None)."""
    head, sep, body = raw.partition(b"\n\n")
    lines = re.split(rb"\n(?![ \t])", head)
    out = [line for line in lines if not line.lower().startswith(name.lower() + b":")]
    if value is not None:
        out.append(name + b": " + value)
    return b"\n".join(out) + sep + body


def with_body(raw: bytes, content_type: bytes, body: bytes) -> bytes:
    raw = set_header(raw, b"Content-Transfer-Encoding", b"8bit")
    raw = set_header(raw, b"Content-Type", content_type)
    return raw.partition(b"\n\n")[0] + b"\n\n" + body


def mbox(*raws: bytes) -> bytes:
    """An mbox whose messages read back byte-identical (each raw ends with a newline)."""
    return b"".join(SEP + r + (b"" if r.endswith(b"\n") else b"\n") + b"\n" for r in raws)


def nested(raw: bytes, depth: int, kind: str) -> bytes:
    """A real message whose text sits `depth` MIME levels deep."""
    text = raw.partition(b"\n\n")[2]
    part = b"Content-Type: text/plain; charset=utf-8\n\n" + text
    for i in range(depth):
        if kind == "multipart":
            part = (b"Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i)
                    + part + b"\n--b%d--\n" % i)
        else:
            part = b"Content-Type: message/rfc822\n\nSubject: fwd %d\n" % i + part
    head = set_header(raw, b"Content-Type", None).partition(b"\n\n")[0]
    return head + b"\n" + part


# (name, how the third of five real messages is made hostile, what its defects say)
HOSTILE = {
    "8bit-message-id": (lambda r: set_header(r, b"Message-ID", b"<caf\xc3\xa9-\xff-1@kernel.org>"),
                        "8-bit bytes in Message-ID"),
    "charset-idna": (lambda r: with_body(r, b"text/plain; charset=idna", r.partition(b"\n\n")[2]),
                     "unknown charset 'idna'"),
    "charset-punycode": (lambda r: with_body(r, b"text/plain; charset=punycode",
                                             r.partition(b"\n\n")[2] + b"\xff\xfe\n"),
                         "unknown charset 'punycode'"),
    "charset-undefined": (lambda r: with_body(r, b"text/plain; charset=undefined", r.partition(b"\n\n")[2]),
                          "unknown charset 'undefined'"),
    "charset-nul": (lambda r: with_body(r, b'text/plain; charset="utf\x008"', r.partition(b"\n\n")[2]),
                    "unknown charset"),
    "multipart-idna": (lambda r: with_body(
        r, b'multipart/mixed; boundary="x"',
        b"--x\nContent-Type: text/plain; charset=idna\n\n" + r.partition(b"\n\n")[2] + b"\n--x--\n"),
        "unknown charset 'idna'"),
    "multipart-990-deep": (lambda r: nested(r, 990, "multipart"), "nested too deeply"),
    "rfc822-990-deep": (lambda r: nested(r, 990, "rfc822"), "nested too deeply"),
    "date-9999": (lambda r: set_header(r, b"Date", b"Fri, 31 Dec 9999 23:59:59 -2359"), "date out of range"),
    "no-message-id": (lambda r: set_header(r, b"Message-ID", None), "no Message-ID"),
}


@pytest.fixture(params=["thread", "process"])
def parse_mode(request, monkeypatch):
    """Small sources parsed in a thread (the default) and, forced, in the forked parser process."""
    if request.param == "process":
        import hookdebate.ingest as ingest_cmd

        monkeypatch.setattr(ingest_cmd, "_PARALLEL_BYTES", 0)
        monkeypatch.setattr(ingest_cmd, "_PARALLEL_MESSAGES", 0)
    return request.param


def ingest(db, *argv):
    return main(["ingest", *argv, "--db", str(db), "--no-progress", "--no-cache"])


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_message_is_stored_flagged_and_the_rest_too(tmp_path, capsys, name):
    make, defect = HOSTILE[name]
    hostile = make(RAWS[2])
    msg = parse_message(hostile, "t")  # never raises for these
    assert any(defect in d for d in msg.defects), msg.defects
    assert msg.from_address == parse_message(RAWS[2], "t").from_address  # the rest decoded as before
    source = tmp_path / "list.mbox"
    source.write_bytes(mbox(RAWS[0], RAWS[1], hostile, RAWS[3], RAWS[4]))
    db = tmp_path / "h.db"
    assert ingest(db, str(source)) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    warnings = err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("hookdebate: warning: ") and defect in warnings[0]
    assert f"{source}#2" in warnings[0] and ", 1 flagged" in out
    store = Store(db)
    assert store.count_messages() == 5
    stored = {m.message_id: m for m in store.messages()}
    assert {msgid_of(r) for r in (RAWS[0], RAWS[1], RAWS[3], RAWS[4])} <= set(stored)
    (kept,) = [m for m in stored.values() if m.defects]
    assert kept.raw == hostile and kept.defects == msg.defects  # flagged in the store too
    # re-running stores nothing twice (and says the same)
    assert ingest(db, str(source)) == 0
    assert "0 added, 5 already stored" in capsys.readouterr().out
    assert Store(db).count_messages() == 5


def test_the_flagged_message_keeps_what_could_be_decoded():
    m = parse_message(HOSTILE["date-9999"][0](RAWS[2]), "t")
    assert m.date is None and m.date_raw == "Fri, 31 Dec 9999 23:59:59 -2359"
    m = parse_message(HOSTILE["charset-idna"][0](RAWS[2]), "t")
    assert m.body.strip() and m.body.split()[:5] == parse_message(RAWS[2], "t").body.split()[:5]
    deep = parse_message(HOSTILE["multipart-990-deep"][0](RAWS[2]), "t")
    assert parse_message(RAWS[2], "t").body.split("\n")[0] in deep.body  # kept as raw text, searchable
    m = parse_message(HOSTILE["no-message-id"][0](RAWS[2]), "t")
    assert m.message_id == generated_msgid(HOSTILE["no-message-id"][0](RAWS[2]))  # the same on every run
    assert m.subject == parse_message(RAWS[2], "t").subject


def test_8bit_message_id_threads_with_its_reply():
    parent = set_header(RAWS[0], b"Message-ID", b"<caf\xc3\xa9@kernel.org>")
    reply = set_header(set_header(RAWS[1], b"In-Reply-To", b"<caf\xc3\xa9@kernel.org>"),
                       b"References", b"<caf\xc3\xa9@kernel.org>")
    p, r = parse_message(parent, "t"), parse_message(reply, "t")
    assert p.message_id == "caf\u00e9@kernel.org" == r.in_reply_to == r.references[-1]


def test_no_mail_in_an_mbox_is_left_out_with_a_warning_and_the_rest_stored(tmp_path, capsys, parse_mode):
    db = tmp_path / "h.db"
    source = tmp_path / "list.mbox"
    not_mail = b"\x00\x01\x02 a PNG that got into the archive\n" * 3
    source.write_bytes(mbox(RAWS[0], not_mail, RAWS[1]))
    assert ingest(db, str(source)) == 1  # stored what it could, said what it did not
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    assert line.startswith("hookdebate: warning: ") and f"{source}#1" in line and "left out" in line
    assert ", 1 left out" in out
    assert Store(db).message_ids() == {msgid_of(RAWS[0]), msgid_of(RAWS[1])}
    assert ingest(db, str(source)) == 1
    assert Store(db).count_messages() == 2


def test_truncated_mbox_gz_is_said_and_the_whole_messages_stored(tmp_path, capsys):
    full = gzip.compress(THREAD_MBOX.read_bytes())
    cut = tmp_path / "t.mbox.gz"
    cut.write_bytes(full[: len(full) // 2])
    db = tmp_path / "h.db"
    assert ingest(db, str(cut)) == 1
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    stored = Store(db).count_messages()
    assert 10 < stored < 52
    assert "truncated gzip" in line and f"{stored} whole messages read" in line and "cut off, is left out" in line
    # the message it cut off is named, and not stored half
    assert f"the last message (#{stored}" in line
    cut_id = msgid_of(RAWS[stored])
    assert not Store(db).has_message(cut_id)
    # the whole file later adds exactly the rest, the cut-off message whole
    whole = tmp_path / "whole.mbox.gz"
    whole.write_bytes(full)
    assert ingest(db, str(whole)) == 0
    store = Store(db)
    assert store.count_messages() == 52
    assert {m.message_id: m.raw for m in store.messages()}[cut_id] == next(r for r in RAWS if msgid_of(r) == cut_id)


def test_corrupt_gzip_part_way_keeps_what_came_before(tmp_path, capsys):
    data = bytearray(gzip.compress(THREAD_MBOX.read_bytes()))
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "t.mbox.gz"
    bad.write_bytes(bytes(data))
    db = tmp_path / "h.db"
    assert ingest(db, str(bad)) == 1
    # deflate notices the damage only at the member's check: messages inflated from the
    # damaged stretch are no mail (left out, each named) or kept; the damage itself is said
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("hookdebate: warning: ") for line in lines)
    assert any("corrupt gzip data" in line and "cut off, is left out" in line for line in lines)
    assert 0 < Store(db).count_messages() < 52


@pytest.mark.parametrize("content", [b"\x1f\x8b\x08\x00garbage that is not deflate" * 4,
                                     gzip.compress(b"From x\nSubject: a\n\nhi\n")[:12]])
def test_gzip_nothing_can_be_read_from_is_one_line_error(tmp_path, capsys, content):
    db = tmp_path / "h.db"
    assert ingest(db, str(THREAD_MBOX)) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.mbox.gz"
    bad.write_bytes(content)
    assert ingest(db, str(bad)) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("hookdebate: error: ") and "gzip" in line
    assert Store(db).count_messages() == 52


def test_message_over_the_size_limit_is_left_out_without_being_held(tmp_path, capsys, monkeypatch):
    import scraper.mbox as mbox_mod

    monkeypatch.setattr(mbox_mod, "MAX_MESSAGE_BYTES", 200_000)
    monkeypatch.setattr(mbox_mod, "_CHUNK", 4096)  # the big one spans many reads
    big = RAWS[2] + b"x" * 80 + b"\n" + (b"A" * 79 + b"\n") * 5000  # 400 kB
    source = tmp_path / "list.mbox"
    source.write_bytes(mbox(RAWS[0], big, RAWS[1]))
    db = tmp_path / "h.db"
    assert ingest(db, str(source)) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "message #1 is larger than 200,000 bytes" in line and "left out" in line
    assert Store(db).message_ids() == {msgid_of(RAWS[0]), msgid_of(RAWS[1])}
    with pytest.raises(ScrapeError, match="larger than"):  # the library without a warn callback
        list(iter_raw_mbox(source))


def test_maildir_and_epoch_leave_out_only_the_bad_message(tmp_path, capsys):
    from pi_server import fast_import_epoch

    not_mail = b"just some words, no header at all\n"
    md = tmp_path / "md"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    for i, raw in enumerate([RAWS[0], not_mail, RAWS[1]]):
        (md / "new" / f"{i}.host").write_bytes(raw)
    assert ingest(tmp_path / "m.db", str(md)) == 1
    assert Store(tmp_path / "m.db").count_messages() == 2
    inbox = tmp_path / "inbox"
    fast_import_epoch(inbox / "git" / "0.git", [RAWS[0], not_mail, HOSTILE["date-9999"][0](RAWS[2]), RAWS[1]])
    assert ingest(tmp_path / "e.db", str(inbox)) == 1
    err = capsys.readouterr().err
    assert err.count("left out") == 2 and "date out of range" in err
    assert Store(tmp_path / "e.db").count_messages() == 3  # two real ones, the year-9999 one flagged
