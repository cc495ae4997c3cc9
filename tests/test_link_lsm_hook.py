"""Claims naming an LSM hook the model replays as op 'lsm_hook' (rules.json rule 'named LSM hook'):
the catalog's lsm-hook-* scenarios are templates replayed with the named hook; a finding needs the
claim to name the hook and state what a module returns; under a release between v6.3 and v6.9 only a
hook both trees dispatch alike is judged (releases.json 'hooks_as_in')."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import analysis
from analysis.link import link_claims, named_hooks
from mailrecords import Message


def _thread(day):
    def msg(mid, parent, who, body, minute):
        return Message(message_id=mid, subject="Re: [PATCH] fs: call the file_ioctl hook earlier" if parent else
                       "[PATCH] fs: call the file_ioctl hook earlier", from_name=who,
                       from_address=who.lower() + "@example.org", date=datetime(*day, 12, minute, tzinfo=timezone.utc),
                       date_raw="", in_reply_to=parent, references=(parent,) if parent else (), body=body, raw=b"",
                       origin="test")
    return [msg("m1@example.org", None, "Alice", "Hi,\n\nThis patch changes how ioctl permission checks are done. "
                "If an LSM returns -EPERM from security_file_ioctl(), the ioctl fails.\n\nThanks,\nAlice\n", 1),
            msg("m2@example.org", "m1@example.org", "Bob", "> This patch changes things.\n\nWhen no LSM is loaded, "
                "security_file_ioctl() returns 0. The file_ioctl hook is called for every ioctl. "
                "If an LSM returns -EPERM from security_inode_setattr(), the chmod fails. "
                "security_inode_init_security() fails if the xattr name is missing.\n\nBob\n", 2)]


def _by_text(a, r, needle):
    c = next(c for c in a.claims if needle in c.text)
    return r.link(c.claim_id)


@pytest.fixture(scope="module")
def v63():
    a = analysis.analyze(_thread((2023, 4, 10)), stance="rules")
    return a, link_claims(a)


def test_named_hooks_are_the_replayed_ones():
    assert named_hooks("If SELinux denies in security_file_ioctl(), it fails") == ("file_ioctl",)
    assert named_hooks("the socket_bind LSM hook") == ("socket_bind",)
    assert named_hooks("security_sk_alloc() is called") == ("sk_alloc_security",)   # the wrapper's name
    assert named_hooks("security_bpf_map() and the userns_create hook") == ()        # other ops replay these
    assert named_hooks("security_inode_init_security()") == ()                        # not only call_int_hook()


def test_denial_and_default_claims_are_replayed_for_the_named_hook(v63):
    a, r = v63
    deny = _by_text(a, r, "returns -EPERM from security_file_ioctl()")
    assert deny.rule == "named LSM hook" and deny.predicts == "deny"
    v = deny.verdicts[0]
    assert v.scenario_id == "lsm-hook-one-module-denies@file_ioctl" and v.fit == "direct"
    assert v.outcome == "EACCES" and v.supports_claim is True
    assert any("security_file_ioctl() security/security.c:" in t.models for t in v.trace)
    assert r.scenarios[v.scenario_id][1]["op"]["hook"] == "file_ioctl"
    default = _by_text(a, r, "security_file_ioctl() returns 0")
    assert default.predicts == "allow" and default.verdicts[0].scenario_id == "lsm-hook-no-module-default@file_ioctl"
    assert default.verdicts[0].supports_claim is True


def test_what_states_no_module_return_is_no_finding(v63):
    a, r = v63
    called = _by_text(a, r, "is called for every ioctl")
    assert called.predicts is None and all(v.supports_claim is None for v in called.verdicts)
    other = _by_text(a, r, "security_inode_init_security() fails")
    assert other.rule != "named LSM hook" and all(v.supports_claim is None for v in other.verdicts)


def test_a_release_between_judges_only_hooks_dispatched_alike():
    """v6.6 (2023-09): judged under v6.9 for op lsm_hook only where 6.3.8 dispatches the hook the same
    way: file_ioctl (plain in both) is judged; inode_setattr (only 6.9.0's wrapper is plain) is not."""
    a = analysis.analyze(_thread((2023, 9, 10)), stance="rules")
    r = link_claims(a)
    ioctl = _by_text(a, r, "returns -EPERM from security_file_ioctl()")
    assert ioctl.kernel == "v6.9" and ioctl.verdicts[0].supports_claim is True
    setattr_ = _by_text(a, r, "security_inode_setattr()")
    assert not any(v.supports_claim is not None for v in setattr_.verdicts)
