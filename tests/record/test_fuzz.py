"""Fuzz the reader: byte flips and truncations only ever raise RecordingError, and never hang."""

from __future__ import annotations

import numpy as np
import pytest
from _rechelp import record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmpviz.record import RecordingError
from gmpviz.record.reader import RecordingReader


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "tiny.gmprec"
    _, ev = record(p, scenario="work-stealing", duration_ns=250_000_000)
    return p.read_bytes(), ev


def _read_everything(data: bytes) -> int:
    r = RecordingReader.from_bytes(data)
    ev = r.events()
    assert len(ev) == r.n_events
    r.state_at(r.n_events // 2)
    r.state_at(r.n_events)
    r.index_at(r.t_end_ns // 2)
    r.scenario()
    return r.n_events


def _check(data: bytes) -> None:
    try:
        _read_everything(data)
    except RecordingError as e:
        assert "\n" not in str(e)


@settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_byte_flips(tiny, data):
    raw = bytearray(tiny[0])
    flips = data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=4))
    for pos in flips:
        raw[pos] ^= data.draw(st.integers(1, 255))
    _check(bytes(raw))


@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncations_keep_a_valid_prefix(tiny, data):
    raw, ev = tiny
    cut = data.draw(st.integers(0, len(raw)))
    try:
        n = _read_everything(raw[:cut])
    except RecordingError:
        return
    r = RecordingReader.from_bytes(raw[:cut])
    np.testing.assert_array_equal(r.events(), ev[:n])
    assert r.truncated == (cut < len(raw))  # a prefix never passes for the complete recording


@settings(max_examples=40, deadline=2000)
@given(junk=st.binary(max_size=300))
def test_random_bytes_after_the_preamble(junk):
    from gmpviz.record import format as F

    _check(F.preamble() + junk)
    _check(junk)
