"""What a mail's subject line says: reply and forward prefixes, the [PATCH ...] tags of a
posting, its part number in a series and the series' version.

One place for what threading, the stance analysis and the report read from subjects
(each had its own copy of these patterns). Pure Python; no spaCy.
"""
from __future__ import annotations

import re

# "Re:", "AW:" (German), "SV:" (Nordic), "Re[2]:" as some clients count replies
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
# the same and "Fwd:"/"Fw:": a forward answers nothing, but its subject is the thread's
REPLY_OR_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fwd?)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_TAGS = re.compile(r"^(\s*\[[^\]]*\]\s*)+")
_PREFIXES_AND_TAGS = re.compile(r"^\s*((re|aw|sv|fwd?)\s*:\s*|\[[^\]]*\]\s*)*", re.I)
_PART = re.compile(r"^\[[^\]]*?\b0*(\d+)/(\d+)\]")
_VERSION = re.compile(r"\[[^\]]*?\bv(\d+)\b[^\]]*\]", re.I)
_PATCH_POSTING = re.compile(r"^\s*\[[^\]]*\bPATCH\b", re.I)
_PATCH_OR_RFC_TAG = re.compile(r"^\s*\[[^\]]*\b(?:PATCH|RFC)\b", re.I)


def without_reply_prefix(subject: str | None) -> str:
    """'Re: Fwd: [PATCH] x' -> '[PATCH] x'."""
    return REPLY_OR_FORWARD_PREFIX.sub("", subject or "")


def without_tags(subject: str | None) -> str:
    """'[PATCH v5 0/4] Introduce x' -> 'Introduce x'."""
    return _TAGS.sub("", subject or "")


def without_prefixes_and_tags(subject: str | None) -> str:
    """'Re: [PATCH bpf-next 3/8] bpf: centralize ...' -> 'bpf: centralize ...'."""
    return _PREFIXES_AND_TAGS.sub("", subject or "")


def part_number(subject: str | None) -> int | None:
    """'[PATCH v2 3/8] x' -> 3; '[PATCH 0/8]' -> 0 (the cover letter); None outside a series."""
    m = _PART.match(subject or "")
    return int(m.group(1)) if m else None


def series_version(subject: str | None) -> int | None:
    """'[PATCH v5 0/4] ...' -> 5; None for an unversioned posting."""
    m = _VERSION.search(subject or "")
    return int(m.group(1)) if m else None


def is_patch_posting(subject: str | None) -> bool:
    """Does the subject open with a [PATCH ...] tag (a posting, not a reply to one)?"""
    return bool(_PATCH_POSTING.match(subject or ""))


def is_reply(subject: str | None) -> bool:
    """Does the subject open with a reply or forward prefix ('Re:', 'AW:', 'SV:', 'Fwd:', 'Re[2]:')?"""
    return bool(REPLY_OR_FORWARD_PREFIX.match(subject or ""))


def has_patch_tag(subject: str | None) -> bool:
    """Does the subject (a reply prefix taken off first, if any) open with a [PATCH ...] or
    [RFC ...] tag: a series' message, or an answer to one?"""
    return bool(_PATCH_OR_RFC_TAG.match(without_reply_prefix(subject)))


def is_series_message(subject: str | None) -> bool:
    """A [PATCH ...] or [RFC ...] tag and no reply prefix: a message of the series itself."""
    return not is_reply(subject) and has_patch_tag(subject)
