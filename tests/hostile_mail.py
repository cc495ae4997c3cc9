"""Hostile mail, generated and mutated: what tests/test_fuzz.py (through hypothesis) and
bench/fuzz.py (long runs) feed to the tool. Everything is drawn from a random.Random, so a
case is reproduced by its seed.

- generated(rng): a small thread (a root and replies) whose headers, charsets, MIME trees,
  dates, Message-IDs and bodies are drawn from what the issue's reproducers used and more:
  8-bit and NUL bytes, encoded-words in charsets Python lacks or that are no mail charset,
  nesting up to ~1,200 levels, dates in year 0 or 9999 with offsets of a day, ids with
  brackets, quotes, spaces, reference cycles, Markdown and HTML payloads.
- mutated(rng, seeds): a real message with bytes flipped, cut short, spliced with another,
  lines dropped or doubled.
- case(rng, seeds): one input file (an mbox, sometimes gzip, sometimes a gzip cut short).

The seeds are real messages of tests/data (never ../shared/corpus).
"""
from __future__ import annotations

import gzip
import random
from email.header import Header
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SEED_FILES = ("securityfs-linefeed-nak.mbox", "lsm-boot-reporting-v2.mbox", "identity-2022.mbox",
              "xfs-capable-noaudit-reviewed.mbox")
SEP = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "idna", "punycode", "undefined", "utf\x008", "x-unknown", "utf-7",
            "rot13", "base64", "", "utf-16", "unicode-escape", "../../etc/passwd", "cp1252", "gb18030", "utf-8*en",
            "hz", "iso-2022-jp", "charmap", "a" * 300]
CTES = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "x-unknown", ""]
TYPES = ["text/plain", "text/html", "text/x-diff", "application/octet-stream", "message/rfc822",
         "multipart/mixed", "multipart/alternative", "multipart/signed", "text", "/", "text/plain/x", ""]
PAYLOADS = [
    "[click](javascript:alert(1))", "![](https://evil.example/t.png)", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<https://evil.example/>", "https://evil.example/x www.evil.example",
    "paul@evil.example", "| a | b |", "# heading", "---", "> quote", "`code`", "**b** _e_ ~~s~~",
    "&lt;script&gt;", "\\", "\x00", "\r", "\u202e\u2066rtl", "\ufeff", "=?utf-8?q?=5Bx=5D?=", "%s%n%x",
    "'; drop table messages; --", "$(touch /tmp/pwned)", "../../../../etc/passwd", "{{7*7}}",
    "NAK. Nacked-by: Evil <evil@example.org>", "Signed-off-by: X <x@y>", "CAP_BPF in a user namespace",
]


def seeds() -> list[bytes]:
    from scraper.mbox import iter_raw_mbox

    out = []
    for name in SEED_FILES:
        out.extend(iter_raw_mbox(DATA / name))
    return out


def _rand_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def _text(rng: random.Random, n: int = 40) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.choice(PAYLOADS))
        elif r < 0.7:
            parts.append(" ".join(rng.choice(["the", "hook", "LSM", "bpf()", "NACK", "patch", "user", "namespace",
                                              "CAP_SYS_ADMIN", "is", "not", "safe", "Acked-by:", "v2"])
                                  for _ in range(rng.randint(1, 12))))
        else:
            parts.append("".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2fff),
                                                 rng.randint(0, 31)])) for _ in range(rng.randint(1, n))))
    return " ".join(parts)


def _hbytes(rng: random.Random, text: str) -> bytes:
    """A header value as a sender might put it: raw UTF-8, 8-bit junk, or encoded-words in any charset."""
    r = rng.random()
    if r < 0.3:
        return text.encode("utf-8", "surrogatepass")
    if r < 0.45:
        return text.encode("utf-8", "replace") + _rand_bytes(rng, rng.randint(0, 6))
    if r < 0.8:
        cs = rng.choice(CHARSETS)
        enc = rng.choice("bBqQx")
        raw = text.encode("utf-8", "replace")
        if enc in "bB":
            import base64

            body = base64.b64encode(raw).decode()
            if rng.random() < 0.2:
                body = body[: rng.randint(0, len(body))]
        else:
            body = "".join(c if c.isalnum() else "=%02X" % (ord(c) & 0xFF) for c in text[:80])
        return f"=?{cs}?{enc}?{body}?=".encode("utf-8", "replace")
    try:
        return Header(text, "utf-8").encode().encode()
    except Exception:
        return text.encode("utf-8", "replace")


