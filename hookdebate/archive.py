"""The archive as a whole: thread filters shared by `threads` and `analyze`, and the
disagreement measure stored with each analyzed thread.

Contested: from a thread's stored positions, the people on each side weighted by the
messages they wrote: S (support), O (oppose), M (mixed), N (neutral) are message counts of
the people with that stance. contested = 2 * min(S, O) / (S + O + M + N): 0 when nobody
opposes (or nobody supports), 1 when everyone who wrote took a side and the two sides wrote
as much; people who stay neutral or mixed dilute it, so a two-person quarrel in a large
thread of reviews counts less than a thread split down the middle.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone

from hookdebate.errors import HookdebateError

SORTS = ("recent", "size", "people", "contested")


def contested(analysis) -> tuple[float | None, dict]:
    """(score, sides) of a ThreadAnalysis; score None when nobody took any stance."""
    sides = {s: {"people": 0, "messages": 0} for s in ("support", "oppose", "mixed", "neutral")}
    for p in analysis.positions:
        side = sides.setdefault(p.stance, {"people": 0, "messages": 0})
        side["people"] += 1
        side["messages"] += p.messages
    total = sum(v["messages"] for v in sides.values())
    if not total:
        return None, sides
    s, o = sides["support"]["messages"], sides["oppose"]["messages"]
    return round(2 * min(s, o) / total, 4), sides


def parse_day(text: str, option: str) -> date:
    try:
        if len(text) == 8 and text.isdigit():  # YYYYMMDD as lei writes it
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise HookdebateError(f"{option} {text}: not a date (expected YYYY-MM-DD, e.g. 2023-04-01)") from None


def day_start(d: date) -> str:
    """The UTC ISO string of a day's start, comparable with the stored dates."""
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).isoformat()


def day_after(d: date) -> str:
    """The UTC ISO string of the next day's start (an exclusive end). After 9999-12-31 there is
    no date: a string that sorts after every stored one ('9999-12-31T24:00:00+00:00'; the store
    keeps no UTC date later than 9999-12-31T23:59:59.999999)."""
    if d == date.max:
        return f"{day_start(d)[:11]}24:00:00+00:00"
    return day_start(d + timedelta(days=1))


def add_filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="YYYY-MM-DD", help="threads with a message on or after this day (UTC)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="threads with a message on or before this day (UTC)")
    p.add_argument("--from", dest="person", metavar="PERSON",
                   help="threads where PERSON wrote (part of a name or an address, case-insensitive)")
    p.add_argument("--subject", metavar="TEXT", help="threads whose subject contains TEXT (case-insensitive)")
    p.add_argument("--min-messages", type=int, default=0, metavar="N", help="threads of at least N messages")
    p.add_argument("--min-people", type=int, default=0, metavar="N", help="threads of at least N people")


def filters_from(args, store) -> dict:
    """Store.list_threads keyword arguments from the options; bad values are one-line errors."""
    since = parse_day(args.since, "--since") if args.since else None
    until = parse_day(args.until, "--until") if args.until else None
    if since and until and until < since:
        raise HookdebateError(f"--until {args.until} is before --since {args.since}")
    for name in ("min_messages", "min_people"):
        if getattr(args, name) < 0:
            raise HookdebateError(f"--{name.replace('_', '-')} must be 0 or more")
    person = args.person.strip() if args.person is not None else None
    if person is not None:
        if not person:
            raise HookdebateError("--from needs a name or an address")
        if not store.find_people(person):
            raise HookdebateError(f"--from {person}: no stored message is from anyone of that name or address")
    return {"since": day_start(since) if since else None, "until": day_after(until) if until else None,
            "person": person, "subject": args.subject, "min_messages": args.min_messages,
            "min_people": args.min_people}
