"""op.call 'lsm_hook': security_HOOK() for any hook whose security/security.c wrapper is only
`return call_int_hook(HOOK, ...)` (data/kernels/facts-*.json 'plain_dispatch', generated from the
provided source by bench/gen_lsm_dispatch.py), replayed under each variant's call_int_hook()."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from semantics import ScenarioError, catalog, load_kernel, replay

ROOT = Path(__file__).resolve().parents[1]
KERNEL = Path("/work/shared/kernel")
SOURCES = {"v6.3": "v6.3.8", "v6.9": "v6.9.0"}


def sc(hook, lsm=(), kernel="v6.3", **op):
    return {"id": "t", "kernel": kernel, "task": {"userns": "init", "caps": {"init": []}}, "lsm": list(lsm),
            "op": {"call": "lsm_hook", "hook": hook, **op}}


def plain(kernel):
    return load_kernel(kernel).extra["plain_dispatch"]


def test_tables_are_not_empty_and_leave_commoncap_hooks_out():
    for k in SOURCES:
        t = plain(k)
        assert len(t) > 100
        # commoncap registers these (security/commoncap.c LSM_HOOK_INIT): it runs first there, so a
        # bare call_int_hook() over the other modules would not be what the kernel does
        for h in ("capable", "settime", "ptrace_access_check", "mmap_addr", "task_prctl", "vm_enough_memory"):
            assert h not in t, (k, h)
        assert "file_ioctl" in t and "socket_bind" in t


@pytest.mark.skipif(not (KERNEL / "v6.3.8" / "security" / "security.c").exists(), reason="kernel source not provided")
def test_tables_are_what_the_source_says():
    """The facts files hold exactly what the generator reads from security.c today, and every entry's
    line is its `return call_int_hook(HOOK` (and the guard's line its IS_PRIVATE() test)."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "gen_lsm_dispatch.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for k, ver in SOURCES.items():
        lines = (KERNEL / ver / "security" / "security.c").read_text().split("\n")
        for hook, e in plain(k).items():
            assert re.match(rf"return call_int_hook\({hook}[,)]", lines[e["line"] - 1].strip()), (k, hook)
            assert re.match(rf"int {e['caller'][:-2]}\(", next(l for l in reversed(lines[:e["line"]]) if l.startswith("int "))), (k, hook)
            if "private_inode_guard" in e:
                assert "IS_PRIVATE(" in lines[e["private_inode_guard"] - 1], (k, hook)


@pytest.mark.parametrize("kernel", ["v6.3", "v6.9"])
def test_every_plain_hook_stacks_restrictively(kernel):
    """For every hook of the table: no module -> the hook's default; a module allowing (0) stacked
    before one denying -> the denial stands; two denials -> the first one's errno."""
    k = load_kernel(kernel)
    for hook, e in plain(kernel).items():
        d = k.int_hooks[hook]
        none = replay(sc(hook, kernel=kernel))
        assert none.outcome == ("allow" if d == 0 else none.outcome) and none.outcome != "not modeled", hook
        if d != 0:
            continue
        later = replay(sc(hook, [{"name": "selinux", "returns": {hook: 0}}, {"name": "apparmor", "returns": {hook: -1}}], kernel))
        assert later.outcome == "EPERM", hook
        first = replay(sc(hook, [{"name": "selinux", "returns": {hook: -13}}, {"name": "apparmor", "returns": {hook: -1}}], kernel))
        assert first.outcome == "EACCES", hook
        assert any(f"security/security.c:{e['line']}" in t.models for t in first.trace), hook


def test_a_wrapper_that_does_more_is_not_modeled():
    """6.3.8's security_inode_setxattr() falls back to cap_inode_setxattr() when no module answers:
    not a plain wrapper, so replaying it says 'not modeled' (never a guess); an unknown or void hook is
    a scenario error."""
    v = replay(sc("inode_setxattr", [{"name": "selinux", "returns": {"inode_setxattr": 0}}]))
    assert v.outcome == "not modeled"
    assert "not only `return call_int_hook(inode_setxattr" in v.trace[-1].result
    with pytest.raises(ScenarioError, match="unknown hook"):
        replay(sc("no_such_hook"))
    with pytest.raises(ScenarioError, match="returns void"):
        replay(sc("file_free_security"))
    assert replay(sc("file_ioctl", kernel="pre-capbpf")).outcome == "not modeled"


def test_private_inode_guard():
    deny = [{"name": "selinux", "returns": {"inode_create": -13}}]
    assert replay(sc("inode_create", deny)).outcome == "EACCES"
    v = replay(sc("inode_create", deny, private_inode=True))
    assert v.outcome == "allow" and "no module is asked" in v.trace[0].result
    # a hook without the guard ignores the field
    assert replay(sc("file_ioctl", [{"name": "selinux", "returns": {"file_ioctl": -13}}], private_inode=True)).outcome == "EACCES"


def test_security_prefix_and_trace_name_the_wrapper_line():
    v = replay(sc("security_socket_bind", [{"name": "smack", "returns": {"socket_bind": -1}}], "v6.9"))
    assert v.outcome == "EPERM"
    line = plain("v6.9")["socket_bind"]["line"]
    assert v.trace[-1].models == f"security_socket_bind() security/security.c:{line} (v6.9)"


def test_catalog_entries_replay_their_expectations():
    entries = [e for e in catalog() if e.scenario.op.call == "lsm_hook"]
    assert len(entries) >= 6
    for e in entries:
        for k, expected in e.expected:
            assert replay(e.scenario, k).outcome == expected, (e.id, k)
