"""The bounded configuration space, enumerated lazily; diff and properties.

A configuration assigns: the task's namespace (init/child) and whether it
owns the child namespace, each capability in its own namespace, the sysctl
(0/1/2), the LSM stack (none, bpf, selinux, or both in either order), each
module's return per hook (unset, -EPERM, 0, 1), the bpffs instance a token
comes from (none/init/child), whether the call passes a token, and each
delegation option (none / exactly what the operation needs / any).

Enumeration builds a decision tree: the model runs on a partial
assignment; when it reads a field that is not assigned yet, the run stops
(Need) and the subtree branches on that field's values.  A leaf is a cube of
configurations (the unread fields are free) with one outcome, so a leaf
stands for many decisions; only the fields the kernel code actually reads
for that configuration get enumerated.  The decision rate reported by the
benchmark counts configurations covered per second.
"""
from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from semantics.engine import evaluate, outcome_of, vm_all_agree, walk_int_hook
from semantics.kernels import Kernel, canonical_hook, data_dir, hook_label, kernel_names, load_kernel
from semantics.model import Verdict, decide
from semantics.scenario import ALL, Op, parse_scenario
from semantics.vocab import DELEGATE_KINDS

STACKS = ((), ("bpf",), ("selinux",), ("bpf", "selinux"), ("selinux", "bpf"))
MODULES = ("bpf", "selinux")
RETS = (None, -1, 0, 1)       # a module's return for a hook: unset, -EPERM, 0, 1
BOOLS = (False, True)


class Need(Exception):
    __slots__ = ("field", "node")

    def __init__(self, f):
        self.field = f
        self.node = None          # TrieEval: where to resume once f is assigned


class Invalid(Exception):
    """Not a configuration the contract admits (e.g. a token from an init bpffs)."""


_MISSING = object()


def _same(stack, rets):
    return stack, rets


def _no_lsm(stack, rets):
    return (), ()


@lru_cache(maxsize=None)
def _solo(index):
    def view(stack, rets):
        return (stack[index],), (rets[index],)
    return view


@dataclass(frozen=True, eq=False)
class Block:
    """A set of per-module return combinations for one hook that every view
    of the exploration treats alike (same caller-visible class).  ``rep`` is
    one member, ``weight`` how many combinations it stands for (for the
    stack it was computed for).  Blocks compare by ``key`` only, so a
    condition such as "security_bpf_map_create() > 0" holds across stacks."""
    key: tuple
    weight: int
    rep: tuple
    stack: tuple = ()

    def __eq__(self, other):
        return isinstance(other, Block) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return f"Block({self.key})"


HOOK_RULES_BUILTIN = {"capable": "zero_ok", "bpf_token_cmd": "zero_ok", "bpf_token_capable": "negative"}


@lru_cache(maxsize=None)
def hook_rules(kernel_name: str) -> dict:
    """hook -> the one caller rule the kernel applies to its result (or None if several)."""
    k = load_kernel(kernel_name)
    rules: dict = {}
    progs = list(k.commands.values()) + list(k.programs.values())
    for steps in progs:
        for st in steps:
            if st.get("do") == "hook":
                rules.setdefault(st["hook"], set()).add(st["on"])
    for h, r in HOOK_RULES_BUILTIN.items():
        rules.setdefault(h, set()).add(r)
    return {h: (next(iter(r)) if len(r) == 1 else None) for h, r in rules.items()}


def caller_class(rule, rc):
    if rule == "negative":
        return rc if rc < 0 else 0
    if rule == "zero_ok":
        return 0 if rc == 0 else 1
    if rule == "authoritative":
        return rc if rc < 0 else (1 if rc > 0 else 0)
    return rc          # "nonzero" and unknown: the value itself reaches the caller


