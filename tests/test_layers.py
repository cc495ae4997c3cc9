"""The stages import in one direction (README "How it is built"): mailrecords (the shared
records) imports nothing of the project; scraper and semantics nothing but mailrecords;
analysis may use semantics and mailrecords, never scraper or the app; only hookdebate/
composes them all. Read from the source (every import, at module level or inside a function)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"mailrecords", "scraper", "semantics", "analysis", "hookdebate"}
MAY_IMPORT = {
    "mailrecords": set(),
    "scraper": {"mailrecords"},
    "semantics": set(),
    "analysis": {"mailrecords", "semantics"},
}
# known leftover, named so it cannot grow: the stance trainer reads mbox files itself (a command's job)
LEFTOVERS = {("analysis/stance_train.py", "scraper")}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_stage_imports_go_one_way(package):
    wrong = set()
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for top in _imports(path):
            if top in PROJECT and top != package and top not in MAY_IMPORT[package] \
                    and (rel, top) not in LEFTOVERS:
                wrong.add(f"{rel} imports {top}")
    assert not wrong, sorted(wrong)
