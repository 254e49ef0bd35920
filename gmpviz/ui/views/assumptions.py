"""Assumptions panel: which Go version is emulated and every simplification, plus the scenario notice."""

from __future__ import annotations

from html import escape

from PySide6 import QtWidgets

from ...core.constants import GO_VERSION


def assumptions_html(
    engine_assumptions: list[str], extra: tuple[str, ...], scenario_name: str, notice: str
) -> str:
    items = "".join(f"<li>{escape(a)}</li>" for a in [*engine_assumptions, *extra])
    note = f"<h3>What to notice in “{escape(scenario_name)}”</h3><p>{escape(notice)}</p>" if notice else ""
    return (
        f"<h3>Shows the behaviour of the Go runtime in {escape(GO_VERSION)}</h3>"
        f"{note}<h3>Simplifications</h3><ul>{items}</ul>"
    )


class AssumptionsView(QtWidgets.QTextBrowser):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.items: list[str] = []

    def set_content(
        self, engine_assumptions: list[str], extra: tuple[str, ...], scenario_name: str, notice: str
    ):
        self.items = [*engine_assumptions, *extra]
        self.setHtml(assumptions_html(engine_assumptions, extra, scenario_name, notice))