@lru_cache(maxsize=None)
def blocks(views: tuple, stack: tuple, hook: str, rets: tuple = RETS) -> tuple:
    """Partition rets^len(stack) for hook into Blocks (cached sub-decision)."""
    groups: dict = {}
    for combo in product(rets, repeat=len(stack)):
        key = []
        for kname, view in views:
            k = load_kernel(kname)
            if hook == "vm_enough_memory#agree":
                s2, c2 = view(stack, combo)
                key.append(vm_all_agree(k, s2, c2)[0])
                continue
            own = k.own_hook(hook)      # a renamed hook is one field under every variant
            if own is None:
                key.append(None)
                continue
            s2, c2 = view(stack, combo)
            rc = walk_int_hook(k, own, s2, c2, 0 if own == "capable" else None)[0]
            key.append(caller_class(hook_rules(kname).get(own), rc))
        key = tuple(key)
        if key in groups:
            groups[key][0] += 1
        else:
            groups[key] = [1, combo]
    return tuple(Block(key, w, rep, stack) for key, (w, rep) in groups.items())


@lru_cache(maxsize=None)
def block_index(views: tuple, stack: tuple, hook: str, rets: tuple = RETS) -> dict:
    return {b.key: b for b in blocks(views, stack, hook, rets)}


def block_for(views, stack, hook, rets, blk):
    """The block of this stack with blk's key (None: no return combination of this stack gives it)."""
    if blk.stack == stack:
        return blk
    return block_index(views, stack, hook, rets).get(blk.key)


class LazyWorld:
    """The World interface over a partial assignment; reading an unassigned field raises Need."""

    __slots__ = ("op", "a", "force", "view", "views", "rets")

    def __init__(self, op: Op, assign: dict, force: dict | None = None, view=_same, views=(), rets=RETS):
        self.op = op
        self.a = assign
        self.force = force
        self.view = view
        self.views = views
        self.rets = rets

    def block(self, hook):
        stack = self.get("stack")
        blk = block_for(self.views, stack, hook, self.rets, self.get(("disp", hook)))
        if blk is None:
            raise Invalid()
        return stack, blk

    def get(self, f):
        if self.force is not None and f in self.force:
            return self.force[f]
        v = self.a.get(f, _MISSING)
        if v is _MISSING:
            raise Need(f)
        return v

    def userns(self):
        return self.get("userns")

    def owns_child(self):
        return self.get("owns_child")

    def has_cap(self, cap):
        return self.get(("cap", cap))

    def euid_global_root(self):
        return self.get("root_euid")

    def sysctl(self):
        return self.get("sysctl")

    def combined(self, kernel, hook, first):
        if first is not None:
            stop = 0 if kernel.call_int_hook == "first_nonzero" else kernel.hook_default(hook)
            if first != stop:
                return first
        if self.view is _no_lsm:      # reads nothing of the LSM fields
            return walk_int_hook(kernel, hook, (), (), first)[0]
        stack, blk = self.block(canonical_hook(hook))
        s2, c2 = self.view(stack, blk.rep)
        return walk_int_hook(kernel, hook, s2, c2, first)[0]

    def combined_vm(self, kernel):
        if self.view is _no_lsm:
            return vm_all_agree(kernel, (), ())[0]
        stack, blk = self.block("vm_enough_memory#agree")
        s2, c2 = self.view(stack, blk.rep)
        return vm_all_agree(kernel, s2, c2)[0]

    def token_userns(self):
        return self.get("token")

    def with_token(self):
        v = self.get("with_token")
        if not v:
            return False
        t = self.get("token")
        if t is None or t == "init":
            raise Invalid()    # no token can be made from no bpffs or an init bpffs
        return True

    def delegated(self, kind, name):
        d = self.get(("deleg", kind))
        return d == ALL or name in d

    def token_has_delegation(self):
        if self.get("token") is None:
            return False
        return any(self.get(("deleg", k)) for k in DELEGATE_KINDS)


