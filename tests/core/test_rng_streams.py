"""The workload's random draws are the workload's: a runtime-only change (policy, GOMAXPROCS, GOGC) keeps
every goroutine and every draw it makes, so two runs can be compared goroutine by goroutine (issue 17)."""

from _scen import scen

from gmpviz.core.constants import RUNTIME_GROUP
from gmpviz.core.engine import Engine
from gmpviz.core.sched.scheduler import Scheduler

# main starts 12 workers and waits for all of them; each worker starts a child, computes, sleeps,
# makes a syscall and allocates, with every kind of distribution; the children do the same, shorter.
WORKLOAD = """
[channels]
done = 0

[programs.main]
ops = [ { go = "worker", count = 12 }, { repeat = 12, body = [ { recv = "done" } ] } ]

[programs.worker]
ops = [
  { go = "child" },
  { repeat = 6, body = [
    { compute = { dist = "exp", mean = "40us" } },
    { sleep = { dist = "uniform", min = "10us", max = "200us" } },
    { syscall = { dist = "normal", mean = "50us", std = "20us" } },
    { alloc = "256B", count = 20, lifetime = "temp" },
  ] },
  { send = "done" },
]

[programs.child]
ops = [ { repeat = 4, body = [
  { compute = { dist = "exp", mean = "20us" } },
  { sleep = { dist = "exp", mean = "30us" } },
] } ]
"""


def draws(monkeypatch, seed=7, **settings):
    """{goroutine's stream at creation: [its draws]} for one run to its end."""
    key: dict[int, int] = {}
    seen: dict[int, list[int]] = {}
    newproc, sample = Scheduler.newproc, Scheduler.sample

    def newproc_logged(self, m, parent, prog_idx):
        gp = newproc(self, m, parent, prog_idx)
        if gp.group == RUNTIME_GROUP:  # the runtime's own goroutines (start-up) draw nothing
            return gp
        key[id(gp)] = gp.rand
        seen[gp.rand] = []
        return gp

    def sample_logged(self, gp, dist):
        v = sample(self, gp, dist)
        seen[key[id(gp)]].append(v)
        return v

    monkeypatch.setattr(Scheduler, "newproc", newproc_logged)
    monkeypatch.setattr(Scheduler, "sample", sample_logged)
    eng = Engine(scen(WORKLOAD, duration="1s"), seed=seed, **settings)
    eng.run()
    monkeypatch.undo()
    assert eng.done_reason == "main returned"
    return seen, eng.drain()


def test_a_runtime_only_change_keeps_every_goroutines_draws(monkeypatch):
    base, ev = draws(monkeypatch, procs=4, policy="go")
    assert len(base) == 1 + 12 + 12 and sum(len(d) for d in base.values()) > 12 * 6 * 3
    runtime_only = ({"procs": 1}, {"procs": 3, "policy": "global-queue"}, {"policy": "no-steal", "gogc": 10})
    for settings in runtime_only:
        other, ev2 = draws(monkeypatch, **settings)
        assert other == base, settings
        # ... while the runs themselves differ: another schedule, the same goroutines
        assert len(ev2) != len(ev) or (ev2["t_ns"] != ev["t_ns"]).any()


def test_the_seed_changes_the_draws(monkeypatch):
    a, _ = draws(monkeypatch, seed=7)
    b, _ = draws(monkeypatch, seed=8)
    assert len(a) == len(b) and set(a).isdisjoint(b)
