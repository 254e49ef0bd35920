"""The deck format: a TOML file of ordered scenes (docs/decks.md), read and validated here.

A deck is hostile input like any other: `load_deck` refuses it with one `DeckError` line naming the
file, the scene and the key ("tour.toml: scene 3 (\"work stealing\"): pause[2]: unknown event
\"ProcStel\" (did you mean \"ProcSteal\"?)"), within MAX_DECK_BYTES and the other limits below.

    title = "The Go runtime"          theme = "dark" | "light"      screen = 0
    [[scene]]
    title = "…"                        scenario = "work-stealing" (preset or path)  | recording = "x.gmprec"
    seed, procs, policy, gogc, memlimit, duration     (the run's settings, as `gmpviz run` flags)
    from = "0", to = "5ms"             speed = "1ms/s"      zoom = ["0", "2ms"]
    views = ["timeline", "runq"]       layout = "auto" | "rows" | "columns"     m_lanes = false
    caption = "Markdown"               notes = "for the presenter"   notice = ["steal ticks", …]
    pause = [ { event = "ProcSteal" }, { event = "RunqSpill", p = 1 }, { goroutines_above = 100 },
              { at = "3ms" }, { bookmark = "label" } ]
    highlight = { g = 5, p = 1, size_class = 5, stw = true }   (g = "spawner": that group's first G)
    compare = { policy = "global-queue", a = "work stealing", b = "one global queue" }
        (a second run beside the first, on a linked time axis: the scene's run with these settings
        changed, or { recording = "b.gmprec" } beside a recording scene; a and b label the two)
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.trace.events import EV, SPEC
from ..core.workload.loader import MAX_DURATION_NS, MAX_GOMAXPROCS, MAX_SEED, MAX_SIZE_BYTES
from ..core.workload.units import UnitError, parse_duration, parse_size

MAX_DECK_BYTES = 1 << 20  # a deck is a page of text; a bigger file is not one
MAX_SCENES = 100
MAX_PAUSES = 32  # pause points per scene
MAX_TITLE_CHARS = 120
MAX_CAPTION_CHARS = 1200  # a caption is read aloud: a paragraph or two
MAX_NOTES_CHARS = 8000
MAX_NOTICE = 12
MAX_GOROUTINES = 10_000_000  # the loader's MAX_COUNT: no run holds more
MAX_GOID = 1 << 31
MAX_SIZE_CLASS = 67  # sizeclasses.go: _NumSizeClasses - 1
DEFAULT_SPEED_NS = 1_000_000  # virtual ns per wall second: 1 ms/s, slow enough to follow
MIN_SPEED_NS = 1_000  # 1 µs/s
MAX_SPEED_NS = 10_000_000_000  # 10 s/s

# The window's views a scene can show (`MainWindow.docks` plus the central timeline); "glanes" is
# the per-goroutine lane view (one lane per G, like `go tool trace`'s goroutine view).
VIEW_NAMES = (
    "timeline",
    "glanes",
    "runq",
    "goroutines",
    "heap",
    "spans",
    "inspector",
    "events",
    "scenario",
    "assumptions",
)
LAYOUTS = ("auto", "rows", "columns")
POLICIES = ("go", "global-queue", "no-steal")
THEMES = ("dark", "light")

# What a scene's `notice` list may name: only things the stage draws (tests/ui/test_stage.py checks
# each one against the window). A caption that promises something else cannot be kept.
DRAWN: dict[str, str] = {  # thing -> the view that draws it
    "P lanes": "timeline",
    "M lanes": "timeline",
    "goroutine lanes": "glanes",
    "G ids": "timeline",
    "steal ticks": "timeline",
    "steal arrows": "timeline",
    "mark worker lane": "timeline",
    "hand-off ticks": "timeline",
    "preempt ticks": "timeline",
    "STW bands": "timeline",
    "spinning": "timeline",
    "syscall": "timeline",
    "GC workers": "timeline",
    "GC assists": "timeline",
    "selected G": "timeline",
    "wake arrows": "timeline",
    "deadlock marker": "timeline",
    "local run queues": "runq",
    "global run queue": "runq",
    "runnext": "runq",
    "goroutine counts": "goroutines",
    "heap line": "heap",
    "live heap line": "heap",
    "STW bars": "heap",
    "goal line": "heap",
    "trigger line": "heap",
    "GOMEMLIMIT line": "heap",
    "container limit line": "heap",
    "OOM kill marker": "heap",
    "GC phases": "heap",
    "STW pauses": "heap",
    "GC CPU": "heap",
    "span queues": "heap",
    "span heatmap": "spans",
    "highlighted size class": "spans",
    "size class rows": "spans",
    "event log": "events",
}


class DeckError(ValueError):
    """A deck that cannot be used: one line, ``file: where: what``."""


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.7)
    return f' (did you mean "{close[0]}"?)' if close else ""


# the kinds a pause point may name: EV names, and Go function names for the first kind they emit
# ("gcStart" = GCBegin), so a speaker can write what the runtime calls it
EVENT_BY_NAME: dict[str, int] = {}
for _kind, _spec in SPEC.items():
    EVENT_BY_NAME.setdefault(_spec.go_func, int(_kind))
for _kind in EV:
    EVENT_BY_NAME[_kind.name] = int(_kind)
EVENT_FILTERS = ("p", "m", "g")  # event columns a pause point may match, besides the kind's own args


@dataclass(frozen=True)
class PausePoint:
    """One pause point: where a scene stops for the speaker. ``kind`` is one of:

    * "event": the ``nth`` event of kind ``event`` (at or after ``after_ns``) whose columns equal
      ``match`` (p, m, g or the kind's named args, e.g. ``victim``);
    * "goroutines": the first event after which more than ``value`` goroutines are alive
      (GoCreate minus GoEnd, counted from the recording's start);
    * "heap": the first counters sample with HeapAlloc above ``value`` bytes;
    * "at": virtual time ``value`` ns;
    * "bookmark": the recording's bookmark labelled ``label``."""

    kind: str
    event: int = -1
    match: tuple[tuple[str, int], ...] = ()
    nth: int = 1
    after_ns: int = 0
    value: int = 0
    label: str = ""
    text: str = ""  # how the presenter view says it ("first ProcSteal with p=1")


@dataclass(frozen=True)
class Highlight:
    g: int = -1  # one G drawn across lanes (with who-woke-whom arrows)
    # or the first G of this group (a name in the scenario): goids move when the runtime's start-up
    # does, a group's first goroutine is the same one
    g_group: str = ""
    p: int = -1  # one P: its lane and its run queue stand out
    size_class: int = -1  # one size class's spans stand out in the heatmap
    stw: bool = False  # the STW bands drawn strong


@dataclass(frozen=True)
class Compare:
    """A scene's second run (side B): the same scenario with some settings changed (or another
    scenario or a recording), shown beside side A on a linked time axis."""

    settings: dict = field(default_factory=dict)  # RunSettings keywords that differ from side A's
    scenario: str = ""  # another scenario for side B ("" = side A's)
    recording: str = ""  # a recording for side B (beside a recording scene)
    a_label: str = "A"
    b_label: str = "B"


@dataclass(frozen=True)
class Scene:
    index: int  # 0-based position in the deck
    title: str
    scenario: str = ""  # preset name or path (resolved against the deck's folder)
    recording: str = ""  # path of a recording (resolved), instead of a scenario
    settings: dict = field(default_factory=dict)  # RunSettings keywords
    t_from_ns: int = 0
    t_to_ns: int = -1  # -1: the recording's end
    speed_ns: int = DEFAULT_SPEED_NS  # virtual ns per wall second
    views: tuple[str, ...] = ("timeline",)
    layout: str = "auto"
    zoom_ns: tuple[int, int] | None = None
    caption: str = ""
    notes: str = ""
    notice: tuple[str, ...] = ()
    pauses: tuple[PausePoint, ...] = ()
    highlight: Highlight = Highlight()
    m_lanes: bool = False
    reveal: bool = True  # the future of the recording stays hidden until playback reaches it
    compare: Compare | None = None  # a second run shown beside this one, on a linked time axis

    @property
    def where(self) -> str:
        return f'scene {self.index + 1} ("{self.title}")'

    def side_b(self) -> Scene:
        """The scene's second run as a scene of its own (what `deck build` records for it)."""
        c = self.compare
        if c is None:
            raise ValueError(f"{self.where} has no second run")
        return dataclasses.replace(
            self,
            scenario="" if c.recording else (c.scenario or self.scenario),
            recording=c.recording,
            settings={} if c.recording else {**self.settings, **c.settings},
            compare=None,
        )


@dataclass(frozen=True)
class Deck:
    path: str
    title: str
    scenes: tuple[Scene, ...]
    theme: str = "dark"
    screen: int = 0

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or "<deck>"


PACKAGED_DECKS = Path(__file__).resolve().parents[1] / "resources" / "decks"


def packaged_decks() -> list[str]:
    """The decks shipped inside the package ("tour"), by name."""
    try:
        return sorted(p.stem for p in PACKAGED_DECKS.glob("*.toml"))
    except OSError:
        return []


# --- reading ---------------------------------------------------------------------------------------
def load_deck(path: str | os.PathLike) -> Deck:
    """Read and validate the deck at `path`, or a packaged deck by name ("tour"); DeckError: one line."""
    p = Path(path)
    if not p.exists() and not str(path).endswith(".toml") and str(path) in packaged_decks():
        p = PACKAGED_DECKS / f"{path}.toml"
    name = p.name or str(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise DeckError(f"{name}: not a file")
        if size > MAX_DECK_BYTES:
            raise DeckError(f"{name}: {size:,} bytes is more than a deck's {MAX_DECK_BYTES:,}-byte limit")
        data = p.read_bytes()[: MAX_DECK_BYTES + 1]
    except FileNotFoundError:
        raise DeckError(f"{name}: no such file") from None
    except OSError as e:
        raise DeckError(f"{name}: cannot read it ({e.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DeckError(f"{name}: expected UTF-8 text, found binary data") from None
    return loads_deck(text, filename=name, base_dir=str(p.resolve().parent), path=str(p))


def loads_deck(text: str, filename: str = "<deck>", base_dir: str = ".", path: str = "") -> Deck:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DECK_BYTES:
        raise DeckError(f"{filename}: more than a deck's {MAX_DECK_BYTES:,}-byte limit")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DeckError(f"{filename}: not valid TOML: {str(e).splitlines()[0]}") from None
    return _Reader(filename, base_dir).deck(data, path or filename)


class _Reader:
    def __init__(self, filename: str, base_dir: str) -> None:
        self.filename = filename
        self.base_dir = base_dir

    def fail(self, where: str, what: str) -> DeckError:
        return DeckError(f"{self.filename}: {where}: {what}" if where else f"{self.filename}: {what}")

    def keys(self, where: str, table: dict, allowed) -> None:
        for k in table:
            if k not in allowed:
                raise self.fail(where, f'unknown key "{k}"{_suggest(k, allowed)}')

    # --- values ---------------------------------------------------------------------------------
    def text(self, where: str, v, limit: int) -> str:
        if not isinstance(v, str):
            raise self.fail(where, "expected a string")
        if len(v) > limit:
            raise self.fail(where, f"{len(v):,} characters is more than the {limit:,} limit")
        if "\x00" in v:
            raise self.fail(where, "contains a NUL character")
        return v

    def int_in(self, where: str, v, lo: int, hi: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(where, "expected an integer")
        if not lo <= v <= hi:
            raise self.fail(where, f"{v} is outside {lo}..{hi:,}")
        return v

    def boolean(self, where: str, v) -> bool:
        if not isinstance(v, bool):
            raise self.fail(where, "expected true or false")
        return v

    def duration(self, where: str, v) -> int:
        try:
            t = parse_duration(v)
        except UnitError as e:
            raise self.fail(where, str(e)) from None
        if t > MAX_DURATION_NS:
            raise self.fail(where, "is more than the 1h maximum of virtual time")
        return t

    def size_or_off(self, where: str, v) -> int:
        if v == "off":
            return -1
        try:
            n = parse_size(v)
        except UnitError as e:
            raise self.fail(where, str(e)) from None
        if n > MAX_SIZE_BYTES:
            raise self.fail(where, "is more than the 1TiB maximum")
        return n

    def path(self, where: str, v) -> str:
        s = self.text(where, v, 4096)
        if not s.strip():
            raise self.fail(where, "is empty")
        return s if os.path.isabs(s) else os.path.join(self.base_dir, s)

    # --- the deck -------------------------------------------------------------------------------
    def deck(self, data: dict, path: str) -> Deck:
        self.keys("", data, ("title", "theme", "screen", "scene"))
        title = self.text("title", data.get("title", ""), MAX_TITLE_CHARS)
        theme = data.get("theme", "dark")
        if theme not in THEMES:
            raise self.fail("theme", f"expected one of {', '.join(THEMES)}, got {theme!r}")
        screen = self.int_in("screen", data.get("screen", 0), 0, 16)
        scenes = data.get("scene")
        if not isinstance(scenes, list) or not scenes:
            raise self.fail("", "a deck needs at least one [[scene]]")
        if len(scenes) > MAX_SCENES:
            raise self.fail("", f"{len(scenes)} scenes is more than the {MAX_SCENES} limit")
        out = tuple(self.scene(i, s) for i, s in enumerate(scenes))
        return Deck(path, title or Path(path).stem, out, theme, screen)

    SCENE_KEYS = (
        "title", "scenario", "recording", "seed", "procs", "policy", "gogc", "memlimit", "duration",
        "from", "to", "speed", "views", "layout", "zoom", "caption", "notes", "notice", "pause",
        "highlight", "m_lanes", "reveal", "compare",
    )  # fmt: skip
    RUN_KEYS = ("seed", "procs", "policy", "gogc", "memlimit", "duration")

    def scene(self, i: int, s) -> Scene:
        where = f"scene {i + 1}"
        if not isinstance(s, dict):
            raise self.fail(where, "expected a table")
        title = self.text(f"{where}: title", s.get("title", ""), MAX_TITLE_CHARS).strip()
        if not title:
            raise self.fail(where, "needs a title")
        where = f'scene {i + 1} ("{title}")'
        self.keys(where, s, self.SCENE_KEYS)
        has_sc, has_rec = "scenario" in s, "recording" in s
        if has_sc == has_rec:
            raise self.fail(where, "names either a scenario or a recording (exactly one)")
        kw: dict = {}
        scenario = recording = ""
        if has_sc:
            scenario = self.text(f"{where}: scenario", s["scenario"], 4096).strip()
            if not scenario:
                raise self.fail(f"{where}: scenario", "is empty")
            if scenario.endswith(".toml") or "/" in scenario:
                scenario = self.path(f"{where}: scenario", scenario)
            settings = self.settings(where, s)
        else:
            recording = self.path(f"{where}: recording", s["recording"])
            for k in self.RUN_KEYS:
                if k in s:
                    raise self.fail(where, f'"{k}" sets up a run: a recording scene has none')
            settings = {}
        t_from = self.duration(f"{where}: from", s["from"]) if "from" in s else 0
        t_to = self.duration(f"{where}: to", s["to"]) if "to" in s else -1
        if t_to != -1 and t_to <= t_from:
            raise self.fail(where, '"to" must be after "from"')
        kw["speed_ns"] = self.speed(f"{where}: speed", s["speed"]) if "speed" in s else DEFAULT_SPEED_NS
        kw["views"] = self.views(f"{where}: views", s.get("views", ["timeline"]))
        layout = s.get("layout", "auto")
        if layout not in LAYOUTS:
            raise self.fail(f"{where}: layout", f"expected one of {', '.join(LAYOUTS)}, got {layout!r}")
        if "zoom" in s:
            z = s["zoom"]
            if not (isinstance(z, list) and len(z) == 2):
                raise self.fail(f"{where}: zoom", 'expected ["from", "to"], e.g. ["0", "2ms"]')
            z0, z1 = self.duration(f"{where}: zoom", z[0]), self.duration(f"{where}: zoom", z[1])
            if z1 <= z0:
                raise self.fail(f"{where}: zoom", "its end must be after its start")
            kw["zoom_ns"] = (z0, z1)
        notice = s.get("notice", [])
        if not isinstance(notice, list) or len(notice) > MAX_NOTICE:
            raise self.fail(f"{where}: notice", f"expected a list of at most {MAX_NOTICE} things drawn")
        for n in notice:
            if n not in DRAWN:
                raise self.fail(
                    f"{where}: notice", f"{n!r} is not something the stage draws{_suggest(n, DRAWN)}"
                )
        pauses = s.get("pause", [])
        if not isinstance(pauses, list):
            raise self.fail(f"{where}: pause", "expected a list of pause points")
        if len(pauses) > MAX_PAUSES:
            raise self.fail(
                f"{where}: pause", f"{len(pauses)} pause points is more than the {MAX_PAUSES} limit"
            )
        highlight = self.highlight(f"{where}: highlight", s.get("highlight", {}))
        self.highlight_shown(f"{where}: highlight", highlight, kw["views"])
        return Scene(
            index=i,
            title=title,
            scenario=scenario,
            recording=recording,
            settings=settings,
            t_from_ns=t_from,
            t_to_ns=t_to,
            layout=layout,
            caption=self.text(f"{where}: caption", s.get("caption", ""), MAX_CAPTION_CHARS).strip(),
            notes=self.text(f"{where}: notes", s.get("notes", ""), MAX_NOTES_CHARS).strip(),
            notice=tuple(notice),
            pauses=tuple(self.pause(f"{where}: pause[{k + 1}]", p) for k, p in enumerate(pauses)),
            highlight=highlight,
            m_lanes=self.boolean(f"{where}: m_lanes", s.get("m_lanes", False)),
            reveal=self.boolean(f"{where}: reveal", s.get("reveal", True)),
            compare=self.compare(f"{where}: compare", s["compare"], has_rec) if "compare" in s else None,
            **kw,
        )

    def settings(self, where: str, s: dict) -> dict:
        out: dict = {}
        if "seed" in s:
            out["seed"] = self.int_in(f"{where}: seed", s["seed"], 0, MAX_SEED)
        if "procs" in s:
            out["procs"] = self.int_in(f"{where}: procs", s["procs"], 1, MAX_GOMAXPROCS)
        if "policy" in s:
            if s["policy"] not in POLICIES:
                raise self.fail(f"{where}: policy", f"expected one of {', '.join(POLICIES)}")
            out["policy"] = s["policy"]
        if "gogc" in s:
            out["gogc"] = -1 if s["gogc"] == "off" else self.int_in(f"{where}: gogc", s["gogc"], 0, 1_000_000)
        if "memlimit" in s:
            out["memlimit_bytes"] = self.size_or_off(f"{where}: memlimit", s["memlimit"])
        if "duration" in s:
            d = self.duration(f"{where}: duration", s["duration"])
            if d <= 0:
                raise self.fail(f"{where}: duration", "must be above 0")
            out["duration_ns"] = d
        return out

    def compare(self, where: str, c, beside_recording: bool) -> Compare:
        if not isinstance(c, dict):
            raise self.fail(where, 'expected a table such as { policy = "global-queue", b = "one queue" }')
        self.keys(where, c, ("a", "b", "scenario", "recording", *self.RUN_KEYS))
        a = self.text(f"{where}: a", c.get("a", "A"), MAX_TITLE_CHARS).strip() or "A"
        b = self.text(f"{where}: b", c.get("b", "B"), MAX_TITLE_CHARS).strip() or "B"
        if beside_recording:
            if "recording" not in c or any(k in c for k in ("scenario", *self.RUN_KEYS)):
                raise self.fail(where, "beside a recording scene, side B is a recording: { recording = ... }")
            return Compare(recording=self.path(f"{where}: recording", c["recording"]), a_label=a, b_label=b)
        if "recording" in c:
            raise self.fail(where, "beside a scenario scene, side B is a run: its settings, not a recording")
        scenario = ""
        if "scenario" in c:
            scenario = self.text(f"{where}: scenario", c["scenario"], 4096).strip()
            if not scenario:
                raise self.fail(f"{where}: scenario", "is empty")
            if scenario.endswith(".toml") or "/" in scenario:
                scenario = self.path(f"{where}: scenario", scenario)
        settings = self.settings(where, c)
        if not settings and not scenario:
            raise self.fail(where, "side B must differ from side A: name a setting or a scenario")
        return Compare(settings=settings, scenario=scenario, a_label=a, b_label=b)

    def speed(self, where: str, v) -> int:
        text = v.strip().removesuffix("/s") if isinstance(v, str) else v
        t = self.duration(where, text)
        if not MIN_SPEED_NS <= t <= MAX_SPEED_NS:
            raise self.fail(where, 'expected virtual time per second from "1us/s" to "10s/s"')
        return t

    def views(self, where: str, v) -> tuple[str, ...]:
        if not isinstance(v, list) or not v:
            raise self.fail(where, f"expected a list of views ({', '.join(VIEW_NAMES)})")
        out = []
        for x in v:
            if x not in VIEW_NAMES:
                raise self.fail(where, f"unknown view {x!r}{_suggest(x, VIEW_NAMES)}")
            if x in out:
                raise self.fail(where, f"{x!r} is named twice")
            out.append(x)
        return tuple(out)

    def pause(self, where: str, p) -> PausePoint:
        if not isinstance(p, dict):
            raise self.fail(where, 'expected a table such as { event = "ProcSteal" }')
        label = self.text(f"{where}: label", p.get("label", ""), MAX_TITLE_CHARS)
        kinds = [k for k in ("event", "goroutines_above", "heap_above", "at", "bookmark") if k in p]
        if len(kinds) != 1:
            raise self.fail(where, "names one of event, goroutines_above, heap_above, at, bookmark")
        kind = kinds[0]
        if kind == "event":
            name = p["event"]
            if not isinstance(name, str) or name not in EVENT_BY_NAME:
                raise self.fail(where, f"unknown event {name!r}{_suggest(name, EVENT_BY_NAME)}")
            ev = EVENT_BY_NAME[name]
            args = {f.name: col for f, col in zip(SPEC[EV(ev)].args, ("a0", "a1", "a2"))}
            allowed = ("event", "label", "nth", "after", *EVENT_FILTERS, *args)
            self.keys(where, p, allowed)
            match = []
            for k in (*EVENT_FILTERS, *args):
                if k in p:
                    v = self.int_in(f"{where}: {k}", p[k], -(1 << 62), 1 << 62)
                    match.append((args.get(k, k), v))
            nth = self.int_in(f"{where}: nth", p.get("nth", 1), 1, 1_000_000)
            after = self.duration(f"{where}: after", p["after"]) if "after" in p else 0
            said = " ".join(f"{k}={p[k]}" for k in (*EVENT_FILTERS, *args) if k in p)
            text = f"{'first' if nth == 1 else f'#{nth}'} {name}" + (f" with {said}" if said else "")
            text += f" after {p['after']}" if "after" in p else ""
            return PausePoint("event", ev, tuple(match), nth, after, 0, label, text)
        self.keys(where, p, (kind, "label"))
        if kind == "goroutines_above":
            n = self.int_in(f"{where}: goroutines_above", p[kind], 0, MAX_GOROUTINES)
            return PausePoint("goroutines", value=n, label=label, text=f"goroutine count passes {n:,}")
        if kind == "heap_above":
            n = self.size_or_off(f"{where}: heap_above", p[kind])
            if n < 0:
                raise self.fail(f"{where}: heap_above", "expected a size")
            return PausePoint("heap", value=n, label=label, text=f"HeapAlloc passes {p[kind]}")
        if kind == "at":
            t = self.duration(f"{where}: at", p[kind])
            return PausePoint("at", value=t, label=label, text=f"at {p[kind]}")
        b = self.text(f"{where}: bookmark", p[kind], MAX_TITLE_CHARS)
        return PausePoint("bookmark", label=label or b, text=f"bookmark {b!r}")

    # a highlight is drawn by a view: the scene must show it (one of these)
    HIGHLIGHT_VIEWS = {
        "g": ("timeline", "glanes"),
        "p": ("timeline", "runq"),
        "size_class": ("spans",),
        "stw": ("timeline",),
    }

    def highlight_shown(self, where: str, h: Highlight, views: tuple[str, ...]) -> None:
        asked = {
            "g": h.g >= 0 or bool(h.g_group),
            "p": h.p >= 0,
            "size_class": h.size_class >= 0,
            "stw": h.stw,
        }
        for key, on in asked.items():
            need = self.HIGHLIGHT_VIEWS[key]
            if on and not any(v in views for v in need):
                shown = " or ".join(need)
                raise self.fail(f"{where}: {key}", f"is drawn in the {shown} view, which the scene lacks")

    def highlight(self, where: str, h) -> Highlight:
        if not isinstance(h, dict):
            raise self.fail(where, "expected a table such as { g = 5, p = 1 }")
        self.keys(where, h, ("g", "p", "size_class", "stw"))
        by_group = isinstance(h.get("g"), str)
        if by_group and not 0 < len(h["g"]) <= MAX_TITLE_CHARS:
            raise self.fail(f"{where}: g", 'expected a goroutine id or a group name such as "spawner"')
        return Highlight(
            g=self.int_in(f"{where}: g", h["g"], 0, MAX_GOID) if "g" in h and not by_group else -1,
            g_group=h["g"] if by_group else "",
            p=self.int_in(f"{where}: p", h["p"], 0, MAX_GOMAXPROCS - 1) if "p" in h else -1,
            size_class=self.int_in(f"{where}: size_class", h["size_class"], 0, MAX_SIZE_CLASS)
            if "size_class" in h
            else -1,
            stw=self.boolean(f"{where}: stw", h.get("stw", False)),
        )
