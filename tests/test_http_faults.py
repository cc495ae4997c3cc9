"""HTTP and LWN under faults: a hand-written HTTP server on 127.0.0.1 (tests/fault_server.py)
stalls, drips, floods, bombs and lies; every fault ends in a one-line error or a warning
naming the limit, within that limit (small limits here; bench/bench_http_faults.py runs
the same faults at the defaults)."""
from __future__ import annotations

import gzip
import re
import subprocess
import sys
from urllib.parse import quote

import pytest

from conftest import ROOT_MSGID, THREAD_MBOX
from fault_server import (FaultServer, chunked_cut, drip, elapsed, gzip_bomb, stall,
                          stream)
from hookdebate.cli import main
from hookdebate.store import Store
from scraper.errors import ScrapeError
from scraper.limits import Limits
from scraper.lore import LoreClient, LoreRef, _mid_of
from scraper.mbox import iter_raw_mbox

RAWS = {_mid_of(r): r for r in iter_raw_mbox(THREAD_MBOX)}
LEAF = "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"
# a deadline a test must not come near: only a hang would (not a timing assertion)
HANG = 30.0


def q(mid: str) -> str:
    return quote(mid, safe="@!$&*+,;=:~")


def hits(srv: FaultServer) -> list[str]:
    """The requests made, less the thread pages (/T/) fetched alongside each thread mbox."""
    return [h for h in srv.hits if not h.endswith("/T/")]


@pytest.fixture
def srv():
    s = FaultServer()
    yield s
    s.close()


def client(tmp_path, **limits):
    base = dict(backoff_seconds=0.01, min_interval_seconds=0, idle_seconds=2, request_seconds=3,
                retry_after_seconds=2, wait_seconds=5)
    use_cache = limits.pop("use_cache", True)
    base.update(limits)
    warnings: list[str] = []
    c = LoreClient(cache_dir=tmp_path / "c", use_cache=use_cache, on_warning=warnings.append, **base)
    return c, warnings


def thread_gz() -> bytes:
    return gzip.compress(THREAD_MBOX.read_bytes(), mtime=0)  # the same bytes each time


def serve_raws(srv: FaultServer, raws=RAWS) -> None:
    for mid, raw in raws.items():
        srv.route(f"/bpf/{q(mid)}/raw", (200, {"Content-Type": "text/plain"}, raw))


# -- deadlines ---------------------------------------------------------------------------
def test_stalled_server_ends_at_idle_limit_without_trying_raw(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", stall(srv))
    c, _ = client(tmp_path, idle_seconds=0.5)
    err, seconds = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(err, ScrapeError) and "idle_seconds" in str(err)
    assert seconds < HANG
    assert hits(srv) == [f"/bpf/{ROOT_MSGID}/t.mbox.gz"]  # not retried, and no /raw after it


def test_headers_dripped_a_byte_at_a_time_end_at_request_deadline(srv, tmp_path):
    # each byte comes well within idle_seconds, so only the overall deadline can end it
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", drip(srv, interval=0.1))
    c, _ = client(tmp_path, idle_seconds=2, request_seconds=1)
    err, seconds = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(err, ScrapeError) and "request_seconds" in str(err), err
    assert seconds < HANG


def test_body_dripped_ends_at_request_deadline(srv, tmp_path):
    # headers at once, then the body a byte at a time
    def act(conn, req):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            if srv.stop.wait(0.1):
                return False
            conn.sendall(b"x")
        return True
    srv.route(f"/bpf/{ROOT_MSGID}/raw", act)
    c, _ = client(tmp_path, request_seconds=1)
    err, _ = elapsed(c.get, srv.base + f"{ROOT_MSGID}/raw")
    assert isinstance(err, ScrapeError) and "request_seconds" in str(err)


def test_command_deadline_spans_requests(srv, tmp_path):
    # every answer is quick, but there are many: the command's budget ends the walk
    from fault_server import slowly

    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (404, {}, b""))
    srv.fallback = lambda req: slowly(srv, 0.3, (404, {}, b""))
    c, _ = client(tmp_path, command_seconds=1)
    errors = []
    for i in range(20):
        err, _ = elapsed(c.get, srv.base + f"m{i}@x/raw")
        errors.append(err)
        if "command_seconds" in str(err):
            break
    assert "command_seconds" in str(errors[-1]) and len(errors) < 20


