"""analysis.subjects and analysis.segment's snip marker: the one copy of each pattern that
threading, the stance analysis, the debate and the report read (pipeline.py had its own)."""
from __future__ import annotations

import pytest

from analysis.pipeline import _paragraphs
from analysis.segment import is_snip_marker
from analysis.subjects import has_patch_tag, is_reply, is_series_message


@pytest.mark.parametrize("subject, reply, series, answers_patch", [
    ("[PATCH v5 0/4] Introduce x", False, True, True),
    ("[RFC PATCH bpf-next 3/8] bpf: y", False, True, True),
    ("[RFC] lsm: z", False, True, True),
    ("Re: [PATCH v2] x", True, False, True),
    ("AW: [PATCH] x", True, False, True),
    ("Fwd: [PATCH] x", True, False, True),
    # two prefixes and a counted reply: pipeline.py's own pattern took off one prefix only
    # and did not know 'Re[2]:', so it read these as a discussion's reply and a posting
    ("Re: Re: [PATCH v2] x", True, False, True),
    ("Re[2]: [PATCH] x", True, False, True),
    ("Re: the hook's return value", True, False, False),
    ("[GIT PULL] LSM fixes", False, False, False),
    ("Reply to the thread [PATCH]", False, False, False),
    ("", False, False, False),
    (None, False, False, False),
])
def test_subject_kinds(subject, reply, series, answers_patch):
    assert (is_reply(subject), is_series_message(subject), has_patch_tag(subject)) == (reply, series, answers_patch)


@pytest.mark.parametrize("line", ["...", "....", "…", "[...]", "[…]", "[..]", "<snip>", "<<snip>>", "[snip]",
                                  "(snip)", "SNIP", "-snip-", "--- snip ---", "<-- snip -->", "......snip...",
                                  "  [ trimmed 40 lines ]  ", "[cut]"])
def test_snip_markers(line):
    assert is_snip_marker(line)


@pytest.mark.parametrize("line", [
    # pipeline.py's pattern took these for snip markers and dropped them from the reading
    "... and we should definitely have an LSM access control check here,",
    "…and return -EACCES here.",
    "cuts, which is mostly tabs. Please try to do the same.",
    "snippet).",
    ".../selftests/bpf/prog_tests/lookup_key.c     | 112 +++++",
    # never markers
    "------------[ cut here ]------------", "Snip the rest, please.", "", "text",
])
def test_not_snip_markers(line):
    assert not is_snip_marker(line)


def test_a_sentence_opening_with_dots_is_read():
    text = "I looked at it.\n\n... and we should definitely have an LSM check here.\n[...]\nNACK."
    assert _paragraphs(text) == ["I looked at it.", "... and we should definitely have an LSM check here.", "NACK."]
