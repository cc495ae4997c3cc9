"""Sources → parsed messages. Imports nothing else of hookdebate.

The names below load on first use (PEP 562): `hookdebate fetch` reads no mail and
should not pay for the email package's imports."""
from scraper.errors import ScrapeError

_LAZY = {
    "bare_msgid": "mailrecords", "parse_message": "scraper.mail",
    "iter_mbox": "scraper.mbox", "iter_raw_mbox": "scraper.mbox",
    "Article": "scraper.model", "ArticleLink": "scraper.model", "ArticleQuote": "scraper.model",
    "Message": "scraper.model",
}

__all__ = [
    "Article", "ArticleLink", "ArticleQuote", "Message", "ScrapeError",
    "bare_msgid", "iter_mbox", "iter_raw_mbox", "parse_message",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scraper' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
