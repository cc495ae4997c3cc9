"""Failures bench/fuzz.py found, each as the smallest input that shows it (the inputs it kept are
replayed whole by tests/test_fuzz.py from tests/data/fuzz/)."""
from __future__ import annotations

import pytest

from hookdebate.cli import main

ROOT_MAIL = (b"From: Proposer <proposer@example.org>\nSubject: [PATCH] bpf: authoritative hooks\n"
             b"Message-ID: <root@example.org>\nDate: %s\n\nThis series adds hooks. I think it is right.\n")
REPLY = (b"From: Reviewer <reviewer@example.org>\nSubject: Re: [PATCH] bpf: authoritative hooks\n"
         b"Message-ID: <reply@example.org>\nIn-Reply-To: <root@example.org>\nDate: %s\n\nNAK, this is not safe.\n")


def _mbox(*mails: bytes) -> bytes:
    return b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m + b"\n" for m in mails)


@pytest.mark.parametrize("dates", [
    # fuzz seed 555: the one dated message of the thread, 9999-12-01 23:59 UTC
    (b"Fri, 1 Dec 9999 00:00 -2359", b"Fri, 31 Dec 9999 23:59:59 -2359"),
    # fuzz seed 442: 9999-01-01, the other date unreadable
    (b"Fri, 1 Jan 9999 00:00 +0000", b"9999-13-32"),
    # the same at the other end: 0001-06-01
    (b"Fri, 1 Jun 0001 00:00 +0000", b"not a date"),
])
def test_the_timeline_of_one_date_within_two_years_of_the_ends_of_time(dates, tmp_path, capsys):
    """matplotlib widens a time axis holding one instant by two years each way; from a date
    within two years of 9999-12-31 passed year 9999 (ValueError 'Matplotlib
    dates must be between year 0001 and 9999', a traceback from report --format html); year 1 is
    kept as a guard (it passed before)."""
    src = tmp_path / "t.mbox"
    src.write_bytes(_mbox(ROOT_MAIL % dates[0], REPLY % dates[1]))
    db = str(tmp_path / "f.db")
    assert main(["ingest", str(src), "--db", db, "--no-progress"]) in (0, 1)
    capsys.readouterr()
    assert main(["report", "--db", db, "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().err == ""
    assert 'id="timeline" alt="timeline" src="data:image/svg+xml;base64,' in (tmp_path / "r.html").read_text()
