"""Ingest: the messages of mboxes, maildirs, public-inbox epochs, lore threads and LWN articles
into the store (`hookdebate ingest` is its options and ingest_sources()).

Each source's messages go to the store in one transaction (mboxes and epochs are
streamed into it, the others read fully first). A message that could only partly be
decoded is stored with what could be and flagged (Message.defects, a warning line); one
that is no mail at all, or that cannot be read whole (cut off by a truncated gzip, over
the size limit), is left out with a warning line naming it, and the rest of the source is
stored (the command's exit status is then 1). A source that cannot be read at all is a
one-line error (exit 2) and stores nothing of it; sources named earlier on the command line
stay stored. Re-ingesting is a no-op (messages are keyed by Message-ID).
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path


def parse_since(text: str | None):
    """--since's YYYY-MM-DD as an aware datetime (UTC unless it names a zone); None for none."""
    if not text:
        return None
    from scraper.errors import ScrapeError

    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise ScrapeError(f"--since {text}: expected a date like 2023-04-01") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _progress(iterable, total, desc, disable):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="msg", disable=disable or None,
                file=sys.stderr, leave=False, mininterval=0.5)


# Below these sizes forking a parser process costs more than it saves.
_PARALLEL_BYTES = 1 << 20
_PARALLEL_MESSAGES = 1000


def _parser(parallel: bool):
    """→ items of (raw, origin) → Messages: a forked worker process for big sources
    (created here, before this source starts any thread), else a background thread."""
    from scraper.parallel import ParallelParser, parse_in_thread

    return ParallelParser().parse if parallel else parse_in_thread


class Notes:
    """The warnings of one source: printed as they come, one line each (the first
    WARN_LINES of a source; then how many more at the end), and counted."""

    WARN_LINES = 20

    def __init__(self, source: str):
        self.source = source
        self.left_out = 0  # messages not stored: no mail, cut off, too big
        self.flagged = 0  # messages kept with defects
        self.warnings = 0

    def warn(self, text: str) -> None:
        self.warnings += 1
        if self.warnings <= self.WARN_LINES:
            print(f"hookdebate: warning: {' '.join(text.split())}", file=sys.stderr)

    def left_out_one(self, text: str) -> None:
        """A message (or the end of a source) that is not stored."""
        self.left_out += 1
        self.warn(text)

    def finish(self) -> None:
        if self.warnings > self.WARN_LINES:
            print(f"hookdebate: warning: {self.source}: {self.warnings - self.WARN_LINES:,} more warnings "
                  f"({self.left_out:,} messages left out, {self.flagged:,} flagged in all)", file=sys.stderr)

    def kept(self, items):
        """Messages, and ScrapeErrors in place of messages that are no mail (a lenient
        parser's output) → the messages, each flagged one or left-out one said."""
        from scraper.errors import ScrapeError

        for item in items:
            if isinstance(item, ScrapeError):
                self.left_out_one(f"{item}: left out")
                continue
            if item.defects:
                self.flagged += 1
                self.warn(f"{item.origin} <{item.message_id[:200]}>: kept with what could be decoded: "
                          + "; ".join(item.defects))
            yield item


