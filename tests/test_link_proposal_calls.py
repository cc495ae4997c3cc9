"""A series' variant is its code only for the operations the series changes (rules.json
proposals[].calls): within its window a claim of a [PATCH] (or one naming a patch) whose scenarios
replay another operation, vm_enough_memory say, is judged against the kernel of the thread's date,
not the series' variant. Made-up threads (nothing of the archive's wording, people or Message-IDs)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import analysis
from analysis.link import link_claims, load_rules
from mailrecords import Message

VM = "This patch keeps security_vm_enough_memory_mm() as it is: the commoncap check fails for a task without CAP_SYS_ADMIN."
TOKEN = "This patch makes a BPF token from a bpffs instance allow BPF_MAP_CREATE."


def _thread(day):
    def msg(mid, parent, who, body, minute):
        subject = "[PATCH] mm: tidy the memory accounting paths"
        return Message(message_id=mid, subject=("Re: " + subject) if parent else subject, from_name=who,
                       from_address=who.lower() + "@example.org", date=datetime(*day, 12, minute, tzinfo=timezone.utc),
                       date_raw="", in_reply_to=parent, references=(parent,) if parent else (), body=body, raw=b"",
                       origin="test")
    return [msg("p1@example.org", None, "Alice", f"Hi,\n\n{VM}\n\n{TOKEN}\n\nThanks,\nAlice\n", 1),
            msg("p2@example.org", "p1@example.org", "Bob", "> Hi,\n\nLooks fine to me.\n\nBob\n", 2)]


def _link(day, needle):
    a = analysis.analyze(_thread(day), stance="rules")
    r = link_claims(a)
    c = next(c for c in a.claims if needle in c.text)
    return r.link(c.claim_id)


def test_the_windows_name_the_operations_their_series_change():
    calls = {p["kernel"]: set(p["calls"]) for p in load_rules()["proposals"]}
    assert calls == {"proposal-2023-04": {"bpf"}, "v6.9": {"bpf", "bpffs_create", "bpffs_set_option"}}


@pytest.mark.parametrize("day,vm_kernel", [
    ((2023, 4, 12), "v6.3"),      # the April 2023 series changes bpf() only: vm_enough_memory is v6.3's
    ((2024, 2, 5), None),         # v6.8 in development: no variant holds for vm_enough_memory (its default changed by 6.9)
])
def test_a_claim_replaying_what_the_series_does_not_change_gets_the_dates_kernel(day, vm_kernel):
    link = _link(day, "security_vm_enough_memory_mm()")
    assert link.semantic and link.kernel == vm_kernel
    if vm_kernel is None:
        assert not link.verdicts and "no modeled kernel" in link.kernel_reason
    else:
        assert link.verdicts and all(v.kernel == vm_kernel for v in link.verdicts)


def test_a_claim_replaying_what_the_series_changes_keeps_the_series_variant():
    link = _link((2024, 2, 5), "BPF token")
    assert link.kernel == "v6.9" and "series under debate" in link.kernel_reason
    assert link.verdicts and all(v.kernel == "v6.9" for v in link.verdicts)
