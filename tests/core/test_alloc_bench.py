"""bench_alloc runs the mixed workload and reports throughput (the goal itself is checked by hand:
shared CI machines are too noisy for a hard threshold)."""

from gmpviz.bench.alloc import bench_alloc


def test_bench_alloc_reports_throughput():
    r = bench_alloc(0.3)
    assert r["objects"] > 0 and r["ops"] > 0
    assert r["alloc_per_s"] > 100_000  # far below the 5M/s goal: only catches a pathological slowdown
    assert r["alloc_per_cpu_s"] >= r["alloc_per_s"] * 0.5
    assert r["heap_sys_bytes"] > 0 and r["spans_in_use"] > 0


def test_bench_scaling_goroutines_reports_a_cost_per_event_for_each_count():
    from gmpviz.bench.scaling import bench_scaling_goroutines

    r = bench_scaling_goroutines(counts=(5, 20), window_events=1_000)
    assert r["ns_per_event[5_g]"] > 0 and r["ns_per_event[20_g]"] > 0
    assert r["heap_pages[20_g]"] >= r["heap_pages[5_g]"] > 0
    assert r["cost_ratio_100k_g_to_100_g"] > 0


def test_bench_presets_reports_every_preset_against_the_bare_loop():
    from gmpviz.bench.presets import bench_presets, preset_names

    r = bench_presets(0.02)
    for name in preset_names():
        assert r[f"ratio_to_bare_loop[{name}]"] > 0 and r[f"events_per_cpu_s[{name}]"] > 0
    assert r["ratio_to_bare_loop_min"] == min(r[f"ratio_to_bare_loop[{n}]"] for n in preset_names())


def test_bench_realtime_reports_every_preset_and_the_ring_workload():
    from gmpviz.bench.presets import preset_names
    from gmpviz.bench.realtime import RING, bench_realtime

    r = bench_realtime(0.02)
    for name in (RING, *preset_names()):
        assert r[f"virtual_s_per_wall_s[{name}]"] > 0 and r[f"virtual_s_per_cpu_s[{name}]"] > 0
    names = (RING, *preset_names())
    assert r["virtual_s_per_cpu_s_min"] == min(r[f"virtual_s_per_cpu_s[{n}]"] for n in names)
