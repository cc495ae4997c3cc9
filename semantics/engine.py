"""The mechanisms and the interpreter of a variant's check programs.

Each mechanism names the kernel function it models.  The interpreter reads
the world through a small interface (``World``) so the same code serves
decide() on one scenario and the enumeration of the configuration space
(space.py), where fields are read lazily.
"""
from __future__ import annotations

from dataclasses import dataclass

from semantics.errors import ScenarioError
from semantics.kernels import Kernel
from semantics.vocab import ERRNO, ERRNO_NAME

EPERM = -ERRNO["EPERM"]
ENOMEM = -ERRNO["ENOMEM"]

# The user-namespace tree of the model: init (level 0) with two children,
# "child" (created by a user of init: its owner may be the task's euid) and
# "sibling" (created by someone else).
NS_LEVEL = {"init": 0, "child": 1, "sibling": 1}
NS_PARENT = {"init": None, "child": "init", "sibling": "init"}


@dataclass(frozen=True)
class TraceStep:
    check: str
    models: str
    result: str

    def to_json(self) -> dict:
        return {"check": self.check, "models": self.models, "result": self.result}


_OUTCOMES: dict = {}


def outcome_of(rc: int) -> str:
    """What a syscall return looks like from user space."""
    o = _OUTCOMES.get(rc)
    if o is None:
        o = _OUTCOMES[rc] = _outcome_of(rc)
    return o


# What a variant does not model (a step {"do": "unmodeled"}, an op.call in its "unmodeled_calls"):
# the outcome "not modeled", which no caller reads as a grant or a denial.
NOT_MODELED = -(1 << 20)
NOT_MODELED_OUTCOME = "not modeled"


def _outcome_of(rc: int) -> str:
    if rc == NOT_MODELED:
        return NOT_MODELED_OUTCOME
    if rc == 0:
        return "allow"
    if rc > 0:
        return f"ret={rc}"
    return ERRNO_NAME.get(-rc, f"errno={-rc}")


def rc_text(rc: int) -> str:
    if rc == NOT_MODELED:
        return NOT_MODELED_OUTCOME
    if rc < 0:
        return "-" + ERRNO_NAME.get(-rc, str(-rc))
    return str(rc)


class Trace:
    """Collects TraceSteps; the enumeration passes None instead (no cost)."""

    __slots__ = ("steps", "kernel")

    def __init__(self, kernel: Kernel):
        self.steps: list[TraceStep] = []
        self.kernel = kernel

    def add(self, check: str, models: str, result: str) -> None:
        tag = f"({self.kernel.name})"
        self.steps.append(TraceStep(check, models if models.endswith(tag) else f"{models} {tag}", result))


class Deny(Exception):
    """A check failed: the syscall returns rc."""

    def __init__(self, rc: int):
        self.rc = rc


# --------------------------------------------------------------------------
# capabilities


def cap_capable(w, kernel: Kernel, target_ns: str, cap: str, tr) -> int:
    """cap_capable() security/commoncap.c: walk from the target namespace up
    to the task's own; the task's effective set counts only in its own
    namespace; the owner of a child namespace (its creator's euid, seen from
    the parent) has every capability in it."""
    cred_ns = w.userns()
    ns = target_ns
    while True:
        if ns == cred_ns:
            rc = 0 if w.has_cap(cap) else EPERM
            if tr is not None:
                tr.add(f"cap_capable({target_ns}, {cap})", "cap_capable() security/commoncap.c",
                       f"{'0' if rc == 0 else '-EPERM'}: task's effective set in its own namespace ({cred_ns}) {'has' if rc == 0 else 'lacks'} {cap}")
            return rc
        if NS_LEVEL[ns] <= NS_LEVEL[cred_ns]:
            if tr is not None:
                tr.add(f"cap_capable({target_ns}, {cap})", "cap_capable() security/commoncap.c",
                       f"-EPERM: {target_ns} is not {cred_ns} nor below it (ns->level <= cred->user_ns->level)")
            return EPERM
        if NS_PARENT[ns] == cred_ns and ns == "child" and w.owns_child():
            if tr is not None:
                tr.add(f"cap_capable({target_ns}, {cap})", "cap_capable() security/commoncap.c",
                       "0: the task's euid owns the child namespace and the task is in its parent: every capability")
            return 0
        ns = NS_PARENT[ns]


