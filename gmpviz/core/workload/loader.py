"""Scenario files: load, validate and compile TOML into the ``ops.py`` contract.

A scenario is a TOML file (format in ``docs/scenarios.md``). ``load_scenario`` takes a preset name
(``gmpviz/resources/scenarios/NAME.toml``, shipped as package data) or a path, checks every field
and compiles each goroutine program into the flat op tuples the engine interprets. Every mistake
becomes a :class:`ScenarioError` whose message is one line:
``<file>: <field path>: <what was expected, what was found>``.

The loader is pure (no clock, no randomness): same text and overrides, same ``Scenario``.
"""

from __future__ import annotations

import difflib
import importlib.resources
import os
import re
import stat
import tomllib
from fractions import Fraction
from pathlib import Path

from gmpviz.core.constants import PIPE_CAPACITY_BYTES
from gmpviz.core.workload import ops as O
from gmpviz.core.workload.ops import ChanDecl, Program, Scenario
from gmpviz.core.workload.units import UnitError, format_duration, format_size, parse_duration, parse_size

__all__ = [
    "ASSUMPTIONS",
    "ScenarioError",
    "format_duration",
    "format_size",
    "list_presets",
    "load_scenario",
    "loads_scenario",
    "parse_duration",
    "parse_size",
    "preset_path",
]

ASSUMPTIONS = (
    "Scenario programs are straight-line op lists with counted or endless loops; there are no "
    "branches, so a select's chosen case does not change what the goroutine does next.",
    "Channels carry no values: only their capacity, buffered count and waiting goroutines matter.",
    "An alloc says only whether the object holds pointers (scan vs noscan span class); real types "
    "have pointer bitmaps that change how much the GC scans.",
    "Object lifetimes are declared (goroutine, duration, forever, temp) instead of emerging from "
    "reachability; the GC marks exactly the objects whose lifetime has not ended.",
    "A stack op models call depth x frame size then return; real frames differ per function.",
)

MAX_GOMAXPROCS = 1024  # emulator limit (the runtime has none); the engine is Python
MAX_NCPU = 4096  # CPUs of the emulated machine (core/engine.py MAX_NCPU)
MAX_COUNT = 10_000_000  # emulator limit on go/alloc/defer/repeat counts
MAX_SEED = 2**63 - 1
MAX_DURATION_NS = 3600 * 1_000_000_000  # emulator limit: keeps every virtual time well inside int64
MAX_SIZE_BYTES = 1 << 40  # emulator limit (1 TiB): count x size stays inside int64 event fields
DEFAULT_DURATION_NS = 1_000_000_000
# Limits on the file itself (docs/scenarios.md, "Limits"): a scenario is hostile input like any other.
# Each is far above what a hand-written scenario needs and keeps loading under a second.
MAX_FILE_BYTES = 1 << 20  # 1 MiB of TOML (a 100 GB sparse file is refused before it is read)
MAX_NESTING = 64  # arrays and tables inside each other (a repeat in a repeat is two levels)
MAX_TABLE_KEYS = 10_000  # keys in one table (dotted keys included)
MAX_ARRAY_ITEMS = 100_000  # items in one array
MAX_PROGRAMS = 1024  # [programs.*] tables
MAX_CHANNELS = 4096  # [channels] entries
MAX_OPS = 100_000  # compiled ops over all programs (a repeat body counts once)
MAX_DESCRIPTION_CHARS = 20_000  # the description shown in the window
MAX_INT_DIGITS = 4300  # Python's int-string conversion limit (sys.get_int_max_str_digits)
SCENARIO_SUFFIX = ".toml"

