"""Scenario panel: the running scenario as pseudo-Go (what the goroutines do) and its TOML source."""

from __future__ import annotations

from html import escape

from PySide6 import QtGui, QtWidgets

from ...core.workload.gosource import go_source
from ...core.workload.loader import loads_scenario


def scenario_html(name: str, go_text: str, toml_text: str, note: str = "") -> str:
    parts = [f"<h3>{escape(name)} as Go</h3>"]
    if note:
        parts.append(f"<p><i>{escape(note)}</i></p>")
    if go_text:
        parts.append(f"<pre>{escape(go_text.expandtabs(4))}</pre>")
    if toml_text:
        parts.append(f"<h3>Scenario file</h3><pre>{escape(toml_text)}</pre>")
    return "".join(parts)


def source_of(scenario=None, toml_text: str = "", name: str = "scenario") -> tuple[str, str]:
    """(pseudo-Go, note) for a compiled scenario, or for scenario TOML (a recording keeps only that)."""
    try:
        if scenario is None and toml_text:
            scenario = loads_scenario(toml_text, f"{name}.toml")
        if scenario is None or not hasattr(scenario, "programs"):
            return "", "no scenario source for this run"
        note = "pseudo-Go: spin = CPU work, alloc = an allocation, syscallFor = a blocking syscall"
        return go_source(scenario), note
    except ValueError as e:  # a recording from another version whose TOML no longer compiles
        return "", f"the scenario does not compile here: {e}"


class ScenarioView(QtWidgets.QTextBrowser):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setLineWrapMode(QtWidgets.QTextEdit.LineWrapMode.NoWrap)
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.document().setDefaultStyleSheet(f"pre {{ font-family: '{font.family()}', monospace; }}")
        self.go_text = ""

    def set_scenario(self, name: str, scenario=None, toml_text: str = "") -> None:
        toml_text = toml_text or str(getattr(scenario, "text", "") or "")
        self.go_text, note = source_of(scenario, toml_text, name)
        self.setHtml(scenario_html(name, self.go_text, toml_text, note))
