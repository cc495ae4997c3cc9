"""The engine's steps, conditions and predicate atoms are name -> function tables, and the engine
names no LSM module: which module's stub answers every hook is the facts files' "stub_modules"."""
from dataclasses import replace

from semantics import decide, load_kernel, parse_scenario
from semantics.engine import ATOMS, CONDITIONS, STEPS, walk_int_hook


def test_every_step_and_condition_a_variant_uses_is_in_the_tables():
    def conds(c):
        return set(c) if isinstance(c, dict) else set()

    for name in ("v6.3", "proposal-2023-04", "v6.9"):
        k = load_kernel(name)
        for steps in list(k.commands.values()) + list(k.programs.values()):
            for s in steps:
                assert s["do"] in STEPS, (name, s)
                assert conds(s.get("when")) | conds(s.get("cond")) <= set(CONDITIONS), (name, s)
    assert {"var", "capable", "ns_capable", "token_capable"} <= set(ATOMS)


def test_the_bpf_lsm_stub_comes_from_the_facts_file():
    k = load_kernel("v6.3")
    assert k.stub_modules == frozenset({"bpf"})
    # security_bpf() with bpf stacked and no return set: the stub answers with the default
    rc, who = walk_int_hook(k, "bpf", ("bpf",), (None,))
    assert rc == 0 and who == [("bpf (stub default)", 0)]
    # a kernel whose facts list no stub module: bpf is called only for hooks it implements
    rc, who = walk_int_hook(replace(k, stub_modules=frozenset()), "bpf", ("bpf",), (None,))
    assert rc == 0 and who == []
    # and selinux as a stub module is consulted the same way (no module name in the engine)
    rc, who = walk_int_hook(replace(k, stub_modules=frozenset({"selinux"})), "bpf", ("selinux",), (None,))
    assert who == [("selinux (stub default)", 0)]


def test_the_trace_names_the_stub():
    s = parse_scenario({"id": "t", "kernel": "v6.9", "task": {"caps": {"init": ["CAP_BPF"]}},
                        "lsm": [{"name": "bpf", "returns": {}}],
                        "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH"}})
    v = decide(s)
    assert any("bpf (stub default)" in t.result for t in v.trace)
