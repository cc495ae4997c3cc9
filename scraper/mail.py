"""Raw RFC 5322 bytes → scraper.model.Message."""
from __future__ import annotations

import base64
import binascii
import codecs
import email
import hashlib
import email.policy
import quopri
import re
from email.parser import BytesHeaderParser
from functools import lru_cache
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from datetime import timezone

from scraper.errors import ScrapeError
from scraper.model import Message
from mailrecords import MSGID_IN_BRACKETS as _MSGID, bare_msgid  # noqa: F401 (bare_msgid: scraper's API too)


def _in_reply_to(value: str, not_ids: set[str]) -> str | None:
    """The In-Reply-To Message-ID: the first bracketed id that is not one of not_ids
    (lower-cased addresses), else the bare value (a client that left out the brackets)."""
    found = _MSGID.findall(value)
    for mid in found:
        if mid.lower() not in not_ids:
            return mid
    if found:
        return None
    mid = bare_msgid(value)
    return None if mid is None or mid.lower() in not_ids else mid


def _header_text(value) -> str:
    if value is None:
        return ""
    value = str(value)
    if "=?" not in value:
        return " ".join(value.split())
    try:
        pairs = [(data, cs) if cs is None or _mail_charset(cs)
                 else (data.decode("utf-8", "replace").encode("utf-8"), "utf-8")  # as decode_text reads it
                 for data, cs in decode_header(value)]
        text = str(make_header(pairs))
    except Exception:  # a hostile encoded-word (broken base64, a NUL in the charset...): kept as written
        text = str(value)
    return " ".join(text.split())


# Codecs Python has that are no mail charset: they refuse errors="replace" (idna, punycode),
# always fail (undefined) or interpret the bytes as Python source escapes.
_NOT_MAIL_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def _mail_charset(name: str) -> bool:
    """A charset Python decodes text of mail in (not idna, punycode, undefined, rot13, base64...)."""
    try:
        info = codecs.lookup(name)
    except Exception:  # LookupError, or ValueError for a NUL in the name
        return False
    return info._is_text_encoding and info.name not in _NOT_MAIL_CHARSETS


def decode_text(data: bytes, charset: str | None, defects: list[str] | None = None) -> str:
    """Bytes in a declared charset → text, never raising: a charset Python does not know, or
    one that is not a text encoding of mail, is read as UTF-8 (with replacement characters)
    and noted in `defects`."""
    name = charset or "utf-8"
    try:
        if not _mail_charset(name):
            raise LookupError(name)
        return data.decode(name, errors="replace")
    except Exception:  # LookupError, UnicodeError, ValueError (a NUL in the name), ...
        if defects is not None:
            defects.append(f"unknown charset {name[:40]!r}: read as UTF-8")
        return data.decode("utf-8", errors="replace")


def _decode_part(part: email.message.Message, defects: list[str] | None) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    return decode_text(payload, part.get_content_charset(), defects)


def _body_text(msg: email.message.Message, defects: list[str] | None = None) -> str:
    """All text/plain parts that are not attachments of another type, joined."""
    if not msg.is_multipart():
        if msg.get_content_maintype() in ("text", "") or msg.get_content_type() == "text/plain":
            return _decode_part(msg, defects)
        return ""
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() == "text/plain":
            texts.append(_decode_part(part, defects))
    return "\n".join(texts)


@lru_cache(maxsize=4096)
def _addresses(value: str) -> tuple[tuple[str, str], ...]:
    # list mail repeats the same To/Cc lines over and over: parse each once
    return tuple(getaddresses([value]))


# One plain list member: `addr@dom` or `Display Name <addr@dom>`, the name made of
# atoms, dots and quoted strings (no comments, groups, routes, an unquoted @). For such
# a member the address getaddresses() finds is exactly the addr-spec text, so it is
# cut out directly; a header with any other member (or an empty one) goes through
# getaddresses() whole.
_ATOM = r"[^\s()<>@,:;.\"\[\]\\]+"
_ADDR_SPEC = rf"\.*{_ATOM}(?:\.+{_ATOM})*\.*@\.*{_ATOM}(?:\.+{_ATOM})*\.*"
_NAME = r'(?:[^()<>@,:;"\[\]\\]|"(?:[^"\\\r]|\\.)*")*'
_PLAIN_MEMBER = re.compile(rf"\s*(?:{_NAME}<({_ADDR_SPEC})>|({_ADDR_SPEC}))\s*")


