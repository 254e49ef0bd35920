"""File → Open: a recording or a real Go trace opens in a player window of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gotrace"))
from gotrace_synth import simple_trace  # noqa: E402

from gmpviz.record import RecordingError  # noqa: E402


def test_file_open_shows_a_go_trace(qapp, tmp_path, monkeypatch):
    from gmpviz.ui import player

    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "prog.trace"
    path.write_bytes(simple_trace())
    win = player.open_path(str(path))
    try:
        assert "prog.trace" in win.windowTitle()
        assert [a.text() for a in win.file_menu.actions()][0] == "Open…"
        assert win.replay.n_events == 8
        assert any("Real trace" in a for a in win.replay.reader.header["assumptions"])
    finally:
        win.close()
    with pytest.raises(RecordingError):
        player.open_path(str(tmp_path / "nothing.gmprec"))
