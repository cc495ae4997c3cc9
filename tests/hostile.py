"""Hostile threads for the bounded-work tests and bench/bench_bounds.py (issue 15, Deliver 3).

Each builder returns the bytes of a small mbox: a short, ordinary root message and the hostile
part (a huge body, a huge From name, a year-9999 date, a reply chain thousands deep). The text is
real-shaped English prose (sentences made of kernel-debate words), so spaCy parses it as it would
a long mail, and every piece carries a numbered marker word (``zqmark00042``) so a test can check
that the text beyond some limit still reached the analysis.
"""
from __future__ import annotations

import random

ROOT_ID = "hostile-root@example.org"

_WORDS = ("the hook should check the capability before the map is created and the program is loaded "
          "because an unprivileged user in a container could otherwise reach the verifier with a "
          "token that was never delegated so I think this series needs another look from the "
          "maintainers").split()


def marker(i: int) -> str:
    return f"zqmark{i:05d}"


def _mail(msgid: str, body: str, *, subject: str = "Re: [PATCH] bpf: authoritative hooks",
          from_: str = "Reviewer One <reviewer@example.org>", date: str = "Tue, 2 May 2023 10:00:00 +0000",
          parent: str | None = ROOT_ID, references: tuple[str, ...] | None = None) -> bytes:
    head = [f"From {from_.split('<')[-1].rstrip('>') or 'x@example.org'} Tue May  2 10:00:00 2023",
            f"From: {from_}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{msgid}>"]
    if parent:
        head.append(f"In-Reply-To: <{parent}>")
        refs = references if references is not None else (parent,)
        head.append("References: " + " ".join(f"<{r}>" for r in refs))
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    lines = []
    for line in body.split("\n"):
        lines.append(">" + line if line.startswith("From ") else line)  # mboxrd escaping
    return ("\n".join(head) + "\n\n" + "\n".join(lines) + "\n\n").encode("utf-8")


def root() -> bytes:
    return _mail(ROOT_ID, "This series adds authoritative LSM hooks for BPF so that a BPF LSM can grant "
                          "map creation to a container. I think this is the right direction.\n\n"
                          "Signed-off-by: Proposer <proposer@example.org>",
                 subject="[PATCH] bpf: authoritative hooks", from_="Proposer <proposer@example.org>",
                 date="Mon, 1 May 2023 10:00:00 +0000", parent=None)


def prose(n_chars: int, *, sentence_words: int = 18, paragraph_sentences: int | None = 6, seed: int = 1,
          marker_every: int = 20_000) -> str:
    """About n_chars of English-like prose: sentences of sentence_words words, paragraphs of
    paragraph_sentences sentences (None: one paragraph), a marker word every marker_every chars."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    sent: list[str] = []
    n_sent = 0
    next_marker = 0
    i_marker = 0
    while size < n_chars:
        if size >= next_marker:
            w = marker(i_marker)
            i_marker += 1
            next_marker += marker_every
        else:
            w = rng.choice(_WORDS)
        sent.append(w)
        size += len(w) + 1
        if sentence_words and len(sent) >= sentence_words:
            out.append(" ".join(sent).capitalize() + ".")
            sent = []
            n_sent += 1
            if paragraph_sentences and n_sent % paragraph_sentences == 0:
                out.append("\n\n")
            else:
                out.append(" ")
            size += 2
    if sent:
        out.append(" ".join(sent) + ".")
    return "".join(out)


def big_body(n_chars: int, **kw) -> bytes:
    """A root and one reply whose new text is n_chars of prose (see prose() for the shape)."""
    return root() + _mail("hostile-big@example.org", prose(n_chars, **kw))


def one_sentence(n_chars: int) -> bytes:
    """A reply whose body is one sentence of n_chars: words, no full stop, no blank line."""
    return big_body(n_chars, sentence_words=0, paragraph_sentences=None)


def no_spaces(n_chars: int) -> bytes:
    """A reply whose body is one n_chars 'word' (base64-like, no spaces, no lines)."""
    rng = random.Random(3)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return root() + _mail("hostile-nospace@example.org", "".join(rng.choice(alphabet) for _ in range(n_chars)))


def long_lines(n_chars: int, line: int = 2_000) -> bytes:
    """A reply of many line-long 'words' (a pasted hex dump without spaces)."""
    rng = random.Random(4)
    rows = []
    for i in range(max(1, n_chars // line)):
        rows.append("".join(rng.choice("0123456789abcdef") for _ in range(line)))
    return root() + _mail("hostile-lines@example.org", "\n".join(rows))


def big_from_name(n_chars: int) -> bytes:
    """A reply from a display name of n_chars (words, so a layout can wrap it)."""
    name = " ".join(f"Name{i}" for i in range(n_chars // 8 + 1))[:n_chars]
    return root() + _mail("hostile-name@example.org", "I do not think this is safe; NAK.",
                          from_=f'"{name}" <longname@example.org>')


def big_subject(n_chars: int) -> bytes:
    """A reply whose Subject is n_chars long."""
    subject = "Re: [PATCH] bpf: " + " ".join(f"word{i}" for i in range(n_chars // 6 + 1))[:n_chars]
    return root() + _mail("hostile-subject@example.org", "I think this is fine.\n\nAcked-by: Reviewer One "
                          "<reviewer@example.org>", subject=subject)


def far_date(date: str = "Fri, 31 Dec 9999 23:59:59 +0000") -> bytes:
    """A reply dated in year 9999 (and one dated 0001 by its zone), next to ordinary ones."""
    return (root() + _mail("hostile-date@example.org", "I think this is fine.", date=date)
            + _mail("hostile-date2@example.org", "This is wrong, the check is missing.",
                    date="Mon, 1 Jan 0001 00:00:00 +0000", from_="Reviewer Two <two@example.org>"))


def deep_chain(depth: int, *, quote: bool = True) -> bytes:
    """A root and a chain of depth replies, each answering the one before (In-Reply-To and a
    short References: root and parent), each quoting its parent's last line when quote is set;
    two people take turns."""
    out = [root()]
    prev = ROOT_ID
    prev_line = "I think this is the right direction."
    for i in range(depth):
        mid = f"chain{i:06d}@example.org"
        who = ("Reviewer One <reviewer@example.org>" if i % 2 == 0 else "Proposer <proposer@example.org>")
        line = f"Reply {i}: I still think the check at step {i} is wrong."
        body = (f"> {prev_line}\n\n{line}" if quote else line)
        refs = (ROOT_ID, prev) if prev != ROOT_ID else (ROOT_ID,)
        minute, hour = i % 60, (i // 60) % 24
        day = 2 + (i // 1440) % 27
        out.append(_mail(mid, body, from_=who, parent=prev, references=refs,
                         date=f"Tue, {day} May 2023 {hour:02d}:{minute:02d}:00 +0000"))
        prev, prev_line = mid, line
    return b"".join(out)


def wide_thread(n: int) -> bytes:
    """A root with n direct replies from n different people (many participants)."""
    out = [root()]
    for i in range(n):
        out.append(_mail(f"wide{i:06d}@example.org", f"Reply {i}: I think this is wrong.",
                         from_=f"Person {i} <p{i}@example.org>",
                         date=f"Tue, 2 May 2023 {(i // 60) % 24:02d}:{i % 60:02d}:00 +0000"))
    return b"".join(out)
