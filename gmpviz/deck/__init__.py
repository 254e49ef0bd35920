"""Decks: ordered scenes for talks and classes (`gmpviz present`, `gmpviz deck build|export`).

Qt-free. `format.py` reads and validates a deck TOML file into `Deck`/`Scene`; `predicates.py`
evaluates a scene's pause points over a recording's events (vectorised, block by block);
`build.py` renders every scenario scene to a recording, deterministically, into a cache keyed by
what the recording depends on. The stage itself is `gmpviz.ui.stage`.
"""

from .format import (
    DRAWN as DRAWN_VIEWS,
)
from .format import (
    LAYOUTS,
    MAX_DECK_BYTES,
    VIEW_NAMES,
    Compare,
    Deck,
    DeckError,
    Highlight,
    PausePoint,
    Scene,
    load_deck,
    loads_deck,
)

__all__ = [
    "DRAWN_VIEWS",
    "LAYOUTS",
    "MAX_DECK_BYTES",
    "VIEW_NAMES",
    "Compare",
    "Deck",
    "DeckError",
    "Highlight",
    "PausePoint",
    "Scene",
    "load_deck",
    "loads_deck",
]
