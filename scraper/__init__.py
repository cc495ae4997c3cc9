"""Sources → parsed messages. Imports nothing else of hookdebate."""
from scraper.errors import ScrapeError
from scraper.mail import bare_msgid, parse_message
from scraper.mbox import iter_mbox, iter_raw_mbox
from scraper.model import Article, ArticleLink, ArticleQuote, Message

__all__ = [
    "Article", "ArticleLink", "ArticleQuote", "Message", "ScrapeError",
    "bare_msgid", "iter_mbox", "iter_raw_mbox", "parse_message",
]
