"""lore over HTTP: against a real public-inbox-httpd, and a fault-injecting loopback server."""
from __future__ import annotations

import gzip
import http.server
import threading

import pytest

from conftest import ROOT_MSGID, THREAD_MBOX
from hookdebate.cli import main
from hookdebate.store import Store
from scraper.errors import ScrapeError
from scraper.lore import LoreClient, LoreRef, parse_lore_ref
from scraper.mbox import iter_raw_mbox

SOURCE_RAWS = {}
from scraper.lore import _mid_of  # noqa: E402

for _raw in iter_raw_mbox(THREAD_MBOX):
    SOURCE_RAWS[_mid_of(_raw)] = _raw


def _cli(*argv, db, cache):
    return main([*argv, "--db", str(db), "--cache-dir", str(cache), "--no-progress"])


# -- URL forms ---------------------------------------------------------------
@pytest.mark.parametrize("text,base,mid", [
    ("20230412043300.360803-1-andrii@kernel.org", "http://m/all/", ROOT_MSGID),
    ("<20230412043300.360803-1-andrii@kernel.org>", "http://m/all/", ROOT_MSGID),
    ("https://lore.kernel.org/bpf/20230412043300.360803-1-andrii@kernel.org/",
     "https://lore.kernel.org/bpf/", ROOT_MSGID),
    ("https://lore.kernel.org/bpf/20230412043300.360803-1-andrii@kernel.org/T/#u",
     "https://lore.kernel.org/bpf/", ROOT_MSGID),
    ("https://lore.kernel.org/all/20230412043300.360803-1-andrii@kernel.org/raw",
     "https://lore.kernel.org/all/", ROOT_MSGID),
    ("https://lore.kernel.org/r/20230412043300.360803-1-andrii@kernel.org",
     "https://lore.kernel.org/r/", ROOT_MSGID),
    ("https://patch.msgid.link/20230412043300.360803-1-andrii@kernel.org", "http://m/all/", ROOT_MSGID),
    ("http://127.0.0.1:8080/bpf-lsm/CAHC9VhQHmdZYnR%3D%2BrX-3FcRh127mhJt%3DjAnototfTiuSoOTptg%40mail.gmail.com/t.mbox.gz",
     "http://127.0.0.1:8080/bpf-lsm/", "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"),
    ("https://mirror.example/lists/bpf/a@b/T/", "https://mirror.example/lists/bpf/", "a@b"),
])
def test_parse_lore_ref_forms(text, base, mid):
    ref = parse_lore_ref(text, lore_url="http://m/all/")
    assert (ref.base, ref.message_id) == (base, mid)


def test_lore_url_from_env_and_midmask(monkeypatch):
    monkeypatch.setenv("HOOKDEBATE_LORE_URL", "http://env.example/x/")
    assert parse_lore_ref("a@b").base == "http://env.example/x/"
    assert parse_lore_ref("a@b", lore_url="http://127.0.0.1:1/bpf/%s").base == "http://127.0.0.1:1/bpf/"


def test_not_a_source():
    with pytest.raises(ScrapeError):
        parse_lore_ref("hello world")


# -- real server ---------------------------------------------------------------
def test_ingest_by_msgid_byte_identical(lore_server, tmp_path):
    db = tmp_path / "h.db"
    assert _cli("ingest", ROOT_MSGID, "--lore-url", lore_server.base, db=db, cache=tmp_path / "c") == 0
    stored = {m.message_id: m for m in Store(db).messages()}
    assert len(stored) == 52
    assert set(stored) == set(SOURCE_RAWS)
    for mid, raw in SOURCE_RAWS.items():
        assert stored[mid].raw == raw, mid


@pytest.mark.parametrize("suffix", ["", "T/#u", "raw", "t.mbox.gz"])
def test_ingest_by_url_of_a_reply(lore_server, tmp_path, suffix):
    reply = "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"
    url = LoreRef(lore_server.base, reply).url(suffix)
    db = tmp_path / "h.db"
    assert _cli("ingest", url, db=db, cache=tmp_path / "c") == 0
    assert Store(db).count_messages() == 52


def test_unknown_msgid_is_clean_error(lore_server, tmp_path, capsys):
    db = tmp_path / "h.db"
    _cli("ingest", str(THREAD_MBOX), db=db, cache=tmp_path / "c")
    before = Store(db).count_messages()
    rc = _cli("ingest", "no-such-message@example.org", "--lore-url", lore_server.base,
              db=db, cache=tmp_path / "c")
    err = capsys.readouterr().err
    assert rc != 0
    assert "no-such-message@example.org" in err and len(err.strip().splitlines()) == 1
    assert Store(db).count_messages() == before


