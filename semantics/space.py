"""The bounded configuration space, enumerated lazily (diff: impact.py; check: properties.py;
minimization: minimize.py; words and scenarios: describe.py).

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
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from semantics.engine import evaluate, vm_all_agree, walk_int_hook
from semantics.kernels import Kernel, canonical_hook, data_dir, load_kernel
from semantics.scenario import ALL, Op, parse_scenario
from semantics.vocab import DELEGATE_KINDS



def _space_data() -> dict:
    """data/kernels/space.toml: the operations, stacks and engine facts of the space."""
    return tomllib.loads((data_dir() / "kernels" / "space.toml").read_text())


SPACE = _space_data()
STACKS = tuple(tuple(s) for s in SPACE["stacks"])
MODULES = tuple(SPACE["modules"])
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
    for h, r in SPACE["engine_hook_rules"].items():
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
    """The one value of a delegation option that matters to op (space.toml [token])."""
    if op.call != "bpf":
        return None
    token = SPACE["token"]
    if kind == "delegate_cmds":
        return token["command_as"].get(op.cmd, op.cmd)
    if kind == "delegate_maps":
        return op.map_type if op.cmd in token["map_commands"] else None
    if op.cmd not in token["prog_commands"]:
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
    for a, rcs, *_ in _iter_leaves_weighted(ctx, evaluators, assign, weights=False):
        yield a, rcs


def _iter_leaves_weighted(ctx: Context, evaluators, assign: dict, weights: bool = True):
    """iter_leaves() that also carries, per leaf, what its weight needs (see
    leaves_and_weights()): the product of the domain sizes of its assigned regular
    fields, the product of its blocks' weights, and how many hooks it reads. weights=False
    (iter_leaves(), which drops them): the start's own fields are not counted, since a cube
    being minimized may assign blocks without their stack."""
    p0 = 1
    for f in assign if weights else ():
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
    for spec in SPACE["ops"]:
        op = parse_scenario({"id": "op", "task": {}, "op": spec}).op
        if all(_op_valid(k, op) for k in ks):
            ops.append(op)
        if op.call == "bpf" and op.cmd in SPACE["token"]["commands"] \
                and all(_op_valid(k, op) for k in ks) and any(k.token_support for k in ks):
            ops.append(Op(**{**op.__dict__, "with_token": True}))
    return tuple(ops)


def _base_assign(op: Op) -> dict:
    # the op spec fixes whether the call passes a token
    return {"with_token": bool(op.with_token)}


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


def enumerate_space(kernel: str):
    """(op, assign, rc, weight) for every leaf (cube) of one kernel's space."""
    k = load_kernel(kernel)
    out = []
    for op in space_ops((k.name,)):
        ctx = Context(op, ((k.name, _same),))
        for a, (r,), w in leaves_and_weights(ctx, ctx.evaluators(), _base_assign(op)):
            out.append((op, a, r, w))
    return out
