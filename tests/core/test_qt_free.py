"""The core, model and record floors never import Qt (architecture principle 2)."""

import subprocess
import sys


def test_core_imports_without_qt():
    code = (
        "import sys, importlib, pkgutil, gmpviz.core, gmpviz.model, gmpviz.record\n"
        "for pkg in (gmpviz.core, gmpviz.model, gmpviz.record):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt modules imported by the core: {out.stdout}"
