"""Words for what the enumeration finds: an assignment as a contract scenario
(to_scenario), a cube in words (describe, field_text, block_text), an
operation in words (op_text), and the deciding check of a pair of verdicts
(explain)."""
from __future__ import annotations

from functools import lru_cache

from semantics.kernels import Kernel, data_dir, hook_label, kernel_names, load_kernel
from semantics.model import Verdict, deciding_step
from semantics.scenario import ALL, Op
from semantics.space import Block, _same, hook_rules
from semantics.vocab import DELEGATE_KINDS


def to_scenario(assign: dict, op: Op, kernel: Kernel, sid: str, force=None, view=_same, ctx=None) -> dict:
    a = dict(assign)
    if force:
        a.update(force)
    if a.get("with_token") and a.get("token") is None:
        a["token"] = "child"    # a token is made only from a bpffs of a child namespace (LazyWorld.with_token)
    if ctx is not None and "stack" not in a:
        a["stack"] = ctx.concrete_stack(a)
    userns = a.get("userns", "init")
    caps = sorted(f[1] for f, v in a.items() if isinstance(f, tuple) and f[0] == "cap" and v)
    task = {"userns": userns, "caps": {userns: caps}}
    if userns == "init" and a.get("owns_child"):
        task["owns_child_userns"] = True
    if "root_euid" in a:
        task["uid"] = 0 if a["root_euid"] else 1000
    stack = a.get("stack", ())
    rets = {m: {} for m in stack}
    for f, blk in a.items():
        if isinstance(f, tuple) and f[0] == "disp":
            hook = f[1].split("#")[0]
            rep = ctx.rep(stack, f[1], blk) if ctx is not None else blk.rep
            own = kernel.own_hook(hook)
            for m, r in zip(stack, rep):
                if r is not None and own is not None:
                    rets[m][own] = r
    s2, _ = view(stack, tuple(range(len(stack))))
    lsm = [{"name": m, "returns": rets[m]} for m in s2]
    token = None
    if a.get("token") is not None:
        token = {"userns": a["token"]}
        for kind in DELEGATE_KINDS:
            d = a.get(("deleg", kind), frozenset())
            token[kind] = ["any"] if d == ALL else sorted(d)
        if a.get("with_token") and not any(token[k] for k in DELEGATE_KINDS):
            # the cube is uniform over every token that can exist: any completion will do
            free = [k for k in DELEGATE_KINDS if ("deleg", k) not in a]
            if free:
                token[free[0]] = ["any"]
    opj = op.to_json()
    opj.pop("with_token", None)
    if a.get("with_token") and token is not None:
        opj["with_token"] = True
    s = {"id": sid, "kernel": kernel.name, "task": task, "lsm": lsm, "token": token, "op": opj}
    if "sysctl" in a:
        s["sysctl"] = {"kernel.unprivileged_bpf_disabled": a["sysctl"]}
    return s


def field_text(f, v, stack=()) -> str:
    if f == "stack":
        return "lsm=[" + ",".join(v) + "]"
    if isinstance(f, tuple):
        if f[0] == "cap":
            return f"{'+' if v else '-'}{f[1]}"
        if f[0] == "disp":
            return block_text(f[1], v, stack)
        if f[0] == "deleg":
            return f"token.{f[1]}=" + ("any" if v == ALL else "[" + ",".join(sorted(v)) + "]")
    if f == "token":
        return "token=null" if v is None else f"token from {v} bpffs"
    if f == "userns":
        return f"task in {v}"
    if f == "owns_child":
        return "owns child userns" if v else "does not own child userns"
    if f == "root_euid":
        return "euid global root" if v else "euid not global root"
    if f == "sysctl":
        return f"unprivileged_bpf_disabled={v}"
    if f == "with_token":
        return "with_token" if v else "no token"
    return f"{f}={v}"