_TOP_KEYS = (
    "name", "summary", "description", "gomaxprocs", "ncpu", "seed", "duration", "policy", "gogc",
    "gomemlimit", "container_limit", "globals", "greentea", "pointer_percent", "main", "channels",
    "programs",
)  # fmt: skip
_PROGRAM_KEYS = ("ops", "group")
_NOARG_OPS = ("gosched", "gc", "block", "exit")
_ALIASES = {
    "chan_make": "make", "chan_send": "send", "chan_recv": "recv", "chan_close": "close",
    "loop": "repeat",
}  # fmt: skip
# op name -> optional keys besides the op name itself
_OP_KEYS = {
    "compute": (), "gosched": (), "sleep": (), "syscall": ("blocking", "cpu"), "netwait": (),
    "make": ("cap",), "send": (), "recv": (), "close": (), "select": ("default",),
    "go": ("count",), "repeat": ("body",), "alloc": ("count", "pointers", "lifetime"), "gc": (),
    "gomaxprocs": (), "stack": ("frame", "keep"), "defer": ("heap",), "block": (), "exit": (),
    "setgcpercent": (), "setmemlimit": (), "pace": (), "pipe": ("read", "write"), "tick": (),
}  # fmt: skip
# Ops that take no virtual time in any model: an endless loop made only of these would spin forever
# at one instant.
_TIMELESS_OPS = frozenset(
    {O.OP_CHAN_MAKE, O.OP_CHAN_CLOSE, O.OP_SETGCPERCENT, O.OP_SETMEMLIMIT, O.OP_SCOPE_END}
)
_DIST_OPS = frozenset({O.OP_COMPUTE, O.OP_SLEEP, O.OP_SYSCALL, O.OP_NETWAIT})


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; ``str(err)`` is one line: ``file: field: problem``."""

    def __init__(self, file: str, field: str, detail: str):
        self.file, self.field, self.detail = file, field, " ".join(detail.split())
        super().__init__(f"{file}: {field}: {self.detail}")


# --- presets -------------------------------------------------------------------------------------


def _preset_dir():
    """Presets ship inside the package, so checkouts, editable and wheel installs all find them."""
    return importlib.resources.files("gmpviz") / "resources" / "scenarios"


def _preset_names() -> list[str]:
    entries = [e.name for e in _preset_dir().iterdir() if e.name.endswith(SCENARIO_SUFFIX)]
    return sorted(n[: -len(SCENARIO_SUFFIX)] for n in entries)


def preset_path(name: str) -> Path | None:
    """The file of preset ``name``, or None."""
    entry = _preset_dir() / f"{name}{SCENARIO_SUFFIX}"
    return Path(str(entry)) if entry.is_file() else None


def list_presets() -> list[tuple[str, str]]:
    """(name, one-line summary) of every preset, sorted by name."""
    out = []
    for name in _preset_names():
        text = (_preset_dir() / f"{name}{SCENARIO_SUFFIX}").read_text(encoding="utf-8")
        try:
            summary = tomllib.loads(text).get("summary", "")
        except tomllib.TOMLDecodeError:
            summary = "(unreadable: run `gmpviz run` on it to see the error)"
        out.append((name, summary if isinstance(summary, str) else ""))
    return out


# --- entry points --------------------------------------------------------------------------------


def load_scenario(name_or_path: str, overrides: dict | None = None) -> Scenario:
    """Load a preset by name or a scenario file by path; ``overrides`` replace top-level fields.

    Override keys may be dotted (``"programs.worker.group"``); string values are read as TOML
    values when they parse (``"8"`` -> 8) so a CLI can pass ``--set gomaxprocs=8`` through.
    """
    path = _resolve(name_or_path)
    try:
        text = _read_text(path).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(path.name, "file", "expected UTF-8 text, found binary data") from None
    except OSError as e:
        raise ScenarioError(path.name, "file", f"cannot read it ({e.strerror})") from None
    return loads_scenario(text, filename=path.name, overrides=overrides, path=str(path))


def _read_text(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES (a FIFO would block, a huge file
    would be read whole): opened without blocking, checked, then read with a bound."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(
                path.name, "file", "expected a regular file (not a pipe, device or directory)"
            )
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                path.name,
                "file",
                f"{format_size(st.st_size)} is more than the {format_size(MAX_FILE_BYTES)} limit",
            )
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(path.name, "file", f"more than the {format_size(MAX_FILE_BYTES)} limit")
    return data


def loads_scenario(
    text: str, filename: str = "<scenario>", overrides: dict | None = None, path: str = ""
) -> Scenario:
    """Validate and compile scenario TOML ``text``; errors are reported against ``filename``."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(filename, "file", f"more than the {format_size(MAX_FILE_BYTES)} limit")
    _check_nesting(text, filename)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _toml_error(filename, e) from None
    except ValueError as e:  # int() of a number longer than MAX_INT_DIGITS
        raise ScenarioError(
            filename, "number", f"expected a number of at most {MAX_INT_DIGITS:,} digits ({e})"
        ) from None
    except RecursionError:  # _check_nesting bounds the brackets; this is the last line of defence
        raise ScenarioError(filename, "file", f"nested more than {MAX_NESTING} deep") from None
    _check_shape(data, filename)
    overridden = _apply_overrides(data, overrides or {})
    c = _Compiler(filename, overridden)
    stem = filename[: -len(SCENARIO_SUFFIX)] if filename.endswith(SCENARIO_SUFFIX) else filename
    return c.scenario(data, text, stem, path, dict(overrides or {}))


_SCAN = re.compile(r"[\[\]{}#\"'\n]")


def _check_nesting(text: str, filename: str) -> None:
    """Refuse brackets nested deeper than MAX_NESTING before tomllib recurses into them: a scan that
    skips strings (basic, literal, multi-line) and comments."""
    depth, line, pos, n = 0, 1, 0, len(text)
    while (m := _SCAN.search(text, pos)) is not None:
        ch, i = m.group(), m.start()
        pos = i + 1
        if ch == "\n":
            line += 1
        elif ch == "#":
            j = text.find("\n", i)
            pos = n if j < 0 else j
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if len(quote) == 1 and text[j] == "\n":
                    break
                j += 2 if ch == '"' and text[j] == "\\" else 1
            line += text.count("\n", i, j)
            pos = j + len(quote)
        elif ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ScenarioError(
                    filename, f"line {line}", f"arrays and tables nested more than {MAX_NESTING} deep"
                )
        else:
            depth = max(depth - 1, 0)


