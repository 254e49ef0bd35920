"""A time axis for data in ms that labels ticks in the unit the visible range needs (s, ms, µs, ns).

pyqtgraph's SI prefixing of a "ms" axis read "virtual time (ms) (x0.001)" when zoomed to
microseconds: the axis names its unit itself instead, and never shows a scale factor.
"""

from __future__ import annotations

import pyqtgraph as pg

# (unit, ms per unit): the largest unit in which the visible span is at least 2 units
UNITS = (("s", 1e3), ("ms", 1.0), ("µs", 1e-3), ("ns", 1e-6))


def unit_for(span_ms: float) -> tuple[str, float]:
    for name, per in UNITS:
        if span_ms >= 2 * per:
            return name, per
    return UNITS[-1]


class TimeAxisItem(pg.AxisItem):
    """Bottom axis of a plot whose x is virtual time in ms."""

    def __init__(self, title: str = "virtual time", **kw) -> None:
        super().__init__("bottom", **kw)
        self.title = title
        self.enableAutoSIPrefix(False)
        self.unit = "ms"
        self.setLabel(f"{title} (ms)")

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        lo, hi = self.range
        name, per = unit_for(abs(hi - lo))
        if name != self.unit:
            self.unit = name
            self.setLabel(f"{self.title} ({name})", **self.labelStyle)
        step = spacing / per
        digits = 0 if step >= 1 else min(6, len(f"{step:.6f}".rstrip("0").split(".")[1]))
        out = []
        for v in values:
            x = v / per
            if abs(x) < step * 1e-6:
                x = 0.0
            out.append(f"{x:.{digits}f}")
        return out


def install(plot_item, title: str = "virtual time") -> TimeAxisItem:
    """Give `plot_item` (a PlotItem) a TimeAxisItem at the bottom; returns it."""
    axis = TimeAxisItem(title)
    plot_item.setAxisItems({"bottom": axis})
    return axis
