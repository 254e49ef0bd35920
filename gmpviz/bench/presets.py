"""`gmpviz bench --presets`: every preset's throughput against a bare event loop measured in the same run.

Each preset runs headless for ``--seconds`` of virtual time (1 s unless told), seed 1, the way
`gmpviz run --record` drives it: slices of 10 ms of virtual time, each slice's events and counter rows
drained into arrays (only the file writing is left out). The bare loop
(:func:`gmpviz.bench.sched.bare_loop_events_per_s`) is measured before and after the presets, and
the faster of the two is the reference, so a busy moment cannot flatter the ratios.

Both sides are timed in CPU seconds of this process (``time.process_time``): on a shared machine
that is what a ratio measured in one run can hold steady. ``events_per_s[PRESET]`` is the wall figure
beside it. Goal (issue 13): ``ratio_to_bare_loop_min`` >= 0.25.
"""

from __future__ import annotations

import time

from .sched import bare_loop_events_per_s

#: virtual time per slice, as `gmpviz run --headless --record` (record/writer.py HEADLESS_STEP_NS)
SLICE_NS = 10_000_000
SEED = 1
DEFAULT_VIRTUAL_S = 1.0


def bare_loop_cpu(n: int = 1_000_000) -> float:
    """The bare loop's events per CPU second (see sched.bare_loop_events_per_s)."""
    c0 = time.process_time()
    bare_loop_events_per_s(n)
    return n / max(time.process_time() - c0, 1e-9)


def run_engine(eng) -> dict:
    """Drive `eng` to its end in SLICE_NS slices, draining events and counters as a recording does;
    events, virtual ns, wall and CPU seconds."""
    w0 = time.perf_counter()
    c0 = time.process_time()
    t = 0
    while not eng.done:
        t += SLICE_NS
        eng.run_until(t)
        eng.drain()
        eng.drain_counters()
    return {
        "events": eng.tracer.total,
        "virtual_ns": eng.now,
        "wall_s": time.perf_counter() - w0,
        "cpu_s": max(time.process_time() - c0, 1e-9),
    }


def run_preset(name: str, virtual_s: float) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import load_scenario

    return run_engine(Engine(load_scenario(name), seed=SEED, duration_ns=int(virtual_s * 1e9)))


def preset_names() -> list[str]:
    from ..core.workload.loader import list_presets

    return [name for name, _ in list_presets()]


def bench_presets(virtual_s: float = DEFAULT_VIRTUAL_S) -> dict:
    bare0 = bare_loop_cpu()
    runs = {name: run_preset(name, virtual_s) for name in preset_names()}
    bare = max(bare0, bare_loop_cpu())
    out: dict = {}
    ratios = []
    for name, r in runs.items():
        out[f"events_per_s[{name}]"] = int(r["events"] / max(r["wall_s"], 1e-9))
        out[f"events_per_cpu_s[{name}]"] = int(r["events"] / r["cpu_s"])
        ratio = r["events"] / r["cpu_s"] / bare
        out[f"ratio_to_bare_loop[{name}]"] = round(ratio, 3)
        ratios.append((ratio, name))
    worst, worst_name = min(ratios)
    out["bare_loop_events_per_cpu_s"] = int(bare)
    out["ratio_to_bare_loop_min"] = round(worst, 3)
    out["slowest_preset"] = worst_name
    out["virtual_s_each"] = virtual_s
    return out


def run(args) -> dict:
    return bench_presets(DEFAULT_VIRTUAL_S if args.seconds is None else args.seconds)
