"""The CLI contract: exit codes, one-line errors, --json and --schedtrace output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gmpviz.cli import main


def test_json_summary_has_the_documented_fields(capsys):
    assert main(["run", "work-stealing", "--headless", "--json", "--duration", "50ms"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "goroutines",
        "steals",
        "handoffs",
        "preemptions",
        "syscalls",
        "context_switches",
        "p_busy_fraction",
        "global_runq",
        "local_runq",
        "events_emitted",
        "wall_s",
    ):
        assert key in out
    assert set(out["goroutines"]) >= {"created", "exited", "live", "live_by_status"}
    assert out["steals"]["count"] > 0 and out["steals"]["gs_moved"] >= out["steals"]["count"]
    assert len(out["p_busy_fraction"]) == 4


def test_same_seed_same_output(capsys):
    args = [
        "run",
        "default",
        "--headless",
        "--json",
        "--duration",
        "100ms",
        "--schedtrace",
        "10",
        "--seed",
        "7",
    ]
    outs = []
    for _ in range(2):
        assert main(args) == 0
        cap = capsys.readouterr()
        d = json.loads(cap.out)
        d.pop("wall_s")
        outs.append((d, cap.err))
    assert outs[0] == outs[1]
    assert outs[0][1].count("SCHED ") == 11


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "no-such-preset", "--headless"], "expected a preset name"),
        (["run", "cpu-bound", "--headless", "--procs", "0"], "--procs"),
        (["run", "cpu-bound", "--headless", "--duration", "soon"], "--duration"),
        (["run", "cpu-bound", "--headless", "--gogc", "-5"], "--gogc"),
        (["run", "cpu-bound", "--headless", "--memlimit", "lots"], "--memlimit"),
        (["run", "cpu-bound", "--headless", "--policy", "fifo"], "--policy"),
        (["run", "cpu-bound", "--json"], "--headless"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmpviz: ")
    assert needle in err


def test_malformed_scenario_file(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\nsummary = "x"\n[programs.main]\nops = [ { compute = 12 } ]\n')
    assert main(["run", str(f), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.toml" in err


def test_scenarios_lists_presets(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in (
        "cpu-bound",
        "work-stealing",
        "syscall-handoff",
        "netpoll",
        "preemption",
        "gosched",
        "chan-pingpong",
        "chan-pileup",
        "goroutine-leak",
        "gomaxprocs",
    ):
        assert name in out


def test_console_script_runs_as_a_process():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gmpviz",
            "run",
            "cpu-bound",
            "--headless",
            "--duration",
            "20ms",
            "--schedtrace",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0
    assert r.stderr.startswith("SCHED 0ms: gomaxprocs=4 ")


def test_window_without_a_display_is_one_line(monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main(["run", "cpu-bound"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no display" in err
