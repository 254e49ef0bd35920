"""`gmpviz bench`: the standard scheduler workload, measured against a bare event loop in the same process.

The standard workload: 10,000 goroutines on 8 Ps doing mixed compute, channel, syscall and sleep work
for 1 s of virtual time. ``bare_loop_events_per_s`` is a heapq pop/push loop appending one tuple per
event: the ceiling of a one-event-per-step CPython engine, so ``ratio_to_bare_loop`` says how close the
engine gets to it independently of the machine's speed. ``ratio_to_bare_loop_cpu`` is the same ratio
in CPU seconds of this process (``time.process_time``), which a busy machine disturbs less.
"""

from __future__ import annotations

import heapq
import time

STANDARD_WORKLOAD = """
name = "bench-standard"
summary = "10k goroutines, 8 Ps, mixed compute/chan/syscall/sleep"
gomaxprocs = 8
seed = 42
duration = "1s"

[channels]
jobs = 64
results = 0

[programs.main]
ops = [
  { go = "producer", count = 50 },
  { go = "worker", count = 4000 },
  { go = "consumer", count = 50 },
  { go = "sleeper", count = 3900 },
  { go = "io", count = 2000 },
  { block = true },
]

[programs.producer]
group = "producer"
ops = [ { repeat = "forever", body = [ { compute = { dist = "exp", mean = "20us" } }, { send = "jobs" } ] } ]

[programs.worker]
group = "worker"
ops = [ { repeat = "forever", body = [
  { recv = "jobs" },
  { compute = { dist = "exp", mean = "50us" } },
  { send = "results" },
] } ]

[programs.consumer]
group = "consumer"
ops = [ { repeat = "forever", body = [ { recv = "results" }, { compute = "5us" } ] } ]

[programs.sleeper]
group = "sleeper"
ops = [ { repeat = "forever", body = [
  { compute = { dist = "exp", mean = "30us" } },
  { sleep = { dist = "exp", mean = "5ms" } },
] } ]

[programs.io]
group = "io"
ops = [ { repeat = "forever", body = [
  { compute = { dist = "exp", mean = "20us" } },
  { syscall = { dist = "exp", mean = "200us" } },
  { compute = "10us" },
] } ]
"""


def bare_loop_events_per_s(n: int = 1_000_000) -> float:
    """A heapq pop/push loop with one tuple appended per event (events per wall second)."""
    return _bare_loop(n)[0]


def _bare_loop(n: int) -> tuple[float, float]:
    """(events per wall second, events per CPU second) of the bare loop."""
    heap = [(i, i, None) for i in range(1000)]
    heapq.heapify(heap)
    out = []
    append = out.append
    pop, push = heapq.heappop, heapq.heappush
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        t, seq, obj = pop(heap)
        append((t, 2, 0, 0, seq, 0, 0, 0))
        push(heap, (t + 1000, i, obj))
    return n / (time.perf_counter() - t0), n / max(time.process_time() - c0, 1e-9)


def bench_sched(virtual_s: float = 1.0) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import loads_scenario

    sc = loads_scenario(STANDARD_WORKLOAD, filename="bench-standard.toml")
    bare, bare_cpu = _bare_loop(1_000_000)
    eng = Engine(sc, duration_ns=int(virtual_s * 1e9))
    t0, c0 = time.perf_counter(), time.process_time()
    t = 0
    while not eng.done:
        t += 50_000_000
        eng.run_until(t)
        eng.drain()
    wall = time.perf_counter() - t0
    cpu = max(time.process_time() - c0, 1e-9)
    events = eng.tracer.total
    rate = events / wall
    return {
        "sched_events_per_s": int(rate),
        "virtual_s_per_wall_s": round(eng.now / 1e9 / wall, 4),
        "bare_loop_events_per_s": int(bare),
        "ratio_to_bare_loop": round(rate / bare, 3),
        "ratio_to_bare_loop_cpu": round(events / cpu / bare_cpu, 3),
        "events": events,
        "goroutines": eng.n_created,
        "wall_s": round(wall, 3),
    }


def run(args) -> dict:
    return bench_sched(virtual_s=1.0 if args.seconds is None else args.seconds)