# -- Retry-After and retries -------------------------------------------------------------
def test_retry_after_beyond_the_cap_is_an_error_at_once(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (429, {"Retry-After": "100000"}, b"slow down"))
    c, _ = client(tmp_path)
    err, seconds = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(err, ScrapeError) and "retry_after_seconds" in str(err) and "100000" in str(err)
    assert hits(srv) == [f"/bpf/{ROOT_MSGID}/t.mbox.gz"]  # one request, no wait, no /raw
    assert seconds < HANG


def test_retry_after_within_the_cap_is_honoured_then_succeeds(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (503, {"Retry-After": "1"}, b"busy"), (200, {}, thread_gz()))
    c, _ = client(tmp_path)
    raws, seconds = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert len(raws) == 52 and c.stats["retries"] == 1
    assert seconds >= 1.0  # the server's wait was kept


def test_retry_waits_share_one_budget(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (503, {"Retry-After": "1"}, b"busy"))
    c, _ = client(tmp_path, retries=10, wait_seconds=2.5)
    err, _ = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(err, ScrapeError) and "wait_seconds" in str(err)
    assert len(hits(srv)) == 3


# -- sizes -------------------------------------------------------------------------------
def test_declared_huge_body_is_refused_before_reading(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/raw", stream(srv, 1536 << 20, declare=True))
    c, _ = client(tmp_path, response_bytes=1 << 20)
    err, _ = elapsed(c.get, srv.base + f"{ROOT_MSGID}/raw")
    assert isinstance(err, ScrapeError) and "response_bytes" in str(err)
    assert srv.sent < 64 << 20


def test_undeclared_huge_body_stops_at_the_cap(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/raw", stream(srv, 1536 << 20, declare=False))
    c, _ = client(tmp_path, response_bytes=4 << 20)
    err, _ = elapsed(c.get, srv.base + f"{ROOT_MSGID}/raw")
    assert isinstance(err, ScrapeError) and "response_bytes" in str(err)
    assert srv.sent < 64 << 20  # the transfer stopped (only socket buffers beyond the cap)


def test_gzip_bomb_stops_at_mbox_bytes_and_falls_back(srv, tmp_path):
    bomb = gzip_bomb(1 << 30)  # 1 GB of zeros in ~1 MB
    assert len(bomb) < 2 << 20
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {}, bomb))
    serve_raws(srv)
    c, warnings = client(tmp_path, mbox_bytes=8 << 20)
    raws, seconds = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(raws, list) and RAWS[ROOT_MSGID] in raws
    assert any("mbox_bytes" in w for w in warnings)
    assert not c._cache_path(LoreRef(srv.base, ROOT_MSGID).url("t.mbox.gz")).exists()
    assert seconds < HANG


def test_content_encoding_bomb_counts_inflated_bytes(srv, tmp_path):
    bomb = gzip_bomb(256 << 20, prefix=b"")
    srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {"Content-Encoding": "gzip"}, bomb))
    c, _ = client(tmp_path, response_bytes=4 << 20)
    err, _ = elapsed(c.get, srv.base + f"{ROOT_MSGID}/raw")
    assert isinstance(err, ScrapeError) and "response_bytes" in str(err)


def test_splitter_is_linear_in_one_huge_message():
    # a 64 MB single message (what a gzip bomb inflates to) splits in one pass: the
    # old splitter copied its buffer for every 1 MB chunk (quadratic)
    import scraper.mbox as mbox

    calls = {"n": 0}

    class Reader:
        def __init__(self, data):
            self.data, self.pos = data, 0

        def read(self, n):
            calls["n"] += 1
            out = self.data[self.pos:self.pos + n]
            self.pos += n
            return out

    data = b"From x\nMessage-ID: <a@b>\n\n" + b"y" * (32 << 20) + b"\n"
    raws = list(mbox.iter_raw_mbox_file(Reader(data)))
    assert raws == [data[len(b"From x\n"):]]
    assert calls["n"] <= 34


