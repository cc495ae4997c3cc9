"""The Markdown report laid out for a terminal (rich), for `hookdebate report` on a tty.

The Markdown is the report; this only renders it (headings, tables, lists, emphasis; `&gt;`
entities and `\\|` escapes read as `>` and `|`). `-o FILE` and pipes get the Markdown itself.
rich honours NO_COLOR and the terminal's width.
"""
from __future__ import annotations

import sys


def print_markdown(text: str, file=None) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=file or sys.stdout).print(Markdown(text))
