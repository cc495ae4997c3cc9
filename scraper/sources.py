"""What kind of source a command-line argument names (detection order in README.md)."""
from __future__ import annotations

import gzip
from pathlib import Path

from scraper.epochs import find_epochs, is_maildir
from scraper.errors import ScrapeError
from scraper.lore import list_base, looks_like_msgid
from scraper.lwn import is_lwn_url, looks_like_html


def classify(source: str) -> tuple[str, object]:
    """→ (kind, detail). kind: maildir | epochs | mbox | article-file | article-url | lore-list | lore."""
    path = Path(source)
    if path.exists():
        if path.is_dir():
            if is_maildir(path):
                return "maildir", path
            epochs = find_epochs(path)
            if epochs:
                return "epochs", epochs
            raise ScrapeError(f"{source}: directory is neither a maildir (cur/new/tmp) nor public-inbox git epochs")
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if head[:2] == b"\x1f\x8b":
            try:
                with gzip.open(path, "rb") as gz:
                    head = gz.read(4096)
            except (OSError, EOFError) as exc:
                raise ScrapeError(f"{source}: cannot read gzip: {exc}") from None
        if head.startswith(b"From "):
            return "mbox", path
        if looks_like_html(head):
            return "article-file", path
        raise ScrapeError(f"{source}: not an mbox, mbox.gz, maildir, public-inbox epoch or LWN HTML page")
    if source.startswith(("http://", "https://")):
        if is_lwn_url(source):
            return "article-url", source
        base = list_base(source)
        if base is not None:
            return "lore-list", base
        return "lore", source
    if looks_like_msgid(source):
        return "lore", source
    raise ScrapeError(f"{source}: no such file, and not a URL or a Message-ID "
                      "(expected a path, a lore/LWN URL or <message-id>)")
