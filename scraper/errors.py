class ScrapeError(Exception):
    """A source could not be read; the message is one line a user can act on."""
