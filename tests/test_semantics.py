"""One test per modeled rule; each names the kernel function and version it checks.

Scenarios are built inline in the contract's JSON shape (docs/DESIGN.md)."""
from __future__ import annotations

import copy

import pytest

from semantics import ScenarioError, Verdict, decide, kernel_names, load_kernel, parse_scenario, replay


def sc(op, kernel="v6.3", userns="init", caps=(), owns=False, sysctl=None, lsm=(), token=None, sid="t"):
    obj = {"id": sid, "kernel": kernel, "task": {"userns": userns, "caps": {userns: caps if caps == "ALL" else list(caps)}},
           "lsm": [dict(m) for m in lsm], "token": token, "op": op}
    if owns:
        obj["task"]["owns_child_userns"] = True
    if sysctl is not None:
        obj["sysctl"] = {"kernel.unprivileged_bpf_disabled": sysctl}
    return obj


def out(obj, kernel=None):
    return replay(obj, kernel).outcome


MAP = lambda t, **kw: {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": t, **kw}  # noqa: E731
LRU, HASH = "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_HASH"
PROG = lambda t, **kw: {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": t, **kw}  # noqa: E731
BTF = {"call": "bpf", "cmd": "BPF_BTF_LOAD"}
ALLK = ("v6.3", "proposal-2023-04", "v6.9")
TOKEN = {"userns": "child", "delegate_cmds": ["BPF_MAP_CREATE", "BPF_PROG_LOAD", "BPF_BTF_LOAD"],
         "delegate_maps": [LRU, HASH], "delegate_progs": ["BPF_PROG_TYPE_SOCKET_FILTER"], "delegate_attachs": ["any"]}


def test_variants_present():
    assert set(ALLK) <= set(kernel_names())


# --- capabilities: cap_capable() security/commoncap.c, ns_capable() kernel/capability.c


@pytest.mark.parametrize("k", ALLK)
def test_cap_capable_child_cap_not_seen_by_capable(k):
    """cap_capable() (all versions): a child-namespace task's CAP_BPF never satisfies capable() (init ns)."""
    assert out(sc({"call": "capable", "cap": "CAP_BPF"}, k, "child", ["CAP_BPF"])) == "EPERM"
    assert out(sc({"call": "ns_capable", "cap": "CAP_BPF", "ns": "child"}, k, "child", ["CAP_BPF"])) == "allow"
    assert out(sc({"call": "ns_capable", "cap": "CAP_BPF", "ns": "sibling"}, k, "child", ["CAP_BPF"])) == "EPERM"


@pytest.mark.parametrize("k", ALLK)
def test_cap_capable_owner_of_child_has_every_cap(k):
    """cap_capable() (all versions): the parent-ns task whose euid owns the child ns has every capability there."""
    op = {"call": "ns_capable", "cap": "CAP_SYS_ADMIN", "ns": "child"}
    assert out(sc(op, k, "init", [], owns=True)) == "allow"
    assert out(sc(op, k, "init", [], owns=False)) == "EPERM"
    assert out(sc({"call": "ns_capable", "cap": "CAP_SYS_ADMIN", "ns": "sibling"}, k, "init", [], owns=True)) == "EPERM"
    assert out(sc({"call": "capable", "cap": "CAP_SYS_ADMIN"}, k, "init", [], owns=True)) == "EPERM"


def test_cap_capable_walks_up_to_the_task_namespace():
    """cap_capable() v6.3: a capability held in init is effective in every descendant namespace."""
    for ns in ("child", "sibling"):
        assert out(sc({"call": "ns_capable", "cap": "CAP_BPF", "ns": ns}, "v6.3", "init", ["CAP_BPF"])) == "allow"


def test_security_capable_lsm_can_only_restrict():
    """security_capable() -> call_int_hook(capable) v6.3: commoncap first; a module can refuse, never grant."""
    deny = [{"name": "selinux", "returns": {"capable": -13}}]
    grant = [{"name": "selinux", "returns": {"capable": 1}}]
    assert out(sc({"call": "capable", "cap": "CAP_BPF"}, "v6.3", "init", ["CAP_BPF"], lsm=deny)) == "EPERM"
    assert out(sc({"call": "capable", "cap": "CAP_BPF"}, "v6.3", "init", [], lsm=[{"name": "selinux", "returns": {"capable": 0}}])) == "EPERM"
    # a positive return is a non-zero return: not capable
    assert out(sc({"call": "capable", "cap": "CAP_BPF"}, "v6.3", "init", ["CAP_BPF"], lsm=grant)) == "EPERM"


# --- LSM dispatch: call_int_hook() security/security.c


def test_call_int_hook_first_nonzero_wins_v63():
    """call_int_hook() v6.3: modules in order, the first non-zero return wins (later modules not asked)."""
    a = {"name": "bpf", "returns": {"bpf": 1}}
    b = {"name": "selinux", "returns": {"bpf": "-EACCES"}}
    assert out(sc(MAP(LRU), "v6.3", "init", ["CAP_BPF"], lsm=[a, b])) == "allow"
    assert out(sc(MAP(LRU), "v6.3", "init", ["CAP_BPF"], lsm=[b, a])) == "EACCES"
    v = replay(sc(MAP(LRU), "v6.3", "init", ["CAP_BPF"], lsm=[b, a]))
    step = [t for t in v.trace if t.check == "security_bpf()"][0]
    assert "call_int_hook(bpf)" in step.models and "selinux=-EACCES" in step.result and "bpf=" not in step.result


def test_bpf_lsm_stub_returns_hook_default():
    """bpf_lsm stubs kernel/bpf/bpf_lsm.c: an unset hook returns LSM_HOOK's default (vm_enough_memory: 0 in v6.3, 1 in v6.9)."""
    assert load_kernel("v6.3").hook_default("vm_enough_memory") == 0
    assert load_kernel("v6.9").hook_default("vm_enough_memory") == 1
    op = {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "with_admin_reserve"}
    obj = sc(op, "v6.3", "init", "ALL", lsm=[{"name": "bpf", "returns": {}}])
    assert out(obj) == "ENOMEM"
    assert out(obj, "v6.9") == "allow"


def test_non_bpf_module_implements_only_listed_hooks():
    """security_vm_enough_memory_mm() v6.3: a module without a vm_enough_memory return does not take part."""
    op = {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "with_admin_reserve"}
    assert out(sc(op, "v6.3", "init", "ALL", lsm=[{"name": "selinux", "returns": {}}])) == "allow"


# --- security_vm_enough_memory_mm(), cap_vm_enough_memory(), __vm_enough_memory()


@pytest.mark.parametrize("k", ALLK)
def test_vm_enough_memory_all_must_agree(k):
    """security_vm_enough_memory_mm() (all versions): an LSM cannot grant the admin reserve commoncap denies."""
    op = {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "with_admin_reserve"}
    assert out(sc(op, k, "init", [], lsm=[{"name": "selinux", "returns": {"vm_enough_memory": 1}}])) == "ENOMEM"
    assert out(sc(op, k, "init", ["CAP_SYS_ADMIN"], lsm=[{"name": "selinux", "returns": {"vm_enough_memory": 0}}])) == "ENOMEM"
    assert out(sc(op, k, "init", ["CAP_SYS_ADMIN"], lsm=[{"name": "selinux", "returns": {"vm_enough_memory": 1}}])) == "allow"
    # cap_vm_enough_memory() uses cap_capable(init_user_ns): a child ns admin gets no reserve
    assert out(sc(op, k, "child", "ALL")) == "ENOMEM"


def test_vm_enough_memory_overcommit_modes():
    """__vm_enough_memory() mm/util.c v6.3: mode 1 always, mode 0 heuristic, mode 2 commit limit + admin reserve."""
    def o(mode, fits, caps=()):
        return out(sc({"call": "vm_enough_memory", "overcommit_memory": mode, "fits": fits}, "v6.3", "init", list(caps)))
    assert o(1, "never") == "allow"
    assert o(0, "with_admin_reserve") == "allow"
    assert o(0, "never") == "ENOMEM"
    assert o(2, "always") == "allow"
    assert o(2, "with_admin_reserve") == "ENOMEM"
    assert o(2, "with_admin_reserve", ["CAP_SYS_ADMIN"]) == "allow"
    assert o(2, "never", ["CAP_SYS_ADMIN"]) == "ENOMEM"


# --- bpf(): sysctl gate, order of checks


def test_sysctl_gate_before_security_bpf_in_v63_after_in_proposal_and_v69():
    """__sys_bpf() v6.3 checks unprivileged_bpf_disabled before security_bpf(); patch 1/8 and v6.9 map_create() after."""
    lsm = [{"name": "selinux", "returns": {"bpf": "-EACCES"}}]
    obj = sc(MAP(HASH), "v6.3", "init", [], sysctl=1, lsm=lsm)
    assert out(obj, "v6.3") == "EPERM"
    assert out(obj, "proposal-2023-04") == "EACCES"
    assert out(obj, "v6.9") == "EACCES"


@pytest.mark.parametrize("k", ALLK)
@pytest.mark.parametrize("val", [1, 2])
def test_unprivileged_bpf_disabled_blocks_unprivileged_map_create(k, val):
    """map_create()/__sys_bpf() (all versions): sysctl 1 or 2 denies an unprivileged task; 0 lets a hash map through."""
    assert out(sc(MAP(HASH), k, "init", [], sysctl=val)) == "EPERM"
    assert out(sc(MAP(HASH), k, "init", [], sysctl=0)) == "allow"
    assert out(sc(MAP(HASH), k, "init", ["CAP_BPF"], sysctl=val)) == "allow"


def test_missing_sysctl_uses_config_default_and_says_so():
    """sysctl_unprivileged_bpf_disabled kernel/bpf/syscall.c v6.3: default 2 with CONFIG_BPF_UNPRIV_DEFAULT_OFF."""
    obj = sc(MAP(HASH), "v6.3", "init", [])
    obj.pop("sysctl", None)
    v = replay(obj)
    assert v.outcome == "EPERM"
    assert any("default 2" in t.result for t in v.trace)


@pytest.mark.parametrize("k", ALLK)
def test_lru_hash_needs_bpf_capable(k):
    """htab_map_alloc_check() v6.3 / map_create() switch (proposal, v6.9): LRU needs bpf_capable(); HASH does not."""
    assert out(sc(MAP(LRU), k, "init", [], sysctl=0)) == "EPERM"
    assert out(sc(MAP(LRU), k, "init", ["CAP_BPF"], sysctl=0)) == "allow"
    assert out(sc(MAP(LRU), k, "init", ["CAP_SYS_ADMIN"], sysctl=0)) == "allow"
    assert out(sc(MAP(HASH), k, "init", [], sysctl=0)) == "allow"


@pytest.mark.parametrize("k", ALLK)
def test_zero_seed_needs_cap_sys_admin(k):
    """htab_map_alloc_check() (all versions): BPF_F_ZERO_SEED needs capable(CAP_SYS_ADMIN), CAP_BPF is not enough."""
    op = MAP(HASH, map_flags=["BPF_F_ZERO_SEED"])
    assert out(sc(op, k, "init", ["CAP_BPF"], sysctl=0)) == "EPERM"
    assert out(sc(op, k, "init", ["CAP_SYS_ADMIN"], sysctl=0)) == "allow"


def test_zero_seed_not_bypassed_by_proposed_hook():
    """map_create() proposal-2023-04: map_alloc_check runs before security_bpf_map_create(), so its check stays."""
    lsm = [{"name": "bpf", "returns": {"bpf_map_create_security": 1}}]
    assert out(sc(MAP(HASH, map_flags=["BPF_F_ZERO_SEED"]), "proposal-2023-04", "init", [], lsm=lsm)) == "EPERM"


def test_net_admin_maps_v63_capable_net_admin_only_v69_sys_admin_too():
    """dev_map_alloc() v6.3: capable(CAP_NET_ADMIN); map_create() v6.9: bpf_token_capable(CAP_NET_ADMIN) also takes CAP_SYS_ADMIN."""
    obj = sc(MAP("BPF_MAP_TYPE_DEVMAP"), "v6.3", "init", ["CAP_SYS_ADMIN"], sysctl=0)
    assert out(obj, "v6.3") == "EPERM"
    assert out(obj, "proposal-2023-04") == "EPERM"
    assert out(obj, "v6.9") == "allow"
    assert out(sc(MAP("BPF_MAP_TYPE_DEVMAP"), "v6.3", "init", ["CAP_NET_ADMIN"], sysctl=0)) == "allow"


def test_flags_rdonly_wronly_einval():
    """bpf_get_file_flag() via map_create() v6.9: BPF_F_RDONLY with BPF_F_WRONLY is -EINVAL."""
    assert out(sc(MAP(HASH, map_flags=["BPF_F_RDONLY", "BPF_F_WRONLY"]), "v6.9", "init", "ALL")) == "EINVAL"


def test_security_bpf_map_alloc_positive_reaches_user_space():
    """map_create() v6.3: 'if (err) goto free_map' returns a positive security_bpf_map_alloc() value as is."""
    lsm = [{"name": "selinux", "returns": {"bpf_map_alloc_security": 1}}]
    assert out(sc(MAP(HASH), "v6.3", "init", "ALL", lsm=lsm)) == "ret=1"


# --- the proposal: authoritative hooks (patches 4/8, 7/8)


def test_proposed_map_hook_positive_bypasses_kernel_checks():
    """map_create() proposal-2023-04 patch 4/8: security_bpf_map_create() > 0 skips sysctl and capability checks."""
    lsm = [{"name": "bpf", "returns": {"bpf_map_create_security": 1}}]
    for mt in (LRU, "BPF_MAP_TYPE_DEVMAP", HASH):
        assert out(sc(MAP(mt), "proposal-2023-04", "child", ["CAP_BPF"], sysctl=2, lsm=lsm)) == "allow"
    v = replay(sc(MAP(LRU), "proposal-2023-04", "child", ["CAP_BPF"], lsm=lsm))
    assert not any("bpf_capable" in t.check for t in v.trace)


def test_proposed_map_hook_zero_falls_back_negative_denies():
    """map_create() proposal-2023-04: 0 keeps the kernel's checks; a negative return is returned as is."""
    zero = [{"name": "bpf", "returns": {"bpf_map_create_security": 0}}]
    neg = [{"name": "bpf", "returns": {"bpf_map_create_security": "-EACCES"}}]
    assert out(sc(MAP(LRU), "proposal-2023-04", "init", [], sysctl=0, lsm=zero)) == "EPERM"
    assert out(sc(MAP(LRU), "proposal-2023-04", "init", "ALL", lsm=neg)) == "EACCES"


def test_proposed_btf_hook():
    """bpf_btf_load() proposal-2023-04 patch 7/8: security_bpf_btf_load() > 0 skips bpf_capable()."""
    lsm = [{"name": "bpf", "returns": {"bpf_btf_load_security": 1}}]
    assert out(sc(BTF, "proposal-2023-04", "init", [], lsm=lsm)) == "allow"
    assert out(sc(BTF, "proposal-2023-04", "init", [])) == "EPERM"
    assert out(sc(BTF, "v6.3", "init", [], lsm=[{"name": "bpf", "returns": {"bpf": 1}}])) == "EPERM"


def test_map_freeze_capability_dropped_by_patch_6():
    """map_freeze() v6.3 needs bpf_capable(); patch 6/8 (and v6.9) replace it with FMODE_CAN_WRITE."""
    obj = sc({"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY"}, "v6.3", "init", [])
    assert out(obj, "v6.3") == "EPERM"
    assert out(obj, "proposal-2023-04") == "allow"
    assert out(obj, "v6.9") == "allow"


def test_map_freeze_write_check_added_by_patch_6():
    """map_freeze() kernel/bpf/syscall.c, patch 6/8 (and v6.9): !(map_get_sys_perms(map, f) & FMODE_CAN_WRITE)
    returns -EPERM, so a read-only map fd (map created with BPF_F_RDONLY) can no longer freeze the map,
    even with CAP_BPF; v6.3 never looked at the fd's mode."""
    ro = {"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY", "map_flags": ["BPF_F_RDONLY"]}
    obj = sc(ro, "v6.3", "init", ["CAP_BPF"])
    assert out(obj, "v6.3") == "allow"
    assert out(obj, "proposal-2023-04") == "EPERM"
    assert out(obj, "v6.9") == "EPERM"
    v = replay(obj, "proposal-2023-04")
    assert any("FMODE_CAN_WRITE" in t.check and "map_freeze()" in t.models and t.result == "-EPERM" for t in v.trace)


def test_map_create_zero_seed_not_behind_proposed_hook():
    """htab_map_alloc_check() kernel/bpf/hashtab.c: patch 3/8 moved only the LRU check out of it; the
    BPF_F_ZERO_SEED capable(CAP_SYS_ADMIN) check stays there and runs before security_bpf_map_create(),
    so a bypass (> 0) does not help; the LRU check now sits behind the hook (map_create() switch)."""
    lsm = [{"name": "bpf", "returns": {"bpf_map_create_security": 1}}]
    zs = MAP(HASH, map_flags=["BPF_F_ZERO_SEED"])
    assert out(sc(zs, "proposal-2023-04", "init", ["CAP_BPF"], sysctl=0, lsm=lsm)) == "EPERM"
    assert out(sc(MAP(LRU), "proposal-2023-04", "init", [], sysctl=0, lsm=lsm)) == "allow"
    assert out(sc(MAP(LRU), "v6.3", "init", [], sysctl=0)) == "EPERM"


def test_proposed_hooks_absent_elsewhere():
    """lsm_hook_defs.h: bpf_map_create_security exists only in proposal-2023-04; another kernel
    ignores a return for it, with a trace line saying so (one situation replays on every kernel)."""
    obj = sc(MAP(LRU), "v6.3", lsm=[{"name": "bpf", "returns": {"bpf_map_create_security": 1}}])
    v = replay(obj)
    assert v.outcome == replay(sc(MAP(LRU), "v6.3", lsm=[{"name": "bpf", "returns": {}}])).outcome
    assert "ignored: kernel v6.3 has no hook bpf_map_create_security" in v.trace[0].result
    assert "bpf_map_create_security" in load_kernel("proposal-2023-04").int_hooks
    assert "bpf_map_create" in load_kernel("v6.9").int_hooks and "bpf_map_create" not in load_kernel("v6.3").int_hooks


def test_renamed_hook_is_one_hook():
    """v6.3's bpf_map_alloc_security is v6.9's bpf_map_create (data/kernels/v6.9.json "hook_aliases"):
    a return written with either name is applied under both kernels, with a trace line."""
    for name in ("bpf_map_alloc_security", "bpf_map_create"):
        obj = sc(MAP("BPF_MAP_TYPE_HASH"), "v6.3", "init", ["CAP_BPF"], sysctl=0,
                 lsm=[{"name": "selinux", "returns": {name: -13}}])
        for k in ("v6.3", "proposal-2023-04", "v6.9"):
            v = replay(obj, k)
            assert v.outcome == "EACCES", (name, k)
            own = load_kernel(k).own_hook(name)
            assert (own == name) or any(f"is {k}'s {own}" in t.result for t in v.trace)
    assert load_kernel("v6.3").own_hook("bpf_token_cmd") is None


# --- programs, attach


@pytest.mark.parametrize("k", ALLK)
def test_prog_load_type_checks(k):
    """bpf_prog_load() (all versions): socket filters unprivileged; tracing needs CAP_PERFMON; XDP needs CAP_NET_ADMIN or SYS_ADMIN."""
    assert out(sc(PROG("BPF_PROG_TYPE_SOCKET_FILTER"), k, "init", [], sysctl=0)) == "allow"
    assert out(sc(PROG("BPF_PROG_TYPE_KPROBE"), k, "init", ["CAP_BPF"], sysctl=0)) == "EPERM"
    assert out(sc(PROG("BPF_PROG_TYPE_KPROBE"), k, "init", ["CAP_BPF", "CAP_PERFMON"], sysctl=0)) == "allow"
    assert out(sc(PROG("BPF_PROG_TYPE_XDP"), k, "init", ["CAP_BPF"], sysctl=0)) == "EPERM"
    assert out(sc(PROG("BPF_PROG_TYPE_XDP"), k, "init", ["CAP_BPF", "CAP_NET_ADMIN"], sysctl=0)) == "allow"


@pytest.mark.parametrize("k", ALLK)
def test_cgroup_skb_attach_eperm_reported_as_einval(k):
    """bpf_prog_attach_check_attach_type() (all versions): CGROUP_SKB attach without CAP_NET_ADMIN -> -EINVAL."""
    op = {"call": "bpf", "cmd": "BPF_PROG_ATTACH", "prog_type": "BPF_PROG_TYPE_CGROUP_SKB", "attach_type": "BPF_CGROUP_INET_INGRESS"}
    assert out(sc(op, k, "init", [])) == "EINVAL"
    assert out(sc(op, k, "init", ["CAP_NET_ADMIN"])) == "allow"
    bad = dict(op, prog_type="BPF_PROG_TYPE_XDP")
    assert out(sc(bad, k, "init", "ALL")) == "EINVAL"


# --- sysctl writes: bpf_unpriv_handler()


@pytest.mark.parametrize("k", ALLK)
def test_sysctl_write_rules(k):
    """test_perm() fs/proc/proc_sysctl.c then bpf_unpriv_handler() kernel/bpf/syscall.c (all
    versions): global root euid, CAP_SYS_ADMIN, range 0..2, 1 is one-way."""
    def w(v, cur, caps="ALL", ns="init", uid=0):
        obj = sc({"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": v}, k, ns, caps, sysctl=cur)
        obj["task"]["uid"] = uid
        return out(obj)
    assert w(0, 2) == "allow"
    assert w(1, 0) == "allow"
    assert w(0, 1) == "EPERM"
    assert w(2, 1) == "EPERM"
    assert w(1, 1) == "allow"
    assert w(3, 0) == "EINVAL"
    assert w(0, 2, caps=["CAP_BPF"]) == "EPERM"
    assert w(0, 2, ns="child") == "EPERM"
    # mode 0644 and no capability override: a non-root euid cannot open it for writing,
    # whatever it holds, and the handler's own checks are never reached
    assert w(0, 2, uid=1000) == "EACCES"
    assert w(3, 0, uid=1000) == "EACCES"
    assert w(0, 2, ns="child", uid=100000) == "EACCES"
    r = replay(sc({"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": 0}, k, "init", "ALL", sysctl=2))
    assert r.outcome == "EACCES" and any("test_perm()" in t.models and t.result == "-EACCES" for t in r.trace)


# --- the BPF token of v6.9: kernel/bpf/token.c, kernel/bpf/inode.c


def test_token_grants_namespaced_cap_bpf_v69():
    """bpf_token_capable() v6.9: with a token, CAP_BPF is ns_capable() against the token's namespace."""
    op = MAP(LRU, with_token=True)
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN)) == "allow"
    assert out(sc(MAP(LRU), "v6.9", "child", ["CAP_BPF"], token=TOKEN)) == "EPERM"
    assert out(sc(op, "v6.9", "child", [], token=TOKEN)) == "EPERM"
    # the task in init owning the child namespace also passes ns_capable(child, CAP_BPF)
    assert out(sc(op, "v6.9", "init", [], owns=True, token=TOKEN)) == "allow"


