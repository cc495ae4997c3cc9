"""Claim -> scenario(s) -> verdict.

A claim that cites kernel semantics (concepts listed as `semantic` in
data/link/rules.json) is linked to scenarios of the semantics catalog chosen by
its concepts (the rules in data/link/rules.json, then any catalog entry sharing
concepts), replayed under the kernel variant the claim is about (the thread's
date picks the kernel current then; a claim about the proposal picks the
proposal's variant), and judged: the model supports it, contradicts it, or
cannot judge it, with the reason. Nothing here is keyed to a person or a
Message-ID.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path

from analysis.lexicon import data_dir
from analysis.model import Claim, ThreadAnalysis

DENY_OUTCOMES_NOTE = "any errno (EPERM, EACCES, ENOMEM, EINVAL, ...) counts as a denial"


# what the kernel model replays, by subject (rules.json "subjects"): bpf() (its commands, the
# per-command LSM hooks, CAP_BPF), security_vm_enough_memory() and user namespace creation. A claim
# naming one of these is about what a scenario of that subject replays.
_OP_MENTIONS = {
    "bpf": (re.compile(r"\bbpf\s*\(\s*\)|\bbpf\((BPF_|2\))|\bbpf (sys)?call|\bbpf\(\) syscall|\bCAP_BPF\b|"
                       r"\bunprivileged[_ ]bpf|\bBPF (maps?|tokens?)\b|\bload\w* (an? |the )?BPF programs?\b", re.I),
            re.compile(r"\bBPF_(MAP|PROG|BTF|OBJ|LINK|TOKEN)_[A-Z_]+\b|\bsecurity_bpf(_map_create|_map_alloc|_prog_load|"
                       r"_prog_alloc|_btf_load|_token_\w+)?\(|\bbpf_(map|prog|btf)_(create|alloc|load)_security\b")),
    "vm_enough_memory": (re.compile(r"vm_enough_memory"),),
    "user namespaces": (re.compile(r"\bCLONE_NEWUSER\b|\buserns_create\b|\bcreate_user_ns\b|\bsecurity_create_user_ns\b"),),
}


@functools.lru_cache(maxsize=None)
def _dispatch_hooks() -> frozenset:
    """Every hook some variant replays as op 'lsm_hook' (its facts file's 'plain_dispatch')."""
    return frozenset(_dispatch_wrappers().values())


@functools.lru_cache(maxsize=None)
def _dispatch_wrappers() -> dict:
    """Name -> hook for every hook some variant replays as op 'lsm_hook' (its facts file's
    'plain_dispatch'): the hook's own name and its wrapper's without security_ (security_sk_alloc()
    dispatches sk_alloc_security)."""
    from semantics import kernel_names, load_kernel

    out: dict = {}
    for n in kernel_names():
        for h, e in load_kernel(n).extra.get("plain_dispatch", {}).items():
            out.setdefault(h, h)
            out.setdefault(e["caller"].removeprefix("security_").removesuffix("()"), h)
    return out


def named_hooks(text: str, rules: dict | None = None) -> tuple[str, ...]:
    """The LSM hooks a claim names that the model replays as op 'lsm_hook' (rules.json
    'hook_mentions': security_HOOK(), "the HOOK hook", bpf_lsm_HOOK; less the hooks 'hook_mentions_except'
    leaves to the operations that replay them already), in the order named."""
    rules = rules or load_rules()
    known = _dispatch_wrappers()
    out: list = []
    for rx in rules.get("hook_mentions_re", ()):
        for m in rx.finditer(text):
            h = known.get(m.group(1))
            if h is not None and h not in out and not any(x.search(h) for x in rules.get("hook_mentions_except_re", ())):
                out.append(h)
    return tuple(out)


def operation_family(scenario: dict | None) -> str | None:
    """The subject a scenario's operation belongs to (rules.json "subjects"): "bpf" (bpf()
    commands, capable(), ns_capable(), the unprivileged_bpf_disabled sysctl, bpffs: what decides
    a bpf() call), "user namespaces", "vm_enough_memory"; None without a scenario or an op."""
    if not scenario:
        return None
    call = (scenario.get("op") or {}).get("call")
    subjects = load_rules()["subjects"]
    return subjects["families"].get(call, subjects["default"]) if call else None


def names_operation(text: str, scenario: dict | None) -> bool:
    """Does the claim name the operation a scenario replays (a bpf() command or its LSM hook, BPF
    maps or programs, CAP_BPF, vm_enough_memory, creating a user namespace), so that the replay
    tests the claim's own situation (a direct fit) rather than standing in for it? With a scenario,
    the operation named must be of the scenario's subject (a claim about vm_enough_memory is no
    direct fit for a bpf() scenario)."""
    named = {fam for fam, rxs in _OP_MENTIONS.items() if any(r.search(text) for r in rxs)}
    if scenario is None:
        return bool(named) or bool(named_hooks(text))
    hook = (scenario.get("op") or {}).get("hook")
    if hook is not None:     # op 'lsm_hook': the claim must name that very hook
        return hook in named_hooks(text)
    ops = {f for f in scenario_features(scenario) if f.startswith(("op:", "token:"))}
    claimed = claim_features(text, load_rules())
    if "op:bpffs_set_option" in claimed and "op:bpffs_set_option" not in ops:
        return False   # about a bpffs mount option (its values name commands and types), not their outcome
    if operation_family(scenario) in named:
        return True
    return bool(ops & claimed)


@dataclass(frozen=True)
class ClaimVerdict:
    claim_id: str
    scenario_id: str
    kernel: str
    outcome: str
    supports_claim: bool | None
    reason: str
    trace: tuple = ()  # semantics.TraceStep, in the order the kernel runs the checks
    fit: str = "direct"  # "direct": the claim names the replayed operation; "stand-in": it does not

    def to_json(self, brief: bool = False) -> dict:
        """The verdict as JSON (the report's data); brief: what `claims --json` lists of it
        (scenario, kernel, outcome, supports_claim)."""
        if brief:
            return {"scenario": self.scenario_id, "kernel": self.kernel, "outcome": self.outcome,
                    "supports_claim": self.supports_claim}
        return {"claim_id": self.claim_id, "scenario": self.scenario_id, "kernel": self.kernel,
                "outcome": self.outcome, "supports_claim": self.supports_claim, "reason": self.reason,
                "fit": self.fit, "trace": [t.to_json() for t in self.trace]}


@dataclass(frozen=True)
class ClaimLink:
    claim_id: str
    semantic: bool
    concepts: tuple[str, ...]
    kernel: str | None
    kernel_reason: str
    rule: str | None
    question: str | None
    explicit: bool  # the participant raises the scenario explicitly ("if ...", "a container in ...")
    predicts: str | None  # "allow" | "deny" | None: what the claim says happens
    verdicts: tuple[ClaimVerdict, ...] = ()
    unjudged_reason: str | None = None  # why no scenario could be built


@dataclass(frozen=True)
class LinkResult:
    links: tuple[ClaimLink, ...]
    scenarios: dict = field(default_factory=dict)  # scenario_id -> (source, scenario JSON)
    kernel: str = ""
    kernel_note: str = ""

    def link(self, claim_id: str) -> ClaimLink | None:
        """The (first) link of that claim, None if none: one dict lookup (a scan of the links
        per claim made every report quadratic in the thread's claims: 60,006 lookups over
        20,002 links took 34 s on a 20,000-deep chain)."""
        return self._by_claim.get(claim_id)

    @functools.cached_property
    def _by_claim(self) -> dict:
        out: dict = {}
        for x in self.links:
            out.setdefault(x.claim_id, x)
        return out

    def summary(self) -> dict:
        sem = [x for x in self.links if x.semantic]
        with_v = [x for x in sem if x.verdicts]
        counts = {"supports": 0, "contradicts": 0, "cannot_judge": 0}
        for x in with_v:
            s = x.verdicts[0].supports_claim
            counts["supports" if s is True else "contradicts" if s is False else "cannot_judge"] += 1
        return {"claims": len(self.links), "semantic_claims": len(sem), "with_verdict": len(with_v),
                "share_with_verdict": round(len(with_v) / len(sem), 3) if sem else 0.0,
                "explicit_scenarios": sum(1 for x in sem if x.explicit), **counts}


@functools.lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> dict:
    p = Path(path) if path else data_dir() / "link" / "rules.json"
    from analysis.errors import AnalysisError

    try:
        raw = json.loads(p.read_text())
    except OSError as e:
        raise AnalysisError(f"cannot read link rules {p}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise AnalysisError(f"{p}: invalid JSON: {e}") from None
    comp = lambda xs: tuple(re.compile(x, re.I) for x in xs)  # noqa: E731
    rules = []
    for r in raw.get("rules", []):
        rules.append({**r, "allow_re": comp(r.get("allow_cues", [])), "deny_re": comp(r.get("deny_cues", [])),
                      "defer_re": comp(r.get("defer_cues", [])),
                      "near_re": re.compile(r["cue_near"]["pattern"], re.I) if r.get("cue_near") else None})
    features = {f: comp(xs) for f, xs in raw.get("scenario_features", {}).items() if not f.startswith("_")}
    text_concepts = [(re.compile(t["pattern"], re.I), t["concept"]) for t in raw.get("text_concepts", [])]
    return {**raw, "rules": rules, "generic_deny_re": comp(raw.get("generic_deny_cues", [])),
            "features_re": features, "text_concepts_re": text_concepts,
            "actor_re": comp(raw.get("scenario_actor_cues", [])),
            "condition_re": comp(raw.get("scenario_condition_cues", [])),
            "anaphora_re": comp(raw.get("anaphora_cues", [])),
            "patch_subject_re": comp(raw.get("patch_subject_cues", [])),
            "current_re": comp(raw.get("current_cues", [])),
            "generic_allow_re": comp(raw.get("generic_allow_cues", [])),
            "proposal_re": comp(raw.get("proposal_cues", [])),
            "explicit_re": comp(raw.get("explicit_scenario_cues", [])),
            "counterfactual_re": comp(raw.get("counterfactual_cues", [])),
            "code_re": comp(raw.get("code_cues", [])),
            "instruction_re": comp(raw.get("instruction_cues", [])),
            "lead_in_re": comp(raw.get("lead_in_cues", [])),
            "hook_mentions_re": comp(raw.get("hook_mentions", [])),
            "hook_mentions_except_re": comp(raw.get("hook_mentions_except", [])),
            "unmodeled_re": {k: comp(v) for k, v in raw.get("unmodeled_subjects", {}).items() if not k.startswith("_")}}


def _text_concepts(text: str, rules: dict) -> tuple[str, ...]:
    """Concepts the link rules spot in the text itself ('text_concepts': kernel notions the
    analysis lexicon has no term for, such as an LSM hook's return value or a missing policy)."""
    out: list[str] = []
    for rx, concept in rules["text_concepts_re"]:
        if concept not in out and rx.search(text):
            out.append(concept)
    return tuple(out)


def _concepts(claim: Claim, rules: dict) -> tuple[str, ...]:
    aliases = rules.get("aliases", {})
    out: list[str] = []
    for c in tuple(claim.cites) + _text_concepts(claim.text, rules):
        for x in (c, aliases.get(c)):
            if x and x not in out:
                out.append(x)
    # a hook the model replays as op 'lsm_hook', named in the text (rules.json 'hook_mention_concept')
    hc = rules.get("hook_mention_concept")
    if hc and hc not in out and named_hooks(claim.text, rules):
        out.append(hc)
    return tuple(out)


def is_explicit_scenario(text: str, rules: dict, concepts=()) -> bool:
    """A participant raising a scenario: a framing cue ("if ...", "let's say", "for example", "a
    container in a user namespace") on a sentence with kernel content (a concept, or a condition
    cue), or a concrete actor (a process, application, container, task, program ...) put in a
    concrete kernel condition (holding or lacking a capability, in a user namespace, an LSM hook
    returning a value, no policy loaded) within a few words of it."""
    conds = [m.start() for r in rules["condition_re"] for m in r.finditer(text)]
    if any(r.search(text) for r in rules["explicit_re"]):
        return bool(concepts or _text_concepts(text, rules) or conds)
    if not conds:
        return False
    actors = [m.start() for r in rules["actor_re"] for m in r.finditer(text)]
    return any(abs(a - c) <= 80 for a in actors for c in conds)


def scenario_features(scenario: dict) -> set[str]:
    """What a catalog scenario sets up, in the vocabulary of 'scenario_features' (derived from the
    scenario's JSON, never from its id)."""
    task = scenario.get("task", {})
    caps = task.get("caps", {}) or {}
    f = {f"userns:{task.get('userns', 'init')}"}
    held = [c for c in caps.values() if c]
    f.add("caps:none" if not held else "caps:all" if any(c == "ALL" for c in held) else "caps:some")
    rets = []
    for m in scenario.get("lsm", []) or []:
        for v in (m.get("returns") or {}).values():
            n = v if isinstance(v, int) else (-1 if str(v).startswith("-") else 0)
            rets.append(n)
    if any(r > 0 for r in rets):
        f.add("lsm:positive")
    elif any(r < 0 for r in rets):
        f.add("lsm:negative")
    else:
        f.add("lsm:none")
    op = scenario.get("op", {})
    f.add(f"op:{op.get('cmd') or op.get('call')}")
    # a situation the op itself sets (user.max_user_namespaces reached, a chrooted task...)
    f.update(f"op.{k}" for k, v in op.items() if v is True and k != "with_token")
    if scenario.get("token"):
        f.add("token:yes")
    return f


def claim_features(text: str, rules: dict) -> set[str]:
    return {f for f, rxs in rules["features_re"].items() if any(r.search(text) for r in rxs)}


def _feature_score(claim_f: set[str], scen_f: set[str]) -> int:
    """+1 per condition the claim states that the scenario sets up, -1 per one it contradicts
    (same kind, other value: the claim says 'unprivileged', the scenario's task holds CAP_BPF)."""
    score = 0
    kinds = {x.split(":")[0] for x in scen_f}
    for x in claim_f:
        if x in scen_f:
            score += 1
        elif x.split(":")[0] in kinds and not x.startswith("op:"):
            score -= 1
    return score


def thread_date(analysis: ThreadAnalysis) -> _date | None:
    dates = [m.date for m in analysis.messages if m.date]
    return min(dates).date() if dates else None


def kernel_for_date(d: _date | None, rules: dict | None = None) -> tuple[str | None, str]:
    """(variant, note): the modeled variant whose rules hold for the kernel of day d
    (data/kernels/releases.json through semantics.kernel_on), or (None, "cannot judge: no modeled
    kernel for <release> ...") when none does."""
    from semantics import kernel_on

    choice = kernel_on(d)
    return choice.variant, choice.note


def _partial_kernels(d: _date | None) -> tuple:
    """((variant, calls, basis), ...) holding for some operations of the kernel of day d."""
    from semantics import kernel_on

    return kernel_on(d).partial if d is not None else ()


def _proposal_kernel(d: _date | None, rules: dict) -> str | None:
    if d is None:
        return None
    iso = d.isoformat()
    for p in rules.get("proposals", []):
        if p["from"] <= iso <= p["until"]:
            return p["kernel"]
    return None


def _proposal_calls(d: _date | None, rules: dict) -> frozenset | None:
    """The operations (op.call) the series debated on day d changes (rules.json proposals[].calls):
    only claims replaying those are judged against the series' variant; None: all of them."""
    if d is None:
        return None
    iso = d.isoformat()
    for p in rules.get("proposals", []):
        if p["from"] <= iso <= p["until"]:
            return frozenset(p["calls"]) if "calls" in p else None
    return None


_NEG_BEFORE = re.compile(r"(\bnot|n't|\bnever|\bno)\s+(\w+\s+){0,2}$", re.I)


_VERSUS = re.compile(r"\b[\w-]+\s+(vs\.?|versus)\s+[\w-]+(\s+LSMs?|\s+hooks?)?", re.I)


def _near(rule: dict, text: str):
    """Which cue matches count. A rule's 'cue_near' ({"pattern", "chars"}): only those within that
    many characters of what the rule is about ("block ... user namespace creation", not "block
    any effort to add access control around user namespace creation"); without it, all."""
    near = rule.get("near_re")
    if near is None:
        return lambda m: True
    spans = [m.span() for m in near.finditer(text)]
    reach = rule["cue_near"]["chars"]
    return lambda m: any(m.start() <= e + reach and m.end() >= b - reach for b, e in spans)


def _allow_or_deny(text: str, rule: dict) -> tuple[str | None, int]:
    """(prediction, position of its first cue) from a rule's allow/deny cues: the cue said first
    governs; an allow cue right after a negation counts as deny."""
    ok = _near(rule, text)
    deny = min((m.start() for r in rule["deny_re"] for m in r.finditer(text) if ok(m)), default=None)
    allow = None
    for r in rule["allow_re"]:
        m = next((m for m in r.finditer(text) if ok(m)), None)
        if not m:
            continue
        if _NEG_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
            deny = m.start() if deny is None else min(deny, m.start())
        else:
            allow = m.start() if allow is None else min(allow, m.start())
    if deny is None and allow is None:
        return None, len(text)
    if allow is None or (deny is not None and deny < allow):
        return "deny", deny
    return "allow", allow


def _predicts(text: str, rule: dict | None, rules: dict) -> str | None:
    """What the claim says happens: "allow", "deny", "defer" (the kernel's own capability checks
    decide: the hook says nothing) or None. With a rule, only its own cues count (the cue said
    first governs); generic cues are used only for claims no rule covers. "A vs. B" names a
    debate, not an outcome: it is left out."""
    text = _VERSUS.sub(" ", text)
    if any(r.search(text) for r in rules.get("code_re", ())):
        return None  # C code or a code comment quoted as prose: "-> creation failed" is no statement
    if any(r.search(text) for r in rules.get("lead_in_re", ())):
        return None  # "Example below shows ...:" introduces what follows and states no outcome itself
    if rule is not None:
        said, at = _allow_or_deny(text, rule)
        defer = min((m.start() for r in rule["defer_re"] if (m := r.search(text))), default=None)
        if defer is not None and defer < at:
            return "defer"
        return said
    deny = any(r.search(text) for r in rules["generic_deny_re"])
    allow = any(r.search(text) for r in rules["generic_allow_re"])
    if deny:
        return "deny"
    if allow:
        return "allow"
    return None


def _rule_for(concepts: tuple[str, ...], rules: dict, text: str = "") -> dict | None:
    cs = set(concepts)
    for r in rules["rules"]:
        if r.get("named_hook") and not named_hooks(text, rules):
            continue
        if not set(r.get("all", [])) <= cs:
            continue
        if r.get("any") and not cs & set(r["any"]):
            continue
        return r
    return None


@functools.lru_cache(maxsize=None)
def _new_hooks(base: str, proposal: str) -> frozenset:
    """LSM hooks the proposal's variant adds to the current kernel (from the model's kernel data)."""
    from semantics import ScenarioError, load_kernel

    try:
        a, b = load_kernel(base), load_kernel(proposal)
    except ScenarioError:
        return frozenset()
    return frozenset(set(b.int_hooks) - set(a.int_hooks))


def _catalog():
    import semantics

    return {e.id: e for e in semantics.catalog()}


def replay_entry(entry, kernel: str):
    """Verdict of a catalog scenario under `kernel`, or None when that kernel lacks what it needs."""
    from semantics import ScenarioError, replay

    try:
        return replay(entry.scenario, kernel)
    except ScenarioError:
        return None


def _with_hook(scenario: dict, hook: str) -> dict:
    """A template scenario of op 'lsm_hook' for another hook: op.hook and every module's return for
    the template's hook moved to it (the catalog entry itself is not changed)."""
    old = scenario["op"]["hook"]
    out = json.loads(json.dumps(scenario))
    out["id"] = f"{scenario['id']}@{hook}"
    out["op"]["hook"] = hook
    for m in out.get("lsm") or []:
        rets = m.get("returns") or {}
        if old in rets:
            rets[hook] = rets.pop(old)
    return out


def _dispatched_alike(hook: str, kernel: str, others) -> bool:
    """Is security_HOOK() only call_int_hook() with the same default in `kernel` and every one of `others`?"""
    from semantics import load_kernel

    ks = [load_kernel(k) for k in (kernel, *others)]
    owns = [k.own_hook(hook) for k in ks]
    if any(o is None or o not in k.extra.get("plain_dispatch", {}) for o, k in zip(owns, ks)):
        return False
    return len({k.int_hooks[o] for o, k in zip(owns, ks)}) == 1


def _replay_json(body: dict, kernel: str):
    from semantics import ScenarioError, replay

    try:
        return replay(body, kernel)
    except ScenarioError:
        return None


def link_claims(analysis: ThreadAnalysis, rules_path: str | None = None, kernel: str | None = None) -> LinkResult:
    """kernel: judge against this variant instead of the one the thread's date picks (what the
    model would say had the debate been about that kernel); the note says so."""
    rules = load_rules(rules_path)
    cat = _catalog()
    semantic = set(rules.get("semantic", []))
    d = thread_date(analysis)
    base_kernel, kernel_note = kernel_for_date(d, rules)
    # a release without a variant of its own may have one whose rules hold for some operations only
    # (data/kernels/releases.json 'calls'): claims whose scenarios replay those are judged under it
    partial = () if base_kernel is not None else _partial_kernels(d)
    if kernel is not None:
        base_kernel, kernel_note = kernel, f"judged against {kernel} as asked (by date: {kernel_note})"
        partial = ()
    prop_kernel, prop_calls = _proposal_kernel(d, rules), _proposal_calls(d, rules)
    links: list[ClaimLink] = []
    scenarios: dict = {}
    subjects = {m.message_id: m.subject or "" for m in analysis.messages}
    last_predicts: dict[str, str] = {}  # message_id -> the outcome its latest claim stated
    for claim in analysis.claims:
        concepts = _concepts(claim, rules)
        is_sem = bool(set(concepts) & semantic)
        explicit = is_explicit_scenario(claim.text, rules, claim.cites)
        if not is_sem:
            links.append(ClaimLink(claim.claim_id, False, concepts, None, "", None, None, explicit, None,
                                   unjudged_reason="cites no concept the kernel model covers"))
            continue
        rule = _rule_for(concepts, rules, claim.text)
        hooks = named_hooks(claim.text, rules) if rule and rule.get("named_hook") else ()
        kernel, kreason = base_kernel, kernel_note
        about_proposal = claim.type == "proposal" or any(r.search(claim.text) for r in rules["proposal_re"])
        if about_proposal and claim.type != "proposal" and any(r.search(claim.text) for r in rules["current_re"]):
            about_proposal = False  # "has always been", "currently": the kernel as it is
        in_patch = any(r.search(subjects.get(claim.message_id, "")) for r in rules["patch_subject_re"])
        if prop_kernel and about_proposal:
            kernel, kreason = prop_kernel, f"the claim is about the series under debate: {prop_kernel}"
        elif prop_kernel and in_patch:
            kernel, kreason = prop_kernel, f"the claim describes a patch of the series under debate: {prop_kernel}"
        elif prop_kernel and base_kernel and (new := _new_hooks(base_kernel, prop_kernel) & set(concepts)):
            kernel, kreason = prop_kernel, (f"the claim names {', '.join(sorted(new))}, a hook only the series "
                                            f"under debate has: {prop_kernel}")
        if rule and rule.get("kernel") == "current":
            kernel, kreason = base_kernel, kernel_note
        candidates = list(rule["scenarios"]) if rule else []
        if not candidates:  # any catalog entry sharing concepts, most shared first
            scored = sorted(((len(set(e.concepts) & set(concepts)), i, e.id) for i, e in enumerate(cat.values())),
                            key=lambda t: (-t[0], t[1]))
            candidates = [sid for n, _, sid in scored if n >= 2][:3]
        candidates = [s for s in candidates if s in cat]
        if kernel is not None and kernel == prop_kernel and kernel != base_kernel and prop_calls is not None:
            # the series' variant is its code only for the operations the series changes (rules.json
            # proposals[].calls): a claim replaying another one (a hook's dispatch, capable(), another
            # series posted in the same weeks) is about the kernel of the thread's date
            ours = [s for s in candidates if (cat[s].scenario_json().get("op") or {}).get("call") in prop_calls]
            if ours:
                candidates = ours
            else:
                kernel, kreason = base_kernel, kernel_note
        only_calls, hooks_as_in = None, ()
        if kernel is None and partial:
            kernel, only_calls, hooks_as_in = partial[0][0], set(partial[0][1]), tuple(partial[0][3])
            kreason = (f"{kernel_note.split('; it would need')[0].replace('cannot judge: ', '')}; for "
                       f"{', '.join(partial[0][1])} the {kernel} rules hold (data/kernels/releases.json 'calls')")
        if kernel is None:   # no modeled variant holds for the thread's date: cannot judge
            links.append(ClaimLink(claim.claim_id, True, concepts, None, kreason, rule["name"] if rule else None,
                                   rule.get("question") if rule else None, explicit, None, (), kreason))
            continue
        if only_calls is not None:
            candidates = [s for s in candidates if (cat[s].scenario_json().get("op") or {}).get("call") in only_calls]
            if not candidates:   # its scenarios replay operations the partial variant does not hold for
                links.append(ClaimLink(claim.claim_id, True, concepts, None, kernel_note, rule["name"] if rule else None,
                                       rule.get("question") if rule else None, explicit, None, (), kernel_note))
                continue
        # the scenario whose set-up matches the conditions the claim states first (a claim about
        # an LSM returning 0 gets the no-policy scenario, one about an unprivileged task the one
        # without capabilities), then the one written for the claim's kernel, then the rule's order
        predicts = _predicts(claim.text, rule, rules)
        cf = claim_features(claim.text, rules)
        if rule and (rule.get("needs_features") or rule.get("forbids_features")):
            # the rule's scenarios decide only claims stating one of these conditions (what a module
            # returns), and none of the forbidden ones
            if not any(f in cf for f in rule.get("needs_features", ())) or any(f in cf for f in rule.get("forbids_features", ())):
                predicts = None
        if predicts == "defer":  # the claim is about the LSM saying nothing
            cf = {x for x in cf if not x.startswith("lsm:")} | {"lsm:none"}
        if cf:
            fscore = {sid: _feature_score(cf, _scen_features(cat[sid])) for sid in candidates}
        else:
            fscore = {}
        order = {sid: i for i, sid in enumerate(candidates)}
        candidates.sort(key=lambda s: (-fscore.get(s, 0), 0 if cat[s].scenario.kernel == kernel else 1, order[s]))
        inherited = False
        if predicts is None and any(r.search(claim.text) for r in rules["anaphora_re"]) \
                and claim.message_id in last_predicts:
            # "Similar approach ...", "This way ...": the outcome the previous claim stated
            predicts, inherited = last_predicts[claim.message_id], True
        elif predicts is not None:
            last_predicts[claim.message_id] = predicts
        hedged = any(r.search(claim.text) for r in rules["counterfactual_re"])
        unmodeled = unmodeled_subject(claim.text, rules, lifted=rule.get("lifts_unmodeled", ()) if hooks else ())
        if any(r.search(claim.text) for r in rules["instruction_re"]):
            unmodeled = "an instruction to the patch's author (what to do), not what the kernel does"
        verdicts = []
        for sid in candidates:
            body = cat[sid].scenario_json()
            if hooks:      # the rule's scenarios are templates: the hook the claim names replaces theirs
                body, sid_used = _with_hook(body, hooks[0]), f"{sid}@{hooks[0]}"
                v = _replay_json(body, kernel)
                if v is not None and hooks_as_in and not _dispatched_alike(hooks[0], kernel, hooks_as_in):
                    v = None   # a release between: only a hook both trees dispatch alike (releases.json 'hooks_as_in')
            else:
                sid_used, v = sid, replay_entry(cat[sid], kernel)
            if v is None:
                continue
            scenarios[sid_used] = (cat[sid].source, body)
            direct = names_operation(claim.text, body)
            verdicts.append(_judge(claim, sid_used, v, predicts, rule, hedged, inherited, direct, unmodeled))
            if len(verdicts) == 2:
                break
        # a direct fit first: the claim's own situation is what the report and the map show
        verdicts.sort(key=lambda v: v.fit != "direct")
        unjudged = None if verdicts else "no catalog scenario covers these concepts under " + kernel
        links.append(ClaimLink(claim.claim_id, True, concepts, kernel, kreason, rule["name"] if rule else None,
                               rule.get("question") if rule else None, explicit, predicts, tuple(verdicts), unjudged))
    return LinkResult(tuple(links), scenarios, base_kernel, kernel_note)


@functools.lru_cache(maxsize=None)
def _scen_features_by_id(sid: str, body: str) -> frozenset:
    return frozenset(scenario_features(json.loads(body)))


def _scen_features(entry) -> frozenset:
    return _scen_features_by_id(entry.id, json.dumps(entry.scenario_json(), sort_keys=True))


STAND_IN = "stand-in scenario"


def unmodeled_subject(text: str, rules: dict, lifted=()) -> str | None:
    """The subject the model does not cover that the claim speaks of (rules.json
    'unmodeled_subjects': BPF helpers and kfuncs, the verifier, ...), unless the claim also names a
    bpf() command the model replays (then that command is what it states an outcome for). `lifted`:
    subjects the claim's rule replays after all (a named hook of op 'lsm_hook')."""
    for name, rxs in rules.get("unmodeled_re", {}).items():
        if name in lifted:
            continue
        if any(r.search(text) for r in rxs):
            if any(f.startswith("op:BPF_") for f in claim_features(text, rules)):
                return None
            return name
    return None


def _judge(claim: Claim, sid: str, v, predicts: str | None, rule: dict | None, hedged: bool = False,
           inherited: bool = False, direct: bool = True, unmodeled: str | None = None) -> ClaimVerdict:
    """A finding (supports / contradicts) needs a direct fit: the claim names the replayed operation
    and states an outcome the model decides. A stand-in scenario (the rule's general question, the
    claim naming no operation it replays) is replayed for context only, never a finding."""
    trace = tuple(v.trace)
    allowed = granted(v.outcome)
    what = f"{sid} under {v.kernel}: {v.outcome}"
    if claim.type in ("normative", "question", "proposal"):
        s, reason = None, (f"{claim.type} claim: the model decides what the kernel does, not what it should do; "
                           f"replayed for context ({what})")
    elif hedged:
        s, reason = None, f"conditional or hedged claim (a counterfactual the model cannot check); replayed {what}"
    elif unmodeled:
        s, reason = None, (f"{unmodeled}; replayed for context ({what})" if unmodeled.startswith("an instruction")
                           else f"about {unmodeled}, which the model does not cover; replayed for context ({what})")
    elif v.outcome == "not modeled":
        why = next((t.result for t in reversed(v.trace) if t.result.startswith("not modeled")), "not modeled")
        s, reason = None, f"not modeled for this kernel: {sid} under {v.kernel} reaches what the variant has no rules for ({why})"
    elif predicts is None:
        s, reason = None, f"the claim states no outcome (allow or deny) the model could check; replayed {what}"
    elif predicts == "defer":
        ran_caps = any("capable" in t.check for t in v.trace)
        bypassed = any("bypass" in str(t.result) for t in v.trace)
        s = ran_caps and not bypassed
        reason = ("claim says the kernel's own capability checks decide when the LSM says nothing; model: "
                  + (f"the capability checks ran and decided ({what})" if s else
                     f"the capability checks were {'bypassed' if bypassed else 'not consulted'} ({what})"))
    else:
        s = allowed == (predicts == "allow")
        reason = (f"claim says the operation is {'allowed' if predicts == 'allow' else 'denied'}"
                  + (" (by reference to the previous claim of the message)" if inherited else "")
                  + f"; model: {what}")
    if not direct:
        if s is not None:
            reason = (f"{STAND_IN}: the claim names no operation this scenario replays, so the replay cannot "
                      f"test it; replayed for context ({what})")
        return ClaimVerdict(claim.claim_id, sid, v.kernel, v.outcome, None, reason, trace, "stand-in")
    return ClaimVerdict(claim.claim_id, sid, v.kernel, v.outcome, s, reason, trace)


def claims_with_verdicts(analysis: ThreadAnalysis, result: LinkResult) -> list[dict]:
    """claims --json entries (DESIGN.md contract) with `scenarios` and `verdicts` filled."""
    from analysis.output import claims_json

    out = claims_json(analysis)
    for entry in out:
        link = result.link(entry["id"])
        vs = link.verdicts if link else ()
        entry["scenarios"] = [v.scenario_id for v in vs]
        entry["verdicts"] = [v.to_json(brief=True) for v in vs]
    return out


def verdict_rows(result: LinkResult) -> tuple[list, list]:
    """(scenarios, verdicts) in the shape Store.save_verdicts takes."""
    scen = [(sid, src, body) for sid, (src, body) in sorted(result.scenarios.items())]
    rows = []
    for link in result.links:
        for v in link.verdicts:
            j = v.to_json()
            rows.append({"claim_id": v.claim_id, "scenario_id": v.scenario_id, "kernel": v.kernel,
                         "outcome": v.outcome, "supports_claim": v.supports_claim, "reason": v.reason,
                         "trace": j["trace"]})
    return scen, rows


def granted(outcome: str) -> bool:
    """Only "allow" grants. A positive hook return that reaches user space ("ret=N") is a refusal:
    map_create() / bpf_prog_load() go to their error path on any non-zero security_bpf_map_alloc() /
    _prog_alloc() (v6.3) or security_bpf_map_create() / _prog_load() (v6.9) return, free the object
    and return that value (kernel/bpf/syscall.c), so no map or program exists."""
    return outcome == "allow"


def proposal_kernel_for(analysis: ThreadAnalysis, rules_path: str | None = None) -> str | None:
    """The variant of the series debated at the thread's date (None when no proposal is modeled then)."""
    return _proposal_kernel(thread_date(analysis), load_rules(rules_path))