# -- thread consistency --------------------------------------------------------------------
@pytest.fixture(scope="module")
def thread_page(lore_server):
    """public-inbox's own /T/ page of the thread (real markup)."""
    c = LoreClient(use_cache=False, min_interval_seconds=0)
    return c.get(lore_server.base + f"{ROOT_MSGID}/T/", cache=False)


def test_truncated_mbox_recovered_from_thread_page_with_a_warning(srv, tmp_path, thread_page):
    data = thread_gz()
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", chunked_cut(data, len(data) // 3))
    srv.route(f"/bpf/{ROOT_MSGID}/T/", (200, {"Content-Type": "text/html"}, thread_page))
    serve_raws(srv)
    c, warnings = client(tmp_path)
    raws = c.thread_raws(LoreRef(srv.base, ROOT_MSGID))
    assert sorted(raws) == sorted(RAWS.values())
    assert len(warnings) == 1 and "cut short" in warnings[0] and "message by message" in warnings[0]


def test_truncated_mbox_and_missing_messages_is_a_warning_via_the_cli(srv, tmp_path, thread_page, capsys):
    data = thread_gz()
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", chunked_cut(data, 5000))
    srv.route(f"/bpf/{ROOT_MSGID}/T/", (200, {"Content-Type": "text/html"}, thread_page))
    serve_raws(srv, {m: r for i, (m, r) in enumerate(RAWS.items()) if i % 2 == 0 or m == ROOT_MSGID})
    db = tmp_path / "h.db"
    rc = main(["ingest", srv.base + ROOT_MSGID + "/", "--db", str(db), "--no-progress",
               "--cache-dir", str(tmp_path / "c"), "--http-limit", "min_interval_seconds=0"])
    err = capsys.readouterr().err
    assert rc == 0
    stored = Store(db).count_messages()
    assert stored < 52
    assert f"{52 - stored} of the 52 messages its thread page lists could not be fetched" in err
    assert all(line.startswith("hookdebate: warning: ") for line in err.strip().splitlines())


def test_a_valid_but_short_thread_mbox_is_checked_against_the_thread_page(srv, tmp_path, thread_page):
    # a complete, valid gzip of the first 10 messages only: /T/ lists 52
    first = list(RAWS.values())[:10]
    short = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + r + b"\n" for r in first)
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {}, gzip.compress(short)))
    srv.route(f"/bpf/{ROOT_MSGID}/T/", (200, {"Content-Type": "text/html"}, thread_page))
    serve_raws(srv)
    c, warnings = client(tmp_path)
    raws = c.thread_raws(LoreRef(srv.base, ROOT_MSGID))
    assert sorted(raws) == sorted(RAWS.values())
    assert warnings == [f"{LoreRef(srv.base, ROOT_MSGID).url('t.mbox.gz')}: holds 10 messages, but the "
                        "thread page lists 42 more; fetching those one by one"]
    # without the check (check_thread_page=0) the mbox is trusted: one request
    srv.hits.clear()
    c2, warnings2 = client(tmp_path, check_thread_page=0, use_cache=False)
    assert len(c2.thread_raws(LoreRef(srv.base, ROOT_MSGID))) == 10 and not warnings2
    assert srv.hits == [f"/bpf/{ROOT_MSGID}/t.mbox.gz"]


def test_ingest_checks_the_thread_page_and_fetch_when_asked(srv, tmp_path, thread_page, capsys):
    first = list(RAWS.values())[:10]
    short = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + r + b"\n" for r in first)
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {}, gzip.compress(short)))
    srv.route(f"/bpf/{ROOT_MSGID}/T/", (200, {"Content-Type": "text/html"}, thread_page))
    serve_raws(srv)
    common = ["--no-cache", "--http-limit", "min_interval_seconds=0"]
    db = tmp_path / "h.db"
    assert main(["ingest", srv.base + ROOT_MSGID + "/", "--db", str(db), "--no-progress", *common]) == 0
    assert Store(db).count_messages() == 52 and "lists 42 more" in capsys.readouterr().err
    # fetch is b4 mbox's twin: the mbox as served, no /T/ request, unless asked
    srv.hits.clear()
    out = tmp_path / "t.mbox"
    assert main(["fetch", ROOT_MSGID, "--lore-url", srv.base, "-o", str(out), *common]) == 0
    assert srv.hits == [f"/bpf/{ROOT_MSGID}/t.mbox.gz"] and "10 messages" in capsys.readouterr().out
    assert main(["fetch", ROOT_MSGID, "--lore-url", srv.base, "-o", str(out), *common,
                 "--http-limit", "check_thread_page=1"]) == 0
    assert "52 messages" in capsys.readouterr().out