def test_token_not_covering_is_ignored_v69():
    """map_create() v6.9: bpf_token_allow_cmd()/_map_type() false -> token dropped, system-wide checks apply."""
    t = dict(TOKEN, delegate_maps=[HASH])
    assert out(sc(MAP(LRU, with_token=True), "v6.9", "child", ["CAP_BPF"], token=t)) == "EPERM"
    v = replay(sc(MAP(LRU, with_token=True), "v6.9", "child", ["CAP_BPF"], token=t))
    assert any("token ignored" in s.result and "delegate_maps" in s.result for s in v.trace)
    t2 = dict(TOKEN, delegate_cmds=["BPF_BTF_LOAD"])
    assert out(sc(MAP(LRU, with_token=True), "v6.9", "child", ["CAP_BPF"], token=t2)) == "EPERM"


def test_token_lsm_hooks_v69():
    """bpf_token_allow_cmd() / bpf_token_capable() v6.9: security_bpf_token_cmd() != 0 drops the token; security_bpf_token_capable() < 0 refuses."""
    op = MAP(LRU, with_token=True)
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN, lsm=[{"name": "selinux", "returns": {"bpf_token_cmd": -1}}])) == "EPERM"
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN, lsm=[{"name": "selinux", "returns": {"bpf_token_capable": -1}}])) == "EPERM"
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN, lsm=[{"name": "selinux", "returns": {"bpf_token_capable": 1}}])) == "allow"


