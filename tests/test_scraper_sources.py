"""Local sources: mbox(.gz), maildir, public-inbox git epochs, LWN pages; source detection."""
from __future__ import annotations

import gzip

import pytest

from conftest import ROOT_MSGID, THREAD_MBOX
from hookdebate.cli import main
from hookdebate.store import Store
from pi_server import fast_import_epoch
from scraper.epochs import EpochProgress, find_epochs, flag_duplicates, iter_epoch_raws
from scraper.errors import ScrapeError
from scraper.lwn import parse_article, resolve_ml_link
from scraper.mail import parse_message
from scraper.mbox import iter_raw_mbox
from scraper.sources import classify

from pathlib import Path

RAWS = list(iter_raw_mbox(THREAD_MBOX))
LWN_PAGE = Path(__file__).parent / "data" / "lwn" / "authoritative-hooks.html"


def ingest(db, *argv):
    return main(["ingest", *argv, "--db", str(db), "--no-progress", "--no-cache"])


def stored_raws(db):
    return {m.message_id: m.raw for m in Store(db).messages()}


def test_mbox_gz_same_as_mbox(tmp_path, parse_mode):
    gz = tmp_path / "t.mbox.gz"
    gz.write_bytes(gzip.compress(THREAD_MBOX.read_bytes()))
    assert ingest(tmp_path / "a.db", str(THREAD_MBOX)) == 0
    assert ingest(tmp_path / "b.db", str(gz)) == 0
    assert stored_raws(tmp_path / "a.db") == stored_raws(tmp_path / "b.db")
    assert len(stored_raws(tmp_path / "a.db")) == 52


def test_maildir(tmp_path):
    md = tmp_path / "md"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    for i, raw in enumerate(RAWS):
        (md / ("new" if i % 2 else "cur") / f"{i}.host").write_bytes(raw)
    assert classify(str(md))[0] == "maildir"
    assert ingest(tmp_path / "h.db", str(md)) == 0
    assert set(stored_raws(tmp_path / "h.db").values()) == set(RAWS)


def test_epoch_incremental_and_duplicates(tmp_path, capsys, parse_mode):
    inbox = tmp_path / "inbox"
    epoch = inbox / "git" / "0.git"
    fast_import_epoch(epoch, RAWS[:30])
    db = tmp_path / "h.db"
    assert classify(str(inbox)) == ("epochs", [epoch])
    assert ingest(db, str(inbox)) == 0
    assert len(stored_raws(db)) == 30
    # the list grows; one message is archived twice (public-inbox does that)
    fast_import_epoch(epoch, RAWS[30:] + [RAWS[3]])
    prog = EpochProgress(last_commit={})
    capsys.readouterr()
    assert ingest(db, str(inbox), "--json") == 0
    import json
    (rep,) = json.loads(capsys.readouterr().out)
    assert (rep["read"], rep["added"], rep["duplicates"]) == (23, 22, 1)  # only the new commits
    assert stored_raws(db) == {m.message_id: m.raw for m in map(_parse, RAWS)}
    dups = list(Store(db).db.execute("select message_id from message_duplicates"))
    assert [d[0] for d in dups] == [_parse(RAWS[3]).message_id]
    # nothing new: a third ingest reads no commit
    key_count = Store(db).count_messages()
    assert ingest(db, str(inbox), "--json") == 0 and Store(db).count_messages() == key_count
    assert json.loads(capsys.readouterr().out)[0]["read"] == 0
    assert prog.last_commit == {}


def test_epoch_duplicate_within_one_read(tmp_path):
    epoch = tmp_path / "0.git"
    fast_import_epoch(epoch, [RAWS[0], RAWS[1], RAWS[0]])
    # as `hookdebate ingest` reads an epoch: raw bytes, parsed, a second copy flagged
    msgs = list(flag_duplicates((parse_message(raw, origin) for raw, origin in iter_epoch_raws(epoch)), set()))
    assert [m.duplicate_of_archive for m in msgs] == [False, False, True]
    assert find_epochs(tmp_path) == [epoch]


