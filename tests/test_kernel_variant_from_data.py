"""Adding a kernel variant is adding a data file: a toy variant, written here as data alone,
is replayed, diffed against v6.3 and checked by the CLI with no Python change.

The toy: v6.3 where CAP_SYS_ADMIN no longer implies bpf_capable() (its `predicates` say so),
the way data/kernels/README.md ("Adding a variant") shows.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TOY = {
    "name": "toy-capbpf-only",
    "extends": "v6.3",
    "description": "A toy: v6.3 where CAP_SYS_ADMIN no longer implies bpf_capable().",
    "source": "tests/test_kernel_variant_from_data.py (not a real kernel)",
    "predicates": {
        "bpf_capable": {"any": ["capable CAP_BPF"], "models": "bpf_capable() (toy: CAP_BPF only)"},
        "perfmon_capable": {"any": ["capable CAP_PERFMON", "capable CAP_SYS_ADMIN"],
                            "models": "perfmon_capable() include/linux/capability.h"},
        "net_admin_or_sys_admin": {"any": ["capable CAP_NET_ADMIN", "capable CAP_SYS_ADMIN"],
                                   "models": "bpf_prog_load() kernel/bpf/syscall.c"},
    },
}


def _data_with_toy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for d in (ROOT / "data").iterdir():
        if d.name != "kernels":
            (data / d.name).symlink_to(d)
    (data / "kernels").mkdir()
    for f in (ROOT / "data" / "kernels").iterdir():
        (data / "kernels" / f.name).symlink_to(f)
    (data / "kernels" / "toy-capbpf-only.json").write_text(json.dumps(TOY, indent=1))
    return data


def _hd(data: Path, *args: str):
    env = {**os.environ, "HOOKDEBATE_DATA": str(data)}
    r = subprocess.run([sys.executable, "-m", "hookdebate", *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_toy_variant_from_data_alone(tmp_path):
    data = _data_with_toy(tmp_path)
    admin_lru = {"task": {"userns": "init", "caps": {"init": ["CAP_SYS_ADMIN"]}},
                 "sysctl": {"kernel.unprivileged_bpf_disabled": 2}, "lsm": [], "token": None,
                 "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_LRU_HASH"}}
    scenarios = [{"id": f"admin-lru-{k}", "kernel": k, **admin_lru} for k in ("v6.3", "toy-capbpf-only")]
    (tmp_path / "s.json").write_text(json.dumps(scenarios))
    v63, toy = _hd(data, "replay", "--file", str(tmp_path / "s.json"), "--json")
    assert v63["outcome"] == "allow"          # CAP_SYS_ADMIN is bpf_capable() in v6.3
    assert toy["outcome"] == "EPERM"          # not in the toy
    assert any("(toy-capbpf-only)" in step["models"] for step in toy["trace"])
    diff = _hd(data, "diff", "--from", "v6.3", "--to", "toy-capbpf-only", "--json")
    assert diff["from"] == "v6.3" and diff["to"] == "toy-capbpf-only"
    assert diff["changed"] > 0 and diff["groups"]
    check = _hd(data, "check", "--kernel", "toy-capbpf-only", "--json")
    assert check and all(p["kernel"] == "toy-capbpf-only" for p in check)


def test_variant_order_comes_from_the_data(tmp_path):
    """kernel_names() names no variant: released variants in release order (releases.json), each
    followed by the variants extending it (a toy, then the toy's own child), then the rest."""
    data = _data_with_toy(tmp_path)
    child = {**TOY, "name": "toy-child", "extends": "toy-capbpf-only", "description": "extends the toy"}
    (data / "kernels" / "toy-child.json").write_text(json.dumps(child))
    listed = _hd(data, "replay", "--list", "--json")["kernels"]
    assert listed == ["pre-capbpf", "v6.3", "proposal-2023-04", "toy-capbpf-only", "toy-child", "v6.9"]
    # the same files with v6.3 no longer the variant of a release: v6.9 (still one) comes before it
    rel = json.loads((ROOT / "data" / "kernels" / "releases.json").read_text())
    for r in rel["releases"]:
        if r.get("variant") == "v6.3":
            r["variant"] = None
    (data / "kernels" / "releases.json").unlink()
    (data / "kernels" / "releases.json").write_text(json.dumps(rel))
    listed = _hd(data, "replay", "--list", "--json")["kernels"]
    assert listed == ["pre-capbpf", "v6.9", "v6.3", "proposal-2023-04", "toy-capbpf-only", "toy-child"]


def test_kernel_names_cached_per_data_directory(tmp_path, monkeypatch):
    """kernel_names() is worked out once per variant directory (a report asks hundreds of times),
    in process: a data directory with the toy lists it, the default one again does not, and a
    variant file added later to the same directory is listed."""
    from semantics import kernel_names

    before = kernel_names()
    assert "toy-capbpf-only" not in before
    data = _data_with_toy(tmp_path)
    monkeypatch.setenv("HOOKDEBATE_DATA", str(data))
    with_toy = kernel_names()
    assert with_toy.index("toy-capbpf-only") == with_toy.index("proposal-2023-04") + 1
    with_toy.append("spoiled")                      # the caller's copy, not the cache
    assert "spoiled" not in kernel_names()
    (data / "kernels" / "toy-child.json").write_text(json.dumps({**TOY, "name": "toy-child",
                                                                 "extends": "toy-capbpf-only"}))
    os.utime(data / "kernels", ns=(1, 1))           # a new stamp even on a coarse-clocked filesystem
    assert "toy-child" in kernel_names()
    monkeypatch.delenv("HOOKDEBATE_DATA")
    assert kernel_names() == before
