"""Scenario loader: presets, exact compiled ops, one-line errors, units."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gmpviz.core.workload import ops as O
from gmpviz.core.workload.loader import (
    ASSUMPTIONS,
    ScenarioError,
    list_presets,
    load_scenario,
    loads_scenario,
    preset_path,
)
from gmpviz.core.workload.units import (
    UnitError,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
)

REQUIRED_PRESETS = {
    "cpu-bound", "work-stealing", "syscall-handoff", "netpoll", "preemption", "gosched",
    "chan-pingpong", "chan-pileup", "goroutine-leak", "gomaxprocs", "alloc-paths", "mcache-refill",
    "stack-growth", "defer-chain", "alloc-mix", "gc-steady", "gc-assist", "memlimit", "oom", "default",
}  # fmt: skip
PRESET_NAMES = [name for name, _ in list_presets()]


# --- presets ---------------------------------------------------------------------------------------


def test_every_required_preset_exists_and_list_is_sorted():
    assert set(PRESET_NAMES) >= REQUIRED_PRESETS
    assert sorted(PRESET_NAMES) == PRESET_NAMES


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_loads_with_summary_and_notice(name):
    sc = load_scenario(name)
    assert sc.name == name
    assert sc.summary and "\n" not in sc.summary
    assert len(sc.notice) > 200, "a preset explains what to notice"
    assert sc.notice == sc.description
    assert "\n" not in sc.notice.replace("\n\n", ""), "wrapped lines are joined into paragraphs"
    assert 200_000_000 <= sc.duration_ns <= 2_000_000_000, "presets stay short (the engine is Python)"
    assert sc.programs[sc.main].name == "main"
    assert sc.text == Path(sc.path).read_text(encoding="utf-8")
    assert_jumps_consistent(sc)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_goroutine_counts_stay_moderate(name):
    sc = load_scenario(name)
    spawned = sum(op[2] for p in sc.programs for op in p.ops if op[0] == O.OP_GO)
    assert spawned <= 1000


def assert_jumps_consistent(sc):
    """Every END_REPEAT jumps back exactly to its REPEAT, and REPEAT's body_len matches."""
    for prog in sc.programs:
        ops = prog.ops
        for i, op in enumerate(ops):
            if op[0] == O.OP_REPEAT:
                count, body_len = op[1], op[2]
                assert count == -1 or count >= 1
                end = i + body_len + 1
                assert ops[end][0] == O.OP_END_REPEAT
                assert end - ops[end][1] == i


def test_gomaxprocs_preset_changes_gomaxprocs_mid_run():
    sc = load_scenario("gomaxprocs")
    main = sc.programs[sc.main]
    assert [op[1] for op in main.ops if op[0] == O.OP_GOMAXPROCS] == [6, 1, 4]


def test_presets_ship_as_package_data():
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["gmpviz"]
    assert "resources/scenarios/*.toml" in globs
    path = preset_path("default")
    assert path is not None and path.parent.name == "scenarios" and path.parent.parent.parent.name == "gmpviz"


def test_load_by_path_and_determinism(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[programs.main]\nops = [{ compute = "1ms" }]\n')
    a, b = load_scenario(str(f)), load_scenario(str(f))
    assert a == b
    assert a.name == "mine" and a.path == str(f)
    assert load_scenario("cpu-bound") == load_scenario("cpu-bound")


def test_unknown_preset_is_one_line():
    with pytest.raises(ScenarioError) as ei:
        load_scenario("cpu-bond")
    assert (
        str(ei.value)
        == 'cpu-bond: scenario: expected a preset name or a path to a .toml file (did you mean "cpu-bound"?)'
    )
    with pytest.raises(ScenarioError) as ei:
        load_scenario("zzz")
    assert str(ei.value).startswith(
        "zzz: scenario: expected a preset name or a path to a .toml file (presets: alloc-mix, "
    )


def test_missing_file_is_one_line(tmp_path):
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match=r"nope\.toml: file: no such file$"):
        load_scenario(missing)