def test_a_complete_thread_mbox_agrees_with_its_page_silently(lore_server, tmp_path):
    c, warnings = client(tmp_path)
    raws = c.thread_raws(LoreRef(lore_server.base, ROOT_MSGID))
    assert len(raws) == 52 and not warnings and c.stats["requests"] == 2


def test_no_thread_mbox_nor_page_is_a_warning_not_silence(srv, tmp_path):
    # the old reproducer: 1 of 52 messages, rc 0, nothing said
    serve_raws(srv)
    c, warnings = client(tmp_path)
    raws = c.thread_raws(LoreRef(srv.base, ROOT_MSGID))
    assert raws == [RAWS[ROOT_MSGID]]
    assert any("not its replies" in w for w in warnings)


def test_raw_answering_another_message_is_an_error_for_the_message_asked(srv, tmp_path):
    other = next(m for m in RAWS if m not in (ROOT_MSGID, LEAF))
    serve_raws(srv)
    srv.route(f"/bpf/{q(LEAF)}/raw", (200, {}, RAWS[other]))
    c, _ = client(tmp_path)
    with pytest.raises(ScrapeError, match=f"answered with Message-ID <{re.escape(other)}>"):
        c.thread_raws(LoreRef(srv.base, LEAF))
    assert not c._cache_path(LoreRef(srv.base, LEAF).url("raw")).exists()


def test_raw_liar_among_ancestors_is_skipped_with_a_warning(srv, tmp_path):
    serve_raws(srv)
    from scraper.mail import parse_message

    parent = parse_message(RAWS[LEAF], "t").in_reply_to
    other = next(m for m in RAWS if m not in (ROOT_MSGID, LEAF, parent))
    srv.route(f"/bpf/{q(parent)}/raw", (200, {}, RAWS[other]))
    c, warnings = client(tmp_path)
    raws = c.thread_raws(LoreRef(srv.base, LEAF))
    got = [_mid_of(r) for r in raws]
    assert LEAF in got and parent not in got and other not in got
    assert any(f"answered with Message-ID <{other}>, not <{parent}>" in w and "not stored" in w
               for w in warnings)


def test_invented_references_stop_at_walk_messages(srv, tmp_path):
    counter = {"n": 0}

    def invent(req):
        counter["n"] += 1
        mid = req.path.split("/")[2]
        raw = (f"Message-ID: <{mid}>\nReferences: <ghost{counter['n']}a@x> <ghost{counter['n']}b@x>\n"
               f"Subject: x\n\nbody\n").encode()
        return (200, {}, raw)

    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (404, {}, b""))
    srv.fallback = lambda req: invent(req) if req.path.endswith("/raw") else (404, {}, b"")
    c, warnings = client(tmp_path, walk_messages=25)
    raws = c.thread_raws(LoreRef(srv.base, ROOT_MSGID))
    assert len(raws) == 25 and counter["n"] == 25
    assert any("walk_messages=25" in w for w in warnings)


# -- error pages are never cached --------------------------------------------------------
ERROR_PAGE = b"<!DOCTYPE html><html><head><title>Oops</title></head><body>Try later</body></html>"


def test_html_error_pages_served_with_200_are_never_cached(srv, tmp_path):
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {"Content-Type": "text/html"}, ERROR_PAGE), (200, {}, thread_gz()))
    srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {"Content-Type": "text/html"}, ERROR_PAGE),
              (200, {}, RAWS[ROOT_MSGID]))
    c, warnings = client(tmp_path)
    err, _ = elapsed(c.thread_raws, LoreRef(srv.base, ROOT_MSGID))
    assert isinstance(err, ScrapeError) and "HTML page" in str(err)
    assert any("HTML page" in w for w in warnings)
    assert not c._cache_path(srv.base + f"{ROOT_MSGID}/t.mbox.gz").exists()
    assert not c._cache_path(srv.base + f"{ROOT_MSGID}/raw").exists()
    # the server recovers: the next command gets (and caches) the real thread
    c2, _ = client(tmp_path)
    assert len(c2.thread_raws(LoreRef(srv.base, ROOT_MSGID))) == 52
    assert c2._cache_path(srv.base + f"{ROOT_MSGID}/t.mbox.gz").exists()