def test_prog_load_token_needs_expected_attach_type_zero_delegated_v69():
    """bpf_token_allow_prog_type() v6.9: expected_attach_type 0 (BPF_CGROUP_INET_INGRESS) must be in delegate_attachs."""
    t = dict(TOKEN, delegate_attachs=[])
    op = PROG("BPF_PROG_TYPE_SOCKET_FILTER", with_token=True)
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], sysctl=2, token=t)) == "EPERM"
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], sysctl=2, token=TOKEN)) == "allow"


def test_token_create_rules_v69():
    """bpf_token_create() kernel/bpf/token.c v6.9: same userns, ns_capable(CAP_BPF), not init, some delegation."""
    op = {"call": "bpf", "cmd": "BPF_TOKEN_CREATE"}
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN)) == "allow"
    assert out(sc(op, "v6.9", "child", [], token=TOKEN)) == "EPERM"
    assert out(sc(op, "v6.9", "init", ["CAP_BPF"], token=TOKEN)) == "EPERM"          # not the bpffs's userns
    assert out(sc(op, "v6.9", "init", ["CAP_BPF"], token=dict(TOKEN, userns="init"))) == "EOPNOTSUPP"
    empty = {"userns": "child", "delegate_cmds": [], "delegate_maps": [], "delegate_progs": [], "delegate_attachs": []}
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=empty)) == "ENOENT"
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=None)) == "EBADF"
    assert out(sc(op, "v6.9", "child", ["CAP_BPF"], token=TOKEN, lsm=[{"name": "selinux", "returns": {"bpf_token_create": -13}}])) == "EACCES"
    assert out(sc(op, "v6.3", "child", ["CAP_BPF"], token=TOKEN)) == "EINVAL"