def test_assumptions_are_strings():
    assert ASSUMPTIONS and all(isinstance(a, str) and a for a in ASSUMPTIONS)


# --- compiled ops ----------------------------------------------------------------------------------

EXAMPLE = """
name = "example"
summary = "one line"
description = "what to notice"
gomaxprocs = 2
seed = 7
duration = "250ms"
policy = "no-steal"
gogc = "off"
gomemlimit = "64MiB"
container_limit = "1GiB"
globals = "512KiB"

[channels]
jobs = 4
done = 0

[programs.worker]
group = "cpu"
ops = [
  { repeat = "forever", body = [
    { recv = "jobs" },
    { repeat = 3, body = [ { compute = "1ms" }, "gosched" ] },
    { alloc = "64B", count = 10, pointers = true, lifetime = "5ms" },
  ] },
]

[programs.main]
ops = [
  { go = "worker", count = 3 },
  { make = "done" },
  { make = "jobs", cap = 16 },
  { send = "jobs" },
  { select = [ { recv = "done" }, { send = "jobs" } ], default = true },
  { close = "done" },
  { compute = { dist = "exp", mean = "100us" } },
  { compute = { dist = "uniform", min = "10us", max = "1ms" } },
  { compute = { dist = "normal", mean = "1ms", std = "200us" } },
  { sleep = "1.5ms" },
  { syscall = "20us" },
  { syscall = "2ms", blocking = true },
  { netwait = "300us" },
  { alloc = "8B" },
  { alloc = "32KiB", lifetime = "goroutine" },
  { alloc = "1MiB", count = 2, lifetime = "forever" },
  "gc",
  { gomaxprocs = 4 },
  { stack = 100, frame = "256B" },
  { defer = 5 },
  { defer = 50, heap = true },
  { setgcpercent = 50 },
  { setgcpercent = "off" },
  { setmemlimit = "128MiB" },
  { setmemlimit = "off" },
  { exit = true },
  "block",
]
"""


def test_example_compiles_to_exact_tuples():
    sc = loads_scenario(EXAMPLE, "example.toml")
    assert (sc.name, sc.summary, sc.notice, sc.gomaxprocs, sc.seed) == (
        "example", "one line", "what to notice", 2, 7,
    )  # fmt: skip
    assert sc.duration_ns == 250_000_000 and sc.policy == "no-steal"
    assert (sc.gogc, sc.memlimit_bytes, sc.container_limit_bytes, sc.globals_bytes) == (
        -1, 64 << 20, 1 << 30, 512 << 10,
    )  # fmt: skip
    assert sc.channels == (O.ChanDecl("jobs", 4), O.ChanDecl("done", 0))
    assert [p.name for p in sc.programs] == ["worker", "main"]
    assert sc.main == 1
    assert sc.groups == ("main", "cpu")
    assert sc.programs[0].group == 1 and sc.programs[1].group == 0
    assert sc.programs[0].ops == (
        (O.OP_REPEAT, -1, 6),
        (O.OP_CHAN_RECV, 0),
        (O.OP_REPEAT, 3, 2),
        (O.OP_COMPUTE, (O.DIST_FIXED, 1_000_000, 0)),
        (O.OP_GOSCHED,),
        (O.OP_END_REPEAT, 3),
        (O.OP_ALLOC, 64, 10, 0, O.LIFE_DURATION, 5_000_000),
        (O.OP_END_REPEAT, 7),
    )
    assert sc.programs[1].ops == (
        (O.OP_GO, 0, 3),
        (O.OP_CHAN_MAKE, 1, 0),
        (O.OP_CHAN_MAKE, 0, 16),
        (O.OP_CHAN_SEND, 0),
        (O.OP_SELECT, ((O.SEL_RECV, 1), (O.SEL_SEND, 0)), 1),
        (O.OP_CHAN_CLOSE, 1),
        (O.OP_COMPUTE, (O.DIST_EXP, 100_000, 0)),
        (O.OP_COMPUTE, (O.DIST_UNIFORM, 10_000, 1_000_000)),
        (O.OP_COMPUTE, (O.DIST_NORMAL, 1_000_000, 200_000)),
        (O.OP_SLEEP, (O.DIST_FIXED, 1_500_000, 0)),
        (O.OP_SYSCALL, (O.DIST_FIXED, 20_000, 0), 0, 0),  # blocking, cpu
        (O.OP_SYSCALL, (O.DIST_FIXED, 2_000_000, 0), 1, 0),
        (O.OP_NETWAIT, (O.DIST_FIXED, 300_000, 0)),
        (O.OP_ALLOC, 8, 1, 1, O.LIFE_TEMP, 0),
        (O.OP_ALLOC, 32768, 1, 1, O.LIFE_GOROUTINE, 0),
        (O.OP_ALLOC, 1 << 20, 2, 1, O.LIFE_FOREVER, 0),
        (O.OP_GC,),
        (O.OP_GOMAXPROCS, 4),
        (O.OP_STACK, 100, 256, 0),
        (O.OP_DEFER, 5, 0),
        (O.OP_DEFER, 50, 1),
        (O.OP_SETGCPERCENT, 50),
        (O.OP_SETGCPERCENT, -1),
        (O.OP_SETMEMLIMIT, 128 << 20),
        (O.OP_SETMEMLIMIT, -1),
        (O.OP_EXIT,),
        (O.OP_BLOCK,),
    )
    assert_jumps_consistent(sc)


