"""Issue 12, outputs: never onto an input, never onto a device, atomic, no .part after an interrupt,
one line naming the path when the disk is full (gmpviz/record/outpath.py)."""

from __future__ import annotations

import errno
import os
import shutil
import signal

import pytest

from gmpviz.cli import main
from gmpviz.record import RecordingError, outpath
from gmpviz.record.outpath import Terminated, interrupts_clean_up
from gmpviz.record.perfetto import export_perfetto
from gmpviz.record.replay import Replay


@pytest.fixture
def rec(small_rec, tmp_path):
    p = tmp_path / "same.gmprec"
    shutil.copy(small_rec[0], p)
    return p


def _one_line(capsys, *needles) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmpviz: "), err
    for n in needles:
        assert n in err, err
    return err


def _no_part(d) -> None:
    assert not list(d.glob("*.part")), list(d.glob("*.part"))


def test_export_onto_its_own_input_is_refused(rec, tmp_path, capsys):
    before = rec.read_bytes()
    for flag in ("--perfetto", "--png", "--video"):
        assert main(["export", str(rec), flag, str(rec)]) == 2
        _one_line(capsys, "is also an input")
    assert rec.read_bytes() == before
    # also through another spelling of the same file, and a hard link
    os.link(rec, tmp_path / "hard.gmprec")
    for other in (str(tmp_path / "." / "same.gmprec"), str(tmp_path / "hard.gmprec")):
        assert main(["export", str(rec), "--perfetto", other]) == 2
        _one_line(capsys, "is also an input")
    assert rec.read_bytes() == before


def test_two_outputs_may_not_be_the_same_file(rec, tmp_path, capsys):
    out = str(tmp_path / "o.out")
    assert main(["export", str(rec), "--perfetto", out, "--png", out]) == 2
    _one_line(capsys, "given twice")


def test_record_onto_the_scenario_is_refused(tmp_path, capsys):
    sc = tmp_path / "s.toml"
    sc.write_text('[programs.main]\nops = [{ compute = "1ms" }]\n')
    before = sc.read_bytes()
    assert main(["run", str(sc), "--headless", "--record", str(sc)]) == 2
    _one_line(capsys, "is also an input")
    assert sc.read_bytes() == before


def test_a_directory_destination_is_one_line_and_leaves_nothing(tmp_path, capsys):
    d = tmp_path / "destdir"
    d.mkdir()
    assert main(["run", "gosched", "--headless", "--duration", "50ms", "--record", str(d)]) == 2
    _one_line(capsys, "is a directory")
    assert not (tmp_path / "destdir.part").exists()


def test_a_device_destination_is_refused(rec, capsys):
    assert main(["export", str(rec), "--perfetto", "/dev/null"]) == 2
    _one_line(capsys, "not a regular file")
    assert not os.path.isfile("/dev/null")


def test_a_symlink_is_written_through(rec, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert main(["export", str(rec), "--perfetto", str(link)]) == 0
    assert link.is_symlink() and target.read_text().startswith('{"traceEvents"')
    _no_part(tmp_path)


def test_sigterm_during_export_leaves_no_part(rec, tmp_path):
    out = tmp_path / "t.json"

    def progress(f):
        if f > 0.85:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(Terminated), interrupts_clean_up():
        export_perfetto(Replay.open(str(rec)), str(out), progress)
    assert not out.exists()
    _no_part(tmp_path)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


@pytest.mark.parametrize("sig, status", [(signal.SIGHUP, 129), (signal.SIGTERM, 143)])
def test_a_signal_during_record_leaves_no_part(tmp_path, monkeypatch, sig, status):
    from gmpviz.record.writer import RecordingWriter

    calls = []
    real_append = RecordingWriter.append

    def append(self, *a, **kw):
        calls.append(1)
        if len(calls) == 5:
            os.kill(os.getpid(), sig)
        return real_append(self, *a, **kw)

    monkeypatch.setattr(RecordingWriter, "append", append)
    out = tmp_path / "r.gmprec"
    assert main(["run", "default", "--headless", "--duration", "500ms", "--record", str(out)]) == status
    assert not out.exists()
    _no_part(tmp_path)


def _disk_full(*a, **kw):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_is_one_line_naming_the_path(rec, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(outpath.os, "fsync", _disk_full)
    for flag, name in (("--perfetto", "t.json"), ("--png", "t.png")):
        out = tmp_path / name
        assert (
            main(
                ["export", str(rec), flag, str(out), "--size", "320x200"][: 4 if flag == "--perfetto" else 6]
            )
            == 2
        )
        _one_line(capsys, str(out), "No space left on device")
        assert not out.exists()
    _no_part(tmp_path)


def test_disk_full_while_recording(tmp_path, monkeypatch, capsys):
    from gmpviz.record import writer

    monkeypatch.setattr(writer.os, "fsync", _disk_full)
    out = tmp_path / "r.gmprec"
    assert main(["run", "gosched", "--headless", "--duration", "50ms", "--record", str(out)]) == 2
    _one_line(capsys, str(out), "No space left on device")
    _no_part(tmp_path)


def test_check_output_contract(tmp_path):
    p = tmp_path / "x.out"
    assert outpath.check_output(str(p)) == str(p)
    (tmp_path / "x.out.part").mkdir()
    with pytest.raises(RecordingError, match="is a directory"):
        outpath.check_output(str(p))


def test_perfetto_export_memory_is_flat_in_the_length(tmp_path):
    """Streamed: a 4x longer recording needs about the same peak memory (was linear: 618 MB at 120 s)."""
    import tracemalloc

    from _rechelp import record

    peaks = []
    for ms in (2000, 6000):
        p = tmp_path / f"r{ms}.gmprec"
        record(p, scenario="gc-steady", duration_ns=ms * 1_000_000)
        replay = Replay.open(str(p))
        tracemalloc.start()
        export_perfetto(replay, str(tmp_path / f"r{ms}.json"))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0], peaks  # 3x the events


def test_a_screenshot_onto_the_input_is_refused(rec, tmp_path, capsys):
    sc = tmp_path / "s.toml"
    sc.write_text('[programs.main]\nops = [{ compute = "1ms" }]\n')
    before = sc.read_bytes()
    assert main(["run", str(sc), "--screenshot", str(sc)]) == 2
    _one_line(capsys, "is also an input")
    assert sc.read_bytes() == before
    data = rec.read_bytes()
    assert main(["play", str(rec), "--screenshot", str(rec)]) == 2
    _one_line(capsys, "is also an input")
    assert rec.read_bytes() == data
