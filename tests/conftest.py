"""Session fixtures: a real public-inbox-httpd on loopback serving the embedded thread."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

THREAD_MBOX = Path(__file__).resolve().parent.parent / "data" / "threads" / "authoritative-hooks.mbox"
ROOT_MSGID = "20230412043300.360803-1-andrii@kernel.org"


@pytest.fixture(scope="session")
def lore_server(tmp_path_factory):
    """A public-inbox v2 inbox 'bpf-lsm' built from the embedded thread, served over HTTP.

    Yields the Server (``.base`` is ``http://127.0.0.1:PORT/bpf-lsm/``). Needs the
    Debian package public-inbox (installed by .ci/run); skipped when it is missing.
    """
    import pi_server

    if not pi_server.have_public_inbox():
        pytest.skip("public-inbox (public-inbox-httpd) is not installed")
    work = tmp_path_factory.mktemp("pi")
    env = pi_server.build_inbox(work, THREAD_MBOX)
    server = pi_server.Server(work, env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lore_search_server(tmp_path_factory):
    """The same thread in an inbox indexed at level medium (Xapian search), served over HTTP."""
    import pi_server

    if not pi_server.have_public_inbox():
        pytest.skip("public-inbox (public-inbox-httpd) is not installed")
    work = tmp_path_factory.mktemp("pi-search")
    env = pi_server.build_inbox(work, THREAD_MBOX, level="medium")
    server = pi_server.Server(work, env)
    yield server
    server.stop()
