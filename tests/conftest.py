"""Test-wide setup. Qt must run offscreen, and that must be set before any QApplication exists."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


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
