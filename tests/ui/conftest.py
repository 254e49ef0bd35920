"""Window fixtures: offscreen Qt, settings in a temp file, short scenario runs."""

import pytest
from PySide6 import QtCore


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "gmpviz.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def make_win(qtbot, settings):
    """make_win(engine_factory=None) -> MainWindow (not started), closed at teardown."""
    from gmpviz.core.workload.loader import list_presets, load_scenario
    from gmpviz.ui.app import _engine_factory, ensure_app
    from gmpviz.ui.main_window import MainWindow
    from gmpviz.ui.theme import get_theme

    made = []

    def make(engine_factory=None, theme="dark", settings_=settings):
        ensure_app(theme)
        win = MainWindow(
            get_theme(theme),
            engine_factory or _engine_factory,
            load_scenario,
            list_presets(),
            settings_,
            False,
        )
        win.resize(1400, 900)
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for w in made:
        w.close()
        w.deleteLater()
    QtCore.QCoreApplication.processEvents()
