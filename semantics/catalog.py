"""The scenario catalog: data/scenarios/*.json.

Each entry: a contract scenario, the claim from the thread it tests, the
Message-ID it comes from, the concepts it involves (ids of the project's
concept lexicon, for picking scenarios by concept) and the expected outcome
per kernel where known.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from semantics.errors import ScenarioError
from semantics.kernels import data_dir
from semantics.scenario import Scenario, parse_scenario

ENTRY_FIELDS = ("scenario", "claim", "source", "concepts", "expected")


@dataclass(frozen=True)
class CatalogEntry:
    scenario: Scenario
    claim: str
    source: str                      # Message-ID (without <>)
    concepts: tuple = ()
    expected: tuple = ()             # ((kernel, outcome), ...)
    raw: dict = field(default=None, compare=False, hash=False)

    @property
    def id(self) -> str:
        return self.scenario.id

    def expected_for(self, kernel: str):
        return dict(self.expected).get(kernel)

    def scenario_json(self) -> dict:
        return dict(self.raw) if self.raw is not None else self.scenario.to_json()


def catalog() -> list[CatalogEntry]:
    out, seen = [], set()
    for p in sorted((data_dir() / "scenarios").glob("*.json")):
        items = json.loads(p.read_text())
        for i, e in enumerate(items):
            if not isinstance(e, dict):
                raise ScenarioError(f"{p}: entry #{i}: expected an object")
            for k in e:
                if k not in ENTRY_FIELDS:
                    raise ScenarioError(f"{p}: entry #{i}: unknown field {k!r}")
            try:
                s = parse_scenario(e["scenario"])
            except ScenarioError as exc:
                raise ScenarioError(f"{p}: entry #{i}: {exc}") from None
            if s.id in seen:
                raise ScenarioError(f"{p}: duplicate scenario id {s.id!r}")
            seen.add(s.id)
            out.append(CatalogEntry(scenario=s, claim=e.get("claim", ""), source=e.get("source", ""),
                                    concepts=tuple(e.get("concepts", ())),
                                    expected=tuple(sorted((e.get("expected") or {}).items())), raw=e["scenario"]))
    return out


def by_id(scenario_id: str) -> CatalogEntry:
    for e in catalog():
        if e.id == scenario_id:
            return e
    raise ScenarioError(f"no scenario {scenario_id!r} in the catalog (hookdebate replay --list shows them)")


def by_concept(concept: str) -> list[CatalogEntry]:
    c = concept.lower()
    return [e for e in catalog() if any(x.lower() == c for x in e.concepts)]