def walk_int_hook(kernel: Kernel, hook: str, stack, rets, first=None):
    """call_int_hook() security/security.c over concrete module returns.

    Modules in stack order; the first return that is not the stop value
    wins, else the default.  v6.3 stops on any non-zero return, v6.9 on any
    return other than LSM_RET_DEFAULT(hook).  ``first`` is commoncap's own
    result where commoncap implements the hook (it is registered first).
    ``rets`` gives each module's return (None: the module does not implement
    the hook, except a module of the facts file's "stub_modules", the BPF LSM, whose stub for
    every hook returns the default).
    Returns (rc, [(module, return), ...] consulted)."""
    default = kernel.hook_default(hook)
    stop = 0 if kernel.call_int_hook == "first_nonzero" else default
    rc = default
    who = []
    if first is not None:
        rc = first
        who.append(("capability", first))
        if rc != stop:
            return rc, who
    for mod, r in zip(stack, rets):
        if r is None:
            if mod not in kernel.stub_modules:
                continue
            r = default   # a module with a stub for every hook (the BPF LSM) returns the default
            who.append((f"{mod} (stub default)", r))
        else:
            who.append((mod, r))
        rc = r
        if rc != stop:
            break
    return rc, who


def dispatch(w, kernel: Kernel, hook: str, tr, caller: str, first=None) -> int:
    """security_<hook>() security/security.c -> call_int_hook(): see walk_int_hook()."""
    if hook not in kernel.int_hooks:
        raise ScenarioError(f"hook {hook!r} does not exist in kernel {kernel.name}")
    combined = getattr(w, "combined", None)
    if combined is not None:          # the enumeration abstracts module returns
        return combined(kernel, hook, first)
    stack = w.stack()
    rc, who = walk_int_hook(kernel, hook, stack, [w.ret(m, hook) for m in stack], first)
    if tr is not None:
        stop = "zero" if kernel.call_int_hook == "first_nonzero" else "default"
        detail = ", ".join(f"{m}={rc_text(r)}" for m, r in who) if who else \
            f"no module implements it: default {rc_text(kernel.hook_default(hook))}"
        tr.add(caller, f"{caller.split('(')[0]}() -> call_int_hook({hook}) security/security.c",
               f"{rc_text(rc)} ({detail}; first non-{stop} return wins)")
    return rc


def vm_all_agree(kernel: Kernel, stack, rets) -> tuple:
    """The module part of security_vm_enough_memory_mm(): cap_sys_admin stays
    1 only if every registered module returns > 0 (a stub module's, the BPF
    LSM's, returns the hook default: 0 in v6.3, 1 in v6.9)."""
    default = kernel.hook_default("vm_enough_memory")
    seen = []
    for mod, r in zip(stack, rets):
        if r is None:
            if mod not in kernel.stub_modules:
                continue
            r = default
            seen.append((mod + " (stub default)", r))
        else:
            seen.append((mod, r))
        if r <= 0:
            return 0, seen
    return 1, seen


def ns_capable(w, kernel: Kernel, ns: str, cap: str, tr) -> bool:
    """ns_capable() kernel/capability.c -> security_capable(): commoncap's
    cap_capable() first, then every other module's capable hook."""
    first = cap_capable(w, kernel, ns, cap, tr)
    rc = dispatch(w, kernel, "capable", tr, f"security_capable({ns}, {cap})", first=first)
    ok = rc == 0
    if tr is not None:
        fn = "capable()" if ns == "init" else "ns_capable()"
        tr.add(f"{'capable' if ns == 'init' else 'ns_capable'}({'' if ns == 'init' else ns + ', '}{cap})",
               f"{fn} kernel/capability.c", "true" if ok else "false")
    return ok


