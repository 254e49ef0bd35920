"""The player's MMU and latency come from the whole recording, whatever the cursor does."""

from __future__ import annotations

from _rechelp import record

from gmpviz.model.metrics import compute_metrics
from gmpviz.record.replay import Replay


def test_replay_metrics_are_the_whole_recordings(tmp_path):
    path = tmp_path / "gc.gmprec"
    _, events = record(path, scenario="gc-steady", duration_ns=300_000_000)
    rp = Replay.open(str(path))
    rp.load_all()
    rp.seek_time(50_000_000)  # the cursor moves back and forth over keyframes
    rp.seek_time(250_000_000)
    rp.seek_time(0)
    live = rp.model.metrics
    whole = compute_metrics(events, end_ns=rp.t_end_ns)
    assert live.latency_hist.tolist() == whole.latency_hist.tolist()
    w, mmu, worst = live.mmu()
    assert w.tolist() == whole.mmu_window_ns.tolist()
    assert mmu.tolist() == whole.mmu.tolist() and worst.tolist() == whole.mmu_worst_start_ns.tolist()
    # not degenerate: some mutator in the widest window, GC in the narrowest. (The narrowest, 100 us,
    # can lie inside a sweep-termination STW: it waits for preemptions of up to ASYNC_PREEMPT_MAX_NS,
    # 100 us each, so its MMU may be 0.)
    assert 0 <= mmu.min() < 1 and mmu.max() > 0