def _check_shape(data: dict, filename: str) -> None:
    """Every table and array of the parsed document within MAX_TABLE_KEYS / MAX_ARRAY_ITEMS
    (the compiler's messages and name lookups stay fast), walked without recursion."""
    stack = [("", data, 0)]
    while stack:
        where, v, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ScenarioError(filename, where, f"tables and arrays nested more than {MAX_NESTING} deep")
        if isinstance(v, dict):
            if len(v) > MAX_TABLE_KEYS:
                raise ScenarioError(
                    filename, where or "file", f"{len(v):,} keys in one table (at most {MAX_TABLE_KEYS:,})"
                )
            stack.extend((f"{where}.{k}" if where else str(k), x, depth + 1) for k, x in v.items())
        elif isinstance(v, list):
            if len(v) > MAX_ARRAY_ITEMS:
                raise ScenarioError(
                    filename, where, f"{len(v):,} items in one array (at most {MAX_ARRAY_ITEMS:,})"
                )
            stack.extend((f"{where}[{i}]", x, depth + 1) for i, x in enumerate(v))


def _resolve(name_or_path: str) -> Path:
    looks_like_path = name_or_path.endswith(SCENARIO_SUFFIX) or "/" in name_or_path or "\\" in name_or_path
    p = Path(name_or_path)
    if looks_like_path or p.is_file():
        if p.exists() and not p.is_file():
            raise ScenarioError(
                name_or_path, "file", "expected a regular file (not a pipe, device or directory)"
            )
        if not p.is_file():
            raise ScenarioError(name_or_path, "file", "no such file")
        return p
    found = preset_path(name_or_path)
    if found is None:
        known = _preset_names()
        hint = _suggest(name_or_path, known) or f" (presets: {', '.join(known)})"
        raise ScenarioError(
            name_or_path, "scenario", f"expected a preset name or a path to a .toml file{hint}"
        )
    return found


def _toml_error(filename: str, e: tomllib.TOMLDecodeError) -> ScenarioError:
    m = re.match(r"^(.*) \(at line (\d+), column (\d+)\)$", str(e))
    if m:
        return ScenarioError(
            filename, f"line {m.group(2)}, column {m.group(3)}", f"TOML syntax: {m.group(1)}"
        )
    detail = str(e).replace(" (at end of document)", "")
    return ScenarioError(filename, "end of file", f"TOML syntax: {detail}")


def _apply_overrides(data: dict, overrides: dict) -> tuple[str, ...]:
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError("overrides", key, "expected a path to a table field")
        node[parts[-1]] = _override_value(value)
    return tuple(str(k) for k in overrides)


def _override_value(value):
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


# --- validation helpers --------------------------------------------------------------------------