def test_description_paragraphs_are_reflowed():
    text = (
        'description = """\nFirst line\nwraps here.\n\nSecond   paragraph.\n"""\n'
        '[programs.main]\nops = ["exit"]\n'
    )
    assert loads_scenario(text).notice == "First line wraps here.\n\nSecond paragraph."


def test_defaults_and_aliases():
    sc = loads_scenario(
        '[channels]\nc = 1\n[programs.main]\nops = [{ chan_send = "c" }, { loop = 2, body = ["gosched"] }]\n',
        "tiny.toml",
    )
    assert (sc.name, sc.gomaxprocs, sc.seed, sc.duration_ns, sc.policy, sc.gogc) == (
        "tiny", 4, 1, 1_000_000_000, "go", 100,
    )  # fmt: skip
    assert (sc.memlimit_bytes, sc.container_limit_bytes, sc.globals_bytes) == (-1, -1, 0)
    assert sc.programs[0].ops == (
        (O.OP_CHAN_SEND, 0), (O.OP_REPEAT, 2, 1), (O.OP_GOSCHED,), (O.OP_END_REPEAT, 2),
    )  # fmt: skip
    assert sc.groups == ("main",)


def test_overrides_replace_fields_and_are_recorded():
    sc = load_scenario("cpu-bound", {"gomaxprocs": "8", "duration": "50ms", "gogc": "off", "seed": 3})
    assert (sc.gomaxprocs, sc.duration_ns, sc.gogc, sc.seed) == (8, 50_000_000, -1, 3)
    assert sc.extra["overrides"]["gomaxprocs"] == "8"
    nested = load_scenario("cpu-bound", {"programs.worker.group": "hot"})
    assert "hot" in nested.groups


def test_bad_override_blames_overrides():
    with pytest.raises(ScenarioError) as ei:
        load_scenario("cpu-bound", {"gomaxprocs": "many"})
    assert str(ei.value) == 'overrides: gomaxprocs: expected an integer from 1 to 1024, got "many"'


# --- errors: one line each, exact text -------------------------------------------------------------

BASE = """
[channels]
jobs = 2

[programs.main]
ops = [ { go = "worker" }, "block" ]

[programs.worker]
ops = [ { compute = "1ms" } ]
"""
W = "programs.worker.ops[0]"


def op(text: str) -> str:
    return BASE.replace('{ compute = "1ms" }', text)


