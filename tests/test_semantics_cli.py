"""The replay / diff / check commands: output contracts and error handling."""
from __future__ import annotations

import json

import pytest

from hookdebate.cli import main


def run(capsys, *argv):
    rc = main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_replay_without_arguments_replays_catalog(capsys):
    rc, out, err = run(capsys, "replay")
    assert rc == 0
    assert "container-capbpf-lru-map-granted  [proposal-2023-04]  => allow" in out
    assert "container-capbpf-lru-map-v6.3  [v6.3]  => EPERM" in out
    assert "models" in out


def test_replay_all_json_contract(capsys):
    rc, out, _ = run(capsys, "replay", "--all", "--json")
    data = json.loads(out)
    assert rc == 0 and isinstance(data, list) and len(data) >= 20
    for v in data:
        assert list(v) == ["id", "kernel", "outcome", "trace"]
    by = {v["id"]: v for v in data}
    assert by["container-capbpf-lru-map-granted"]["outcome"] == "allow"
    assert by["container-capbpf-lru-map-v6.3"]["outcome"] == "EPERM"


def test_replay_id_with_kernel_override(capsys):
    rc, out, _ = run(capsys, "replay", "container-capbpf-lru-map-v6.3-sysctl0", "--kernel", "v6.9", "--json")
    assert rc == 0
    (v,) = json.loads(out)
    assert v["kernel"] == "v6.9" and v["outcome"] == "EPERM"


def test_replay_file(capsys, tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps([{"id": "a", "kernel": "v6.3", "task": {"userns": "init", "caps": {"init": ["CAP_BPF"]}},
                              "op": {"call": "capable", "cap": "CAP_BPF"}}]))
    rc, out, _ = run(capsys, "replay", "--file", str(p), "--json")
    assert rc == 0 and json.loads(out)[0]["outcome"] == "allow"


@pytest.mark.parametrize("argv, needle", [
    (("replay", "no-such-scenario"), "no-such-scenario"),
    (("replay", "--kernel", "v0.1"), "v0.1"),
    (("diff", "--from", "v6.3", "--to", "v7"), "v7"),
    (("check", "--kernel", "nope"), "nope"),
])
def test_user_errors_are_one_line_exit_2(capsys, argv, needle):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert err.startswith("hookdebate: error:") and needle in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_unknown_kernel_is_one_message_everywhere(capsys, tmp_path):
    """replay --kernel, diff, check and a scenario file's "kernel" all give semantics.known_kernel's
    message (a scenario file said "kernel: unknown value 'v7'" before)."""
    from semantics import ScenarioError, kernel_names, known_kernel

    expected = f"unknown kernel 'v7' (known: {', '.join(kernel_names())})"
    with pytest.raises(ScenarioError) as exc:
        known_kernel("v7")
    assert str(exc.value) == expected
    assert known_kernel("v6.3") == "v6.3"
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"id": "a", "kernel": "v7", "task": {}, "op": {"call": "capable", "cap": "CAP_BPF"}}))
    for argv, prefix in ((("replay", "--kernel", "v7"), ""), (("diff", "--to", "v7"), ""),
                         (("check", "--kernel", "v6.3", "--kernel", "v7"), ""),
                         (("replay", "--file", str(p)), f"{p}: scenario a: ")):
        rc, out, err = run(capsys, *argv)
        assert (rc, out, err) == (2, "", f"hookdebate: error: {prefix}{expected}\n"), argv


def test_replay_bad_field_in_file(capsys, tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"id": "a", "kernel": "v6.3", "task": {}, "op": {"call": "capable", "cap": "CAP_BPF"}, "frobnicate": 1}))
    rc, _, err = run(capsys, "replay", "--file", str(p))
    assert rc == 2 and "frobnicate" in err


def test_diff_json(capsys):
    rc, out, _ = run(capsys, "diff", "--from", "v6.3", "--to", "proposal-2023-04", "--json")
    d = json.loads(out)
    assert rc == 0 and d["from"] == "v6.3" and d["to"] == "proposal-2023-04"
    assert 0 < d["changed"] < d["configurations"]
    lru = [g for g in d["groups"] if g["op"].get("map_type") == "BPF_MAP_TYPE_LRU_HASH"
           and g["from_outcome"] == "EPERM" and g["to_outcome"] == "allow"]
    assert lru, "the authoritative bypass must show up"
    g = lru[0]
    assert g["when"] and [v["outcome"] for v in g["example_verdicts"]] == ["EPERM", "allow"]