def delegation_target(kernel: Kernel, op: Op, kind: str):
    """The one value of a delegation option that matters to op."""
    if op.call != "bpf":
        return None
    if kind == "delegate_cmds":
        return "BPF_PROG_LOAD" if op.cmd == "BPF_PROG_ATTACH" else op.cmd
    if kind == "delegate_maps":
        return op.map_type if op.cmd == "BPF_MAP_CREATE" else None
    if op.cmd not in ("BPF_PROG_LOAD", "BPF_PROG_ATTACH"):
        return None
    if kind == "delegate_progs":
        return op.prog_type or kernel.attach_to_prog.get(op.attach_type)
    if kind == "delegate_attachs":
        return op.attach_type or kernel.attach_types[0]
    return None


class Context:
    """What an exploration needs to know: the op, the views (kernel + LSM view), domains."""

    def __init__(self, op: Op, views: tuple, rets=None):
        self.op = op
        self.views = views
        self.kernel = load_kernel(views[-1][0])
        self.rets = tuple(rets) if rets is not None else RETS

    def domain(self, f, assign):
        if f == "userns":
            return ("init", "child")
        if f in ("owns_child", "with_token", "root_euid"):
            return BOOLS
        if f == "sysctl":
            return (0, 1, 2)
        if f == "stack":
            return STACKS
        if f == "token":
            return (None, "init", "child")
        tag = f[0]
        if tag == "cap":
            return BOOLS
        if tag == "disp":
            return blocks(self.views, assign["stack"], f[1], self.rets)
        if tag == "deleg":
            t = delegation_target(self.kernel, self.op, f[1])
            return (frozenset(), frozenset([t]), ALL) if t else (frozenset(), ALL)
        raise KeyError(f)

    def evaluators(self, forces=None, naive: bool = False):
        """One evaluator per view.  naive: run the model from scratch on every
        (partial) assignment, as the enumeration did before the read trie
        (the benchmark's anchor and the trie's reference in the tests)."""
        out = []
        for i, (kname, view) in enumerate(self.views):
            k = load_kernel(kname)
            force = forces[i] if forces else None
            if naive:
                out.append(_make_naive_eval(k, self.op, force, view, self.views, self.rets))
            else:
                out.append(_make_eval(k, self.op, force, view, self.views, self.rets, self.domain))
        return out

    def concrete_stack(self, a: dict):
        """A stack for which every assigned hook class exists (for example scenarios)."""
        if "stack" in a:
            return a["stack"]
        disp = [(f[1], v) for f, v in a.items() if isinstance(f, tuple) and f[0] == "disp"]
        for stack in STACKS:
            if all(block_for(self.views, stack, h, self.rets, b) is not None for h, b in disp):
                return stack
        return ()

    def rep(self, stack, hook, blk):
        b = block_for(self.views, stack, hook, self.rets, blk)
        return b.rep if b is not None else (None,) * len(stack)


class RecWorld(LazyWorld):
    """LazyWorld that records every field it reads, in order (for the read
    trie).  With ``fill``, a field not assigned yet is not a Need: it gets
    the last value of its domain (the branch the depth-first search visits
    first), so one run lays down a whole root-to-leaf path of the trie."""

    __slots__ = ("path", "fill")

    def __init__(self, op, a, force, view, views, rets, fill):
        super().__init__(op, a, force, view, views, rets)
        self.path = []
        self.fill = fill

    def get(self, f):
        force = self.force
        if force is not None and f in force:
            return force[f]            # constant for this evaluator: not part of the path
        v = self.a.get(f, _MISSING)
        if v is _MISSING:
            if self.fill is None:
                raise Need(f)
            v = self.a[f] = self.fill(f, self.a)[-1]
        self.path.append((f, False, v))
        return v

    def peek(self, f):
        """Read a field that may be unassigned (no Need, no fill): its value or _MISSING."""
        v = self.a.get(f, _MISSING)
        self.path.append((f, True, v))
        return v

    def mark(self, i, st):
        """engine.run(): about to run step i with this interpreter state."""
        self.path.append(("B", (i, st.token, tuple(sorted(st.vars.items())))))