def _show(value) -> str:
    """How a found value is quoted in a message, in TOML spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array" if value else "an empty array"
    return str(value)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.8)
    return f' (did you mean "{close[0]}"?)' if close else ""


class _Compiler:
    """Checks one parsed TOML document and builds the Scenario."""

    def __init__(self, filename: str, overridden: tuple[str, ...]):
        self.filename = filename
        self.overridden = overridden
        self.chan_index: dict[str, int] = {}
        self.pipe_index: dict[str, int] = {}
        self.prog_index: dict[str, int] = {}
        self.chan_caps: list[int] = []

    def fail(self, field: str, detail: str) -> ScenarioError:
        for key in self.overridden:
            if field == key or field.startswith((key + ".", key + "[")):
                return ScenarioError("overrides", field, detail)
        return ScenarioError(self.filename, field, detail)

    def expected(self, field: str, what: str, value) -> ScenarioError:
        return self.fail(field, f"expected {what}, got {_show(value)}")

    def check_keys(self, table: dict, allowed, field: str) -> None:
        for key in table:
            if key not in allowed:
                where = f"{field}.{key}" if field else key
                hint = _suggest(key, allowed) or f" (allowed: {', '.join(allowed)})"
                raise self.fail(where, f"unknown field{hint}")

    # --- scalar kinds ---

    def table(self, value, field: str) -> dict:
        if not isinstance(value, dict):
            raise self.expected(field, "a table", value)
        return value

    def integer(self, value, field: str, lo: int, hi: int, what: str = "") -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            what = what or (f"an integer >= {lo}" if hi >= MAX_SEED else f"an integer from {lo} to {hi}")
            raise self.expected(field, what, value)
        return value

    def boolean(self, value, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.expected(field, "true or false", value)
        return value

    def text(self, value, field: str, one_line: bool = False) -> str:
        if not isinstance(value, str):
            raise self.expected(field, "a string", value)
        if one_line and "\n" in value.strip():
            raise self.fail(field, "expected one line, got several")
        return value.strip()

    def duration(self, value, field: str, positive: bool = False) -> int:
        try:
            t_ns = parse_duration(value)
        except UnitError as e:
            raise self.fail(field, f"{e}, got {_show(value)}") from None
        if positive and t_ns <= 0:
            raise self.expected(field, "a duration above 0", value)
        return self.time_limit(t_ns, field, value)

    def time_limit(self, t_ns: int, field: str, value) -> int:
        if t_ns > MAX_DURATION_NS:
            raise self.expected(field, f"a duration up to {format_duration(MAX_DURATION_NS)}", value)
        return t_ns

    def size_limit(self, size_bytes: int, field: str, value) -> int:
        if size_bytes > MAX_SIZE_BYTES:
            raise self.expected(field, f"a size up to {format_size(MAX_SIZE_BYTES)}", value)
        return size_bytes

    def size(self, value, field: str, minimum: int = 0) -> int:
        try:
            size_bytes = parse_size(value)
        except UnitError as e:
            raise self.fail(field, f"{e}, got {_show(value)}") from None
        if size_bytes < minimum:
            unit = "byte" if minimum == 1 else "bytes"
            raise self.expected(field, f"a size of at least {minimum} {unit}", value)
        return self.size_limit(size_bytes, field, value)

    def percent_or_off(self, value, field: str) -> int:
        """GOGC / debug.SetGCPercent: an integer percent >= 0, or "off" (-1)."""
        if value == "off":
            return -1
        return self.integer(value, field, 0, 1_000_000, 'an integer percent >= 0 or "off"')

    def size_or_off(self, value, field: str) -> int:
        """GOMEMLIMIT / debug.SetMemoryLimit: a size, or "off" (-1, math.MaxInt64 in the runtime)."""
        if value == "off":
            return -1
        try:
            size_bytes = parse_size(value)
        except UnitError:
            raise self.expected(field, 'a size like "512MiB" or "off"', value) from None
        return self.size_limit(size_bytes, field, value)

    def dist(self, value, field: str) -> tuple[int, int, int]:
        """A time distribution: a fixed duration or {dist = "exp"|"uniform"|"normal"|"fixed", ...}."""
        if not isinstance(value, dict):
            if isinstance(value, bool | list):
                raise self.expected(
                    field, 'a duration like "10ms" or a table like {dist = "exp", ...}', value
                )
            return (O.DIST_FIXED, self.duration(value, field), 0)
        kind = value.get("dist")
        params = {
            "fixed": ("value",), "uniform": ("min", "max"), "exp": ("mean",), "normal": ("mean", "std"),
        }  # fmt: skip
        if kind not in params:
            raise self.expected(f"{field}.dist", 'one of "fixed", "uniform", "exp", "normal"', kind)
        self.check_keys(value, ("dist", *params[kind]), field)
        for key in params[kind]:
            if key not in value:
                raise self.fail(
                    f"{field}.{key}", f'missing; dist "{kind}" needs {" and ".join(params[kind])}'
                )
        a, *b = (self.duration(value[k], f"{field}.{k}") for k in params[kind])
        b = b[0] if b else 0
        if kind == "uniform" and b < a:
            raise self.fail(
                f"{field}.max", f"expected max >= min ({format_duration(a)}), got {_show(value['max'])}"
            )
        code = O.DIST_NAMES.index(kind)
        return (code, a, b)

    def chan(self, value, field: str) -> int:
        if not isinstance(value, str):
            raise self.expected(field, "a channel name", value)
        if value not in self.chan_index:
            known = ", ".join(self.chan_index) or "none declared"
            raise self.fail(
                field, f'unknown channel "{value}"{_suggest(value, self.chan_index)}; [channels]: {known}'
            )
        return self.chan_index[value]

    def program_ref(self, value, field: str) -> int:
        if not isinstance(value, str):
            raise self.expected(field, "a program name", value)
        if value not in self.prog_index:
            raise self.fail(field, f'unknown program "{value}"{_suggest(value, self.prog_index)}')
        return self.prog_index[value]

    # --- scenario ---

    def scenario(self, data: dict, text: str, stem: str, path: str, overrides: dict) -> Scenario:
        self.check_keys(data, _TOP_KEYS, "")
        channels = self.channels(data.get("channels", {}))
        programs_raw = self.table(data.get("programs", {}), "programs")
        main_name = self.text(data.get("main", "main"), "main")
        if not programs_raw:
            raise self.fail("programs", "missing; a scenario needs at least [programs.main]")
        if len(programs_raw) > MAX_PROGRAMS:
            raise self.fail("programs", f"{len(programs_raw):,} programs (at most {MAX_PROGRAMS:,})")
        if main_name not in programs_raw:
            if "main" in data:
                names = ", ".join(programs_raw)
                raise self.expected("main", f"the name of a program ({names})", main_name)
            raise self.fail("programs.main", "missing; the main program runs as goroutine 1")
        self.prog_index = {name: i for i, name in enumerate(programs_raw)}
        groups = self.groups(programs_raw, main_name)
        programs = tuple(
            self.program(name, self.table(body, f"programs.{name}"), groups)
            for name, body in programs_raw.items()
        )
        if sum(len(p.ops) for p in programs) > MAX_OPS:
            raise self.fail("programs", f"more than {MAX_OPS:,} ops in all programs")
        description = _reflow(self.text(data.get("description", ""), "description"))
        if len(description) > MAX_DESCRIPTION_CHARS:
            raise self.fail(
                "description", f"{len(description):,} characters (at most {MAX_DESCRIPTION_CHARS:,})"
            )
        scalars = self.scalars(data)
        return Scenario(
            name=self.text(data.get("name", stem), "name", one_line=True),
            summary=self.text(data.get("summary", ""), "summary", one_line=True),
            description=description,
            text=text,
            programs=programs,
            channels=channels,
            pipes=tuple(self.pipe_index),
            groups=tuple(groups),
            main=self.prog_index[main_name],
            path=path,
            notice=description,
            extra={"overrides": overrides} if overrides else {},
            **scalars,
        )

    def scalars(self, data: dict) -> dict:
        get = data.get
        policy = get("policy", "go")
        if policy not in O.POLICIES:
            raise self.expected("policy", "one of " + ", ".join(f'"{p}"' for p in O.POLICIES), policy)
        return dict(
            gomaxprocs=self.integer(get("gomaxprocs", 4), "gomaxprocs", 1, MAX_GOMAXPROCS),
            ncpu=self.integer(get("ncpu", 0), "ncpu", 0, MAX_NCPU),
            seed=self.integer(get("seed", 1), "seed", 0, MAX_SEED),
            duration_ns=self.duration(
                get("duration", format_duration(DEFAULT_DURATION_NS)), "duration", True
            ),
            policy=policy,
            gogc=self.percent_or_off(get("gogc", 100), "gogc"),
            memlimit_bytes=self.size_or_off(get("gomemlimit", "off"), "gomemlimit"),
            container_limit_bytes=self.size_or_off(get("container_limit", "off"), "container_limit"),
            globals_bytes=self.size(get("globals", 0), "globals"),
            greentea=self.boolean(get("greentea", True), "greentea"),
            pointer_percent=self.integer(get("pointer_percent", 25), "pointer_percent", 1, 100),
        )

    def channels(self, raw) -> tuple[ChanDecl, ...]:
        decls = []
        table = self.table(raw, "channels")
        if len(table) > MAX_CHANNELS:
            raise self.fail("channels", f"{len(table):,} channels (at most {MAX_CHANNELS:,})")
        for name, spec in table.items():
            field = f"channels.{name}"
            if isinstance(spec, dict):
                self.check_keys(spec, ("cap",), field)
                field, spec = f"{field}.cap", spec.get("cap", 0)
            cap = self.integer(spec, field, 0, MAX_COUNT, "a capacity (integer >= 0; 0 = unbuffered)")
            self.chan_index[name] = len(decls)
            self.chan_caps.append(cap)
            decls.append(ChanDecl(name, cap))
        return tuple(decls)

    def groups(self, programs_raw: dict, main_name: str) -> list[str]:
        """Group names, the main program's first; a program's group defaults to its own name."""
        order = [main_name, *(n for n in programs_raw if n != main_name)]
        groups: list[str] = []
        for name in order:
            body = programs_raw[name]
            group = body.get("group", name) if isinstance(body, dict) else name
            group = self.text(group, f"programs.{name}.group", one_line=True)
            if group not in groups:
                groups.append(group)
        return groups

    def program(self, name: str, body: dict, groups: list[str]) -> Program:
        field = f"programs.{name}"
        self.check_keys(body, _PROGRAM_KEYS, field)
        if "ops" not in body:
            raise self.fail(f"{field}.ops", "missing; expected an array of ops")
        ops = _top_level_scope(self.block(body["ops"], f"{field}.ops"))
        codes = {op[0] for op in ops}
        if O.OP_TICK in codes and O.OP_PACE in codes:
            raise self.fail(f"{field}.ops", "a goroutine can pace or tick, not both (one schedule each)")
        if O.OP_TICK in codes and len({op[1] for op in ops if op[0] == O.OP_TICK}) > 1:
            raise self.fail(f"{field}.ops", "all tick ops of a goroutine must share one period (one ticker)")
        for op in ops:
            if op[0] == O.OP_PACE and op[1] < 0:
                raise self.fail(
                    f"{field}.ops", 'a pace given as a rate ("500MiB/s") must be in a repeat body'
                )
        group = groups.index(body.get("group", name).strip())
        return Program(name=name, ops=tuple(ops), group=group)

    # --- ops ---

    def block(self, items, field: str) -> list[tuple]:
        if not isinstance(items, list):
            raise self.expected(field, "an array of ops", items)
        if not items:
            raise self.fail(field, "expected at least one op, got an empty array")
        out: list[tuple] = []
        for i, item in enumerate(items):
            out.extend(self.op(item, f"{field}[{i}]"))
            if len(out) > MAX_OPS:
                raise self.fail(field, f"more than {MAX_OPS:,} ops")
        return out

    def op(self, item, field: str) -> list[tuple]:
        if isinstance(item, str):
            name = _ALIASES.get(item, item)
            if name in _NOARG_OPS:
                return [self.noarg(name)]
            if name in _OP_KEYS:
                raise self.fail(field, f'op "{item}" needs a value, e.g. {{ {item} = ... }}')
            raise self.fail(field, f'unknown op "{item}"{_suggest(item, [*_OP_KEYS, *_ALIASES])}')
        if not isinstance(item, dict):
            raise self.expected(field, 'an op like { compute = "1ms" } or "gosched"', item)
        names = [k for k in item if _ALIASES.get(k, k) in _OP_KEYS]
        if len(names) != 1:
            if names:
                raise self.fail(field, f"expected exactly one op per entry, found {' and '.join(names)}")
            key = next(iter(item), "")
            hint = _suggest(key, [*_OP_KEYS, *_ALIASES]) if key else ""
            raise self.fail(field, f'expected an op name (compute, sleep, go, ...), found "{key}"{hint}')
        key = names[0]
        name = _ALIASES.get(key, key)
        self.check_keys(item, (key, *_OP_KEYS[name]), field)
        value, sub = item[key], f"{field}.{key}"
        if name in _NOARG_OPS:
            if value is not True:
                raise self.expected(sub, f'true (or write just "{name}")', value)
            return [self.noarg(name)]
        return getattr(self, f"op_{name}")(item, value, sub, field)

    @staticmethod
    def noarg(name: str) -> tuple:
        return {
            "gosched": (O.OP_GOSCHED,), "gc": (O.OP_GC,), "block": (O.OP_BLOCK,), "exit": (O.OP_EXIT,),
        }[name]  # fmt: skip

    def op_compute(self, item, value, sub, field):
        """CPU work between scheduling points (user code)."""
        return [(O.OP_COMPUTE, self.dist(value, sub))]

    def op_sleep(self, item, value, sub, field):
        """time.Sleep: a timer on the P, the G parks (gopark, waitReasonSleep)."""
        return [(O.OP_SLEEP, self.dist(value, sub))]

    def op_syscall(self, item, value, sub, field):
        """entersyscall (blocking = false) or entersyscallblock (blocking = true); cpu = true: the
        syscall's time is kernel work on a CPU (a page-cache read), else its thread sleeps in the kernel."""
        blocking = self.boolean(item.get("blocking", False), f"{field}.blocking")
        cpu = self.boolean(item.get("cpu", False), f"{field}.cpu")
        return [(O.OP_SYSCALL, self.dist(value, sub), int(blocking), int(cpu))]

    def op_netwait(self, item, value, sub, field):
        """netpollblock: park in "IO wait" until the fd is readable after ``value``."""
        return [(O.OP_NETWAIT, self.dist(value, sub))]

    def op_make(self, item, value, sub, field):
        """makechan: (re)make a declared channel, by default with its declared capacity."""
        ch = self.chan(value, sub)
        cap = item.get("cap", None)
        if cap is None:
            cap = self.chan_caps[ch]
        cap = self.integer(cap, f"{field}.cap", 0, MAX_COUNT, "a capacity (integer >= 0)")
        return [(O.OP_CHAN_MAKE, ch, cap)]

    def op_send(self, item, value, sub, field):
        """chansend: ch <- v."""
        return [(O.OP_CHAN_SEND, self.chan(value, sub))]

    def op_recv(self, item, value, sub, field):
        """chanrecv: <-ch."""
        return [(O.OP_CHAN_RECV, self.chan(value, sub))]

    def op_close(self, item, value, sub, field):
        """closechan: close(ch)."""
        return [(O.OP_CHAN_CLOSE, self.chan(value, sub))]

    def op_select(self, item, value, sub, field):
        """selectgo: one of several channel ops; with default, never blocks."""
        if not isinstance(value, list) or not value:
            raise self.expected(sub, 'an array of cases like [{ recv = "a" }, { send = "b" }]', value)
        cases = []
        for i, case in enumerate(value):
            cf = f"{sub}[{i}]"
            if not isinstance(case, dict) or len(case) != 1 or next(iter(case)) not in ("send", "recv"):
                raise self.expected(cf, 'a case { send = "chan" } or { recv = "chan" }', case)
            ((direction, chan),) = case.items()
            cases.append(
                (O.SEL_SEND if direction == "send" else O.SEL_RECV, self.chan(chan, f"{cf}.{direction}"))
            )
        has_default = self.boolean(item.get("default", False), f"{field}.default")
        return [(O.OP_SELECT, tuple(cases), int(has_default))]

    def op_go(self, item, value, sub, field):
        """newproc: go program(), ``count`` times."""
        count = self.integer(item.get("count", 1), f"{field}.count", 1, MAX_COUNT)
        return [(O.OP_GO, self.program_ref(value, sub), count)]

    def op_repeat(self, item, value, sub, field):
        """A loop: ``repeat = N`` or ``"forever"``, with a ``body`` of ops; compiled flat with a jump back."""
        if value == "forever":
            count = -1
        else:
            count = self.integer(value, sub, 1, MAX_COUNT, 'a count >= 1 or "forever"')
        if "body" not in item:
            raise self.fail(f"{field}.body", "missing; expected an array of ops to repeat")
        body = self.block(item["body"], f"{field}.body")
        body = self.resolve_pace(body, f"{field}.body")
        body = _close_scope(body)
        if count == -1 and not any(_takes_time(op) for op in body):
            raise self.fail(
                f"{field}.body",
                "a forever loop needs an op that takes time (compute, sleep, a channel op...), found none",
            )
        return [(O.OP_REPEAT, count, len(body)), *body, (O.OP_END_REPEAT, len(body) + 1)]

    def op_pace(self, item, value, sub, field):
        """Sleep until back on schedule (time.Sleep(time.Until(due)) when ahead; nothing when late):
        ``pace = "1ms"`` makes each pass due 1 ms after the previous one; ``pace = "500MiB/s"``
        makes it due after the bytes its repeat body allocates at that rate (resolve_pace). The
        schedule starts when the goroutine is created. Compiled (OP_PACE, period_ns), or
        (OP_PACE, -bytes_per_s) until the enclosing repeat resolves it."""
        if isinstance(value, str) and value.strip().endswith("/s"):
            rate = self.size(value.strip()[:-2], sub, minimum=1)
            return [(O.OP_PACE, -rate)]
        return [(O.OP_PACE, self.duration(value, sub, positive=True))]

    def op_tick(self, item, value, sub, field):
        """``tick = "1ms"``: receive from the goroutine's time.Ticker of that period (made at its first
        tick op, so the first tick comes one period later). A late receiver gets the one tick the
        ticker kept at once, and the ticks it missed are dropped: the next one is the next on the
        period's grid (time.go: a periodic timer's when += period * (1 + -delta/period)).
        Compiled (OP_TICK, period_ns)."""
        return [(O.OP_TICK, self.duration(value, sub, positive=True))]

    def resolve_pace(self, body: list[tuple], field: str) -> list[tuple]:
        """A repeat body's rate paces (at its own level) become periods: the bytes one pass of the
        body allocates (nested finite repeats multiplied) over the rate."""
        if not any(op[0] == O.OP_PACE and op[1] < 0 for op in body):
            return body
        per_pass = 0
        mult = [1]
        for op in body:
            if op[0] == O.OP_REPEAT:
                if op[1] < 0:
                    raise self.fail(field, 'a pace given as a rate cannot pace a body with a "forever" loop')
                mult.append(mult[-1] * op[1])
            elif op[0] == O.OP_END_REPEAT:
                mult.pop()
            elif op[0] == O.OP_ALLOC:
                per_pass += op[1] * op[2] * mult[-1]
        if per_pass == 0:
            raise self.fail(field, "a pace given as a rate needs an alloc in the same repeat body")
        out, depth = [], 0
        for op in body:
            if op[0] == O.OP_PACE and op[1] < 0 and depth == 0:
                period_ns = round(Fraction(per_pass * 1_000_000_000, -op[1]))
                op = (O.OP_PACE, self.time_limit(max(period_ns, 1), field, f"{per_pass} B per pass"))
            depth += op[0] == O.OP_REPEAT
            depth -= op[0] == O.OP_END_REPEAT
            out.append(op)
        return out

    def op_pipe(self, item, value, sub, field):
        """An os.Pipe end: ``{ pipe = "p", read = "4KiB" }`` reads up to that much (what is there; IO
        wait when empty), ``{ pipe = "p", write = "4KiB" }`` writes it (IO wait until it fits).
        Pipes need no declaration: a name used by any op is one pipe."""
        if not isinstance(value, str) or not value.strip():
            raise self.expected(sub, "a pipe name", value)
        ends = [k for k in ("read", "write") if k in item]
        if len(ends) != 1:
            raise self.fail(field, 'expected exactly one of read = "4KiB" or write = "4KiB"')
        end = ends[0]
        nbytes = self.size(item[end], f"{field}.{end}", minimum=1)
        if end == "write" and nbytes > PIPE_CAPACITY_BYTES:
            cap = format_size(PIPE_CAPACITY_BYTES)
            raise self.expected(f"{field}.write", f"a write up to the pipe's capacity, {cap}", item[end])
        if value not in self.pipe_index:
            if len(self.pipe_index) >= MAX_CHANNELS:
                raise self.fail(sub, f"more than {MAX_CHANNELS:,} pipes")
            self.pipe_index[value] = len(self.pipe_index)
        code = O.OP_PIPE_READ if end == "read" else O.OP_PIPE_WRITE
        return [(code, self.pipe_index[value], nbytes)]

    def op_alloc(self, item, value, sub, field):
        """mallocgc: ``count`` objects of ``size`` bytes (tiny, small or large path by size and pointers)."""
        size_bytes = self.size(value, sub, minimum=1)
        count = self.integer(item.get("count", 1), f"{field}.count", 1, MAX_COUNT)
        pointers = self.boolean(item.get("pointers", False), f"{field}.pointers")
        if size_bytes * count > MAX_SIZE_BYTES:
            raise self.fail(
                f"{field}.count", f"expected count x size up to {format_size(MAX_SIZE_BYTES)}, got {count}"
            )
        lifetime, lifetime_ns = self.lifetime(item.get("lifetime", "temp"), f"{field}.lifetime")
        return [(O.OP_ALLOC, size_bytes, count, int(not pointers), lifetime, lifetime_ns)]

    def lifetime(self, value, field: str) -> tuple[int, int]:
        if isinstance(value, str) and value in O.LIFE_NAMES and value != "duration":
            return O.LIFE_NAMES.index(value), 0
        try:
            t_ns = parse_duration(value)
        except UnitError:
            raise self.expected(
                field, '"temp", "goroutine", "forever", "scope" or a duration like "50ms"', value
            ) from None
        if t_ns <= 0:
            raise self.expected(field, 'a lifetime above 0 (or "temp")', value)
        return O.LIFE_DURATION, self.time_limit(t_ns, field, value)

    def op_gomaxprocs(self, item, value, sub, field):
        """runtime.GOMAXPROCS(n): stop the world, procresize(n), start the world."""
        return [(O.OP_GOMAXPROCS, self.integer(value, sub, 1, MAX_GOMAXPROCS))]

    def op_stack(self, item, value, sub, field):
        """Call depth x frame size, then return (keep = true: stay in the deepest call, so every later
        stack scan counts the frames): newstack/copystack when the stack guard is hit."""
        depth = self.integer(value, sub, 1, MAX_COUNT, "a call depth (integer >= 1)")
        if "frame" not in item:
            raise self.fail(f"{field}.frame", 'missing; expected a frame size like "256B"')
        frame_bytes = self.size(item["frame"], f"{field}.frame", minimum=1)
        keep = self.boolean(item.get("keep", False), f"{field}.keep")
        return [(O.OP_STACK, depth, frame_bytes, int(keep))]

    def op_defer(self, item, value, sub, field):
        """deferproc: push ``count`` defer records (heap = true: heap-allocated _defer records)."""
        count = self.integer(value, sub, 1, MAX_COUNT, "a count (integer >= 1)")
        heap = self.boolean(item.get("heap", False), f"{field}.heap")
        return [(O.OP_DEFER, count, int(heap))]

    def op_setgcpercent(self, item, value, sub, field):
        """debug.SetGCPercent (recomputes pacing via gcControllerCommit)."""
        return [(O.OP_SETGCPERCENT, self.percent_or_off(value, sub))]

    def op_setmemlimit(self, item, value, sub, field):
        """debug.SetMemoryLimit (recomputes pacing via gcControllerCommit)."""
        return [(O.OP_SETMEMLIMIT, self.size_or_off(value, sub))]


