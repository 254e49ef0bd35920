"""`gmpviz compare`: two runtimes on one workload, its --json, the built-in comparisons, bad flags."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.compare import ROWS, builtin_comparisons
from gmpviz.core.trace.events import EV
from gmpviz.core.workload.loader import list_presets, load_scenario


def compare_json(capsys, *argv) -> dict:
    assert main(["compare", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_json_on_a_preset_policy(capsys):
    out = compare_json(
        capsys, "work-stealing", "--a", "policy=go", "--b", "policy=no-steal", "--duration", "100ms"
    )
    a, b = out["a"], out["b"]
    assert a["resolved"]["policy"] == "go" and b["resolved"]["policy"] == "no-steal"
    assert a["settings"] == ["policy=go"]
    assert a["table"]["steals"] > 0 and b["table"]["steals"] == 0  # no-steal never steals
    assert set(a["table"]) == {key for key, *_ in ROWS}
    assert out["ratio"]["b/a"]["steals"] == 0
    for side in (a, b):
        m = side["metrics"]
        assert m["duration_ns"] <= 100_000_000
        assert len(m["sched_latency"]["histogram"]["counts"]) == 162
        assert m["sched_latency"]["count"] == sum(m["sched_latency"]["histogram"]["counts"])


def test_compare_json_on_a_preset_gc(capsys):
    out = compare_json(capsys, "gc-steady", "--a", "gogc=100", "--b", "gogc=400", "--duration", "500ms")
    a, b = out["a"]["table"], out["b"]["table"]
    assert out["a"]["resolved"]["gogc"] == 100 and out["b"]["resolved"]["gogc"] == 400
    # a bigger GOGC: a higher goal, fewer cycles, less GC CPU
    assert b["heap_goal_median_bytes"] > 2 * a["heap_goal_median_bytes"]
    assert b["gc_cycles"] < a["gc_cycles"]
    assert b["gc_cpu_fraction"] < a["gc_cpu_fraction"]
    assert 0 < a["mmu_1ms"] < 1 and out["a"]["metrics"]["mmu"]["window_ns"][0] == 100_000


def test_compare_is_deterministic_and_same_settings_give_equal_sides(capsys):
    argv = ("default", "--a", "seed=3", "--b", "seed=3", "--duration", "100ms")
    one = compare_json(capsys, *argv)
    two = compare_json(capsys, *argv)
    assert one == two
    assert one["a"]["metrics"] == one["b"]["metrics"]
    assert all(r in (1.0, None) for r in one["ratio"]["b/a"].values())


def test_compare_two_scenario_files_and_three_sides(capsys, tmp_path):
    out = compare_json(capsys, "cpu-bound", "preemption", "--duration", "50ms")
    assert (
        out["a"]["resolved"]["scenario"] == "cpu-bound" and out["b"]["resolved"]["scenario"] == "preemption"
    )
    out = compare_json(
        capsys, "cpu-bound", "--a", "procs=1", "--b", "procs=2", "--c", "procs=4", "--duration", "50ms"
    )
    assert [out[s]["resolved"]["procs"] for s in "abc"] == [1, 2, 4]
    assert set(out["ratio"]) == {"b/a", "c/a"}


def test_compare_markdown_table(capsys):
    assert main(["compare", "cpu-bound", "--a", "procs=2", "--b", "procs=4", "--duration", "50ms"]) == 0
    out = capsys.readouterr().out
    assert "| metric | A | B | B/A |" in out
    assert "| sched latency p99 |" in out and "| MMU 10 ms |" in out
    assert out.count("\n| ") == len(ROWS) + 1  # header and one row per metric


def test_builtin_comparisons_name_presets_and_valid_settings(capsys):
    comps = builtin_comparisons()
    presets = {name for name, _ in list_presets()}
    assert {"stealing", "procs", "gogc"} <= set(comps)
    for comp in comps.values():
        assert comp.name not in presets  # `compare NAME` must not hide a preset
        load_scenario(comp.scenario)
        assert 2 <= len(comp.sides) <= 3
    assert main(["compare", "--list"]) == 0
    assert "stealing" in capsys.readouterr().out


def test_builtin_comparison_runs(capsys):
    out = compare_json(capsys, "stealing", "--duration", "60ms")
    assert [out[s]["resolved"]["policy"] for s in "abc"] == ["go", "global-queue", "no-steal"]
    assert out["a"]["resolved"]["scenario"] == "bursty-pipeline"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["compare", "default", "--a", "procs"], "expected KEY=VALUE"),
        (["compare", "default", "--a", "cpus=2"], "unknown setting 'cpus'"),
        (["compare", "default", "--a", "ncpu=0"], "--a ncpu: expected a positive integer"),
        (["compare", "default", "--b", "greentea=maybe"], "--b greentea: expected true or false"),
        (["compare", "default", "--a", "procs=0"], "--a procs: expected a positive integer"),
        (["compare", "default", "--a", "procs=abc"], "--a procs"),
        (["compare", "default", "--a", "procs=2", "procs=3"], "procs is given twice"),
        (["compare", "default", "--a", "policy=fifo"], "expected one of go, global-queue, no-steal"),
        (["compare", "default", "--a", "gogc=-5"], "--a gogc"),
        (["compare", "default", "--a", "memlimit=lots"], "--a memlimit"),
        (["compare", "default", "--a", "duration=0s"], "--a duration"),
        (["compare", "default", "--a", "duration=2000h"], "maximum"),
        (["compare", "default", "--a", "seed=-1"], "--a seed"),
        (["compare", "default", "--c", "procs=2"], "--c needs --b"),
        (["compare", "no-such-preset", "--a", "procs=2"], "no-such-preset"),
        (["compare", "default", "cpu-bound", "--c", "procs=2", "--b", "procs=1"], "2 scenarios for 3 sides"),
        (["compare", "a", "b", "c", "d"], "at most 3 scenarios"),
        (["compare"], "name a scenario"),
        (["compare", "--a", "procs=2", "default"], "expected KEY=VALUE"),
        (["compare", "default", "--duration", "-1s"], "duration"),
        (["compare", "default", "--screenshot", "x.png"], "--screenshot needs --window"),
        (["compare", "default", "--window", "--json"], "drop --window"),
    ],
)
def test_bad_compare_flags_are_one_line_and_exit_2(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and err.startswith("gmpviz: ")


# docs/compare.md quotes these numbers (seed 1, each comparison's own duration): a change of the
# engine that moves them must re-measure them (`gmpviz compare NAME`) and update the paragraphs.
DOC_NUMBERS = {
    "stealing": {
        "ops_completed": (23185, 23611, 18184),
        "steals": (766, 0, 0),
        "gs_stolen": (1519, 0, 0),
        "latency_p99_ns": (10.0e6, 3.36e6, 54.2e6),
    },
    "procs": {
        "ops_completed": (6467, 5241),
        "steals": (3, 388),
        "latency_p99_ns": (52.6e6, 5.30e6),
        "gc_cycles": (8, 7),
        "mmu_1ms": (0.478, 0.0),
        "stw_max_ns": (85.7e3, 7.52e6),
    },
    "gogc": {
        "gc_cycles": (10, 2, 3),
        "gc_cpu_fraction": (0.0119, 0.0028, 0.0043),
        "mmu_1ms": (0.676, 0.668, 0.664),
        "heap_goal_median_bytes": (20.18 * 2**20, 52.01 * 2**20, 30.52 * 2**20),
    },
    "greentea": {
        "gc_cycles": (18, 13),
        "gc_cpu_fraction": (0.0602, 0.202),
        "mmu_10ms": (0.727, 0.415),
    },
}


@pytest.mark.parametrize("name", sorted(DOC_NUMBERS))
def test_docs_quote_what_the_builtin_comparisons_measure(capsys, name):
    out = compare_json(capsys, name)
    for key, want in DOC_NUMBERS[name].items():
        got = [out[s]["table"][key] for s in "abc"[: len(want)]]
        assert got == pytest.approx(list(want), rel=0.01, abs=1e-3), (name, key)


def test_compare_window_without_a_display_is_one_line(monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main(["compare", "cpu-bound", "--a", "procs=1", "--b", "procs=2", "--window"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no display" in err


def test_a_side_past_the_event_limit_stops_with_one_warning(monkeypatch, capsys):
    import gmpviz.compare as C

    monkeypatch.setattr(C, "MAX_KEPT_EVENTS", 2000)
    assert main(["compare", "default", "--a", "procs=2", "--b", "procs=4", "--duration", "1s", "--json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    lines = cap.err.strip().splitlines()
    assert len(lines) == 2 and all("stopped at" in ln and "2,000 events" in ln for ln in lines)
    for s in "ab":
        assert out[s]["end_reason"] == "stopped: event limit" and out[s]["warning"]
        assert out[s]["metrics"]["duration_ns"] < 1_000_000_000


# --- the same workload on both sides -----------------------------------------------------------------
SHARED_WORKLOAD = """
name = "shared-workload"
gomaxprocs = 4
seed = 5
duration = "2s"