def bpf_token_capable(w, kernel: Kernel, token: bool, cap: str, tr) -> bool:
    """bpf_token_capable() kernel/bpf/token.c (v6.9): bpf_ns_capable() against
    the token's namespace (init without a token): ns_capable(ns, cap) or, for
    caps other than CAP_SYS_ADMIN, ns_capable(ns, CAP_SYS_ADMIN); then, with a
    token, security_bpf_token_capable() < 0 refuses."""
    ns = w.token_userns() if token else "init"
    ok = ns_capable(w, kernel, ns, cap, tr) or (cap != "CAP_SYS_ADMIN" and ns_capable(w, kernel, ns, "CAP_SYS_ADMIN", tr))
    if ok and token:
        rc = dispatch(w, kernel, "bpf_token_capable", tr, f"security_bpf_token_capable({cap})")
        if rc < 0:
            ok = False
    if tr is not None:
        tr.add(f"bpf_token_capable({'token' if token else 'NULL'}, {cap})", "bpf_token_capable() kernel/bpf/token.c",
               "true" if ok else "false")
    return ok


# --------------------------------------------------------------------------
# the interpreter of check programs


class State:
    __slots__ = ("token", "vars")

    def __init__(self):
        self.token = False
        self.vars = {}


def _registry(table: dict):
    """@registrar(name): put the decorated function in table under name (the engine's tables of
    steps, hook rules, conditions and predicate atoms)."""
    def registrar(name: str):
        def register(fn):
            table[name] = fn
            return fn
        return register
    return registrar


# The atoms of a capability predicate ("capable CAP_X"; data/kernels/README.md): head ->
# function of (world, kernel, the words after the head, the state, the trace) -> bool.
ATOMS: dict = {}
atom = _registry(ATOMS)


@atom("var")
def _atom_var(w, kernel, args, st, tr):
    return st.vars.get(args[0], False)   # unset: the C variable's initial false


@atom("capable")
def _atom_capable(w, kernel, args, st, tr):
    return ns_capable(w, kernel, "init", args[0], tr)


@atom("ns_capable")
def _atom_ns_capable(w, kernel, args, st, tr):
    ns = args[0]
    if ns == "bpffs":
        # the bpffs instance: the one being created, or the token's
        ns = w.op.userns if w.op.call == "bpffs_create" else w.token_userns()
    return ns_capable(w, kernel, ns, args[1], tr)


@atom("token_capable")
def _atom_token_capable(w, kernel, args, st, tr):
    return bpf_token_capable(w, kernel, st.token, args[0], tr)


def pred(w, kernel: Kernel, expr, st: State, tr) -> bool:
    if expr is None:
        return True
    if isinstance(expr, dict):
        if "any" in expr:
            return any(pred(w, kernel, e, st, tr) for e in expr["any"])
        if "all" in expr:
            return all(pred(w, kernel, e, st, tr) for e in expr["all"])
        raise ScenarioError(f"kernel {kernel.name}: bad predicate {expr!r}")
    parts = expr.split()
    fn = ATOMS.get(parts[0])
    if fn is not None:
        return fn(w, kernel, parts[1:], st, tr)
    named = kernel.predicates.get(expr)
    if named is None:
        raise ScenarioError(f"kernel {kernel.name}: unknown predicate {expr!r}")
    ok = pred(w, kernel, {"any": named["any"]} if "any" in named else {"all": named["all"]}, st, tr)
    if tr is not None:
        tr.add(f"{expr}()", named["models"], "true" if ok else "false")
    return ok


def attach_prog_type(kernel: Kernel, op):
    if op.prog_type is not None:
        return op.prog_type
    return kernel.attach_to_prog.get(op.attach_type)


# userns_create's optional yes/no fields (create_user_ns() kernel/user_namespace.c) and their
# value when a scenario leaves them out
OP_FLAG_DEFAULTS = {"ns_limit_reached": False, "chrooted": False, "creator_mapped": True,
                    # BPF_MAP_FREEZE's map (map_freeze() kernel/bpf/syscall.c)
                    "frozen": False, "write_active": False}

