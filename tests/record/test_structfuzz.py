"""The structure-aware fuzzer (tests/record/_structfuzz.py) over a small recording.

Seeded and short in the suite; `pytest -m fuzz` runs a longer budget (GMPVIZ_FUZZ_CASES, default
2000) with frame exports. Every case: exit 0 or 2, one line (or a warning), bounded memory and time.
"""

from __future__ import annotations

import faulthandler
import os

import numpy as np
import pytest
from _rechelp import record
from _structfuzz import _forked, check, drive, mutate, seal, split

SUITE_CASES = 60
SUITE_FRAME_EVERY = 20  # every 20th suite case also goes through `export --png` (Qt offscreen)


@pytest.fixture(scope="module")
def seed_rec(tmp_path_factory):
    p = tmp_path_factory.mktemp("sfuzz") / "seed.gmprec"
    record(p, scenario="work-stealing", duration_ns=250_000_000)
    return p.read_bytes()


def test_seal_of_an_unchanged_file_reads_back(seed_rec, tmp_path):
    from gmpviz.record.reader import RecordingReader

    p = tmp_path / "resealed.gmprec"
    p.write_bytes(seal(split(seed_rec)))
    a, b = RecordingReader.from_bytes(seed_rec), RecordingReader.open(str(p))
    assert not b.truncated
    np.testing.assert_array_equal(a.events(), b.events())


def test_forked_cases_report_peak_rss_and_deaths():
    """The memory bound is held to the child's real peak RSS, and a child that dies is a failure."""
    grow = _forked(lambda: (0, str(len(b"x" * (160 << 20)))))
    assert grow.status == 0 and grow.peak_bytes >= 150 << 20
    # (pytest's faulthandler would print the child's stack on the abort: off in the child)
    died = _forked(lambda: (faulthandler.disable(), os.abort(), "")[2])
    assert died.status == -9 and "signal 6" in died.stderr


def _run(seed_rec, tmp_path, cases: int, seed: int, frame_every: int, video_every: int = 0) -> None:
    rng = np.random.default_rng(seed)
    refused = 0
    for k in range(cases):
        data, note = mutate(seed_rec, rng)
        path = tmp_path / f"case{k % 4}.gmprec"
        path.write_bytes(data)
        outs = drive(
            str(path),
            str(tmp_path),
            frames=frame_every > 0 and k % frame_every == 0,
            video=video_every > 0 and k % video_every == 0,
        )
        check(outs, f"case {k} (seed {seed}): {note}")
        refused += any(o.status == 2 for o in outs)
    assert refused, "no case was refused: the mutations do not reach the checks"


def test_structure_aware_fuzz_suite(seed_rec, tmp_path):
    _run(seed_rec, tmp_path, SUITE_CASES, seed=12, frame_every=SUITE_FRAME_EVERY)


@pytest.mark.fuzz
def test_structure_aware_fuzz_long(seed_rec, tmp_path):
    cases = int(os.environ.get("GMPVIZ_FUZZ_CASES", "2000"))
    _run(
        seed_rec,
        tmp_path,
        cases,
        seed=int(os.environ.get("GMPVIZ_FUZZ_SEED", "1")),
        frame_every=10,
        video_every=100,
    )