ERRORS = [
    ("x = ", "end of file: TOML syntax: Invalid value"),
    ('name = "a"\nname = "b"\n', "line 2, column 11: TOML syntax: Cannot overwrite a value"),
    ("gomaxproc = 4\n" + BASE, 'gomaxproc: unknown field (did you mean "gomaxprocs"?)'),
    ('gomaxprocs = "4"\n' + BASE, 'gomaxprocs: expected an integer from 1 to 1024, got "4"'),
    ("gomaxprocs = 0\n" + BASE, "gomaxprocs: expected an integer from 1 to 1024, got 0"),
    ("seed = -1\n" + BASE, "seed: expected an integer >= 0, got -1"),
    ("duration = 12\n" + BASE, 'duration: expected a duration like "10ms", got 12'),
    ('duration = "10 parsecs"\n' + BASE, 'duration: expected a duration like "10ms", got "10 parsecs"'),
    ('duration = "0"\n' + BASE, 'duration: expected a duration above 0, got "0"'),
    ('policy = "fifo"\n' + BASE, 'policy: expected one of "go", "global-queue", "no-steal", got "fifo"'),
    ("gogc = -5\n" + BASE, 'gogc: expected an integer percent >= 0 or "off", got -5'),
    ('gomemlimit = "64MB"\n' + BASE, 'gomemlimit: expected a size like "512MiB" or "off", got "64MB"'),
    (
        'globals = "lots"\n' + BASE,
        'globals: expected a size like "64B", "32KiB", "1MiB" or a number of bytes, got "lots"',
    ),
    ("summary = '''a\nb'''\n" + BASE, "summary: expected one line, got several"),
    ("gomaxprocs = 2\n", "programs: missing; a scenario needs at least [programs.main]"),
    ('[programs.worker]\nops = ["exit"]\n', "programs.main: missing; the main program runs as goroutine 1"),
    ('main = "boss"\n' + BASE, 'main: expected the name of a program (main, worker), got "boss"'),
    (
        BASE.replace("jobs = 2", "jobs = -1"),
        "channels.jobs: expected a capacity (integer >= 0; 0 = unbuffered), got -1",
    ),
    (
        BASE.replace("jobs = 2", "jobs = { cap = 2, size = 3 }"),
        "channels.jobs.size: unknown field (allowed: cap)",
    ),
    (
        BASE.replace("[programs.worker]", '[programs.worker]\ncolor = "red"'),
        "programs.worker.color: unknown field (allowed: ops, group)",
    ),
    ('[programs.main]\ngroup = "x"\n', "programs.main.ops: missing; expected an array of ops"),
    ("[programs.main]\nops = []\n", "programs.main.ops: expected at least one op, got an empty array"),
    (BASE.replace('"block"', '"blok"'), 'programs.main.ops[1]: unknown op "blok" (did you mean "block"?)'),
    (
        op('{ compte = "1ms" }'),
        f'{W}: expected an op name (compute, sleep, go, ...), found "compte" (did you mean "compute"?)',
    ),
    (
        op('{ compute = "1ms", sleep = "1ms" }'),
        f"{W}: expected exactly one op per entry, found compute and sleep",
    ),
    (op('{ compute = "1ms", count = 2 }'), f"{W}.count: unknown field (allowed: compute)"),
    (op("{ compute = 12 }"), f'{W}.compute: expected a duration like "10ms", got 12'),
    (op('"compute"'), f'{W}: op "compute" needs a value, e.g. {{ compute = ... }}'),
    (op("{ gc = 1 }"), f'{W}.gc: expected true (or write just "gc"), got 1'),
    (op("12"), f'{W}: expected an op like {{ compute = "1ms" }} or "gosched", got 12'),
    (
        op('{ compute = { dist = "pareto", mean = "1ms" } }'),
        f'{W}.compute.dist: expected one of "fixed", "uniform", "exp", "normal", got "pareto"',
    ),
    (op('{ compute = { dist = "exp" } }'), f'{W}.compute.mean: missing; dist "exp" needs mean'),
    (
        op('{ compute = { dist = "exp", mean = "1ms", std = "1ms" } }'),
        f"{W}.compute.std: unknown field (allowed: dist, mean)",
    ),
    (
        op('{ compute = { dist = "uniform", min = "2ms", max = "1ms" } }'),
        f'{W}.compute.max: expected max >= min (2ms), got "1ms"',
    ),
    (
        BASE.replace('{ go = "worker" }', '{ go = "wrker" }'),
        'programs.main.ops[0].go: unknown program "wrker" (did you mean "worker"?)',
    ),
    (
        BASE.replace('{ go = "worker" }', '{ go = "worker", count = -3 }'),
        "programs.main.ops[0].count: expected an integer from 1 to 10000000, got -3",
    ),
    (op('{ send = "job" }'), f'{W}.send: unknown channel "job" (did you mean "jobs"?); [channels]: jobs'),
    (
        op('{ repeat = 0, body = [ { compute = "1ms" } ] }'),
        f'{W}.repeat: expected a count >= 1 or "forever", got 0',
    ),
    (op("{ repeat = 3 }"), f"{W}.body: missing; expected an array of ops to repeat"),
    (op("{ repeat = 3, body = [] }"), f"{W}.body: expected at least one op, got an empty array"),
    (
        op('{ repeat = "forever", body = [ { close = "jobs" }, { compute = "0" } ] }'),
        f"{W}.body: a forever loop needs an op that takes time (compute, sleep, a channel op...), found none",
    ),
    (
        op('{ alloc = "32KB" }'),
        f'{W}.alloc: expected a size like "32KiB" (KiB = 1024 bytes; KB is ambiguous), got "32KB"',
    ),
    (op("{ alloc = 0 }"), f"{W}.alloc: expected a size of at least 1 byte, got 0"),
    (
        op('{ alloc = "64B", lifetime = "always" }'),
        f'{W}.lifetime: expected "temp", "goroutine", "forever", "scope" or a duration like "50ms", '
        'got "always"',
    ),
    (op('{ alloc = "64B", pointers = "yes" }'), f'{W}.pointers: expected true or false, got "yes"'),
    (
        op('{ select = [ { recv = "jobs", send = "jobs" } ] }'),
        f'{W}.select[0]: expected a case {{ send = "chan" }} or {{ recv = "chan" }}, got a table',
    ),
    (op("{ stack = 10 }"), f'{W}.frame: missing; expected a frame size like "256B"'),
    (op("{ gomaxprocs = 0 }"), f"{W}.gomaxprocs: expected an integer from 1 to 1024, got 0"),
    (op('{ sleep = "2h" }'), f'{W}.sleep: expected a duration up to 1h, got "2h"'),
    (op('{ alloc = "2TiB" }'), f'{W}.alloc: expected a size up to 1TiB, got "2TiB"'),
    (op('{ alloc = "1GiB", count = 2048 }'), f"{W}.count: expected count x size up to 1TiB, got 2048"),
    ('gomemlimit = "4TiB"\n' + BASE, 'gomemlimit: expected a size up to 1TiB, got "4TiB"'),
    (op("{ setmemlimit = -1 }"), f'{W}.setmemlimit: expected a size like "512MiB" or "off", got -1'),
    (
        op('{ repeat = 2, body = [ "gc", { sleep = "1ms" }, { sleep = "x" } ] }'),
        f'{W}.body[2].sleep: expected a duration like "10ms", got "x"',
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS, ids=[e[1].split(":")[0] for e in ERRORS])
def test_error_is_one_exact_line(text, expected):
    with pytest.raises(ScenarioError) as ei:
        loads_scenario(text, "work.toml")
    assert str(ei.value) == f"work.toml: {expected}"
    assert "\n" not in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_a_program_that_spawns_itself_forever_is_allowed():
    sc = loads_scenario('[programs.main]\nops = [{ compute = "1us" }, { go = "main" }]\n', "boom.toml")
    assert sc.programs[0].ops[1] == (O.OP_GO, 0, 1)


# --- units -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "t_ns"),
    [
        ("500ns", 500), ("20us", 20_000), ("20µs", 20_000), ("20μs", 20_000), ("1.5ms", 1_500_000),
        ("2s", 2_000_000_000), ("1m30s", 90_000_000_000), ("0", 0), (".5us", 500), ("1h", 3_600_000_000_000),
    ],
)  # fmt: skip
def test_parse_duration(text, t_ns):
    assert parse_duration(text) == t_ns