# A variant's conditions ("when", "cond"; data/kernels/README.md): name -> function of
# (world, kernel, op, the condition's value) -> bool. A new kind of condition is one more function.
CONDITIONS: dict = {}
condition = _registry(CONDITIONS)


@condition("with_token")
def _with_token(w, kernel, op, val):
    return w.with_token() == val


@condition("flags_all")
def _flags_all(w, kernel, op, val):
    return all(f in op.map_flags for f in val)


@condition("flag")
def _flag(w, kernel, op, val):
    return val in op.map_flags


@condition("flags_outside")
def _flags_outside(w, kernel, op, val):
    # attr->map_flags & ~MASK: some flag of the op is not in the mask
    return any(f not in val for f in op.map_flags)


@condition("map_type_supported")
def _map_type_supported(w, kernel, op, val):
    # enum value 0 (UNSPEC) has no ops: bpf_map_types[0] is NULL
    return (op.map_type in kernel.map_types and not op.map_type.endswith("_UNSPEC")) == val


@condition("map_type_in")
def _map_type_in(w, kernel, op, val):
    return op.map_type in kernel.group(val)


@condition("map_type_not_in")
def _map_type_not_in(w, kernel, op, val):
    return op.map_type not in kernel.group(val)


@condition("prog_type_supported")
def _prog_type_supported(w, kernel, op, val):
    return (op.prog_type in kernel.prog_types and not op.prog_type.endswith("_UNSPEC")) == val


@condition("prog_type_in")
def _prog_type_in(w, kernel, op, val):
    return attach_prog_type(kernel, op) in kernel.group(val)


@condition("prog_type_not_in")
def _prog_type_not_in(w, kernel, op, val):
    return attach_prog_type(kernel, op) not in kernel.group(val)


@condition("attach_type_supported")
def _attach_type_supported(w, kernel, op, val):
    return (op.attach_type in kernel.attach_to_prog) == val


@condition("prog_matches_attach_type")
def _prog_matches_attach_type(w, kernel, op, val):
    return (op.prog_type is None or kernel.attach_to_prog.get(op.attach_type) == op.prog_type) == val


@condition("token_bpffs")
def _token_bpffs(w, kernel, op, val):
    return (w.token_userns() is not None) == val


@condition("task_in_bpffs_userns")
def _task_in_bpffs_userns(w, kernel, op, val):
    return (w.userns() == w.token_userns()) == val


@condition("task_userns")
def _task_userns(w, kernel, op, val):
    return w.userns() == val


@condition("euid_global_root")
def _euid_global_root(w, kernel, op, val):
    return w.euid_global_root() == val


@condition("token_has_delegation")
def _token_has_delegation(w, kernel, op, val):
    return w.token_has_delegation() == val


@condition("sysctl_value_out_of_range")
def _sysctl_value_out_of_range(w, kernel, op, val):
    return not (val[0] <= op.value <= val[1])


@condition("sysctl_in")
def _sysctl_in(w, kernel, op, val):
    return w.sysctl() in val


@condition("sysctl_locked")
def _sysctl_locked(w, kernel, op, val):
    return w.sysctl() == val and op.value != val


@condition("parent_level_over")
def _parent_level_over(w, kernel, op, val):
    # the creator's own namespace is the parent: init is level 0, a child of init level 1
    level = op.parent_level if op.parent_level is not None else (0 if w.userns() == "init" else 1)
    return level > val


@condition("btf_record")
def _btf_record(w, kernel, op, val):
    # !IS_ERR_OR_NULL(map->record): btf_parse_fields() found a special field this kernel knows
    return any(f in kernel.group("btf_record_fields") for f in op.btf_fields) == val


@condition("btf_field")
def _btf_field(w, kernel, op, val):
    return val in op.btf_fields


@condition("fd_can_write")
def _fd_can_write(w, kernel, op, val):
    # map_get_sys_perms(map, f) & FMODE_CAN_WRITE: the fd was opened writable (not BPF_F_RDONLY
    # at BPF_MAP_CREATE, nor in BPF_OBJ_GET's/BPF_MAP_GET_FD_BY_ID's flags) and the map is not frozen
    ro = "BPF_F_RDONLY" in op.map_flags or "BPF_F_RDONLY" in op.fd_flags or bool(op.frozen)
    return (not ro) == val