def _need_at(f, node):
    need = Need(f)
    need.node = node
    return need


_INVALID = object()     # trie terminal: the configuration cannot exist
_UNKNOWN = object()     # trie slot not explored yet


class TrieEval:
    """One kernel's evaluation of one op, memoized as the tree of the reads it makes.

    The model is a pure function that reads fields one at a time, each read
    depending only on the values read before it; so its runs form a tree whose
    inner nodes are field reads and whose leaves are the return code, Invalid,
    or "needs field f" (the partial assignment stops there).  Walking that tree
    with an assignment answers exactly what running the model would (same rc,
    same Need, same Invalid), without running it; a branch not seen yet is
    run once from scratch with a recording world and added.

    The tree is a DAG: at each boundary between two steps of a check program,
    everything that follows depends only on (step index, interpreter state)
    and on the fields it reads, so the continuation after a boundary is one
    shared subtree per (step, state), whatever reads led there (e.g. every
    LSM return that lets security_bpf() pass shares what comes after it).

    Nodes: ``[field, peek, {value: child}]`` (a read; a Need when it has no
    children yet for the value), ``("B", key)`` (a boundary: continue in
    ``suffix[key]``), an int rc, or _INVALID."""

    __slots__ = ("k", "op", "force", "view", "views", "rets", "top", "suffix", "runs", "fill")

    def __init__(self, k, op, force, view, views, rets, fill=None):
        self.k, self.op, self.force, self.view, self.views, self.rets = k, op, force, view, views, rets
        self.fill = fill
        self.top = {}            # "root" -> the first node
        self.suffix = {}         # boundary key -> the shared continuation
        self.runs = 0

    def __call__(self, a, node=None):
        """The model's answer for assignment a: rc, or raises Need / Invalid.
        ``node``: resume at a Need node that a sub-assignment of a stopped at
        (Need.node), instead of walking again from the root."""
        if node is None:
            node = self.top.get("root", _UNKNOWN)
        get = a.get
        suffix = self.suffix
        resumable = True
        while True:
            t = type(node)
            if t is list:
                f, peek, kids = node
                v = get(f, _MISSING)
                if v is _MISSING:
                    if not peek:
                        # resuming below a peek that saw f unassigned would be wrong once f is set;
                        # no local names the exception (it would hold this frame in a cycle)
                        raise _need_at(f, node if resumable else None)
                    resumable = False
                node = kids.get(v, _UNKNOWN)
            elif t is tuple:
                node = suffix.get(node[1], _UNKNOWN)
            elif t is int:
                return node
            elif node is _INVALID:
                raise Invalid()
            else:                    # _UNKNOWN: run the model once, then walk again
                self._scratch(a)
                node = self.top["root"]
                resumable = True

    def _scratch(self, a):
        self.runs += 1
        w = RecWorld(self.op, dict(a), self.force, self.view, self.views, self.rets, self.fill)
        try:
            rc = evaluate(w, self.k, None)
            # a call passing a token needs a token that can exist: from a child
            # bpffs with at least one delegation option (bpf_token_create())
            if w.peek("with_token") is True and w.peek("token") not in (None, _MISSING) \
                    and not w.token_has_delegation():
                raise Invalid()
        except Need as need:
            self._insert(w.path, [need.field, False, {}])
            return
        except Invalid:
            self._insert(w.path, _INVALID)
            return
        self._insert(w.path, rc)

    def _insert(self, path, end):
        cont, key = self.top, "root"
        seen = set()          # fields read since the last boundary: a re-read's value is known
        for e in path:
            node = cont.get(key, _UNKNOWN)
            if len(e) == 2:              # boundary
                if node is _UNKNOWN:
                    cont[key] = e
                elif node != e:
                    raise AssertionError(f"read trie: {node!r} and boundary {e!r} at the same point")
                cont, key = self.suffix, e[1]
                seen = set()
                continue
            f, peek, v = e
            if not peek:
                if f in seen:
                    continue             # every walk reaching here read f already: one child, no node
                seen.add(f)
            if node is _UNKNOWN:
                node = cont[key] = [f, peek, {}]
            elif type(node) is not list or node[0] != f:
                raise AssertionError(f"read trie: {node!r} and read of {f!r} at the same point")
            cont, key = node[2], v
        node = cont.get(key, _UNKNOWN)
        if node is _UNKNOWN:
            cont[key] = end
        elif type(node) is list and type(end) is list and node[0] == end[0]:
            pass                         # the same Need again
        elif node != end:
            raise AssertionError(f"read trie: {node!r} and {end!r} at the same point")


