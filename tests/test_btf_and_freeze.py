"""Two behaviours read from the provided sources (issue 12, Deliver 5):

- map_check_btf() kernel/bpf/syscall.c: a map whose BTF value type has special fields (bpf_spin_lock,
  bpf_timer, kptrs, list/rb-tree roots; v6.9 also bpf_refcount) needs bpf_capable() (6.3.8; the
  proposal unless its LSM hook granted the map: priv_checked) or bpf_token_capable(token, CAP_BPF)
  (6.9.0), then refuses BPF_F_RDONLY_PROG/WRONLY_PROG (-EACCES) and map types a field is not
  supported on (-EOPNOTSUPP);
- map_freeze(): maps with special fields are -ENOTSUPP; 6.9.0 (and patch 6/8) refuse a fd without
  FMODE_CAN_WRITE (-EPERM): one made read-only at creation, one opened read-only by BPF_OBJ_GET /
  BPF_MAP_GET_FD_BY_ID, and any fd of a frozen map (map_get_sys_perms()); 6.3.8 gives -EBUSY for a
  frozen map or one with writable mmaps, then asks bpf_capable().
Each catalog scenario replays on every variant with the outcome written from the source."""
from __future__ import annotations

import json

import pytest

from hookdebate.cli import main
from semantics import ScenarioError, by_id, catalog, kernel_names, parse_scenario, replay

NEW = [e for e in catalog() if e.id.startswith(("map-create-spin-lock", "map-create-btf", "map-create-refcount",
                                                 "map-freeze-read-only-fd-from", "map-freeze-already",
                                                 "map-freeze-writable", "map-freeze-btf"))]


def test_the_new_entries_are_in_the_catalog():
    assert len(NEW) == 10
    for e in NEW:
        assert set(dict(e.expected)) == set(kernel_names()), e.id


@pytest.mark.parametrize("kernel", kernel_names())
@pytest.mark.parametrize("entry", NEW, ids=lambda e: e.id)
def test_each_new_scenario_replays_on_every_variant(entry, kernel):
    v = replay(entry.scenario, kernel)
    assert v.outcome == entry.expected_for(kernel)
    assert v.kernel == kernel and all(f"({kernel})" in t.models for t in v.trace)


def _deciding(v):
    return v.trace[-1]


@pytest.mark.parametrize("kernel,pred", [("v6.3", "!bpf_capable()"), ("proposal-2023-04", "!priv_checked && !bpf_capable()"),
                                         ("v6.9", "!bpf_token_capable(token, CAP_BPF)")])
def test_map_check_btf_is_the_deciding_step_and_cites_its_function(kernel, pred):
    v = replay(by_id("map-create-spin-lock-value-unprivileged").scenario, kernel)
    last = _deciding(v)
    assert v.outcome == "EPERM" and last.result == "-EPERM"
    assert pred in last.check and last.models == f"map_check_btf() kernel/bpf/syscall.c ({kernel})"
    # the same map without special fields is allowed: the refusal is map_check_btf()'s
    plain = parse_scenario({**by_id("map-create-spin-lock-value-unprivileged").scenario_json(),
                            "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH"}})
    assert replay(plain, kernel).outcome == "allow"


# the variants that model map_check_btf() and map_freeze() (pre-capbpf says "not modeled" past bpf()'s gate)
BTF_KERNELS = [k for k in kernel_names() if k != "pre-capbpf"]


def test_btf_prog_access_flags_and_map_types():
    base = by_id("map-create-spin-lock-value-capbpf").scenario_json()
    assert replay(parse_scenario(base), "pre-capbpf").outcome == "not modeled"
    for k in BTF_KERNELS:
        ro = dict(base, op={**base["op"], "map_flags": ["BPF_F_RDONLY_PROG"]})
        assert replay(parse_scenario(ro), k).outcome == "EACCES"
        kptr_percpu = dict(base, op={**base["op"], "map_type": "BPF_MAP_TYPE_PERCPU_HASH", "btf_fields": ["kptr"]})
        # kptrs in a per-CPU hash: v6.3.8 supports them only in (LRU) hash and (per-CPU) arrays; 6.9.0 also there
        assert replay(parse_scenario(kptr_percpu), k).outcome == ("allow" if k == "v6.9" else "EOPNOTSUPP")


def test_proposal_bypass_sets_priv_checked_only_on_a_positive_return():
    s = by_id("map-create-btf-special-fields-lsm-bypass").scenario_json()
    zero = dict(s, lsm=[{"name": "bpf", "returns": {"bpf_map_create_security": 0}}], sysctl={"kernel.unprivileged_bpf_disabled": 0})
    zero["task"] = {"userns": "init", "caps": {"init": []}}
    v = replay(parse_scenario(zero), "proposal-2023-04")
    assert v.outcome == "EPERM" and _deciding(v).models.startswith("map_check_btf()")


def test_freeze_fd_modes_and_frozen_map():
    s = by_id("map-freeze-already-frozen").scenario_json()
    v63 = replay(parse_scenario(s), "v6.3")
    assert v63.outcome == "EBUSY" and "READ_ONCE(map->frozen)" in _deciding(v63).check
    v69 = replay(parse_scenario(s), "v6.9")
    assert v69.outcome == "EPERM" and "FMODE_CAN_WRITE" in _deciding(v69).check
    # a write-only fd keeps FMODE_CAN_WRITE
    wo = dict(s, op={"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY", "fd_flags": ["BPF_F_WRONLY"]})
    assert {k: replay(parse_scenario(wo), k).outcome for k in BTF_KERNELS} == dict.fromkeys(BTF_KERNELS, "allow")
    assert replay(parse_scenario(wo), "pre-capbpf").outcome == "not modeled"
    # v6.3: a frozen map is -EBUSY before bpf_capable() is asked, so even without CAP_BPF
    nocap = dict(s, task={"userns": "init", "caps": {"init": []}})
    assert replay(parse_scenario(nocap), "v6.3").outcome == "EBUSY"


@pytest.mark.parametrize("op,msg", [
    ({"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "fd_flags": ["BPF_F_RDONLY"]}, "op.fd_flags"),
    ({"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_XDP", "btf_fields": ["bpf_timer"]}, "op.btf_fields"),
    ({"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "btf_fields": ["bpf_wq"]}, "unknown value 'bpf_wq'"),
    ({"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY", "frozen": "yes"}, "op.frozen"),
])
def test_new_fields_are_validated(op, msg):
    with pytest.raises(ScenarioError, match=msg.replace("(", r"\(")):
        parse_scenario({"id": "x", "task": {}, "op": op})


def test_replay_across_cli_and_json_round_trip(capsys):
    rc = main(["replay", "map-freeze-read-only-fd-from-obj-get", "--across", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    (item,) = json.loads(out)
    assert {r["kernel"]: r["outcome"] for r in item["across"]} == {"pre-capbpf": "not modeled", "v6.3": "allow",
                                                                   "proposal-2023-04": "EPERM", "v6.9": "EPERM"}
    e = by_id("map-create-btf-timer-with-token")
    assert parse_scenario(e.scenario.to_json()) == e.scenario
