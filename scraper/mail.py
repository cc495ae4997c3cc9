"""Raw RFC 5322 bytes → scraper.model.Message."""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import quopri
import re
from email.parser import BytesHeaderParser
from functools import lru_cache
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

from scraper.errors import ScrapeError
from scraper.model import Message

_MSGID = re.compile(r"<([^<>\s]+)>")


def bare_msgid(value: str | None) -> str | None:
    """'<a@b>' or 'a@b' → 'a@b'; None for nothing usable."""
    if not value:
        return None
    found = _MSGID.findall(value)
    if found:
        return found[0]
    value = value.strip().strip("<>").strip()
    return value or None


def _header_text(value) -> str:
    if value is None:
        return ""
    value = str(value)
    if "=?" not in value:
        return " ".join(value.split())
    try:
        text = str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, email.errors.HeaderParseError):
        text = str(value)
    return " ".join(text.split())


def _decode_part(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _body_text(msg: email.message.Message) -> str:
    """All text/plain parts that are not attachments of another type, joined."""
    if not msg.is_multipart():
        if msg.get_content_maintype() in ("text", "") or msg.get_content_type() == "text/plain":
            return _decode_part(msg)
        return ""
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() == "text/plain":
            texts.append(_decode_part(part))
    return "\n".join(texts)


@lru_cache(maxsize=4096)
def _addresses(value: str) -> tuple[tuple[str, str], ...]:
    # list mail repeats the same To/Cc lines over and over: parse each once
    return tuple(getaddresses([value]))


# One plain list member: `addr@dom` or `Display Name <addr@dom>`, the name free of
# specials (no quotes, comments, groups, routes, a second @). For such a member the
# address getaddresses() finds is exactly the addr-spec text, so it can be cut out
# directly; any other form goes through getaddresses() for the whole header.
_ATOM = r"[^\s()<>@,:;.\"\[\]\\]+"
_ADDR_SPEC = rf"\.*{_ATOM}(?:\.+{_ATOM})*\.*@\.*{_ATOM}(?:\.+{_ATOM})*\.*"
_PLAIN_MEMBER = re.compile(rf"\s*(?:[^()<>@,:;\"\[\]\\]*<({_ADDR_SPEC})>|({_ADDR_SPEC}))\s*")


@lru_cache(maxsize=8192)
def _address_list(value: str) -> tuple[str, ...]:
    """The lower-cased addresses of a To/Cc header (its text after _header_text)."""
    found = []
    for member in value.split(","):
        m = _PLAIN_MEMBER.fullmatch(member)
        if m is None:
            if member.strip():
                return tuple(a.lower() for _, a in _addresses(value) if a)
            continue
        found.append((m.group(1) or m.group(2)).lower())
    return tuple(found)


_HEADER_PARSER = BytesHeaderParser()
_SPLIT = re.compile(rb"\r?\n\r?\n")


def _fast_body(msg: email.message.Message, raw: bytes, split: re.Match | None) -> str | None:
    """The body of a single-part text/plain mail without running the full parser; None if not that."""
    ctype = msg.get_content_type()
    if msg.get("Content-Type") is not None and ctype != "text/plain":
        return None
    body = raw[split.end():] if split else b""
    cte = str(msg.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if cte == "quoted-printable":
        body = quopri.decodestring(body)
    elif cte == "base64":
        try:
            body = base64.b64decode(body)
        except (ValueError, binascii.Error):
            return None
    elif cte not in ("7bit", "8bit", "binary", ""):
        return None
    charset = msg.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse_message(raw: bytes, origin: str) -> Message:
    """Parse one mail. Raises ScrapeError when it is not a mail or has no Message-ID."""
    # Only the header block goes to the (slow, line by line) email parser; it would stop
    # at the first empty line anyway. The body is cut out of raw below.
    split = _SPLIT.search(raw)
    msg = _HEADER_PARSER.parsebytes(raw[:split.end()] if split else raw)
    message_id = bare_msgid(msg.get("Message-ID") or msg.get("Message-Id"))
    if not message_id:
        if not any(msg.get(h) for h in ("From", "Date", "Subject")):
            raise ScrapeError(f"{origin}: not an email message")
        raise ScrapeError(f"{origin}: message has no Message-ID header")
    name, address = "", ""
    from_pairs = _addresses(_header_text(msg.get("From")))
    if from_pairs:
        name, address = from_pairs[0]
    date_raw = _header_text(msg.get("Date"))
    try:
        date = parsedate_to_datetime(date_raw) if date_raw else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    body = _fast_body(msg, raw, split)
    if body is None:
        body = _body_text(email.message_from_bytes(raw))
    references = tuple(_MSGID.findall(str(msg.get("References") or "")))
    return Message(
        message_id=message_id,
        subject=_header_text(msg.get("Subject")),
        from_name=name.strip().strip('"'),
        from_address=address.strip().lower(),
        date=date,
        date_raw=date_raw,
        in_reply_to=bare_msgid(str(msg.get("In-Reply-To") or "")),
        references=references,
        body=body,
        raw=raw,
        origin=origin,
        to=_address_list(_header_text(msg.get("To"))),
        cc=_address_list(_header_text(msg.get("Cc"))),
        list_ids=tuple(_MSGID.findall(str(msg.get("List-Id") or msg.get("List-ID") or ""))),
    )
