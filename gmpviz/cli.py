"""The `gmpviz` command line.

    gmpviz                              open the window on the `default` scenario
    gmpviz run SCENARIO [--headless]    run a preset or a .toml file (window unless --headless)
    gmpviz play FILE                    replay a recording in the window
    gmpviz export FILE --perfetto OUT   export a recording
    gmpviz scenarios                    list presets
    gmpviz sizeclasses                  print Go's size class table
    gmpviz events                       print the event spec
    gmpviz bench [--alloc|--ui|--replay]

Bad input (unknown scenario, malformed file, impossible flag) prints one line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


class CliError(Exception):
    """A one-line user error: printed as ``gmpviz: <message>``, exit status 2."""


def _duration(text: str) -> int:
    from .core.workload.units import UnitError, parse_duration

    try:
        return parse_duration(text)
    except UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _size_or_off(text: str) -> int:
    from .core.workload.units import UnitError, parse_size

    if text.strip().lower() == "off":
        return -1
    try:
        return parse_size(text)
    except UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _int_at_least(lowest: int, what: str, off: bool = False):
    """An argparse type: an integer >= lowest (or 'off' -> -1 when off is allowed)."""

    def parse(text: str) -> int:
        if off and text.strip().lower() == "off":
            return -1
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < lowest:
            raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
        return v

    return parse


_gogc = _int_at_least(0, "an integer percent >= 0 or 'off'", off=True)
_positive = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "an integer seed >= 0")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gmpviz", description="Watch the Go runtime work (Go 1.26 semantics).")
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)

    r = sub.add_parser("run", help="run a scenario (preset name or .toml path)")
    r.add_argument("scenario")
    r.add_argument("--headless", action="store_true", help="no window: print results")
    r.add_argument("--procs", type=_positive, help="GOMAXPROCS")
    r.add_argument("--seed", type=_seed)
    r.add_argument("--duration", type=_duration, help="virtual time, e.g. 2s, 500ms")
    r.add_argument("--policy", choices=("go", "global-queue", "no-steal"))
    r.add_argument("--gogc", type=_gogc, help="GOGC percent or off")
    r.add_argument("--memlimit", type=_size_or_off, help="GOMEMLIMIT, e.g. 64MiB, or off")
    r.add_argument(
        "--schedtrace", type=_positive, metavar="MS", help="print schedtrace lines every MS (stderr)"
    )
    r.add_argument("--gctrace", action="store_true", help="print a gctrace line per GC cycle (stderr)")
    r.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    r.add_argument("--record", metavar="FILE", help="record to a .gmprec file")
    r.add_argument("--screenshot", metavar="PNG", help="(window) save a screenshot at the end and exit")
    r.add_argument("--theme", choices=("dark", "light"), default="dark")

    pl = sub.add_parser("play", help="replay a recording in the window")
    pl.add_argument("file")
    pl.add_argument("--screenshot", metavar="PNG")
    pl.add_argument("--theme", choices=("dark", "light"), default="dark")

    ex = sub.add_parser("export", help="export a recording")
    ex.add_argument("file")
    ex.add_argument("--perfetto", metavar="OUT.json")
    ex.add_argument("--png", metavar="OUT.png")
    ex.add_argument("--at", type=_duration)
    ex.add_argument("--video", metavar="OUT.mp4")
    ex.add_argument("--from", dest="t_from", type=_duration)
    ex.add_argument("--to", dest="t_to", type=_duration)
    ex.add_argument("--fps", type=_positive, default=30)
    ex.add_argument("--size", default="1920x1080")

    sub.add_parser("scenarios", help="list the preset scenarios")
    sub.add_parser("sizeclasses", help="print Go's size class table")
    sub.add_parser("events", help="print the event kinds and their fields")

    b = sub.add_parser("bench", help="measure engine/UI speed")
    g = b.add_mutually_exclusive_group()
    g.add_argument("--alloc", action="store_true")
    g.add_argument("--ui", action="store_true")
    g.add_argument("--replay", action="store_true")
    b.add_argument("--seconds", type=float, default=1.0, help="virtual seconds of the standard workload")
    return p


def _load(name: str):
    from .core.workload.loader import ScenarioError, load_scenario

    try:
        return load_scenario(name)
    except ScenarioError as e:
        raise CliError(str(e)) from None


def cmd_run(args) -> int:
    if not args.headless:
        if args.json or args.schedtrace or args.gctrace:
            raise CliError("--json, --schedtrace and --gctrace need --headless")
        return _window(args.scenario, args)
    return run_headless(args)


def _engine_settings(args) -> dict:
    """The `run` flags that override the scenario, as Engine (and run_window) keywords."""
    return dict(
        seed=args.seed,
        procs=args.procs,
        policy=args.policy,
        duration_ns=args.duration,
        gogc=args.gogc,
        memlimit_bytes=args.memlimit,
    )


def run_headless(args) -> int:
    from .core.engine import Engine, EngineError

    sc = _load(args.scenario)
    try:
        eng = Engine(sc, **_engine_settings(args), schedtrace_ms=args.schedtrace or 0, gctrace=args.gctrace)
    except EngineError as e:
        raise CliError(str(e)) from None
    err = sys.stderr
    eng.on_schedtrace = lambda line: print(line, file=err)
    if args.gctrace:
        eng.on_gctrace = lambda line: print(line, file=err)
    t0 = time.perf_counter()
    if args.record:
        try:
            from .record.writer import record_run
        except ImportError:
            raise CliError("recording is not available in this build") from None
        record_run(eng, args.record)
    else:
        step_ns = 10_000_000
        t = 0
        while not eng.done:
            t += step_ns
            eng.run_until(t)
            eng.discard_output()
    wall = time.perf_counter() - t0
    if eng.error:
        print(eng.error, file=err)
    if args.json:
        print(json.dumps(eng.stats(wall_s=wall), indent=2, sort_keys=False))
    return 0


def _check_display() -> None:
    """Qt aborts the process when it finds no screen; say so in one line instead."""
    import os

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise CliError(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): use --headless, "
            "run under xvfb-run, or set QT_QPA_PLATFORM=offscreen for screenshots"
        )


def _window(scenario: str | None, args) -> int:
    _check_display()
    try:
        from .ui.app import run_window
    except ImportError as e:
        raise CliError(f"the window cannot start: {e}") from None
    kw = {}
    if args is not None:
        kw = dict(_engine_settings(args), screenshot=args.screenshot, theme=args.theme)
        if scenario is not None:
            _load(scenario)  # validate before opening a window
    return run_window(scenario, **kw)


def cmd_scenarios(args) -> int:
    from .core.workload.loader import list_presets

    rows = list_presets()
    width = max((len(n) for n, _ in rows), default=0)
    for name, summary in rows:
        print(f"{name:<{width}}  {summary}")
    return 0


def cmd_sizeclasses(args) -> int:
    from .core.alloc.sizeclasses import format_sizeclasses_table

    print(format_sizeclasses_table())
    return 0


def cmd_events(args) -> int:
    from .core.trace.events import SPEC

    for kind, spec in SPEC.items():
        fields = ", ".join(f"{n}={f.name}" for n, f in zip(("a0", "a1", "a2"), spec.args))
        print(
            f"{int(kind):>3} {kind.name:<20} {spec.go_func:<22} {spec.doc}"
            + (f"  [{fields}]" if fields else "")
        )
    return 0


def cmd_bench(args) -> int:
    if args.alloc:
        from .core.alloc.bench import bench_alloc

        res = bench_alloc()
    elif args.ui:
        res = _load_bench_ui()()
    elif args.replay:
        from .record.bench import bench_replay

        res = bench_replay()
    else:
        from .bench import bench_sched

        res = bench_sched(virtual_s=args.seconds)
    for k, v in res.items():
        print(f"{k}: {v}")
    return 0


def _load_bench_ui():
    """benchmarks/bench_ui.py: bench_ui() (the benchmarks folder ships beside the package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ui.py"
    if not path.exists():
        raise CliError(f"the UI benchmark is not available: {path} is missing")
    spec = importlib.util.spec_from_file_location("gmpviz_bench_ui", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.bench_ui


def cmd_play(args) -> int:
    _check_display()
    try:
        from .ui.player import run_player
    except ImportError as e:
        raise CliError(f"the player cannot start: {e}") from None
    return run_player(args.file, screenshot=args.screenshot, theme=args.theme)


def cmd_export(args) -> int:
    try:
        from .record.export import export_main
    except ImportError:
        raise CliError("export is not available in this build") from None
    return export_main(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.cmd is None:
            return _window(None, None)
        handler = {
            "run": cmd_run,
            "play": cmd_play,
            "export": cmd_export,
            "scenarios": cmd_scenarios,
            "sizeclasses": cmd_sizeclasses,
            "events": cmd_events,
            "bench": cmd_bench,
        }[args.cmd]
        return handler(args)
    except CliError as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        print(f"gmpviz: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except ValueError as e:
        # gmpviz's own input errors (ScenarioError, EngineError, RecordingError...) are ValueErrors
        # with a one-line message; anything else is a bug and keeps its traceback.
        if type(e).__module__.startswith("gmpviz."):
            print(f"gmpviz: {e}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
