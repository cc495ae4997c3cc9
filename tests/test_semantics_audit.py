"""Independent audit of the semantics model against the kernel source (2026-11-29).

tests/data/semantics-audit.json: scenarios whose outcome under each variant was written down
from kernel/bpf/syscall.c, kernel/bpf/hashtab.c, kernel/bpf/arraymap.c, the other map files'
*_alloc_check/*_alloc, kernel/bpf/token.c, kernel/bpf/inode.c, security/security.c,
security/commoncap.c, kernel/capability.c, mm/util.c and include/linux/lsm_hook_defs.h of
v6.3.8 / v6.9 and the patches 1/8..8/8 of the proposal, before running the model; only those
whose answer the source pins down are kept.  Each test below names the kernel function and
version of a rule the audit added or corrected."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from semantics import replay

ROWS = json.loads((Path(__file__).parent / "data" / "semantics-audit.json").read_text())
ALLK = ("v6.3", "proposal-2023-04", "v6.9")


@pytest.mark.parametrize("row", ROWS, ids=[r["scenario"]["id"] for r in ROWS])
def test_audit_table(row):
    assert replay(row["scenario"]).outcome == row["expected"], row["scenario"].get("description")


def test_audit_table_size():
    kernels = [r["scenario"]["kernel"] for r in ROWS]
    assert all(kernels.count(k) >= 60 for k in ALLK)


def sc(kernel, map_type, flags, caps=(), sysctl=2):
    return {"id": "t", "kernel": kernel, "task": {"userns": "init", "caps": {"init": list(caps)}},
            "sysctl": {"kernel.unprivileged_bpf_disabled": sysctl}, "lsm": [], "token": None,
            "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_" + map_type,
                   "map_flags": ["BPF_F_" + f for f in flags]}}


@pytest.mark.parametrize("k", ALLK)
def test_htab_map_alloc_check_lru_no_prealloc_enotsupp(k):
    """htab_map_alloc_check() kernel/bpf/hashtab.c (v6.3.8, proposal, v6.9): lru && !prealloc
    -> -ENOTSUPP (after the zero_seed, flag-mask and percpu_lru checks)."""
    assert replay(sc(k, "LRU_HASH", ["NO_PREALLOC"], ["CAP_BPF"])).outcome == "ENOTSUPP"
    assert replay(sc(k, "LRU_PERCPU_HASH", ["NO_PREALLOC"], ["CAP_SYS_ADMIN"])).outcome == "ENOTSUPP"
    assert replay(sc(k, "HASH", ["NO_PREALLOC"], ["CAP_BPF"])).outcome == "allow"


def test_htab_map_alloc_check_lru_no_prealloc_before_capability_gate():
    """htab_map_alloc_check() (proposal 3/8, v6.9): the LRU bpf_capable() check moved out of it into
    map_create()'s switch, which runs after map_alloc_check: an unprivileged task now gets -ENOTSUPP;
    v6.3.8 still checks lru && !bpf_capable() first (-EPERM)."""
    assert replay(sc("v6.3", "LRU_HASH", ["NO_PREALLOC"], [], 0)).outcome == "EPERM"
    assert replay(sc("proposal-2023-04", "LRU_HASH", ["NO_PREALLOC"], [], 0)).outcome == "ENOTSUPP"
    assert replay(sc("v6.9", "LRU_HASH", ["NO_PREALLOC"], [], 2)).outcome == "ENOTSUPP"


@pytest.mark.parametrize("k", ALLK)
def test_htab_map_alloc_check_flag_mask(k):
    """htab_map_alloc_check() kernel/bpf/hashtab.c (all versions): map_flags & ~HTAB_CREATE_FLAG_MASK
    or !bpf_map_flags_access_ok() -> -EINVAL; percpu (or percpu_lru) with a NUMA node -> -EINVAL."""
    root = ["CAP_SYS_ADMIN", "CAP_BPF", "CAP_NET_ADMIN"]
    assert replay(sc(k, "HASH", ["MMAPABLE"], root)).outcome == "EINVAL"
    assert replay(sc(k, "HASH", ["RDONLY_PROG", "WRONLY_PROG"], root)).outcome == "EINVAL"
    assert replay(sc(k, "PERCPU_HASH", ["NUMA_NODE"], root)).outcome == "EINVAL"
    assert replay(sc(k, "LRU_HASH", ["NO_COMMON_LRU", "NUMA_NODE"], root)).outcome == "EINVAL"
    assert replay(sc(k, "HASH", ["NUMA_NODE", "RDONLY_PROG"], root)).outcome == "allow"


def test_htab_map_alloc_check_flag_mask_order_against_sysctl_gate():
    """v6.3.8: the sysctl gate in __sys_bpf() comes first (-EPERM); proposal (1/8, 3/8) and v6.9
    map_create(): map_alloc_check (-EINVAL) runs before the gate."""
    assert replay(sc("v6.3", "HASH", ["MMAPABLE"], [], 2)).outcome == "EPERM"
    assert replay(sc("proposal-2023-04", "HASH", ["MMAPABLE"], [], 2)).outcome == "EINVAL"
    assert replay(sc("v6.9", "HASH", ["MMAPABLE"], [], 2)).outcome == "EINVAL"


@pytest.mark.parametrize("k", ALLK)
def test_array_map_alloc_check_flags(k):
    """array_map_alloc_check() kernel/bpf/arraymap.c (all versions): ~ARRAY_CREATE_FLAG_MASK,
    !bpf_map_flags_access_ok(), percpu with NUMA, MMAPABLE/INNER_MAP on a non-ARRAY, PRESERVE_ELEMS
    on a non-PERF_EVENT_ARRAY -> -EINVAL."""
    assert replay(sc(k, "ARRAY", ["ZERO_SEED"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "ARRAY", ["RDONLY_PROG", "WRONLY_PROG"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "PERCPU_ARRAY", ["MMAPABLE"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "PERCPU_ARRAY", ["NUMA_NODE"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "ARRAY", ["PRESERVE_ELEMS"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "ARRAY", ["MMAPABLE", "INNER_MAP", "NUMA_NODE"], [], 0)).outcome == "allow"


def tok_prog(prog_type, attachs, caps=("CAP_BPF", "CAP_NET_ADMIN")):
    return {"id": "t", "kernel": "v6.9", "task": {"userns": "child", "caps": {"init": [], "child": list(caps)}},
            "sysctl": {"kernel.unprivileged_bpf_disabled": 2}, "lsm": [],
            "token": {"userns": "child", "delegate_cmds": ["BPF_PROG_LOAD"], "delegate_progs": [prog_type],
                      "delegate_attachs": attachs},
            "op": {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": prog_type, "with_token": True}}


def test_bpf_prog_load_fixup_attach_type_before_token_check():
    """bpf_prog_load_fixup_attach_type() kernel/bpf/syscall.c (v6.9) runs before
    bpf_token_allow_prog_type(token, prog_type, expected_attach_type): an expected_attach_type of 0
    becomes BPF_CGROUP_INET_SOCK_CREATE (CGROUP_SOCK) or BPF_SK_REUSEPORT_SELECT (SK_REUSEPORT), so
    the token must delegate that attach type, not BPF_CGROUP_INET_INGRESS (value 0)."""
    cs = "BPF_PROG_TYPE_CGROUP_SOCK"
    assert replay(tok_prog(cs, ["BPF_CGROUP_INET_SOCK_CREATE"])).outcome == "allow"
    assert replay(tok_prog(cs, ["BPF_CGROUP_INET_INGRESS"])).outcome == "EPERM"
    rp = "BPF_PROG_TYPE_SK_REUSEPORT"
    assert replay(tok_prog(rp, ["BPF_SK_REUSEPORT_SELECT"])).outcome == "allow"
    assert replay(tok_prog(rp, ["BPF_CGROUP_INET_INGRESS"])).outcome == "EPERM"
    # no fixup for other types: expected_attach_type stays 0
    assert replay(tok_prog("BPF_PROG_TYPE_SOCKET_FILTER", ["BPF_CGROUP_INET_INGRESS"])).outcome == "allow"


@pytest.mark.parametrize("k", ALLK)
def test_fd_array_map_alloc_check_flags(k):
    """fd_array_map_alloc_check() kernel/bpf/arraymap.c (all versions): fd arrays refuse
    BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG, then array_map_alloc_check()'s rules apply (PRESERVE_ELEMS
    only on PERF_EVENT_ARRAY, MMAPABLE/INNER_MAP only on ARRAY)."""
    assert replay(sc(k, "PROG_ARRAY", ["RDONLY_PROG"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "CGROUP_ARRAY", ["PRESERVE_ELEMS"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "ARRAY_OF_MAPS", ["MMAPABLE"], ["CAP_SYS_ADMIN"])).outcome == "EINVAL"
    assert replay(sc(k, "PERF_EVENT_ARRAY", ["PRESERVE_ELEMS"], [], 0)).outcome == "allow"


def test_queue_stack_map_alloc_check_flags_order():
    """queue_stack_map_alloc_check() kernel/bpf/queue_stack_maps.c: v6.3.8 checks bpf_capable() before
    the flag mask (-EPERM); the proposal (3/8) and v6.9 moved the capability to map_create()'s switch,
    after map_alloc_check, so the mask's -EINVAL comes first."""
    assert replay(sc("v6.3", "QUEUE", ["MMAPABLE"], [], 0)).outcome == "EPERM"
    assert replay(sc("proposal-2023-04", "QUEUE", ["MMAPABLE"], [], 0)).outcome == "EINVAL"
    assert replay(sc("v6.9", "STACK", ["MMAPABLE"], [], 2)).outcome == "EINVAL"