def _make_eval(k, op, force, view, views, rets, fill=None):
    return TrieEval(k, op, force, view, views, rets, fill)


def _make_naive_eval(k, op, force, view, views, rets):
    def ev(a, node=None):
        w = LazyWorld(op, a, force, view, views, rets)
        rc = evaluate(w, k, None)
        # a call passing a token needs a token that can exist: from a child
        # bpffs with at least one delegation option (bpf_token_create())
        if a.get("with_token") is True and a.get("token") is not None and not w.token_has_delegation():
            raise Invalid()
        return rc
    return ev


def iter_leaves(ctx: Context, evaluators, assign: dict):
    """Depth-first over the decision tree of several evaluators at once.
    Yields (assign, (rc per evaluator)) per leaf; invalid cubes are dropped.
    Children resume the evaluator that needed the field at its read node."""
    stack = [(assign, (), None)]
    n = len(evaluators)
    domain = ctx.domain
    pop, push = stack.pop, stack.append
    while stack:
        a, done, pos = pop()
        rcs = list(done)
        try:
            while len(rcs) < n:
                ev = evaluators[len(rcs)]
                rcs.append(ev(a, pos) if pos is not None else ev(a))
                pos = None
        except Need as need:
            f = need.field
            node = need.node
            done = tuple(rcs)
            for v in domain(f, a):
                b = dict(a)
                b[f] = v
                push((b, done, node))
            continue
        except Invalid:
            continue
        yield a, tuple(rcs)


def _iter_leaves_weighted(ctx: Context, evaluators, assign: dict):
    """iter_leaves() that also carries, per leaf, what its weight needs (see
    leaves_and_weights()): the product of the domain sizes of its assigned regular
    fields, the product of its blocks' weights, and how many hooks it reads."""
    p0 = 1
    for f in assign:
        if f != "stack":
            p0 *= len(ctx.domain(f, assign))
    stack = [(assign, (), None, p0, 1, 0)]
    n = len(evaluators)
    domain = ctx.domain
    pop, push = stack.pop, stack.append
    while stack:
        a, done, pos, p, dw, nd = pop()
        rcs = list(done)
        try:
            while len(rcs) < n:
                ev = evaluators[len(rcs)]
                rcs.append(ev(a, pos) if pos is not None else ev(a))
                pos = None
        except Need as need:
            f = need.field
            node = need.node
            done = tuple(rcs)
            dom = domain(f, a)
            if type(f) is tuple and f[0] == "disp":
                for v in dom:           # a block of this stack: its own weight
                    b = dict(a)
                    b[f] = v
                    push((b, done, node, p, dw * v.weight, nd + 1))
            else:
                p2 = p if f == "stack" else p * len(dom)
                for v in dom:
                    b = dict(a)
                    b[f] = v
                    push((b, done, node, p2, dw, nd))
            continue
        except Invalid:
            continue
        yield a, tuple(rcs), p, dw, nd


