"""Identity merging checked over the 2022 linux-security-module corpus (5,853 messages).

Every merged person with more than one address, and every pair of distinct people
sharing a display name or an address local part, was read by hand. Two kinds of split
were wrong; tests/data/identity-2022.mbox holds real messages of each:
  * Nayna Jain posts patches as "Nayna Jain <nayna@linux.ibm.com>" and answers their
    reviews as "Nayna <nayna@linux.vnet.ibm.com>" (the older name of the same IBM mail
    domain): one person, read as two in each of her threads;
  * syzbot reports come from syzbot+<hash>@syzkaller.appspotmail.com, one subaddress per
    bug: one sender, read as seven people.
Right as they are, and kept apart: daniel@ffwll.ch (Daniel Vetter) and daniel@iogearbox.net
(Daniel Borkmann), greg@kroah.com (Greg Kroah-Hartman) and greg@enjellic.com (Dr. Greg),
david@fromorbit.com / david@sigma-star.at / david@redhat.com, code@siddh.me and
code@tyhicks.com.
"""
from __future__ import annotations

from pathlib import Path

from analysis import merge_identities
from scraper import iter_mbox
from mailrecords import Message

MBOX = Path(__file__).resolve().parent / "data" / "identity-2022.mbox"


def _one(addr: str, name: str, mid: str) -> Message:
    return Message(message_id=mid, subject="x", from_name=name, from_address=addr, date=None, date_raw="",
                   in_reply_to=None, references=(), body="", raw=b"", origin="test")


def test_same_local_part_at_one_organization_and_subaddresses_are_one_person():
    messages = list(iter_mbox(MBOX))
    people, author_of = merge_identities(messages)
    by_addr = {m.from_address: author_of[m.message_id] for m in messages}
    assert by_addr["nayna@linux.ibm.com"] == by_addr["nayna@linux.vnet.ibm.com"]
    nayna = next(p for p in people if "nayna@linux.ibm.com" in p.addresses)
    assert nayna.name == "Nayna Jain"
    syz = [a for a in by_addr if a.startswith("syzbot+")]
    assert len(syz) == 2 and by_addr[syz[0]] == by_addr[syz[1]]
    assert len(people) == 2


def test_same_local_part_kept_apart_when_names_or_organizations_differ():
    people, author_of = merge_identities([
        _one("daniel@ffwll.ch", "Daniel Vetter", "1"),
        _one("daniel@iogearbox.net", "Daniel Borkmann", "2"),
        # one organization, but the names disagree: two people (departments assign alike)
        _one("john@cs.example.edu", "John Smith", "3"),
        _one("john@math.example.edu", "John Doe", "4"),
        # country-code second level: example.co.uk and other.co.uk are two organizations
        _one("ann@example.co.uk", "Ann", "5"),
        _one("ann@other.co.uk", "Ann", "6"),
        _one("ann@mail.example.co.uk", "Ann Lee", "7"),
    ])
    assert len({author_of[m] for m in "123456"}) == 6
    assert author_of["7"] == author_of["5"]
