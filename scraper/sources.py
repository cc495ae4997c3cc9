"""What kind of source a command-line argument names (detection order in README.md)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from scraper.epochs import find_epochs, is_maildir, is_public_inbox_epoch
from scraper.errors import ScrapeError
from scraper.lore import list_base, looks_like_msgid
from scraper.mbox import gzip_damage, read_head
from scraper.lwn import is_lwn_url, looks_like_html, resolve_ml_link


# a header field (RFC 5322 2.2: printable ASCII name, colon) opening the file: a single message
_RFC822_START = re.compile(rb"[!-9;-~]+:[ \t]")


def classify(source: str) -> tuple[str, object]:
    """→ (kind, detail). kind: maildir | epochs | mbox | message | article-file | article-url | lore-list | lore."""
    if not source.strip():
        # Path("") is the current directory: an empty argument (an unset shell variable) must not read it
        raise ScrapeError("empty SOURCE: give a file, a directory, a lore/LWN URL or a Message-ID")
    path = Path(source)
    if path.exists():
        if path.is_dir():
            if is_maildir(path):
                return "maildir", path
            epochs = find_epochs(path)
            if epochs:
                # an epoch public-inbox created but has not written to yet is skipped;
                # git repositories that are not archives at all are refused, not read as empty
                usable = [e for e in epochs if is_public_inbox_epoch(e)]
                if usable:
                    return "epochs", usable
                raise ScrapeError(f"{source}: a git repository but not a public-inbox epoch "
                                  "(no commit holding a message as 'm'; empty, or another kind of repository)")
            raise ScrapeError(f"{source}: directory is neither a maildir (cur/new/tmp) nor public-inbox git epochs")
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if head[:2] == b"\x1f\x8b":
            # as much of the start as decompresses (a damaged gzip is the mbox reader's to report)
            head = read_head(path, 4096)
            if not head:
                raise ScrapeError(f"{source}: cannot read gzip: {gzip_damage(path)}")
        if head.startswith(b"From "):
            return "mbox", path
        if looks_like_html(head):
            return "article-file", path
        if _RFC822_START.match(head):
            return "message", path  # one message, e.g. saved from lore's /raw
        raise ScrapeError(f"{source}: not an mbox, mbox.gz, maildir, public-inbox epoch or LWN HTML page")
    if source.startswith(("http://", "https://")):
        if is_lwn_url(source):
            return "article-url", source
        if urlsplit(source).hostname in ("lwn.net", "www.lwn.net"):
            # LWN's own copy of a list message (/ml/<list>/<msgid>/): fetch the thread from
            # the configured archive, as for the links inside an article
            message_id, _ = resolve_ml_link(source)
            if message_id:
                return "lore", f"<{message_id}>"
            raise ScrapeError(f"{source}: not an LWN article URL (expected https://lwn.net/Articles/NNN/)")
        base = list_base(source)
        if base is not None:
            return "lore-list", base
        return "lore", source
    if looks_like_msgid(source):
        return "lore", source
    raise ScrapeError(f"{source}: no such file, and not a URL or a Message-ID "
                      "(expected a path, a lore/LWN URL or <message-id>)")
