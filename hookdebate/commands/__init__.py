"""One module per subcommand; each defines ``register(subparsers)``.

A command module parses its own arguments and calls library code (scraper,
analysis, semantics, hookdebate.store, hookdebate.report). Heavy imports
(spaCy, matplotlib) happen inside the run function, never at module import,
so ``hookdebate --help`` and ``hookdebate replay`` stay fast.
"""

# Order here is the order in `hookdebate --help`.
COMMAND_MODULES = (
    "ingest",
    "fetch",
    "thread",
    "threads",
    "search",
    "analyze",
    "positions",
    "claims",
    "replay",
    "diff",
    "check",
    "report",
    "debate",
    "verify_quotes",
)
