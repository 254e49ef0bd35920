"""`gmpviz bench --realtime`: virtual seconds per wall second of every preset and of a ring-buffer
workload, 3 s of virtual time each (``--seconds`` to change it).

The ring-buffer workload is issue 13's: two goroutines on GOMAXPROCS 2 allocate a cycle of 8 B-40 KiB
pointer-free objects at 1 GiB/s together, each object live until its ring comes round (about 50 MB
live), like tests/fidelity/progs/ringalloc. Each run is driven as a recording is (presets.run_engine).

``virtual_s_per_wall_s[NAME]`` is the figure the goal names (>= 1.0: the emulation keeps up with the
program it emulates). The machine may be shared, so ``virtual_s_per_cpu_s[NAME]`` (this process's CPU
seconds) is printed beside it: the figure a quiet machine would show for wall time.
"""

from __future__ import annotations

from .presets import SEED, preset_names, run_engine

DEFAULT_VIRTUAL_S = 3.0
RING = "ringalloc"

# 50 MiB live: each worker's ring holds 25 MiB and fills at 512 MiB/s, so an object lives
# 25 MiB / 512 MiB/s = 48.8 ms. A batch of 4 size cycles (382,240 B) at 512 MiB/s takes 712 µs;
# the batch itself costs about 1 µs of virtual time, the sleep the rest.
RING_WORKLOAD = """
name = "bench-ringalloc"
summary = "2 goroutines allocate 8 B-40 KiB objects at 1 GiB/s, 50 MB live, GOMAXPROCS 2"
gomaxprocs = 2
duration = "3s"

[programs.main]
ops = [ { go = "worker", count = 2 }, "block" ]

[programs.worker]
group = "alloc"
ops = [ { repeat = "forever", body = [
  { repeat = 4, body = [
    { alloc = "8B", lifetime = "49ms" },
    { alloc = "64B", lifetime = "49ms" },
    { alloc = "256B", lifetime = "49ms" },
    { alloc = "1KiB", lifetime = "49ms" },
    { alloc = "4KiB", lifetime = "49ms" },
    { alloc = "16KiB", lifetime = "49ms" },
    { alloc = "32KiB", lifetime = "49ms" },
    { alloc = "40KiB", lifetime = "49ms" },
  ] },
  { sleep = "711us" },
] } ]
"""


def run_ring(virtual_s: float) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import loads_scenario

    sc = loads_scenario(RING_WORKLOAD, filename="bench-ringalloc.toml")
    return run_engine(Engine(sc, seed=SEED, duration_ns=int(virtual_s * 1e9)))


def bench_realtime(virtual_s: float = DEFAULT_VIRTUAL_S) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import load_scenario

    runs = {RING: run_ring(virtual_s)}
    for name in preset_names():
        runs[name] = run_engine(Engine(load_scenario(name), seed=SEED, duration_ns=int(virtual_s * 1e9)))
    out: dict = {}
    wall, cpu = [], []
    for name, r in runs.items():
        vs = r["virtual_ns"] / 1e9
        w = vs / max(r["wall_s"], 1e-9)
        c = vs / r["cpu_s"]
        out[f"virtual_s_per_wall_s[{name}]"] = round(w, 3)
        out[f"virtual_s_per_cpu_s[{name}]"] = round(c, 3)
        wall.append((w, name))
        cpu.append((c, name))
    out["virtual_s_per_wall_s_min"] = round(min(wall)[0], 3)
    out["virtual_s_per_cpu_s_min"] = round(min(cpu)[0], 3)
    out["slowest"] = min(cpu)[1]
    out["virtual_s_each"] = virtual_s
    return out


def run(args) -> dict:
    return bench_realtime(DEFAULT_VIRTUAL_S if args.seconds is None else args.seconds)
