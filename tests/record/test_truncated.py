"""Recordings cut short: the reader says so (and why), `export` and `play` warn in one line and go on,
`--strict` refuses them with exit 2, and no command leaves a half-written output behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.record import RecordingError
from gmpviz.record import format as F
from gmpviz.record.reader import RecordingReader


def _cut(tmp_path, data: bytes, n: int, name: str = "cut.gmprec") -> str:
    p = tmp_path / name
    p.write_bytes(data[:n])
    return str(p)


@pytest.fixture(scope="module")
def layout(small_rec):
    """(file bytes, all events, the finalised reader's blocks in file order)."""
    path, ev = small_rec
    r = RecordingReader.open(path)
    blocks = sorted(r._ev_blocks + r._kf_blocks + r._cntr_blocks, key=lambda b: b.offset)
    assert not r.truncated and r.cut_short() is None
    return Path(path).read_bytes(), ev, blocks


def _evts(blocks, k: int):
    return [b for b in blocks if b.tag == F.TAG_EVTS][k]


def _offsets(data: bytes, blocks) -> dict[str, tuple[int, str | None, int | None]]:
    """Where to cut -> (length kept, expected cut_reason or None for an error, events kept)."""
    b = _evts(blocks, 2)
    index_off = F.FOOTER.unpack_from(data, len(data) - F.FOOTER.size)[1]
    n_all = sum(x.count for x in blocks if x.tag == F.TAG_EVTS)
    return {
        "in the preamble": (F.PREAMBLE.size - 3, None, None),
        "in the header chunk": (F.PREAMBLE.size + 30, None, None),
        "in an event chunk": (b.offset + 40, f"no end record; a partial chunk at byte {b.offset:,}", b.first),
        "in a chunk head": (b.offset + 5, f"no end record; a partial chunk at byte {b.offset:,}", b.first),
        "on a chunk boundary": (b.offset, "no end record", b.first),
        "in the index": (index_off + 20, f"no end record; a partial chunk at byte {index_off:,}", n_all),
        "before the footer": (len(data) - F.FOOTER.size, "no end record", n_all),
        "the last 13 bytes": (len(data) - 13, "no end record", n_all),
    }


CUTS = (
    "in the preamble",
    "in the header chunk",
    "in an event chunk",
    "in a chunk head",
    "on a chunk boundary",
    "in the index",
    "before the footer",
    "the last 13 bytes",
)


@pytest.mark.parametrize("where", CUTS)
def test_reader_says_where_and_why(layout, tmp_path, where):
    data, ev, blocks = layout
    n, reason, kept = _offsets(data, blocks)[where]
    path = _cut(tmp_path, data, n)
    if reason is None:
        with pytest.raises(RecordingError, match="too short|no header"):
            RecordingReader.open(path)
        return
    r = RecordingReader.open(path)
    assert r.truncated and r.cut_reason == reason
    assert r.n_events == kept
    np.testing.assert_array_equal(r.events(), ev[:kept])
    assert r.cut_short() == f"{path} is cut short at {r.t_end_ns / 1e6:.3f} ms ({reason})"


def test_every_cut_is_detected(layout):
    """Any proper prefix either fails to open (no header) or opens as truncated: never as complete."""
    data, _, _ = layout
    for n in range(0, len(data), 61):
        try:
            r = RecordingReader.from_bytes(data[:n])
        except RecordingError:
            continue
        assert r.truncated and r.cut_reason.startswith("no end record"), n


def test_damaged_chunk_without_footer(layout, tmp_path):
    data, ev, blocks = layout
    b = _evts(blocks, 1)
    raw = bytearray(data[: _evts(blocks, 3).offset])
    raw[b.offset + F.CHUNK_HEAD.size + 30] ^= 0xFF
    r = RecordingReader.open(_cut(tmp_path, bytes(raw), len(raw)))
    assert r.cut_reason == f"no end record; a damaged chunk at byte {b.offset:,}"
    assert r.n_events == b.first


def test_quick_look_skips_the_marks(layout, tmp_path):
    data, _, blocks = layout
    path = _cut(tmp_path, data, _evts(blocks, 3).offset)
    full, quick = RecordingReader.open(path), RecordingReader.open(path, marks=False)
    assert len(full.mark_index) and not len(quick.mark_index)
    assert (quick.truncated, quick.n_events, quick.t_end_ns) == (full.truncated, full.n_events, full.t_end_ns)


def _one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize("where", ["in an event chunk", "on a chunk boundary", "the last 13 bytes"])
def test_export_warns_once_and_goes_on(layout, tmp_path, capsys, where):
    data, _, blocks = layout
    n, reason, kept = _offsets(data, blocks)[where]
    path = _cut(tmp_path, data, n)
    out = tmp_path / "t.json"
    assert main(["export", path, "--perfetto", str(out)]) == 0
    err = _one_line(capsys.readouterr().err)
    t_ms = RecordingReader.open(path).t_end_ns / 1e6
    assert err == (
        f"gmpviz: warning: {path} is cut short at {t_ms:.3f} ms ({reason}): "
        f"using the {kept:,} events before the cut"
    )
    assert json.loads(out.read_text())["traceEvents"]


@pytest.mark.parametrize("where", ["in an event chunk", "before the footer", "in the header chunk"])
def test_export_strict_refuses_and_writes_nothing(layout, tmp_path, capsys, where):
    data, _, blocks = layout
    path = _cut(tmp_path, data, _offsets(data, blocks)[where][0])
    out = tmp_path / "out" / "t.json"
    out.parent.mkdir()
    assert main(["export", path, "--perfetto", str(out), "--strict"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("gmpviz: ") and "warning" not in err
    assert ("--strict refuses" in err) != (where == "in the header chunk")
    assert not list(out.parent.iterdir())


def test_complete_recording_exports_quietly(small_rec, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["export", small_rec[0], "--perfetto", str(out), "--strict"]) == 0
    cap = capsys.readouterr()
    assert cap.err == "" and cap.out.startswith(f"wrote {out}")


def test_export_error_after_opening_leaves_nothing(small_rec, tmp_path, capsys):
    out = tmp_path / "t.json"
    os.mkdir(out)  # the rename over a directory fails
    assert main(["export", small_rec[0], "--perfetto", str(out)]) == 2
    assert _one_line(capsys.readouterr().err).startswith("gmpviz: cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"] and not list(out.iterdir())


def test_play_strict_refuses_before_any_window(layout, tmp_path, capsys, monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    data, _, blocks = layout
    path = _cut(tmp_path, data, _evts(blocks, 2).offset + 40)
    assert main(["play", path, "--strict"]) == 2
    assert "--strict refuses" in _one_line(capsys.readouterr().err)


def _gmpviz(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "gmpviz", *argv], capture_output=True, text=True, timeout=180, env=env
    )


def test_play_warns_once_and_says_so_in_the_window(layout, tmp_path):
    pytest.importorskip("PySide6")
    data, _, blocks = layout
    path = _cut(tmp_path, data, _evts(blocks, 2).offset + 40)
    png = tmp_path / "p.png"
    r = _gmpviz("play", path, "--screenshot", str(png))
    assert r.returncode == 0, r.stderr
    assert _one_line(r.stderr).startswith(f"gmpviz: warning: {path} is cut short at ")
    assert png.exists()
    # the player's status line says it too
    code = (
        "import sys\n"
        "from gmpviz.ui.player import _offscreen_app, open_player\n"
        "_offscreen_app('dark')\n"
        "w = open_player(sys.argv[1], 'dark', settings=None, interactive=False)\n"
        "w.tick()\n"
        "print(w.status_label.text())\n"
    )
    whole = _cut(tmp_path, data, len(data), "whole.gmprec")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for f, cut in ((path, True), (whole, False)):
        s = subprocess.run(
            [sys.executable, "-c", code, f], capture_output=True, text=True, timeout=180, env=env
        )
        assert s.returncode == 0, s.stderr
        assert ("recording was cut short" in s.stdout) == cut
