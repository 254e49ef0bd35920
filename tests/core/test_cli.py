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
    # sysmon prints them (proc.go sysmon: lasttrace + 10 ms <= now), so they drift by its delay (up to
    # 10 ms): SCHED 0ms, 15ms, 28ms, ... 94ms, as real schedtrace lines do
    assert outs[0][1].count("SCHED ") == 9


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
        # a value with a leading '-' reaches the flag's own check (not "expected one argument")
        (["run", "cpu-bound", "--headless", "--duration", "-1s"], "--duration: expected a duration above 0"),
        (["run", "cpu-bound", "--headless", "--duration=-1s"], "--duration: expected a duration above 0"),
        (["run", "cpu-bound", "--headless", "--duration", "0"], "above 0"),
        (["run", "cpu-bound", "--headless", "--memlimit", "-5MiB"], "--memlimit: expected a size >= 0"),
        (["run", "cpu-bound", "--headless", "--procs", "-2"], "--procs: expected a positive integer"),
        (["run", "cpu-bound", "--headless", "--seed", "-1"], "--seed: expected an integer seed >= 0"),
        (["export", "x.gmprec", "--png", "x.png", "--at", "-1ms"], "--at: expected a duration >= 0"),
        (["bench", "--seconds", "-1"], "--seconds: expected a number of seconds above 0"),
        (["bench", "--seconds", "nan"], "--seconds"),
        # the scenario loader's limits hold for the flags too (a headless run would never end)
        (
            ["run", "cpu-bound", "--headless", "--duration", "1000000h"],
            "1000000h is more than the 1h maximum",
        ),
        (["run", "cpu-bound", "--headless", "--procs", "100000"], "100000 is more than the 1,024 maximum"),
        (["run", "cpu-bound", "--headless", "--seed", str(2**64)], "--seed"),
        (["run", "cpu-bound", "--headless", "--gogc", "10000001"], "--gogc"),
        (["run", "cpu-bound", "--headless", "--memlimit", "2TiB"], "more than the 1TiB maximum"),
        (["run", "cpu-bound", "--headless", "--schedtrace", "10000000"], "--schedtrace"),
        (["bench", "--seconds", "1e9"], "--seconds"),
        (["export", "x.gmprec", "--video", "x.mp4", "--fps", "100000"], "--fps"),
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


def test_headless_prints_a_summary(capsys):
    assert main(["run", "gc-steady", "--headless", "--duration", "300ms", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert main(["run", "gc-steady", "--headless", "--duration", "300ms", "--seed", "3", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines] == [
        "run", "events", "goroutines", "scheduler", "P", "run", "GC", "heap"
    ]  # fmt: skip
    assert lines[0].startswith("run         gc-steady · seed 3 · policy go · GOMAXPROCS 4 · 300 ms virtual")
    assert f"{st['events_emitted']:,}" in lines[1]
    assert f"{st['goroutines']['created']:,} created" in lines[2]
    assert f"{st['steals']['count']:,} steals" in lines[3] and f"{st['preemptions']:,} preemptions" in out
    assert f"{st['gc']['cycles']} cycle" in out and "GOGC 100" in out and "STW " in out
    assert "HeapAlloc " in out and "TotalAlloc " in out


@pytest.mark.parametrize("flag", [["--json"], ["--schedtrace", "10"], ["--gctrace"]])
def test_headless_summary_gives_way_to_asked_output(capsys, flag):
    assert main(["run", "gc-steady", "--headless", "--duration", "50ms", *flag]) == 0
    out = capsys.readouterr().out
    assert "goroutines  " not in out
    if flag == ["--json"]:
        json.loads(out)
    else:
        assert out == ""


def test_headless_summary_names_the_recording(tmp_path, capsys):
    rec = tmp_path / "r.gmprec"
    assert main(["run", "cpu-bound", "--headless", "--duration", "30ms", "--record", str(rec)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"wrote {rec}: recording of cpu-bound, ") and last.endswith(" KiB)")


def test_negative_value_glue_leaves_other_arguments_alone():
    from gmpviz.cli import _glue_negative_values, _value_options, build_parser

    opts = _value_options(build_parser())
    assert {"--duration", "--at", "--fps", "--seconds"} <= opts and "--headless" not in opts
    argv = ["run", "x", "--headless", "--duration", "-1s", "--gogc", "-5", "--", "--seed", "-1"]
    assert _glue_negative_values(argv, opts) == [
        "run", "x", "--headless", "--duration=-1s", "--gogc=-5", "--", "--seed", "-1"
    ]  # fmt: skip


def test_qt_messages_filtered_drops_only_the_plugin_notice(capsys):
    QtCore = pytest.importorskip("PySide6.QtCore")
    from gmpviz.cli import qt_messages_filtered

    with qt_messages_filtered():
        QtCore.qWarning("This plugin does not support propagateSizeHints()")
        QtCore.qWarning("something worth reading")
    assert capsys.readouterr().err == "something worth reading\n"


def test_trace_names_a_missing_program_before_the_display_and_its_recording_as_a_recording(
    tmp_path, capsys, monkeypatch
):
    """The first problem is the one said: a missing program, even without a display; an unwritable
    --record is "the recording", not "the screenshot"."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["trace", str(tmp_path / "nosuch.go")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("nosuch.go: no such file or folder") and "\n" not in err
    prog = tmp_path / "p.go"
    prog.write_text("package main\nfunc main() {}\n")
    assert main(["trace", str(prog), "--record", str(tmp_path / "no" / "p.gmprec")]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot write the recording" in err and "screenshot" not in err and "\n" not in err


def test_compare_real_names_a_missing_trace_first(tmp_path, capsys):
    path = tmp_path / "nosuch.trace"
    assert main(["compare-real", str(path), "default"]) == 2
    assert capsys.readouterr().err.strip() == f"gmpviz: {path}: No such file or directory"