def test_diff_text(capsys):
    rc, out, _ = run(capsys, "diff", "--from", "v6.3", "--to", "proposal-2023-04")
    assert rc == 0 and "configurations change outcome" in out and "EPERM -> allow" in out


def test_check_json_v63_and_proposal(capsys):
    rc, out, _ = run(capsys, "check", "--kernel", "v6.3", "--kernel", "proposal-2023-04", "--json")
    assert rc == 0
    res = {(r["kernel"], r["property"]): r for r in json.loads(out)}
    na = "no LSM return turns a deny of the kernel's own checks into an allow"
    assert res[("v6.3", na)]["holds"] is True
    bad = res[("proposal-2023-04", na)]
    assert bad["holds"] is False and bad["counterexample"]["kernel"] == "proposal-2023-04"
    assert [v["outcome"] for v in bad["verdicts"]][0] == "allow" and bad["verdicts"][1]["outcome"] != "allow"
    assert bad["compared_with"]["lsm"] == []


_CAP = {"call": "capable", "cap": "CAP_BPF"}


@pytest.mark.parametrize("scenario, message", [
    ({"task": {"userns": "host"}, "op": _CAP}, "task.userns: unknown value 'host' (allowed: init, child)"),
    ({"task": {}, "sysctl": {"kernel.unprivileged_bpf_disabled": True}, "op": _CAP},
     "sysctl.kernel.unprivileged_bpf_disabled: unknown value True (allowed: 0, 1, 2)"),
    ({"task": {}, "lsm": [{"name": "bfp"}], "op": _CAP},
     "lsm[0].name: unknown value 'bfp' (allowed: bpf, selinux, apparmor, smack, tomoyo, yama, landlock, "
     "lockdown, loadpin, safesetid, integrity, ima, evm, ipe)"),
    ({"task": {}, "token": {"userns": None}, "op": _CAP}, "token.userns: unknown value None (allowed: init, child)"),
    ({"task": {}, "op": {"call": "fork"}}, "op.call: unknown value 'fork' (allowed: bpf, capable, ns_capable, "
     "vm_enough_memory, sysctl_write, bpffs_set_option, bpffs_create, userns_create, lsm_hook)"),
    ({"task": {}, "op": {"call": "ns_capable", "cap": "CAP_BPF", "ns": "parent"}},
     "op.ns: unknown value 'parent' (allowed: init, child, sibling)"),
    ({"task": {}, "op": {"call": "vm_enough_memory", "overcommit_memory": 3, "fits": "always"}},
     "op.overcommit_memory: unknown value 3 (allowed: 0, 1, 2)"),
    ({"task": {}, "op": {"call": "vm_enough_memory", "overcommit_memory": 0, "fits": "maybe"}},
     "op.fits: unknown value 'maybe' (allowed: always, with_admin_reserve, never)"),
    ({"task": {}, "op": {"call": "sysctl_write", "name": "kernel.foo", "value": 1}},
     "op.name: unknown value 'kernel.foo' (allowed: kernel.unprivileged_bpf_disabled)"),
    ({"task": {}, "op": {"call": "bpffs_set_option", "option": "delegate_all"}},
     "op.option: unknown value 'delegate_all' (allowed: delegate_cmds, delegate_maps, delegate_progs, "
     "delegate_attachs)"),
    ({"task": {}, "op": {"call": "bpffs_create", "userns": 0}}, "op.userns: unknown value 0 (allowed: init, child)"),
    # not a name at all (a list, an object): the same line, never a traceback (was TypeError: unhashable)
    ({"task": {}, "op": {"call": ["bpf"]}}, "op.call: unknown value ['bpf'] (allowed: bpf, capable, ns_capable, "
     "vm_enough_memory, sysctl_write, bpffs_set_option, bpffs_create, userns_create, lsm_hook)"),
    ({"task": {}, "op": {"call": "lsm_hook", "hook": ["file_open"]}}, "op.hook: unknown hook ['file_open']"),
])
def test_closed_vocabulary_fields_name_the_value_and_what_is_allowed(capsys, tmp_path, scenario, message):
    """Every field with a closed vocabulary says "PATH: unknown value V (allowed: ...)" (one helper,
    semantics.scenario._one_of), exit 2, one line."""
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"id": "a", **scenario}))
    rc, out, err = run(capsys, "replay", "--file", str(p))
    assert (rc, out, err) == (2, "", f"hookdebate: error: {p}: scenario a: {message}\n")