@lru_cache(maxsize=8192)
def _address_list(value: str) -> tuple[str, ...]:
    """The lower-cased addresses of a To/Cc header (its text after _header_text)."""
    found = []
    pos, end = 0, len(value)
    while True:
        m = _PLAIN_MEMBER.match(value, pos)
        if m is None or (m.end() < end and value[m.end()] != ","):
            return tuple(a.lower() for _, a in _addresses(value) if a)
        found.append((m.group(1) or m.group(2)).lower())
        if m.end() == end:
            return tuple(found)
        pos = m.end() + 1


_HEADER_PARSER = BytesHeaderParser()  # the reference _parse_header_block follows
_SPLIT = re.compile(rb"\r?\n\r?\n")  # the end of its first match = _header_end(raw)


def _header_end(raw: bytes) -> int | None:
    """Where the body starts: after the first empty line (bytes.find, not a regex scan)."""
    i = raw.find(b"\n\n")
    j = raw.find(b"\n\r\n", 0, len(raw) if i < 0 else i + 2)
    if j >= 0:
        return j + 3
    return i + 2 if i >= 0 else None

# What email.feedparser (compat32, the BytesHeaderParser default) does with a header
# block, without its line-by-line generator machinery: lines as StringIO(newline='')
# cracks them, the header section up to the first line not matching its headerRE,
# continuation lines, a leading unix-from, header_source_parse's value rule.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")


class _HeaderBlock(email.message.Message):
    """A compat32 Message of headers only, as BytesHeaderParser makes, with a dict get()."""

    def __init__(self, headers: list[tuple[str, str]]):
        super().__init__()
        self._headers = headers
        first: dict[str, tuple[str, str]] = {}
        for name, value in headers:
            first.setdefault(name.lower(), (name, value))
        self._first = first

    def get(self, name, failobj=None):
        found = self._first.get(name.lower())
        if found is None:
            return failobj
        return self.policy.header_fetch_parse(*found)


# The common case in one regex: "Name: value" fields with continuation lines, \n line
# ends only, then the empty line. Same (name, value) pairs as the loop below.
_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\n]*\n(?:[ \t][^\n]*\n)*)")
_PLAIN_BLOCK = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*\n")


def _parse_header_block(head: bytes) -> _HeaderBlock:
    text = head.decode("ascii", "surrogateescape")
    if "\r" not in text and _PLAIN_BLOCK.fullmatch(text):
        return _HeaderBlock([(name, value.rstrip("\r\n")) for name, value in _FIELD.findall(text)])
    lines = []
    for line in _LINE.findall(text):
        if not _HEADER_LINE.match(line):
            break
        lines.append(line)
    headers: list[tuple[str, str]] = []
    value: list[str] = []
    last = len(lines) - 1
    for lineno, line in enumerate(lines):
        if line[0] in " \t":
            if value:  # (a leading continuation line is dropped, as a defect)
                value.append(line)
            continue
        if value:
            name, first = value[0].split(":", 1)
            headers.append((name, (first.lstrip(" \t") + "".join(value[1:])).rstrip("\r\n")))
            value = []
        if line.startswith("From "):
            if 0 < lineno == last:
                break  # the first line of the body, really
            continue  # a unix-from (first line) or a misplaced one: not a header
        if line[0] == ":":
            continue  # no header name: a defect, skipped
        value = [line]
    if value:
        name, first = value[0].split(":", 1)
        headers.append((name, (first.lstrip(" \t") + "".join(value[1:])).rstrip("\r\n")))
    return _HeaderBlock(headers)


def _fast_body(msg: email.message.Message, raw: bytes, split: int | None, defects: list[str]) -> str | None:
    """The body of a single-part text/plain mail without running the full parser; None if not that."""
    ctype = msg.get_content_type()
    if msg.get("Content-Type") is not None and ctype != "text/plain":
        return None
    body = raw[split:] if split is not None else b""
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
    return decode_text(body, msg.get_content_charset(), defects)


def _id_header(msg: _HeaderBlock, name: str, defects: list[str]) -> str:
    """A Message-ID-bearing header's value as written. 8-bit bytes (no RFC allows them
    there) are read as UTF-8, invalid sequences kept distinct as \\xNN, and noted."""
    found = msg._first.get(name.lower())
    if found is None:
        return ""
    value = found[1]
    if not value.isascii():
        value = value.encode("ascii", "surrogateescape").decode("utf-8", "backslashreplace")
        defects.append(f"8-bit bytes in {name}")
    return value


