"""The Markdown report is inert (issue 15, deliver 7): mail text in it renders as the text it
is, never as a link, an image or HTML; the only links are those to lore/LWN the tool built.

Checked by rendering, with GitHub's own renderer (cmark-gfm with its extensions: tables,
autolinks, strikethrough; raw HTML let through, as the unsafe option does before a site's
sanitizer) and with markdown-it (CommonMark with HTML, tables, and linkify's fuzzy bare-domain
links where linkify-it-py is installed: what editors' previews use).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hookdebate.cli import main
from hookdebate.report import mdsafe

ROOT = Path(__file__).resolve().parents[1]

PAYLOADS = [
    "[click me](javascript:alert(1))",
    "[x](<javascript:alert(1)>) and [y]( javascript:alert(2) 'title')",
    "![](https://evil.example/track.png)",
    "![pixel][r] and [r]: https://evil.example/ref",
    "[ref]: https://evil.example/def",
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)"> <a href="javascript:alert(1)">a</a> <!-- c -->',
    "<https://evil.example/autolink> <mailto:x@evil.example>",
    "see https://evil.example/bare and www.evil.example and http://127.0.0.1/",
    "mail paul@evil.example or mailto:paul@evil.example or xmpp:x@evil.example",
    "bare domains kernel.org, evil.io and tools/testing/run.sh",
    "//evil.example/protocol-relative",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62; &amp;",
    "a | table | breaker |",
    "`code` ``more`` **bold** _em_ ~~gone~~ ~x~ CAP_BPF security_bpf_map_create",
    "trailing backslash \\",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](https://lore.kernel.org/all/x)(fake) [lore](https://lore.kernel.org/evil/)",
    "\\[x\\](javascript:alert(1)) \\<script>",
    "<20230412043300.360803-1-andrii@kernel.org>",
]
LINE_STARTS = ["# heading", "=== ", "--- ", "- item", "+ item", "1. item", "2) item", "> quote", "| a | b |"]


class _Rendered(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(("!--", {}))


def _renderers():
    from markdown_it import MarkdownIt

    out = []
    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    try:
        import linkify_it  # noqa: F401

        md = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["table", "strikethrough", "linkify"])
    except ImportError:
        pass
    out.append(("markdown-it", md.render))
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        out.append(("cmark-gfm", lambda s: cmarkgfm.github_flavored_markdown_to_html(s, options=Options.CMARK_OPT_UNSAFE)))
    except ImportError:
        pass
    return out


RENDERERS = _renderers()
ALLOWED = {"p", "code", "strong", "em", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "h1", "h2",
           "h3", "br", "a", "img", "hr"}


def render(md: str, name: str, fn) -> _Rendered:
    parsed = _Rendered()
    parsed.feed(fn(md))
    return parsed


def assert_inert(parsed: _Rendered, links: set[str] = frozenset(), images: set[str] = frozenset(), where=""):
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED, (where, tag, attrs)
        if tag == "a":
            assert attrs.get("href") in links, (where, attrs)
        if tag == "img":
            assert attrs.get("src") in images, (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on") and "javascript:" not in (value or ""), (where, tag, attrs)


@pytest.mark.parametrize("renderer", [name for name, _ in RENDERERS])
@pytest.mark.parametrize("payload", PAYLOADS + LINE_STARTS)
def test_mail_text_renders_as_itself_and_nothing_else(renderer, payload):
    fn = dict(RENDERERS)[renderer]
    url = "https://lore.kernel.org/all/a%29b@example.org/"
    doc = "\n".join([
        mdsafe.text(payload),  # a line of its own
        "",
        f"- **{mdsafe.text(payload)}** said: \u201c{mdsafe.text(payload)}\u201d ({mdsafe.link('message', url)})",
        "",
        "| who | what |", "|---|---|", f"| {mdsafe.text(payload)} | {mdsafe.link(mdsafe.text(payload), url)} |",
        "",
    ])
    parsed = render(doc, renderer, fn)
    assert_inert(parsed, links={url}, where=payload)
    # our two links are there, each once, and the table kept its two columns
    assert [t for t, a in parsed.tags if t == "a"] == ["a", "a"]
    assert [t for t, a in parsed.tags].count("td") == 2
    # and the text reads back as written: the line of its own is exactly the payload
    first = render(mdsafe.text(payload), renderer, fn)
    assert "".join(first.text).strip() == " ".join(payload.split())


def test_only_tool_built_urls_become_links():
    assert mdsafe.link("x", "https://lore.kernel.org/all/a@b/") == "[x](https://lore.kernel.org/all/a@b/)"
    assert mdsafe.link("x", "javascript:alert(1)") == "x"
    assert mdsafe.link("x", "https://evil.example/") == "x"
    # a destination cannot be ended early by what a Message-ID may hold
    assert mdsafe.url("https://lore.kernel.org/all/a)b<c> d\"'&amp;/") == \
        "https://lore.kernel.org/all/a%29b%3Cc%3E%20d%22%27%26amp;/"
    assert mdsafe.text("x" * 500, limit=10) == "x" * 10 + "\u2026"


HOSTILE = {
    "subject": "[click](javascript:alert(1)) ![](https://evil.example/s.png) <script>alert(1)</script>",
    "name": "Evil Hacker **bold** `code` | pipe ~~gone~~ www.evil.example",
    # in the first sentence of the proposal, which the report quotes
    "sentence": ("This patchset [proof](javascript:alert(4)) ![t](https://evil.example/b.png) "
                 "<script>alert(5)</script> www.evil.example https://evil.example/x add line feed"),
    "date": "[when](javascript:alert(6))",
}


def _hostile_thread(tmp_path) -> Path:
    """The 7 real messages of a NAKed securityfs patch, with a subject, a From name, the proposal's
    first sentence and a Date made hostile (the Date unparseable, so the timeline shows it raw)."""
    from email.header import Header

    from scraper.mbox import iter_raw_mbox

    raws = list(iter_raw_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))
    enc_name = Header(HOSTILE["name"], "utf-8").encode().encode()

    def sub(raw, header, value):
        return re.sub(rb"(?mi)^" + header + rb":.*(\n[ \t].*)*", header + b": " + value.replace(b"\\", b"\\\\"),
                      raw, count=1)

    out = []
    for i, raw in enumerate(raws):
        if i == 0:
            raw = sub(raw, b"Subject", Header(HOSTILE["subject"], "utf-8").encode().encode())
            assert raw.count(b"This patchset add line feed") == 1
            raw = raw.replace(b"This patchset add line feed", HOSTILE["sentence"].encode())
        if i == 1:
            raw = sub(raw, b"From", enc_name + b" <evil@example.org>")
            raw = sub(raw, b"Subject", Header("Re: " + HOSTILE["subject"] + " [x](javascript:alert(7))",
                                              "utf-8").encode().encode())
        if i == 2:
            raw = sub(raw, b"Date", HOSTILE["date"].encode())
        out.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + raw + (b"" if raw.endswith(b"\n") else b"\n") + b"\n")
    path = tmp_path / "hostile.mbox"
    path.write_bytes(b"".join(out))
    return path


def test_the_report_of_a_hostile_thread_renders_inert(tmp_path):
    from hookdebate.report.data import lore_url
    from hookdebate.store import Store

    db = tmp_path / "h.db"
    assert main(["ingest", str(_hostile_thread(tmp_path)), "--db", str(db), "--no-progress"]) == 0
    out = tmp_path / "r.md"
    assert main(["report", "--db", str(db), "-o", str(out)]) == 0
    md = out.read_text()
    ours = {lore_url(mid) for mid in Store(db).message_ids()}
    for name, fn in RENDERERS:
        parsed = render(md, name, fn)
        assert_inert(parsed, links=ours, where=name)
        hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
        assert hrefs and set(hrefs) <= ours  # it links, and only to the thread's messages on lore
        text = " ".join("".join(parsed.text).split())
        # the hostile text reached the report and reads as text
        assert HOSTILE["subject"] in text, name
        assert HOSTILE["name"] in text and HOSTILE["date"] in text and HOSTILE["sentence"] in text, name
