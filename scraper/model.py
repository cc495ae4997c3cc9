"""The records the scraper hands to the rest of hookdebate: defined on the ground floor
(mailrecords), re-exported here for code that imports them from the scraper."""
from mailrecords import Article, ArticleLink, ArticleQuote, Message

__all__ = ["Article", "ArticleLink", "ArticleQuote", "Message"]
