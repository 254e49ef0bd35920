"""Inspector: details of the selected G, P, M or span, refreshed as the model changes."""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6 import QtWidgets

from ...core.constants import G_STATUS_NAMES, P_STATUS_NAMES
from ...core.trace.events import WAIT_REASONS, format_event
from ...model.goroutines import group_name
from ...model.markqueue import SCAN_NAMES
from . import fmt_ns


class InspectorView(QtWidgets.QTextBrowser):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.what: tuple[str, int] | None = None
        self._key = None
        self.setPlaceholderText("Click a lane, a G, a run queue cell or a span.")

    def select(self, kind: str, ident: int) -> None:
        self.what = (kind, int(ident))
        self._key = None

    def refresh(self, model, force: bool = False) -> None:
        if self.what is None:
            return
        marking = self.what[0] == "span" and model.spans.marking == 1  # scan windows move with time
        key = (self.what, model.state.events, model.spans.version, model.now_ns if marking else 0)
        if key == self._key and not force:
            return
        self._key = key
        kind, ident = self.what
        html = {"g": self._g, "p": self._p, "m": self._m, "span": self._span}.get(kind, lambda m, i: "")(
            model, ident
        )
        self.setHtml(html or f"<i>{escape(kind)} {ident}: nothing known yet</i>")

    @staticmethod
    def _table(title: str, rows: list[tuple[str, str]]) -> str:
        body = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(str(v))}</td></tr>" for k, v in rows)
        return f"<h3>{escape(title)}</h3><table cellspacing=4>{body}</table>"

    def _recent(self, ev: np.ndarray) -> str:
        lines = "<br>".join(escape(format_event(r)) for r in ev[-12:])
        return f"<h4>recent events</h4><tt>{lines}</tt>"

    def _g(self, model, goid: int) -> str:
        info = model.state.g_info(goid)
        if info is None:
            return ""
        grp = info["group"]
        rows = [
            ("status", G_STATUS_NAMES.get(info["status"], str(info["status"]))),
            (
                "wait reason",
                WAIT_REASONS[info["reason"]] if info["reason"] < len(WAIT_REASONS) else info["reason"],
            ),
            ("group", group_name(int(grp), model.groups)),
            ("P", info["p"]),
            ("M", info["m"]),
            ("in this status for", fmt_ns(model.now_ns - info["since_ns"])),
            ("created at", fmt_ns(info["created_ns"])),
        ]
        markq = getattr(model, "markq", None)
        if markq is not None:
            what, t_ns = markq.mode_at(goid, model.now_ns)
            if what >= 0:  # a mark worker or an assist (GCMarkScan)
                rows.append(("last mark work", f"{SCAN_NAMES[what]} at {fmt_ns(t_ns)}"))
        return self._table(f"goroutine {goid}", rows) + self._recent(model.log.query(goid=goid, limit=12))

    def _p(self, model, p: int) -> str:
        st = model.state
        if p >= len(st.runq):
            return ""
        rows = [
            ("status", P_STATUS_NAMES.get(int(st.p_status[p]), str(st.p_status[p]))),
            ("M", int(st.p_m[p])),
            ("current G", int(st.p_curg[p])),
            ("runnext", st.runnext[p]),
            ("local run queue", f"{len(st.runq[p])}: " + " ".join(f"G{g}" for g in list(st.runq[p])[:32])),
        ]
        return self._table(f"P{p}", rows) + self._recent(model.log.query(p=p, limit=12))

    def _m(self, model, m: int) -> str:
        st = model.state
        if m >= st.m_count:
            return ""
        rows = [
            ("P", int(st.m_p[m])),
            ("current G", int(st.m_curg[m])),
            ("spinning", bool(st.m_spinning[m])),
            ("parked", bool(st.m_parked[m])),
        ]
        return self._table(f"M{m}", rows)

    def _span(self, model, span: int) -> str:
        info = model.spans.info(span)
        if info is None:
            return ""
        rows = [(k, v) for k, v in info.items() if k != "span"]
        mi = model.spans.mark_info(span, model.now_ns)
        if mi is not None:  # Green Tea's view of it (this cycle's, or the last one's)
            who = "-" if mi["p"] < 0 else f"P{mi['p']}"
            rows += [
                (f"mark (GC {mi['cycle']})", mi["mark_state"]),
                ("ownership", mi["ownership"]),
                ("P (ring or scan)", who),
                ("seen / scanned", f"{mi['seen']} / {mi['scanned']} of {mi['nelems']}"),
            ]
        return self._table(f"span {span}", rows)