def leaves_and_weights(ctx: Context, evaluators, start: dict):
    """The leaves (assign, rcs, weight). A leaf's weight is how many configurations it
    stands for: a configuration fixes every regular field the op's evaluation ever reads,
    the stack, and for each module (bpf, selinux) and each hook the op ever consults a
    return in RETS."""
    leaves = list(_iter_leaves_weighted(ctx, evaluators, start))
    seen = set()
    for lf in leaves:
        seen.update(lf[0])
    hooks = {f[1] for f in seen if type(f) is tuple and f[0] == "disp"}
    regular = [f for f in seen if f != "stack" and not (type(f) is tuple and f[0] == "disp")]
    full = 1
    for f in regular:
        full *= len(ctx.domain(f, {}))
    nrets = len(ctx.rets)
    all_free = len(MODULES) * len(hooks)
    nstacks = len(STACKS)
    out = []
    for a, r, p, dw, nd in leaves:
        stack = a.get("stack")
        if stack is not None:
            w = (full // p) * dw * nrets ** (all_free - len(stack) * nd)
        elif hooks:
            w = (full // p) * nstacks * nrets ** all_free
        else:
            w = (full // p) * nrets ** all_free
        out.append((a, r, w))
    return out


# --------------------------------------------------------------------------
# operations of the space


OP_SPECS = (
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "map_flags": ["BPF_F_ZERO_SEED"]},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_ARRAY"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_LRU_HASH"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_STACK_TRACE"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_SK_STORAGE"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_QUEUE"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_DEVMAP"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_SOCKMAP"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_RINGBUF"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_ARENA"},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_SOCKET_FILTER"},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_CGROUP_SKB"},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_KPROBE"},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_XDP"},
    {"call": "bpf", "cmd": "BPF_BTF_LOAD"},
    {"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY"},
    {"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY", "map_flags": ["BPF_F_RDONLY"]},
    {"call": "bpf", "cmd": "BPF_PROG_ATTACH", "prog_type": "BPF_PROG_TYPE_CGROUP_SKB", "attach_type": "BPF_CGROUP_INET_INGRESS"},
    {"call": "bpf", "cmd": "BPF_TOKEN_CREATE"},
    {"call": "capable", "cap": "CAP_BPF"},
    {"call": "ns_capable", "cap": "CAP_BPF", "ns": "child"},
    {"call": "ns_capable", "cap": "CAP_BPF", "ns": "sibling"},
    {"call": "vm_enough_memory", "overcommit_memory": 0, "fits": "with_admin_reserve"},
    {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "always"},
    {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "with_admin_reserve"},
    {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "never"},
    {"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": 0},
    {"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": 1},
    {"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": 2},
    {"call": "bpffs_set_option", "option": "delegate_cmds", "value": ["BPF_MAP_CREATE"]},
    {"call": "bpffs_create", "userns": "init"},
    {"call": "bpffs_create", "userns": "child"},
    {"call": "userns_create"},
)


def _op_valid(kernel: Kernel, op: Op) -> bool:
    if op.map_type and op.map_type not in kernel.map_types:
        return False
    if op.prog_type and op.prog_type not in kernel.prog_types:
        return False
    if op.attach_type and op.attach_type not in kernel.attach_types:
        return False
    return True


@lru_cache(maxsize=None)
def space_ops(kernels: tuple) -> tuple:
    """Operations of the space that exist in every kernel given."""
    ks = [load_kernel(k) for k in kernels]
    ops = []
    for spec in OP_SPECS:
        op = parse_scenario({"id": "op", "task": {}, "op": spec}).op
        if all(_op_valid(k, op) for k in ks):
            ops.append(op)
        if op.call == "bpf" and op.cmd in ("BPF_MAP_CREATE", "BPF_PROG_LOAD", "BPF_BTF_LOAD", "BPF_PROG_ATTACH") \
                and all(_op_valid(k, op) for k in ks) and any(k.token_support for k in ks):
            ops.append(Op(**{**op.__dict__, "with_token": True}))
    return tuple(ops)


