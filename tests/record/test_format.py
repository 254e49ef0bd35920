"""The .gmprec format: round trip, determinism, crash prefix, errors, seek correctness."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from _rechelp import record

from gmpviz.core.trace.events import EV
from gmpviz.model.spans import SpanTable
from gmpviz.model.state import RuntimeState
from gmpviz.record import RecordingError
from gmpviz.record import format as F
from gmpviz.record.reader import RecordingReader
from gmpviz.record.writer import (
    CHUNK_EVENTS,
    KEYFRAME_MAX_EVENTS,
    KEYFRAME_SPAN_NS,
    KEYFRAME_STATE_SHARE,
    PART_SUFFIX,
    RecordingWriter,
)


def _snap(st: RuntimeState, sp: SpanTable) -> dict:
    s = st.snapshot()
    s.update(sp.snapshot())
    return s


def _fold(ev: np.ndarray) -> dict:
    st, sp = RuntimeState(), SpanTable()
    st.apply(ev)
    sp.apply(ev)
    return _snap(st, sp)


def test_round_trip_events_counters_header(small_rec):
    path, ev = small_rec
    r = RecordingReader.open(path)
    assert not r.truncated
    assert r.n_events == len(ev) > 2 * 1000
    np.testing.assert_array_equal(r.events(), ev)
    np.testing.assert_array_equal(r.events(1234, 5678), ev[1234:5678])
    assert r.header["format_version"] == F.FORMAT_VERSION
    assert r.header["go_version"] == "go1.26"
    assert r.header["seed"] == 1 and r.header["settings"]["duration_ns"] == 400_000_000
    assert r.scenario().name == "default"
    assert len(r.counters) == 400  # the engine samples counters every 1 ms of virtual time
    assert (np.diff(r.counters["t_ns"]) == 1_000_000).all()
    assert r.t_end_ns == 400_000_000


def test_blocks_and_keyframes_cut_on_virtual_time(small_rec):
    r = RecordingReader.open(small_rec[0])
    assert len(r._kf_blocks) >= 4  # a chunk per 100 ms of virtual time at least, and keyframes
    for b in r._ev_blocks:
        assert b.count <= CHUNK_EVENTS
        assert b.t_first // KEYFRAME_SPAN_NS == b.t_last // KEYFRAME_SPAN_NS


def test_keyframes_stay_a_bounded_share_of_the_file(tmp_path):
    """goroutine-leak's live state grows (every leaked G stays), so full snapshots after every chunk
    would grow faster than the events: keyframes stay within KEYFRAME_STATE_SHARE of the event bytes
    (plus the last one), and a seek never replays more than KEYFRAME_MAX_EVENTS events."""
    path = tmp_path / "d.gmprec"
    record(path, "goroutine-leak", duration_ns=1_000_000_000)
    r = RecordingReader.open(str(path), marks=False)
    kf = [b.length for b in r._kf_blocks]
    assert len(kf) < len(r._ev_blocks)  # the budget left some chunks without a keyframe
    ev_bytes = sum(b.length for b in r._ev_blocks)
    assert sum(kf) - kf[-1] <= KEYFRAME_STATE_SHARE * ev_bytes
    starts = [0] + [b.first for b in r._kf_blocks] + [r.n_events]
    assert max(np.diff(starts)) <= KEYFRAME_MAX_EVENTS
    # and seeking between keyframes still equals a straight fold
    ev = r.events()
    for i in (len(ev) // 3, len(ev) // 2 + 77, len(ev) - 5):
        st, sp, _ = r.state_at(i)
        got, want = _snap(st, sp), _fold(ev[:i])
        assert got.keys() == want.keys()
        for k in want:
            np.testing.assert_array_equal(got[k], want[k], err_msg=f"{k} after {i} events")


def test_small_on_disk(small_rec):
    path, ev = small_rec
    assert os.path.getsize(path) / len(ev) <= 16


def test_marks_match_event_kinds(gc_rec):
    path, ev = gc_rec
    r = RecordingReader.open(path)
    idx, t = r.marks("gc")
    want = np.flatnonzero(ev["kind"] == EV.GCBegin)
    assert len(want) >= 2
    np.testing.assert_array_equal(idx, want)
    np.testing.assert_array_equal(t, ev["t_ns"][want])
    np.testing.assert_array_equal(r.marks("stw")[0], np.flatnonzero(ev["kind"] == EV.STWBegin))


def test_same_scenario_and_seed_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a.gmprec", tmp_path / "b.gmprec"
    record(a, duration_ns=150_000_000)
    record(b, duration_ns=150_000_000)
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.gmprec"
    record(c, duration_ns=150_000_000, seed=2)
    assert c.read_bytes() != a.read_bytes()


def test_batching_does_not_change_the_file(tmp_path, small_rec):
    """The window appends uneven batches: blocks are cut on the event stream, not on appends."""
    path, ev = small_rec
    r = RecordingReader.open(path)
    w = RecordingWriter(str(tmp_path / "x.gmprec"), r.header)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.integers(0, len(ev), 60))
    prev = 0
    crows = r.counters
    for c in [*cuts.tolist(), len(ev)]:
        chunk = ev[prev:c]
        prev = c
        t_hi = int(chunk["t_ns"][-1]) if len(chunk) else -1
        k = int(np.searchsorted(crows["t_ns"], t_hi, side="right"))
        w.append(chunk, crows[:k])
        crows = crows[k:]
    w.append(ev[:0], crows)
    w.close()
    assert (tmp_path / "x.gmprec").read_bytes() == Path(path).read_bytes()


def test_atomic_finalise_leaves_no_part(tmp_path):
    p = tmp_path / "r.gmprec"
    w, _ = record(p, duration_ns=50_000_000)
    assert p.exists() and not (tmp_path / ("r.gmprec" + PART_SUFFIX)).exists()
    assert w.closed


def test_crash_truncated_file_opens_up_to_last_block(tmp_path):
    p = tmp_path / "crash.gmprec"
    w, ev = record(p, duration_ns=400_000_000, close=False)
    w.abort()
    part = tmp_path / ("crash.gmprec" + PART_SUFFIX)
    assert part.exists() and not p.exists()
    r = RecordingReader.open(str(p))  # finds the .part
    assert r.truncated
    assert 0 < r.n_events <= len(ev)
    np.testing.assert_array_equal(r.events(), ev[: r.n_events])
    # cut in the middle of a later chunk: everything before it is still there
    data = part.read_bytes()
    full_blocks = r._ev_blocks
    mid = full_blocks[-2].offset + 20
    cut = tmp_path / "cut.gmprec"
    cut.write_bytes(data[:mid])
    r2 = RecordingReader.open(str(cut))
    assert r2.n_events == full_blocks[-2].first
    np.testing.assert_array_equal(r2.events(), ev[: r2.n_events])
    st, _, _ = r2.state_at(r2.n_events)
    assert st.events == r2.n_events


def test_finalised_file_cut_short_opens_by_scanning(tmp_path, small_rec):
    path, ev = small_rec
    data = Path(path).read_bytes()
    p = tmp_path / "short.gmprec"
    p.write_bytes(data[: len(data) * 2 // 3])
    r = RecordingReader.open(str(p))
    assert r.truncated and 0 < r.n_events < len(ev)
    np.testing.assert_array_equal(r.events(), ev[: r.n_events])


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: b"", "too short"),
        (lambda d: b"hello world, not a recording at all", "bad magic"),
        (lambda d: F.PREAMBLE.pack(F.MAGIC, F.FORMAT_VERSION + 1, 0) + d[F.PREAMBLE.size :], "newer"),
        (lambda d: d[: F.PREAMBLE.size + 10], "no header"),
    ],
)
def test_bad_files_raise_one_line_errors(tmp_path, small_rec, mangle, message):
    data = Path(small_rec[0]).read_bytes()
    p = tmp_path / "bad.gmprec"
    p.write_bytes(mangle(data))
    with pytest.raises(RecordingError, match=message) as ei:
        RecordingReader.open(str(p))
    assert "\n" not in str(ei.value)


def test_corrupt_chunk_in_finalised_file(tmp_path, small_rec):
    data = bytearray(Path(small_rec[0]).read_bytes())
    r = RecordingReader.open(small_rec[0])
    b = r._ev_blocks[1]
    data[b.offset + F.CHUNK_HEAD.size + 30] ^= 0xFF
    p = tmp_path / "flip.gmprec"
    p.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="corrupt"):
        RecordingReader.open(str(p))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(RecordingError, match="cannot open"):
        RecordingReader.open(str(tmp_path / "nope.gmprec"))
    with pytest.raises(RecordingError):
        RecordingReader.open(str(tmp_path))


def test_header_newer_version_inside_header(tmp_path, small_rec):
    r = RecordingReader.open(small_rec[0])
    h = dict(r.header, format_version=F.FORMAT_VERSION + 1)
    p = tmp_path / "newer.gmprec"
    RecordingWriter(str(p), h).close()
    with pytest.raises(RecordingError, match="version"):
        RecordingReader.open(str(p))


@pytest.mark.parametrize("which", ["small", "gc"])
def test_seek_equals_straight_fold(which, small_rec, gc_rec):
    path, ev = small_rec if which == "small" else gc_rec
    r = RecordingReader.open(path)
    rng = np.random.default_rng(7)
    kf = r._kf_index.tolist()
    points = {
        0,
        1,
        len(ev),
        *kf,
        *(k + 1 for k in kf),
        *(k - 1 for k in kf if k),
        *rng.integers(0, len(ev), 8),
    }
    for i in sorted(points):
        i = int(min(max(i, 0), len(ev)))
        st, sp, row = r.state_at(i)
        want = _fold(ev[:i])
        got = _snap(st, sp)
        assert got.keys() == want.keys()
        for k in want:
            np.testing.assert_array_equal(got[k], want[k], err_msg=f"{k} after {i} events")
        if i:
            assert row["t_ns"][0] <= st.now_ns


def test_index_at_and_t_of(small_rec):
    path, ev = small_rec
    r = RecordingReader.open(path)
    for t in (0, int(ev["t_ns"][100]), 123_456_789, 10**12):
        assert r.index_at(t) == int(np.searchsorted(ev["t_ns"], t, side="right"))
    assert r.t_of(500) == int(ev["t_ns"][500])


def test_copy_of_part_is_still_readable_when_both_exist(tmp_path, small_rec):
    p = tmp_path / "both.gmprec"
    shutil.copy(small_rec[0], p)
    (tmp_path / ("both.gmprec" + PART_SUFFIX)).write_bytes(b"junk")
    assert RecordingReader.open(str(p)).n_events == len(small_rec[1])


def test_footer_layout(small_rec):
    data = Path(small_rec[0]).read_bytes()
    magic, off, total = struct.unpack("<8sQQ", data[-F.FOOTER.size :])
    assert magic == F.FOOTER_MAGIC and total == len(small_rec[1])
    assert data[off : off + 4] == F.TAG_INDX