def _op_flag(key: str, default: bool):
    def test(w, kernel, op, val):
        # a yes/no the op states about the task's situation; unstated, the usual case
        v = getattr(op, key)
        return (default if v is None else v) == val
    return test


for _key, _default in OP_FLAG_DEFAULTS.items():
    condition(_key)(_op_flag(_key, _default))


@condition("bpffs_userns")
def _bpffs_userns(w, kernel, op, val):
    return op.userns == val


@condition("option_nonzero")
def _option_nonzero(w, kernel, op, val):
    return bool(op.value) == val


def cond(w, kernel: Kernel, c: dict, st: State) -> bool:
    op = w.op
    for key, val in c.items():
        test = CONDITIONS.get(key)
        if test is None:
            raise ScenarioError(f"kernel {kernel.name}: unknown condition {key!r}")
        if not test(w, kernel, op, val):
            return False
    return True


def token_get(w, kernel: Kernel, step: dict, st: State, tr) -> None:
    """bpf_token_get_from_fd() + bpf_token_allow_cmd() + bpf_token_allow_*()
    kernel/bpf/token.c (v6.9): a token that does not cover the command (or
    the map/program/attach type) is dropped, and the command falls back to
    the system-wide capability checks; it is not an error."""
    if not w.with_token():
        st.token = False
        if tr is not None:
            tr.add("token fd", step["models"], "no BPF_F_TOKEN_FD: token = NULL")
        return
    op = w.op
    cmd = step["cmd"]
    why = None
    if not w.delegated("delegate_cmds", cmd):
        why = f"delegate_cmds lacks {cmd}"
    else:
        rc = dispatch(w, kernel, "bpf_token_cmd", tr, f"security_bpf_token_cmd({cmd})")
        if rc != 0:
            why = f"security_bpf_token_cmd() returned {rc_text(rc)}"
    if why is None and step.get("match") == "map_type":
        if not w.delegated("delegate_maps", op.map_type):
            why = f"delegate_maps lacks {op.map_type}"
    if why is None and step.get("match") == "prog_type":
        ptype = attach_prog_type(kernel, op)
        # expected_attach_type left 0 is enum value 0 (BPF_CGROUP_INET_INGRESS)
        atype = op.attach_type or kernel.attach_types[0]
        # bpf_prog_load_fixup_attach_type() (v6.9) runs before the token check: an expected_attach_type
        # of 0 becomes the program type's default (CGROUP_SOCK, SK_REUSEPORT)
        fixed = step.get("attach_fixup", {}).get(ptype)
        if fixed is not None and atype == kernel.attach_types[0]:
            atype = fixed
        if not w.delegated("delegate_progs", ptype):
            why = f"delegate_progs lacks {ptype}"
        elif not w.delegated("delegate_attachs", atype):
            why = f"delegate_attachs lacks {atype}" + ("" if op.attach_type else
                                                         " (expected_attach_type 0" + (f", fixed up to {atype})" if fixed else ")"))
    st.token = why is None
    if tr is not None:
        tr.add(f"bpf_token_allow_cmd({cmd})" + (f" + allowed {step['match']}" if step.get("match") else ""),
               step["models"], "token used" if why is None else f"token ignored: {why}; token = NULL")


# A variant's steps ("do"; data/kernels/README.md): name -> function of (world, kernel, the
# program's steps, the index after this step, the step, the interpreter state, the trace). A step
# returns None to go on with the next one, or the index to jump to; a failed check raises Deny.
# A new kind of step is one more function.
STEPS: dict = {}
step = _registry(STEPS)


# What the caller of a "hook" step does with the result ("on"): name -> function of
# (rc, the steps, the index after the step, the step, the state, the trace) -> None or a jump.
HOOK_RULES: dict = {}
hook_rule = _registry(HOOK_RULES)


