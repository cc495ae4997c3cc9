"""Property tests (hypothesis) over random configurations, plus the check() results per variant."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from semantics import check, decide, diff, load_kernel, parse_scenario

KERNELS = ("v6.3", "proposal-2023-04", "v6.9")
CAPS = ("CAP_BPF", "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_PERFMON")
HOOKS = {"v6.3": ("bpf", "capable", "bpf_map_alloc_security", "bpf_prog_alloc_security", "vm_enough_memory"),
         "proposal-2023-04": ("bpf", "capable", "bpf_map_alloc_security", "bpf_prog_alloc_security", "vm_enough_memory",
                              "bpf_map_create_security", "bpf_btf_load_security"),
         "v6.9": ("bpf", "capable", "bpf_map_create", "bpf_prog_load", "vm_enough_memory", "bpf_token_cmd",
                  "bpf_token_capable", "bpf_token_create")}
OPS = (
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_LRU_HASH"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_DEVMAP"},
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "map_flags": ["BPF_F_ZERO_SEED"]},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_SOCKET_FILTER"},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_KPROBE"},
    {"call": "bpf", "cmd": "BPF_BTF_LOAD"},
    {"call": "bpf", "cmd": "BPF_MAP_FREEZE", "map_type": "BPF_MAP_TYPE_ARRAY"},
    {"call": "bpf", "cmd": "BPF_PROG_ATTACH", "prog_type": "BPF_PROG_TYPE_CGROUP_SKB", "attach_type": "BPF_CGROUP_INET_INGRESS"},
    {"call": "capable", "cap": "CAP_BPF"},
    {"call": "ns_capable", "cap": "CAP_BPF", "ns": "child"},
    {"call": "vm_enough_memory", "overcommit_memory": 2, "fits": "with_admin_reserve"},
    {"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": 0},
)
TOKEN_OPS = (
    {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_LRU_HASH", "with_token": True},
    {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_SOCKET_FILTER", "with_token": True},
    {"call": "bpf", "cmd": "BPF_BTF_LOAD", "with_token": True},
)
RET = st.sampled_from([-13, -1, 0, 1])
NONPOS = st.sampled_from([-13, -1, 0])


@st.composite
def scenarios(draw, kernels=KERNELS, ops=OPS, token_ops=()):
    k = draw(st.sampled_from(kernels))
    userns = draw(st.sampled_from(["init", "child"]))
    caps = draw(st.lists(st.sampled_from(CAPS), unique=True))
    owns = userns == "init" and draw(st.booleans())
    mods = draw(st.lists(st.sampled_from(["bpf", "selinux"]), unique=True, max_size=2))
    lsm = [{"name": m, "returns": draw(st.dictionaries(st.sampled_from(HOOKS[k]), RET, max_size=3))} for m in mods]
    all_ops = list(ops) + (list(token_ops) if k == "v6.9" else [])
    op = draw(st.sampled_from(all_ops))
    token = None
    if op.get("with_token") or draw(st.booleans()):
        token = {"userns": "child",
                 "delegate_cmds": draw(st.sampled_from([["BPF_MAP_CREATE"], ["BPF_PROG_LOAD", "BPF_BTF_LOAD"], ["any"]])),
                 "delegate_maps": draw(st.sampled_from([[], ["BPF_MAP_TYPE_LRU_HASH"], ["any"]])),
                 "delegate_progs": draw(st.sampled_from([[], ["BPF_PROG_TYPE_SOCKET_FILTER"], ["any"]])),
                 "delegate_attachs": draw(st.sampled_from([[], ["any"]]))}
    obj = {"id": "h", "kernel": k, "task": {"userns": userns, "caps": {userns: caps}},
           "sysctl": {"kernel.unprivileged_bpf_disabled": draw(st.sampled_from([0, 1, 2]))},
           "lsm": lsm, "token": token, "op": op}
    if owns:
        obj["task"]["owns_child_userns"] = True
    # the euid as the init namespace sees it: only sysctl writes read it (test_perm())
    uid = draw(st.sampled_from([None, 0, 1000]))
    if uid is not None:
        obj["task"]["uid"] = uid
    return obj


def outcome(obj):
    return decide(parse_scenario(obj)).outcome


@settings(max_examples=300, deadline=None)
@given(scenarios(token_ops=TOKEN_OPS))
def test_decide_deterministic_with_trace(obj):
    a, b = decide(parse_scenario(obj)), decide(parse_scenario(obj))
    assert a == b and a.trace
    assert a.outcome == "allow" or a.outcome.startswith("E") or a.outcome.startswith("ret=")


@settings(max_examples=400, deadline=None)
@given(scenarios(), st.sampled_from(["apparmor", "landlock"]), st.data())
def test_restrictive_dispatch_is_monotonic(obj, name, data):
    """call_int_hook(): appending a module that only returns 0 or -errno never turns a denial into an allow
    (for calls without a token; see test_v69_token_cmd_refusal_can_hide_token_capable_refusal)."""
    k = obj["kernel"]
    rets = data.draw(st.dictionaries(st.sampled_from(HOOKS[k]), NONPOS, max_size=3))
    before = outcome(obj)
    obj2 = dict(obj, lsm=obj["lsm"] + [{"name": name, "returns": rets}])
    after = outcome(obj2)
    if before != "allow":
        assert after != "allow"


@settings(max_examples=400, deadline=None)
@given(scenarios(kernels=("v6.3", "v6.9"), token_ops=TOKEN_OPS))
def test_lsm_non_authoritative_in_v63_v69(obj):
    """v6.3 / v6.9: whatever the modules return, an allow with LSMs is an allow without them."""
    if outcome(obj) == "allow":
        assert outcome(dict(obj, lsm=[])) == "allow"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KERNELS), st.lists(st.sampled_from(CAPS), unique=True), st.sampled_from(CAPS), st.booleans())
def test_capabilities_inherited_down_the_namespace_tree(k, caps, cap, owns):
    """cap_capable(): what a task holds in init it holds in every child; a child's caps never reach init."""
    def o(userns, op, owns=False):
        obj = {"id": "c", "kernel": k, "task": {"userns": userns, "caps": {userns: caps}}, "op": op}
        if owns:
            obj["task"]["owns_child_userns"] = True
        return outcome(obj)
    init_has = o("init", {"call": "capable", "cap": cap}) == "allow"
    assert init_has == (cap in caps)
    for ns in ("child", "sibling"):
        sub = o("init", {"call": "ns_capable", "cap": cap, "ns": ns}, owns)
        if init_has:
            assert sub == "allow"
    assert o("init", {"call": "ns_capable", "cap": cap, "ns": "child"}, True) == "allow"
    assert o("child", {"call": "capable", "cap": cap}) == "EPERM"
    assert (o("child", {"call": "ns_capable", "cap": cap, "ns": "child"}) == "allow") == (cap in caps)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.sampled_from([0, 2]))
