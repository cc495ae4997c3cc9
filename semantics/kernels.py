"""Kernel variants as data: data/kernels/<name>.json over facts-<version>.json.

A variant file holds the ordered check programs per bpf() command (and for
sysctl writes and bpffs), the named capability predicates, the hook-dispatch
rule of its security/security.c, and points at a facts file (hook list with
defaults, bpf() enums).  "extends" inherits everything from another variant;
"commands" replaces whole per-command programs, "hooks_add" adds LSM hooks.
Adding a variant is adding a file: the interpreter in engine.py has no
per-variant code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from semantics.datadir import data_dir  # the one place it is decided (also semantics.data_dir)
from semantics.errors import ScenarioError


@dataclass(frozen=True)
class Kernel:
    name: str
    description: str
    source: str
    call_int_hook: str            # "first_nonzero" (v6.3) | "first_non_default" (v6.9)
    call_int_hook_models: str
    token_support: bool
    bpffs_delegation: bool
    int_hooks: dict               # hook name -> default return (int)
    void_hooks: frozenset
    bpf_cmds: frozenset
    map_types: frozenset
    prog_types: frozenset
    attach_types: tuple           # enum order (value 0 first)
    attach_to_prog: dict
    capabilities: dict            # name -> number
    predicates: dict
    groups: dict
    commands: dict                # cmd -> tuple of steps
    programs: dict                # PROGRAMS ("sysctl_write", "userns_create", ...) -> steps
    sysctl_defaults: dict
    extra: dict = field(default_factory=dict, compare=False)
    hook_aliases: dict = field(default_factory=dict)   # another variant's hook name -> this kernel's
    stub_modules: frozenset = frozenset()   # modules whose stub implements every hook (facts "stub_modules")

    def own_hook(self, hook: str) -> str | None:
        """This kernel's name for a hook spelled as in any variant (bpf_map_alloc_security in v6.3
        is bpf_map_create in v6.9: the variant files' "hook_aliases"), or None if it has none."""
        if hook in self.int_hooks:
            return hook
        own = self.hook_aliases.get(hook)
        if own in self.int_hooks:
            return own
        for other in hook_class(hook):
            if other in self.int_hooks:
                return other
        return None

    def hook_default(self, hook: str) -> int:
        return self.int_hooks[hook]

    def group(self, name_or_list) -> frozenset:
        if isinstance(name_or_list, str):
            return self.groups[name_or_list]
        return frozenset(name_or_list)


def _variant_files() -> dict[str, Path]:
    kdir = data_dir() / "kernels"
    try:
        stamp = kdir.stat().st_mtime_ns      # a variant added or removed changes the directory
    except OSError:
        stamp = None
    return dict(_variant_files_in(str(kdir), stamp))


@lru_cache(maxsize=16)
def _variant_files_in(kdir: str, stamp) -> tuple:
    out = {}
    for p in sorted(Path(kdir).glob("*.json")):
        if p.name.startswith("facts-") or p.name == "releases.json":
            continue
        out[p.stem] = p
    return tuple(out.items())


def kernel_names() -> list[str]:
    """Every variant in data/kernels, ordered by the data alone: the variants that hold for a
    mainline release in release order (releases.json), each followed by the variants that
    extend it (by name, each followed by its own), then any other variant by name.
    Worked out once per variant directory (its files and stamp, as _variant_files reads it) and
    releases file: the data files do not change under a running process, and a report asks
    ~535 times (each a json.loads of every variant file, ~0.13 s)."""
    from semantics.releases import releases

    return list(_kernel_names(tuple(_variant_files().items()), releases()))


@lru_cache(maxsize=16)
def _kernel_names(files: tuple, rels: tuple) -> tuple:
    by_name = dict(files)
    names = sorted(by_name)
    extends = {n: json.loads(by_name[n].read_text()).get("extends") for n in names}
    dated = [r.variant for r in rels if r.variant in extends and not extends[r.variant]]
    out: list[str] = []

    def add(n):
        if n not in out:
            out.append(n)
            for child in names:
                if extends[child] == n:
                    add(child)
    for n in dict.fromkeys(dated + [n for n in names if not extends[n]] + names):
        add(n)
    return tuple(out)


def known_kernel(name: str) -> str:
    """`name` if it is a kernel variant in data/kernels, else the one ScenarioError every
    caller gives for an unknown kernel (replay/diff/check's --kernel, a scenario's "kernel")."""
    names = kernel_names()
    if name not in names:
        raise ScenarioError(f"unknown kernel {name!r} (known: {', '.join(names)})")
    return name


def _extends(name: str) -> str | None:
    """The variant a variant file extends (None for a whole one)."""
    return json.loads(_variant_files()[name].read_text()).get("extends")


# operations other than bpf() commands whose checks a variant file lists as a program
PROGRAMS = ("sysctl_write", "bpffs_create", "bpffs_set_option", "userns_create")


