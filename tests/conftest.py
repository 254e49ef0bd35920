"""Test-wide setup. Qt must run offscreen, and that must be set before any QApplication exists."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

# Hypothesis: the suite that gates main (./dev test, CI) draws the same examples every run, so a
# landing never fails on a draw no earlier run made; GMPVIZ_HYPOTHESIS=explore draws new ones (what
# found the gcMarkDone/GOMAXPROCS race in tests/core/test_sched_invariants.py). A failure found by
# exploring becomes a plain regression test.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("gate", derandomize=True, print_blob=True)
_hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
_hypothesis_settings.load_profile("explore" if os.environ.get("GMPVIZ_HYPOTHESIS") == "explore" else "gate")


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: the long structure-aware fuzz run (pytest -m fuzz)")


def pytest_collection_modifyitems(config, items):
    """`fuzz` tests run only when asked for (`-m fuzz`): the suite runs the short seeded fuzz."""
    import pytest

    if "fuzz" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long fuzz run: pytest -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)
