"""Dockable views. Each has ``refresh(model)`` that redraws only when the model changed."""

from __future__ import annotations

import math
from html import escape


def fmt_ns(ns: float) -> str:
    """A duration with a readable unit."""
    ns = float(ns)
    a = abs(ns)
    if a >= 1e9:
        return f"{ns / 1e9:.3f} s"
    if a >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if a >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_bytes(n: float) -> str:
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


#: following a run, a time axis spans this much more than the run, then jumps (a shared scale that
#: moves a few times a run: pyqtgraph regenerates an axis, ~3 ms, every time its range changes)
FOLLOW_HEADROOM = 1.25


class FollowX:
    """Keeps a plot's time axis at [0, end] with headroom while the run grows.

    Stops following when the user pans or zooms the plot; the plot's "A" (auto-range) button or
    ``fit()`` follows again. Plots x-linked to this one follow with it."""

    def __init__(self, plot) -> None:
        self.vb = plot.getViewBox()
        self.follow = True
        self.end_ms: float | None = None
        self._y_tops: dict[int, float] = {}
        self.vb.enableAutoRange(x=False)
        self.vb.sigRangeChangedManually.connect(self._manual)

    def _manual(self, *_args) -> None:
        self.follow = False

    def fit(self) -> None:
        self.follow, self.end_ms = True, None
        self._y_tops.clear()

    def update_y(self, vb, data_max: float, floor: float = 1.0, cap: float = math.inf) -> None:
        """Keep ``vb``'s y range at [0, a round number above data_max] (at most ``cap``): it moves when
        the data outgrows it or shrinks below a third of it, not on every refresh as auto-range does."""
        if not self.follow:  # the user zoomed: pyqtgraph's auto-range fits y again
            if self._y_tops.pop(id(vb), None) is not None:
                vb.enableAutoRange(y=True)
            return
        top = min(nice_ceiling(max(float(data_max) * 1.05, floor)), cap)
        cur = self._y_tops.get(id(vb))
        if cur is None or top > cur or top < cur / 3:
            self._y_tops[id(vb)] = top
            vb.enableAutoRange(y=False)
            vb.setYRange(0, top, padding=0)

    def update(self, now_ms: float, exact: bool = False) -> None:
        """Follow to ``now_ms``; ``exact``: end the axis at the run's end (a final frame, a screenshot)."""
        if self.vb.autoRangeEnabled()[0]:  # the user pressed "A": follow again, with headroom
            self.fit()
            self.vb.enableAutoRange(x=False)
        if not self.follow:
            return
        if exact or self.end_ms is None or now_ms > self.end_ms:
            self.end_ms = max(now_ms * (1.01 if exact else FOLLOW_HEADROOM), 1e-3)
            self.vb.setXRange(0, self.end_ms, padding=0)


def legend_html(items, fill: bool = False) -> str:
    """A one-line legend for a QLabel: a coloured line (or square) and a name per series.

    Above the plot, not inside it: a pyqtgraph legend covers the newest data at the right."""
    mark = "■" if fill else "━"
    # a wrapped legend breaks between series, never inside a name ("live / heap")
    return "&nbsp; ".join(
        f'<span style="color:{colour}">{mark}</span>&nbsp;{escape(name).replace(" ", "&nbsp;")}'
        for colour, name in items
    )


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above x (x > 0)."""
    k = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**k >= x * (1 - 1e-12):
            return m * 10**k
    return 10 ** (k + 1)