def test_token_passed_to_v63_fails_check_attr():
    """CHECK_ATTR(BPF_MAP_CREATE) v6.3: map_token_fd is past the last field -> -EINVAL (after __sys_bpf()'s sysctl gate)."""
    assert out(sc(MAP(LRU, with_token=True), "v6.3", "child", ["CAP_BPF"], sysctl=0, token=TOKEN)) == "EINVAL"
    assert out(sc(MAP(LRU, with_token=True), "v6.3", "child", ["CAP_BPF"], sysctl=2, token=TOKEN)) == "EPERM"


def test_bpffs_delegation_options_need_init_cap_sys_admin_v69():
    """bpf_parse_param() kernel/bpf/inode.c v6.9: a non-empty delegate_* needs capable(CAP_SYS_ADMIN); v6.3 ignores it."""
    op = {"call": "bpffs_set_option", "option": "delegate_cmds", "value": ["BPF_MAP_CREATE"]}
    assert out(sc(op, "v6.9", "child", "ALL")) == "EPERM"
    assert out(sc(op, "v6.9", "init", ["CAP_SYS_ADMIN"])) == "allow"
    assert out(sc(dict(op, value=[]), "v6.9", "child", [])) == "allow"
    assert out(sc(op, "v6.3", "child", [])) == "allow"


