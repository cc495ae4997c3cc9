"""Change impact between two kernel variants (diff): every configuration of
the bounded space whose outcome differs, grouped by operation and outcome
change, with minimized conditions, an example and the deciding checks."""
from __future__ import annotations

import time
from dataclasses import dataclass

from semantics.describe import describe, explain, op_text, to_scenario
from semantics.engine import outcome_of
from semantics.kernels import load_kernel
from semantics.minimize import LeafIndex, _in_cube, minimize
from semantics.model import decide
from semantics.scenario import Op, parse_scenario
from semantics.space import Context, _base_assign, _no_gc, _same, leaves_and_weights, space_ops


MINIMIZE_BUDGET = 12


@dataclass(frozen=True)
class DiffGroup:
    op: Op
    from_outcome: str
    to_outcome: str
    conditions: tuple          # minimized assignments, each a tuple of (field, value)
    example: dict              # one scenario (contract JSON, kernel = to)
    example_verdicts: tuple    # (Verdict under from, Verdict under to)
    configurations: int        # configurations of the space in this group
    unminimized: int = 0       # trailing conditions left as raw cubes (minimization budget spent)
    why: str = ""              # the deciding check under each kernel (from the example's traces)

    def op_text(self) -> str:
        return op_text(self.op)

    def condition_texts(self, limit: int | None = None) -> list:
        """The conditions in words (the first ``limit`` only, if given)."""
        conds = self.conditions if limit is None else self.conditions[:limit]
        return [describe(dict(c)) for c in conds]


@dataclass(frozen=True)
class DiffResult:
    from_kernel: str
    to_kernel: str
    groups: tuple
    configurations: int        # size of the whole space enumerated
    changed: int               # configurations whose outcome differs
    leaves: int                # cubes evaluated
    seconds: float

    def to_json(self) -> dict:
        return {"from": self.from_kernel, "to": self.to_kernel, "configurations": self.configurations,
                "changed": self.changed, "cubes": self.leaves, "seconds": round(self.seconds, 3),
                "groups": [{"op": g.op.to_json(), "from_outcome": g.from_outcome, "to_outcome": g.to_outcome,
                            "configurations": g.configurations, "when": g.condition_texts(),
                            "unminimized": g.unminimized, "why": g.why,
                            "example": g.example,
                            "example_verdicts": [v.to_json() for v in g.example_verdicts]}
                           for g in self.groups]}


def diff(from_kernel: str, to_kernel: str, ops=None, minimal: bool = True, naive: bool = False) -> DiffResult:
    """The change impact of one kernel variant against another: every
    configuration of the bounded space whose outcome differs, grouped by
    operation and outcome change (DiffGroup: op, from_outcome, to_outcome,
    configurations, conditions minimized to the fewest distinguishing
    fields, condition_texts(), why = the deciding check under each kernel,
    an example scenario with both verdicts and traces), with totals
    (DiffResult: configurations, changed, groups, cubes, seconds; to_json()).

    Pure and deterministic; nothing is cached between calls (the caller may:
    the result depends only on the semantics code and data/kernels).

    Cost, measured on this project's 2-core machine (semantics/NOTES.md):
    v6.3 <-> proposal-2023-04 about 0.1 s; any pair with v6.9 about 1.1-1.5 s
    of CPU (the token operations make the space ~3e11 configurations in ~75,000
    cubes), about 45 MB peak for the whole process; minimal=False saves ~15%.
    ``ops`` (a sequence of Op) restricts the enumeration to those operations
    and costs proportionally less.  ``naive=True`` is the reference
    enumeration (model re-run at every tree node, cubes re-explored to
    minimize): same result, about 5x slower; for tests and the benchmark."""
    with _no_gc():
        return _diff(from_kernel, to_kernel, ops, minimal, naive)


