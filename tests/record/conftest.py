"""Small recordings shared by the record tests (session-scoped: each is made once)."""

from __future__ import annotations

import pytest
from _rechelp import record


@pytest.fixture(scope="session")
def small_rec(tmp_path_factory):
    """(path, all events) of a ~400 ms `default` run: several event blocks and keyframes."""
    path = tmp_path_factory.mktemp("rec") / "small.gmprec"
    _, ev = record(path)
    return str(path), ev


@pytest.fixture(scope="session")
def gc_rec(tmp_path_factory):
    """(path, all events) of a `gc-steady` run with GC cycles, STW pauses and spans."""
    path = tmp_path_factory.mktemp("rec") / "gc.gmprec"
    _, ev = record(path, scenario="gc-steady", duration_ns=600_000_000)
    return str(path), ev