def test_bpffs_create_v69_and_v63():
    """bpf_fill_super() v6.9 (FS_USERNS_MOUNT, but capable(CAP_SYS_ADMIN) outside init) and mount_capable() v6.3."""
    child = {"call": "bpffs_create", "userns": "child"}
    assert out(sc(child, "v6.9", "child", "ALL")) == "EPERM"
    assert out(sc(child, "v6.9", "init", ["CAP_SYS_ADMIN"])) == "allow"
    assert out(sc(child, "v6.3", "child", "ALL")) == "EPERM"
    assert out(sc({"call": "bpffs_create", "userns": "init"}, "v6.9", "init", [])) == "EPERM"


# --- the DESIGN.md example pair


def test_design_example_pair():
    """DESIGN.md: CAP_BPF in its own userns + LSM returning 1 from the proposed hook: allow; v6.3 without LSM: EPERM."""
    from semantics.catalog import by_id

    a = by_id("container-capbpf-lru-map-granted")
    b = by_id("container-capbpf-lru-map-v6.3")
    assert decide(a.scenario).outcome == "allow"
    assert decide(b.scenario).outcome == "EPERM"
    assert a.scenario.task == b.scenario.task


def test_catalog_expectations_and_concepts():
    """data/scenarios: every entry names a claim, a message id and concepts; the model meets its expectations."""
    from semantics import catalog

    entries = catalog()
    assert len(entries) >= 20
    concepts = {c for e in entries for c in e.concepts}
    for c in ("CAP_BPF", "user namespace", "authoritative LSM hooks", "security_vm_enough_memory_mm", "BPF token",
              "bpffs delegation", "unprivileged_bpf_disabled", "LSM stacking", "bpf_map_create_security", "bpf_btf_load_security"):
        assert c in concepts, c
    for e in entries:
        assert e.claim and "@" in e.source
        for k, expected in e.expected:
            assert replay(e.scenario, k).outcome == expected, (e.id, k)


