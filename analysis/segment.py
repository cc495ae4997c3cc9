"""Split a mail body into typed segments.

Kinds (analysis.model.SEGMENT_KINDS): new text, quote (with depth, the person
it is attributed to and the message where it first appeared), attribution line,
signature, trailer, diff, list footer. Pure Python; no spaCy.

Handled archive realities:
  * nested quotes written '>>', '> >', '>  >';
  * indented quotes ('  > text'), treated as quotes of external text unless an
    ancestor contains them;
  * mbox From-escaping ('>From ...' that is the author's own text);
  * attribution lines over one or two lines, with U+202F / NBSP inside Gmail times,
    in the styles 'On DATE, NAME <ADDR> wrote:', 'NAME <ADDR> writes:',
    'Quoting NAME (DATE):', '* NAME <ADDR> [DATE]:';
  * wrapped quote lines that lost their '>' (a line glued to a quote block whose
    text is found in an ancestor);
  * quotes with no attribution, attributed by finding the text in an ancestor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from analysis.model import Segment
from mailrecords import Message

_QUOTE = re.compile(r"^([ \t]*)((?:>[ \t]?)+)")
_TRAILER = re.compile(
    r"^\s*(Signed-off-by|Acked-by|Reviewed-by|Tested-by|Nacked-by|NAKed-by|Reported-by|"
    r"Suggested-by|Co-developed-by|Fixes|Link|Closes|Cc|Reported-and-tested-by|Requested-by|"
    r"Originally-by|Debugged-by|Message-Id|Message-ID)\s*:\s*\S", re.I)
_DIFF_START = re.compile(r"^(diff --git |diff -[a-zA-Z]+ |Index: |--- a/|--- /dev/null|\+\+\+ b/)")
_DIFF_LINE = re.compile(r"^([ +\-@\\]|diff |index |new file mode|deleted file mode|similarity index|"
                        r"rename (from|to) |old mode|new mode|Binary files|$)")
_DIFFSTAT = re.compile(r"^\s*\S+\s+\|\s+(\d+ ?[+\-]*|Bin .*)$|^\s*\d+ files? changed")
_FOOTER = re.compile(
    r"^(_{10,}\s*$|To unsubscribe|You received this message because|--\s*$\n?You received|"
    r"Linux-\w+ mailing list|.*mailing list\s*$|https?://lists\.\S+/(mailman|listinfo)/)", re.I)
_ATTR_END = re.compile(r"(wrote|writes|said|a écrit|schrieb|escribió)\s*:\s*$", re.I)
_ATTR_QUOTING = re.compile(r"^Quoting\s+(.+?)\s*(\(.*\))?\s*:\s*$", re.I)
_ATTR_MUTT = re.compile(r"^\*\s*(.+?)\s*(<[^>]+>)?\s*\[[^\]]+\]\s*:\s*$")
_EMAIL = re.compile(r"<?([A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?")
_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp]\.?[Mm]\.?)?")
_TZ = re.compile(r"^([+\-]\d{4}|\(?[A-Z]{2,5}\)?|UTC|GMT)$")
# a line that only says text was cut here: '...', '…', '[...]', '[…]', '<snip>', '[ trimmed ]',
# '<<snip>>', '(snip)', 'snip', '-snip-', '--- snip ---', '<-- snip -->', '......snip...'; a
# sentence that opens with '...' ('... and we should check here') and a diffstat's '.../x.c | 4 +'
# are text, not markers
_SNIP = re.compile(
    r"^\s*(?:[\[<(]+\s*(?:\.{2,}|…|snip|trim|cut)[^\]>)]*[\]>)]+"
    r"|\.{3,}|…"
    r"|<?-*\s*(?:\.+\s*)?snip(?:ped)?(?:\s*\.+)?\s*-*>?)\s*$", re.I)


def is_snip_marker(line: str) -> bool:
    """Does the line only mark that the writer cut text there (what follows is not contiguous)?"""
    return bool(_SNIP.match(line))

_SHORTLOG = re.compile(r"^[^\s>].{1,60} \(\d+\):\s*$")


def norm(text: str) -> str:
    """Whitespace-collapsed text, the form quotes are compared in (U+202F and NBSP are
    whitespace too: str.split() and re's \\s take the same characters, str.isspace())."""
    return " ".join(text.split())


@dataclass
class _Line:
    text: str  # content with quote markers removed
    raw: str
    depth: int
    indented: bool
    kind: str = "new"
    attr: tuple[str | None, str | None] | None = None  # (name, address) for attribution lines


def parse_attribution(line: str) -> tuple[str | None, str | None] | None:
    """(name, address) if this line is an attribution ('On ..., X wrote:'), else None."""
    if not line.rstrip().endswith(":"):
        return None  # every form below ends in ':' (the only test most lines need)
    s = norm(line)
    if not s or len(s) > 200:
        return None
    m = _ATTR_QUOTING.match(s)
    if m:
        who = m.group(1)
        em = _EMAIL.search(who)
        name = _EMAIL.sub("", who).strip(" ,\"'") or None
        return (name, em.group(1).lower() if em else None)
    m = _ATTR_MUTT.match(s)
    if m and (m.group(2) or len(m.group(1).split()) <= 4):
        addr = m.group(2).strip("<>").lower() if m.group(2) else None
        return (m.group(1).strip(" \"'") or None, addr)
    if not _ATTR_END.search(s):
        return None
    body = _ATTR_END.sub("", s).strip()
    em = _EMAIL.search(body)
    addr = em.group(1).lower() if em else None
    if em:
        before = body[: em.start()].strip(" ,(\"'")
        name = _name_tail(before)
    else:
        name = _name_tail(body)
    if name is None and addr is None:
        return None
    return (name, addr)


def _name_tail(text: str) -> str | None:
    """The person's name at the end of an attribution's prefix ('On DATE, NAME')."""
    t = text.strip()
    if t.lower().startswith("on "):
        t = t[3:]
    # cut everything up to and including the time / timezone / last comma
    last = 0
    for m in _TIME.finditer(t):
        last = max(last, m.end())
    if last:
        t = t[last:]
        toks = t.split()
        while toks and _TZ.match(toks[0].strip(",")):
            toks.pop(0)
        t = " ".join(toks)
    if "," in t:
        t = t.rsplit(",", 1)[1]
    t = t.strip(" ,\"'()")
    t = re.sub(r"^(at|um|le)\s+", "", t)
    if not t or len(t.split()) > 6 or re.search(r"\d{3,}", t):
        return None
    return t


def _depth(raw: str) -> tuple[int, bool, str]:
    m = _QUOTE.match(raw)
    if not m:
        return 0, False, raw
    depth = m.group(2).count(">")
    content = raw[m.end():]
    return depth, bool(m.group(1)), content


def own_text(message: Message) -> str:
    """The message's unquoted lines, whitespace-collapsed (for locating quotes)."""
    return norm("\n".join(line for line in message.body.splitlines() if not _QUOTE.match(line)))


def _looks_wrapped(prev_text: str, line: str, nxt) -> bool:
    p, t = prev_text.rstrip(), line.strip()
    return (bool(p) and p[-1] not in ".?!:;)\"'" and t[:1].islower() and len(t.split()) <= 6
            and nxt is not None and nxt.depth > 0)


def looks_like_code(text: str) -> bool:
    """True for diff hunks, C code and diffstat blocks (what code review quotes)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    codeish = 0
    for line in lines:
        s = line.strip()
        if (_DIFF_START.match(s) or s.startswith(("@@", "+", "-", "#include", "#define", "}", "{", "*/", "/*", "* "))
                or s.endswith((";", "{", "}", ") {", "*/")) or _DIFFSTAT.match(line)
                or re.match(r"^(static|struct|int|void|return|if \(|if\(|for \(|while \(|else|case |u32|u64|bool|enum)\b", s)):
            codeish += 1
    return codeish / len(lines) >= 0.5


def segment_message(
    message: Message,
    ancestors: Sequence[Message] = (),
    *,
    resolve_person: Callable[[str | None, str | None], str | None] | None = None,
    author_of: dict[str, str] | None = None,
    earlier: Sequence[Message] = (),
    own_texts: Mapping[str, str] | None = None,
) -> tuple[Segment, ...]:
    """Typed segments of one message.

    ``ancestors``: the message's ancestors, root first, parent last (used to find
    where quoted text first appeared). ``earlier``: other earlier messages of the
    thread, searched when no ancestor holds a quote. ``resolve_person(name, addr)``
    maps an attribution to a person_id; ``author_of`` maps message_id -> person_id.
    ``own_texts``: message_id -> own_text() of the ancestors and earlier messages, when the
    caller has them (analysis computes each message's once, not once per reply below it).
    """
    author_of = author_of or {}
    anc = list(ancestors)
    own_texts = own_texts or {}
    anc_text = [(m, own_texts[m.message_id] if m.message_id in own_texts else own_text(m)) for m in anc]
    anc_ids = {a.message_id for a in anc}
    earlier_text = [(m, own_texts[m.message_id] if m.message_id in own_texts else own_text(m))
                    for m in earlier if m.message_id not in anc_ids]
    texts = {m.message_id: x for m, x in anc_text + earlier_text}
    anc_full = " ".join(t for _, t in anc_text)

    raw_lines = message.body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while raw_lines and not raw_lines[-1].strip():
        raw_lines.pop()
    lines: list[_Line] = []
    for raw in raw_lines:
        d, indented, content = _depth(raw)
        lines.append(_Line(text=content if d else raw, raw=raw, depth=d, indented=indented))

    # mbox From-escaping: '>From ' that is the author's own text, not a quote
    for i, ln in enumerate(lines):
        if ln.depth == 1 and ln.raw.startswith(">From ") and norm(ln.text[:60]) not in anc_full:
            ln.depth, ln.text, ln.raw = 0, ln.raw[1:], ln.raw[1:]

    is_patch = bool(re.match(r"^\s*\[[^\]]*PATCH", message.subject or "", re.I)) and not re.match(
        r"^\s*(re|aw|sv|fwd?)\s*:", message.subject or "", re.I)

    n = len(lines)
    # signature: the last '-- ' line at depth 0 with few unquoted lines after it
    sig_start = None
    for i in range(n - 1, -1, -1):
        ln = lines[i]
        if ln.depth == 0 and ln.raw.rstrip() in ("--", "-- ") and (ln.raw == "-- " or i >= n - 12):
            after = [x for x in lines[i + 1:] if x.depth == 0 and x.raw.strip()]
            if len(after) <= 12:
                sig_start = i
                break
    # list footer
    foot_start = None
    for i, ln in enumerate(lines):
        if ln.depth == 0 and _FOOTER.match(ln.raw) and i > n * 0.5:
            foot_start = i
            break
    end_body = min(x for x in (sig_start, foot_start, n) if x is not None)
    for i in range(end_body, n):
        if lines[i].depth == 0:
            lines[i].kind = "footer" if foot_start is not None and i >= foot_start else "signature"

    # patch body: from the '---' separator to the end is diffstat + diff
    in_diff = False
    for i in range(end_body):
        ln = lines[i]
        if ln.depth:
            in_diff = False
            continue
        if is_patch and (ln.raw.rstrip() == "---" or _SHORTLOG.match(ln.raw)):
            # '---' ends a patch's commit message; 'Name (N):' starts a cover letter's
            # shortlog and diffstat: patch metadata, not prose
            for j in range(i, end_body):
                if lines[j].depth == 0:
                    lines[j].kind = "diff"
            break
        if _DIFF_START.match(ln.raw):
            in_diff = True
        elif in_diff and not _DIFF_LINE.match(ln.raw):
            in_diff = False
        if in_diff:
            ln.kind = "diff"

    # trailers and attributions
    for i in range(end_body):
        ln = lines[i]
        if ln.kind != "new":
            continue
        if ln.depth == 0 and _TRAILER.match(ln.raw):
            ln.kind = "trailer"
            continue
        attr = parse_attribution(ln.text)
        if attr is None and i + 1 < end_body and lines[i + 1].depth == ln.depth and \
                norm(ln.text).lower().startswith("on ") and not _ATTR_END.search(ln.text):
            nxt = lines[i + 1]
            joined = parse_attribution(ln.text + " " + nxt.text)
            if joined and _ATTR_END.search(nxt.text) and len(norm(nxt.text)) < 100:
                attr = joined
                nxt.kind, nxt.attr = "attribution", joined
        if attr is not None and (lines[i].kind != "attribution" or lines[i].attr is None):
            # an attribution must be followed (after blanks) by deeper quoting
            j = i + 1
            while j < n and (lines[j].kind == "attribution" or not lines[j].text.strip()) and lines[j].depth <= ln.depth:
                j += 1
            if j < n and lines[j].depth > ln.depth or norm(ln.text).lower().startswith("on "):
                ln.kind, ln.attr = "attribution", attr

    # wrapped quote lines that lost their '>': glued to a quote block, text in an ancestor
    for i in range(1, end_body):
        ln, prev = lines[i], lines[i - 1]
        if ln.depth == 0 and ln.kind == "new" and ln.raw.strip() and prev.depth > 0 and prev.text.strip():
            t = norm(ln.raw)
            if len(t) >= 3 and anc_full and t in anc_full:
                ln.depth, ln.indented, ln.text = prev.depth, prev.indented, ln.raw
            elif not anc_full and _looks_wrapped(prev.text, ln.raw, lines[i + 1] if i + 1 < end_body else None):
                # no ancestor to check against (parent not archived): a lower-case line glued
                # to an unfinished quoted sentence, itself followed by quoting, is its tail
                ln.depth, ln.indented, ln.text = prev.depth, prev.indented, ln.raw

    # group into segments
    segments: list[Segment] = []
    attr_at: dict[int, tuple[str | None, str | None]] = {}
    buf: list[_Line] = []

    def flush() -> None:
        if not buf:
            return
        first = buf[0]
        kind = "quote" if first.depth and first.kind in ("new",) else first.kind
        text = "\n".join(x.text if x.depth else x.raw for x in buf).strip("\n")
        if not text.strip() and kind not in ("signature",):
            buf.clear()
            return
        qp = qm = None
        if kind == "quote":
            qm, qp = _locate(text, first.depth, attr_at.get(first.depth - 1), anc, anc_text, earlier_text,
                             resolve_person, author_of, first.indented, texts)
        segments.append(Segment(message_id=message.message_id, index=len(segments), kind=kind,
                                text=text, depth=first.depth if kind in ("quote", "attribution") else 0,
                                quoted_person=qp, quoted_message_id=qm))
        buf.clear()

    def key(x: _Line) -> tuple:
        return ("quote" if x.depth and x.kind == "new" else x.kind, x.depth if x.kind in ("new", "attribution") else 0)

    for ln in lines:
        blank = not ln.text.strip() and not ln.raw.strip()
        if ln.kind == "attribution":
            flush()
            attr_at[ln.depth] = ln.attr
            for d in list(attr_at):
                if d > ln.depth:
                    del attr_at[d]
            buf.append(ln)
            continue
        if buf and (key(ln) == key(buf[0]) or (blank and buf[0].kind != "attribution")):
            buf.append(ln)
            continue
        if blank and not buf:
            continue
        if buf and buf[0].kind == "attribution" and blank:
            continue
        flush()
        if not blank:
            buf.append(ln)
    flush()
    return tuple(segments)


def _locate(text, depth, attribution, anc, anc_text, earlier_text, resolve_person, author_of, indented, texts=None):
    """(quoted_message_id, quoted_person) for a quote block."""
    q = norm(text)
    probes = [q] if len(q) <= 300 else [q[:300]]
    longest = max((norm(x) for x in text.splitlines()), key=len, default="")
    if len(longest) >= 20 and longest not in probes:
        probes.append(longest)
    found = None
    for probe in probes:
        if len(probe) < 8:
            continue
        for m, t in anc_text:  # root first: where it first appeared
            if probe in t:
                found = m
                break
        if found is None:
            for m, t in earlier_text:
                if probe in t:
                    found = m
                    break
        if found is not None:
            break
    person = None
    if attribution is not None and resolve_person is not None:
        person = resolve_person(*attribution)
    if found is None and not indented:
        if person is not None:
            for m in reversed(anc):
                if author_of.get(m.message_id) == person:
                    found = m
                    break
        if found is None and anc:
            found = anc[-depth] if depth <= len(anc) else anc[0]
    if found is not None:
        fp = author_of.get(found.message_id)
        if fp is not None and (person is None or probes and any(len(p) >= 8 and p in (texts[found.message_id] if texts and found.message_id in texts else own_text(found))
                                                                 for p in probes)):
            person = fp
    return (found.message_id if found is not None else None), person