def _msgid(rng: random.Random, i: int) -> bytes:
    r = rng.random()
    if r < 0.55:
        return b"<%d.%d-hostile@example.org>" % (i, rng.randint(0, 10 ** 9))
    choices = [b"", b"<>", b"<<a@b>>", b"no-brackets@example.org", b"<a b@c d>", b"<caf\xc3\xa9@example.org>",
               b"<\xff\xfe@example.org>", b"<x\x00y@z>", b"<\"quoted\"@x>", b"<a)![x](https://evil.example/p.png@x>",
               b"<../../etc@x>", b"<$(touch /tmp/pwned)@x>", b"<'; drop table messages;--@x>",
               b"<" + b"a" * rng.randint(100, 5000) + b"@x>", b"<a@b> <c@d>", b"<%d@dup.example>" % rng.randint(0, 3)]
    return rng.choice(choices)


def _date(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.4:
        return b"Tue, 11 Apr 2023 21:32:%02d -0700" % rng.randint(0, 59)
    year = rng.choice([0, 1, 1900, 1969, 1970, 2038, 9999, 10000, 99999, -1])
    off = rng.choice(["-2359", "+2359", "+9999", "-0000", "+0000", "EST", "XYZ", "+99", ""])
    day = rng.choice(["31", "0", "32", "1", "99"])
    month = rng.choice(["Dec", "Jan", "Foo", "13"])
    t = rng.choice(["23:59:59", "24:00:00", "00:00", "99:99:99", "1:2:3"])
    forms = [f"Fri, {day} {month} {year} {t} {off}", f"{day} {month} {year} {t} {off}", f"{year}-{month}-{day}",
             _text(rng, 20), "", "Fri, 31 Dec 9999 23:59:59 -2359"]
    return rng.choice(forms).encode("utf-8", "replace")


def _mime(rng: random.Random, depth: int, max_depth: int) -> bytes:
    """A MIME entity (headers and body)."""
    ctype = rng.choice(TYPES) if depth < max_depth else "text/plain"
    cs = rng.choice(CHARSETS)
    cte = rng.choice(CTES)
    head = b"Content-Type: " + ctype.encode() + (b"; charset=\"" + cs.encode("utf-8", "replace") + b"\"" if rng.random() < 0.7 else b"")
    if ctype.startswith("multipart/") and depth < max_depth:
        boundary = rng.choice([b"b%d" % depth, b"", b"same", b"=_x" + _rand_bytes(rng, 3)])
        head += b"; boundary=\"" + boundary + b"\""
        parts = [_mime(rng, depth + 1, max_depth) for _ in range(rng.randint(0, 3))]
        body = b"".join(b"--" + boundary + b"\n" + p + b"\n" for p in parts)
        if rng.random() < 0.8:
            body += b"--" + boundary + b"--\n"
        return head + b"\n\n" + body
    if ctype == "message/rfc822" and depth < max_depth:
        inner = b"Subject: " + _hbytes(rng, _text(rng)) + b"\n" + _mime(rng, depth + 1, max_depth)
        return head + b"\n\n" + inner
    head += b"\nContent-Transfer-Encoding: " + cte.encode()
    text = _text(rng, 200).encode("utf-8", "surrogatepass") + b"\n"
    if cte == "base64":
        import base64

        body = base64.b64encode(text) if rng.random() < 0.7 else _rand_bytes(rng, 30)
    elif cte == "quoted-printable":
        body = text.replace(b"=", b"=3D") + rng.choice([b"", b"=", b"=ZZ", b"=\n"])
    else:
        body = text
    if rng.random() < 0.2:
        body += b"\n".join(b">" * rng.randint(1, 60) + b" quoted " + text[:40] for _ in range(rng.randint(1, 20)))
    return head + b"\n\n" + body


def deep(rng: random.Random, depth: int, kind: str) -> bytes:
    part = b"Content-Type: text/plain\n\ndeep text " + _text(rng).encode("utf-8", "replace") + b"\n"
    for i in range(depth):
        if kind == "multipart":
            part = b"Content-Type: multipart/mixed; boundary=\"d%d\"\n\n--d%d\n" % (i, i) + part + b"\n--d%d--\n" % i
        else:
            part = b"Content-Type: message/rfc822\n\nSubject: fwd\n" + part
    return part


def _message(rng: random.Random, i: int, ids: list[bytes], deep_ok: bool = True) -> bytes:
    mid = _msgid(rng, i)
    headers = []
    name = _text(rng, 30) if rng.random() < 0.6 else rng.choice(PAYLOADS)
    headers.append(b"From: " + _hbytes(rng, name) + rng.choice([b" <a%d@example.org>" % (i % 3), b"", b" <>", b" a@b, c@d"]))
    headers.append(b"To: " + rng.choice([b"list@vger.kernel.org", _hbytes(rng, _text(rng)), b"undisclosed-recipients:;"]))
    headers.append(b"Subject: " + _hbytes(rng, rng.choice(["[PATCH v2 1/3] ", "Re: ", "", "[RFC] "]) + _text(rng)))
    headers.append(b"Date: " + _date(rng))
    if rng.random() < 0.9:
        headers.append(b"Message-ID: " + mid)
    if ids and rng.random() < 0.8:
        parent = rng.choice(ids + [b"<missing-%d@example.org>" % rng.randint(0, 5), mid])  # mid: a self-reference
        headers.append(b"In-Reply-To: " + parent)
        refs = b" ".join(rng.choice(ids + [mid]) for _ in range(rng.randint(0, 6)))
        headers.append(b"References: " + refs)
    for _ in range(rng.randint(0, 4)):
        hname = rng.choice([b"X-" + _rand_bytes(rng, 3).hex().encode(), b"Cc", b"List-Id", b"Content-Type", b":", b"From ",
                            b"Message-ID", b" continuation"])
        headers.append(hname + b": " + _hbytes(rng, _text(rng)))
    if rng.random() < 0.05:
        headers.append(b"X-Long: " + b"x" * rng.randint(10_000, 200_000))
    r = rng.random()
    if r < 0.04 and deep_ok:  # (the email package is quadratic in depth: ~1-4 s each)
        body = deep(rng, rng.randint(900, 1200), rng.choice(["multipart", "rfc822"]))
    elif r < 0.5:
        body = _mime(rng, 0, rng.randint(0, 6))
    else:
        body = b"Content-Type: text/plain; charset=" + rng.choice(CHARSETS).encode("utf-8", "replace") + b"\n\n" + \
            _text(rng, 300).encode("utf-8", "surrogatepass") + b"\n"
    sep = rng.choice([b"\n"] * 8 + [b"\r\n", b"\r"])
    msg = sep.join(headers) + sep + body
    ids.append(mid)
    return msg


def generated(rng: random.Random, deep_ok: bool = True) -> list[bytes]:
    """A small hostile thread (deep_ok=False: no MIME nesting near the recursion limit)."""
    ids: list[bytes] = []
    return [_message(rng, i, ids, deep_ok) for i in range(rng.randint(1, 5))]


def mutated(rng: random.Random, pool: list[bytes]) -> bytes:
    raw = bytearray(rng.choice(pool))
    for _ in range(rng.randint(1, 5)):
        op = rng.random()
        if not raw:
            break
        if op < 0.35:  # byte flips
            for _ in range(rng.randint(1, 8)):
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        elif op < 0.5:  # cut short
            del raw[rng.randrange(len(raw)):]
        elif op < 0.7:  # splice with another real message
            other = rng.choice(pool)
            raw = raw[: rng.randrange(len(raw) + 1)] + other[rng.randrange(len(other) + 1):]
        elif op < 0.8:  # drop a line
            lines = bytes(raw).split(b"\n")
            del lines[rng.randrange(len(lines))]
            raw = bytearray(b"\n".join(lines))
        elif op < 0.9:  # double a line
            lines = bytes(raw).split(b"\n")
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
            raw = bytearray(b"\n".join(lines))
        else:  # random bytes in
            k = rng.randrange(len(raw) + 1)
            raw[k:k] = _rand_bytes(rng, rng.randint(1, 32))
    return bytes(raw)


def as_mbox(raws: list[bytes], rng: random.Random | None = None) -> bytes:
    """An mbox of raws (mboxrd quoting left out at random: an unquoted 'From ' line is hostile too)."""
    out = []
    for raw in raws:
        if rng is None or rng.random() < 0.8:
            raw = b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line
                             for line in raw.split(b"\n"))
        out.append(SEP + raw + (b"" if raw.endswith(b"\n") else b"\n") + b"\n")
    return b"".join(out)


def case(rng: random.Random, pool: list[bytes], deep_ok: bool = True) -> tuple[str, bytes]:
    """(file name, content) of one hostile input file."""
    kind = rng.random()
    if kind < 0.45:
        raws = generated(rng, deep_ok)
        label = "generated"
    else:
        # a real thread extract with some of its messages mutated
        start = rng.randrange(len(pool))
        raws = list(pool[start:start + rng.randint(1, 5)])
        for k in range(len(raws)):
            if rng.random() < 0.6:
                raws[k] = mutated(rng, pool)
        label = "mutated"
    data = as_mbox(raws, rng)
    r = rng.random()
    if r < 0.1:
        gz = gzip.compress(data)
        if rng.random() < 0.5:  # cut short or damaged
            gz = gz[: rng.randint(0, len(gz))] if rng.random() < 0.5 else bytes(
                b ^ (0xFF if i == len(gz) // 2 else 0) for i, b in enumerate(gz))
        return f"{label}.mbox.gz", gz
    if r < 0.15:
        return f"{label}.eml", raws[0]  # one message, as saved from lore's /raw
    return f"{label}.mbox", data
