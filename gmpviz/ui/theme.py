"""Light and dark themes: colour-blind-safe palettes (Okabe-Ito, Paul Tol) and the fixed LUTs.

Every colour a view uses comes from here, so a theme switch is one place. Lane colours index the
timeline states of gmpviz.model.timeline; the span heatmap LUT follows gmpviz.model.spans.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model.spans import LUT_LEVELS, MARK_LEVELS, SP_FREE, SP_FULL, SP_LARGE, SP_MCACHE, SP_PARTIAL
from ..model.timeline import (
    ST_ASSIST,
    ST_CPUWAIT,
    ST_GC,
    ST_IDLE,
    ST_RUNTIME,
    ST_SPIN,
    ST_STW,
    ST_SYSCALL,
    ST_USER0,
)

# Okabe & Ito (2008), "Color Universal Design"
OI_ORANGE = "#E69F00"
OI_SKY = "#56B4E9"
OI_GREEN = "#009E73"
OI_YELLOW = "#F0E442"
OI_BLUE = "#0072B2"
OI_VERMILLION = "#D55E00"
OI_PURPLE = "#CC79A7"
# Paul Tol "muted" (colour-blind safe) for further goroutine groups
TOL_MUTED = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)
GROUP_COLOURS = (OI_SKY, OI_BLUE, OI_ORANGE, OI_PURPLE, *TOL_MUTED)
RUNTIME_G_COLOUR = "#8C7A6B"  # taupe: the runtime's own goroutines, apart from every state and group
CPUWAIT_COLOUR = "#5E2A84"  # dark violet: a thread that is runnable but has no CPU, apart from the rest

# Inside the package (gmpviz/resources: icons, styles, scenarios), so a wheel or a bundle carries them.
RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    foreground: str
    grid: str
    idle: str
    stw: str
    accent: str

    def lane_lut(self) -> np.ndarray:
        """(256, 4) uint8 RGBA indexed by timeline state; index 0 (no P) is transparent. A copy of
        the theme's one table (built once: the views asked for it every frame, 2 ms each time)."""
        return _lane_lut(self).copy()

    def _build_lane_lut(self) -> np.ndarray:
        lut = np.zeros((256, 4), dtype=np.uint8)
        fixed = {
            ST_IDLE: self.idle,
            ST_SPIN: OI_YELLOW,
            ST_SYSCALL: OI_VERMILLION,
            ST_STW: self.stw,
            ST_GC: OI_GREEN,
            ST_ASSIST: "#7FD3B8",  # lighter bluish green: GC work done by a user G
            ST_RUNTIME: RUNTIME_G_COLOUR,
            ST_CPUWAIT: CPUWAIT_COLOUR,
        }
        for st, c in fixed.items():
            lut[st] = (*rgb(c), 255)
        for i in range(256 - ST_USER0):
            lut[ST_USER0 + i] = (*rgb(GROUP_COLOURS[i % len(GROUP_COLOURS)]), 255)
        return lut

    def state_colour(self, state: int) -> str:
        r, g, b, _ = self.lane_lut()[state]
        return f"#{r:02x}{g:02x}{b:02x}"

    def heatmap_lut(self) -> np.ndarray:
        """(256, 4) RGBA: per span state a ramp from dim (empty span) to full colour (full span)."""
        lut = np.zeros((256, 4), dtype=np.uint8)
        lut[0] = (*rgb(self.panel), 255)
        bg = np.array(rgb(self.panel), dtype=np.float64)
        hues = {
            SP_MCACHE: OI_BLUE,
            SP_PARTIAL: OI_ORANGE,
            SP_FULL: OI_VERMILLION,
            SP_FREE: self.idle,
            SP_LARGE: OI_PURPLE,
        }  # noqa: E501
        for st, c in hues.items():
            col = np.array(rgb(c), dtype=np.float64)
            for lv in range(LUT_LEVELS):
                # a free span holds no objects: one flat shade, a little past the idle grey so it
                # stands off the panel (a 25% "empty" shade of it was all but the panel colour)
                a = 1.4 if st == SP_FREE else 0.25 + 0.75 * lv / (LUT_LEVELS - 1)
                shade = np.clip(bg + (col - bg) * a, 0, 255)
                lut[1 + (st - 1) * LUT_LEVELS + lv, :3] = shade.round().astype(np.uint8)
                lut[1 + (st - 1) * LUT_LEVELS + lv, 3] = 255
        return lut

    def mark_lut(self) -> np.ndarray:
        """(256, 4) RGBA for the heatmap's mark view (model/spans.py mark_heatmap): per drawn mark state
        a ramp from dim (a small seen share) to full colour (every slot seen)."""
        lut = np.zeros((256, 4), dtype=np.uint8)
        lut[:, 3] = 255
        lut[0, :3] = rgb(self.panel)
        bg = np.array(rgb(self.panel), dtype=np.float64)
        for st, c in enumerate(self.mark_colours()):
            col = np.array(rgb(c), dtype=np.float64)
            for lv in range(MARK_LEVELS):
                a = lv / (MARK_LEVELS - 1)
                lut[1 + st * MARK_LEVELS + lv, :3] = np.clip(bg + (col - bg) * a, 0, 255).round()
        return lut

    def mark_colours(self) -> tuple[str, ...]:
        """One colour per MARK_DRAW_NAMES entry: not span-queued, unseen, on a P's ring, on the shared
        list, scanned, allocated black, being scanned."""
        return (self.idle, self.foreground, OI_BLUE, OI_PURPLE, OI_GREEN, OI_ORANGE, OI_YELLOW)

    def stylesheet(self) -> str:
        path = RESOURCES / "styles" / f"{self.name}.qss"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            return ""


DARK = Theme(
    "dark",
    background="#1e2127",
    panel="#262a31",
    foreground="#e6e6e6",
    grid="#4a505c",
    idle="#4a505c",
    stw="#f2f2f2",
    accent=OI_SKY,
)  # noqa: E501
LIGHT = Theme(
    "light",
    background="#fafafa",
    panel="#ffffff",
    foreground="#1a1a1a",
    grid="#c8c8c8",
    idle="#d4d4d4",
    stw="#000000",
    accent=OI_BLUE,
)  # noqa: E501
THEMES = {"dark": DARK, "light": LIGHT}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; expected one of {', '.join(THEMES)}") from None


@functools.lru_cache(maxsize=16)
def _lane_lut(theme: Theme) -> np.ndarray:
    return theme._build_lane_lut()