def test_trace_names_kernel_functions_and_version():
    v = replay(sc(MAP(LRU), "v6.3", "child", ["CAP_BPF"], sysctl=0))
    assert v.trace
    for t in v.trace:
        assert "(v6.3)" in t.models and ("()" in t.models)
    j = v.to_json()
    assert set(j) == {"id", "kernel", "outcome", "trace"}
    assert set(j["trace"][0]) == {"check", "models", "result"}


def test_decide_is_pure():
    obj = sc(MAP(LRU), "proposal-2023-04", "child", ["CAP_BPF"], lsm=[{"name": "bpf", "returns": {"bpf_map_create_security": 1}}])
    before = copy.deepcopy(obj)
    s = parse_scenario(obj)
    assert decide(s) == decide(s)
    assert obj == before
    assert isinstance(decide(s), Verdict)


def test_diff_explains_map_freeze_change_by_function():
    """diff v6.3 -> proposal-2023-04 for BPF_MAP_FREEZE: each group says which check in map_freeze()
    kernel/bpf/syscall.c decided under each kernel (patch 6/8: bpf_capable() dropped, FMODE_CAN_WRITE added)."""
    from semantics import Op, diff
    ops = (Op(call="bpf", cmd="BPF_MAP_FREEZE", map_type="BPF_MAP_TYPE_ARRAY"),
           Op(call="bpf", cmd="BPF_MAP_FREEZE", map_type="BPF_MAP_TYPE_ARRAY", map_flags=frozenset({"BPF_F_RDONLY"})))
    r = diff("v6.3", "proposal-2023-04", ops=ops)
    by = {(g.op.map_flags, g.from_outcome, g.to_outcome): g for g in r.groups}
    assert set(by) == {(frozenset(), "EPERM", "allow"), (frozenset({"BPF_F_RDONLY"}), "allow", "EPERM")}
    granted = by[(frozenset(), "EPERM", "allow")].why
    assert "map_freeze()" in granted and "!bpf_capable()" in granted and "patch 6/8" in granted
    refused = by[(frozenset({"BPF_F_RDONLY"}), "allow", "EPERM")].why
    assert "FMODE_CAN_WRITE" in refused and "map_freeze()" in refused
    assert r.to_json()["groups"][0]["why"]


