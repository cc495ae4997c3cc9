"""The scenario contract (docs/DESIGN.md, "Contracts"): parsing and validation.

Every field and value is checked; an unknown one raises ScenarioError naming
it.  Whether a hook, map type, ... exists in the scenario's kernel is checked
in decide() (the kernel can be overridden at replay time).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from semantics import vocab
from semantics.errors import ScenarioError
from semantics.kernels import known_kernel, universe

ALL = "ALL"   # the full capability set / "any" delegation
MAP_TYPE_ALIASES = {
    "BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED": "BPF_MAP_TYPE_CGROUP_STORAGE",
    "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED": "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
}


@dataclass(frozen=True)
class Task:
    userns: str = "init"
    uid: int = 1000                   # euid as the init namespace sees it (kuid); read by sysctl writes
    caps: tuple = ()                  # ((ns, frozenset(names) | "ALL"), ...)
    owns_child_userns: bool = False

    def caps_in(self, ns: str):
        for n, c in self.caps:
            if n == ns:
                return c
        return frozenset()


@dataclass(frozen=True)
class LsmModule:
    name: str
    returns: tuple = ()               # ((hook, int), ...) sorted

    def ret(self, hook: str):
        for h, v in self.returns:
            if h == hook:
                return v
        return None


@dataclass(frozen=True)
class Token:
    userns: str
    delegate_cmds: Any = frozenset()   # frozenset of names, or ALL
    delegate_maps: Any = frozenset()
    delegate_progs: Any = frozenset()
    delegate_attachs: Any = frozenset()

    def delegates(self, kind: str):
        return getattr(self, kind)

    def has_delegation(self) -> bool:
        return any(self.delegates(k) for k in vocab.DELEGATE_KINDS)


@dataclass(frozen=True)
class Op:
    call: str
    cmd: str | None = None
    map_type: str | None = None
    map_flags: frozenset = frozenset()
    prog_type: str | None = None
    attach_type: str | None = None
    with_token: bool = False
    btf_fields: frozenset = frozenset()    # special fields of the map value's BTF type (vocab.BTF_FIELDS)
    fd_flags: frozenset = frozenset()      # BPF_MAP_FREEZE: flags the fd was opened with (vocab.FD_FLAGS)
    frozen: bool | None = None             # BPF_MAP_FREEZE: the map is already frozen (default no)
    write_active: bool | None = None       # BPF_MAP_FREEZE: bpf_map_write_active(): writable mmaps (default no)
    cap: str | None = None
    ns: str | None = None
    overcommit_memory: int | None = None
    fits: str | None = None
    name: str | None = None
    value: Any = None
    option: str | None = None
    userns: str | None = None
    parent_level: int | None = None        # userns_create: the creator's namespace's level (default: 0 init, 1 child)
    ns_limit_reached: bool | None = None   # userns_create: user.max_user_namespaces reached (default no)
    chrooted: bool | None = None           # userns_create: current_chrooted() (default no)
    creator_mapped: bool | None = None     # userns_create: euid/egid mapped in the parent namespace (default yes)
    hook: str | None = None                # lsm_hook: the hook whose security_HOOK() is called
    private_inode: bool | None = None      # lsm_hook: IS_PRIVATE(inode) (default no)

    def to_json(self) -> dict:
        out: dict = {"call": self.call}
        for f in vocab.OP_FIELDS[self.call]:
            v = getattr(self, f)
            if f in ("map_flags", "btf_fields", "fd_flags"):
                if v:
                    out[f] = sorted(v)
                continue
            if f == "with_token":
                if v:
                    out[f] = True
                continue
            if f == "value" and self.call == "bpffs_set_option":
                out[f] = _delegates_json(v)
                continue
            if v is not None:
                out[f] = v
        return out


@dataclass(frozen=True)
class Scenario:
    id: str
    kernel: str | None
    task: Task
    sysctl: tuple = ()                 # ((name, value), ...)
    lsm: tuple = ()                    # LsmModule, in stack order after commoncap
    token: Token | None = None
    op: Op = Op(call="capable", cap="CAP_BPF")
    description: str = ""

    def sysctl_value(self, name: str, default: int) -> int:
        for n, v in self.sysctl:
            if n == name:
                return v
        return default

    def to_json(self) -> dict:
        caps = {ns: (ALL if c == ALL else sorted(c)) for ns, c in self.task.caps}
        task: dict = {"userns": self.task.userns, "caps": caps}
        if self.task.uid != 1000:
            task["uid"] = self.task.uid
        if self.task.owns_child_userns:
            task["owns_child_userns"] = True
        out: dict = {"id": self.id, "kernel": self.kernel, "task": task,
                     "sysctl": {n: v for n, v in self.sysctl},
                     "lsm": [{"name": m.name, "returns": {h: v for h, v in m.returns}} for m in self.lsm],
                     "token": None, "op": self.op.to_json()}
        if self.token is not None:
            t = {"userns": self.token.userns}
            for k in vocab.DELEGATE_KINDS:
                t[k] = _delegates_json(self.token.delegates(k))
            out["token"] = t
        if self.description:
            out["description"] = self.description
        return out


def _delegates_json(v):
    if v == ALL:
        return ["any"]
    return sorted(v)


def _fail(path: str, msg: str):
    raise ScenarioError(f"{path}: {msg}")


def _check_fields(obj: Any, allowed: Iterable[str], path: str) -> dict:
    if not isinstance(obj, dict):
        _fail(path, f"expected an object, got {type(obj).__name__}")
    for k in obj:
        if k not in allowed:
            _fail(f"{path}.{k}" if path else k, f"unknown field {k!r} (allowed: {', '.join(allowed)})")
    return obj


def _one_of(value: Any, allowed: Iterable, path: str) -> Any:
    """value when it is one of a closed vocabulary, else the contract's error for a field's value:
    "PATH: unknown value V (allowed: A, B)". No vocabulary holds true or false, though True == 1."""
    try:
        known = value in allowed and not isinstance(value, bool)
    except TypeError:  # a list or an object where a name belongs (unhashable: not in a dict or set)
        known = False
    if not known:
        _fail(path, f"unknown value {value!r} (allowed: {', '.join(map(str, allowed))})")
    return value


def _name(value: Any, known: frozenset, prefix: str, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, f"expected a name, got {value!r}")
    v = value.strip().upper()
    if not v.startswith(prefix):
        v = prefix + v
    if v not in known:
        _fail(path, f"unknown value {value!r}")
    return v


def parse_errno_value(v: Any, path: str) -> int:
    """A hook return: an int (-1 = -EPERM) or a string like "-EACCES" / "0" / "1"."""
    if isinstance(v, bool):
        _fail(path, f"unknown value {v!r} (expected an integer or \"-EPERM\"-style string)")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            pass
        name = s.lstrip("-")
        if name in vocab.ERRNO:  # "EACCES" and "-EACCES" both mean the hook returns -EACCES
            return -vocab.ERRNO[name]
    _fail(path, f"unknown value {v!r} (expected an integer or an errno name such as \"-EACCES\")")


def _caps(obj: Any, path: str):
    if not isinstance(obj, dict):
        _fail(path, "expected an object mapping a namespace to a capability list")
    known = universe()["capabilities"]
    out = []
    for ns, lst in obj.items():
        if ns not in vocab.NAMESPACES:
            _fail(f"{path}.{ns}", f"unknown namespace {ns!r} (allowed: {', '.join(vocab.NAMESPACES)})")
        if lst == ALL or lst == [ALL]:
            out.append((ns, ALL))
            continue
        if not isinstance(lst, list):
            _fail(f"{path}.{ns}", "expected a list of capability names or \"ALL\"")
        out.append((ns, frozenset(_name(c, known, "CAP_", f"{path}.{ns}") for c in lst)))
    return tuple(sorted(out, key=lambda x: x[0]))


def _delegation(kind: str, v: Any, path: str):
    u = universe()
    known, prefix = {
        "delegate_cmds": (u["bpf_cmds"], "BPF_"),
        "delegate_maps": (u["map_types"], "BPF_MAP_TYPE_"),
        "delegate_progs": (u["prog_types"], "BPF_PROG_TYPE_"),
        "delegate_attachs": (u["attach_types"], "BPF_"),
    }[kind]
    if v is None:
        return frozenset()
    if isinstance(v, str):
        v = [p for p in v.split(":") if p] if v else []
    if not isinstance(v, list):
        _fail(path, "expected a list of names (or [\"any\"])")
    names = set()
    for item in v:
        if isinstance(item, str) and item.strip().lower() == "any":
            return ALL
        names.add(_name(item, known, prefix, path))
    return frozenset(names)


def _names(v: Any, known: tuple, path: str) -> frozenset:
    """A list of names from a closed vocabulary (a single name is a list of one)."""
    if v is None:
        return frozenset()
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        _fail(path, "expected a list of names")
    for item in v:
        _one_of(item, known, path)
    return frozenset(v)


def _bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        _fail(path, f"unknown value {v!r} (expected true or false)")
    return v


def _op(obj: Any) -> Op:
    if not isinstance(obj, dict):
        _fail("op", "expected an object")
    call = _one_of(obj.get("call"), vocab.OP_FIELDS, "op.call")
    _check_fields(obj, ("call",) + vocab.OP_FIELDS[call], "op")
    u = universe()
    kw: dict = {"call": call}
    if call == "bpf":
        if "cmd" not in obj:
            _fail("op.cmd", "missing")
        cmd = _name(obj["cmd"], u["bpf_cmds"], "BPF_", "op.cmd")
        if cmd not in vocab.BPF_CMDS_MODELED:
            _fail("op.cmd", f"value {obj['cmd']!r} is not modeled (modeled: {', '.join(vocab.BPF_CMDS_MODELED)})")
        kw["cmd"] = cmd
        if obj.get("map_type") is not None:
            mt = _name(obj["map_type"], u["map_types"], "BPF_MAP_TYPE_", "op.map_type")
            # the uapi's *_DEPRECATED names are aliases of the same enum value
            kw["map_type"] = MAP_TYPE_ALIASES.get(mt, mt)
        if obj.get("prog_type") is not None:
            kw["prog_type"] = _name(obj["prog_type"], u["prog_types"], "BPF_PROG_TYPE_", "op.prog_type")
        if obj.get("attach_type") is not None:
            kw["attach_type"] = _name(obj["attach_type"], u["attach_types"], "BPF_", "op.attach_type")
        flags = obj.get("map_flags") or []
        if isinstance(flags, str):
            flags = [flags]
        if not isinstance(flags, list):
            _fail("op.map_flags", "expected a list of flag names")
        kw["map_flags"] = frozenset(_name(f, frozenset(vocab.MAP_FLAGS), "BPF_F_", "op.map_flags") for f in flags)
        if "with_token" in obj:
            kw["with_token"] = _bool(obj["with_token"], "op.with_token")
        kw["btf_fields"] = _names(obj.get("btf_fields"), vocab.BTF_FIELDS, "op.btf_fields")
        kw["fd_flags"] = _names(obj.get("fd_flags"), vocab.FD_FLAGS, "op.fd_flags")
        for f in ("frozen", "write_active"):
            if obj.get(f) is not None:
                kw[f] = _bool(obj[f], f"op.{f}")
        freeze_only = [f for f in ("fd_flags", "frozen", "write_active") if obj.get(f)]
        if freeze_only and cmd != "BPF_MAP_FREEZE":
            _fail(f"op.{freeze_only[0]}", "only for BPF_MAP_FREEZE (it describes the fd passed to map_freeze())")
        if kw["btf_fields"] and cmd not in ("BPF_MAP_CREATE", "BPF_MAP_FREEZE"):
            _fail("op.btf_fields", "only for BPF_MAP_CREATE and BPF_MAP_FREEZE (the map value's BTF type)")
        if cmd in ("BPF_MAP_CREATE",) and "map_type" not in kw:
            _fail("op.map_type", "missing (required for BPF_MAP_CREATE)")
        if cmd == "BPF_PROG_LOAD" and "prog_type" not in kw:
            _fail("op.prog_type", "missing (required for BPF_PROG_LOAD)")
        if cmd == "BPF_PROG_ATTACH" and "attach_type" not in kw:
            _fail("op.attach_type", "missing (required for BPF_PROG_ATTACH)")
    elif call in ("capable", "ns_capable"):
        if "cap" not in obj:
            _fail("op.cap", "missing")
        kw["cap"] = _name(obj["cap"], u["capabilities"], "CAP_", "op.cap")
        if call == "ns_capable":
            kw["ns"] = _one_of(obj.get("ns"), vocab.NS_TARGETS, "op.ns")
    elif call == "vm_enough_memory":
        kw["overcommit_memory"] = _one_of(obj.get("overcommit_memory"), (0, 1, 2), "op.overcommit_memory")
        kw["fits"] = _one_of(obj.get("fits"), vocab.FITS, "op.fits")
    elif call == "sysctl_write":
        _one_of(obj.get("name"), vocab.SYSCTLS, "op.name")
        val = obj.get("value")
        if not isinstance(val, int) or isinstance(val, bool):
            _fail("op.value", f"unknown value {val!r} (expected an integer)")
        kw["name"], kw["value"] = obj["name"], val
    elif call == "bpffs_set_option":
        kw["option"] = _one_of(obj.get("option"), vocab.DELEGATE_KINDS, "op.option")
        kw["value"] = _delegation(kw["option"], obj.get("value"), "op.value")
    elif call == "bpffs_create":
        kw["userns"] = _one_of(obj.get("userns"), vocab.NAMESPACES, "op.userns")
    elif call == "lsm_hook":
        h = obj.get("hook")
        if isinstance(h, str) and h.startswith("security_") and h[len("security_"):] in u["hooks"]:
            h = h[len("security_"):]
        if not isinstance(h, str) or h not in u["hooks"]:
            if isinstance(h, str) and h in u["void_hooks"]:
                _fail("op.hook", f"hook {h!r} returns void; it cannot decide anything")
            _fail("op.hook", f"unknown hook {h!r}")
        kw["hook"] = h
        if obj.get("private_inode") is not None:
            kw["private_inode"] = _bool(obj["private_inode"], "op.private_inode")
    elif call == "userns_create":
        if obj.get("parent_level") is not None:
            lvl = obj["parent_level"]
            if not isinstance(lvl, int) or isinstance(lvl, bool) or lvl < 0:
                _fail("op.parent_level", f"unknown value {lvl!r} (expected an integer >= 0)")
            kw["parent_level"] = lvl
        for f in ("ns_limit_reached", "chrooted", "creator_mapped"):
            if obj.get(f) is not None:
                kw[f] = _bool(obj[f], f"op.{f}")
    return Op(**kw)


def parse_scenario(obj: Any) -> "Scenario":
    """Validate one scenario object of the contract and return a frozen Scenario."""
    if isinstance(obj, Scenario):
        return obj
    _check_fields(obj, vocab.TOP_FIELDS, "")
    sid = obj.get("id")
    if not isinstance(sid, str) or not sid:
        _fail("id", "missing or not a string")
    kernel = obj.get("kernel")
    if kernel is not None:
        known_kernel(kernel)

    t = obj.get("task")
    if t is None:
        _fail("task", "missing")
    _check_fields(t, vocab.TASK_FIELDS, "task")
    userns = _one_of(t.get("userns", "init"), vocab.NAMESPACES, "task.userns")
    uid = t.get("uid", 1000)
    if not isinstance(uid, int) or isinstance(uid, bool) or uid < 0:
        _fail("task.uid", f"unknown value {uid!r}")
    owns = _bool(t.get("owns_child_userns", False), "task.owns_child_userns")
    # A task inside the child namespace may own it too (it ran unshare(CLONE_NEWUSER));
    # cap_capable() only uses ownership when walking up from a namespace below the task's,
    # so for such a task it changes nothing.
    task = Task(userns=userns, uid=uid, caps=_caps(t.get("caps", {}), "task.caps"), owns_child_userns=owns)

    sysctl_obj = obj.get("sysctl") or {}
    _check_fields(sysctl_obj, vocab.SYSCTLS, "sysctl")
    sysctl = []
    for n, v in sysctl_obj.items():
        sysctl.append((n, _one_of(v, (0, 1, 2), f"sysctl.{n}")))

    lsm_obj = obj.get("lsm") or []
    if not isinstance(lsm_obj, list):
        _fail("lsm", "expected a list of modules")
    mods, seen = [], set()
    hooks_known = universe()["hooks"]
    for i, m in enumerate(lsm_obj):
        path = f"lsm[{i}]"
        _check_fields(m, vocab.LSM_FIELDS, path)
        name = m.get("name")
        if name == "capability":
            _fail(f"{path}.name", "'capability' (commoncap) always runs first and is derived from task; don't list it")
        _one_of(name, vocab.LSM_NAMES, f"{path}.name")
        if name in seen:
            _fail(f"{path}.name", f"module {name!r} listed twice")
        seen.add(name)
        rets = m.get("returns") or {}
        if not isinstance(rets, dict):
            _fail(f"{path}.returns", "expected an object mapping a hook to a return value")
        parsed = []
        for h, v in rets.items():
            hook = h[len("security_"):] if h.startswith("security_") and h[len("security_"):] in hooks_known else h
            if hook not in hooks_known:
                if hook in universe()["void_hooks"]:
                    _fail(f"{path}.returns.{h}", f"hook {h!r} returns void; it cannot decide anything")
                _fail(f"{path}.returns.{h}", f"unknown hook {h!r}")
            parsed.append((hook, parse_errno_value(v, f"{path}.returns.{h}")))
        mods.append(LsmModule(name=name, returns=tuple(sorted(parsed))))

    tok = obj.get("token")
    token = None
    if tok is not None:
        _check_fields(tok, vocab.TOKEN_FIELDS, "token")
        tu = _one_of(tok.get("userns"), vocab.NAMESPACES, "token.userns")
        token = Token(userns=tu, **{k: _delegation(k, tok.get(k), f"token.{k}") for k in vocab.DELEGATE_KINDS})

    if "op" not in obj:
        _fail("op", "missing")
    op = _op(obj["op"])
    if op.with_token:
        if token is None:
            _fail("op.with_token", "true but token is null: no bpffs instance to make a token from")
        if token.userns == "init":
            _fail("op.with_token", "no token can be made from a bpffs of the init namespace (bpf_token_create() returns -EOPNOTSUPP there); replay op BPF_TOKEN_CREATE to see it")
        if not token.has_delegation():
            _fail("op.with_token", "no token can be made from a bpffs without delegate_* options (bpf_token_create() returns -ENOENT); replay op BPF_TOKEN_CREATE to see it")
    desc = obj.get("description", "")
    if not isinstance(desc, str):
        _fail("description", "expected a string")
    return Scenario(id=sid, kernel=kernel, task=task, sysctl=tuple(sysctl), lsm=tuple(mods),
                    token=token, op=op, description=desc)


def load_scenarios(path) -> list[Scenario]:
    """A file with a JSON list of scenarios, or one scenario object."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{p}: not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse_scenario(item))
        except ScenarioError as exc:
            label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else f"#{i}"
            raise ScenarioError(f"{p}: scenario {label}: {exc}") from None
    return out