def test_second_fetch_hits_cache(lore_server, tmp_path):
    client = LoreClient(cache_dir=tmp_path / "c")
    ref = parse_lore_ref(ROOT_MSGID, lore_server.base)
    first = client.thread_raws(ref)
    requests_after_first = client.stats["requests"]
    second = LoreClient(cache_dir=tmp_path / "c")
    assert second.thread_raws(ref) == first
    assert second.stats["requests"] == 0 and second.stats["cache_hits"] >= 1
    nocache = LoreClient(cache_dir=tmp_path / "c", use_cache=False)
    nocache.thread_raws(ref)
    assert nocache.stats["requests"] >= 1 and requests_after_first >= 1


def test_refetch_grown_thread_adds_only_new(lore_server, tmp_path):
    db = tmp_path / "h.db"
    store = Store(db)
    raws = list(SOURCE_RAWS.values())[:10]
    from scraper.mail import parse_message
    store.add_messages(parse_message(r, "test") for r in raws)
    assert _cli("ingest", ROOT_MSGID, "--lore-url", lore_server.base, "--json", db=db, cache=tmp_path / "c") == 0
    assert Store(db).count_messages() == 52


def test_fetch_writes_mbox_like_b4(lore_server, tmp_path):
    out = tmp_path / "t.mbox"
    rc = main(["fetch", ROOT_MSGID, "-o", str(out), "--lore-url", lore_server.base,
               "--cache-dir", str(tmp_path / "c")])
    assert rc == 0
    got = {_mid_of(r): r for r in iter_raw_mbox(out)}
    assert got == SOURCE_RAWS


def test_fetch_thread_is_the_library_call_the_command_makes(lore_server, tmp_path):
    """scraper.lore.fetch_thread fetches and writes; what it writes reads back as the server's messages."""
    from scraper.lore import fetch_thread

    out = tmp_path / "lib.mbox"
    client = LoreClient(cache_dir=tmp_path / "c", use_cache=False)
    assert fetch_thread(f"<{ROOT_MSGID}>", out, client, lore_server.base) == len(SOURCE_RAWS)
    assert {_mid_of(r): r for r in iter_raw_mbox(out)} == SOURCE_RAWS
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_write_mboxrd_quotes_from_lines_and_is_whole_or_nothing(tmp_path):
    from scraper.mbox import write_mboxrd

    raws = [b"Subject: a\n\nFrom here on\n>From quoted once\n>>From twice\n",
            b"Subject: b\n\nno final newline"]
    out = tmp_path / "q.mbox"
    assert write_mboxrd(out, raws) == 2
    text = out.read_bytes()
    assert b"\n>From here on\n>>From quoted once\n>>>From twice\n" in text
    assert list(iter_raw_mbox(out)) == [raws[0], raws[1] + b"\n"]

    def broken():
        yield raws[0]
        raise OSError("disk full")
    with pytest.raises(OSError):
        write_mboxrd(out, broken())
    assert out.read_bytes() == text and sorted(p.name for p in tmp_path.iterdir()) == ["q.mbox"]


# -- faults ----------------------------------------------------------------------
class FaultServer:
    """Loopback HTTP server answering from a script: path -> list of (status, headers, body)."""

    def __init__(self):
        self.script: dict[str, list] = {}
        self.hits: list[str] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                answers = outer.script.get(self.path) or [(404, {}, b"not found")]
                status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/bpf/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def faults():
    s = FaultServer()
    yield s
    s.close()


def _mbox_gz() -> bytes:
    return gzip.compress(THREAD_MBOX.read_bytes())


def _client(tmp_path):
    return LoreClient(cache_dir=tmp_path / "c", backoff_seconds=0.01, min_interval_seconds=0, retry_after_seconds=2)


def test_503_then_200(faults, tmp_path):
    path = f"/bpf/{ROOT_MSGID}/t.mbox.gz"
    faults.script[path] = [(503, {}, b"busy"), (503, {}, b"busy"), (200, {}, _mbox_gz())]
    c = _client(tmp_path)
    raws = c.thread_raws(LoreRef(faults.base, ROOT_MSGID))
    assert len(raws) == 52 and c.stats["retries"] == 2


def test_429_retry_after_is_honoured(faults, tmp_path, monkeypatch):
    slept = []
    import scraper.lore as lore
    monkeypatch.setattr(lore.time, "sleep", lambda s: slept.append(s))
    path = f"/bpf/{ROOT_MSGID}/t.mbox.gz"
    faults.script[path] = [(429, {"Retry-After": "1"}, b"slow down"), (200, {}, _mbox_gz())]
    raws = _client(tmp_path).thread_raws(LoreRef(faults.base, ROOT_MSGID))
    assert len(raws) == 52
    assert 1.0 in slept


def test_retries_exhausted_is_clean_error(faults, tmp_path):
    faults.script[f"/bpf/{ROOT_MSGID}/t.mbox.gz"] = [(503, {}, b"down")]
    faults.script[f"/bpf/{ROOT_MSGID}/raw"] = [(503, {}, b"down")]
    with pytest.raises(ScrapeError, match="503"):
        _client(tmp_path).thread_raws(LoreRef(faults.base, ROOT_MSGID))