def test_sysctl_one_is_one_way(obj, value):
    """bpf_unpriv_handler(): from 1 no write of another value succeeds; a euid other than
    global root is refused earlier, by test_perm() on the 0644 file."""
    obj = dict(obj, sysctl={"kernel.unprivileged_bpf_disabled": 1},
               op={"call": "sysctl_write", "name": "kernel.unprivileged_bpf_disabled", "value": value})
    assert outcome(obj) == ("EPERM" if obj["task"].get("uid", 1000) == 0 else "EACCES")


def test_v69_token_cmd_refusal_can_hide_token_capable_refusal():
    """bpf_token_allow_cmd() v6.9: a module refusing security_bpf_token_cmd() drops the token, so another
    module's security_bpf_token_capable() refusal is never asked and init capabilities decide."""
    base = {"id": "t", "kernel": "v6.9", "task": {"userns": "init", "caps": {"init": ["CAP_BPF"]}},
            "sysctl": {"kernel.unprivileged_bpf_disabled": 2},
            "token": {"userns": "child", "delegate_cmds": ["any"], "delegate_maps": ["any"]},
            "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH", "with_token": True}}
    alone = dict(base, lsm=[{"name": "bpf", "returns": {"bpf_token_capable": -1}}])
    both = dict(base, lsm=[{"name": "bpf", "returns": {"bpf_token_capable": -1}},
                           {"name": "selinux", "returns": {"bpf_token_cmd": -1}}])
    assert outcome(alone) == "EPERM"
    assert outcome(both) == "allow"