# --- user namespace creation: create_user_ns() kernel/user_namespace.c (identical in 6.3.8 and 6.9.0)

USERNS = {"call": "userns_create"}


@pytest.mark.parametrize("k", ALLK)
def test_userns_create_needs_no_capability(k):
    """create_user_ns(): no capability is checked; a task with none, in init or in a child, may create one."""
    assert out(sc(USERNS, k, "init", [])) == "allow"
    assert out(sc(USERNS, k, "child", [])) == "allow"


@pytest.mark.parametrize("k", ALLK)
def test_userns_create_lsm_hook_is_restrictive(k):
    """security_create_user_ns() (since 6.1): a negative return refuses, a positive one is ignored
    (create_user_ns() tests ret < 0), so no module grants what the checks before it refused."""
    deny = [{"name": "selinux", "returns": {"userns_create": -13}}]
    assert out(sc(USERNS, k, "init", "ALL", lsm=deny)) == "EACCES"
    grant = [{"name": "bpf", "returns": {"userns_create": 1}}]
    assert out(sc(USERNS, k, "init", [], lsm=grant)) == "allow"
    assert out(sc(dict(USERNS, chrooted=True), k, "init", "ALL", lsm=grant)) == "EPERM"
    # stacking: a module's positive return ends call_int_hook's walk before a later module's denial
    assert out(sc(USERNS, k, "init", [], lsm=grant + deny)) == "allow"
    assert out(sc(USERNS, k, "init", [], lsm=deny + grant)) == "EACCES"


