"""Change-impact summaries between kernel variants, for the report: each catalog scenario's
outcome per variant where they differ (change_impact), and the enumerated difference between two
variants grouped for reading (variant_diff, from semantics.diff). analysis.link links and judges
claims; this module summarizes the model itself."""
from __future__ import annotations

from analysis.link import granted, replay_entry


def change_impact(kernels=None) -> list[dict]:
    """Each catalog scenario's outcome under every kernel variant, where they differ:
    a cheap, checkable change-impact summary (semantics.diff enumerates the full space)."""
    import semantics

    names = list(kernels or semantics.kernel_names())
    rows = []
    for e in semantics.catalog():
        outs = {}
        for k in names:
            v = replay_entry(e, k)
            outs[k] = v.outcome if v else "n/a"
        if len({o for o in outs.values() if o != "n/a"}) > 1:
            rows.append({"scenario": e.id, "claim": e.claim, "outcomes": outs})
    return rows


def _op_label(op: dict) -> tuple[str, str]:
    """(operation, variant): `bpf(BPF_MAP_CREATE)` and `map_type=HASH, map_flags=...` apart, so
    groups that differ only in the map/program type merge into one row."""
    op = dict(op)
    call = op.pop("call")
    head = op.pop("cmd", None)
    label = f"{call}({head})" if head else call
    variant = ", ".join((f"{k}=" if k not in ("map_type", "prog_type") else "")
                        + (",".join(v) if isinstance(v, list) else str(v)).replace("BPF_MAP_TYPE_", "")
                        .replace("BPF_PROG_TYPE_", "") for k, v in op.items())
    return label, variant


def variant_diff(from_kernel: str, to_kernel: str, max_conditions: int = 3) -> dict:
    """The change-impact summary between two kernel variants, from semantics.diff (which
    enumerates the bounded configuration space): totals, and the groups of configurations whose
    outcome changes, merged across map/program types when their minimal conditions agree, with
    the first few minimal conditions and one example scenario replayed under both kernels.
    Plain JSON, so the caller can cache it."""
    import time

    import semantics

    t0 = time.perf_counter()
    r = semantics.diff(from_kernel, to_kernel)
    rows: dict = {}
    for g in r.groups:
        label, variant = _op_label(g.op.to_json())
        conds = g.condition_texts()
        key = (label, g.from_outcome, g.to_outcome, tuple(conds))
        row = rows.get(key)
        if row is None:
            fa, fb = (granted(g.from_outcome), granted(g.to_outcome))
            direction = "newly allowed" if fb and not fa else "newly denied" if fa and not fb else "changed"
            va, vb = g.example_verdicts
            row = rows[key] = {
                "operation": label, "variants": [], "from_outcome": g.from_outcome, "to_outcome": g.to_outcome,
                "direction": direction, "configurations": 0, "condition_sets": len(conds),
                "unminimized": g.unminimized, "conditions": conds[:max_conditions],
                "example": g.example,
                "example_verdicts": {k: {"outcome": v.outcome, "trace": [t.to_json() for t in v.trace]}
                                     for k, v in ((from_kernel, va), (to_kernel, vb))}}
        if variant:
            row["variants"].append(variant)
        row["configurations"] += g.configurations
    groups = sorted(rows.values(), key=lambda x: (x["direction"] != "newly allowed", x["operation"],
                                                  -x["configurations"]))
    counts = {d: sum(x["configurations"] for x in groups if x["direction"] == d)
              for d in ("newly allowed", "newly denied", "changed")}
    return {"from": r.from_kernel, "to": r.to_kernel, "configurations": r.configurations, "changed": r.changed,
            "share_changed": round(r.changed / r.configurations, 4) if r.configurations else 0.0,
            "semantics_groups": len(r.groups), "groups": groups, "by_direction": counts,
            "operations": sorted({x["operation"] for x in groups}),
            "seconds": round(time.perf_counter() - t0, 3)}