def test_epoch_clone_with_worktree(tmp_path):
    bare = tmp_path / "src.git"
    fast_import_epoch(bare, RAWS[:5])
    import subprocess
    subprocess.run(["git", "clone", "-q", str(bare), str(tmp_path / "lists" / "0")], check=True)
    assert ingest(tmp_path / "h.db", str(tmp_path / "lists")) == 0
    assert len(stored_raws(tmp_path / "h.db")) == 5


def _parse(raw):
    from scraper.mail import parse_message
    return parse_message(raw, "t")


@pytest.fixture(params=["thread", "process"])
def parse_mode(request, monkeypatch):
    """Run a test with small sources parsed in a thread (the default) and, forced, in the
    forked parser process big sources get."""
    if request.param == "process":
        import hookdebate.ingest as ingest_lib

        monkeypatch.setattr(ingest_lib, "_PARALLEL_BYTES", 0)
        monkeypatch.setattr(ingest_lib, "_PARALLEL_MESSAGES", 0)
    return request.param


def test_a_source_failing_part_way_stores_nothing(tmp_path, capsys, parse_mode, monkeypatch):
    import scraper.mbox as mbox

    db = tmp_path / "h.db"
    assert ingest(db, str(THREAD_MBOX)) == 0
    other = b"From x Mon Jan  1 00:00:00 2024\nMessage-ID: <new@x>\nFrom: a@b\nSubject: s\n\nbody\n"
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(other + b"\n" + b"From x Mon Jan  1 00:00:00 2024\n" + RAWS[0])
    real_finish = mbox._finish

    def failing(message):  # the disk gives an I/O error at the second message
        if b"new@x" not in message:
            raise OSError(5, "Input/output error")
        return real_finish(message)
    monkeypatch.setattr(mbox, "_finish", failing)
    rc = ingest(db, str(bad))
    err = capsys.readouterr().err
    assert rc == 2 and "Input/output error" in err and len(err.strip().splitlines()) == 1
    assert len(stored_raws(db)) == 52 and not Store(db).has_message("new@x")


@pytest.mark.parametrize("content,name", [(b"hello, not mail\n", "x.txt"), (b"\x1f\x8bgarbage", "x.gz")])
def test_not_mail_clean_error(tmp_path, capsys, content, name):
    f = tmp_path / name
    f.write_bytes(content)
    assert ingest(tmp_path / "h.db", str(f)) == 2
    assert capsys.readouterr().err.startswith("hookdebate: error:")


def test_missing_path_and_garbage(tmp_path, capsys):
    assert ingest(tmp_path / "h.db", str(tmp_path / "nope.mbox")) == 2
    assert "expected" in capsys.readouterr().err
    empty = tmp_path / "emptydir"
    empty.mkdir()
    assert ingest(tmp_path / "h.db", str(empty)) == 2


def test_since_filters(tmp_path):
    db = tmp_path / "h.db"
    assert ingest(db, str(THREAD_MBOX), "--since", "2023-04-14") == 0
    msgs = Store(db).messages()
    assert 0 < len(msgs) < 52
    assert all(m.date.year == 2023 and (m.date.month, m.date.day) >= (4, 13) for m in msgs)


# -- LWN ------------------------------------------------------------------------------
def test_lwn_parse():
    a = parse_article(LWN_PAGE.read_bytes(), "https://lwn.net/Articles/930000/")
    assert a.title == "Unprivileged BPF and authoritative security hooks"
    assert (a.byline, a.date) == ("Jonathan Corbet", "April 27, 2023")
    assert a.subheads == ("Authoritative hooks", "Unprivileged BPF")
    assert [q.kind for q in a.quotes] == ["block", "block", "inline", "inline"]
    assert a.quotes[2].text == "fine-grained access control"
    assert a.quotes[2].message_id == "6436eea2.170a0220.97ead.52a8@mx.google.com"
    assert a.quotes[1].message_id == "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"
    assert ROOT_MSGID in a.message_ids and len(a.message_ids) == 7
    assert any("Kernel Summit" in p for p in a.paragraphs)