@hook_rule("negative")
def _on_negative(rc, steps, i, s, st, tr):
    if rc < 0:
        raise Deny(rc)


@hook_rule("nonzero")
def _on_nonzero(rc, steps, i, s, st, tr):
    if rc != 0:
        raise Deny(rc)


@hook_rule("authoritative")
def _on_authoritative(rc, steps, i, s, st, tr):
    if rc < 0:
        raise Deny(rc)
    if rc > 0:
        if "sets" in s:       # e.g. the proposal's priv_checked = true
            st.vars[s["sets"]] = True
        if tr is not None:
            tr.add(f"{s['caller']} > 0", s["models"], f"bypass: jump to {s['skip_to']}, skipping the kernel's own checks")
        while steps[i].get("name") != s["skip_to"] or steps[i]["do"] != "label":
            i += 1
        return i


@step("hook")
def _step_hook(w, kernel, steps, i, s, st, tr):
    rc = dispatch(w, kernel, s["hook"], tr, s["caller"])
    on = HOOK_RULES.get(s["on"])
    if on is None:
        raise ScenarioError(f"kernel {kernel.name}: unknown hook rule {s['on']!r}")
    return on(rc, steps, i, s, st, tr)


@step("unmodeled")
def _step_unmodeled(w, kernel, steps, i, s, st, tr):
    """Past this point the variant has no rules (its sources do not show them): the outcome is
    "not modeled", never a guess. With "when", only where that condition holds."""
    if "when" in s and not cond(w, kernel, s["when"], st):
        return None
    if tr is not None:
        tr.add(s["check"], s["models"], f"{NOT_MODELED_OUTCOME}: {s['why']}")
    raise Deny(NOT_MODELED)


@step("gate_sysctl")
def _step_gate_sysctl(w, kernel, steps, i, s, st, tr):
    if s["order"] == "priv_first":
        ok = pred(w, kernel, s["priv"], st, tr)
        val = w.sysctl() if not ok else None
        denied = (not ok) and val != 0
    else:
        val = w.sysctl()
        denied = val != 0 and not pred(w, kernel, s["priv"], st, tr)
    if tr is not None:
        vtxt = "not read" if val is None else str(val)
        tr.add(s["check"], s["models"], f"{'-' + s['errno'] if denied else 'pass'} (unprivileged_bpf_disabled={vtxt})")
    if denied:
        raise Deny(-ERRNO[s["errno"]])


@step("require")
def _step_require(w, kernel, steps, i, s, st, tr):
    if "when" in s and not cond(w, kernel, s["when"], st):
        return
    ok = pred(w, kernel, s["pred"], st, tr)
    if tr is not None:
        tr.add(s["check"], s["models"], "pass" if ok else "-" + s["errno"])
    if not ok:
        raise Deny(-ERRNO[s["errno"]])


@step("fail_if")
def _step_fail_if(w, kernel, steps, i, s, st, tr):
    if cond(w, kernel, s["cond"], st):
        if tr is not None:
            tr.add(s["check"], s["models"], "-" + s["errno"])
        raise Deny(-ERRNO[s["errno"]])


@step("let")
def _step_let(w, kernel, steps, i, s, st, tr):
    st.vars[s["var"]] = v = pred(w, kernel, s["pred"], st, tr)
    if tr is not None:
        tr.add(s["check"], s["models"], "true" if v else "false")


@step("map_type_switch")
def _step_map_type_switch(w, kernel, steps, i, s, st, tr):
    mt = w.op.map_type
    for cls in s["classes"]:
        if mt in cls["types"]:
            ok = pred(w, kernel, cls["pred"], st, tr)
            if tr is not None:
                tr.add(f"{cls['check']} ({mt})", s["models"], "pass" if ok else "-" + s["default_errno"])
            if not ok:
                raise Deny(-ERRNO[s["default_errno"]])
            return
    if tr is not None:
        tr.add(s["default_check"], s["models"], "-" + s["default_errno"])
    raise Deny(-ERRNO[s["default_errno"]])


@step("token_get")
def _step_token_get(w, kernel, steps, i, s, st, tr):
    token_get(w, kernel, s, st, tr)


