"""Composition for `hookdebate debate` and `report --debate`: gather a debate from the store
(analysis.debate over hookdebate.store_debate), read each version (stance per version with the
thread analysis, cached in the store like the single-thread commands), and build the JSON
contract of docs/DESIGN.md."""
from __future__ import annotations

from pathlib import Path

from hookdebate.errors import HookdebateError
from hookdebate.store import Store, digest_of


def _analyze_cached(store: Store):
    import analysis
    from hookdebate.pipeline import _analysis_fingerprint

    fingerprint = _analysis_fingerprint()

    def run(messages):
        digest = digest_of(messages) + ":" + fingerprint
        key = "debate:" + digest_of(messages)[:24]
        cached = store.load_cached(key, digest)
        if cached is not None:
            return cached
        result = analysis.analyze(messages)
        store.save_cached(result, digest, key)
        return result

    return run


def gather_debate(store: Store, target: str, *, overrides: str | Path | None = None, stance: bool = True,
                  min_confidence: float | None = None) -> dict:
    """The debate the Message-ID `target` belongs to, as the JSON contract (a dict)."""
    from analysis import debate as D
    from analysis.errors import AnalysisError
    from hookdebate.store_debate import StoreCorpus, postings
    from scraper.lore import parse_lore_ref
    from scraper.errors import ScrapeError

    if not store.count_messages():
        raise HookdebateError(f"{store.path}: no messages stored; run 'hookdebate ingest SOURCE' first")
    try:
        msgid = parse_lore_ref(target).message_id if "://" in target else target.strip().strip("<>").strip()
    except ScrapeError as e:
        raise HookdebateError(str(e)) from None
    if not target.strip():
        raise HookdebateError("no Message-ID given: expected a Message-ID, a lore URL or an LWN article")
    if not msgid or "@" not in msgid:
        raise HookdebateError(f"{target}: expected a Message-ID, a lore URL or an LWN article")
    corpus = StoreCorpus(store)
    P = postings(store, corpus)
    kw = {} if min_confidence is None else {"min_confidence": min_confidence}
    try:
        debate = D.gather(msgid, corpus, overrides=D.load_overrides(overrides), postings=P, **kw)
    except AnalysisError as e:
        raise HookdebateError(str(e)) from None
    D.load_bodies(debate, corpus)
    vers = D.versions(debate)
    by_stance = D.with_nacks(debate, D.stances(debate, _analyze_cached(store), store.messages), vers) if stance else {}
    objs = D.objections(debate, by_stance, vers) if stance else []
    out = D.outcome(debate, vers, objs)
    return D.to_json(debate, vers, by_stance if stance else None, objs, out)


def article_debates(store: Store, article, **kw) -> dict:
    """Every thread an LWN article links and the debates they belong to."""
    from hookdebate.store_debate import StoreCorpus, postings

    corpus = StoreCorpus(store)
    P = postings(store, corpus)
    debates, seen, missing = [], set(), []
    for mid in article.message_ids:
        if mid not in P.unit_of:
            missing.append(mid)
            continue
        if P.unit_of[mid] in seen:
            continue
        d = gather_debate(store, mid, **kw)
        seen.update(t["root"] for t in d["threads"])
        debates.append(d)
    return {"article": {"url": article.url, "title": article.title, "date": article.date,
                        "links": len(article.message_ids)},
            "debates": debates, "not_stored": missing}


def target_debates(db: Path, target: str, lore_args=None, **kw) -> tuple:
    """`hookdebate debate TARGET`: (None, gather_debate()) for a Message-ID or lore URL; for an LWN
    article (URL or saved page) (the Article, article_debates()). lore_args: the command's lore
    options (hookdebate.options.make_client), for an article's URL; kw: gather_debate's. A target
    that can only be a path and is no readable file is said before the database is opened."""
    _check_path(target)
    store = Store(db, create=False)
    if not _is_article(target):
        return None, gather_debate(store, target, **kw)
    from hookdebate.quotes import load_article

    article, _ = load_article(target, lore_args)
    if article is None:
        raise HookdebateError(f"{target}: not an LWN article page (no links to mailing-list messages read)")
    data = article_debates(store, article, **kw)
    if not data["debates"]:
        raise HookdebateError(f"{target}: none of the {len(article.message_ids)} messages it links is stored")
    return article, data


def _is_article(target: str) -> bool:
    from scraper.lwn import is_lwn_url

    if is_lwn_url(target):
        return True
    try:
        return Path(target).is_file()
    except (OSError, ValueError):
        return False


def _check_path(target: str) -> None:
    """A target that can only be a saved article's path (no '@', a '/' or an .html/.txt name)
    that is not a readable file: say so, not 'expected a Message-ID'."""
    t = target.strip()
    if "@" in t or "://" in t or not t or not ("/" in t or t.lower().endswith((".html", ".htm", ".txt"))):
        return
    p = Path(t)
    if p.is_dir():
        raise HookdebateError(f"{t}: is a directory (expected a Message-ID, a lore URL or an LWN article page)")
    if not p.exists():
        raise HookdebateError(f"{t}: no such file (expected a Message-ID, a lore URL or an LWN article page)")
