"""decide(): one scenario, one kernel, one verdict with its trace."""
from __future__ import annotations

from dataclasses import dataclass

from semantics.engine import Trace, evaluate, outcome_of
from semantics.errors import ScenarioError
from semantics.kernels import Kernel, load_kernel
from semantics.scenario import ALL, Scenario, parse_scenario

# the result a trace step gives a scenario's return from a hook the kernel lacks (across() lists them)
IGNORED_HOOK = "ignored: kernel"

SYSCTL_BPF = "kernel.unprivileged_bpf_disabled"


@dataclass(frozen=True)
class Verdict:
    scenario_id: str
    kernel: str
    outcome: str
    trace: tuple = ()

    def to_json(self) -> dict:
        return {"id": self.scenario_id, "kernel": self.kernel, "outcome": self.outcome,
                "trace": [t.to_json() for t in self.trace]}


class ScenarioWorld:
    """The World interface over a parsed Scenario."""

    __slots__ = ("s", "op", "kernel", "_caps", "_stack", "_rets")

    def __init__(self, s: Scenario, kernel: Kernel, rets: dict | None = None):
        self.s = s
        self.op = s.op
        self.kernel = kernel
        self._caps = s.task.caps_in(s.task.userns)
        self._stack = tuple(m.name for m in s.lsm)
        self._rets = rets if rets is not None else _kernel_returns(s, kernel)[0]

    def userns(self):
        return self.s.task.userns

    def owns_child(self):
        return self.s.task.owns_child_userns

    def has_cap(self, cap):
        return self._caps == ALL or cap in self._caps

    def euid_global_root(self):
        # task.uid is the euid as the init namespace sees it (kuid): uid 0 inside a
        # container whose namespace maps it elsewhere is not GLOBAL_ROOT_UID
        return self.s.task.uid == 0

    def sysctl(self):
        return self.s.sysctl_value(SYSCTL_BPF, self.kernel.sysctl_defaults.get(SYSCTL_BPF, 2))

    def stack(self):
        return self._stack

    def ret(self, mod, hook):
        return self._rets[mod].get(hook)

    def token_userns(self):
        return self.s.token.userns if self.s.token else None

    def with_token(self):
        return self.s.op.with_token

    def delegated(self, kind, name):
        d = self.s.token.delegates(kind)
        return d == ALL or name in d

    def token_has_delegation(self):
        return self.s.token is not None and self.s.token.has_delegation()


def _kernel_returns(s: Scenario, k: Kernel) -> tuple[dict, list]:
    """Each module's returns under this kernel's hook names, and a note per return it cannot take:
    a hook spelled as another variant names it (bpf_map_alloc_security in v6.3 is bpf_map_create in
    v6.9: the variants' "hook_aliases") is the same hook; a hook this kernel lacks (the proposal's
    bpf_map_create_security in v6.3) is ignored, so one situation replays on every variant."""
    rets: dict = {}
    notes: list = []
    for i, m in enumerate(s.lsm):
        own_rets = rets.setdefault(m.name, {})
        for hook, r in m.returns:
            own = k.own_hook(hook)
            if own is None:
                notes.append((f"lsm[{i}] {m.name}: returns {r} from {hook}",
                               f"{IGNORED_HOOK} {k.name} has no hook {hook} (include/linux/lsm_hook_defs.h)"))
                continue
            if own != hook:
                notes.append((f"lsm[{i}] {m.name}: returns {r} from {hook}",
                              f"{hook} is {k.name}'s {own}: applied to {own} "
                              f"({k.extra.get('hook_aliases_models') or 'hook_aliases'})"))
            own_rets.setdefault(own, r)
    return rets, notes


def decide(scenario: Scenario, kernel: str | None = None) -> Verdict:
    """Pure and deterministic: the outcome and the ordered trace of checks."""
    s = parse_scenario(scenario)
    kname = kernel or s.kernel
    if not kname:
        raise ScenarioError("kernel: missing (give it in the scenario or with --kernel)")
    k = load_kernel(kname)
    rets, notes = _kernel_returns(s, k)
    tr = Trace(k)
    for check, result in notes:
        tr.add(check, "security_hook_heads security/security.c", result)
    w = ScenarioWorld(s, k, rets)
    if s.sysctl_value(SYSCTL_BPF, -1) == -1 and s.op.call == "bpf":
        tr.add("sysctl kernel.unprivileged_bpf_disabled not given", "sysctl_unprivileged_bpf_disabled kernel/bpf/syscall.c",
               f"default {w.sysctl()}: {k.extra.get('sysctl_defaults_note', '')}")
    for ns, caps in s.task.caps:
        if ns != s.task.userns and caps:
            tr.add(f"task.caps.{ns} given", "cap_capable() security/commoncap.c",
                   f"ignored: a task's effective set belongs to its own user namespace ({s.task.userns}); "
                   f"elsewhere it has only what the namespace walk gives")
    rc = evaluate(w, k, tr)
    return Verdict(s.id, k.name, outcome_of(rc), tuple(tr.steps))


def replay(obj_or_scenario, kernel: str | None = None) -> Verdict:
    """Parse if needed, then decide, optionally under another kernel."""
    return decide(parse_scenario(obj_or_scenario), kernel)


def outcome(scenario: Scenario, kernel: str | None = None) -> str:
    """decide() without building the trace (for bulk use)."""
    s = scenario
    k = load_kernel(kernel or s.kernel)
    return outcome_of(evaluate(ScenarioWorld(s, k), k, None))


def deciding_step(v: Verdict):
    """The check that decided v: the failing one (the last step of a denial, or the hook whose
    positive return reached user space), or for an allow the LSM bypass that skipped the kernel's
    own checks (None: every check passed)."""
    if v.outcome != "allow":
        return v.trace[-1] if v.trace else None
    return next((t for t in v.trace if t.result.startswith("bypass")), None)