@pytest.mark.parametrize("href,mid,lst", [
    ("https://lwn.net/ml/bpf/a@b/", "a@b", "bpf"),
    ("https://lwn.net/ml/all/a@b", "a@b", None),
    ("https://lore.kernel.org/linux-security-module/a@b/T/", "a@b", "linux-security-module"),
    ("https://patch.msgid.link/a@b", "a@b", None),
    ("https://lwn.net/Articles/796328/", None, None),
])
def test_resolve_ml_link(href, mid, lst):
    assert resolve_ml_link(href) == (mid, lst)


def test_lwn_tolerant_old_layout_no_byline():
    html = ("<html><head><title>Old thing [LWN.net]</title></head><body><table><tr>"
            "<td class='MidColumn'><p>Text with <a href='/ml/lkml/x@y/'>a link</a>.</p></td></tr></table></body></html>")
    a = parse_article(html)
    assert a.title == "Old thing" and a.byline is None and a.quotes == ()
    assert a.message_ids == ("x@y",)


def test_lwn_paywall():
    html = "<html><head><title>X [LWN.net]</title></head><body><div class='ArticleText'><h2>Subscription required</h2><p>The page you have tried to view is available to LWN subscribers.</p></div></body></html>"
    with pytest.raises(ScrapeError, match="Subscription required"):
        parse_article(html, "https://lwn.net/Articles/1/")


def test_lwn_file_ingests_its_threads(lore_server, tmp_path):
    db = tmp_path / "h.db"
    assert classify(str(LWN_PAGE))[0] == "article-file"
    rc = main(["ingest", str(LWN_PAGE), "--lore-url", lore_server.base, "--db", str(db),
               "--no-progress", "--cache-dir", str(tmp_path / "c")])
    assert rc == 0
    assert set(stored_raws(db).values()) == set(RAWS)


def test_classify_urls():
    assert classify("https://lwn.net/Articles/930000/")[0] == "article-url"
    assert classify("https://lore.kernel.org/bpf/a@b/")[0] == "lore"
    assert classify("<a@b>")[0] == "lore"
    with pytest.raises(ScrapeError):
        classify("not-a-thing")


def test_fast_body_path_matches_full_parser():
    import email
    import glob

    from scraper.mail import _body_text, parse_message
    files = glob.glob(str(Path(__file__).parent / "data" / "*.mbox")) + [str(THREAD_MBOX)]
    n = 0
    for f in files:
        for raw in iter_raw_mbox(f):
            assert parse_message(raw, "t").body == _body_text(email.message_from_bytes(raw))
            n += 1
    assert n > 52


def test_fetch_then_ingest_the_written_mbox(lore_server, tmp_path):
    out = tmp_path / "t.mbox"
    assert main(["fetch", f"<{ROOT_MSGID}>", "-o", str(out), "--lore-url", lore_server.base, "--no-cache"]) == 0
    db = tmp_path / "h.db"
    assert ingest(db, str(out)) == 0
    assert set(stored_raws(db).values()) == set(RAWS)


def test_prefetch_order_and_errors():
    from scraper.prefetch import prefetch

    assert list(prefetch(range(1000), maxsize=64, chunk=8)) == list(range(1000))

    def boom():
        yield from range(10)
        raise ScrapeError("bad message")
    got = []
    with pytest.raises(ScrapeError, match="bad message"):
        for x in prefetch(boom(), chunk=3):
            got.append(x)
    assert got == list(range(10))


# -- the fast paths give what the slow, obvious code gives -------------------------------
def _reference_split(data: bytes):
    """The line-by-line mbox splitter the chunked one replaced (kept as the spec)."""
    import io
    import re

    from_line, quoted = re.compile(rb"^From \S+"), re.compile(rb"^>+From ")
    out, current, prev_blank = [], None, True
    for line in io.BytesIO(data):
        if prev_blank and from_line.match(line):
            if current is not None:
                out.append(current)
            current, prev_blank = [], False
            continue
        if current is None:
            if line.strip():
                raise ScrapeError("not an mbox")
            continue
        if quoted.match(line):
            line = line[1:]
        current.append(line)
        prev_blank = line in (b"\n", b"\r\n")
    if current is not None:
        out.append(current)
    return [b"".join(c[:-1] if c and c[-1] in (b"\n", b"\r\n") else c) for c in out]


