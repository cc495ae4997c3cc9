"""The scenario JSON contract (docs/DESIGN.md): unknown fields and values are errors naming them."""
from __future__ import annotations

import json

import pytest

from semantics import ScenarioError, load_scenarios, parse_scenario, replay

BASE = {"id": "x", "kernel": "v6.3", "task": {"userns": "child", "caps": {"init": [], "child": ["CAP_BPF"]}},
        "sysctl": {"kernel.unprivileged_bpf_disabled": 2}, "lsm": [], "token": None,
        "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_LRU_HASH"}}


def mk(**over):
    obj = json.loads(json.dumps(BASE))
    for path, v in over.items():
        cur = obj
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur[k]
        cur[keys[-1]] = v
    return obj


@pytest.mark.parametrize("over, needle", [
    ({"colour": "red"}, "colour"),
    ({"task__gid": 5}, "gid"),
    ({"task__userns": "grandchild"}, "grandchild"),
    ({"task__caps": {"init": ["CAP_FLY"]}}, "CAP_FLY"),
    ({"task__caps": {"mars": []}}, "mars"),
    ({"sysctl": {"kernel.unprivileged_bpf_disabled": 3}}, "3"),
    ({"sysctl": {"vm.swappiness": 1}}, "vm.swappiness"),
    ({"lsm": [{"name": "capability", "returns": {}}]}, "capability"),
    ({"lsm": [{"name": "nosuchlsm", "returns": {}}]}, "nosuchlsm"),
    ({"lsm": [{"name": "bpf", "returns": {"no_such_hook": 1}}]}, "no_such_hook"),
    ({"lsm": [{"name": "bpf", "returns": {"bpf": "-EWHAT"}}]}, "-EWHAT"),
    ({"lsm": [{"name": "bpf", "returns": {"bpf_map_free_security": 0}}]}, "void"),
    ({"lsm": [{"name": "bpf", "priority": 1}]}, "priority"),
    ({"op": {"call": "fly"}}, "fly"),
    ({"op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_WHATEVER"}}, "BPF_MAP_TYPE_WHATEVER"),
    ({"op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "speed": 1}}, "speed"),
    ({"op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "map_flags": ["BPF_F_BOGUS"]}}, "BPF_F_BOGUS"),
    ({"op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "with_token": True}}, "with_token"),
    ({"op": {"call": "ns_capable", "cap": "CAP_BPF", "ns": "cousin"}}, "cousin"),
    ({"op": {"call": "vm_enough_memory", "overcommit_memory": 3, "fits": "always"}}, "overcommit_memory"),
    ({"op": {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "sometimes"}}, "sometimes"),
    ({"token": {"userns": "child", "delegate_cmds": ["BPF_NOPE"]}}, "BPF_NOPE"),
    ({"token": {"userns": "child", "color": 1}}, "color"),
    ({"kernel": "v9.9"}, "v9.9"),
])
def test_unknown_field_or_value_names_it(over, needle):
    with pytest.raises(ScenarioError) as ei:
        replay(mk(**over))
    assert needle in str(ei.value)


def test_hook_missing_in_scenario_kernel_is_ignored_with_a_trace_line():
    obj = mk(lsm=[{"name": "bpf", "returns": {"bpf_token_capable": -1}}])
    v = replay(obj)                     # v6.3 has no token hooks
    assert v.trace[0].check == "lsm[0] bpf: returns -1 from bpf_token_capable"
    assert v.trace[0].result.startswith("ignored: kernel v6.3 has no hook bpf_token_capable")
    assert replay(obj, "v6.9").outcome == "EPERM"
    with pytest.raises(ScenarioError, match="bpf_tokn_capable"):      # no variant has it: an error
        replay(mk(lsm=[{"name": "bpf", "returns": {"bpf_tokn_capable": -1}}]))


def test_map_type_missing_in_kernel_is_an_error():
    obj = mk(op={"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_ARENA"})
    with pytest.raises(ScenarioError, match="ARENA"):
        replay(obj)
    assert replay(obj, "v6.9").outcome == "EPERM"


def test_returns_accept_ints_and_errno_strings():
    for v, want in ((-1, "EPERM"), (-13, "EACCES"), ("-EACCES", "EACCES"), ("-EPERM", "EPERM")):
        obj = mk(task={"userns": "init", "caps": {"init": "ALL"}}, lsm=[{"name": "selinux", "returns": {"bpf": v}}])
        assert replay(obj).outcome == want


def test_names_without_prefix_and_any():
    s = parse_scenario(mk(op={"call": "bpf", "cmd": "map_create", "map_type": "lru_hash"},
                          token={"userns": "child", "delegate_cmds": ["any"]}))
    assert s.op.cmd == "BPF_MAP_CREATE" and s.op.map_type == "BPF_MAP_TYPE_LRU_HASH"
    assert s.token.delegate_cmds == "ALL"


def test_output_shape():
    v = replay(BASE).to_json()
    assert list(v) == ["id", "kernel", "outcome", "trace"]
    assert v["id"] == "x" and v["kernel"] == "v6.3" and v["outcome"] == "EPERM"
    assert all(set(t) == {"check", "models", "result"} for t in v["trace"])


def test_kernel_override():
    assert replay(BASE, "v6.9").kernel == "v6.9"
    obj = dict(BASE)
    del obj["kernel"]
    with pytest.raises(ScenarioError, match="kernel"):
        replay(obj)
    assert replay(obj, "v6.3").outcome == "EPERM"


def test_load_scenarios_list_or_object(tmp_path):
    p = tmp_path / "one.json"
    p.write_text(json.dumps(BASE))
    assert [s.id for s in load_scenarios(p)] == ["x"]
    p.write_text(json.dumps([BASE, dict(BASE, id="y")]))
    assert [s.id for s in load_scenarios(p)] == ["x", "y"]
    p.write_text(json.dumps([dict(BASE, id="bad", extra=1)]))
    with pytest.raises(ScenarioError, match="bad.*extra"):
        load_scenarios(p)


def test_scenario_roundtrip():
    s = parse_scenario(BASE)
    assert parse_scenario(s.to_json()) == s