@pytest.mark.parametrize("k", ALLK)
def test_map_alloc_flag_masks(k):
    """Flag masks checked in the map types' allocators (all versions): bpf_local_storage_map_alloc_check()
    (before its bpf_capable() in v6.3.8), trie_alloc() kernel/bpf/lpm_trie.c and ringbuf_map_alloc()
    kernel/bpf/ringbuf.c (after the capability checks / the sysctl gate), dev_map_init_map()
    kernel/bpf/devmap.c, cpu_map_alloc() kernel/bpf/cpumap.c, reuseport_array_alloc_check()."""
    assert replay(sc(k, "TASK_STORAGE", ["NO_PREALLOC", "MMAPABLE"], [], 0)).outcome == "EINVAL"
    assert replay(sc(k, "LPM_TRIE", ["NO_PREALLOC", "MMAPABLE"], [], 0)).outcome == "EPERM"
    assert replay(sc(k, "LPM_TRIE", ["NO_PREALLOC", "MMAPABLE"], ["CAP_BPF"])).outcome == "EINVAL"
    assert replay(sc(k, "RINGBUF", ["MMAPABLE"], [], 0)).outcome == "EINVAL"
    assert replay(sc(k, "RINGBUF", ["MMAPABLE"], [], 2)).outcome == "EPERM"
    assert replay(sc(k, "DEVMAP", ["RDONLY_PROG"], ["CAP_NET_ADMIN"], 0)).outcome == "EINVAL"
    assert replay(sc(k, "CPUMAP", ["RDONLY"], ["CAP_BPF"])).outcome == "EINVAL"
    assert replay(sc(k, "REUSEPORT_SOCKARRAY", ["MMAPABLE"], [], 0)).outcome == "EINVAL"
    assert replay(sc(k, "SOCKMAP", ["NUMA_NODE"], ["CAP_NET_ADMIN"], 0)).outcome == "allow"


def test_bpf_struct_ops_map_alloc_check_flags():
    """bpf_struct_ops_map_alloc_check() kernel/bpf/bpf_struct_ops.c: v6.3.8 refuses any map_flags
    (-EINVAL, in map_alloc_check, before bpf_struct_ops_map_alloc()'s bpf_capable()); v6.9 accepts
    BPF_F_LINK and BPF_F_VTYPE_BTF_OBJ_FD."""
    so = lambda k, fl, caps: replay(sc(k, "STRUCT_OPS", fl, caps, 0)).outcome  # noqa: E731
    assert so("v6.3", ["LINK"], []) == "EINVAL"
    assert so("proposal-2023-04", ["LINK"], ["CAP_BPF"]) == "EINVAL"
    assert so("v6.9", ["LINK"], []) == "EPERM"
    assert so("v6.9", ["LINK"], ["CAP_BPF"]) == "allow"
    assert so("v6.9", ["NUMA_NODE"], ["CAP_BPF"]) == "EINVAL"
