"""Minimization: the fewest fields of a cube that keep its outcomes (minimize),
testing a widened cube by exploring it again (_uniform) or on the bit sets
of the leaves it comes from (LeafIndex)."""
from __future__ import annotations

from semantics.engine import outcome_of
from semantics.space import _MISSING, Block, iter_leaves


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
