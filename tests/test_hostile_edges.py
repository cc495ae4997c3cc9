"""Edges found around issue 15's reproducers. Dates at the ends of what datetime holds: year 9999
and year 1, and zones that put a date past 9999-12-31 or before 0001-01-01 in UTC ('Fri, 31 Dec
9999 23:59:59 -2359'); a name matplotlib has no glyph for.

The parser stores such a Date as no date (flagged, tests/test_hostile_ingest.py); these are the
paths around it: the archive filters' last day (--until 9999-12-31, search d:..99991231 were an
OverflowError traceback: the day after it has no date), and a Message made by a library caller
with such a date (Store.add_messages computed its UTC sort key with astimezone: OverflowError).
"""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

from conftest import THREAD_MBOX
from hookdebate.cli import main
from hookdebate.store import Store
from hostile import far_date
from scraper.mbox import iter_raw_mbox
from scraper.mail import parse_message


def _ingest(tmp_path, data: bytes):
    src = tmp_path / "far.mbox"
    src.write_bytes(data)
    db = tmp_path / "far.db"
    assert main(["ingest", str(src), "--db", str(db), "--no-progress"]) == 0
    return db


def test_the_last_day_there_is_as_until(tmp_path, capsys):
    # replies dated 9999-12-31 23:59:59 +0000 and 'Mon, 1 Jan 0001' (which email.utils reads as
    # a two-digit year: 2001)
    db = _ingest(tmp_path, far_date())
    capsys.readouterr()
    assert main(["threads", "--until", "9999-12-31", "--since", "0001-01-01", "--db", str(db), "--json"]) == 0
    (t,) = json.loads(capsys.readouterr().out)["threads"]
    assert t["messages"] == 3
    assert main(["search", "d:00010101..99991231", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["threads"]
    # the last day holds the 9999 reply and nothing else
    assert main(["search", "d:99991231..99991231", "--db", str(db), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert [h["message_id"] for h in hits] == ["hostile-date@example.org"]
    assert main(["threads", "--since", "9999-12-31", "--db", str(db), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["threads"]) == 1


def test_a_library_message_past_9999_in_utc_is_stored_and_read(tmp_path, capsys):
    raws = list(iter_raw_mbox(THREAD_MBOX))[:3]
    msgs = [parse_message(r, "t") for r in raws]
    late = timezone(-timedelta(hours=23, minutes=59))
    early = timezone(timedelta(hours=23, minutes=59))
    msgs[1] = dataclasses.replace(msgs[1], date=datetime(9999, 12, 31, 23, 59, 59, tzinfo=late))
    msgs[2] = dataclasses.replace(msgs[2], date=datetime(1, 1, 1, 0, 0, 0, tzinfo=early))
    db = tmp_path / "lib.db"
    store = Store(db)
    assert store.add_messages(msgs).added == 3  # was OverflowError from astimezone
    back = {m.message_id: m for m in store.messages()}
    assert back[msgs[1].message_id].date == msgs[1].date and back[msgs[2].message_id].date == msgs[2].date
    rows = dict(store.db.conn.execute("select message_id, date_utc from messages"))
    assert rows[msgs[1].message_id] == "9999-12-31T23:59:59.999999+00:00"  # sorts last
    assert rows[msgs[2].message_id] == "0001-01-01T00:00:00+00:00"  # sorts first
    assert main(["thread", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "9999-12-31 23:59 -2359" in out and "0001-01-01 00:00 +2359" in out
    for fmt in ("md", "html", "json"):
        assert main(["report", "--db", str(db), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")]) == 0
    # the debate's postings index reads dates back from UTC seconds (year 0 was a ValueError)
    assert main(["debate", msgs[0].message_id, "--db", str(db), "--json", "--no-stance"]) == 0
    assert json.loads(capsys.readouterr().out)["versions"]


def test_argument_map_of_a_name_with_a_control_character_says_nothing():
    """A From name holding \\x05 (bench/fuzz.py, seed 100001): the map laid out its boxes with
    fig.canvas.draw() outside the glyph-warning filter, so the HTML report wrote matplotlib's
    'UserWarning: Glyph 5 missing from font(s)' on stderr."""
    import warnings

    from hookdebate.report.pictures import argument_map

    def claim(author, to):
        return {"author": author, "verdict": "cannot judge", "relation": "attack",
                "responds_to": {"author": to, "message_id": "x", "quote": "q"}}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = argument_map({"claims": [claim("Ann\x05", "Bob \u4e2d\u6587"), claim("Bob \u4e2d\u6587", "Ann\x05")]})
    assert svg.startswith(b"<?xml") or b"<svg" in svg[:500]
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught]
