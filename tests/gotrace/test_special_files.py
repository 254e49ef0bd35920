"""A pipe, a device or a directory given to `open` or `compare-real` is one line and exit 2, never a
read that blocks forever (a FIFO) or never ends (/dev/zero)."""

from __future__ import annotations

import os

import pytest

from gmpviz.cli import main


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "run.log"
    os.mkfifo(p)
    return str(p)


@pytest.mark.parametrize(
    "argv", [["open", "{f}", "--headless"], ["open", "{f}", "--dump"], ["compare-real", "{f}", "default"]]
)
@pytest.mark.parametrize("which", ["fifo", "device", "directory"])
def test_special_files_are_refused_in_one_line(capsys, fifo, tmp_path, argv, which):
    f = {"fifo": fifo, "device": "/dev/zero", "directory": str(tmp_path)}[which]
    assert main([a.format(f=f) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmpviz: ")
    assert "regular file" in err or "directory" in err
