"""GC CPU limiter (mgclimit.go): a leaky bucket of GC CPU time, 1 CPU-second per P."""

import pytest

from gmpviz.core.gc.mgclimit import CAPACITY_PER_PROC_NS, GCCPULimiter, LimiterError

MS = 1_000_000
S = 1_000_000_000
PROCS = 4


def limiter():
    lim = GCCPULimiter()
    lim.resetCapacity(0, PROCS)
    return lim


def test_capacity_is_one_cpu_second_per_p():
    lim = limiter()
    assert lim.capacity == PROCS * CAPACITY_PER_PROC_NS
    assert not lim.limiting()


def test_gc_off_only_drains():
    lim = limiter()
    lim.update(10 * MS)
    assert lim.fill == 0 and not lim.limiting()


def test_stw_transition_counts_every_p_as_gc_time():
    lim = limiter()
    lim.startGCTransition(True, 10 * MS)
    lim.finishGCTransition(11 * MS)  # 1 ms STW x 4 Ps
    assert lim.fill == 4 * MS
    with pytest.raises(LimiterError):
        lim.finishGCTransition(12 * MS)
    with pytest.raises(LimiterError):
        lim.startGCTransition(True, 12 * MS)  # already enabled


def test_assist_heavy_marking_fills_the_bucket_in_one_second_then_limits():
    lim = limiter()
    lim.startGCTransition(True, 0)
    lim.finishGCTransition(0)
    t = 0
    windows = 0
    while not lim.limiting():
        t += 10 * MS
        lim.addAssistTime(30 * MS)  # 25% background + 75% assists: all 40 CPU-ms are GC
        lim.update(t)
        windows += 1
    assert windows == 100  # 4 CPU-s / 40 CPU-ms
    assert lim.lastEnabledCycle == 1
    lim.addAssistTime(30 * MS)
    lim.update(t + 10 * MS)
    assert lim.overflow == 40 * MS
    lim.update(t + 20 * MS)  # no assists: 10 GC vs 30 mutator
    assert not lim.limiting()
    assert lim.fill == lim.capacity - 20 * MS


def test_half_gc_half_mutator_is_the_balance_point():
    lim = limiter()
    lim.startGCTransition(True, 0)
    lim.finishGCTransition(0)
    lim.accumulate(0, 1 * S)
    for k in range(1, 50):
        lim.addAssistTime(10 * MS)  # GC 10 + 10 = 20 of 40 CPU-ms
        lim.update(k * 10 * MS)
    assert lim.fill == 1 * S


def test_idle_time_is_not_mutator_time():
    lim = limiter()
    lim.startGCTransition(True, 0)
    lim.finishGCTransition(0)
    lim.accumulate(0, 1 * S)
    lim.addIdleTime(20 * MS)  # total 40 - 20 idle; GC 25% of 40 = 10, mutator 10
    lim.update(10 * MS)
    assert lim.fill == 1 * S
    lim.update(20 * MS)
    assert lim.fill == 1 * S - 20 * MS


def test_need_update_after_ten_ms_and_errors():
    lim = limiter()
    assert not lim.needUpdate(10 * MS)
    assert lim.needUpdate(10 * MS + 1)
    lim.startGCTransition(True, 0)
    with pytest.raises(LimiterError):
        lim.update(1 * MS)


def test_reset_capacity_clamps_fill():
    lim = limiter()
    lim.accumulate(0, 3 * S)
    lim.resetCapacity(0, 2)
    assert lim.fill == 2 * S and lim.limiting()
    lim.resetCapacity(0, 8)
    assert not lim.limiting()