def _raw(name: str, seen=()) -> dict:
    files = _variant_files()
    if name not in files:
        known_kernel(name)
    raw = json.loads(files[name].read_text())
    base_name = raw.get("extends")
    if not base_name:
        return raw
    if base_name in seen:
        raise ScenarioError(f"kernel {name!r}: 'extends' cycle")
    base = _raw(base_name, seen + (name,))
    merged = dict(base)
    for k, v in raw.items():
        if k == "commands":
            cmds = dict(base.get("commands", {}))
            cmds.update(v)
            merged["commands"] = cmds
        elif k == "hooks_add":
            merged["hooks_add"] = {**base.get("hooks_add", {}), **v}
        else:
            merged[k] = v
    return merged


@lru_cache(maxsize=None)
def load_kernel(name: str) -> Kernel:
    raw = _raw(name)
    facts = json.loads((data_dir() / "kernels" / raw["facts"]).read_text())
    from semantics.vocab import ERRNO

    int_hooks = dict(facts["int_hooks"])
    int_hooks.update(raw.get("hooks_add", {}))
    # defaults such as "-EOPNOTSUPP" become their integer values
    int_hooks = {h: (-ERRNO[d.lstrip("-")] if isinstance(d, str) else d) for h, d in int_hooks.items()}
    groups = {k: frozenset(v) for k, v in raw.get("groups", {}).items()}
    return Kernel(
        name=raw["name"],
        description=raw.get("description", ""),
        source=raw.get("source", ""),
        call_int_hook=raw["call_int_hook"],
        call_int_hook_models=raw["call_int_hook_models"],
        token_support=bool(raw.get("token_support")),
        bpffs_delegation=bool(raw.get("bpffs_delegation")),
        int_hooks=int_hooks,
        void_hooks=frozenset(facts["void_hooks"]),
        bpf_cmds=frozenset(facts["bpf_cmds"]),
        map_types=frozenset(facts["map_types"]),
        prog_types=frozenset(facts["prog_types"]),
        attach_types=tuple(facts["attach_types"]),
        attach_to_prog=dict(facts["attach_type_to_prog_type"]),
        capabilities=dict(facts["capabilities"]),
        predicates=raw.get("predicates", {}),
        groups=groups,
        commands={k: tuple(v) for k, v in raw.get("commands", {}).items()},
        programs={k: tuple(raw.get(k, ())) for k in PROGRAMS},
        sysctl_defaults=raw.get("sysctl_defaults", {}),
        extra={"sysctl_defaults_note": raw.get("sysctl_defaults_note", ""),
               "hook_aliases_models": raw.get("hook_aliases_models", ""),
               "unmodeled_calls": dict(raw.get("unmodeled_calls", {})),
               # hooks whose security_HOOK() is only call_int_hook() (facts "plain_dispatch", generated
               # from security/security.c by bench/gen_lsm_dispatch.py): hook -> {"caller", "line"}
               "plain_dispatch": dict((facts.get("plain_dispatch") or {}).get("hooks", {})),
               "security_c": facts.get("security_c", "security/security.c")},
        hook_aliases=dict(raw.get("hook_aliases", {})),
        stub_modules=frozenset(facts.get("stub_modules", {})),
    )


@lru_cache(maxsize=None)
def _hook_classes(stamp) -> dict:
    """Union of every variant's "hook_aliases": hook name -> the sorted tuple of its spellings."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for n in kernel_names():
        for a, b in _raw(n).get("hook_aliases", {}).items():
            parent[find(a)] = find(b)
    groups: dict = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return {x: tuple(sorted(g)) for g in groups.values() for x in g}


def hook_class(hook: str) -> tuple:
    """Every spelling of a hook across the variants (itself alone if it was never renamed)."""
    return _hook_classes(tuple(sorted(_variant_files().items()))).get(hook, (hook,))


def canonical_hook(hook: str) -> str:
    """One name per renamed hook, for comparing variants (the first spelling in sort order)."""
    return hook_class(hook)[0]


def hook_label(hook: str) -> str:
    """bpf_map_alloc_security/bpf_map_create: a renamed hook under all its names."""
    return "/".join(hook_class(hook))


@lru_cache(maxsize=None)
def universe() -> dict[str, frozenset]:
    """Union over all variants of every enum name: what a scenario may spell at all."""
    u: dict[str, set] = {"map_types": set(), "prog_types": set(), "attach_types": set(),
                         "bpf_cmds": set(), "capabilities": set(), "hooks": set(), "void_hooks": set()}
    for n in kernel_names():
        k = load_kernel(n)
        u["map_types"] |= k.map_types
        u["prog_types"] |= k.prog_types
        u["attach_types"] |= set(k.attach_types)
        u["bpf_cmds"] |= k.bpf_cmds
        u["capabilities"] |= set(k.capabilities)
        u["hooks"] |= set(k.int_hooks)
        u["void_hooks"] |= k.void_hooks
    return {k: frozenset(v) for k, v in u.items()}