def test_chunked_mbox_split_matches_line_by_line(monkeypatch):
    import random

    import scraper.mbox as mbox

    def split(data):
        try:
            return list(mbox.iter_raw_mbox_bytes(data))
        except ScrapeError:
            return "error"

    def ref(data):
        try:
            return _reference_split(data)
        except ScrapeError:
            return "error"

    data = THREAD_MBOX.read_bytes()
    assert split(data) == ref(data)
    pieces = [b"From a@b Mon\n", b"From x\n", b"From \n", b"From", b"\n", b"\r\n", b" \n", b"  ",
              b">From q\n", b">>From q\n", b"text\n", b"text", b"\r", b"From b@c\r\n", b"F", b"rom z\n"]
    rng = random.Random(7)
    for chunk in (1, 2, 3, 5, 8, 1 << 20):  # chunk edges anywhere, even inside "From "
        monkeypatch.setattr(mbox, "_CHUNK", chunk)
        assert split(data[:5000]) == ref(data[:5000])
        for _ in range(1500):
            d = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
            assert split(d) == ref(d), (chunk, d)


def test_header_block_parse_matches_email_parser():
    import random
    from email.parser import BytesHeaderParser

    from scraper.mail import _parse_header_block

    parser = BytesHeaderParser()
    for raw in RAWS:
        assert _parse_header_block(raw)._headers == parser.parsebytes(raw)._headers
    pieces = [b"From x\n", b"From: a\n", b"Subject: s\r\n", b" cont\n", b"\tcont\r", b"\n", b"\r\n",
              b"\r", b":bad\n", b"X-\xff\xfe: v\xe9\n", b"body line\n", b"a:b:c\n", b"From ",
              b"To: x,\n  y\n", b"Message-ID: <a@b>\n", b"  ", b"Key:", b"\x0b\x0c\n"]
    rng = random.Random(3)
    for _ in range(20000):
        d = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        mine, ref = _parse_header_block(d), parser.parsebytes(d)
        assert mine._headers == ref._headers, d
        for name in ("from", "To", "subject", "X-\udcff\udcfe", "Content-Type"):
            assert str(mine.get(name)) == str(ref.get(name))


def test_address_fast_path_matches_getaddresses():
    import random
    from email.utils import getaddresses

    from scraper.mail import _address_list

    parts = ["a@b", "A.B@c.D", "x..y@z", ".q@r.", "Name <n@m>", '"Q, R" <q@r>', "N. Name <a@b>",
             "<a@b>", "a@b@c", "foo", "foo bar", "(c) a@b", "g: a@b;", "", "  ", "x <a@b> y",
             "<a, b>", "[x]@y", "a@[1.2.3.4]", "é <e@f>", "a @b", "<a@b", "a@b>", "\\a@b", "a@.",
             '"a\\"b" <c@d>', '"unterminated <a@b>']
    rng = random.Random(2)
    for _ in range(20000):
        sep = rng.choice([", ", ","])
        value = sep.join(rng.choice(parts) for _ in range(rng.randint(0, 5)))
        assert _address_list(value) == tuple(a.lower() for _, a in getaddresses([value]) if a), value


def test_bulk_fts_index_same_as_trigger_index(tmp_path):
    msgs = [_parse(r) for r in RAWS]

    def index(db):
        conn = Store(db).db.conn
        conn.execute("insert into messages_fts(messages_fts) values('integrity-check')")
        conn.execute("create virtual table temp.v using fts5vocab(main, messages_fts, instance)")
        rows = list(conn.execute("select * from temp.v order by term, doc, col, offset"))
        conn.close()  # the 'integrity-check' insert opened a write transaction: end it
        return rows

    Store(tmp_path / "t.db").add_messages(msgs, batch_size=10_000)  # row by row, trigger
    bulk = Store(tmp_path / "b.db")
    bulk.add_messages(msgs[:7])
    bulk.add_messages(msgs[7:], batch_size=4)  # bulk path, several batches, after existing rows
    assert index(tmp_path / "b.db") == index(tmp_path / "t.db")
    triggers = "select name from sqlite_master where type = 'trigger' order by name"
    assert list(bulk.db.execute(triggers)) == list(Store(tmp_path / "t.db").db.execute(triggers))
    # the trigger is back: a later small ingest is indexed too
    assert bulk.add_messages(msgs).added == 0 and bulk.search("authoritative")