def _reflow(text: str) -> str:
    """Join the wrapped lines of each paragraph so the window can wrap the text to its own width."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _close_scope(body: list[tuple]) -> list[tuple]:
    """A repeat body with `lifetime = "scope"` allocs at its own level ends each pass with OP_SCOPE_END,
    where they lose their last reference (what a function keeps until it returns)."""
    depth = 0
    for op in body:
        if op[0] == O.OP_ALLOC and op[4] == O.LIFE_SCOPE and depth == 0:
            return [*body, (O.OP_SCOPE_END,)]
        depth += op[0] == O.OP_REPEAT
        depth -= op[0] == O.OP_END_REPEAT
    return body


def _top_level_scope(ops: list[tuple]) -> list[tuple]:
    """`scope` allocs outside any repeat live until the goroutine's function returns: its lifetime."""
    out, depth = [], 0
    for op in ops:
        if op[0] == O.OP_ALLOC and op[4] == O.LIFE_SCOPE and depth == 0:
            op = (*op[:4], O.LIFE_GOROUTINE, 0)
        depth += op[0] == O.OP_REPEAT
        depth -= op[0] == O.OP_END_REPEAT
        out.append(op)
    return out


def _takes_time(op: tuple) -> bool:
    if op[0] in _TIMELESS_OPS:
        return False
    if op[0] in _DIST_OPS:
        kind, a, b = op[1]
        return a > 0 or b > 0
    return True
