"""Properties checked over the bounded space (check): each a search for a
violating cube, minimized to a counterexample scenario."""
from __future__ import annotations

from dataclasses import dataclass

from semantics.describe import describe, op_text, to_scenario
from semantics.engine import outcome_of
from semantics.kernels import Kernel, load_kernel
from semantics.minimize import LeafIndex, minimize
from semantics.model import decide
from semantics.scenario import ALL, Op, parse_scenario
from semantics.space import RETS, SPACE, STACKS, Context, _base_assign, _no_gc, _no_lsm, _same, _solo, delegation_target, leaves_and_weights, space_ops
from semantics.vocab import DELEGATE_KINDS


@dataclass(frozen=True)
class PropertyResult:
    name: str
    kernel: str
    holds: bool
    configurations: int
    detail: str
    counterexample: dict | None = None       # contract scenario
    verdicts: tuple = ()                      # Verdicts showing the violation
    comparison: dict | None = None            # the scenario it is compared with

    def to_json(self) -> dict:
        return {"property": self.name, "kernel": self.kernel, "holds": self.holds,
                "configurations": self.configurations, "detail": self.detail,
                "counterexample": self.counterexample, "compared_with": self.comparison,
                "verdicts": [v.to_json() for v in self.verdicts]}


def _search(kernel: Kernel, ops, views, start, violated, forces=None, want_min=True, first_only=False, rets=None):
    """Explore each op with the views; return (configurations, best violation).
    first_only: stop at the first violating cube (then configurations counts
    only what was explored before it)."""
    total, best = 0, None
    for op in ops:
        ctx = Context(op, tuple((kernel.name, v) for v in views), rets=rets)
        evs = ctx.evaluators(forces)
        st = dict(_base_assign(op))
        st.update(start(op) if callable(start) else start)
        leaves = leaves_and_weights(ctx, evs, st)
        index = None
        for a, rs, wgt in leaves:
            total += wgt
            if violated(rs, a, op):
                if want_min and index is None:
                    index = LeafIndex([(x, r) for x, r, _ in leaves])
                m = minimize(ctx, evs, a, tuple(outcome_of(x) for x in rs), keep=tuple(st), index=index) if want_min else a
                if best is None or len(m) < len(best[1]):
                    best = (op, m, rs, ctx)
                if first_only:
                    return total, best
    return total, best


NON_AUTH = "no LSM return turns a deny of the kernel's own checks into an allow"
STACKING = "one module's return never hides another module's denial"
CHILD_MAP = "a task in a child user namespace cannot create a CAP_BPF-only map without a token"
TOKEN_BOUND = "a token never grants more than its delegation options"
SYSCTL_ONE_WAY = "kernel.unprivileged_bpf_disabled=1 cannot be changed (one-way)"


def prop_lsm_non_authoritative(kernel: Kernel) -> PropertyResult:
    """Each configuration against itself with no LSM at all."""
    total, best = _search(kernel, space_ops((kernel.name,)), (_same, _no_lsm), {},
                          lambda rs, a, op: rs[0] == 0 and rs[1] != 0)
    if best is None:
        return PropertyResult(NON_AUTH, kernel.name, True, total,
                              "every configuration allowed with the LSM stack is also allowed with no LSM at all")
    op, m, (ra, rb), ctx = best
    ce = to_scenario(m, op, kernel, f"counterexample-{kernel.name}", ctx=ctx)
    cmp_ = to_scenario(m, op, kernel, f"compared-{kernel.name}-no-lsm", view=_no_lsm, ctx=ctx)
    return PropertyResult(NON_AUTH, kernel.name, False, total,
                          f"{op_text(op)} is allowed with the LSM stack but the kernel's own checks deny it "
                          f"({outcome_of(rb)} with no LSM) when: {describe(m)}",
                          ce, (decide(parse_scenario(ce)), decide(parse_scenario(cmp_))), cmp_)


NON_POSITIVE = (None, -1, 0)


def _stacking_search(kernel: Kernel, rets, first_only):
    total, best = 0, None
    for order in (st for st in STACKS if len(st) == 2):
        for solo in (0, 1):
            # a violation: the stack allows, the module alone denies, and the
            # kernel's own checks (no LSM) allow, so the denial was the module's
            t, b = _search(kernel, space_ops((kernel.name,)), (_same, _solo(solo), _no_lsm), {"stack": order},
                           lambda rs, a, op: rs[0] == 0 and rs[1] != 0 and rs[2] == 0,
                           first_only=first_only, rets=rets)
            total += t
            if b is not None and (best is None or len(b[1]) < len(best[1][1])):
                best = (solo, b)
            if best is not None and first_only:
                return total, best
    return total, best