@pytest.mark.parametrize("k", ALLK)
def test_userns_create_limits_in_source_order(k):
    """create_user_ns(): level > 32 and the ucount limit (-ENOSPC) come before the chroot and mapping
    checks (-EPERM), which come before the LSM hook."""
    deny = [{"name": "selinux", "returns": {"userns_create": -13}}]
    assert out(sc(dict(USERNS, parent_level=32), k, "init", [])) == "allow"
    assert out(sc(dict(USERNS, parent_level=33, chrooted=True), k, "init", [], lsm=deny)) == "ENOSPC"
    assert out(sc(dict(USERNS, ns_limit_reached=True, chrooted=True), k, "init", [])) == "ENOSPC"
    assert out(sc(dict(USERNS, creator_mapped=False), k, "child", [], lsm=deny)) == "EPERM"
    v = replay(sc(USERNS, k, "init", []))
    assert [t.check for t in v.trace][-1].startswith("no capability check")
    assert any("security_create_user_ns()" in t.models for t in v.trace)


def test_userns_create_op_fields_are_validated():
    with pytest.raises(ScenarioError, match="op.parent_level"):
        parse_scenario(sc(dict(USERNS, parent_level=-1)))
    with pytest.raises(ScenarioError, match="op.chrooted"):
        parse_scenario(sc(dict(USERNS, chrooted="yes")))
    with pytest.raises(ScenarioError, match="op"):
        parse_scenario(sc(dict(USERNS, cap="CAP_SYS_ADMIN")))