@pytest.mark.parametrize("bad", [12, "12", "ms", "1.5", "-1ms", "1msx", "1 parsec", True, None, ""])
def test_parse_duration_rejects(bad):
    with pytest.raises(UnitError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "size_bytes"),
    [
        ("64B", 64), ("32KiB", 32768), ("1MiB", 1 << 20), ("2GiB", 2 << 30), (4096, 4096), ("100", 100),
        ("1.5KiB", 1536), ("64kib", 65536),
    ],
)  # fmt: skip
def test_parse_size(text, size_bytes):
    assert parse_size(text) == size_bytes


@pytest.mark.parametrize("bad", ["32KB", "1MB", "lots", -1, True, "1 MiBs"])
def test_parse_size_rejects(bad):
    with pytest.raises(UnitError):
        parse_size(bad)


@given(st.integers(min_value=0, max_value=10**15))
def test_duration_round_trip(t_ns):
    assert parse_duration(format_duration(t_ns)) == t_ns


@given(st.integers(min_value=0, max_value=1 << 45))
def test_size_round_trip(size_bytes):
    assert parse_size(format_size(size_bytes)) == size_bytes


def test_format_is_human():
    durations = (1_500_000, 2_000_000_000, 20_000, 7, 90 * 10**9, 7200 * 10**9)
    assert [format_duration(x) for x in durations] == ["1500us", "2s", "20us", "7ns", "90s", "2h"]
    assert [format_size(x) for x in (32768, 1 << 20, 100, 0)] == ["32KiB", "1MiB", "100B", "0B"]