@step("note")
def _step_note(w, kernel, steps, i, s, st, tr):
    if tr is not None:
        tr.add(s["check"], s["models"], "pass")


@step("label")
def _step_label(w, kernel, steps, i, s, st, tr):
    return None


def run(w, kernel: Kernel, steps, tr) -> int:
    st = State()
    i, n = 0, len(steps)
    # the enumeration's recording world marks step boundaries: what follows
    # depends only on (step, state) and the fields it reads (space.TrieEval)
    mark = getattr(w, "mark", None)
    while i < n:
        if mark is not None:
            mark(i, st)
        s = steps[i]
        i += 1
        fn = STEPS.get(s["do"])
        if fn is None:
            raise ScenarioError(f"kernel {kernel.name}: unknown step {s['do']!r}")
        j = fn(w, kernel, steps, i, s, st, tr)
        if j is not None:
            i = j
    return 0


def vm_enough_memory(w, kernel: Kernel, tr) -> int:
    """security_vm_enough_memory_mm() security/security.c: commoncap's
    cap_vm_enough_memory() (1 if cap_capable(init, CAP_SYS_ADMIN)) and every
    module's vm_enough_memory hook must all return > 0 for
    __vm_enough_memory() mm/util.c to run with cap_sys_admin set (and so
    keep the admin reserve); any return <= 0 clears it.  No module denies
    the allocation itself."""
    op = w.op
    cap = cap_capable(w, kernel, "init", "CAP_SYS_ADMIN", tr) == 0
    rets = [("capability", 1 if cap else 0)]
    cap_sys_admin = 1 if cap else 0
    if cap:
        combined = getattr(w, "combined_vm", None)
        if combined is not None:
            cap_sys_admin = combined(kernel)
        else:
            stack = w.stack()
            cap_sys_admin, seen = vm_all_agree(kernel, stack, [w.ret(m, "vm_enough_memory") for m in stack])
            rets += seen
    if tr is not None:
        tr.add("cap_vm_enough_memory()", "cap_vm_enough_memory() security/commoncap.c", "1" if cap else "0")
        tr.add("security_vm_enough_memory_mm(): all modules > 0?", "security_vm_enough_memory_mm() security/security.c",
               f"cap_sys_admin={cap_sys_admin} ({', '.join(f'{m}={v}' for m, v in rets)})")
    mode, fits = op.overcommit_memory, op.fits
    if mode == 1:
        rc, why = 0, "OVERCOMMIT_ALWAYS"
    elif mode == 0:
        rc, why = (ENOMEM, "OVERCOMMIT_GUESS: pages > totalram + swap") if fits == "never" else (0, "OVERCOMMIT_GUESS: fits in RAM + swap")
    else:
        if fits == "always":
            rc, why = 0, "OVERCOMMIT_NEVER: under the commit limit even without the admin reserve"
        elif fits == "with_admin_reserve":
            rc, why = (0, "OVERCOMMIT_NEVER: fits using the admin reserve (cap_sys_admin)") if cap_sys_admin else (ENOMEM, "OVERCOMMIT_NEVER: admin reserve withheld (cap_sys_admin=0)")
        else:
            rc, why = ENOMEM, "OVERCOMMIT_NEVER: over the commit limit"
    if tr is not None:
        tr.add(f"__vm_enough_memory(overcommit_memory={mode}, cap_sys_admin={cap_sys_admin})", "__vm_enough_memory() mm/util.c",
               f"{rc_text(rc)} ({why})")
    return rc


def _call_bpf(w, kernel: Kernel, op, tr) -> int:
    if op.cmd not in kernel.commands:
        raise ScenarioError(f"command {op.cmd} is not modeled for kernel {kernel.name}")
    _check_op_names(kernel, op)
    return run(w, kernel, kernel.commands[op.cmd], tr)


def _call_capable(w, kernel: Kernel, op, tr) -> int:
    _check_cap(kernel, op.cap)
    return 0 if ns_capable(w, kernel, "init", op.cap, tr) else EPERM


