"""`gmpviz deck build DECK`: every scenario scene rendered to a recording, so a talk never depends on
the emulator running live.

A scene's recording is named by a hash of everything it depends on (the scenario's TOML text, the
run settings, the emulator's source, the gmpviz version and the recording format), so a rebuild of
an unchanged scene is a no-op and the same deck always plays the same bytes (the engine is
deterministic: same scenario + seed => same events). Recordings go to the cache folder
(`cache_dir()`), not beside the deck: the built-in tour lives inside the installed package, which
may not be writable.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from .. import __version__
from ..record import format as record_format
from .format import Deck, DeckError, Scene

CACHE_ENV = "GMPVIZ_CACHE"  # overrides the cache folder (tests, CI, a read-only home)


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "decks"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gmpviz" / "decks"


def _scenario(scene: Scene):
    from ..core.workload.loader import ScenarioError, load_scenario

    try:
        return load_scenario(scene.scenario)
    except ScenarioError as e:
        raise DeckError(f"{scene.where}: {e}") from None


# counters (heap, goroutine counts, queue lengths) are sampled at the end of each recording slice:
# a deck's scenes are short and played slowly, so they are sampled ~COUNTER_SAMPLES times a run
COUNTER_SAMPLES = 4000
MIN_STEP_NS, MAX_STEP_NS = 1_000, 10_000_000


def counters_step_ns(duration_ns: int) -> int:
    return max(MIN_STEP_NS, min(MAX_STEP_NS, duration_ns // COUNTER_SAMPLES))


@functools.cache
def emulator_digest() -> str:
    """A hash of the emulator's source (gmpviz/core): a recording made by another emulator is
    rebuilt, whatever the version number says (the version moves less often than the engine)."""
    core = Path(__file__).resolve().parents[1] / "core"
    h = hashlib.sha256()
    for f in sorted(core.rglob("*.py")):
        h.update(f.relative_to(core).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def recording_key(scene: Scene, scenario_text: str, step_ns: int = MAX_STEP_NS) -> str:
    doc = {
        "emulator": emulator_digest(),
        "scenario": scenario_text,
        "counters_step_ns": step_ns,
        "settings": dict(sorted(scene.settings.items())),
        "gmpviz": __version__,
        "format": record_format.FORMAT_VERSION,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def recording_path(scene: Scene, out_dir: Path | None = None) -> Path:
    """Where `scene` plays from: its recording, or the built one's path (built or not)."""
    if scene.recording:
        return Path(scene.recording)
    sc = _scenario(scene)
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in sc.name)[:40] or "scene"
    step = counters_step_ns(scene.settings.get("duration_ns", sc.duration_ns))
    return (out_dir or cache_dir()) / f"{stem}-{recording_key(scene, sc.text, step)}.gmprec"


def build_scene(scene: Scene, out_dir: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """(the scene's recording, whether it was built now). A recording scene is only checked."""
    path = recording_path(scene, out_dir)
    if scene.recording:
        if not path.is_file():
            raise DeckError(f"{scene.where}: recording {path}: no such file")
        return path, False
    if path.is_file() and not force:
        return path, False
    from ..core.engine import Engine, EngineError
    from ..record.writer import record_run

    sc = _scenario(scene)
    try:
        eng = Engine(sc, **scene.settings)
    except EngineError as e:
        raise DeckError(f"{scene.where}: {e}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DeckError(f"cannot create the recordings folder {path.parent}: {e.strerror}") from None
    # written to a .part file and renamed: never half-written
    record_run(eng, str(path), step_ns=counters_step_ns(int(eng.duration_ns)))
    return path, True


def build_pair(
    scene: Scene, out_dir: Path | None = None, force: bool = False
) -> tuple[Path, Path | None, bool]:
    """(side A's recording, side B's or None, whether either was built now): a `compare` scene
    plays two recordings on one time axis."""
    path, built = build_scene(scene, out_dir, force)
    if scene.compare is None:
        return path, None, built
    path_b, built_b = build_scene(scene.side_b(), out_dir, force)
    return path, path_b, built or built_b


def build_deck(deck: Deck, out_dir: Path | None = None, force: bool = False, progress=None) -> list[Path]:
    """Every scene's recording (side A's; a compare scene's side B is built beside it and found by
    `build_pair` again), built where missing; `progress(k, n, scene, built)` after each."""
    out = []
    for k, scene in enumerate(deck.scenes):
        path, _, built = build_pair(scene, out_dir, force)
        out.append(path)
        if progress is not None:
            progress(k + 1, len(deck.scenes), scene, built)
    return out
