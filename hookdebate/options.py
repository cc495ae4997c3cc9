"""Options that several commands share (--db, --json, the lore client's), in one place.

Commands import these from here, not from cli.py (which only assembles the commands).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hookdebate" / "hookdebate.db"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"SQLite database (default: {default_db_path()}; env HOOKDEBATE_DB)",
    )


def resolve_db(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None):
        return args.db
    env = os.environ.get("HOOKDEBATE_DB")
    return Path(env) if env else default_db_path()


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def add_lore_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lore-url", help="public-inbox base for bare Message-IDs "
                   "(default: $HOOKDEBATE_LORE_URL, git config b4.midmask, https://lore.kernel.org/all/)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the HTTP cache")
    p.add_argument("--cache-dir", help="HTTP cache directory (default ~/.cache/hookdebate/lore)")
    p.add_argument("--cache-ttl", type=float, default=600.0, help="seconds a cached answer stays fresh")
    p.add_argument("--http-limit", action="append", default=[], metavar="NAME=VALUE",
                   help="change one limit of the network work (repeatable; names and defaults in "
                        "scraper/limits.py: request_seconds=30, command_seconds=300, "
                        "retry_after_seconds=20, response_bytes=64M, mbox_bytes=128M, "
                        "walk_messages=200, article_links=100...)")


def make_client(args, **defaults):
    """The lore client the --lore-url/--no-cache/--cache-dir/--cache-ttl/--http-limit options
    describe; `defaults` are a command's own limits, which --http-limit still overrides."""
    import sys

    from scraper.limits import Limits
    from scraper.lore import LoreClient

    def warn(text: str) -> None:
        print(f"hookdebate: warning: {text}", file=sys.stderr)

    return LoreClient(cache_dir=args.cache_dir, ttl=args.cache_ttl, use_cache=not args.no_cache,
                      limits=Limits().replace(**defaults).with_overrides(getattr(args, "http_limit", None)),
                      on_warning=warn)
