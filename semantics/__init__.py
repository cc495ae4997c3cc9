"""Executable model of the kernel's LSM / capability / bpf() permission semantics.

Pure Python, stdlib only, importing nothing else of the project.  Mechanisms
(cap_capable(), call_int_hook(), security_vm_enough_memory_mm(),
bpf_token_capable(), ...) are in engine.py, each naming the kernel function
it models; kernel variants (v6.3, proposal-2023-04, v6.9) are data files in
data/kernels/.
"""
from semantics.engine import TraceStep
from semantics.errors import ScenarioError
from semantics.kernels import Kernel, data_dir, kernel_names, known_kernel, load_kernel
from semantics.model import Verdict, decide, outcome, replay
from semantics.across import KernelRow, across
from semantics.scenario import LsmModule, Op, Scenario, Task, Token, load_scenarios, parse_scenario
from semantics.releases import KernelChoice, Release, kernel_on, release, releases
from semantics.catalog import CatalogEntry, by_concept, by_id, catalog
from semantics.impact import DiffResult, diff
from semantics.properties import PropertyResult, check
from semantics.space import enumerate_space

__all__ = [
    "ScenarioError", "Scenario", "Task", "LsmModule", "Token", "Op", "TraceStep", "Verdict",
    "parse_scenario", "load_scenarios", "decide", "replay", "across", "KernelRow", "outcome", "kernel_names", "known_kernel",
    "load_kernel", "Kernel", "data_dir", "catalog", "CatalogEntry", "diff", "DiffResult",
    "check", "PropertyResult", "enumerate_space", "by_concept", "by_id",
    "KernelChoice", "Release", "kernel_on", "release", "releases",
]