def test_a_bad_cache_entry_is_not_served(srv, tmp_path):
    # an HTML page an older hookdebate cached for /raw, and a damaged t.mbox.gz entry
    srv.route(f"/bpf/{ROOT_MSGID}/t.mbox.gz", (200, {}, thread_gz()))
    srv.route(f"/bpf/{ROOT_MSGID}/raw", (200, {}, RAWS[ROOT_MSGID]))
    c, warnings = client(tmp_path)
    mbox_url, raw_url = (LoreRef(srv.base, ROOT_MSGID).url(s) for s in ("t.mbox.gz", "raw"))
    c.cache_dir.mkdir(parents=True)
    c._cache_path(raw_url).write_bytes(ERROR_PAGE)
    c._cache_path(mbox_url).write_bytes(thread_gz()[:500])
    assert len(c.thread_raws(LoreRef(srv.base, ROOT_MSGID))) == 52 and not warnings
    assert c._raw(srv.base, ROOT_MSGID) == RAWS[ROOT_MSGID]
    assert hits(srv) == [f"/bpf/{ROOT_MSGID}/t.mbox.gz", f"/bpf/{ROOT_MSGID}/raw"]
    assert c._cache_path(raw_url).read_bytes() == RAWS[ROOT_MSGID]
    assert c._cache_path(mbox_url).read_bytes() == thread_gz()


def test_lwn_error_page_and_paywall_not_cached(srv, tmp_path):
    from scraper.lwn import fetch_article

    paywall = (b"<html><head><title>X [LWN.net]</title></head><body><div class='ArticleText'>"
               b"<h2>Subscription required</h2><p>for subscribers</p></div></body></html>")
    srv.route("/robots.txt", (200, {"Content-Type": "text/html"}, ERROR_PAGE))
    srv.route("/Articles/1/", (200, {}, paywall))
    c, _ = client(tmp_path)
    with pytest.raises(ScrapeError, match="Subscription required"):
        fetch_article(c, srv.root + "Articles/1/")
    assert not c._cache_path(srv.root + "Articles/1/").exists()
    assert not c._cache_path(srv.root + "robots.txt").exists()


# -- LWN -----------------------------------------------------------------------------------
def test_lwn_nested_links_are_read_as_html5_does():
    from scraper.lwn import parse_article

    n = 20000
    html = ("<html><body><div class=ArticleText><p>" +
            "".join(f"<a href='/ml/bpf/m{i}@x/'>link {i} " for i in range(n)) + "</p></div></body></html>")
    a = parse_article(html, "https://lwn.net/Articles/1/")
    assert len(a.links) == n and len(a.message_ids) == n
    assert a.links[0].text == "link 0" and a.links[-1].text == f"link {n - 1}"  # each its own text


@pytest.mark.parametrize("tag", ["p", "span", "h2", "div class='BigQuote'", "b"])
def test_lwn_deep_nesting_is_linear(tag):
    from scraper.lwn import parse_article

    name = tag.split()[0]
    n = 5000
    html = ("<html><body><div class=ArticleText>" + f'"<{tag}>"word ' * n + f"</{name}>" * n +
            "<a href='/ml/bpf/z@x/'>z</a></div></body></html>")
    a = parse_article(html)
    assert a.message_ids == ("z@x",)
    text = sum(len(x) for x in a.paragraphs) + sum(len(x.text) for x in a.quotes) + sum(map(len, a.subheads))
    assert text < 200 * n  # bounded output: no element repeats all the text nested in it


def test_lwn_page_over_page_bytes_is_refused_unparsed(tmp_path, capsys):
    page = tmp_path / "big.html"
    page.write_bytes(b"<html><body><div class=ArticleText>" + b"<p>x</p>" * 200000 + b"</div></body></html>")
    rc = main(["ingest", str(page), "--db", str(tmp_path / "h.db"), "--http-limit", "page_bytes=1M"])
    err = capsys.readouterr().err
    assert rc == 2 and "page_bytes" in err and len(err.strip().splitlines()) == 1


