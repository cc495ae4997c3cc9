"""across(): one situation under every kernel variant, one row per variant."""
from __future__ import annotations

from dataclasses import dataclass

from semantics.engine import TraceStep
from semantics.kernels import kernel_names
from semantics.model import IGNORED_HOOK, deciding_step, replay


@dataclass(frozen=True)
class KernelRow:
    """The outcome of one scenario under one variant and the check that decided it: the last step
    of a refusal, the first bypass of a grant, None when every check passes. `ignored` names the
    returns from hooks this variant lacks (the trace says so too)."""
    kernel: str
    outcome: str
    decided_by: TraceStep | None
    ignored: tuple = ()
    trace: tuple = ()

    def to_json(self) -> dict:
        return {"kernel": self.kernel, "outcome": self.outcome,
                "decided_by": self.decided_by.to_json() if self.decided_by else None,
                "ignored": list(self.ignored), "trace": [t.to_json() for t in self.trace]}


def across(scenario) -> list[KernelRow]:
    """The scenario (a Scenario or its JSON) replayed under each of kernel_names(), in that order."""
    rows = []
    for k in kernel_names():
        v = replay(scenario, k)
        ignored = tuple(t.check for t in v.trace if t.result.startswith(IGNORED_HOOK))
        rows.append(KernelRow(k, v.outcome, deciding_step(v), ignored, v.trace))
    return rows