def prop_stacking(kernel: Kernel) -> PropertyResult:
    """Two stacked modules against each module alone with the same returns;
    then again with module returns limited to 0 and negative errnos."""
    total, best = _stacking_search(kernel, RETS, first_only=True)
    t2, best2 = _stacking_search(kernel, NON_POSITIVE, first_only=True)
    restricted = ("With returns limited to 0 and -errno (what a restrictive module returns) it "
                  + ("holds: the first negative return ends the walk and every caller denies on it ("
                     f"{t2} configurations)." if best2 is None else "still fails."))
    if best is None:
        return PropertyResult(STACKING, kernel.name, True, total,
                              "whatever one module denies alone stays denied when another module is stacked with it. " + restricted)
    solo, (op, m, (ra, rb, _), ctx) = best
    stack = m["stack"]
    ce = to_scenario(m, op, kernel, f"counterexample-{kernel.name}", ctx=ctx)
    cmp_ = to_scenario(m, op, kernel, f"compared-{kernel.name}-{stack[solo]}-alone", view=_solo(solo), ctx=ctx)
    other = stack[1 - solo]
    return PropertyResult(STACKING, kernel.name, False, total,
                          f"{op_text(op)}: {stack[solo]} alone denies ({outcome_of(rb)}) but stacked as "
                          f"[{', '.join(stack)}] the call is allowed, and with no LSM it is allowed too, so the denial "
                          f"was {stack[solo]}'s: {other}'s return takes effect first (call_int_hook() stops at the first "
                          f"return that is not the stop value; a positive return is ignored by restrictive callers, "
                          f"bypasses the remaining checks under the proposal, and a refused security_bpf_token_cmd() "
                          f"makes bpf() drop the token); when: {describe(m)}. " + restricted,
                          ce, (decide(parse_scenario(ce)), decide(parse_scenario(cmp_))), cmp_)


CAP_BPF_ONLY_MAPS = tuple(SPACE["properties"]["child_no_capbpf_map"]["map_types"])


def prop_child_no_capbpf_map(kernel: Kernel) -> PropertyResult:
    ops = [Op(call="bpf", cmd="BPF_MAP_CREATE", map_type=mt) for mt in CAP_BPF_ONLY_MAPS if mt in kernel.map_types]
    total, best = _search(kernel, ops, (_same,), {"userns": "child"}, lambda rs, a, op: rs[0] == 0)
    if best is None:
        return PropertyResult(CHILD_MAP, kernel.name, True, total,
                              "every child-namespace task is denied, whatever its namespaced capabilities, the sysctl and the LSM returns")
    op, m, _, ctx = best
    ce = to_scenario(m, op, kernel, f"counterexample-{kernel.name}", ctx=ctx)
    return PropertyResult(CHILD_MAP, kernel.name, False, total,
                          f"{op_text(op)} is allowed for a child-namespace task without a token when: {describe(m)}",
                          ce, (decide(parse_scenario(ce)),))


def _covered(kernel: Kernel, op: Op, a: dict) -> bool:
    for kind in DELEGATE_KINDS:
        t = delegation_target(kernel, op, kind)
        if t is None:
            continue
        d = a.get(("deleg", kind), frozenset())
        if not (d == ALL or t in d):
            return False
    return True


def prop_token_bounded(kernel: Kernel) -> PropertyResult:
    """Passing the token against not passing it: a difference needs coverage."""
    if not kernel.token_support:
        return PropertyResult(TOKEN_BOUND, kernel.name, True, 0,
                              "this kernel has no BPF token: a call passing one fails CHECK_ATTR (-EINVAL); holds vacuously")
    ops = [op for op in space_ops((kernel.name,)) if op.with_token]
    total, best = _search(kernel, ops, (_same, _same), {"token": "child"},
                          lambda rs, a, op: rs[0] == 0 and rs[1] != 0 and not _covered(kernel, op, a),
                          forces=(None, {"with_token": False}), want_min=False)
    if best is None:
        return PropertyResult(TOKEN_BOUND, kernel.name, True, total,
                              "whenever passing the token turns a denial into an allow, the delegation options name the "
                              "command and its map/program/attach type")
    op, a, _, ctx = best
    ce = to_scenario(a, op, kernel, f"counterexample-{kernel.name}", ctx=ctx)
    cmp_ = to_scenario(a, op, kernel, f"compared-{kernel.name}", force={"with_token": False}, ctx=ctx)
    return PropertyResult(TOKEN_BOUND, kernel.name, False, total, f"{op_text(op)} allowed beyond the delegation: {describe(a)}",
                          ce, (decide(parse_scenario(ce)), decide(parse_scenario(cmp_))), cmp_)


def prop_sysctl_one_way(kernel: Kernel) -> PropertyResult:
    ops = [Op(call="sysctl_write", name="kernel.unprivileged_bpf_disabled", value=v) for v in (0, 2)]
    total, best = _search(kernel, ops, (_same,), {"sysctl": 1}, lambda rs, a, op: rs[0] == 0)
    if best is None:
        return PropertyResult(SYSCTL_ONE_WAY, kernel.name, True, total,
                              "from 1, every write of another value fails (-EPERM; -EACCES for a euid other than global root), whoever writes and whatever the LSMs return")
    op, m, _, ctx = best
    ce = to_scenario(m, op, kernel, f"counterexample-{kernel.name}", ctx=ctx)
    return PropertyResult(SYSCTL_ONE_WAY, kernel.name, False, total, f"write allowed when {describe(m)}", ce,
                          (decide(parse_scenario(ce)),))


PROPERTIES = (prop_lsm_non_authoritative, prop_stacking, prop_child_no_capbpf_map, prop_token_bounded, prop_sysctl_one_way)


def check(kernel: str) -> list[PropertyResult]:
    """Every property for one kernel variant, with a minimal counterexample where violated."""
    k = load_kernel(kernel)
    with _no_gc():
        return [p(k) for p in PROPERTIES]
