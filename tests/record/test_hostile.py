"""Issue 12's hostile recordings, one test each: refused in one line (exit 2) or read within bounds.

Each case is made from a valid recording with the checksums re-sealed (tests/record/_structfuzz.py),
so the reader has to judge the content, not the container.
"""

from __future__ import annotations

import json
import os
import threading
import time
import zlib

import numpy as np
import pytest
from _structfuzz import check, drive, seal, split

from gmpviz.cli import main
from gmpviz.core.trace.events import EV
from gmpviz.record import RecordingError
from gmpviz.record import format as F
from gmpviz.record.reader import RecordingReader


@pytest.fixture(scope="module")
def raw(small_rec):
    with open(small_rec[0], "rb") as f:
        return f.read()


def _with_events(raw: bytes, fn) -> bytes:
    """The recording with fn(events) applied to its first event block, re-sealed."""
    chunks = split(raw)
    i = next(i for i, (t, _) in enumerate(chunks) if t == F.TAG_EVTS)
    first, count, t0, _ = F.EVTS_HEAD.unpack_from(chunks[i][1])
    ev = F.decode_events(chunks[i][1][F.EVTS_HEAD.size :], count, t0)
    fn(ev)
    chunks[i][1] = F.evts_payload(first, ev)
    return seal(chunks)


def _with_header(raw: bytes, payload: bytes) -> bytes:
    chunks = split(raw)
    chunks[0][1] = payload
    return seal(chunks)


def _refused(tmp_path, data: bytes, match: str, capsys) -> None:
    p = tmp_path / "hostile.gmprec"
    p.write_bytes(data)
    t0 = time.perf_counter()
    with pytest.raises(RecordingError, match=match):
        r = RecordingReader.open(str(p))
        r.events()
    assert main(["export", str(p), "--perfetto", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmpviz: "), err
    assert not (tmp_path / "o.json").exists()
    assert time.perf_counter() - t0 < 20


def _set(kind, field, value):
    def fn(ev):
        sel = np.flatnonzero(ev["kind"] == int(kind)) if kind is not None else np.arange(len(ev))
        assert len(sel), f"no {kind} event in the first block"
        ev[field][sel[0]] = value

    return fn


@pytest.mark.parametrize(
    "kind, field, value, match",
    [
        (EV.GoCreate, "g", 2**31 - 1, "g id out of range"),
        (EV.GoCreate, "g", -(2**31), "g id out of range"),
        (EV.ProcStart, "p", 32767, "p id out of range"),
        (EV.ProcStart, "m", 2**31 - 1, "m id out of range"),
        (EV.GoCreate, "a1", 2**62, "GoCreate a1 out of range"),
        (EV.ProcResize, "a1", 10**12, "ProcResize a1 out of range"),
        (None, "kind", 200, "unknown event kind"),
        (None, "t_ns", -5, "times"),
    ],
)
def test_ids_that_would_size_arrays_are_refused(raw, tmp_path, capsys, kind, field, value, match):
    _refused(tmp_path, _with_events(raw, _set(kind, field, value)), match, capsys)


def test_span_ids_and_span_fields_are_refused(gc_rec, tmp_path, capsys):
    with open(gc_rec[0], "rb") as f:
        data = f.read()
    for kind, field, value, match in (
        (EV.SpanAlloc, "a0", 2**62, "span id out of range"),
        (EV.SpanAlloc, "a1", 2**62, "SpanAlloc a1"),
        (EV.Alloc, "a1", 2**62, "Alloc a1"),
    ):
        _refused(tmp_path, _with_events(data, _set(kind, field, value)), match, capsys)


def test_decompression_bomb_is_refused_without_inflating_it(raw, tmp_path, capsys):
    chunks = split(raw)
    i = next(i for i, (t, _) in enumerate(chunks) if t == F.TAG_KEYF)
    d = zlib.compressobj(9)
    blob = (
        b"".join(d.compress(bytes(1 << 20)) for _ in range(F.MAX_ARRAYS_BYTES // (1 << 20) + 64)) + d.flush()
    )
    chunks[i][1] = chunks[i][1][: F.KEYF_HEAD.size] + blob
    p = tmp_path / "bomb.gmprec"
    p.write_bytes(seal(chunks))
    r = RecordingReader.open(str(p))
    with pytest.raises(RecordingError, match="inflates to more than"):
        r.state_at(int(r._kf_index[0]))
    # an event block may not inflate past what its declared count can fill
    with pytest.raises(RecordingError, match="inflates to more than"):
        F.decode_events(zlib.compress(bytes(10 << 20)), 10, 0)


def test_inflate_is_bounded():
    with pytest.raises(RecordingError, match="more than the 1,000 bytes"):
        F.inflate(zlib.compress(bytes(1 << 24)), 1000, "block")
    assert F.inflate(zlib.compress(b"abc"), 3, "block") == b"abc"


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
        (b'"a scenario as a string"', "not an object"),
        (None, "scenario must be an object"),
        (None, "assumptions must be a list of strings"),
        (None, "notice is"),
        (None, "digits"),
    ],
    ids=["deep", "string", "scenario-string", "assumptions-int", "5MB-notice", "bigint"],
)
def test_hostile_headers_are_refused(raw, tmp_path, capsys, payload, match):
    h = json.loads(split(raw)[0][1])
    if match.startswith("scenario"):
        h["scenario"] = "default"
    elif match.startswith("assumptions"):
        h["assumptions"] = 7
    elif match.startswith("notice"):
        h["notice"] = "n" * (1 << 20)  # the 5 MB of the issue is over the header limit itself
    if payload is None:
        payload = json.dumps(h).encode()
        if match == "digits":
            payload = payload.replace(b'"seed": 1', b'"seed": ' + b"9" * 5000)
    _refused(tmp_path, _with_header(raw, payload), match, capsys)


def test_a_fifo_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "pipe.gmprec"
    os.mkfifo(fifo)
    done = []
    t = threading.Thread(
        target=lambda: done.append(main(["export", str(fifo), "--perfetto", str(tmp_path / "o.json")]))
    )
    t.start()
    t.join(10)
    if t.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        t.join(5)
        pytest.fail("export blocked on a FIFO")
    assert done == [2]
    assert "not a regular file" in capsys.readouterr().err


def test_a_character_device_is_refused(tmp_path, capsys):
    assert main(["export", "/dev/zero", "--perfetto", str(tmp_path / "x.json")]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_a_mutated_case_runs_every_exporter_within_bounds(raw, tmp_path):
    p = tmp_path / "ok.gmprec"
    p.write_bytes(_with_events(raw, _set(EV.GoBlock, "a0", 2**62)))  # a wait reason beyond the table
    check(drive(str(p), str(tmp_path), frames=True), "wait reason 2^62")


def test_the_largest_ids_allowed_stay_within_the_bounds(raw, tmp_path):
    """An M id of 9,999 and a P id of 1,023 are valid: the folds (10,000 M lanes) stay bounded."""

    def fn(ev):
        ev["m"][np.flatnonzero(ev["kind"] == int(EV.MCreate))[0]] = 9999
        ev["p"][np.flatnonzero(ev["kind"] == int(EV.ProcStart))[0]] = 1023

    p = tmp_path / "wide.gmprec"
    p.write_bytes(_with_events(raw, fn))
    check(drive(str(p), str(tmp_path), frames=True), "m 9999, p 1023")