# --- fuzz: any TOML-shaped junk gives a ScenarioError, never another exception ------------------

_WORDS = [
    "compute", "sleep", "syscall", "netwait", "make", "send", "recv", "close", "select", "go", "repeat",
    "loop", "alloc", "gc", "gomaxprocs", "stack", "defer", "block", "exit", "setgcpercent", "setmemlimit",
    "gosched", "body", "count", "cap", "pointers", "lifetime", "frame", "heap", "blocking", "default",
    "dist", "mean", "min", "max", "std", "value", "jobs", "main", "worker", "forever", "off",
]  # fmt: skip
_SCALARS = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(["1ms", "0", "10us", "64B", "32KiB", "exp", "uniform", "normal", "fixed", "-1ms", "1.5"]),
    st.integers(min_value=-3, max_value=2**64),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=5),
)
_TOMLISH = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_WORDS), inner, max_size=3),
    max_leaves=12,
)
_FUZZ_BASE = '[channels]\njobs = 1\n[programs.main]\nops = ["exit"]\n[programs.worker]\nops = ["exit"]\n'


@given(_TOMLISH)
def test_fuzzed_ops_only_raise_scenario_error(ops):
    try:
        loads_scenario(_FUZZ_BASE, "fuzz.toml", overrides={"programs.worker.ops": ops})
    except ScenarioError as e:
        assert "\n" not in str(e)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "gomaxprocs",
                "seed",
                "duration",
                "gogc",
                "gomemlimit",
                "globals",
                "policy",
                "main",
                "channels",
                "programs",
                "summary",
            ]
        ),
        _TOMLISH,
        max_size=3,
    )
)
def test_fuzzed_settings_only_raise_scenario_error(settings):
    try:
        loads_scenario(_FUZZ_BASE, "fuzz.toml", overrides=settings)
    except ScenarioError as e:
        assert "\n" not in str(e)