def _call_ns_capable(w, kernel: Kernel, op, tr) -> int:
    _check_cap(kernel, op.cap)
    return 0 if ns_capable(w, kernel, op.ns, op.cap, tr) else EPERM


def _call_vm_enough_memory(w, kernel: Kernel, op, tr) -> int:
    return vm_enough_memory(w, kernel, tr)


def _call_lsm_hook(w, kernel: Kernel, op, tr) -> int:
    """security_HOOK() security/security.c where its body is only `return call_int_hook(HOOK, ...)`
    (the facts file's "plain_dispatch", with the line): the stacked modules' returns combined by
    call_int_hook(), the hook's default when none implements it; the wrapper's caller gets that
    value (what the caller then does is its own code, not modeled here)."""
    own = kernel.own_hook(op.hook)
    entry = kernel.extra.get("plain_dispatch", {}).get(own) if own else None
    if entry is None:
        # the kernel lacks the hook, or its wrapper does more than call_int_hook() (a commoncap
        # fallback, an IS_PRIVATE() shortcut, a second hook): no rule for it
        if tr is not None:
            tr.add(f"security_{op.hook}()", f"security_{op.hook}() security/security.c",
                   f"{NOT_MODELED_OUTCOME}: " + (f"kernel {kernel.name} has no hook {op.hook}" if own is None else
                   f"its wrapper is not only `return call_int_hook({own}, ...)` in this kernel"))
        return NOT_MODELED
    caller = entry["caller"]
    guard = entry.get("private_inode_guard")
    if guard:
        private = bool(op.private_inode)
        if tr is not None:
            tr.add("unlikely(IS_PRIVATE(inode))", f"{caller} security/security.c:{guard}",
                   "true: 0, no module is asked" if private else "false (a filesystem-private inode is not the case)")
        if private:
            return 0
    rc = dispatch(w, kernel, own, tr, caller)
    if tr is not None:
        tr.add(f"{caller}: return call_int_hook({own}, ...)", f"{caller} security/security.c:{entry['line']}",
               f"{rc_text(rc)} returned to the caller of {caller}")
    return rc


# The operations with a mechanism of their own (op.call -> function of (world, kernel, op, trace)
# -> the return); every other call is a variant's program (kernels.PROGRAMS).
CALLS = {"bpf": _call_bpf, "capable": _call_capable, "ns_capable": _call_ns_capable,
         "vm_enough_memory": _call_vm_enough_memory, "lsm_hook": _call_lsm_hook}


def evaluate(w, kernel: Kernel, tr) -> int:
    """The return the task sees for w.op under ``kernel``."""
    op = w.op
    try:
        call = op.call
        why = kernel.extra.get("unmodeled_calls", {}).get(call)
        if why:
            if tr is not None:
                tr.add(f"op.call {call}", f"{call}() (kernel {kernel.name})", f"{NOT_MODELED_OUTCOME}: {why}")
            return NOT_MODELED
        fn = CALLS.get(call)
        if fn is not None:
            return fn(w, kernel, op, tr)
        if call in kernel.programs:
            return run(w, kernel, kernel.programs[call], tr)
    except Deny as d:
        return d.rc
    raise ScenarioError(f"op.call {call!r} is not modeled")


def _check_cap(kernel: Kernel, cap: str) -> None:
    if cap not in kernel.capabilities:
        raise ScenarioError(f"capability {cap} does not exist in kernel {kernel.name}")


def _check_op_names(kernel: Kernel, op) -> None:
    # A name unknown to the whole kernel's uapi is a scenario error; a name
    # the uapi has but the variant does not implement is the kernel's EINVAL.
    for field, known in (("map_type", kernel.map_types), ("prog_type", kernel.prog_types)):
        v = getattr(op, field)
        if v is not None and v not in known:
            raise ScenarioError(f"op.{field}: {v} does not exist in kernel {kernel.name}")
    if op.attach_type is not None and op.attach_type not in kernel.attach_types:
        raise ScenarioError(f"op.attach_type: {op.attach_type} does not exist in kernel {kernel.name}")
