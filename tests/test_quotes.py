"""verify-quotes on the scraper's Article: a saved LWN HTML page, an lwn.net URL, and the text seed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookdebate.cli import main

ROOT = Path(__file__).resolve().parents[1]
LWN_PAGE = ROOT / "tests/data/lwn/authoritative-hooks.html"
NAMES = ["Andrii Nakryiko", "Paul Moore", "Kees Cook", "Casey Schaufler"]


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "h.db"
    monkeypatch.setenv("HOOKDEBATE_DB", str(path))
    return path


def test_quotes_from_article_attributes_from_the_article_text():
    from analysis.quotes import quotes_from_article
    from scraper.lwn import parse_article

    a = parse_article(LWN_PAGE.read_bytes(), "https://lwn.net/Articles/930000/")
    qs = quotes_from_article(a, NAMES)
    assert [q.kind for q in qs] == ["block", "block", "inline", "inline"]
    # "Nakryiko proposed ... a <a>second</a>" / "LSM maintainer Paul Moore quickly <a>responded</a>" /
    # "Kees Cook disagreed, suggesting ..." / "as Moore put it: ..." (surname only)
    assert [q.speaker for q in qs] == ["Andrii Nakryiko", "Paul Moore", "Kees Cook", "Paul Moore"]
    assert qs[1].message_id == "CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com"


def test_verify_quotes_on_lwn_html_page(db, capsys):
    assert main(["verify-quotes", str(LWN_PAGE), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and all(r["message_id"] for r in rows)
    assert all(r["speaker_is_author"] is True for r in rows)
    paul = rows[1]
    assert paul["author"] == "Paul Moore" and paul["method"] == "exact" and paul["link_matches"] is True
    # the first quote is from the cover letter, while the article's nearest link is patch 8/8
    assert rows[0]["message_id"] == "20230412043300.360803-1-andrii@kernel.org"
    assert rows[0]["linked_message_id"] == "20230412043300.360803-8-andrii@kernel.org"
    assert rows[0]["link_matches"] is False
    # text output says so too
    assert main(["verify-quotes", str(LWN_PAGE)]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 quotes found in the thread; 4 attributed correctly" in out
    assert "3 of 4 linked quotes are in the message the article links to" in out


def test_verify_quotes_flags_misattribution_and_missing_quotes_in_html(db, tmp_path, capsys):
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>T [LWN.net]</title></head><body><div class='ArticleText'>"
        "<p>Casey Schaufler <a href='/ml/bpf/CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com/'>"
        "wrote</a>:</p><div class='BigQuote'><p>One of the hallmarks of the LSM has always been that it is "
        "non-authoritative: it cannot unilaterally grant access</p></div>"
        "<p>Somebody else said \"<span>this sentence was never written in the thread at all</span>\".</p>"
        "<p>Then <script>x</script>.</p></div></body></html>")
    assert main(["verify-quotes", str(page), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["speaker"] == "Casey Schaufler" and rows[0]["author"] == "Paul Moore"
    assert rows[0]["speaker_is_author"] is False and rows[0]["link_matches"] is True
    assert rows[1]["message_id"] is None and rows[1]["method"] == "none"


def test_verify_quotes_lwn_url_goes_through_the_scraper(db, monkeypatch, capsys, tmp_path):
    import scraper.lwn as lwn

    seen = {}

    def fake_fetch(client, url):
        seen["url"], seen["client"] = url, client
        return lwn.parse_article(LWN_PAGE.read_bytes(), url)

    monkeypatch.setattr(lwn, "fetch_article", fake_fetch)
    url = "https://lwn.net/Articles/930000/"
    assert main(["verify-quotes", url, "--json", "--cache-dir", str(tmp_path / "c")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert seen["url"] == url and seen["client"] is not None
    assert len(rows) == 4 and rows[2]["author"] == "Kees Cook"


def test_verify_quotes_text_file_still_works(db, capsys):
    assert main(["verify-quotes", str(ROOT / "tests/data/seed/lwn-unprivileged-bpf-authoritative-hooks.txt"),
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(1 for r in rows if r["message_id"]) >= 5
    assert all(r["linked_message_id"] is None for r in rows)


def test_verify_quotes_unreadable_article_is_user_error(db, capsys):
    assert main(["verify-quotes", "/nonexistent/article.html"]) == 2
    assert "cannot read the article" in capsys.readouterr().err