def test_since_on_epochs_keeps_older_mail_reachable(tmp_path, capsys):
    import json

    epoch = tmp_path / "0.git"
    fast_import_epoch(epoch, RAWS)
    db = tmp_path / "h.db"
    assert ingest(db, str(epoch), "--since", "2023-04-14", "--json") == 0
    (rep,) = json.loads(capsys.readouterr().out)
    assert rep["read"] == 52 and 0 < rep["added"] < 52 and rep["added"] + rep["older_than_since"] == 52
    assert rep["messages_per_second"] > 0
    # the epoch state did not advance past the mail --since left out: it is found later
    assert ingest(db, str(epoch)) == 0
    assert "messages/s" in capsys.readouterr().out
    assert set(stored_raws(db).values()) == set(RAWS)


def test_parallel_parser_order_raw_and_error_position():
    from scraper.parallel import ParallelParser

    items = [(raw, f"t#{i}") for i, raw in enumerate(RAWS)]
    got = list(ParallelParser(chunk=5, window=2).parse(iter(items)))
    assert got == [_parse_with(raw, origin) for raw, origin in items]  # raw re-attached, order kept
    bad = items[:23] + [(b"not mail at all\n", "t#bad")] + items[23:]
    seen = []
    with pytest.raises(ScrapeError, match="t#bad"):
        for m in ParallelParser(chunk=5, window=2).parse(iter(bad)):
            seen.append(m)
    assert len(seen) == 23


def _parse_with(raw, origin):
    from scraper.mail import parse_message
    return parse_message(raw, origin)


def test_single_message_file_ingests_byte_identical(tmp_path):
    # a message saved from lore's /raw has no mbox "From " line
    raw = RAWS[7]
    assert not raw.startswith(b"From ")
    eml = tmp_path / "m.eml"
    eml.write_bytes(raw)
    assert classify(str(eml))[0] == "message"
    db = tmp_path / "h.db"
    assert ingest(db, str(eml)) == 0 and ingest(db, str(eml)) == 0
    assert list(stored_raws(db).values()) == [raw]


def test_git_repository_that_is_not_an_archive_is_refused(tmp_path, capsys):
    import subprocess

    src = tmp_path / "src"
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    with pytest.raises(ScrapeError, match="not a public-inbox epoch"):
        classify(str(src))  # empty
    (src / "README").write_text("code, not mail\n")
    subprocess.run(["git", "-C", str(src), "add", "README"], check=True)
    subprocess.run(["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "-m", "x"], check=True)
    db = tmp_path / "h.db"
    assert ingest(db, str(src)) == 2
    assert "not a public-inbox epoch" in capsys.readouterr().err
    assert not db.exists() or Store(db).count_messages() == 0


def test_v2_inbox_skips_an_epoch_not_yet_written(tmp_path):
    import subprocess

    inbox = tmp_path / "inbox"
    fast_import_epoch(inbox / "git" / "0.git", RAWS[:5])
    subprocess.run(["git", "init", "-q", "--bare", str(inbox / "git" / "1.git")], check=True)
    assert classify(str(inbox)) == ("epochs", [inbox / "git" / "0.git"])


def test_lwn_urls_that_are_not_articles(tmp_path, capsys):
    assert classify("https://lwn.net/ml/bpf/a@b/") == ("lore", "<a@b>")
    with pytest.raises(ScrapeError, match="not an LWN article URL"):
        classify("https://lwn.net/Kernel/")
    page = tmp_path / "p.html"
    page.write_text("<html><body><div class='ArticleText'><p>No links here.</p></div></body></html>")
    assert ingest(tmp_path / "h.db", str(page)) == 2
    assert "links to no mailing-list message" in capsys.readouterr().err


def test_empty_source_is_an_error_not_the_current_directory(tmp_path):
    with pytest.raises(ScrapeError, match="empty SOURCE"):
        classify("")
    with pytest.raises(ScrapeError, match="empty SOURCE"):
        classify("  ")