def block_text(hook: str, blk: Block, stack=()) -> str:
    """A block of module returns: what the caller sees, and one witness (the representative returns)."""
    cls = blk.key[0] if blk.key and blk.key[0] is not None else next((c for c in reversed(blk.key) if c is not None), None)
    witness = ""
    if stack and blk.stack == stack:
        witness = " (e.g. " + (", ".join(f"{m}={r}" for m, r in zip(stack, blk.rep) if r is not None) or "no module sets it") + ")"
    if hook == "vm_enough_memory#agree":
        return f"vm_enough_memory hook: {'every module > 0' if cls == 1 else 'some module <= 0'}{witness}"
    rule = _any_rule(hook, data_dir())
    if rule == "zero_ok":
        what = "0" if cls == 0 else "non-zero"
    elif rule == "negative":
        what = ">= 0" if cls == 0 else f"{cls}"
    elif rule == "authoritative":
        what = {0: "0", 1: "> 0"}.get(cls, f"{cls}")
    else:
        what = "absent" if cls is None else f"{cls}"
    return f"{hook_label(hook)} hook {what}{witness}"


@lru_cache(maxsize=None)
def _any_rule(hook: str, data_env):
    """The caller rule of hook in the first variant that has one (cached per data directory,
    like load_kernel())."""
    rule = None
    for k in kernel_names():
        own = load_kernel(k).own_hook(hook)
        rule = rule or (hook_rules(k).get(own) if own else None)
    return rule


def describe(assign: dict, skip=("with_token",)) -> str:
    order = {"userns": 0, "owns_child": 1, "sysctl": 3, "stack": 4, "token": 6, "with_token": 7}

    def key(f):
        if isinstance(f, tuple):
            return ({"cap": 2, "disp": 5, "deleg": 8}[f[0]], str(f))
        return (order.get(f, 9), f)
    stack = assign.get("stack", ())
    parts = [field_text(f, assign[f], stack) for f in sorted(assign, key=key) if f not in skip]
    return ", ".join(parts) if parts else "(any configuration)"


def op_text(op: Op) -> str:
    j = op.to_json()
    call = j.pop("call")
    if call == "bpf":
        cmd = j.pop("cmd")
        rest = ", ".join(f"{k}={v}" for k, v in j.items())
        return f"bpf({cmd}{', ' + rest if rest else ''})"
    return f"{call}(" + ", ".join(f"{k}={v}" for k, v in j.items()) + ")"


def _step_models(v: Verdict, t) -> str:
    suffix = f" ({v.kernel})"
    return t.models[:-len(suffix)] if t.models.endswith(suffix) else t.models


def explain(va: Verdict, vb: Verdict, max_steps: int = 3) -> str:
    """In words a maintainer can hold against the source: for each kernel,
    the function and C condition that decided the example (from its trace);
    where one kernel allows without a bypass, what that kernel checks in the
    function where the other one decided."""
    parts = []
    for v, other in ((va, vb), (vb, va)):
        d = deciding_step(v)
        bypass = next((t for t in v.trace if t.result.startswith("bypass")), None)
        if d is not None:
            after = f" (after {_step_models(v, bypass)}: {bypass.check} -> {bypass.result})" \
                if bypass is not None and bypass is not d else ""
            parts.append(f"{v.kernel}: {v.outcome} at {_step_models(v, d)}: {d.check} -> {d.result}{after}")
            continue
        od = deciding_step(other)
        if od is None:
            parts.append(f"{v.kernel}: allow (every check passes)")
            continue
        fn = _step_models(other, od).split(" ")[0]
        same = [t for t in v.trace if _step_models(v, t).startswith(fn)][:max_steps]
        if same:
            parts.append(f"{v.kernel}: allow; {fn} checks only: " + "; ".join(f"{t.check} -> {t.result}" for t in same))
        else:
            parts.append(f"{v.kernel}: allow; it has no {fn} step and every check passes")
    return " | ".join(parts)
