"""An LWN article's quotes checked against the stored mail: `hookdebate verify-quotes` is its
options and one call of verify_quotes(); `hookdebate debate ARTICLE` reads the article with
load_article()."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def load_article(source: str, args=None):
    """→ (Article, None) for an LWN URL or a saved LWN HTML page, (None, text) for a text file.
    args: the command's lore options (hookdebate.options.make_client), for a URL."""
    from hookdebate.errors import HookdebateError
    from scraper.lwn import fetch_article, is_lwn_url, looks_like_html, parse_article

    if is_lwn_url(source):
        from hookdebate.options import make_client

        return fetch_article(make_client(args), source.strip()), None
    path = Path(source)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise HookdebateError(f"{source}: cannot read the article: {e.strerror}") from None
    if looks_like_html(raw):
        return parse_article(raw, url=""), None
    return None, raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class QuoteCheck:
    results: list      # analysis.quotes.check_quotes(), one per quote of the article
    message_ids: frozenset[str]  # the messages the quotes were looked for in
    archive: bool      # True: anywhere in the stored archive (no --thread, several threads stored)


def verify_quotes(db, source: str, thread: str | None = None, threshold: float = 88.0,
                  args=None) -> QuoteCheck:
    """Each quote of the article `source` (load_article) looked for in the thread's messages,
    or, without `thread` and with several threads stored, in the messages the article links
    and every quote's candidates from the archive's index. The database `db` is opened once the
    article is read (an unreadable article makes none); like `report`, an empty one first gets
    the embedded thread."""
    from analysis import merge_identities
    from analysis.quotes import check_quotes, quotes_from_article, quotes_from_text
    from hookdebate.errors import HookdebateError
    from hookdebate.pipeline import ingest_default_if_empty, select_thread
    from hookdebate.store import Store

    article, text = load_article(source, args)
    store = Store(db)
    ingest_default_if_empty(store)
    archive = not thread and store.count_threads() > 1
    if archive:
        from hookdebate.store_debate import quote_candidates

        messages = store.messages(article.message_ids) if article is not None else []
    else:
        messages = select_thread(store, thread)
    people, author_of = merge_identities(messages)
    names = sorted({p.name for p in people})
    quotes = quotes_from_article(article, names) if article is not None else quotes_from_text(text, names)
    if not quotes:
        raise HookdebateError(f"{source}: no quoted passages found")
    if archive:  # an article often quotes an older thread too: every quote's candidates, from the index
        ids = {m.message_id for m in messages}
        for q in quotes:
            ids.update(quote_candidates(store, q.text))
        messages = store.messages(ids)
        people, author_of = merge_identities(messages)
    results = check_quotes(quotes, messages, author_of, {p.person_id: p.name for p in people}, threshold)
    return QuoteCheck(results, frozenset(m.message_id for m in messages), archive)