# --- check(): the properties per variant

NON_AUTH = "no LSM return turns a deny of the kernel's own checks into an allow"
STACKING = "one module's return never hides another module's denial"
CHILD = "a task in a child user namespace cannot create a CAP_BPF-only map without a token"
TOKEN = "a token never grants more than its delegation options"


def _results(k):
    return {r.name: r for r in check(k)}


def test_check_v63():
    r = _results("v6.3")
    assert r[NON_AUTH].holds and r[CHILD].holds and r[TOKEN].holds
    s = r[STACKING]
    assert not s.holds and "holds" in s.detail     # fails via positive returns, holds for restrictive ones
    allow, alone = s.verdicts
    assert allow.outcome == "allow" and alone.outcome != "allow"


def test_check_proposal_fails_non_authoritative_with_minimal_counterexample():
    r = _results("proposal-2023-04")
    na = r[NON_AUTH]
    assert not na.holds
    ce, cmp_ = na.counterexample, na.comparison
    assert cmp_["lsm"] == [] and ce["lsm"]
    with_lsm, without = na.verdicts
    assert with_lsm.outcome == "allow" and without.outcome != "allow"
    assert any(">" in t.check for t in with_lsm.trace)   # the bypass step
    # minimal: dropping any module return makes the counterexample disappear
    for i, m in enumerate(ce["lsm"]):
        for h in m["returns"]:
            smaller = {**ce, "lsm": [dict(x, returns={kk: vv for kk, vv in x["returns"].items() if not (j == i and kk == h)})
                                     for j, x in enumerate(ce["lsm"])]}
            assert outcome(smaller) != "allow" or outcome(dict(smaller, lsm=[])) == "allow"
    assert not r[CHILD].holds
    assert outcome(r[CHILD].counterexample) == "allow"


def test_check_v69():
    r = _results("v6.9")
    assert r[NON_AUTH].holds and r[CHILD].holds and r[TOKEN].holds
    assert not r[STACKING].holds and "still fails" in r[STACKING].detail


def test_enumeration_agrees_with_decide():
    """The lazy enumeration (space.py, hook returns grouped into blocks) and decide() on the
    scenario built from a cube give the same outcome, for a spread of cubes of every kernel."""
    import random

    from semantics.engine import outcome_of
    from semantics.describe import to_scenario
    from semantics.space import Context, _same, enumerate_space

    rnd = random.Random(7)
    for k in KERNELS:
        kern = load_kernel(k)
        leaves = enumerate_space(k)
        sample = rnd.sample(leaves, min(400, len(leaves)))
        for op, a, rc, w in sample:
            ctx = Context(op, ((k, _same),))
            obj = to_scenario(a, op, kern, "cube", ctx=ctx)
            assert outcome(obj) == outcome_of(rc), (k, obj)
            assert w >= 1


def test_diff_groups_examples_reproduce_the_change():
    """diff(): every group's example scenario shows exactly the group's outcome change under both kernels,
    and the group sizes add up to the changed count."""
    from semantics import diff

    r = diff("v6.3", "proposal-2023-04")
    assert r.groups and sum(g.configurations for g in r.groups) == r.changed
    for g in r.groups:
        va, vb = g.example_verdicts
        assert (va.outcome, vb.outcome) == (g.from_outcome, g.to_outcome), g.op_text()
        assert g.conditions and g.unminimized == 0


def test_diff_fast_enumeration_matches_naive():
    """The read-trie evaluators and bit-set minimization give exactly the diff of running the model
    from scratch at every node of the decision tree and re-exploring every widened cube."""
    from semantics.space import space_ops
    ops = [op for op in space_ops(("v6.3", "v6.9"))
           if op.cmd in ("BPF_BTF_LOAD", "BPF_MAP_FREEZE", "BPF_TOKEN_CREATE", "BPF_PROG_ATTACH") or op.call != "bpf"]
    for a, b in (("v6.3", "v6.9"), ("v6.9", "proposal-2023-04")):
        fast, slow = diff(a, b, ops=ops), diff(a, b, ops=ops, naive=True)
        jf, js = fast.to_json(), slow.to_json()
        jf.pop("seconds"), js.pop("seconds")
        assert jf == js