[channels]
done = 16

[programs.main]
ops = [ { go = "worker", count = 12 }, { repeat = 96, body = [ { recv = "done" } ] }, "exit" ]

[programs.worker]
group = "worker"
ops = [
  { repeat = 8, body = [
    { compute = { dist = "exp", mean = "80us" } },
    { syscall = { dist = "exp", mean = "150us" } },
    { alloc = "4KiB", count = 64, pointers = true, lifetime = "temp" },
    { send = "done" },
  ] },
  "exit",
]
"""


OP_OF_KIND = {
    int(EV.ChanSend): "send",
    int(EV.ChanRecv): "recv",
    int(EV.GoSyscallBegin): "syscall",
    int(EV.GoEnd): "exit",
}


def workload_ops(ev) -> dict[tuple, list]:
    """Each user goroutine, keyed by its spawn path (the parent's key and which of its children it
    is: goids differ when the runtime starts its own goroutines at other moments), with the ordered
    operations its program made visible: go statements, channel sends and receives (not how they
    went), syscalls with their drawn durations, exit."""
    keys: dict[int, tuple] = {}
    children: dict[int, int] = {}
    ops: dict[tuple, list] = {}
    kinds = [EV.GoCreate, EV.ChanSend, EV.ChanRecv, EV.GoSyscallBegin, EV.GoEnd]
    for r in ev[np.isin(ev["kind"], kinds)].tolist():
        _, k, _, _, g, a0, a1, _ = r
        if k == EV.GoCreate:
            if a1 < 0:  # the runtime's own goroutines
                continue
            n = children.get(a0, 0)
            children[a0] = n + 1
            keys[g] = keys.get(a0, ()) + (n,)
            ops[keys[g]] = []
            if a0 in keys:
                ops[keys[a0]].append(("go", keys[g]))
        elif g in keys:
            name = {EV.ChanSend: "send", EV.ChanRecv: "recv", EV.GoSyscallBegin: "syscall", EV.GoEnd: "exit"}[
                k
            ]
            ops[keys[g]].append((name, a1 if k == EV.GoSyscallBegin else a0 if k != EV.GoEnd else 0))
    return ops


def run_workload(**kw):
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import loads_scenario

    eng = Engine(loads_scenario(SHARED_WORKLOAD, filename="shared.toml"), **kw)
    eng.run()
    assert eng.done_reason == "main returned", eng.done_reason
    return workload_ops(eng.drain())


RUNTIME_ONLY = [dict(policy="no-steal"), dict(policy="global-queue"), dict(procs=1), dict(gogc=10)]


@pytest.mark.parametrize("other", RUNTIME_ONLY, ids=lambda kw: " ".join(f"{k}={v}" for k, v in kw.items()))
def test_a_runtime_only_difference_keeps_the_goroutines_and_their_operations(other):
    a, b = run_workload(), run_workload(**other)
    assert set(a) == set(b) and len(a) == 13  # main and its 12 workers
    for key in a:
        assert [op for op, _ in a[key]] == [op for op, _ in b[key]], key


@pytest.mark.parametrize("other", RUNTIME_ONLY, ids=lambda kw: " ".join(f"{k}={v}" for k, v in kw.items()))
def test_a_runtime_only_difference_keeps_the_workloads_random_draws(other):
    a, b = run_workload(), run_workload(**other)
    assert a == b  # the syscall durations each goroutine drew, in its order