def test_article_links_capped_with_a_warning(srv, tmp_path, capsys):
    page = tmp_path / "a.html"
    links = "".join(f"<a href='https://lore.kernel.org/bpf/m{i}@x/'>m{i}</a> " for i in range(300))
    page.write_text(f"<html><body><div class=ArticleText><p>{links}</p></div></body></html>")

    def thread(req):
        mid = req.path.split("/")[2]
        raw = f"From x\nMessage-ID: <{mid}>\nSubject: s\n\nb\n".encode()
        return (200, {}, gzip.compress(raw))
    srv.fallback = lambda req: thread(req) if req.path.endswith("/t.mbox.gz") else (404, {}, b"")
    db = tmp_path / "h.db"
    rc = main(["ingest", str(page), "--lore-url", srv.base, "--db", str(db), "--no-progress",
               "--cache-dir", str(tmp_path / "c"), "--http-limit", "article_links=7",
               "--http-limit", "min_interval_seconds=0"])
    assert rc == 0
    assert Store(db).count_messages() == 7 and len(hits(srv)) == 7
    assert "links 300 mailing-list messages; following the first 7 (limit article_links)" in capsys.readouterr().err


def test_an_article_with_20000_lore_links_follows_the_default_cap(srv, tmp_path, capsys):
    """The issue's page as it was: 20,000 lore links (each its own thread on the server), at the
    default article_links: 100 threads fetched, the rest named in one warning; before the cap
    every link was a request."""
    n = 20_000
    page = tmp_path / "a.html"
    links = "".join(f"<a href='https://lore.kernel.org/bpf/m{i}@x/'>m{i}</a> " for i in range(n))
    page.write_text(f"<html><body><div class=ArticleText><p>{links}</p></div></body></html>")

    def thread(req):
        mid = req.path.split("/")[2]
        return (200, {}, gzip.compress(f"From x\nMessage-ID: <{mid}>\nSubject: s\n\nb\n".encode()))
    srv.fallback = lambda req: thread(req) if req.path.endswith("/t.mbox.gz") else (404, {}, b"")
    db = tmp_path / "h.db"
    rc = main(["ingest", str(page), "--lore-url", srv.base, "--db", str(db), "--no-progress",
               "--cache-dir", str(tmp_path / "c"), "--http-limit", "min_interval_seconds=0"])
    assert rc == 0
    cap = Limits().article_links
    assert cap == 100
    followed = hits(srv)
    assert len(followed) == cap and followed[0] == "/bpf/m0@x/t.mbox.gz" and followed[-1] == f"/bpf/m{cap - 1}@x/t.mbox.gz"
    assert Store(db).count_messages() == cap
    err = capsys.readouterr().err
    assert f"links {n} mailing-list messages; following the first {cap} (limit article_links)" in err


# -- limits as options -----------------------------------------------------------------------
def test_limits_overrides_and_bad_names(tmp_path, capsys):
    lim = Limits().with_overrides(["request_seconds=5", "response-bytes=2M", "walk_messages=3"])
    assert (lim.request_seconds, lim.response_bytes, lim.walk_messages) == (5.0, 2 << 20, 3)
    assert Limits().request_seconds == 30.0
    with pytest.raises(ScrapeError, match="known|NAME"):
        Limits().with_overrides(["nope=1"])
    rc = main(["fetch", ROOT_MSGID, "-o", str(tmp_path / "x.mbox"), "--http-limit", "speed=9"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "request_seconds" in err


def test_requests_imported_only_on_network_paths(tmp_path):
    code = ("import sys\nfrom hookdebate.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('REQUESTS' if 'requests' in sys.modules or 'urllib3' in sys.modules else 'NONE')\n")
    db = tmp_path / "h.db"
    for argv in (["--help"], ["ingest", str(THREAD_MBOX), "--db", str(db), "--no-progress"],
                 ["threads", "--db", str(db)], ["replay", "--help"]):
        out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
        assert out.stdout.strip().endswith("NONE"), (argv, out.stdout[-300:], out.stderr[-300:])