def collect(source: str, client, store, disable_progress: bool, lore_url=None, since=None,
            notes: Notes | None = None):
    """→ (list of messages, state updates) for one source, fully parsed, nothing written.
    notes: where warnings go (left-out and flagged messages, a cut-off source)."""
    import itertools

    from scraper.epochs import (EpochProgress, count_new_commits, epoch_key, flag_duplicates,
                                iter_epoch_raws, iter_maildir_raws)
    from scraper.errors import ScrapeError
    from scraper.mbox import iter_mbox_raws
    from scraper.lore import iter_thread
    from scraper.mail import parse_message
    from scraper.parallel import parse_in_thread
    from scraper.sources import classify

    notes = notes if notes is not None else Notes(source)
    kind, detail = classify(source)
    state: dict[str, str] = {}
    if kind == "mbox":
        # Streamed into the store (a list-year never sits in memory whole). A message that
        # is no mail is left out with a warning (the lenient parsers yield its error in its
        # place); a source that fails part way (unreadable) raises and add_messages rolls
        # the whole call back (one transaction), so it stores nothing.
        parse = _parser(detail.stat().st_size > _PARALLEL_BYTES)
        raws = iter_mbox_raws(detail, warn=notes.left_out_one)
        msgs = _progress(notes.kept(parse(raws, lenient=True)), None, str(detail.name), disable_progress)
    elif kind == "message":
        msgs = list(notes.kept([parse_message(detail.read_bytes(), origin=str(detail))]))
    elif kind == "maildir":
        msgs = list(notes.kept(parse_in_thread(iter_maildir_raws(detail), lenient=True)))
    elif kind == "epochs":
        prog = EpochProgress(last_commit={})
        raws, seen, totals = [], set(), []
        for repo in detail:
            last = store.get_state(epoch_key(repo))
            if last and not seen:
                # an incremental read: a Message-ID already stored from this archive is
                # a second copy the archive keeps; flag it (the store keeps it aside)
                seen.update(store.message_ids())
            try:
                totals.append(count_new_commits(repo, last))
            except ScrapeError:  # a rewritten history: iter_epoch_raws reads it all
                totals.append(None)
            raws.append(iter_epoch_raws(repo, last, prog))  # generators: nothing runs yet
        total = None if None in totals else sum(totals)
        parse = _parser(total is None or total >= _PARALLEL_MESSAGES)
        # streamed: public-inbox gives every archived message a Message-ID
        msgs = _progress(flag_duplicates(notes.kept(parse(itertools.chain.from_iterable(raws), lenient=True)),
                                         seen), total, Path(source).name, disable_progress)
        state = prog.last_commit  # filled while the messages stream into the store
    elif kind in ("article-file", "article-url"):
        from scraper.lwn import fetch_article, parse_article

        if kind == "article-file":
            article = parse_article(detail.read_bytes(), url=str(detail), max_bytes=client.limits.page_bytes)
        else:
            article = fetch_article(client, detail)
        if not article.message_ids:
            raise ScrapeError(f"{source}: the article links to no mailing-list message "
                              "(lore, lwn.net/ml/, patch.msgid.link): nothing to ingest")
        msgs, seen = [], set()
        from scraper.lwn import linked_message_ids

        for mid in linked_message_ids(article, client.limits.article_links, client.warn):
            if mid in seen:
                continue
            for m in iter_thread(mid, client, lore_url):
                if m.message_id not in seen:
                    seen.add(m.message_id)
                    msgs.append(m)
    elif kind == "lore-list":
        # the server filters by day (d:), run() by --since exactly
        raws = client.list_raws(detail, since)
        msgs = list(notes.kept(parse_in_thread(((raw, detail) for raw in raws), lenient=True)))
    else:
        msgs = list(iter_thread(detail, client, lore_url))
    return kind, msgs, state


class _Counter:
    def __init__(self):
        self.n = 0

    def count(self) -> bool:
        """Count one (always False: usable inside a filter's condition)."""
        self.n += 1
        return False

    def wrap(self, iterable):
        for item in iterable:
            self.n += 1
            yield item


def ingest_sources(store, sources, client, since: datetime | None = None, lore_url: str | None = None,
                   progress: bool = True) -> list[dict]:
    """Store each source's messages; one summary per source ({"source", "kind", "read", "added",
    "skipped", "duplicates", "older_than_since", "left_out", "flagged", "seconds",
    "messages_per_second"}; left_out: messages not stored, flagged: stored with defects). since: only
    messages dated then or later (parse_since()); progress: a bar on stderr when it is a terminal."""
    disable = not progress or not sys.stderr.isatty()
    report = []
    for source in sources:
        start = time.perf_counter()
        notes = Notes(source)
        kind, msgs, state = collect(source, client, store, disable, lore_url=lore_url, since=since,
                                    notes=notes)
        counter = _Counter()
        msgs = counter.wrap(msgs)
        older = _Counter()
        if since is not None:
            msgs = (m for m in msgs if m.date is None or m.date >= since or older.count())
        result = store.add_messages(msgs)
        notes.finish()
        if not older.n:
            # An epoch's state marks everything up to its last commit as read; with
            # messages left out by --since it stays where it was, so a later ingest
            # without --since still finds them.
            for key, value in state.items():
                store.set_state(key, value)
        seconds = time.perf_counter() - start
        report.append({"source": source, "kind": kind, "read": counter.n, "added": result.added,
                       "skipped": result.skipped, "duplicates": result.duplicates,
                       "older_than_since": older.n, "left_out": notes.left_out, "flagged": notes.flagged,
                       "seconds": round(seconds, 3),
                       "messages_per_second": round(counter.n / seconds) if seconds > 0 else None})
    return report