def _from(value) -> tuple[str, str]:
    """(display name, address) of a From header. Parsed as written, the encoded-words of the
    name decoded afterwards (RFC 2047 section 6.1): a decoded name holding ':', '(' or ','
    ('=?utf-8?q?Doe=2C_John?=') would otherwise be read as a group, a comment or two
    addresses and lose the address. The decoded header's first pair when that finds none."""
    text = " ".join(str(value or "").split())
    if "=?" in text:
        pairs = _addresses(text)
        if pairs and "@" in pairs[0][1] and "=?" not in pairs[0][1]:
            return _header_text(pairs[0][0]), pairs[0][1]
    pairs = _addresses(_header_text(value))
    return pairs[0] if pairs else ("", "")


def generated_msgid(raw: bytes) -> str:
    """The Message-ID given to a mail that has none: from its bytes, so a re-ingest finds
    the same one (public-inbox also makes one from the message's digest)."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@generated.invalid"


def _date(date_raw: str, defects: list[str]):
    """The Date header as an aware datetime that also has a UTC form, else None."""
    if not date_raw:
        return None
    try:
        date = parsedate_to_datetime(date_raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # unparseable: date_raw keeps what it said (as before, no defect)
    if date is None or date.tzinfo is None:
        return None
    try:
        date.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # e.g. 31 Dec 9999 23:59:59 -2359 is in year 10000 in UTC
        defects.append(f"date out of range: {date_raw[:60]!r}")
        return None
    return date


def _full_body(raw: bytes, defects: list[str]) -> str:
    try:
        return _body_text(email.message_from_bytes(raw), defects)
    except RecursionError:
        # multipart or message/rfc822 nested hundreds deep: the email package recurses per level
        defects.append("MIME parts nested too deeply to decode: body kept as raw text")
    except Exception as exc:  # the email package on hostile input; the headers are still good
        defects.append(f"body not decodable ({type(exc).__name__}): kept as raw text")
    split = _header_end(raw)
    return raw[split:].decode("utf-8", "replace") if split is not None else ""


def parse_message(raw: bytes, origin: str) -> Message:
    """Parse one mail. What a mail may contain never makes it fail: what could not be decoded
    is listed in Message.defects and the rest is kept (a mail without a Message-ID gets one made
    from its bytes). Raises ScrapeError only for bytes that are no mail at all (no Message-ID,
    From, Date nor Subject) or that cannot be parsed (named by origin)."""
    try:
        return _parse_message(raw, origin)
    except ScrapeError:
        raise
    except Exception as exc:  # a parser bug met on hostile input: the caller skips this message
        raise ScrapeError(f"{origin}: cannot parse this message ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:120]})") from None


def _parse_message(raw: bytes, origin: str) -> Message:
    defects: list[str] = []
    # Only the header block is parsed (the email parser would stop at the first empty
    # line anyway); the body is cut out of raw below.
    split = _header_end(raw)
    msg = _parse_header_block(raw if split is None else raw[:split])
    message_id = bare_msgid(_id_header(msg, "Message-ID", defects))
    if not message_id:
        if not any(msg.get(h) for h in ("From", "Date", "Subject")):
            raise ScrapeError(f"{origin}: not an email message")
        message_id = generated_msgid(raw)
        defects.append("no Message-ID: one was made from the message's SHA-256")
    name, address = "", ""
    name, address = _from(msg.get("From"))
    date_raw = _header_text(msg.get("Date"))
    date = _date(date_raw, defects)
    body = _fast_body(msg, raw, split, defects)
    if body is None:
        body = _full_body(raw, defects)
    to = _address_list(_header_text(msg.get("To")))
    cc = _address_list(_header_text(msg.get("Cc")))
    # Ids that are the From/To/Cc addresses (or 'y'/'n') are no Message-IDs: git
    # send-email asked for In-Reply-To and got a name and address or a yes/no answer
    # ('In-Reply-To: <Jane Doe <jane@example.org>'). Kept, every series that person
    # sent that way would share a missing "parent" and merge into one thread.
    # public-inbox drops the same (PublicInbox::MID::references).
    not_ids = {address.strip().lower(), *to, *cc, "y", "n"}
    references = tuple(r for r in _MSGID.findall(_id_header(msg, "References", defects)) if r.lower() not in not_ids)
    in_reply_to = _in_reply_to(_id_header(msg, "In-Reply-To", defects), not_ids)
    return Message(
        message_id=message_id,
        subject=_header_text(msg.get("Subject")),
        from_name=name.strip().strip('"'),
        from_address=address.strip().lower(),
        date=date,
        date_raw=date_raw,
        in_reply_to=in_reply_to,
        references=references,
        body=body,
        raw=raw,
        origin=origin,
        to=to,
        cc=cc,
        list_ids=tuple(_MSGID.findall(str(msg.get("List-Id") or ""))),
        defects=tuple(dict.fromkeys(defects)),
    )
