"""Mail text inside Markdown, inert: a viewer renders no link, image or HTML from it.

Anyone can send mail, so a subject, a From name, a quoted sentence or an unparseable Date
may hold `[x](javascript:...)`, `![](https://tracker/...)`, `<script>`, `<https://...>`, a bare
URL or address that GitHub-flavoured Markdown (cmark-gfm) or markdown-it's linkify turn into
links, or a table's `|`. `text()` makes such text one line of literal characters: Markdown's
inline punctuation is backslash-escaped (`<`, `>` and entity-like `&` as entities), a `:` or
`.` that would let an autolinker see a scheme (`https://`, `javascript:`), a `www.` host or a
bare domain (`kernel.org`, `foo.sh`) is escaped, addresses are put in code spans (GFM links
them whatever is escaped), and a line start that would open a heading or list is escaped.
The only links in a report are those of `link()`: to lore or LWN URLs the tool built,
percent-encoded so that no character of a Message-ID ends the destination early.
tests/test_markdown_inert.py renders the reports with cmark-gfm and markdown-it to check.
"""
from __future__ import annotations

import re
from urllib.parse import quote

# where the report's links may go: the archives the tool builds URLs for
LINK_PREFIXES = ("https://lore.kernel.org/", "https://lwn.net/")

# an address as GFM's and linkify's autolinkers find them (and Message-IDs, which look alike):
# shown as code, the one form no autolinker looks into
_ADDRESS = re.compile(r"[^\s<>()\[\]`|\"'@]+@[^\s<>()\[\]`|\"'@]+\.[^\s<>()\[\]`|\"'@]*[^\s<>()\[\]`|\"'@.,;:!?]")
# a scheme's colon (https:, javascript:, mailto:): escaped, the autolinker sees no scheme
# (a word starting with a letter: a time such as 13:22 is left alone)
_SCHEME_COLON = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*):(?=\S)")
# the dot of www. and the last dot of a bare domain with a TLD linkify knows (any two letters,
# or one of its named ones)
_DOMAIN_DOT = re.compile(r"(?i)(?<=\bwww)\.|(?<=[a-z0-9-])\.(?=(?:[a-z]{2}|com|org|net|edu|gov|info|biz|name|pro"
                         r"|web|xxx|aero|asia|coop|museum|shop)(?![a-z0-9_-]))")
# inline punctuation that opens code, emphasis, links, strikethrough or a table cell; an
# underscore inside a word (CAP_BPF, security_bpf_map_create) opens nothing and stays bare
_PUNCT = re.compile(r"[\\`*\[\]~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY_LIKE = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
_LINE_START = re.compile(r"^(?:([-+=#>])|(\d{1,9})([.)]))")


def _plain(s: str) -> str:
    s = _PUNCT.sub(lambda m: "\\" + m.group(), s)
    s = _ENTITY_LIKE.sub("&amp;", s)
    s = s.replace("<", "&lt;").replace(">", "&gt;")
    s = _SCHEME_COLON.sub(r"\1\\:", s)
    s = _DOMAIN_DOT.sub(r"\\.", s)
    return s.replace("//", "/\\/")


def text(value, limit: int | None = None) -> str:
    """Mail text as inert Markdown inline text: one line, read back literally (see above).
    limit: cut to that many characters first (never inside an escape)."""
    t = " ".join(str(value).split())
    if limit is not None and len(t) > limit:
        t = t[:limit].rstrip() + "\u2026"
    out, pos = [], 0
    for m in _ADDRESS.finditer(t):
        out.append(_plain(t[pos:m.start()]))
        out.append(f"`{m.group()}`")
        pos = m.end()
    out.append(_plain(t[pos:]))
    s = "".join(out)
    m = _LINE_START.match(s)
    if m:  # a line of its own must not open a heading, a list, a quote or a setext underline
        s = ("\\" + s) if m.group(1) else m.group(2) + "\\" + s[len(m.group(2)):]
    return s


def url(value: str) -> str | None:
    """A tool-built lore/LWN URL as a Markdown link destination (every character that could end
    or alter it percent-encoded); None for any other URL."""
    value = str(value)
    if not value.startswith(LINK_PREFIXES):
        return None
    return quote(value, safe=":/@.+=-_~!$*,;%")


def link(label: str, to: str) -> str:
    """[label](to) for a tool-built URL; label is Markdown already (escape mail text with text()).
    Any other URL gives the label alone: the report links nowhere else."""
    dest = url(to)
    return f"[{label}]({dest})" if dest else label


def picture(alt: str, filename: str) -> str:
    """An image the report wrote next to itself (its file name, percent-encoded)."""
    return f"![{text(alt)}]({quote(str(filename), safe='._-')})"
