"""Threading checked against public-inbox's own, on real 2022 linux-security-module mail.

tests/data/threading-vs-public-inbox.mbox holds eight messages of the 2022 corpus, each
a case where hookdebate and public-inbox disagreed or could:
  * KEYS "fix memory leaks when reading certificate" v1, v2 and a reply to v2 whose
    client (nmh) wrote References with In-Reply-To first: public-inbox's /T/ puts the
    reply under v1 (References' last id), hookdebate under v2 (its In-Reply-To, the
    message it answers: "Re: [PATCH v2]");
  * three replies in the watch_queue v2 thread to two messages the archive lacks (Hillf
    Danton's 2022-07-24 patches): public-inbox makes them one thread, and hookdebate split
    them before it joined through every referenced id;
  * a cover letter whose In-Reply-To and References are "<Adel Abouchaev
    <adel.abushaev@gmail.com>" (git send-email's prompt answered with a name and address)
    and a reply to the series;
  * "Re: [PATCH v4] KEYS: encrypted: Instantiate key with user-provided decrypted data"
    from Martin Ross with no In-Reply-To and no References (he adds the use case to the
    debate, To: Jarkko), Jarkko Sakkinen's answer to it, and one of Jarkko's replies to
    the v4 patch (from 2021, not in the archive): public-inbox's thread ids keep Martin's
    branch apart, its /T/ view shows it with the thread by subject, and so does
    hookdebate.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import split_threads
from scraper import iter_mbox
from scraper.mail import parse_message

DATA = Path(__file__).resolve().parent / "data"
MBOX = DATA / "threading-vs-public-inbox.mbox"
WATCH_QUEUE = {"1822ee2c605.4a717678627753.351372059135065111@siddh.me",
               "1822f2dbbef.8458d4be628891.5196957454517111607@siddh.me",
               "3565221.1658933355@warthog.procyon.org.uk"}
KEYS_REPLY = "2996113.1648654634@warthog.procyon.org.uk"
KEYS_V2 = "20220303125627.93930-1-d.glazkov@omp.ru"
QUIC_COVER = "20220909001238.3965798-1-adel.abushaev@gmail.com"
KEYS_V4 = {"YdoJD3Kaas07v6K4@iki.fi", "CA++MVV3Jse4WZ-zr-SUWQz3Gk_dByU6JduVfUkvQNW+jgm9O4Q@mail.gmail.com",
           "YfFe9+XDPDIdSqF1@iki.fi"}
MARTIN = "CA++MVV3Jse4WZ-zr-SUWQz3Gk_dByU6JduVfUkvQNW+jgm9O4Q@mail.gmail.com"


def test_replies_to_missing_messages_linked_by_a_third_are_one_thread():
    threads = split_threads(iter_mbox(MBOX))
    ids = [{m.message_id for m in t} for t in threads]
    assert WATCH_QUEUE in ids
    assert len(threads) == 4


def test_reply_without_reply_headers_joins_the_thread_of_its_subject():
    from analysis import build_tree

    ms = list(iter_mbox(MBOX))
    martin = next(m for m in ms if m.message_id == MARTIN)
    assert martin.in_reply_to is None and martin.references == ()
    threads = split_threads(ms)
    assert KEYS_V4 in [{m.message_id for m in t} for t in threads]
    # the v4 patch itself is not in the archive: Martin's message is one more root
    tree = build_tree(next(t for t in threads if MARTIN in {m.message_id for m in t}))
    assert tree.parent_of[MARTIN] is None and tree.parent_of["YfFe9+XDPDIdSqF1@iki.fi"] == MARTIN
    # with the thread's root present it goes under it
    root = martin.__class__(**{**martin.__dict__, "message_id": "root@example.org", "in_reply_to": None,
                               "references": (), "subject": "[PATCH v4] KEYS: encrypted: Instantiate key "
                               "with user-provided decrypted data"})
    jarkko = next(m for m in ms if m.message_id == "YdoJD3Kaas07v6K4@iki.fi")
    jarkko = jarkko.__class__(**{**jarkko.__dict__, "in_reply_to": "root@example.org", "references": ("root@example.org",)})
    assert build_tree([root, jarkko, martin]).parent_of[MARTIN] == "root@example.org"
    # a subject that is in no earlier thread, or too short, joins nothing
    alone = martin.__class__(**{**martin.__dict__, "subject": "Re: thanks"})
    assert len(split_threads([jarkko, alone])) == 2


def test_in_reply_to_that_is_an_address_is_no_message_id():
    cover = next(m for m in iter_mbox(MBOX) if m.message_id == QUIC_COVER)
    assert b"In-Reply-To: <Adel Abouchaev <adel.abushaev@gmail.com>" in cover.raw
    assert cover.in_reply_to is None
    assert cover.references == ()
    # a second series sent the same way is not joined to the first through that "id"
    other = cover.raw.replace(QUIC_COVER.encode(), b"20221001000000.1-1-adel.abushaev@gmail.com")
    again = parse_message(other, "test")
    assert len(split_threads([cover, again])) == 2


def test_yes_no_answer_is_no_in_reply_to():
    raw = (b"From: A <a@example.org>\nTo: b@example.org\nSubject: [PATCH] x\n"
           b"Message-ID: <1@example.org>\nIn-Reply-To: y\n\nbody\n")
    assert parse_message(raw, "test").in_reply_to is None


def test_reply_follows_in_reply_to_over_references_order():
    from analysis import build_tree

    ms = [m for m in iter_mbox(MBOX) if m.message_id.endswith("omp.ru") or m.message_id == KEYS_REPLY]
    reply = next(m for m in ms if m.message_id == KEYS_REPLY)
    assert reply.references[-1] != reply.in_reply_to == KEYS_V2
    assert build_tree(ms).parent_of[KEYS_REPLY] == KEYS_V2


@pytest.mark.server
def test_agreement_with_public_inbox_threading(tmp_path):
    import pi_server
    import pi_threading

    if not pi_server.have_public_inbox():
        pytest.skip("public-inbox is not installed")
    env = pi_server.build_inbox(tmp_path, MBOX, name="thr")
    pi = pi_threading.pi_threading(tmp_path / "thr", env)
    # what pi_threads.pl reads is what public-inbox-httpd's /T/ pages draw
    server = pi_server.Server(tmp_path, env, name="thr")
    try:
        assert pi_threading.http_present_parents(server.base, pi) == {m: p.present_parent for m, p in pi.items()}
    finally:
        server.stop()
    agreement = pi_threading.compare(list(iter_mbox(MBOX)), pi)
    assert agreement.messages == 11
    # the same threads, message for message, but Martin's branch, which public-inbox's
    # thread ids keep apart and hookdebate joins by subject (as public-inbox's /T/ shows it)
    assert (agreement.hd_threads, agreement.pi_threads, agreement.same_threads) == (4, 5, 3)
    assert agreement.recall == 1.0
    assert agreement.pairs_hd - agreement.pairs_both == 2  # Martin + his answer, each with Jarkko's v4 reply
    assert not agreement.splits
    assert agreement.joins == [(pi_threading.BY_SUBJECT, MARTIN, 3)]
    # one parent differs, by hookdebate's choice: In-Reply-To over References' order
    assert agreement.parent_diffs == {pi_threading.IRT_FIRST: [
        (KEYS_REPLY, KEYS_V2, "20220303081428.12979-1-d.glazkov@omp.ru")]}
    assert agreement.parents_same == 10