def _base_assign(op: Op) -> dict:
    # the op spec fixes whether the call passes a token
    return {"with_token": bool(op.with_token)}


# --------------------------------------------------------------------------
# assignment -> contract scenario


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


def _uniform(ctx, evaluators, assign):
    """The single outcome tuple of a cube, or None if it is not uniform (stops at the first disagreement)."""
    first = None
    for _, r in iter_leaves(ctx, evaluators, assign):
        o = tuple(outcome_of(x) for x in r)
        if first is None:
            first = o
        elif o != first:
            return None
    return first


def _in_cube(a: dict, cube: dict) -> bool:
    return all(a.get(f, _MISSING) == v for f, v in cube.items())


class LeafIndex:
    """The leaves of one exploration as bit sets, to test a widened cube
    without exploring it again.  The leaves partition every valid
    configuration reachable from the exploration's start, so the
    configurations of a cube b (a sub-assignment of a leaf, with the start's
    fields) are exactly those of the leaves that agree with b on the fields
    both assign; b is uniform iff all those leaves have one outcome tuple.
    This is what _uniform() computes by re-exploring b, at the cost of a few
    big-integer ANDs.  Per-field bit sets are built on first use."""

    def __init__(self, leaves):
        self.assigns = [a for a, _ in leaves]
        self.outcomes = [tuple(outcome_of(x) for x in rcs) for _, rcs in leaves]
        self.full = (1 << len(self.assigns)) - 1
        self.fields: dict = {}        # field -> ({value: leaves with it}, leaves without the field)
        self.by_outcome = self._masks(self.outcomes)

    @staticmethod
    def _masks(vals) -> dict:
        """value -> bit set of the positions holding it (values hashed in C: no Blocks)."""
        idmap = {v: i for i, v in enumerate(set(vals))}
        code = "".join(map(chr, map(idmap.__getitem__, vals)))[::-1]
        zeros = dict.fromkeys(range(len(idmap)), 48)
        out = {}
        for v, k in idmap.items():
            table = dict(zeros)
            table[k] = 49
            out[v] = int(code.translate(table), 2)
        return out

    def field(self, f):
        got = self.fields.get(f)
        if got is None:
            vals = [a.get(f, _MISSING) for a in self.assigns]
            if type(f) is tuple and f[0] == "disp":     # Blocks compare by key: index the keys
                vals = [_MISSING if v is _MISSING else v.key for v in vals]
            masks = self._masks(vals)
            got = self.fields[f] = (masks, masks.pop(_MISSING, 0))
        return got

    def compat(self, b: dict) -> int:
        """Leaves that agree with b wherever both assign a field."""
        m = self.full
        for f, v in b.items():
            masks, absent = self.field(f)
            m &= masks.get(v.key if type(v) is Block else v, 0) | absent
            if not m:
                break
        return m

    def inside(self, b: dict) -> int:
        """Leaves that assign every field of b as b does (the leaves b's cube contains)."""
        m = self.full
        for f, v in b.items():
            m &= self.field(f)[0].get(v.key if type(v) is Block else v, 0)
            if not m:
                break
        return m

    @staticmethod
    def members(mask: int) -> set:
        """The leaf positions in a bit set."""
        bits = bin(mask)[:1:-1]
        out, i = set(), bits.find("1")
        while i >= 0:
            out.add(i)
            i = bits.find("1", i + 1)
        return out

    def uniform(self, b: dict):
        compat = self.compat(b)
        if not compat:
            return None
        o = self.outcomes[(compat & -compat).bit_length() - 1]
        return o if compat & ~self.by_outcome[o] == 0 else None