def test_truncated_gzip_falls_back_to_raw_and_references(faults, tmp_path):
    data = _mbox_gz()
    faults.script[f"/bpf/{ROOT_MSGID}/t.mbox.gz"] = [(200, {}, data[: len(data) // 2])]
    # the archive answers /raw for a reply and its ancestors
    leaf = "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"
    faults.script[f"/bpf/{leaf}/t.mbox.gz"] = [(200, {}, data[:100])]
    from urllib.parse import quote
    for mid, raw in SOURCE_RAWS.items():
        faults.script[f"/bpf/{quote(mid, safe='@!$&*+,;=:~')}/raw"] = [(200, {}, raw)]
    c = _client(tmp_path)
    raws = c.thread_raws(LoreRef(faults.base, leaf))
    mids = {_mid_of(r) for r in raws}
    assert leaf in mids and ROOT_MSGID in mids
    for r in raws:
        assert r == SOURCE_RAWS[_mid_of(r)]
    # a corrupt answer is never cached
    assert not (tmp_path / "c" / c._cache_path(LoreRef(faults.base, leaf).url("t.mbox.gz")).name).exists()


def test_redirect_to_other_host_refused_nothing_lost(faults, tmp_path, capsys):
    db = tmp_path / "h.db"
    _cli("ingest", str(THREAD_MBOX), db=db, cache=tmp_path / "c")
    faults.script[f"/bpf/{ROOT_MSGID}/t.mbox.gz"] = [(302, {"Location": "http://evil.example/x"}, b"")]
    faults.script[f"/bpf/{ROOT_MSGID}/raw"] = [(302, {"Location": "http://evil.example/y"}, b"")]
    rc = _cli("ingest", faults.base + ROOT_MSGID + "/", db=db, cache=tmp_path / "c")
    assert rc == 2
    assert "another host" in capsys.readouterr().err
    assert Store(db).count_messages() == 52


def test_redirect_within_host_followed(faults, tmp_path):
    faults.script[f"/bpf/{ROOT_MSGID}/t.mbox.gz"] = [(301, {"Location": "/new/t.mbox.gz"}, b"")]
    faults.script["/new/t.mbox.gz"] = [(200, {}, _mbox_gz())]
    assert len(_client(tmp_path).thread_raws(LoreRef(faults.base, ROOT_MSGID))) == 52


def test_user_agent_sent(faults, tmp_path):
    seen = {}
    orig = faults.httpd.RequestHandlerClass.do_GET

    def grab(self):
        seen["ua"] = self.headers.get("User-Agent")
        orig(self)
    faults.httpd.RequestHandlerClass.do_GET = grab
    faults.script[f"/bpf/{ROOT_MSGID}/t.mbox.gz"] = [(200, {}, _mbox_gz())]
    _client(tmp_path).thread_raws(LoreRef(faults.base, ROOT_MSGID))
    assert seen["ua"].startswith("hookdebate/")


# -- a whole list, --since ---------------------------------------------------------------
def test_list_url_since_matches_mbox_since(lore_search_server, tmp_path):
    from scraper.sources import classify

    assert classify(lore_search_server.base) == ("lore-list", lore_search_server.base)
    via_list, via_mbox = tmp_path / "l.db", tmp_path / "m.db"
    assert _cli("ingest", lore_search_server.base, "--since", "2023-04-14", db=via_list, cache=tmp_path / "c") == 0
    assert _cli("ingest", str(THREAD_MBOX), "--since", "2023-04-14", db=via_mbox, cache=tmp_path / "c") == 0
    got = {m.message_id: m.raw for m in Store(via_list).messages()}
    assert 0 < len(got) < len(SOURCE_RAWS)
    assert got == {m.message_id: m.raw for m in Store(via_mbox).messages()}
    assert all(raw == SOURCE_RAWS[mid] for mid, raw in got.items())  # byte-identical
    # nothing that recent: nothing read, nothing stored, no error
    assert _cli("ingest", lore_search_server.base, "--since", "2030-01-01", db=tmp_path / "e.db",
                cache=tmp_path / "c") == 0
    assert Store(tmp_path / "e.db").count_messages() == 0


def test_list_url_needs_since_and_a_search_index(lore_server, lore_search_server, tmp_path, capsys):
    assert _cli("ingest", lore_search_server.base, db=tmp_path / "h.db", cache=tmp_path / "c") == 2
    assert "--since" in capsys.readouterr().err
    # indexlevel basic has no search: a clean error pointing to the git epochs
    assert _cli("ingest", lore_server.base, "--since", "2023-04-14", db=tmp_path / "h.db",
                cache=tmp_path / "c") == 2
    err = capsys.readouterr().err
    assert "git clone" in err and len(err.strip().splitlines()) == 1
    assert Store(tmp_path / "h.db").count_messages() == 0