def _diff(from_kernel: str, to_kernel: str, ops, minimal: bool, naive: bool = False) -> DiffResult:
    t0 = time.perf_counter()
    ka, kb = load_kernel(from_kernel), load_kernel(to_kernel)
    ops = ops if ops is not None else space_ops((ka.name, kb.name))
    groups = []
    total = changed = nleaves = 0
    for op in ops:
        ctx = Context(op, ((ka.name, _same), (kb.name, _same)))
        evs = ctx.evaluators(naive=naive)
        leaves = leaves_and_weights(ctx, evs, _base_assign(op))
        nleaves += len(leaves)
        diffs: dict = {}
        index = None
        for li, (a, (ra, rb), wgt) in enumerate(leaves):
            total += wgt
            oa, ob = outcome_of(ra), outcome_of(rb)
            if oa != ob:
                changed += wgt
                diffs.setdefault((oa, ob), []).append((a, wgt, li))
        for (oa, ob), items in sorted(diffs.items()):
            conds, seen = [], set()
            # greedy cover: minimize one leaf, drop every leaf its cube contains, repeat
            # (at most MINIMIZE_BUDGET minimizations per group; the rest stay as cubes)
            remaining = [(a, li) for a, _, li in items]
            budget = MINIMIZE_BUDGET if minimal else 0
            if remaining and budget > 0 and index is None and not naive:
                index = LeafIndex([(a, r) for a, r, _ in leaves])
            while remaining and budget > 0:
                a, _ = remaining.pop(0)
                m = minimize(ctx, evs, a, (oa, ob), index=index)
                budget -= 1
                if index is not None:
                    inside = index.members(index.inside(m))    # the leaves m's cube contains (as _in_cube)
                    remaining = [r for r in remaining if r[1] not in inside]
                else:
                    remaining = [r for r in remaining if not _in_cube(r[0], m)]
                key = tuple(sorted(m.items(), key=lambda kv: str(kv[0])))
                if key not in seen:
                    seen.add(key)
                    conds.append(key)
            if minimal:
                # a condition implied by a smaller one adds nothing
                conds = [c for c in conds if not any(o != c and set(o) <= set(c) for o in conds)]
            unminimized = len(remaining)
            for a, _ in remaining:
                conds.append(tuple(sorted(a.items(), key=lambda kv: str(kv[0]))))
            head, tail = conds[:len(conds) - unminimized], conds[len(conds) - unminimized:]
            head.sort(key=lambda c: (len(c), describe(dict(c))))
            conds = head + tail
            # the example (and the group's 'why', drawn from its traces) must replay to the group's own
            # outcomes: the first condition set's completion, else one of the group's leaves that does
            for cand in [dict(conds[0])] + [dict(a) for a, _, _ in items[:64]]:
                exb = _one_example(to_scenario(cand, op, kb, f"diff-{ka.name}-to-{kb.name}", ctx=ctx),
                                   to_scenario(cand, op, ka, f"diff-{ka.name}-to-{kb.name}", ctx=ctx), kb)
                parsed = parse_scenario(exb)
                va, vb = decide(parsed, ka.name), decide(parsed)
                if (va.outcome, vb.outcome) == (oa, ob):
                    break
            groups.append(DiffGroup(op, oa, ob, tuple(conds), exb, (va, vb), sum(w for _, w, _ in items), unminimized,
                                    explain(va, vb)))
    return DiffResult(ka.name, kb.name, tuple(groups), total, changed, nleaves, time.perf_counter() - t0)


def _one_example(exb: dict, exa: dict, kb) -> dict:
    """The one scenario a group prints and both its verdicts replay: the to-kernel's spelling, plus
    the returns the from-kernel's spelling sets for hooks the to-kernel lacks (the proposal's
    bpf_map_create_security seen from v6.3 -> proposal is there; replayed under v6.3 it is ignored
    with a trace line, as `replay --file --kernel` does)."""
    lsm = []
    for mb, ma in zip(exb["lsm"], exa["lsm"]):
        rets = dict(mb["returns"])
        for hook, r in ma["returns"].items():
            if kb.own_hook(hook) is None:
                rets.setdefault(hook, r)
        lsm.append({"name": mb["name"], "returns": rets})
    return {**exb, "lsm": lsm}