def minimize(ctx, evaluators, assign: dict, want: tuple, keep=("with_token",), index: LeafIndex | None = None) -> dict:
    """Drop fields while the whole widened cube keeps the same outcomes: the
    fewest distinguishing fields (greedy, LSM fields first).  With ``index``
    (the leaves of the exploration the cube comes from) a widened cube is
    tested on the leaves' bit sets instead of being explored again."""
    a = dict(assign)
    uniform = index.uniform if index is not None else (lambda b: _uniform(ctx, evaluators, b))

    def prio(f):
        if isinstance(f, tuple):
            return {"disp": 0, "deleg": 1, "cap": 3}[f[0]]
        return {"stack": 2, "token": 2, "sysctl": 4, "owns_child": 4, "userns": 5}.get(f, 6)
    for f in sorted(a, key=prio):
        if f in keep or f not in a:
            continue
        b = dict(a)
        del b[f]
        if uniform(b) == want:
            a = b
    return a


# --------------------------------------------------------------------------
# diff

MINIMIZE_BUDGET = 12


def _step_models(v: Verdict, t) -> str:
    suffix = f" ({v.kernel})"
    return t.models[:-len(suffix)] if t.models.endswith(suffix) else t.models


def _deciding_step(v: Verdict):
    """The check that decided v: the failing one (the last step of a denial,
    or the hook whose positive return reached user space), or for an allow
    the LSM bypass that skipped the kernel's own checks (None: every check passed)."""
    if v.outcome != "allow":
        return v.trace[-1] if v.trace else None
    return next((t for t in v.trace if t.result.startswith("bypass")), None)


def explain(va: Verdict, vb: Verdict, max_steps: int = 3) -> str:
    """In words a maintainer can hold against the source: for each kernel,
    the function and C condition that decided the example (from its trace);
    where one kernel allows without a bypass, what that kernel checks in the
    function where the other one decided."""
    parts = []
    for v, other in ((va, vb), (vb, va)):
        d = _deciding_step(v)
        bypass = next((t for t in v.trace if t.result.startswith("bypass")), None)
        if d is not None:
            after = f" (after {_step_models(v, bypass)}: {bypass.check} -> {bypass.result})" \
                if bypass is not None and bypass is not d else ""
            parts.append(f"{v.kernel}: {v.outcome} at {_step_models(v, d)}: {d.check} -> {d.result}{after}")
            continue
        od = _deciding_step(other)
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


@contextmanager
def _no_gc():
    """The exploration allocates many small acyclic objects (assignments,
    trie nodes): the cyclic collector would only rescan them (about a
    quarter of a diff's time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            # what survives (the result) goes to the oldest generation unscanned;
            # otherwise the next young collection would walk all of it at once
            gc.freeze()
            gc.unfreeze()
            gc.enable()


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
                exb = to_scenario(cand, op, kb, f"diff-{ka.name}-to-{kb.name}", ctx=ctx)
                exa = to_scenario(cand, op, ka, f"diff-{ka.name}-to-{kb.name}", ctx=ctx)
                va, vb = decide(parse_scenario(exa)), decide(parse_scenario(exb))
                if (va.outcome, vb.outcome) == (oa, ob):
                    break
            groups.append(DiffGroup(op, oa, ob, tuple(conds), exb, (va, vb), sum(w for _, w, _ in items), unminimized,
                                    explain(va, vb)))
    return DiffResult(ka.name, kb.name, tuple(groups), total, changed, nleaves, time.perf_counter() - t0)


# --------------------------------------------------------------------------
# properties


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
    for order in (("bpf", "selinux"), ("selinux", "bpf")):
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


CAP_BPF_ONLY_MAPS = ("BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_STACK_TRACE", "BPF_MAP_TYPE_SK_STORAGE", "BPF_MAP_TYPE_QUEUE")


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


def enumerate_space(kernel: str):
    """(op, assign, rc, weight) for every leaf (cube) of one kernel's space."""
    k = load_kernel(kernel)
    out = []
    for op in space_ops((k.name,)):
        ctx = Context(op, ((k.name, _same),))
        for a, (r,), w in leaves_and_weights(ctx, ctx.evaluators(), _base_assign(op)):
            out.append((op, a, r, w))
    return out
