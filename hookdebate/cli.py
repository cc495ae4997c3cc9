"""The `hookdebate` command: a thin shell over the library.

Every user-facing failure is an exception from one of the stages' error types;
main() turns it into one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from hookdebate.commands import COMMAND_MODULES


def build_parser() -> argparse.ArgumentParser:
    from hookdebate import __version__

    parser = argparse.ArgumentParser(
        prog="hookdebate",
        description="Scrape, analyze, model and report a Linux kernel mailing-list debate.",
    )
    parser.add_argument("--version", action="version", version=f"hookdebate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"hookdebate.commands.{name}").register(sub)
    return parser


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is meant for the user (one line, no traceback).

    Called when an exception reaches main(), so it names only the stages' error types that
    are loaded by then (a stage's error can only be raised once its module is): importing
    `semantics.errors` just to name it would load the whole model package, and
    `analysis.errors` the analysis package, on every command (fetch, --help...)."""
    from hookdebate.errors import HookdebateError

    types: list[type[BaseException]] = [HookdebateError, OSError]
    for module_name, attr in (
        ("scraper.errors", "ScrapeError"),
        ("semantics.errors", "ScenarioError"),
        ("analysis.errors", "AnalysisError"),
        ("sqlite3", "DatabaseError"),  # a damaged database file (the store words the others)
    ):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attr):
            types.append(getattr(module, attr))
    return tuple(types)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc).strip() or exc.__class__.__name__
    if type(exc).__module__ == "sqlite3" and isinstance(exc, Exception):
        text = f"the database: {text} (check it with: sqlite3 FILE 'pragma integrity_check')"
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        result = args.run(args)
    except KeyboardInterrupt:
        print("hookdebate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except user_error_types() as exc:  # evaluated when an exception gets here
        print(f"hookdebate: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return int(result or 0)
