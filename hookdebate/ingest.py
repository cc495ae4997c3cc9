"""Ingest: the messages of mboxes, maildirs, public-inbox epochs, lore threads and LWN articles
into the store (`hookdebate ingest` is its options and ingest_sources()).

Each source's messages go to the store in one transaction (mboxes and epochs are
streamed into it, the others read fully first). A bad message (no Message-ID,
not mail) aborts that source with a one-line error and stores nothing of it;
sources named earlier stay stored. Re-ingesting is a no-op (messages are keyed
by Message-ID).
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


def collect(source: str, client, store, disable_progress: bool, lore_url=None, since=None):
    """→ (list of messages, state updates) for one source, fully parsed, nothing written."""
    import itertools

    from scraper.epochs import (EpochProgress, count_new_commits, epoch_key, flag_duplicates,
                                iter_epoch_raws, iter_maildir)
    from scraper.errors import ScrapeError
    from scraper.mbox import iter_mbox_raws
    from scraper.lore import iter_thread
    from scraper.mail import parse_message
    from scraper.sources import classify

    kind, detail = classify(source)
    state: dict[str, str] = {}
    if kind == "mbox":
        # Streamed into the store (a list-year never sits in memory whole). A bad
        # message raises part way and add_messages rolls the whole call back (one
        # savepoint), so a bad mbox stores nothing without a validation pre-pass.
        parse = _parser(detail.stat().st_size > _PARALLEL_BYTES)
        msgs = _progress(parse(iter_mbox_raws(detail)), None, str(detail.name), disable_progress)
    elif kind == "message":
        msgs = [parse_message(detail.read_bytes(), origin=str(detail))]
    elif kind == "maildir":
        msgs = list(iter_maildir(detail))
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
        msgs = _progress(flag_duplicates(parse(itertools.chain.from_iterable(raws)), seen), total,
                         Path(source).name, disable_progress)
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
        msgs = [parse_message(raw, origin=detail) for raw in raws]
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
    "skipped", "duplicates", "older_than_since", "seconds", "messages_per_second"}). since: only
    messages dated then or later (parse_since()); progress: a bar on stderr when it is a terminal."""
    disable = not progress or not sys.stderr.isatty()
    report = []
    for source in sources:
        start = time.perf_counter()
        kind, msgs, state = collect(source, client, store, disable, lore_url=lore_url, since=since)
        counter = _Counter()
        msgs = counter.wrap(msgs)
        older = _Counter()
        if since is not None:
            msgs = (m for m in msgs if m.date is None or m.date >= since or older.count())
        result = store.add_messages(msgs)
        if not older.n:
            # An epoch's state marks everything up to its last commit as read; with
            # messages left out by --since it stays where it was, so a later ingest
            # without --since still finds them.
            for key, value in state.items():
                store.set_state(key, value)
        seconds = time.perf_counter() - start
        report.append({"source": source, "kind": kind, "read": counter.n, "added": result.added,
                       "skipped": result.skipped, "duplicates": result.duplicates,
                       "older_than_since": older.n, "seconds": round(seconds, 3),
                       "messages_per_second": round(counter.n / seconds) if seconds > 0 else None})
    return report
