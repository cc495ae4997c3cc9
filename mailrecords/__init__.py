"""The ground floor: the records every stage shares, importing nothing of the project.

The scraper turns every source (lore over HTTP, public-inbox git epochs, mbox, maildir, LWN
articles) into these frozen dataclasses; the analysis and the app read them. Nothing
downstream sees an email.message.Message or an HTTP response. (scraper.model re-exports
them, so `from scraper.model import Message` keeps working.) A Message-ID is held bare, without
its angle brackets: bare_msgid() is the one rule for that, which every stage uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# a Message-ID in angle brackets, as headers write it; the records hold it bare
MSGID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")


def bare_msgid(value: str | None) -> str | None:
    """'<a@b>' or 'a@b' → 'a@b'; None for nothing usable."""
    if not value:
        return None
    found = MSGID_IN_BRACKETS.findall(value)
    if found:
        return found[0]
    value = value.strip().strip("<>").strip()
    return value or None


@dataclass(frozen=True)
class Message:
    """One mail as archived.

    ``raw`` keeps the bytes exactly as the source had them (lore serves them
    byte-identical), so the store can always re-derive everything else.
    """

    message_id: str  # bare, without angle brackets
    subject: str
    from_name: str  # display name as written ("" when the From has none)
    from_address: str  # lower-cased addr-spec
    date: datetime | None  # timezone-aware, sender's offset kept; None if unparseable
    date_raw: str
    in_reply_to: str | None  # bare Message-ID
    references: tuple[str, ...]  # bare Message-IDs, oldest first
    body: str  # decoded text/plain parts, joined; "" when the mail has none
    raw: bytes
    origin: str  # where it came from, e.g. "mbox:data/threads/x.mbox" or a lore URL
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    list_ids: tuple[str, ...] = ()
    duplicate_of_archive: bool = False  # the archive holds this Message-ID more than once
    # what could not be decoded as written, one line each ("unknown charset 'idna': read as
    # UTF-8", "no Message-ID: ...", "date out of range: ..."); () for a well-formed mail
    defects: tuple[str, ...] = ()

    @property
    def parent_id(self) -> str | None:
        """The message this one replies to: In-Reply-To, else the last Reference."""
        if self.in_reply_to:
            return self.in_reply_to
        return self.references[-1] if self.references else None


@dataclass(frozen=True)
class ArticleQuote:
    """A passage an article quotes, with the mailing-list message it links to, if any."""

    text: str
    kind: str  # "block" (div.BigQuote) or "inline"
    message_id: str | None  # the message the nearest preceding link points to
    speaker: str | None = None  # the person the article attributes it to, when it says


@dataclass(frozen=True)
class ArticleLink:
    url: str
    text: str
    message_id: str | None  # resolved when the link points to a mailing-list message
    list_name: str | None = None


@dataclass(frozen=True)
class Article:
    """An LWN article: enough to find the threads it covers and check its quotes."""

    url: str
    title: str
    byline: str | None
    date: str | None
    paragraphs: tuple[str, ...]
    subheads: tuple[str, ...]
    quotes: tuple[ArticleQuote, ...]
    links: tuple[ArticleLink, ...] = field(default=())

    @property
    def message_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for link in self.links:
            if link.message_id:
                seen.setdefault(link.message_id, None)
        return tuple(seen)
